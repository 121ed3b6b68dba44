"""Canonical actors: the mentions of one document grouped into actors, and an in-memory index
that recognises a document's actors among those seen before.

Within a document (:func:`build_actors`):

* A PERSON mention takes in the capitalised titles right before it ("Ayatollah Ali Khamenei",
  "Supreme Leader Ayatollah Ali Khamenei"). Possessives are never part of a mention
  ("Khamenei's" -> "Khamenei").
* The same surface (case-folded) gets one type: the gazetteer's when it knows the name,
  otherwise the majority; a lone word that is the surname of a full PERSON name in the text is
  that person ("Khamenei" tagged ORG once is still Khamenei).
* PERSON mentions merge when their names agree under rapidfuzz's ``token_set_ratio`` (one
  name's words inside the other's: "Khamenei" / "Ali Khamenei") and, when both have a first
  name, first names and surnames agree too ("Mojtaba Khamenei" is not "Ali Khamenei"). A bare
  surname shared by two people goes to the nearest one mentioned before it.
* Places and organisations merge on the gazetteer's canonical name ("U.S.", "United States",
  "America" -> "United States"), on acronyms the text defines ("Rail Workers' Union (RWU)",
  whatever the letters) or that are the name's initials ("UN" / "United Nations") and on
  spelling variants (rapidfuzz ``ratio`` >= 92).
* "the union", "the ministry" (lower-case head, after the name) is one more mention of the only
  organisation of the text whose name ends in that word ("Rail Workers' Union"); it is neither
  an alias nor, with no such organisation, an actor.
* Roles: "Iran's Supreme Leader Ayatollah Ali Khamenei", "French President Emmanuel Macron" and
  "Ali Khamenei, Iran's Supreme Leader," make the qualified role ("Iran's Supreme Leader",
  "French President") an alias of the person. A bare role ("the president") is not an alias.

The actor's ``name``: for a person, the longest full name without titles ("Ali Khamenei"); for a
known country or organisation, the gazetteer's canonical name; otherwise the most frequent
form (the longest non-acronym one for organisations). ``aliases``: every other form seen in the
text (with and without titles) and the roles, in order of appearance; never the name itself.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

from rapidfuzz import fuzz, process

from summarizer.actors.gazetteer import (
    LEADING_TITLES,
    OFFICE_AT_START,
    OFFICE_ONLY,
    OFFICE_PATTERN,
    ONE_LEADING_TITLE,
    TITLE_BEFORE,
    TITLE_WORD,
    Gazetteer,
    default_gazetteer,
)
from summarizer.actors.organisations import acronym_definitions
from summarizer.types import Actor, EntityType, Mention

log = logging.getLogger(__name__)

ACTOR_TYPES: tuple[EntityType, ...] = ("PERSON", "ORG", "GPE", "LOC")
# a bound on the work per document: grouping compares a new name with the names seen so far, so
# it grows with the square of the mentions; an article has a few hundred, a name list thousands
MAX_MENTIONS = 1500
_QUALIFIER_TYPES = {"GPE", "LOC", "ORG", "NORP"}
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_OFFICE_BEFORE = re.compile(rf"(?<![\w-])(?:{OFFICE_PATTERN})\s+$", re.IGNORECASE)
_APPOSITION = re.compile(r",\s+(?:the\s+)?")
_POSSESSIVE_OR_SPACE = re.compile(r"['’]s\s+|\s+")
_OF = re.compile(r"\s+of\s+")
_ROLE_END = re.compile(
    r"\s*(?:[,.;:)]|—|–|$)|\s+(?:said|says|told|who|has|had|is|was|will|would|warned|added|declared|stated)\b")


def _place_key(kind: EntityType) -> str:
    return "PLACE" if kind in ("GPE", "LOC") else kind


@lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().casefold()


def strip_titles(name: str) -> str:
    """"Ayatollah Ali Khamenei" -> "Ali Khamenei"; a name that is only a title is kept."""
    m = LEADING_TITLES.match(name)
    return name[m.end() :] if m and m.end() < len(name) else name


def title_variants(name: str) -> list[str]:
    """"Supreme Leader Ayatollah Ali Khamenei" -> itself, "Ayatollah Ali Khamenei", "Ali Khamenei"."""
    out = [name]
    while True:
        m = ONE_LEADING_TITLE.match(out[-1])
        if not m or m.end() >= len(out[-1]):
            return out
        out.append(out[-1][m.end() :])


def _only_titles(text: str) -> bool:
    """"President", "Lt. Gen.", "Supreme Leader Ayatollah": titles and nothing else."""
    return strip_titles(text.strip() + " x") == "x"


def _strip_possessive(text: str) -> str:
    return _POSSESSIVE.sub("", text).rstrip()


@lru_cache(maxsize=8192)
def _tokens(name: str) -> tuple[str, ...]:
    return tuple(name.split())


def _acronym(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Za-z][\w'-]*", name) if w[0].isupper())


def _letters(short: str) -> str:
    return short.replace(".", "").replace(" ", "")


def _is_acronym_of(short: str, long: str) -> bool:
    letters = _letters(short)
    return len(letters) >= 2 and letters.isupper() and len(_tokens(long)) >= 2 and letters == _acronym(long)


def _first_names_agree(a: str, b: str) -> bool:
    a, b = a.rstrip(".").casefold(), b.rstrip(".").casefold()
    if not a or not b:  # a "first name" of full stops only (found by fuzzing: IndexError)
        return a == b
    if len(a) == 1 or len(b) == 1:  # an initial
        return a[0] == b[0]
    return fuzz.ratio(a, b) >= 85


_SUFFIX = re.compile(r",?\s+(?:Jr\.?|Sr\.?|II|III|IV)$")


def person_names_agree(a: str, b: str) -> bool:
    """Could two (title-free) person names be the same person? Words of one inside the other,
    and when both have a first name and a surname, both agree ("Jr." and the like aside)."""
    a, b = _SUFFIX.sub("", a), _SUFFIX.sub("", b)
    if fuzz.token_set_ratio(_fold(a), _fold(b)) < 90:
        return False
    ta, tb = _tokens(a), _tokens(b)
    if len(ta) >= 2 and len(tb) >= 2:
        return fuzz.ratio(_fold(ta[-1]), _fold(tb[-1])) >= 85 and _first_names_agree(ta[0], tb[0])
    return True


def _names_conflict(a: str, b: str) -> bool:
    """Two full personal names that cannot be the same person ("Ali Khamenei" / "Mojtaba Khamenei").
    A role ("Iran's Supreme Leader") or a single name conflicts with nothing."""
    if TITLE_WORD.search(a) or TITLE_WORD.search(b):
        return False
    if len(_tokens(a)) < 2 or len(_tokens(b)) < 2:
        return False
    return not person_names_agree(a, b)


def _surname_match(single: str, full: str) -> bool:
    tokens = _tokens(_SUFFIX.sub("", full))
    return fuzz.ratio(_fold(single), _fold(tokens[-1])) >= 90


@dataclass
class _Cluster:
    kind: EntityType
    mentions: list[Mention] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # title-free names, one per mention
    canonical: str | None = None
    roles: list[tuple[int, str]] = field(default_factory=list)  # (position, role alias)
    # kept up to date by add(), so that no lookup walks every mention of a cluster again
    full: str = ""  # the name with the most words (then characters), the first such
    distinct: dict[str, None] = field(default_factory=dict)  # the names, once each, in order
    starts: list[int] = field(default_factory=list)  # the mentions' starts, sorted
    slot: int = -1  # its index in its _Group

    def add(self, mention: Mention, name: str) -> None:
        self.mentions.append(mention)
        self.names.append(name)
        if not self.full or (len(_tokens(name)), len(name)) > (len(_tokens(self.full)), len(self.full)):
            self.full = name
        self.distinct.setdefault(name, None)
        insort(self.starts, mention.start)


@dataclass
class _Group:
    """The clusters of one kind ("PLACE" for GPE and LOC), with lookups by canonical name, by
    folded name and by acronym, each giving the earliest cluster."""

    clusters: list[_Cluster] = field(default_factory=list)
    by_canonical: dict[str, _Cluster] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)  # folded name -> cluster index
    by_acronym: dict[str, int] = field(default_factory=dict)  # acronym of a long name -> index
    by_letters: dict[str, int] = field(default_factory=dict)  # an acronym's letters ("U.N." -> "UN") -> index
    # for the spelling match: the folded names of clusters without a canonical name, in the order
    # they came (None once their cluster has a canonical name), and the cluster of each
    spellings: list[str | None] = field(default_factory=list)
    spelled_by: list[int] = field(default_factory=list)

    def add_name(self, cluster: _Cluster, name: str) -> None:
        """Before ``cluster.add(..., name)``."""
        index = cluster.slot
        if not cluster.canonical and name not in cluster.distinct:
            self.spellings.append(_fold(name))
            self.spelled_by.append(index)
        _keep_first(self.by_key, _fold(name), index)
        if len(_tokens(name)) >= 2:
            _keep_first(self.by_acronym, _acronym(name), index)
        letters = _letters(name)
        if len(letters) >= 2 and letters.isupper():
            _keep_first(self.by_letters, letters, index)


    def now_canonical(self, cluster: _Cluster, canonical: str) -> None:
        self.by_canonical.setdefault(canonical, cluster)
        for k, owner in enumerate(self.spelled_by):
            if owner == cluster.slot:
                self.spellings[k] = None


def _keep_first(lookup: dict[str, int], key: str, index: int) -> None:
    lookup[key] = min(lookup.get(key, index), index)


# ---------------------------------------------------------------- within a document


@dataclass(frozen=True, slots=True)
class _Taken:
    """The spans of a document's mentions: starts in order and the furthest end so far."""

    starts: list[int]
    reach: list[int]

    @classmethod
    def of(cls, mentions: Sequence[Mention]) -> _Taken:
        ordered = sorted(mentions, key=lambda m: m.start)
        return cls([m.start for m in ordered], list(accumulate((m.end for m in ordered), max)))

    def crossed(self, start: int, before: int) -> bool:
        """Whether a mention starting before ``before`` reaches past ``start``."""
        i = bisect_left(self.starts, before)
        return i > 0 and self.reach[i - 1] > start


