"""Speaker resolution: which actor is the subject of a speech cue.

The speaker is the actor whose mention is the subject of the cue: the name just before the verb
(adverbs, auxiliaries and an appositive may sit between), or just after it (``said Khamenei``), or
``he``/``she`` resolved to a recent PERSON, ``it``/``they`` to the only ORG/GPE in reach. A possessive
(``Khamenei's statement suggests``) or an object is never a speaker. The speakers already attributed
in a sentence are remembered, for a following ``..., adding that ...``. A noun phrase that names no
actor ('officials', 'a senior official') is a speaker without an actor (:mod:`.roles`)."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from summarizer.statements.article import NEXT_WORD, WORD, Article, Mention, without_abbreviations
from summarizer.statements.cues import NOT_FOR_IT, OBJECT, Cue
from summarizer.statements.roles import INSTITUTIONS, Roles
from summarizer.statements.words import DETERMINERS, PREPOSITIONS, SKIP_BEFORE_CUE
from summarizer.types import Sentence, Span, Statement

PRONOUN_REACH = 3  # sentences back where he/she may find their antecedent
_REACH_CHARS = 1000  # and at most this far back inside a sentence (keeps the work linear)

_BE = frozenset({"be", "been", "being", "is", "are", "was", "were", "am", "'s", "’s"})
_PERSON_PRONOUNS = frozenset({"he", "she"})
_GROUP_PRONOUNS = frozenset({"it", "they"})
PRONOUNS = _PERSON_PRONOUNS | _GROUP_PRONOUNS
ROLE_NOUNS = frozenset(
    """spokesman spokeswoman spokesperson spokespeople official officials representative representatives envoy
    ministry office""".split()
)
_APPOSITIVE_SEGMENTS = 3
_APPOSITIVE_CHARS = 250
_APPOSITIVE_WORDS = 40
_TITLE_GAP = re.compile(r"(?:\s+(?:[\w.'’-]+)){0,6}\s+|\s+")


@dataclass(frozen=True, slots=True)
class Speaker:
    name: str | None
    span: Span | None
    role: str | None = None  # Statement.speaker_role


NOBODY = Speaker(None, None)


class Speakers:
    def __init__(self, article: Article) -> None:
        self.a = article
        self.roles = Roles(article)
        self.speakers: dict[int, list[tuple[int, Speaker]]] = {}  # sentence start -> (end of statement, speaker)

    def subject_before(self, pos: int, floor: int, lemma: str) -> Speaker | None:
        """The actor that is the subject of a verb starting at ``pos``; None when the subject is no
        actor (a common noun, a possessive, an object) or there is none."""
        t = self.a.text
        skipped = 0
        p = pos
        while True:
            p = self.a.skip_space_back(p, floor)
            if p <= floor:
                return None
            m = self.a.mention_ending_at(p)
            if m is not None:
                return self.as_subject(m, floor)
            wb = self.a.word_before(p, floor)
            if wb is None:
                if t[p - 1] in ",—–" and skipped == 0:
                    return self._appositive_subject(p - 1, floor)
                return None
            wstart, word = wb
            lw = word.lower()
            if lw in _PERSON_PRONOUNS or lw in _GROUP_PRONOUNS:
                if lw in _GROUP_PRONOUNS and lemma in NOT_FOR_IT:
                    return None
                return self.resolve_pronoun(lw, wstart, wstart + len(word))
            if lw in _BE:
                return None  # "she was told to leave": the subject of a passive is the listener
            if lw in ("who", "which"):
                q = self.a.skip_space_back(wstart, floor)
                if q > floor and t[q - 1] == ",":
                    q = self.a.skip_space_back(q - 1, floor)
                m = self.a.mention_ending_at(q)
                return self.as_subject(m, floor) if m is not None else None
            if lw in SKIP_BEFORE_CUE or (lw.endswith("ly") and len(lw) > 4):
                skipped += 1
                if skipped > 4:
                    return None
                p = wstart
                continue
            if lw in ("and", "but") and lemma not in OBJECT:  # 'Carter praised the deal and said ...
                si = self.a.sentence_at(wstart)
                return self.main_subject(self.a.sentences[si], wstart) if si is not None else None
            role = self._role_before(p, floor)
            if role is not None and lemma in NOT_FOR_IT and role.role.split()[-1].lower() in INSTITUTIONS:
                return None
            return role

    def _role_before(self, p: int, floor: int) -> Speaker | None:
        return self.named_by(self.roles.before(p, floor))

    def named_by(self, span: Span | None) -> Speaker | None:
        """The speaker a role phrase names: no actor, the phrase as written as its role."""
        return Speaker(None, span, self.a.original[span.start : span.end]) if span is not None else None

    def as_subject(self, m: Mention, floor: int) -> Speaker | None:
        """A mention right before the verb is its subject unless it sits in a prepositional phrase
        ("strikes on Iran said" is no speech by Iran); "a spokesman for Hamas" speaks for Hamas."""
        wb = self.a.word_before(self.a.skip_space_back(m.start, floor), floor)
        if wb is not None and wb[1].lower() in PREPOSITIONS:
            if wb[1].lower() not in ("for", "of"):
                return None
            role = self.a.word_before(self.a.skip_space_back(wb[0], floor), floor)
            if role is None or role[1].lower() not in ROLE_NOUNS:
                return None
        return Speaker(m.name, Span(m.start, m.end))

    def _appositive_subject(self, comma: int, floor: int) -> Speaker | None:
        """'Khamenei, Iran's supreme leader, said': the name before the appositive (or, in
        'the director, Jonas Keel, said', the name that is the appositive)."""
        t = self.a.text
        lo = max(floor, comma - 120)
        k = max(t.rfind(",", lo, comma), t.rfind("—", lo, comma), t.rfind("–", lo, comma))
        if k < 0 or len(t[k + 1 : comma].split()) > 12 or any(c in without_abbreviations(t[k:comma]) for c in ".;:!?\"“”"):
            return None
        inner = self.a.mention_ending_at(self.a.skip_space_back(comma, floor))
        if inner is not None and inner.start > k and not t[k + 1 : inner.start].strip():
            # 'The authority's director, Jonas Keel, said': the name is the appositive itself, when
            # what comes before it is a short noun phrase opening the clause ("the director")
            head = WORD.findall(t[floor:k])
            if (1 <= len(head) <= 6 and (head[0].lower() in DETERMINERS or t[floor:k].split()[0].endswith(("'s", "’s")))
                    and head[-1][:1].islower()):
                return Speaker(inner.name, Span(inner.start, inner.end))
            return None
        # 'Mike Morrell, a veteran of the CIA who retired in 2013, said' / 'Woodrow Benford, 58, who
        # lives outside Minneapolis, says': the name before one to three appositive segments
        for _ in range(_APPOSITIVE_SEGMENTS):
            q = self.a.skip_space_back(k, floor)
            m = self.a.mention_ending_at(q)
            if m is not None:
                return self.as_subject(m, floor)
            role = self._role_before(q, floor)  # 'An Israeli official, speaking on condition ..., said'
            if role is not None:
                return role
            lo = max(floor, comma - _APPOSITIVE_CHARS)
            k = t.rfind(",", lo, k)
            if k < 0 or len(t[k + 1 : comma].split()) > _APPOSITIVE_WORDS \
                    or any(c in without_abbreviations(t[k:comma]) for c in ".;:!?\"“”"):
                return None
        return None

    def subject_after(self, pos: int, limit: int) -> Speaker | None:
        """Inverted attribution: 'said Khamenei', 'said Iran's supreme leader, Ali Khamenei', 'said
        Clinton ally James Carville'; or a role: 'said a New Hampshire Republican', 'said one official'."""
        limit = min(limit, pos + 100)
        t = self.a.text
        for m in self.a.mentions_between(pos, limit):
            gap = t[pos : m.start]
            gap = without_abbreviations(gap)
            if not _TITLE_GAP.fullmatch(gap.replace(",", " ")) or any(c in gap for c in ".;:!?\"“”«»"):
                break
            words = [w.lower() for w in WORD.findall(gap)]
            if any(w in PREPOSITIONS or w in ("who", "which", "that") for w in words):
                if not (words and words[-1] in ("of", "for") and len(words) >= 2 and words[-2] in ROLE_NOUNS):
                    break
            if self.a.possessive_after(m) or self.roles.modifies(m, limit):
                continue  # 'Iran's leader ...', 'a New Hampshire Republican': the head comes later
            return Speaker(m.name, Span(m.start, m.end))
        return self.named_by(self.roles.after(pos, limit))

    def main_subject(self, s: Sentence, before: int) -> Speaker | None:
        """The subject of the sentence's main clause, for a participial cue ('..., referring to'):
        its first mention, when nothing but titles or an introductory phrase comes before it."""
        t = self.a.text
        lead = NEXT_WORD.match(t, s.start, before)
        if lead and lead.group(1).lower() in PRONOUNS:
            return self.resolve_pronoun(lead.group(1).lower(), lead.start(1), lead.end(1))
        for m in self.a.mentions_between(s.start, min(before, s.start + 200)):
            prefix = t[s.start : m.start]
            lead_ok = not prefix.strip() or self.a.only_titles(s.start, m.start)
            intro_ok = prefix.rstrip().endswith(",") and "," not in prefix.rstrip()[:-1]
            if (lead_ok or intro_ok) and not self.a.possessive_after(m):
                return Speaker(m.name, Span(m.start, m.end))
            if not self.a.possessive_after(m):
                return None  # the first actor is not the subject: do not guess further
        return None

    def _is_person(self, said: Speaker) -> bool:
        """The speaker was named as a person: a PERSON mention, or he/she resolved to one."""
        if said.span is None:
            return False
        i = bisect_left(self.a.mention_starts, said.span.start)
        if i < len(self.a.mentions) and self.a.mention_starts[i] == said.span.start:
            return self.a.mentions[i].type == "PERSON"
        return self.a.text[said.span.start : said.span.end].lower() in _PERSON_PRONOUNS

    def resolve_pronoun(self, pronoun: str, start: int, end: int) -> Speaker | None:
        si = self.a.sentence_at(start)
        if si is None:
            return None
        span = Span(start, end)
        if pronoun in _PERSON_PRONOUNS:
            same = [m for m in self.a.mentions_between(max(self.a.sentences[si].start, start - _REACH_CHARS), start)
                    if m.type == "PERSON" and self.a.in_quote(m.start) is None]
            if same:
                return Speaker(same[-1].name, span)
            for k in range(si - 1, max(-1, si - 1 - PRONOUN_REACH), -1):
                s = self.a.sentences[k]
                people = [m for m in self.a.mentions_between(s.start, min(s.end, s.start + _REACH_CHARS))
                          if m.type == "PERSON" and self.a.in_quote(m.start) is None]
                if people:
                    return Speaker(people[0].name, span)  # the earliest: usually the subject
                speaking = [said for _, said in self.speakers.get(s.start, ()) if said.name is not None]
                if speaking and self._is_person(speaking[-1]):
                    return Speaker(speaking[-1].name, span)  # a quote sentence: its speaker goes on
            return None
        lo = self.a.sentences[si - 1].start if si > 0 else self.a.sentences[si].start
        lo = max(lo, start - _REACH_CHARS)
        groups = {m.name for m in self.a.mentions_between(lo, start)
                  if m.type in ("ORG", "GPE") and self.a.in_quote(m.start) is None}
        if len(groups) == 1:
            return Speaker(groups.pop(), span)
        return None

    def note(self, st: Statement) -> None:
        """Remember who spoke in a sentence (for a following '..., adding that ...')."""
        if st.speaker is None and st.speaker_role is None:
            return
        si = self.a.sentence_at(st.span.start)
        if si is not None:
            end = max(st.span.end, st.speaker_span.end if st.speaker_span else 0)
            self.speakers.setdefault(self.a.sentences[si].start, []).append((end, Speaker(st.speaker, st.speaker_span, st.speaker_role)))

    def continuing(self, cue: Cue, s: Sentence) -> Speaker | None:
        """Who goes on speaking at '..., adding': the last speaker attributed earlier in the
        sentence, else the subject of its main clause."""
        for end, said_by in reversed(self.speakers.get(s.start, ())):
            if end <= cue.start:
                return said_by
        return self.main_subject(s, cue.start)
