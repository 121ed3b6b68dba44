"""Hostile input to the summarizer (issue 10): one test per defect a hostile publisher found, each
written to fail on the code before its fix; the work of every stage grows linearly, counted in
lines executed, never timed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from summarizer.actors import ActorExtractor
from summarizer.actors.canonical import MAX_MENTIONS, build_actors, person_names_agree
from summarizer.actors.gazetteer import default_gazetteer
from summarizer.actors.ner import MAX_PIECES, merge_rules, tokenize
from summarizer.analyzer import Analyzer, InputError
from summarizer.answering.questions import clauses, names_in, sentence_tokens
from summarizer.answers import REFUSAL, Answerer
from summarizer.embeddings import Embedder
from summarizer.prepare import blank_html, prepare_text
from summarizer.sentences import _CANDIDATE, split_sentences
from summarizer.statements import extract_statements
from summarizer.stories import embed_candidate_text
from summarizer.summarize import ExtractiveSummarizer, Summarizer
from summarizer.topics import Topic, TopicMatcher, _count, _stems
from summarizer.types import Actor, Document, Mention
from tests.summarizer.hostile_text import capitalised_actors, python_steps

ARTICLE = ('"We will not give up the fight for our homes," said Maria Lopez, who leads the tenants\' union. '
           "The city council voted on Tuesday to delay the eviction of 300 families. Officials said the vote "
           "would be repeated next month.")


# ---------------------------------------------------------------- defect 5: quadratic splitting


@pytest.mark.parametrize("mark", list(".!?…"))
def test_a_run_of_marks_is_tried_once_not_once_per_mark(mark: str) -> None:
    """A sentence-end candidate starts only at the first mark of a run: the old pattern was retried
    at every mark of a run not followed by a space (20,000 marks: 6 s)."""
    text = "Wait" + mark * 50 + " Then" + mark * 3000 + "x it ended."
    starts = [i for i in range(len(text)) if _CANDIDATE.match(text, i)]
    assert starts == [4]
    assert [s.text for s in split_sentences(text)] == ["Wait" + mark * 50, "Then" + mark * 3000 + "x it ended."]


def _grows_linearly(stage: Callable[[str], object], unit: str, n: int = 1500) -> tuple[int, int]:
    def text(size: int) -> str:
        return "The mayor said the plan works. " + unit * (size // len(unit)) + " Officials said it ended."

    return python_steps(lambda: stage(text(n))), python_steps(lambda: stage(text(4 * n)))


STAGES: dict[str, Callable[[str], object]] = {
    "sentences": split_sentences,
    "statements": lambda t: extract_statements(t, split_sentences(t), capitalised_actors(t)),
    "markup": prepare_text,
    "summary": lambda t: ExtractiveSummarizer(None).run(Document("d", t, title="The plan")),
    "answer index": lambda t: (sentence_tokens(split_sentences(t)), [clauses(s.text) for s in split_sentences(t)]),
    "topic terms": lambda t: _count(_stems("plan works"), _stems(t)),
}
UNITS = [".", "!…", '"', "“a ”", "Mr. ", '"We go," he said. ', '"Go," Ali Khan said. ', "Ab Cd\n", "- a\n",
         "<!--", "<script>", "<p>x", "Said ", "Ab" + " " * 40 + "x ", "According to Iran, ", "He said that "]


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("stage", list(STAGES))
def test_the_work_of_every_stage_grows_linearly(stage: str, unit: str) -> None:
    """Four times the text costs at most about four times the lines executed."""
    small, large = _grows_linearly(STAGES[stage], unit)
    assert large <= 5 * small + 2000, (small, large)


def test_merging_tagger_and_gazetteer_mentions_is_linear() -> None:
    """Each tagged mention is compared with the gazetteer matches it overlaps, not with all of them."""
    gazetteer = default_gazetteer()

    def merge(n: int) -> int:
        text = "Iran and Israel. " * n
        tagged = [Mention(text[i : i + 4], i, i + 4, "GPE") for i in range(0, len(text), 17)]
        return python_steps(lambda: merge_rules(text, tagged, gazetteer.find(text)))

    small, large = merge(200), merge(800)
    assert large <= 5 * small, (small, large)


@pytest.mark.parametrize("kind", ["one person", "many people", "many organisations", "titles"])
def test_grouping_mentions_into_actors_is_linear(kind: str) -> None:
    """Grouping keeps each cluster's longest name and its names' lookups up to date instead of
    walking every mention of every cluster again for each new mention (3,000 mentions: 12 s)."""

    def mentions(n: int) -> tuple[str, list[Mention]]:
        parts, found, pos = [], [], 0
        for i in range(n):
            name, typ = {
                "one person": ("Ali Khamenei" if i % 2 else "Khamenei", "PERSON"),
                "many people": (f"Person{i:05d} Surname{i:05d}", "PERSON"),
                "many organisations": (f"Company{i:05d} Holdings", "ORG"),
                "titles": ("President Khamenei", "PERSON"),
            }[kind]
            parts.append(name + " said. ")
            found.append(Mention(name, pos, pos + len(name), typ))
            pos += len(name) + 7
        return "".join(parts), found

    def steps(n: int) -> int:
        text, found = mentions(n)
        return python_steps(lambda: build_actors(text, found))

    small, large = steps(150), steps(600)
    assert large <= 5 * small, (small, large)


def test_grouping_stops_at_a_bounded_number_of_mentions() -> None:
    text = "Khamenei said. " * (MAX_MENTIONS + 500)
    found = [Mention("Khamenei", i * 15, i * 15 + 8, "PERSON") for i in range(MAX_MENTIONS + 500)]
    actors = build_actors(text, found)
    assert sum(len(a.mentions) for a in actors) == MAX_MENTIONS


def test_a_first_name_of_full_stops_only_is_no_crash() -> None:
    """Found by fuzzing: ". Smith" against "1. Smith" compared the first letter of an empty name."""
    assert person_names_agree("1. Smith", ". Smith") is False
    text = "1. Smith met . Smith there."
    actors = build_actors(text, [Mention("1. Smith", 0, 8, "PERSON"), Mention(". Smith", 13, 20, "PERSON")])
    assert sorted(m.text for a in actors for m in a.mentions) == [". Smith", "1. Smith"]


def test_the_tagger_reads_a_bounded_number_of_word_pieces(embedder: Embedder) -> None:
    """A run of punctuation is one word piece per character: 100,000 of them took 30 s to tag."""
    enc = tokenize(embedder.tokenizer, "Ali Khamenei spoke. " + "." * 60_000)
    assert 0 < len(enc.input_ids) <= MAX_PIECES
    assert enc.words[-1, 1] <= 20 + MAX_PIECES


def test_a_comment_or_script_without_its_end_blanks_nothing_after_it() -> None:
    """Markup without its closer is searched for once, and the text after it stays."""
    text = "<p>Open</p> <!-- <b>bold</b> <script> x <style>" * 3 + " <p>Tail</p>"
    blanked = blank_html(text)
    assert len(blanked) == len(text)
    assert "Open" in blanked and "Tail" in blanked and "<" not in blanked.replace("<!--", "").replace(
        "<script>", "").replace("<style>", "")


# ---------------------------------------------------------------- defect 12: the statement extractor


@pytest.mark.parametrize("text", [
    'The U.S. Department of State "strongly condemns" the attack, a spokesman said.',
    'The Prime Minister Said "We will win this war."',
    'Maria Lopez of Says "We will win this war."',
])
def test_a_quote_after_a_cue_word_inside_a_name_is_no_crash(text: str) -> None:
    """'Secretary of State "..."': the word before the quote is a cue word that is part of a name,
    so it is no cue (IndexError in _attribution_before on political news)."""
    actors = capitalised_actors(text)
    for st in extract_statements(text, split_sentences(text), actors):
        assert text[st.span.start : st.span.end] == st.text


def test_a_quote_right_after_its_speech_verb_is_still_found() -> None:
    text = 'Ali Khamenei said "We will win this war."'
    found = extract_statements(text, split_sentences(text), capitalised_actors(text))
    assert [(s.speaker, s.kind, s.text) for s in found] == [("Ali Khamenei", "direct", "We will win this war.")]


class _FailingActors:
    def warm_up(self) -> None:
        pass

    def run(self, text: str) -> list[Actor]:
        raise RuntimeError("tagger broke")


def test_failing_actors_leave_the_summary_and_embedding(embedder: Embedder) -> None:
    analyzer = Analyzer(embedder, _FailingActors(), Summarizer(ExtractiveSummarizer(embedder)))
    result = analyzer.run(Document("a", ARTICLE, title="Eviction delayed"))
    assert result.actors == () and result.summary.text and len(result.embedding) == 384
    assert result.errors == ("actors failed: RuntimeError: tagger broke",)
    # statements still run, without known speakers: the quote has no speaker it can name
    assert all(s.speaker is None for s in result.statements)


def test_failing_statements_leave_actors_and_summary(analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> list[object]:
        raise IndexError("list index out of range")

    monkeypatch.setattr("summarizer.analyzer.extract_statements", broken)
    result = analyzer.run(Document("a", ARTICLE, title="Eviction delayed"))
    assert result.statements == () and result.summary.text
    assert "Maria Lopez" in {a.name for a in result.actors}
    assert result.errors == ("statements failed: IndexError: list index out of range",)


def test_a_failing_summary_leaves_the_rest(analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("no summary today")

    monkeypatch.setattr(analyzer.summarizer.extractive, "run", broken)
    result = analyzer.run(Document("a", ARTICLE))
    assert result.summary.text == "" and result.summary.note == "the summary failed"
    assert result.statements and result.actors and result.errors == ("summary failed: ValueError: no summary today",)


class _PoisonedEmbedder:
    """The real embedder, except that a batch with a poisoned text raises."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    def warm_up(self) -> None:
        self.inner.warm_up()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if any("POISON" in t for t in texts):
            raise RuntimeError("encoder broke")
        return self.inner.encode(texts)


