"""Summary quality on ../shared/eval/summarization/summeval-cnndm-100.jsonl (ROUGE, vs Lead-3).

``python -m bench.eval_summaries [--limit N] [--threads T]`` prints one table and exits 0, or
exits 2 with one line when ../shared is absent. The shared file is read in place, never copied.

Each of the 100 CNN/DailyMail articles has 11 human reference summaries. Every system output
is scored against each reference with the ``rouge-score`` package (ROUGE-1, ROUGE-2, ROUGE-L
F1, Porter stemming) and the 11 scores are aggregated two ways: ``mean`` (average over the
references: the headline, it rewards agreeing with all annotators and is the more stable of
the two) and ``best`` (the maximum: how close the output gets to some human summary). Both are
then averaged over articles and reported x100.

Systems, all on the same sentences (``summarizer.sentences.split_sentences``):

* ``ours``: :class:`summarizer.summarize.extractive.ExtractiveSummarizer` as configured by
  default (the timed system: sentence splitting + MiniLM encoding + selection);
* ``ours_fill``: the same, filling the 600-character budget (``target_chars=None``): what the
  short-briefing stop contributes;
* ``lead_brief``: clean lead sentences under our length rules (no model: the position prior
  alone): what the content scoring adds on top of cleaning and length;
* ``lead3``: the first three sentences, no cap (the baseline to beat);
* ``lead3_600``: Lead-3 cut to whole sentences within 600 characters (the baseline under our
  budget);
* ``lead2``: the first two sentences (a baseline of about our length).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SUMMEVAL = SHARED / "eval" / "summarization" / "summeval-cnndm-100.jsonl"
METRICS = ("rouge1", "rouge2", "rougeL")


def load(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


class _CachingEncoder:
    """Remembers vectors by text, so several configurations encode each sentence once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for text, vec in zip(missing, self.inner.encode(missing), strict=True):
                self.cache[text] = vec
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts])


def _lead(sentences: Sequence[Any], n: int, max_chars: int | None = None) -> str:
    out: list[str] = []
    used = 0
    for s in sentences[:n]:
        extra = len(s.text) + (1 if out else 0)
        if max_chars is not None and out and used + extra > max_chars:
            break
        out.append(s.text)
        used += extra
    return " ".join(out)


def per_article(outputs: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, dict[str, list[float]]]:
    """{metric: {"best": [F1 x100 per article], "mean": [...]}} over each article's references."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    out: dict[str, dict[str, list[float]]] = {m: {"best": [], "mean": []} for m in METRICS}
    for output, refs in zip(outputs, references, strict=True):
        scores = [scorer.score(ref, output) for ref in refs]
        for m in METRICS:
            f = [100 * s[m].fmeasure for s in scores]
            out[m]["best"].append(max(f))
            out[m]["mean"].append(sum(f) / len(f))
    return out


def score_outputs(outputs: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, dict[str, float]]:
    """{metric: {"best": F1 x100, "mean": F1 x100}} averaged over articles."""
    scores = per_article(outputs, references)
    return {m: {agg: statistics.fmean(v) for agg, v in scores[m].items()} for m in METRICS}


def _paired(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Mean of a - b and the half-width of its 95% confidence interval (normal approximation)."""
    diff = [x - y for x, y in zip(a, b, strict=True)]
    if len(diff) < 2:
        return (diff[0] if diff else 0.0), 0.0
    return statistics.fmean(diff), 1.96 * statistics.stdev(diff) / len(diff) ** 0.5


