"""The extractive briefing: cleaning, budget, order, redundancy; and its ROUGE on SummEval
(shared-marked: beats Lead-3 on ROUGE-1 and ROUGE-2, above pinned floors)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bench.eval_summaries import evaluate, table
from summarizer.sentences import split_sentences
from summarizer.summarize.extractive import ExtractiveSummarizer, clean_sentence
from summarizer.types import Document, Sentence

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SUMMEVAL = SHARED / "eval" / "summarization" / "summeval-cnndm-100.jsonl"


class HashEncoder:
    """Deterministic stand-in for the Embedder: hashed bag of words, L2-normalised; counts calls."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, zlib.crc32(word.strip(".,'\"").encode()) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


LEAD = "The city council voted on Tuesday to close the old harbour bridge to all traffic from next month."
STORY = [
    LEAD,
    "Engineers found deep cracks in two of the bridge's steel supports during an inspection in May.",
    "Commuters will have to use the ferry or a new bus route until repairs are finished next spring.",
    "The repairs are expected to cost about 40 million dollars, the council's finance chief said.",
    "Local shop owners fear that the closure will keep customers away from the waterfront district.",
    "A public meeting about the plans will be held at the town hall on Thursday evening.",
]


def _check_summary(doc: Document, summary, max_chars: int = 600) -> None:
    assert summary.method == "extractive"
    assert summary.text == " ".join(s.text for s in summary.sentences)
    starts = [s.start for s in summary.sentences]
    assert starts == sorted(starts), "sentences are in text order"
    for s in summary.sentences:
        assert doc.text[s.start : s.end] == s.text, "offsets point at the sentence"
    if summary.note is None:
        assert len(summary.text) <= max_chars


def test_junk_is_dropped_and_datelines_are_cut() -> None:
    text = (
        "By . Daily Mail Reporter . PUBLISHED: . 08:41 EST, 23 October 2013 . | . UPDATED: . 08:41 EST, "
        "23 October 2013 .\n\n"
        "LONDON — " + LEAD + "\n\n"
        "Click here for the latest pictures.\n\n"
        "Scroll down for video\n\n"
        + " ".join(STORY[1:]) + "\n\nFollow us on Twitter for more news."
    )
    doc = Document(id="d1", text=text)
    summary = ExtractiveSummarizer(HashEncoder()).run(doc)
    _check_summary(doc, summary)
    assert summary.sentences[0].text == LEAD, "the lead, without the dateline, comes first"
    for junk in ("PUBLISHED", "Reporter", "Click here", "Scroll down", "Follow us", "LONDON"):
        assert junk not in summary.text


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("(CNN) The storm hit the coast late on Sunday night, cutting power to thousands.",
         "The storm hit the coast late on Sunday night, cutting power to thousands."),
        ("Rome (CNN) Italy is coping with a rising wave of migrants hoping to reach Europe.",
         "Italy is coping with a rising wave of migrants hoping to reach Europe."),
        ("WASHINGTON (Reuters) - The Senate passed the spending bill by a wide margin on Friday.",
         "The Senate passed the spending bill by a wide margin on Friday."),
        ("Scroll down for video A mother was holding the boy when he slipped into the enclosure.",
         "A mother was holding the boy when he slipped into the enclosure."),
        ("The minister said the talks would resume next week in Geneva.",
         "The minister said the talks would resume next week in Geneva."),
        ("By Tuesday, the storm had passed and the roads were open again.",
         "By Tuesday, the storm had passed and the roads were open again."),
        ("Millions subscribe to the streaming service every month, the company said.",
         "Millions subscribe to the streaming service every month, the company said."),
        ("The court ruled on the copyright dispute between the two publishers.",
         "The court ruled on the copyright dispute between the two publishers."),
        ("PUBLISHED: 10:01 EST, 2 May 2014 | UPDATED: 12:30 EST, 2 May 2014", None),
        ("Sign up for our morning newsletter to get the news first.", None),
        ("© 2015 Cable News Network. All rights reserved.", None),
        ("By Jane Smith, Political Editor", None),
        ("Click here to read the full report on the website.", None),
        ("CNN's Raja Razek reported from Beirut.", None),
        ("Photo: The damaged bridge seen from the river bank on Monday", None),
        ("ELECTION RESULTS LIVE", None),
        ("Khamenei Vows Iran and Allies Will Not Back Down from Israel: Rising Tensions in the Middle East", None),
        ("Title: Khamenei Says Iran Won't Back Down: What Does This Mean for the Region?", None),
        ("What Does This Mean for the Wider Region and Its Leaders?", None),
        ("Share this article", None),
        ("It was cold.", None),
    ],
)
def test_clean_sentence(raw: str, kept: str | None) -> None:
    text = "Intro line that is long enough to be a sentence here. " + raw
    sentence = Sentence(text=raw, start=text.index(raw), end=len(text), index=1)
    cleaned = clean_sentence(text, sentence)
    if kept is None:
        assert cleaned is None
    else:
        assert cleaned is not None and cleaned.text == kept
        assert text[cleaned.start : cleaned.end] == kept and cleaned.end == sentence.end
        assert cleaned.index == sentence.index


