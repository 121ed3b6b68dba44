"""One job at a time in, batches out: the work queue hands over one article per job, the models
are fastest on several at once. Jobs that arrive within ``GATHER_S`` of each other (a dequeue
brings up to a batch of them at once) are analysed together, up to ``batch_size``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.services.analysis import AnalysedArticle

log = logging.getLogger(__name__)

GATHER_S = 0.02  # how long the first job of a batch waits for the jobs that arrive with it

Analyse = Callable[[list[int]], Awaitable[list[AnalysedArticle]]]
Report = Callable[[list[AnalysedArticle]], object]


class Batcher:
    def __init__(self, analyse: Analyse, *, batch_size: int, report: Report | None = None,
                 gather_s: float = GATHER_S) -> None:
        self._analyse = analyse
        self._batch_size = batch_size
        self._report = report
        self._gather_s = gather_s
        self._waiting: list[tuple[int, asyncio.Future[AnalysedArticle | None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._batches: set[asyncio.Task[None]] = set()

    async def __call__(self, article_id: int) -> AnalysedArticle | None:
        """This job's article, analysed in a batch: None when another analyser had it or it was
        analysed already; raises what failed its batch (the job fails, and is queued again)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AnalysedArticle | None] = loop.create_future()
        self._waiting.append((article_id, future))
        if len(self._waiting) >= self._batch_size:
            self._start()
        elif self._timer is None:
            self._timer = loop.call_later(self._gather_s, self._start)
        return await future

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, self._waiting = self._waiting[:self._batch_size], self._waiting[self._batch_size:]
        if self._waiting:
            self._timer = asyncio.get_running_loop().call_later(self._gather_s, self._start)
        if items:
            task = asyncio.create_task(self._run(items))
            self._batches.add(task)  # held until done (the loop keeps only weak references)
            task.add_done_callback(self._batches.discard)

    async def _run(self, items: list[tuple[int, asyncio.Future[AnalysedArticle | None]]]) -> None:
        try:
            done = await self._analyse([article_id for article_id, _ in items])
        except BaseException as exc:
            for _, future in items:
                if future.done():
                    continue
                if isinstance(exc, Exception):
                    future.set_exception(exc)
                else:
                    future.cancel()
            if not isinstance(exc, Exception):
                raise
            return
        by_id = {d.article_id: d for d in done}
        for article_id, future in items:
            if not future.done():
                future.set_result(by_id.get(article_id))
        if done and self._report is not None:
            try:
                self._report(done)
            except Exception:  # a reporting edge failed: the articles are stored
                log.exception("analysis report handler failed")
