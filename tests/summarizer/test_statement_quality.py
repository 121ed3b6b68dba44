"""Statements on held-out hand-marked news (PolNeAR dev, 84 articles nobody tuned on: the rules were
developed on its train split), with the real actor extractor, above pinned floors; and the scorer
itself on a hand-made record."""

from __future__ import annotations

import pytest

from bench import eval_statements
from summarizer.actors import ActorExtractor
from summarizer.embeddings import Embedder
from summarizer.prepare import prepare_text
from summarizer.types import Span, Statement

# measured 0.661 recall / 0.950 precision when these were pinned (issue 14 asks >= 0.65 at >= 0.90);
# the floors leave room for a retrained tagger, never for a rule that guesses
FLOORS = {"recall": 0.64, "precision": 0.93}


def test_the_scorer_counts_half_covered_contents_and_judges_speakers_by_overlap() -> None:
    text = "Carter said the port would reopen soon. Lopez said nothing."
    record = {"id": "x", "text": text, "attributions": [
        {"source": [0, 6, "Carter"], "cue": [7, 11, "said"], "content": [12, 38, "the port would reopen soon"]},
        {"source": [40, 45, "Lopez"], "cue": [46, 50, "said"], "content": [51, 58, "nothing"]},
        {"source": [40, 45, "Lopez"], "cue": [0, 0, ""], "content": [51, 58, "nothing"]},  # no speech cue
    ]}
    assert len(eval_statements.gold_speech(record)) == 2
    half = Statement("John Carter", Span(0, 6), "said", "the port would", Span(12, 26), "indirect")
    wrong = Statement("Maria Lopez", Span(40, 45), "said", "reopen soon", Span(27, 38), "indirect")
    score, missed = eval_statements.score_document(text, record, [half, wrong])
    assert (score.gold, score.found) == (2, 1)  # 14 of 26 characters covered; "nothing" missed
    assert [g.content for g in missed] == [(51, 58)]
    assert (score.judged, score.right) == (1, 1)  # "reopen soon" covers under half of any content


@pytest.mark.shared
def test_polnear_dev_recall_and_precision_stay_above_their_floors() -> None:
    path = eval_statements.STATEMENTS / "polnear-dev.jsonl"
    embedder = Embedder(threads=1)
    extractor = ActorExtractor(embedder)
    extractor.warm_up()
    actors = [extractor.run(prepare_text(r["text"])) for r in eval_statements.load(path)]
    score, _ = eval_statements.evaluate(path, actors=actors)
    assert score.not_verbatim == 0
    assert score.recall >= FLOORS["recall"], score.line()
    assert score.precision >= FLOORS["precision"], score.line()
