"""Reported speech: ``X said (on Monday) that ...``, ``X told reporters (that) ...``,
``X warned/declared/... that ...``, ``X accused/urged/vowed ...``, ``..., X said.``,
``according to X, ...`` / ``..., according to X.`` and ``..., adding that ...``. The statement's text
is the reported clause; it is ``mixed`` when the clause holds a quoted fragment. A reported clause
without a known speaker is no statement, and headings give none."""

from __future__ import annotations

import re
from bisect import bisect_left

from summarizer.statements.article import NEXT_WORD, QUOTE_MARKS, THAT, TRAIL, WORD, Article
from summarizer.statements.cues import FINAL, LISTENER, NAMING, OBJECT, PARTICIPLE, ZERO_THAT, ZERO_THAT_NAMED, Cue
from summarizer.statements.speakers import Speaker, Speakers
from summarizer.statements.words import DAYS, PREPOSITIONS
from summarizer.types import Sentence, Span, Statement, StatementKind

MAX_CLAUSE = 1500  # longer "reported clauses" are not statements
_MAX_APPOSITIVE_TAIL = 300  # characters after a final cue: 'said Wilcox, an Orlando Republican who ...'
_MAX_ROLE_TAIL = 12  # words after a final cue that name a role ('said a senior official familiar with ...')

_CLOSING = '"”’\''
_CONTRACTION = re.compile(r"['’](?:s|ll|d|re|ve|m)$")
_SUBJECT_PRONOUNS = frozenset("he she it they we i you there".split())
_SOURCE_STOP = re.compile(r"[,;:()\"“”«»]")
_MAX_SOURCE_CHARS = 200  # an "according to" source phrase
_MAX_SOURCE_WORDS = 15
_NOT_A_TITLE = frozenset("""and or but then so that which who he she it they we i you is was are were has have had
    will would not also""".split())
_OBJECT_PRONOUNS = frozenset("me us him her them you".split())
_MONTHS = frozenset("january february march april may june july august september october november december".split())
_NOT_SAID_SUBJECT = frozenset("""nothing something anything everything goodbye hello so yes no little much more less only
    just what how why when whether if where who which this that it thanks sorry okay ok again earlier later last next
    recently before after""".split())
_AUXILIARIES = frozenset("""is are was were will would could should can may might must has have had do does did
    need needs wants want""".split())
_ADJUNCT_START = frozenset(
    """on in at during after before to late early earlier last this yesterday today again publicly privately
    repeatedly also recently previously once now then while when monday tuesday wednesday thursday friday
    saturday sunday tonight""".split()
)
_AUDIENCE = frozenset(
    """reporters journalists lawmakers legislators parliament supporters students crowds crowd worshippers
    listeners viewers officials delegates troops""".split()
)
_CLAUSE_OPENERS = frozenset(
    """the a an he she it they we i you this that these those there his her its their our my some many no all
    both any every each""".split()
)


