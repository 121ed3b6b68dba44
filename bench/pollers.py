"""`make bench` (several processes): re-poll of 20,000 unchanged feeds (each answers 304) by 1 and
by 2 `briefbot run --roles poll` processes sharing one PostgreSQL database.

Each run gets a fresh database with the feeds due now, starts the processes, and times from the
first poll stored until every feed has been polled (each due poll is a job on the work queue, taken
by one poller; the pollers' first sweep gives the feeds their jobs). Needs PostgreSQL: PG_TEST_URL, default
postgres://postgres@127.0.0.1:5432/test (skipped if absent).

    python -m bench.pollers [--feeds 20000]
"""

from __future__ import annotations

import argparse
import asyncio

from bench.ingest import start_server
from bench.processes import drop_database, fresh_database, rate_of

HOSTS = [f"127.0.0.{i + 1}" for i in range(8)]


async def _fill(url: str, port: int, n: int) -> None:
    from bot.ingest.pipeline import key_of
    from bot.storage.db import open_database
    from bot.storage.models import Source

    async with open_database(url):
        await Source.bulk_create([
            Source(url=f"http://{HOSTS[i % len(HOSTS)]}:{port}/u/{i}.xml", url_key=key_of(f"u{i}"), kind="feed",
                   primed=True, etag=f'"u{i}"', interval_s=3600)
            for i in range(n)], batch_size=1000)


async def _polled(url: str) -> int:
    from bot.storage.db import open_database
    from bot.storage.models import Source

    async with open_database(url, migrate=False):
        return await Source.filter(last_polled_at__not_isnull=True).count()


async def _one(processes: int, n: int, port: int) -> float | None:
    made = await fresh_database()
    if made is None:
        return None
    url, name = made
    try:
        await _fill(url, port, n)
        return await rate_of(url, "poll", processes, n, _polled,
                             {"LOG_LEVEL": "WARNING", "FETCH_ALLOW_PRIVATE": "true", "SCHEDULER_TICK_S": "1"})
    finally:
        await drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=20_000)
    args = parser.parse_args()
    server, port = start_server(HOSTS, 1)
    try:
        rates = {}
        for processes in (1, 2):
            rate = asyncio.run(_one(processes, args.feeds, port))
            if rate is None:
                return
            rates[processes] = rate
            print(f"pollers: {processes} process(es): {args.feeds} unchanged feeds re-polled at "
                  f"{rate:.0f} feeds/s ({args.feeds / rate:.1f} s)")
        print(f"pollers: 2 processes / 1 = {rates[2] / rates[1]:.2f}x")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
