"""The real bundled MiniLM and the analyzer built on it, loaded once per test module (a module may
define its own ``embedder`` or ``analyzer`` instead)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from summarizer.actors import ActorExtractor
from summarizer.analyzer import Analyzer
from summarizer.embeddings import Embedder
from summarizer.summarize import ExtractiveSummarizer, Summarizer


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = Embedder(threads=1)  # one intra-op thread: far faster than two on a busy 2-core machine
    e.warm_up()
    return e


@pytest.fixture(scope="module")
def analyzer(embedder: Embedder) -> Iterator[Analyzer]:
    a = Analyzer(embedder, ActorExtractor(embedder), Summarizer(ExtractiveSummarizer(embedder)))
    a.warm_up()
    yield a
