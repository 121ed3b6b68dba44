"""Abstractive summaries with a local sequence-to-sequence model (BART, PEGASUS, T5 ...).

Optional: the bot runs extractive by default; this backend is used when a model is configured,
and its output goes through the faithfulness gate (:mod:`summarizer.summarize.faithfulness`)
before anyone sees it (see :class:`summarizer.summarize.Summarizer`).

How a document is summarised (:meth:`AbstractiveSummarizer.run_many`):

1. **Chunking by tokens on sentence boundaries.** Sentences (``split_sentences``) are packed
   greedily into chunks of at most ``max_input_tokens`` tokens, special tokens included (capped by
   the model's position limit). Each chunk after the first starts with the trailing sentences of
   the previous one, up to ``chunk_overlap`` tokens, so a fact that straddles the cut is seen
   whole once. A sentence longer than a chunk is cut at a token boundary (the only place text is
   cut). Chunk text is taken from the document by offset, so nothing is re-spaced.
2. **Generation in batches.** All chunks of all documents are sorted by length (less padding) and
   generated ``batch_size`` at a time with ``max_new_tokens``/``num_beams`` under
   ``torch.inference_mode``.
3. **Combining.** A one-chunk document's summary is final. Otherwise the chunk summaries are
   joined in order; if the result is longer than ``max_new_tokens`` tokens it is summarised again
   as a document (chunked again if it must be), at most ``max_rounds`` times.

Blocking and CPU-heavy: async callers use a worker thread. ``warm_up`` loads the model once
(thread-safe); ``run``/``run_many`` call it. ``transformers``/``torch`` are imported lazily.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.sentences import split_sentences
from summarizer.types import Document

__all__ = ["AbstractiveSummarizer", "RunStats"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunStats:
    """What the last ``run_many`` did (for benchmarks and tests)."""

    documents: int = 0
    chunks: int = 0  # chunks generated, all rounds together
    batches: int = 0  # model.generate calls
    rounds: int = 0  # largest number of summarising rounds any document needed


class AbstractiveSummarizer:
    """Chunked, batched seq2seq summaries. ``model`` is a local directory or a hub id."""

    def __init__(self, model: str | Path, *, max_input_tokens: int = 1024, chunk_overlap: int = 64,
                 batch_size: int = 4, max_new_tokens: int = 128, num_beams: int = 2, min_new_tokens: int = 0,
                 no_repeat_ngram_size: int = 3, max_rounds: int = 3, threads: int | None = None,
                 device: str = "cpu") -> None:
        if max_input_tokens < 16:
            raise ValueError("max_input_tokens must be at least 16")
        if not 0 <= chunk_overlap < max_input_tokens // 2:
            raise ValueError("chunk_overlap must be below half of max_input_tokens")
        if batch_size < 1 or max_new_tokens < 1 or num_beams < 1 or max_rounds < 1:
            raise ValueError("batch_size, max_new_tokens, num_beams and max_rounds must be positive")
        self.model_ref = model
        self.max_input_tokens = max_input_tokens
        self.chunk_overlap = chunk_overlap
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.num_beams = num_beams
        self.min_new_tokens = min_new_tokens
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self.max_rounds = max_rounds
        self.threads = threads
        self.device = device
        self.last_stats = RunStats()
        self._tokenizer: Any = None
        self._model: Any = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ loading

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def tokenizer(self) -> Any:
        self.warm_up()
        return self._tokenizer

    @property
    def model(self) -> Any:
        self.warm_up()
        return self._model

    def warm_up(self) -> None:
        """Load tokenizer and model (local directory: never touches the network)."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            import torch
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            if self.threads:
                torch.set_num_threads(self.threads)
            ref = str(self.model_ref)
            local = Path(ref).exists()
            log.info("loading summarisation model %s", ref)
            tokenizer = AutoTokenizer.from_pretrained(ref, local_files_only=local)
            model = AutoModelForSeq2SeqLM.from_pretrained(ref, local_files_only=local)
            model.to(self.device)
            model.eval()
            self._tokenizer = tokenizer
            self._model = model

    @property
    def input_limit(self) -> int:
        """Tokens per chunk, special tokens included: ``max_input_tokens`` capped by the model."""
        limit = self.max_input_tokens
        positions = getattr(self.model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            limit = min(limit, positions)
        return limit

    # ------------------------------------------------------------------ chunking

    def _special_count(self) -> int:
        return len(self.tokenizer("", add_special_tokens=True)["input_ids"])

    def chunks(self, text: str) -> list[str]:
        """``text`` cut into model-sized chunks on sentence boundaries (see the module doc)."""
        text = text.strip()
        if not text:
            return []
        budget = self.input_limit - self._special_count()
        tok = self.tokenizer
        pieces: list[tuple[int, int, int]] = []  # (start, end, tokens) of each sentence or sentence part
        sentences = split_sentences(text) or []
        counts = tok([s.text for s in sentences], add_special_tokens=False)["input_ids"] if sentences else []
        for s, ids in zip(sentences, counts, strict=True):
            if len(ids) <= budget:
                pieces.append((s.start, s.end, len(ids)))
            else:
                pieces.extend(self._split_long(text, s.start, s.end, budget))
        out: list[str] = []
        i = 0
        while i < len(pieces):
            j, used = i, 0
            while j < len(pieces) and used + pieces[j][2] <= budget:
                used += pieces[j][2]
                j += 1
            j = max(j, i + 1)
            out.append(text[pieces[i][0] : pieces[j - 1][1]])
            if j >= len(pieces):
                break
            # the next chunk starts with the last sentences of this one, up to chunk_overlap tokens
            k, overlap = j, 0
            while k - 1 > i and overlap + pieces[k - 1][2] <= self.chunk_overlap:
                k -= 1
                overlap += pieces[k][2]
            i = k
        return out

    def _split_long(self, text: str, start: int, end: int, budget: int) -> list[tuple[int, int, int]]:
        """A sentence longer than a chunk, cut at token boundaries into pieces of ``budget`` tokens."""
        tok = self.tokenizer
        part = text[start:end]
        if getattr(tok, "is_fast", False):
            offsets = tok(part, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
            out = []
            for k in range(0, len(offsets), budget):
                window = offsets[k : k + budget]
                s = start + window[0][0]
                e = start + (window[-1][1] if k + budget >= len(offsets) else offsets[k + budget][0])
                out.append((s, e, len(window)))
            return out
        # slow tokenizer: cut on words, about ``budget`` tokens at a time
        words, out, cursor, count, piece_start = part.split(" "), [], start, 0, start
        for w in words:
            n = len(tok(w, add_special_tokens=False)["input_ids"])
            if count and count + n > budget:
                out.append((piece_start, cursor, count))
                piece_start, count = cursor, 0
            count += n
            cursor += len(w) + 1
        out.append((piece_start, end, count))
        return out

    # ------------------------------------------------------------------ generation

    def _generate(self, texts: Sequence[str], stats: RunStats) -> list[str]:
        import torch

        tok, model = self.tokenizer, self.model
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[str] = [""] * len(texts)
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "num_beams": self.num_beams}
        if self.min_new_tokens:
            kwargs["min_new_tokens"] = self.min_new_tokens
        if self.no_repeat_ngram_size:
            kwargs["no_repeat_ngram_size"] = self.no_repeat_ngram_size
        if self.num_beams > 1:
            kwargs["early_stopping"] = True
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            enc = tok([texts[i] for i in idx], truncation=True, max_length=self.input_limit, padding=True,
                      return_tensors="pt").to(self.device)
            enc.pop("token_type_ids", None)
            with torch.inference_mode():
                generated = model.generate(**enc, **kwargs)
            stats.batches += 1
            stats.chunks += len(idx)
            for i, text in zip(idx, tok.batch_decode(generated, skip_special_tokens=True), strict=True):
                out[i] = " ".join(text.split())
        return out

    def _too_long(self, text: str) -> bool:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"]) > self.max_new_tokens

    def run_many(self, docs: Sequence[Document]) -> list[str]:
        """One summary per document (empty for an empty document); chunks of all documents are
        generated together in batches."""
        self.warm_up()
        stats = RunStats(documents=len(docs))
        pending: dict[int, str] = {i: d.text for i, d in enumerate(docs)}
        results = [""] * len(docs)
        for round_no in range(1, self.max_rounds + 1):
            if not pending:
                break
            stats.rounds = round_no
            plan: list[tuple[int, str]] = []
            for i, text in pending.items():
                plan.extend((i, c) for c in self.chunks(text))
            summaries = self._generate([c for _, c in plan], stats) if plan else []
            grouped: dict[int, list[str]] = {i: [] for i in pending}
            for (i, _), summary in zip(plan, summaries, strict=True):
                grouped[i].append(summary)
            nxt: dict[int, str] = {}
            for i, parts in grouped.items():
                joined = " ".join(p for p in parts if p)
                results[i] = joined
                if len(parts) > 1 and joined and self._too_long(joined) and round_no < self.max_rounds:
                    nxt[i] = joined
            pending = nxt
        self.last_stats = stats
        return results

    def run(self, doc: Document) -> str:
        return self.run_many([doc])[0]
