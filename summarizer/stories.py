"""Story clustering: articles about the same event, from any outlet, join one story.

Pure and in-memory. The caller keeps the ``StoryState`` objects (in the database, say), embeds
each new article's title and lead (``embed_candidate_text``) with the shared ``Embedder`` and asks
``StoryClusterer.assign`` where it belongs; it then starts a story or folds the article into one
with ``StoryClusterer.update``.

Scoring a candidate against a story (see ``StoryClusterer``):

* **time window** - the gap is the distance from the candidate's publication time to the story's
  ``[first_seen, last_seen]`` interval; a story whose gap exceeds ``window`` (72 h) is not
  considered at all, so another statement by the same person a week later starts a new story;
* **similarity** - cosine between the candidate's title+lead embedding and the story centroid
  (the mean of its members' embeddings), decayed linearly with the gap:
  ``sim * (1 - time_decay * gap / window)``;
* **actors** - Jaccard overlap (or the overlap coefficient) of the candidate's canonical actor
  names with the story's core actors (those named by at least ``core_actor_share`` of its
  members). It is blended in as ``(1 - actor_weight) * sim + actor_weight * actors`` only when both
  sides have actors, so a missing actor extraction neither helps nor hurts.

The thresholds were tuned on the hand-written pairs in ``tests/summarizer/fixtures/story_pairs.py``
with the bundled all-MiniLM-L6-v2 (see ``tests/summarizer/test_stories.py``): same-event pairs in
different wording score 0.56-0.78, different events with the same actors inside the window at most
0.51, unrelated pairs below 0.11; the threshold 0.54 sits in that gap. Shared actors alone never
join: different events by the same actors differ in content, and content carries 80% of the score.
Another statement by the same person a week later can look alike (0.61 on content) - the window
is what keeps it out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np

from summarizer.sentences import split_sentences

ActorMeasure = Literal["jaccard", "overlap"]

DEFAULT_THRESHOLD = 0.54
DEFAULT_WINDOW = timedelta(hours=72)
DEFAULT_ACTOR_WEIGHT = 0.2
DEFAULT_TIME_DECAY = 0.2

_SPACE = re.compile(r"\s+")


def embed_candidate_text(title: str | None, lead: str | None, *, sentences: int = 2, max_chars: int = 700) -> str:
    """The text to embed for an article: its title and the first ``sentences`` sentences of its lead.

    Whitespace is collapsed; a lead that repeats the title (some feeds do) is not doubled; the
    result is cut at ``max_chars`` (the embedder truncates at 256 word pieces anyway).
    """
    head = _SPACE.sub(" ", title or "").strip()
    body = ""
    if lead:
        parts = [s.text for s in split_sentences(lead)[: max(sentences, 0)]]
        body = _SPACE.sub(" ", " ".join(parts)).strip()
        if head and body.casefold().startswith(head.casefold()):
            body = body[len(head) :].lstrip(" .:-–—|")
    if head and body:
        text = head if head[-1] in ".!?:;" else head + "."
        text = f"{text} {body}"
    else:
        text = head or body
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > max_chars // 2 else max_chars]
    return text


def _unit(vector: np.ndarray | Sequence[float]) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("story times must be timezone-aware (UTC)")
    return moment.astimezone(UTC)


def _actor_key(name: str) -> str:
    return _SPACE.sub(" ", name).strip().casefold()


@dataclass(frozen=True, slots=True, eq=False)
class StoryCandidate:
    """One article offered to the clusterer. ``embedding`` is the (normalised) embedding of
    ``embed_candidate_text(title, lead)``; ``actors`` are canonical actor names."""

    article_id: str
    title: str
    lead: str
    embedding: np.ndarray | tuple[float, ...]
    published: datetime
    actors: tuple[str, ...] = ()
    source: str | None = None

    def vector(self) -> np.ndarray:
        return _unit(self.embedding)


@dataclass(frozen=True, slots=True, eq=False)
class StoryState:
    """What the clusterer needs to know about a story. Immutable: ``StoryClusterer.update``
    returns a new one. ``centroid`` is the mean of the members' unit embeddings (not itself
    normalised); ``actor_counts`` counts, per canonical actor name, the members naming it."""

    story_id: str
    centroid: np.ndarray
    actor_counts: Mapping[str, int]
    first_seen: datetime
    last_seen: datetime
    member_count: int
    sources: frozenset[str] = frozenset()
    member_ids: tuple[str, ...] = ()
    title: str = ""  # the first member's title, for logs and display

    @classmethod
    def start(cls, story_id: str, candidate: StoryCandidate) -> StoryState:
        """A new story whose only member is ``candidate``."""
        published = _aware(candidate.published)
        counts: dict[str, int] = {}
        for name in dict.fromkeys(candidate.actors):
            counts[name] = 1
        return cls(
            story_id=story_id,
            centroid=candidate.vector().copy(),
            actor_counts=counts,
            first_seen=published,
            last_seen=published,
            member_count=1,
            sources=frozenset({candidate.source}) if candidate.source else frozenset(),
            member_ids=(candidate.article_id,),
            title=candidate.title,
        )

    def core_actors(self, share: float) -> set[str]:
        """Actors named by at least ``share`` of the members (all of them for a one-member story)."""
        need = max(1, math.ceil(share * self.member_count - 1e-9))
        return {name for name, count in self.actor_counts.items() if count >= need}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (times as ISO strings, centroid as a list of floats)."""
        return {
            "story_id": self.story_id,
            "centroid": [float(x) for x in np.asarray(self.centroid, dtype=np.float32)],
            "actor_counts": dict(self.actor_counts),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "member_count": self.member_count,
            "sources": sorted(self.sources),
            "member_ids": list(self.member_ids),
            "title": self.title,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoryState:
        return cls(
            story_id=str(data["story_id"]),
            centroid=np.asarray(data["centroid"], dtype=np.float32),
            actor_counts={str(k): int(v) for k, v in dict(data.get("actor_counts") or {}).items()},
            first_seen=_aware(datetime.fromisoformat(data["first_seen"])),
            last_seen=_aware(datetime.fromisoformat(data["last_seen"])),
            member_count=int(data["member_count"]),
            sources=frozenset(data.get("sources") or ()),
            member_ids=tuple(data.get("member_ids") or ()),
            title=str(data.get("title") or ""),
        )


@dataclass(frozen=True, slots=True)
class StoryScore:
    """How a candidate compares with one story."""

    story_id: str
    score: float
    similarity: float  # raw cosine with the centroid
    decayed: float  # similarity after the time decay
    actor_score: float | None  # None when either side has no actors
    shared_actors: tuple[str, ...]
    gap: timedelta


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """Where a candidate goes: ``story_id`` of the story to join, or None for a new story.
    ``best`` is the closest story inside the window (joined or not), for logging."""

    story_id: str | None
    score: float
    reason: str
    best: StoryScore | None = None
    candidates: int = 0  # stories inside the window

    @property
    def joined(self) -> bool:
        return self.story_id is not None

    @property
    def similarity(self) -> float:
        return self.best.similarity if self.best else 0.0

    @property
    def shared_actors(self) -> tuple[str, ...]:
        return self.best.shared_actors if self.best else ()

    @property
    def gap(self) -> timedelta | None:
        return self.best.gap if self.best else None


def _hours(gap: timedelta) -> str:
    hours = gap.total_seconds() / 3600
    return f"{hours:.0f}h" if hours >= 1 else f"{hours * 60:.0f}min"


@dataclass
class StoryClusterer:
    """Assigns candidates to stories. See the module docstring for the score."""

    threshold: float = DEFAULT_THRESHOLD
    window: timedelta = DEFAULT_WINDOW
    actor_weight: float = DEFAULT_ACTOR_WEIGHT
    time_decay: float = DEFAULT_TIME_DECAY
    actor_measure: ActorMeasure = "jaccard"
    core_actor_share: float = 1 / 3
    max_span: timedelta | None = None  # optional cap on a story's lifetime (first_seen to candidate)

    def __post_init__(self) -> None:
        if not 0 <= self.actor_weight <= 1:
            raise ValueError("actor_weight must be in [0, 1]")
        if not 0 <= self.time_decay <= 1:
            raise ValueError("time_decay must be in [0, 1]")
        if self.window <= timedelta(0):
            raise ValueError("window must be positive")

    # ------------------------------------------------------------------ scoring

    def gap(self, candidate: StoryCandidate, story: StoryState) -> timedelta:
        """Distance from the candidate's publication to the story's [first_seen, last_seen]."""
        published = _aware(candidate.published)
        if published > story.last_seen:
            return published - story.last_seen
        if published < story.first_seen:
            return story.first_seen - published
        return timedelta(0)

    def in_window(self, candidate: StoryCandidate, story: StoryState) -> bool:
        if self.gap(candidate, story) > self.window:
            return False
        if self.max_span is not None:
            start = min(story.first_seen, _aware(candidate.published))
            end = max(story.last_seen, _aware(candidate.published))
            if end - start > self.max_span:
                return False
        return True

    def actor_overlap(self, candidate: StoryCandidate, story: StoryState) -> tuple[float | None, tuple[str, ...]]:
        """(overlap in [0, 1] or None when either side has no actors, shared names)."""
        mine = {_actor_key(a): a for a in candidate.actors if a.strip()}
        core = {_actor_key(a) for a in story.core_actors(self.core_actor_share)}
        if not mine or not core:
            return None, ()
        shared_keys = mine.keys() & core
        shared = tuple(sorted(mine[k] for k in shared_keys))
        if self.actor_measure == "overlap":
            value = len(shared_keys) / min(len(mine), len(core))
        else:
            value = len(shared_keys) / len(mine.keys() | core)
        return value, shared

    def score(self, candidate: StoryCandidate, story: StoryState, *, vector: np.ndarray | None = None) -> StoryScore:
        """The score of ``candidate`` against ``story`` (ignores the window; see ``in_window``)."""
        v = candidate.vector() if vector is None else vector
        similarity = float(np.dot(v, _unit(story.centroid)))
        return self._combine(candidate, story, similarity)

    def _combine(self, candidate: StoryCandidate, story: StoryState, similarity: float) -> StoryScore:
        gap = self.gap(candidate, story)
        fraction = min(gap / self.window, 1.0)
        decayed = similarity * (1.0 - self.time_decay * fraction)
        actor_score, shared = self.actor_overlap(candidate, story)
        if actor_score is None or self.actor_weight == 0:
            total = decayed
        else:
            total = (1.0 - self.actor_weight) * decayed + self.actor_weight * actor_score
        return StoryScore(story.story_id, total, similarity, decayed, actor_score, shared, gap)

    # ------------------------------------------------------------------ decisions

    def assign(self, candidate: StoryCandidate, stories: Sequence[StoryState]) -> StoryDecision:
        """The story ``candidate`` belongs to (the best-scoring one inside the window whose score
        reaches ``threshold``), or a decision for a new story."""
        eligible = [s for s in stories if self.in_window(candidate, s)]
        if not eligible:
            hours = _hours(self.window)
            return StoryDecision(None, 0.0, f"new story: no story within the {hours} window", None, 0)
        v = candidate.vector()
        centroids = np.stack([np.asarray(s.centroid, dtype=np.float32).reshape(-1) for s in eligible])
        norms = np.linalg.norm(centroids, axis=1)
        norms[norms == 0] = 1.0
        sims = (centroids @ v) / norms
        scored = [self._combine(candidate, s, float(sim)) for s, sim in zip(eligible, sims, strict=True)]
        best = max(scored, key=lambda s: s.score)
        joined = best.score >= self.threshold
        verdict = (f"joined {best.story_id}: score {best.score:.2f} >= {self.threshold:.2f}" if joined
                   else f"new story: best {best.story_id} score {best.score:.2f} < {self.threshold:.2f}")
        return StoryDecision(best.story_id if joined else None, best.score, f"{verdict} ({self.explain(best)})",
                             best, len(eligible))

    def explain(self, scored: StoryScore) -> str:
        parts = [f"similarity {scored.similarity:.2f}"]
        if scored.gap > timedelta(0):
            parts[0] += f", {scored.decayed:.2f} after a {_hours(scored.gap)} gap"
        else:
            parts.append("time gap 0h")
        if scored.actor_score is None:
            parts.append("actors unknown")
        elif scored.shared_actors:
            names = ", ".join(scored.shared_actors)
            parts.append(f"shared actors {names} ({self.actor_measure} {scored.actor_score:.2f})")
        else:
            parts.append("no shared actors")
        return "; ".join(parts)

    def update(self, state: StoryState, candidate: StoryCandidate) -> StoryState:
        """``state`` with ``candidate`` added (running centroid, actor counts, sources, members).
        Adding an article already in the story returns ``state`` unchanged."""
        if candidate.article_id in state.member_ids:
            return state
        n = state.member_count
        centroid = (np.asarray(state.centroid, dtype=np.float32) * n + candidate.vector()) / (n + 1)
        counts = dict(state.actor_counts)
        for name in dict.fromkeys(candidate.actors):
            counts[name] = counts.get(name, 0) + 1
        published = _aware(candidate.published)
        return StoryState(
            story_id=state.story_id,
            centroid=centroid.astype(np.float32),
            actor_counts=counts,
            first_seen=min(state.first_seen, published),
            last_seen=max(state.last_seen, published),
            member_count=n + 1,
            sources=state.sources | {candidate.source} if candidate.source else state.sources,
            member_ids=(*state.member_ids, candidate.article_id),
            title=state.title,
        )

    def start(self, story_id: str, candidate: StoryCandidate) -> StoryState:
        return StoryState.start(story_id, candidate)

    def cluster(self, candidates: Iterable[StoryCandidate], stories: Sequence[StoryState] = (), *,
                new_id: Callable[[StoryCandidate], str] | None = None) -> list[StoryState]:
        """Assigns ``candidates`` in publication order, starting stories as needed; returns all
        stories (the given ones updated). New stories are named by ``new_id`` (default: the id of
        their first article)."""
        by_id: dict[str, StoryState] = {s.story_id: s for s in stories}
        for candidate in sorted(candidates, key=lambda c: _aware(c.published)):
            decision = self.assign(candidate, list(by_id.values()))
            if decision.story_id is None:
                story_id = new_id(candidate) if new_id else candidate.article_id
                by_id[story_id] = StoryState.start(story_id, candidate)
            else:
                by_id[decision.story_id] = self.update(by_id[decision.story_id], candidate)
        return list(by_id.values())


__all__ = [
    "DEFAULT_ACTOR_WEIGHT", "DEFAULT_THRESHOLD", "DEFAULT_TIME_DECAY", "DEFAULT_WINDOW", "StoryCandidate",
    "StoryClusterer", "StoryDecision", "StoryScore", "StoryState", "embed_candidate_text",
]
