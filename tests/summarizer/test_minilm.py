"""summarizer.minilm must compute what transformers and sentence-transformers compute."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from summarizer import minilm
from summarizer.embeddings import Embedder, bundled_model_path

TEXTS = ["Khamenei said Iran and its allies would not retreat.", "x", "Rail strike called off. " * 40]


@pytest.fixture(scope="module")
def ours() -> minilm.BertEncoder:
    return minilm.BertEncoder.load(bundled_model_path())


def test_hidden_states_match_transformers(ours: minilm.BertEncoder) -> None:
    from transformers import AutoModel, AutoTokenizer

    path = str(bundled_model_path())
    ref_model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    ref_tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    batch = ref_tok(TEXTS, padding=True, truncation=True, max_length=128, return_tensors="pt")
    ids, mask = minilm.Tokenizer(bundled_model_path()).batch(TEXTS, 128)
    assert torch.equal(ids, batch["input_ids"]) and torch.equal(mask, batch["attention_mask"])
    with torch.inference_mode():
        ref = ref_model(**batch, output_hidden_states=True)
        got = ours(ids, mask, output_hidden_states=True)
    real = mask.bool()
    for layer in range(len(ref.hidden_states)):
        diff = (ref.hidden_states[layer] - got.hidden_states[layer])[real].abs().max().item()
        assert diff < 1e-4, (layer, diff)
    with torch.inference_mode():
        two = ours.truncated(2)(ids, mask, output_hidden_states=True)
    assert len(two.hidden_states) == 3 and torch.allclose(two.last_hidden_state, got.hidden_states[2])
    half = ours.copy_as(torch.bfloat16, layers=4)
    assert len(half.encoder.layer) == 4 and half.embeddings.word_embeddings.weight.dtype == torch.bfloat16
    with torch.inference_mode():
        approx = half(ids, mask).last_hidden_state.float()
    assert (approx - got.hidden_states[4])[real].abs().mean().item() < 0.05


def test_embeddings_match_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    expected = SentenceTransformer(str(bundled_model_path()), device="cpu").encode(TEXTS, normalize_embeddings=True)
    got = Embedder(threads=1).encode(TEXTS)
    assert got.shape == (3, 384) and np.abs(got - expected).max() < 1e-5


def test_word_ids_and_offsets_like_a_fast_tokenizer() -> None:
    from transformers import AutoTokenizer

    text = "Ayatollah Ali Khamenei's remarks, in Tehran."
    ref = AutoTokenizer.from_pretrained(str(bundled_model_path()), local_files_only=True)(
        text, add_special_tokens=False, return_offsets_mapping=True)
    got = minilm.Tokenizer(bundled_model_path())(text, add_special_tokens=False, return_offsets_mapping=True)
    assert got["input_ids"] == ref["input_ids"]
    assert [tuple(o) for o in got["offset_mapping"]] == [tuple(o) for o in ref["offset_mapping"]]
    assert got.word_ids() == ref.word_ids()
