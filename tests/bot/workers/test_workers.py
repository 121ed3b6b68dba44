"""Briefbot as several processes: the roles a `briefbot run` takes, SQLite kept to one long-running
process (a second one and a subset of roles are refused with one line), the registry of workers
(live, gone when they stop beating, stopped) and `briefbot status`; on PostgreSQL, two analyser
processes share the work, each article analysed once, and a killed one is shown gone."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.ingest.pipeline import utcnow
from bot.storage.models import Article, PipelineEvent, Source, Worker
from bot.workers.registry import WorkerRegistry
from bot.workers.roles import ALL, parse_roles
from bot.workers.status import StatusService
from tests.bot.services.test_analysis_hostile import _article
from tests.summarizer.fixtures.story_pairs import JOIN, SPLIT
from tests.support.botproc import BotProcess, bot_env, run_once


def test_roles_are_parsed_and_an_unknown_one_is_refused() -> None:
    assert parse_roles(None) == ALL and parse_roles("") == ALL
    assert parse_roles("gateway, deliver") == {"gateway", "deliver"} and parse_roles("analyze") == {"analyse"}
    with pytest.raises(ConfigError, match="unknown role 'fetch': choose from gateway, poll, analyse, deliver"):
        parse_roles("poll,fetch")


def test_on_sqlite_a_second_run_and_a_subset_of_roles_are_refused(tmp_path: Path) -> None:
    env = bot_env({}, DATABASE_URL=f"sqlite://{tmp_path / 'bot.sqlite3'}", DATA_DIR=str(tmp_path / "data"),
                  MODEL_THREADS="1", EXTRACT_WORKERS="1", WORKER_HEARTBEAT_S="1", LOG_LEVEL="INFO")
    first = BotProcess(env, "run").start()
    try:
        first.wait_log("running locally", timeout=120)
        for _ in range(60):  # registered once the database is open
            if json.loads(run_once(env, "status", "--json").stdout)["workers"]:
                break
        second = run_once(env, "run")
        assert second.returncode != 0
        assert f"another `briefbot run` (pid {first.proc.pid} on " in second.stderr  # type: ignore[union-attr]
        assert "stop it first, or use PostgreSQL to run several processes" in second.stderr
        subset = run_once(env, "run", "--roles", "analyse")
        assert subset.returncode != 0 and "--roles analyse needs PostgreSQL" in subset.stderr
        shown = json.loads(run_once(env, "status", "--json").stdout)
        assert [(w["state"], w["roles"], w["pid"]) for w in shown["workers"]] == [
            ("live", ["poll", "analyse"], first.proc.pid)]  # type: ignore[union-attr]
        assert {"polls due", "articles to analyse", "briefings to post"} <= set(shown["queues"])
    finally:
        assert first.stop() == 0, first.log[-3000:]
    assert json.loads(run_once(env, "status", "--json").stdout)["workers"][0]["state"] == "stopped"
    again = BotProcess(env, "run").start()  # the lock went with the process
    try:
        again.wait_log("running locally", timeout=120)
        for _ in range(60):
            if any(w["state"] == "live" for w in json.loads(run_once(env, "status", "--json").stdout)["workers"]):
                break
    finally:
        assert again.stop() == 0


async def test_status_shows_live_gone_and_stopped_workers_and_the_work_waiting(db: str) -> None:
    now = utcnow()
    live = WorkerRegistry(frozenset({"poll", "analyse"}), heartbeat_s=10, host="a", pid=11)
    await live.start()
    live.count("poll", 3)
    live.count("analyse", 5)
    await live.beat()
    gone = WorkerRegistry(frozenset({"deliver"}), heartbeat_s=10, host="b", pid=22,
                          clock=lambda: now - timedelta(seconds=31))
    await gone.start()
    stopped = WorkerRegistry(ALL, heartbeat_s=10, host="c", pid=33)
    await stopped.start()
    await stopped.stop()
    await Worker.create(host="d", pid=44, roles="poll", started_at=now - timedelta(days=3),
                        heartbeat_at=now - timedelta(days=2), stopped_at=now - timedelta(days=2))  # long ended
    await Source.create(url="https://due.example/feed", url_key="due", next_poll_at=now - timedelta(minutes=1))
    await _article("waiting", JOIN[0].a.lead)
    view = await StatusService(heartbeat_s=10).status()
    states = {w.host: (w.state, w.roles, w.done) for w in view.workers}
    assert states == {"a": ("live", "poll,analyse", {"poll": 3, "analyse": 5}), "b": ("gone", "deliver", {}),
                      "c": ("stopped", "gateway,poll,analyse,deliver", {})}
    assert view.queues["polls due"] == 2 and view.queues["articles to analyse"] == 1  # the article's source too


async def test_on_postgresql_two_analyser_processes_share_the_work_and_a_killed_one_is_shown_gone(
        db: str, tmp_path: Path) -> None:
    if not db.startswith("postgres"):
        pytest.skip("several processes need PostgreSQL (make test-pg)")
    arts = [art for pair in (*JOIN, *SPLIT) for art in (pair.a, pair.b)][:20]
    ids = [(await _article(f"p{i}-{art.id}", art.lead, title=art.title)).id for i, art in enumerate(arts)]
    env = bot_env({}, DATABASE_URL=db, DATA_DIR=str(tmp_path / "data"), MODEL_THREADS="1", EXTRACT_WORKERS="1",
                  WORKER_HEARTBEAT_S="1", LOG_LEVEL="INFO", ANALYSIS_BATCH="2")
    procs = [BotProcess(env, "run", "--roles", "analyse").start() for _ in range(2)]
    try:
        for p in procs:
            p.wait_log("language models ready|Roles analyse", timeout=120)
        for _ in range(600):  # each pass reads the database; the analysers work meanwhile
            if not await Article.filter(id__in=ids, analyzed_at__isnull=True).exists():
                break
            await asyncio.sleep(0.2)
        assert not await Article.filter(id__in=ids, analyzed_at__isnull=True).exists()
        events = await PipelineEvent.filter(stage="analyze", article_id__in=ids).values_list("article_id", flat=True)
        assert sorted(events) == sorted(ids)  # each article analysed once
        for _ in range(100):  # the counts reach the table with the next heartbeat
            workers = json.loads(run_once(env, "status", "--json").stdout)["workers"]
            if sum(w["done"].get("analyse", 0) for w in workers) == len(ids):
                break
        assert sorted((w["state"], tuple(w["roles"])) for w in workers) == [("live", ("analyse",))] * 2
        assert sum(w["done"].get("analyse", 0) for w in workers) == len(ids)
        procs[0].kill()
        for _ in range(100):
            states = {w["pid"]: w["state"] for w in json.loads(run_once(env, "status", "--json").stdout)["workers"]}
            if states[procs[0].proc.pid] == "gone":  # type: ignore[union-attr]
                break
        assert states == {procs[0].proc.pid: "gone", procs[1].proc.pid: "live"}  # type: ignore[union-attr]
    finally:
        for p in procs:
            if p.proc is not None and p.proc.poll() is None:
                assert p.stop() == 0, p.log[-3000:]