def test_budget_is_respected_and_sentences_are_whole() -> None:
    long_ones = [f"Sentence {i} tells a long part of the story about the harbour bridge, " + "with details " * 12
                 + "that matter." for i in range(8)]
    doc = Document(id="d2", text=" ".join(long_ones))
    for max_chars in (200, 400, 600):
        summary = ExtractiveSummarizer(HashEncoder(), max_chars=max_chars, target_chars=None).run(doc)
        _check_summary(doc, summary, max_chars)
        originals = {(s.start, s.end) for s in split_sentences(doc.text)}
        assert all((s.start, s.end) in originals for s in summary.sentences), "never cut mid-sentence"
        assert 1 <= len(summary.sentences) <= 3


def test_one_sentence_over_budget_is_returned_whole_with_a_note() -> None:
    sentence = "The harbour bridge, " + "which carried traffic for a century, " * 25 + "will close."
    doc = Document(id="d3", text=sentence)
    summary = ExtractiveSummarizer(HashEncoder(), max_chars=600).run(doc)
    assert summary.text == sentence and len(sentence) > 600
    assert summary.note and "600" in summary.note


def test_target_chars_makes_briefings_short_and_max_sentences_caps_them() -> None:
    doc = Document(id="d4", text=" ".join(STORY))
    short = ExtractiveSummarizer(HashEncoder(), target_chars=150).run(doc)
    full = ExtractiveSummarizer(HashEncoder(), target_chars=None).run(doc)
    one = ExtractiveSummarizer(HashEncoder(), max_sentences=1).run(doc)
    # each STORY sentence is ~95 characters: two reach 150, the cap of three stops the fill
    assert len(short.sentences) == 2 and len(short.text) >= 150
    assert len(full.sentences) == 3 and len(full.text) > len(short.text)
    assert [s.text for s in one.sentences] == [LEAD]


def test_near_duplicate_is_not_chosen_twice() -> None:
    dup = LEAD.replace("The city council", "City councillors")
    doc = Document(id="d5", text=" ".join([LEAD, dup, *STORY[1:]]))
    summary = ExtractiveSummarizer(HashEncoder(), target_chars=None).run(doc)
    texts = [s.text for s in summary.sentences]
    assert LEAD in texts and dup not in texts
    assert len(texts) == 3


def test_title_repeated_in_the_body_is_skipped_and_title_is_encoded() -> None:
    title = "Harbour bridge to close after cracks found"
    doc = Document(id="d6", text=title + "\n\n" + " ".join(STORY), title=title)
    enc = HashEncoder()
    summary = ExtractiveSummarizer(enc).run(doc)
    assert summary.sentences[0].text == LEAD
    assert enc.calls and enc.calls[0][-1] == title, "one batch: candidates then the title"
    assert len(enc.calls) == 1


def test_precomputed_embeddings_skip_the_encoder() -> None:
    doc = Document(id="d7", text=" ".join(STORY))
    sentences = split_sentences(doc.text)
    enc = HashEncoder()
    vectors = HashEncoder().encode([s.text for s in sentences])
    given = ExtractiveSummarizer(enc).run(doc, sentences, embeddings=vectors)
    assert enc.calls == []
    computed = ExtractiveSummarizer(HashEncoder()).run(doc, sentences)
    assert given == computed
    with pytest.raises(ValueError):
        ExtractiveSummarizer(enc).run(doc, sentences, embeddings=vectors[:2])


