from __future__ import annotations

import re

from bot.presenters.briefs import present_brief, story_embed
from bot.presenters.text import plain, render_text
from bot.services.views import BriefResult
from tests.bot.presenters.helpers import LONG_TITLE, NASTY, T0, all_text, assert_valid, statement, story


def brief(*stories, topic: str | None = "iran", suggestion: str | None = None) -> BriefResult:
    return BriefResult(tuple(stories), topic, T0, suggestion)


def test_one_story():
    reply = present_brief(brief(story(reason="topic Iran 0.82; actors Iran, Israel")))
    assert_valid(reply)
    assert reply.content == "Latest stories on **iran** since <t:1714550400:f>."
    (e,) = reply.embeds
    assert e.title == "Ceasefire talks resume"
    assert e.url == "https://news1.example.com/world/1"
    assert e.description == "Negotiators met again on Monday."
    fields = {f.name: f.value for f in e.fields}
    assert fields["Sources (3)"] == " · ".join(f"[Outlet {i}](https://news{i}.example.com/world/{i})"
                                               for i in (1, 2, 3))
    assert fields["Key actors"] == "Actor 1 \\(ORG\\), Actor 2 \\(PERSON\\), Actor 3 \\(ORG\\)"
    assert fields["Strongest statement"] == ("“We will not back down” — Jane Doe, "
                                             "[Reuters](https://news1.example.com/world/1)")
    assert fields["Why it matched"] == "topic Iran 0.82; actors Iran, Israel"
    assert e.footer == "Story 1 · first seen 2024-05-01 08:00 UTC · last seen 13:00 UTC"


def test_no_topic():
    reply = present_brief(brief(story(), topic=None))
    assert reply.content.startswith("Latest stories since <t:")


def test_nothing_found_says_so_with_the_suggestion():
    reply = present_brief(brief(topic="iran *talks*", suggestion="Try a broader topic, or since: 7d."))
    assert_valid(reply)
    assert not reply.embeds
    assert reply.content == ("No stories on **iran \\*talks\\*** since <t:1714550400:f>. "
                             "Try a broader topic, or since: 7d.")
    reply = present_brief(brief(topic=None))
    assert reply.content == "No new stories since <t:1714550400:f>."


def test_title_is_escaped_and_truncated():
    reply = present_brief(brief(story(title=LONG_TITLE, briefing=NASTY)))
    assert_valid(reply)
    e = reply.embeds[0]
    assert len(e.title) <= 256 and e.title.endswith("…")
    assert e.title.startswith("\\*\\*bold\\*\\* \\_it\\_")
    assert plain(e.title).startswith("**bold** _it_ ~~strike~~ `code` ||spoiler||")
    assert "\\<script\\>" in e.title and "\\<@123\\>" in e.title
    assert plain(e.description) == NASTY.strip()


def test_twelve_stories_show_ten_and_say_how_many_more():
    stories = [story(i, title=f"Story {i} " + LONG_TITLE, briefing="Long briefing sentence. " * 400, links=200,
                     actors=40, st=statement(text="quote " * 300), reason="because " * 200) for i in range(12)]
    reply = present_brief(brief(*stories))
    assert_valid(reply)
    assert len(reply.embeds) == 10
    assert "and 2 more" in reply.content
    for e in reply.embeds:
        names = [f.name for f in e.fields]
        assert names[0] == "Sources (200)"
        assert e.title and e.description
        assert re.search(r"\+\d+ more$", e.fields[0].value)


def test_long_briefing_and_many_sources_in_one_story():
    s = story(briefing="A sentence about the talks. " * 400, links=200, actors=40)
    reply = present_brief(brief(s))
    assert_valid(reply)
    e = reply.embeds[0]
    assert 1000 < len(e.description) <= 4096 and e.description.endswith("…")
    sources = e.fields[0]
    assert sources.name == "Sources (200)" and len(sources.value) <= 1024
    shown = sources.value.count("](")
    assert sources.value.endswith(f"+{200 - shown} more")
    actors = next(f for f in e.fields if f.name == "Key actors")
    assert actors.value.count("\\(") == 8 and actors.value.endswith("+32 more")


def test_sources_count_beyond_the_links():
    e = story_embed(story(links=2, sources=5))
    assert e.fields[0].name == "Sources (5)" and e.fields[0].value.endswith(" · +3 more")


def test_story_without_links_statement_or_actors():
    s = story(links=0, actors=0, sources=4)
    s = type(s)(**{**{f: getattr(s, f) for f in s.__slots__}, "statement": None})
    reply = present_brief(brief(s))
    assert_valid(reply)
    e = reply.embeds[0]
    assert e.url is None
    assert [f.name for f in e.fields] == ["Sources (4)"]
    assert e.fields[0].value == "+4 more"


def test_indirect_and_long_statements():
    e = story_embed(story(st=statement(text="that the talks had failed", kind="indirect", speaker="Iran's *FM*")))
    value = next(f.value for f in e.fields if f.name == "Strongest statement")
    assert value == "Iran's \\*FM\\* said that the talks had failed — [Reuters](https://news1.example.com/world/1)"
    e = story_embed(story(st=statement(text="word " * 400, speaker=None)))
    value = next(f.value for f in e.fields if f.name == "Strongest statement")
    assert value.startswith("“word word") and "…” — [Reuters]" in value and len(value) < 400


def test_outlet_names_are_escaped():
    s = story()
    links = tuple(type(a)(a.article_id, a.url, a.title, "The *Daily* [Mail]", a.published_at) for a in s.links)
    e = story_embed(type(s)(**{**{f: getattr(s, f) for f in s.__slots__}, "links": links}))
    assert "[The \\*Daily\\* \\[Mail\\]](https://news1.example.com/world/1)" in e.fields[0].value


def test_renders_as_text():
    out = render_text(present_brief(brief(story(title="**Big** news"))), width=300)
    assert "**Big** news <https://news1.example.com/world/1>" in out
    assert "Sources (3): Outlet 1 <https://news1.example.com/world/1> · Outlet 2" in out
    assert "Latest stories on iran since 2024-05-01 08:00 UTC." in out
    assert "\\" not in out
    assert "more" not in all_text(present_brief(brief(story())))
    narrow = render_text(present_brief(brief(story(links=30))), width=60)
    assert "12 <https://news12.example.com/world/12>" in narrow
    assert all(len(line) <= 60 or "<https://" in line for line in narrow.splitlines())
