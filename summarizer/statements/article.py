"""One article, indexed for the statement rules: its sentences, the actors' mentions, its quote
pairs and its cue words, with the bounded lookups the rules share (everything is found by bisection
or inside a fixed window, so the work stays linear in the text)."""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.sentences import MAX_QUOTE, quote_pairs
from summarizer.statements.cues import LEMMA, LETTERS, TO, Cue
from summarizer.types import Actor, Sentence

log = logging.getLogger(__name__)

WORD_END = re.compile(r"[\w'’-]+$")
THAT = re.compile(r"\bthat\b", re.IGNORECASE)
WORD = re.compile(r"[\w'’-]+")
NEXT_WORD = re.compile(r"\s*([\w'’-]+)")
TRAIL = " \t\r\n.,;:!?…"
QUOTE_MARKS = '"“”«»„'
_DOUBLED = re.compile(r"(?<![`'])(?:''|``)(?![`'])")
_OPENS_AFTER = " \t\r\n([{—–-/\u00a0"
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Gov|Sen|Rep|Lt|Gen|Col|Capt|Sgt|Prof|Rev|St|Jr|Sr|Adm|Maj|Sec|Atty|Amb|"
                           r"Hon|Pres|Supt|Insp|Cmdr)\.|\b(?:[A-Z]\.){1,3}")
_TITLES_ONLY = re.compile(r"\s*(?:[A-Z][\w.'’-]*\s+)*")


def with_double_quotes(text: str) -> str:
    """``text`` with quotations marked by two apostrophes (``''It is,'' he said``, wire and archive
    style) or by backticks (````It is''``) rewritten as straight double quotes, keeping the length:
    an opening pair becomes ``" `` and a closing pair `` "``, so the quoted words keep their offsets
    and a quote cut from the original text at a rewritten span holds both of its marks."""
    if "''" not in text and "``" not in text:
        return text
    return _DOUBLED.sub(_one_quote, text)


def _one_quote(m: re.Match[str]) -> str:
    text, at = m.string, m.start()
    opening = m.group() == "``" or at == 0 or text[at - 1] in _OPENS_AFTER
    return '" ' if opening else ' "'


def without_abbreviations(text: str) -> str:
    """``text`` with the periods of titles and initials blanked ('Gov. Kasich', 'U.S.'), for the
    checks that a stretch of text holds no sentence stop."""
    return _ABBREVIATION.sub(lambda m: m.group().replace(".", " "), text) if "." in text else text


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    name: str
    type: str


