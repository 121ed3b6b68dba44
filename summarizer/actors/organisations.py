"""Organisation rules layered on the tagger's mentions (after the gazetteer's, see
:func:`summarizer.actors.ner.merge_rules`): names the tagger cuts up or misses.

* Head words: "X Union", "X Party", "X FC", "X Inc." / "Corp." / "Ltd" / "Group" / "Bank" /
  "Agency" / "Council" / "Committee" / "Commission" / "University" / "Association" /
  "Federation" / "Institute" ... (capitalised words before the head), and "Ministry of X",
  "Department of X", "University of X", "the Bank of X", "Army of the X" (a head, "of", an
  optional "the" and capitalised words). Such a name is one ORG mention: tagged pieces inside it
  ("Rail Workers" + "Union") give way to it; a tagged name that contains it is kept (and is an
  organisation when the head ends it). A known place or organisation of the gazetteer is never
  overridden ("West Bank", "European Union").
* Facilities ("... Airport", "... Stadium", "... Museum", "Kennedy Space Center") are places,
  as CoNLL and OntoNotes annotate them (FAC): a tagged organisation ending in one becomes LOC;
  events ("... War", "... Grand Prix", "... Cup") are MISC.
* Acronyms defined in the text, "Rail Workers' Union (RWU)" or "RWU (Rail Workers' Union)":
  the acronym is a mention of the long name's type, everywhere in the text. Its letters are the
  name's initials, or for an organisation in brackets after it, capitals of the name in any
  order ("Kurdistan Workers' Party (PKK)").
* Clean-ups of the tagger's organisations: a lone determiner ("The") is dropped, trailing
  lower-case words and a dangling "of" are cut ("Bangladesh Army field" -> "Bangladesh Army"),
  a cut company suffix is completed ("Proastiakos S." -> "Proastiakos S.A.").

Every rule works on word tokens found by one linear scan, looking at most a few words to each
side of a head: no pattern can backtrack, whatever the text (the recogniser reads at most
``MAX_CHARS`` characters anyway).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.actors.gazetteer import GazetteerMatch
from summarizer.types import EntityType, Mention

# Heads that end an organisation's name: "Rail Workers' Union", "Labour Party", "Acme Corp.".
SUFFIX_HEADS = frozenset({
    "Union", "Unions", "Party", "FC", "F.C.", "AFC", "Inc", "Inc.", "Corp", "Corp.", "Corporation", "Ltd", "Ltd.",
    "Limited", "LLC", "plc", "PLC", "Group", "Bank", "Agency", "Council", "Committee", "Commission", "University",
    "College", "Association", "Federation", "Confederation", "Institute", "Foundation", "Society", "Trust", "League",
    "Club", "Company", "Co.", "Airlines", "Airways", "Authority", "Bureau", "Ministry", "Department", "Organization",
    "Organisation", "Alliance", "Coalition", "Movement", "Army", "Navy", "Police", "Parliament", "Assembly",
    "Senate", "Congress", "Board", "Institution", "Academy", "Holdings", "Industries", "Brigade", "Division",
    "Corps", "Regiment", "Records", "Church", "Fund", "Service", "Office", "Network", "Court", "Tribunal",
})
# Heads that may take "of ..." after them: "Ministry of Health", "Bank of England".
PREFIX_HEADS = frozenset({
    "Ministry", "Department", "University", "Bank", "Institute", "Council", "Federation", "Confederation",
    "Association", "League", "Organization", "Organisation", "Commission", "Committee", "Board", "Office", "Army",
    "Church", "Party", "Academy", "College", "School", "Society", "Union", "House", "Court", "Chamber", "Bureau",
    "Museum", "Corps", "Agency", "Authority", "Foundation", "Fund", "Order", "Brotherhood", "Friends", "Secretariat",
})
# Words that end a facility's name: a place, not an organisation (CoNLL's LOC, OntoNotes' FAC).
FACILITY_HEADS = frozenset({
    "Airport", "Stadium", "Arena", "Museum", "Gym", "Gymnasium", "Pavilion", "Planetarium", "Base",
    "Racecourse", "Raceway", "Speedway", "Velodrome", "Bridge", "Tunnel", "Center", "Centre",
})
_FACILITY_PAIRS = frozenset({("Air", "Base"), ("Force", "Base"), ("Naval", "Base"), ("Military", "Base")})
# Words that end an event's name: MISC as CoNLL annotates it, not an organisation.
EVENT_HEADS = frozenset({"War", "Prix", "Championship", "Championships", "Cup", "Olympics", "Games", "Festival",
                         "Award", "Awards", "Prize", "Summit", "Revolution", "Uprising", "Marathon"})
# Inside a name, between capitalised words.
_INNER = frozenset({"of", "for", "&", "de", "du", "des", "la", "le", "von", "van", "der", "on"})
_DETERMINERS = frozenset({"The", "the", "A", "An", "This", "That", "These", "Those", "Its", "Their", "Our"})
_ABBREVIATIONS = frozenset({"Inc.", "Corp.", "Ltd.", "Co.", "Bros.", "St.", "Mt.", "Jr.", "Sr.", "No.", "Dept.",
                            "Univ.", "Assn.", "Intl.", "Natl.", "F.C.", "plc."})
_COMPANY_TAIL = re.compile(r"(?:,?\s(?:Inc\.|Corp\.|Ltd\.?|LLC|plc|PLC|AG|GmbH|S\.A\.|N\.V\.|S\.p\.A\.|Co\.)"
                           r"|(?<=\s[A-Z]\.)[A-Z]\.)(?!\w)")
_INITIALISM = re.compile(r"(?:[A-Z]\.){2,}")
_TOKEN = re.compile(r"\S+")
_OPENERS = "(\"“‘'[«"
_CLOSERS = ",;:)\"”’]!?»"
MAX_LEFT = 5  # capitalised words taken before a head
MAX_RIGHT = 6  # words taken after "of" ("Ministry of Health and Social Care" stops at "and")
MAX_DEFINITIONS = 100  # acronyms defined in one text

_DEFINED_AFTER = re.compile(r"\s?\(\s?([A-Z][A-Z0-9&.]{1,9})\s?\)")  # "Name (ACR)"
_DEFINED_BEFORE = re.compile(r"(?<![\w.])([A-Z][A-Z0-9&.]{1,9})\s?\(\s?(?:the\s)?$")  # "ACR (Name"


@dataclass(frozen=True, slots=True)
class _Token:
    start: int  # the word's characters, punctuation around it left out
    end: int
    word: str
    stop_before: bool  # a sentence end, a line break or punctuation between it and the previous word
    stop_after: bool  # punctuation after it (a comma, a full stop, a closing bracket) or a possessive
    possessive: bool  # "Britain's": may end a name, not continue one


def tokens(text: str) -> list[_Token]:
    """Words with their spans, and where a name cannot continue across them."""
    out: list[_Token] = []
    previous_stop = True
    previous_end = 0
    for m in _TOKEN.finditer(text):
        a, b = m.start(), m.end()
        stop_before = previous_stop or "\n" in text[previous_end:a]
        while a < b and text[a] in _OPENERS:
            a += 1
            stop_before = True
        stop_after = False
        while b > a and text[b - 1] in _CLOSERS:
            b -= 1
            stop_after = True
        word = text[a:b]
        if word.endswith(".") and word not in _ABBREVIATIONS and not _INITIALISM.fullmatch(word):
            b -= 1
            word = word[:-1]
            stop_after = True
        possessive = word.endswith(("'s", "’s"))
        if possessive:
            b -= 2
            word = word[:-2]
            stop_after = True
        elif word.endswith(("'", "’")) and not word[:-1].endswith("s"):
            b -= 1
            word = word[:-1]
            stop_after = True
        if a < b:
            out.append(_Token(a, b, word, stop_before, stop_after, possessive))
        previous_stop = stop_after
        previous_end = m.end()
    return out


def _capitalised(word: str) -> bool:
    first = word[:1]
    return first.isupper() or (first.isdigit() and any(c.isupper() for c in word))


def _facility(words: Sequence[str]) -> bool:
    last = words[-1]
    if last == "Base":
        return len(words) >= 2 and (words[-2], last) in _FACILITY_PAIRS
    return last in FACILITY_HEADS


@dataclass(frozen=True, slots=True)
class OrgMatch:
    start: int
    end: int
    type: EntityType  # ORG, or LOC for a facility
    head_last: bool  # the head word ends the name ("Rail Workers' Union"), not "Ministry of Health"


def find_organisations(text: str, lowercase_words: frozenset[str] | set[str] | None = None) -> list[OrgMatch]:
    """Names built around an organisation's head word, left to right, not overlapping (the
    longest at each start). ``lowercase_words``: words seen in lower case in the text (a
    sentence's first word that is one of them is not part of a name); found when None."""
    toks = tokens(text)
    if lowercase_words is None:
        lowercase_words = {t.word for t in toks if t.word[:1].islower()}
    found: list[tuple[int, int, EntityType, bool]] = []
    n = len(toks)
    for h, tok in enumerate(toks):
        word = tok.word
        if word not in SUFFIX_HEADS and word not in PREFIX_HEADS and word not in FACILITY_HEADS:
            continue
        # capitalised words before the head, in the same stretch of text
        left = h
        while left > 0 and h - left < MAX_LEFT and not toks[left].stop_before:
            prev = toks[left - 1]
            if prev.stop_after and not (prev.word.endswith(("s'", "s’")) or prev.word in _ABBREVIATIONS
                                        or _INITIALISM.fullmatch(prev.word)):
                break
            if _capitalised(prev.word) and not prev.possessive:
                left -= 1
            elif prev.word in ("&",) and left - 2 >= 0 and _capitalised(toks[left - 2].word):
                left -= 1
            else:
                break
        # "of [the] Capitalised ..." after a head that takes it
        right = h
        if word in PREFIX_HEADS and not tok.stop_after and h + 2 < n and toks[h + 1].word in ("of", "for", "on") \
                and not toks[h + 1].stop_after:
            k = h + 2
            if toks[k].word == "the" and not toks[k].stop_after and k + 1 < n:
                k += 1
            last = -1
            if toks[k].word in SUFFIX_HEADS or toks[k].word in PREFIX_HEADS:
                k = n  # "IV Corps of the Army of ...": two organisations
            while k < n and k - h <= MAX_RIGHT + 2 and not toks[k].stop_before:
                w = toks[k].word
                if _capitalised(w):
                    last = k
                    if toks[k].stop_after:
                        break
                elif w in _INNER and not toks[k].stop_after and last == k - 1:
                    pass
                else:
                    break
                k += 1
            if last > h:
                right = last
        # leading determiners and a sentence's first word when it is an ordinary word
        while left < h:
            first = toks[left]
            sentence_start = left == 0 or first.stop_before or toks[left - 1].stop_after
            if first.word == "The" and not sentence_start:
                break  # "a division of The Disabilities Trust": part of the name
            if first.word in _DETERMINERS or (first.word.lower() in lowercase_words and sentence_start):
                left += 1
            else:
                break
        if left == h and right == h:
            continue  # a head alone ("the Union", "Party members") names nothing
        if right == h and word not in SUFFIX_HEADS and word not in FACILITY_HEADS:
            continue  # "Ministry" needs its "of ..."
        if any(not _capitalised(t.word) and t.word not in _INNER and t.word != "the" for t in toks[left : right + 1]):
            continue
        words = [t.word for t in toks[left : right + 1]]
        kind: EntityType = "LOC" if right == h and _facility(words) else "ORG"
        if word in FACILITY_HEADS and kind == "ORG" and word not in SUFFIX_HEADS and word not in PREFIX_HEADS:
            continue
        if kind == "ORG" and word == "Museum":
            kind = "LOC"  # "Museum of Flight"
        found.append((toks[left].start, toks[right].end, kind, right == h))
    found.sort(key=lambda f: (f[0], -f[1]))
    out: list[OrgMatch] = []
    reach = -1
    for start, end, kind, head_last in found:
        if start >= reach:
            out.append(OrgMatch(start, end, kind, head_last))
            reach = end
    return out


# ---------------------------------------------------------------- acronyms defined in the text


def _initials(name: str) -> tuple[str, str]:
    """Initials of the capitalised words, and of every word but "of", "the", "and" ... ."""
    words = [w for w in re.split(r"[\s\-/]+", name) if w]
    caps = "".join(w[0] for w in words if w[:1].isupper())
    every = "".join(w[0].upper() for w in words if w[:1].isalnum() and w.lower() not in
                    {"of", "the", "and", "for", "&", "de", "in", "on", "a", "an", "to"})
    return caps, every


def acronym_of(short: str, name: str) -> bool:
    """Whether ``short`` ("RWU", "U.N.", "NATO") is the acronym of ``name``."""
    letters = re.sub(r"[^A-Za-z]", "", short.removesuffix("s") if short.endswith("s") and short[:-1].isupper()
                     else short)
    if len(letters) < 2 or not letters.isupper() or len(name.split()) < 2:
        return False
    caps, every = _initials(name)
    return letters in (caps, every)


def _letters_in(short: str, name: str) -> bool:
    """Whether every letter of ``short`` (2 to 6 capitals) is a capital of ``name``: an acronym
    from another language's name ("Kurdistan Workers' Party (PKK)")."""
    capitals = {c for c in name if c.isupper()}
    return 2 <= len(short) <= 6 and short.isalpha() and short.isupper() and len(name.split()) >= 2 and \
        set(short) <= capitals


def acronym_definitions(text: str, mentions: Sequence[Mention]) -> list[tuple[Mention, Mention]]:
    """(long name, acronym) pairs the text defines: "Rail Workers' Union (RWU)" and "RWU (Rail
    Workers' Union ...". The acronym's mention has the long name's type."""
    out: list[tuple[Mention, Mention]] = []
    for m in mentions:
        if len(out) >= MAX_DEFINITIONS:
            break
        if m.type not in ("ORG", "GPE", "LOC", "MISC"):
            continue
        after = _DEFINED_AFTER.match(text, m.end)
        if after and (acronym_of(after.group(1), m.text) or (m.type == "ORG" and _letters_in(after.group(1), m.text))):
            short = after.group(1)
            out.append((m, Mention(short, after.start(1), after.end(1), m.type)))
            continue
        # "ACR (Long Name": the acronym is the word before the bracket
        before = _DEFINED_BEFORE.search(text, max(0, m.start - 24), m.start)
        if before and acronym_of(before.group(1), m.text):
            out.append((m, Mention(before.group(1), before.start(1), before.end(1), m.type)))
    return out


def _acronym_mentions(text: str, definitions: Sequence[tuple[Mention, Mention]]) -> list[Mention]:
    """Every occurrence of the defined acronyms, as whole words, with their long names' types."""
    kinds: dict[str, EntityType] = {}
    for long, short in definitions:
        kinds.setdefault(short.text, long.type)
    if not kinds:
        return []
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(k) for k in sorted(kinds, key=len, reverse=True))
                         + r")(?![\w])")
    return [Mention(m.group(), m.start(), m.end(), kinds[m.group()]) for m in pattern.finditer(text)]


