"""Issue 10 on the command line, run as a user runs it (a real process, loopback feeds): outside
text prints as itself (defect 6), file inputs are capped (15), the source limit holds for OPML
imports (11), ids that no column holds are "not found" (14), and intervals read right."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from bot.cli import out, print_briefings, print_report
from bot.ingest.pipeline import NewArticle, PollReport
from bot.services.analysis import AnalysedArticle
from tests.bot.test_cli import assert_one_line_error, cli, cli_env, publish, server  # noqa: F401 - fixtures
from tests.support.content import Item, article_page, items, rss
from tests.support.feedserver import FeedServer

HOSTILE = ("[/]", "x\\[/]", "[link=https://evil.example/]Click[/link]", "[bold red]loud[/] :smile:", "a \\")


def hostile_feed(server: FeedServer, name: str = "hostile") -> str:
    """A feed titled ``[/]`` whose items' titles are Rich markup, each with its article page."""
    entries = [Item(f"{name}-{i}", f"{title} ({i})", server.url(f"/articles/{name}-{i}"), e.published)
               for i, (title, e) in enumerate(zip(HOSTILE, items(server.url(""), name, len(HOSTILE)), strict=True))]
    for e in entries:
        server.set(f"/articles/{e.slug}", article_page(e.title, e.slug))
    return server.set(f"/feeds/{name}", rss("[/]", entries), content_type="application/rss+xml")


def assert_verbatim(text: str) -> None:
    assert "Traceback" not in text
    for i, title in enumerate(HOSTILE):
        assert f"{title} ({i})" in text, (title, text)


async def test_outside_text_prints_as_itself_in_every_command(cli_env: dict[str, str], server: FeedServer,
                                                              tmp_path: Path) -> None:
    env = {**cli_env, "COLUMNS": "250"}
    feed = hostile_feed(server)
    code, out_, err = await cli(env, "source", "add", feed)
    assert code == 0, err
    assert "Added source 1: [/] (feed, every 10 min)" in out_
    assert_verbatim(out_ + err)
    code, out_, err = await cli(env, "source", "list")
    assert code == 0 and "[/]" in out_, err
    code, out_, err = await cli(env, "articles")
    assert code == 0, err
    assert_verbatim(out_)
    saved = tmp_path / "saved.xml"
    saved.write_bytes(rss("[/]", [Item(f"s-{i}", f"{t} ({i})", f"https://saved.example/{i}", e.published, "x")
                                  for i, (t, e) in enumerate(zip(HOSTILE, items("", "s", 5), strict=True))]))
    code, out_, err = await cli(env, "ingest", "--no-pages", str(saved))
    assert code == 0, err
    assert_verbatim(out_)


def test_the_local_run_printer_prints_outside_text_as_itself() -> None:
    """`briefbot run` (local) prints each analysed article; its text is the publisher's."""
    done = [AnalysedArticle(i, f"{t} ({i})", f"https://x.example/{i}", f"summary {t}", (t,), 1, 1, False, True)
            for i, t in enumerate(HOSTILE)]
    done.append(AnalysedArticle(9, "t", "https://x.example/[/]", "", (), 0, None, False, True, error="[/] failed"))
    report = PollReport(1, "https://x.example/[/]", new=[NewArticle(1, "[/] (0)", "https://x.example/1", False, "page")])
    with out.capture() as captured:
        print_briefings(done)
        print_report(report)
    text = captured.get()
    assert_verbatim(text)
    assert "summary [link=https://evil.example/]Click[/link]" in text and "actors: [/]" in text
    assert isinstance(out, Console) and not out._markup  # noqa: SLF001 - the mechanism: markup is off


async def test_an_interval_under_a_minute_reads_in_seconds(cli_env: dict[str, str], server: FeedServer) -> None:
    code, out_, err = await cli({**cli_env, "POLL_INTERVAL_S": "30"}, "source", "add", publish(server, "fast"))
    assert code == 0, err
    assert "(feed, every 30 s)" in out_


async def test_files_are_read_up_to_a_cap(cli_env: dict[str, str], server: FeedServer, tmp_path: Path) -> None:
    """`/dev/zero` is refused at once, not read until memory runs out."""
    code, _, err = await cli(cli_env, "source", "import-opml", "/dev/zero")
    assert_one_line_error(code, err, "larger than 1 MB")
    huge = tmp_path / "huge.xml"
    huge.write_bytes(b" " * (5 * 1024 * 1024 + 1))
    code, out_, err = await cli(cli_env, "ingest", "/dev/zero", str(huge), str(tmp_path), publish(server, "ok"))
    assert code == 1
    failures = [line for line in err.splitlines() if line.startswith("✗")]
    assert len(failures) == 3 and "Traceback" not in err, err
    assert "/dev/zero: cannot read /dev/zero: not a regular file" in err
    assert "larger than 5 MB" in err and "it is a folder" in err
    assert "2 new" in out_


async def test_opml_import_keeps_to_the_source_limit(cli_env: dict[str, str], server: FeedServer,
                                                     tmp_path: Path) -> None:
    env = {**cli_env, "MAX_SOURCES_PER_GUILD": "5"}
    for name in ("a", "b", "c"):
        assert (await cli(env, "source", "add", publish(server, name, 1)))[0] == 0
    new = [publish(server, f"new{i}", 1) for i in range(5)]
    opml = tmp_path / "feeds.opml"
    opml.write_text('<opml version="2.0"><body>' + "".join(f'<outline xmlUrl="{u}"/>' for u in new) + "</body></opml>")
    code, out_, err = await cli(env, "source", "import-opml", str(opml))
    assert code == 1 and "Imported 2 of 5 feeds." in out_, out_ + err
    refused = [line for line in err.splitlines() if "the most allowed" in line]
    assert len(refused) == 3 and "Traceback" not in err
    code, out_, _ = await cli(env, "source", "list", "--json")
    assert len(json.loads(out_)) == 5


async def test_ids_beyond_any_column_are_not_found(cli_env: dict[str, str], server: FeedServer) -> None:
    assert (await cli(cli_env, "source", "add", publish(server, "one", 1)))[0] == 0
    for ref in (str(2**31), "9" * 40):  # past int32 (the id columns) and past 64 bits
        for action in ("remove", "enable"):
            code, _, err = await cli(cli_env, "source", action, ref)
            assert_one_line_error(code, err, "no source")
    code, _, err = await cli(cli_env, "source", "add", publish(server, "two", 1), "--interval", "99999999")
    assert code != 0 and "Traceback" not in err
