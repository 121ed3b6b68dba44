"""`make bench`: analysis throughput while a 1,000-feed ingest runs in the same process.

The analyser (torch threads) and the feed parsing and page extraction workers share the cores.
This measures analysis articles/s alone ("quiet", the mean of a run before the ingest and one
after it, as the machine's own load drifts), and while the same process ingests
1,000 feeds with page extraction from a local feed server, with the split ``CPUS`` gives
(bot/cpus.py) or the one given by --threads/--workers. Target: under ingestion >= 80% of quiet.
The analyser is driven as `briefbot run` drives it: from a thread of the process that ingests, its
model work in a child process (ANALYSIS_PROCESS, the default); ``--in-thread`` runs the model work
in that thread itself (ANALYSIS_PROCESS=false), where it shares one interpreter with the ingest.

    python -m bench.contention [--feeds 1000] [--items 3] [--threads N --workers N] [--in-thread]
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


def _analyse_until(analyzer, docs, stop: threading.Event, minimum: int, in_flight: int = 1) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Analyse batches of ``docs`` until ``stop`` is set (and at least ``minimum`` articles), with
    ``in_flight`` batches handed to the analyser at once (as the analysis service does); returns
    (articles, seconds)."""
    counts = [0] * in_flight
    t0 = time.perf_counter()

    def caller(k: int) -> None:
        i = k * BATCH
        while not stop.is_set() or sum(counts) < minimum:
            analyzer.run_many([docs[(i + j) % len(docs)] for j in range(BATCH)])
            counts[k] += BATCH
            i += BATCH * in_flight

    callers = [threading.Thread(target=caller, args=(k,)) for k in range(in_flight)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    return sum(counts), time.perf_counter() - t0


async def run(args: argparse.Namespace) -> None:
    from bot.ingest.fetch import Fetcher
    from bot.ingest.pipeline import Ingestor, key_of
    from bot.ingest.scheduler import Scheduler
    from bot.ingest.workers import CpuPool
    from bot.language import build_language
    from bot.settings import Settings
    from bot.storage.db import open_database
    from bot.storage.models import Article, Source
    from bot.workers.analyser import IN_FLIGHT, AnalyserProcess
    from summarizer.types import Document

    hosts = [f"127.0.0.{i + 1}" for i in range(4)]
    server, port = start_server(hosts, args.items)
    tmp = Path(tempfile.mkdtemp(prefix="briefbot-bench-"))
    settings = Settings(_env_file=None, data_dir=tmp, fetch_allow_private=True, cpus=args.cpus,
                        model_threads=args.threads, extract_workers=args.workers)
    cpu = settings.cpu_plan
    analyzer = build_language(settings).analyzer if args.in_thread else AnalyserProcess.for_settings(settings)
    in_flight = 1 if args.in_thread else IN_FLIGHT
    analyzer.warm_up()
    docs = [Document(id=str(i), text=t) for i, t in enumerate(_texts())]
    analyzer.run_many(docs[:BATCH])  # untimed: the first batch's one-off costs stay out of both figures
    try:
        async with open_database(f"sqlite://{tmp / 'bench.sqlite3'}"):
            with CpuPool(cpu.extract_workers) as pool:
                async with Fetcher(settings) as fetcher:
                    pool.warm_up()
                    await pool.run(len, "")
                    quiet = threading.Event()
                    quiet.set()
                    n, s = await asyncio.to_thread(_analyse_until, analyzer, docs, quiet, args.articles // 2, in_flight)
                    before = n / s
                    await Source.bulk_create([
                        Source(url=f"http://{hosts[i % len(hosts)]}:{port}/f/{i}.xml", url_key=key_of(f"f{i}"),
                               kind="feed", primed=True, interval_s=600)
                        for i in range(args.feeds)], batch_size=1000)
                    scheduler = Scheduler(Ingestor(settings, fetcher, pool), concurrency=settings.fetch_concurrency)
                    stop = threading.Event()
                    analysing = asyncio.create_task(asyncio.to_thread(_analyse_until, analyzer, docs, stop, BATCH, in_flight))
                    t0 = time.perf_counter()
                    await scheduler.run_once(all_sources=True)
                    ingest_s = time.perf_counter() - t0
                    stop.set()
                    n, s = await analysing
                    loaded_rate = n / s
                    stored = await Article.filter(extraction="page").count()
                    # alone again: the machine's own load may have changed meanwhile
                    n, s = await asyncio.to_thread(_analyse_until, analyzer, docs, quiet, args.articles // 2, in_flight)
                    after = n / s
                    quiet_rate = (before + after) / 2
    finally:
        server.kill()
        close = getattr(analyzer, "close", None)
        if close is not None:
            close()
    where = "in a thread of the ingesting process" if args.in_thread else "in a child process"
    print(f"cpus: {cpu.describe()}; the analyser's model work {where}")
    print(f"{'analysis alone':<44} {quiet_rate:6.1f} articles/s (before {before:.1f}, after {after:.1f})")
    print(f"{'analysis while ingesting':<44} {loaded_rate:6.1f} articles/s "
          f"({100 * loaded_rate / quiet_rate:.0f}% of alone; target >= 80%)")
    print(f"{'the ingest meanwhile':<44} {stored:>6} articles from {args.feeds} feeds in {ingest_s:.1f} s "
          f"({stored / ingest_s:.1f} articles/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=3, help="items per feed, each with a page to extract")
    parser.add_argument("--articles", type=int, default=160, help="articles analysed alone (half before the ingest, half after)")
    parser.add_argument("--cpus", type=int, default=0, help="CPUS (0: the cores this process may use)")
    parser.add_argument("--threads", type=int, default=0, help="MODEL_THREADS (0: from CPUS)")
    parser.add_argument("--workers", type=int, default=0, help="EXTRACT_WORKERS (0: from CPUS)")
    parser.add_argument("--in-thread", action="store_true",
                        help="the model work in a thread of the ingesting process (ANALYSIS_PROCESS=false)")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
