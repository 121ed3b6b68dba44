"""End to end on PostgreSQL (make test-pg): Briefbot as five processes (gateway and delivery, two
analysers, two pollers) against the Discord stand-in and 50 local feeds. 1,000 new articles are
analysed once each and every subscribed channel gets each story once; then 1,000 more while a random
process is killed with SIGKILL 10 times (each twice) and started again: still each article analysed once, each
story posted once per channel, and nothing left behind. Prints the figures."""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from tortoise import connections

from bot.ingest.pipeline import url_key, utcnow
from bot.storage.jobs import enqueue_missing_polls
from bot.storage.models import Article, Delivery, PipelineEvent, Source
from bot.workers.status import StatusService
from tests.bot.discord.test_bot_e2e import NOW, _rss, final, no_violations
from tests.summarizer.fixtures.story_pairs import JOIN, SPLIT
from tests.support.botproc import BotProcess, processes_env, run_once
from tests.support.discord import MANAGE_GUILD, DiscordStandIn
from tests.support.static_server import StaticServer

FEEDS = 50
PER_ROUND = 20  # new items per feed and round: 1,000 articles a round
KILLS = 10
LEADS = [(art.title, art.lead) for pair in (*JOIN, *SPLIT) for art in (pair.a, pair.b)]
ROLES = ["gateway,deliver", "analyse", "analyse", "poll", "poll"]
TOPICS = {"iran-desk": "Iran supreme leader", "quake-desk": "earthquake in Turkey",
          "markets": "European Central Bank interest rates", "transport": "train drivers strike"}
REF = re.compile(r"ref b(\d+)(?![0-9A-Za-z])")


def _items(feed: int, count: int) -> list[tuple[str, str, str, object]]:
    out = []
    for j in range(count):
        title, lead = LEADS[(feed + j) % len(LEADS)]
        out.append((title, f"https://outlet{feed}.example/{j}", f"{lead} Filed by desk {feed}-{j}.",
                    NOW - timedelta(minutes=5 * (count - j))))
    return out


