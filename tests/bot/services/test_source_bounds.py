"""Adding a source whose feed carries values too long for their columns, over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.ingest.fetch import Fetcher
from bot.ingest.pipeline import Ingestor
from bot.ingest.workers import CpuPool
from bot.services.sources import SourceService
from bot.settings import Settings
from bot.storage.models import Article, Source
from tests.support.feedserver import FeedServer

LONG_LINK = "https://outlet.example/" + "a" * 3000
LONG_TITLE = "Title " * 1000 + "\ud83d"


def _rss(port: int) -> str:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>{LONG_TITLE.replace(chr(0xd83d), '')}</title>
<link>{LONG_LINK}</link><description>d</description>
<item><title>One</title><link>http://127.0.0.1:{port}/one</link><guid>one</guid>
<description>First item text, long enough to be an article of its own for the test.</description></item>
</channel></rss>"""


@pytest.fixture
async def service(db: str, settings: Settings) -> AsyncIterator[tuple[SourceService, FeedServer]]:
    server = await FeedServer().start()
    settings = settings.model_copy(update={"fetch_pages": False})
    with CpuPool(1) as pool:
        async with Fetcher(settings) as fetcher:
            yield SourceService(Ingestor(settings, fetcher, pool), default_interval_s=600), server
    await server.close()


async def test_a_channel_link_and_title_longer_than_their_columns_still_add_the_source(service) -> None:
    sources, server = service
    url = server.set("/feed.xml", _rss(server.port), content_type="application/rss+xml")
    added = await sources.add(url)
    source = await Source.get(id=added.source.id)
    assert source.site_url is None, "a link cut short would point elsewhere: it is dropped"
    assert source.title is not None and len(source.title) <= 512 and source.title.endswith("…")
    assert added.first_poll.ok and await Article.filter(source_id=source.id).count() == 1
