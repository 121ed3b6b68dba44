"""The answer reader's head over MiniLM token states, shared by inference and training.

A question and one candidate sentence are cross-encoded as ``[CLS] question [SEP] sentence [SEP]``
through the bundled MiniLM (frozen). The states after layers ``LAYERS`` (concatenated) go through
a layer norm, a projection to ``width`` units plus a segment embedding (question / sentence), one
small transformer layer, and two outputs:

* ``answers``: one logit, "this sentence answers the question" (from the [CLS] state and the max
  and mean over the sentence's pieces);
* ``start`` / ``end``: per-piece logits of the short answer inside the sentence (SQuAD style).

Weights are stored as float16 in an ``.npz`` with the state-dict names (``head.``) plus ``meta.``
entries (layers, width, threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

LAYERS = (2, 4)
MAX_QUESTION_PIECES = 40
MAX_PIECES = 128
MAX_ANSWER_PIECES = 24


@dataclass(frozen=True, slots=True)
class Pair:
    """One cross-encoded pair: piece ids, where the sentence's pieces begin, and each sentence
    piece's (start, end) characters in the sentence."""

    ids: tuple[int, ...]
    sentence_start: int
    offsets: tuple[tuple[int, int], ...]


def encode_pair(tokenizer: Any, question: str, sentence: str, max_pieces: int = MAX_PIECES) -> Pair:
    """``[CLS] question [SEP] sentence [SEP]``, the question cut to MAX_QUESTION_PIECES pieces and
    the sentence to what fits in ``max_pieces``."""
    q = tokenizer(question, add_special_tokens=False)
    s = tokenizer(sentence, add_special_tokens=False)
    q_ids = list(q["input_ids"])[:MAX_QUESTION_PIECES]
    room = max(1, max_pieces - len(q_ids) - 3)
    s_ids = list(s["input_ids"])[:room]
    offsets = tuple((int(a), int(b)) for a, b in list(s["offset_mapping"])[:room])
    ids = (tokenizer.cls_token_id, *q_ids, tokenizer.sep_token_id, *s_ids, tokenizer.sep_token_id)
    return Pair(tuple(int(i) for i in ids), len(q_ids) + 2, offsets)


def pair_states(encoder: Any, pairs: Sequence[Pair], layers: Sequence[int] = LAYERS,
                batch_size: int = 32) -> list[np.ndarray]:
    """Per pair, the (pieces, hidden * len(layers)) states after ``layers``, float32. Pairs of
    similar length share a batch."""
    out: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(pairs)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].ids))
    with torch.inference_mode():
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            width = max(len(pairs[i].ids) for i in idx)
            ids = torch.zeros((len(idx), width), dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):
                ids[r, : len(pairs[i].ids)] = torch.tensor(pairs[i].ids)
                mask[r, : len(pairs[i].ids)] = 1
            hidden = encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True,
                             layers=max(layers)).hidden_states
            values = torch.cat([hidden[k] for k in layers], dim=-1).float().numpy()
            for r, i in enumerate(idx):
                out[i] = values[r, : len(pairs[i].ids)]
    return out


def pad_states(states: Sequence[np.ndarray], pairs: Sequence[Pair]) -> tuple[torch.Tensor, torch.Tensor,
                                                                             torch.Tensor]:
    """(states (B, L, D), valid mask (B, L) bool, segment (B, L): 1 on the sentence's pieces)."""
    width = max(len(p.ids) for p in pairs)
    dim = states[0].shape[1]
    x = torch.zeros((len(pairs), width, dim), dtype=torch.float32)
    mask = torch.zeros((len(pairs), width), dtype=torch.bool)
    seg = torch.zeros((len(pairs), width), dtype=torch.long)
    for r, (st, p) in enumerate(zip(states, pairs, strict=True)):
        n = len(p.ids)
        x[r, :n] = torch.from_numpy(np.asarray(st[:n], dtype=np.float32))
        mask[r, :n] = True
        seg[r, p.sentence_start : p.sentence_start + len(p.offsets)] = 1
    return x, mask, seg


class ReaderHead(nn.Module):
    """Layer norm, projection + segment embedding, one transformer layer, answer and span logits."""

    def __init__(self, d_in: int, width: int = 128, heads: int = 4, ff: int = 256, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_in)
        self.proj = nn.Linear(d_in, width)
        self.segment = nn.Embedding(2, width)
        self.layer = nn.TransformerEncoderLayer(width, heads, ff, dropout, batch_first=True, norm_first=True)
        self.span = nn.Linear(width, 2)
        self.answers = nn.Sequential(nn.Linear(3 * width, width), nn.ReLU(), nn.Linear(width, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor, seg: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(answer logit (B,), start logits (B, L), end logits (B, L)); span logits are -1e4
        outside the sentence's pieces."""
        h = self.proj(self.norm(x)) + self.segment(seg)
        h = self.layer(h, src_key_padding_mask=~mask)
        in_sentence = (seg == 1) & mask
        s = in_sentence.unsqueeze(-1).float()
        mean = (h * s).sum(1) / s.sum(1).clamp(min=1.0)
        top = h.masked_fill(~in_sentence.unsqueeze(-1), -1e4).amax(1)
        top = torch.where(in_sentence.any(1, keepdim=True), top, torch.zeros_like(top))
        answer = self.answers(torch.cat([h[:, 0], mean, top], dim=-1)).squeeze(-1)
        start, end = self.span(h).unbind(-1)
        start = start.masked_fill(~in_sentence, -1e4)
        end = end.masked_fill(~in_sentence, -1e4)
        return answer, start, end


def best_span(start: np.ndarray, end: np.ndarray, lo: int, hi: int,
              max_pieces: int = MAX_ANSWER_PIECES) -> tuple[int, int, float]:
    """(first piece, last piece, score) of the best span inside pieces [lo, hi): O(n * max_pieces)."""
    best = (lo, lo, -float("inf"))
    for s in range(lo, hi):
        e_hi = min(hi, s + max_pieces)
        e = s + int(np.argmax(end[s:e_hi]))
        score = float(start[s] + end[e])
        if score > best[2]:
            best = (s, e, score)
    return best


def save_head(path: Any, head: ReaderHead, meta: dict[str, Any]) -> None:
    arrays = {f"head.{k}": v.detach().numpy().astype(np.float16) for k, v in head.state_dict().items()}
    arrays.update({f"meta.{k}": np.asarray(v) for k, v in meta.items()})
    np.savez_compressed(path, **arrays)


def load_head(path: Any) -> tuple[ReaderHead, dict[str, Any]]:
    with np.load(path) as z:
        meta = {k[5:]: z[k] for k in z.files if k.startswith("meta.")}
        state = {k[5:]: torch.from_numpy(z[k].astype(np.float32)) for k in z.files if k.startswith("head.")}
    head = ReaderHead(int(meta["d_in"]), int(meta["width"]), int(meta["heads"]), int(meta["ff"]), dropout=0.0)
    head.load_state_dict(state)
    return head.eval(), meta
