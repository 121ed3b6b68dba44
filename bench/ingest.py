"""`make bench`: ingestion speed and memory against a local feed server (a separate process).

Prints: time to re-poll N unchanged feeds (all 304), new articles ingested per second with page
extraction (F feeds x I items), and peak RSS of the ingesting process and its workers.
Targets on a 2-core machine: re-poll 10,000 feeds < 30 s, ingest >= 50 articles/s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from html import escape
from pathlib import Path

WORDS = (
    "the council minister said on tuesday that a new plan for the harbour would cost more than "
    "expected while union leaders warned of strikes across the rail network and officials in the "
    "region argued that energy prices water supplies and school budgets were under pressure after "
    "the storm farmers asked for help as talks with the government stalled late into the night"
).split()


def _paragraphs(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sents = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 22))).capitalize() + "."
                 for _ in range(rng.randint(3, 5))]
        out.append(" ".join(sents))
    return out


def _page(feed: int, item: int) -> bytes:
    title = f"Report {feed}-{item}: council weighs harbour plan"
    body = "".join(f"<p>{escape(p)}</p>" for p in _paragraphs(feed * 1000 + item, 7))
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(12))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="author" content="Staff Writer"><meta property="article:published_time" '
        f'content="2026-11-20T10:{item % 60:02d}:00Z"></head><body><header><ul>{nav}</ul></header>'
        f'<main><article><h1>{title}</h1><p class="byline">By Staff Writer</p>{body}</article></main>'
        f"<aside><h2>Most read</h2><ul>{nav}</ul></aside><footer>Bench Outlet. All rights reserved.</footer>"
        f"</body></html>"
    ).encode()


def _feed(base: str, feed: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Report {feed}-{j}: council weighs harbour plan</title>"
        f"<link>{base}/a/{feed}/{j}.html</link><guid>bench-{feed}-{j}</guid>"
        f"<pubDate>Fri, 20 Nov 2026 10:{j % 60:02d}:00 +0000</pubDate>"
        f"<description>Short summary of report {feed}-{j}.</description></item>"
        for j in range(items)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench feed {feed}</title>'
            f"<link>{base}/</link><description>bench</description>{entries}</channel></rss>").encode()


def serve(hosts: list[str], port_q: multiprocessing.Queue, items: int) -> None:  # runs in the server process
    from aiohttp import web

    async def unchanged(request: web.Request) -> web.Response:
        tag = f'"u{request.match_info["i"]}"'
        if request.headers.get("If-None-Match") == tag:
            return web.Response(status=304, headers={"ETag": tag})
        return web.Response(body=_feed(f"http://{request.host}", 0, 1), content_type="application/rss+xml",
                            headers={"ETag": tag})

    async def feed(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        return web.Response(body=_feed(f"http://{request.host}", i, items), content_type="application/rss+xml")

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=_page(int(request.match_info["i"]), int(request.match_info["j"])),
                            content_type="text/html", charset="utf-8")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/u/{i}.xml", unchanged)
        app.router.add_get("/f/{i}.xml", feed)
        app.router.add_get("/a/{i}/{j}.html", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        first = web.TCPSite(runner, hosts[0], 0, backlog=1024)
        await first.start()
        port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for host in hosts[1:]:
            await web.TCPSite(runner, host, port, backlog=1024).start()
        port_q.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


def start_server(hosts: list[str], items: int) -> tuple[multiprocessing.Process, int]:
    """The feed server in a process of its own, listening on ``hosts``; (process, port)."""
    ctx = multiprocessing.get_context("spawn")
    port_q: multiprocessing.Queue = ctx.Queue()
    server = ctx.Process(target=serve, args=(hosts, port_q, items), daemon=True)
    server.start()
    return server, port_q.get(timeout=60)  # type: ignore[return-value]


def _hwm_kb(pid: int | str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def run(args: argparse.Namespace) -> None:
    from bot.ingest.fetch import Fetcher
    from bot.ingest.pipeline import Ingestor, key_of
    from bot.ingest.scheduler import Scheduler
    from bot.ingest.workers import CpuPool
    from bot.settings import Settings
    from bot.storage.db import open_database
    from bot.storage.models import Article, Source

    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    server, port = start_server(hosts, args.items)
    tmp = Path(tempfile.mkdtemp(prefix="briefbot-bench-"))
    url = args.database_url or f"sqlite://{tmp / 'bench.sqlite3'}"
    overrides = {k: v for k, v in {"fetch_concurrency": args.concurrency, "fetch_per_host": args.per_host}.items() if v}
    settings = Settings(_env_file=None, data_dir=tmp, fetch_allow_private=True, extract_workers=args.workers,
                        **overrides)
    print(f"server: {len(hosts)} loopback hosts, port {port}; database: {url.split('?')[0]}; "
          f"workers: {args.workers or os.cpu_count()}; concurrency {settings.fetch_concurrency} "
          f"(per host {settings.fetch_per_host})")
    try:
        async with open_database(url):
            with CpuPool(settings.extract_workers) as pool:
                async with Fetcher(settings) as fetcher:
                    ingestor = Ingestor(settings, fetcher, pool)
                    scheduler = Scheduler(ingestor, concurrency=settings.fetch_concurrency)
                    pool.warm_up()
                    await pool.run(len, "")  # start the workers before timing

                    # 1. re-poll unchanged feeds
                    await Source.bulk_create([
                        Source(url=f"http://{hosts[i % len(hosts)]}:{port}/u/{i}.xml", url_key=key_of(f"u{i}"),
                               kind="feed", primed=True, etag=f'"u{i}"', interval_s=600)
                        for i in range(args.repoll_feeds)
                    ], batch_size=1000)
                    t0 = time.perf_counter()
                    reports = await scheduler.run_once(all_sources=True)
                    repoll_s = time.perf_counter() - t0
                    unchanged = sum(r.not_modified for r in reports)
                    await Source.all().update(scheduled=False)

                    # 2. ingest new articles with page extraction
                    await Source.bulk_create([
                        Source(url=f"http://{hosts[i % len(hosts)]}:{port}/f/{i}.xml", url_key=key_of(f"f{i}"),
                               kind="feed", primed=True, interval_s=600)
                        for i in range(args.feeds)
                    ], batch_size=1000)
                    t0 = time.perf_counter()
                    reports = await scheduler.run_once(all_sources=True)
                    ingest_s = time.perf_counter() - t0
                    failed = [r for r in reports if not r.ok]
                    stored = await Article.filter(extraction="page").count()
                    workers_kb = [_hwm_kb(p) for p in getattr(pool._executor, "_processes", {}) or {}]
    finally:
        server.kill()
    expected = args.feeds * args.items
    rate = stored / ingest_s if ingest_s else 0.0
    main_mb = _hwm_kb() / 1024
    print()
    print(f"{'re-poll unchanged feeds':<44} {args.repoll_feeds:>7} feeds  {repoll_s:8.1f} s   "
          f"({unchanged} answered 304; target < 30 s for 10,000)")
    print(f"{'ingest with page extraction':<44} {stored:>7} articles {ingest_s:6.1f} s   "
          f"{rate:6.1f} articles/s (target >= 50; expected {expected}, failed feeds {len(failed)})")
    print(f"{'peak RSS, ingesting process':<44} {main_mb:8.0f} MB")
    if workers_kb:
        print(f"{'peak RSS, each worker process':<44} " + ", ".join(f"{kb / 1024:.0f} MB" for kb in workers_kb))
    if failed:
        print(f"first failure: {failed[0].url}: {failed[0].error}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repoll-feeds", type=int, default=10_000)
    parser.add_argument("--feeds", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--hosts", type=int, default=8, help="loopback addresses the server listens on")
    parser.add_argument("--concurrency", type=int, default=None, help="default: FETCH_CONCURRENCY's default")
    parser.add_argument("--per-host", type=int, default=None, help="default: FETCH_PER_HOST's default")
    parser.add_argument("--workers", type=int, default=0, help="extraction processes (0 = one per core)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
