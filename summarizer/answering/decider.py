"""The answer decider: one calibrated probability per candidate sentence, "this sentence answers
the question", from the reader's score and the retrieval evidence beside it.

The reader alone (``summarizer.answering.reader``) sees one sentence at a time and misses what the
rest of the sources say: a question naming a person or a year that no source mentions, a sentence
that shares the question's words but not its name, a negation. The decider is a logistic
regression (``data/decider.npz``, 2 kB; ``Decider`` also runs small networks) over the features
below, trained by ``training/train_decider.py`` on readings of articles the reader never saw (folds by article), with
its own threshold: the Answerer answers from its best candidate when that candidate's probability
reaches it, and refuses otherwise.

Features per candidate (``FEATURES``, in order):

* ``reader``: the reader's logit; ``reader_gap``: how far under the best candidate's it is;
  ``span``: how sure its span head is of the short answer; ``span_fit``: that short answer is the
  kind the question asks for (a number, a time, a name; 1 when it does not say);
* ``dense``: cosine of question and sentence (MiniLM); ``lexical``: BM25 over the best BM25;
  ``coverage``: idf-weighted share of the question's terms in the sentence; ``support``: the rule
  gate's score; ``rank``: the candidate's place in the retrieval order (0 first, 1 last);
* ``typed`` / ``type_fit``: the question expects a number, a time or a name / the sentence has one;
* ``keys`` / ``keys_here`` / ``keys_anywhere``: the question names someone or gives a number / the
  share of those words in the sentence / in any sentence of the sources;
* ``numbers`` / ``numbers_here``: the question gives a number or a year / the share of them in the
  sentence (a swapped date);
* ``negated``: the question has a negation the sentence lacks;
* ``question_len`` / ``sentence_len``: their terms, log-scaled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from summarizer.answering.questions import AnswerType, has_type, names_in, tokenize

FEATURES = ("reader", "reader_gap", "span", "span_fit", "dense", "lexical", "coverage", "support", "rank", "typed",
            "type_fit", "keys", "keys_here", "keys_anywhere", "numbers", "numbers_here", "negated", "question_len",
            "sentence_len")
_CAPITAL = re.compile(r"\b[A-Z]")
DEFAULT_DECIDER = Path(__file__).resolve().parent / "data" / "decider.npz"

_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|without|neither|\w+n['’]t)\b", re.IGNORECASE)


def key_terms(question: str) -> tuple[str, ...]:
    """The question's name and number tokens (stemmed like ``tokenize``): what a sentence that
    answers it must mention."""
    words = [w for name in names_in(question) for w in tokenize(name)]
    words += numbers_in(question)
    return tuple(dict.fromkeys(w for w in words if w))


def _fits(short: str, kind: AnswerType) -> bool:
    """Whether a short answer is what the question asks for (a name may open it)."""
    if kind == "name":
        return bool(_CAPITAL.search(short))
    return has_type(short, kind)


def numbers_in(text: str) -> list[str]:
    """The digit tokens of ``text``, as ``tokenize`` splits them ("4.5" is "4", "5")."""
    return list(dict.fromkeys(t for t in tokenize(text) if t.isdigit()))


def negated(question: str, sentence: str) -> bool:
    return bool(_NEGATION.search(question)) and not _NEGATION.search(sentence)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the Answerer knows of its candidates (arrays over the candidates, in retrieval order)."""

    question: str
    sentences: Sequence[str]
    sentence_tokens: Sequence[Sequence[str]]
    reader: np.ndarray  # reader probabilities
    dense: np.ndarray
    lexical: np.ndarray
    coverage: np.ndarray
    support: np.ndarray
    type_fit: np.ndarray  # the sentence has what the question asks for (all true when it does not say)
    source_tokens: frozenset[str]  # every token of every indexed sentence of the sources
    span_score: np.ndarray  # the reader's certainty of its short answer in each candidate
    short: Sequence[str]  # that short answer ("" for none)
    kind: AnswerType | None = None  # what the question asks for, if it says


def features(e: Evidence) -> np.ndarray:
    """(candidates, len(FEATURES)) float32, in ``FEATURES`` order."""
    n = len(e.sentences)
    if n == 0:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    logits = _logit(np.asarray(e.reader, dtype=np.float64))
    keys = key_terms(e.question)
    sets = [set(t) for t in e.sentence_tokens]
    if keys:
        here = np.array([sum(k in t for k in keys) / len(keys) for t in sets])
        anywhere = np.full(n, sum(k in e.source_tokens for k in keys) / len(keys))
    else:
        here = anywhere = np.ones(n)
    numbers = numbers_in(e.question)
    if numbers:
        numbers_here = np.array([sum(k in t for k in numbers) / len(numbers) for t in sets])
    else:
        numbers_here = np.ones(n)
    q_len = np.log1p(len(tokenize(e.question)))
    columns = {
        "reader": logits,
        "reader_gap": logits - logits.max(),
        "span": e.span_score,
        "span_fit": np.array([1.0 if e.kind is None else float(_fits(t, e.kind)) for t in e.short]),
        "dense": e.dense,
        "lexical": e.lexical,
        "coverage": e.coverage,
        "support": e.support,
        "rank": np.arange(n) / max(1, n - 1),
        "typed": np.full(n, float(e.kind is not None)),
        "type_fit": np.asarray(e.type_fit, dtype=np.float64),
        "keys": np.full(n, float(bool(keys))),
        "keys_here": here,
        "keys_anywhere": anywhere,
        "numbers": np.full(n, float(bool(numbers))),
        "numbers_here": numbers_here,
        "negated": np.array([float(negated(e.question, s)) for s in e.sentences]),
        "question_len": np.full(n, q_len),
        "sentence_len": np.log1p([len(t) for t in e.sentence_tokens]),
    }
    return np.stack([np.asarray(columns[f], dtype=np.float64) for f in FEATURES], axis=1).astype(np.float32)


@dataclass(frozen=True)
class Decider:
    """Standardised features through dense layers (ReLU between), a sigmoid at the end."""

    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]  # (weights (in, out), bias (out,))
    threshold: float

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0, dtype=np.float32)
        h = (np.asarray(x, dtype=np.float64) - self.mean) / self.scale
        for k, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        return (1.0 / (1.0 + np.exp(-np.clip(h[:, 0], -30, 30)))).astype(np.float32)

    def save(self, path: str | Path, **meta: object) -> None:
        arrays: dict[str, np.ndarray] = {"mean": self.mean, "scale": self.scale,
                                         "threshold": np.asarray(self.threshold),
                                         "features": np.asarray(FEATURES)}
        for k, (w, b) in enumerate(self.layers):
            arrays[f"w{k}"], arrays[f"b{k}"] = w.astype(np.float32), b.astype(np.float32)
        arrays.update({f"meta.{k}": np.asarray(v) for k, v in meta.items()})
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Decider:
        with np.load(path) as z:
            if tuple(str(f) for f in z["features"]) != FEATURES:
                raise ValueError(f"{path}: trained on other features than this code computes")
            layers = []
            while f"w{len(layers)}" in z.files:
                k = len(layers)
                layers.append((z[f"w{k}"].astype(np.float64), z[f"b{k}"].astype(np.float64)))
            return cls(z["mean"].astype(np.float64), z["scale"].astype(np.float64), tuple(layers),
                       float(z["threshold"]))


__all__ = ["DEFAULT_DECIDER", "FEATURES", "Decider", "Evidence", "features", "key_terms", "negated"]
