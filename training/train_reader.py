"""Train the answer reader (summarizer/answering/data/reader.npz) and print its held-out figures.

    .venv/bin/python -m training.train_reader --squad-train PATH [--out summarizer/answering/data/reader.npz]
        [--save-folds DIR]   # each CV fold's reader, for training/train_decider.py

Data (all CC BY-SA 4.0: SQuAD 2.0, Rajpurkar, Jia and Liang, 2018, "Know What You Don't Know"):
* SQuAD 2.0 TRAIN, the file named by ``--squad-train`` (the official ``train-v2.0.json`` layout;
  the shipped reader used the first 10 articles, 4,719 questions, the part of it we could obtain).
* ``../shared/eval/qa/squad2-dev.jsonl``: 8 articles of the SQuAD 2.0 dev set in 4 folds of 2
  (``summarizer.answering.calibrate.SQUAD_DEV_FOLDS``). The last fold (Imperialism,
  French_and_Indian_War) is never trained or tuned on: it is the held-out set that
  ``bench/eval_qa.py`` and the CI floors judge the shipped reader on.

Per question: the sentence holding the answer (positive, with the answer's pieces as span labels)
and up to two other sentences of its paragraph that share most words with the question
(negatives); for an unanswerable question, its most similar sentences are negatives, and for a
SQuAD train one the sentence holding its "plausible answer" (the distractor its writer had in
mind) too; one question in four also gets a sentence of another article (a negative).

Procedure, every figure held out by article:
1. Cross-validation on the 6 tuning titles (3 folds of 2): a reader trained on SQuAD train + the
   other 4 titles scores every sentence of the fold's paragraphs (and of an unrelated paragraph for
   one question in four). Each fold's threshold is the lowest that refuses 70% of the
   unanswerable questions of the other 2 folds (``calibrate.tune``).
2. The shipped reader: trained on SQuAD train + all 6 tuning titles; its threshold is tuned on
   the out-of-fold scores of step 1; judged once on the held-out fold.

MiniLM stays frozen: its states after layers ``head.LAYERS`` are computed once and cached under
``--cache`` (default /tmp/briefbot-reader); only the head is trained (fine-tuning copies of
MiniLM's top two layers as well did worse held out: all 8 articles 0.364 answerable cited at 0.743
refused, against this head's 0.409 at 0.749). Deterministic for a seed (torch, 2 threads): the
shipped file is this script's output with the defaults (about 15 minutes on 2 cores). It printed:
CV folds 0.387/0.796, 0.529/0.620, 0.422/0.738 (answerable cited / unanswerable refused), the
shipped reader on the held-out fold 0.343/0.855, all 8 articles 0.409/0.749, unrelated 1.000.
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

from summarizer.answering.calibrate import SQUAD_DEV_FOLDS, SQUAD_HELD_OUT, Outcome, Rates, rates, tune
from summarizer.answering.head import LAYERS, Pair, ReaderHead, encode_pair, pad_states, pair_states, save_head
from summarizer.answering.questions import tokenize
from summarizer.sentences import split_sentences

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "summarizer" / "answering" / "data" / "reader.npz"
DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "qa" / "squad2-dev.jsonl"
MAX_SENTENCES = 16
TUNING_FOLDS = tuple(f for f in SQUAD_DEV_FOLDS if f != SQUAD_HELD_OUT)
HELD_OUT = SQUAD_HELD_OUT


@dataclass
class Example:
    pair: Pair
    label: float
    span: tuple[int, int] | None = None  # piece indices of the short answer
    title: str = ""


@dataclass
class DevQuestion:
    title: str
    answers: list[str]
    sentences: list[str]
    rows: list[int] = field(default_factory=list)  # indexes into the dev pairs
    unrelated_rows: list[int] = field(default_factory=list)


def _overlap(question: str, sentence: str) -> int:
    return len(set(tokenize(question)) & set(tokenize(sentence)))


def _span_pieces(pair: Pair, start: int, end: int) -> tuple[int, int] | None:
    first = last = None
    for k, (a, b) in enumerate(pair.offsets):
        if b > start and a < end:
            first = k if first is None else first
            last = k
    if first is None or last is None:
        return None
    return pair.sentence_start + first, pair.sentence_start + last


def _question_examples(tokenizer: object, title: str, question: str, sentences: Sequence, answer: tuple[int, int] | None,
                       plausible: int | None, others: Sequence[str], rng: random.Random) -> list[Example]:
    """Positive (with span) and negatives for one question over its paragraph's ``sentences``."""
    out = []
    gold = None
    if answer is not None:
        gold = next((s for s in sentences if s.start <= answer[0] < s.end), None)
        if gold is not None:
            pair = encode_pair(tokenizer, question, gold.text)
            span = _span_pieces(pair, answer[0] - gold.start, min(answer[1], gold.end) - gold.start)
            out.append(Example(pair, 1.0, span, title))
    picked = [s for s in sentences if plausible is not None and s.start <= plausible < s.end]
    rest = sorted((s for s in sentences if s is not gold and s not in picked), key=lambda s: -_overlap(question, s.text))
    for s in [*picked, *rest][: 2 if gold is not None else 3]:
        out.append(Example(encode_pair(tokenizer, question, s.text), 0.0, None, title))
    if others and rng.random() < 0.25:
        out.append(Example(encode_pair(tokenizer, question, rng.choice(others)), 0.0, None, title))
    return out


