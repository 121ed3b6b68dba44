"""`briefbot ingest` of a feed bigger than MAX_NEW_ITEMS_PER_POLL stores every item."""

from __future__ import annotations

from pathlib import Path

from bot.ingest.fetch import Fetcher
from bot.ingest.pipeline import Ingestor
from bot.ingest.workers import CpuPool
from bot.services.ingest import IngestService
from bot.settings import Settings
from bot.storage.models import Article


def _rss(n: int) -> str:
    items = "".join(f"<item><title>Item {i}</title><link>https://outlet.example/{i}</link><guid>g{i}</guid>"
                    f"<description>Text of item number {i}, different from every other.</description></item>"
                    for i in range(n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'


async def test_a_one_off_ingest_takes_every_item_of_a_big_feed(db: str, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_text(_rss(450), encoding="utf-8")
    settings = settings.model_copy(update={"max_new_items_per_poll": 200, "fetch_pages": False})
    with CpuPool(1) as pool:
        async with Fetcher(settings) as fetcher:
            report = await IngestService(Ingestor(settings, fetcher, pool)).ingest(str(path))
    assert report.ok and len(report.new) == 450 and report.held_back == 0
    assert await Article.all().count() == 450
