"""Fixtures of the application's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.language import Language, build_language
from bot.settings import Settings


@pytest.fixture(scope="session")
def language() -> Iterator[Language]:
    """The language components on the bundled models, loaded once for the whole run (one torch
    thread, as on a small host)."""
    lang = build_language(Settings(_env_file=None, model_threads=1))
    lang.warm_up()
    yield lang
