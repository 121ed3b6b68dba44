"""The work queue's own cost per job (PgQueuer on PostgreSQL; target under 5 ms): jobs enqueued
one per transaction, as the ingest does, then taken and finished by one worker whose handler does
nothing, so what is timed is the queue alone.

    python -m bench.queue [--jobs 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.processes import drop_database, fresh_database
from bot.storage.db import open_database
from bot.storage.jobs import ANALYSE, enqueue_analysis
from bot.workers.queue import QueueWorker


async def _bench(jobs: int) -> None:
    from tortoise import connections
    from tortoise.transactions import in_transaction

    made = await fresh_database()
    if made is None:
        return
    url, name = made
    try:
        async with open_database(url):  # migrates, and installs the queue
            start = time.perf_counter()
            for i in range(jobs):
                async with in_transaction() as conn:
                    await enqueue_analysis(conn, [i + 1])
            enqueue_s = time.perf_counter() - start
            print(f"enqueue: {jobs} jobs, one transaction each: {1000 * enqueue_s / jobs:.2f} ms per job")

            done = asyncio.Event()
            count = 0

            async def nothing(payload: str) -> None:
                nonlocal count
                count += 1
                if count == jobs:
                    done.set()

            stop = asyncio.Event()
            worker = asyncio.create_task(QueueWorker(url, ANALYSE, nothing, batch_size=16).run(stop))
            start = time.perf_counter()
            await asyncio.wait_for(done.wait(), timeout=600)
            take_s = time.perf_counter() - start
            stop.set()
            await worker
            left = await _left(connections.get("default"))
            print(f"take and finish: {jobs} jobs by one worker (batches of 16): {1000 * take_s / jobs:.2f} ms per job "
                  f"({jobs / take_s:.0f} jobs/s; {left} left on the queue)")
            print(f"queue overhead per job (enqueue + take + finish): {1000 * (enqueue_s + take_s) / jobs:.2f} ms "
                  f"(target < 5 ms)")
    finally:
        await drop_database(name)


async def _left(conn) -> int:  # type: ignore[no-untyped-def]
    rows = await conn.execute_query_dict("SELECT count(*) AS n FROM pgqueuer WHERE status IN ('queued', 'picked')")
    return int(rows[0]["n"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(_bench(args.jobs))


if __name__ == "__main__":
    main()
