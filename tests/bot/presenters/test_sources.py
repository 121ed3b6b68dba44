from __future__ import annotations

from datetime import timedelta

from bot.ingest.pipeline import NewArticle, PollReport
from bot.services.views import OpmlImport
from bot.presenters.sources import (
    present_opml_import,
    present_source_added,
    present_source_removed,
    present_sources,
)
from bot.presenters.text import render_text
from bot.services.sources import AddedSource, SourceHealth
from bot.storage.models import Source
from tests.bot.presenters.helpers import NASTY, T0, all_text, assert_valid


def health(i: int, *, status: str = "ok", title: str | None = "Example News", error: str | None = None) -> SourceHealth:
    return SourceHealth(
        id=i, url=f"https://news{i}.example.com/feed.xml", kind="feed", title=title, interval_s=600,
        last_success_at=None if status == "new" else T0 + timedelta(hours=i % 24),
        last_error=error or ("HTTP 503 from server" if status in ("failing", "disabled") else None),
        last_error_at=T0 if status in ("failing", "disabled") else None,
        failure_count={"failing": 3, "disabled": 8}.get(status, 0),
        disabled_reason="8 failures in a row" if status == "disabled" else None, articles=i * 3,
    )


def test_no_sources_says_how_to_add_one():
    reply = present_sources([])
    assert_valid(reply)
    assert "`/source add url`" in reply.content


def test_one_line_per_source_problems_first():
    rows = [health(1), health(2, status="new"), health(3, status="failing"), health(4, status="disabled")]
    reply = present_sources(rows)
    assert_valid(reply)
    assert reply.content == "4 sources: 1 ok, 1 new, 1 failing, 1 disabled."
    (e,) = reply.embeds
    lines = e.fields[0].value.split("\n")
    assert [line.split(" · ")[0] for line in lines] == ["**4** disabled", "**3** failing", "**2** new", "**1** ok"]
    assert lines[3] == ("**1** ok · [Example News](https://news1.example.com/feed.xml) · 3 articles · "
                        "last success <t:1714554000:R>")
    assert lines[2].endswith("no success yet")
    assert lines[1].endswith("last error (3×): HTTP 503 from server")
    assert "disabled: 8 failures in a row" in lines[0]


def test_long_errors_and_titles_are_escaped_and_cut():
    reply = present_sources([health(1, status="failing", title=NASTY * 3, error=NASTY * 5)])
    assert_valid(reply)
    line = reply.embeds[0].fields[0].value
    assert "\\*\\*bold\\*\\*" in line and "…" in line and len(line) < 500


def test_two_hundred_sources():
    rows = [health(i, status=("ok", "new", "failing", "disabled")[i % 4], title=f"Source number {i} " + "x" * 40)
            for i in range(1, 201)]
    reply = present_sources(rows)
    assert_valid(reply)
    text = all_text(reply)
    shown = text.count("](https://")
    assert 10 < shown < 200
    assert f"… and {200 - shown} more sources" in text
    assert f"Showing {shown}, and {200 - shown} more." in reply.content
    assert len(reply.embeds[0].fields) > 1


def source(**kw) -> Source:
    fields = {"id": 12, "url": "https://x.example.com/rss.xml", "title": "X *News*", "kind": "feed",
              "interval_s": 600, "site_url": "https://x.example.com/"}
    return Source(**{**fields, **kw})


def test_source_added():
    new = [NewArticle(i, f"Story {i}", f"https://x.example.com/{i}", False, "full") for i in range(3)]
    report = PollReport(12, "https://x.example.com/rss.xml", new=new, duplicates=1, seen=4)
    reply = present_source_added(AddedSource(source(), report))
    assert_valid(reply)
    lines = reply.content.split("\n")
    assert lines[0] == "Added source **12**: [X \\*News\\*](https://x.example.com/) (feed, every 10 min)."
    assert lines[1] == "Feed: <https://x.example.com/rss.xml>"
    assert lines[2].startswith("First poll: 3 new, 1 duplicate, 4 seen.")
    assert lines[3] == "• [Story 0](https://x.example.com/0)"