def _extend_titles(text: str, mention: Mention, taken: _Taken) -> Mention:
    """The PERSON mention with the capitalised titles right before it."""
    window_start = max(0, mention.start - 80)
    m = TITLE_BEFORE.search(text, window_start, mention.start)
    if not m:
        return mention
    start = m.start()
    while start < mention.start and not text[start].isupper():  # "former President Trump"
        nxt = text.find(" ", start, mention.start)
        if nxt < 0:
            return mention
        start = nxt + 1
        while start < mention.start and text[start].isspace():
            start += 1
    if start >= mention.start:
        return mention
    # the titles must start at a word boundary and not cross another mention
    if start > 0 and (text[start - 1].isalnum()):
        return mention
    if taken.crossed(start, mention.start):  # another mention inside the titles
        return mention
    return Mention(text[start : mention.end], start, mention.end, mention.type)


def _qualifier_before(text: str, pos: int, by_end: dict[int, Mention]) -> Mention | None:
    """The place, organisation or nationality ending right before ``pos`` ("Iran's ", "French ")."""
    q_end = pos
    while q_end > 0 and text[q_end - 1].isspace():
        q_end -= 1
    if q_end == pos:
        return None
    if text[q_end - 2 : q_end] in ("'s", "’s"):
        q_end -= 2
    qualifier = by_end.get(q_end)
    return qualifier if qualifier and qualifier.type in _QUALIFIER_TYPES else None


