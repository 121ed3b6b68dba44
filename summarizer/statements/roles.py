"""Speakers named by a noun phrase rather than a known actor: a role ('officials said', 'a campaign
spokeswoman said', 'said a senior official'), a source ('according to FEC records') or a name the
tagger missed ('..., Hollande said'). The phrase, as written, becomes ``Statement.speaker_role``."""

from __future__ import annotations

from summarizer.statements.article import NEXT_WORD, WORD, Article, Mention
from summarizer.statements.words import DAYS, DETERMINERS, PREPOSITIONS, SKIP_BEFORE_CUE
from summarizer.types import Span

# role nouns that may head a speaker's noun phrase ("officials said", "a campaign spokeswoman said")
ROLE_HEADS = frozenset(
    """spokesman spokeswoman spokesperson spokespeople official officials aide aides adviser advisers advisor
    advisors analyst analysts expert experts source sources strategist strategists critic critics supporter
    supporters opponent opponents voter voters lawmaker lawmakers legislator legislators senator senators
    congressman congresswoman governor mayor president leader leaders minister ministers secretary chairman
    chairwoman chair director directors executive executives economist economists researcher researchers
    scientist scientists professor professors observer observers diplomat diplomats investigator investigators
    prosecutor prosecutors police lawyer lawyers attorney attorneys campaign office ministry government
    administration department agency committee commission party union company firm candidate candidates
    nominee justice judge judges incumbent residents resident protesters protester witnesses witness
    organizers organisers activists activist officers officer authorities representative representatives envoy
    ambassador commander commanders insiders allies ally delegates delegate members member staff staffer
    staffers operative operatives pollster pollsters consultant consultants manager managers businessman
    billionaire historian historians user users board editorial newspaper reporter reporters columnist
    columnists writer writers author authors host hosts anchor""".split()
)
_GROUP_NAMES = frozenset("democrats republicans conservatives liberals progressives".split())
# role heads that name an institution: like "it", they take no analytic cue ("the office suggests")
INSTITUTIONS = frozenset("campaign office ministry government administration department agency committee commission "
                         "party union company firm".split())
_NOT_IN_ROLE = frozenset(
    """that which who whom whose is was are were be been has have had will would can could should may might
    must do does did to not it its he she they we i you this these there what when where why how if than
    as by on into about against over after before""".split()
)
_ROLE_PREPOSITIONS = frozenset("of for at from in with".split())
_CONJUNCTIONS = frozenset("and but while because although though whereas so since".split())
_NP_STOP = ",;:()[]—–―\"“”«»"
_MAX_ROLE_WORDS = 8
_MAX_NAME_WORDS = 4
_NOT_A_NAME = frozenset("""i he she it they we you this that these those there then but and so yet also later
    however meanwhile still mr mrs ms dr some others other both one two several many most few all her his their
    our my its from having editor editors research polls poll surveys survey studies study data projections
    estimates reports records documents monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december""".split())
_ROLE_DETERMINERS = frozenset("a an the one two three another several some many other senior top".split())


