"""Story briefings by the language model: for each story posted to a server's channels that has 2 or
more outlets there, the model writes one briefing across all of them (``bot.llm.briefings``), stored
per story and server (a server sees only its own sources' articles). A story that gains an article
is rewritten, at most once per ``rebrief_min_s``; each rewrite bumps the briefing's revision, and
the deliverer edits the posted briefings that show an older one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ingest.pipeline import utcnow
from bot.llm.briefings import BriefingSource, LLMBriefing, LLMBriefings
from bot.services.scope import article_links, guild_source_ids
from bot.storage.models import Article, ArticleSighting, Delivery, Story, StoryBriefing

log = logging.getLogger(__name__)

ONE_OUTLET = "one outlet in this server: the earliest article's summary is the briefing"


@dataclass(slots=True)
class RebriefReport:
    written: int = 0  # briefings written or rewritten by the model
    offline: int = 0  # tries whose briefing was not used
    reused: int = 0  # copied from another server that sees the same articles

    @property
    def anything(self) -> bool:
        return bool(self.written or self.reused)


class StoryBriefingWriter:
    def __init__(self, llm: LLMBriefings, *, rebrief_min_s: float = 300.0, clock: Callable[[], datetime] = utcnow,
                 concurrency: int = 2, batch: int = 20, window: timedelta = timedelta(days=2)) -> None:
        self._llm = llm
        self._rebrief_min = timedelta(seconds=rebrief_min_s)
        self._clock = clock
        self._gate = asyncio.Semaphore(concurrency)
        self._batch = batch
        self._window = window

    async def run_once(self) -> RebriefReport:
        """Write the briefings that are due (at most ``batch`` per pass)."""
        report = RebriefReport()
        by_story: dict[int, list[tuple[Story, int]]] = {}
        for story, guild in await self._due():
            by_story.setdefault(story.id, []).append((story, guild))
        # a story's servers one after the other: a server that sees the same articles as one
        # before it reuses that briefing instead of asking the model again
        await asyncio.gather(*(self._story(pairs, report) for pairs in by_story.values()))
        return report

    async def _story(self, pairs: list[tuple[Story, int]], report: RebriefReport) -> None:
        for story, guild in pairs:
            await self._guarded(story, guild, report)

    async def _due(self) -> list[tuple[Story, int]]:
        """Posted stories with 2+ outlets somewhere, whose briefing here is missing or older than
        the story's last article and was not tried in the last ``rebrief_min_s``."""
        now = self._clock()
        pairs = await (Delivery.filter(status__in=["pending", "sending", "sent"], digest_key__isnull=True,
                                       story__sources_count__gte=2, story__last_seen_at__gte=now - self._window)
                       .distinct().limit(5_000).values_list("story_id", "guild_id"))
        if not pairs:
            return []
        stories = {s.id: s for s in await Story.filter(id__in=list({p[0] for p in pairs}))}
        rows = {(b.story_id, b.guild_id): b  # type: ignore[attr-defined]
                for b in await StoryBriefing.filter(story_id__in=list(stories))}
        due = []
        for story_id, guild_id in dict.fromkeys(pairs):
            story, row = stories.get(story_id), rows.get((story_id, guild_id))
            if story is None:
                continue
            if row is None or (row.story_seen_at < story.last_seen_at and row.written_at <= now - self._rebrief_min):
                due.append((story, guild_id, row.written_at if row else story.first_seen_at))
        due.sort(key=lambda d: d[2])  # the longest waiting first
        return [(story, guild) for story, guild, _ in due[: self._batch]]

    async def _guarded(self, story: Story, guild_id: int, report: RebriefReport) -> None:
        async with self._gate:
            try:
                await self._one(story, guild_id, report)
            except Exception:  # this story waits for its next article; the others go on
                log.exception("llm briefing of story %s for guild %s failed", story.id, guild_id)

    async def _one(self, story: Story, guild_id: int, report: RebriefReport) -> None:
        now = self._clock()
        sources = await guild_source_ids(guild_id)
        ids = sorted(set(await ArticleSighting.filter(article__story_id=story.id, source_id__in=sources)
                         .values_list("article_id", flat=True))) if sources else []
        links = await article_links(ids, sources)
        row = await StoryBriefing.get_or_none(story_id=story.id, guild_id=guild_id)
        if row is not None and row.articles == ids:  # another server's article: nothing new here
            row.story_seen_at = story.last_seen_at
            await row.save(update_fields=["story_seen_at"])
            return
        if len({links[a].outlet for a in ids if a in links}) < 2:
            await self._save(row, story, guild_id, ids, LLMBriefing((), "offline", (ONE_OUTLET,)), now)
            return
        twin = next((b for b in await StoryBriefing.filter(story_id=story.id).exclude(guild_id=guild_id)
                     if b.articles == ids and b.sentences), None)
        if twin is not None:  # another server sees the same articles: the same briefing, no second call
            await self._save(row, story, guild_id, ids, twin, now)
            report.reused += 1
            return
        # one article per outlet first (the earliest), then the rest, each outlet under its name here
        ordered = sorted((links[a] for a in ids if a in links), key=lambda link: (link.published_at or now, link.article_id))
        firsts: dict[str, int] = {}
        for link in ordered:
            firsts.setdefault(link.outlet, link.article_id)
        order = list(firsts.values()) + [link.article_id for link in ordered if link.article_id not in firsts.values()]
        texts = dict(await Article.filter(id__in=order).values_list("id", "text"))
        written = await self._llm.run([BriefingSource(a, links[a].outlet, texts[a]) for a in order if a in texts])
        failed = any(r.startswith("llm failed") for r in written.dropped)
        await self._save(row, story, guild_id, ids, written, now, seen=not failed)  # an outage is tried again
        if written.sentences:
            report.written += 1
            log.info("story %s for guild %s: briefing by %s across %d outlets", story.id, guild_id, written.model,
                     len(firsts))
        else:
            report.offline += 1

    async def _save(self, row: StoryBriefing | None, story: Story, guild_id: int, ids: list[int],
                    written: LLMBriefing | StoryBriefing, now: datetime, *, seen: bool = True) -> None:
        sentences = (written.sentences if isinstance(written, StoryBriefing)
                     else [{"text": s.text, "cites": [list(c) for c in s.cites]} for s in written.sentences])
        dropped = list(written.dropped)
        seen_at = story.last_seen_at if seen else (row.story_seen_at if row else story.first_seen_at)
        if row is None:
            await StoryBriefing.create(story_id=story.id, guild_id=guild_id, articles=ids if sentences else [],
                                       sentences=sentences, model=written.model, dropped=dropped,
                                       rev=1 if sentences else 0, pending_edit=bool(sentences),
                                       story_seen_at=seen_at, written_at=now)
            return
        row.dropped, row.story_seen_at, row.written_at = dropped, seen_at, now
        fields = ["dropped", "story_seen_at", "written_at"]
        if sentences:  # a new briefing; a failed rewrite keeps the one before, still checked
            row.articles, row.sentences, row.model = ids, sentences, written.model
            row.rev, row.pending_edit = row.rev + 1, True
            fields += ["articles", "sentences", "model", "rev", "pending_edit"]
        await row.save(update_fields=fields)
