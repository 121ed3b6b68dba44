"""`/brief`: the latest stories of a server, overall or on a topic, ready to present."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Subquery

from bot.ingest.pipeline import utcnow
from bot.services.analysis import vector_of
from bot.services.scope import article_links, guild_source_ids, parse_since, visible_article_ids
from bot.services.views import ActorRef, ArticleLink, BriefResult, StatementView, StoryBrief
from bot.storage.models import Actor, Article, ArticleSighting, Statement, Story, StoryBriefing
from summarizer.topics import Topic, TopicMatcher

log = logging.getLogger(__name__)

KIND_RANK = {"direct": 0, "mixed": 1, "indirect": 2}
MAX_TOPIC_CHARS = 200


@dataclass(frozen=True, slots=True)
class _Candidate:
    story: Story
    article_ids: list[int]
    source_ids: set[int]


def parse_topic(text: str) -> Topic:
    """``Iran Israel tensions +nuclear -football`` -> the phrase and its +required/-excluded keywords."""
    words = text.split()
    phrase = " ".join(w for w in words if w[0] not in "+-")
    keywords = tuple(w for w in words if w[0] in "+-" and len(w) > 1)
    return Topic(phrase=phrase or " ".join(w.lstrip("+-") for w in words), keywords=keywords)


def strongest_statement(rows: Sequence[Statement]) -> Statement | None:
    """A direct quote with a speaker beats a reported one; then the earliest article's, then length."""
    if not rows:
        return None

    def rank(s: Statement) -> tuple[int, int, int, int]:
        words = len(s.text.split())
        return (0 if s.actor_id else 1, KIND_RANK.get(s.kind, 3), 0 if 6 <= words <= 60 else 1, s.id)

    return min(rows, key=rank)