def _role_before(text: str, mention: Mention, by_end: dict[int, Mention]) -> tuple[int, str] | None:
    """"Iran's Supreme Leader Ayatollah Ali Khamenei" -> "Iran's Supreme Leader"; also lower-case
    offices before the name: "Iran's foreign minister Abbas Araghchi" -> "Iran's foreign minister"."""
    office = OFFICE_AT_START.match(text, mention.start, mention.end)
    if office and office.end() < mention.end:
        office_start, office_end = mention.start, office.end()
    else:
        before = _OFFICE_BEFORE.search(text, max(0, mention.start - 60), mention.start)
        if not before:
            return None
        office_start, office_end = before.start(), before.start() + len(before.group(0).rstrip())
    qualifier = _qualifier_before(text, office_start, by_end)
    if qualifier is None:
        return None
    return qualifier.start, text[qualifier.start : office_end]


def _role_after(text: str, mention: Mention, by_start: dict[int, Mention]) -> tuple[int, str] | None:
    """"Ali Khamenei, Iran's Supreme Leader," / "Khamenei, the supreme leader of Iran," -> the role."""
    end = mention.end
    if text[end : end + 2] in ("'s", "’s"):
        return None
    m = _APPOSITION.match(text, end)
    if not m:
        return None
    pos = m.end()
    qualifier = by_start.get(pos)
    if qualifier and qualifier.type in _QUALIFIER_TYPES:
        after_q = qualifier.end
        sep = _POSSESSIVE_OR_SPACE.match(text, after_q)
        if sep:
            office = OFFICE_ONLY.match(text, sep.end())
            if office and _ROLE_END.match(text, office.end()):
                return qualifier.start, text[qualifier.start : office.end()]
        return None
    office = OFFICE_ONLY.match(text, pos)
    if office:
        of = _OF.match(text, office.end())
        if of:
            qualifier = by_start.get(of.end())
            if qualifier and qualifier.type in _QUALIFIER_TYPES and _ROLE_END.match(text, qualifier.end):
                return pos, text[pos : qualifier.end]
    return None


