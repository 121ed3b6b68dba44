"""Statements: who said what in an article, as exact spans of its text.

``extract_statements(text, sentences, actors)`` finds

* direct quotes: a double-quoted passage (``"``, ``“ ”``, ``« »``, ``„ “``) that stands on its own
  (it opens a sentence or follows ``:``, ``,``, a dash or a speech verb) with an attribution right
  after it (``"...," Khamenei said`` / ``said Khamenei`` / ``he told reporters``) or right before it
  (``Khamenei said: "..."``, ``he said, "..."``). A quote split by its attribution gives two direct
  statements by the same speaker. The text is the quoted content without the quote marks, with
  surrounding spaces and trailing ``, ; :`` and dashes left out by moving the span (``. ! ?`` stay);
* indirect statements: ``X said (on Monday) that ...``, ``X told reporters (that) ...``,
  ``X warned/declared/... that ...``, ``X accused/urged/vowed ...``, ``..., X said.``,
  ``according to X, ...`` / ``..., according to X.`` The text is the reported clause;
* mixed statements: a reported clause that holds a quoted fragment, either from one of the forms
  above or from a naming cue (``referring to the country as a "cancerous tumor"``, ``called ...``,
  ``described ... as``). A quoted fragment without a speaker (scare quotes, titles) is dropped.

The speaker is the actor whose mention is the subject of the cue: the name just before the verb
(adverbs, auxiliaries and an appositive may sit between), or just after it (``said Khamenei``), or
``he``/``she`` resolved to a recent PERSON, ``it``/``they`` to the only ORG/GPE in reach. A possessive
(``Khamenei's statement suggests``) or an object is never a speaker. ``speaker`` is None only for a
direct quote with a speech verb whose subject is no known actor (``"...," a spokesman said``);
indirect and mixed statements without a speaker are dropped.

Headings (no terminal punctuation, or title case) give no indirect or mixed statements. Every
statement is checked at the end: ``text == text[span]``; a failing one is dropped and logged.
Cost is linear in the text: the regexes do not backtrack across the text, windows are bounded
and quotes are capped at ``MAX_QUOTE`` characters inside one paragraph.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from summarizer.sentences import MAX_QUOTE, quote_pairs, split_sentences
from summarizer.types import Actor, Sentence, Span, Statement, StatementKind

log = logging.getLogger(__name__)

MAX_CLAUSE = 1500  # longer "reported clauses" are not statements
PRONOUN_REACH = 3  # sentences back where he/she may find their antecedent
_REACH_CHARS = 1000  # and at most this far back inside a sentence (keeps the work linear)

# --- cue verbs -------------------------------------------------------------------------------------

# lemma -> inflected forms (finite forms and the -ing participle)
_FORMS: dict[str, tuple[str, ...]] = {
    "say": ("say", "says", "said", "saying"),
    "tell": ("tell", "tells", "told", "telling"),
    "warn": ("warn", "warns", "warned", "warning"),
    "declare": ("declare", "declares", "declared", "declaring"),
    "emphasize": ("emphasize", "emphasizes", "emphasized", "emphasizing",
                  "emphasise", "emphasises", "emphasised", "emphasising"),
    "stress": ("stress", "stresses", "stressed", "stressing"),
    "insist": ("insist", "insists", "insisted", "insisting"),
    "claim": ("claim", "claims", "claimed", "claiming"),
    "argue": ("argue", "argues", "argued", "arguing"),
    "add": ("add", "adds", "added", "adding"),
    "note": ("note", "notes", "noted", "noting"),
    "vow": ("vow", "vows", "vowed", "vowing"),
    "pledge": ("pledge", "pledges", "pledged", "pledging"),
    "promise": ("promise", "promises", "promised", "promising"),
    "announce": ("announce", "announces", "announced", "announcing"),
    "state": ("state", "states", "stated", "stating"),
    "deny": ("deny", "denies", "denied", "denying"),
    "accuse": ("accuse", "accuses", "accused", "accusing"),
    "urge": ("urge", "urges", "urged", "urging"),
    "threaten": ("threaten", "threatens", "threatened", "threatening"),
    "suggest": ("suggest", "suggests", "suggested", "suggesting"),
    "acknowledge": ("acknowledge", "acknowledges", "acknowledged", "acknowledging"),
    "admit": ("admit", "admits", "admitted", "admitting"),
    "confirm": ("confirm", "confirms", "confirmed", "confirming"),
    "assert": ("assert", "asserts", "asserted", "asserting"),
    "reiterate": ("reiterate", "reiterates", "reiterated", "reiterating"),
    "explain": ("explain", "explains", "explained", "explaining"),
    "maintain": ("maintain", "maintains", "maintained", "maintaining"),
    "write": ("write", "writes", "wrote", "writing"),
    "report": ("report", "reports", "reported", "reporting"),
    "caution": ("caution", "cautions", "cautioned", "cautioning"),
    "concede": ("concede", "concedes", "conceded", "conceding"),
    "contend": ("contend", "contends", "contended", "contending"),
    "allege": ("allege", "alleges", "alleged", "alleging"),
    "reply": ("reply", "replies", "replied", "replying"),
    "remark": ("remark", "remarks", "remarked", "remarking"),
    "recall": ("recall", "recalls", "recalled", "recalling"),
    "tweet": ("tweet", "tweets", "tweeted", "tweeting"),
    "predict": ("predict", "predicts", "predicted", "predicting"),
    "demand": ("demand", "demands", "demanded", "demanding"),
    "ask": ("ask", "asks", "asked", "asking"),
    "assure": ("assure", "assures", "assured", "assuring"),
    "remind": ("remind", "reminds", "reminded", "reminding"),
    # naming cues: they introduce a quoted fragment ("called it a 'tumor'"), never an indirect clause
    "call": ("call", "calls", "called", "calling"),
    "describe": ("describe", "describes", "described", "describing"),
    "refer": ("refer", "refers", "referred", "referring"),
    "dub": ("dub", "dubs", "dubbed", "dubbing"),
    "brand": ("brand", "brands", "branded", "branding"),
    "label": ("label", "labels", "labeled", "labelled", "labeling", "labelling"),
    "term": ("term", "terms", "termed", "terming"),
}
_NAMING = frozenset({"call", "describe", "refer", "dub", "brand", "label", "term"})
# verbs whose object is the listener: "told reporters that", "warned Israel that"
_LISTENER = frozenset({"tell", "warn", "assure", "remind"})
# verbs that may drop "that": "Khamenei said Iran would ..."
_ZERO_THAT = frozenset({"say", "claim", "insist", "argue", "add", "write", "warn", "predict"})
# verbs whose complement is an object or infinitive: "accused Israel of ...", "vowed to ..."
_OBJECT = frozenset({"accuse", "urge", "threaten", "vow", "pledge", "promise", "deny", "demand"})
# verbs that end a sentence as its attribution: "..., Khamenei said."
_FINAL = frozenset({"say", "tell", "add", "warn", "state", "insist", "claim", "argue", "note", "write", "declare",
                    "stress", "emphasize", "explain", "acknowledge", "admit", "confirm", "assert", "reiterate",
                    "announce", "recall", "reply", "remark", "tweet", "predict", "concede", "contend", "report",
                    "ask"})
# -ing forms that carry on a speaker's turn ("..., adding that ...")
_PARTICIPLE = frozenset({"say", "add", "warn", "insist", "stress", "emphasize", "note", "argue", "claim", "declare"})
# cues that an inanimate "it" or "they" must not take ("it suggests that" is analysis)
_NOT_FOR_IT = frozenset({"suggest", "note", "predict", "recall", "maintain", "describe", "call", "refer", "term"})

_LEMMA: dict[str, str] = {form: lemma for lemma, forms in _FORMS.items() for form in forms}
_LETTERS = re.compile(r"(?<![\w'’-])[A-Za-z]{3,12}(?![\w'’-])")  # candidate cue words, looked up in _LEMMA
_TO = re.compile(r"\s+to\b")

# --- words -----------------------------------------------------------------------------------------

_SKIP_BEFORE_CUE = frozenset(
    """also again then later once has have had will would could should may might must did does
    do not never long previously recently earlier further repeatedly reportedly publicly privately today
    yesterday just already often still even openly angrily flatly firmly separately""".split()
)
_BE = frozenset({"be", "been", "being", "is", "are", "was", "were", "am", "'s", "’s"})
_PERSON_PRONOUNS = frozenset({"he", "she"})
_GROUP_PRONOUNS = frozenset({"it", "they"})
_ROLE_NOUNS = frozenset(
    """spokesman spokeswoman spokesperson spokespeople official officials representative representatives envoy
    ministry office""".split()
)
_COORDINATED = re.compile(r"\s*,?\s+(?:and|but|before|then)\s+[a-z]")
_DETERMINERS = frozenset("the a an its their his her our".split())
_PREPOSITIONS = frozenset(
    "of for from in at with by to against on about over under into than between among via toward towards".split()
)
_ADJUNCT_START = frozenset(
    """on in at during after before to late early earlier last this yesterday today again publicly privately
    repeatedly also recently previously once now then while when""".split()
)
_AUDIENCE = frozenset(
    """reporters journalists lawmakers legislators parliament supporters students crowds crowd worshippers
    listeners viewers officials delegates troops""".split()
)
_CLAUSE_OPENERS = frozenset(
    """the a an he she it they we i you this that these those there his her its their our my some many no all
    both any every each""".split()
)

_WORD_END = re.compile(r"[\w'’-]+$")
_THAT = re.compile(r"\bthat\b", re.IGNORECASE)
_WORD = re.compile(r"[\w'’-]+")
_NEXT_WORD = re.compile(r"\s*([\w'’-]+)")
_TITLE_GAP = re.compile(r"(?:\s+(?:[\w.'’-]+)){0,6}\s+|\s+")
_TITLES_ONLY = re.compile(r"\s*(?:[A-Z][\w.'’-]*\s+)*")
_TRAIL = " \t\r\n.,;:!?…"
_CONTENT_TRAIL = " \t\r\n,;:—–-"
_QUOTE_MARKS = '"“”«»„'


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class _Speaker:
    name: str | None
    span: Span | None


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int
    end: int
    lemma: str  # "according to" for that phrase
    text: str


_NOBODY = _Speaker(None, None)


def extract_statements(text: str, sentences: Sequence[Sentence], actors: Sequence[Actor]) -> list[Statement]:
    """Statements in ``text``: direct quotes, reported speech and mixed forms, in text order.

    ``sentences`` are ``text``'s sentences (``split_sentences(text)`` when empty); ``actors`` the
    document's actors with their mentions (mentions whose text does not match ``text`` are ignored)."""
    if not text or not text.strip():
        return []
    if not sentences:
        sentences = split_sentences(text)
    return _Extractor(text, sentences, actors).run()


