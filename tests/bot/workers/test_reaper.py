"""The claims of a worker that stopped beating (killed) are handed on at the next beat of a live
one, not when they expire; a worker that is only late keeps them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.ingest.scheduler import Scheduler
from bot.language import Language
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.storage.models import Article, Source
from bot.workers.registry import WorkerRegistry
from tests.bot.services.test_analysis_hostile import T0, _article
from tests.summarizer.fixtures.story_pairs import JOIN


@pytest.mark.db
async def test_a_gone_workers_articles_and_polls_are_handed_on_at_the_next_beat(db: str, language: Language) -> None:
    now = [T0]

    def clock():  # type: ignore[no-untyped-def]
        return now[0]

    roles = frozenset({"poll", "analyse"})
    killed = WorkerRegistry(roles, heartbeat_s=1, clock=clock, host="a", pid=1)
    live = WorkerRegistry(roles, heartbeat_s=1, clock=clock, host="b", pid=2)
    await killed.start()
    await live.start()
    articles = [await _article(f"r{i}", art.lead, title=art.title) for i, art in enumerate((JOIN[0].a, JOIN[0].b, JOIN[1].a))]
    source = await Source.get(id=articles[0].source_id)
    source.next_poll_at = T0 - timedelta(minutes=1)
    await source.save(update_fields=["next_poll_at"])

    def analyser(registry: WorkerRegistry) -> AnalysisService:
        service = AnalysisService(language.analyzer, language.clusterer, ActorStore(), batch_size=2, clock=clock)
        service.owner = registry.worker_id
        return service

    def poller(registry: WorkerRegistry) -> Scheduler:
        return Scheduler(None, clock=clock, owner=registry.worker_id)  # type: ignore[arg-type]

    held = await analyser(killed)._claim(2)
    assert len(held) == 2
    assert await poller(killed).claim([source]) == [source]
    # the killed worker beats no more; the live one beats every second
    for seconds in (1, 2, 3):
        now[0] = T0 + timedelta(seconds=seconds)
        await live.tick()
        assert [a.id for a in await analyser(live)._claim(2)] in ([articles[2].id], []), "late, not gone: kept"
        assert await poller(live).claim(await poller(live).due_sources()) == []
    now[0] = T0 + timedelta(seconds=3.5)  # 3 beats missed: gone
    await live.tick()
    taken = await analyser(live)._claim(2)
    assert sorted(a.id for a in taken) == sorted(a.id for a in held), "handed on at once, not after 15 minutes"
    polls = await poller(live).claim(await poller(live).due_sources())
    assert [s.id for s in polls] == [source.id], "its poll is due again at once"
    assert (await Source.get(id=source.id)).claimed_by == live.worker_id
    # the killed worker's late results would not be stored: its claims are no longer its own
    assert not await Article.filter(claim_token__startswith=f"w{killed.worker_id}.").exists()