def _harmonise_types(mentions: list[Mention], gazetteer: Gazetteer) -> list[Mention]:
    votes: dict[str, Counter[EntityType]] = {}
    for m in mentions:
        votes.setdefault(_fold(strip_titles(m.text)), Counter())[m.type] += 1
    full_person_surnames = {
        _fold(_tokens(strip_titles(m.text))[-1])
        for m in mentions
        if m.type == "PERSON" and len(_tokens(strip_titles(m.text))) >= 2
    }
    out = []
    for m in mentions:
        key = _fold(strip_titles(m.text))
        known = gazetteer.kind_of(m.text)
        if known in ("GPE", "LOC", "ORG"):
            kind: EntityType = known
        elif len(_tokens(key)) == 1 and key in full_person_surnames and m.type in ACTOR_TYPES:
            kind = "PERSON"
        else:
            kind = max(votes[key].items(), key=lambda kv: (kv[1], kv[0] == m.type))[0]
        out.append(m if kind == m.type else Mention(m.text, m.start, m.end, kind))
    return out


def _cluster_person(people: list[_Cluster], mention: Mention, name: str) -> _Cluster | None:
    if not people:
        return None
    fulls = [c.full for c in people]
    hits = process.extract(name, fulls, scorer=fuzz.token_set_ratio, processor=_fold, score_cutoff=90,
                           limit=None)
    candidates = [people[i] for _, _, i in hits if person_names_agree(name, fulls[i])]
    if len(_tokens(name)) == 1 and candidates:
        by_surname = [c for c in candidates if _surname_match(name, c.full)]
        candidates = by_surname or candidates
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]

    def nearest_before(c: _Cluster) -> tuple[int, int]:
        i = bisect_left(c.starts, mention.start)
        return (1, c.starts[i - 1]) if i else (0, -c.starts[0])

    return max(candidates, key=nearest_before)


def _cluster_other(group: _Group, name: str, canonical: str | None,
                   defined: dict[str, str] | None = None) -> _Cluster | None:
    """The cluster with the same canonical name, else the long name the text defines this
    acronym for ("Rail Workers' Union (RWU)"), else the earliest with the same name or an
    acronym of it (either way), else the closest spelling of a cluster without a canonical name."""
    if not group.clusters:
        return None
    if canonical and canonical in group.by_canonical:
        return group.by_canonical[canonical]
    key = _fold(name)
    long = (defined or {}).get(name)
    if long is not None and _fold(long) in group.by_key:
        return group.clusters[group.by_key[_fold(long)]]
    letters = _letters(name)
    found = [group.by_key.get(key), group.by_acronym.get(letters) if len(letters) >= 2 and letters.isupper() else None,
             group.by_letters.get(_acronym(name)) if len(_tokens(name)) >= 2 else None]
    hits = [i for i in found if i is not None]
    if hits:
        return group.clusters[min(hits)]
    if len(key) >= 5:
        best = process.extractOne(key, group.spellings, scorer=fuzz.ratio, score_cutoff=92)
        if best:  # the closest spelling; of equals, the one seen first
            return group.clusters[group.spelled_by[best[2]]]
    return None


