"""`make bench` (several processes): analysis throughput with 1 and 2 `briefbot run --roles analyse`
processes sharing one PostgreSQL database (target: 2 processes >= 1.6x one, on a 2-core machine).

Each run gets a fresh database with the same articles (the demo feed's texts, or the sample
article, repeated under different ids), starts the processes (each with 1 torch thread) and
times from the moment the first one reports its models ready until every article is analysed.
Needs PostgreSQL: PG_TEST_URL, default postgres://postgres@127.0.0.1:5432/test (skipped if absent).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.analysis import _texts

ADMIN = os.environ.get("PG_TEST_URL", "postgres://postgres@127.0.0.1:5432/test")
BRIEFBOT = str(Path(sys.executable).with_name("briefbot"))


async def _database() -> tuple[str, str] | None:
    import asyncpg

    name = f"briefbot_bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(ADMIN.replace("postgres://", "postgresql://", 1))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"analysers: skipped, PostgreSQL is not reachable at {ADMIN} ({exc})")
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{ADMIN.rsplit('/', 1)[0]}/{name}", name


async def _drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _fill(url: str, n: int) -> None:
    from datetime import UTC, datetime

    from bot.ingest.pipeline import key_of
    from bot.storage.db import open_database
    from bot.storage.models import Article, ArticleSighting, Source

    texts = _texts()
    now = datetime.now(UTC)
    async with open_database(url):
        source = await Source.create(url="https://bench.example/feed", url_key="bench", title="Bench Wire")
        for i in range(n):
            article = await Article.create(source=source, url=f"https://bench.example/{i}", url_key=key_of(str(i)),
                                           content_hash=key_of(f"h{i}"), title=f"Bench article {i}",
                                           text=texts[i % len(texts)], extraction="page", fetched_at=now,
                                           published_at=now)
            await ArticleSighting.create(source=source, article=article, item_key=str(i), seen_at=now)


async def _left(url: str) -> int:
    from bot.storage.db import open_database
    from bot.storage.models import Article

    async with open_database(url, migrate=False):
        return await Article.filter(analyzed_at__isnull=True).count()


async def _one(processes: int, n: int) -> float | None:
    made = await _database()
    if made is None:
        return None
    url, name = made
    procs: list[subprocess.Popen[str]] = []
    try:
        await _fill(url, n)
        env = {**os.environ, "DATABASE_URL": url, "MODEL_THREADS": "1", "EXTRACT_WORKERS": "1", "LOG_LEVEL": "INFO",
               "WORKER_HEARTBEAT_S": "5", "DATA_DIR": tempfile.mkdtemp(prefix="briefbot-bench-")}
        env.pop("DISCORD_TOKEN", None)
        procs = [subprocess.Popen([BRIEFBOT, "run", "--roles", "analyse"], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
                 for _ in range(processes)]
        start = None
        while True:  # polls the database twice a second: the processes work meanwhile
            left = await _left(url)
            if start is None and left < n:
                start = time.perf_counter()  # the first article done: models loaded
                first_left = left
            if left == 0:
                break
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("an analyser process exited early")
            await asyncio.sleep(0.5)
        assert start is not None
        return (first_left - 0) / max(1e-9, time.perf_counter() - start)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        await _drop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args()
    rates = {}
    for processes in (1, 2):
        rate = asyncio.run(_one(processes, args.articles))
        if rate is None:
            return
        rates[processes] = rate
        print(f"analysers: {processes} process(es) x 1 thread: {rate:.1f} articles/s ({args.articles} articles)")
    print(f"analysers: 2 processes / 1 = {rates[2] / rates[1]:.2f}x (target >= 1.6x on 2 cores)")


if __name__ == "__main__":
    main()
