from __future__ import annotations

import struct
from datetime import date, timedelta

import pytest

from bot.presenters.actors import actor_choices, mentions_chart, present_actor
from bot.presenters.text import plain, render_text
from bot.services.views import DayCount
from tests.bot.presenters.helpers import LONG_TITLE, NASTY, all_text, assert_valid, profile, statement

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    return struct.unpack(">II", data[16:24])


def test_profile_with_chart():
    reply = present_actor(profile(), b"\x89PNGfake")
    assert_valid(reply)
    (e,) = reply.embeds
    assert e.title == "Jane Doe"
    assert e.image_filename == "mentions.png"
    assert reply.files[0].filename == "mentions.png" and reply.files[0].data == b"\x89PNGfake"
    fields = {f.name: f.value for f in e.fields}
    assert fields["Type"] == "PERSON"
    assert fields["Mentioned lately"] == "12 articles in the last 30 days"
    assert fields["Aliases"] == "J. Doe"
    assert fields["Often beside"] == "Co Actor 0 \\(10\\), Co Actor 1 \\(9\\), Co Actor 2 \\(8\\)"
    first = fields["Latest statements"].split("\n")[0]
    assert first == "“Statement number 0 about the talks” — [Reuters](https://news0.example.com/world/0), 2024-05-01"


def test_profile_without_chart_or_statements():
    reply = present_actor(profile(statements=0, co=0, aliases=()), None)
    assert_valid(reply)
    assert not reply.files and reply.embeds[0].image_filename is None
    fields = {f.name: f.value for f in reply.embeds[0].fields}
    assert fields["Latest statements"] == "None recorded yet."
    assert "Aliases" not in fields and "Often beside" not in fields


def test_profile_at_the_limits():
    p = profile(statements=30, co=40, aliases=tuple(f"{NASTY} alias {i}" for i in range(40)), name=LONG_TITLE)
    p = type(p)(**{**{f: getattr(p, f) for f in p.__slots__},
                   "statements": tuple(statement(i, text=f"{i} " + "long words " * 200) for i in range(30))})
    reply = present_actor(p, b"\x89PNG")
    assert_valid(reply)
    e = reply.embeds[0]
    assert len(e.title) <= 256 and e.title.startswith("\\*\\*bold\\*\\*")
    fields = {f.name: f.value for f in e.fields}
    assert fields["Aliases"].startswith("\\*\\*bold\\*\\* \\_it\\_") and "more" in fields["Aliases"]
    assert "+" in fields["Often beside"] and fields["Often beside"].endswith("more")
    assert "… and" in all_text(reply) and "(see /statements)" in all_text(reply)
    assert "“0 long words" in fields["Latest statements"]


def test_mentioned_lately_singular():
    p = profile(days=1)
    p = type(p)(**{**{f: getattr(p, f) for f in p.__slots__}, "mentions_recent": 1})
    fields = {f.name: f.value for f in present_actor(p, None).embeds[0].fields}
    assert fields["Mentioned lately"] == "1 article in the last 1 day"


@pytest.mark.parametrize("counts", [[0] * 30, [5], [i % 7 for i in range(30)], [0], [1000, 0, 3]])
def test_chart_is_a_small_png(counts):
    days = [DayCount(date(2024, 4, 1) + timedelta(days=i), c) for i, c in enumerate(counts)]
    data = mentions_chart(days, "Mentions of Jane Doe")
    w, h = png_size(data)
    assert (w, h) == (600, 250)
    assert len(data) < 100_000


def test_chart_with_no_days():
    assert mentions_chart([], "Nobody").startswith(PNG)


def test_actor_choices():
    names = [(f"Actor {i}", "PERSON") for i in range(40)]
    out = actor_choices(names)
    assert len(out) == 25
    assert out[0] == ("Actor 0 (PERSON)", "Actor 0")


def test_actor_choices_long_names_and_duplicates():
    long = "Very Long Organisation Name " * 10
    out = actor_choices([(long, "ORG"), ("Same", "ORG"), ("Same", "PERSON"), ("", "ORG"), ("  ", "X"),
                         ("x" * 150, "")])
    assert len(out) == 3
    for display, value in out:
        assert 0 < len(display) <= 100 and 0 < len(value) <= 100
    assert out[0][0].endswith("… (ORG)")
    assert " ".join(long.split()).startswith(out[0][1])
    assert out[1] == ("Same (ORG)", "Same")
    assert out[2] == ("x" * 99 + "…", "x" * 100)


def test_renders_as_text():
    out = render_text(present_actor(profile(name="*Jane* Doe"), b"\x89PNG" + b"0" * 10))
    assert "*Jane* Doe\n" in out
    assert "Type: PERSON" in out and "Often beside: Co Actor 0 (10), Co Actor 1 (9)" in out
    assert "“Statement number 0 about the talks” — Reuters <https://news0.example.com/world/0>, 2024-05-01" in out
    assert "(attached: mentions.png, 14 bytes)" in out
    assert "\\" not in out
    assert plain("\\*x\\*") == "*x*"