def test_a_document_the_encoder_fails_on_does_not_fail_the_batch(embedder: Embedder) -> None:
    poisoned = _PoisonedEmbedder(embedder)
    analyzer = Analyzer(poisoned, ActorExtractor(embedder), Summarizer(ExtractiveSummarizer(poisoned)))  # type: ignore[arg-type]
    poison = "POISON was found in the river on Monday, the water authority said in a statement. "
    good, bad = analyzer.run_many([Document("good", ARTICLE), Document("bad", poison + ARTICLE)])
    assert good.errors == () and len(good.embedding) == 384 and good.summary.text
    assert bad.embedding == () and bad.actors and bad.statements
    assert bad.errors == ("embedding failed: RuntimeError: encoder broke", "summary failed: RuntimeError: encoder broke")


def test_text_that_is_not_a_string_is_an_input_error(analyzer: Analyzer) -> None:
    with pytest.raises(InputError, match="no text"):
        analyzer.run(Document("b", None))  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["It is what it is.", ", , , , , , , , ,", "It is. It was. It is what it is."])
def test_a_text_of_stopwords_gives_no_answer_not_an_error(embedder: Embedder, text: str) -> None:
    """bm25s cannot index a corpus without a single term: the sources don't say."""
    answer = Answerer(embedder).run("When did the strike end?", [Document("s", text)])
    assert not answer.answered and answer.text == REFUSAL


