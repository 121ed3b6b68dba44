"""A compact BERT encoder (MiniLM is a BERT) in plain torch, with the `tokenizers` library.

Why not transformers here: importing a transformers model pulls in torch.distributed, dynamo and
sympy, about 160 MB of memory before any weights; with it the analysing process cannot stay under
its 500 MB budget. This module loads the same files (config.json, model.safetensors,
tokenizer.json), uses the same parameter names, and matches transformers' BertModel output to
float rounding (tests/summarizer/test_minilm.py checks it against transformers itself). Other
architectures go through transformers (see summarizer.embeddings).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


def is_supported(path: Path) -> bool:
    """Whether ``path`` is a local BERT checkpoint this module can load."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (config.get("model_type") == "bert" and (path / "model.safetensors").is_file()
            and (path / "tokenizer.json").is_file() and config.get("hidden_act", "gelu") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute")


class _Encoding:
    """The subset of a transformers BatchEncoding that the callers use."""

    def __init__(self, enc: Any) -> None:
        self._enc = enc
        self.data = {"input_ids": list(enc.ids), "offset_mapping": list(enc.offsets)}

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def word_ids(self) -> list[int | None]:
        return list(self._enc.word_ids)


class Tokenizer:
    """tokenizer.json through the `tokenizers` library, with the special-token ids BERT needs."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer as _Tok

        self._tok = _Tok.from_file(str(path / "tokenizer.json"))
        self._tok.no_padding()
        self._tok.no_truncation()
        self.cls_token_id = self._tok.token_to_id("[CLS]")
        self.sep_token_id = self._tok.token_to_id("[SEP]")
        self.pad_token_id = self._tok.token_to_id("[PAD]") or 0

    def __call__(self, text: str, add_special_tokens: bool = True, **_: Any) -> _Encoding:
        return _Encoding(self._tok.encode(text, add_special_tokens=add_special_tokens))

    def batch(self, texts: list[str], max_length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Input ids and attention mask for ``texts`` (with [CLS]/[SEP], truncated, padded)."""
        encodings = self._tok.encode_batch(texts, add_special_tokens=False)
        rows = []
        for enc in encodings:
            ids = enc.ids[: max_length - 2]
            rows.append([self.cls_token_id, *ids, self.sep_token_id])
        width = max(len(r) for r in rows)
        ids_t = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids_t[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        return ids_t, mask


@dataclass
class Output:
    last_hidden_state: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...]


