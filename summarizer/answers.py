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

Optional extractive QA: ``qa_model`` (a hub id or a local path of a ``*ForQuestionAnswering``
model) picks the answer span inside the top sentences; the answer text is then that span, cited to
its sentence.

Speed: sentence splits, tokens and embeddings are cached per document id (``cache``, or an internal
LRU of ``cache_size`` documents), identical sentences are encoded once, and a question costs one
short encode plus a BM25 index of the candidate sentences.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import bm25s
import numpy as np
import snowballstemmer

from summarizer.answering.reader import MiniLMReader, Reader, Reading, TransformersReader
from summarizer.sentences import split_sentences
from summarizer.textclean import scrub
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

AnswerType = Literal["number", "time", "name"]

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off
on once only or other our ours out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where
which while who whom whose why will with would you your yours yourself yourselves according much many
""".split())
# irregular verb forms that questions and reports often use in different tenses
_LEMMAS = {
    "said": "say", "says": "say", "saying": "say", "told": "tell", "tells": "tell", "telling": "tell",
    "spoke": "speak", "spoken": "speak", "met": "meet", "won": "win", "lost": "lose", "made": "make",
    "took": "take", "taken": "take", "gave": "give", "given": "give", "rose": "rise", "risen": "rise",
    "fell": "fall", "fallen": "fall", "went": "go", "gone": "go", "came": "come", "saw": "see", "seen": "see",
    "left": "leave", "began": "begin", "begun": "begin", "sold": "sell", "bought": "buy", "paid": "pay",
    "held": "hold", "kept": "keep", "sent": "send", "led": "lead", "hit": "hit", "struck": "strike",
    "sank": "sink", "sunk": "sink", "killed": "kill", "died": "die", "dead": "die", "deaths": "die",
    "death": "die", "fled": "flee", "chose": "choose", "chosen": "choose", "wrote": "write", "written": "write",
    "thought": "think", "brought": "bring", "found": "find", "grew": "grow", "grown": "grow",
}

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                 r"fifty|hundreds?|thousands?|millions?|billions?|dozens?|half|several|score")
_HAS_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_HAS_TIME = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|today|tonight|"
    r"yesterday|tomorrow|morning|afternoon|evening|overnight|midnight|noon|dawn|week|weekend|month|year|"
    r"(?:19|20)\d\d|\d{1,2}:\d\d|\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)|ago|earlier|later|since|until)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+")
_QUESTION_TYPES: tuple[tuple[re.Pattern[str], AnswerType], ...] = (
    (re.compile(r"\bhow (?:many|much|long|far|old|big|large)\b|\bwhat (?:number|percentage|share|amount)\b|"
                r"\bwhat (?:was|is) the (?:death )?(?:toll|number|figure|price|cost|rate)\b", re.I), "number"),
    (re.compile(r"\bwhen\b|\bwhat (?:time|day|date|year|month)\b|\bwhich (?:day|date|year|month)\b", re.I), "time"),
    (re.compile(r"^\s*(?:who|whom|whose)\b|\bwho (?:said|says|told|announced|warned|is|was)\b", re.I), "name"),
)

_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its)\b", re.IGNORECASE)
_POSSESSIVE_PRONOUNS = frozenset({"his", "hers", "their", "theirs", "its"})
_PLURAL_PRONOUNS = frozenset({"they", "them", "their", "theirs"})
# possessive and unambiguous: with "\s+(?:of|...)?\s*" a name followed by a long run of spaces
# was retried once per way of splitting the run between the two \s (quadratic in the run)
_NAME_RUN = re.compile(r"\b[A-Z][\w'’.-]*+(?:\s++(?:(?:of|the|de|al|bin|van|von|der|da|la)\s*+)?[A-Z][\w'’.-]*+)*")
_NOT_NAMES = frozenset("""
what who whom whose when where why how which did does do is are was were will would can could should has have had
the a an and or but i in on at to of for from by with about after before tell say says said give list explain
describe summarize summarise please yes no ok okay also then so if it its this that these those there he she they
him her his their them
""".split())
_LEANS_ON_PREVIOUS = re.compile(
    r"^(?:he|she|they|it|this|that|but|however|his|her|their|the (?:minister|president|spokesman|spokeswoman|"
    r"official|company|agency|leader|bank|group))\b"
    r"|[\"”’]\s*,?\s*(?:he|she|they) (?:said|added|told|warned|wrote|insisted|noted)\b",
    re.IGNORECASE,
)


_SNOWBALL = snowballstemmer.stemmer("english")
_SNOWBALL_LOCK = threading.Lock()  # the stemmer object keeps per-call state


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    with _SNOWBALL_LOCK:
        return _SNOWBALL.stemWord(_LEMMAS.get(word, word))


def tokenize(text: str) -> list[str]:
    """Lower-cased, Snowball-stemmed word tokens without stop words (for BM25 and coverage)."""
    out = []
    for m in _WORD.finditer(text):
        word = m.group().casefold()
        if word in _STOPWORDS:
            continue
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        out.append(_stem(word))
    return out


def question_type(question: str) -> AnswerType | None:
    """What kind of answer the question expects, if it says."""
    for pattern, kind in _QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return None


def _has_type(text: str, kind: AnswerType) -> bool:
    if kind == "number":
        return bool(_HAS_NUMBER.search(text))
    if kind == "time":
        return bool(_HAS_TIME.search(text))
    return any(m.start() > 0 for m in _CAPITALISED.finditer(text))  # a capital not just opening the sentence




def _opens_sentence(text: str, pos: int) -> bool:
    """Whether ``text[pos]`` begins a sentence: the text start, a line start, or whitespace after
    ``. ! ? : ;``, or an opening quote or bracket. Looks back over the whitespace only (a search of
    everything before ``pos`` for each name made long sentences quadratic)."""
    j = pos
    while j > 0 and text[j - 1].isspace():
        j -= 1
    if j == 0:
        return pos == 0 or "\n" in text[:pos]
    before = text[j - 1]
    return "\n" in text[j:pos] or (before in ".!?:;" and j < pos) or before in "\"“‘("


def _names(text: str) -> list[str]:
    """Capitalised word runs that look like names (question words and the like removed). A lone
    capitalised word opening a sentence ("Transport minister ...") may be an ordinary word: such
    runs come after the others."""
    sure: list[str] = []
    unsure: list[str] = []
    for m in _NAME_RUN.finditer(text):
        run = m.group().rstrip(".").split()
        dropped, end = 0, len(run)  # indices, not slices: a run of a thousand "Said" stays linear
        while dropped < end and run[dropped].casefold() in _NOT_NAMES:
            dropped += 1
        while end > dropped and run[end - 1].casefold() in _NOT_NAMES:
            end -= 1
        words = run[dropped:end]
        if not words:
            continue
        opening = dropped == 0 and _opens_sentence(text, m.start())
        (unsure if opening and len(words) == 1 else sure).append(" ".join(words))
    return list(dict.fromkeys(sure + unsure))


_SUBJECT_PRONOUN = re.compile(r"\b(?:he|she|they|his|her|their|him|them)\b", re.IGNORECASE)


_CLAUSE_BREAK = re.compile(r",\s+|;\s+|\s+[–—-]\s+|\s+(?=(?:after|before|while|because|but|and|as|when|although|"
                           r"though|since|until|which|who)\s)")


def clauses(sentence: str, *, min_words: int = 4, long_sentence: int = 12) -> list[str]:
    """The clause-like parts of a long sentence (a question often matches one part of it: "When
    did the strike end?" and "workers ended a strike on Friday, after ..."). Short sentences and
    parts of fewer than ``min_words`` words give nothing; a too-short part joins the next one."""
    if len(sentence.split()) < long_sentence:
        return []
    out: list[str] = []
    pending = ""
    last = 0
    for m in _CLAUSE_BREAK.finditer(sentence):
        piece = (pending + " " + sentence[last : m.start()]).strip() if pending else sentence[last : m.start()].strip()
        last = m.end()
        if len(piece.split()) < min_words:
            pending = piece
            continue
        out.append(piece)
        pending = ""
    tail = (pending + " " + sentence[last:]).strip() if pending else sentence[last:].strip()
    if tail:
        if len(tail.split()) < min_words and out:
            out[-1] = out[-1] + " " + tail
        else:
            out.append(tail)
    return out if len(out) > 1 else []


def _best_clause(entry: DocumentIndex, qvec: np.ndarray) -> dict[int, float]:
    """For each sentence of ``entry`` that has clauses: the best cosine of a clause with the query."""
    if not len(entry.clause_owner):
        return {}
    sims = entry.clause_vectors @ qvec
    best: dict[int, float] = {}
    for owner, sim in zip(entry.clause_owner.tolist(), sims.tolist(), strict=True):
        if sim > best.get(owner, -1.0):
            best[owner] = sim
    return best


def _sentence_tokens(sentences: Sequence[Sentence]) -> tuple[tuple[str, ...], ...]:
    """Each sentence's tokens; a sentence with a personal pronoun also gets the name tokens of the
    latest earlier sentence of its paragraph that names someone (a crude coreference, for
    retrieval only: "He told the students ..." is then found by a question about Khamenei)."""
    out: list[tuple[str, ...]] = []
    last_names: list[str] = []
    paragraph = -1
    for sentence in sentences:
        if sentence.paragraph != paragraph:
            paragraph, last_names = sentence.paragraph, []
        tokens = tokenize(sentence.text)
        if _SUBJECT_PRONOUN.search(sentence.text) and last_names:
            tokens += [t for t in last_names if t not in tokens]
        names = _names(sentence.text)
        if names:
            last_names = tokenize(" ".join(names))
        out.append(tuple(tokens))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ExpandedQuestion:
    question: str
    dense: str  # what gets embedded (a pronoun replaced by the names from the history)
    lexical: str  # what BM25 sees (the question plus the names)
    entities: tuple[str, ...] = ()  # names brought in from the history


def expand_question(question: str, history: Sequence[tuple[str, str]] = ()) -> ExpandedQuestion:
    """Resolves a follow-up's personal pronoun to the names of the previous turn.

    Only when the question contains he/she/they/it (and their forms) and there is history. The
    names come from the latest previous question, or from its answer when that question named
    nobody or was a "who" question (then the names the answer adds come first). A singular
    pronoun takes the first name only (usually the subject), a plural one all of them; a name
    already in the current question is not added again.
    """
    question = question.strip()
    pronoun = _PRONOUN.search(question)
    if not pronoun or not history:
        return ExpandedQuestion(question, question, question)
    previous_question, previous_answer = history[-1]
    asked = _names(previous_question)
    answered = [n for n in _names(re.sub(r"\[\d+\]", " ", previous_answer)) if n not in asked][:2]
    # after "who ...?" the pronoun means the person the answer named; otherwise the question's subject
    names = (answered or asked) if question_type(previous_question) == "name" else (asked or answered)
    if pronoun.group().casefold() not in _PLURAL_PRONOUNS:
        names = names[:1]  # "he", "it": the first name of the previous turn (usually its subject)
    present = question.casefold()
    names = [n for n in names if n.casefold() not in present]
    if not names:
        return ExpandedQuestion(question, question, question)
    joined = " and ".join(names)
    replacement = f"{joined}'s" if pronoun.group().casefold() in _POSSESSIVE_PRONOUNS else joined
    dense = question[: pronoun.start()] + replacement + question[pronoun.end() :]
    return ExpandedQuestion(question, dense, f"{question} {' '.join(names)}", tuple(names))


@dataclass(frozen=True, slots=True, eq=False)
class DocumentIndex:
    """Per-document sentences, tokens and unit sentence embeddings (what the cache holds)."""

    text_hash: int
    sentences: tuple[Sentence, ...]
    tokens: tuple[tuple[str, ...], ...]
    vectors: np.ndarray  # (len(sentences), dim)
    clause_vectors: np.ndarray  # (n_clauses, dim): parts of long sentences (see clauses())
    clause_owner: np.ndarray  # (n_clauses,): the sentence each clause belongs to


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
                 qa_model: str | Path | None = None, qa_candidates: int = 3,
                 cache: MutableMapping[str, DocumentIndex] | None = None, cache_size: int = 512,
                 reader: Reader | None = None, use_reader: bool | None = None, reader_candidates: int = 8) -> None:
        """``reader``: what decides between answering and refusing, over the top
        ``reader_candidates`` retrieved sentences (``qa_model`` makes it a ``TransformersReader``;
        ``use_reader=True`` without either, the bundled ``MiniLMReader``). Without a reader (the
        default for now: the bundled head is not yet as good as the rules on the hand-written
        articles, see bench/eval_qa.py) the rule gate decides (``min_score`` on the support score)."""
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
        self.qa_candidates = qa_candidates
        self.reader_candidates = max(1, reader_candidates)
        self._reader: Reader | None = None
        if use_reader is None:
            use_reader = reader is not None or qa_model is not None
        if use_reader:
            self._reader = reader or (TransformersReader(qa_model) if qa_model else MiniLMReader(embedder))
        self._own_cache = cache is None
        self._cache: MutableMapping[str, DocumentIndex] = OrderedDict() if cache is None else cache
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def threshold(self) -> float:
        """The score under which the answerer refuses: the reader's, or ``min_score`` without one."""
        return self._reader.threshold if self._reader is not None else self.min_score

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
        """The (cached) sentence index of each document; uncached ones are encoded in one batch."""
        out: list[DocumentIndex | None] = []
        todo: list[tuple[int, Document, list[Sentence]]] = []
        for i, doc in enumerate(documents):
            with self._lock:
                hit = self._cache.get(doc.id)
                if hit is not None and hit.text_hash == hash(doc.text) and self._own_cache:
                    self._cache.move_to_end(doc.id)  # type: ignore[attr-defined]
            if hit is not None and hit.text_hash == hash(doc.text):
                out.append(hit)
            else:
                out.append(None)
                todo.append((i, doc, split_sentences(doc.text[:MAX_DOCUMENT_CHARS])))
        if todo:
            parts = {i: [(k, c) for k, s in enumerate(sentences) for c in clauses(s.text)] for i, _, sentences in todo}
            texts = list(dict.fromkeys([s.text for _, _, sentences in todo for s in sentences]
                                       + [c for i in parts for _, c in parts[i]]))
            vectors = self._embedder.encode(texts) if texts else np.zeros((0, 0), dtype=np.float32)
            row = {t: r for r, t in enumerate(texts)}
            dim = vectors.shape[1] if len(texts) else 0
            for i, doc, sentences in todo:
                matrix = (vectors[[row[s.text] for s in sentences]] if sentences
                          else np.zeros((0, dim), dtype=np.float32))
                clause_matrix = (vectors[[row[c] for _, c in parts[i]]] if parts[i]
                                 else np.zeros((0, dim), dtype=np.float32))
                owner = np.array([k for k, _ in parts[i]], dtype=np.int64)
                entry = DocumentIndex(hash(doc.text), tuple(sentences), _sentence_tokens(sentences), matrix,
                                      clause_matrix, owner)
                out[i] = entry
                with self._lock:
                    self._cache[doc.id] = entry
            if self._own_cache:
                with self._lock:
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)  # type: ignore[call-arg]
        return [entry for entry in out if entry is not None]

    # ------------------------------------------------------------------ answering

    def run(self, question: str, documents: Sequence[Document], history: Sequence[tuple[str, str]] = ()) -> Answer:
        expanded = expand_question(question[:MAX_QUESTION_CHARS], [(q[:MAX_QUESTION_CHARS], a[:MAX_QUESTION_CHARS * 4])
                                                                   for q, a in history[-1:]])
        if not expanded.question or not documents:
            return Answer(False, REFUSAL)
        indexes = self.index(documents)

        qvec = self._embedder.encode([expanded.dense])[0]
        candidates: list[_Candidate] = []
        tokens: list[tuple[str, ...]] = []
        rows: list[np.ndarray] = []
        dense_rows: list[float] = []
        for d, entry in enumerate(indexes):
            best_clause = _best_clause(entry, qvec)
            for s, sentence in enumerate(entry.sentences):
                if len(entry.tokens[s]) < self.min_tokens and len(sentence.text.split()) < self.min_tokens + 2:
                    continue
                candidates.append(_Candidate(d, sentence, len(candidates)))
                tokens.append(entry.tokens[s])
                rows.append(entry.vectors[s])
                dense_rows.append(max(float(entry.vectors[s] @ qvec), best_clause.get(s, 0.0)))
        if not candidates:
            return Answer(False, REFUSAL)

        query_tokens = list(dict.fromkeys(tokenize(expanded.lexical)))
        vectors = np.stack(rows)
        dense = np.clip(np.asarray(dense_rows, dtype=np.float32), 0.0, 1.0)
        bm25 = self._bm25(tokens, query_tokens)
        top_bm25 = float(bm25.max()) if len(bm25) else 0.0
        lexical_rank = bm25 / top_bm25 if top_bm25 > 0 else np.zeros_like(bm25)
        present, idf = self._presence(tokens, query_tokens)
        total_idf = float(idf.sum())
        coverage = present @ idf / total_idf if total_idf > 0 else np.zeros(len(tokens), dtype=np.float32)

        w = self.dense_weight
        rank = w * dense + (1 - w) * lexical_rank
        support = w * dense + (1 - w) * coverage
        kind = question_type(expanded.question)
        if kind is not None:
            fits = np.array([_has_type(c.sentence.text, kind) for c in candidates])
            factor = np.where(fits, 1.0, self.type_penalty)
            rank, support = rank * factor, support * factor

        order = np.argsort(-rank, kind="stable")
        if self._reader is not None:
            read = self._read(expanded.dense, [candidates[int(j)] for j in order[: self.reader_candidates]])
            if read is not None:
                return self._reader_answer(question, read, indexes, documents, vectors)
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

    def _read(self, question: str, top: Sequence[_Candidate]) -> list[tuple[_Candidate, Reading]] | None:
        """The reader's readings of ``top``, best first; None when the reader fails (the rule gate
        then decides)."""
        assert self._reader is not None
        try:
            readings = self._reader.read(question, [c.sentence.text for c in top])
        except Exception:  # a broken optional model must not break answering: the rules carry on
            log.exception("answer reader failed; using the rule gate")
            return None
        ranked = sorted(zip(top, readings, strict=True), key=lambda cr: -cr[1].score)
        return ranked

    def _reader_answer(self, question: str, read: Sequence[tuple[_Candidate, Reading]],
                       indexes: Sequence[DocumentIndex], documents: Sequence[Document],
                       vectors: np.ndarray) -> Answer:
        """The best-read sentence (with its short answer), and others the reader finds almost as
        good; or the refusal when even the best is under the reader's threshold."""
        assert self._reader is not None
        threshold = self._reader.threshold
        best, reading = read[0]
        if reading.score < threshold:
            log.debug("refusing %r: reader %.3f < %.3f", question, reading.score, threshold)
            return Answer(False, REFUSAL, score=reading.score)
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
