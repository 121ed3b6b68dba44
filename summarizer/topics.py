"""Subscription topics: does an article belong to a topic such as "Iran Israel tensions"?

A ``Topic`` is a phrase plus optional keywords. Keywords are plain words or phrases; a leading
``-`` excludes, a leading ``+`` requires:

* ``-keyword`` **narrows**: an article naming it anywhere (title or text) never matches;
* ``+keyword`` **narrows**: every required keyword must appear somewhere in the article;
* a plain ``keyword`` **widens**: it matches an article that is *about* it - named in the title or
  the lead (first two sentences), or at least ``keyword_min_hits`` times in the body - even when
  the semantic similarity is low. A keyword mentioned once in passing deep in the text does not.

Within those limits an article matches when any of these holds (``TopicMatch.via`` says which):

1. ``similarity`` - cosine of the phrase embedding with the article's title+lead embedding
   (``summarizer.stories.embed_candidate_text``; pass the one you already have) reaches
   ``threshold``;
2. ``keyword`` - a plain keyword is found as above;
3. ``phrase`` - every content word of the phrase appears in the title or lead (so topic "interest
   rates" matches an article whose lead says "interest rate"), when ``phrase_terms`` is on;
4. ``actors`` - at least ``min_actors`` of the article's actors are named in the topic and the
   similarity is within ``actor_margin`` of the threshold.

Terms are matched case-insensitively on word boundaries with light plural tolerance ("tariff"
finds "tariffs", "policy" finds "policies", "Israel" finds "Israel's"). Only the phrase embedding is
computed here (cached); ``match_many`` scores one article against many topics with one article
embedding and one batch of phrase embeddings.

The default threshold (0.40) comes from hand-written articles with the bundled MiniLM: on-topic
articles score 0.40-0.61 against short phrases, near misses (same country, other subject) up to 0.36
and unrelated ones below 0.2; short phrases score low against long leads, which is what keywords
are for.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from summarizer.stories import embed_candidate_text

if TYPE_CHECKING:
    from summarizer.embeddings import Embedder

MatchVia = Literal["similarity", "keyword", "phrase", "actors"]

DEFAULT_THRESHOLD = 0.40

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_STOPWORDS = frozenset(
    "a an the and or but of in on at to for from by with without about into over under after before between "
    "against during as is are was were be been news latest update updates new vs versus".split()
)
_NO_STEM = frozenset({"news", "series", "species", "gas", "bus", "lens", "chaos", "christmas", "texas", "paris",
                      "athens", "mars", "atlas", "analysis", "crisis", "basis", "thesis", "us", "isis"})
# last words of multi-word names that are too generic to stand for the whole name
_GENERIC_NAME_TAIL_WORDS = frozenset({
    "union", "states", "nations", "kingdom", "republic", "bank", "party", "council", "court", "ministry",
    "forces", "army", "government", "agency", "commission", "parliament", "company", "group", "motors",
    "corporation", "office", "department", "service", "authority", "league", "city", "club", "east", "west",
    "north", "south", "fund", "reserve", "organization", "organisation", "committee",
})


def stem(word: str) -> str:
    """A light, symmetric normaliser: lower case, no possessive, singular-ish, no final e/y."""
    t = _POSSESSIVE.sub("", word.casefold())
    if t in _NO_STEM:
        return t
    if len(t) > 4 and t.endswith("ies"):
        t = t[:-3] + "i"
    elif len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        t = t[:-1]
    if len(t) > 3 and t.endswith("e"):
        t = t[:-1]
    if len(t) > 3 and t.endswith("y"):
        t = t[:-1] + "i"
    return t


_GENERIC_TAILS = frozenset(stem(w) for w in _GENERIC_NAME_TAIL_WORDS | _STOPWORDS)


def _stems(text: str) -> list[str]:
    return [stem(m.group()) for m in _WORD.finditer(text)]


def _count(needle: Sequence[str], haystack: Sequence[str]) -> int:
    n = len(needle)
    if n == 0 or n > len(haystack):
        return 0
    first = needle[0]
    return sum(1 for i, tok in enumerate(haystack[: len(haystack) - n + 1])
               if tok == first and list(haystack[i : i + n]) == list(needle))


@dataclass(frozen=True, slots=True)
class Topic:
    """A subscription topic. ``keywords``: plain (widen), ``+required`` or ``-excluded`` (narrow)."""

    phrase: str
    keywords: tuple[str, ...] = ()

    def _split(self, mark: str | None) -> tuple[str, ...]:
        out = []
        for raw in self.keywords:
            k = raw.strip()
            if not k:
                continue
            lead = k[0] if k[0] in "+-" else None
            if lead == mark:
                word = k[1:].strip() if lead else k
                if word:
                    out.append(word)
        return tuple(out)

    @property
    def include(self) -> tuple[str, ...]:
        return self._split(None)

    @property
    def required(self) -> tuple[str, ...]:
        return self._split("+")

    @property
    def excluded(self) -> tuple[str, ...]:
        return self._split("-")

    @property
    def phrase_words(self) -> tuple[str, ...]:
        """The phrase's content words, as written."""
        words = [m.group() for m in _WORD.finditer(self.phrase)]
        return tuple(dict.fromkeys(w for w in words if w.casefold() not in _STOPWORDS))