def squad_train_examples(path: Path, tokenizer: object, rng: random.Random) -> list[Example]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    per_article = [[s.text for p in a["paragraphs"] for s in split_sentences(p["context"])] for a in data]
    out: list[Example] = []
    for a, article in enumerate(data):
        others = [t for b, texts in enumerate(per_article) if b != a for t in texts[:50]]
        for paragraph in article["paragraphs"]:
            sentences = split_sentences(paragraph["context"])
            for qa in paragraph["qas"]:
                answer = plausible = None
                if not qa.get("is_impossible") and qa["answers"]:
                    first = qa["answers"][0]
                    answer = (first["answer_start"], first["answer_start"] + len(first["text"]))
                elif qa.get("plausible_answers"):
                    plausible = qa["plausible_answers"][0]["answer_start"]
                out.extend(_question_examples(tokenizer, article["title"], qa["question"], sentences, answer,
                                              plausible, others, rng))
    return out


def load_dev(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dev_training_examples(rows: Sequence[dict], tokenizer: object, rng: random.Random) -> list[Example]:
    out: list[Example] = []
    texts = {r["title"]: [s.text for s in split_sentences(r["text"])] for r in rows}
    for r in rows:
        others = [t for title, ts in texts.items() if title != r["title"] for t in ts]
        answer = None
        if r["answers"]:  # the dev rows give answer strings: the first occurrence of the first one found
            for a in r["answers"]:
                at = r["text"].find(a)
                if at >= 0:
                    answer = (at, at + len(a))
                    break
        out.extend(_question_examples(tokenizer, r["title"], r["question"], split_sentences(r["text"]), answer,
                                      None, others, rng))
    return out


def dev_questions(rows: Sequence[dict], all_rows: Sequence[dict], tokenizer: object, rng: random.Random
                  ) -> tuple[list[DevQuestion], list[Pair]]:
    """Every sentence of each question's paragraph, and for one question in four every sentence
    of a paragraph of another article."""
    questions: list[DevQuestion] = []
    pairs: list[Pair] = []
    for k, r in enumerate(rows):
        sentences = [s.text for s in split_sentences(r["text"])][:MAX_SENTENCES]
        q = DevQuestion(r["title"], list(r["answers"]), sentences)
        for s in sentences:
            q.rows.append(len(pairs))
            pairs.append(encode_pair(tokenizer, r["question"], s))
        if k % 4 == 0:
            other = rng.choice([o for o in all_rows if o["title"] != r["title"]])
            for s in [s.text for s in split_sentences(other["text"])][:MAX_SENTENCES]:
                q.unrelated_rows.append(len(pairs))
                pairs.append(encode_pair(tokenizer, r["question"], s))
        questions.append(q)
    return questions, pairs


class StateCache:
    """MiniLM's frozen states per distinct pair, computed once (and kept on disk)."""

    def __init__(self, encoder: object, cache: Path, layers: Sequence[int] = LAYERS) -> None:
        self._encoder = encoder
        self._cache = cache
        self._layers = tuple(layers)
        self._states: dict[tuple[int, ...], np.ndarray] = {}

    def add(self, pairs: Sequence[Pair], name: str) -> None:
        todo = list(dict.fromkeys(p.ids for p in pairs if p.ids not in self._states))
        digest = hashlib.sha256(repr(todo).encode() + repr(self._layers).encode()).hexdigest()[:16]
        path = self._cache / f"{name}-{digest}.npz"
        if path.exists():
            with np.load(path) as z:
                flat, bounds = z["flat"], z["bounds"]
        else:
            t = time.time()
            states = pair_states(self._encoder, [Pair(ids, 0, ()) for ids in todo], self._layers)
            print(f"  {name}: states of {len(todo)} pairs in {time.time() - t:.0f} s", file=sys.stderr)
            bounds = np.cumsum([0] + [len(s) for s in states])
            flat = np.concatenate(states).astype(np.float16)
            self._cache.mkdir(parents=True, exist_ok=True)
            np.savez(path, flat=flat, bounds=bounds)
        for i, ids in enumerate(todo):
            self._states[ids] = flat[bounds[i] : bounds[i + 1]]

    def __call__(self, pairs: Sequence[Pair]) -> list[np.ndarray]:
        return [self._states[p.ids] for p in pairs]


def train(examples: Sequence[Example], states: StateCache, *, epochs: int, seed: int,
          batch_size: int = 64, lr: float = 2e-3) -> ReaderHead:
    torch.manual_seed(seed)
    model = ReaderHead(states([examples[0].pair])[0].shape[1])
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(examples) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps)
    order = list(range(len(examples)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        batches = [order[lo : lo + batch_size] for lo in range(0, len(order), batch_size)]
        model.train()
        total, started = 0.0, time.time()
        for idx in batches:
            x, mask, seg = pad_states(states([examples[i].pair for i in idx]), [examples[i].pair for i in idx])
            answer, start, end = model(x, mask, seg)
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
        print(f"  epoch {epoch + 1}: loss {total / len(examples):.4f} ({time.time() - started:.0f} s)", file=sys.stderr)
    return model.eval()


def probabilities(model: ReaderHead, pairs: Sequence[Pair], states: StateCache) -> np.ndarray:
    out = np.zeros(len(pairs), dtype=np.float32)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].ids))
    with torch.inference_mode():
        for lo in range(0, len(order), 128):
            idx = order[lo : lo + 128]
            batch = [pairs[i] for i in idx]
            x, mask, seg = pad_states(states(batch), batch)
            out[idx] = torch.sigmoid(model(x, mask, seg)[0]).numpy()
    return out


