"""Hostile text for the summarizer's tests: hypothesis strategies, and a deterministic count of
the work a call does (no clocks)."""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import strategies as st

from summarizer.types import Actor, Mention

SUMMARIZER = str(Path(__file__).resolve().parents[2] / "summarizer")

# any assigned code point, lone surrogates (Cs) and private use included
ANY_CHARACTER = st.characters(exclude_categories=["Cn"])
# pieces that steer the splitter, the quote finder, the cue finder and the markup blanker
PIECES = [
    '"', "“", "”", "‘", "’", "«", "»", "„", "'", "(", ")", "[", "]", "{", "}", ".", "!", "?", "…", ",", ";", ":",
    "—", "–", "-", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\x00", "\ud83d", "\ude00", "\ufffd", "Mr. ", "U.S. ",
    "Dr.", " said ", " Said ", " says ", " told reporters ", " according to ", " that ", " he ", " she ", " it ",
    " warned ", " adding that ", "Secretary of State ", "Ali Khamenei", "Khamenei", "Iran", "Israel", "the UN",
    "Maria Lopez", "Hamas", "Hezbollah", " We ", "1. ", "- ", "<p>", "</p>", "<br>", "<!--", "-->", "<script>",
    "</script>", "<a href=\"", "&amp;", "http://x.example/a?b=c", "ÉCOLE", "İ", "ß", "ﬁ", "Ⅻ", "٣", "\u202e",
    "\u200b", "\r\n", "\u2028",
]


def hostile_text(max_pieces: int = 40, max_run: int = 300) -> st.SearchStrategy[str]:
    """Text of hostile pieces, random unicode and long runs of one piece."""
    piece = st.sampled_from(PIECES)
    chunk = st.one_of(piece, piece, st.text(ANY_CHARACTER, max_size=12),
                      st.builds(operator.mul, piece, st.integers(2, max_run)))
    return st.lists(chunk, max_size=max_pieces).map("".join)


def capitalised_actors(text: str) -> list[Actor]:
    """Cheap stand-in actors: every run of capitalised words is a PERSON (for the statement rules
    without the tagger; the real tagger is fuzzed through the Analyzer)."""
    by_name: dict[str, list[Mention]] = {}
    for m in re.finditer(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*", text):
        by_name.setdefault(m.group(), []).append(Mention(m.group(), m.start(), m.end(), "PERSON"))
    return [Actor(name, "PERSON", (), tuple(ms)) for name, ms in by_name.items()]


def python_steps(call: Callable[[], Any]) -> int:
    """Lines of summarizer code that ``call()`` executes: a count of its work that does not depend
    on the machine. (Work inside C calls, a regex scan or a slice, is not counted: regexes that
    could rescan are checked by their own tests.)"""
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code.co_filename.startswith(SUMMARIZER) else None

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count
