from __future__ import annotations

from bot.presenters.errors import present_error
from bot.presenters.text import render_text
from tests.bot.presenters.helpers import NASTY, assert_valid


def test_error_is_one_short_ephemeral_line():
    reply = present_error("no source 'x'; `source list` shows the ids")
    assert_valid(reply)
    assert reply.ephemeral and not reply.embeds
    assert reply.content == "no source 'x'; \\`source list\\` shows the ids"


def test_long_error_is_cut_and_escaped():
    reply = present_error(NASTY * 10 + "\nsecond line")
    assert_valid(reply)
    assert len(reply.content) <= 300 and "\n" not in reply.content and reply.content.endswith("…")
    assert reply.content.startswith("\\*\\*bold\\*\\*")


def test_empty_error():
    assert present_error("  ").content == "Something went wrong."


def test_renders_as_text():
    assert render_text(present_error("bad *url*")) == "bad *url*\n"
