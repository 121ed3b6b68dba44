"""The whole analyzer (real MiniLM, real tagger): annotated fixtures, the sample article, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.analyzer import Analyzer, InputError
from summarizer.types import Document
from tests.summarizer.fixtures.statement_cases import CASES, Case

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "khamenei-statement.txt"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_annotated_statements(analyzer: Analyzer, case: Case) -> None:
    result = analyzer.run(Document(id=case.name, text=case.text))
    assert sorted((s.speaker, s.kind, s.text) for s in result.statements) == sorted(case.statements)
    for s in result.statements:
        assert case.text[s.span.start : s.span.end] == s.text


@pytest.mark.shared
def test_sample_article(analyzer: Analyzer) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    result = analyzer.run(Document(id="sample", text=text))
    by_name = {a.name: a for a in result.actors}
    khamenei = next(a for a in result.actors if "Khamenei" in a.name)
    assert khamenei.type == "PERSON" and "Iran's Supreme Leader" in khamenei.aliases
    for name, kind in [("Iran", "GPE"), ("Israel", "GPE"), ("Hezbollah", "ORG"), ("Hamas", "ORG"),
                       ("Saudi Arabia", "GPE"), ("United States", "GPE")]:
        assert by_name[name].type == kind, name
    said = {(s.speaker, s.kind, s.cue) for s in result.statements}
    assert (khamenei.name, "direct", "stated") in said
    assert {(khamenei.name, "indirect", c) for c in ("declared", "emphasized", "warned")} <= said
    direct = [s for s in result.statements if s.kind == "direct"]
    assert [s.text for s in direct] == ["We will not retreat one step"]
    assert any(s.kind == "mixed" and '"cancerous tumor"' in s.text for s in result.statements)
    assert {s.speaker for s in result.statements} == {khamenei.name}
    assert len(result.summary.text) <= 600 and "Khamenei" in result.summary.text
    assert len(result.embedding) == 384


def test_bad_input_gives_a_result_or_a_clear_error(analyzer: Analyzer) -> None:
    assert analyzer.run(Document(id="empty", text="")).summary.text == ""
    html = ("<html><body><h1>Port strike ends</h1><p>\"We have won,\" union leader <b>Petra Anand</b> said on "
            "Friday.</p><p>The harbour authority said ships would be cleared within a week.</p></body></html>")
    result = analyzer.run(Document(id="html", text=html))
    assert result.summary.text and "<p>" not in result.summary.text
    for s in result.statements:
        assert html[s.span.start : s.span.end] == s.text
    german = Document(id="de", text="Die Hafenarbeiter haben am Freitag ihren Streik beendet. Die Löhne steigen um "
                                     "sechs Prozent, sagte die Gewerkschaft. Die Schiffe sollen bald abfahren.")
    de = analyzer.run(german)
    assert de.language is None and de.summary.text and de.statements == ()
    unbalanced = Document(id="q", text='The minister said "we will never. ' + "More words follow here. " * 200)
    assert analyzer.run(unbalanced).summary.text
    with pytest.raises(InputError):
        analyzer.run(Document(id="huge", text="x" * 2_000_001))