class ReportedSpeech:

    def __init__(self, article: Article, speakers: Speakers) -> None:
        self.a = article
        self.sp = speakers

    def reported(self) -> list[Statement]:
        out: list[Statement] = []
        for cue in self.a.cues:
            if self.a.in_quote(cue.start) is not None:
                continue  # a verb inside a quotation is the quoted speaker's, not an attribution
            si = self.a.sentence_at(cue.start)
            if si is None:
                continue
            s = self.a.sentences[si]
            if self.a.is_heading(s):
                continue
            st = self._reported_one(cue, s)
            if st is not None:
                out.append(st)
                self.sp.note(st)
        return out

    def _reported_one(self, cue: Cue, s: Sentence) -> Statement | None:
        if cue.lemma == "according to":
            return self._according_to(cue, s)
        if cue.lemma in NAMING:
            return None  # naming cues only carry quoted fragments (see fragments())
        before = self.a.word_before(self.a.skip_space_back(cue.start, s.start), s.start)
        if before is not None and before[1].lower() == "to":
            return None  # "difficult to predict": an infinitive is no statement
        if cue.text.lower().endswith("ing"):
            return self._participle(cue, s)
        speaker = self.sp.subject_before(cue.start, s.start, cue.lemma)
        clause = self._complement(cue, s) if speaker is not None else None
        if clause is None:
            clause = self._final_attribution(cue, s, speaker)
            if clause is not None and speaker is None:
                speaker = self.sp.subject_after(cue.end, s.end)
        if clause is None or speaker is None or (speaker.name is None and speaker.role is None):
            return None
        return self.make(speaker, cue.text, clause)

    def make(self, speaker: Speaker, cue: str | None, clause: tuple[int, int]) -> Statement | None:
        a, b = self.trim(*clause)
        if b - a < 2 or b - a > MAX_CLAUSE or len(self.a.text[a:b].split()) < 2:
            return None
        kind: StatementKind = "mixed" if self._has_quote(a, b) else "indirect"
        return Statement(speaker.name, speaker.span, cue, self.a.original[a:b], Span(a, b), kind, speaker.role)

    def trim(self, a: int, b: int) -> tuple[int, int]:
        t = self.a.text
        while a < b and (t[a].isspace() or t[a] in ",;:"):
            a += 1
        if a < b and t[a] in QUOTE_MARKS and self.a.in_quote(a) is None:
            a += 1  # a stray quote mark that opens nothing
        while b > a and t[b - 1] in TRAIL:
            b -= 1
        return a, b

    def _has_quote(self, a: int, b: int) -> bool:
        i = bisect_left(self.a.quote_opens, a)
        return i < len(self.a.quotes) and self.a.quotes[i][1] < b

    def clause_end(self, start: int, s: Sentence) -> int:
        semi = self.a.text.find(";", start, min(s.end, start + MAX_CLAUSE + 1))
        return semi if semi >= 0 else s.end

    def _complement(self, cue: Cue, s: Sentence) -> tuple[int, int] | None:
        """The reported clause after a finite cue: 'that ...', ': ...', or a bare clause/object."""
        t = self.a.text
        p = self.a.skip_space(cue.end, s.end)
        if p >= s.end:
            return None
        if t[p] == ":":
            q = self.a.skip_space(p + 1, s.end)
            return (q, self.clause_end(q, s)) if q < s.end else None
        m = THAT.search(t, p, min(s.end, p + 70))
        if m is not None:
            between = t[p : m.start()]
            words = [w.lower() for w in WORD.findall(between)]
            punct_free = not any(ch in between for ch in '.,;:!?"“”«»—–(')
            if punct_free and len(words) <= 6 and (
                not words or cue.lemma in LISTENER or words[0] in _ADJUNCT_START
            ) and not self.a.cues_in(p, m.start()):
                q = self.a.skip_space(m.end(), s.end)
                return (q, self.clause_end(q, s))
        nw = NEXT_WORD.match(t, p, s.end)
        if nw is None or t[p] in ",.;!?)":
            return None
        if nw.group(1).lower() in DAYS:  # 'said Wednesday she, too, wants ...'
            p = self.a.skip_space(nw.end(), s.end)
            nw = NEXT_WORD.match(t, p, s.end)
            if nw is None or t[p] in ",.;!?)":
                return None
        word = nw.group(1)
        if cue.lemma in OBJECT:
            return (p, self.clause_end(p, s))
        if cue.lemma == "say" and self._noun_subject(word, nw.end(1), s):  # 'said voters want ...'
            return (nw.start(1), self.clause_end(nw.start(1), s))
        if cue.lemma == "tell":
            listener = self._listener_end(word, nw.start(1), nw.end(1))
            after = NEXT_WORD.match(t, listener, s.end) if listener is not None else None
            if after is not None and self._opens_clause(after.group(1), after.start(1)):
                return (after.start(1), self.clause_end(after.start(1), s))
            return None
        if (cue.lemma in ZERO_THAT or cue.lemma in ZERO_THAT_NAMED) and self._opens_clause(
                word, nw.start(1), named=cue.lemma in ZERO_THAT_NAMED):
            return (nw.start(1), self.clause_end(nw.start(1), s))
        return None

    def _noun_subject(self, word: str, end: int, s: Sentence) -> bool:
        """A bare clause after 'say' whose subject is a plain noun ('said voters want ...'): a word
        that is no object or adverb of 'say' ('said nothing', 'said so', 'said in ...') nor a verb,
        followed by an auxiliary or a past tense ('said voters were ...', 'says prosecutors failed ...')."""
        w = word.lower()
        if not word.isalpha() or w in _NOT_SAID_SUBJECT or w in PREPOSITIONS or w in _AUXILIARIES or w in DAYS \
                or w.endswith(("ly", "ed", "ing")):
            return False
        nxt = NEXT_WORD.match(self.a.text, end, s.end)
        if nxt is None or self.a.text[end : nxt.start(1)].strip():
            return False
        v = nxt.group(1).lower()
        return v in _AUXILIARIES or (v.endswith("ed") and v not in PREPOSITIONS)

    def _listener_end(self, word: str, start: int, end: int) -> int | None:
        """Where the listener after 'told' ends: an audience ('told reporters'), an object pronoun
        ('told me') or an actor ('told the National Post', 'told CNN'); None when it is none."""
        if word.lower() in _AUDIENCE or word.lower() in _OBJECT_PRONOUNS:
            return end
        lead = start + 4 if word.lower() == "the" else start
        i = bisect_left(self.a.mention_starts, self.a.skip_space(lead, len(self.a.text)))
        if i < len(self.a.mentions) and self.a.mention_starts[i] - lead <= 1:
            return self.a.mentions[i].end
        return None

    def _opens_clause(self, word: str, pos: int, *, named: bool = False) -> bool:
        """A word that can begin a bare reported clause ('said Iran would ...', 'said the talks ...');
        ``named``: only a pronoun or a name ('announced they'll ...', not 'announced a deal')."""
        if self.a.text[pos] in QUOTE_MARKS:
            return False
        i = bisect_left(self.a.mention_starts, pos)
        if i < len(self.a.mentions) and self.a.mention_starts[i] == pos:
            return True
        bare = _CONTRACTION.sub("", word.lower())  # "it's", "he'll", "they'd"
        if not named and word[:1].isupper() and bare not in DAYS and bare not in _MONTHS and bare not in _ADJUNCT_START:
            return True  # 'says Democrat Hillary Clinton is ...', a name the tagger missed
        return bare in (_SUBJECT_PRONOUNS if named else _CLAUSE_OPENERS)

    def _final_attribution(self, cue: Cue, s: Sentence, speaker: Speaker | None) -> tuple[int, int] | None:
        """'..., Khamenei said (on Monday).' / '..., said Khamenei.': the clause is what precedes."""
        if cue.lemma not in FINAL:
            return None
        t = self.a.text
        if s.end - cue.end > _MAX_APPOSITIVE_TAIL:
            return None
        tail = t[cue.end : s.end]
        if not self._appositive_tail(cue, s, speaker):
            role = self.sp.roles.after(self.a.skip_space(cue.end, s.end), s.end)
            if s.end - cue.end > 120 or len(tail.split()) > (_MAX_ROLE_TAIL if role else 6) \
                    or any(ch in tail.rstrip(TRAIL + "\"'”’") for ch in ',;:"“”«»'):
                return None
        else:
            role = None
        first = NEXT_WORD.match(tail)
        if first is not None:
            word = first.group(1)
            named = word[0].isupper()  # "said Supreme Leader Khamenei", "said Carter"
            audience = cue.lemma == "tell" and word.lower() in _AUDIENCE
            if not (named or audience or role or word.lower() in _ADJUNCT_START - {"to"}):
                return None  # "..., they told him to leave": not an attribution
        left = speaker.span.start if speaker is not None and speaker.span is not None else cue.start
        p = self.a.skip_space_back(left, s.start)
        # allow titles, roles or determiners before the name ("the Supreme Leader Khamenei said")
        for _ in range(6):
            if p <= s.start or self._clause_stop(p, s) is not None:
                break
            wb = self.a.word_before(p, s.start)
            if wb is None or wb[1].lower() in _NOT_A_TITLE:  # 'Republican candidate Ben Carson said'
                return None
            p = self.a.skip_space_back(wb[0], s.start)
        end = self._clause_stop(p, s) if p > s.start else None
        if end is None:
            return None
        clause = (s.start, end)
        if self._quote_clause(*clause):
            return None  # '"...," he said' is a direct quote
        return clause

    def _appositive_tail(self, cue: Cue, s: Sentence, speaker: Speaker | None) -> bool:
        """'..., said Wilcox, an Orlando Republican who founded ...': a name right after the cue and an
        appositive after it to the end of the sentence (no clause of its own: no quote, ';' or ':')."""
        if speaker is not None:
            return False
        after = self.sp.subject_after(cue.end, s.end)
        if after is None or after.name is None or after.span is None:
            return False
        rest = self.a.text[after.span.end : s.end].rstrip(TRAIL + "\"'”’")
        return rest.startswith(",") and not any(ch in rest for ch in ';:"“”«»') and len(rest.split()) <= 40

    def _clause_stop(self, p: int, s: Sentence) -> int | None:
        """Where a clause ends that an attribution at ``p`` follows: before ``, — – :``, or after a
        closing quote mark that has the comma inside it ('... turbulence,” Clinton said')."""
        t = self.a.text
        if t[p - 1] in ",—–:":
            return p - 1
        if t[p - 1] in _CLOSING and p - 2 > s.start and t[p - 2] == ",":
            return p
        return None

    def _quote_clause(self, a: int, b: int) -> bool:
        """The clause is a quotation and nothing else."""
        a, b = self.trim(a, b)
        t = self.a.text
        return a < b and t[a] in QUOTE_MARKS and t[b - 1] in QUOTE_MARKS

    def _according_to(self, cue: Cue, s: Sentence) -> Statement | None:
        """'According to X, ...' / '..., according to X.' where X is an actor ('according to Carter')
        or any other named source ('according to a State Department official', '..., according to FEC
        records'), kept as the role."""
        t = self.a.text
        p = self.a.skip_space(cue.end, s.end)
        stop = _SOURCE_STOP.search(t, p, min(s.end, p + _MAX_SOURCE_CHARS))
        e = stop.start() if stop is not None else s.end
        if e - p > _MAX_SOURCE_CHARS:
            return None
        source, appositive = self._source(p, e, s)
        if source is None:
            return None
        rest = t[e : s.end].strip(TRAIL + "\"'”’")
        if not t[s.start : cue.start].strip():  # "According to X, ..."
            if e >= s.end or t[e] != ",":
                return None
            q = self.a.skip_space(e + 1, s.end)
            return self.make(source, cue.text, (q, self.clause_end(q, s)))
        left = self.a.skip_space_back(cue.start, s.start)
        if left > s.start and t[left - 1] == "," and (not rest or (appositive and t[e] == ",")):
            return self.make(source, cue.text, (s.start, left - 1))  # "..., according to X[, appositive]."
        return None

    def _source(self, p: int, e: int, s: Sentence) -> tuple[Speaker | None, bool]:
        """Who a source phrase ``text[p:e]`` names: the actor it opens with (after titles), or the
        phrase itself as a role. The flag: an actor's name that an appositive may follow."""
        t = self.a.text
        for m in self.a.mentions_between(p, e):
            lead = t[p : m.start].strip().lower()
            if (lead in ("", "the") or self.a.only_titles(p, m.start)) and not self.a.possessive_after(m) \
                    and not self.sp.roles.modifies(m, e):
                return Speaker(m.name, Span(m.start, m.end)), True
            break
        words = list(WORD.finditer(t, p, e))
        for i, w in enumerate(words):
            if w.group().lower() in ("who", "which", "that", "whose", "when", "where"):
                words = words[:i]
                break
        if not words or len(words) > _MAX_SOURCE_WORDS:
            return None, False
        first = words[0].group()
        if len(words) == 1 and first.islower() and not first.endswith("s"):
            return None, False  # 'according to plan', 'according to tradition'
        if first.lower() in _SUBJECT_PRONOUNS or first.lower() in ("this", "that", "it", "him", "her", "them"):
            return None, False
        start, end = words[0].start(), words[-1].end()
        return self.sp.named_by(Span(start, end)), False

    def _participle(self, cue: Cue, s: Sentence) -> Statement | None:
        """'..., adding that ...': the speaker is the one just attributed in this sentence."""
        if cue.lemma not in PARTICIPLE:
            return None
        p = self.a.skip_space_back(cue.start, s.start)
        if p <= s.start or self.a.text[p - 1] != ",":
            return None
        q = self.a.skip_space(cue.end, s.end)
        m = THAT.match(self.a.text, q)
        if m is not None:
            q = self.a.skip_space(m.end(), s.end)
        else:  # '..., adding the port would reopen'
            nw = NEXT_WORD.match(self.a.text, q, s.end)
            if nw is None or cue.lemma not in ZERO_THAT or not self._opens_clause(nw.group(1), nw.start(1)):
                return None
        speaker = self.sp.continuing(cue, s)
        if speaker is None or (speaker.name is None and speaker.role is None):
            return None
        return self.make(speaker, cue.text, (q, self.clause_end(q, s)))
