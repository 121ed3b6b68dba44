"""Named-entity recognition with character spans.

* :class:`MiniLMTagger` (the offline default): a small head over the token states of the
  bundled all-MiniLM-L6-v2 (the Embedder's model, shared, not loaded twice). MiniLM's vocabulary
  is lower-cased, so the head also sees each word's shape (capitalised, all capitals, sentence
  start, ...). Per word: the mean of its word pieces' states plus the shape features, projected,
  then a window of five words, one hidden layer and BIO scores over PER/ORG/LOC/MISC; three
  such heads (trained with different seeds) are averaged, and the result decoded with Viterbi
  under the BIO constraints (no I-X after O or after another type). The weights
  (``data/tagger.npz``, float16, trained by ``bench/train_tagger.py`` on wikigold and GUM news)
  say which layers' states they read (2 and 4): only the first four of MiniLM's six layers run,
  on windows of at most 128 word pieces cut at sentence ends, batched across texts, in bfloat16
  where the CPU does that natively (AMX / AVX512-BF16; about 3x faster), else float32. The
  transformer is the Embedder's own model (shared, or copied to bfloat16); nothing is fine-tuned.
* :class:`TransformersTagger`: any transformers token-classification model (hub id or local
  directory), its labels mapped to ours.
* :class:`EntityRecognizer`: a tagger plus the gazetteer rules (countries, regions, well-known
  organisations, demonyms as NORP) and the organisation rules of
  :mod:`summarizer.actors.organisations` (names around a head word kept whole, facilities as
  places, acronyms the text defines).

Types out: PERSON, ORG, GPE (countries, cities, regions), LOC (natural features, continents),
NORP (nationalities from the gazetteer) and MISC.
"""

from __future__ import annotations

import logging
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from summarizer.actors.gazetteer import Gazetteer, GazetteerMatch, default_gazetteer
from summarizer.actors.organisations import apply_organisation_rules
from summarizer.textclean import scrub
from summarizer.types import EntityType, Mention

if TYPE_CHECKING:
    import torch

    from summarizer.embeddings import Embedder

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_WEIGHTS = DATA_DIR / "tagger.npz"
CORPUS_TYPES = ("PER", "ORG", "LOC", "MISC")
MAX_CHARS = 100_000  # text beyond this is not tagged (a long page, not an article)
# nor word pieces beyond this: prose has about one piece per 4.5 characters (MAX_CHARS of it fits),
# a run of punctuation one per character, and the tagger's time grows with the pieces
MAX_PIECES = 25_000

_LABEL_MAP: dict[str, EntityType] = {
    "PER": "PERSON", "PERSON": "PERSON", "ORG": "ORG", "ORGANIZATION": "ORG", "ORGANISATION": "ORG",
    "LOC": "GPE", "LOCATION": "GPE", "GPE": "GPE", "MISC": "MISC", "NORP": "NORP", "FAC": "LOC",
}
_NATURAL = re.compile(
    r"\b(?:River|Sea|Ocean|Lake|Mountains?|Mount|Mt\.?|Valley|Desert|Gulf|Bay|Strait|Island|Islands|Peninsula|"
    r"Coast|Canal|Forest|Plain|Plains|Plateau|Basin|Hills?|Falls|Glacier|Channel)\b")
_SENTENCE_END = re.compile(r"[.!?]['\"”’)\]]*$")


class Tagger(Protocol):
    def tag_many(self, texts: Sequence[str]) -> list[list[Mention]]: ...


# ---------------------------------------------------------------- word pieces and windows


@dataclass(slots=True)
class Encoded:
    """A text's word pieces: character offsets, word index of each piece, and per-word spans."""

    text: str
    offsets: np.ndarray  # (n_pieces, 2)
    word_of_piece: np.ndarray  # (n_pieces,)
    words: np.ndarray  # (n_words, 2) character spans
    input_ids: list[int]


