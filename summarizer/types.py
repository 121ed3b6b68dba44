"""Immutable data objects of the language work. Offsets are character offsets into
``Document.text`` (Python string indices, end exclusive)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

EntityType = Literal["PERSON", "ORG", "GPE", "LOC", "NORP", "MISC"]
StatementKind = Literal["direct", "indirect", "mixed"]


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span {self.start}:{self.end}")

    def of(self, text: str) -> str:
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True, slots=True)
class Document:
    """An article to analyse. ``published`` and ``source`` are optional context."""

    id: str
    text: str
    title: str | None = None
    published: datetime | None = None
    source: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int
    end: int
    index: int  # position in the document (0-based)
    paragraph: int = 0  # index of the paragraph (blank-line separated block) it belongs to

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of an entity in the text."""

    text: str
    start: int
    end: int
    type: EntityType

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class Actor:
    """A canonical actor within one document: one name, its aliases and all its mentions."""

    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True, slots=True)
class Statement:
    """Something an actor said. For ``direct`` statements ``text`` is exactly the article's text
    at ``span`` (the quote without its quote marks); ``indirect`` statements are the reported
    clause; ``mixed`` ones are reported clauses that contain a quoted fragment."""

    speaker: str | None  # canonical actor name, None when the quote is certain but the speaker unknown
    speaker_span: Span | None  # where the speaker is named (or the pronoun that refers to them)
    cue: str | None  # the verb or phrase that introduces it: "said", "warned", "according to"
    text: str
    span: Span
    kind: StatementKind
    # how the text names a speaker that is no known actor ("a campaign spokesman", "officials"), or
    # the role by which it names a known one ("Kasich's campaign"); None when it names the actor
    speaker_role: str | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    text: str
    sentences: tuple[Sentence, ...]  # for extractive summaries: the chosen sentences, in text order
    method: str  # "extractive", "abstractive", "lead"
    note: str | None = None  # e.g. why an abstractive summary was replaced


@dataclass(frozen=True, slots=True)
class Analysis:
    document_id: str
    summary: Summary
    actors: tuple[Actor, ...]
    statements: tuple[Statement, ...]
    embedding: tuple[float, ...] = field(default=(), repr=False)  # title + lead, normalised
    language: str | None = None
    # the parts that failed, one line each ("statements failed: IndexError: ..."); those parts are
    # empty, the others are whole
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Citation:
    document_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Answer:
    answered: bool
    text: str
    citations: tuple[Citation, ...] = ()
    score: float = 0.0
    # The short answer words inside a cited document (offsets into its text), when the reader finds them.
    short: Citation | None = None
