"""The trained answer reader (summarizer/answering) on fixed inputs, with the real bundled MiniLM."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.answering.calibrate import Outcome, cross_validate, rates, tune
from summarizer.answering.reader import MiniLMReader, TransformersReader
from summarizer.answers import REFUSAL, Answerer
from summarizer.embeddings import Embedder, bundled_model_path
from summarizer.types import Document
from tests.summarizer.fixtures.answer_articles import DOCUMENTS, FERRY, FERRY_FOLLOW_UP, IRAN

RESIGNATION = [
    "The city council met on Tuesday evening to discuss the budget.",
    "Mayor Helena Vostrikova resigned on Tuesday after a vote of no confidence.",
    "The council will elect a new mayor within thirty days.",
]


@pytest.fixture(scope="module")
def reader(embedder: Embedder) -> MiniLMReader:
    r = MiniLMReader(embedder)
    r.warm_up()
    return r


def test_the_answering_sentence_scores_highest_and_over_the_threshold(reader: MiniLMReader) -> None:
    """The sentence that answers gets the top score, above the calibrated threshold."""
    readings = reader.read("Who resigned after the vote of no confidence?", RESIGNATION)
    scores = [r.score for r in readings]
    assert max(range(3), key=scores.__getitem__) == 1
    assert scores[1] >= reader.threshold


def test_the_short_answer_is_a_span_of_the_answering_sentence(reader: MiniLMReader) -> None:
    """The span head points at the answer words inside the sentence."""
    (reading,) = reader.read("Who resigned after the vote of no confidence?", RESIGNATION[1:2])
    assert reading.span is not None
    start, end = reading.span
    assert "Vostrikova" in RESIGNATION[1][start:end]
    assert len(RESIGNATION[1][start:end]) < len(RESIGNATION[1])


def test_sentences_that_do_not_answer_score_under_the_threshold(reader: MiniLMReader) -> None:
    """A question about something the sentences never mention gets no score over the threshold."""
    readings = reader.read("How many goals did the striker score in the final?", RESIGNATION)
    assert all(r.score < reader.threshold for r in readings)


def test_an_empty_list_of_passages_reads_nothing(reader: MiniLMReader) -> None:
    assert reader.read("Who resigned?", []) == []


def test_the_threshold_comes_from_the_weights_unless_given(embedder: Embedder) -> None:
    """The calibrated threshold ships with the weights; an explicit one overrides it."""
    shipped = MiniLMReader(embedder, threshold=0.3).threshold_from_weights()
    default = MiniLMReader(embedder)
    default.warm_up()
    assert default.threshold == pytest.approx(shipped) and 0.0 < shipped < 1.0
    assert MiniLMReader(embedder, threshold=0.9).threshold == 0.9


def test_threshold_zero_always_answers_and_one_always_refuses(embedder: Embedder) -> None:
    """The threshold alone decides between an answer and the refusal."""
    question = "Where did the Pope travel last week?"  # unanswerable: only the threshold answers it
    always = Answerer(embedder, reader=MiniLMReader(embedder, threshold=0.0)).run(question, DOCUMENTS)
    never = Answerer(embedder, reader=MiniLMReader(embedder, threshold=1.01)).run(
        "Who said the ferry was overloaded?", DOCUMENTS)
    assert always.answered and always.citations
    assert not never.answered and never.text == REFUSAL


def test_the_answer_carries_the_short_answer_inside_its_first_citation(embedder: Embedder) -> None:
    """Answer.short is an exact span of the cited document, inside the best citation."""
    a = Answerer(embedder, use_reader=True).run("Who said the ferry was overloaded?", DOCUMENTS)
    assert a.answered and a.short is not None
    doc = {d.id: d for d in DOCUMENTS}[a.short.document_id]
    assert a.short.text == doc.text[a.short.start : a.short.end]
    assert any(c.document_id == a.short.document_id and c.start <= a.short.start and a.short.end <= c.end
               for c in a.citations)
    assert "Hartono" in a.short.text


def test_a_question_on_an_unrelated_article_is_refused(embedder: Embedder) -> None:
    """The ferry question asked of the Iran article only: the sources don't say."""
    a = Answerer(embedder, use_reader=True).run("How many people were on board the ferry?", [IRAN])
    assert not a.answered and a.text == REFUSAL


def test_the_answer_deep_inside_a_long_article_is_found(embedder: Embedder) -> None:
    """A long article (20 paragraphs of council business) with the answer in paragraph 15: retrieval
    hands it to the reader, which reads it best (whether it clears the shipped threshold is a
    matter of calibration, judged by bench/eval_qa.py, not here)."""
    filler = [f"The council discussed item {k} of the agenda, a routine report on parks, roads and street "
              f"lighting in district {k}, and approved it without debate." for k in range(20)]
    filler[14] = ("Councillors also heard that the contract for the new harbour bridge was awarded to Meridian "
                  "Steelworks, a firm based in Tarrow, after a tender that lasted eight months.")
    doc = Document("long-1", "\n\n".join(filler))
    always = MiniLMReader(embedder, threshold=0.0)
    a = Answerer(embedder, reader=always).run("Which company won the contract for the harbour bridge?",
                                              [doc, FERRY, FERRY_FOLLOW_UP])
    assert a.answered
    assert a.citations[0].document_id == "long-1" and "Meridian Steelworks" in a.citations[0].text