def outcomes(questions: Sequence[DevQuestion], probs: np.ndarray) -> list[Outcome]:
    """Per question, the best sentence's probability and whether it holds a gold answer; and the
    same question asked of another article's paragraph."""
    out = []
    for q in questions:
        if q.rows:
            p = probs[q.rows]
            top = q.sentences[int(np.argmax(p))].casefold()
            out.append(Outcome(q.title, "answerable" if q.answers else "unanswerable", float(p.max()),
                               any(a.casefold() in top for a in q.answers)))
        if q.unrelated_rows:
            out.append(Outcome(q.title, "unrelated", float(probs[q.unrelated_rows].max())))
    return out


def _line(name: str, threshold: float, r: Rates) -> str:
    return (f"  {name}: threshold {threshold:.2f}  answerable cited {r.answerable:.3f} ({r.counts[0]})  "
            f"unanswerable refused {r.unanswerable:.3f} ({r.counts[1]})  unrelated refused {r.unrelated:.3f} "
            f"({r.counts[2]})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-train", type=Path, required=True)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-reader"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--skip-cv", action="store_true", help="train the shipped reader only (threshold: --threshold)")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--layers", default=",".join(map(str, LAYERS)),
                        help="MiniLM layers whose states the head reads (comma-separated)")
    parser.add_argument("--only-folds", default=None,
                        help="cross-validate these tuning folds only (indexes, comma-separated), no shipped reader")
    parser.add_argument("--save-folds", type=Path, default=None,
                        help="also save each CV fold's reader here (fold-N.npz): the answer decider's training "
                             "(training/train_decider.py) reads every dev article with a reader that never saw it")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    from summarizer.embeddings import Embedder

    embedder = Embedder()
    embedder.warm_up()
    encoder, tokenizer = embedder.auto_model, embedder.tokenizer
    started = time.time()
    rng = random.Random(args.seed)
    squad = squad_train_examples(args.squad_train, tokenizer, rng)
    dev = load_dev(args.dev)
    tuning_titles = {t for fold in TUNING_FOLDS for t in fold}
    dev_examples = dev_training_examples([r for r in dev if r["title"] in tuning_titles], tokenizer, rng)
    questions, pairs = dev_questions(dev, dev, tokenizer, random.Random(args.seed))
    layers = tuple(int(k) for k in args.layers.split(","))
    states = StateCache(encoder, args.cache, layers)
    states.add([e.pair for e in squad], "squad-train")
    states.add([e.pair for e in dev_examples], "dev-train")
    states.add(pairs, "dev-eval")
    print(f"{len(squad)} SQuAD train pairs, {len(dev_examples)} dev training pairs, {len(questions)} dev questions "
          f"({len(pairs)} pairs)", file=sys.stderr)

    def meta(threshold: float) -> dict[str, object]:
        return {"d_in": states([pairs[0]])[0].shape[1], "width": 128, "heads": 4, "ff": 256,
                "layers": np.asarray(layers), "threshold": threshold, "seed": args.seed}

    oof: list[Outcome] = []
    per_fold: list[tuple[tuple[str, ...], list[Outcome]]] = []
    only = None if args.only_folds is None else {int(k) for k in args.only_folds.split(",")}
    if not args.skip_cv:
        for fold in TUNING_FOLDS:
            if only is not None and SQUAD_DEV_FOLDS.index(fold) not in only:
                continue
            model = train(squad + [e for e in dev_examples if e.title not in fold], states,
                          epochs=args.epochs, seed=args.seed)
            if args.save_folds is not None:
                args.save_folds.mkdir(parents=True, exist_ok=True)
                save_head(args.save_folds / f"fold-{SQUAD_DEV_FOLDS.index(fold)}.npz", model,
                          meta(args.threshold) | {"titles": np.asarray(fold)})
            probs = probabilities(model, pairs, states)
            got = [o for o in outcomes([q for q in questions if q.title in fold], probs)]
            per_fold.append((fold, got))
            oof += got
    if only is not None:
        for fold, got in per_fold:
            r = rates(got, tune(got))
            print(_line("CV fold " + "+".join(fold) + " (threshold tuned on itself: a comparison only)", tune(got), r))
        return 0
    model = train(squad + dev_examples, states, epochs=args.epochs, seed=args.seed)
    threshold = tune(oof) if oof else args.threshold
    held_out = outcomes([q for q in questions if q.title in HELD_OUT], probabilities(model, pairs, states))

    print("held out by article (SQuAD 2.0 dev; no reader or threshold saw the articles it is judged on):")
    judged: list[Outcome] = []
    for fold, got in per_fold:
        t = tune([o for f, g in per_fold if f != fold for o in g])
        print(_line("CV fold " + "+".join(fold), t, rates(got, t)))
        judged += [Outcome(o.title, o.kind, o.score - t, o.found) for o in got]
    print(_line("shipped reader on " + "+".join(HELD_OUT), threshold, rates(held_out, threshold)))
    judged += [Outcome(o.title, o.kind, o.score - threshold, o.found) for o in held_out]
    print(_line("all 8 articles, each held out once", 0.0, rates(judged, 0.0)))
    save_head(args.out, model, meta(threshold))
    print(f"saved {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
