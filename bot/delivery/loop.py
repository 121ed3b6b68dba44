"""The delivery loops: route new analysed articles, then send what is due, until stopped; and the
language model's story briefings, when one writes them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.delivery.deliverer import Deliverer
from bot.delivery.router import Router
from bot.services.story_briefings import StoryBriefingWriter

log = logging.getLogger(__name__)


async def run_delivery(router: Router, deliverer: Deliverer, stop: asyncio.Event, wakeup: asyncio.Event, *,
                       tick_s: float = 5.0, on_sent: Callable[[int], None] | None = None) -> None:
    """Route and deliver whenever ``wakeup`` is set, and every ``tick_s`` (digests, retries);
    ``on_sent``: the messages each pass posted or edited."""
    while not stop.is_set():
        wakeup.clear()
        progressed = False
        try:
            routed = await router.route_pending()
            sent = await deliverer.run_once()
            progressed = bool(routed.articles) or sent.anything
            if on_sent is not None:
                on_sent(sent.sent + sent.digests + sent.updates + sent.rebriefs + sent.notices)
            if routed.deliveries or routed.updates or sent.anything:
                log.info("delivery: %d new, %d updates queued; %d briefings, %d digests, %d updates, %d edits, "
                         "%d notices sent", routed.deliveries, routed.updates, sent.sent, sent.digests, sent.updates,
                         sent.rebriefs, sent.notices)
        except Exception:  # the database or Discord failed in a way not handled below: log, wait, go on
            log.exception("delivery pass failed")
        if progressed:
            continue
        await wait_for_work(stop, wakeup, tick_s)


async def run_rebriefs(writer: StoryBriefingWriter, stop: asyncio.Event, wakeup: asyncio.Event,
                       written: asyncio.Event, *, tick_s: float = 5.0) -> None:
    """Write the model's story briefings whenever ``wakeup`` is set (new articles analysed), and
    every ``tick_s`` (rewrites held back by ``LLM_REBRIEF_MIN_S``); ``written`` wakes the deliverer."""
    while not stop.is_set():
        wakeup.clear()
        try:
            report = await writer.run_once()
            if report.anything:
                log.info("llm briefings: %d written, %d reused, %d not used", report.written, report.reused,
                         report.offline)
                written.set()
        except Exception:
            log.exception("llm briefing pass failed")
        await wait_for_work(stop, wakeup, tick_s)


async def wait_for_work(stop: asyncio.Event, wakeup: asyncio.Event, tick_s: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wakeup.wait())]
    await asyncio.wait(waiters, timeout=tick_s, return_when=asyncio.FIRST_COMPLETED)
    for w in waiters:
        w.cancel()
