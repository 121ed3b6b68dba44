"""The analysis stage on a real database with the real models: stories, actors, statements."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.ingest.pipeline import key_of
from bot.language import Language
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.storage.models import Actor, ActorAlias, Article, ArticleSighting, Mention, PipelineEvent, Source, Statement, Story
from tests.summarizer.fixtures.story_pairs import JOIN, Art


@pytest.fixture
def service(language: Language) -> AnalysisService:
    return AnalysisService(language.analyzer, language.clusterer, ActorStore(), batch_size=4)


async def _store(art: Art, *, text: str | None = None) -> Article:
    source, _ = await Source.get_or_create(url=f"https://{art.source.replace(' ', '').lower()}.example/feed",
                                           url_key=key_of(art.source), defaults={"title": art.source})
    article = await Article.create(source=source, url=f"https://{art.source.replace(' ', '').lower()}.example/{art.id}",
                                   url_key=key_of(art.id), content_hash=key_of(art.id), title=art.title,
                                   text=text or art.lead, extraction="page", fetched_at=art.published,
                                   published_at=art.published)
    await ArticleSighting.create(source=source, article=article, item_key=art.id, seen_at=art.published)
    return article


def _pair(name: str, pairs) -> tuple[Art, Art]:
    pair = next(p for p in pairs if p.name == name)
    return pair.a, pair.b


async def test_two_outlets_one_event_join_one_story_with_two_sources(db: str, service: AnalysisService) -> None:
    a, b = _pair("khamenei-rejects-talks", JOIN)
    first, second = await _store(a), await _store(b)
    done = await service.process_pending()
    assert [d.article_id for d in done] == [first.id, second.id]
    assert not done[0].story_joined and done[1].story_joined
    first, second = await Article.get(id=first.id), await Article.get(id=second.id)
    assert first.story_id == second.story_id is not None
    story = await Story.get(id=first.story_id)
    assert story.sources_count == 2 and story.articles_count == 2
    assert first.summary and first.embedding and first.analyzed_at and first.analysis_error is None
    events = await PipelineEvent.filter(article_id=second.id, stage="story").values_list("outcome", "detail")
    assert events and events[0][0] == "joined" and f"story {story.id}" in events[0][1]


async def test_same_actor_a_week_later_is_a_new_story(db: str, service: AnalysisService) -> None:
    a, b = _pair("khamenei-rejects-talks", JOIN)
    later = Art("later", "Wire One", a.title, a.lead, a.actors, a.published + timedelta(days=7))
    await _store(a)
    await _store(later)
    await service.process_pending()
    assert await Story.all().count() == 2


async def test_actor_is_recognised_across_articles_and_statements_are_linked(db: str, service: AnalysisService) -> None:
    a, b = _pair("khamenei-rejects-talks", JOIN)
    await _store(a)
    await _store(b)
    await service.process_pending()
    khamenei = await Actor.filter(type="PERSON", name__icontains="khamenei")
    assert len(khamenei) == 1, [k.name for k in khamenei]
    aliases = set(await ActorAlias.filter(actor_id=khamenei[0].id).values_list("alias_key", flat=True))
    assert "ali khamenei" in aliases
    assert await Mention.filter(actor_id=khamenei[0].id).count() >= 2
    said = await Statement.filter(actor_id=khamenei[0].id).values_list("kind", "text", "article__text")
    assert said, "the reported statement in the first article is attributed to Khamenei"
    for _kind, text, article_text in said:
        assert text in article_text


async def test_a_failing_article_is_recorded_and_the_rest_go_on(db: str, language: Language) -> None:
    class Flaky:
        def __init__(self, inner) -> None:
            self.inner = inner

        def run_many(self, docs):
            if any("explode" in d.text for d in docs):
                raise RuntimeError("model fell over")
            return self.inner.run_many(docs)

        def run(self, doc):
            return self.run_many([doc])[0]

    service = AnalysisService(Flaky(language.analyzer), language.clusterer, ActorStore(), batch_size=8)  # type: ignore[arg-type]
    a, b = _pair("malatya-quake", JOIN)
    good = await _store(a)
    bad = await _store(b, text="This text will explode the analyzer.")
    done = {d.article_id: d for d in await service.process_pending()}
    assert done[good.id].error is None and done[bad.id].error and "model fell over" in done[bad.id].error
    assert (await Article.get(id=bad.id)).analysis_error
    assert await service.pending() == 0, "a failed article is not retried forever"


async def test_an_article_removed_during_its_analysis_is_skipped_not_fatal(db: str, language: Language) -> None:
    a, b = _pair("khamenei-rejects-talks", JOIN)
    doomed, kept = await _store(a), await _store(b)

    class RemovedMidway(AnalysisService):
        async def _store(self, article, analysis):  # type: ignore[no-untyped-def]
            if article.id == doomed.id:  # the admin removed its source while the model was running
                await Source.filter(id=article.source_id).delete()
            return await super()._store(article, analysis)

    service = RemovedMidway(language.analyzer, language.clusterer, ActorStore(), batch_size=4)
    done = await service.process_pending()
    assert [d.article_id for d in done] == [kept.id]
    assert not await Article.exists(id=doomed.id)
    assert (await Article.get(id=kept.id)).analyzed_at is not None


async def test_a_speaker_named_by_role_is_stored_as_written_and_linked_to_no_actor(
        db: str, service: AnalysisService) -> None:
    a, _ = _pair("khamenei-rejects-talks", JOIN)
    text = a.lead + "\n\nThe embassy will stay closed until further notice, a senior official said."
    article = await _store(a, text=text)
    await service.process_pending()
    rows = await Statement.filter(article_id=article.id, speaker="a senior official").values_list("actor_id", "text")
    assert rows == [(None, "The embassy will stay closed until further notice")]