# ---------------------------------------------------------------- the tagger's organisations, cleaned


def _clean(text: str, m: Mention) -> Mention | None:
    """A tagged organisation without a dangling determiner, "of" or lower-case tail, with its
    company suffix; None when nothing of a name is left."""
    words = m.text.split()
    if not words or (len(words) == 1 and words[0] in _DETERMINERS):
        return None
    if m.type != "ORG":
        return m
    words = [(w.start() + m.start, w.end() + m.start) for w in _TOKEN.finditer(text[m.start : m.end])]
    if not words:
        return m
    # trailing lower-case words and connectors: "Bangladesh Army field", "World Organization of"
    last = len(words)
    while last > 1 and _loose(text[words[last - 1][0] : words[last - 1][1]]):
        last -= 1
    # leading lower-case words: "national Scouting" (not "de Gaulle" or "van Gogh")
    first = 0
    while first < last - 1 and _loose(text[words[first][0] : words[first][1]]) and \
            text[words[first][0] : words[first][1]] not in _PARTICLES:
        first += 1
    start, end = words[first][0], words[last - 1][1]
    tail = _COMPANY_TAIL.match(text, end)
    if tail:
        end = tail.end()
    return m if (start, end) == (m.start, m.end) else Mention(text[start:end], start, end, m.type)


