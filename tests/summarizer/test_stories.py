"""Story clustering with the real bundled MiniLM on hand-written pairs (fixtures/story_pairs.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest

from summarizer.embeddings import Embedder
from summarizer.stories import (
    StoryCandidate,
    StoryClusterer,
    StoryState,
    embed_candidate_text,
)
from tests.summarizer.fixtures.story_pairs import ALL, JOIN, SPLIT, UNRELATED, Art, Pair


@pytest.fixture(scope="module")
def vectors() -> dict[str, np.ndarray]:
    arts: dict[str, Art] = {}
    for pair in ALL:
        arts.setdefault(pair.a.id, pair.a)
        arts.setdefault(pair.b.id, pair.b)
    ids = list(arts)
    matrix = Embedder(threads=1).encode([embed_candidate_text(arts[i].title, arts[i].lead) for i in ids])
    return dict(zip(ids, matrix, strict=True))


def cand(art: Art, vectors: dict[str, np.ndarray], **changes: object) -> StoryCandidate:
    fields: dict[str, object] = {
        "article_id": art.id, "title": art.title, "lead": art.lead, "embedding": vectors[art.id],
        "published": art.published, "actors": art.actors, "source": art.source,
    }
    fields.update(changes)
    return StoryCandidate(**fields)  # type: ignore[arg-type]


def pair_score(pair: Pair, vectors: dict[str, np.ndarray], clusterer: StoryClusterer) -> float:
    story = StoryState.start("s", cand(pair.a, vectors))
    return clusterer.score(cand(pair.b, vectors), story).score


def test_fixture_has_the_required_pairs() -> None:
    assert len(JOIN) >= 8 and len(SPLIT) >= 8 and len(UNRELATED) >= 3
    for pair in SPLIT:  # "different event, same actors": every split pair shares at least one actor
        assert set(pair.a.actors) & set(pair.b.actors), pair.name


@pytest.mark.parametrize("pair", ALL, ids=lambda p: p.name)
def test_pair_decision(pair: Pair, vectors: dict[str, np.ndarray]) -> None:
    clusterer = StoryClusterer()
    story = StoryState.start("story-a", cand(pair.a, vectors))
    decision = clusterer.assign(cand(pair.b, vectors), [story])
    assert decision.joined is pair.join, decision.reason
    assert decision.story_id == ("story-a" if pair.join else None)


def test_score_distribution_leaves_a_margin_around_the_threshold(vectors: dict[str, np.ndarray]) -> None:
    clusterer = StoryClusterer()
    joins = {p.name: pair_score(p, vectors, clusterer) for p in JOIN}
    # pairs that are inside the window compete on content; the week-later one is the window's job
    splits = {p.name: pair_score(p, vectors, clusterer) for p in SPLIT + UNRELATED
              if clusterer.in_window(cand(p.b, vectors), StoryState.start("s", cand(p.a, vectors)))}
    lowest_join, highest_split = min(joins.values()), max(splits.values())
    print(f"\njoin scores {min(joins.values()):.3f}..{max(joins.values()):.3f}, "
          f"non-join scores (in window) {min(splits.values()):.3f}..{highest_split:.3f}, "
          f"threshold {clusterer.threshold}")
    assert highest_split + 0.02 <= clusterer.threshold <= lowest_join - 0.02, (joins, splits)
    assert max(s for n, s in splits.items() if n in {p.name for p in UNRELATED}) < 0.2


def test_a_statement_a_week_later_is_kept_out_by_the_window(vectors: dict[str, np.ndarray]) -> None:
    pair = next(p for p in SPLIT if p.name == "khamenei-week-later")
    story = StoryState.start("talks", cand(pair.a, vectors))
    later = cand(pair.b, vectors)
    clusterer = StoryClusterer()
    # on content alone it would pass: the window is what keeps it out
    assert clusterer.score(later, story).score >= clusterer.threshold
    decision = clusterer.assign(later, [story])
    assert decision.story_id is None and "window" in decision.reason
    assert StoryClusterer(window=timedelta(days=10)).assign(later, [story]).story_id == "talks"


def test_similarity_decays_with_the_gap(vectors: dict[str, np.ndarray]) -> None:
    pair = JOIN[0]
    story = StoryState.start("s", cand(pair.a, vectors))
    clusterer = StoryClusterer()
    scores = [clusterer.score(cand(pair.b, vectors, published=pair.a.published + timedelta(hours=h)), story).score
              for h in (1, 24, 48, 71)]
    assert scores == sorted(scores, reverse=True) and scores[0] - scores[-1] > 0.05
    before = cand(pair.b, vectors, published=pair.a.published - timedelta(hours=24))
    assert clusterer.gap(before, story) == timedelta(hours=24)  # earlier articles count from first_seen
    too_late = cand(pair.b, vectors, published=pair.a.published + timedelta(hours=73))
    assert clusterer.assign(too_late, [story]).story_id is None


def test_actors_are_neutral_when_unknown_and_shared_actors_alone_do_not_join(vectors: dict[str, np.ndarray]) -> None:
    pair = next(p for p in SPLIT if p.name == "chancellor-two-policies")
    story = StoryState.start("s", cand(pair.a, vectors))
    clusterer = StoryClusterer()
    with_actors = clusterer.score(cand(pair.b, vectors), story)
    assert with_actors.actor_score == 1.0 and with_actors.shared_actors == ("Rachel Reeves", "United Kingdom")
    assert with_actors.score < clusterer.threshold
    no_actors = clusterer.score(cand(pair.b, vectors, actors=()), story)
    assert no_actors.actor_score is None and no_actors.score == pytest.approx(no_actors.decayed)


def test_best_story_wins_among_several(vectors: dict[str, np.ndarray]) -> None:
    clusterer = StoryClusterer()
    stories = [StoryState.start(p.name, cand(p.a, vectors)) for p in JOIN]
    for pair in JOIN:
        decision = clusterer.assign(cand(pair.b, vectors), stories)
        assert decision.story_id == pair.name, decision.reason
        assert decision.candidates >= 1


def test_cluster_recovers_the_events(vectors: dict[str, np.ndarray]) -> None:
    # one event per distinct text: join pairs share an event; split and unrelated articles have their own
    event: dict[str, str] = {}
    arts: dict[str, Art] = {}
    for pair in JOIN:
        for art in (pair.a, pair.b):
            event[art.id], arts[art.id] = pair.name, art
    texts = {(a.title, a.lead): event[a.id] for a in arts.values()}
    for pair in SPLIT:
        for side, art in (("a", pair.a), ("b", pair.b)):
            if art.id not in arts:
                event[art.id] = texts.get((art.title, art.lead), f"{pair.name}:{side}")
                arts[art.id] = art
    stories = StoryClusterer().cluster([cand(a, vectors) for a in arts.values()])
    got = sorted(sorted(s.member_ids) for s in stories)
    expected: dict[str, list[str]] = {}
    for art_id, name in event.items():
        expected.setdefault(name, []).append(art_id)
    assert got == sorted(sorted(ids) for ids in expected.values())


def test_update_keeps_a_running_centroid_members_sources_and_actors(vectors: dict[str, np.ndarray]) -> None:
    pair = JOIN[0]
    clusterer = StoryClusterer()
    a, b = cand(pair.a, vectors), cand(pair.b, vectors)
    story = clusterer.update(StoryState.start("s", a), b)
    assert story.member_ids == (pair.a.id, pair.b.id) and story.member_count == 2
    assert np.allclose(story.centroid, (a.vector() + b.vector()) / 2, atol=1e-6)
    assert story.sources == {pair.a.source, pair.b.source}
    assert story.actor_counts["Ali Khamenei"] == 2 and story.actor_counts["Iran"] == 1
    assert (story.first_seen, story.last_seen) == (pair.a.published, pair.b.published)
    assert clusterer.update(story, b) is story  # the same article twice is not counted twice
    # core actors: named by at least a third of the members
    assert story.core_actors(0.5) == {"Ali Khamenei", "Iran", "United States", "Washington"}
    assert story.core_actors(1.0) == {"Ali Khamenei", "United States"}


def test_state_round_trips_through_json(vectors: dict[str, np.ndarray]) -> None:
    clusterer = StoryClusterer()
    story = clusterer.update(StoryState.start("s", cand(JOIN[1].a, vectors)), cand(JOIN[1].b, vectors))
    back = StoryState.from_dict(json.loads(json.dumps(story.to_dict())))
    assert back.member_ids == story.member_ids and back.sources == story.sources
    assert back.first_seen == story.first_seen and dict(back.actor_counts) == dict(story.actor_counts)
    assert np.allclose(back.centroid, story.centroid)


def test_times_must_be_aware(vectors: dict[str, np.ndarray]) -> None:
    with pytest.raises(ValueError, match="timezone"):
        StoryState.start("s", cand(JOIN[0].a, vectors, published=datetime(2025, 3, 10, 8, 0)))


def test_embed_candidate_text_uses_title_and_first_two_sentences() -> None:
    lead = "First sentence here. Second one follows. Third is left out."
    assert embed_candidate_text("Big news", lead) == "Big news. First sentence here. Second one follows."
    assert embed_candidate_text("Big news?", lead, sentences=1) == "Big news? First sentence here."
    assert embed_candidate_text("Big news", "Big news. Then details. More.") == "Big news. Then details."
    assert embed_candidate_text(None, lead) == "First sentence here. Second one follows."
    assert embed_candidate_text("Only a title", "") == "Only a title"
