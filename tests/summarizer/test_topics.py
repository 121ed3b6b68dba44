"""Topic matching with the real bundled MiniLM on hand-written articles (fixtures/topic_articles.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from summarizer.embeddings import Embedder
from summarizer.topics import Topic, TopicMatch, TopicMatcher, stem
from tests.summarizer.fixtures.topic_articles import ARTICLES


class CountingEmbedder:
    """The real embedder, recording what it is asked to encode."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.encode(texts)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(threads=1)  # one intra-op thread: far faster than two on a busy 2-core machine


@pytest.fixture
def matcher(embedder: Embedder) -> TopicMatcher:
    return TopicMatcher(embedder)


def run(matcher: TopicMatcher, topic: Topic, article: str) -> TopicMatch:
    title, text, actors = ARTICLES[article]
    return matcher.match(topic, title=title, text=text, actors=actors)


IRAN_ISRAEL = Topic("Iran Israel tensions")


@pytest.mark.parametrize("article", ["iran-israel-strikes", "iran-israel-warning"])
def test_matching_article(matcher: TopicMatcher, article: str) -> None:
    m = run(matcher, IRAN_ISRAEL, article)
    assert m.matched and m.via == "similarity"
    assert m.score >= matcher.threshold
    assert set(m.matched_actors) == {"Iran", "Israel"}  # from the article's actors
    # terms are whole words: the warning article says "Israeli", never "Israel"
    expected = {"Iran", "Israel"} if article == "iran-israel-strikes" else {"Iran"}
    assert set(m.matched_terms) == expected


@pytest.mark.parametrize("article", ["israel-judicial-protest", "iran-saffron-exports", "fed-rates"])
def test_near_misses_and_unrelated_articles_do_not_match(matcher: TopicMatcher, article: str) -> None:
    m = run(matcher, IRAN_ISRAEL, article)
    assert not m.matched and m.via is None, m.reason
    assert m.score < matcher.threshold
    assert m.reason.endswith(f"below {matcher.threshold:.2f}")


def test_score_distribution(matcher: TopicMatcher) -> None:
    on_topic = [("Iran Israel tensions", "iran-israel-strikes"), ("Iran Israel tensions", "iran-israel-warning"),
                ("Israeli politics", "israel-judicial-protest"), ("interest rates", "fed-rates"),
                ("interest rates", "ecb-rates"), ("electric vehicles", "eu-tariffs")]
    off_topic = [("Iran Israel tensions", "israel-judicial-protest"), ("Iran Israel tensions", "iran-saffron-exports"),
                 ("football transfers", "haaland-school"), ("interest rates", "eu-tariffs"),
                 ("semiconductor industry", "amazon-warehouse"), ("Israeli politics", "iran-israel-strikes")]
    pos = [run(matcher, Topic(t), a).score for t, a in on_topic]
    neg = [run(matcher, Topic(t), a).score for t, a in off_topic]
    print(f"\non-topic {min(pos):.2f}..{max(pos):.2f}; off-topic {min(neg):.2f}..{max(neg):.2f}")
    assert max(neg) < matcher.threshold <= min(pos)


def test_keyword_widens_when_the_article_is_about_it(matcher: TopicMatcher) -> None:
    without = run(matcher, Topic("football transfers"), "haaland-school")
    assert not without.matched
    m = run(matcher, Topic("football transfers", ("Haaland",)), "haaland-school")
    assert m.matched and m.via == "keyword" and m.score < matcher.threshold
    assert m.matched_terms == ("Haaland", "football")  # the keyword, then phrase words found
    assert "keyword Haaland in the title or lead" in m.reason


def test_a_keyword_mentioned_once_deep_in_the_text_does_not_widen(embedder: Embedder) -> None:
    topic = Topic("commodity markets", ("oil",))  # the strikes article mentions oil once, in paragraph two
    strict = run(TopicMatcher(embedder), topic, "iran-israel-strikes")
    assert not strict.matched and strict.matched_terms == ("oil",)
    loose = run(TopicMatcher(embedder, keyword_min_hits=1), topic, "iran-israel-strikes")
    assert loose.matched and loose.via == "keyword" and "oil 1x in the text" in loose.reason


def test_excluded_keyword_narrows(matcher: TopicMatcher) -> None:
    assert run(matcher, Topic("Amazon"), "amazon-rainforest").matched  # ambiguous on its own
    topic = Topic("Amazon", ("-rainforest",))
    vetoed = run(matcher, topic, "amazon-rainforest")
    assert not vetoed.matched and vetoed.excluded_by == "rainforest"
    assert "excluded by -rainforest" in vetoed.reason
    assert run(matcher, topic, "amazon-warehouse").matched


