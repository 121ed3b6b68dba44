"""Direct quotes: a double-quoted passage (``"``, ``“ ”``, ``« »``, ``„ “``) that stands on its own (it
opens a sentence or follows ``:``, ``,``, a dash or a speech verb) with an attribution right after it
(``"...," Khamenei said`` / ``said Khamenei`` / ``he told reporters``) or right before it
(``Khamenei said: "..."``, ``he said, "..."``). A quote split by its attribution gives two direct
statements by the same speaker. The text is the quoted content without the quote marks, with
surrounding spaces and trailing ``, ; :`` and dashes left out by moving the span (``. ! ?`` stay).
``speaker`` is None only for a quote with a speech verb whose subject is no known actor
(``"...," a spokesman said``)."""

from __future__ import annotations

from bisect import bisect_right

from summarizer.statements.article import QUOTE_MARKS, Article, without_abbreviations
from summarizer.statements.cues import NAMING, PARTICIPLE
from summarizer.statements.speakers import NOBODY, Speaker, Speakers
from summarizer.types import Sentence, Span, Statement

_CONTENT_TRAIL = " \t\r\n,;:—–-"
_APPOSITIVE_GAP = 24  # words between a quote and its cue when an appositive sits there ('X, a ..., said')
_MAX_TAIL = 250  # characters after an attribution ('..., Trump told supporters in Syracuse, while ...')
_BARE_END = " \t\r\n.!?…"



