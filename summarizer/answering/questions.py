"""Questions and sentences as the answerer sees them: tokens (stop words out, irregular verbs
lemmatised, Snowball stems), the kind of answer a question expects, the names in a text, the
clause-like parts of a long sentence, and follow-up questions whose pronoun points at the previous
turn (``expand_question``)."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import snowballstemmer

from summarizer.types import Sentence

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


def has_type(text: str, kind: AnswerType) -> bool:
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


def names_in(text: str) -> list[str]:
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


def sentence_tokens(sentences: Sequence[Sentence]) -> tuple[tuple[str, ...], ...]:
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
        names = names_in(sentence.text)
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
    asked = names_in(previous_question)
    answered = [n for n in names_in(re.sub(r"\[\d+\]", " ", previous_answer)) if n not in asked][:2]
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


__all__ = [
    "AnswerType", "ExpandedQuestion", "clauses", "expand_question", "has_type", "names_in", "question_type",
    "sentence_tokens", "tokenize",
]