@dataclass(frozen=True, slots=True)
class TopicMatch:
    topic: Topic
    matched: bool
    score: float  # semantic similarity of phrase and article, clipped to 0..1
    matched_terms: tuple[str, ...]  # keywords and phrase words found in the article, as written in the topic
    matched_actors: tuple[str, ...]  # the article's actors named in the topic's phrase or keywords
    reason: str
    via: MatchVia | None = None  # which rule matched; None when not matched
    excluded_by: str | None = None  # the -keyword that vetoed the match


@dataclass(frozen=True, slots=True)
class _Article:
    all_stems: list[str]
    lead_stems: list[str]
    body_stems: list[str]


class TopicMatcher:
    """Matches articles to topics (see the module docstring for the rules)."""

    def __init__(self, embedder: Embedder, threshold: float = DEFAULT_THRESHOLD, *, keyword_min_hits: int = 2,
                 phrase_terms: bool = True, min_actors: int = 2, actor_margin: float = 0.1,
                 lead_sentences: int = 2, cache_size: int = 4096) -> None:
        self._embedder = embedder
        self.threshold = threshold
        self.keyword_min_hits = keyword_min_hits
        self.phrase_terms = phrase_terms
        self.min_actors = min_actors
        self.actor_margin = actor_margin
        self.lead_sentences = lead_sentences
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ embeddings

    def article_text(self, title: str | None, text: str) -> str:
        """The text whose embedding represents the article (title + lead, as for stories)."""
        return embed_candidate_text(title, text[:3000], sentences=self.lead_sentences)

    def phrase_vectors(self, phrases: Sequence[str]) -> np.ndarray:
        """Unit embeddings of ``phrases`` (cached; missing ones are encoded in one batch)."""
        keys = [" ".join(p.split()) for p in phrases]
        with self._lock:
            known = {k: self._cache[k] for k in keys if k in self._cache}
            for k in known:
                self._cache.move_to_end(k)
        missing = [k for k in dict.fromkeys(keys) if k not in known]
        if missing:
            fresh = dict(zip(missing, self._embedder.encode(missing), strict=True))
            known.update(fresh)
            with self._lock:
                for key, vec in fresh.items():
                    self._cache[key] = vec
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[k] for k in keys])

    # ------------------------------------------------------------------ matching

    def match(self, topic: Topic, *, title: str, text: str, actors: Sequence[str] = (),
              embedding: np.ndarray | None = None) -> TopicMatch:
        return self.match_many([topic], title=title, text=text, actors=actors, embedding=embedding)[0]

    def match_many(self, topics: Sequence[Topic], *, title: str, text: str, actors: Sequence[str] = (),
                   embedding: np.ndarray | None = None) -> list[TopicMatch]:
        """One ``TopicMatch`` per topic, in order, from one article embedding."""
        if not topics:
            return []
        lead = self.article_text(title, text)
        if embedding is None:
            embedding = self._embedder.encode_one(lead)
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            vector = vector / norm
        sims = self.phrase_vectors([t.phrase for t in topics]) @ vector
        article = _Article(all_stems=_stems(f"{title}\n{text}"), lead_stems=_stems(lead), body_stems=_stems(text))
        return [self._decide(t, float(s), article, actors) for t, s in zip(topics, sims, strict=True)]

    def _decide(self, topic: Topic, similarity: float, article: _Article, actors: Sequence[str]) -> TopicMatch:
        score = min(max(similarity, 0.0), 1.0)
        found = lambda term: _count(_stems(term), article.all_stems) > 0  # noqa: E731

        terms: list[str] = []
        keyword_hit: str | None = None
        for kw in topic.include:
            needle = _stems(kw)
            in_lead = _count(needle, article.lead_stems) > 0
            hits = _count(needle, article.body_stems)
            if in_lead or hits:
                terms.append(kw)
            if keyword_hit is None and (in_lead or hits >= self.keyword_min_hits):
                keyword_hit = kw + (" in the title or lead" if in_lead else f" {hits}x in the text")
        terms += [kw for kw in topic.required if found(kw)]
        phrase_words = topic.phrase_words
        phrase_found = [w for w in phrase_words if found(w)]
        terms += phrase_found
        terms = list(dict.fromkeys(terms))
        phrase_in_lead = bool(phrase_words) and all(_count(_stems(w), article.lead_stems) for w in phrase_words)

        matched_actors = self._actors_in_topic(topic, actors)

        excluded_by = next((kw for kw in topic.excluded if found(kw)), None)
        missing = [kw for kw in topic.required if not found(kw)]

        via: MatchVia | None = None
        if excluded_by is None and not missing:
            if score >= self.threshold:
                via = "similarity"
            elif keyword_hit is not None:
                via = "keyword"
            elif self.phrase_terms and phrase_in_lead:
                via = "phrase"
            elif (self.min_actors > 0 and len(matched_actors) >= self.min_actors
                  and score >= self.threshold - self.actor_margin):
                via = "actors"

        parts = [f"topic {topic.phrase} {score:.2f}"]
        if terms:
            parts.append("terms " + ", ".join(terms))
        if matched_actors:
            parts.append("actors " + ", ".join(matched_actors))
        if excluded_by is not None:
            parts.append(f"excluded by -{excluded_by}")
        elif missing:
            parts.append("missing +" + ", +".join(missing))
        elif via == "similarity":
            parts.append(f"similar (>= {self.threshold:.2f})")
        elif via == "keyword":
            parts.append(f"keyword {keyword_hit}")
        elif via == "phrase":
            parts.append("all phrase words in the title or lead")
        elif via == "actors":
            parts.append(f"{len(matched_actors)} topic actors, similarity near the threshold")
        else:
            parts.append(f"below {self.threshold:.2f}")
        return TopicMatch(topic, via is not None, score, tuple(terms), matched_actors, "; ".join(parts), via,
                          excluded_by)

    @staticmethod
    def _actors_in_topic(topic: Topic, actors: Sequence[str]) -> tuple[str, ...]:
        """Actors whose name (or, for multi-word names, distinctive last word) the topic names."""
        topic_stems = _stems(" ".join((topic.phrase, *topic.include, *topic.required)))
        out: list[str] = []
        for name in dict.fromkeys(a for a in actors if a.strip()):
            words = _stems(name)
            if not words:
                continue
            if _count(words, topic_stems):
                out.append(name)
            elif (len(words) > 1 and len(words[-1]) >= 4 and words[-1] not in _GENERIC_TAILS
                  and _count(words[-1:], topic_stems)):
                out.append(name)
        return tuple(out)


__all__ = ["DEFAULT_THRESHOLD", "Topic", "TopicMatch", "TopicMatcher", "stem"]
