from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.presenters import message as m
from bot.presenters.message import (
    Button,
    Embed,
    Field,
    File,
    Reply,
    escape_markdown,
    escape_truncate,
    fit_embeds,
    link,
    pack_fields,
    pack_lines,
    safe_url,
    split_text,
    truncate,
    truncate_markdown,
    unescape_markdown,
)
from bot.presenters.text import plain
from tests.bot.presenters.helpers import LONG_TITLE, NASTY, assert_valid


def test_limits_are_discords():
    assert (m.CONTENT_LIMIT, m.EMBED_TITLE_LIMIT, m.EMBED_DESCRIPTION_LIMIT) == (2000, 256, 4096)
    assert m.EMBED_FIELDS_LIMIT == 25
    assert (m.FIELD_NAME_LIMIT, m.FIELD_VALUE_LIMIT, m.FOOTER_LIMIT, m.AUTHOR_LIMIT) == (256, 1024, 2048, 256)
    assert (m.EMBED_TOTAL_LIMIT, m.EMBEDS_PER_MESSAGE, m.AUTOCOMPLETE_CHOICES, m.CHOICE_LIMIT) == (6000, 10, 25, 100)
    assert (m.THREAD_NAME_LIMIT, m.BUTTON_LABEL_LIMIT, m.CUSTOM_ID_LIMIT) == (100, 80, 100)


# --- truncate ---

def test_truncate_leaves_short_text_alone():
    assert truncate("short", 5) == "short"
    assert truncate("", 3) == ""


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 10, 57, 100, 255])
def test_truncate_never_exceeds(limit):
    text = "word " * 100
    out = truncate(text, limit)
    assert len(out) <= limit
    if limit > 1:
        assert out.endswith("…")


def test_truncate_cuts_at_a_word_boundary():
    assert truncate("The quick brown fox jumps over the lazy dog", 20) == "The quick brown fox…"
    assert truncate("The quick brown fox", 12, ellipsis="...") == "The quick..."


def test_truncate_cuts_hard_without_spaces():
    assert truncate("x" * 50, 10) == "x" * 9 + "…"


def test_truncate_drops_a_dangling_escape():
    out = truncate(escape_markdown("aaaa*bbbb"), 6)
    assert out == "aaaa…"


def test_truncate_markdown_keeps_links_whole():
    text = "see " + link("a long label here", "https://example.com/" + "x" * 50) + " and more"
    for limit in range(5, len(text)):
        out = truncate_markdown(text, limit)
        assert len(out) <= limit
        assert "](" not in out or out.count("](") == out.count(")")
        assert not re.search(r"\[[^\]]*$", out.replace("\\[", ""))


# --- escaping ---

SPECIALS = "\\*_~`|>#-[]()<"


@pytest.mark.parametrize("ch", list(SPECIALS))
def test_escape_markdown_escapes_each_special(ch):
    assert escape_markdown(f"a{ch}b") == f"a\\{ch}b"


@pytest.mark.parametrize("text", [
    NASTY, "**bold**", "__under__", "~~gone~~", "`x`", "||spoiler||", "> quote", "# Heading", "## Sub",
    "-# small", "- item", "* item", "+ item", "1. first\n2. second", "  3. indented", "[label](https://x.y)",
    "C:\\path\\*.txt", "<@123> <#456> <:emoji:789> <t:1700000000:R>", "a\\", "\\\\", "@everyone @here",
    "snake_case_name", "1.5 million", "é ü 日本語 😀",
])
def test_escape_markdown_round_trips(text):
    escaped = escape_markdown(text)
    assert unescape_markdown(escaped) == text
    assert plain(escaped) == text


def test_escape_markdown_leaves_no_live_markdown():
    escaped = escape_markdown(NASTY + "\n1. one\n+ two")
    bare = re.sub(r"\\.", "", escaped)  # drop every escaped character
    assert not set(bare) & set(SPECIALS)
    assert "1\\. one" in escaped and "\\+ two" in escaped


def test_escape_markdown_keeps_ordinary_text():
    assert escape_markdown("Talks resume, 1.5 million people wait.") == "Talks resume, 1.5 million people wait."


