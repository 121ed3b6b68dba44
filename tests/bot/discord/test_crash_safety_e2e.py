"""Crash safety, end to end: the bot process is killed (SIGKILL) at random points while it
delivers, 20 times, and restarted each time. At the end every story is in every subscribed
channel exactly once, each with one thread. Also: bursts of 429s and 500s, a deleted channel
and a lost permission while delivering."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.bot.discord.test_bot_e2e import NOW, _rss, final
from tests.summarizer.fixtures.story_pairs import JOIN
from tests.support.botproc import BotProcess, bot_env, run_once
from tests.support.discord import MANAGE_GUILD, DiscordStandIn
from tests.support.static_server import StaticServer

STORIES = [p.a for p in JOIN[:10]]
KEYWORDS = "Khamenei, earthquake, ECB, Voltera, ferry, Northwind, Sudan, wildfire, train drivers, Portugal"
KILLS = 20
REF = re.compile(r"ref (b\d+)")


@dataclass
class Rig:
    d: DiscordStandIn
    env: dict[str, str]
    guild: int
    channels: list[int]
    admin: int
    feed: str


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with DiscordStandIn() as d, StaticServer() as web:
        feed = web.set("/world.xml", _rss("World Wire", [
            (a.title, f"https://world-wire.example/{a.id}", a.lead, NOW - timedelta(minutes=10 * i))
            for i, a in enumerate(STORIES)]))
        guild = d.add_guild("Newsroom", system_channel=True)
        channels = [d.add_channel(guild, f"desk-{i}") for i in range(3)]
        admin = d.add_user("editor")
        d.add_member(guild, admin, permissions=MANAGE_GUILD)
        env = bot_env({}, DISCORD_TOKEN=d.token, DISCORD_API_BASE=d.api_base, DISCORD_GATEWAY_URL=d.gateway_url,
                      DATABASE_URL=f"sqlite://{tmp_path / 'bot.sqlite3'}", DATA_DIR=str(tmp_path / "data"),
                      FETCH_ALLOW_PRIVATE="true", FETCH_PAGES="false", EXTRACT_WORKERS="1", MODEL_THREADS="1",
                      LOG_LEVEL="INFO", POLL_INTERVAL_S="3600", BACKFILL_ITEMS="20", DELIVERY_TICK_S="0.5")
        assert run_once(env, "sync").returncode == 0
        yield Rig(d, env, guild, channels, admin, feed)


def start(rig: Rig) -> BotProcess:
    sessions = rig.d.identifies
    bot = BotProcess(rig.env).start()
    rig.d.wait_for(lambda d: d.identifies > sessions, timeout=90, what="the bot to connect")
    return bot


def briefings(d: DiscordStandIn, channel: int) -> list[dict[str, Any]]:
    return [m for m in d.top_level_messages(channel) if (m.get("content") or "").startswith("New story")]


def refs(message: dict[str, Any]) -> set[str]:
    text = " ".join((e.get("footer") or {}).get("text", "") for e in message.get("embeds") or [])
    return set(REF.findall(text))


def delivered(d: DiscordStandIn, channels: list[int]) -> int:
    return sum(len(briefings(d, c)) for c in channels)


def subscribe_all(rig: Rig) -> None:
    for channel in rig.channels:
        final(rig.d.invoke(rig.guild, channel, rig.admin, "subscribe",
                           {"topic": "world news", "keywords": KEYWORDS, "cap": 60}))


def test_killed_twenty_times_while_delivering_every_story_arrives_exactly_once(rig: Rig) -> None:
    d, rng = rig.d, random.Random(20261126)
    expected = len(STORIES) * len(rig.channels)
    bot = start(rig)
    subscribe_all(rig)
    final(d.invoke(rig.guild, rig.channels[0], rig.admin, "source", {"url": rig.feed}, subcommand="add"), timeout=120)
    kills = 0
    posts = lambda d: len(d.requests_to("POST /channels/{channel_id}/messages")) + len(  # noqa: E731
        d.requests_to("POST /channels/{channel_id}/messages/{message_id}/threads"))
    while kills < KILLS:
        target = posts(d) + rng.randint(1, 3)
        try:
            d.wait_for(lambda d: posts(d) >= target or delivered(d, rig.channels) >= expected, timeout=60,
                       what="more delivery work")
        finally:
            bot.kill()
        kills += 1
        bot = start(rig)
    try:
        d.wait_for(lambda d: delivered(d, rig.channels) >= expected
                   and all(m.get("thread") for c in rig.channels for m in briefings(d, c)),
                   timeout=120, what="every story in every channel, with threads")
    finally:
        code = bot.stop()
    duplicates = losses = 0
    for channel in rig.channels:
        msgs = briefings(d, channel)
        titles = Counter(m["embeds"][0]["title"] for m in msgs)
        duplicates += sum(n - 1 for n in titles.values())
        losses += len(STORIES) - len(titles)
        assert all(len(refs(m)) == 1 for m in msgs)
    print(f"\ncrash safety: {kills} kills (SIGKILL), {expected} deliveries expected, "
          f"{duplicates} duplicates, {losses} losses, {d.nonce_hits} nonce hits")
    assert kills == KILLS and duplicates == 0 and losses == 0
    assert code == 0


def test_bursts_of_429_and_500_a_deleted_channel_and_a_lost_permission(rig: Rig) -> None:
    d = rig.d
    gone, locked, fine = rig.channels
    bot = start(rig)
    try:
        subscribe_all(rig)
        d.inject("POST /channels/{channel_id}/messages", status=429, retry_after=0.2, count=6, global_=True)
        d.inject("POST /channels/{channel_id}/messages", status=500, count=3)
        d.delete_channel(gone)
        d.set_bot_permissions(locked, False)
        final(d.invoke(rig.guild, fine, rig.admin, "source", {"url": rig.feed}, subcommand="add"), timeout=120)
        d.wait_for(lambda d: len(briefings(d, fine)) >= len(STORIES), timeout=120, what="the open channel's stories")
        system = d.system_channel(rig.guild)
        assert system is not None
        notices = d.wait_for(lambda d: [m for m in d.top_level_messages(system) if "paused" in m["content"]]
                             if len(d.top_level_messages(system)) >= 2 else None, timeout=60,
                             what="a notice for each closed channel")
        assert len(notices) == 2 and any(f"<#{gone}>" in n["content"] for n in notices)
        assert briefings(d, locked) == []
        listing = final(d.invoke(rig.guild, fine, rig.admin, "subscriptions"))
        assert listing["embeds"][0]["fields"][0]["value"].count("PAUSED") == 2
        # permission back, /subscribe again: the waiting stories arrive, once each
        d.set_bot_permissions(locked, True)
        final(d.invoke(rig.guild, locked, rig.admin, "subscribe",
                       {"topic": "world news", "keywords": KEYWORDS, "cap": 60}))
        d.wait_for(lambda d: len(briefings(d, locked)) >= len(STORIES), timeout=120, what="the resumed channel")
        assert len(briefings(d, fine)) == len(briefings(d, locked)) == len(STORIES)
        assert len([m for m in d.top_level_messages(system) if "paused" in m["content"]]) == 2  # told once
    except BaseException:
        print(bot.log[-6000:])
        raise
    finally:
        assert bot.stop() == 0
