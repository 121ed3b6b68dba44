from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.presenters.actors import present_actor
from bot.presenters.answers import present_answer
from bot.presenters.briefs import present_brief
from bot.presenters.errors import present_error
from bot.presenters.message import Button, Embed, Field, File, Reply, escape_markdown, link
from bot.presenters.statements import present_statements
from bot.presenters.text import plain, render_text
from bot.presenters.why import present_why
from bot.services.views import AnswerView, ArticleTrace, BriefResult, NumberedCitation, StatementPage, TraceStep
from tests.bot.presenters.helpers import T0, actor, article, profile, statement, story

# Feed text full of markdown, without backslashes (so any backslash in the output is a leftover escape).
MARKY = "**Big** _news_ ~~x~~ `y` ||z|| > q # h - d [a](https://e.x/) <@1> (p) 1. + @everyone"


def test_plain_undoes_escapes_links_timestamps_and_bold():
    md = f"**{escape_markdown('A*b')}** {link('Label [1]', 'https://x.org/a b')} at <t:1714550400:R>, `cmd`"
    assert plain(md) == "A*b Label [1] <https://x.org/a%20b> at 2024-05-01 08:00 UTC, cmd"
    assert plain("\\[1\\]\\(x\\)") == "[1](x)"
    assert plain("[not a link](ftp://x)") == "[not a link](ftp://x)"


def test_render_text_layout():
    reply = Reply(
        content="Hello **there**",
        embeds=(Embed(title="Title \\*", url="https://x.org/", description="Line one\nLine two", author="Author",
                      fields=(Field("Short", "value"), Field("Multi", "a\nb")), footer="Foot \\* plain"),),
        files=(File("mentions.png", b"x" * 42),),
        buttons=(Button("p:0", "◀ Newer", disabled=True), Button("p:2", "Older ▶")),
    )
    assert render_text(reply) == (
        "Hello there\n\n"
        "Author\nTitle * <https://x.org/>\n------------------------\nLine one\nLine two\n\n"
        "Short: value\n\nMulti:\n  a\n  b\n\nFoot \\* plain\n\n"
        "(attached: mentions.png, 42 bytes)\n\n"
        "[Older ▶]\n"
    )


def test_render_text_wraps_to_width():
    reply = Reply(content="word " * 100 + link("label", "https://example.com/" + "x" * 150))
    lines = render_text(reply, width=40).splitlines()
    assert all(len(line) <= 40 or "https://" in line for line in lines)
    assert lines[-1].endswith("x>")


def _replies() -> list[Reply]:
    st = statement(text=MARKY, speaker=MARKY)
    s = story(title=MARKY, briefing=MARKY, st=st, reason=MARKY)
    page = StatementPage(actor(1, MARKY), (st, statement(2, text=MARKY, kind="indirect")), 0, 2, 12, MARKY, T0)
    answer = AnswerView("q", True, MARKY + " [1].", (NumberedCitation(1, "x", article(1, title=MARKY, outlet=MARKY)),))
    trace = ArticleTrace(url="https://x.org/a", found=True, article=article(1, title=MARKY), summary=MARKY,
                         story_id=1, story_title=MARKY, story_sources=2,
                         steps=(TraceStep(datetime(2024, 5, 1, tzinfo=UTC), "fetch", MARKY, MARKY, MARKY),),
                         stopped_at=MARKY)
    return [present_brief(BriefResult((s,), MARKY, T0)), present_actor(profile(name=MARKY), b"png"),
            present_statements(page, custom_id_prefix="s"), present_answer(answer), present_why(trace),
            present_error(MARKY)]


@pytest.mark.parametrize("index", range(6))
def test_every_presenter_reads_naturally_as_text(index):
    out = render_text(_replies()[index], width=1000)
    assert "\\" not in out
    assert MARKY in out  # feed text comes back exactly as written
    assert out.count("](") == out.count("[a](https://e.x/")  # the only "](" left is the feed's own text
    assert "<https://" in out or index == 5  # links read "label <url>"


def test_presenters_import_no_discord_database_or_pyplot():
    import subprocess
    import sys

    code = ("import sys, bot.presenters.briefs, bot.presenters.actors, bot.presenters.statements, "
            "bot.presenters.sources, bot.presenters.answers, bot.presenters.why, bot.presenters.errors, "
            "bot.presenters.text; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'discord', 'tortoise', 'matplotlib', 'bot'}), 'bot.storage.models' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['bot'] False"
