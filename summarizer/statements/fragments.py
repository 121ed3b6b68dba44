"""Quoted fragments: a quoted phrase inside a reported clause that no direct or reported statement
holds gives a ``mixed`` statement when a naming or speech cue before it has a known speaker
(``referring to the country as a "cancerous tumor"``, ``called ...``, ``described ... as``). A quoted
fragment without a speaker (scare quotes, titles) gives none."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate

from summarizer.statements.article import NEXT_WORD, THAT, Article
from summarizer.statements.cues import Cue
from summarizer.statements.reported import ReportedSpeech
from summarizer.statements.speakers import Speakers
from summarizer.types import Sentence, Statement

_COORDINATED = re.compile(r"\s*,?\s+(?:and|but|before|then)\s+[a-z]")


class QuotedFragments:

    def __init__(self, article: Article, speakers: Speakers, reported: ReportedSpeech) -> None:
        self.a = article
        self.sp = speakers
        self.rep = reported

    def fragments(self, taken: list[Statement], direct_spans: list[tuple[int, int]]) -> list[Statement]:
        """Mixed statements for quoted fragments that no direct or reported statement holds: a
        naming or speech cue before the fragment in its sentence, with a resolvable speaker."""
        spans = sorted((st.span.start, st.span.end) for st in taken)
        starts = [a for a, _ in spans]
        reach = list(accumulate((b for _, b in spans), max))  # furthest end of the spans so far
        direct = {o for o, _ in direct_spans}
        covered_until = -1
        out: list[Statement] = []
        for o, c in self.a.quotes:
            if o in direct or c < covered_until:
                continue
            i = bisect_right(starts, o) - 1
            if i >= 0 and reach[i] > c:
                continue  # already inside a statement
            si = self.a.sentence_at(o)
            if si is None:
                continue
            s = self.a.sentences[si]
            if self.a.is_heading(s):
                continue
            for cue in reversed(self.a.cues_in(max(s.start, o - 200), o)):
                st = self._fragment_statement(cue, s, o)
                if st is not None and st.span.start <= o and st.span.end > c:
                    out.append(st)
                    covered_until = st.span.end  # later fragments of this clause are inside it
                    break
        return out

    def _fragment_statement(self, cue: Cue, s: Sentence, o: int) -> Statement | None:
        """The clause from ``cue`` that holds the fragment opening at ``o``, if its speaker is known."""
        if cue.lemma == "according to" or self.a.in_quote(cue.start) is not None:
            return None
        cue_end, cue_text = cue.end, cue.text
        if cue.lemma == "refer":
            nw = NEXT_WORD.match(self.a.text, cue.end, o)
            if nw is None or nw.group(1).lower() != "to":
                return None
            cue_end, cue_text = nw.end(1), self.a.text[cue.start : nw.end(1)]
        if cue.text.lower().endswith("ing"):
            p = self.a.skip_space_back(cue.start, s.start)
            if p <= s.start or self.a.text[p - 1] != ",":
                return None
            speaker = self.sp.main_subject(s, cue.start)
        else:
            speaker = self.sp.subject_before(cue.start, s.start, cue.lemma)
        if speaker is None or speaker.name is None:
            return None
        a = self.a.skip_space(cue_end, o)
        m = THAT.match(self.a.text, a, o)
        if m is not None:
            a = self.a.skip_space(m.end(), o)
        if self.a.text[a : a + 1] == ":":
            a = self.a.skip_space(a + 1, o)
        return self.rep.make(speaker, cue_text, (a, self._naming_end(a, s)))

    def _naming_end(self, start: int, s: Sentence) -> int:
        """'called the barrier "a monument to waste" and demanded a vote': the naming clause ends
        with its quoted fragment when a coordinated predicate follows ('and demanded ...')."""
        end = self.rep.clause_end(start, s)
        i = bisect_left(self.a.quote_opens, start)
        if i < len(self.a.quotes) and self.a.quotes[i][1] < end:
            close = self.a.quotes[i][1] + 1
            if _COORDINATED.match(self.a.text, close, end):
                return close
        return end
