"""Database lifetime: tortoise config, migrations, open/close."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.exceptions import ConfigurationError, DBConnectionError
from tortoise.migrations.api import migrate as _migrate

from bot.errors import ConfigError
from bot.storage.jobs import install as install_queue

log = logging.getLogger(__name__)

MODELS_MODULE = "bot.storage.models"
MIGRATIONS_MODULE = "bot.storage.migrations"
MIGRATION_LOCK_KEY = 0x62726966  # "brif": the advisory lock that serialises migrations on PostgreSQL


# SQLite: WAL with synchronous=NORMAL is durable against crashes of the process (not of the
# machine's power) and avoids an fsync per transaction; busy_timeout lets the CLI and a running
# bot share the file.
SQLITE_DEFAULTS = {"synchronous": "NORMAL", "busy_timeout": "10000"}


def tortoise_config(url: str) -> dict[str, Any]:
    """The tortoise config dict for a database URL (sqlite://PATH or postgres://...)."""
    if not url.startswith(("sqlite://", "postgres://", "asyncpg://", "psycopg://")):
        raise ConfigError(f"unsupported DATABASE_URL scheme: {url.split(':', 1)[0]!r} (use sqlite:// or postgresql://)")
    if url.startswith("sqlite://"):
        path, _, query = url.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        url = path + "?" + "&".join(f"{k}={v}" for k, v in {**SQLITE_DEFAULTS, **params}.items())
    return {
        "connections": {"default": url},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def is_postgres(url: str) -> bool:
    return not url.startswith("sqlite://")


def asyncpg_dsn(url: str) -> str:
    """asyncpg's spelling of a postgres:// (or asyncpg://, psycopg://) DATABASE_URL."""
    return "postgresql://" + url.split("://", 1)[1]


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite://"):
        path = url[len("sqlite://") :].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
    return url


async def upgrade(url: str, *, progress: Any = None) -> None:
    """Apply every pending migration (forward only). On PostgreSQL, processes starting together
    migrate one after the other (an advisory lock): the first applies, the others find it done."""
    _ensure_sqlite_dir(url)
    try:
        async with _migration_lock(url) as conn:
            await _migrate(config=tortoise_config(url), direction="forward", progress=progress)
            if conn is not None:  # PostgreSQL: the work queue's tables (bot/workers/queue.py)
                await install_queue(conn)
    except (OSError, DBConnectionError, ConfigurationError) as exc:
        raise ConfigError(f"cannot open the database {_redacted(url)}: {exc}") from exc
    finally:
        await Tortoise.close_connections()


@asynccontextmanager
async def _migration_lock(url: str) -> AsyncIterator[Any]:
    """Hold the migration lock; yields its asyncpg connection on PostgreSQL, None on SQLite."""
    if url.startswith("sqlite://"):  # SQLite: the database file's own lock serialises writers
        yield None
        return
    import asyncpg

    try:
        conn = await asyncpg.connect(asyncpg_dsn(url))
    except (OSError, asyncpg.PostgresError) as exc:
        raise DBConnectionError(str(exc)) from exc
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield conn
    finally:
        await conn.close()  # closing the session releases its advisory lock


@asynccontextmanager
async def open_database(url: str, *, migrate: bool = True) -> AsyncIterator[None]:
    """Open the database for the duration of the block (migrating it first by default)."""
    if migrate:
        await upgrade(url)
    _ensure_sqlite_dir(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        yield
    finally:
        await Tortoise.close_connections()
