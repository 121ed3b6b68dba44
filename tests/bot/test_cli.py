"""The `briefbot` console script, run as a user runs it (a real process), against loopback feeds."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.content import article_page, items, rss
from tests.support.feedserver import FeedServer

BRIEFBOT = str(Path(sys.executable).with_name("briefbot"))


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = await FeedServer().start()
    yield srv
    await srv.close()


@pytest.fixture
def cli_env(tmp_path: Path, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FETCH_", "DATABASE_"))}
    env.update(DATABASE_URL=db_url, DATA_DIR=str(tmp_path / "data"), FETCH_ALLOW_PRIVATE="true",
               EXTRACT_WORKERS="1", FETCH_TOTAL_TIMEOUT_S="5")
    return env


async def cli(env: dict[str, str], *args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        BRIEFBOT, *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


def publish(server: FeedServer, name: str, n: int = 2) -> str:
    entries = items(server.url(""), name, n)
    for e in entries:
        server.set(f"/articles/{e.slug}", article_page(e.title, e.slug))
    return server.set(f"/feeds/{name}", rss(f"{name} feed", entries), content_type="application/rss+xml")


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]


async def test_source_lifecycle(cli_env: dict[str, str], server: FeedServer, tmp_path: Path) -> None:
    feed = publish(server, "wire")
    code, out, err = await cli(cli_env, "source", "add", feed)
    assert code == 0, err
    assert "Added source 1: wire feed (feed, every 10 min)" in out
    assert "2 new" in out and "backlog" in out

    code, out, _ = await cli(cli_env, "source", "list", "--json")
    [row] = json.loads(out)
    assert row["url"] == feed and row["articles"] == 2 and row["failure_count"] == 0

    code, out, _ = await cli(cli_env, "source", "add", feed)
    assert_one_line_error(code, _, "already a source")

    code, opml, _ = await cli(cli_env, "source", "export-opml")
    assert code == 0 and f'xmlUrl="{feed}"' in opml

    code, out, err = await cli(cli_env, "source", "remove", "1")
    assert code == 0 and "Removed source 1" in out
    code, out, err = await cli(cli_env, "source", "remove", "1")
    assert_one_line_error(code, err, "no source '1'")

    opml_file = tmp_path / "feeds.opml"
    other = publish(server, "other")
    opml_file.write_text(opml.replace("</body>", f'<outline text="o"><outline text="x" xmlUrl="{other}"/>'
                                                 '<outline text="bad" xmlUrl="ftp://nope.example/"/></outline></body>'))
    code, out, err = await cli(cli_env, "source", "import-opml", str(opml_file))
    assert code == 1, "one feed in the file is bad"
    assert "Imported 2 of 3 feeds." in out and "ftp://nope.example/" in err


async def test_poll_once_and_articles(cli_env: dict[str, str], server: FeedServer) -> None:
    feed = publish(server, "desk")
    assert (await cli(cli_env, "source", "add", feed))[0] == 0
    code, out, err = await cli(cli_env, "poll", "--once")
    assert code == 0, err
    assert "unchanged" in out
    code, out, _ = await cli(cli_env, "articles", "--json", "--limit", "5")
    rows = json.loads(out)
    assert {r["title"] for r in rows} == {"Desk story number 0", "Desk story number 1"}
    assert all(r["text"] and r["extraction"] == "page" for r in rows)


async def test_ingest_reports_each_bad_input_and_keeps_going(cli_env: dict[str, str], server: FeedServer,
                                                             tmp_path: Path) -> None:
    feed = publish(server, "mixed")
    missing = tmp_path / "missing.xml"
    code, out, err = await cli(cli_env, "ingest", feed, str(missing), "not a url at all", server.url("/nope"))
    assert code == 1
    assert "mixed feed" in out or "2 new" in out
    failures = [line for line in err.splitlines() if line.startswith("✗")]
    assert len(failures) == 3, err
    assert "Traceback" not in err
    code, out, _ = await cli(cli_env, "articles", "--json")
    assert len(json.loads(out)) == 2


async def test_refused_address_is_one_clear_line(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "FETCH_ALLOW_PRIVATE": "false"}
    code, out, err = await cli(env, "source", "add", "http://169.254.169.254/latest/meta-data/")
    assert_one_line_error(code, err, "error:")
    assert "169.254.169.254" in err


async def test_bad_url_and_bad_setting(cli_env: dict[str, str]) -> None:
    code, _, err = await cli(cli_env, "source", "add", "javascript:alert(1)")
    assert_one_line_error(code, err, "error:")
    code, _, err = await cli({**cli_env, "POLL_INTERVAL_S": "often"}, "source", "list")
    assert_one_line_error(code, err, "POLL_INTERVAL_S")


async def test_db_upgrade(cli_env: dict[str, str]) -> None:
    code, out, _ = await cli(cli_env, "db", "upgrade")
    assert code == 0 and "applied models.0001_initial" in out
    code, out, _ = await cli(cli_env, "db", "upgrade")
    assert code == 0 and "up to date" in out


async def test_run_without_token_polls_locally_and_stops_on_sigint(cli_env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        BRIEFBOT, "run", env=cli_env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    # the demo articles arrive, then their briefings once the models have loaded
    while not any(line.startswith("■ Researchers map a deep-sea vent field") for line in seen):
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=60)).decode()
        assert line, f"exited early: {seen}"
        seen.append(line)
    proc.send_signal(signal.SIGINT)
    rest, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    text = "".join(seen) + rest.decode()
    assert proc.returncode == 0, err.decode()
    assert text.splitlines()[0].startswith("DISCORD_TOKEN is not set: running locally")
    assert "Harbor City council approves tidal barrier" in text
    assert "No sources yet" in text
    assert "Mayor Ilse Brandvold" in text or "actors: " in text
    assert "stopped" in text


async def test_sync_without_a_token_is_one_clear_line(cli_env: dict[str, str]) -> None:
    code, _, err = await cli(cli_env, "sync")
    assert_one_line_error(code, err, "DISCORD_TOKEN is not set")
