"""Two analyser processes on one database (SQLite file or PostgreSQL) analyse each article once."""

from __future__ import annotations

import json

import pytest
from tortoise.functions import Count

from bot.storage.models import PipelineEvent, Statement, Story
from tests.bot.services.test_analysis_hostile import _article
from tests.summarizer.fixtures.story_pairs import JOIN, SPLIT
from tests.support.botproc import run_together

ANALYSER = """
import asyncio, json, sys
from bot.language import build_language
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.settings import Settings
from bot.storage.db import open_database

async def main(url):
    lang = build_language(Settings(_env_file=None, model_threads=1))
    lang.warm_up()
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    async with open_database(url, migrate=False):
        done = await AnalysisService(lang.analyzer, lang.clusterer, ActorStore(), batch_size=2).process_pending()
    print(json.dumps([d.article_id for d in done]), flush=True)

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.db
async def test_two_processes_share_the_work_and_store_each_analysis_once(db: str) -> None:
    arts = [art for pair in (*JOIN, *SPLIT) for art in (pair.a, pair.b)][:24]
    ids = [(await _article(f"a{i}-{art.id}", art.lead, title=art.title)).id for i, art in enumerate(arts)]
    results = [json.loads(line) for line in run_together(ANALYSER, [db], 2)]
    first, second = (set(r) for r in results)
    assert not first & second, "no article analysed by both processes"
    assert first | second == set(ids)
    analysed = await PipelineEvent.filter(stage="analyze").annotate(n=Count("id")).group_by("article_id") \
        .values_list("article_id", "n")
    assert sorted(a for a, _ in analysed) == sorted(ids) and {n for _, n in analysed} == {1}
    spans = await Statement.all().values_list("article_id", "start", "end")
    assert len(spans) == len(set(spans)), "no statement stored twice"
    assert sum(s.articles_count for s in await Story.all()) == len(ids)
