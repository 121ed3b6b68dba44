"""/ask: an answer with numbered citations, or the refusal.

An answer with the reader's short answer shows it first, in bold, with its citation number, then
the cited sentence(s) verbatim; without one, the answer as the answerer wrote it. A refusal reads as
the answerer wrote it ("The sources don't say."); when it carries citations (the closest things the
sources do say) they follow it, marked as not the answer. The numbered sources close the reply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.presenters.common import article_link
from bot.presenters.message import (
    CONTENT_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    Embed,
    Reply,
    escape_markdown,
    escape_truncate,
    fit_embeds,
    one_line,
    pack_lines,
    split_text,
    truncate_markdown,
)
from bot.services.views import AnswerView, NumberedCitation

_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")
SOURCES = "Sources:"
NOT_THE_ANSWER = "Not the answer, but the sources do say:"
NO_ANSWER = "I could not answer that from the articles I have."
SHORT_LIMIT = 300  # characters of the bold short answer (escaped)
CLOSEST_LIMIT = 400  # characters of each closest sentence shown with a refusal (escaped)
MAX_CLOSEST = 2


def answer_markdown(text: str) -> str:
    """The answer escaped, its ``[n]`` markers left readable (a following ``(`` stays escaped,
    so they never become links)."""
    return _MARKER.sub(r"[\1]", escape_markdown(text.strip()))


def answer_body(view: AnswerView) -> str:
    """The reply's text before its sources: the bold short answer and the cited sentences, the
    answer as written, or the refusal with the closest things the sources say."""
    if not view.answered:
        refusal = escape_markdown(view.text.strip()) or NO_ANSWER
        closest = _by_number(view.citations)[:MAX_CLOSEST]
        if not closest:
            return refusal
        return f"{refusal}\n\n{NOT_THE_ANSWER}\n" + "\n".join(_quoted(c, CLOSEST_LIMIT) for c in closest)
    written = answer_markdown(view.text)
    short = view.short
    words = escape_truncate(one_line(short.text), SHORT_LIMIT) if short is not None else ""
    cited = _by_number(view.citations)
    if short is None or not words or not cited:
        return written or "(empty answer)"
    marker = f" [{short.number}]" if short.number in {c.number for c in cited} else ""
    return f"**{words}**{marker}\n\n" + "\n".join(_quoted(c) for c in cited)


def source_lines(view: AnswerView) -> list[str]:
    """``[n] [outlet — title](url)``, one per citation number."""
    return [f"[{c.number}] {article_link(c.article)}" for c in _by_number(view.citations)]


def model_label(view: AnswerView) -> str:
    """Who wrote the answer, where a language model is set up: its name, or "offline" when the
    offline answerer answered instead (plain text)."""
    if view.model is None:
        return ""
    if view.partial:
        return f"{one_line(view.model)[:80]} is writing… (the sentences checked so far)"
    return "answered offline" if view.model == "offline" else f"answered by {one_line(view.model)[:80]}"


def _with_label(text: str, view: AnswerView) -> str:
    label = model_label(view)
    return f"{text}\n-# {escape_markdown(label)}" if label else text


def present_answer(view: AnswerView) -> Reply:
    """The answer in the content and its sources after it; when that is too long, the sources
    (and any rest of the answer) go into embeds. Who wrote it closes the reply (a model's name)."""
    answer = answer_body(view)
    sources = source_lines(view)
    full = f"{answer}\n\n{SOURCES}\n" + "\n".join(sources) if sources else answer
    if len(_with_label(full, view)) <= CONTENT_LIMIT:
        return Reply(content=_with_label(full, view))
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
    if embeds and model_label(view):
        embeds[-1] = replace(embeds[-1], footer=model_label(view))
    return Reply(content=content, embeds=fit_embeds(embeds))


def answer_messages(view: AnswerView) -> list[str]:
    """The answer as messages of at most 2000 characters, cut at sentence ends, with the numbered
    sources at the end (for replies in a thread)."""
    messages = _answer_messages(view)
    label = model_label(view)
    if label:
        closed = _with_label(messages[-1], view)
        if len(closed) <= CONTENT_LIMIT:
            messages[-1] = closed
        else:
            messages.append(f"-# {escape_markdown(label)}")
    return messages


def _answer_messages(view: AnswerView) -> list[str]:
    messages = split_text(answer_body(view), CONTENT_LIMIT)
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


def _quoted(citation: NumberedCitation, limit: int | None = None) -> str:
    """``[n] “the cited words”``, escaped (and cut to ``limit`` characters)."""
    words = one_line(citation.text)
    shown = escape_markdown(words) if limit is None else escape_truncate(words, limit)
    return f"[{citation.number}] “{shown}”"


def _by_number(citations: Sequence[NumberedCitation]) -> list[NumberedCitation]:
    """One citation per number, in number order."""
    seen: dict[int, NumberedCitation] = {}
    for c in sorted(citations, key=lambda c: c.number):
        seen.setdefault(c.number, c)
    return list(seen.values())
