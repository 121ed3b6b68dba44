"""Several deliverers on PostgreSQL share the outbox by channel (bot/workers/delivering.py): a
channel's job commits with its outbox row, each story reaches each channel once, a channel's
posts keep their order, and a deliverer busy with slow channels leaves the others' channels to
the other deliverers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise import connections

from bot.delivery.deliverer import Deliverer
from bot.delivery.router import Router
from bot.language import Language
from bot.presenters.message import Reply
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.services.briefs import BriefService
from bot.services.subscriptions import SubscriptionService
from bot.storage.models import Delivery
from bot.workers.delivering import deliver_jobs
from tests.bot.delivery.test_delivery import Clock, FakeSender
from tests.bot.services.test_read_services import G1, _store
from tests.summarizer.fixtures.story_pairs import JOIN

pytestmark = pytest.mark.db

KH, QUAKE = JOIN[0], JOIN[1]
CHANNELS = list(range(3001, 3009))


async def _jobs(kind: str) -> list[str]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT convert_from(payload, 'UTF8') AS p FROM pgqueuer WHERE entrypoint = $1 ORDER BY id", [kind])
    return [r["p"] for r in rows]


class HeldSender(FakeSender):
    """Posts only once ``release`` is set: a deliverer stuck on slow channels."""

    def __init__(self, release: asyncio.Event) -> None:
        super().__init__()
        self.release = release

    async def post(self, channel_id: int, reply: Reply, **kw) -> int:  # type: ignore[no-untyped-def,override]
        await self.release.wait()
        return await super().post(channel_id, reply, **kw)


class TellingSender(FakeSender):
    def __init__(self, posted_once: asyncio.Event) -> None:
        super().__init__(next_id=90000)
        self.posted_once = posted_once

    async def post(self, channel_id: int, reply: Reply, **kw) -> int:  # type: ignore[no-untyped-def,override]
        message_id = await super().post(channel_id, reply, **kw)
        self.posted_once.set()
        return message_id


async def test_two_deliverers_share_the_channels_once_each_in_order(db: str, language: Language) -> None:
    if not db.startswith("postgres"):
        pytest.skip("the work queue needs PostgreSQL (make test-pg)")
    clock = Clock(KH.a.published + timedelta(minutes=30))
    subs = SubscriptionService(clock=clock)
    for channel in CHANNELS:
        await subs.subscribe(G1, channel, "Iran supreme leader")
        await subs.subscribe(G1, channel, "Malatya earthquake")
    for art in (KH.a, QUAKE.a):
        await _store(art, G1)
    analysis = AnalysisService(language.analyzer, language.clusterer, ActorStore(), batch_size=8, clock=clock)
    await analysis.process_pending()
    briefs = BriefService(language.topics, clock=clock, default_since=timedelta(days=3))
    router = Router(language.topics, clock=clock)

    routed = await router.route_pending()
    assert routed.deliveries == 2 * len(CHANNELS)
    # each channel's job committed with its rows: one per channel, however many rows it has
    assert sorted(await _jobs("deliver")) == sorted(str(c) for c in CHANNELS)

    first_post = asyncio.Event()
    slow, quick = HeldSender(first_post), TellingSender(first_post)
    stop = asyncio.Event()
    runs = [asyncio.create_task(deliver_jobs(db, router, Deliverer(sender, briefs, clock=clock), stop,
                                             asyncio.Event(), tick_s=0.2, concurrency=2))
            for sender in (slow, quick)]
    try:
        async def all_sent() -> None:
            while await Delivery.filter(status="sent").count() < 2 * len(CHANNELS):
                await asyncio.sleep(0.05)
        # the slow deliverer holds two channels until the quick one has posted: without sharing,
        # nothing would be posted at all
        await asyncio.wait_for(all_sent(), timeout=60)
    finally:
        stop.set()
        await asyncio.gather(*runs)
    assert slow.posted and quick.posted, "both deliverers delivered"
    posts = slow.posted + quick.posted
    assert sorted(p.channel for p in posts) == sorted(CHANNELS * 2), "each story once in each channel"
    for channel in CHANNELS:
        by = [s for s in (slow, quick) if s.top_level(channel)]
        assert len(by) == 1, "one deliverer posts a channel's stories"
        nonces = [p.nonce for p in by[0].top_level(channel)]
        assert nonces == sorted(nonces, key=lambda n: int(n[1:])), "in the channel's order"
    # a job left behind (the sweep saw a row still being sent, just as its channel's job ended)
    # finds nothing to post
    late = FakeSender()
    for channel in await _jobs("deliver"):
        assert not (await Deliverer(late, briefs, clock=clock).run_channel(int(channel))).anything
    assert late.posted == []
