"""Train the answer reader head (summarizer/answering/data/reader.npz) and print its cross-validated figures.

    .venv/bin/python -m training.train_reader --squad-train PATH [--out summarizer/answering/data/reader.npz]

Data:
* training: SQuAD 2.0 TRAIN (Rajpurkar, Jia and Liang, 2018; CC BY-SA 4.0), the file named by
  ``--squad-train`` (the official ``train-v2.0.json`` layout; the shipped head was trained on its
  first 10 articles, 4,719 questions, 348 of them unanswerable, with --max-questions 3,500).
  Per question: the sentence holding the answer (with the answer's pieces as span labels), and up
  to two other sentences of its paragraph that share most words with the question (negatives);
  every sentence picked for an unanswerable question is a negative; one question in four also
  gets a sentence of another article (a negative).
* evaluation only: ``../shared/eval/qa/squad2-dev.jsonl`` (8 SQuAD 2.0 dev articles, CC BY-SA 4.0),
  never trained on. The no-answer threshold is tuned by folds by article: 4 folds of 2 titles; per
  fold the lowest threshold that refuses 70% of the unanswerable questions of the other 6 titles
  (``summarizer.answering.calibrate.tune``) is applied to the fold's 2. The printed figures
  are those held-out ones; the shipped threshold is the mean of the 4 folds' thresholds.

The transformer stays frozen; its states (layers ``head.LAYERS``) are computed once and cached
under ``--cache`` (default /tmp/briefbot-reader). Deterministic for a seed (torch, 2 threads).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from summarizer.answering.calibrate import SQUAD_DEV_FOLDS as FOLDS
from summarizer.answering.calibrate import Kind, Outcome, Rates, cross_validate
from summarizer.answering.head import (
    LAYERS,
    Pair,
    ReaderHead,
    encode_pair,
    pad_states,
    pair_states,
    save_head,
)
from summarizer.answers import tokenize
from summarizer.sentences import split_sentences

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "summarizer" / "answering" / "data" / "reader.npz"
DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "qa" / "squad2-dev.jsonl"
MAX_SENTENCES = 12


@dataclass
class Example:
    pair: Pair
    label: float
    span: tuple[int, int] | None = None  # piece indices of the short answer


@dataclass
class DevQuestion:
    title: str
    answers: list[str]
    sentences: list[str]
    rows: list[int] = field(default_factory=list)  # indexes into the dev examples
    unrelated_rows: list[int] = field(default_factory=list)


def _overlap(question: str, sentence: str) -> int:
    q = set(tokenize(question))
    return len(q & set(tokenize(sentence)))


def _span_pieces(pair: Pair, start: int, end: int) -> tuple[int, int] | None:
    first = last = None
    for k, (a, b) in enumerate(pair.offsets):
        if b > start and a < end:
            first = k if first is None else first
            last = k
    if first is None or last is None:
        return None
    return pair.sentence_start + first, pair.sentence_start + last


def training_examples(path: Path, tokenizer: object, max_questions: int, rng: random.Random) -> list[Example]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    items = []
    for a, article in enumerate(data):
        for paragraph in article["paragraphs"]:
            sentences = split_sentences(paragraph["context"])
            for qa in paragraph["qas"]:
                items.append((a, sentences, qa))
    rng.shuffle(items)
    items = items[:max_questions]
    all_sentences = [(a, s.text) for a, sentences, _ in items for s in sentences]
    out: list[Example] = []
    for a, sentences, qa in items:
        question = qa["question"]
        gold = None
        if not qa.get("is_impossible") and qa["answers"]:
            start = qa["answers"][0]["answer_start"]
            end = start + len(qa["answers"][0]["text"])
            gold = next((s for s in sentences if s.start <= start < s.end), None)
            if gold is not None:
                pair = encode_pair(tokenizer, question, gold.text)
                out.append(Example(pair, 1.0, _span_pieces(pair, start - gold.start, min(end, gold.end) - gold.start)))
        others = sorted((s for s in sentences if s is not gold), key=lambda s: -_overlap(question, s.text))
        for s in others[:2]:
            out.append(Example(encode_pair(tokenizer, question, s.text), 0.0))
        if rng.random() < 0.25:
            candidates = [t for b, t in rng.sample(all_sentences, 8) if b != a]
            if candidates:
                out.append(Example(encode_pair(tokenizer, question, candidates[0]), 0.0))
    return out


def dev_questions(path: Path, tokenizer: object, per_title: int, rng: random.Random
                  ) -> tuple[list[DevQuestion], list[Pair]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_title: dict[str, list[dict]] = {}
    for r in rows:
        by_title.setdefault(r["title"], []).append(r)
    questions: list[DevQuestion] = []
    pairs: list[Pair] = []
    titles = sorted(by_title)
    for title in titles:
        picked = rng.sample(by_title[title], min(per_title, len(by_title[title])))
        for k, r in enumerate(picked):
            sentences = [s.text for s in split_sentences(r["text"])][:MAX_SENTENCES]
            q = DevQuestion(title, list(r["answers"]), sentences)
            for s in sentences:
                q.rows.append(len(pairs))
                pairs.append(encode_pair(tokenizer, r["question"], s))
            if k % 4 == 0:  # the same question asked of a paragraph of another article
                other = rng.choice([t for t in titles if t != title])
                text = rng.choice(by_title[other])["text"]
                for s in [s.text for s in split_sentences(text)][:MAX_SENTENCES]:
                    q.unrelated_rows.append(len(pairs))
                    pairs.append(encode_pair(tokenizer, r["question"], s))
            questions.append(q)
    return questions, pairs


def cached_states(encoder: object, pairs: Sequence[Pair], cache: Path, name: str) -> list[np.ndarray]:
    digest = hashlib.sha256(repr([p.ids for p in pairs]).encode() + repr(LAYERS).encode()).hexdigest()[:16]
    path = cache / f"{name}-{digest}.npz"
    if path.exists():
        with np.load(path) as z:
            flat, bounds = z["flat"], z["bounds"]
        return [flat[bounds[i] : bounds[i + 1]] for i in range(len(pairs))]
    t = time.time()
    states = pair_states(encoder, pairs)
    print(f"  {name}: states of {len(pairs)} pairs in {time.time() - t:.0f} s", file=sys.stderr)
    bounds = np.cumsum([0] + [len(s) for s in states])
    flat = np.concatenate(states).astype(np.float16)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, flat=flat, bounds=bounds)
    return [flat[bounds[i] : bounds[i + 1]] for i in range(len(pairs))]


def train(examples: Sequence[Example], states: Sequence[np.ndarray], *, epochs: int, seed: int,
          batch_size: int = 64, lr: float = 2e-3) -> ReaderHead:
    torch.manual_seed(seed)
    head = ReaderHead(states[0].shape[1])
    optimiser = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(examples) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps)
    order = list(range(len(examples)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        head.train()
        total = 0.0
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            x, mask, seg = pad_states([states[i] for i in idx], [examples[i].pair for i in idx])
            answer, start, end = head(x, mask, seg)
            labels = torch.tensor([examples[i].label for i in idx])
            loss = F.binary_cross_entropy_with_logits(answer, labels)
            spans = [(r, examples[i].span) for r, i in enumerate(idx) if examples[i].span is not None]
            if spans:
                rows = torch.tensor([r for r, _ in spans])
                loss = loss + 0.5 * (F.cross_entropy(start[rows], torch.tensor([s[0] for _, s in spans]))
                                     + F.cross_entropy(end[rows], torch.tensor([s[1] for _, s in spans])))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(idx)
        print(f"  epoch {epoch + 1}: loss {total / len(order):.4f}", file=sys.stderr)
    return head.eval()


def probabilities(head: ReaderHead, pairs: Sequence[Pair], states: Sequence[np.ndarray]) -> np.ndarray:
    out = np.zeros(len(pairs), dtype=np.float32)
    with torch.inference_mode():
        for lo in range(0, len(pairs), 256):
            x, mask, seg = pad_states(states[lo : lo + 256], pairs[lo : lo + 256])
            out[lo : lo + 256] = torch.sigmoid(head(x, mask, seg)[0]).numpy()
    return out


def outcomes(questions: Sequence[DevQuestion], probs: np.ndarray) -> list[Outcome]:
    """Per question, the best sentence's probability and whether it holds a gold answer; and the
    same question asked of another article's paragraph."""
    out = []
    for q in questions:
        if q.rows:
            p = probs[q.rows]
            top = q.sentences[int(np.argmax(p))].casefold()
            kind: Kind = "answerable" if q.answers else "unanswerable"
            out.append(Outcome(q.title, kind, float(p.max()), any(a.casefold() in top for a in q.answers)))
        if q.unrelated_rows:
            out.append(Outcome(q.title, "unrelated", float(probs[q.unrelated_rows].max())))
    return out


