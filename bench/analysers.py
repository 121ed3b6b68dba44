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

from bench.analysis import _texts
from bench.processes import drop_database, fresh_database, rate_of

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


async def _analysed(url: str) -> int:
    from bot.storage.db import open_database
    from bot.storage.models import Article

    async with open_database(url, migrate=False):
        return await Article.filter(analyzed_at__isnull=False).count()


async def _one(processes: int, n: int) -> float | None:
    made = await fresh_database()
    if made is None:
        return None
    url, name = made
    try:
        await _fill(url, n)
        return await rate_of(url, "analyse", processes, n, _analysed, {"MODEL_THREADS": "1", "LOG_LEVEL": "INFO"})
    finally:
        await drop_database(name)


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