_PARTICLES = frozenset({"de", "van", "von", "der", "la", "le", "al", "el", "du", "da", "di", "bin", "ibn"})


def _loose(word: str) -> bool:
    """A lower-case word or a bare connector: not how a name starts or ends."""
    return word[:1].islower() or word in ("&", "-", "–")


# ---------------------------------------------------------------- putting it together


def apply_organisation_rules(text: str, mentions: Sequence[Mention],
                             known: Sequence[GazetteerMatch] = ()) -> list[Mention]:
    """``mentions`` (the tagger's, merged with the gazetteer's ``known`` matches) with the
    organisation rules of this module applied; sorted by start."""
    cleaned = [c for c in (_clean(text, m) for m in mentions) if c is not None]
    cleaned.sort(key=lambda m: (m.start, -m.end))
    # facilities and events the tagger called organisations
    for i, m in enumerate(cleaned):
        if m.type == "ORG" and _facility(m.text.split()):
            cleaned[i] = Mention(m.text, m.start, m.end, "LOC")
        elif m.type == "ORG" and len(m.text.split()) >= 2 and m.text.split()[-1] in EVENT_HEADS:
            cleaned[i] = Mention(m.text, m.start, m.end, "MISC")
    known_spans = sorted((g.start, g.end) for g in known if not g.weak and g.type != "NORP")
    known_starts = [a for a, _ in known_spans]
    starts = [m.start for m in cleaned]
    reach = _running_reach(cleaned)
    out = list(cleaned)
    drop: set[int] = set()
    for org in find_organisations(text):
        # a known name that contains or crosses the match wins ("West Bank", "European Union"); the
        # known names are disjoint, so only the first and the last that overlap it can do that
        first, last = bisect_right(known_starts, org.start) - 1, bisect_left(known_starts, org.end) - 1
        if any(0 <= k and known_spans[k][1] > org.start and (
                known_spans[k][0] < org.start or known_spans[k][1] > org.end
                or known_spans[k] == (org.start, org.end)) for k in {first, last}):
            continue
        # the mentions overlapping the match: from the first that reaches past its start
        lo = bisect_right(reach, org.start)
        hi = bisect_left(starts, org.end)
        overlapping = [i for i in range(lo, hi) if cleaned[i].end > org.start and i not in drop]
        same = next((i for i in overlapping if (cleaned[i].start, cleaned[i].end) == (org.start, org.end)), None)
        if same is not None and cleaned[same].type in ("GPE", "LOC"):
            continue  # the tagger reads a place ("La Union", "Soviet Union")
        container = next((i for i in overlapping if cleaned[i].start <= org.start and org.end <= cleaned[i].end
                          and i != same), None)
        if container is not None:
            c = cleaned[container]
            if c.start == org.start and text[org.end : org.end + 2] in ("'s", "’s"):
                drop.add(container)  # "University of Mostar's Medical Faculty": the name ends at the possessive
                out.append(Mention(text[org.start : org.end], org.start, org.end, org.type))
            elif org.head_last and c.end == org.end and c.type in ("MISC", "PERSON") and org.type == "ORG":
                out[container] = Mention(c.text, c.start, c.end, "ORG")  # "Tea Party" tagged MISC
            continue
        drop.update(overlapping)
        out.append(Mention(text[org.start : org.end], org.start, org.end, org.type))
    out = [m for i, m in enumerate(out) if i >= len(cleaned) or i not in drop]
    out = _governments(text, out)
    out.extend(_bare_acronyms(text, out))
    # acronyms the text defines, everywhere they occur
    out.sort(key=lambda m: (m.start, -m.end))
    definitions = acronym_definitions(text, out)
    if definitions:
        extra = _acronym_mentions(text, definitions)
        by_span = {(m.start, m.end): i for i, m in enumerate(out)}
        starts = [m.start for m in out]
        reach = _running_reach(out)
        for a in extra:
            i = by_span.get((a.start, a.end))
            if i is not None:
                if out[i].type != a.type:
                    out[i] = Mention(out[i].text, a.start, a.end, a.type)
                continue
            j = bisect_left(starts, a.end)
            if j and reach[j - 1] > a.start:
                continue  # inside or across another mention
            out.append(a)
    out.sort(key=lambda m: (m.start, m.end))
    return out