async def _until(check: Callable[[], Awaitable[bool]], timeout: float, what: str,
                 procs: list[BotProcess]) -> None:
    """Poll the database (the processes work meanwhile) until ``check`` holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await check():
        for p in procs:
            assert p.proc is not None and p.proc.poll() is None, f"a process exited:\n{p.log[-3000:]}"
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.5)


async def _settled(total: int) -> bool:
    if await Article.filter(analyzed_at__not_isnull=True, routed_at__not_isnull=True).count() < total:
        return False
    queues = (await StatusService(heartbeat_s=1).status()).queues
    return all(n == 0 for kind, n in queues.items() if kind != "polls due" and not kind.endswith("scheduled"))


def _posts(d: DiscordStandIn, channel: int) -> list[int]:
    """The delivery ids of the briefings the bot posted to ``channel`` (their ``ref b<id>``)."""
    out = []
    for m in d.messages(channel, include_ephemeral=False):
        if m["author"]["id"] != str(d.bot_user_id):
            continue
        text = " ".join([m.get("content") or ""] + [(e.get("footer") or {}).get("text") or ""
                                                    for e in m.get("embeds") or []])
        found = REF.search(text)
        if found:
            out.append(int(found.group(1)))
    return out


async def _check(d: DiscordStandIn, channels: list[int], total: int) -> dict[str, int]:
    articles = await Article.all().count()
    assert articles == total, "every feed item stored once"
    events = Counter(await PipelineEvent.filter(stage="analyze").values_list("article_id", flat=True))
    assert len(events) == total and set(events.values()) == {1}, "every article analysed exactly once"
    figures = {"articles": articles, "analysed once": len(events)}
    jobs = await connections.get("default").execute_query_dict(
        "SELECT count(DISTINCT job_id) AS n FROM pgqueuer_log WHERE entrypoint = 'analyse' AND status = 'successful'")
    assert jobs[0]["n"] >= total, "the analysers took their articles from the work queue"
    figures["analyse jobs done"] = jobs[0]["n"]
    for channel in channels:
        posted = _posts(d, channel)
        sent = await Delivery.filter(channel_id=channel, status="sent").values_list("id", "story_id")
        stories = Counter(story for did, story in sent if did in set(posted))
        assert stories and set(stories.values()) == {1}, f"channel {channel}: a story posted twice: {stories}"
        assert sorted(posted) == sorted(did for did, _ in sent), f"channel {channel}: posts and sent rows differ"
        assert len(set(posted)) == len(posted), f"channel {channel}: a delivery posted twice"
        assert not await Delivery.filter(channel_id=channel, status__in=["pending", "sending"]).exists()
        figures[f"stories posted in #{(d.channel(channel) or {}).get('name')}"] = len(posted)
    return figures


async def test_five_processes_analyse_each_article_once_and_post_each_story_once_while_killed(
        db: str, tmp_path: Path) -> None:
    if not db.startswith("postgres"):
        pytest.skip("several processes need PostgreSQL (make test-pg)")
    rng = random.Random(11)
    with DiscordStandIn(interaction_deadline=3.0) as d, StaticServer() as web:
        guild = d.add_guild("Newsroom")
        channels = [d.add_channel(guild, name) for name in TOPICS]
        admin = d.add_user("editor")
        d.add_member(guild, admin, permissions=MANAGE_GUILD)
        feeds = [web.set(f"/f{f}.xml", _rss(f"Outlet {f}", _items(f, PER_ROUND))) for f in range(FEEDS)]
        env = processes_env(d, db, tmp_path / "data", SCHEDULER_TICK_S="1")
        assert run_once(env, "sync").returncode == 0
        procs = [BotProcess(env, "run", "--roles", roles).start() for roles in ROLES]
        try:
            procs[0].wait_log("connected as", timeout=120)
            for channel, topic in zip(channels, TOPICS.values(), strict=True):
                final(d.invoke(guild, channel, admin, "subscribe", {"topic": topic}))
            await Source.bulk_create([Source(url=url, url_key=url_key(url), guild_id=guild, kind="feed",
                                             title=f"Outlet {f}", primed=True, interval_s=3600)
                                      for f, url in enumerate(feeds)])
            # their jobs now, as `source add` does with its first poll, not at the next sweep
            await enqueue_missing_polls(connections.get("default"))
            await _until(lambda: _settled(FEEDS * PER_ROUND), 600, "the first round", procs)
            first = await _check(d, channels, FEEDS * PER_ROUND)
            print("\nround 1 (no kills):", first)

            for f in range(FEEDS):  # the second round: PER_ROUND more items in every feed, all due now
                web.set(f"/f{f}.xml", _rss(f"Outlet {f}", _items(f, 2 * PER_ROUND)))
            await Source.all().update(next_poll_at=utcnow())
            await enqueue_missing_polls(connections.get("default"))  # their jobs now, not at the pollers' next sweep
            total = 2 * FEEDS * PER_ROUND
            killed: Counter[str] = Counter()
            order = rng.sample(range(len(procs)), len(procs)) * 2  # each process twice, in a random order
            step = FEEDS * PER_ROUND // (KILLS + 2)
            for kill in range(KILLS):  # spread over the round: after each step of progress, once the
                # process started last is up (registered as a worker)
                target = FEEDS * PER_ROUND + (kill + 1) * step
                await _until(lambda target=target: _analysed_at_least(target), 600, f"{target} articles analysed",
                             procs)
                k = order[kill]
                procs[k].kill()
                killed[ROLES[k]] += 1
                procs[k] = BotProcess(env, "run", "--roles", ROLES[k]).start()
                procs[k].wait_log(r"worker \d+: pid", timeout=120)
            await _until(lambda: _settled(total), 900, "the second round", procs)
            second = await _check(d, channels, total)
            second["kills"] = sum(killed.values())
            second.update({f"killed {roles}": n for roles, n in killed.items()})
            print("round 2 (10 processes killed and restarted):", second)
            no_violations(d)
        finally:
            for p in procs:
                if p.proc is not None and p.proc.poll() is None:
                    p.stop()


async def _analysed_at_least(n: int) -> bool:
    return await Article.filter(analyzed_at__not_isnull=True).count() >= n
