"""Property-based tests of every summarizer entry point on hostile text (issue 10): any text gives a
result or a clean error, never another exception; every offset indexes the input as given; direct
statements are the input's text at their span; the work grows linearly (lines executed, not time).

The model's entry points use the real bundled MiniLM, loaded once for the module. ``Analysis.errors``
must stay empty: the analyzer isolates a failing component, so a crash would otherwise hide there.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from summarizer.actors import build_actors
from summarizer.actors.gazetteer import default_gazetteer
from summarizer.actors.ner import merge_rules
from summarizer.analyzer import Analyzer
from summarizer.answering.questions import clauses, expand_question, question_type, sentence_tokens, tokenize
from summarizer.answers import REFUSAL, Answerer
from summarizer.embeddings import Embedder
from summarizer.prepare import blank_html, prepare_text
from summarizer.sentences import QUOTE_CHARS, quote_pairs, split_sentences
from summarizer.statements import extract_statements
from summarizer.stories import StoryCandidate, StoryClusterer, StoryState, embed_candidate_text
from summarizer.summarize import ExtractiveSummarizer
from summarizer.textclean import scrub
from summarizer.topics import Topic, TopicMatcher
from summarizer.types import Document, Mention, Statement
from tests.summarizer.hostile_text import capitalised_actors, hostile_text, python_steps

FUZZ = settings(deadline=None, database=None, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
PURE = settings(FUZZ, max_examples=150)  # no model: cheap examples
MODEL = settings(FUZZ, max_examples=15)  # the encoder and tagger: about 0.1-0.5 s an example

# texts up to ~60,000 characters (~20,000 for the model: its tagger reads up to 25,000 word pieces
# of them, seconds an example): long runs of one piece
huge_text = hostile_text(max_pieces=8, max_run=8000)
long_text = hostile_text(max_pieces=6, max_run=3000)


def assert_statements_index(text: str, statements: tuple[Statement, ...] | list[Statement]) -> None:
    for s in statements:
        assert 0 <= s.span.start < s.span.end <= len(text)
        assert text[s.span.start : s.span.end] == s.text  # direct ones verbatim, the others too
        if s.speaker_span is not None:
            assert 0 <= s.speaker_span.start < s.speaker_span.end <= len(text)
        assert s.kind in ("direct", "indirect", "mixed")


# ---------------------------------------------------------------- no model


@PURE
@given(st.one_of(hostile_text(), huge_text))
def test_sentences_are_the_texts_own_spans(text: str) -> None:
    sentences = split_sentences(text)
    end = 0
    for i, s in enumerate(sentences):
        assert s.index == i and end <= s.start < s.end <= len(text) and text[s.start : s.end] == s.text
        end = s.end
    for o, c in quote_pairs(text):
        assert 0 <= o < c < len(text) and text[o] in QUOTE_CHARS and text[c] in QUOTE_CHARS


@PURE
@given(st.one_of(hostile_text(), huge_text))
def test_statements_are_verbatim_spans(text: str) -> None:
    assert_statements_index(text, extract_statements(text, split_sentences(text), capitalised_actors(text)))
    assert_statements_index(text, extract_statements(text, [], []))


@PURE
@given(st.one_of(hostile_text(), huge_text))
def test_preparing_a_text_keeps_its_length(text: str) -> None:
    prepared = prepare_text(text)
    assert len(prepared) == len(text) == len(blank_html(text)) == len(scrub(text))
    assert not any("\ud800" <= ch <= "\udfff" for ch in prepared)


@PURE
@given(hostile_text(), st.one_of(st.none(), hostile_text(max_pieces=5)))
def test_the_extractive_summary_is_made_of_the_texts_sentences(text: str, title: str | None) -> None:
    summary = ExtractiveSummarizer(None).run(Document("d", text, title=title))
    for s in summary.sentences:
        assert 0 <= s.start < s.end <= len(text) and text[s.start : s.end] == s.text
    assert summary.text == " ".join(s.text for s in summary.sentences) or not summary.sentences


@PURE
@given(hostile_text(), st.data())
def test_actors_from_any_mentions_index_the_text(text: str, data: st.DataObject) -> None:
    spans = data.draw(st.lists(st.tuples(st.integers(0, max(0, len(text) - 1)), st.integers(1, 40),
                                         st.sampled_from(["PERSON", "ORG", "GPE", "LOC", "NORP", "MISC"])),
                               max_size=30))
    mentions = [Mention(text[a : a + n], a, a + n, typ) for a, n, typ in spans if a + n <= len(text)]  # type: ignore[arg-type]
    gazetteer = default_gazetteer()
    merged = merge_rules(text, sorted(mentions, key=lambda m: m.start), gazetteer.find(text))
    for actor in build_actors(text, merged, gazetteer):
        assert actor.name and actor.mentions
        for m in actor.mentions:
            assert 0 <= m.start < m.end <= len(text) and text[m.start : m.end] == m.text


@PURE
@given(hostile_text(), st.lists(st.tuples(hostile_text(max_pieces=6), hostile_text(max_pieces=10)), max_size=3))
def test_question_parsing_takes_any_text(text: str, history: list[tuple[str, str]]) -> None:
    expanded = expand_question(text, history)
    assert isinstance(expanded.dense, str) and isinstance(expanded.lexical, str)
    question_type(text)
    tokenize(text)
    for s in split_sentences(text):
        for clause in clauses(s.text):
            assert clause.strip()
    assert len(sentence_tokens(split_sentences(text))) == len(split_sentences(text))


_VECTOR = st.lists(st.floats(-1, 1, allow_nan=False, width=32), min_size=8, max_size=8)
_MOMENT = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))


@PURE
@given(st.lists(st.tuples(hostile_text(max_pieces=6), hostile_text(max_pieces=12), _VECTOR, _MOMENT,
                          st.lists(hostile_text(max_pieces=3), max_size=4)), min_size=1, max_size=6))
def test_story_clustering_takes_any_candidates(rows: list[tuple[str, str, list[float], datetime, list[str]]]) -> None:
    clusterer = StoryClusterer()
    candidates = [StoryCandidate(f"a{i}", title, lead, np.asarray(vector, dtype=np.float32), moment, tuple(actors),
                                 source=title[:5] or None)
                  for i, (title, lead, vector, moment, actors) in enumerate(rows)]
    stories = clusterer.cluster(candidates)
    assert sum(s.member_count for s in stories) == len(candidates)
    for story in stories:
        decision = clusterer.assign(candidates[0], [story])
        assert decision.story_id in (None, story.story_id) and decision.reason
        again = StoryState.from_dict(story.to_dict())
        assert again.member_count == story.member_count
    for title, lead, *_ in rows:
        assert len(embed_candidate_text(title, lead)) <= 700


@settings(FUZZ, max_examples=20)
@given(hostile_text(max_pieces=4, max_run=3))
def test_the_work_grows_linearly_for_any_repeated_piece(unit: str) -> None:
    """Four times the text costs at most about four times the lines executed, for any unit."""
    if not unit:
        return

    def work(size: int) -> int:
        text = "The mayor said the plan works. " + unit * (size // len(unit) + 1)
        return python_steps(lambda: (extract_statements(text, split_sentences(text), capitalised_actors(text)),
                                     prepare_text(text), sentence_tokens(split_sentences(text))))

    small, large = work(1000), work(4000)
    assert large <= 5 * small + 2000, (repr(unit), small, large)


# ---------------------------------------------------------------- with the model


@MODEL
@given(st.lists(st.tuples(st.one_of(hostile_text(), long_text), st.one_of(st.none(), hostile_text(max_pieces=5))),
                min_size=1, max_size=3))
def test_the_analyzer_takes_any_text(analyzer: Analyzer, docs: list[tuple[str, str | None]]) -> None:
    given_docs = [Document(f"d{i}", text, title=title) for i, (text, title) in enumerate(docs)]
    results = analyzer.run_many(given_docs)
    assert [r.document_id for r in results] == [d.id for d in given_docs]
    for doc, result in zip(given_docs, results, strict=True):
        assert result.errors == ()
        assert_statements_index(doc.text, result.statements)
        for actor in result.actors:
            for m in actor.mentions:
                assert 0 <= m.start < m.end <= len(doc.text)
        for s in result.summary.sentences:
            assert 0 <= s.start < s.end <= len(doc.text)
        assert len(result.embedding) == 384 and all(np.isfinite(result.embedding))


@MODEL
@given(hostile_text(max_pieces=12), st.lists(hostile_text(), min_size=1, max_size=3),
       st.lists(st.tuples(hostile_text(max_pieces=6), hostile_text(max_pieces=10)), max_size=2))
def test_the_answerer_takes_any_text(embedder: Embedder, question: str, texts: list[str],
                                     history: list[tuple[str, str]]) -> None:
    docs = [Document(f"d{i}", text) for i, text in enumerate(texts)]
    answer = Answerer(embedder).run(question, docs, history)
    by_id = {d.id: d.text for d in docs}
    for c in answer.citations:
        assert by_id[c.document_id][c.start : c.end] == c.text
    assert answer.answered == bool(answer.citations)


@pytest.fixture(scope="module")
def reading_answerer(embedder: Embedder) -> Answerer:
    """The bot's answerer: the bundled reader and its decider, naming the closest sentence."""
    answerer = Answerer(embedder, use_reader=True, closest=True)
    answerer.warm_up()
    return answerer


