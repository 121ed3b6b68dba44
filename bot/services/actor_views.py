"""`/actor` and `/statements`: what a server's articles say about an actor, and what the actor said."""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from rapidfuzz import fuzz, process
from tortoise.expressions import Subquery
from tortoise.functions import Count

from bot.errors import InvalidInputError, NotFoundError
from bot.ingest.pipeline import utcnow
from bot.services.actors import alias_key
from bot.services.analysis import vector_of
from bot.services.briefs import parse_topic
from bot.services.scope import article_links, guild_source_ids, parse_since, visible_article_ids
from bot.services.views import ActorProfile, ActorRef, DayCount, StatementPage, StatementView
from bot.storage.models import Actor, ActorAlias, Article, Mention, Statement
from summarizer.topics import TopicMatcher

MAX_NAME_CHARS = 256


class ActorViews:
    def __init__(self, topics: TopicMatcher, *, clock: Callable[[], datetime] = utcnow, days: int = 14,
                 per_page: int = 5, topic_candidates: int = 300) -> None:
        self._topics = topics
        self._clock = clock
        self._days = days
        self.per_page = per_page
        self._topic_candidates = topic_candidates

    # ------------------------------------------------------------------ lookup

    async def find(self, guild_id: int, name: str) -> Actor:
        """The actor a user means by ``name`` (an alias, any case; close misspellings suggested)."""
        key = alias_key(" ".join(name.split()))[:MAX_NAME_CHARS]
        if not key:
            raise InvalidInputError("name an actor, e.g. Khamenei or United Nations")
        if key.isdigit():  # autocomplete values are actor ids
            actor = await Actor.get_or_none(id=int(key))
            if actor is not None and await self._visible(guild_id, actor.id):
                return actor
        ids = list(dict.fromkeys(await ActorAlias.filter(alias_key=key).values_list("actor_id", flat=True)))
        visible = [a for a in ids if await self._visible(guild_id, a)]
        if not visible:  # a part of a name: "Okonkwo" for "Dalia Okonkwo"
            rows = await ActorAlias.filter(alias_key__contains=key).limit(200).values_list("actor_id", "alias_key")
            word = re.compile(rf"(?<!\w){re.escape(key)}(?!\w)")
            partial = list(dict.fromkeys(a for a, alias in rows if word.search(alias)))
            visible = [a for a in partial[:20] if await self._visible(guild_id, a)]
        if visible:
            counts = {a: await Mention.filter(actor_id=a).count() for a in visible[:5]}
            return await Actor.get(id=max(counts, key=lambda a: (counts[a], -a)))
        near = await self.suggest(guild_id, name, limit=3)
        hint = f" Did you mean {', '.join(n for n, _ in near)}?" if near else ""
        raise NotFoundError(f"no actor called {name.strip()[:80]!r} in this server's articles.{hint}")

    async def _visible(self, guild_id: int, actor_id: int) -> bool:
        sources = await guild_source_ids(guild_id)
        return bool(sources) and await Mention.filter(actor_id=actor_id,
                                                      article_id__in=visible_article_ids(sources)).exists()

    async def suggest(self, guild_id: int, prefix: str, *, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete: (name, type) of actors this server has seen, most mentioned in the last
        30 days first; close misspellings match too."""
        sources = await guild_source_ids(guild_id)
        if not sources:
            return []
        key = alias_key(" ".join(prefix.split()))[:MAX_NAME_CHARS]
        recent = self._clock() - timedelta(days=30)
        mentioned = Mention.filter(published_at__gte=recent, article_id__in=visible_article_ids(sources))
        if key:
            # The matching actors as a subquery, not a list of ids: with a list (hundreds of ids for
            # "kha") SQLite probed mentions by (article, actor) for every visible article x every id,
            # seconds at 100k articles; as a subquery it reads each actor's recent mentions
            # (mentions (actor_id, published_at)). Counted in the database: one row per actor.
            ids = Subquery(ActorAlias.filter(alias_key__contains=key).limit(2000).values("actor_id"))
            counts = Counter(dict(await mentioned.filter(actor_id__in=ids).annotate(n=Count("id"))
                                  .group_by("actor_id").values_list("actor_id", "n")))
            if not counts:  # a misspelling: fuzzy over the aliases of recently mentioned actors
                recent_ids = Counter(await mentioned.limit(20000).values_list("actor_id", flat=True))
                aliases = await (ActorAlias.filter(actor_id__in=list(recent_ids)[:2000])
                                 .values_list("actor_id", "alias_key"))
                choices = {i: alias for i, (_, alias) in enumerate(aliases)}
                hits = process.extract(key, choices, scorer=fuzz.WRatio, score_cutoff=80, limit=50)
                counts = Counter({aliases[i][0]: recent_ids[aliases[i][0]] for _, _, i in hits})
        else:
            counts = Counter(await mentioned.limit(20000).values_list("actor_id", flat=True))
        top = [a for a, _ in counts.most_common(500)]
        rows = {a.id: a for a in await Actor.filter(id__in=top)}
        ranked = sorted(rows.values(), key=lambda a: (not alias_key(a.name).startswith(key), -counts[a.id], a.name))
        return [(a.name, a.type) for a in ranked[:limit]]

    # ------------------------------------------------------------------ profile

    async def profile(self, guild_id: int, name: str) -> ActorProfile:
        actor = await self.find(guild_id, name)
        sources = await guild_source_ids(guild_id)
        now = self._clock()
        start = (now - timedelta(days=self._days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        # one row per article, not per mention: turning each row's time into a datetime is most of
        # this call's Python time for an actor in thousands of articles
        rows = await (Mention.filter(actor_id=actor.id, published_at__gte=start,
                                     article_id__in=visible_article_ids(sources))
                      .distinct().values_list("article_id", "published_at"))
        per_article: dict[int, datetime] = {}
        for article_id, published in rows:
            per_article.setdefault(article_id, published)
        days: Counter[str] = Counter(p.date().isoformat() for p in per_article.values() if p is not None)
        per_day = tuple(
            DayCount(d, days.get(d.isoformat(), 0))
            for d in ((start + timedelta(days=i)).date() for i in range(self._days))
        )
        aliases = tuple(a for a in await ActorAlias.filter(actor_id=actor.id).order_by("id")
                        .values_list("alias", flat=True) if a != actor.name)
        statements = await self._statements(actor.id, sources, limit=5)
        co = await self._co_actors(actor.id, sorted(per_article, reverse=True)[:500])
        total = await Mention.filter(actor_id=actor.id, article_id__in=visible_article_ids(sources)).count()
        return ActorProfile(
            actor=ActorRef(actor.id, actor.name, actor.type, total), aliases=aliases,
            mentions_recent=len(per_article), days=self._days, per_day=per_day, statements=tuple(statements),
            co_actors=tuple(co),
        )

    async def _co_actors(self, actor_id: int, article_ids: list[int], n: int = 6) -> list[ActorRef]:
        if not article_ids:
            return []
        pairs = set(await Mention.filter(article_id__in=article_ids).exclude(actor_id=actor_id)
                    .values_list("actor_id", "article_id"))
        counts = Counter(a for a, _ in pairs)
        top = counts.most_common(n)
        rows = {a.id: a for a in await Actor.filter(id__in=[a for a, _ in top])}
        return [ActorRef(a, rows[a].name, rows[a].type, c) for a, c in top if a in rows]

    async def _statements(self, actor_id: int, sources: list[int], *, limit: int, offset: int = 0,
                          since: datetime | None = None) -> list[StatementView]:
        query = Statement.filter(actor_id=actor_id, article_id__in=visible_article_ids(sources))
        if since is not None:
            query = query.filter(published_at__gte=since)
        rows = await query.order_by("-published_at", "-id").offset(offset).limit(limit)
        return await _views(rows, sources)

    # ------------------------------------------------------------------ statements

    async def statements(self, guild_id: int, name: str, *, topic: str | None = None, since: str | None = None,
                         page: int = 0) -> StatementPage:
        """One page of an actor's statements, newest first, optionally on a topic and since a time."""
        actor = await self.find(guild_id, name)
        sources = await guild_source_ids(guild_id)
        start = parse_since(since, self._clock())
        topic = " ".join((topic or "").split())[:200] or None
        page = max(0, page)
        if topic is None:
            query = Statement.filter(actor_id=actor.id, article_id__in=visible_article_ids(sources))
            if start is not None:
                query = query.filter(published_at__gte=start)
            total = await query.count()
            pages = max(1, math.ceil(total / self.per_page))
            page = min(page, pages - 1)
            views = await self._statements(actor.id, sources, limit=self.per_page, offset=page * self.per_page,
                                           since=start)
        else:
            matched = await self._on_topic(actor.id, sources, topic, start)
            total = len(matched)
            pages = max(1, math.ceil(total / self.per_page))
            page = min(page, pages - 1)
            views = await _views(matched[page * self.per_page:(page + 1) * self.per_page], sources)
        return StatementPage(actor=ActorRef(actor.id, actor.name, actor.type), statements=tuple(views),
                             page=page, pages=pages, total=total, topic=topic, since=start)

    async def _on_topic(self, actor_id: int, sources: list[int], topic: str,
                        start: datetime | None) -> list[Statement]:
        query = Statement.filter(actor_id=actor_id, article_id__in=visible_article_ids(sources))
        if start is not None:
            query = query.filter(published_at__gte=start)
        rows = await query.order_by("-published_at", "-id").limit(self._topic_candidates)
        info = {r["id"]: r for r in await Article.filter(id__in={s.article_id for s in rows})
                .values("id", "title", "embedding")}
        wanted = parse_topic(topic)

        def match() -> list[Statement]:
            keep = []
            for s in rows:
                art = info.get(s.article_id)
                if art is None:
                    continue
                m = self._topics.match(wanted, title=art["title"] or "", text=s.text,
                                       embedding=vector_of(art["embedding"]))
                if m.matched:
                    keep.append(s)
            return keep

        return await asyncio.to_thread(match)


async def _views(rows: list[Statement], sources: list[int]) -> list[StatementView]:
    links = await article_links([s.article_id for s in rows], sources)
    return [StatementView(s.id, s.speaker, s.cue, s.text, s.kind, links[s.article_id], s.published_at)
            for s in rows if s.article_id in links]