class _Param(nn.Module):
    """Weights given at construction (no random initialisation, no extra copy)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.bias = nn.Parameter(bias, requires_grad=False) if bias is not None else None


class _Linear(_Param):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


class _LayerNorm(_Param):
    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> None:
        super().__init__(weight, bias)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


class _Node(nn.Module):
    """A named container, so parameter names stay those of the checkpoint."""

    def __init__(node, /, **children: nn.Module) -> None:  # noqa: N805 - a child may be called "self"
        super().__init__()
        for name, child in children.items():
            node.add_module(name, child)


class _Embeddings(nn.Module):
    def __init__(self, st: dict[str, torch.Tensor], eps: float) -> None:
        super().__init__()
        self.word_embeddings = _Param(st["embeddings.word_embeddings.weight"])
        self.position_embeddings = _Param(st["embeddings.position_embeddings.weight"])
        self.token_type_embeddings = _Param(st["embeddings.token_type_embeddings.weight"])
        self.LayerNorm = _LayerNorm(st["embeddings.LayerNorm.weight"], st["embeddings.LayerNorm.bias"], eps)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = (F.embedding(ids, self.word_embeddings.weight) + self.position_embeddings.weight[positions]
             + self.token_type_embeddings.weight[0])
        return self.LayerNorm(x)


class _Layer(nn.Module):
    def __init__(self, st: dict[str, torch.Tensor], prefix: str, heads: int, eps: float) -> None:
        super().__init__()

        def lin(name: str) -> _Linear:
            return _Linear(st[f"{prefix}{name}.weight"], st[f"{prefix}{name}.bias"])

        def norm(name: str) -> _LayerNorm:
            return _LayerNorm(st[f"{prefix}{name}.weight"], st[f"{prefix}{name}.bias"], eps)

        self.heads = heads
        self.attention = _Node(
            self=_Node(query=lin("attention.self.query"), key=lin("attention.self.key"),
                       value=lin("attention.self.value")),
            output=_Node(dense=lin("attention.output.dense"), LayerNorm=norm("attention.output.LayerNorm")),
        )
        self.intermediate = _Node(dense=lin("intermediate.dense"))
        self.output = _Node(dense=lin("output.dense"), LayerNorm=norm("output.LayerNorm"))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape
        d = h // self.heads
        a: Any = self.attention.self

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, d).transpose(1, 2)

        q, k, v = split(a.query(x)), split(a.key(x)), split(a.value(x))
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1 / math.sqrt(d))
        ctx = ctx.transpose(1, 2).reshape(b, n, h)
        out: Any = self.attention.output
        x = out.LayerNorm(out.dense(ctx) + x)
        inner = F.gelu(self.intermediate.dense(x))  # type: ignore[operator]
        return self.output.LayerNorm(self.output.dense(inner) + x)  # type: ignore[operator]


class BertEncoder(nn.Module):
    """BERT without pooler. ``forward(input_ids, attention_mask, output_hidden_states=False,
    layers=None)`` runs the first ``layers`` layers (all by default)."""

    def __init__(self, config: dict[str, Any], state: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.config = config
        eps = float(config.get("layer_norm_eps", 1e-12))
        self.embeddings = _Embeddings(state, eps)
        self.encoder = _Node(layer=nn.ModuleList(
            _Layer(state, f"encoder.layer.{i}.", int(config["num_attention_heads"]), eps)
            for i in range(int(config["num_hidden_layers"]))
        ))

    @classmethod
    def load(cls, path: Path) -> BertEncoder:
        from safetensors.torch import load_file

        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        state = {k.removeprefix("bert."): v.float() for k, v in load_file(str(path / "model.safetensors")).items()}
        return cls(config, state).eval()

    @property
    def hidden_size(self) -> int:
        return int(self.config["hidden_size"])

    def truncated(self, layers: int) -> Truncated:
        return Truncated(self, layers)

    def copy_as(self, dtype: torch.dtype, layers: int | None = None) -> BertEncoder:
        """A copy in ``dtype`` (of the first ``layers`` layers only), made tensor by tensor."""
        config = dict(self.config)
        if layers is not None:
            config["num_hidden_layers"] = min(layers, int(config["num_hidden_layers"]))
        keep = [f"encoder.layer.{i}." for i in range(int(config["num_hidden_layers"]))]
        state = {k: v.detach().to(dtype) for k, v in self.state_dict().items()
                 if k.startswith("embeddings.") or k.startswith(tuple(keep))}
        return BertEncoder(config, state).eval()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                output_hidden_states: bool = False, layers: int | None = None, **_: Any) -> Output:
        x = self.embeddings(input_ids)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        mask = attention_mask[:, None, None, :].to(torch.bool)
        hidden = [x]
        stack: Any = self.encoder.layer
        for layer in list(stack)[: layers or len(stack)]:
            x = layer(x, mask)
            hidden.append(x)
        return Output(last_hidden_state=x, hidden_states=tuple(hidden) if output_hidden_states else ())


class Truncated(nn.Module):
    """The first ``layers`` layers of a BertEncoder (sharing its weights)."""

    def __init__(self, model: BertEncoder, layers: int) -> None:
        super().__init__()
        self.model = model
        self.layers = layers

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                output_hidden_states: bool = False, **_: Any) -> Output:
        return self.model(input_ids, attention_mask, output_hidden_states=output_hidden_states, layers=self.layers)