class _Extractor:
    def __init__(self, text: str, sentences: Sequence[Sentence], actors: Sequence[Actor]) -> None:
        self.text = text
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
        self.speakers: dict[int, list[tuple[int, _Speaker]]] = {}  # sentence start -> (end of statement, speaker)
        self.direct_spans: list[tuple[int, int]] = []  # quote regions (marks included) taken by direct statements

    # --- setup -------------------------------------------------------------------------------------

    def _index_mentions(self, actors: Sequence[Actor]) -> list[_Mention]:
        found: list[_Mention] = []
        for actor in actors:
            for m in actor.mentions:
                if 0 <= m.start < m.end <= len(self.text) and self.text[m.start : m.end] == m.text:
                    found.append(_Mention(m.start, m.end, actor.name, actor.type))
                else:
                    log.debug("mention %r of %s does not match the text; ignored", m.text, actor.name)
        found.sort(key=lambda m: (m.start, m.start - m.end))
        kept: list[_Mention] = []
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

    def _cues(self) -> list[_Cue]:
        cues = []
        t = self.text
        for m in _LETTERS.finditer(t):
            word = m.group().lower()
            lemma = _LEMMA.get(word)
            if lemma is not None:
                if self._in_name(m.start(), m.group()):
                    continue
                cues.append(_Cue(m.start(), m.end(), lemma, m.group()))
            elif word == "according":
                to = _TO.match(t, m.end())
                if to is not None:
                    cues.append(_Cue(m.start(), to.end(), "according to", t[m.start() : to.end()]))
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

    # --- lookups -----------------------------------------------------------------------------------

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

    def mention_ending_at(self, pos: int) -> _Mention | None:
        return self.mention_by_end.get(pos)

    def mentions_between(self, start: int, end: int) -> list[_Mention]:
        return self.mentions[bisect_left(self.mention_starts, start) : bisect_left(self.mention_starts, end)]

    def word_before(self, pos: int, floor: int) -> tuple[int, str] | None:
        m = _WORD_END.search(self.text, max(floor, pos - 40), pos)
        return (m.start(), m.group()) if m else None

    def skip_space_back(self, pos: int, floor: int) -> int:
        while pos > floor and self.text[pos - 1].isspace():
            pos -= 1
        return pos

    def skip_space(self, pos: int, limit: int) -> int:
        while pos < limit and self.text[pos].isspace():
            pos += 1
        return pos

    def possessive_after(self, m: _Mention) -> bool:
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
        words = [w for w in _WORD.findall(s.text) if len(w) >= 4 and w[0].isalpha()]
        return len(words) >= 6 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)

    # --- speakers ----------------------------------------------------------------------------------

    def subject_before(self, pos: int, floor: int, lemma: str) -> _Speaker | None:
        """The actor that is the subject of a verb starting at ``pos``; None when the subject is no
        actor (a common noun, a possessive, an object) or there is none."""
        t = self.text
        skipped = 0
        p = pos
        while True:
            p = self.skip_space_back(p, floor)
            if p <= floor:
                return None
            m = self.mention_ending_at(p)
            if m is not None:
                return self._as_subject(m, floor)
            wb = self.word_before(p, floor)
            if wb is None:
                if t[p - 1] in ",—–" and skipped == 0:
                    return self._appositive_subject(p - 1, floor)
                return None
            wstart, word = wb
            lw = word.lower()
            if lw in _PERSON_PRONOUNS or lw in _GROUP_PRONOUNS:
                if lw in _GROUP_PRONOUNS and lemma in _NOT_FOR_IT:
                    return None
                return self.resolve_pronoun(lw, wstart, wstart + len(word))
            if lw in _BE:
                return None  # "she was told to leave": the subject of a passive is the listener
            if lw in ("who", "which"):
                q = self.skip_space_back(wstart, floor)
                if q > floor and t[q - 1] == ",":
                    q = self.skip_space_back(q - 1, floor)
                m = self.mention_ending_at(q)
                return self._as_subject(m, floor) if m is not None else None
            if lw in _SKIP_BEFORE_CUE or (lw.endswith("ly") and len(lw) > 4):
                skipped += 1
                if skipped > 4:
                    return None
                p = wstart
                continue
            return None

    def _as_subject(self, m: _Mention, floor: int) -> _Speaker | None:
        """A mention right before the verb is its subject unless it sits in a prepositional phrase
        ("strikes on Iran said" is no speech by Iran); "a spokesman for Hamas" speaks for Hamas."""
        wb = self.word_before(self.skip_space_back(m.start, floor), floor)
        if wb is not None and wb[1].lower() in _PREPOSITIONS:
            if wb[1].lower() not in ("for", "of"):
                return None
            role = self.word_before(self.skip_space_back(wb[0], floor), floor)
            if role is None or role[1].lower() not in _ROLE_NOUNS:
                return None
        return _Speaker(m.name, Span(m.start, m.end))

    def _appositive_subject(self, comma: int, floor: int) -> _Speaker | None:
        """'Khamenei, Iran's supreme leader, said': the name before the appositive (or, in
        'the director, Jonas Keel, said', the name that is the appositive)."""
        t = self.text
        lo = max(floor, comma - 120)
        k = max(t.rfind(",", lo, comma), t.rfind("—", lo, comma), t.rfind("–", lo, comma))
        if k < 0 or len(t[k + 1 : comma].split()) > 12 or any(c in t[k:comma] for c in ".;:!?\"“”"):
            return None
        inner = self.mention_ending_at(self.skip_space_back(comma, floor))
        if inner is not None and inner.start > k and not t[k + 1 : inner.start].strip():
            # 'The authority's director, Jonas Keel, said': the name is the appositive itself, when
            # what comes before it is a short noun phrase opening the clause ("the director")
            head = _WORD.findall(t[floor:k])
            if (1 <= len(head) <= 6 and (head[0].lower() in _DETERMINERS or t[floor:k].split()[0].endswith(("'s", "’s")))
                    and head[-1][:1].islower()):
                return _Speaker(inner.name, Span(inner.start, inner.end))
            return None
        q = self.skip_space_back(k, floor)
        m = self.mention_ending_at(q)
        return self._as_subject(m, floor) if m is not None else None

    def subject_after(self, pos: int, limit: int) -> _Speaker | None:
        """Inverted attribution: 'said Khamenei', 'said Iran's supreme leader, Ali Khamenei'."""
        limit = min(limit, pos + 100)
        for m in self.mentions_between(pos, limit):
            gap = self.text[pos : m.start]
            if not _TITLE_GAP.fullmatch(gap.replace(",", " ")) or any(c in gap for c in ".;:!?\"“”«»"):
                return None
            words = [w.lower() for w in _WORD.findall(gap)]
            if any(w in _PREPOSITIONS or w in ("who", "which", "that") for w in words):
                if not (words and words[-1] in ("of", "for") and len(words) >= 2 and words[-2] in _ROLE_NOUNS):
                    return None
            if self.possessive_after(m):
                continue
            return _Speaker(m.name, Span(m.start, m.end))
        return None

    def main_subject(self, s: Sentence, before: int) -> _Speaker | None:
        """The subject of the sentence's main clause, for a participial cue ('..., referring to'):
        its first mention, when nothing but titles or an introductory phrase comes before it."""
        t = self.text
        lead = _NEXT_WORD.match(t, s.start, before)
        if lead and lead.group(1).lower() in _PERSON_PRONOUNS | _GROUP_PRONOUNS:
            return self.resolve_pronoun(lead.group(1).lower(), lead.start(1), lead.end(1))
        for m in self.mentions_between(s.start, min(before, s.start + 200)):
            prefix = t[s.start : m.start]
            lead_ok = not prefix.strip() or self._only_titles(s.start, m.start)
            intro_ok = prefix.rstrip().endswith(",") and "," not in prefix.rstrip()[:-1]
            if (lead_ok or intro_ok) and not self.possessive_after(m):
                return _Speaker(m.name, Span(m.start, m.end))
            if not self.possessive_after(m):
                return None  # the first actor is not the subject: do not guess further
        return None

    def resolve_pronoun(self, pronoun: str, start: int, end: int) -> _Speaker | None:
        si = self.sentence_at(start)
        if si is None:
            return None
        span = Span(start, end)
        if pronoun in _PERSON_PRONOUNS:
            same = [m for m in self.mentions_between(max(self.sentences[si].start, start - _REACH_CHARS), start)
                    if m.type == "PERSON" and self.in_quote(m.start) is None]
            if same:
                return _Speaker(same[-1].name, span)
            for k in range(si - 1, max(-1, si - 1 - PRONOUN_REACH), -1):
                s = self.sentences[k]
                people = [m for m in self.mentions_between(s.start, min(s.end, s.start + _REACH_CHARS))
                          if m.type == "PERSON" and self.in_quote(m.start) is None]
                if people:
                    return _Speaker(people[0].name, span)  # the earliest: usually the subject
            return None
        lo = self.sentences[si - 1].start if si > 0 else self.sentences[si].start
        lo = max(lo, start - _REACH_CHARS)
        groups = {m.name for m in self.mentions_between(lo, start)
                  if m.type in ("ORG", "GPE") and self.in_quote(m.start) is None}
        if len(groups) == 1:
            return _Speaker(groups.pop(), span)
        return None

    # --- direct quotes -----------------------------------------------------------------------------

    def direct(self) -> list[Statement]:
        out: list[Statement] = []
        for o, c in self.quotes:
            st = self._direct_one(o, c)
            if st is not None:
                out.append(st)
                self.direct_spans.append((o, c + 1))
                self._note_speaker(st)
        return out

    def _content(self, o: int, c: int) -> tuple[int, int] | None:
        a, b = o + 1, c
        while a < b and self.text[a].isspace():
            a += 1
        while b > a and self.text[b - 1] in _CONTENT_TRAIL:
            b -= 1
        return (a, b) if b > a else None

    def _stands_alone(self, o: int, floor: int) -> str | None:
        """How the quote is introduced: 'start' (it opens the sentence or follows a dash or bracket),
        'punct' (after ':' or ','), 'cue' (right after a speech verb); None: inside a clause."""
        p = self.skip_space_back(o, floor)
        if p <= floor:
            return "start"
        ch = self.text[p - 1]
        if ch in "—–-([":
            return "start"
        if ch in ":,":
            return "punct"
        cue = self.cue_by_end.get(p)  # a cue word, not one inside a name ('Secretary of State "..."')
        if cue is not None and cue.lemma not in _NAMING and cue.lemma != "according to":
            return "cue"
        return None

    def _direct_one(self, o: int, c: int) -> Statement | None:
        si, sj = self.sentence_at(o), self.sentence_at(c)
        content = self._content(o, c)
        if si is None or sj is None or content is None:
            return None
        s_open, s_close = self.sentences[si], self.sentences[sj]
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
        if speaker.name is None and len(self.text[a:b].split()) < 3:
            return None  # a short fragment with a verb but no speaker: not certain enough
        return Statement(speaker.name, speaker.span, cue, self.text[a:b], Span(a, b), "direct")

    def _attribution_after(self, p: int, limit: int) -> tuple[_Speaker, str | None] | None:
        """'"...," Khamenei said' / '"...," said Khamenei' / '"...," he told reporters'."""
        t = self.text
        p = self.skip_space(p, limit)
        if p < limit and t[p] in ",—–":
            p = self.skip_space(p + 1, limit)
        window_end = min(limit, p + 120)
        for cue in self._cues_in(p, window_end):
            if cue.lemma == "according to" and cue.start == p:  # '"...," according to Khamenei.'
                return (self.subject_after(cue.end, limit) or _NOBODY), cue.text
            if cue.lemma in _NAMING or cue.lemma == "according to" or cue.text.lower().endswith("ing"):
                return None
            gap = t[p : cue.start]
            if any(ch in gap for ch in '.;:!?"“”«»') or len(gap.split()) > 8:
                return None
            speaker = self.subject_before(cue.start, p - 1, cue.lemma) if gap.strip() else None
            if speaker is None and not gap.strip():
                speaker = self.subject_after(cue.end, limit)
            return (speaker or _NOBODY), cue.text
        return None

    def _attribution_before(self, o: int, s: Sentence, how: str) -> tuple[_Speaker, str | None] | None:
        """'Khamenei said: "..."' / 'he said, "..."' / 'Khamenei told state TV: "..."' / 'Khamenei: "..."'."""
        t = self.text
        floor = s.start
        lo = max(floor, o - 120)
        cues = self._cues_in(lo, o)
        if how == "punct":
            p = self.skip_space_back(o, floor) - 1  # the ':' or ','
            if not cues:
                m = self.mention_ending_at(self.skip_space_back(p, floor))
                if t[p] == ":" and m is not None and self._only_titles(floor, m.start) and not self.possessive_after(m):
                    return _Speaker(m.name, Span(m.start, m.end)), None
                return None
            cue = cues[-1]
            tail = t[cue.end : p]
            if any(ch in tail for ch in '.;!?"“”«»') or len(tail.split()) > 4:
                return None
        elif how == "cue":
            cue = self.cue_by_end[self.skip_space_back(o, floor)]  # _stands_alone found it there
            tail = ""
        else:
            return None
        if cue.lemma in _NAMING or cue.lemma == "according to":
            return None
        if cue.text.lower().endswith("ing"):  # '..., adding: "..."'
            q = self.skip_space_back(cue.start, floor)
            if cue.lemma not in _PARTICIPLE or tail.strip() or q <= floor or t[q - 1] != ",":
                return None
            speaker = self._continuing_speaker(cue, s)
            return (speaker or _NOBODY), cue.text
        speaker = self.subject_before(cue.start, floor, cue.lemma)
        if speaker is None and tail.strip():
            speaker = self.subject_after(cue.end, p)
        return (speaker or _NOBODY), cue.text

    def _only_titles(self, start: int, end: int) -> bool:
        """Only capitalised words (titles, names) between ``start`` and ``end``."""
        return end - start <= 200 and _TITLES_ONLY.fullmatch(self.text, start, end) is not None

    def _cues_in(self, start: int, end: int) -> list[_Cue]:
        return self.cues[bisect_left(self.cue_starts, start) : bisect_left(self.cue_starts, end)]

    # --- reported speech ---------------------------------------------------------------------------

    def reported(self) -> list[Statement]:
        out: list[Statement] = []
        for cue in self.cues:
            if self.in_quote(cue.start) is not None:
                continue  # a verb inside a quotation is the quoted speaker's, not an attribution
            si = self.sentence_at(cue.start)
            if si is None:
                continue
            s = self.sentences[si]
            if self.is_heading(s):
                continue
            st = self._reported_one(cue, s)
            if st is not None:
                out.append(st)
                self._note_speaker(st)
        return out

    def _reported_one(self, cue: _Cue, s: Sentence) -> Statement | None:
        if cue.lemma == "according to":
            return self._according_to(cue, s)
        if cue.lemma in _NAMING:
            return None  # naming cues only carry quoted fragments (see fragments())
        before = self.word_before(self.skip_space_back(cue.start, s.start), s.start)
        if before is not None and before[1].lower() == "to":
            return None  # "difficult to predict": an infinitive is no statement
        if cue.text.lower().endswith("ing"):
            return self._participle(cue, s)
        speaker = self.subject_before(cue.start, s.start, cue.lemma)
        clause = self._complement(cue, s) if speaker is not None else None
        if clause is None:
            clause = self._final_attribution(cue, s, speaker)
            if clause is not None and speaker is None:
                speaker = self.subject_after(cue.end, s.end)
        if clause is None or speaker is None or speaker.name is None:
            return None
        return self._make(speaker, cue.text, clause)

    def _note_speaker(self, st: Statement) -> None:
        """Remember who spoke in a sentence (for a following '..., adding that ...')."""
        if st.speaker is None:
            return
        si = self.sentence_at(st.span.start)
        if si is not None:
            end = max(st.span.end, st.speaker_span.end if st.speaker_span else 0)
            self.speakers.setdefault(self.sentences[si].start, []).append((end, _Speaker(st.speaker, st.speaker_span)))

    def _make(self, speaker: _Speaker, cue: str | None, clause: tuple[int, int]) -> Statement | None:
        a, b = self._trim(*clause)
        if b - a < 2 or b - a > MAX_CLAUSE or len(self.text[a:b].split()) < 2:
            return None
        kind: StatementKind = "mixed" if self._has_quote(a, b) else "indirect"
        return Statement(speaker.name, speaker.span, cue, self.text[a:b], Span(a, b), kind)

    def _trim(self, a: int, b: int) -> tuple[int, int]:
        t = self.text
        while a < b and (t[a].isspace() or t[a] in ",;:"):
            a += 1
        if a < b and t[a] in _QUOTE_MARKS and self.in_quote(a) is None:
            a += 1  # a stray quote mark that opens nothing
        while b > a and t[b - 1] in _TRAIL:
            b -= 1
        return a, b

    def _has_quote(self, a: int, b: int) -> bool:
        i = bisect_left(self.quote_opens, a)
        return i < len(self.quotes) and self.quotes[i][1] < b

    def _clause_end(self, start: int, s: Sentence) -> int:
        semi = self.text.find(";", start, min(s.end, start + MAX_CLAUSE + 1))
        return semi if semi >= 0 else s.end

    def _complement(self, cue: _Cue, s: Sentence) -> tuple[int, int] | None:
        """The reported clause after a finite cue: 'that ...', ': ...', or a bare clause/object."""
        t = self.text
        p = self.skip_space(cue.end, s.end)
        if p >= s.end:
            return None
        if t[p] == ":":
            q = self.skip_space(p + 1, s.end)
            return (q, self._clause_end(q, s)) if q < s.end else None
        m = _THAT.search(t, p, min(s.end, p + 70))
        if m is not None:
            between = t[p : m.start()]
            words = [w.lower() for w in _WORD.findall(between)]
            punct_free = not any(ch in between for ch in '.,;:!?"“”«»—–(')
            if punct_free and len(words) <= 6 and (
                not words or cue.lemma in _LISTENER or words[0] in _ADJUNCT_START
            ) and not self._cues_in(p, m.start()):
                q = self.skip_space(m.end(), s.end)
                return (q, self._clause_end(q, s))
        nw = _NEXT_WORD.match(t, p, s.end)
        if nw is None or t[p] in ",.;!?)":
            return None
        word = nw.group(1)
        if cue.lemma in _OBJECT:
            return (p, self._clause_end(p, s))
        if cue.lemma == "tell" and word.lower() in _AUDIENCE:
            after = _NEXT_WORD.match(t, nw.end(), s.end)
            if after is not None and self._opens_clause(after.group(1), after.start(1)):
                return (after.start(1), self._clause_end(after.start(1), s))
            return None
        if cue.lemma in _ZERO_THAT and self._opens_clause(word, nw.start(1)):
            return (nw.start(1), self._clause_end(nw.start(1), s))
        return None

    def _opens_clause(self, word: str, pos: int) -> bool:
        """A word that can begin a bare reported clause ('said Iran would ...', 'said the talks ...')."""
        if self.text[pos] in _QUOTE_MARKS:
            return False
        i = bisect_left(self.mention_starts, pos)
        return word.lower() in _CLAUSE_OPENERS or (i < len(self.mentions) and self.mention_starts[i] == pos)

    def _final_attribution(self, cue: _Cue, s: Sentence, speaker: _Speaker | None) -> tuple[int, int] | None:
        """'..., Khamenei said (on Monday).' / '..., said Khamenei.': the clause is what precedes."""
        if cue.lemma not in _FINAL:
            return None
        t = self.text
        if s.end - cue.end > 120:
            return None
        tail = t[cue.end : s.end]
        if len(tail.split()) > 6 or any(ch in tail.rstrip(_TRAIL + "\"'”’") for ch in ',;:"“”«»'):
            return None
        first = _NEXT_WORD.match(tail)
        if first is not None:
            word = first.group(1)
            named = word[0].isupper()  # "said Supreme Leader Khamenei", "said Carter"
            audience = cue.lemma == "tell" and word.lower() in _AUDIENCE
            if not (named or audience or word.lower() in _ADJUNCT_START - {"to"}):
                return None  # "..., they told him to leave": not an attribution
        left = speaker.span.start if speaker is not None and speaker.span is not None else cue.start
        p = self.skip_space_back(left, s.start)
        # allow titles or determiners before the name ("the Supreme Leader Khamenei said")
        for _ in range(6):
            if p <= s.start or t[p - 1] in ",—–:":
                break
            wb = self.word_before(p, s.start)
            if wb is None or wb[1].lower() not in ("the", "a", "an") and not wb[1][:1].isupper():
                return None
            p = self.skip_space_back(wb[0], s.start)
        if p <= s.start or t[p - 1] not in ",—–:":
            return None
        clause = (s.start, p - 1)
        if self._quote_clause(*clause):
            return None  # '"...," he said' is a direct quote
        return clause

    def _quote_clause(self, a: int, b: int) -> bool:
        """The clause is a quotation and nothing else."""
        a, b = self._trim(a, b)
        t = self.text
        return a < b and t[a] in _QUOTE_MARKS and t[b - 1] in _QUOTE_MARKS

    def _according_to(self, cue: _Cue, s: Sentence) -> Statement | None:
        t = self.text
        p = self.skip_space(cue.end, s.end)
        for m in self.mentions_between(p, min(s.end, p + 60)):
            if not self._only_titles(p, m.start) and t[p : m.start].strip().lower() not in ("the",):
                return None
            if self.possessive_after(m):
                return None
            speaker = _Speaker(m.name, Span(m.start, m.end))
            after = self.skip_space(m.end, s.end)
            if after < s.end and t[after] == ",":  # "According to X, ..."
                q = self.skip_space(after + 1, s.end)
                if t[s.start : cue.start].strip():
                    return None
                return self._make(speaker, cue.text, (q, self._clause_end(q, s)))
            if t[m.end : s.end].strip(_TRAIL + "\"'”’") == "":  # "..., according to X."
                left = self.skip_space_back(cue.start, s.start)
                if left > s.start and t[left - 1] == ",":
                    return self._make(speaker, cue.text, (s.start, left - 1))
            return None
        return None

    def _participle(self, cue: _Cue, s: Sentence) -> Statement | None:
        """'..., adding that ...': the speaker is the one just attributed in this sentence."""
        if cue.lemma not in _PARTICIPLE:
            return None
        p = self.skip_space_back(cue.start, s.start)
        if p <= s.start or self.text[p - 1] != ",":
            return None
        m = _THAT.match(self.text, self.skip_space(cue.end, s.end))
        if m is None:
            return None
        speaker = self._continuing_speaker(cue, s)
        if speaker is None or speaker.name is None:
            return None
        q = self.skip_space(m.end(), s.end)
        return self._make(speaker, cue.text, (q, self._clause_end(q, s)))

    def _continuing_speaker(self, cue: _Cue, s: Sentence) -> _Speaker | None:
        """Who goes on speaking at '..., adding': the last speaker attributed earlier in the
        sentence, else the subject of its main clause."""
        for end, said_by in reversed(self.speakers.get(s.start, ())):
            if end <= cue.start:
                return said_by
        return self.main_subject(s, cue.start)

    # --- quoted fragments --------------------------------------------------------------------------

    def fragments(self, taken: list[Statement]) -> list[Statement]:
        """Mixed statements for quoted fragments that no direct or reported statement holds: a
        naming or speech cue before the fragment in its sentence, with a resolvable speaker."""
        spans = sorted((st.span.start, st.span.end) for st in taken)
        starts = [a for a, _ in spans]
        reach = list(accumulate((b for _, b in spans), max))  # furthest end of the spans so far
        direct = {o for o, _ in self.direct_spans}
        covered_until = -1
        out: list[Statement] = []
        for o, c in self.quotes:
            if o in direct or c < covered_until:
                continue
            i = bisect_right(starts, o) - 1
            if i >= 0 and reach[i] > c:
                continue  # already inside a statement
            si = self.sentence_at(o)
            if si is None:
                continue
            s = self.sentences[si]
            if self.is_heading(s):
                continue
            for cue in reversed(self._cues_in(max(s.start, o - 200), o)):
                st = self._fragment_statement(cue, s, o)
                if st is not None and st.span.start <= o and st.span.end > c:
                    out.append(st)
                    covered_until = st.span.end  # later fragments of this clause are inside it
                    break
        return out

    def _fragment_statement(self, cue: _Cue, s: Sentence, o: int) -> Statement | None:
        """The clause from ``cue`` that holds the fragment opening at ``o``, if its speaker is known."""
        if cue.lemma == "according to" or self.in_quote(cue.start) is not None:
            return None
        cue_end, cue_text = cue.end, cue.text
        if cue.lemma == "refer":
            nw = _NEXT_WORD.match(self.text, cue.end, o)
            if nw is None or nw.group(1).lower() != "to":
                return None
            cue_end, cue_text = nw.end(1), self.text[cue.start : nw.end(1)]
        if cue.text.lower().endswith("ing"):
            p = self.skip_space_back(cue.start, s.start)
            if p <= s.start or self.text[p - 1] != ",":
                return None
            speaker = self.main_subject(s, cue.start)
        else:
            speaker = self.subject_before(cue.start, s.start, cue.lemma)
        if speaker is None or speaker.name is None:
            return None
        a = self.skip_space(cue_end, o)
        m = _THAT.match(self.text, a, o)
        if m is not None:
            a = self.skip_space(m.end(), o)
        if self.text[a : a + 1] == ":":
            a = self.skip_space(a + 1, o)
        return self._make(speaker, cue_text, (a, self._naming_end(a, s)))

    def _naming_end(self, start: int, s: Sentence) -> int:
        """'called the barrier "a monument to waste" and demanded a vote': the naming clause ends
        with its quoted fragment when a coordinated predicate follows ('and demanded ...')."""
        end = self._clause_end(start, s)
        i = bisect_left(self.quote_opens, start)
        if i < len(self.quotes) and self.quotes[i][1] < end:
            close = self.quotes[i][1] + 1
            if _COORDINATED.match(self.text, close, end):
                return close
        return end

    # --- all together ------------------------------------------------------------------------------

    def run(self) -> list[Statement]:
        direct = self.direct()
        reported = [st for st in self.reported() if not self._overlaps_direct(st.span)]
        mixed = [st for st in self.fragments(direct + reported) if not self._overlaps_direct(st.span)]
        seen: set[tuple[int, int]] = set()
        out: list[Statement] = []
        for st in sorted(direct + reported + mixed, key=lambda st: (st.span.start, st.span.end)):
            key = (st.span.start, st.span.end)
            if key in seen:
                continue
            seen.add(key)
            if self._verbatim(st):
                out.append(st)
        return out

    def _overlaps_direct(self, span: Span) -> bool:
        i = bisect_left(self.direct_spans, (span.end, span.end))  # direct_spans is sorted, disjoint
        return i > 0 and self.direct_spans[i - 1][1] > span.start

    def _verbatim(self, st: Statement) -> bool:
        t = self.text
        ok = 0 <= st.span.start < st.span.end <= len(t) and st.span.of(t) == st.text
        if ok and st.speaker_span is not None:
            ok = 0 <= st.speaker_span.start < st.speaker_span.end <= len(t)
        if not ok:
            log.warning("dropping a statement whose text is not the article's text at its span: %r", st)
        return ok


__all__ = ["extract_statements"]
