"""Checks a model's text against the numbered sentences it was given.

The text is cut into sentences, each ending with the ``[n]`` markers it relies on. A sentence is
kept only when:

- it cites at least one ``[n]``, and every ``[n]`` is a sentence it was shown;
- every quoted span (straight or curly quotes) is in one of the cited sentences, word for word;
- every number and every name (a capitalised word) is in one of the cited sentences, in simple
  forms: "1,200" is "1200", "U.S." is "US", "Iran's" is "Iran".

Anything else is dropped with its reason ("llm sentence 2 dropped: '14' not in [3]"). Linear in
the text and the cited sentences; every pattern is bounded, so hostile output costs no more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.grounding.sources import SourceSentence
from summarizer.sentences import OPENERS, split_sentences

MAX_OUTPUT_CHARS = 20_000  # a model's answer or briefing; more is cut before checking
MAX_CITATIONS = 20  # per sentence
# starts at "[" (a leading \s* would rescan a long run of spaces from each of its positions)
_MARKERS = re.compile(r"\[\s*+\d{1,6}\s*+\](?:\s*+\[\s*+\d{1,6}\s*+\])*+")
_MARKER = re.compile(r"\[\s*(\d{1,6})\s*\]")
# straight and curly, double and single (a single quote inside or after a word is an apostrophe)
_QUOTED = re.compile(r"\"([^\"\n]{1,1000})\"|“([^”\n]{1,1000})”|(?<!\w)‘([^’\n]{1,1000})’(?!\w)"
                     r"|(?<!\w)'([^'\n]{1,1000})'(?!\w)")
_NUMBER = re.compile(r"\d[\d,.]{0,30}")
_WORD = re.compile(r"[^\W\d_][\w'’.-]{0,80}")
_POSSESSIVE = re.compile(r"['’]s?$")
# capitalised words that open sentences (the splitter's openers and a few more) need not be names
_COMMON = OPENERS | frozenset("""
according separately earlier elsewhere overall instead other others several no not new more less about over under
""".split())


@dataclass(frozen=True, slots=True)
class Verdict:
    index: int  # the sentence's place in the text, from 1
    text: str  # the sentence without its markers
    citations: tuple[int, ...]
    problem: str | None = None  # None: kept

    @property
    def kept(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class Grounded:
    verdicts: tuple[Verdict, ...]

    @property
    def kept(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.kept)

    @property
    def dropped(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.kept)

    @property
    def lead_kept(self) -> bool:
        """Whether the first sentence survived (a briefing without its lead is not shown)."""
        return bool(self.verdicts) and self.verdicts[0].kept

    def reasons(self) -> list[str]:
        return [f"llm sentence {v.index} dropped: {v.problem}" for v in self.dropped]


def _split(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """(sentence, its markers) in order; a sentence without markers gets none."""
    out: list[tuple[str, tuple[int, ...]]] = []
    pos = 0
    for m in _MARKERS.finditer(text):
        numbers = tuple(int(n) for n in _MARKER.findall(m.group()))
        body = text[pos : m.start()]
        end = m.end()
        while end < len(text) and text[end] in ".!?;:":  # "... [1]." and "... [1]"
            end += 1
        pos = end
        _add(out, body, numbers)
    _add(out, text[pos:], ())
    return out


def _add(out: list[tuple[str, tuple[int, ...]]], body: str, numbers: tuple[int, ...]) -> None:
    parts = [s.text for s in split_sentences(body)] if body.strip() else []
    for i, part in enumerate(parts):  # only the last sentence before the markers carries them
        out.append((part, numbers if i == len(parts) - 1 else ()))


def _norm_number(token: str) -> str:
    token = token.rstrip(".,")
    return token.replace(",", "")


def _norm_word(token: str) -> str:
    return _POSSESSIVE.sub("", token.rstrip(".,-")).replace(".", "")


def _vocabulary(cited: Sequence[str]) -> tuple[set[str], set[str]]:
    numbers: set[str] = set()
    words: set[str] = set()
    for text in cited:
        numbers.update(_norm_number(t) for t in _NUMBER.findall(text))
        for t in _WORD.findall(text):
            word = _norm_word(t)
            words.add(word)
            words.update(p for p in word.split("-") if p)
    return numbers, words


def _squash(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


def _problem(sentence: str, citations: tuple[int, ...], sources: Sequence[SourceSentence]) -> str | None:
    if not citations:
        return "no [n] citation"
    past = [n for n in citations if not 1 <= n <= len(sources)]
    if past:
        return f"cites [{past[0]}], past the {len(sources)} sources"
    cited = [sources[n - 1].text for n in dict.fromkeys(citations)]
    where = "".join(f"[{n}]" for n in dict.fromkeys(citations))
    squashed = [_squash(t) for t in cited]
    for m in _QUOTED.finditer(sentence):
        quote = _squash(next(g for g in m.groups() if g is not None)).strip(" ,.")
        if quote and not any(quote in t for t in squashed):
            return f"quote '{quote[:80]}' not word for word in {where}"
    numbers, words = _vocabulary(cited)
    for t in _NUMBER.findall(sentence):
        number = _norm_number(t)
        if number and number not in numbers:
            return f"'{number[:30]}' not in {where}"
    first = True
    for m in _WORD.finditer(sentence):
        token = m.group()
        opening, first = first, False
        if not token[0].isupper():
            continue
        word = _norm_word(token)
        if not word or word.casefold() in _COMMON:
            continue
        parts = [p for p in word.split("-") if p and p[0].isupper()]
        if word in words or all(p in words for p in parts):
            continue
        if opening and word.casefold() in {w.casefold() for w in words}:
            continue  # a word that only opens the sentence, written in the sources in lower case
        return f"'{word[:40]}' not in {where}"
    return None


def check(text: str, sources: Sequence[SourceSentence]) -> Grounded:
    """Each sentence of ``text`` with its verdict against ``sources`` (``[n]`` is ``sources[n-1]``)."""
    verdicts = []
    for i, (sentence, citations) in enumerate(_split(text[:MAX_OUTPUT_CHARS]), start=1):
        citations = citations[:MAX_CITATIONS]
        verdicts.append(Verdict(i, sentence, citations, _problem(sentence, citations, sources)))
    return Grounded(tuple(verdicts))