def build_actors(text: str, mentions: Iterable[Mention], gazetteer: Gazetteer | None = None,
                 types: Sequence[EntityType] = ACTOR_TYPES) -> list[Actor]:
    """Group ``mentions`` (from :class:`~summarizer.actors.ner.EntityRecognizer`) into actors,
    sorted by first mention."""
    gaz = gazetteer or default_gazetteer()
    all_mentions = sorted(mentions, key=lambda m: (m.start, -m.end))
    # possessives out of the span
    cleaned: list[Mention] = []
    for m in all_mentions:
        stripped = _strip_possessive(m.text) if m.type in ACTOR_TYPES else m.text
        if stripped != m.text and stripped:
            m = Mention(stripped, m.start, m.start + len(stripped), m.type)
        cleaned.append(m)
    cleaned = _harmonise_types(cleaned, gaz)
    taken = _Taken.of(cleaned)
    by_end = {m.end: m for m in cleaned}
    by_start = {m.start: m for m in cleaned}
    # a title alone ("President", "Lt. Gen.") names nobody, unless it is a surname here ("Stephen King")
    surnames = {_fold(_tokens(m.text)[-1]) for m in cleaned if m.type == "PERSON" and len(_tokens(m.text)) >= 2}
    actors_in = [m for m in cleaned if m.type in ACTOR_TYPES and not (
        m.type == "PERSON" and _only_titles(m.text) and _fold(m.text) not in surnames)]
    if len(actors_in) > MAX_MENTIONS:
        log.info("%d actor mentions; only the first %d are grouped", len(actors_in), MAX_MENTIONS)
        actors_in = actors_in[:MAX_MENTIONS]
    extended = [_extend_titles(text, m, taken) if m.type == "PERSON" else m for m in actors_in]
    # acronyms the text defines: "Rail Workers' Union (RWU)" -> {"RWU": "Rail Workers' Union"}
    defined = {short.text: re.sub(r"^(?:the|The)\s+", "", long.text)
               for long, short in acronym_definitions(text, actors_in) if long.type != "PERSON"}

    clusters: list[_Cluster] = []
    people: list[_Cluster] = []
    groups: dict[str, _Group] = {}
    # full names first, so that a bare surname finds the person however early it comes
    order = sorted(range(len(extended)), key=lambda i: (-len(_tokens(strip_titles(extended[i].text))),
                                                         extended[i].start))
    for i in order:
        m = extended[i]
        name = strip_titles(m.text) if m.type == "PERSON" else re.sub(r"^(?:the|The)\s+", "", m.text)
        canonical = gaz.canonical(m.text, m.type) if m.type != "PERSON" else None
        group = groups.setdefault(_place_key(m.type), _Group())
        if m.type == "PERSON":
            cluster = _cluster_person(people, m, name)
        else:
            cluster = _cluster_other(group, name, canonical, defined)
        if cluster is None:
            cluster = _Cluster(m.type, canonical=canonical)
            clusters.append(cluster)
            cluster.slot = len(group.clusters)
            group.clusters.append(cluster)
            if m.type == "PERSON":
                people.append(cluster)
            if canonical:
                group.by_canonical.setdefault(canonical, cluster)
        if m.type != "PERSON":
            group.add_name(cluster, name)
        cluster.add(m, name)
        if canonical and not cluster.canonical:
            cluster.canonical = canonical
            group.now_canonical(cluster, canonical)
        if m.type == "GPE":
            cluster.kind = "GPE"
        if m.type == "PERSON":
            role = _role_before(text, m, by_end) or _role_after(text, m, by_start)
            if role:
                cluster.roles.append(role)

    anaphors = _definite_anaphors(text, clusters, taken)
    actors = []
    for c in clusters:
        if c.kind not in types:
            continue
        c.mentions.sort(key=lambda m: m.start)
        name = _actor_name(c)
        seen = {_fold(name)}
        aliases: list[str] = []
        forms: list[tuple[int, str]] = []
        for m, n in zip(c.mentions, c.names, strict=True):
            forms.extend((m.start, v) for v in title_variants(m.text) if c.kind == "PERSON" or v == m.text)
            forms.append((m.start, n))
        forms.extend(c.roles)
        for _, form in sorted(forms, key=lambda f: f[0]):
            key = _fold(form)
            if key not in seen:
                seen.add(key)
                aliases.append(form)
        mentions_out = sorted([*c.mentions, *anaphors.get(id(c), ())], key=lambda m: m.start)
        actors.append(Actor(name=name, type=c.kind, aliases=tuple(aliases), mentions=tuple(mentions_out)))
    actors.sort(key=lambda a: a.mentions[0].start)
    return actors