class Article:

    def __init__(self, text: str, sentences: Sequence[Sentence], actors: Sequence[Actor]) -> None:
        self.original = text  # statements are cut from this
        self.text = with_double_quotes(text)  # the rules read this: same length, '' and `` as "
        self.sentences = [s for s in sentences if 0 <= s.start < s.end <= len(text) and text[s.start : s.end] == s.text]
        if len(self.sentences) != len(sentences):
            log.warning("%d sentences do not match the text and are ignored", len(sentences) - len(self.sentences))
        self.sentences.sort(key=lambda s: s.start)
        self.sent_starts = [s.start for s in self.sentences]
        self.mentions = self._index_mentions(actors)
        self.mention_starts = [m.start for m in self.mentions]
        self.mention_by_end = {m.end: m for m in self.mentions}
        self.quotes = self._quotes()
        self.quote_opens = [o for o, _ in self.quotes]
        self.cues = self._cues()
        self.cue_starts = [c.start for c in self.cues]
        self.cue_by_end = {c.end: c for c in self.cues}
        self._headings: dict[int, bool] = {}

    def _index_mentions(self, actors: Sequence[Actor]) -> list[Mention]:
        found: list[Mention] = []
        for actor in actors:
            for m in actor.mentions:
                if 0 <= m.start < m.end <= len(self.text) and self.original[m.start : m.end] == m.text:
                    found.append(Mention(m.start, m.end, actor.name, actor.type))
                else:
                    log.debug("mention %r of %s does not match the text; ignored", m.text, actor.name)
        found.sort(key=lambda m: (m.start, m.start - m.end))
        kept: list[Mention] = []
        for m in found:  # overlapping mentions: the earliest, then the longest, wins
            if kept and m.start < kept[-1].end:
                continue
            kept.append(m)
        return kept

    def _quotes(self) -> list[tuple[int, int]]:
        """Quote pairs inside paragraphs (runs of sentences with the same paragraph number)."""
        pairs: list[tuple[int, int]] = []
        i = 0
        n = len(self.sentences)
        while i < n:
            j = i
            while j + 1 < n and self.sentences[j + 1].paragraph == self.sentences[i].paragraph:
                j += 1
            pairs.extend(quote_pairs(self.text, self.sentences[i].start, self.sentences[j].end, MAX_QUOTE))
            i = j + 1
        return pairs

    def _cues(self) -> list[Cue]:
        cues = []
        t = self.text
        for m in LETTERS.finditer(t):
            word = m.group().lower()
            lemma = LEMMA.get(word)
            if lemma is not None:
                if self._in_name(m.start(), m.group()):
                    continue
                cues.append(Cue(m.start(), m.end(), lemma, m.group()))
            elif word == "according":
                to = TO.match(t, m.end())
                if to is not None:
                    cues.append(Cue(m.start(), to.end(), "according to", t[m.start() : to.end()]))
        return cues

    def _in_name(self, pos: int, word: str) -> bool:
        """A cue word that is part of a name: inside a mention ("Islamic State"), or capitalised
        in mid-sentence ("Secretary of State")."""
        i = bisect_right(self.mention_starts, pos) - 1
        if i >= 0 and pos < self.mentions[i].end:
            return True
        if not word[0].isupper():
            return False
        si = self.sentence_at(pos)
        if si is None or self.sentences[si].start == pos:
            return False
        p = self.skip_space_back(pos, self.sentences[si].start)
        return self.text[p - 1] not in '.!?…"“”«»:—–('

    def sentence_at(self, pos: int) -> int | None:
        i = bisect_right(self.sent_starts, pos) - 1
        if i >= 0 and pos < self.sentences[i].end:
            return i
        return None

    def in_quote(self, pos: int) -> tuple[int, int] | None:
        i = bisect_right(self.quote_opens, pos) - 1
        if i >= 0 and self.quotes[i][0] <= pos <= self.quotes[i][1]:
            return self.quotes[i]
        return None

    def mention_ending_at(self, pos: int) -> Mention | None:
        return self.mention_by_end.get(pos)

    def mentions_between(self, start: int, end: int) -> list[Mention]:
        return self.mentions[bisect_left(self.mention_starts, start) : bisect_left(self.mention_starts, end)]

    def word_before(self, pos: int, floor: int) -> tuple[int, str] | None:
        m = WORD_END.search(self.text, max(floor, pos - 40), pos)
        return (m.start(), m.group()) if m else None

    def skip_space_back(self, pos: int, floor: int) -> int:
        while pos > floor and self.text[pos - 1].isspace():
            pos -= 1
        return pos

    def skip_space(self, pos: int, limit: int) -> int:
        while pos < limit and self.text[pos].isspace():
            pos += 1
        return pos

    def possessive_after(self, m: Mention) -> bool:
        t = self.text
        return t.startswith(("'s", "’s"), m.end) or (t[m.end - 1 : m.end] == "s" and t[m.end : m.end + 1] in ("'", "’"))

    def is_heading(self, s: Sentence) -> bool:
        cached = self._headings.get(s.start)
        if cached is None:
            cached = self._headings[s.start] = self._is_heading(s)
        return cached

    def _is_heading(self, s: Sentence) -> bool:
        body = s.text.rstrip("\"'”’»)]} ")
        if not body or body[-1] not in ".!?…":
            return True
        words = [w for w in WORD.findall(s.text) if len(w) >= 4 and w[0].isalpha()]
        return len(words) >= 6 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)

    def only_titles(self, start: int, end: int) -> bool:
        """Only capitalised words (titles, names) between ``start`` and ``end``."""
        return end - start <= 200 and _TITLES_ONLY.fullmatch(self.text, start, end) is not None

    def cues_in(self, start: int, end: int) -> list[Cue]:
        return self.cues[bisect_left(self.cue_starts, start) : bisect_left(self.cue_starts, end)]
