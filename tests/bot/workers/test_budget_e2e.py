"""End to end on PostgreSQL (make test-pg): three deliver processes share the channels and one
request budget. A story for 30 channels is posted once in each, by all three deliverers, and
together they never make more than DELIVERY_REQUESTS_PER_S requests in any one second at the
Discord stand-in (each alone would make that many); a global 429 on the way is waited out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.bot.delivery.test_pace import most_in_any_second
from tests.bot.discord.test_bot_e2e import final, no_violations
from tests.bot.discord.test_delivery_e2e import briefings
from tests.bot.workers.test_roles_e2e import wire_feed
from tests.support.botproc import BotProcess, processes_env, run_once
from tests.support.discord import MANAGE_GUILD, DiscordStandIn
from tests.support.static_server import StaticServer

PER_S = 40
CHANNELS = 30


async def test_three_deliverers_share_the_channels_under_one_budget(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgres"):
        pytest.skip("several processes need PostgreSQL (make test-pg)")
    with DiscordStandIn(interaction_deadline=3.0) as d, StaticServer() as web:
        feed = wire_feed(web)
        guild = d.add_guild("Newsroom")
        channels = [d.add_channel(guild, f"desk-{i}") for i in range(CHANNELS)]
        admin = d.add_user("editor")
        d.add_member(guild, admin, permissions=MANAGE_GUILD)
        env = processes_env(d, db_url, tmp_path / "data", BACKFILL_ITEMS="10", DELIVERY_REQUESTS_PER_S=str(PER_S))
        assert run_once(env, "sync").returncode == 0
        front = BotProcess(env, "run", "--roles", "gateway,poll,analyse").start()
        deliverers = [BotProcess(env, "run", "--roles", "deliver").start() for _ in range(3)]
        procs = [front, *deliverers]
        try:
            d.wait_ready(timeout=90)
            front.wait_log("connected as", timeout=60)
            for p in deliverers:
                p.wait_log("delivery: taking the jobs of the work queue", timeout=60)
            for channel in channels:
                final(d.invoke(guild, channel, admin, "subscribe", {"topic": "Iran supreme leader"}))
            # Discord says the whole bot is over its limit once, on the way
            d.inject("POST /channels/{channel_id}/messages", status=429, retry_after=0.5, global_=True)
            start = len(d.requests)
            final(d.invoke(guild, channels[0], admin, "source", {"url": feed}, subcommand="add"))
            d.wait_for(lambda d: all(briefings(d, c) for c in channels), timeout=180,
                       what="the briefing in every channel")
            d.wait_for(lambda d: all(d.threads(c) for c in channels), timeout=60, what="their threads")
            requests = [r for r in d.requests[start:] if r.path.startswith("/channels/")]
            assert [r.fault for r in requests].count("429") == 1, "the global 429 was met, then waited out"
            busiest = most_in_any_second([r.time for r in requests])
            print(f"\n{len(requests)} requests to channels by 3 deliverers; at most {busiest} in any second "
                  f"(budget {PER_S}/s)")
            assert len(requests) >= 2 * CHANNELS
            assert busiest <= PER_S, "together they stay under the one budget"
            no_violations(d)
        finally:
            codes = [p.stop() for p in procs]
        logs = "\n--\n".join(p.log[-3000:] for p in procs)
        assert codes == [0, 0, 0, 0], logs
        assert "Traceback" not in "".join(p.log for p in procs), logs
    by_process = [len(re.findall(r"delivery to channel \d+: 1 briefings", p.log)) for p in deliverers]
    print(f"briefings posted by each deliverer: {by_process}")
    assert sum(by_process) == CHANNELS and all(by_process), "every deliverer took channels, each channel once"
    assert all(len(briefings(d, c)) == 1 for c in channels), "each story once in each channel"