class Roles:
    def __init__(self, article: Article) -> None:
        self.a = article

    def before(self, p: int, floor: int) -> Span | None:
        """A noun phrase ending at ``p`` that names a speaker by role ('officials', 'a campaign
        spokesman', 'Some party strategists', 'a spokesman for the ministry'): it must open its
        clause (the sentence start, a comma or dash, or a conjunction) and its head must be a role
        noun (or it is a name the tagger missed)."""
        t = self.a.text
        words: list[tuple[int, str]] = []
        q = p
        while True:
            q = self.a.skip_space_back(q, floor)
            if q <= floor or t[q - 1] in _NP_STOP:
                break
            m = self.a.mention_ending_at(q)
            if m is not None:
                words.append((m.start, t[m.start : m.end]))
                q = m.start
                continue
            wb = self.a.word_before(q, floor)
            if wb is None or wb[0] + len(wb[1]) != q:
                return None
            if wb[1].lower() in _CONJUNCTIONS or wb[1] in ("--", "-"):
                break
            words.append(wb)
            if len(words) > _MAX_ROLE_WORDS:
                return None
            q = wb[0]
        if not words:
            return None
        words.reverse()
        lowered = [w.lower() for _, w in words]
        if any(w in _NOT_IN_ROLE for w in lowered):
            return None
        cut = next((i for i, w in enumerate(lowered) if w in _ROLE_PREPOSITIONS and i > 0), len(lowered))
        head = lowered[cut - 1].removesuffix("'s").removesuffix("’s")
        if head not in ROLE_HEADS and head not in _GROUP_NAMES and not self._unknown_name(words, at_start=self._opens(q)):
            return None
        start = words[0][0]
        return Span(start, p)

    def _opens(self, q: int) -> bool:
        """Nothing but a sentence end comes before ``q``: a capitalised word there may be no name."""
        prev = self.a.skip_space_back(q, max(0, q - 200))
        return prev == 0 or self.a.text[prev - 1] in ".!?…:;\n" or prev <= max(0, q - 200)

    @staticmethod
    def _unknown_name(words: list[tuple[int, str]], *, at_start: bool) -> bool:
        """A name the tagger missed ('..., Hollande said', 'the White House said'): capitalised words
        only (after an optional 'the'), no possessive, none a pronoun, quantifier, day or month; a
        single word that opens the sentence is capitalised anyway ('Polls suggest'), so it is none."""
        names = words[1:] if words[0][1].lower() == "the" else words
        if not 0 < len(names) <= _MAX_NAME_WORDS or (at_start and len(words) == 1):
            return False
        return all(w[:1].isupper() and "'" not in w and "’" not in w and w.lower() not in _NOT_A_NAME for _, w in names)

    def modifies(self, m: Mention, limit: int) -> bool:
        """The mention is a modifier in a longer noun phrase: a word that is no preposition,
        conjunction or adverb follows it ('Clinton ally ...', 'New Hampshire Republican')."""
        nw = NEXT_WORD.match(self.a.text, m.end, limit)
        if nw is None or nw.start(1) == m.end or self.a.text[m.end : nw.start(1)].strip():
            return False
        w = nw.group(1).lower()
        return not (w in PREPOSITIONS or w in _CONJUNCTIONS or w in _NOT_IN_ROLE or w in ("and", "or")
                    or w.endswith("ly") or w in SKIP_BEFORE_CUE or w in DAYS)

    def after(self, pos: int, limit: int) -> Span | None:
        """'said a senior official', 'said one adviser to the campaign': a determiner, up to six
        words and a role noun head (before a preposition, a comma or the end of the clause)."""
        t = self.a.text
        words = []
        for m in WORD.finditer(t, pos, min(limit, pos + 120)):
            if t[pos if not words else words[-1].end() : m.start()].strip():
                break  # punctuation between words ends the phrase
            words.append(m)
            if len(words) > _MAX_ROLE_WORDS:
                return None
        lowered = [w.group().lower() for w in words]
        if len(lowered) < 2 or lowered[0] not in _ROLE_DETERMINERS:
            return None
        end = next((i for i, w in enumerate(lowered) if i > 0 and (
            w in _NOT_IN_ROLE or w in DAYS or (w in PREPOSITIONS and w not in _ROLE_PREPOSITIONS))), len(lowered))
        cut = next((i for i in range(1, end) if lowered[i] in _ROLE_PREPOSITIONS), end)
        while end > cut and lowered[end - 1] in _ROLE_PREPOSITIONS | DETERMINERS:
            end -= 1  # 'a spokesman for the' cut short by the limit
        if cut < 2 or lowered[cut - 1] not in ROLE_HEADS:
            return None
        start, stop = words[0].start(), words[end - 1].end()
        return Span(start, stop)
