"""Extractive question answering over a set of articles, with exact citations.

``Answerer.run(question, documents, history)`` retrieves the sentences of ``documents`` that best
support an answer and returns them verbatim, numbered ``[1]``, ``[2]``, ... in the order of
``Answer.citations`` (``Citation.text == doc.text[start:end]``). Nothing is generated: when no
sentence supports an answer it returns ``Answer(answered=False, text=REFUSAL)``.

Retrieval is hybrid, over sentences (``summarizer.sentences.split_sentences``):

* **lexical** - BM25 (``bm25s``) over lower-cased, lightly stemmed, stop-word-free tokens, plus the
  idf-weighted share of the question's terms that a sentence contains ("coverage");
* **dense** - cosine of the question with each sentence (the shared MiniLM ``Embedder``).

Ranking uses ``dense_weight * cosine + (1 - dense_weight) * bm25 / max(bm25)``. Answerability must
not depend on the other candidates, so it uses absolute quantities:
``support = dense_weight * cosine + (1 - dense_weight) * coverage``; the answer starts from the
best-ranked of the top ``candidates`` sentences whose support reaches ``min_score``; if none does,
the sources don't say. Questions that expect a number ("how many", "how much"), a time ("when",
"what day") or a name ("who") multiply both by ``type_penalty`` for sentences that contain none.
The default ``min_score`` (0.43) was set on the hand-written articles of the tests: answerable
questions had support 0.47-0.84, unanswerable ones (off-topic, or on-topic asking for a fact no
article gives) 0.07-0.39.

Up to ``max_sentences`` sentences are cited: the best one, then others that rank within
``follow_ratio`` of it (or, within ``complement_ratio``, add at least ``min_gain`` of the query's
terms that the chosen ones lack), also reach ``min_score`` and are not near-duplicates of a chosen
one (so two documents reporting two halves of an answer are both cited). A chosen sentence that leans on the
previous one ("..., he said.") brings that sentence along as context. Citations are ordered by
document (the best document first) and by position in the document.

Follow-ups: when the question has a personal pronoun ("what did he say next?") and ``history``
(previous ``(question, answer)`` pairs of the thread, oldest first) is given, the names of the
latest turn (of its question; of its answer after a "who" question or when the question named
nobody) are added to the lexical query and put in place of the pronoun in the dense query. Within
an article, a sentence with a personal pronoun is also indexed with the names of the sentence
before it, so "He told the students ..." is found by a question about Khamenei. See
``expand_question``.

Optional reader (``summarizer.answering.reader``): the bundled trained ``MiniLMReader``
(``use_reader=True``) or a transformers ``*ForQuestionAnswering`` model (``qa_model``, a hub id or
a local path) reads the top ``reader_candidates`` sentences and decides instead of the rule gate:
its best sentence answers, with the short answer inside it (``Answer.short``), or the sources don't
say when its score is under the threshold. The bundled reader comes with a decider
(``summarizer.answering.decider``) that turns its scores and the retrieval evidence of each
candidate into one calibrated probability, with its own threshold; a reader without one decides
on its own score. "What did X say ...?" questions stay with the
rule gate (the reader is trained on factoid questions). A reader that fails to load or run leaves
the question to the rule gate.

Speed: sentence splits, tokens and clauses are cached per document id (``cache``, or an internal
LRU of ``cache_size`` documents). A question embeds only a shortlist: each document's first
sentence and the ``dense_pool`` (24) sentences that BM25 ranks best (embeddings are cached per text, so
identical sentences are encoded once); a first question on a 10-article story costs one batch of
about 35 short texts, not the whole story.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import numpy as np

from summarizer.answering.questions import (
    ExpandedQuestion,
    clauses,
    expand_question,
    has_type,
    question_type,
    sentence_tokens,
    tokenize,
)
from summarizer.answering.decider import Decider, Evidence, features
from summarizer.answering.reader import MiniLMReader, Reader, Reading, TransformersReader
from summarizer.sentences import split_sentences
from summarizer.types import Answer, Citation, Document, Sentence

if TYPE_CHECKING:
    from summarizer.embeddings import Embedder

log = logging.getLogger(__name__)

REFUSAL = "The sources don't say."
DEFAULT_MIN_SCORE = 0.43
# bounds on the work per question: the sentences of a document past MAX_DOCUMENT_CHARS are not
# indexed (every indexed sentence is embedded), and a question is read up to MAX_QUESTION_CHARS
MAX_DOCUMENT_CHARS = 100_000
MAX_QUESTION_CHARS = 1_000

# "what did X say / tell / warn (about Y)?", "how did X react?": the reader, trained on factoid
# questions, reads these poorly; the rule gate decides them ("who said ...?" stays with the reader)
_ASKS_WHAT_WAS_SAID = re.compile(
    r"^\W*(?:what|how)\b.*\b(?:say|said|says|tell|told|warn|warned|claim|claimed|argue|argued|announce|"
    r"announced|react|reacted|respond|responded|comment|commented|think|thinks|thought|promise|promised|add|"
    r"added)\b", re.IGNORECASE)
_LEANS_ON_PREVIOUS = re.compile(
    r"^(?:he|she|they|it|this|that|but|however|his|her|their|the (?:minister|president|spokesman|spokeswoman|"
    r"official|company|agency|leader|bank|group))\b"
    r"|[\"”’]\s*,?\s*(?:he|she|they) (?:said|added|told|warned|wrote|insisted|noted)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, eq=False)
class DocumentIndex:
    """Per-document sentences, their tokens and their clauses (what the document cache holds;
    embeddings are cached per text, and only for the sentences a question shortlists)."""

    text_hash: int
    sentences: tuple[Sentence, ...]
    tokens: tuple[tuple[str, ...], ...]
    clauses: tuple[tuple[str, ...], ...]  # per sentence: its parts when it is long (see clauses())


@dataclass(frozen=True, slots=True)
class _Candidate:
    doc: int  # index into documents
    sentence: Sentence
    position: int  # index into the flat candidate list


class Answerer:
    """Answers questions from given documents, extractively, with citations (module docstring)."""

    def __init__(self, embedder: Embedder, *, min_score: float = DEFAULT_MIN_SCORE, max_sentences: int = 3,
                 dense_weight: float = 0.6, follow_ratio: float = 0.8, complement_ratio: float = 0.65,
                 min_gain: float = 0.15, redundancy: float = 0.9,
                 type_penalty: float = 0.75, min_tokens: int = 3, context: bool = True, candidates: int = 5,
                 qa_model: str | Path | None = None,
                 cache: MutableMapping[str, DocumentIndex] | None = None, cache_size: int = 512,
                 reader: Reader | None = None, use_reader: bool | None = None, reader_candidates: int = 8,
                 dense_pool: int = 24, vector_cache_size: int = 20_000, closest: bool = False,
                 decider: Decider | None = None) -> None:
        """``reader``: what decides between answering and refusing, over the top
        ``reader_candidates`` retrieved sentences (``qa_model`` makes it a ``TransformersReader``;
        ``use_reader=True`` without either, the bundled ``MiniLMReader``, which brings its decider;
        the bot sets it unless ``ANSWER_READER=false``). Without a reader the rule gate decides
        (``min_score`` on the support score). ``decider``: overrides the reader's own decider.
        ``dense_pool``: how many sentences (the best by BM25, after each document's first) a
        question embeds, so a first question on a long story stays fast. ``closest``: a reader's
        refusal names the sentence it found closest (``Answer.citations`` of an unanswered Answer,
        not the answer) when that sentence scored at least half the threshold."""
        if max_sentences < 1:
            raise ValueError("max_sentences must be at least 1")
        if not 0 <= dense_weight <= 1:
            raise ValueError("dense_weight must be in [0, 1]")
        self._embedder = embedder
        self.min_score = min_score
        self.max_sentences = max_sentences
        self.dense_weight = dense_weight
        self.follow_ratio = follow_ratio
        self.complement_ratio = complement_ratio
        self.min_gain = min_gain
        self.redundancy = redundancy
        self.type_penalty = type_penalty
        self.min_tokens = min_tokens
        self.context = context
        self.candidates = max(1, candidates)
        self.reader_candidates = max(1, reader_candidates)
        self.dense_pool = max(1, dense_pool)
        self.closest = closest
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vector_cache_size = vector_cache_size
        self._reader: Reader | None = None
        self._decider = decider
        if use_reader is None:
            use_reader = reader is not None or qa_model is not None
        if use_reader:
            self._reader = reader or (TransformersReader(qa_model) if qa_model else MiniLMReader(embedder))
        self._own_cache = cache is None
        self._cache: MutableMapping[str, DocumentIndex] = OrderedDict() if cache is None else cache
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def reads(self) -> bool:
        """Whether a trained reader decides (else the rule gate)."""
        return self._reader is not None

    @property
    def decider(self) -> Decider | None:
        """What turns the reader's scores and the retrieval evidence into one probability (the
        bundled reader's own, see ``summarizer.answering.decider``); None: the reader's score decides."""
        if self._decider is not None or self._reader is None:
            return self._decider
        return getattr(self._reader, "decider", None)

    @property
    def threshold(self) -> float:
        """The score under which the answerer refuses: the decider's, the reader's, or ``min_score``
        without a reader."""
        if self._reader is None:
            return self.min_score
        decider = self.decider
        return decider.threshold if decider is not None else self._reader.threshold

    def warm_up(self) -> None:
        """Loads the embedder and the reader (else both load on the first question)."""
        self._embedder.warm_up()
        if self._reader is not None:
            try:
                self._reader.warm_up()
            except Exception:  # a broken optional model: questions fall back to the rule gate
                log.exception("answer reader failed to load")

    # ------------------------------------------------------------------ indexing

    def index(self, documents: Sequence[Document]) -> list[DocumentIndex]:
        """The (cached) sentence index of each document: sentences, tokens, clauses."""
        out: list[DocumentIndex] = []
        for doc in documents:
            with self._lock:
                hit = self._cache.get(doc.id)
                if hit is not None and hit.text_hash == hash(doc.text) and self._own_cache:
                    self._cache.move_to_end(doc.id)  # type: ignore[attr-defined]
            if hit is None or hit.text_hash != hash(doc.text):
                sentences = split_sentences(doc.text[:MAX_DOCUMENT_CHARS])
                hit = DocumentIndex(hash(doc.text), tuple(sentences), sentence_tokens(sentences),
                                    tuple(tuple(clauses(s.text)) for s in sentences))
                with self._lock:
                    self._cache[doc.id] = hit
                    if self._own_cache:
                        while len(self._cache) > self._cache_size:
                            self._cache.popitem(last=False)  # type: ignore[call-arg]
            out.append(hit)
        return out

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit embeddings of ``texts`` (rows in order), through a per-text LRU cache; the
        uncached ones are encoded in one batch, each distinct text once."""
        known: dict[str, np.ndarray] = {}
        with self._lock:
            for t in texts:
                if t in self._vectors:
                    known[t] = self._vectors[t]
                    self._vectors.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, self._embedder.encode(missing), strict=True))
            with self._lock:
                self._vectors.update((t, known[t]) for t in missing)
                while len(self._vectors) > self._vector_cache_size:
                    self._vectors.popitem(last=False)
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    # ------------------------------------------------------------------ answering

    def _pool(self, indexes: Sequence[DocumentIndex]) -> tuple[list[_Candidate], list[tuple[str, ...]]]:
        """Every sentence that may answer (not the tiny ones), with its tokens."""
        pool: list[_Candidate] = []
        tokens: list[tuple[str, ...]] = []
        for d, entry in enumerate(indexes):
            for s, sentence in enumerate(entry.sentences):
                if len(entry.tokens[s]) < self.min_tokens and len(sentence.text.split()) < self.min_tokens + 2:
                    continue
                pool.append(_Candidate(d, sentence, len(pool)))
                tokens.append(entry.tokens[s])
        return pool, tokens

    def shortlist(self, question: str, documents: Sequence[Document],
                  history: Sequence[tuple[str, str]] = ()) -> list[Citation]:
        """The sentences a question is answered from, in reading order: each document's first,
        then the best by BM25 (up to ``dense_pool``); what a language model is shown."""
        expanded = _expand(question, history)
        if not expanded.question or not documents:
            return []
        pool, tokens = self._pool(self.index(documents))
        if not pool:
            return []
        bm25 = self._bm25(tokens, list(dict.fromkeys(tokenize(expanded.lexical))))
        picked = [pool[j] for j in self._shortlist(bm25, pool)]
        return [Citation(documents[c.doc].id, c.sentence.start, c.sentence.end, c.sentence.text) for c in picked]

    def run(self, question: str, documents: Sequence[Document], history: Sequence[tuple[str, str]] = ()) -> Answer:
        answer = self._run(question, documents, history, features_only=False)
        assert isinstance(answer, Answer)
        return answer

    def evidence(self, question: str, documents: Sequence[Document],
                 history: Sequence[tuple[str, str]] = ()) -> Evidence | None:
        """What the decider sees of the candidates the reader reads (training/train_decider.py);
        None when the reader does not read this question."""
        found = self._run(question, documents, history, features_only=True)
        return found if isinstance(found, Evidence) else None

    def _run(self, question: str, documents: Sequence[Document], history: Sequence[tuple[str, str]],
             features_only: bool) -> Answer | Evidence | None:
        expanded = _expand(question, history)
        if not expanded.question or not documents:
            return None if features_only else Answer(False, REFUSAL)
        indexes = self.index(documents)
        pool, tokens = self._pool(indexes)
        if not pool:
            return None if features_only else Answer(False, REFUSAL)

        query_tokens = list(dict.fromkeys(tokenize(expanded.lexical)))
        bm25 = self._bm25(tokens, query_tokens)
        present, idf = self._presence(tokens, query_tokens)  # idf over every sentence of the sources
        keep = self._shortlist(bm25, pool)
        candidates = [_Candidate(pool[j].doc, pool[j].sentence, k) for k, j in enumerate(keep)]
        bm25, present = bm25[keep], present[keep]
        texts = [c.sentence.text for c in candidates]
        reads = self._reader is not None and not _ASKS_WHAT_WAS_SAID.search(expanded.question)
        # clauses sharpen the rule gate's support score; a reader reads whole sentences (the best
        # clause's cosine as a decider feature cost 90 ms a question for no gain held out)
        parts = [() if reads else indexes[c.doc].clauses[c.sentence.index] for c in candidates]
        encoded = self.vectors([expanded.dense, *texts, *(p for ps in parts for p in ps)])
        qvec, vectors, clause_vectors = encoded[0], encoded[1 : len(texts) + 1], encoded[len(texts) + 1 :]
        dense_rows = (vectors @ qvec).tolist()
        offset = 0
        for k, ps in enumerate(parts):  # a long sentence scores as its best clause when that is better
            if ps:
                dense_rows[k] = max(dense_rows[k], float((clause_vectors[offset : offset + len(ps)] @ qvec).max()))
                offset += len(ps)
        dense = np.clip(np.asarray(dense_rows, dtype=np.float32), 0.0, 1.0)
        top_bm25 = float(bm25.max()) if len(bm25) else 0.0
        lexical_rank = bm25 / top_bm25 if top_bm25 > 0 else np.zeros_like(bm25)
        total_idf = float(idf.sum())
        coverage = present @ idf / total_idf if total_idf > 0 else np.zeros(len(candidates), dtype=np.float32)

        w = self.dense_weight
        rank = w * dense + (1 - w) * lexical_rank
        support = w * dense + (1 - w) * coverage
        kind = question_type(expanded.question)
        fits = np.ones(len(candidates), dtype=bool)
        if kind is not None:
            fits = np.array([has_type(c.sentence.text, kind) for c in candidates], dtype=bool)
            factor = np.where(fits, 1.0, self.type_penalty)
            rank, support = rank * factor, support * factor

        order = np.argsort(-rank, kind="stable")
        if reads:
            top = [int(j) for j in order[: self.reader_candidates]]
            readings = self._read(expanded.dense, [candidates[j] for j in top])
            if readings is not None:
                evidence = Evidence(expanded.dense, [texts[j] for j in top], [tokens[keep[j]] for j in top],
                                    np.array([r.score for r in readings]), dense[top], lexical_rank[top],
                                    coverage[top], support[top], fits[top], frozenset(t for ts in tokens for t in ts),
                                    np.array([r.span_score for r in readings]),
                                    [texts[j][r.span[0] : r.span[1]] if r.span else "" for j, r in zip(top, readings,
                                                                                                        strict=True)],
                                    kind)
                if features_only:
                    return evidence
                scores, threshold = self._decide(evidence)
                read = sorted(((candidates[j], Reading(float(p), r.span)) for j, p, r in zip(top, scores, readings,
                                                                                             strict=True)),
                              key=lambda cr: -cr[1].score)
                return self._reader_answer(question, read, indexes, documents, vectors, threshold)
        if features_only:
            return None
        # the best-ranked of the leading candidates that is supported on its own terms
        head = [int(j) for j in order[: self.candidates]]
        supported = [j for j in head if support[j] >= self.min_score]
        if not supported:
            top_support = float(max(support[j] for j in head))
            log.debug("refusing %r: support %.3f < %.3f", question, top_support, self.min_score)
            return Answer(False, REFUSAL, score=top_support)
        best = supported[0]
        order = np.array([best] + [int(j) for j in order if int(j) != best])

        chosen = [best]
        covered = present[best] > 0
        for j in order[1:]:
            if len(chosen) >= self.max_sentences:
                break
            j = int(j)
            if rank[j] < self.complement_ratio * rank[best]:
                break
            if support[j] < self.min_score:
                continue
            if max(float(vectors[j] @ vectors[c]) for c in chosen) >= self.redundancy:
                continue
            gain = float(((present[j] > 0) & ~covered) @ idf) / total_idf if total_idf > 0 else 0.0
            if rank[j] >= self.follow_ratio * rank[best] or gain >= self.min_gain:
                chosen.append(j)
                covered |= present[j] > 0
        picked = [candidates[c] for c in chosen]
        if self.context:
            picked = self._with_context(picked, indexes)

        return self._compose(picked, documents, float(support[best]))

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _bm25(tokens: Sequence[tuple[str, ...]], query: Sequence[str]) -> np.ndarray:
        if not query or not any(tokens):
            # bm25s cannot index a corpus without a single term ("It is what it is."): no lexical evidence
            return np.zeros(len(tokens), dtype=np.float32)
        retriever = bm25s.BM25()
        retriever.index([list(t) for t in tokens], show_progress=False)
        return np.asarray(retriever.get_scores(list(query)), dtype=np.float32)

    def _shortlist(self, bm25: np.ndarray, pool: Sequence[_Candidate]) -> list[int]:
        """Which sentences a question embeds, in pool order: each document's first sentence, then
        the best by BM25 (those with any lexical evidence), then, to fill ``dense_pool``, the
        earliest others (a question that shares no word with the sources)."""
        firsts = sorted({c.doc: c.position for c in reversed(pool)}.values())[: self.dense_pool]
        chosen = set(firsts)
        for j in np.argsort(-bm25, kind="stable").tolist():
            if len(chosen) >= len(firsts) + self.dense_pool or bm25[j] <= 0:
                break
            chosen.add(int(j))
        for j in range(len(pool)):
            if len(chosen) >= len(firsts) + self.dense_pool:
                break
            chosen.add(j)
        return sorted(chosen)

    @staticmethod
    def _presence(tokens: Sequence[tuple[str, ...]], query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sentences x query terms 0/1 matrix, idf of each query term over the sentences). Terms
        found nowhere keep a high idf: they count against coverage, as the sources lack them."""
        n = len(tokens)
        if not query:
            return np.zeros((n, 0), dtype=np.float32), np.zeros(0, dtype=np.float32)
        sets = [set(t) for t in tokens]
        present = np.array([[q in s for q in query] for s in sets], dtype=np.float32).reshape(n, len(query))
        df = present.sum(axis=0)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        return present, idf

    def _with_context(self, picked: list[_Candidate], indexes: Sequence[DocumentIndex]) -> list[_Candidate]:
        """Adds the previous sentence (same paragraph) of chosen sentences that lean on it."""
        out = list(picked)
        have = {(c.doc, c.sentence.index) for c in picked}
        for c in picked:
            if len(out) >= self.max_sentences:
                break
            if c.sentence.index == 0 or not _LEANS_ON_PREVIOUS.search(c.sentence.text):
                continue
            prev = indexes[c.doc].sentences[c.sentence.index - 1]
            if prev.paragraph != c.sentence.paragraph or (c.doc, prev.index) in have:
                continue
            out.append(_Candidate(c.doc, prev, -1))
            have.add((c.doc, prev.index))
        return out

    @staticmethod
    def _order(picked: Sequence[_Candidate]) -> list[_Candidate]:
        doc_rank: dict[int, int] = {}
        for c in picked:  # picked is in relevance order: the best document first
            doc_rank.setdefault(c.doc, len(doc_rank))
        return sorted(picked, key=lambda c: (doc_rank[c.doc], c.sentence.start))

    def _compose(self, picked: Sequence[_Candidate], documents: Sequence[Document], score: float) -> Answer:
        citations: list[Citation] = []
        parts: list[str] = []
        for n, c in enumerate(self._order(picked), start=1):
            doc = documents[c.doc]
            start, end = c.sentence.start, c.sentence.end
            citations.append(Citation(doc.id, start, end, doc.text[start:end]))
            parts.append(f"{c.sentence.text} [{n}]")
        return Answer(True, " ".join(parts), tuple(citations), score)

    def _read(self, question: str, top: Sequence[_Candidate]) -> list[Reading] | None:
        """The reader's readings of ``top``, in order; None when the reader fails (the rule gate
        then decides)."""
        assert self._reader is not None
        try:
            return list(self._reader.read(question, [c.sentence.text for c in top]))
        except Exception:  # a broken optional model must not break answering: the rules carry on
            log.exception("answer reader failed; using the rule gate")
            return None

    def _decide(self, evidence: Evidence) -> tuple[np.ndarray, float]:
        """Per candidate, the probability that it answers, and the threshold to answer at: the
        decider's when there is one, else the reader's own."""
        assert self._reader is not None
        decider = self.decider
        if decider is None:
            return np.asarray(evidence.reader, dtype=np.float32), self._reader.threshold
        return decider.probabilities(features(evidence)), decider.threshold

    def _reader_answer(self, question: str, read: Sequence[tuple[_Candidate, Reading]],
                       indexes: Sequence[DocumentIndex], documents: Sequence[Document],
                       vectors: np.ndarray, threshold: float) -> Answer:
        """The best-read sentence (with its short answer), and others read almost as good; or the
        refusal when even the best is under ``threshold``."""
        best, reading = read[0]
        if reading.score < threshold:
            log.debug("refusing %r: reader %.3f < %.3f", question, reading.score, threshold)
            if not self.closest or reading.score < threshold / 2:
                return Answer(False, REFUSAL, score=reading.score)
            near = self._compose([best], documents, reading.score)
            return Answer(False, REFUSAL, near.citations, reading.score)
        chosen = [best]
        for c, r in read[1:]:
            if len(chosen) >= self.max_sentences or r.score < max(threshold, self.follow_ratio * reading.score):
                break
            if max(float(vectors[c.position] @ vectors[o.position]) for o in chosen) < self.redundancy:
                chosen.append(c)
        picked = self._with_context(chosen, indexes) if self.context else chosen
        answer = self._compose(picked, documents, reading.score)
        if reading.span is None:
            return answer
        doc = documents[best.doc]
        start, end = best.sentence.start + reading.span[0], best.sentence.start + reading.span[1]
        short = Citation(doc.id, start, end, doc.text[start:end])
        return Answer(True, answer.text, answer.citations, answer.score, short)


__all__ = [
    "DEFAULT_MIN_SCORE", "REFUSAL", "Answerer", "DocumentIndex", "ExpandedQuestion", "expand_question",
    "question_type", "tokenize",
]


def _expand(question: str, history: Sequence[tuple[str, str]]) -> ExpandedQuestion:
    """The question, bounded, with a follow-up's pronouns resolved from the last turn."""
    return expand_question(question[:MAX_QUESTION_CHARS], [(q[:MAX_QUESTION_CHARS], a[:MAX_QUESTION_CHARS * 4])
                                                           for q, a in history[-1:]])