def tokenize(tokenizer: Any, text: str) -> Encoded:
    text = scrub(text[:MAX_CHARS])  # same length: offsets still index the text as given
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    ids: list[int] = list(enc["input_ids"])
    offsets = np.asarray(enc["offset_mapping"], dtype=np.int64).reshape(-1, 2)
    word_ids = enc.word_ids()
    if len(ids) > MAX_PIECES:  # cut at the start of the word the first piece too many belongs to
        cut = MAX_PIECES
        while cut > 0 and word_ids[cut] is not None and word_ids[cut] == word_ids[cut - 1]:
            cut -= 1
        ids, offsets, word_ids = ids[:cut], offsets[:cut], word_ids[:cut]
    # word index per piece, renumbered 0..n_words-1 (pieces with no word get their own)
    word_of_piece = np.zeros(len(ids), dtype=np.int64)
    words: list[list[int]] = []
    previous: int | None = None
    for k, w in enumerate(word_ids):
        if w is None or w != previous or not words:
            words.append([int(offsets[k, 0]), int(offsets[k, 1])])
        else:
            words[-1][1] = int(offsets[k, 1])
        word_of_piece[k] = len(words) - 1
        previous = w
    return Encoded(text, offsets, word_of_piece, np.asarray(words, dtype=np.int64).reshape(-1, 2), ids)


