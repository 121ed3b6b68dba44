"""One long-running `briefbot run` per SQLite database.

SQLite is one process with every role: a second `briefbot run` on the same file, or a subset of
roles, is refused with one line. Short-lived commands (console, ingest, analyze, source ...) still
share the file with a running bot; their claims are atomic. The lock is an OS file lock next to the
database, released by the OS when the process ends, however it ends.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from bot.errors import ConfigError
from bot.workers.roles import ALL, describe


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a ``sqlite://`` URL; None for PostgreSQL (or an in-memory database)."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    return None if not path or path == ":memory:" else Path(path)


@contextmanager
def one_run_per_sqlite(database_url: str, roles: frozenset[str]) -> Iterator[None]:
    """Hold the database's run lock for the block (PostgreSQL: nothing to hold)."""
    path = sqlite_path(database_url)
    if path is None:
        yield
        return
    if roles != ALL:
        raise ConfigError(f"--roles {describe(roles)} needs PostgreSQL (DATABASE_URL=postgresql://...): on SQLite "
                          "Briefbot runs as one process with every role")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(f"{path}.run.lock", timeout=0)
    holder = Path(f"{path}.run.pid")
    try:
        lock.acquire()
    except Timeout:
        who = holder.read_text(encoding="utf-8", errors="replace").strip()[:200] if holder.exists() else ""
        raise ConfigError(f"another `briefbot run`{f' ({who})' if who else ''} is using {path}: stop it first, or use "
                          "PostgreSQL to run several processes") from None
    try:
        holder.write_text(f"pid {os.getpid()} on {socket.gethostname()}", encoding="utf-8")
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()
