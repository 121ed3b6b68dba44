"""Floors on the shipped answer reader's figures (tests/summarizer/qa_floors.json), through the
answerer the bot builds (reader and decider at their threshold), so a regression fails CI: on a
sample of the SQuAD 2.0 dev articles nothing shipped trains or tunes on
(``calibrate.SQUAD_HELD_OUT``), and on the team's news set. `python -m bench.eval_qa` prints the
full figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.eval_qa import ANSWERED, DEV, load_dev, news_outcomes, sample, shipped_answerer, squad_outcomes
from summarizer.answering.calibrate import SQUAD_HELD_OUT, Rates, rates
from summarizer.answering.reader import DEFAULT_WEIGHTS
from summarizer.embeddings import Embedder

FLOORS = json.loads((Path(__file__).parent / "qa_floors.json").read_text(encoding="utf-8"))


def test_the_shipped_reader_weights_are_small() -> None:
    """The reader's weights stay well under the 20 MB budget."""
    assert DEFAULT_WEIGHTS.stat().st_size < 20_000_000


def _over_floors(name: str, r: Rates, prefix: str = "") -> None:
    print(f"\n{name}: answerable cited {r.answerable:.3f}, unanswerable refused {r.unanswerable:.3f}, "
          f"unrelated refused {r.unrelated:.3f} (n={r.counts})")
    assert r.answerable >= FLOORS[f"{prefix}answerable"]
    assert r.unanswerable >= FLOORS[f"{prefix}unanswerable"]
    assert r.unrelated >= FLOORS[f"{prefix}unrelated"]


@pytest.mark.shared
@pytest.mark.skipif(not DEV.is_file(), reason="../shared/eval/qa is absent")
def test_held_out_squad_figures_stay_over_their_floors(embedder: Embedder) -> None:
    """Answerable cited, unanswerable refused, unrelated refused on articles the reader never saw."""
    rows = load_dev()
    held_out = sample([r for r in rows if r["title"] in SQUAD_HELD_OUT], FLOORS["per_title"])
    outcomes = squad_outcomes(shipped_answerer(embedder), held_out, rows)
    _over_floors("held-out SQuAD articles", rates(outcomes, ANSWERED))


def test_news_reading_set_figures_stay_over_their_floors(embedder: Embedder) -> None:
    """The team's long news articles at the shipped threshold: cited, refused, unrelated refused."""
    outcomes = news_outcomes(shipped_answerer(embedder))
    _over_floors("news set", rates(outcomes, ANSWERED), "news_")