def windows(enc: Encoded, max_pieces: int) -> list[tuple[int, int]]:
    """Piece ranges of at most ``max_pieces``, covering the text, cut at word starts, preferably
    after a sentence end or a line break in the second half of the window."""
    n = len(enc.input_ids)
    out: list[tuple[int, int]] = []
    start = 0
    text = enc.text
    while start < n:
        end = min(n, start + max_pieces)
        if end < n:
            best = None
            fallback = None
            for k in range(end, start + max_pieces // 2, -1):
                if enc.word_of_piece[k] == enc.word_of_piece[k - 1]:
                    continue
                if fallback is None:
                    fallback = k
                gap = text[enc.offsets[k - 1, 1] : enc.offsets[k, 0]]
                if "\n" in gap or (_SENTENCE_END.search(text[enc.offsets[k - 1, 0] : enc.offsets[k - 1, 1]])
                                   and gap):
                    best = k
                    break
            end = best or fallback or end
        out.append((start, end))
        start = end
    return out


def run_windows(model: Any, tokenizer: Any, encoded: Sequence[Encoded], max_pieces: int, batch_size: int,
                output: str = "hidden", layers: Sequence[int] = ()) -> list[np.ndarray]:
    """Per text, the model's per-piece output, windows batched by length: the last hidden state,
    the hidden states after ``layers`` (concatenated), or ``output="logits"``."""
    import torch

    prefix = [tokenizer.cls_token_id] if tokenizer.cls_token_id is not None else []
    suffix = [tokenizer.sep_token_id] if tokenizer.sep_token_id is not None else []
    room = max_pieces - len(prefix) - len(suffix)
    jobs = [(t, a, b) for t, enc in enumerate(encoded) for a, b in windows(enc, room)]
    jobs.sort(key=lambda j: j[2] - j[1])
    results: list[np.ndarray | None] = [None] * len(encoded)
    pad_id = tokenizer.pad_token_id or 0
    with torch.inference_mode():
        for i in range(0, len(jobs), batch_size):
            batch = jobs[i : i + batch_size]
            width = max(b - a for _, a, b in batch) + len(prefix) + len(suffix)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (t, a, b) in enumerate(batch):
                pieces = [*prefix, *encoded[t].input_ids[a:b], *suffix]
                ids[row, : len(pieces)] = torch.tensor(pieces)
                mask[row, : len(pieces)] = 1
            if layers:
                out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
                values = torch.cat([out.hidden_states[k] for k in layers], dim=-1).float().numpy()
            else:
                out = model(input_ids=ids, attention_mask=mask)
                values = (out.logits if output == "logits" else out.last_hidden_state).float().numpy()
            for row, (t, a, b) in enumerate(batch):
                if results[t] is None:
                    results[t] = np.zeros((len(encoded[t].input_ids), values.shape[-1]), dtype=np.float32)
                results[t][a:b] = values[row, len(prefix) : len(prefix) + b - a]  # type: ignore[index]
    return [r if r is not None else np.zeros((0, 0), dtype=np.float32) for r in results]


# ---------------------------------------------------------------- word features and decoding

N_SHAPE = 16


def word_shapes(enc: Encoded, gazetteer: Gazetteer | None = None) -> np.ndarray:
    """(n_words, N_SHAPE) features MiniLM's lower-cased vocabulary cannot see: the word's shape,
    whether it starts a sentence, how the same word is written elsewhere in the text, and
    whether the gazetteer knows it (place, organisation, demonym) or it is a title word."""
    from summarizer.actors.gazetteer import TITLE_TOKENS

    text = enc.text
    n = len(enc.words)
    out = np.zeros((n, N_SHAPE), dtype=np.float32)
    if n == 0:
        return out
    starts = enc.words[:, 0].tolist()
    ends = enc.words[:, 1].tolist()
    surfaces = [text[a:b] for a, b in zip(starts, ends, strict=True)]
    gaps = [""] + [text[ends[i - 1] : starts[i]] for i in range(1, n)]
    opener = {".", "!", "?", ":", '"', "“", "‘", "—", "(", "["}
    initial = [i == 0 or "\n" in gaps[i] or surfaces[i - 1] in opener for i in range(n)]
    upper_first = [w[:1].isupper() for w in surfaces]
    lower_first = [w[:1].islower() for w in surfaces]
    lowered = [w.lower() for w in surfaces]
    lower_seen = {lw for lw, lo in zip(lowered, lower_first, strict=True) if lo}
    cap_mid_seen = {lw for lw, up, ini in zip(lowered, upper_first, initial, strict=True) if up and not ini}
    for i, w in enumerate(surfaces):
        alpha = w.isalpha()
        caps = w.isupper() and len(w) > 1
        out[i, 0] = upper_first[i]
        out[i, 1] = caps
        out[i, 2] = not alpha and any(c.isdigit() for c in w)
        out[i, 3] = not alpha and not any(c.isalnum() for c in w)
        out[i, 4] = initial[i]
        out[i, 5] = not caps and not w[1:].islower() and any(c.isupper() for c in w[1:])
        out[i, 6] = lower_first[i]
        out[i, 7] = not w[:1].isascii() and w[:1].isalpha()
        out[i, 8] = i > 0 and not gaps[i] and starts[i] > 0  # glued to the previous word
        out[i, 9] = len(w) == 1
        if upper_first[i]:
            out[i, 10] = lowered[i] in lower_seen  # "Police" here, "police" elsewhere
            out[i, 11] = lowered[i] in cap_mid_seen  # capitalised mid-sentence somewhere
            out[i, 15] = lowered[i] in TITLE_TOKENS
    gaz = gazetteer or default_gazetteer()
    word_starts = enc.words[:, 0]
    for match in gaz.find(text):
        col = {"GPE": 12, "LOC": 12, "ORG": 13, "NORP": 14}.get(match.type)
        lo = int(np.searchsorted(word_starts, match.start, "left"))
        hi = int(np.searchsorted(word_starts, match.end, "left"))
        if col is not None and hi > lo:
            out[lo:hi, col] = 1.0
    return out


def word_means(enc: Encoded, piece_states: np.ndarray) -> np.ndarray:
    """Mean of each word's pieces."""
    n_words = len(enc.words)
    if n_words == 0:
        return np.zeros((0, piece_states.shape[1]), dtype=np.float32)
    import torch

    index = torch.from_numpy(enc.word_of_piece)
    sums = torch.zeros((n_words, piece_states.shape[1]), dtype=torch.float32)
    sums.index_add_(0, index, torch.from_numpy(np.ascontiguousarray(piece_states, dtype=np.float32)))
    counts = torch.bincount(index, minlength=n_words).clamp_min(1).to(torch.float32)
    return (sums / counts[:, None]).numpy()


def bio_labels(types: Sequence[str] = CORPUS_TYPES) -> list[str]:
    return ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]


