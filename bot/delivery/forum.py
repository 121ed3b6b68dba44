"""Forum channels: which of a forum's tags a subscription's posts carry."""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


def matching_tag(topic: str, tags: Sequence[str]) -> int | None:
    """The index of the tag that names ``topic``: the tag equal to it (ignoring case and
    punctuation), else the one with the most words all of which are words of the topic ("Iran"
    for "Iran supreme leader"); None when no tag does."""
    wanted = _words(topic)
    best: tuple[int, int] | None = None  # (score, index)
    for i, tag in enumerate(tags):
        words = _words(tag)
        if not words or not set(words) <= set(wanted):
            continue
        score = 1000 if words == wanted else len(words)
        if best is None or score > best[0]:
            best = (score, i)
    return best[1] if best is not None else None
