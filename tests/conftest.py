"""Shared fixtures. The database fixture runs on SQLite, or on PostgreSQL when
BRIEFBOT_TEST_DATABASE_URL names one (CI does both)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if {"db", "db_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
        if item.get_closest_marker("shared") and not SHARED.is_dir():
            item.add_marker(pytest.mark.skip(reason=f"../shared is absent ({SHARED}): corpus tests run in CI"))


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED})")
    return SHARED


async def _pg_fresh_database(admin_url: str, template: str | None = None) -> tuple[str, str]:
    import asyncpg

    name = f"briefbot_t_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}", name


async def _pg_drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def db_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL (not yet migrated)."""
    pg = os.environ.get("BRIEFBOT_TEST_DATABASE_URL")
    if pg:
        url, name = await _pg_fresh_database(pg)
        try:
            yield url
        finally:
            await _pg_drop_database(pg, name)
    else:
        yield f"sqlite://{tmp_path / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database migrated once for the whole run (a migration takes over a second); each
    test's ``db`` starts as a copy of it: the SQLite file, or PostgreSQL's database template."""
    from bot.storage.db import upgrade

    pg = os.environ.get("BRIEFBOT_TEST_DATABASE_URL")
    if pg:
        url, name = asyncio.run(_pg_fresh_database(pg))
        try:
            asyncio.run(upgrade(url))
            yield name
        finally:
            asyncio.run(_pg_drop_database(pg, name))
    else:
        path = tmp_path_factory.mktemp("migrated") / "template.sqlite3"
        asyncio.run(upgrade(f"sqlite://{path}"))
        yield str(path)


@pytest.fixture
async def db(tmp_path: Path, _migrated: str) -> AsyncIterator[str]:
    """A migrated database, open for the test (tortoise initialised)."""
    from bot.storage.db import open_database

    pg = os.environ.get("BRIEFBOT_TEST_DATABASE_URL")
    if pg:
        url, name = await _pg_fresh_database(pg, template=_migrated)
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(_migrated, path)
        url, name = f"sqlite://{path}", ""
    try:
        async with open_database(url):  # finds every migration applied
            yield url
    finally:
        if pg:
            await _pg_drop_database(pg, name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for tests: no .env, loopback allowed (guard tests build their own policy)."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        fetch_allow_private=True,
        fetch_connect_timeout_s=2,
        fetch_read_timeout_s=2,
        fetch_total_timeout_s=5,
    )
