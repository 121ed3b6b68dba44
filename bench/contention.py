"""`make bench`: analysis throughput while a 1,000-feed ingest runs in the same process.

The analyser (torch threads) and the feed parsing and page extraction workers share the cores.
This measures analysis articles/s alone ("quiet"), then again while the same process ingests
1,000 feeds with page extraction from a local feed server, with the split ``CPUS`` gives
(bot/cpus.py) or the one given by --threads/--workers. Target: under ingestion >= 80% of quiet.
``--separate``: the analyser runs in a process of its own (as `briefbot run --roles analyse` does
beside a poller), so that the two share the cores but not one interpreter.

    python -m bench.contention [--feeds 1000] [--items 3] [--threads N --workers N] [--separate]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import threading
import time
from pathlib import Path

from bench.analysis import _texts
from bench.ingest import start_server

BATCH = 16


def _analyse_until(analyzer, docs, stop: threading.Event, minimum: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Analyse batches of ``docs`` until ``stop`` is set (and at least ``minimum`` articles);
    returns (articles, seconds)."""
    done = 0
    t0 = time.perf_counter()
    i = 0
    while not stop.is_set() or done < minimum:
        batch = [docs[(i + k) % len(docs)] for k in range(BATCH)]
        analyzer.run_many(batch)
        done += len(batch)
        i += BATCH
    return done, time.perf_counter() - t0


def _analyser_process(threads: int, minimum: int, ready, go, stop, out) -> None:  # type: ignore[no-untyped-def]
    """The analyser in its own process: the quiet figure, then analysis until ``stop``."""
    from bot.language import build_language
    from bot.settings import Settings
    from summarizer.types import Document

    language = build_language(Settings(_env_file=None, model_threads=threads or 1))
    language.analyzer.warm_up()
    docs = [Document(id=str(i), text=t) for i, t in enumerate(_texts())]
    quiet = threading.Event()
    quiet.set()
    n, s = _analyse_until(language.analyzer, docs, quiet, minimum)
    ready.set()
    go.wait()
    loaded = _analyse_until(language.analyzer, docs, stop, BATCH)
    out.put((n / s, loaded[0] / loaded[1]))


class _Separate:
    """The analyser as a child process, driven like the in-process thread."""

    def __init__(self, threads: int, minimum: int) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.ready, self.go, self.stop, self.out = ctx.Event(), ctx.Event(), ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(target=_analyser_process, args=(threads, minimum, self.ready, self.go, self.stop,
                                                                self.out))
        self.proc.start()


async def run(args: argparse.Namespace) -> None:
    from bot.ingest.fetch import Fetcher
    from bot.ingest.pipeline import Ingestor, key_of
    from bot.ingest.scheduler import Scheduler
    from bot.ingest.workers import CpuPool
    from bot.language import build_language
    from bot.settings import Settings
    from bot.storage.db import open_database
    from bot.storage.models import Article, Source
    from summarizer.types import Document

    hosts = [f"127.0.0.{i + 1}" for i in range(4)]
    server, port = start_server(hosts, args.items)
    tmp = Path(tempfile.mkdtemp(prefix="briefbot-bench-"))
    settings = Settings(_env_file=None, data_dir=tmp, fetch_allow_private=True, cpus=args.cpus,
                        model_threads=args.threads, extract_workers=args.workers)
    cpu = settings.cpu_plan
    language = build_language(settings)
    language.analyzer.warm_up()
    docs = [Document(id=str(i), text=t) for i, t in enumerate(_texts())]
    try:
        async with open_database(f"sqlite://{tmp / 'bench.sqlite3'}"):
            with CpuPool(cpu.extract_workers) as pool:
                async with Fetcher(settings) as fetcher:
                    pool.warm_up()
                    await pool.run(len, "")
                    separate = _Separate(cpu.model_threads, args.articles) if args.separate else None
                    if separate is not None:
                        await asyncio.to_thread(separate.ready.wait)
                    else:
                        quiet = threading.Event()
                        quiet.set()
                        n, s = await asyncio.to_thread(_analyse_until, language.analyzer, docs, quiet, args.articles)
                        quiet_rate = n / s
                    await Source.bulk_create([
                        Source(url=f"http://{hosts[i % len(hosts)]}:{port}/f/{i}.xml", url_key=key_of(f"f{i}"),
                               kind="feed", primed=True, interval_s=600)
                        for i in range(args.feeds)], batch_size=1000)
                    scheduler = Scheduler(Ingestor(settings, fetcher, pool), concurrency=settings.fetch_concurrency)
                    stop = threading.Event()
                    if separate is not None:
                        separate.go.set()
                    else:
                        analysing = asyncio.create_task(
                            asyncio.to_thread(_analyse_until, language.analyzer, docs, stop, BATCH))
                    t0 = time.perf_counter()
                    await scheduler.run_once(all_sources=True)
                    ingest_s = time.perf_counter() - t0
                    if separate is not None:
                        separate.stop.set()
                        quiet_rate, loaded_rate = await asyncio.to_thread(separate.out.get)
                        separate.proc.join()
                    else:
                        stop.set()
                        n, s = await analysing
                        loaded_rate = n / s
                    stored = await Article.filter(extraction="page").count()
    finally:
        server.kill()
    print(f"cpus: {cpu.describe()}" + ("; the analyser in a process of its own" if args.separate else ""))
    print(f"{'analysis alone':<44} {quiet_rate:6.1f} articles/s")
    print(f"{'analysis while ingesting':<44} {loaded_rate:6.1f} articles/s "
          f"({100 * loaded_rate / quiet_rate:.0f}% of alone; target >= 80%)")
    print(f"{'the ingest meanwhile':<44} {stored:>6} articles from {args.feeds} feeds in {ingest_s:.1f} s "
          f"({stored / ingest_s:.1f} articles/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=3, help="items per feed, each with a page to extract")
    parser.add_argument("--articles", type=int, default=96, help="articles analysed for the quiet figure")
    parser.add_argument("--cpus", type=int, default=0, help="CPUS (0: the cores this process may use)")
    parser.add_argument("--threads", type=int, default=0, help="MODEL_THREADS (0: from CPUS)")
    parser.add_argument("--workers", type=int, default=0, help="EXTRACT_WORKERS (0: from CPUS)")
    parser.add_argument("--separate", action="store_true", help="the analyser in a process of its own")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
