"""Question-answering figures: the shipped answer reader on SQuAD 2.0 dev articles it never saw,
and on the team's news set.

    .venv/bin/python -m bench.eval_qa [--per-title N] [--threads 1]

Every question goes through the answerer the bot builds (retrieval, reader, decider, composition)
with the paragraph as the only document: a question counts as answered when it answered, and as
cited when its citations hold a gold answer. The SQuAD rows use the held-out articles
(``calibrate.SQUAD_HELD_OUT``: Imperialism, French_and_Indian_War), which nothing shipped trains or
tunes on; ``training/train_reader.py`` and ``training/train_decider.py`` print the figures
cross-validated over all 8 articles. "unrelated" asks every fourth question of a paragraph of
another article. The team's news set (long invented articles) is never trained or tuned on.
Latency: stories of 10 documents of about 5,000 characters built from the dev paragraphs, five
questions each on a fresh answerer (the first question indexes the story), p95 over all.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from summarizer.answering.calibrate import SQUAD_HELD_OUT, Outcome, rates
from summarizer.answering.reader import MiniLMReader
from summarizer.answers import Answerer
from summarizer.embeddings import Embedder
from summarizer.types import Answer, Document

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "qa" / "squad2-dev.jsonl"
Row = tuple[str, str]


def load_dev(path: Path = DEV) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sample(rows: Sequence[dict], per_title: int, seed: int = 13) -> list[dict]:
    by_title: dict[str, list[dict]] = {}
    for r in rows:
        by_title.setdefault(r["title"], []).append(r)
    rng = random.Random(seed)
    return [r for t in sorted(by_title) for r in rng.sample(by_title[t], min(per_title, len(by_title[t])))]


def found(answer: Answer, gold: Sequence[str]) -> bool:
    cited = " ".join(c.text for c in answer.citations).casefold()
    return answer.answered and any(g.casefold() in cited for g in gold)


def squad_outcomes(answerer: Answerer, rows: Sequence[dict], all_rows: Sequence[dict], seed: int = 13
                   ) -> list[Outcome]:
    """One outcome per question (answerable / unanswerable) and, for every fourth, one for the
    same question asked of another article's paragraph."""
    rng = random.Random(seed)
    others = {t: [r for r in all_rows if r["title"] != t] for t in {r["title"] for r in rows}}
    out = []
    for k, r in enumerate(rows):
        a = answerer.run(r["question"], [Document(r["id"], r["text"])])
        kind = "answerable" if r["answers"] else "unanswerable"
        out.append(Outcome(r["title"], kind, float(a.answered), found(a, r["answers"])))
        if k % 4 == 0:
            other = rng.choice(others[r["title"]])
            u = answerer.run(r["question"], [Document(other["id"], other["text"])])
            out.append(Outcome(r["title"], "unrelated", float(u.answered)))
    return out


def news_outcomes(answerer: Answerer) -> list[Outcome]:
    """The team's news reading set (tests/summarizer/fixtures/news_qa.py): each question asked of
    its whole article; and every fourth answerable one asked of another article (unrelated)."""
    from tests.summarizer.fixtures.news_qa import ARTICLES, ARTICLES_BY_ID, QUESTIONS

    out = []
    for k, q in enumerate(QUESTIONS):
        article = ARTICLES_BY_ID[q.article_id]
        a = answerer.run(q.question, [Document(article.id, article.text, title=article.title)])
        kind = "unanswerable" if q.impossible else "answerable"
        out.append(Outcome(q.article_id, kind, float(a.answered), found(a, q.answers)))
        if k % 4 == 0 and not q.impossible:
            other = ARTICLES[(ARTICLES.index(article) + 1 + k % (len(ARTICLES) - 1)) % len(ARTICLES)]
            u = answerer.run(q.question, [Document(other.id, other.text, title=other.title)])
            out.append(Outcome(q.article_id, "unrelated", float(u.answered)))
    return out


def latency_ms(embedder: Embedder, rows: Sequence[dict], stories: int = 5, per_story: int = 5) -> list[float]:
    rng = random.Random(7)
    timings = []
    for s in range(stories):
        docs = []
        for d in range(10):
            text = ""
            while len(text) < 5000:
                text += rng.choice(rows)["text"] + "\n\n"
            docs.append(Document(f"s{s}-d{d}", text))
        answerer = Answerer(embedder, use_reader=True)  # a fresh index: the first question embeds the story
        for r in rng.sample(list(rows), per_story):
            start = time.perf_counter()
            answerer.run(r["question"], docs)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


ANSWERED = 0.5  # outcomes score 1 when the answerer answered, 0 when it refused


def shipped_answerer(embedder: Embedder) -> Answerer:
    """The answerer as the bot builds it: the bundled reader and its decider at their threshold
    (the outcomes are what a member gets: the answer and citations it shows, or the refusal)."""
    answerer = Answerer(embedder, reader=MiniLMReader(embedder))
    answerer.warm_up()
    return answerer


def qa_rows(embedder: Embedder, per_title: int = 200, latency: bool = True) -> list[Row]:
    if not DEV.is_file():
        return [("qa (squad2-dev)", f"skipped: {DEV} is absent")]
    all_rows = load_dev()
    rows = sample([r for r in all_rows if r["title"] in SQUAD_HELD_OUT], per_title)
    answerer = shipped_answerer(embedder)
    threshold = answerer.threshold
    started = time.perf_counter()
    outcomes = squad_outcomes(answerer, rows, all_rows)
    seconds = time.perf_counter() - started
    held = rates(outcomes, ANSWERED)
    n = held.counts
    out: list[Row] = [
        (f"qa answerable: gold in citation (held out, n={n[0]})", f"{held.answerable:.4f}"),
        (f"qa unanswerable: refused (held out, n={n[1]})", f"{held.unanswerable:.4f}"),
        (f"qa unrelated article: refused (held out, n={n[2]})", f"{held.unrelated:.4f}"),
        ("qa shipped threshold", f"{threshold:.2f}"),
        ("qa ms/question (one paragraph)", f"{seconds * 1000 / max(1, len(outcomes)):.0f}"),
    ]
    news = rates(news_outcomes(answerer), ANSWERED)
    n = news.counts
    out += [
        (f"qa news set: answer cited (shipped threshold, n={n[0]})", f"{news.answerable:.4f}"),
        (f"qa news set: impossible refused (n={n[1]})", f"{news.unanswerable:.4f}"),
        (f"qa news set: unrelated article refused (n={n[2]})", f"{news.unrelated:.4f}"),
    ]
    if latency:
        timings = sorted(latency_ms(embedder, all_rows))
        p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
        out.append((f"qa ms/question, 10-article story, {torch.get_num_threads()} threads (median / p95)",
                    f"{statistics.median(timings):.0f} / {p95:.0f}"))
    out.append(("qa peak RSS of this process, MB", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval_qa", description=__doc__.splitlines()[0])
    parser.add_argument("--per-title", type=int, default=200, help="questions sampled per held-out article (max ~400)")
    parser.add_argument("--threads", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                        help="torch threads (default: the bot's, one per core up to 4)")
    parser.add_argument("--no-latency", action="store_true")
    args = parser.parse_args(argv)
    embedder = Embedder(threads=args.threads)
    embedder.warm_up()
    for label, value in qa_rows(embedder, args.per_title, latency=not args.no_latency):
        print(f"{label:<55} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
