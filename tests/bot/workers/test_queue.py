"""The work queue (PgQueuer, PostgreSQL only): a new article's job commits or rolls back with it;
queue workers analyse each article once, batched, and a job run again stores nothing twice."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from bot.ingest.pipeline import key_of, url_key
from bot.ingest.store import ArticleStore, Candidate
from bot.language import Language
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysedArticle, AnalysisService
from bot.storage.jobs import ANALYSE, enqueue_analysis, queue_depths
from bot.storage.models import Article, Source, Statement
from bot.workers.batcher import Batcher
from bot.workers.queue import QueueWorker, analyse_until, enqueue_waiting
from tests.bot.services.test_analysis_hostile import T0, _article
from tests.summarizer.fixtures.story_pairs import JOIN


def _postgres(url: str) -> None:
    if url.startswith("sqlite://"):
        pytest.skip("the work queue is PostgreSQL's (make test-pg); SQLite has one process and no queue")


async def _depths() -> dict[str, int]:
    return await queue_depths(connections.get("default"))


def _candidate(source: Source, n: int) -> Candidate:
    url = f"https://q.example/{n}"
    return Candidate(source=source, item_key=f"i{n}", url_key=url_key(url), url=url, title=f"Item {n}",
                     text=f"Text of item {n}.", extraction="page", content_hash=key_of(f"text {n}"),
                     dedupe_by_content=True, guid=None, author=None, published_at=T0, language="en",
                     canonical_url=None, deliverable=True)


@pytest.mark.db
async def test_a_new_articles_job_commits_with_it_and_rolls_back_with_it(db: str) -> None:
    _postgres(db)
    assert await _depths() == {}
    source = await Source.create(url="https://q.example/feed", url_key=key_of("q"), guild_id=0, title="Q")
    store = ArticleStore(lambda: T0)
    first = await store.store(_candidate(source, 1))
    assert first.outcome == "new"
    assert await _depths() == {"analyse jobs queued": 1}, "stored, so queued"
    again = await store.store(_candidate(source, 1))
    assert again.outcome == "duplicate-url"
    assert await _depths() == {"analyse jobs queued": 1}, "a duplicate is no new job"

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with in_transaction() as conn:
            article = await Article.create(using_db=conn, source=source, url="https://q.example/x",
                                           url_key=url_key("https://q.example/x"), content_hash=key_of("x"),
                                           text="x", extraction="page", fetched_at=T0)
            assert await enqueue_analysis(conn, [article.id]) == 1
            raise Abort
    assert await _depths() == {"analyse jobs queued": 1}, "the rolled back article left no job behind"
    # a job per article: asking again while it is queued adds none
    assert await enqueue_analysis(connections.get("default"), [first.article_id]) == 0
    assert await enqueue_waiting() == 0


@pytest.mark.db
async def test_two_queue_workers_analyse_every_article_once_and_a_job_run_again_stores_nothing(
        db: str, language: Language) -> None:
    _postgres(db)
    articles = [await _article(f"{p.name}-{a.id}", a.lead, title=a.title)
                for p in JOIN[:3] for a in (p.a, p.b)]
    # articles stored before the queue existed have no job: the workers' first sweep queues them
    assert await _depths() == {}
    stop = asyncio.Event()
    done: list[AnalysedArticle] = []
    batches: list[int] = []
    all_done = asyncio.Event()

    def report(items: list[AnalysedArticle]) -> None:
        done.extend(items)
        batches.append(len(items))
        if len(done) >= len(articles):
            all_done.set()

    batchers = []
    for owner in (1, 2):
        service = AnalysisService(language.analyzer, language.clusterer, ActorStore(), batch_size=4)
        service.owner = owner
        batchers.append(Batcher(service.analyse_ids, batch_size=4, report=report))
    workers = [asyncio.create_task(QueueWorker(db, ANALYSE, lambda p, b=b: b(int(p)), batch_size=4,
                                           sweep=enqueue_waiting).run(stop)) for b in batchers]
    try:
        await asyncio.wait_for(all_done.wait(), timeout=120)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), timeout=60)
    assert sorted(d.article_id for d in done) == sorted(a.id for a in articles), "each analysed once"
    assert max(batches) > 1, "jobs that arrive together are analysed as one batch"
    assert len({d.story_id for d in done}) == 3, "the pairs joined their stories"
    assert not await Article.filter(analyzed_at__isnull=True).exists()
    assert await _depths() == {}, "every job is done and off the queue"
    # the same jobs again (a worker that was thought gone finishes late): nothing is stored twice
    statements = await Statement.all().count()
    assert await enqueue_analysis(connections.get("default"), [a.id for a in articles]) == len(articles)
    results = await asyncio.gather(*(batchers[0](a.id) for a in articles))
    assert results == [None] * len(articles)
    assert await Statement.all().count() == statements
    assert len(done) == len(articles)


async def test_a_queue_that_cannot_be_reached_is_tried_again_until_stopped(caplog: pytest.LogCaptureFixture) -> None:
    """The database away when an analyser starts (or restarted under it): the process waits and
    joins the queue again; it does not exit."""
    stop, tries = asyncio.Event(), []

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "the work queue failed" in record.getMessage():
                tries.append(record)
                if len(tries) == 3:
                    stop.set()

    handler = Count()
    logging.getLogger("bot.workers.queue").addHandler(handler)
    try:
        closed = "postgres://postgres@127.0.0.1:9/none"  # the discard port: nothing listens there
        service = SimpleNamespace(analyse_ids=None, batch_size=4)
        await asyncio.wait_for(analyse_until(service, closed, stop, asyncio.Event(), print, idle_s=1,  # type: ignore[arg-type]
                                             retry_s=0.01), timeout=60)
    finally:
        logging.getLogger("bot.workers.queue").removeHandler(handler)
    assert len(tries) == 3
