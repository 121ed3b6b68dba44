"""Builds the language components from settings: one Embedder (one MiniLM per process) shared
by the analyzer, the story clusterer's inputs, topic matching and answering. Part of the
composition root; nothing here loads a model until ``warm_up()``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from bot.settings import Settings
from summarizer.actors import ActorExtractor
from summarizer.analyzer import Analyzer
from summarizer.answering.reader import MiniLMReader, Reader, TransformersReader
from summarizer.answers import Answerer
from summarizer.embeddings import Embedder
from summarizer.stories import StoryClusterer
from summarizer.summarize import AbstractiveSummarizer, ExtractiveSummarizer, Summarizer
from summarizer.topics import TopicMatcher


@dataclass(frozen=True, slots=True)
class Language:
    embedder: Embedder
    analyzer: Analyzer
    answerer: Answerer
    clusterer: StoryClusterer
    topics: TopicMatcher

    def warm_up(self) -> None:
        self.analyzer.warm_up()
        self.answerer.warm_up()


def build_language(settings: Settings) -> Language:
    # configured transformers models: no download or weight-loading bars on the terminal or in logs
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    threads = settings.cpu_plan.model_threads
    embedder = Embedder(settings.embedding_model, threads=threads, precision=settings.model_precision, batch_size=32)
    extractive = ExtractiveSummarizer(embedder, max_sentences=settings.summary_sentences,
                                      max_chars=settings.summary_max_chars)
    abstractive = AbstractiveSummarizer(settings.summary_model) if settings.summary_model else None
    analyzer = Analyzer(embedder, ActorExtractor(embedder, settings.ner_model), Summarizer(extractive, abstractive))
    return Language(
        embedder=embedder,
        analyzer=analyzer,
        answerer=_answerer(settings, embedder, threads),
        clusterer=StoryClusterer(threshold=settings.story_threshold, window=timedelta(hours=settings.story_window_h)),
        topics=TopicMatcher(embedder, threshold=settings.topic_threshold),
    )


def _answerer(settings: Settings, embedder: Embedder, threads: int) -> Answerer:
    """The trained reader decides (``QA_MODEL``'s when set, else the bundled one, which reads with
    the bundled MiniLM even when ``EMBEDDING_MODEL`` names another); ``ANSWER_READER=false`` leaves
    it to the rule gate (``ANSWER_MIN_SCORE``)."""
    reader: Reader | None = None
    if settings.qa_model:
        reader = TransformersReader(settings.qa_model)
    elif settings.answer_reader:
        own = embedder if settings.embedding_model is None else Embedder(None, threads=threads)
        reader = MiniLMReader(own)
    return Answerer(embedder, min_score=settings.answer_min_score, reader=reader, closest=True)