def test_escape_truncate_fits_after_escaping():
    text = "*" * 500
    for limit in (1, 2, 3, 10, 99, 256):
        out = escape_truncate(text, limit)
        assert len(out) <= limit
        assert (len(out) - len(out.rstrip("\\"))) % 2 == 0
    out = escape_truncate(LONG_TITLE, 256)
    assert len(out) <= 256 and out.startswith("\\*\\*bold\\*\\*") and out.endswith("…")


# --- links ---

def test_link_makes_a_masked_link_with_an_escaped_label():
    assert link("Reuters", "https://reuters.com/a") == "[Reuters](https://reuters.com/a)"
    assert link("**Big** [news]", "https://x.org/") == "[\\*\\*Big\\*\\* \\[news\\]](https://x.org/)"


def test_link_labels_with_unpaired_brackets_use_parentheses():
    assert link("[Video] Talks", "https://x.org/") == "[\\[Video\\] Talks](https://x.org/)"
    assert link("a ] b [", "https://x.org/") == "[a \\) b \\(](https://x.org/)"
    assert link("[[x]]", "https://x.org/") == "[\\(\\(x\\)\\)](https://x.org/)"


def test_link_percent_encodes_unsafe_url_characters():
    out = link("A", "https://x.org/a b(c)>d<e\"f")
    assert out == "[A](https://x.org/a%20b%28c%29%3Ed%3Ce%22f)"
    assert " " not in out and out.count(")") == 1


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.org/f", "data:text/html,hi", "//x.org",
                                 "x.org/a", "", None, "https://", "http:///path"])
def test_link_shows_other_urls_as_plain_text(url):
    assert link("Label *x*", url) == "Label \\*x\\*"


def test_link_without_label_uses_the_url():
    assert link("  ", "https://x.org/a") == "[https://x.org/a](https://x.org/a)"


def test_link_skips_absurdly_long_urls():
    assert link("A", "https://x.org/" + "a" * 600) == "A"


def test_safe_url():
    assert safe_url(" https://x.org/a ") == "https://x.org/a"
    assert safe_url("HTTPS://x.org/") == "HTTPS://x.org/"
    assert safe_url("mailto:a@b.c") is None
    assert safe_url("http://[::1]:8080/a[1]") == "http://[::1]:8080/a%5B1%5D"


# --- split_text ---

def test_split_text_short_is_one_piece():
    assert split_text("Hello. World.") == ["Hello. World."]
    assert split_text("   ") == []


def test_split_text_at_sentence_boundaries():
    sentences = [f"Sentence number {i} says something moderately long about the talks." for i in range(200)]
    text = " ".join(sentences)
    pieces = split_text(text, 2000)
    assert len(pieces) > 1
    assert all(len(p) <= 2000 for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces) == text


