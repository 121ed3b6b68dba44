"""Train the answer decider (summarizer/answering/data/decider.npz) and print its held-out figures.

    .venv/bin/python -m training.train_reader --squad-train PATH --save-folds /tmp/reader-folds
    .venv/bin/python -m training.train_decider --folds /tmp/reader-folds [--out summarizer/answering/data/decider.npz]

The decider (``summarizer.answering.decider``) turns the reader's score and the retrieval evidence
of each candidate sentence into one probability. It must learn from readings of articles the reader
never saw, as in use, so each SQuAD dev article is read by the reader of the fold that left it out
(``train_reader --save-folds``; the shipped reader for the held-out fold), through the real
``Answerer`` (retrieval, shortlist, reader), and the team's news set by the shipped reader, which
never saw it.

Data:
* ``../shared/eval/qa/squad2-dev.jsonl``: 8 articles of the SQuAD 2.0 dev set (CC BY-SA 4.0,
  Rajpurkar, Jia and Liang, 2018), in the 4 folds of ``calibrate.SQUAD_DEV_FOLDS``;
* the team's news reading set (``tests/summarizer/fixtures/news_qa.py``, ours, MIT): 8 long
  articles in 4 folds of 2 (``NEWS_FOLDS``).
Every fourth question is also asked of another article (all its candidates are negatives).

Procedure, every figure held out by article: for each of the 3 tuning folds, a decider trained on
the other 2 is judged on it, its threshold the lowest that refuses ``--min-refusal`` (0.70, the
issue's target) of the SQuAD unanswerable questions it was trained on; the shipped
decider is trained on all 3 tuning folds the same way and judged once on the held-out fold
(Imperialism, French_and_Indian_War), which nothing shipped trains or tunes on. The news set is
judged whole and never trained or tuned on (``--news-train`` trains on its tuning folds too).
A logistic regression: small networks (8 or 16 hidden units) did worse held out. Deterministic.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from summarizer.answering.calibrate import SQUAD_DEV_FOLDS, SQUAD_HELD_OUT, Outcome, Rates, rates, tune
from summarizer.answering.decider import DEFAULT_DECIDER, FEATURES, Decider, Evidence, features

DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "qa" / "squad2-dev.jsonl"
HELD_OUT_FOLD = SQUAD_DEV_FOLDS.index(SQUAD_HELD_OUT)


@dataclass
class Question:
    fold: int
    title: str
    kind: str  # answerable / unanswerable / unrelated
    question: str
    evidence: Evidence
    y: np.ndarray  # 1 where the candidate holds a gold answer
    x: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.x = features(self.evidence)  # recomputed from the cached evidence when the features change


def news_folds() -> list[tuple[str, ...]]:
    from tests.summarizer.fixtures.news_qa import ARTICLES

    ids = [a.id for a in ARTICLES]
    return [tuple(ids[k : k + 2]) for k in range(0, len(ids), 2)][: len(SQUAD_DEV_FOLDS)]


def _question(answerer: object, fold: int, title: str, kind: str, question: str, doc: object,
              answers: Sequence[str]) -> Question | None:
    e = answerer.evidence(question, [doc])  # type: ignore[attr-defined]
    if e is None:
        return None
    gold = [a.casefold() for a in answers] if kind == "answerable" else []
    y = np.array([float(any(g in s.casefold() for g in gold)) for s in e.sentences], dtype=np.float32)
    return Question(fold, title, kind, question, e, y)


def collect(dev: Sequence[dict], folds_dir: Path, embedder: object) -> list[Question]:
    from summarizer.answering.reader import MiniLMReader
    from summarizer.answers import Answerer
    from summarizer.types import Document
    from tests.summarizer.fixtures.news_qa import ARTICLES, ARTICLES_BY_ID, QUESTIONS

    out: list[Question] = []
    rng = random.Random(13)
    for k, fold in enumerate(SQUAD_DEV_FOLDS):
        weights = None if k == HELD_OUT_FOLD else folds_dir / f"fold-{k}.npz"
        answerer = Answerer(embedder, reader=MiniLMReader(embedder, weights, threshold=0.0, use_decider=False))
        rows = [r for r in dev if r["title"] in fold]
        started = time.time()
        for n, r in enumerate(rows):
            kind = "answerable" if r["answers"] else "unanswerable"
            q = _question(answerer, k, r["title"], kind, r["question"], Document(r["id"], r["text"]), r["answers"])
            out += [q] if q else []
            if n % 4 == 0:
                other = rng.choice([o for o in dev if o["title"] != r["title"]])
                q = _question(answerer, k, r["title"], "unrelated", r["question"],
                              Document(other["id"], other["text"]), ())
                out += [q] if q else []
        print(f"  squad fold {k}: {len(rows)} questions read in {time.time() - started:.0f} s", file=sys.stderr)
    answerer = Answerer(embedder, reader=MiniLMReader(embedder, threshold=0.0, use_decider=False))
    fold_of = {a: k for k, f in enumerate(news_folds()) for a in f}
    for n, q in enumerate(QUESTIONS):
        article = ARTICLES_BY_ID[q.article_id]
        kind = "unanswerable" if q.impossible else "answerable"
        doc = Document(article.id, article.text, title=article.title)
        got = _question(answerer, fold_of[q.article_id], "news:" + q.article_id, kind, q.question, doc, q.answers)
        out += [got] if got else []
        if n % 4 == 0 and not q.impossible:
            other = ARTICLES[(ARTICLES.index(article) + 1 + n % (len(ARTICLES) - 1)) % len(ARTICLES)]
            got = _question(answerer, fold_of[q.article_id], "news:" + q.article_id, "unrelated", q.question,
                            Document(other.id, other.text, title=other.title), ())
            out += [got] if got else []
    return out


class Net(nn.Module):
    def __init__(self, d: int, hidden: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(d, hidden), nn.Linear(hidden, 1)] if hidden else [nn.Linear(d, 1)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for k, layer in enumerate(self.layers):
            x = layer(x)
            if k < len(self.layers) - 1:
                x = F.relu(x)
        return x.squeeze(-1)


def fit(questions: Sequence[Question], *, hidden: int, seed: int, epochs: int = 300,
        weight_decay: float = 1e-3) -> Decider:
    torch.manual_seed(seed)
    x = np.concatenate([q.x for q in questions]).astype(np.float64)
    y = np.concatenate([q.y for q in questions])
    mean, scale = x.mean(0), x.std(0) + 1e-6
    xt = torch.tensor((x - mean) / scale, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    net = Net(x.shape[1], hidden)
    optimiser = torch.optim.AdamW(net.parameters(), lr=0.01, weight_decay=weight_decay)
    positive = float(yt.mean())
    pos_weight = torch.tensor((1 - positive) / max(positive, 1e-3))
    for _ in range(epochs):  # full batch: a few thousand rows
        loss = F.binary_cross_entropy_with_logits(net(xt), yt, pos_weight=pos_weight)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    layers = tuple((layer.weight.detach().numpy().T.astype(np.float64), layer.bias.detach().numpy().astype(np.float64))
                   for layer in net.layers)
    return Decider(mean, scale, layers, 0.5)


def outcomes(decider: Decider, questions: Sequence[Question]) -> list[Outcome]:
    out = []
    for q in questions:
        p = decider.probabilities(q.x)
        best = int(np.argmax(p))
        out.append(Outcome(q.title, q.kind, float(p[best]), bool(q.y[best])))  # type: ignore[arg-type]
    return out


def _line(name: str, threshold: float, r: Rates) -> str:
    return (f"  {name}: threshold {threshold:.2f}  answerable cited {r.answerable:.3f} ({r.counts[0]})  "
            f"unanswerable refused {r.unanswerable:.3f} ({r.counts[1]})  unrelated refused {r.unrelated:.3f} "
            f"({r.counts[2]})")


def _shifted(got: Sequence[Outcome], t: float) -> list[Outcome]:
    return [Outcome(o.title, o.kind, o.score - t, o.found) for o in got]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=Path, required=True, help="train_reader --save-folds's directory")
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--out", type=Path, default=DEFAULT_DECIDER)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-decider.pkl"))
    parser.add_argument("--hidden", type=int, default=0, help="hidden units (0: logistic regression)")
    parser.add_argument("--min-refusal", type=float, default=0.70)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--news-train", action="store_true",
                        help="train on the news set's tuning folds too (by default it is judged whole, never "
                             "trained or tuned on)")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    started = time.time()
    if args.cache.exists():  # the readings: features are computed anew from them
        questions = [Question(q.fold, q.title, q.kind, q.question, q.evidence, q.y)
                     for q in pickle.loads(args.cache.read_bytes())]
    else:
        from summarizer.embeddings import Embedder

        embedder = Embedder()
        embedder.warm_up()
        dev = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines() if line.strip()]
        questions = collect(dev, args.folds, embedder)
        args.cache.write_bytes(pickle.dumps(questions))
    tuning = [k for k in range(len(SQUAD_DEV_FOLDS)) if k != HELD_OUT_FOLD]
    if not args.news_train:  # news questions are never trained on: move them out of every training fold
        for q in questions:
            if q.title.startswith("news:"):
                q.fold = -1 - q.fold
    print(f"{len(questions)} questions, {sum(len(q.y) for q in questions)} candidates, features {FEATURES}")

    def judge(name: str, got: Sequence[Outcome], t: float) -> None:
        for label, part in (("squad", [o for o in got if not o.title.startswith("news:")]),
                            ("news", [o for o in got if o.title.startswith("news:")])):
            print(_line(f"{name} {label}", t, rates(part, t)))

    def trained(train: Sequence[Question]) -> tuple[Decider, float]:
        """A decider and its threshold: the lowest that refuses ``--min-refusal`` of the SQuAD
        unanswerable questions it was trained on."""
        decider = fit(train, hidden=args.hidden, seed=args.seed)
        return decider, tune(outcomes(decider, [q for q in train if not q.title.startswith("news:")]),
                             args.min_refusal)

    judged: list[Outcome] = []
    for k in tuning:
        decider, t = trained([q for q in questions if q.fold in tuning and q.fold != k])
        got = outcomes(decider, [q for q in questions if q.fold in (k, -1 - k)])
        judge(f"CV fold {k}", got, t)
        judged += _shifted(got, t)
    decider, threshold = trained([q for q in questions if q.fold in tuning])
    held = outcomes(decider, [q for q in questions if q.fold in (HELD_OUT_FOLD, -1 - HELD_OUT_FOLD)])
    judge("shipped decider on the held-out fold", held, threshold)
    judged += _shifted(held, threshold)
    judge("all 8 + 8 articles, each held out once", judged, 0.0)
    shipped = Decider(decider.mean, decider.scale, decider.layers, threshold)
    shipped.save(args.out, seed=args.seed, hidden=args.hidden, min_refusal=args.min_refusal)
    print(f"saved {args.out} ({args.out.stat().st_size} bytes) in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
