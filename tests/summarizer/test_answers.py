"""Extractive answers with citations, with the real bundled MiniLM on hand-written articles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from summarizer.answers import (
    REFUSAL,
    Answerer,
    DocumentIndex,
    expand_question,
    question_type,
    tokenize,
)
from summarizer.embeddings import Embedder
from summarizer.types import Answer, Document
from tests.summarizer.fixtures.answer_articles import (
    DOCUMENTS,
    ECB,
    FERRY,
    FERRY_FOLLOW_UP,
    IRAN,
    US_RESPONSE,
    synthetic_articles,
)


class CountingEmbedder:
    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(threads=1)  # one intra-op thread: far faster than two on a busy 2-core machine


@pytest.fixture(scope="module")
def answerer(embedder: Embedder) -> Answerer:
    return Answerer(embedder)


def assert_well_formed(answer: Answer, documents: Sequence[Document] = DOCUMENTS) -> None:
    """Citations are exact spans and the text is exactly the cited sentences, numbered in order."""
    by_id = {d.id: d for d in documents}
    assert answer.answered and answer.citations
    for c in answer.citations:
        assert c.text == by_id[c.document_id].text[c.start : c.end]
    assert answer.text == " ".join(f"{c.text} [{n}]" for n, c in enumerate(answer.citations, start=1))


def cited_docs(answer: Answer) -> set[str]:
    return {c.document_id for c in answer.citations}


def test_who_said(answerer: Answerer) -> None:
    a = answerer.run("Who said the ferry was overloaded?", DOCUMENTS)
    assert_well_formed(a)
    assert a.citations[0].document_id == FERRY_FOLLOW_UP.id
    assert "Budi Hartono said the ferry had been overloaded" in a.citations[0].text
    assert a.score >= answerer.threshold


@pytest.mark.parametrize(("question", "expected"), [
    ("How many passengers are still missing?", "Thirty-one passengers remain missing"),
    ("How many people were on board the ferry?", "214 people on board"),
    ("How many people died in the ferry sinking?", "death toll"),
])
def test_how_many(answerer: Answerer, question: str, expected: str) -> None:
    a = answerer.run(question, DOCUMENTS)
    assert_well_formed(a)
    assert expected in a.citations[0].text
    assert cited_docs(a) <= {FERRY.id, FERRY_FOLLOW_UP.id}


def test_when(answerer: Answerer) -> None:
    a = answerer.run("When did the ECB cut its rate?", DOCUMENTS)
    assert_well_formed(a)
    assert a.citations[0].document_id == ECB.id and "on Thursday" in a.citations[0].text


@pytest.mark.parametrize("question", [
    "What did the Pope say about climate change?",
    "Who won the football match?",
    "What is the capital of France?",
    "What was the ticket price for the ferry?",  # on topic, but no article gives a price
    "What did the Bank of Japan decide?",  # a central bank, but not the one reported on
])
def test_unanswerable_questions_are_refused(answerer: Answerer, question: str) -> None:
    a = answerer.run(question, DOCUMENTS)
    assert a == Answer(answered=False, text=REFUSAL, citations=(), score=a.score)
    assert a.score < answerer.threshold


def test_support_scores_leave_a_margin(answerer: Answerer) -> None:
    answerable = ["Who said the ferry was overloaded?", "How many passengers are still missing?",
                  "When did the ECB cut its rate?", "How many people were on board the ferry?",
                  "What did Khamenei and the State Department say about negotiations?"]
    unanswerable = ["What did the Pope say about climate change?", "Who won the football match?",
                    "What is the capital of France?", "What was the ticket price for the ferry?",
                    "What did the Bank of Japan decide?"]
    yes = [answerer.run(q, DOCUMENTS).score for q in answerable]
    no = [answerer.run(q, DOCUMENTS).score for q in unanswerable]
    print(f"\nanswerable support {min(yes):.3f}..{max(yes):.3f}; unanswerable {min(no):.3f}..{max(no):.3f}; "
          f"threshold {answerer.threshold}")
    assert max(no) < answerer.threshold <= min(yes)


def test_an_answer_from_two_documents_cites_both(answerer: Answerer) -> None:
    a = answerer.run("What did Khamenei and the State Department say about negotiations?", DOCUMENTS)
    assert_well_formed(a)
    assert cited_docs(a) == {IRAN.id, US_RESPONSE.id}
    assert any("Ali Khamenei said on Monday" in c.text for c in a.citations)
    assert any("Daniel Whitmore" in c.text for c in a.citations)
    assert "[1]" in a.text and "[2]" in a.text


def test_a_pronoun_follow_up_uses_the_thread_history(answerer: Answerer) -> None:
    history = [("What did Khamenei say about talks with the United States?",
                "Iran's supreme leader Ali Khamenei said on Monday that negotiating with the United States "
                "would be neither wise nor honourable. [1]")]
    a = answerer.run("What did he tell the students?", DOCUMENTS, history)
    assert_well_formed(a)
    assert cited_docs(a) == {IRAN.id}  # not Lagarde, who also spoke to students
    assert any(c.text.startswith("He told the students that the country's young scientists") for c in a.citations)
    starts = [c.start for c in a.citations]
    assert starts == sorted(starts)  # one document: in reading order


def test_expand_question() -> None:
    history = [("What did Khamenei say about talks with the United States?", "...")]
    e = expand_question("What did he tell the students?", history)
    assert e.dense == "What did Khamenei tell the students?" and e.entities == ("Khamenei",)
    assert e.lexical.endswith("Khamenei")
    assert expand_question("What did his aides say?", history).dense == "What did Khamenei's aides say?"
    plural = expand_question("What did they agree?", [("Did Iran and Oman meet?", "")])
    assert plural.dense == "What did Iran and Oman agree?"
    # no pronoun, no history, or the name already there: unchanged
    assert expand_question("Who won?", history).dense == "Who won?"
    assert expand_question("What did he say?", ()).entities == ()
    assert expand_question("What did he say about Khamenei?", history).entities == ()
    # names from the previous answer when the previous question named nobody
    from_answer = expand_question("When did she say it?", [("Who leads the ECB?", "Christine Lagarde leads it. [1]")])
    assert from_answer.dense == "When did Christine Lagarde say it?"
    assert from_answer.entities == ("Christine Lagarde",)
    after_who = expand_question("What else did he say?", [("Who said the ferry was overloaded?",
                                                            "Transport minister Budi Hartono said so. [1]")])
    assert after_who.dense == "What else did Budi Hartono say?"
    no_names = expand_question("What did he say?", [("What happened?", "a ferry sank. [1]")])
    assert no_names.dense == "What did he say?" and no_names.entities == ()


def test_question_type_and_tokenize() -> None:
    assert question_type("How many people died?") == "number"
    assert question_type("When did it happen?") == "time"
    assert question_type("Who said that?") == "name"
    assert question_type("Why did the ferry sink?") is None
    # stop words go, irregular verbs are lemmatised, then the Snowball stemmer
    assert tokenize("He told the students; she said the tariffs rose.") == ["tell", "student", "say", "tariff", "rise"]
    assert tokenize("The strike ended") == tokenize("strike end") == ["strike", "end"]
    assert tokenize("the tariff rises") == tokenize("tariffs rose")


def test_sentence_embeddings_are_cached_per_document(embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    cache: dict[str, DocumentIndex] = {}
    answerer = Answerer(counting, cache=cache)  # type: ignore[arg-type]
    first = answerer.run("How many passengers are still missing?", [FERRY, FERRY_FOLLOW_UP])
    assert set(cache) == {FERRY.id, FERRY_FOLLOW_UP.id}
    counting.texts.clear()
    second = answerer.run("How many passengers are still missing?", [FERRY, FERRY_FOLLOW_UP])
    assert counting.texts == []  # the question and the shortlisted sentences: all cached
    assert second == first
    changed = Document(FERRY.id, FERRY.text.replace("Thirty-one", "Twenty-nine"))
    counting.texts.clear()
    third = answerer.run("How many passengers are still missing?", [changed, FERRY_FOLLOW_UP])
    assert "Twenty-nine passengers remain missing" in third.text  # a changed text is re-indexed
    assert len(counting.texts) > 1


def test_a_first_question_on_a_long_story_embeds_a_shortlist_and_finds_the_answer_deep_inside(
        embedder: Embedder) -> None:
    docs = synthetic_articles(10, 5000, pool=600)
    paragraphs = docs[6].text.split("\n\n")
    paragraphs.insert(12, "The harbour authority said the new ferry terminal at Kessing will cost 42 million euros.")
    docs[6] = Document(docs[6].id, "\n\n".join(paragraphs), title=docs[6].title)
    counting = CountingEmbedder(embedder)
    answerer = Answerer(counting, dense_pool=32)  # type: ignore[arg-type]
    a = answerer.run("How much will the ferry terminal at Kessing cost?", docs)
    assert_well_formed(a, docs)
    assert a.answered and any("42 million euros" in c.text for c in a.citations)
    sentences = sum(len(i.sentences) for i in answerer.index(docs))
    assert sentences >= 300
    # the question, each article's first sentence, the 32 best by BM25 and their clauses
    assert len(set(counting.texts)) <= 1 + 10 + 32 * 3 < sentences / 2


def test_a_question_without_a_content_word_on_a_long_story_is_refused(embedder: Embedder) -> None:
    """Only stop words ("What is it?") over more sentences than the shortlist: no lexical evidence
    at all, and a refusal, not an error (the shortlist's scores once had the whole story's length)."""
    docs = synthetic_articles(10, 5000, pool=600)
    for question in ("What is it?", "Who", "?" * 5000):
        assert Answerer(embedder).run(question, docs).text == REFUSAL


def test_nothing_to_answer_from() -> None:
    class Never:
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            raise AssertionError("should not encode")

    answerer = Answerer(Never())  # type: ignore[arg-type]
    assert answerer.run("Who?", []) == Answer(False, REFUSAL)
    assert answerer.run("   ", DOCUMENTS) == Answer(False, REFUSAL)


def test_ten_long_articles_give_well_formed_answers_from_a_warm_index(embedder: Embedder) -> None:
    """Over 10 articles of 5 kB (their latency is measured by ``python -m bench.eval_qa``, not here),
    each answer is well formed and a repeated question embeds nothing new."""
    docs = synthetic_articles(10, 5000)
    assert all(len(d.text) >= 5000 for d in docs)
    counting = CountingEmbedder(embedder)
    answerer = Answerer(counting)  # type: ignore[arg-type]
    indexes = answerer.index(docs)
    assert sum(len(i.sentences) for i in indexes) >= 300
    questions = ["How many households had been without power since the storm?",
                 "When will the new tram line open?", "What did union leaders say about ticket prices?",
                 "How much will repairs to the sea wall cost?", "Who warned about cracks in bridges?"]
    first = [answerer.run(q, docs) for q in questions]
    for a in first:
        assert_well_formed(a, docs)
    counting.texts.clear()
    assert [answerer.run(q, docs) for q in questions] == first
    assert counting.texts == []


def test_a_broken_qa_model_falls_back_to_sentences(embedder: Embedder, tmp_path: Path) -> None:
    answerer = Answerer(embedder, qa_model=tmp_path / "missing-model")
    a = answerer.run("Who said the ferry was overloaded?", DOCUMENTS)
    assert_well_formed(a)
    assert "Budi Hartono" in a.text


def test_a_sentence_leaning_on_the_previous_one_brings_it_along(answerer: Answerer) -> None:
    a = answerer.run("Did Washington say whether envoys met Iranian officials in Muscat?", DOCUMENTS)
    assert_well_formed(a)
    texts = [c.text for c in a.citations]
    assert "He declined to say whether envoys had met Iranian officials in Muscat." in texts
    # "He" is Whitmore, named in the sentence before: it is cited too, right before
    i = texts.index("He declined to say whether envoys had met Iranian officials in Muscat.")
    assert i > 0 and texts[i - 1].startswith("Whitmore told reporters in Washington")
    plain = Answerer(answerer._embedder, context=False).run(
        "Did Washington say whether envoys met Iranian officials in Muscat?", DOCUMENTS)
    assert [c.text for c in plain.citations] == [texts[i]]  # without context: the answer sentence alone


def test_clauses_of_a_long_sentence() -> None:
    from summarizer.answers import clauses

    sentence = ("Port workers in Velmar ended a nine-day strike on Friday after the harbour authority agreed "
                "to raise wages by 6 percent.")
    assert clauses(sentence) == ["Port workers in Velmar ended a nine-day strike on Friday",
                                 "after the harbour authority agreed to raise wages by 6 percent."]
    assert clauses("The strike ended on Friday.") == []


def test_the_shortlist_holds_each_documents_first_sentence_and_the_best_matches_in_reading_order(
        embedder: Embedder) -> None:
    filler = " ".join(f"Paragraph {i} is about the harbour's opening hours and its ferries." for i in range(40))
    docs = [Document(id="a", text="The council met on Monday. " + filler + " The mayor resigned over the budget."),
            Document(id="b", text="Rain is expected tomorrow. Nothing else happened.")]
    picked = Answerer(embedder, dense_pool=3).shortlist("Why did the mayor resign?", docs)
    texts = [c.text for c in picked]
    assert texts[0] == "The council met on Monday." and "The mayor resigned over the budget." in texts
    assert "Rain is expected tomorrow." in texts and len(picked) <= 2 + 3
    assert [c.document_id for c in picked] == sorted(c.document_id for c in picked)  # reading order
    assert all(docs[0 if c.document_id == "a" else 1].text[c.start:c.end] == c.text for c in picked)
    assert Answerer(embedder).shortlist("  ", docs) == [] and Answerer(embedder).shortlist("why?", []) == []