@MODEL
@given(hostile_text(max_pieces=12), st.lists(hostile_text(), min_size=1, max_size=3))
def test_the_reader_and_its_decider_take_any_text(reading_answerer: Answerer, question: str, texts: list[str]) -> None:
    """Answered or refused, never an error; citations and the short answer index the documents, and
    the score stays in [0, 1]."""
    docs = [Document(f"d{i}", text) for i, text in enumerate(texts)]
    answer = reading_answerer.run(question, docs)
    by_id = {d.id: d.text for d in docs}
    for c in (*answer.citations, *((answer.short,) if answer.short else ())):
        assert by_id[c.document_id][c.start : c.end] == c.text
    assert 0.0 <= answer.score <= 1.0
    assert answer.answered or answer.text == REFUSAL


@MODEL
@given(hostile_text(max_pieces=6), st.lists(hostile_text(max_pieces=3), max_size=4), hostile_text(max_pieces=6),
       hostile_text(), st.lists(hostile_text(max_pieces=3), max_size=3))
def test_topic_matching_takes_any_text(embedder: Embedder, phrase: str, keywords: list[str], title: str, text: str,
                                       actors: list[str]) -> None:
    matches = TopicMatcher(embedder).match_many([Topic(phrase, tuple(keywords)), Topic("Iran talks", ("+Iran",))],
                                                title=title, text=text, actors=actors)
    for match in matches:
        assert 0.0 <= match.score <= 1.0 and match.reason
        assert match.matched == (match.via is not None)


def test_naive_times_are_a_clean_error() -> None:
    candidate = StoryCandidate("a", "t", "l", np.ones(8, np.float32), datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        StoryClusterer().cluster([candidate])
