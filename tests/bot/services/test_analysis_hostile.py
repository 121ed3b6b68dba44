"""The analysis stage against hostile articles and a shared database: a bad article fails alone,
every stored field fits its column, and two analysers never analyse one article twice."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.pipeline import key_of, url_key
from bot.language import Language
from bot.services.actors import ActorStore
from bot.services.analysis import CLAIM_TTL, AnalysisService
from bot.services.why import WhyService
from bot.storage.bounds import MARKER
from bot.storage.models import Actor, Article, ArticleSighting, Mention, PipelineEvent, Source, Statement, Story
from summarizer.types import Actor as FoundActor
from summarizer.types import Mention as FoundMention
from summarizer.types import Span
from summarizer.types import Statement as FoundStatement
from tests.summarizer.fixtures.story_pairs import JOIN

NAMES = "Jean" + "jean" * 90  # one 364-character name: the speaker outgrows statements.speaker (256)
SPEAKER_RUN = f'"We will not give up the fight for our homes," said {NAMES}. The council met on Monday.'
T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


def _service(language: Language, analyzer=None, **kwargs) -> AnalysisService:  # type: ignore[no-untyped-def]
    return AnalysisService(analyzer or language.analyzer, language.clusterer, ActorStore(), batch_size=4, **kwargs)


async def _article(key: str, text: str, *, title: str = "Council vote", guild_id: int = 0) -> Article:
    source, _ = await Source.get_or_create(url=f"https://g{guild_id}.example/feed", url_key=key_of(f"g{guild_id}"),
                                           guild_id=guild_id, defaults={"title": "Outlet"})
    url = f"https://g{guild_id}.example/{key}"
    article = await Article.create(source=source, url=url, url_key=url_key(url),
                                   content_hash=key_of(key), title=title, text=text, extraction="page",
                                   fetched_at=T0, published_at=T0)
    await ArticleSighting.create(source=source, article=article, item_key=key, seen_at=T0)
    return article


async def _pair(n: int) -> list[Article]:
    out = []
    for pair in JOIN[:n]:
        for art in (pair.a, pair.b):
            out.append(await _article(f"{pair.name}-{art.id}", art.lead, title=art.title))
    return out


class Replacing:
    """The real analyzer, with the given fields of every analysis replaced (a component that failed)."""

    def __init__(self, inner, **changes) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.changes = inner, changes

    def run_many(self, docs):  # type: ignore[no-untyped-def]
        return [dataclasses.replace(a, **self.changes) for a in self.inner.run_many(docs)]

    def run(self, doc):  # type: ignore[no-untyped-def]
        return self.run_many([doc])[0]


class Hostile:
    """The real analyzer, with one article's results replaced by values too long for every column."""

    def __init__(self, inner, marker: str) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.marker = inner, marker

    def run_many(self, docs):  # type: ignore[no-untyped-def]
        return [self._hostile(a) if self.marker in d.text else a for d, a in zip(docs, self.inner.run_many(docs))]

    def run(self, doc):  # type: ignore[no-untyped-def]
        return self.run_many([doc])[0]

    @staticmethod
    def _hostile(a):  # type: ignore[no-untyped-def]
        long_name = "Name " * 200 + "\ud83d"
        actor = FoundActor(long_name, "PERSON", (long_name + " alias",), (FoundMention("x", 0, 1, "PERSON"),))
        said = FoundStatement(long_name, Span(0, 1), "c" * 500, "q" * 30_000, Span(0, 30_000), "direct")
        kept = FoundStatement(long_name, Span(0, 1), "said", "q", Span(0, 1), "direct")
        summary = dataclasses.replace(a.summary, text="s" * 50_000 + "\x00", note="n" * 30_000)
        return dataclasses.replace(a, actors=(actor,), statements=(said, kept), summary=summary)


@pytest.mark.db
async def test_a_speaker_longer_than_its_column_no_longer_stops_analysis(db: str, language: Language) -> None:
    """The reported defect: a 400-character run of names after 'said' overflowed statements.speaker."""
    bad = await _article("speaker-run", SPEAKER_RUN)
    good = await _pair(1)
    done = {d.article_id: d for d in await _service(language).process_pending()}
    assert set(done) == {bad.id, *(g.id for g in good)}
    assert all(d.error is None for d in done.values()), [d.error for d in done.values()]
    assert await Article.filter(analyzed_at__isnull=True).count() == 0
    for speaker, text in await Statement.filter(article_id=bad.id).values_list("speaker", "text"):
        assert speaker is None or len(speaker) <= 256
        assert text in SPEAKER_RUN


@pytest.mark.db
async def test_every_stored_field_is_bounded_display_text_cut_exact_text_refused(db: str, language: Language) -> None:
    bad = await _article("hostile", "HOSTILE " + SPEAKER_RUN)
    good = await _pair(1)
    done = {d.article_id: d for d in await _service(language, Hostile(language.analyzer, "HOSTILE")).process_pending()}
    assert done[bad.id].error is None and all(done[g.id].error is None for g in good)
    actor = await Actor.get(mentions__article_id=bad.id)
    assert len(actor.name) <= 256 and actor.name.endswith(MARKER) and "\ud83d" not in actor.name
    statements = await Statement.filter(article_id=bad.id)
    assert [s.text for s in statements] == ["q"], "the 30,000-character quote is refused, not cut"
    assert len(statements[0].speaker) <= 256 and statements[0].speaker.endswith(MARKER)
    assert len(statements[0].cue) <= 64
    article = await Article.get(id=bad.id)
    assert article.summary is not None and article.summary.endswith(MARKER) and "\x00" not in article.summary
    event = await PipelineEvent.get(article_id=bad.id, stage="analyze")
    assert "1 statements" in event.detail and "not stored" in event.detail
    assert await Mention.filter(article_id=bad.id).count() == 1