def test_source_added_with_many_articles_and_a_failure():
    report = PollReport(12, "u", new=[NewArticle(i, "T " * 100, f"https://x.example.com/{i}", True, "full")
                                      for i in range(200)])
    reply = present_source_added(AddedSource(source(site_url=None, title=None), report))
    assert_valid(reply)
    assert "… and" in reply.content and reply.content.startswith(
        "Added source **12**: [https://x.example.com/rss.xml](https://x.example.com/rss.xml)")
    failed = PollReport(12, "u", ok=False, error="HTTP 404 *not found*", disabled=True)
    reply = present_source_added(AddedSource(source(interval_s=30), failed))
    assert_valid(reply)
    assert "(feed, every 30 s)" in reply.content
    assert "First poll failed: HTTP 404 \\*not found\\*" in reply.content
    assert "disabled" in reply.content
    unchanged = present_source_added(AddedSource(source(), PollReport(12, "u", not_modified=True)))
    assert "nothing changed" in unchanged.content


def test_source_removed():
    reply = present_source_removed(source())
    assert_valid(reply)
    assert reply.content == "Removed source **12**: [X \\*News\\*](https://x.example.com/rss.xml)."


def test_opml_import():
    result = OpmlImport(added=((1, "Alpha *News*"), (2, "https://b.example.com/feed")),
                            failed=(("https://c.example.com/x", "HTTP 404"), ("not a url", "bad URL")), total=4)
    reply = present_opml_import(result)
    assert_valid(reply)
    assert reply.content == "Imported 2 of 4 feeds. 2 failed."
    fields = {f.name: f.value for f in reply.embeds[0].fields}
    assert fields["Added (2)"] == "**1** Alpha \\*News\\*\n**2** https://b.example.com/feed"
    assert fields["Failed (2)"] == "<https://c.example.com/x> — HTTP 404\nnot a url — bad URL"


def test_opml_import_at_the_limits():
    result = OpmlImport(added=tuple((i, f"Feed {i} " + NASTY) for i in range(200)),
                            failed=tuple((f"https://f{i}.example.com/" + "p" * 100, "timed out " * 20)
                                         for i in range(50)),
                            total=260)
    reply = present_opml_import(result)
    assert_valid(reply)
    text = all_text(reply)
    assert "Imported 200 of 260 feeds. 50 failed. 10 skipped." == reply.content
    assert text.count("… and") == 2  # both lists say how many more
    assert any(f.name.startswith("Failed") for f in reply.embeds[0].fields)


def test_opml_import_of_nothing():
    assert "no feeds" in present_opml_import(OpmlImport((), (), 0)).content


def test_renders_as_text():
    out = render_text(present_sources([health(1), health(3, status="failing")]), width=300)
    assert "1 ok · Example News <https://news1.example.com/feed.xml> · 3 articles · last success" in out
    assert "2024-05-01 09:00 UTC" in out
    assert "\\" not in out and "**" not in out
    out = render_text(present_source_added(AddedSource(source(), PollReport(12, "u"))))
    assert out.startswith("Added source 12: X *News* <https://x.example.com/> (feed, every 10 min).")
    out = render_text(present_opml_import(OpmlImport(((1, "A_b"),), (("ftp://x", "bad"),), 2)))
    assert "Added (1): 1 A_b" in out and "Failed (1): ftp://x — bad" in out


def test_poll_counts_say_what_failed_and_what_waits_for_the_next_poll() -> None:
    from bot.ingest.pipeline import PollReport
    from bot.presenters.sources import poll_counts

    report = PollReport(source_id=1, url="https://f.example/feed", duplicates=2, seen=3, failed=1, held_back=49_800)
    assert poll_counts(report) == "0 new, 2 duplicate, 3 seen, 1 failed (see /why), 49,800 more on the next polls"
    assert poll_counts(PollReport(source_id=1, url="u")) == "0 new, 0 duplicate, 0 seen"