def test_calibration_tunes_by_folds_and_judges_each_fold_held_out() -> None:
    """A threshold tuned on the other titles is applied to each fold; rates count what they say."""
    outcomes = [Outcome(t, "answerable", 0.9, True) for t in "abcd"] + [
        Outcome(t, "unanswerable", 0.1) for t in "abcd"] + [Outcome("a", "answerable", 0.95, False),
                                                            Outcome("b", "unrelated", 0.05)]
    r = rates(outcomes, 0.5)
    assert (r.answerable, r.unanswerable, r.unrelated) == (0.8, 1.0, 1.0)
    assert 0.1 < tune(outcomes) <= 0.9
    per_fold, overall = cross_validate(outcomes, [("a", "b"), ("c", "d")])
    assert len(per_fold) == 2 and overall.counts == (5, 4, 1)
    assert overall.answerable == 0.8 and overall.unanswerable == 1.0


def _tiny_qa_model(path: Path) -> Path:
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path()), local_files_only=True)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=512)
    BertForQuestionAnswering(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_a_transformers_qa_model_plugs_into_the_reader_interface(embedder: Embedder, tmp_path: Path) -> None:
    """QA_MODEL (a tiny random model): scores in [0, 1], spans inside the passage, same Answerer path."""
    model = _tiny_qa_model(tmp_path / "tiny-qa")
    qa = TransformersReader(model, threshold=0.0)
    readings = qa.read("Who resigned?", RESIGNATION)
    assert len(readings) == 3
    for reading, passage in zip(readings, RESIGNATION, strict=True):
        assert 0.0 <= reading.score <= 1.0
        assert reading.span is None or 0 <= reading.span[0] < reading.span[1] <= len(passage)
    a = Answerer(embedder, reader=qa).run("Who said the ferry was overloaded?", DOCUMENTS)
    assert a.answered and a.citations  # random weights: only the structure is checked
    if a.short is not None:
        assert any(c.document_id == a.short.document_id and c.start <= a.short.start < a.short.end <= c.end
                   for c in a.citations)
    assert isinstance(Answerer(embedder, qa_model=model)._reader, TransformersReader)  # QA_MODEL's path
    refusing = Answerer(embedder, reader=TransformersReader(model, threshold=1.01))
    assert not refusing.run("Who said the ferry was overloaded?", DOCUMENTS).answered


def test_briefbot_ask_writes_the_short_answer_only_when_there_is_one() -> None:
    """The `briefbot ask` line gains "short" (offsets and words) when the reader found one."""
    from bot.batch import answer_record
    from summarizer.types import Answer, Citation

    sentence = Citation("d", 10, 40, "Mayor Helena Vostrikova resigned")
    with_short = answer_record("q1", Answer(True, "x [1]", (sentence,), 0.9, Citation("d", 16, 33, "Helena Vostrikova")))
    assert with_short["short"] == {"start": 16, "end": 33, "text": "Helena Vostrikova"}
    assert "short" not in answer_record("q2", Answer(False, REFUSAL))


def test_a_refusal_names_the_closest_sentence_only_when_it_is_close_and_asked_to(embedder: Embedder) -> None:
    """With ``closest``, a refusal carries the best-read sentence (not the answer) when it scored at
    least half the threshold; an unrelated question's refusal carries nothing."""
    strict = MiniLMReader(embedder, threshold=1.01)  # refuses everything: what does it name?
    near = Answerer(embedder, reader=strict, closest=True).run("Who said the ferry was overloaded?", DOCUMENTS)
    assert not near.answered and near.text == REFUSAL
    assert len(near.citations) == 1 and "Hartono" in near.citations[0].text
    doc = {d.id: d for d in DOCUMENTS}[near.citations[0].document_id]
    assert doc.text[near.citations[0].start : near.citations[0].end] == near.citations[0].text
    plain = Answerer(embedder, reader=strict).run("Who said the ferry was overloaded?", DOCUMENTS)
    assert not plain.answered and plain.citations == ()
    far = Answerer(embedder, reader=strict, closest=True).run("How many goals did the striker score?", [IRAN])
    assert not far.answered and far.citations == ()


def test_what_was_said_questions_stay_with_the_rule_gate(embedder: Embedder) -> None:
    """"What did X say ...?" goes to the rule gate (the reader, trained on factoid questions, reads
    it poorly); "who said ...?" is the reader's."""
    strict = Answerer(embedder, reader=MiniLMReader(embedder, threshold=1.01))  # the reader refuses all
    said = strict.run("What did Budi Hartono say about the ferry?", DOCUMENTS)
    assert said.answered and "Hartono" in said.text
    assert not strict.run("Who said the ferry was overloaded?", DOCUMENTS).answered


def test_the_bot_reads_with_the_trained_reader_and_its_decider_unless_switched_off() -> None:
    from bot.language import build_language
    from bot.settings import Settings

    assert build_language(Settings(_env_file=None, answer_reader=False)).answerer.reads is False
    on = build_language(Settings(_env_file=None)).answerer
    on.warm_up()
    assert on.reads is True and on.closest and on.decider is not None
