"""A pool for CPU-bound parsing and extraction, so the event loop never runs them."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

from bot.ingest.extract import extract_page
from bot.ingest.parse import parse_feed
from bot.ingest.types import ExtractedPage, ParsedFeed

log = logging.getLogger(__name__)
T = TypeVar("T")
_NICE = 10  # added to the worker processes' niceness


class CpuPool:
    """Runs parse and extract calls in worker processes (or a thread when ``workers`` is 1).

    ``workers=0`` picks one process per core. Started lazily by ``warm_up()``.
    """

    def __init__(self, workers: int = 0) -> None:
        self._workers = workers or max(1, os.cpu_count() or 1)
        self._executor: Executor | None = None

    def warm_up(self) -> None:
        if self._executor is not None:
            return
        if self._workers == 1:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefbot-cpu")
        else:
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(max_workers=self._workers, mp_context=ctx, initializer=_worker_init,
                                                 initargs=(os.getpid(),))
        log.debug("cpu pool started with %d worker(s)", self._workers)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        self.warm_up()
        assert self._executor is not None
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def parse_feed(self, body: bytes, url: str | None, content_type: str | None) -> ParsedFeed:
        return await self.run(_parse_feed, body, url, content_type)

    async def extract_page(self, html: bytes, url: str) -> ExtractedPage | None:
        return await self.run(extract_page, html, url)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> CpuPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _worker_init(parent: int) -> None:
    guard_worker(parent)
    # Extraction is background work: on shared cores the analyser and the commands come first.
    os.nice(_NICE)


def guard_worker(parent: int, check_every_s: float = 1.0) -> None:
    """Set up a worker process of ``parent``: Ctrl-C reaches the whole process group, so the worker
    ignores it and the parent shuts it down in order; and a parent killed outright (kill -9, the OOM
    killer) shuts nothing down, so the worker notices that it was orphaned and exits, whatever it is
    doing (a pipe's EOF would only be seen between tasks)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent, check_every_s), daemon=True,
                     name="briefbot-orphan-watch").start()


def _exit_when_orphaned(parent: int, check_every_s: float) -> None:
    while os.getppid() == parent:
        threading.Event().wait(check_every_s)
    os._exit(0)


def _parse_feed(body: bytes, url: str | None, content_type: str | None) -> ParsedFeed:
    return parse_feed(body, url=url, content_type=content_type)