def test_a_name_run_before_a_long_gap_is_read_once() -> None:
    """Names followed by long runs of spaces, and runs of capitalised stop words, give the names."""
    assert names_in("Ali Khamenei" + " " * 5000 + "spoke") == ["Ali Khamenei"]
    assert names_in("Said " * 3000 + "Khamenei said") == ["Khamenei"]


# ---------------------------------------------------------------- lone surrogates


SURROGATE_TEXT = 'The minister said "we \ud83d will win," Ali Khamenei said on Monday. Iran\udc00 agreed.'


def test_a_lone_surrogate_reaches_every_model_entry_point(analyzer: Analyzer, embedder: Embedder) -> None:
    """JSON's "\\ud83d" decodes to a lone surrogate, which the tokenizers refuse (TypeError)."""
    assert embedder.encode([SURROGATE_TEXT, "\udfff"]).shape == (2, 384)
    result = analyzer.run(Document("s", SURROGATE_TEXT, title="Title \ud83d"))
    assert result.summary.text and result.errors == ()
    for s in result.statements:  # the quote holding the surrogate is not verbatim after cleaning: dropped
        assert SURROGATE_TEXT[s.span.start : s.span.end] == s.text
    for actor in result.actors:
        for m in actor.mentions:
            assert 0 <= m.start < m.end <= len(SURROGATE_TEXT)
    assert "Ali Khamenei" in {a.name for a in result.actors}
    answer = Answerer(embedder).run("Who said \ud83d they would win?", [Document("s", SURROGATE_TEXT)])
    for c in answer.citations:
        assert SURROGATE_TEXT[c.start : c.end] == c.text
    matcher = TopicMatcher(embedder)
    assert matcher.match(Topic("Iran \ud800 talks"), title="\udbff", text=SURROGATE_TEXT).topic.phrase
    assert embed_candidate_text("\ud83d", SURROGATE_TEXT)
