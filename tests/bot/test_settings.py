"""Settings: .env.example documents every setting, and copying it as-is gives the defaults; the
language model's settings are checked without echoing secrets."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from tests.conftest import REPO


def test_env_example_documents_every_setting_and_parses_to_the_defaults(monkeypatch) -> None:
    text = (REPO / ".env.example").read_text()
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    assert names == {name.upper() for name in Settings.model_fields}
    for name in names:
        monkeypatch.delenv(name, raising=False)
    from_example = Settings(_env_file=REPO / ".env.example")
    assert from_example.model_dump() == Settings(_env_file=None).model_dump()


def test_the_token_is_never_shown() -> None:
    settings = Settings(_env_file=None, discord_token="secret-token-value")
    assert "secret-token-value" not in repr(settings) and "secret-token-value" not in str(settings.model_dump())


def test_language_model_settings_are_checked_and_secrets_stay_out_of_errors() -> None:
    ok = Settings(_env_file=None, llm_base_url="http://127.0.0.1:11434/", llm_model=" llama3.1:8b ",
                  llm_fallback_models="Small-1B, tiny")
    assert (ok.llm_base_url, ok.llm_model, ok.llm_fallback_models, ok.llm_tasks) == (
        "http://127.0.0.1:11434/v1", "llama3.1:8b", ["Small-1B", "tiny"], ["briefings", "answers"])
    assert Settings(_env_file=None, llm_base_url="http://x", llm_model="m", llm_tasks="answers").llm_tasks == ["answers"]
    secrets = {"llm_api_key": "sk-never-shown", "discord_token": "token-never-shown"}
    for bad, says in [({"llm_base_url": "http://127.0.0.1:11434"}, "LLM_MODEL is required"),
                      ({"llm_base_url": "127.0.0.1:11434", "llm_model": "m"}, "must be an http(s) URL"),
                      ({"llm_base_url": "http://x", "llm_model": "m", "llm_tasks": "answers,summaries"},
                       "unknown task(s) summaries")]:
        with pytest.raises(ValidationError) as refused:
            Settings(_env_file=None, **secrets, **bad)
        assert says in str(refused.value) and "never-shown" not in str(refused.value)


def test_shard_settings_are_checked() -> None:
    assert Settings(_env_file=None, shard_count=4, shard_ids="3, 1").shard_ids == [1, 3]
    assert Settings(_env_file=None, shard_count=2).shard_ids == []
    for bad, says in [({"shard_ids": "1"}, "SHARD_IDS needs SHARD_COUNT"),
                      ({"shard_count": 2, "shard_ids": "2"}, "shard ids 2 are not in 0..1"),
                      ({"shard_count": 2, "shard_ids": "1,1"}, "listed twice")]:
        with pytest.raises(ValidationError) as refused:
            Settings(_env_file=None, **bad)
        assert says in str(refused.value)
