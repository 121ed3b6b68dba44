"""Delivery shared by several deliver processes on PostgreSQL.

The outbox is split by channel: a ``deliver`` job names a channel with something due, and the
deliverer that takes it posts that channel's briefings, digests, updates and notices in order. A
job is enqueued with the rows it is for (bot/delivery/router.py), and its dedupe key keeps one per
channel queued or running, so two processes never post to one channel at once and the channel's
order holds. Jobs are at-least-once; a row is sent once whatever happens (bot/delivery/deliverer.py:
the row's state, the ``ref`` looked for before a retry, and the message nonce).

One process at a time (an advisory lock, bot/workers/exclusive.py) does what is not per channel:
routing analysed articles to the outbox, the work nobody owns (a thread a crash left unstarted,
edits of briefings the model rewrote, notices for a server's system channel), and, every tick,
a job for each channel whose work became due without one (a digest's hour, a retry's backoff, a
row added while its channel's job was running). Every process's requests to Discord share one
pace (bot/delivery/pace.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from tortoise import connections

from bot.delivery.deliverer import Deliverer, DeliverReport
from bot.delivery.loop import wait_for_work
from bot.delivery.router import Router
from bot.storage.jobs import DELIVER, enqueue_deliveries
from bot.workers.exclusive import exclusive
from bot.workers.queue import QueueWorker, run_queue

log = logging.getLogger(__name__)

ROUTE_LOCK = 0x62726465  # "brde": one router at a time


def _sent(report: DeliverReport) -> int:
    return report.sent + report.digests + report.updates + report.rebriefs + report.notices


async def deliver_jobs(url: str, router: Router, deliverer: Deliverer, stop: asyncio.Event, wakeup: asyncio.Event, *,
                       tick_s: float, concurrency: int, on_sent: Callable[[int], None] | None = None) -> None:
    """This process's share of delivery until ``stop``: the channels' jobs it takes, and the
    routing while it holds the routing lock (another process stands by for it)."""

    async def channel(payload: str) -> None:
        report = await deliverer.run_channel(int(payload))
        if on_sent is not None:
            on_sent(_sent(report))
        if report.anything or report.retried:
            log.info("delivery to channel %s: %d briefings, %d digests, %d updates, %d notices sent, %d retried "
                     "later", payload, report.sent, report.digests, report.updates, report.notices, report.retried)

    async def route(until: asyncio.Event) -> None:
        await route_and_sweep(router, deliverer, until, wakeup, tick_s=tick_s, on_sent=on_sent)

    worker = QueueWorker(url, DELIVER, channel, batch_size=max(1, concurrency // 2), concurrency=concurrency,
                         dequeue_timeout=timedelta(seconds=max(1.0, tick_s)))
    await asyncio.gather(run_queue(worker, stop, "delivery"),
                         exclusive(url, ROUTE_LOCK, "routing", stop, route))


async def route_and_sweep(router: Router, deliverer: Deliverer, stop: asyncio.Event, wakeup: asyncio.Event, *,
                          tick_s: float, on_sent: Callable[[int], None] | None = None) -> None:
    """Route new analysed articles, give a job to each channel with due work that has none, and
    do the shared work; whenever ``wakeup`` is set, and every ``tick_s``."""
    while not stop.is_set():
        wakeup.clear()
        try:
            routed = await router.route_pending()
            queued = await enqueue_deliveries(connections.get("default"), await deliverer.due_channels())
            shared = await deliverer.run_shared()
            if on_sent is not None:
                on_sent(_sent(shared))
            if routed.deliveries or routed.updates or shared.anything:
                log.info("delivery: %d new, %d updates queued for %d channel(s); %d edits, %d notices sent",
                         routed.deliveries, routed.updates, len(routed.channels), shared.rebriefs, shared.notices)
            if queued:
                log.debug("%d channel(s) with due work got a job", queued)
            if routed.articles:
                continue
        except Exception:  # the database failed in a way not handled below: log, wait, go on
            log.exception("routing pass failed")
        await wait_for_work(stop, wakeup, tick_s)
