"""The language rows of `make eval`: briefing ROUGE against Lead-3, entity F1 by type, statement
checks (the sample article and the team's annotated fixtures) and articles analysed per second.

Reads ../shared in place. Run alone with `python -m bench.eval_language`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench import eval_summaries
from summarizer.prepare import prepare_text

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "samples" / "khamenei-statement.txt"
ENTITIES = SHARED / "eval" / "entities"
SUMMEVAL = SHARED / "eval" / "summarization" / "summeval-cnndm-100.jsonl"

Row = tuple[str, str]


def _analyzer(threads: int):  # type: ignore[no-untyped-def]
    from summarizer.actors import ActorExtractor
    from summarizer.analyzer import Analyzer
    from summarizer.embeddings import Embedder
    from summarizer.summarize import ExtractiveSummarizer, Summarizer

    embedder = Embedder(threads=threads, precision="auto")
    analyzer = Analyzer(embedder, ActorExtractor(embedder), Summarizer(ExtractiveSummarizer(embedder)))
    analyzer.warm_up()
    return analyzer


def rouge_rows(embedder: object) -> list[Row]:
    if not SUMMEVAL.is_file():
        return [("briefing ROUGE", f"skipped: {SUMMEVAL} is absent")]
    result = eval_summaries.evaluate(SUMMEVAL, embedder=embedder)
    rows: list[Row] = []
    for name, label in (("ours", "extractive briefing"), ("lead3", "Lead-3")):
        s = result["systems"][name]
        rows.append((f"ROUGE-1/2/L {label} (mean of 11 refs)",
                     f"{s['rouge1']['mean']:.2f} / {s['rouge2']['mean']:.2f} / {s['rougeL']['mean']:.2f}"))
        rows.append((f"ROUGE-1/2/L {label} (best of 11 refs)",
                     f"{s['rouge1']['best']:.2f} / {s['rouge2']['best']:.2f} / {s['rougeL']['best']:.2f}"))
    d = result["ours_minus_lead3"]
    rows.append(("briefing - Lead-3, ROUGE-1 / ROUGE-2 (mean)",
                 f"{d['rouge1']['mean'][0]:+.2f} / {d['rouge2']['mean'][0]:+.2f} (paired, n={result['articles']})"))
    low = eval_summaries.evaluate(SUMMEVAL, embedder=embedder, lowercase=True)["ours_minus_lead3"]
    rows.append(("briefing - Lead-3, same articles lowercased",
                 f"{low['rouge1']['mean'][0]:+.2f} / {low['rouge2']['mean'][0]:+.2f}"))
    return rows


def entity_rows() -> list[Row]:
    if not ENTITIES.is_dir():
        return [("entity F1", f"skipped: {ENTITIES} is absent")]
    from summarizer.actors.evaluate import evaluate_tagger

    scores = evaluate_tagger(ENTITIES)
    return [(f"entity {kind} P / R / F1 (held-out, n={int(scores[kind]['support'])})",
             f"{scores[kind]['precision']:.3f} / {scores[kind]['recall']:.3f} / {scores[kind]['f1']:.3f}")
            for kind in ("PER", "ORG", "LOC", "ALL") if kind in scores]


def sample_checks(analyzer) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    from summarizer.types import Document

    text = SAMPLE.read_text(encoding="utf-8")
    result = analyzer.run(Document(id="sample", text=text))
    khamenei = next((a.name for a in result.actors if "Khamenei" in a.name), None)
    said = {(s.speaker, s.kind, s.cue) for s in result.statements}
    silent = {"Hezbollah", "Hamas", "Saudi Arabia", "United States", "Israel", "Iran"}
    return [
        ('direct "We will not retreat one step" by Khamenei',
         any(s.kind == "direct" and s.text == "We will not retreat one step" and s.speaker == khamenei
             for s in result.statements)),
        ("declared, by Khamenei", (khamenei, "indirect", "declared") in said),
        ("emphasized, by Khamenei", (khamenei, "indirect", "emphasized") in said),
        ('"He warned ...", resolved to Khamenei', (khamenei, "indirect", "warned") in said),
        ('"cancerous tumor" partial quote', any(s.kind == "mixed" and "cancerous tumor" in s.text
                                                and s.speaker == khamenei for s in result.statements)),
        ("nothing attributed to Hezbollah, Hamas, Saudi Arabia, the US",
         not any(s.speaker in silent for s in result.statements)),
        ("every direct quote verbatim", all(text[s.span.start:s.span.end] == s.text for s in result.statements)),
    ]


def fixture_scores(analyzer) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(REPO))
    from summarizer.types import Document
    from tests.summarizer.fixtures.statement_cases import CASES

    tp = fp = fn = 0
    for case in CASES:
        got = {(s.speaker, s.kind, s.text) for s in analyzer.run(Document(id=case.name, text=case.text)).statements}
        want = set(case.statements)
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    return tp, fp, fn


def speed_row(analyzer) -> Row:  # type: ignore[no-untyped-def]
    from summarizer.types import Document

    if SUMMEVAL.is_file():
        docs = [Document(id=str(r["id"]), text=r["article"]) for r in eval_summaries.load(SUMMEVAL, 60)]
    else:
        docs = [Document(id=str(i), text=SAMPLE.read_text(encoding="utf-8")) for i in range(20)]
    start = time.perf_counter()
    for i in range(0, len(docs), 16):
        analyzer.run_many(docs[i:i + 16])
    elapsed = time.perf_counter() - start
    chars = sum(len(d.text) for d in docs) / len(docs)
    return (f"full analysis, articles/s (1 process, n={len(docs)}, {chars / 1000:.1f} kB avg)",
            f"{len(docs) / elapsed:.1f}")


def language_rows(threads: int = 1) -> list[Row]:
    analyzer = _analyzer(threads)
    rows = rouge_rows(analyzer.embedder)
    rows += entity_rows()
    if SAMPLE.is_file():
        checks = sample_checks(analyzer)
        rows.append(("statement checks, sample article", f"{sum(ok for _, ok in checks)} / {len(checks)}"))
        rows += [(f"  {'ok  ' if ok else 'FAIL'} {label}", "") for label, ok in checks]
    tp, fp, fn = fixture_scores(analyzer)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    rows.append(("statements, team fixtures P / R (speaker, kind, exact text)",
                 f"{p:.3f} / {r:.3f} ({tp} right, {fp} extra, {fn} missed)"))
    rows.append(polnear_row(analyzer))
    rows.append(speed_row(analyzer))
    return rows


def polnear_row(analyzer) -> Row:  # type: ignore[no-untyped-def]
    from bench import eval_statements

    path = eval_statements.STATEMENTS / "polnear-dev.jsonl"
    label = "statements, PolNeAR dev (84 articles, held out)"
    if not path.is_file():
        return (label, f"skipped: {path} is absent")
    records = eval_statements.load(path)
    actors = [analyzer.actors.run(prepare_text(r["text"])) for r in records]
    score, _ = eval_statements.evaluate(path, actors=actors)
    return (label, score.line())


if __name__ == "__main__":
    for label, value in language_rows():
        print(f"{label:<64} {value}")