def viterbi(log_probs: np.ndarray, labels: Sequence[str]) -> list[int]:
    """Best label sequence under BIO constraints (I-X only after B-X or I-X)."""
    n, c = log_probs.shape
    if n == 0:
        return []
    allowed = np.zeros((c, c), dtype=np.float32)  # [prev, cur]
    start_ok = np.zeros(c, dtype=np.float32)
    for j, lab in enumerate(labels):
        if lab.startswith("I-"):
            start_ok[j] = -np.inf
            for i, prev in enumerate(labels):
                if prev[2:] != lab[2:] or prev == "O":
                    allowed[i, j] = -np.inf
    score = log_probs[0] + start_ok
    back = np.zeros((n, c), dtype=np.int64)
    for t in range(1, n):
        cand = score[:, None] + allowed
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + log_probs[t]
    path = [int(score.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def spans_from_labels(label_ids: Sequence[int], labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """Word ranges [i, j) with their type from BIO (or IO) labels."""
    out: list[tuple[int, int, str]] = []
    cur: list[Any] | None = None
    for k, lid in enumerate(label_ids):
        lab = labels[lid]
        if lab == "O" or "-" not in lab:
            prefix, kind = "O", ""
        else:
            prefix, kind = lab.split("-", 1)
        if prefix == "O":
            if cur:
                out.append(tuple(cur))  # type: ignore[arg-type]
            cur = None
        elif prefix in ("B", "S") or cur is None or cur[2] != kind:
            if cur:
                out.append(tuple(cur))  # type: ignore[arg-type]
            cur = [k, k + 1, kind]
        else:
            cur[1] = k + 1
        if prefix in ("E", "S") and cur:
            out.append(tuple(cur))  # type: ignore[arg-type]
            cur = None
    if cur:
        out.append(tuple(cur))  # type: ignore[arg-type]
    return out


def _entity_type(label: str, surface: str) -> EntityType | None:
    kind = _LABEL_MAP.get(label.upper())
    if kind == "GPE" and _NATURAL.search(surface):
        return "LOC"
    return kind


_ABBREVIATION_END = re.compile(r"(?:(?<![\w.])[A-Z]|\.[A-Za-z]|\b(?:Jr|Sr|Inc|Corp|Co|Ltd|Bros|St))$")


def mentions_from_words(enc: Encoded, spans: Iterable[tuple[int, int, str]]) -> list[Mention]:
    out = []
    for i, j, label in spans:
        start, end = int(enc.words[i, 0]), int(enc.words[j - 1, 1])
        if enc.text[end : end + 1] == "." and _ABBREVIATION_END.search(enc.text, start, end):
            end += 1  # "D.C.", "S.A.", "Jr." keep their full stop
        surface = enc.text[start:end]
        kind = _entity_type(label, surface)
        if kind is None or not surface.strip() or not any(c.isalnum() for c in surface):
            continue
        out.append(Mention(surface, start, end, kind))
    return out


# ---------------------------------------------------------------- the MiniLM tagger


def truncated_encoder(auto_model: Any, layers: int) -> Any:
    """A BertModel running only the first ``layers`` layers of ``auto_model``, sharing its weights."""
    total = len(auto_model.encoder.layer)
    if layers >= total:
        return auto_model
    if hasattr(auto_model, "truncated"):  # summarizer.minilm.BertEncoder
        return auto_model.truncated(layers)
    import copy

    import torch
    from transformers import BertConfig, BertModel

    config: BertConfig = copy.deepcopy(auto_model.config)
    config.num_hidden_layers = layers
    with torch.device("meta"):  # no weights allocated: the real modules are put in below
        small = BertModel(config, add_pooling_layer=False)
    small.embeddings = auto_model.embeddings
    small.encoder.layer = torch.nn.ModuleList(list(auto_model.encoder.layer[:layers]))
    small.eval()
    return small


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices natively (AMX or AVX512-BF16)."""
    try:
        import torch

        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except (AttributeError, RuntimeError):  # older or newer torch without these probes
        return False


class MiniLMTagger:
    """The default tagger: the bundled head (``data/tagger.npz``) over MiniLM token states."""

    def __init__(self, embedder: Embedder | None = None, weights: str | Path | None = None, *,
                 batch_size: int = 16, precision: str = "auto") -> None:
        """``precision``: "float32", "bfloat16" (a bfloat16 copy of the layers it runs: about 3x
        faster where the CPU has AMX or AVX512-BF16, slower where it has not) or "auto" (bfloat16
        exactly when the CPU supports it natively)."""
        from summarizer.embeddings import Embedder

        if precision not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"precision must be auto, float32 or bfloat16, not {precision!r}")
        self._embedder = embedder or Embedder()
        self._weights_path = Path(weights) if weights else DEFAULT_WEIGHTS
        self._batch_size = batch_size
        self._precision = precision
        self._lock = threading.Lock()
        self._ready = False

    def warm_up(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self.heads, meta = load_heads(self._weights_path)
            self.labels = [str(x) for x in meta["labels"]]
            self.layers = tuple(int(k) for k in np.atleast_1d(meta["layers"]))
            self.max_pieces = int(meta["max_pieces"])
            self.tokenizer = self._embedder.tokenizer
            encoder = truncated_encoder(self._embedder.auto_model, max(self.layers))
            self.precision = self._precision if self._precision != "auto" else (
                "bfloat16" if native_bfloat16() else "float32")
            if self.precision == "bfloat16":
                import copy

                import torch

                base = self._embedder.auto_model
                if next(base.parameters()).dtype == torch.bfloat16:
                    pass  # the shared model runs in bfloat16 already: no copy
                elif hasattr(base, "copy_as"):  # summarizer.minilm: copy only the layers read, tensor by tensor
                    encoder = base.copy_as(torch.bfloat16, max(self.layers))
                else:
                    encoder = copy.deepcopy(encoder).to(torch.bfloat16)  # the embedder's model stays float32
            self.encoder = encoder
            self._ready = True

    def states(self, texts: Sequence[str]) -> tuple[list[Encoded], list[np.ndarray]]:
        """Word-piece encodings and per-piece states (the layers the head reads, concatenated)."""
        self.warm_up()
        encoded = [tokenize(self.tokenizer, t) for t in texts]
        states = run_windows(self.encoder, self.tokenizer, encoded, self.max_pieces, self._batch_size,
                             layers=self.layers)
        return encoded, states

    def tag_many(self, texts: Sequence[str]) -> list[list[Mention]]:
        encoded, states = self.states(texts)
        out = []
        for enc, st in zip(encoded, states, strict=True):
            if len(enc.words) == 0:
                out.append([])
                continue
            log_probs = ensemble_log_probs(self.heads, word_inputs(enc, st))
            path = decode(log_probs, self.labels)
            out.append(mentions_from_words(enc, spans_from_labels(path, self.labels)))
        return out

    def tag(self, text: str) -> list[Mention]:
        return self.tag_many([text])[0]


def word_inputs(enc: Encoded, piece_states: np.ndarray) -> np.ndarray:
    return np.concatenate([word_means(enc, piece_states), word_shapes(enc)], axis=1)


def load_heads(path: Path) -> tuple[list[dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """The heads in a weights file (keys ``h0.proj_w``, ``h1.proj_w``, ...) as float32, and its
    metadata (labels, layers, max_pieces)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = {k: v for k, v in arrays.items() if "." not in k}
    heads: dict[str, dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        if "." in key:
            prefix, name = key.split(".", 1)
            heads.setdefault(prefix, {})[name] = value.astype(np.float32) if value.dtype == np.float16 else value
    return [heads[k] for k in sorted(heads)], meta


def ensemble_log_probs(heads: Sequence[dict[str, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """Log of the heads' mean probabilities, (n_words, n_labels)."""
    import torch

    with torch.inference_mode():
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        probs = torch.stack([_head_forward(h, xt).softmax(dim=1) for h in heads]).mean(dim=0)
        return probs.clamp_min(1e-12).log().numpy()


def head_log_probs(head: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """One head's log-probabilities, (n_words, n_labels)."""
    return ensemble_log_probs([head], x)


def _head_forward(head: dict[str, np.ndarray], x: torch.Tensor) -> torch.Tensor:
    """The head (in torch, like the transformer, so the two share one thread pool): standardise,
    project (ReLU), concatenate a window of 2k+1 words (zeros outside the text), hidden layer
    (ReLU), label scores."""
    import torch
    from torch.nn import functional as F

    t = {k: torch.from_numpy(v) for k, v in head.items() if v.ndim}
    k = int(head["context"])
    h = F.relu(F.linear((x - t["mean"]) / t["std"], t["proj_w"].T, t["proj_b"]))
    n = h.shape[0]
    padded = F.pad(h, (0, 0, k, k))
    ctx = torch.cat([padded[i : i + n] for i in range(2 * k + 1)], dim=1)
    hidden = F.relu(F.linear(ctx, t["hid_w"].T, t["hid_b"]))
    return F.linear(hidden, t["out_w"].T, t["out_b"])


def decode(log_probs: np.ndarray, labels: Sequence[str], sure: float = 0.995) -> list[int]:
    """Viterbi under BIO constraints, run only where a word is not surely "O" (p >= ``sure``):
    those words split the text into short stretches, each decoded on its own."""
    n = len(log_probs)
    o = labels.index("O")
    path = np.full(n, o, dtype=np.int64)
    unsure = np.flatnonzero(log_probs[:, o] < np.log(sure))
    if len(unsure):
        breaks = np.flatnonzero(np.diff(unsure) > 1) + 1
        for run in np.split(unsure, breaks):
            a, b = int(run[0]), int(run[-1]) + 1
            path[a:b] = viterbi(log_probs[a:b], labels)
    return path.tolist()


# ---------------------------------------------------------------- a transformers model


class TransformersTagger:
    """A transformers token-classification model (hub id or local directory); labels such as
    B-PER/I-ORG/LOC/MISC (or PERSON/GPE/NORP) mapped to ours, first word piece of each word."""

    def __init__(self, model: str | Path, *, max_pieces: int = 256, batch_size: int = 8,
                 threads: int | None = None) -> None:
        self._ref = str(model)
        self._max_pieces = max_pieces
        self._batch_size = batch_size
        self._threads = threads
        self._lock = threading.Lock()
        self._ready = False

    def warm_up(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            import torch
            from transformers import AutoModelForTokenClassification, AutoTokenizer

            if self._threads:
                torch.set_num_threads(self._threads)
            local = Path(self._ref).exists()
            self.tokenizer = AutoTokenizer.from_pretrained(self._ref, local_files_only=local)
            self.model = AutoModelForTokenClassification.from_pretrained(self._ref, local_files_only=local)
            self.model.eval()
            id2label = self.model.config.id2label
            self.labels = [str(id2label[i]) for i in range(len(id2label))]
            limit = getattr(self.model.config, "max_position_embeddings", self._max_pieces) or self._max_pieces
            self._max_pieces = min(self._max_pieces, int(limit))
            self._ready = True

    def tag_many(self, texts: Sequence[str]) -> list[list[Mention]]:
        self.warm_up()
        encoded = [tokenize(self.tokenizer, t) for t in texts]
        logits = run_windows(self.model, self.tokenizer, encoded, self._max_pieces, self._batch_size, "logits")
        out = []
        for enc, lg in zip(encoded, logits, strict=True):
            if len(enc.words) == 0:
                out.append([])
                continue
            first = np.full(len(enc.words), -1, dtype=np.int64)
            for k in range(len(enc.word_of_piece) - 1, -1, -1):
                first[enc.word_of_piece[k]] = k
            label_ids = lg[first].argmax(axis=1)
            out.append(mentions_from_words(enc, spans_from_labels(label_ids.tolist(), self._norm_labels())))
        return out

    def _norm_labels(self) -> list[str]:
        out = []
        for lab in self.labels:
            if lab == "O" or "-" in lab:
                out.append(lab.upper() if lab != "O" else "O")
            else:
                out.append(f"I-{lab.upper()}")  # IO schemes: "PER", "LOC"
        return out

    def tag(self, text: str) -> list[Mention]:
        return self.tag_many([text])[0]


# ---------------------------------------------------------------- tagger + rules


class EntityRecognizer:
    """A tagger (default: :class:`MiniLMTagger`) combined with the gazetteer.

    * A gazetteer match that no tagged mention overlaps is added (demonyms as NORP).
    * A tagged mention with exactly the span of a gazetteer match takes the gazetteer's type
      ("Hezbollah" ORG, "Israel" GPE, "Israeli" NORP).
    * A tagged mention that contains a gazetteer match is kept ("Bank of America").
    * A tagged mention inside a gazetteer match, or crossing one, gives way to it
      ("Saudi" in "Saudi Arabia"), unless the match is a weak form ("Jordan" in "Michael Jordan").
    """

    def __init__(self, tagger: Tagger | None = None, *, embedder: Embedder | None = None,
                 gazetteer: Gazetteer | None = None) -> None:
        self.tagger: Tagger = tagger or MiniLMTagger(embedder)
        self.gazetteer = gazetteer or default_gazetteer()

    def warm_up(self) -> None:
        warm = getattr(self.tagger, "warm_up", None)
        if warm:
            warm()

    def recognize(self, text: str) -> list[Mention]:
        return self.recognize_many([text])[0]

    def recognize_many(self, texts: Sequence[str]) -> list[list[Mention]]:
        tagged = self.tagger.tag_many(texts)
        out = []
        for t, m in zip(texts, tagged, strict=True):
            text = t[:MAX_CHARS]
            matches = self.gazetteer.find(text)
            out.append(trim_mentions(text, apply_organisation_rules(text, merge_rules(text, m, matches), matches)))
        return out


_LEADING = " \t\r\n.,;:-–—"
_TRAILING = " \t\r\n,;:-–—"  # a closing full stop, "!", quote or bracket may belong to the name


def trim_mentions(text: str, mentions: Sequence[Mention]) -> list[Mention]:
    """Mentions without a stop, comma or dash at their edges: a word piece tagged with the hyphen or
    the stop before it ("R-TX" gives "-TX", "Roe v. Wade" ". Wade") is the name itself; a mention
    with nothing but punctuation is dropped. A closing full stop, "!", quote or bracket stays
    ("U.S.", "Acme Inc.", "Kerrang!")."""
    out = []
    for m in mentions:
        a, b = m.start, m.end
        while a < b and text[a] in _LEADING:
            a += 1
        while b > a and text[b - 1] in _TRAILING:
            b -= 1
        if not any(c.isalnum() for c in text[a:b]):
            continue
        out.append(m if (a, b) == (m.start, m.end) else Mention(text[a:b], a, b, m.type))
    return out


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def merge_rules(text: str, tagged: Sequence[Mention], matches: Sequence[GazetteerMatch]) -> list[Mention]:
    # ``matches`` come from Gazetteer.find: left to right and disjoint, so their starts and ends
    # both increase and the matches a mention overlaps are one run of indices, found by bisection
    # (scanning every match for every mention was quadratic in a text full of names)
    match_starts = [g.start for g in matches]
    match_ends = [g.end for g in matches]
    out: list[Mention] = []
    used: set[int] = set()
    for mention in tagged:
        replaced = False
        contained: list[GazetteerMatch] = []
        for k in range(bisect_right(match_ends, mention.start), bisect_left(match_starts, mention.end)):
            g = matches[k]
            if g.start == mention.start and g.end == mention.end:
                out.append(Mention(mention.text, mention.start, mention.end, g.type))
                used.add(k)
                replaced = True
                break
            if mention.start <= g.start and g.end <= mention.end:
                used.add(k)  # the tagger's bigger name wins
                contained.append(g)
                continue
            if not g.weak:  # the tagged mention is inside or crosses a known name: the name wins
                replaced = True
                break
        if not replaced and contained and all(g.type == "NORP" for g in contained) and not re.sub(
                r"[\W_]+", "", _blank(mention.text, [(g.start - mention.start, g.end - mention.start)
                                                     for g in contained])):
            out.append(Mention(mention.text, mention.start, mention.end, "NORP"))  # "Israeli-Lebanese"
        elif not replaced:
            out.append(mention)
    # a leftover match is added unless it overlaps a kept mention (the matches are disjoint, so
    # only the mentions kept above count): sorted starts and the running maximum of their ends
    kept = sorted(out, key=lambda m: m.start)
    kept_starts = [m.start for m in kept]
    reach = list(accumulate((m.end for m in kept), max))
    for k, g in enumerate(matches):
        if k in used:
            continue
        i = bisect_left(kept_starts, g.end)  # kept[:i] start before the match ends
        if i and reach[i - 1] > g.start:
            continue
        out.append(Mention(text[g.start : g.end], g.start, g.end, g.type))
    out.sort(key=lambda m: (m.start, m.end))
    return out
