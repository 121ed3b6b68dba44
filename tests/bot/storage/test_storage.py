"""Storage on SQLite and PostgreSQL: migrations, constraints, time zones, scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.migrations.autodetector import MigrationAutodetector

from bot.storage.db import tortoise_config, upgrade
from bot.storage.models import Article, ArticleSighting, Source
from bot.storage.queries import latest_articles


async def test_committed_migrations_match_the_models(db: str) -> None:
    config = tortoise_config(db)
    writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
    assert writers == [], "models changed without a migration: run makemigrations (see README)"


async def test_upgrade_is_idempotent(db_url: str) -> None:
    applied: list[str] = []
    await upgrade(db_url, progress=lambda ev, app, name: applied.append(name) if ev == "apply_done" else None)
    assert applied and applied[0].startswith("0001")
    again: list[str] = []
    await upgrade(db_url, progress=lambda ev, app, name: again.append(name) if ev == "apply_done" else None)
    assert again == []


async def _article(source: Source, key: str, fetched: datetime, **kw) -> Article:
    return await Article.create(source=source, url=f"https://n.example/{key}", url_key=key, content_hash=key,
                                text="t", extraction="page", fetched_at=fetched, **kw)


async def test_times_come_back_as_aware_utc(db: str) -> None:
    source = await Source.create(url="https://n.example/feed", url_key="k")
    cet = timezone(timedelta(hours=1))
    art = await _article(source, "a", datetime(2026, 11, 26, 13, 0, tzinfo=cet),
                         published_at=datetime(2026, 11, 26, 9, 30, tzinfo=cet))
    back = await Article.get(id=art.id)
    assert back.fetched_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert back.fetched_at.utcoffset() == timedelta(0)
    assert back.published_at == datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    assert (await Source.get(id=source.id)).created_at.tzinfo is not None


async def test_article_url_key_is_unique(db: str) -> None:
    source = await Source.create(url="https://n.example/feed", url_key="k")
    now = datetime.now(UTC)
    await _article(source, "same", now)
    with pytest.raises(IntegrityError):
        await _article(source, "same", now)


async def test_source_unique_per_guild_only(db: str) -> None:
    await Source.create(guild_id=1, url="https://n.example/feed", url_key="k")
    await Source.create(guild_id=2, url="https://n.example/feed", url_key="k")
    with pytest.raises(IntegrityError):
        await Source.create(guild_id=1, url="https://n.example/feed", url_key="k")


async def test_latest_articles_newest_first_and_guild_scoped(db: str) -> None:
    s1 = await Source.create(guild_id=1, url="https://one.example/feed", url_key="1")
    s2 = await Source.create(guild_id=2, url="https://two.example/feed", url_key="2")
    t0 = datetime(2026, 11, 26, tzinfo=UTC)
    a = await _article(s1, "a", t0)
    b = await _article(s2, "b", t0 + timedelta(minutes=1))
    c = await _article(s1, "c", t0 + timedelta(minutes=2))
    for art, src in ((a, s1), (b, s2), (c, s1)):
        await ArticleSighting.create(source=src, article=art, item_key=art.url_key, seen_at=t0)
    assert [r.id for r in await latest_articles(10)] == [c.id, b.id, a.id]
    assert [r.id for r in await latest_articles(10, guild_id=1)] == [c.id, a.id]
    assert [r.id for r in await latest_articles(1, guild_id=2)] == [b.id]


async def test_upgrade_keeps_rows_written_under_the_first_schema(db_url: str) -> None:
    from tortoise.migrations.api import migrate

    await migrate(config=tortoise_config(db_url), target="models.0001_initial")
    conn = Tortoise.get_connection("default")
    await conn.execute_script(
        "INSERT INTO sources (guild_id, url, url_key, kind, interval_s, failure_count, primed, scheduled, created_at)"
        " VALUES (0, 'https://n.example/feed', 'k', 'feed', 600, 0, TRUE, TRUE, '2026-01-01 00:00:00+00:00');"
        "INSERT INTO articles (source_id, url, url_key, content_hash, text, extraction, fetched_at, deliverable)"
        " VALUES (1, 'https://n.example/a', 'ak', 'h', 'body', 'page', '2026-01-01 00:00:00+00:00', TRUE);"
    )
    await Tortoise.close_connections()
    await upgrade(db_url)
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        art = await Article.get(url_key="ak")
        assert art.text == "body" and art.analyzed_at is None and art.analysis_error is None
    finally:
        await Tortoise.close_connections()


async def test_every_declared_index_exists(db: str) -> None:
    """A migration that rebuilds a SQLite table must not lose its indexes (0002 did; 0003 restores)."""
    conn = Tortoise.get_connection("default")
    if db.startswith("sqlite"):
        rows = await conn.execute_query_dict(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'articles' AND sql IS NOT NULL")
        sql = " ".join(r["sql"] for r in rows)
    else:
        rows = await conn.execute_query_dict("SELECT indexdef FROM pg_indexes WHERE tablename = 'articles'")
        sql = " ".join(r["indexdef"] for r in rows)
    for column in ("content_hash", "published_at", "fetched_at", "analyzed_at"):
        assert f"({column})" in sql.replace('"', ""), f"no index on articles.{column}"
