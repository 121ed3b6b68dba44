"""Floors on the answer reader's cross-validated figures on the shared SQuAD 2.0 dev articles
(tests/summarizer/qa_floors.json): a sampled subset, through the real Answerer, so a regression
fails CI. `python -m bench.eval_qa` prints the full figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.eval_qa import DEV, load_dev, news_outcomes, sample, squad_outcomes
from summarizer.answering.calibrate import SQUAD_DEV_FOLDS, cross_validate, rates
from summarizer.answering.reader import DEFAULT_WEIGHTS, MiniLMReader
from summarizer.answers import Answerer
from summarizer.embeddings import Embedder

FLOORS = json.loads((Path(__file__).parent / "qa_floors.json").read_text(encoding="utf-8"))


def test_the_shipped_reader_weights_are_small() -> None:
    """The reader's weights stay well under the 20 MB budget."""
    assert DEFAULT_WEIGHTS.stat().st_size < 20_000_000


@pytest.mark.shared
@pytest.mark.skipif(not DEV.is_file(), reason="../shared/eval/qa is absent")
def test_cross_validated_squad_figures_stay_over_their_floors(embedder: Embedder) -> None:
    """Answerable cited, unanswerable refused, unrelated refused: each over its floor (held-out folds)."""
    rows = load_dev()
    answerer = Answerer(embedder, reader=MiniLMReader(embedder, threshold=0.0))
    outcomes = squad_outcomes(answerer, sample(rows, FLOORS["per_title"]), rows)
    _, overall = cross_validate(outcomes, SQUAD_DEV_FOLDS)
    print(f"\nCV on {len(outcomes)} outcomes: answerable {overall.answerable:.3f}, unanswerable refused "
          f"{overall.unanswerable:.3f}, unrelated refused {overall.unrelated:.3f}")
    assert overall.answerable >= FLOORS["answerable"]
    assert overall.unanswerable >= FLOORS["unanswerable"]
    assert overall.unrelated >= FLOORS["unrelated"]


def test_news_reading_set_figures_stay_over_their_floors(embedder: Embedder) -> None:
    """The team's long news articles at the shipped threshold: cited, refused, unrelated refused."""
    reader = MiniLMReader(embedder, threshold=0.0)
    outcomes = news_outcomes(Answerer(embedder, reader=reader))
    r = rates(outcomes, reader.threshold_from_weights())
    print(f"\nnews set: answer cited {r.answerable:.3f}, impossible refused {r.unanswerable:.3f}, "
          f"unrelated refused {r.unrelated:.3f} (n={r.counts})")
    assert r.answerable >= FLOORS["news_answerable"]
    assert r.unanswerable >= FLOORS["news_unanswerable"]
    assert r.unrelated >= FLOORS["news_unrelated"]
