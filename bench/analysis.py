"""`make bench` (language part): full analysis speed and memory.

Full analysis = sentences, actors, statements, extractive summary, the title+lead embedding, plus
story assignment and topic matching against 10 topics, for articles like the sample (about 5 kB).
Prints articles/s and the peak RSS of this process with MiniLM loaded.
Targets on a 2-core machine: >= 10 articles/s, peak RSS < 500 MB.

Articles: the sample article when ../shared is present, otherwise the shipped demo feed's texts,
each repeated under a different id (the analyzer caches nothing between articles).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "samples" / "khamenei-statement.txt"
TOPICS = ("Iran Israel tensions", "Middle East conflict", "nuclear talks", "rail strikes", "climate policy",
          "elections in Europe", "energy prices", "technology regulation", "public health", "sports")


def demo_texts() -> list[str]:
    """The demo feed's articles, as text."""
    import feedparser

    from bot.ingest.extract import html_to_text

    feed = feedparser.parse((REPO / "bot" / "demo" / "demo-feed.xml").read_bytes())
    return [html_to_text(e.content[0].value) for e in feed.entries]


def _texts() -> list[str]:
    if SAMPLE.is_file():
        return [SAMPLE.read_text(encoding="utf-8")]
    return demo_texts()


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: one per core, at most 4)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--processes", type=int, default=1,
                        help="analyser processes sharing the articles (each with --threads threads)")
    args = parser.parse_args()
    if args.processes > 1:
        _multi(args)
        return
    _run(args)


def _worker(articles: int, threads: int, batch: int, ready, go, out) -> None:  # type: ignore[no-untyped-def]
    import io
    import sys

    sys.argv = ["bench.analysis", "--articles", str(articles), "--threads", str(threads), "--batch", str(batch)]
    buf = io.StringIO()
    real, sys.stdout = sys.stdout, buf
    try:
        main_args = argparse.Namespace(articles=articles, threads=threads, batch=batch, processes=1)
        _run(main_args, ready=ready, go=go)
    finally:
        sys.stdout = real
    out.put((buf.getvalue(), _hwm_mb()))


def _multi(args: argparse.Namespace) -> None:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    threads = args.threads or 1
    per = args.articles // args.processes
    ready, go, out = ctx.Barrier(args.processes + 1), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(per, threads, args.batch, ready, go, out)) for _ in range(args.processes)]
    for p in procs:
        p.start()
    ready.wait()  # every process has loaded its models
    start = time.perf_counter()
    go.set()
    results = [out.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    print(f"{args.processes} analyser processes x {threads} torch thread(s), {per * args.processes} articles")
    print(f"{'full analysis + story + 10 topics, all':<44} {per * args.processes / elapsed:8.1f} articles/s   "
          "(target >= 10)")
    print(f"{'peak RSS of each analysing process':<44} " + ", ".join(f"{mb:.0f} MB" for _, mb in results)
          + "  (target < 500)")

def _run(args: argparse.Namespace, ready=None, go=None) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from bot.language import build_language
    from bot.settings import Settings
    from summarizer.stories import StoryCandidate, StoryState
    from summarizer.topics import Topic
    from summarizer.types import Document

    threads = args.threads or max(1, min(4, os.cpu_count() or 1))
    lang = build_language(Settings(_env_file=None, model_threads=threads))
    t0 = time.perf_counter()
    lang.warm_up()
    warm_s = time.perf_counter() - t0
    texts = _texts()
    docs = [Document(id=str(i), text=texts[i % len(texts)], title=None) for i in range(args.articles)]
    topics = [Topic(t) for t in TOPICS]
    lang.analyzer.run(docs[0])  # first call allocations

    stories: list[StoryState] = []
    if ready is not None:
        ready.wait()
        go.wait()
    start = time.perf_counter()
    base = datetime(2026, 11, 26, tzinfo=UTC)
    for i in range(0, len(docs), args.batch):
        batch = docs[i : i + args.batch]
        for doc, analysis in zip(batch, lang.analyzer.run_many(batch), strict=True):
            vec = np.asarray(analysis.embedding, dtype=np.float32)
            cand = StoryCandidate(article_id=doc.id, title="", lead=analysis.summary.text, embedding=vec,
                                  published=base + timedelta(minutes=int(doc.id)),
                                  actors=tuple(a.name for a in analysis.actors))
            decision = lang.clusterer.assign(cand, stories)
            if decision.story_id is None:
                stories.append(StoryState.start(str(len(stories)), cand))
            else:
                j = int(decision.story_id)
                stories[j] = lang.clusterer.update(stories[j], cand)
            lang.topics.match_many(topics, title="", text=analysis.summary.text,
                                   actors=[a.name for a in analysis.actors], embedding=vec)
    elapsed = time.perf_counter() - start
    kb = sum(len(d.text) for d in docs) / len(docs) / 1000
    print(f"models loaded in {warm_s:.1f} s; torch threads {threads}; {len(docs)} articles of {kb:.1f} kB")
    print(f"{'full analysis + story + 10 topics':<44} {len(docs) / elapsed:8.1f} articles/s   (target >= 10)")
    print(f"{'peak RSS of the analysing process':<44} {_hwm_mb():8.0f} MB          (target < 500)")


if __name__ == "__main__":
    main()