def evaluate(path: str | Path = SUMMEVAL, limit: int | None = None, *, embedder: Any = None,
             lowercase: bool = False) -> dict[str, Any]:
    """Score our extractive briefing and the lead baselines on a SummEval-style JSONL file.

    ``embedder``: a shared :class:`summarizer.embeddings.Embedder` (default: a new one on the
    bundled MiniLM). Returns ``{"articles", "headline", "systems": {name: {metric: {"best",
    "mean"}, "chars"}}, "ours_minus_lead3": {metric: {agg: (difference, 95% CI half-width)}},
    "ms_per_article", "articles_per_s"}`` (scores x100); timing covers ``ours`` only (splitting,
    encoding, selection; the model is loaded before the clock starts). ``lowercase``: every system
    reads the articles lowercased (the casing robustness check; ROUGE itself ignores case).
    """
    from summarizer.embeddings import Embedder
    from summarizer.sentences import split_sentences
    from summarizer.summarize.extractive import ExtractiveSummarizer
    from summarizer.types import Document

    rows = load(path, limit)
    if embedder is None:
        embedder = Embedder()
    if hasattr(embedder, "warm_up"):
        embedder.warm_up()
    cached = _CachingEncoder(embedder)
    docs = [Document(id=str(r["id"]), text=r["article"].lower() if lowercase else r["article"]) for r in rows]

    ours = ExtractiveSummarizer(cached)
    ours.run(Document(id="warm", text="A warm-up sentence for the encoder and its tokenizer here."))
    cached.cache.clear()
    start = time.perf_counter()
    outputs = {"ours": [ours.run(d).text for d in docs]}
    elapsed = time.perf_counter() - start

    fill = ExtractiveSummarizer(cached, target_chars=None)
    splits = [split_sentences(d.text) for d in docs]
    outputs["ours_fill"] = [fill.run(d, s).text for d, s in zip(docs, splits, strict=True)]
    brief = ExtractiveSummarizer(None, w_centrality=0.0, w_title=0.0, caption_penalty=0.0, mmr_lambda=1.0,
                                 max_similarity=1.01)
    outputs["lead_brief"] = [brief.run(d, s).text for d, s in zip(docs, splits, strict=True)]
    outputs["lead3"] = [_lead(s, 3) for s in splits]
    outputs["lead3_600"] = [_lead(s, 3, 600) for s in splits]
    outputs["lead2"] = [_lead(s, 2) for s in splits]

    refs = [r["references"] for r in rows]
    systems: dict[str, Any] = {}
    raw: dict[str, dict[str, dict[str, list[float]]]] = {}
    for name, outs in outputs.items():
        raw[name] = per_article(outs, refs)
        systems[name] = {m: {agg: statistics.fmean(v) if v else 0.0 for agg, v in raw[name][m].items()}
                         for m in METRICS}
        systems[name]["chars"] = statistics.fmean(len(o) for o in outs) if outs else 0.0
    delta = {m: {agg: _paired(raw["ours"][m][agg], raw["lead3"][m][agg]) for agg in ("mean", "best")}
             for m in METRICS}
    n = len(docs)
    return {
        "articles": n,
        "headline": "mean",
        "systems": systems,
        "ours_minus_lead3": delta,
        "ms_per_article": 1000 * elapsed / n if n else 0.0,
        "articles_per_s": n / elapsed if elapsed else 0.0,
    }


def table(result: dict[str, Any]) -> str:
    head = f"{'system':<11} {'chars':>5}  " + "  ".join(f"{m + ' mean/best':>18}" for m in METRICS)
    lines = [head, "-" * len(head)]
    for name, s in result["systems"].items():
        cells = "  ".join(f"{s[m]['mean']:>8.2f} / {s[m]['best']:>6.2f}" for m in METRICS)
        lines.append(f"{name:<11} {s['chars']:>5.0f}  {cells}")
    d = result["ours_minus_lead3"]
    delta = ", ".join(f"{m} {d[m]['mean'][0]:+.2f}±{d[m]['mean'][1]:.2f} / {d[m]['best'][0]:+.2f}±{d[m]['best'][1]:.2f}"
                      for m in METRICS)
    lines.append(f"ours - lead3, paired, 95% CI (mean / best): {delta}")
    lines.append(f"{result['articles']} articles; ours: {result['ms_per_article']:.1f} ms/article, "
                 f"{result['articles_per_s']:.1f} articles/s (split + encode + select)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, evaluator: Callable[..., dict[str, Any]] = evaluate) -> int:
    parser = argparse.ArgumentParser(prog="bench.eval_summaries", description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    parser.add_argument("--path", type=Path, default=SUMMEVAL)
    parser.add_argument("--lowercase", action="store_true", help="the articles lowercased (casing robustness)")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"bench.eval_summaries: {args.path} is absent; nothing to evaluate.", file=sys.stderr)
        return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    print(table(evaluator(args.path, args.limit, lowercase=args.lowercase)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
