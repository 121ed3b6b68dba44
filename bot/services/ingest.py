"""One-off ingestion of feeds or pages given by URL or as saved files (`briefbot ingest`)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from bot.errors import BriefbotError
from bot.services.files import read_capped
from bot.ingest.pipeline import Classified, Ingestor, PollReport, url_key
from bot.ingest.types import FetchResult
from bot.ingest.urls import validate_source_url
from bot.storage.models import Source


class IngestService:
    def __init__(self, ingestor: Ingestor, *, max_file_bytes: int = 10 * 1024 * 1024) -> None:
        self._ingestor = ingestor
        self._max_file_bytes = max_file_bytes  # a saved feed or page: no bigger than a fetched one

    async def ingest(self, target: str, *, fetch_pages: bool | None = None) -> PollReport:
        """Ingest one URL or file path. Raises BriefbotError with a one-line reason on failure."""
        if "://" in target and not target.startswith("file://"):
            return await self.ingest_url(target, fetch_pages=fetch_pages)
        return await self.ingest_file(Path(target.removeprefix("file://")), fetch_pages=fetch_pages)

    async def ingest_url(self, url: str, *, fetch_pages: bool | None = None) -> PollReport:
        url = validate_source_url(url)
        classified = await self._ingestor.classify(url)
        source = await _adhoc_source(classified.url, classified.kind)
        return await self._checked(await self._drain(source, classified, fetch_pages))

    async def ingest_file(self, path: Path, *, fetch_pages: bool | None = None) -> PollReport:
        body = read_capped(path, self._max_file_bytes)
        uri = path.resolve().as_uri()
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        fetched = FetchResult(url=uri, final_url=uri, status=200, body=body, content_type=ctype, charset=None,
                              etag=None, last_modified=None)
        classified = await self._ingestor.classify_body(fetched, discover=False)
        source = await _adhoc_source(uri, classified.kind)
        return await self._checked(await self._drain(source, classified, fetch_pages))

    async def _drain(self, source: Source, classified: Classified, fetch_pages: bool | None) -> PollReport:
        """Every item of a one-off input: polls the parsed feed again while items are held back by
        MAX_NEW_ITEMS_PER_POLL (a scheduled source takes them over its next polls instead)."""
        total = await self._ingestor.poll(source, prefetched=classified, fetch_pages=fetch_pages)
        while total.ok and total.held_back:
            more = await self._ingestor.poll(source, prefetched=classified, fetch_pages=fetch_pages)
            if not more.ok or not (more.new or more.duplicates or more.failed):
                break  # no progress: say what is left rather than loop
            total.new.extend(more.new)
            total.duplicates += more.duplicates
            total.failed += more.failed
            total.held_back = more.held_back
        return total

    @staticmethod
    async def _checked(report: PollReport) -> PollReport:
        if not report.ok:
            raise BriefbotError(report.error or "ingestion failed")
        return report


async def _adhoc_source(url: str, kind: str) -> Source:
    """The unscheduled source that one-off inputs are stored under (reused per URL)."""
    key = url_key(url)
    source = await Source.get_or_none(guild_id=0, url_key=key)
    if source is None:
        source = await Source.create(guild_id=0, url=url[:2048], url_key=key, kind=kind, scheduled=False, primed=True)
    return source