def report(per_fold: Sequence[tuple[float, Rates]], overall: Rates) -> None:
    for fold, (t, r) in zip(FOLDS, per_fold, strict=True):
        print(f"  fold {'+'.join(fold)}: threshold {t:.2f}  answerable {r.answerable:.3f} ({r.counts[0]})  "
              f"unanswerable refused {r.unanswerable:.3f} ({r.counts[1]})  unrelated refused {r.unrelated:.3f} "
              f"({r.counts[2]})")
    print(f"  overall: answerable {overall.answerable:.3f}  unanswerable refused {overall.unanswerable:.3f}  "
          f"unrelated refused {overall.unrelated:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-train", type=Path, required=True)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-reader"))
    parser.add_argument("--max-questions", type=int, default=3500)
    parser.add_argument("--dev-per-title", type=int, default=120)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    from summarizer.embeddings import Embedder

    embedder = Embedder()
    embedder.warm_up()
    started = time.time()
    examples = training_examples(args.squad_train, embedder.tokenizer, args.max_questions, random.Random(args.seed))
    questions, dev_pairs = dev_questions(args.dev, embedder.tokenizer, args.dev_per_title, random.Random(args.seed))
    print(f"{len(examples)} training pairs ({sum(e.label for e in examples):.0f} positive), "
          f"{len(questions)} dev questions ({len(dev_pairs)} pairs)", file=sys.stderr)
    train_states = cached_states(embedder.auto_model, [e.pair for e in examples], args.cache, "train")
    dev_states = cached_states(embedder.auto_model, dev_pairs, args.cache, "dev")
    head = train(examples, train_states, epochs=args.epochs, seed=args.seed)
    probs = probabilities(head, dev_pairs, dev_states)
    print("cross-validated on the shared SQuAD 2.0 dev articles (threshold tuned on the other 6 titles):")
    per_fold, overall = cross_validate(outcomes(questions, probs), FOLDS)
    report(per_fold, overall)
    threshold = float(np.mean([t for t, _ in per_fold]))
    print(f"  shipped threshold (mean of the folds'): {threshold:.3f}")
    save_head(args.out, head, {"d_in": train_states[0].shape[1], "width": 128, "heads": 4, "ff": 256,
                               "layers": np.asarray(LAYERS), "threshold": threshold, "seed": args.seed})
    print(f"saved {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
