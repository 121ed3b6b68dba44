"""The queue's jobs come one article each; the batcher analyses those that arrive together as
one batch, never more than the batch size, and a failed batch fails only its own jobs."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.analysis import AnalysedArticle
from bot.workers.batcher import Batcher


def _done(article_id: int) -> AnalysedArticle:
    return AnalysedArticle(article_id, None, f"https://x.example/{article_id}", "s", (), 0, None, False, True)


async def test_jobs_that_arrive_together_are_one_batch_of_at_most_the_batch_size() -> None:
    calls: list[list[int]] = []
    reported: list[int] = []

    async def analyse(ids: list[int]) -> list[AnalysedArticle]:
        calls.append(ids)
        return [_done(i) for i in ids if i != 3]  # 3: another analyser had it

    batcher = Batcher(analyse, batch_size=4, report=lambda done: reported.extend(d.article_id for d in done))
    results = await asyncio.gather(*(batcher(i) for i in range(1, 11)))
    assert calls == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert [r.article_id if r else None for r in results] == [1, 2, None, 4, 5, 6, 7, 8, 9, 10]
    assert sorted(reported) == [1, 2, 4, 5, 6, 7, 8, 9, 10]
    # a job alone is not held back waiting for a full batch
    assert (await batcher(11)) is not None and calls[-1] == [11]


async def test_a_failed_batch_fails_its_own_jobs_only() -> None:
    async def analyse(ids: list[int]) -> list[AnalysedArticle]:
        if 2 in ids:
            raise ConnectionError("the database went away")
        return [_done(i) for i in ids]

    batcher = Batcher(analyse, batch_size=2)
    results = await asyncio.gather(*(batcher(i) for i in (1, 2, 3, 4)), return_exceptions=True)
    assert isinstance(results[0], ConnectionError) and isinstance(results[1], ConnectionError)
    assert [r.article_id for r in results[2:]] == [3, 4]  # type: ignore[union-attr]
    with pytest.raises(ConnectionError):
        await batcher(2)