# All-capital words that are not organisations' names.
_NOT_NAMES = frozenset("""
    CEO CFO COO CTO CIO GDP GNP DNA RNA HIV AIDS USB PDF FAQ ATM VIP MVP BCE UFO PHD VAT GMT UTC EST EDT PST PDT
    CET CEST BST RSS URL HTML HTTP API ICU CCTV GPS LED LCD DVD MRI ADHD PTSD FYI ASAP DIY RIP OMG LOL AKA TBA TBD
    ETA SUV LGBT LGBTQ COVID SARS MERS NOT AND THE FOR BUT YES NEW END WAR OUT ALL WHO WHAT WHY HOW NOW LIVE UPDATE
    BREAKING WATCH READ MORE VIDEO PHOTO PHOTOS AUDIO NEWS EDITOR NOTE OPINION ANALYSIS EXCLUSIVE UPDATED CORRECTION
    USD EUR GBP JPY CNY CHF KG KM MPH KPH AM PM CST PPE IVF EV EVS IPO ETF ESG NFT NFTS CPU GPU RAM ROM SMS MMS
""".split())
_ROMAN = re.compile(r"[IVXLCDM]+")
_BARE_ACRONYM = re.compile(r"(?<![\w.&-])[A-Z]{3,6}(?![\w&-]|\.\w)")