def test_required_keyword_narrows(matcher: TopicMatcher) -> None:
    topic = Topic("interest rates", ("+ECB",))
    assert run(matcher, Topic("interest rates"), "fed-rates").matched
    fed = run(matcher, topic, "fed-rates")
    assert not fed.matched and "missing +ECB" in fed.reason
    ecb = run(matcher, topic, "ecb-rates")
    assert ecb.matched and "ECB" in ecb.matched_terms


def test_phrase_words_in_the_lead_match_with_plural_tolerance(matcher: TopicMatcher) -> None:
    m = run(matcher, Topic("tariff on electric vehicle"), "eu-tariffs")
    assert set(m.matched_terms) == {"tariff", "electric", "vehicle"}
    assert m.matched
    off = run(TopicMatcher(matcher._embedder, threshold=0.99, phrase_terms=False),
              Topic("tariff on electric vehicle"), "eu-tariffs")
    assert not off.matched


def test_terms_are_whole_words(matcher: TopicMatcher) -> None:
    m = run(matcher, Topic("weather", ("ran", "Iranian", "missile")), "iran-israel-strikes")
    assert m.matched_terms == ("missile",)  # "missiles"; neither "ran" in "Iran" nor "Iranian" for "Iran"


def test_stem_is_light_and_symmetric() -> None:
    assert stem("policies") == stem("policy")
    assert stem("tariffs") == stem("tariff")
    assert stem("Israel's") == stem("israel")
    assert stem("taxes") == stem("tax")
    assert stem("news") == "news" and stem("crisis") == "crisis"
    assert stem("Iran") != stem("Iranian")


def test_actor_names_in_the_topic(matcher: TopicMatcher) -> None:
    m = matcher.match(Topic("Khamenei speeches", ("United States",)), title="Supreme leader speaks",
                      text="Ali Khamenei spoke in Tehran.", actors=("Ali Khamenei", "Iran", "United States",
                                                                   "European Union"))
    assert m.matched_actors == ("Ali Khamenei", "United States")
    union = matcher.match(Topic("union strikes"), title="Strike", text="Workers struck.",
                          actors=("European Union",))
    assert union.matched_actors == ()


def test_actors_carry_a_match_near_the_threshold(embedder: Embedder) -> None:
    title, text, actors = ARTICLES["iran-israel-strikes"]
    strict = TopicMatcher(embedder, threshold=0.65)  # the article scores about 0.6
    m = strict.match(IRAN_ISRAEL, title=title, text=text, actors=actors)
    assert m.score < 0.65 and m.matched and m.via == "actors"
    assert "actors Israel, Iran" in m.reason
    assert not TopicMatcher(embedder, threshold=0.65, min_actors=3).match(
        IRAN_ISRAEL, title=title, text=text, actors=actors).matched
    assert not strict.match(IRAN_ISRAEL, title=title, text=text, actors=("Israel",)).matched


def test_reason_carries_score_terms_and_actors(matcher: TopicMatcher) -> None:
    m = run(matcher, IRAN_ISRAEL, "iran-israel-strikes")
    assert m.reason.startswith(f"topic Iran Israel tensions {m.score:.2f}; terms Iran, Israel; actors Israel, Iran")


def test_match_many_reuses_one_article_embedding(embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    matcher = TopicMatcher(counting)  # type: ignore[arg-type]
    topics = [IRAN_ISRAEL, Topic("interest rates"), Topic("football transfers", ("Haaland",))]
    title, text, actors = ARTICLES["fed-rates"]
    many = matcher.match_many(topics, title=title, text=text, actors=actors)
    assert [m.matched for m in many] == [False, True, False]
    assert len(counting.calls) == 2  # the three phrases in one batch, the article once
    assert sorted(len(c) for c in counting.calls) == [1, 3]
    counting.calls.clear()
    vector = embedder.encode_one(matcher.article_text(title, text))
    again = matcher.match_many(topics, title=title, text=text, actors=actors, embedding=vector)
    assert counting.calls == []  # phrases cached, article embedding given
    assert [round(m.score, 4) for m in again] == [round(m.score, 4) for m in many]
    single = matcher.match(topics[1], title=title, text=text, actors=actors, embedding=vector)
    assert single.reason == again[1].reason
