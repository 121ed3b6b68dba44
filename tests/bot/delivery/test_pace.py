"""Discord's global limit is per bot token: the processes of one bot share one pace. Three
processes on one PostgreSQL database, each sending as fast as its pace lets it, together never
make more than DELIVERY_REQUESTS_PER_S requests in any one second; on SQLite (one process) the
process paces itself the same way."""

from __future__ import annotations

import asyncio
import json
import time
from bisect import bisect_right

import pytest

from bot.delivery.pace import Pace, SharedPace
from tests.support.botproc import run_together

PER_S = 40
EACH = 40

SENDER = """
import asyncio, json, sys, time
from bot.delivery.pace import SharedPace
from bot.storage.db import open_database

async def main(url, per_s, n):
    async with open_database(url, migrate=False):
        pace = SharedPace(per_s)
        print("ready", flush=True)
        sys.stdin.readline()  # all start together
        out = []
        for _ in range(n):
            await pace.wait()
            out.append(time.time())
    print(json.dumps(out), flush=True)

asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
"""


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    return max(bisect_right(times, t + 1.0) - i for i, t in enumerate(times))


@pytest.mark.db
async def test_three_processes_share_one_pace_on_postgresql(db: str) -> None:
    if not db.startswith("postgres"):
        pytest.skip("several processes need PostgreSQL (make test-pg)")
    times = [t for line in run_together(SENDER, [db, str(PER_S), str(EACH)], 3, timeout=60) for t in json.loads(line)]
    assert len(times) == 3 * EACH
    assert most_in_any_second(times) <= PER_S, "together they stay under the one budget"
    # and they use it: 120 requests at 40/s take about 3 s, not 1 (three paces of their own)
    assert max(times) - min(times) >= (3 * EACH - 1) / PER_S * 0.95


async def test_one_process_paces_itself() -> None:
    pace = Pace(PER_S)
    times = []
    for _ in range(2 * PER_S):
        await pace.wait()
        times.append(time.time())
    assert most_in_any_second(times) <= PER_S


@pytest.mark.db
async def test_without_its_table_the_shared_pace_paces_the_process_alone(db: str) -> None:
    from tortoise import connections

    await connections.get("default").execute_script("DROP TABLE rate_budgets")
    pace = SharedPace(PER_S)
    times = []
    for _ in range(2 * PER_S):
        await asyncio.wait_for(pace.wait(), timeout=5)
        times.append(time.time())
    assert most_in_any_second(times) <= PER_S