# "the union", "the ministry": a definite description that names the one organisation of the text
# whose name ends in that word. Neither alias nor actor on its own.
_ANAPHOR_HEADS = frozenset({
    "union", "party", "ministry", "department", "council", "committee", "commission", "agency", "bank",
    "university", "association", "federation", "institute", "club", "league", "army", "board", "foundation",
    "trust", "authority", "alliance", "coalition", "parliament", "assembly", "senate", "court", "tribunal",
})
_ANAPHOR = re.compile(r"(?<![\w-])[Tt]he\s(" + "|".join(sorted(_ANAPHOR_HEADS)) + r")(?![\w-])")


def _definite_anaphors(text: str, clusters: Sequence[_Cluster], taken: _Taken) -> dict[int, list[Mention]]:
    """Per organisation cluster (by ``id``), the "the union" mentions after its first mention,
    where it is the only organisation of the text whose name ends in that word."""
    owners: dict[str, list[_Cluster]] = {}
    for c in clusters:
        if c.kind != "ORG":
            continue
        heads = {n.split()[-1].casefold() for n in c.distinct if n.split()}
        for head in heads & _ANAPHOR_HEADS:
            owners.setdefault(head, []).append(c)
    owners = {h: cs for h, cs in owners.items() if len(cs) == 1}
    out: dict[int, list[Mention]] = {}
    if not owners:
        return out
    for k, m in enumerate(_ANAPHOR.finditer(text)):
        if k >= MAX_MENTIONS:  # a bound on a text of nothing but "the union"
            break
        head = m.group(1)
        cs = owners.get(head)
        if not cs or taken.crossed(m.start(), m.end()) or m.start() < cs[0].starts[0]:
            continue
        out.setdefault(id(cs[0]), []).append(Mention(m.group(), m.start(), m.end(), "ORG"))
    return out


def _actor_name(c: _Cluster) -> str:
    if c.canonical:
        return c.canonical
    if c.kind == "PERSON":
        return c.full
    counts = Counter(c.names)
    candidates = [n for n in counts if not (c.kind == "ORG" and n.replace(".", "").isupper() and len(counts) > 1)]
    return max(candidates or list(counts), key=lambda n: (counts[n], len(n)))


# ---------------------------------------------------------------- across documents


@dataclass(frozen=True, slots=True)
class KnownActor:
    """An actor in the index: a stable id, its canonical name, type and every alias seen."""

    id: str
    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()
    count: int = 1  # documents it was seen in

    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def _slug(name: str) -> str:
    folded = _fold(name)
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "actor"


def _compatible(a: EntityType, b: EntityType) -> bool:
    return _place_key(a) == _place_key(b)


