"""Work held by a worker that is gone goes back at once: the analysis claims and the polls a
process held when it was killed (kill -9, the OOM killer, a lost machine) are handed to the others
as soon as it has missed ``GONE_AFTER_BEATS`` heartbeats, not when the claims expire (15 minutes
for an article, 10 for a poll). Every live worker runs this after its own beat; it is idempotent.

A worker that was only slow (a long pause, a database outage) and comes back finds its claims
taken: the analysis of an article is stored only while its claim holds, and a source polled twice
stores each item once, so nothing is done twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.analysis import CLAIM_TTL, owner_prefix
from bot.storage.models import Article, Source, Worker

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reaped:
    worker_id: int
    articles: int
    polls: int


async def reap_gone(now: datetime, gone_after: timedelta, *, me: int | None = None) -> list[Reaped]:
    """Hand on the claims of every worker gone (no beat for ``gone_after``) within the last
    ``CLAIM_TTL`` (older claims have expired anyway); ``me`` is never reaped."""
    gone = await (Worker.filter(stopped_at__isnull=True, heartbeat_at__lt=now - gone_after,
                                heartbeat_at__gte=now - gone_after - CLAIM_TTL)
                  .exclude(id=me if me is not None else -1).values_list("id", flat=True))
    out = []
    for worker_id in gone:
        articles = await Article.filter(analyzed_at__isnull=True,
                                        claim_token__startswith=owner_prefix(worker_id)).update(
            claimed_at=None, claim_token=None)
        polls = await Source.filter(claimed_by=worker_id).update(next_poll_at=now, claimed_by=None)
        if articles or polls:
            log.warning("worker %s is gone: %d article(s) to analyse and %d poll(s) handed on", worker_id,
                        articles, polls)
            out.append(Reaped(worker_id, articles, polls))
    return out
