"""/ask: an answer with numbered citations, or the refusal."""

from __future__ import annotations

import re

from bot.presenters.common import article_link
from bot.presenters.message import (
    CONTENT_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    Embed,
    Reply,
    escape_markdown,
    fit_embeds,
    pack_lines,
    split_text,
    truncate_markdown,
)
from bot.services.views import AnswerView

_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")
SOURCES = "Sources:"


def answer_markdown(text: str) -> str:
    """The answer escaped, its ``[n]`` markers left readable (a following ``(`` stays escaped,
    so they never become links)."""
    return _MARKER.sub(r"[\1]", escape_markdown(text.strip()))


def source_lines(view: AnswerView) -> list[str]:
    """``[n] [outlet — title](url)``, one per citation number."""
    seen: dict[int, str] = {}
    for c in sorted(view.citations, key=lambda c: c.number):
        seen.setdefault(c.number, f"[{c.number}] {article_link(c.article)}")
    return list(seen.values())


def present_answer(view: AnswerView) -> Reply:
    """The answer in the content and its sources after it; when that is too long, the sources
    (and any rest of the answer) go into embeds."""
    if not view.answered:
        return Reply(content=_refusal(view)[0])
    answer = answer_markdown(view.text) or "(empty answer)"
    sources = source_lines(view)
    full = f"{answer}\n\n{SOURCES}\n" + "\n".join(sources) if sources else answer
    if len(full) <= CONTENT_LIMIT:
        return Reply(content=full)
    pieces = split_text(answer, CONTENT_LIMIT)
    content, rest = pieces[0], "\n\n".join(pieces[1:])
    embeds = []
    listed = ""
    if sources:
        listed, _ = pack_lines(sources, min(EMBED_DESCRIPTION_LIMIT, 3000 if rest else EMBED_DESCRIPTION_LIMIT),
                               more=lambda k: f"… and {k} more sources")
    if rest:
        room = min(EMBED_DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(listed) - 60)
        if len(rest) > room:
            rest = truncate_markdown(rest, room - 40, ellipsis="") + "\n… (answer shortened)"
        embeds.append(Embed(title="Answer (continued)", description=rest))
    if listed:
        embeds.append(Embed(title="Sources", description=listed))
    return Reply(content=content, embeds=fit_embeds(embeds))


def answer_messages(view: AnswerView) -> list[str]:
    """The answer as messages of at most 2000 characters, cut at sentence ends, with the numbered
    sources at the end (for replies in a thread)."""
    if not view.answered:
        return _refusal(view)
    messages = split_text(answer_markdown(view.text), CONTENT_LIMIT) or ["(empty answer)"]
    sources = source_lines(view)
    if not sources:
        return messages
    block = f"{SOURCES}\n" + "\n".join(sources)
    if len(messages[-1]) + 2 + len(block) <= CONTENT_LIMIT:
        messages[-1] = f"{messages[-1]}\n\n{block}"
        return messages
    chunk = SOURCES
    for line in sources:
        line = truncate_markdown(line, CONTENT_LIMIT - 20)
        if len(chunk) + 1 + len(line) > CONTENT_LIMIT:
            messages.append(chunk)
            chunk = line
        else:
            chunk = f"{chunk}\n{line}"
    messages.append(chunk)
    return messages


def _refusal(view: AnswerView) -> list[str]:
    text = escape_markdown(view.text.strip()) or "I could not answer that from the articles I have."
    return split_text(text, CONTENT_LIMIT)
