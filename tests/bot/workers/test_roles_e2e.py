"""End to end on PostgreSQL (make test-pg): Briefbot as three processes against the Discord stand-in.
One runs the gateway, polling and analysis; the other delivers, over Discord's HTTP API only (no
gateway connection), beside a second deliverer: they share the channels, one of them routes. A
subscribed story reaches its channel once, with its thread, posted by a deliverer; `briefbot
status` shows the processes with their roles and jobs."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.bot.discord.test_bot_e2e import NOW, _rss, final, no_violations, text_of
from tests.bot.discord.test_delivery_e2e import briefings
from tests.summarizer.fixtures.story_pairs import JOIN
from tests.support.botproc import BotProcess, processes_env, run_once
from tests.support.discord import MANAGE_GUILD, DiscordStandIn
from tests.support.static_server import StaticServer


def wire_feed(web: StaticServer) -> str:
    """A feed with one story on Iran's supreme leader, published two hours ago."""
    kh = JOIN[0].a
    return web.set("/wire.xml", _rss("Wire One", [
        (kh.title, "https://wire-one.example/khamenei-talks", kh.lead, NOW - timedelta(hours=2))]))


async def test_a_gateway_process_and_a_deliver_process_post_each_story_once(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgres"):
        pytest.skip("several processes need PostgreSQL (make test-pg)")
    with DiscordStandIn(interaction_deadline=3.0) as d, StaticServer() as web:
        feed = wire_feed(web)
        guild = d.add_guild("Newsroom")
        news = d.add_channel(guild, "iran-desk")
        admin = d.add_user("editor")
        d.add_member(guild, admin, permissions=MANAGE_GUILD)
        env = processes_env(d, db_url, tmp_path / "data", BACKFILL_ITEMS="10")
        assert run_once(env, "sync").returncode == 0
        front = BotProcess(env, "run", "--roles", "gateway,poll,analyse").start()
        back = BotProcess(env, "run", "--roles", "deliver").start()
        spare = BotProcess(env, "run", "--roles", "deliver").start()  # a second deliverer shares the channels
        try:
            d.wait_ready(timeout=90)
            front.wait_log("connected as", timeout=60)
            final(d.invoke(guild, news, admin, "subscribe", {"topic": "Iran supreme leader"}))
            final(d.invoke(guild, news, admin, "source", {"url": feed}, subcommand="add"))
            posted = d.wait_for(lambda d: briefings(d, news), timeout=120, what="the briefing, by the deliverer")
            d.wait_for(lambda d: d.threads(news), timeout=30, what="its thread")
            holders = [p for p in (back, spare) if "this process holds the routing lock" in p.log]
            assert len(holders) == 1, "one deliverer routes:\n" + back.log[-3000:] + "\n--\n" + spare.log[-3000:]
            if holders[0] is spare:  # whichever reached the lock first routes
                back, spare = spare, back
            back.wait_log(r"delivery: 1 new, 0 updates queued for 1 channel", timeout=30)
            spare.wait_log("another process holds the routing lock; standing by", timeout=30)
            assert not re.search(r"delivery: \d+ new", spare.log), "the other one never routes"
            assert all("delivering over Discord's HTTP API" in p.log for p in (back, spare))
            assert len(posted) == 1 and "Khamenei" in text_of(posted[0])
            assert not [ln for ln in front.lines if "delivery:" in ln]  # the front process never delivers
            assert d.identifies == 1  # the deliverer never connected to the gateway
            for _ in range(100):  # the jobs reach the table with the next heartbeat
                workers = json.loads(run_once(env, "status", "--json").stdout)["workers"]
                if sum(w["done"].get("deliver", 0) for w in workers) >= 1:
                    break
            roles = sorted((tuple(w["roles"]), w["state"]) for w in workers)
            assert roles == [(("deliver",), "live"), (("deliver",), "live"), (("gateway", "poll", "analyse"), "live")]
            assert sum(w["done"].get("analyse", 0) for w in workers) >= 1
            no_violations(d)
        finally:
            codes = (front.stop(), back.stop(), spare.stop())
        assert codes == (0, 0, 0), front.log[-2000:] + back.log[-2000:] + spare.log[-2000:]
        assert "Traceback" not in front.log + back.log + spare.log, (front.log + back.log + spare.log)[-5000:]
        senders = [p for p in (back, spare) if re.search(r"delivery to channel \d+: 1 briefings", p.log)]
        assert len(senders) == 1, "the channel's job was done once, by one of the deliverers"
    assert len(briefings(d, news)) == 1
