"""Train the entity tagger head (summarizer/actors/data/tagger.npz) on ../shared/eval/entities.

    .venv/bin/python -m bench.train_tagger            # train, save, print held-out scores
    .venv/bin/python -m bench.train_tagger --eval     # only score the saved weights

Data: wikigold (145 Wikipedia articles, CoNLL PER/ORG/LOC/MISC) and GUM news (21 Wikinews
articles; only named person/organization/place mentions kept, see summarizer/actors/evaluate.py).
20% of each corpus's documents (fixed seed) are held out and never trained on; the scores printed
are on them, entity-level exact match, through the same code the extractor runs.

The head: per word, the mean of its word pieces' states after MiniLM layers LAYERS (concatenated) plus
word-shape features, standardised; a projection to PROJ units (ReLU); the projections of a window
of 2*CONTEXT+1 words; one hidden layer (ReLU); BIO scores over PER/ORG/LOC/MISC. HEADS such heads
(seeds SEED, SEED+1, ...) are trained with AdamW on precomputed states (the transformer stays
frozen) and averaged at inference; weights saved as float16. Choices (layers 2+4, 40 epochs,
3 heads) were made on a dev split carved from the training documents, not on the held-out ones.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from summarizer.actors.evaluate import (
    GoldDocument,
    evaluate_tagger,
    format_scores,
    read_corpora,
    split_documents,
)
from summarizer.actors.ner import (
    CORPUS_TYPES,
    DEFAULT_WEIGHTS,
    N_SHAPE,
    Encoded,
    bio_labels,
    run_windows,
    tokenize,
    truncated_encoder,
    word_inputs,
)

REPO = Path(__file__).resolve().parents[1]
ENTITIES = REPO.parent / "shared" / "eval" / "entities"
SEED = 13
LAYERS = (2, 4)
MAX_PIECES = 128
PROJ = 128
CONTEXT = 2
HIDDEN = 256
EPOCHS = 40
HEADS = 3
LABELS = bio_labels(CORPUS_TYPES)


def word_labels(doc: GoldDocument, enc: Encoded) -> np.ndarray:
    """BIO label index per word, -1 where unknown (GUM's unnamed capitalised words, odd overlaps)."""
    n = len(enc.words)
    labels = np.zeros(n, dtype=np.int64)
    span_at = np.full(len(doc.text) + 1, -1, dtype=np.int64)
    for k, (a, b, _) in enumerate(doc.spans):
        span_at[a:b] = k
    unknown = np.zeros(len(doc.text) + 1, dtype=bool)
    for a, b in doc.unknown:
        unknown[a:b] = True
    for i in range(n):
        a, b = int(enc.words[i, 0]), int(enc.words[i, 1])
        if unknown[a:b].any():
            labels[i] = -1
            continue
        inside = span_at[a:b]
        if (inside == -1).all():
            continue
        if (inside != inside[0]).any() or inside[0] == -1:
            labels[i] = -1
            continue
        sa, sb, kind = doc.spans[int(inside[0])]
        if b > sb:
            labels[i] = -1
            continue
        prefix = "B" if a == sa else "I"
        labels[i] = LABELS.index(f"{prefix}-{kind}")
    return labels


def encode_docs(docs: list[GoldDocument], layers: tuple[int, ...], threads: int
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Word inputs (states + shapes) and labels per document."""
    import torch

    from summarizer.embeddings import Embedder

    torch.set_num_threads(threads)
    embedder = Embedder()
    tokenizer = embedder.tokenizer
    encoder = truncated_encoder(embedder.auto_model, max(layers))  # float32, as trained
    encoded = [tokenize(tokenizer, d.text) for d in docs]
    states = run_windows(encoder, tokenizer, encoded, MAX_PIECES, 16, layers=layers)
    xs = [word_inputs(e, s) for e, s in zip(encoded, states, strict=True)]
    ys = [word_labels(d, e) for d, e in zip(docs, encoded, strict=True)]
    return xs, ys


def train(xs: list[np.ndarray], ys: list[np.ndarray], *, seed: int = SEED, epochs: int = EPOCHS,
          threads: int = 1, proj_units: int = PROJ, hidden_units: int = HIDDEN, context: int = CONTEXT,
          dropout: float = 0.3, input_dropout: float = 0.1, weight_decay: float = 0.05, log_every: int = 10) -> dict[str, np.ndarray]:
    """Train the head on words' inputs and labels (-1: ignored); returns the float16 weights."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    torch.set_num_threads(threads)
    allx = np.concatenate(xs).astype(np.float32)
    ally = np.concatenate(ys)
    mean = allx.mean(axis=0)
    std = allx.std(axis=0) + 1e-4
    mean[-N_SHAPE:] = 0.0  # shape features stay 0/1
    std[-N_SHAPE:] = 1.0
    n, dim = allx.shape
    # neighbours of each word within its document; index n is a zero row (outside the document)
    offsets = np.arange(-context, context + 1)
    nbr = np.empty((n, len(offsets)), dtype=np.int64)
    base = 0
    for x in xs:
        pos = np.arange(len(x))
        for c, o in enumerate(offsets):
            q = pos + o
            nbr[base : base + len(x), c] = np.where((q >= 0) & (q < len(x)), base + q, n)
        base += len(x)
    tx = torch.from_numpy(np.vstack([(allx - mean) / std, np.zeros((1, dim), dtype=np.float32)]))
    inside = torch.ones(n + 1, 1)
    inside[n] = 0.0
    n_labels = len(LABELS)
    proj = nn.Linear(dim, proj_units)
    hid = nn.Linear(proj_units * len(offsets), hidden_units)
    out = nn.Linear(hidden_units, n_labels)
    drop_in, drop = nn.Dropout(input_dropout), nn.Dropout(dropout)
    params = [*proj.parameters(), *hid.parameters(), *out.parameters()]
    opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=weight_decay)
    labelled = np.flatnonzero(ally >= 0)
    batch = 256
    steps = epochs * (len(labelled) // batch + 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    counts = np.bincount(ally[labelled], minlength=n_labels).astype(np.float64)
    weights = torch.tensor((counts.sum() / np.maximum(counts, 1)) ** 0.25, dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weights / weights[0])
    ty = torch.from_numpy(ally)
    tnbr = torch.from_numpy(nbr)
    for epoch in range(epochs):
        order = rng.permutation(labelled)
        total = 0.0
        for start in range(0, len(order), batch):
            rows = torch.from_numpy(order[start : start + batch])
            idx = tnbr[rows]  # (B, window)
            h = torch.relu(proj(drop_in(tx[idx]))) * inside[idx]
            z = torch.relu(hid(drop(h.reshape(len(rows), -1))))
            loss = loss_fn(out(drop(z)), ty[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(rows)
        if log_every and epoch % log_every == log_every - 1:
            print(f"epoch {epoch + 1}: loss {total / len(labelled):.4f}", file=sys.stderr)
    f16 = np.float16
    return {
        "context": np.asarray(context), "mean": mean.astype(f16), "std": std.astype(f16),
        "proj_w": proj.weight.detach().numpy().T.astype(f16), "proj_b": proj.bias.detach().numpy().astype(f16),
        "hid_w": hid.weight.detach().numpy().T.astype(f16), "hid_b": hid.bias.detach().numpy().astype(f16),
        "out_w": out.weight.detach().numpy().T.astype(f16), "out_b": out.bias.detach().numpy().astype(f16),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ENTITIES, help="shared/eval/entities")
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--layers", type=lambda v: tuple(int(x) for x in v.split(",")), default=LAYERS,
                        help="MiniLM layers whose states the head reads, e.g. 2,4")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--heads", type=int, default=HEADS, help="heads averaged (seeds SEED, SEED+1, ...)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval", action="store_true", help="only score the saved weights on the held-out part")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no corpus at {args.data}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(args.threads)
    docs = read_corpora(args.data)
    train_docs, held = split_documents(docs)
    print(f"documents: {len(train_docs)} train, {len(held)} held out "
          f"({sum(d.corpus == 'wikigold' for d in held)} wikigold, {sum(d.corpus == 'gum' for d in held)} gum)")
    if not args.eval:
        t0 = time.perf_counter()
        xs, ys = encode_docs(train_docs, args.layers, args.threads)
        print(f"encoded {sum(len(y) for y in ys)} words in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        arrays: dict[str, np.ndarray] = {"labels": np.asarray(LABELS), "layers": np.asarray(args.layers),
                                         "max_pieces": np.asarray(MAX_PIECES)}
        for k in range(args.heads):
            head = train(xs, ys, seed=SEED + k, epochs=args.epochs, threads=args.threads)
            arrays.update({f"h{k}.{name}": value for name, value in head.items()})
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.out, **arrays)  # type: ignore[arg-type]
        digest = hashlib.sha256(args.out.read_bytes()).hexdigest()[:12]
        print(f"saved {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, sha256 {digest})")
    from summarizer.actors.ner import EntityRecognizer, MiniLMTagger

    tagger = MiniLMTagger(weights=args.out)
    print("held out, tagger alone:")
    print(format_scores(evaluate_tagger(args.data, tagger.tag_many, docs=held)))
    print("held out, tagger + gazetteer rules:")
    print(format_scores(evaluate_tagger(args.data, EntityRecognizer(tagger).recognize_many, docs=held)))
    for corpus in ("wikigold", "gum"):
        part = [d for d in held if d.corpus == corpus]
        scores = evaluate_tagger(args.data, EntityRecognizer(tagger).recognize_many, docs=part)
        print(f"  {corpus}: " + ", ".join(f"{k} {v['f1']:.3f}" for k, v in scores.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
