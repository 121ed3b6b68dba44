"""`/why url`: the path an article took through Briefbot in this server, or where it stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from tortoise.expressions import Q

from bot.errors import InvalidInputError
from bot.ingest.pipeline import url_key, utcnow
from bot.services.analysis import vector_of
from bot.services.briefs import parse_topic
from bot.services.scope import article_links, guild_source_ids, visible_article_ids
from bot.services.views import ArticleTrace, TopicHit, TraceStep
from bot.storage.models import (
    Article,
    ArticleSighting,
    Delivery,
    PipelineEvent,
    Source,
    Story,
    StoryBriefing,
    Subscription,
)
from summarizer.topics import TopicMatcher

class WhyService:
    def __init__(self, topics: TopicMatcher, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._topics = topics
        self._clock = clock

    async def trace(self, guild_id: int, url: str, *, subscriptions: bool = True) -> ArticleTrace:
        """The article's path in this guild. ``subscriptions``: include topic decisions and
        deliveries (admins see them; other members see the article's own path)."""
        url = url.strip().strip("<>")
        if not url.lower().startswith(("http://", "https://")) or len(url) > 2048 or not url.isprintable():
            raise InvalidInputError("give the article's full web address, starting with https://")
        key = url_key(url)
        sources = await guild_source_ids(guild_id)
        names = {s.id: s.title or s.url for s in await Source.filter(id__in=sources)} if sources else {}
        article = await self._article(key, url, sources)
        visible = article is not None
        event_filter = Q(url_key=key, source_id__in=sources) if sources else Q(id=-1)
        if visible:
            assert article is not None
            event_filter |= Q(article_id=article.id, source_id__in=sources)
        events = await PipelineEvent.filter(event_filter).order_by("at", "id").limit(200)
        steps = tuple(TraceStep(e.at, e.stage, e.outcome, e.detail, names.get(e.source_id) if e.source_id else None)
                      for e in events)
        if not visible and not steps:
            return ArticleTrace(url=url, found=False, article=None, summary=None, story_id=None, story_title=None,
                                story_sources=0, steps=(), stopped_at=None)
        if not visible:
            last = steps[-1]
            return ArticleTrace(url=url, found=True, article=None, summary=None, story_id=None, story_title=None,
                                story_sources=0, steps=steps,
                                stopped_at=f"{last.stage}: {last.outcome}" + (f" ({last.detail})" if last.detail else ""))
        assert article is not None
        link = (await article_links([article.id], sources)).get(article.id)
        story = await Story.get_or_none(id=article.story_id) if article.story_id else None
        story_sources = 0
        if story is not None:
            story_sources = len(set(await ArticleSighting.filter(article__story_id=story.id, source_id__in=sources)
                                    .values_list("source_id", flat=True)))
        stopped = None
        if article.analysis_error:
            stopped = f"analysis failed: {article.analysis_error}"
        elif article.analyzed_at is None:
            stopped = "waiting for analysis"
        hits = await self._topic_hits(guild_id, article) if subscriptions else []
        if not subscriptions:
            steps = tuple(s for s in steps if s.stage != "topic")
        elif story is not None:
            steps = steps + tuple(await self._deliveries(guild_id, story.id))
        if story is not None:
            steps = steps + tuple(await self._llm_briefing(guild_id, story.id))
        return ArticleTrace(
            url=url, found=True, article=link, summary=article.summary, story_id=story.id if story else None,
            story_title=story.title if story else None, story_sources=story_sources, steps=steps,
            topics=tuple(hits), stopped_at=stopped,
        )

    @staticmethod
    async def _article(key: str, url: str, sources: list[int]) -> Article | None:
        """The article this guild's sources found at ``url``: by its address, else the earliest
        that declares it as its canonical URL (any page may declare any URL)."""
        if not sources:
            return None
        seen = Article.filter(id__in=visible_article_ids(sources))
        return (await seen.filter(url_key=key).first()
                or await seen.filter(canonical_url=url).order_by("id").first())

    async def _deliveries(self, guild_id: int, story_id: int) -> list[TraceStep]:
        out = []
        for d in await Delivery.filter(guild_id=guild_id, story_id=story_id).order_by("id"):
            where = f"channel {d.channel_id}"
            if d.message_id:
                where += f": https://discord.com/channels/{guild_id}/{d.channel_id}/{d.message_id}"
            detail = where + (f" ({d.reason})" if d.reason else "") + (f"; last error: {d.last_error}"
                                                                          if d.last_error else "")
            out.append(TraceStep(d.sent_at or d.created_at, "delivery", d.status, detail))
        return out

    @staticmethod
    async def _llm_briefing(guild_id: int, story_id: int) -> list[TraceStep]:
        """The language model's briefing of the story here: who wrote it, from how many articles,
        and what its last try dropped ("llm sentence 2 dropped: '14' not in [3]")."""
        row = await StoryBriefing.get_or_none(story_id=story_id, guild_id=guild_id)
        if row is None:
            return []
        if row.rev:
            outcome = f"written by {row.model}"[:32]
            detail = f"revision {row.rev}, from {len(row.articles)} articles"
        else:
            outcome, detail = "offline", "the earliest article's summary is the briefing"
        if row.dropped:
            detail += "; last try: " + "; ".join(str(r) for r in row.dropped[:10])
        return [TraceStep(row.written_at, "llm briefing", outcome, detail[:1500])]

    async def _topic_hits(self, guild_id: int, article: Article) -> list[TopicHit]:
        subs = await Subscription.filter(guild_id=guild_id).order_by("id").limit(25)
        if not subs or article.embedding is None:
            return []
        vector = vector_of(article.embedding)

        def match() -> list[TopicHit]:
            out = []
            for sub in subs:
                topic = parse_topic(sub.topic)
                topic = type(topic)(topic.phrase, tuple(topic.keywords) + tuple(sub.keywords or ()))
                m = self._topics.match(topic, title=article.title or "", text=article.text, embedding=vector)
                out.append(TopicHit(sub.topic, m.matched, m.score, m.reason))
            return out

        return await asyncio.to_thread(match)
