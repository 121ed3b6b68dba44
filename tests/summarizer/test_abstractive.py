"""Abstractive backend on a tiny random BART (real loading, chunking, batching and generation;
the text is gibberish), the faithfulness gate on crafted outputs, and the fallback facade."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.bench_abstractive import build_tiny_bart, compare
from summarizer.sentences import split_sentences
from summarizer.summarize import AbstractiveSummarizer, ExtractiveSummarizer, Summarizer, check_faithfulness
from summarizer.summarize.faithfulness import names, numbers, quotations
from summarizer.types import Document

TOPICS = ["harbour bridge", "city budget", "school meals", "river flooding", "train timetable", "park lights",
          "library hours", "bus fares", "street market", "museum roof"]


def _long_text(n: int = 30) -> str:
    return " ".join(f"Sentence {i} says the council discussed the {TOPICS[i % len(TOPICS)]} again on day {i}."
                    for i in range(n))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: a second thread only adds overhead on shared cores
    try:
        yield build_tiny_bart(tmp_path_factory.mktemp("tiny-bart"), max_positions=128)
    finally:
        torch.set_num_threads(threads)


def _summarizer(path: Path, **kw: Any) -> AbstractiveSummarizer:
    options: dict[str, Any] = {"max_input_tokens": 64, "chunk_overlap": 16, "batch_size": 2, "max_new_tokens": 8,
                               "num_beams": 2, "min_new_tokens": 4}
    options.update(kw)
    return AbstractiveSummarizer(path, **options)


# ---------------------------------------------------------------- model, chunks, batches


def test_tiny_bart_loads_by_path_and_generates(tiny_model: Path) -> None:
    summarizer = _summarizer(tiny_model)
    assert not summarizer.loaded
    text = summarizer.run(Document(id="a", text="The council met on Tuesday. It approved the budget."))
    assert summarizer.loaded
    assert isinstance(text, str) and text.strip()
    assert summarizer.last_stats.chunks == 1 and summarizer.last_stats.batches == 1
    assert summarizer.run(Document(id="e", text="  ")) == ""


def test_local_directory_is_loaded_without_the_network(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import transformers

    seen: list[Any] = []
    real_tok = transformers.AutoTokenizer.from_pretrained
    real_model = transformers.AutoModelForSeq2SeqLM.from_pretrained

    def tok(ref: str, **kw: Any) -> Any:
        seen.append(kw.get("local_files_only"))
        return real_tok(ref, **kw)

    def model(ref: str, **kw: Any) -> Any:
        seen.append(kw.get("local_files_only"))
        return real_model(ref, **kw)

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", tok)
    monkeypatch.setattr(transformers.AutoModelForSeq2SeqLM, "from_pretrained", model)
    _summarizer(tiny_model).warm_up()
    assert seen == [True, True]


def test_long_document_is_chunked_on_sentence_boundaries_with_overlap(tiny_model: Path) -> None:
    summarizer = _summarizer(tiny_model)
    text = _long_text()
    chunks = summarizer.chunks(text)
    assert len(chunks) >= 4
    sentences = [s.text for s in split_sentences(text)]
    tok = summarizer.tokenizer
    covered: list[str] = []
    for chunk in chunks:
        assert len(tok(chunk)["input_ids"]) <= 64, "special tokens included"
        inner = [s.text for s in split_sentences(chunk)]
        assert all(s in sentences for s in inner), "chunks hold whole sentences"
        covered.extend(inner)
    assert list(dict.fromkeys(covered)) == sentences, "every sentence, in order"
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert split_sentences(b)[0].text in a, "the next chunk repeats the end of the previous one"
    no_overlap = _summarizer(tiny_model, chunk_overlap=0).chunks(text)
    assert len(covered) > len(sentences), "overlapping sentences are seen twice"
    assert sum(len(split_sentences(c)) for c in no_overlap) == len(sentences)


def test_a_sentence_longer_than_a_chunk_is_cut_at_token_boundaries(tiny_model: Path) -> None:
    summarizer = _summarizer(tiny_model)
    words = " ".join(f"word{i}" for i in range(150))
    chunks = summarizer.chunks(words + ".")
    assert len(chunks) >= 3
    assert all(len(summarizer.tokenizer(c)["input_ids"]) <= 64 for c in chunks)
    assert "".join(chunks).replace(" ", "") == (words + ".").replace(" ", "")


def test_chunks_are_generated_in_batches_and_combined(tiny_model: Path) -> None:
    summarizer = _summarizer(tiny_model, batch_size=3)
    summarizer.warm_up()
    calls: list[int] = []
    real_generate = summarizer.model.generate

    def spy(**kw: Any) -> Any:
        calls.append(int(kw["input_ids"].shape[0]))
        return real_generate(**kw)

    summarizer.model.generate = spy
    docs = [Document(id=str(i), text=_long_text(12 + 6 * i)) for i in range(3)]
    out = summarizer.run_many(docs)
    stats = summarizer.last_stats
    assert len(out) == 3 and all(o.strip() for o in out)
    assert max(calls) == 3 and sum(calls) == stats.chunks and len(calls) == stats.batches
    first_round = sum(len(summarizer.chunks(d.text)) for d in docs)
    assert first_round > 3 and len(calls) >= math.ceil(first_round / 3)
    # three chunks' summaries (3 x 8 tokens) exceed max_new_tokens: they were summarised again
    assert stats.rounds == 2 and stats.chunks > first_round
    for text in out:
        assert len(summarizer.tokenizer(text, add_special_tokens=False)["input_ids"]) <= 8


def test_bench_helper_times_both(tiny_model: Path) -> None:
    result = compare(tiny_model, [_long_text(8), _long_text(10)], max_input_tokens=128, chunk_overlap=16,
                     max_new_tokens=4, num_beams=1)
    assert result["ours_s_per_article"] > 0 and result["plain_s_per_article"] > 0
    assert result["plain_kind"] in {"pipeline", "generate"}
    assert result["chunks"] >= 2


# ---------------------------------------------------------------- the facade


def test_gibberish_is_rejected_and_the_facade_falls_back(tiny_model: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc = Document(id="long", text=_long_text(), title="Council discusses the city again")
    facade = Summarizer(ExtractiveSummarizer(None), _summarizer(tiny_model))
    with caplog.at_level(logging.INFO, logger="summarizer.summarize"):
        summary = facade.run(doc)
    assert summary.method == "extractive"
    assert summary.note and summary.note.startswith("abstractive summary rejected")
    assert summary.sentences and summary.text == " ".join(s.text for s in summary.sentences)
    assert any("rejected" in r.getMessage() for r in caplog.records)
    many = facade.run_many([doc, Document(id="b", text="The mayor opened the new park on Monday morning.")])
    assert [s.method for s in many] == ["extractive", "extractive"] and all(s.note for s in many)


class _Stub:
    def __init__(self, result: str | Exception) -> None:
        self.result = result

    def run(self, doc: Document) -> str:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    def run_many(self, docs: list[Document]) -> list[str]:
        return [self.run(d) for d in docs]


SOURCE = ("Chelsea have made an offer for FC Tokyo's 22-year-old forward Yoshinori Muto, according to club "
          "president Naoki Ogane. Chelsea signed a £200million sponsorship deal with Yokohama Rubber in February. "
          "\"It is a formal offer with conditions,\" Ogane told Sports Nippon. Profits rose 4.5 per cent to "
          "$1.23 billion, the U.S. company said. Five players were injured.")


def test_facade_uses_a_faithful_abstract_and_falls_back_otherwise(caplog: pytest.LogCaptureFixture) -> None:
    doc = Document(id="c", text=SOURCE)
    faithful = "Chelsea made a formal offer for Yoshinori Muto, FC Tokyo's president Naoki Ogane said."
    ok = Summarizer(ExtractiveSummarizer(None), _Stub(faithful)).run(doc)  # type: ignore[arg-type]
    assert ok.method == "abstractive" and ok.text == faithful and ok.note is None and ok.sentences == ()

    with caplog.at_level(logging.WARNING, logger="summarizer.summarize"):
        broken = _Stub(RuntimeError("out of memory"))
        failed = Summarizer(ExtractiveSummarizer(None), broken).run(doc)  # type: ignore[arg-type]
    assert failed.method == "extractive" and failed.text
    assert failed.note == "abstractive summary failed (RuntimeError: out of memory)"
    assert any("failed" in r.getMessage() for r in caplog.records)

    empty = Summarizer(ExtractiveSummarizer(None), _Stub("  ")).run(doc)  # type: ignore[arg-type]
    assert empty.method == "extractive" and empty.note == "abstractive summary was empty"

    arsenal = _Stub("Arsenal made an offer for Muto.")
    invented = Summarizer(ExtractiveSummarizer(None), arsenal).run(doc)  # type: ignore[arg-type]
    assert invented.method == "extractive" and "Arsenal" in (invented.note or "")

    plain = Summarizer(ExtractiveSummarizer(None)).run(doc)
    assert plain == ExtractiveSummarizer(None).run(doc)


# ---------------------------------------------------------------- the gate


@pytest.mark.parametrize(
    "summary",
    [
        "Chelsea have made an offer for Yoshinori Muto, says FC Tokyo president Naoki Ogane.",
        "President Ogane said Chelsea's offer for the 22-year-old Muto is formal.",
        "Chelsea signed a £200m deal with Yokohama Rubber; profits rose 4.5% to $1.2bn.",
        "Ogane said: \"It is a formal offer with conditions.\"",
        "Ogane said 'it is a formal offer' for Muto.",
        "5 players were injured at the U.S. company.",
        "Profits at the US company rose to $1,230 million.",
    ],
)
def test_gate_accepts_faithful_summaries(summary: str) -> None:
    assert check_faithfulness(summary, SOURCE) == []


@pytest.mark.parametrize(
    ("summary", "problem"),
    [
        ("Chelsea have made an offer for Yoshinori Muto, says FC Tokyo president John Ogane.", "John Ogane"),
        ("Arsenal have made an offer for Yoshinori Muto.", "Arsenal"),
        ("Chelsea signed a deal with Yokohama Rubber, the NATO company said.", "NATO"),
        ("Chelsea signed a £20million sponsorship deal with Yokohama Rubber.", "£20million"),
        ("50 players were injured.", "50"),
        ("Chelsea made an offer for the 23-year-old Muto.", "23"),
        ("Profits rose 45 per cent.", "45 per cent"),
        ("Profits rose to $2.3 billion.", "$2.3 billion"),
        ("Chelsea paid €200million for the deal with Yokohama Rubber.", "€200million"),
        ("Ogane said: \"We will sign him this summer.\"", "We will sign him this summer."),
        ("Ogane called it 'a done deal' for Muto.", "a done deal"),
        ("button pursuing muller adventure doradora gravel whisk", "content words"),
    ],
)
def test_gate_rejects_unsupported_claims(summary: str, problem: str) -> None:
    problems = check_faithfulness(summary, SOURCE)
    assert problems, summary
    assert any(problem in p for p in problems), problems


def test_gate_extractors() -> None:
    text = "Mr. Muto met Bank of England staff in the U.S. on Friday. He said 'we will see' and \"yes\"."
    assert "Bank of England" in names(text) and "U.S." in names(text)
    assert "He" not in names(text) and "Friday" not in names(text)
    assert [n[1] for n in numbers("It cost £1.2bn, up 3.5% on the 1,200 staff.")] == [1.2e9, 3.5, 1200.0]
    assert numbers("£5m")[0][3] == "gbp" and numbers("5 per cent")[0][2] is True
    assert quotations(text) == ["yes", "we will see"]
    assert quotations("The players' union met at Jones' house.") == []


@pytest.mark.shared
def test_gate_on_summeval_accepts_extracts_and_rejects_mismatched_references() -> None:
    """Copied text always passes; human references pass often on their own article (they are
    free paraphrases, with typos) and almost never on another article."""
    import json

    path = Path(__file__).resolve().parents[2].parent / "shared/eval/summarization/summeval-cnndm-100.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    extractive = ExtractiveSummarizer(None)
    for row in rows:
        briefing = extractive.run(Document(id=row["id"], text=row["article"])).text
        assert check_faithfulness(briefing, row["article"]) == [], row["id"]
    own = [not check_faithfulness(ref, row["article"]) for row in rows for ref in row["references"]]
    other = [not check_faithfulness(ref, rows[(i + 1) % len(rows)]["article"])
             for i, row in enumerate(rows) for ref in row["references"]]
    assert sum(own) / len(own) >= 0.5  # measured 0.585
    assert sum(other) / len(other) <= 0.01  # measured 0.0