def test_no_model_mode_and_degenerate_documents() -> None:
    doc = Document(id="d8", text=" ".join(STORY))
    summary = ExtractiveSummarizer(None).run(doc)
    _check_summary(doc, summary)
    assert summary.sentences[0].text == LEAD
    empty = ExtractiveSummarizer(None).run(Document(id="e", text="   \n "))
    assert empty.text == "" and empty.sentences == () and empty.note
    junk = Document(id="j", text="Click here.\n\nShare this")
    fallback = ExtractiveSummarizer(None).run(junk)
    assert fallback.text and fallback.note and "junk" in fallback.note


def test_evaluate_scores_lead3_and_ours(tmp_path: Path) -> None:
    """On a file whose references are the lead sentences, Lead-3 scores 100 and ours its overlap."""
    rows = []
    for i in range(3):
        article = " ".join(f"{s[:-1]} number {i}." for s in STORY)
        lead3 = " ".join(s.text for s in split_sentences(article)[:3])
        rows.append({"id": str(i), "article": article, "references": [lead3, lead3]})
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = evaluate(path, embedder=HashEncoder())
    lead = result["systems"]["lead3"]
    assert lead["rouge1"]["mean"] == pytest.approx(100.0) and lead["rouge2"]["best"] == pytest.approx(100.0)
    ours = result["systems"]["ours"]
    assert 40.0 < ours["rouge1"]["mean"] < 100.0
    assert result["articles"] == 3 and result["articles_per_s"] > 0
    assert "lead3" in table(result)


@pytest.mark.shared
def test_sample_article_briefing_skips_headings_and_labels() -> None:
    path = SHARED / "samples" / "khamenei-statement.txt"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    text = path.read_text(encoding="utf-8")
    for title in (text.strip().splitlines()[0], None):
        doc = Document(id="k", text=text, title=title)
        summary = ExtractiveSummarizer(None).run(doc)
        _check_summary(doc, summary)
        assert summary.text.startswith("In a recent statement"), summary.text
        assert "Title:" not in summary.text and "Vows" not in summary.text


@pytest.mark.shared
def _summeval(lowercase: bool = False) -> dict:
    if not SUMMEVAL.is_file():
        pytest.skip(f"{SUMMEVAL} is absent")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: on shared cores a second one mostly spins
    try:
        return evaluate(SUMMEVAL, lowercase=lowercase)
    finally:
        torch.set_num_threads(threads)


def test_summeval_lowercased_still_beats_lead3() -> None:
    """The same articles flattened to lower case: the briefing must not lean on capitals (it did
    through the sentence splitter, which took a lower-case word for no sentence start)."""
    result = _summeval(lowercase=True)
    ours, lead3 = result["systems"]["ours"], result["systems"]["lead3"]
    print("\n" + table(result))
    # measured: ours 35.84 / 13.10 (mean), Lead-3 33.90 / 12.14; before the fix Lead-3 read
    # 1,638-character 'sentences' and ours 737 characters over its 600 budget
    assert ours["chars"] <= 600 and lead3["chars"] < 600
    assert ours["rouge1"]["mean"] > lead3["rouge1"]["mean"] + 1.0
    assert ours["rouge2"]["mean"] > lead3["rouge2"]["mean"] + 0.5


def test_summeval_quality_beats_lead3() -> None:
    result = _summeval()
    ours, lead3 = result["systems"]["ours"], result["systems"]["lead3"]
    print("\n" + table(result))
    # measured (mean over the 11 references): ours 35.90 / 13.13, Lead-3 33.86 / 12.13;
    # best of 11: ours 51.67 / 27.90, Lead-3 49.07 / 25.31
    assert ours["rouge1"]["mean"] >= 35.3
    assert ours["rouge2"]["mean"] >= 12.8
    assert ours["rouge1"]["best"] >= 50.8
    assert ours["rouge2"]["best"] >= 27.0
    for agg in ("mean", "best"):
        assert ours["rouge1"][agg] > lead3["rouge1"][agg] + 1.0, agg
        assert ours["rouge2"][agg] > lead3["rouge2"][agg] + 0.5, agg
        for metric in ("rouge1", "rouge2"):
            diff, half_width = result["ours_minus_lead3"][metric][agg]
            assert diff - half_width > 0, f"{metric} {agg}: the win over Lead-3 is not significant"
