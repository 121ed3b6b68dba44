"""The answer decider (summarizer/answering/decider.py): its features, its file, and the shipped
one deciding through the real Answerer with the bundled MiniLM and reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from summarizer.answering.decider import DEFAULT_DECIDER, FEATURES, Decider, Evidence, features, key_terms, negated
from summarizer.answering.questions import tokenize
from summarizer.answering.reader import MiniLMReader
from summarizer.answers import REFUSAL, Answerer
from summarizer.embeddings import Embedder
from summarizer.types import Document

MAYOR = ("The city council met on Tuesday evening to discuss the budget. Mayor Helena Vostrikova resigned on "
         "Tuesday after a vote of no confidence. The council will elect a new mayor within thirty days.")


def _evidence(question: str, sentences: list[str], reader: list[float]) -> Evidence:
    tokens = [tuple(tokenize(s)) for s in sentences]
    n = len(sentences)
    return Evidence(question, sentences, tokens, np.array(reader), np.full(n, 0.5), np.ones(n), np.full(n, 0.5),
                    np.full(n, 0.5), np.ones(n, dtype=bool), frozenset(t for ts in tokens for t in ts),
                    np.full(n, 0.5), [s.split()[0] for s in sentences])


def test_key_terms_are_the_questions_names_and_numbers() -> None:
    assert key_terms("Why did Helena Vostrikova resign in 2024?") == ("helena", "vostrikova", "2024")
    assert key_terms("Who resigned?") == ()


def test_a_negation_the_sentence_lacks_is_flagged() -> None:
    assert negated("Who did not resign?", "The mayor resigned.")
    assert not negated("Who did not resign?", "The deputy did not resign.")
    assert not negated("Who resigned?", "The mayor resigned.")


def test_features_see_a_name_that_no_source_mentions() -> None:
    """The question's name is in one sentence: keys_here there only; a name found nowhere: 0 everywhere."""
    sentences = ["Mayor Helena Vostrikova resigned on Tuesday.", "The council will elect a new mayor."]
    x = features(_evidence("Why did Vostrikova resign?", sentences, [0.9, 0.2]))
    here, anywhere = FEATURES.index("keys_here"), FEATURES.index("keys_anywhere")
    assert x.shape == (2, len(FEATURES))
    assert x[:, here].tolist() == [1.0, 0.0] and x[:, anywhere].tolist() == [1.0, 1.0]
    x = features(_evidence("Why did Petrov resign?", sentences, [0.9, 0.2]))
    assert x[:, here].tolist() == [0.0, 0.0] and x[:, anywhere].tolist() == [0.0, 0.0]
    assert x[:, FEATURES.index("reader_gap")].max() == 0.0  # the best candidate's gap


def test_a_decider_survives_its_file_and_rejects_other_features(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    d = Decider(rng.normal(size=len(FEATURES)), np.ones(len(FEATURES)),
                ((rng.normal(size=(len(FEATURES), 4)), rng.normal(size=4)), (rng.normal(size=(4, 1)), np.zeros(1))),
                0.42)
    d.save(tmp_path / "d.npz", seed=1)
    back = Decider.load(tmp_path / "d.npz")
    x = rng.normal(size=(5, len(FEATURES))).astype(np.float32)
    assert back.threshold == pytest.approx(0.42)
    assert np.allclose(back.probabilities(x), d.probabilities(x), atol=1e-5)
    assert back.probabilities(np.zeros((0, len(FEATURES)))).shape == (0,)
    with np.load(tmp_path / "d.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["features"] = np.asarray(FEATURES[:-1])
    np.savez(tmp_path / "other.npz", **arrays)
    with pytest.raises(ValueError, match="other features"):
        Decider.load(tmp_path / "other.npz")


def test_the_shipped_decider_is_small_and_loads_with_the_bundled_reader(embedder: Embedder) -> None:
    assert DEFAULT_DECIDER.stat().st_size < 100_000
    answerer = Answerer(embedder, use_reader=True)
    answerer.warm_up()
    assert answerer.decider is not None and answerer.threshold == answerer.decider.threshold
    # another reader's weights bring no decider of their own; use_decider=False turns it off
    assert Answerer(embedder, reader=MiniLMReader(embedder, use_decider=False)).decider is None


@pytest.fixture(scope="module")
def answerer(embedder: Embedder) -> Answerer:
    a = Answerer(embedder, use_reader=True)
    a.warm_up()
    return a


def test_the_decider_answers_from_the_sentence_that_answers(answerer: Answerer) -> None:
    a = answerer.run("Who resigned after the vote of no confidence?", [Document("m", MAYOR)])
    assert a.answered and "Vostrikova" in a.citations[0].text
    assert a.score >= answerer.threshold


def test_the_decider_refuses_a_question_about_someone_no_source_names(answerer: Answerer) -> None:
    """The same question with a name the article never mentions is refused."""
    a = answerer.run("Why did Governor Petrakis resign after the vote of no confidence?", [Document("m", MAYOR)])
    assert not a.answered and a.text == REFUSAL
    assert a.score < answerer.threshold


def test_the_evidence_covers_the_candidates_the_reader_reads(answerer: Answerer) -> None:
    e = answerer.evidence("Who resigned?", [Document("m", MAYOR)])
    assert e is not None and len(e.sentences) == 3 and features(e).shape == (3, len(FEATURES))
    # a question the rule gate keeps ("what did X say?") has no decider evidence
    assert answerer.evidence("What did the mayor say about the budget?", [Document("m", MAYOR)]) is None


def test_the_answerer_answers_from_the_deciders_choice_at_its_threshold(embedder: Embedder) -> None:
    """A decider that prefers the last-read candidate makes the answer cite that one, whatever the
    reader prefers; at a threshold nothing reaches, the same question is refused."""
    n = len(FEATURES)
    weights = np.zeros((n, 1))
    weights[FEATURES.index("rank"), 0] = 5.0  # later in the retrieval order: more likely
    last = Decider(np.zeros(n), np.ones(n), ((weights, np.zeros(1)),), 0.5)
    question = "Who resigned after the vote of no confidence?"
    doc = Document("m", MAYOR)
    reader = MiniLMReader(embedder)
    evidence = Answerer(embedder, reader=reader).evidence(question, [doc])
    assert evidence is not None
    a = Answerer(embedder, reader=reader, decider=last, max_sentences=1, context=False).run(question, [doc])
    assert a.answered and a.citations[0].text == evidence.sentences[-1] != evidence.sentences[0]
    never = Decider(last.mean, last.scale, last.layers, 0.999)
    refused = Answerer(embedder, reader=reader, decider=never).run(question, [doc])
    assert not refused.answered and refused.score < 0.999
