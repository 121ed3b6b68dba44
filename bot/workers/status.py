"""`briefbot status`: the workers (live, gone, stopped) and how much work waits, per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise import connections
from tortoise.expressions import Q

from bot.ingest.pipeline import utcnow
from bot.storage.jobs import JOB_KINDS, queue_depths
from bot.storage.models import Article, Delivery, DeliveryUpdate, Notice, Source, StoryBriefing, Worker
from bot.workers.registry import GONE_AFTER_BEATS

SHOW_ENDED = timedelta(hours=24)  # stopped and gone workers are listed this long


@dataclass(frozen=True, slots=True)
class WorkerView:
    id: int
    host: str
    pid: int
    roles: str
    started_at: datetime
    heartbeat_at: datetime
    state: str  # live, gone (stopped beating) or stopped
    done: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatusView:
    at: datetime
    workers: tuple[WorkerView, ...]
    queues: dict[str, int]  # work waiting, per kind


class StatusService:
    def __init__(self, *, heartbeat_s: float = 10.0, clock: Callable[[], datetime] = utcnow) -> None:
        self._gone_after = timedelta(seconds=heartbeat_s * GONE_AFTER_BEATS)
        self._clock = clock

    async def status(self) -> StatusView:
        now = self._clock()
        rows = await (Worker.filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=now - SHOW_ENDED))
                      .filter(heartbeat_at__gte=now - SHOW_ENDED).order_by("-heartbeat_at", "-id").limit(200))
        workers = tuple(WorkerView(w.id, w.host, w.pid, w.roles, w.started_at, w.heartbeat_at,
                                   "stopped" if w.stopped_at else "gone" if w.heartbeat_at < now - self._gone_after
                                   else "live", {str(k): int(v) for k, v in (w.done or {}).items()})
                        for w in rows)
        queues = {
            "polls due": await Source.filter(scheduled=True, disabled_at__isnull=True)
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)).count(),
            "articles to analyse": await Article.filter(analyzed_at__isnull=True, analysis_error__isnull=True).count(),
            "briefings to post": await Delivery.filter(status__in=["pending", "sending"]).count(),
            "stories waiting for a digest": await Delivery.filter(status="digest").count(),
            "updates to post": await DeliveryUpdate.filter(status__in=["pending", "sending"]).count(),
            "notices to post": await Notice.filter(status__in=["pending", "sending"]).count(),
            "model briefings to edit in": await StoryBriefing.filter(pending_edit=True).count(),
        }
        if connections.get("default").capabilities.dialect == "postgres":  # the work queue's jobs
            queues.update({f"{kind} jobs {state}": 0 for kind in JOB_KINDS
                           for state in ("queued", "running", "scheduled")})
            queues.update(await queue_depths(connections.get("default")))
        return StatusView(now, workers, queues)
