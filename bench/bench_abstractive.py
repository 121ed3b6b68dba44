"""Seconds per article: :class:`AbstractiveSummarizer` beside plain transformers, same model, same run.

``python -m bench.bench_abstractive [--model DIR] [--articles N] [--threads T]`` prints both
numbers. Without ``--model`` it builds a tiny random BART (``build_tiny_bart``: the tokenizer of the
bundled MiniLM, d_model 16, one layer each side) in a temporary directory, which times the
machinery (tokenising, chunking, batching, beam search), not a real model's arithmetic. Articles
come from ../shared/eval/summarization/summeval-cnndm-100.jsonl when present (read in place),
otherwise from a generated text.

The plain baseline is what a user of transformers would write: transformers 4.x had
``pipeline("summarization", model=path)``; transformers 5 removed that task (the registry now says
"Use the text-generation pipeline with a chat model instead"), so when the pipeline cannot be built
the baseline is its plain equivalent: per article, ``tokenizer(article, truncation=True,
max_length=...)`` then ``model.generate`` with the same generation settings. It truncates
long articles where ours chunks them, so ours does more work on long input; ``chunks`` says how
much.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SUMMEVAL = REPO.parent / "shared" / "eval" / "summarization" / "summeval-cnndm-100.jsonl"


def build_tiny_bart(path: str | Path, *, max_positions: int = 1024, seed: int = 0) -> Path:
    """Save a tiny random BART with the bundled MiniLM tokenizer to ``path`` (a directory)."""
    import torch
    from transformers import AutoTokenizer, BartConfig, BartForConditionalGeneration

    from summarizer.embeddings import bundled_model_path

    path = Path(path)
    tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path()), local_files_only=True)
    config = BartConfig(
        vocab_size=tokenizer.vocab_size, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_position_embeddings=max_positions, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
        decoder_start_token_id=tokenizer.sep_token_id, forced_eos_token_id=tokenizer.sep_token_id,
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _plain(model: str | Path, max_input_tokens: int) -> tuple[str, Any]:
    """("pipeline", callable) when transformers still has the summarization pipeline, else
    ("generate", callable) doing tokenizer + model.generate."""
    try:
        from transformers import pipeline

        pipe = pipeline("summarization", model=str(model), device="cpu")
    except Exception:  # noqa: BLE001 - transformers 5: the task is gone (KeyError/ValueError)
        pipe = None
    if pipe is not None:
        def call_pipeline(text: str, **gen: Any) -> str:
            return str(pipe(text, truncation=True, **gen)[0]["summary_text"])
        return "pipeline", call_pipeline

    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model), local_files_only=True)
    seq2seq = AutoModelForSeq2SeqLM.from_pretrained(str(model), local_files_only=True).eval()

    def call_generate(text: str, **gen: Any) -> str:
        enc = tok(text, truncation=True, max_length=max_input_tokens, return_tensors="pt")
        enc.pop("token_type_ids", None)
        with torch.inference_mode():
            out = seq2seq.generate(**enc, **gen)
        return str(tok.decode(out[0], skip_special_tokens=True))
    return "generate", call_generate


def compare(model: str | Path, articles: Sequence[str], *, max_input_tokens: int = 1024, chunk_overlap: int = 64,
            batch_size: int = 4, max_new_tokens: int = 32, num_beams: int = 2, repeats: int = 1) -> dict[str, Any]:
    """Time both on ``articles`` (models loaded before the clock). Seconds per article, the best
    of ``repeats`` runs each."""
    from summarizer.summarize.abstractive import AbstractiveSummarizer
    from summarizer.types import Document

    docs = [Document(id=str(i), text=t) for i, t in enumerate(articles)]
    ours = AbstractiveSummarizer(model, max_input_tokens=max_input_tokens, chunk_overlap=chunk_overlap,
                                 batch_size=batch_size,
                                 max_new_tokens=max_new_tokens, num_beams=num_beams)
    ours.warm_up()
    ours.run(docs[0])
    ours_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ours.run_many(docs)
        ours_times.append(time.perf_counter() - start)
    stats = ours.last_stats

    kind, plain = _plain(model, max_input_tokens)
    gen = {"max_new_tokens": max_new_tokens, "num_beams": num_beams, "no_repeat_ngram_size": 3}
    if num_beams > 1:
        gen["early_stopping"] = True
    plain(articles[0], **gen)
    plain_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for text in articles:
            plain(text, **gen)
        plain_times.append(time.perf_counter() - start)
    n = len(articles)
    return {
        "articles": n,
        "mean_chars": statistics.fmean(len(a) for a in articles) if articles else 0.0,
        "ours_s_per_article": min(ours_times) / n,
        "plain_s_per_article": min(plain_times) / n,
        "plain_kind": kind,
        "chunks": stats.chunks,
        "batches": stats.batches,
        "rounds": stats.rounds,
    }


def _articles(limit: int) -> list[str]:
    if SUMMEVAL.is_file():
        with open(SUMMEVAL, encoding="utf-8") as fh:
            return [json.loads(line)["article"] for line, _ in zip(fh, range(limit), strict=False)]
    base = ("The council approved the new budget on Tuesday after a long debate. "
            "Officials said the plan would cut waiting times at the city's hospitals. ")
    return [base * (10 + i % 5) for i in range(limit)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_abstractive", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="a local seq2seq model (default: tiny BART)")
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--max-input-tokens", type=int, default=1024)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--num-beams", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or build_tiny_bart(Path(tmp) / "tiny-bart", max_positions=args.max_input_tokens)
        r = compare(model, _articles(args.articles), max_input_tokens=args.max_input_tokens,
                    batch_size=args.batch_size, max_new_tokens=args.max_new_tokens, num_beams=args.num_beams)
    print(f"model: {'tiny random BART' if args.model is None else args.model}; {r['articles']} articles, "
          f"{r['mean_chars']:.0f} chars on average")
    print(f"AbstractiveSummarizer.run_many : {1000 * r['ours_s_per_article']:8.1f} ms/article "
          f"({r['chunks']} chunks in {r['batches']} batches, {r['rounds']} round(s))")
    label = 'pipeline("summarization")' if r["plain_kind"] == "pipeline" else "tokenizer + model.generate"
    print(f"plain {label:<25}: {1000 * r['plain_s_per_article']:8.1f} ms/article (one article at a time, truncated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