class BriefService:
    def __init__(self, topics: TopicMatcher, *, clock: Callable[[], datetime] = utcnow,
                 default_since: timedelta = timedelta(hours=24), candidates: int = 300) -> None:
        self._topics = topics
        self._clock = clock
        self._default_since = default_since
        self._candidates = candidates

    async def latest(self, guild_id: int, *, topic: str | None = None, since: str | None = None,
                     limit: int = 5) -> BriefResult:
        now = self._clock()
        start = parse_since(since, now, default=self._default_since)
        assert start is not None
        topic = " ".join((topic or "").split())[:MAX_TOPIC_CHARS] or None
        source_ids = await guild_source_ids(guild_id)
        candidates = await self._candidates_since(start, source_ids) if source_ids else []
        reasons: dict[int, str] = {}
        if topic and candidates:
            candidates, reasons = await self._on_topic(parse_topic(topic), candidates)
        note = None
        if not candidates and source_ids and not since:  # a quiet day: the latest stories, however old
            candidates = await self._candidates_since(None, source_ids)
            if topic and candidates:
                candidates, reasons = await self._on_topic(parse_topic(topic), candidates)
            if candidates:
                note = (f"Nothing new on \u201c{topic}\u201d in the last 24 hours; the latest stories on it"
                        if topic else "Nothing new in the last 24 hours; the latest stories")
        picked = candidates[: max(1, min(limit, 10))]
        stories = await self._briefs(guild_id, picked, source_ids, reasons)
        if note and stories:
            start = min(s.last_seen_at for s in stories)
        return BriefResult(stories=tuple(stories), topic=topic, since=start,
                           suggestion=None if stories else _suggestion(bool(source_ids), topic, since), note=note)

    async def story(self, guild_id: int, story_id: int) -> StoryBrief | None:
        """One story as this guild sees it (its own sources' articles), or None when it sees none."""
        story = await Story.get_or_none(id=story_id)
        source_ids = await guild_source_ids(guild_id)
        if story is None or not source_ids:
            return None
        seen = await (ArticleSighting.filter(article__story_id=story_id, source_id__in=source_ids)
                      .values_list("article_id", "source_id"))
        if not seen:
            return None
        candidate = _Candidate(story, sorted({a for a, _ in seen}), {s for _, s in seen})
        briefs = await self._briefs(guild_id, [candidate], source_ids, {})
        return briefs[0] if briefs else None

    async def _candidates_since(self, start: datetime | None, source_ids: list[int]) -> list[_Candidate]:
        query = Story.filter(last_seen_at__gte=start) if start is not None else Story.all()
        rows = await query.order_by("-last_seen_at", "-id").limit(self._candidates)
        found = await self._visible(rows, source_ids)
        if len(rows) == self._candidates and len(found) < min(50, self._candidates):
            # a small server among big ones: the newest stories overall are mostly not its own, so
            # ask for its own stories directly (slower at scale, hence not the first try)
            own = Subquery(Article.filter(id__in=visible_article_ids(source_ids)).values("story_id"))
            rows = await query.filter(id__in=own).order_by("-last_seen_at", "-id").limit(self._candidates)
            found = await self._visible(rows, source_ids)
        return found

    async def _visible(self, rows: list[Story], source_ids: list[int]) -> list[_Candidate]:
        if not rows:
            return []
        by_id = {s.id: s for s in rows}
        # The stories' articles, then who sighted them, kept when one of the guild's sources did. Two
        # lookups by one key each (articles.story_id, article_sightings.article_id): one query joining
        # both with `story_id IN` and `source_id IN` made SQLite walk every sighting of the guild's
        # sources instead (80,000 rows at 100k articles, bench/commands.py).
        story_of: dict[int, int] = {}
        for chunk in _chunks(list(by_id)):
            story_of.update(await Article.filter(story_id__in=chunk).values_list("id", "story_id"))
        wanted = set(source_ids)
        seen = []
        for chunk in _chunks(list(story_of)):
            seen += [(story_of[a], a, s) for a, s in
                     await ArticleSighting.filter(article_id__in=chunk).values_list("article_id", "source_id")
                     if s in wanted]
        articles: dict[int, list[int]] = defaultdict(list)
        sources: dict[int, set[int]] = defaultdict(set)
        for story_id, article_id, source_id in seen:
            if article_id not in articles[story_id]:
                articles[story_id].append(article_id)
            sources[story_id].add(source_id)
        return [_Candidate(s, sorted(articles[s.id]), sources[s.id]) for s in rows if s.id in articles]

    async def _on_topic(self, topic: Topic, candidates: list[_Candidate]) -> tuple[list[_Candidate], dict[int, str]]:
        names = {c.story.id: _top_names(c.story.actor_counts, 12) for c in candidates}

        def match() -> list[tuple[_Candidate, float, str]]:
            out = []
            for c in candidates:
                vector = vector_of(c.story.centroid)
                m = self._topics.match(topic, title=c.story.title, text=c.story.briefing or "",
                                       actors=names[c.story.id], embedding=vector)
                if m.matched:
                    out.append((c, m.score, m.reason))
            return out

        hits = await asyncio.to_thread(match)
        return [c for c, _, _ in hits], {c.story.id: reason for c, _, reason in hits}

    async def _briefs(self, guild_id: int, picked: Sequence[_Candidate], source_ids: list[int],
                      reasons: dict[int, str]) -> list[StoryBrief]:
        if not picked:
            return []
        all_articles = [a for c in picked for a in c.article_ids]
        links = await article_links(all_articles, source_ids)
        names = {n for c in picked for n in _top_names(c.story.actor_counts, 8)}
        actors: dict[str, Actor] = {}
        for row in await Actor.filter(name__in=list(names)).order_by("id"):
            actors.setdefault(row.name, row)
        statements: dict[int, list[Statement]] = defaultdict(list)
        for s in await Statement.filter(article_id__in=all_articles).order_by("id").limit(2000):
            statements[s.article_id].append(s)
        # a story is shared by the servers whose sources report it: each sees it titled and
        # summarised by the earliest article its own sources found
        first = {c.story.id: min(c.article_ids, key=lambda a: (_when(links.get(a)), a)) for c in picked}
        own = {r["id"]: r for r in await Article.filter(id__in=list(first.values())).values("id", "title", "summary")}
        written = {b.story_id: b for b in await StoryBriefing.filter(  # type: ignore[attr-defined]
            story_id__in=[c.story.id for c in picked], guild_id=guild_id, rev__gt=0)}
        out = []
        for c in picked:
            story = c.story
            mine = own.get(first[story.id], {})
            outlet_links, seen_outlets = [], set()
            for aid in sorted(c.article_ids, key=lambda a: (links[a].published_at or story.first_seen_at, a)
                              if a in links else (story.first_seen_at, a)):
                link = links.get(aid)
                if link is None or link.outlet in seen_outlets:
                    continue
                seen_outlets.add(link.outlet)
                outlet_links.append(link)
            refs = tuple(
                ActorRef(actors[n].id, n, actors[n].type, int(story.actor_counts.get(n, 0)))
                for n in _top_names(story.actor_counts, 8) if n in actors
            )
            best = strongest_statement([s for a in c.article_ids for s in statements.get(a, ())])
            view = None
            if best is not None and best.article_id in links:
                view = StatementView(best.id, best.speaker, best.cue, best.text, best.kind, links[best.article_id],
                                     best.published_at)
            llm = written.get(story.id)
            by_llm = _llm_briefing(llm, set(c.article_ids), links, outlet_links) if llm is not None else None
            out.append(StoryBrief(
                story_id=story.id, title=mine.get("title") or story.title,
                briefing=by_llm or mine.get("summary") or story.briefing or "",
                written_by=llm.model if by_llm and llm else None, briefing_rev=llm.rev if by_llm and llm else 0,
                first_seen_at=story.first_seen_at, last_seen_at=story.last_seen_at,
                sources_count=len(c.source_ids), links=tuple(outlet_links), actors=refs, statement=view,
                reason=reasons.get(story.id),
            ))
        return out


def _llm_briefing(row: StoryBriefing, visible: set[int], links: dict[int, ArticleLink],
                  outlets: list[ArticleLink]) -> str | None:
    """The model's briefing with each sentence's ``[k]``: the k-th outlet of the story's sources, as
    this guild lists them. None when it cites an article this guild no longer sees."""
    number = {link.outlet: k for k, link in enumerate(outlets, start=1)}
    parts = []
    for sentence in row.sentences:
        cited = [int(c[0]) for c in sentence.get("cites", ())]
        if not cited or not set(cited) <= visible or any(a not in links for a in cited):
            return None
        marks = "".join(f"[{k}]" for k in sorted({number[links[a].outlet] for a in cited if links[a].outlet in number}))
        if not marks:
            return None
        parts.append(f"{sentence['text']} {marks}")
    return " ".join(parts) or None


def _chunks(ids: list[int], size: int = 2000) -> list[list[int]]:
    """``ids`` in slices that stay far below the bound-parameter limits (SQLite 32766, asyncpg 32767)."""
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _when(link: ArticleLink | None) -> datetime:
    return link.published_at if link is not None and link.published_at is not None else datetime.max.replace(
        tzinfo=UTC)


def _top_names(counts: dict[str, int] | None, n: int) -> list[str]:
    return [name for name, _ in sorted((counts or {}).items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _suggestion(has_sources: bool, topic: str | None, since: str | None) -> str:
    if not has_sources:
        return "This server has no sources yet: an admin can add one with /source add."
    if topic:
        return "Try a broader topic, fewer words, or a longer span such as since: 7d."
    return "Try a longer span such as since: 7d, or check the sources with /source list."
