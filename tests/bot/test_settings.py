"""Settings: .env.example documents every setting, and copying it as-is gives the defaults."""

from __future__ import annotations

import re

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
