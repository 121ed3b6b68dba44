"""Actors: the people, organisations and places an article is about, each with its mentions.

    extractor = ActorExtractor(embedder)     # shares the Embedder's MiniLM
    extractor.warm_up()                      # loads the model (blocking; do it at start-up)
    for actor in extractor.run(text):        # sorted by first mention
        actor.name, actor.type, actor.aliases, actor.mentions

``model`` chooses the tagger: None for the bundled MiniLM head (offline), a path to another
head (``.npz`` from bench/train_tagger.py), or a transformers token-classification model (hub id
or local directory) through :class:`TransformersTagger`. The gazetteer rules and the
canonicalisation are the same for every tagger.

:class:`ActorIndex` recognises actors across articles ("Khamenei" today is yesterday's
"Ali Khamenei"); the bot persists it with ``to_records``/``from_records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.actors.canonical import ACTOR_TYPES, ActorIndex, KnownActor, build_actors, person_names_agree
from summarizer.actors.gazetteer import Gazetteer, default_gazetteer
from summarizer.actors.ner import EntityRecognizer, MiniLMTagger, Tagger, TransformersTagger
from summarizer.types import Actor, EntityType, Mention

if TYPE_CHECKING:
    from summarizer.embeddings import Embedder

__all__ = [
    "ACTOR_TYPES", "ActorExtractor", "ActorIndex", "EntityRecognizer", "Gazetteer", "KnownActor", "MiniLMTagger",
    "Tagger", "TransformersTagger", "build_actors", "default_gazetteer", "person_names_agree",
]


class ActorExtractor:
    """Named-entity recognition, gazetteer rules and canonical actors for one text at a time
    (or a batch: :meth:`run_many` shares the transformer's batches). Thread-safe after
    :meth:`warm_up`; ``run`` is blocking (a worker thread from async code)."""

    def __init__(self, embedder: Embedder | None = None, model: str | Path | None = None, *,
                 types: Sequence[EntityType] = ACTOR_TYPES, gazetteer: Gazetteer | None = None,
                 precision: str = "auto") -> None:
        tagger: Tagger
        if model is None or str(model).endswith(".npz"):
            tagger = MiniLMTagger(embedder, weights=model, precision=precision)
        else:
            tagger = TransformersTagger(model)
        self.gazetteer = gazetteer or default_gazetteer()
        self.recognizer = EntityRecognizer(tagger, gazetteer=self.gazetteer)
        self.types = tuple(types)

    def warm_up(self) -> None:
        self.recognizer.warm_up()

    def mentions(self, text: str) -> list[Mention]:
        """Every entity mention, NORP and MISC included (actors leave those out)."""
        return self.recognizer.recognize(text)

    def run(self, text: str) -> list[Actor]:
        return self.run_many([text])[0]

    def run_many(self, texts: Sequence[str]) -> list[list[Actor]]:
        if not texts:
            return []
        mentions = self.recognizer.recognize_many(list(texts))
        return [build_actors(t, m, self.gazetteer, self.types) for t, m in zip(texts, mentions, strict=True)]