def test_split_text_falls_back_to_whitespace_then_hard():
    words = "word " * 1000
    pieces = split_text(words, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert " ".join(pieces).split() == words.split()
    hard = split_text("x" * 450, 100)
    assert [len(p) for p in hard] == [100, 100, 100, 100, 50]


def test_split_text_prefers_paragraphs():
    text = "a" * 1200 + ".\n\n" + "b" * 700 + ". " + "c" * 500 + "."
    assert split_text(text, 2000)[0] == "a" * 1200 + "."


def test_split_text_does_not_cut_links_or_escapes():
    lnk = link("a label with many words in it", "https://x.org/y")
    text = ("filler " * 13) + lnk + " tail"
    for limit in range(60, 130, 3):
        for piece in split_text(text, limit):
            assert len(piece) <= limit
            assert piece.count("[") == piece.count("]")
    for piece in split_text(escape_markdown("*" * 301), 100):
        assert len(piece) <= 100 and (len(piece) - len(piece.rstrip("\\"))) % 2 == 0
    with pytest.raises(ValueError):
        split_text("x", 0)


# --- packing ---

def test_pack_lines_says_how_many_more():
    lines = [f"line {i}" for i in range(100)]
    text, shown = pack_lines(lines, 100)
    assert len(text) <= 100 and text.endswith(f"… and {100 - shown} more")
    assert pack_lines(lines[:3], 100) == ("line 0\nline 1\nline 2", 3)
    text, shown = pack_lines(["x" * 500, "y"], 100)
    assert len(text) <= 100 and shown == 1 and text.endswith("… and 1 more")


def test_pack_fields_spreads_lines_within_budget():
    lines = [f"Line {i} " + "x" * 80 for i in range(200)]
    fields, shown = pack_fields("Things", lines, budget=5000, cont="More things")
    assert fields[0].name == "Things" and fields[1].name == "More things"
    assert all(len(f.value) <= 1024 for f in fields)
    assert sum(len(f.name) + len(f.value) for f in fields) <= 5000
    assert fields[-1].value.endswith(f"… and {200 - shown} more")
    fields, shown = pack_fields("Few", lines[:3], budget=5000)
    assert shown == 3 and len(fields) == 1 and "more" not in fields[0].value
    fields, shown = pack_fields("Many", lines, budget=6000, max_fields=2)
    assert len(fields) == 2 and fields[-1].value.endswith(f"… and {200 - shown} more")


# --- the model ---

def test_embed_to_dict_and_total_chars():
    e = Embed(title="T", url="https://x.org", description="D", fields=(Field("n", "v", True),), footer="F",
              author="A", color=1, timestamp=datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=2))),
              image_filename="mentions.png")
    assert e.to_dict() == {
        "type": "rich", "title": "T", "url": "https://x.org", "description": "D",
        "fields": [{"name": "n", "value": "v", "inline": True}], "footer": {"text": "F"}, "author": {"name": "A"},
        "color": 1, "timestamp": "2024-05-01T08:00:00+00:00", "image": {"url": "attachment://mentions.png"},
    }
    assert e.total_chars() == 6
    assert Embed(description="x", timestamp=datetime(2024, 1, 1)).to_dict()["timestamp"] == "2024-01-01T00:00:00+00:00"


def test_button_checks_its_limits():
    Button("a" * 100, "b" * 80)
    with pytest.raises(ValueError):
        Button("a" * 101, "ok")
    with pytest.raises(ValueError):
        Button("ok", "b" * 81)
    with pytest.raises(ValueError):
        Button("", "ok")


# --- fit_embeds ---

def test_fit_embeds_clamps_each_embed():
    fields = tuple(Field(f"n{i}" * 200, "v " * 1000) for i in range(30))
    e = Embed(title="t" * 300, description="d " * 3000, fields=fields,
              footer="f" * 3000, author="a" * 300, url="javascript:x")
    (out,) = fit_embeds([e])
    assert_valid(Reply(embeds=(out,)))
    assert out.url is None and len(out.fields) <= 25


def test_fit_embeds_keeps_ten_and_trims_the_last_first():
    embeds = [Embed(title=f"Story {i}", description=f"{i} " + "word " * 200) for i in range(12)]
    out = fit_embeds(embeds)
    assert len(out) == 10
    assert sum(e.total_chars() for e in out) <= 6000
    assert out[0] == embeds[0] and out[3] == embeds[3]  # the first ones untouched
    assert len(out[-1].description or "") < len(embeds[9].description or "")
    assert_valid(Reply(embeds=out))


def test_fit_embeds_drops_whole_embeds_when_trimming_is_not_enough():
    big = Embed(title="Big", description="x " * 2000, fields=tuple(Field(f"F{i}", "y " * 500) for i in range(25)))
    out = fit_embeds([big, big, big])
    assert_valid(Reply(embeds=out))
    assert out[0].title == "Big"


def test_fit_embeds_drops_empty_embeds_and_fills_blank_fields():
    out = fit_embeds([Embed(), Embed(title="x", fields=(Field(" ", ""),))])
    assert len(out) == 1 and out[0].fields[0].name.strip() and out[0].fields[0].value.strip()


def test_fit_embeds_never_breaks_links():
    lines = "\n".join(link(f"Outlet {i}", f"https://example.com/{i}/" + "p" * 40) for i in range(200))
    out = fit_embeds([Embed(title=str(i), description=lines) for i in range(10)])
    assert_valid(Reply(embeds=out))


def test_reply_defaults():
    r = Reply(content="x")
    assert (r.embeds, r.files, r.buttons, r.ephemeral) == ((), (), (), False)
    assert File("a.png", b"x").description is None
    assert Embed(title="x").to_dict()["type"] == "rich"
    assert m.utc(datetime(2024, 1, 1)).tzinfo is UTC
