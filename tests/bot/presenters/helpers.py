"""Shared for the presenter tests: a validity check against Discord's limits, and view builders."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

from bot.presenters.message import Reply
from bot.services.views import (
    ActorProfile,
    ActorRef,
    ArticleLink,
    DayCount,
    StatementView,
    StoryBrief,
)

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NASTY = ("**bold** _it_ ~~strike~~ `code` ||spoiler|| > quote # heading [click](https://evil.example/x) "
         "@everyone <@123> <script>alert(1)</script> \\ back | pipe - dash (paren) ")
LONG_TITLE = (NASTY * 3)[:320]

# An unescaped "[" that never closes into a full masked link, or a "<" that never closes.
_OPEN = re.compile(r"(?<!\\)(?:\\\\)*\[(?:\\.|[^\]\\])*(?:\](?:\([^)]*)?)?$|(?<!\\)(?:\\\\)*<[^>\s]*$")


def _check_markdown(text: str, where: str) -> None:
    assert not _OPEN.search(text), f"{where} ends inside a link: {text[-80:]!r}"
    trailing = len(text) - len(text.rstrip("\\"))
    assert trailing % 2 == 0, f"{where} ends in a dangling escape"


def assert_valid(reply: Reply) -> None:
    """Every Discord limit the presenters promise to respect."""
    assert reply.content or reply.embeds or reply.files, "an empty message"
    if reply.content is not None:
        assert 0 < len(reply.content) <= 2000, len(reply.content)
        assert reply.content.strip()
        _check_markdown(reply.content, "content")
    assert len(reply.embeds) <= 10
    total = 0
    files = {f.filename for f in reply.files}
    for e in reply.embeds:
        d = e.to_dict()
        json.dumps(d)
        assert e.title or e.description or e.fields or e.image_filename, "an empty embed"
        assert len(e.title or "") <= 256
        assert len(e.description or "") <= 4096
        assert len(e.fields) <= 25
        assert len(e.footer or "") <= 2048
        assert len(e.author or "") <= 256
        if e.url:
            assert re.match(r"https?://\S+$", e.url), e.url
        if e.image_filename:
            assert e.image_filename in files
        for name, text in (("title", e.title), ("description", e.description)):
            if text:
                _check_markdown(text, name)
        for f in e.fields:
            assert f.name.strip() and len(f.name) <= 256, f.name
            assert f.value.strip() and len(f.value) <= 1024, (f.name, len(f.value))
            _check_markdown(f.value, f"field {f.name}")
        count = (len(e.title or "") + len(e.description or "") + len(e.footer or "") + len(e.author or "")
                 + sum(len(f.name) + len(f.value) for f in e.fields))
        assert count == e.total_chars()
        total += count
    assert total <= 6000, total
    assert len(reply.files) <= 10
    assert len(reply.buttons) <= 25
    ids = [b.custom_id for b in reply.buttons]
    assert len(set(ids)) == len(ids)
    for b in reply.buttons:
        assert 0 < len(b.custom_id) <= 100
        assert 0 < len(b.label) <= 80
        assert b.style in ("primary", "secondary")


def article(i: int = 1, *, outlet: str = "Reuters", title: str | None = "Talks resume in Geneva",
            url: str | None = None, at: datetime = T0) -> ArticleLink:
    return ArticleLink(i, url or f"https://news{i}.example.com/world/{i}", title, outlet, at)


def statement(i: int = 1, *, text: str = "We will not back down", kind: str = "direct",
              speaker: str | None = "Jane Doe", at: datetime | None = None, outlet: str = "Reuters") -> StatementView:
    at = at or T0 + timedelta(hours=i)
    return StatementView(i, speaker, "said", text, kind, article(i, outlet=outlet, at=at), at)


def actor(i: int = 1, name: str = "Jane Doe", type_: str = "PERSON", mentions: int = 3) -> ActorRef:
    return ActorRef(i, name, type_, mentions)


def story(i: int = 1, *, title: str = "Ceasefire talks resume", briefing: str = "Negotiators met again on Monday.",
          links: int = 3, actors: int = 3, sources: int | None = None, st: StatementView | None = None,
          reason: str | None = None) -> StoryBrief:
    return StoryBrief(
        story_id=i, title=title, briefing=briefing, first_seen_at=T0, last_seen_at=T0 + timedelta(hours=5),
        sources_count=links if sources is None else sources,
        links=tuple(article(j, outlet=f"Outlet {j}") for j in range(1, links + 1)),
        actors=tuple(actor(j, f"Actor {j}", "ORG" if j % 2 else "PERSON") for j in range(1, actors + 1)),
        statement=st if st is not None else statement(), reason=reason,
    )


def profile(*, statements: int = 3, co: int = 3, aliases: tuple[str, ...] = ("J. Doe",), days: int = 30,
            name: str = "Jane Doe") -> ActorProfile:
    per_day = tuple(DayCount(date(2024, 4, 1) + timedelta(days=d), d % 4) for d in range(days))
    return ActorProfile(
        actor=actor(7, name), aliases=aliases, mentions_recent=12, days=days, per_day=per_day,
        statements=tuple(statement(i, text=f"Statement number {i} about the talks") for i in range(statements)),
        co_actors=tuple(actor(100 + j, f"Co Actor {j}", mentions=10 - j % 10) for j in range(co)),
    )


def all_text(reply: Reply) -> str:
    """Every piece of text in the reply, for 'does it say so' checks."""
    parts = [reply.content or ""]
    for e in reply.embeds:
        parts += [e.title or "", e.description or "", e.footer or "", e.author or ""]
        parts += [f"{f.name}\n{f.value}" for f in e.fields]
    parts += [b.label for b in reply.buttons]
    return "\n".join(parts)
