"""The analyser's model work in a process of its own (``ANALYSIS_PROCESS``, on by default for
`briefbot run`).

In one interpreter the analyser's Python (sentence rules, actor and quote rules) waits for the GIL
whenever the event loop ingests (HTTP, SQL): measured by ``python -m bench.contention``, analysis
kept 62-77% of its quiet rate while a 1,000-feed ingest ran in the same process, against 90% with
the model work in a child process. The child only computes: it builds its own analyzer, receives
documents and returns analyses; the parent claims articles, stores the results and joins stories,
as before. A child that dies (a crash in native code, the OOM killer) fails only the batch it held:
the next call starts a fresh one, and the analysis service retries the batch one article at a time,
so the article that kills it is recorded as failed and the others are analysed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Protocol

from bot.ingest.workers import guard_worker
from bot.settings import Settings
from summarizer.types import Analysis, Document

log = logging.getLogger(__name__)

# Batches handed to the child at once: it analyses the next while the parent stores the last (one
# at a time, the child waited for every round trip through a busy parent: 65% of its quiet rate
# under ingestion, against 78-92% with two).
IN_FLIGHT = 2


class ArticleAnalyzer(Protocol):
    def warm_up(self) -> None: ...

    def run(self, doc: Document) -> Analysis: ...

    def run_many(self, docs: Sequence[Document]) -> list[Analysis]: ...


class AnalyserDied(RuntimeError):
    """The analyser's process ended while it held this work (it is restarted for the next call)."""


# The analyzer of this worker process (set by _start_worker): one per child, never in the parent.
_worker_analyzer: ArticleAnalyzer | None = None


def settings_analyzer(settings: Settings) -> ArticleAnalyzer:
    """The bot's analyzer, built in the child from the parent's settings."""
    from bot.language import build_language

    return build_language(settings).analyzer


class AnalyserProcess:
    """``warm_up``/``run``/``run_many`` of an analyzer that ``factory`` builds in a child process.

    ``factory`` is pickled to the child (a module-level function, or a ``functools.partial`` of
    one). Calls may come from several threads; they queue for the one child.
    """

    def __init__(self, factory: Callable[[], ArticleAnalyzer]) -> None:
        self._factory = factory
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.restarts = 0

    @classmethod
    def for_settings(cls, settings: Settings) -> AnalyserProcess:
        return cls(partial(settings_analyzer, settings))

    def warm_up(self) -> None:
        self._call(_warm_up)

    def run(self, doc: Document) -> Analysis:
        return self.run_many([doc])[0]

    def pid(self) -> int:
        """The child's process id (it is started if it is not running)."""
        return self._call(os.getpid)

    def run_many(self, docs: Sequence[Document]) -> list[Analysis]:
        return self._call(_run_many, list(docs))

    def _call(self, fn: Callable[..., object], *args: object):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._executor is None:
                ctx = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_start_worker,
                                                     initargs=(os.getpid(), self._factory))
            executor = self._executor
        future: Future[object] = executor.submit(fn, *args)
        try:
            return future.result()
        except BrokenProcessPool as exc:
            with self._lock:
                if self._executor is executor:  # the first caller to see it replaces the child
                    self._executor = None
                    self.restarts += 1
                    log.error("the analyser process died; a new one starts with the next batch")
            executor.shutdown(wait=False, cancel_futures=True)
            raise AnalyserDied("the analyser process died while analysing this") from exc

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _start_worker(parent: int, factory: Callable[[], ArticleAnalyzer]) -> None:
    global _worker_analyzer
    guard_worker(parent)
    _worker_analyzer = factory()


def _analyzer() -> ArticleAnalyzer:
    assert _worker_analyzer is not None, "not an analyser process"
    return _worker_analyzer


def _warm_up() -> None:
    _analyzer().warm_up()


def _run_many(docs: list[Document]) -> list[Analysis]:
    return _analyzer().run_many(docs)