class DirectQuotes:

    def __init__(self, article: Article, speakers: Speakers) -> None:
        self.a = article
        self.sp = speakers
        self.direct_spans: list[tuple[int, int]] = []  # quote regions (marks included) taken by direct statements

    def direct(self) -> list[Statement]:
        out: list[Statement] = []
        for o, c in self.a.quotes:
            st = self._direct_one(o, c)
            if st is not None:
                out.append(st)
                self.direct_spans.append((o, c + 1))
                self.sp.note(st)
        return out

    def continuations(self, covered: list[tuple[int, int]]) -> list[Statement]:
        """Quotes that carry on a speaker's turn: a sentence that is only a quotation, right after
        a sentence that ends with someone's attributed statement ('"A," Carter said. "B."'), in the
        same paragraph or opening the next one. Run after the other passes, so that reported
        speech ('Carter said the port would reopen. "We are ready."') hands on its speaker too.
        ``covered``: sorted spans already taken by statements; the quotes carried on are added to
        ``direct_spans``."""
        out: list[Statement] = []
        regions: list[tuple[int, int]] = []
        starts = [a for a, _ in covered]
        for o, c in self.a.quotes:
            i = bisect_right(starts, o) - 1
            if i >= 0 and covered[i][1] > o:
                continue
            si, sj = self.a.sentence_at(o), self.a.sentence_at(c)
            content = self._content(o, c)
            if si is None or sj is None or si == 0 or content is None:
                continue
            s, last, before = self.a.sentences[si], self.a.sentences[sj], self.a.sentences[si - 1]
            if self.a.text[s.start : o].strip() or self.a.text[c + 1 : last.end].strip(_BARE_END):
                continue  # not a sentence of its own
            if s.paragraph - before.paragraph > 1 or self.a.is_heading(before):
                continue
            turn = self.sp.speakers.get(before.start)
            if not turn:
                continue
            end, speaker = turn[-1]
            tail = self.a.text[end : before.end].lstrip(QUOTE_MARKS + ".,!?…")
            if len(tail) > _MAX_TAIL or any(ch in tail for ch in QUOTE_MARKS) or self.a.cues_in(end, before.end)[1:]:
                continue  # the previous sentence goes on after its attribution, maybe with another speaker
            a, b = content
            st = Statement(speaker.name, speaker.span, None, self.a.original[a:b], Span(a, b), "direct", speaker.role)
            out.append(st)
            self.sp.note(st)
            regions.append((o, c + 1))  # later quotes start after it: ``covered`` needs no update
        if regions:
            self.direct_spans[:] = sorted(self.direct_spans + regions)
        return out

    def _content(self, o: int, c: int) -> tuple[int, int] | None:
        a, b = o + 1, c
        while a < b and self.a.text[a].isspace():
            a += 1
        while b > a and self.a.text[b - 1] in _CONTENT_TRAIL:
            b -= 1
        return (a, b) if b > a else None

    def _stands_alone(self, o: int, floor: int) -> str | None:
        """How the quote is introduced: 'start' (it opens the sentence or follows a dash or bracket),
        'punct' (after ':' or ','), 'cue' (right after a speech verb); None: inside a clause."""
        p = self.a.skip_space_back(o, floor)
        if p <= floor:
            return "start"
        ch = self.a.text[p - 1]
        if ch in "—–-([":
            return "start"
        if ch in ":,":
            return "punct"
        cue = self.a.cue_by_end.get(p)  # a cue word, not one inside a name ('Secretary of State "..."')
        if cue is not None and cue.lemma not in NAMING and cue.lemma != "according to":
            return "cue"
        return None

    def _direct_one(self, o: int, c: int) -> Statement | None:
        si, sj = self.a.sentence_at(o), self.a.sentence_at(c)
        content = self._content(o, c)
        if si is None or sj is None or content is None:
            return None
        s_open, s_close = self.a.sentences[si], self.a.sentences[sj]
        how = self._stands_alone(o, s_open.start)
        if how is None:
            return None
        found = self._attribution_after(c + 1, s_close.end) if how == "start" else None
        if found is None:
            found = self._attribution_before(o, s_open, how)
        if found is None and how != "start":
            found = self._attribution_after(c + 1, s_close.end)
        if found is None:
            return None
        speaker, cue = found
        a, b = content
        if speaker.name is None and speaker.role is None and len(self.a.text[a:b].split()) < 3:
            return None  # a short fragment with a verb but no speaker: not certain enough
        return Statement(speaker.name, speaker.span, cue, self.a.original[a:b], Span(a, b), "direct", speaker.role)

    def _attribution_after(self, p: int, limit: int) -> tuple[Speaker, str | None] | None:
        """'"...," Khamenei said' / '"...," said Khamenei' / '"...," he told reporters'."""
        t = self.a.text
        p = self.a.skip_space(p, limit)
        if p < limit and t[p] in ",—–":
            p = self.a.skip_space(p + 1, limit)
        window_end = min(limit, p + 120)
        for cue in self.a.cues_in(p, window_end):
            if cue.lemma == "according to" and cue.start == p:  # '"...," according to Khamenei.'
                return (self.sp.subject_after(cue.end, limit) or NOBODY), cue.text
            if cue.lemma in NAMING or cue.lemma == "according to" or cue.text.lower().endswith("ing"):
                return None
            gap = t[p : cue.start]
            if any(ch in without_abbreviations(gap) for ch in '.;:!?"“”«»') \
                    or len(gap.split()) > (_APPOSITIVE_GAP if "," in gap else 8):
                return None
            speaker = self.sp.subject_before(cue.start, p - 1, cue.lemma) if gap.strip() else None
            if speaker is None and not gap.strip():
                speaker = self.sp.subject_after(cue.end, limit)
            return (speaker or NOBODY), cue.text
        return None

    def _attribution_before(self, o: int, s: Sentence, how: str) -> tuple[Speaker, str | None] | None:
        """'Khamenei said: "..."' / 'he said, "..."' / 'Khamenei told state TV: "..."' / 'Khamenei: "..."'."""
        t = self.a.text
        floor = s.start
        lo = max(floor, o - 120)
        cues = self.a.cues_in(lo, o)
        if how == "punct":
            p = self.a.skip_space_back(o, floor) - 1  # the ':' or ','
            if not cues:
                m = self.a.mention_ending_at(self.a.skip_space_back(p, floor))
                if t[p] == ":" and m is not None and self.a.only_titles(floor, m.start) and not self.a.possessive_after(m):
                    return Speaker(m.name, Span(m.start, m.end)), None
                return None
            cue = cues[-1]
            tail = t[cue.end : p]
            if any(ch in tail for ch in '.;!?"“”«»') or len(tail.split()) > 4:
                return None
        elif how == "cue":
            cue = self.a.cue_by_end[self.a.skip_space_back(o, floor)]  # _stands_alone found it there
            tail = ""
        else:
            return None
        if cue.lemma in NAMING or cue.lemma == "according to":
            return None
        if cue.text.lower().endswith("ing"):  # '..., adding: "..."'
            q = self.a.skip_space_back(cue.start, floor)
            if cue.lemma not in PARTICIPLE or tail.strip() or q <= floor or t[q - 1] != ",":
                return None
            speaker = self.sp.continuing(cue, s)
            return (speaker or NOBODY), cue.text
        speaker = self.sp.subject_before(cue.start, floor, cue.lemma)
        if speaker is None and tail.strip():
            speaker = self.sp.subject_after(cue.end, p)
        return (speaker or NOBODY), cue.text