@pytest.mark.db
async def test_a_failure_while_storing_is_that_articles_alone_and_shown_by_why(db: str, language: Language) -> None:
    good = await _pair(1)
    doomed = await _article("doomed", "DOOMED " + JOIN[1].a.lead)

    class FailingStore(AnalysisService):
        async def _assign_story(self, article, candidate):  # type: ignore[no-untyped-def]
            if article.id == doomed.id:
                raise ValueError("the story table said no")
            return await super()._assign_story(article, candidate)

    service = FailingStore(language.analyzer, language.clusterer, ActorStore(), batch_size=8)
    done = {d.article_id: d for d in await service.process_pending()}
    assert done[doomed.id].error and "the story table said no" in done[doomed.id].error
    assert all(done[g.id].error is None and done[g.id].story_id for g in good)
    assert await service.pending() == 0, "the failed article is not retried forever"
    assert not await Mention.filter(article_id=doomed.id).exists(), "its half-stored rows were rolled back"
    trace = await WhyService(language.topics).trace(0, doomed.url)
    assert trace.stopped_at is not None and "the story table said no" in trace.stopped_at


@pytest.mark.db
async def test_two_analysers_on_one_database_analyse_each_article_once(db: str, language: Language) -> None:
    articles = await _pair(2)
    single = {}
    for a in articles:  # what one analyser stores for each text
        analysis = language.analyzer.run_many([_doc(a)])[0]
        single[a.id] = len(analysis.statements)
    rival = _service(language)
    rival_done: list[int] = []

    class Racing(AnalysisService):
        async def _store(self, article, analysis):  # type: ignore[no-untyped-def]
            if not rival_done:  # the other process polls while this one is between analysis and storing
                rival_done.extend(d.article_id for d in await rival.process_pending())
                rival_done.append(-1)
            return await super()._store(article, analysis)

    first = Racing(language.analyzer, language.clusterer, ActorStore(), batch_size=2)
    done = [d.article_id for d in await first.process_pending()] + [i for i in rival_done if i > 0]
    assert sorted(done) == sorted(a.id for a in articles), "each article analysed by exactly one of them"
    for a in articles:
        assert await Statement.filter(article_id=a.id).count() == single[a.id]
        assert await PipelineEvent.filter(article_id=a.id, stage="analyze").count() == 1
    for story in await Story.all():
        assert story.articles_count == await Article.filter(story_id=story.id).count()


@pytest.mark.db
async def test_a_claim_left_by_a_dead_analyser_is_taken_over_after_its_ttl(db: str, language: Language) -> None:
    now = [T0]
    article = (await _pair(1))[0]
    dead = _service(language, clock=lambda: now[0])
    claimed = await dead._claim(4)  # it claimed, then its process was killed
    assert article.id in [a.id for a in claimed]
    alive = _service(language, clock=lambda: now[0])
    assert await alive.process_pending() == [], "a fresh claim is left to its owner"
    now[0] = T0 + CLAIM_TTL + timedelta(seconds=1)
    assert {d.article_id for d in await alive.process_pending()} == {a.id for a in claimed}


def _doc(article: Article):  # type: ignore[no-untyped-def]
    from summarizer.types import Document

    return Document(id=str(article.id), text=article.text, title=article.title)


@pytest.mark.db
async def test_a_failing_report_handler_does_not_stop_the_analysis_loop(db: str, language: Language) -> None:
    import asyncio

    first = (await _pair(1))[0]
    service = _service(language)
    stop, wakeup = asyncio.Event(), asyncio.Event()
    reports: list[list[int]] = []

    def on_done(done):  # type: ignore[no-untyped-def]
        reports.append([d.article_id for d in done])
        if len(reports) == 1:
            second_added.set()
            raise RuntimeError("the printer choked on a title")
        stop.set()

    second_added = asyncio.Event()
    loop = asyncio.create_task(service.run_forever(stop, wakeup, on_done, idle_s=60))
    await second_added.wait()
    second = await _article("after", JOIN[1].a.lead, title=JOIN[1].a.title)
    wakeup.set()
    await asyncio.wait_for(loop, 120)
    assert reports[0][0] == first.id and reports[-1] == [second.id]


@pytest.mark.db
async def test_a_component_that_failed_is_named_in_why_and_the_rest_is_stored(db: str, language: Language) -> None:
    failed = Replacing(language.analyzer, statements=(), errors=("statements: IndexError: list index out of range",))
    article = (await _pair(1))[0]
    done = await _service(language, failed).process_pending()
    assert done[0].error is None and done[0].summary and done[0].actors
    trace = await WhyService(language.topics).trace(0, article.url)
    analyze = [s for s in trace.steps if s.stage == "analyze"]
    assert analyze[0].outcome == "partial" and "statements: IndexError" in analyze[0].detail


@pytest.mark.db
async def test_an_article_without_an_embedding_is_stored_without_a_story(db: str, language: Language) -> None:
    failed = Replacing(language.analyzer, embedding=(), errors=("embedding failed: RuntimeError: no",))
    article = (await _pair(1))[0]
    done = await _service(language, failed).process_pending()
    assert done[0].error is None and done[0].story_id is None and done[0].summary
    stored = await Article.get(id=article.id)
    assert stored.analyzed_at and stored.story_id is None and stored.embedding is None
    assert await PipelineEvent.get(article_id=article.id, stage="story", outcome="skipped")
