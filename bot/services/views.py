"""What the read services return: plain, immutable data that the presenters turn into Discord
messages or console text. No ORM objects cross this line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class ArticleLink:
    """One outlet's article, as linked from a briefing or a citation."""

    article_id: int
    url: str
    title: str | None
    outlet: str  # the source's title, or its host when it has none
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class ActorRef:
    actor_id: int
    name: str
    type: str  # PERSON, ORG, GPE, ...
    mentions: int = 0


@dataclass(frozen=True, slots=True)
class StatementView:
    statement_id: int
    speaker: str | None
    cue: str | None
    text: str  # verbatim for direct quotes
    kind: str  # direct, indirect or mixed
    article: ArticleLink
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoryBrief:
    story_id: int
    title: str
    briefing: str
    first_seen_at: datetime
    last_seen_at: datetime
    sources_count: int
    links: tuple[ArticleLink, ...]  # one per outlet, earliest first
    actors: tuple[ActorRef, ...]  # key actors, most mentioned first
    statement: StatementView | None  # the strongest statement (a direct quote when there is one)
    reason: str | None = None  # why it matched the topic ("topic Iran 0.82; actors Iran, Israel")
    written_by: str | None = None  # the language model that wrote ``briefing`` across its outlets, if one did
    briefing_rev: int = 0  # that briefing's revision (bot.services.story_briefings)


@dataclass(frozen=True, slots=True)
class BriefResult:
    stories: tuple[StoryBrief, ...]
    topic: str | None
    since: datetime
    suggestion: str | None = None  # what to try when nothing was found
    note: str | None = None  # said instead of the usual heading (e.g. when the span was widened)


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class ActorProfile:
    actor: ActorRef
    aliases: tuple[str, ...]
    mentions_recent: int  # articles that mention the actor in the last ``days`` days
    days: int
    per_day: tuple[DayCount, ...]  # one entry per day, oldest first, zeros included
    statements: tuple[StatementView, ...]  # latest first
    co_actors: tuple[ActorRef, ...]  # most often in the same articles; ``mentions`` = shared articles


@dataclass(frozen=True, slots=True)
class StatementPage:
    actor: ActorRef
    statements: tuple[StatementView, ...]
    page: int  # 0-based
    pages: int
    total: int
    topic: str | None
    since: datetime | None


@dataclass(frozen=True, slots=True)
class NumberedCitation:
    number: int  # 1-based, as written in the answer: [1]
    text: str  # the cited sentence(s), verbatim from the article
    article: ArticleLink


@dataclass(frozen=True, slots=True)
class ShortAnswer:
    """The reader's short answer: its words, verbatim from the article, and the citation they are in."""

    text: str
    number: int  # the citation number ([n]) of the sentence or article that holds the words


@dataclass(frozen=True, slots=True)
class AnswerView:
    question: str
    answered: bool
    text: str  # the answer with [n] markers, or the refusal
    citations: tuple[NumberedCitation, ...] = ()
    articles_considered: int = 0
    short: ShortAnswer | None = None
    model: str | None = None  # with a language model set up: the model that answered, or "offline"
    partial: bool = False  # a streamed answer's checked sentences so far; the whole answer follows


@dataclass(frozen=True, slots=True)
class TraceStep:
    at: datetime
    stage: str  # fetch, extract, dedupe, analyze, story, topic, delivery, ...
    outcome: str
    detail: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class TopicHit:
    topic: str
    matched: bool
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class ArticleTrace:
    url: str
    found: bool  # whether this guild's sources ever saw the URL
    article: ArticleLink | None
    summary: str | None
    story_id: int | None
    story_title: str | None
    story_sources: int
    steps: tuple[TraceStep, ...]
    topics: tuple[TopicHit, ...] = ()
    stopped_at: str | None = None  # the stage where it stopped and why, when it did
    extras: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OpmlImport:
    """What an OPML import did."""

    added: tuple[tuple[int, str], ...]  # (source id, title or URL)
    failed: tuple[tuple[str, str], ...]  # (URL, reason)
    total: int
