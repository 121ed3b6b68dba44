"""Issue 10, defect 14: `/why URL` looks only at the articles the server's own sources found, and
picks one deterministically when several pages declare the same canonical URL (any publisher can
declare any URL, so another server's pages must never break or answer this server's `/why`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import InvalidInputError
from bot.ingest.pipeline import key_of
from bot.language import build_language
from bot.services.why import WhyService
from bot.settings import Settings
from bot.storage.models import Article, ArticleSighting, Source

CANONICAL = "https://wire.example/2026/11/the-story"
T = datetime(2026, 11, 20, 12, tzinfo=UTC)


async def page(guild: int, slug: str, title: str, *, canonical: str | None = CANONICAL) -> Article:
    source, _ = await Source.get_or_create(guild_id=guild, url_key=key_of(f"{guild}-feed"),
                                           defaults={"url": f"https://g{guild}.example/feed", "title": f"Outlet {guild}"})
    url = f"https://g{guild}.example/{slug}"
    article = await Article.create(source=source, url=url, url_key=key_of(url), canonical_url=canonical,
                                   content_hash=key_of(slug), title=title, text=f"{title}. " * 20,
                                   extraction="page", fetched_at=T)
    await ArticleSighting.create(source=source, article=article, item_key=key_of(url), seen_at=T)
    return article


@pytest.fixture
def why() -> WhyService:
    return WhyService(build_language(Settings(_env_file=None)).topics)  # topics unused: no subscriptions


async def test_why_by_canonical_url_sees_only_this_servers_pages(db: str, why: WhyService) -> None:
    await page(2, "copy", "Another server's copy")  # a publisher elsewhere declares the same URL
    await page(3, "spoof", "A spoof")
    mine = await page(1, "original", "The original report")
    trace = await why.trace(1, CANONICAL, subscriptions=False)
    assert trace.found and trace.article is not None and trace.article.article_id == mine.id
    assert trace.article.title == "The original report"
    other = await why.trace(2, CANONICAL, subscriptions=False)
    assert other.article is not None and other.article.title == "Another server's copy"
    assert not (await why.trace(4, CANONICAL, subscriptions=False)).found


async def test_why_picks_one_page_when_several_of_its_own_declare_the_url(db: str, why: WhyService) -> None:
    first = await page(1, "first", "First page")
    await page(1, "second", "Second page")
    for _ in range(2):
        trace = await why.trace(1, CANONICAL, subscriptions=False)
        assert trace.article is not None and trace.article.article_id == first.id
    exact = await why.trace(1, "https://g1.example/second", subscriptions=False)
    assert exact.article is not None and exact.article.title == "Second page"  # its own address wins


@pytest.mark.parametrize("url", ["https://a.example/\ud83d", "https://a.example/\x00", "https://a.example/\nx",
                                 "https://" + "a" * 3000, "ftp://a.example/", "javascript:alert(1)"])
async def test_why_refuses_addresses_that_cannot_be_looked_up(db: str, why: WhyService, url: str) -> None:
    with pytest.raises(InvalidInputError, match="full web address"):
        await why.trace(1, url)
