"""The delivery loop: route new analysed articles, then send what is due, until stopped."""

from __future__ import annotations

import asyncio
import logging

from bot.delivery.deliverer import Deliverer
from bot.delivery.router import Router

log = logging.getLogger(__name__)


async def run_delivery(router: Router, deliverer: Deliverer, stop: asyncio.Event, wakeup: asyncio.Event, *,
                       tick_s: float = 5.0) -> None:
    """Route and deliver whenever ``wakeup`` is set, and every ``tick_s`` (digests, retries)."""
    while not stop.is_set():
        wakeup.clear()
        progressed = False
        try:
            routed = await router.route_pending()
            sent = await deliverer.run_once()
            progressed = bool(routed.articles) or sent.anything
            if routed.deliveries or routed.updates or sent.anything:
                log.info("delivery: %d new, %d updates queued; %d briefings, %d digests, %d updates, %d notices sent",
                         routed.deliveries, routed.updates, sent.sent, sent.digests, sent.updates, sent.notices)
        except Exception:  # the database or Discord failed in a way not handled below: log, wait, go on
            log.exception("delivery pass failed")
        if progressed:
            continue
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wakeup.wait())]
        await asyncio.wait(waiters, timeout=tick_s, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()
