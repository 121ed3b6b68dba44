"""The one place that reads the environment (and ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import __version__
from bot.cpus import CpuPlan, plan
from bot.ingest.allowlist import parse_allowed


LLM_TASKS = frozenset({"briefings", "answers"})  # what the language model may write


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every setting Briefbot reads. ``.env.example`` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,  # `NAME=` in .env means "the default", as .env.example shows
    )

    # Discord
    discord_token: SecretStr | None = None
    # Where discord.py talks to: Discord itself unless set (the test stand-in sets both).
    discord_api_base: str | None = Field(None, pattern=r"^https?://")
    discord_gateway_url: str | None = Field(None, pattern=r"^wss?://")
    # Receive the text of every message in the bot's briefing threads (a privileged intent that
    # must also be switched on in the Discord developer portal). Off: mentions and /ask work.
    discord_message_content: bool = False
    # Gateway shards (Discord requires them from 2,500 servers): SHARD_COUNT in all, and the ones this
    # process connects (SHARD_IDS, comma-separated; empty: all of them). Unset: one connection, unsharded.
    shard_count: int | None = Field(None, ge=1, le=10_000)
    shard_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    # Storage
    database_url: str | None = None
    data_dir: Path = Path("data")

    # Polling
    poll_interval_s: int = Field(600, ge=30)
    poll_jitter: float = Field(0.1, ge=0, le=0.5)
    max_failures: int = Field(8, ge=1)
    max_backoff_s: int = Field(6 * 3600, ge=60)
    backfill_items: int = Field(0, ge=0)
    # New items one poll stores at most; the rest wait for the next poll (due within a minute).
    max_new_items_per_poll: int = Field(200, ge=1, le=10000)
    scheduler_tick_s: float = Field(5.0, gt=0)

    # Fetching
    fetch_connect_timeout_s: float = Field(10.0, gt=0)
    fetch_read_timeout_s: float = Field(20.0, gt=0)
    fetch_total_timeout_s: float = Field(45.0, gt=0)
    fetch_max_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    fetch_concurrency: int = Field(32, ge=1)
    fetch_per_host: int = Field(4, ge=1)
    fetch_contact: str = ""
    fetch_allow_private: bool = False
    fetch_allowed_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fetch_pages: bool = True
    max_sources_per_guild: int = Field(200, ge=1, le=10000)

    # Work pools: CPUS cores split between torch threads and extraction workers (bot/cpus.py)
    cpus: int = Field(0, ge=0)
    extract_workers: int = Field(0, ge=0)

    # Language models (local paths or hub ids; empty: the offline defaults)
    embedding_model: str | None = None
    ner_model: str | None = None
    summary_model: str | None = None
    qa_model: str | None = None
    model_threads: int = Field(0, ge=0)
    model_precision: str = Field("auto", pattern="^(auto|float32|bfloat16)$")
    summary_sentences: int = Field(3, ge=1, le=10)
    summary_max_chars: int = Field(600, ge=100, le=4000)
    story_window_h: int = Field(72, ge=1)
    story_threshold: float = Field(0.54, gt=0, lt=1)
    topic_threshold: float = Field(0.40, gt=0, lt=1)
    answer_min_score: float = Field(0.43, gt=0, lt=1)
    answer_reader: bool = True
    analysis_batch: int = Field(16, ge=1, le=256)
    # `briefbot run` analyses in a child process (bot/workers/analyser.py): ingestion no longer slows it down
    analysis_process: bool = True

    # A language model for story briefings and answers, on any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM
    # Studio, a hosted API); unset: offline only. Its text is shown only after the grounding check.
    llm_base_url: str | None = None
    llm_model: str | None = Field(None, validate_default=True)  # as the server names it (case-sensitive)
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(30.0, gt=0, le=600)
    llm_max_context_chars: int = Field(12_000, ge=1_000, le=500_000)
    llm_fallback_models: Annotated[list[str], NoDecode] = Field(default_factory=list)
    llm_tasks: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["briefings", "answers"])
    llm_rebrief_min_s: float = Field(300.0, ge=0, le=86_400)  # a story's briefing is rewritten at most this often
    llm_stream: bool = True  # answers in threads and /ask are streamed, their checked sentences shown as they come

    # Delivery to subscribed channels
    delivery_concurrency: int = Field(4, ge=1, le=32)
    delivery_tick_s: float = Field(5.0, gt=0)
    worker_heartbeat_s: float = Field(10.0, ge=1, le=3600)  # `briefbot status` shows a worker gone after 3 missed
    delivery_requests_per_s: float = Field(40.0, gt=0, le=50)

    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _level_known(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @field_validator("fetch_allowed_networks", "llm_fallback_models", "llm_tasks", "shard_ids", mode="before")
    @classmethod
    def _lists_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("fetch_allowed_networks")
    @classmethod
    def _networks_valid(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_allowed(entry)  # raises ValueError naming the entry
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shards_in_range(cls, value: list[int], info: ValidationInfo) -> list[int]:
        if not value:
            return value
        count = info.data.get("shard_count")
        if count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT")
        wrong = [i for i in value if not 0 <= i < count]
        if wrong:
            raise ValueError(f"shard ids {', '.join(map(str, wrong))} are not in 0..{count - 1} (SHARD_COUNT={count})")
        if len(set(value)) != len(value):
            raise ValueError("a shard id is listed twice")
        return sorted(value)

    @field_validator("llm_tasks")
    @classmethod
    def _llm_tasks_known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - LLM_TASKS)
        if unknown:
            raise ValueError(f"unknown task(s) {', '.join(unknown)}: use briefings, answers or both")
        return value

    @field_validator("llm_base_url")
    @classmethod
    def _llm_base_url_normalised(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from bot.errors import ConfigError
        from bot.llm.client import normalise_base_url

        try:
            return normalise_base_url(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("llm_model")
    @classmethod
    def _llm_model_named(cls, value: str | None, info: ValidationInfo) -> str | None:
        # a field validator, not a model one: a model validator's error would echo every input,
        # the API key and the Discord token included
        if info.data.get("llm_base_url") is not None and not (value or "").strip():
            raise ValueError("LLM_MODEL is required with LLM_BASE_URL (the model's name on that server, e.g. "
                             "llama3.1:8b)")
        return value.strip() if value else value

    @property
    def resolved_database_url(self) -> str:
        """The database URL in tortoise's form; SQLite under ``data_dir`` by default."""
        url = self.database_url or f"sqlite://{self.data_dir / 'briefbot.sqlite3'}"
        if url.startswith("postgresql://"):
            url = "postgres://" + url[len("postgresql://") :]
        return url

    @property
    def cpu_plan(self) -> CpuPlan:
        """Torch threads and extraction workers, sized together from ``cpus`` (bot/cpus.py)."""
        return plan(self.cpus, model_threads=self.model_threads, extract_workers=self.extract_workers)

    @property
    def user_agent(self) -> str:
        contact = f"; {self.fetch_contact}" if self.fetch_contact else ""
        return f"Briefbot/{__version__} (self-hosted news briefing bot{contact})"
