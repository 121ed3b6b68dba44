"""Answer readers: given a question and candidate passages (sentences), how likely each one
answers it, and where its short answer is.

``Reader`` is the interface the ``Answerer`` uses; ``threshold`` is the calibrated score under
which "the sources don't say". Two implementations:

* ``MiniLMReader`` (the default): the bundled MiniLM cross-encodes "question [SEP] passage" and a
  small trained head (``data/reader.npz``, see ``summarizer.answering.head`` and
  ``training/train_reader.py``) scores the pair and points at the short answer.
* ``TransformersReader`` (``QA_MODEL``): any transformers ``*ForQuestionAnswering`` model,
  SQuAD 2.0 style; a passage's score is ``sigmoid(best span - no-answer span)``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from summarizer.answering.decider import DEFAULT_DECIDER, Decider
from summarizer.textclean import scrub

if TYPE_CHECKING:
    from summarizer.embeddings import Embedder

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "reader.npz"
MAX_PASSAGE_CHARS = 2_000  # a candidate passage is one sentence: a longer one is read up to here


@dataclass(frozen=True, slots=True)
class Reading:
    score: float  # in [0, 1]: how likely the passage answers the question
    span: tuple[int, int] | None = None  # the short answer's characters in the passage, if found
    span_score: float = 0.0  # how sure the span head is of that span (its probability in the sentence)


class Reader(Protocol):
    threshold: float

    def warm_up(self) -> None: ...

    def read(self, question: str, passages: Sequence[str]) -> list[Reading]: ...


def _trimmed(passage: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and passage[start] in " \t\n,;:.\"'“”‘’()":
        start += 1
    while end > start and passage[end - 1] in " \t\n,;:\"'“”‘’()":
        end -= 1
    return (start, end) if end > start else None


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64) - float(np.max(x))
    return x - np.log(np.exp(x).sum())


class MiniLMReader:
    """The bundled head over the shared MiniLM's token states (module docstring)."""

    def __init__(self, embedder: Embedder, weights: str | Path | None = None, *,
                 threshold: float | None = None, decider: str | Path | None = None,
                 use_decider: bool = True) -> None:
        """``decider``: the weights of the decider trained on this reader's scores (the bundled
        reader's own by default; none for other ``weights`` or an explicit ``threshold``, which is
        then the reader's score's, unless given). ``use_decider=False``: the reader's own score and
        threshold decide."""
        self._embedder = embedder
        self._weights = Path(weights) if weights else DEFAULT_WEIGHTS
        self._threshold = threshold
        self.threshold = 0.5 if threshold is None else threshold
        bundled = not weights and threshold is None  # the shipped reader, at its shipped threshold
        self._decider_path = Path(decider) if decider else (DEFAULT_DECIDER if bundled else None)
        if not use_decider:
            self._decider_path = None
        self.decider: Decider | None = None
        self._lock = threading.Lock()
        self._head: Any = None
        self._layers: tuple[int, ...] = ()

    def warm_up(self) -> None:
        if self._head is not None:
            return
        with self._lock:
            if self._head is not None:
                return
            from summarizer.answering.head import load_head  # torch: imported when a reader is used

            head, meta = load_head(self._weights)
            self._layers = tuple(int(k) for k in np.atleast_1d(meta["layers"]))
            if self._threshold is None:
                self.threshold = float(meta["threshold"])
            if self._decider_path is not None and self._decider_path.is_file():
                self.decider = Decider.load(self._decider_path)
            self._embedder.warm_up()
            self._head = head

    def threshold_from_weights(self) -> float:
        """The calibrated threshold shipped with the weights (whatever this reader was given)."""
        with np.load(self._weights) as z:
            return float(z["meta.threshold"])

    def read(self, question: str, passages: Sequence[str]) -> list[Reading]:
        if not passages:
            return []
        import torch

        from summarizer.answering.head import MAX_ANSWER_PIECES, best_span, encode_pair, pad_states, pair_states

        self.warm_up()
        tokenizer = self._embedder.tokenizer
        question = scrub(question)
        texts = [scrub(p[:MAX_PASSAGE_CHARS]) for p in passages]  # scrub keeps lengths: offsets hold
        pairs = [encode_pair(tokenizer, question, t) for t in texts]
        states = pair_states(self._embedder.auto_model, pairs, self._layers)
        x, mask, seg = pad_states(states, pairs)
        with torch.inference_mode():
            answer, start, end = self._head(x, mask, seg)
        scores = torch.sigmoid(answer).numpy()
        starts, ends = start.numpy(), end.numpy()
        out = []
        for i, (pair, text) in enumerate(zip(pairs, texts, strict=True)):
            span, sure = None, 0.0
            if pair.offsets:
                lo, hi = pair.sentence_start, pair.sentence_start + len(pair.offsets)
                s, e, _ = best_span(starts[i], ends[i], lo, hi, MAX_ANSWER_PIECES)
                span = _trimmed(text, pair.offsets[s - lo][0], pair.offsets[e - lo][1])
                sure = float(np.exp(_log_softmax(starts[i][lo:hi])[s - lo] + _log_softmax(ends[i][lo:hi])[e - lo]))
            out.append(Reading(float(scores[i]), span, sure))
        return out


