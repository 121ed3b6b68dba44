"""Benchmarks of several `briefbot run --roles ...` processes on one fresh PostgreSQL database
(PG_TEST_URL, default postgres://postgres@127.0.0.1:5432/test): the database, the processes and
the timing they share."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

ADMIN = os.environ.get("PG_TEST_URL", "postgres://postgres@127.0.0.1:5432/test")
BRIEFBOT = str(Path(sys.executable).with_name("briefbot"))


async def fresh_database() -> tuple[str, str] | None:
    import asyncpg

    name = f"briefbot_bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(ADMIN.replace("postgres://", "postgresql://", 1))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"skipped: PostgreSQL is not reachable at {ADMIN} ({exc})")
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{ADMIN.rsplit('/', 1)[0]}/{name}", name


async def drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def rate_of(url: str, roles: str, processes: int, total: int, done: Callable[[str], Awaitable[int]],
                  env: dict[str, str]) -> float:
    """Start ``processes`` `briefbot run --roles ROLES` on ``url`` and time them from the first job
    ``done`` counts (the models are loaded by then) until all ``total`` are done; jobs per second."""
    env = {**os.environ, "DATABASE_URL": url, "EXTRACT_WORKERS": "1", "WORKER_HEARTBEAT_S": "5",
           "DATA_DIR": tempfile.mkdtemp(prefix="briefbot-bench-"), **env}
    env.pop("DISCORD_TOKEN", None)
    procs = [subprocess.Popen([BRIEFBOT, "run", "--roles", roles], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
             for _ in range(processes)]
    try:
        start = first = None
        while True:  # reads the database twice a second: the processes work meanwhile
            count = await done(url)
            if start is None and count:
                start, first = time.perf_counter(), count
            if count >= total:
                break
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"a `--roles {roles}` process exited early")
            await asyncio.sleep(0.5)
        assert start is not None and first is not None
        return (total - first) / max(1e-9, time.perf_counter() - start)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