def _bare_acronyms(text: str, mentions: Sequence[Mention]) -> list[Mention]:
    """All-capital words (3 to 6 letters) in mixed-case text that no mention covers: an
    organisation's short name far more often than not in news ("NASA celebrated ..."), unless the
    same word was found with another type elsewhere in the text."""
    ordered = sorted(mentions, key=lambda m: m.start)
    starts = [m.start for m in ordered]
    reach = _running_reach(ordered)
    typed = {m.text: m.type for m in ordered}
    out: list[Mention] = []
    for m in _BARE_ACRONYM.finditer(text):
        word = m.group()
        if word in _NOT_NAMES or _ROMAN.fullmatch(word) or typed.get(word, "ORG") != "ORG":
            continue
        j = bisect_left(starts, m.end())
        if j and reach[j - 1] > m.start():
            continue
        if _shouted(text, m.start(), m.end()):
            continue
        out.append(Mention(word, m.start(), m.end(), "ORG"))
    return out


_WORD = re.compile(r"[A-Za-z]{2,}")


def _shouted(text: str, start: int, end: int) -> bool:
    """Whether the words around [start, end) are in capitals too (a headline, a shouted line)."""
    before = _WORD.findall(text, max(0, start - 30), start)[-2:]
    after = _WORD.findall(text, end, end + 30)[:2]
    words = before + after
    return not words or all(w.isupper() for w in words)


_GOVERNMENT = re.compile(r"\s(?:[Gg]overnment|[Aa]dministration|[Rr]egime)(?!\w)")


def _governments(text: str, mentions: list[Mention]) -> list[Mention]:
    """"the French government": a nationality before "government" makes an organisation."""
    out = []
    for m in mentions:
        g = _GOVERNMENT.match(text, m.end) if m.type == "NORP" else None
        if g:
            m = Mention(text[m.start : g.end()], m.start, g.end(), "ORG")
        out.append(m)
    return out


def _running_reach(mentions: Sequence[Mention]) -> list[int]:
    reach: list[int] = []
    best = -1
    for m in mentions:
        best = max(best, m.end)
        reach.append(best)
    return reach
