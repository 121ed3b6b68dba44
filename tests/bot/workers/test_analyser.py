"""The analyser's model work in a child process (ANALYSIS_PROCESS): the same analyses as in the
bot's own process, an article that kills the child fails alone, and a child never outlives a
parent killed outright."""

from __future__ import annotations

import hashlib
import os
import select
import signal
import subprocess
import sys
from collections.abc import Sequence

import pytest

from bot.language import Language
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.settings import Settings
from bot.storage.models import Article, PipelineEvent
from bot.workers.analyser import IN_FLIGHT, AnalyserProcess
from summarizer.types import Analysis, Document, Summary
from tests.bot.services.test_analysis_hostile import _article, _pair

KILL = "KILL-THE-ANALYSER"


class _Light:
    """A quick stand-in analyzer (a model load per child would make this test slow); it kills its
    own process on an article holding ``KILL``, as a crash in native code would."""

    def warm_up(self) -> None:
        pass

    def run(self, doc: Document) -> Analysis:
        return self.run_many([doc])[0]

    def run_many(self, docs: Sequence[Document]) -> list[Analysis]:
        if any(KILL in d.text for d in docs):
            os._exit(70)
        out = []
        for d in docs:
            seed = hashlib.sha256(d.text.encode()).digest()
            vector = [b - 127.5 for b in seed[:16]]
            norm = sum(v * v for v in vector) ** 0.5
            out.append(Analysis(d.id, Summary(d.text[:80], (), "lead"), (), (),
                                embedding=tuple(v / norm for v in vector), language="en"))
        return out


def light() -> _Light:
    return _Light()


@pytest.mark.db
async def test_the_child_analyses_as_the_bots_own_process_does(db: str, language: Language) -> None:
    articles = await _pair(2)
    child = AnalyserProcess.for_settings(Settings(_env_file=None, model_threads=1))
    try:
        service = AnalysisService(child, language.clusterer, ActorStore(), batch_size=1, in_flight=IN_FLIGHT)
        done = await service.process_pending()
    finally:
        child.close()
    assert sorted(d.article_id for d in done) == sorted(a.id for a in articles)
    by_id = {d.article_id: d for d in done}
    for a in articles:
        own = language.analyzer.run(Document(id=str(a.id), text=a.text, title=a.title))
        assert by_id[a.id].summary == own.summary.text
        assert by_id[a.id].actors == tuple(x.name for x in own.actors)
        assert by_id[a.id].statements == len(own.statements)
    # the pairs are the same stories: the child's embeddings join them as the bot's own do
    assert len({d.story_id for d in done}) == 2


@pytest.mark.db
async def test_an_article_that_kills_the_child_fails_alone_and_the_rest_is_analysed(db: str,
                                                                                    language: Language) -> None:
    # batches of 2, two in flight: the child dies holding the first and the second; both are then
    # analysed one article at a time, one batch after the other, so the second's are not lost with it
    texts = ["Rain in the north.", f"{KILL} in the middle.", "A vote in the council.", "Trains run late.",
             "A new bridge opens.", "The mayor speaks."]
    articles = [await _article(f"k{i}", t, title=f"Item {i}") for i, t in enumerate(texts)]
    child = AnalyserProcess(light)
    try:
        service = AnalysisService(child, language.clusterer, ActorStore(), batch_size=2, in_flight=IN_FLIGHT)
        done = await service.process_pending()
        assert child.restarts >= 2, "killed with its batch, then again alone"
        again = await service.process_pending()
    finally:
        child.close()
    assert again == []
    assert sorted(d.article_id for d in done) == [a.id for a in articles], "every article once"
    failed = {d.article_id: d.error for d in done if d.error}
    killer = articles[1].id
    assert list(failed) == [killer], "only the article that killed the child failed"
    assert "AnalyserDied" in (failed[killer] or "")
    stored = await Article.get(id=killer)
    assert stored.analyzed_at is not None and "analyser process died" in (stored.analysis_error or "")
    assert await PipelineEvent.filter(article_id=killer, stage="analyze", outcome="failed").count() == 1
    for a in articles:
        if a.id != killer:
            assert (await Article.get(id=a.id)).summary


ORPHAN = """
import sys
from bot.workers.analyser import AnalyserProcess
from tests.bot.workers.test_analyser import light

if __name__ == "__main__":
    child = AnalyserProcess(light)
    child.warm_up()
    print(child.pid(), flush=True)
    sys.stdin.readline()
"""


def test_the_child_exits_when_its_parent_is_killed_outright(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "parent.py"
    script.write_text(ORPHAN)
    parent = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        watch = os.pidfd_open(pid)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    try:
        readable, _, _ = select.select([watch], [], [], 20)
        assert readable, f"the analyser process {pid} outlived its killed parent"
    finally:
        os.close(watch)