class TransformersReader:
    """A lazily loaded transformers extractive-QA model (hub id or local path) as a Reader."""

    def __init__(self, ref: str | Path, *, threshold: float = 0.5, max_answer_tokens: int = 30,
                 max_length: int = 384) -> None:
        self.ref = str(ref)
        self.threshold = threshold
        self.max_answer_tokens = max_answer_tokens
        self.max_length = max_length
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._loaded is None:
                from transformers import AutoModelForQuestionAnswering, AutoTokenizer

                local = Path(self.ref).exists()
                log.info("loading QA model %s", self.ref)
                tokenizer = AutoTokenizer.from_pretrained(self.ref, local_files_only=local)
                model = AutoModelForQuestionAnswering.from_pretrained(self.ref, local_files_only=local)
                model.eval()
                self._loaded = (tokenizer, model)

    def read(self, question: str, passages: Sequence[str]) -> list[Reading]:
        if not passages:
            return []
        import torch

        from summarizer.answering.head import best_span

        self.warm_up()
        assert self._loaded is not None
        tokenizer, model = self._loaded
        question = scrub(question)
        texts = [scrub(p[:MAX_PASSAGE_CHARS]) for p in passages]
        enc = tokenizer([question] * len(texts), texts, truncation="only_second", max_length=self.max_length,
                        padding=True, return_offsets_mapping=True, return_tensors="pt")
        offsets = enc.pop("offset_mapping").tolist()
        sequence_ids = [enc.sequence_ids(i) for i in range(len(texts))]
        inputs = {k: v for k, v in enc.items() if k in tokenizer.model_input_names}
        with torch.inference_mode():
            out = model(**inputs)
        starts = out.start_logits.float().numpy()
        ends = out.end_logits.float().numpy()
        readings = []
        for i, text in enumerate(texts):
            positions = [j for j, s in enumerate(sequence_ids[i]) if s == 1]
            if not positions:
                readings.append(Reading(0.0))
                continue
            lo, hi = positions[0], positions[-1] + 1
            s, e, score = best_span(starts[i], ends[i], lo, hi, self.max_answer_tokens)
            null = float(starts[i, 0] + ends[i, 0])  # the [CLS] span: SQuAD 2.0's "no answer"
            probability = float(1.0 / (1.0 + np.exp(-(score - null))))
            readings.append(Reading(probability, _trimmed(text, offsets[i][s][0], offsets[i][e][1])))
        return readings


__all__ = ["DEFAULT_WEIGHTS", "MiniLMReader", "Reader", "Reading", "TransformersReader"]
