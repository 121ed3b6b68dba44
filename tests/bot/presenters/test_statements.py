from __future__ import annotations

from datetime import timedelta

import pytest

from bot.presenters.statements import present_statements
from bot.presenters.text import render_text
from bot.services.views import StatementPage
from tests.bot.presenters.helpers import LONG_TITLE, NASTY, T0, actor, all_text, assert_valid, statement


def page_of(statements, *, page=1, pages=3, total=25, topic=None, since=None, name="Jane Doe") -> StatementPage:
    return StatementPage(actor(7, name), tuple(statements), page, pages, total, topic, since)


def test_a_page_newest_first_with_buttons():
    sts = [statement(1, text="We will not back down", at=T0),
           statement(2, text="that the talks had failed", kind="indirect", at=T0 + timedelta(days=2)),
           statement(3, text="Nobody wins a war", at=T0 + timedelta(days=1))]
    reply = present_statements(page_of(sts), custom_id_prefix="st:7")
    assert_valid(reply)
    (e,) = reply.embeds
    assert e.title == "Statements by Jane Doe"
    assert e.description.split("\n\n") == [
        "Said that the talks had failed — indirect, [Reuters](https://news2.example.com/world/2), 2024-05-03",
        "“Nobody wins a war” — direct, [Reuters](https://news3.example.com/world/3), 2024-05-02",
        "“We will not back down” — direct, [Reuters](https://news1.example.com/world/1), 2024-05-01",
    ]
    assert e.footer == "Page 2/3 · total 25"
    newer, older = reply.buttons
    assert (newer.label, newer.custom_id, newer.disabled) == ("◀ Newer", "st:7:0", False)
    assert (older.label, older.custom_id, older.disabled) == ("Older ▶", "st:7:2", False)


@pytest.mark.parametrize(("page", "pages", "newer", "older"), [(0, 3, True, False), (2, 3, False, True),
                                                                (0, 1, True, True), (0, 0, True, True)])
def test_buttons_disabled_at_the_ends(page, pages, newer, older):
    reply = present_statements(page_of([statement()], page=page, pages=pages), custom_id_prefix="p")
    assert_valid(reply)
    assert [b.disabled for b in reply.buttons] == [newer, older]


def test_custom_id_limit():
    present_statements(page_of([statement()], page=8), custom_id_prefix="x" * 98)  # "x…x:9" is 100
    with pytest.raises(ValueError):
        present_statements(page_of([statement()], page=9), custom_id_prefix="x" * 98)  # ":10" is 101


def test_thirty_long_statements():
    sts = [statement(i, text=f"{i} {NASTY} " + "many words " * 150, kind="indirect" if i % 3 else "direct")
           for i in range(30)]
    reply = present_statements(page_of(sts, name=LONG_TITLE, total=300, topic="*talks*", since=T0),
                               custom_id_prefix="statements:12345")
    assert_valid(reply)
    e = reply.embeds[0]
    assert len(e.title) <= 256 and e.title.startswith("Statements by \\*\\*bold\\*\\*")
    shown = e.description.count("](https://")
    assert shown == 30 or f"… and {30 - shown} more on this page" in e.description
    assert "\\*\\*bold\\*\\* \\_it\\_" in e.description  # quotes are escaped
    assert "said that" in e.description.lower() and "“" in e.description


def test_no_statements():
    reply = present_statements(page_of([], page=0, pages=0, total=0, name="Jane *Doe*"), custom_id_prefix="p")
    assert_valid(reply)
    assert reply.content == "No statements by **Jane \\*Doe\\*** recorded yet."
    assert not reply.embeds


def test_no_statements_with_filters_says_so():
    reply = present_statements(page_of([], page=0, pages=0, total=0, topic="oil", since=T0), custom_id_prefix="p")
    assert reply.content == "No statements by **Jane Doe** on **oil** since <t:1714550400:f> found."
    assert "oil" in render_text(reply) and "2024-05-01 08:00 UTC" in render_text(reply)


def test_page_past_the_end():
    reply = present_statements(page_of([], page=5, pages=3, total=25), custom_id_prefix="p")
    assert_valid(reply)
    assert "no page 6" in reply.content and "3 pages" in reply.content
    assert [b.disabled for b in reply.buttons] == [False, True]


def test_title_mentions_filters():
    reply = present_statements(page_of([statement()], topic="oil", since=T0), custom_id_prefix="p")
    assert reply.embeds[0].title == "Statements by Jane Doe on oil since 2024-05-01"
    assert "more" not in all_text(reply)


def test_renders_as_text():
    out = render_text(present_statements(page_of([statement(text="We *will* win")]), custom_id_prefix="p"))
    assert "“We *will* win” — direct, Reuters <https://news1.example.com/world/1>, 2024-05-01" in out
    assert "[◀ Newer] [Older ▶]" in out
    assert "Page 2/3 · total 25" in out
    assert "\\" not in out
    first = render_text(present_statements(page_of([statement()], page=0), custom_id_prefix="p"))
    assert "[Older ▶]" in first and "Newer" not in first