class ActorIndex:
    """Known actors across documents, in memory (the bot persists :meth:`to_records`).

    :meth:`resolve` finds the known actor a document's actor is: same type (GPE and LOC count as
    one), and rapidfuzz over both actors' names and aliases above ``threshold``; for people
    ``token_set_ratio`` (so "Khamenei" finds "Ali Khamenei") with first names and surnames
    checked on the full names ("Mojtaba Khamenei" does not find "Ali Khamenei"); for other types
    ``ratio`` plus acronyms ("UN" / "United Nations"). Ties go to the actor seen in more
    documents; an unresolvable tie resolves to nothing.
    """

    def __init__(self, actors: Iterable[KnownActor] = (), threshold: float = 90.0) -> None:
        self.threshold = threshold
        self._actors: dict[str, KnownActor] = {}
        for a in actors:
            self._actors[a.id] = a

    def __len__(self) -> int:
        return len(self._actors)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._actors.values()))

    def get(self, actor_id: str) -> KnownActor | None:
        return self._actors.get(actor_id)

    def _score(self, actor: Actor, known: KnownActor) -> tuple[float, float]:
        """(match score, closeness): the best rapidfuzz score of any form of ``actor`` against any
        form of ``known`` (0 below the threshold), and the mean over ``actor``'s forms of their best
        plain ``ratio`` to break ties ("Ayatollah Khamenei" is closer to "Ayatollah Ali Khamenei")."""
        forms_a = [actor.name, *actor.aliases]
        forms_b = list(known.forms())
        if actor.type == "PERSON":
            if _names_conflict(strip_titles(actor.name), strip_titles(known.name)):
                return 0.0, 0.0
            scorer = fuzz.token_set_ratio
        else:
            scorer = fuzz.ratio
            if any(_is_acronym_of(fa, fb) or _is_acronym_of(fb, fa) for fa in forms_a for fb in forms_b):
                return 100.0, 100.0
        matrix = process.cdist(forms_a, forms_b, scorer=scorer, processor=_fold)
        best = float(matrix.max()) if matrix.size else 0.0
        if best < self.threshold:
            return 0.0, 0.0
        closeness = process.cdist(forms_a, forms_b, scorer=fuzz.ratio, processor=_fold)
        return best, float(closeness.max(axis=1).mean())  # how close every form of ``actor`` comes

    def resolve(self, actor: Actor) -> KnownActor | None:
        """The known actor ``actor`` is, or None (nothing close enough, or a tie)."""
        scored = []
        for known in self._actors.values():
            if not _compatible(actor.type, known.type):
                continue
            best, closeness = self._score(actor, known)
            if best >= self.threshold:
                scored.append((best, closeness, known.count, known))
        if not scored:
            return None
        scored.sort(key=lambda t: t[:3], reverse=True)
        if len(scored) > 1 and scored[0][:3] == scored[1][:3]:
            return None
        return scored[0][3]

    def add(self, actor: Actor) -> KnownActor:
        """Record ``actor``: merged into the known actor it resolves to (new aliases added, the
        longer full name kept for people), or added as a new one. Returns the stored entry."""
        known = self.resolve(actor)
        if known is None:
            base = f"{actor.type.lower()}:{_slug(actor.name)}"
            actor_id, n = base, 2
            while actor_id in self._actors:
                actor_id, n = f"{base}-{n}", n + 1
            entry = KnownActor(actor_id, actor.name, actor.type, tuple(dict.fromkeys(
                a for a in actor.aliases if _fold(a) != _fold(actor.name))), 1)
        else:
            name = known.name
            if actor.type == "PERSON" and len(_tokens(strip_titles(actor.name))) > len(_tokens(name)):
                name = strip_titles(actor.name)
            seen = {_fold(name)}
            aliases = []
            for a in (*known.aliases, known.name, actor.name, *actor.aliases):
                if _fold(a) not in seen:
                    seen.add(_fold(a))
                    aliases.append(a)
            entry = KnownActor(known.id, name, known.type, tuple(aliases), known.count + 1)
        self._actors[entry.id] = entry
        return entry

    def add_all(self, actors: Iterable[Actor]) -> list[KnownActor]:
        return [self.add(a) for a in actors]

    def to_records(self) -> list[dict[str, object]]:
        return [{"id": a.id, "name": a.name, "type": a.type, "aliases": list(a.aliases), "count": a.count}
                for a in self._actors.values()]

    @classmethod
    def from_records(cls, records: Iterable[dict[str, object]], threshold: float = 90.0) -> ActorIndex:
        actors = []
        for r in records:
            aliases = r.get("aliases") or ()
            actors.append(KnownActor(str(r["id"]), str(r["name"]), r["type"],  # type: ignore[arg-type]
                                     tuple(str(a) for a in aliases),  # type: ignore[union-attr]
                                     int(r.get("count", 1))))  # type: ignore[call-overload]
        return cls(actors, threshold)
