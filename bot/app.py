"""The composition root: builds every long-lived object once and closes them in order."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from bot.ingest.fetch import Fetcher
from bot.ingest.pipeline import Ingestor
from bot.ingest.scheduler import OnReport, Scheduler
from bot.ingest.workers import CpuPool
from bot.language import Language, build_language
from bot.llm.answers import LLMAnswers
from bot.llm.briefings import LLMBriefings
from bot.llm.client import LLMClient, LLMConfig
from bot.services.actor_views import ActorViews
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.services.asking import AskService
from bot.services.briefs import BriefService
from bot.services.ingest import IngestService
from bot.delivery.router import Router
from bot.services.sources import SourceService
from bot.services.subscriptions import SubscriptionService
from bot.services.threads import ThreadService
from bot.services.story_briefings import StoryBriefingWriter
from bot.services.why import WhyService
from bot.settings import Settings
from bot.storage.db import open_database
from bot.workers.analyser import IN_FLIGHT, AnalyserProcess, ArticleAnalyzer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    fetcher: Fetcher
    pool: CpuPool
    ingestor: Ingestor
    sources: SourceService
    ingest: IngestService
    language: Language
    analysis: AnalysisService
    briefs: BriefService
    actors: ActorViews
    asking: AskService
    why: WhyService
    subscriptions: SubscriptionService
    threads: ThreadService
    router: Router
    story_briefings: StoryBriefingWriter | None = None  # the language model's, when it writes briefings

    def warm_up(self, *, analyser: bool = True, answerer: bool = True) -> None:
        """Load the models (blocking: call it in a thread): the analyser's, in its own process when
        it has one, and the answerer's (the commands')."""
        if analyser:
            self.analysis.warm_up()
        if answerer:
            self.language.answerer.warm_up()

    def scheduler(self, on_report: OnReport | None = None, *, owner: int | None = None) -> Scheduler:
        return Scheduler(
            self.ingestor,
            concurrency=self.settings.fetch_concurrency,
            tick_s=self.settings.scheduler_tick_s,
            on_report=on_report,
            owner=owner,
        )


@asynccontextmanager
async def open_app(settings: Settings, *, migrate: bool = True, analysis_process: bool = False) -> AsyncIterator[App]:
    """Open the database, the HTTP session and the worker pool for the block's duration;
    ``analysis_process``: the analyser's model work runs in a child process (bot/workers/analyser.py)."""
    llm = llm_writes_answers(settings) or llm_writes_briefings(settings)
    async with open_database(settings.resolved_database_url, migrate=migrate), AsyncExitStack() as stack:
        log.info("cpus: %s", settings.cpu_plan.describe())
        with CpuPool(settings.cpu_plan.extract_workers) as pool:
            async with Fetcher(settings) as fetcher:
                ingestor = Ingestor(settings, fetcher, pool)
                language = build_language(settings)
                analyzer: ArticleAnalyzer = language.analyzer
                if analysis_process:
                    analyzer = AnalyserProcess.for_settings(settings)
                    stack.callback(analyzer.close)
                analysis = AnalysisService(analyzer, language.clusterer, ActorStore(),
                                           batch_size=settings.analysis_batch,
                                           in_flight=IN_FLIGHT if analysis_process else 1)
                llm_session = await stack.enter_async_context(aiohttp.ClientSession()) if llm else None
                if llm:
                    log.info("%s: written by %s on %s (fallbacks: %s), checked against the sources",
                             " and ".join(settings.llm_tasks), settings.llm_model,
                             urlsplit(settings.llm_base_url or "").hostname,
                             ", ".join(settings.llm_fallback_models) or "none")
                answers = llm_answers(settings, llm_session, language) if llm_session else None
                asking = AskService(language.answerer, language.embedder,
                                    llm=answers if llm_writes_answers(settings) else None)
                writer = None
                if llm_session and llm_writes_briefings(settings):
                    briefings = LLMBriefings(_llm_client(settings, llm_session),
                                             max_context_chars=settings.llm_max_context_chars)
                    writer = StoryBriefingWriter(briefings, rebrief_min_s=settings.llm_rebrief_min_s)
                yield App(
                    settings=settings,
                    fetcher=fetcher,
                    pool=pool,
                    ingestor=ingestor,
                    sources=SourceService(ingestor, default_interval_s=settings.poll_interval_s,
                                          max_per_guild=settings.max_sources_per_guild,
                                          on_new_articles=analysis.notify),
                    ingest=IngestService(ingestor, max_file_bytes=settings.fetch_max_bytes),
                    language=language,
                    analysis=analysis,
                    briefs=BriefService(language.topics),
                    actors=ActorViews(language.topics),
                    asking=asking,
                    why=WhyService(language.topics),
                    subscriptions=SubscriptionService(),
                    threads=ThreadService(asking),
                    router=Router(language.topics),
                    story_briefings=writer,
                )


def llm_writes_answers(settings: Settings) -> bool:
    return settings.llm_base_url is not None and "answers" in settings.llm_tasks


def llm_writes_briefings(settings: Settings) -> bool:
    return settings.llm_base_url is not None and "briefings" in settings.llm_tasks


def _llm_client(settings: Settings, session: aiohttp.ClientSession) -> LLMClient:
    """The configured model's client (the operator's own endpoint, so a local one is allowed: this
    session is not the fetcher's, whose guard refuses private addresses)."""
    assert settings.llm_base_url is not None and settings.llm_model is not None
    config = LLMConfig(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                       timeout_s=settings.llm_timeout_s, fallback_models=tuple(settings.llm_fallback_models))
    return LLMClient(config, session)


def llm_answers(settings: Settings, session: aiohttp.ClientSession, language: Language) -> LLMAnswers:
    """Answers by the configured model."""
    return LLMAnswers(_llm_client(settings, session), language.answerer, stream=settings.llm_stream,
                      max_context_chars=settings.llm_max_context_chars)
