"""Faithfulness gate for generated summaries: what the summary asserts must be in the source.

:func:`check_faithfulness` returns the problems found (an empty list means the summary passes):

* **Names**: runs of capitalised words ("Andros Townsend", "Bank of England"), capitalised words
  inside a sentence ("said Merson") and acronyms ("NATO", "U.S."). A name passes when its words
  appear, in order, inside one name of the source ("President Obama" is in "President Barack
  Obama"; "John Smith" is not supported by "John Brown" and "Mary Smith"); a leading title
  ("President", "Mr") may be lower-case there. Case, possessive ``'s`` and dots in acronyms are
  ignored. Common sentence openers ("The", "But", "He", months, weekdays) are never names; any
  other lone capitalised word opening a sentence ("Arsenal made ...") passes when the word is in
  the source in any case, so "Officials said" is fine when the source says "officials", and so do
  openers ending in "-ly"/"-ing". A single word may also extend a source name ("Brazilian" for
  "Brazil").
* **Numbers**: every number written with digits, with its currency (``$ £ €``, "dollars",
  "pounds"), scale ("million", "m", "bn", "k", "thousand") and percent ("%", "per cent",
  "percent") normalised to a value: "1.2bn" = "1.2 billion" = "1,200 million"; "£5m" is
  supported by "5 million pounds". A rounded figure passes when it has a decimal point or a scale
  word ("1.2bn" from "1.23 billion"); a bare integer must match exactly ("5" is not "50", nor
  "5.4"). Source numbers may be words ("five", "a dozen"). A percentage needs a percentage and a
  currency amount must not name another currency.
* **Quotations**: every passage in double quotes, and every passage of two words or more in
  single quotes, must occur in the source word for word (case, punctuation and quote style aside).
* **Novel wording** (a backstop for text with none of the above, e.g. a broken model): when more
  than ``max_novel_ratio`` of the summary's content words (stop words aside, crude stemming) are
  not in the source (default 0.5).

Measured on the 100 SummEval articles (tests/summarizer/test_abstractive.py, shared-marked):
every extractive briefing passes; of the 1,100 human reference summaries, 58.5% pass against
their own article (they are free paraphrases, often with misspelt names, demonyms such as
"English" for "England", or facts from outside the text) and none against another article.
The gate is deliberately strict: a rejected abstract costs only the fall-back to the extractive
briefing. Limits: numbers written as words in the summary ("six") are not checked; a lone
common noun opening a sentence that the source lacks ("Witnesses said") is reported as a name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["check_faithfulness", "names", "numbers", "quotations"]

# ------------------------------------------------------------------ text helpers

_QUOTE_MAP = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                            "–": "-", "—": "-", "\u00a0": " "})
_WORDS = re.compile(r"[A-Za-z0-9]+(?:['][A-Za-z]+)?")


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP)


def _word_seq(text: str) -> list[str]:
    out = []
    for w in _WORDS.findall(text.lower()):
        if w.endswith("'s"):
            w = w[:-2]
        out.append(w)
    return out


def _contains_seq(haystack: list[str], needle: list[str]) -> bool:
    if not needle:
        return True
    joined = " " + " ".join(haystack) + " "
    return " " + " ".join(needle) + " " in joined


# ------------------------------------------------------------------ names

_OPENERS = frozenset("""a an the this that these those there here it its he she they we you i his her their our
my your but and or so yet if when while after before as at by for from in into of on to with without
however meanwhile also then now today yesterday tomorrow monday tuesday wednesday thursday friday saturday
sunday january february march april may june july august september october november december mr mrs ms dr
what who why how where which one two three some many most all both each every no not according since although
though because unless until whether despite during among against between within without once again still even
only never always often many several few another other such just yet instead thus therefore hence overall
first second third last next finally later earlier recently currently previously""".split())
_CONNECTORS = frozenset("of de del della da di van von der den la le du al bin ibn & the".split())
_CAP_TOKEN = re.compile(r"(?:[A-Z][\w'’.-]*|&)")
_TOKEN_RE = re.compile(r"[\w'’.&-]+|[^\w\s]")
_ACRONYM = re.compile(r"^(?:[A-Z]\.){2,}$|^[A-Z][A-Z0-9&]{1,}s?$")
_ABBREVIATED = frozenset("mr mrs ms dr prof st gen col capt sgt lt sen rep gov jr sr rev".split())
_INITIAL = re.compile(r"^[A-Z]\.$")
_TITLES = frozenset("""president mr mrs ms miss dr prof professor sir dame lord lady king queen prince princess pope
general gen colonel col captain capt sergeant sgt lieutenant lt officer detective inspector chief senator sen
representative rep governor gov mayor minister prime chancellor secretary judge justice coach manager boss
chairman chairwoman ceo director spokesman spokeswoman saint st""".split())
_SENTENCE_END = frozenset('.!?:;"\'')


def _is_cap(token: str) -> bool:
    return bool(_CAP_TOKEN.fullmatch(token)) and any(c.isalpha() for c in token) and token[0].isupper()


def names(text: str) -> list[str]:
    """Capitalised names and acronyms in ``text`` (see the module doc)."""
    return [name for name, initial in _name_candidates(text) if not initial]


def _name_candidates(text: str) -> list[tuple[str, bool]]:
    """(name, True when it is a lone capitalised word opening a sentence: maybe not a name)."""
    text = _prepare(text)
    tokens = _TOKEN_RE.findall(text)
    out: list[tuple[str, bool]] = []
    i = 0
    sentence_start = True
    while i < len(tokens):
        tok = tokens[i]
        if not _is_cap(tok.rstrip(".")):
            sentence_start = tok in _SENTENCE_END or (tok.endswith(".") and len(tok) > 1 and not tok[:-1].isupper())
            i += 1
            continue
        # a run of capitalised words, connectors allowed inside ("Bank of England")
        j = i
        run: list[str] = []
        while j < len(tokens):
            t = tokens[j]
            if _is_cap(t.rstrip(".")):
                run.append(t)
                j += 1
                if (t.endswith(".") and not _ACRONYM.match(t) and not _INITIAL.match(t)
                        and t[:-1].lower() not in _ABBREVIATED):
                    break  # "... said Muto. Five players ..." : the sentence ends here
            elif t.lower() in _CONNECTORS and j + 1 < len(tokens) and _is_cap(tokens[j + 1].rstrip(".")) and run:
                run.append(t)
                j += 1
            else:
                break
        ends_sentence = run[-1].endswith(".") and not _ACRONYM.match(run[-1])
        run = [t.rstrip(".") if not _ACRONYM.match(t) else t for t in run]
        while run and (run[0].lower() in _OPENERS or run[0].lower() in _CONNECTORS) and (
                len(run) < 2 or run[1] != "&"):  # "A & E" is a name
            run = run[1:]
        while run and run[-1].lower() in _CONNECTORS:
            run = run[:-1]
        if run and not (len(run) == 1 and run[0].lower() in _OPENERS):
            initial = len(run) == 1 and sentence_start and not _ACRONYM.match(run[0])
            out.append((" ".join(run), initial))
        sentence_start = ends_sentence
        i = j
    return out


def _source_name_runs(source: str) -> list[list[str]]:
    """Every capitalised run of the source as a word sequence (sentence openers included)."""
    tokens = _TOKEN_RE.findall(_prepare(source))
    runs, cur = [], []
    for k, t in enumerate(tokens):
        if _is_cap(t.rstrip(".")) or (cur and t.lower() in _CONNECTORS and k + 1 < len(tokens)
                                       and _is_cap(tokens[k + 1].rstrip("."))):
            cur.extend(_word_seq(t.replace(".", "")))
        else:
            if cur:
                runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def _is_subsequence(needle: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(w == h for h in it) for w in needle)


def _derived_from_source_name(word: str, runs: list[list[str]]) -> bool:
    """"Brazilian" from "Brazil", "Chilean" from "Chile": a source name of 4+ letters opens it."""
    w = word.lower()
    return any(len(r) == 1 and len(r[0]) >= 4 and w.startswith(r[0]) and len(w) - len(r[0]) <= 4 for r in runs)


def _name_supported(name: str, source_words: list[str], runs: list[list[str]]) -> bool:
    words = _word_seq(name.replace(".", ""))
    if not words:
        return True
    if _contains_seq(source_words, words):
        return True
    while len(words) > 1 and words[0] in _TITLES:
        words = words[1:]  # "President Ogane" for "club president Naoki Ogane"
    if _contains_seq(source_words, words):
        return True
    return any(_is_subsequence(words, run) for run in runs)


# ------------------------------------------------------------------ numbers

_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9,
           "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12}
_CURRENCY_SYMBOLS = {"$": "usd", "£": "gbp", "€": "eur", "¥": "jpy", "us$": "usd", "usd": "usd", "gbp": "gbp",
                     "eur": "eur"}
_CURRENCY_WORDS = {"dollar": "usd", "dollars": "usd", "pound": "gbp", "pounds": "gbp", "sterling": "gbp",
                   "euro": "eur", "euros": "eur", "yen": "jpy"}
_NUMBER = re.compile(
    r"(?P<cur>US\$|[$£€¥]|\b(?:USD|GBP|EUR)\s?)?"
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:st|nd|rd|th)?"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|mln|mn|bn|trn|tn|[mkb])\b)?"
    r"(?:\s?(?P<pct>%|per\s?cent\b|percent\b|pct\b))?"
    r"(?:\s(?P<curw>dollars?|pounds?|sterling|euros?|yen)\b)?",
    re.I,
)
_WORD_NUMBERS = {w: float(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                      "ninety": 90, "hundred": 100, "dozen": 12, "a dozen": 12, "half": 0.5})
_WORD_NUMBER = re.compile(r"\b(" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")\b"
                          r"(?:[\s-](thousand|million|billion|trillion))?(?:\s(per\s?cent|percent))?", re.I)


class _Num:
    __slots__ = ("text", "value", "percent", "currency", "approx_digits", "unit")

    def __init__(self, text: str, value: float, percent: bool, currency: str | None,
                 approx_digits: int | None = None, unit: float = 1.0) -> None:
        self.text = text
        self.value = value
        self.percent = percent
        self.currency = currency
        self.approx_digits = approx_digits  # decimals written, when a rounded match is allowed (else None)
        self.unit = unit  # the scale written ("bn": 1e9), to round in that unit

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"_Num({self.text!r}, {self.value}, pct={self.percent}, cur={self.currency})"


def numbers(text: str) -> list[tuple[str, float, bool, str | None]]:
    """(text, value, is_percent, currency) of each number written with digits."""
    return [(n.text, n.value, n.percent, n.currency) for n in _digit_numbers(_prepare(text))]


def _digit_numbers(text: str) -> list[_Num]:
    out = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num").replace(",", "")
        value = float(raw)
        scale = (m.group("scale") or "").lower()
        if scale:
            value *= _SCALES[scale]
        cur = m.group("cur")
        currency = _CURRENCY_SYMBOLS.get(cur.strip().lower()) if cur else None
        if m.group("curw"):
            currency = currency or _CURRENCY_WORDS[m.group("curw").lower()]
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        # "1.2bn" may round "1.23 billion": compare at the precision and in the unit written
        approx = decimals if decimals or scale else None
        out.append(_Num(m.group(0).strip(), value, bool(m.group("pct")), currency, approx, _SCALES.get(scale, 1.0)))
    return out


def _word_numbers(text: str) -> list[_Num]:
    out = []
    for m in _WORD_NUMBER.finditer(text):
        value = _WORD_NUMBERS[m.group(1).lower()]
        if m.group(2):
            value *= _SCALES[m.group(2).lower()]
        out.append(_Num(m.group(0), value, bool(m.group(3)), None))
    return out


def _number_supported(n: _Num, source_numbers: Iterable[_Num]) -> bool:
    for s in source_numbers:
        if n.percent and not s.percent:
            continue
        if n.currency and s.currency and n.currency != s.currency:
            continue
        if abs(s.value - n.value) <= 1e-9 * max(1.0, abs(n.value)):
            return True
        if n.approx_digits is not None and round(s.value / n.unit, n.approx_digits) == round(
                n.value / n.unit, n.approx_digits):
            return True
    return False


# ------------------------------------------------------------------ quotations

_DOUBLE_QUOTED = re.compile(r'"([^"]{1,400}?)"')
_SINGLE_QUOTED = re.compile(r"(?<![\w])'(?=[^\s'])([^']{1,400}?)(?<=[^\s'])'(?![\w])")


def quotations(text: str) -> list[str]:
    """Quoted passages of ``text`` (double quotes; single quotes around two words or more)."""
    text = _prepare(text)
    out = [m.group(1).strip() for m in _DOUBLE_QUOTED.finditer(text)]
    rest = _DOUBLE_QUOTED.sub(" ", text)
    out += [m.group(1).strip() for m in _SINGLE_QUOTED.finditer(rest) if len(m.group(1).split()) >= 2]
    return [q for q in out if _word_seq(q)]


# ------------------------------------------------------------------ novel wording

_STOP = frozenset("""a an the and or but if of to in on at by for with from as is are was were be been being it its
this that these those he she they we you i his her their our your my not no so than then there here who whom
which what when where why how all any some more most such into over after before about up down out also just
has have had do does did will would can could should may might must said says say new one two""".split())


def _stem(word: str) -> str:
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


_LOWER_WORD = re.compile(r"(?<![\w'])[a-z]+(?:'[a-z]+)?(?![\w])")


def _novel_ratio(summary: str, source_words: list[str]) -> tuple[float, int]:
    """Share of the summary's lower-case content words (names and numbers are checked apart)
    whose stem is not in the source."""
    words = [w[:-2] if w.endswith("'s") else w for w in _LOWER_WORD.findall(summary)]
    content = [w for w in words if w not in _STOP]
    if not content:
        return 0.0, 0
    known = {_stem(w) for w in source_words} | set(source_words)
    novel = sum(_stem(w) not in known for w in content)
    return novel / len(content), len(content)


# ------------------------------------------------------------------ the gate


def check_faithfulness(summary: str, source: str, *, max_novel_ratio: float = 0.5) -> list[str]:
    """The problems of ``summary`` against ``source``; an empty list means it is faithful."""
    problems: list[str] = []
    src = _prepare(source)
    src_words = _word_seq(src)
    runs = _source_name_runs(src)
    seen: set[str] = set()
    known = {_stem(w) for w in src_words} | set(src_words)
    for name, initial in _name_candidates(summary):
        if name in seen:
            continue
        seen.add(name)
        if initial:
            # "Arsenal made an offer": a lone capitalised opener passes when the word is in the
            # source in any case ("Officials said" for "officials said") or looks like an adverb or
            # participle ("Unfortunately", "Following"); else it is taken as a name
            word = _word_seq(name)
            if not word or word[0] in known or _stem(word[0]) in known or word[0].endswith(("ly", "ing")):
                continue
        if len(name.split()) == 1 and _derived_from_source_name(name, runs):
            continue
        if not _name_supported(name, src_words, runs):
            problems.append(f"name not in source: {name!r}")
    src_numbers = _digit_numbers(src) + _word_numbers(src)
    for num in _digit_numbers(_prepare(summary)):
        if num.text in seen:
            continue
        seen.add(num.text)
        if not _number_supported(num, src_numbers):
            problems.append(f"number not in source: {num.text!r}")
    for quote in quotations(summary):
        if not _contains_seq(src_words, _word_seq(quote)):
            problems.append(f"quotation not in source: {quote!r}")
    ratio, count = _novel_ratio(_prepare(summary), src_words)
    if count >= 5 and ratio > max_novel_ratio:
        problems.append(f"{ratio:.0%} of the summary's content words are not in the source")
    return problems
