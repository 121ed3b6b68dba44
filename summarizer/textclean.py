"""Text every tokenizer accepts, with the same length: lone surrogates become U+FFFD.

A ``str`` may hold an unpaired UTF-16 surrogate (JSON's ``"\\ud83d"`` decodes to one); no UTF-8
encoder takes it, so the Rust tokenizers raise ``TypeError`` on it. Each such code point is
replaced by one U+FFFD, so the text keeps its length and offsets into the cleaned text index the
text as given.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(text: str) -> str:
    """``text`` with every surrogate code point replaced by U+FFFD (same length)."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(REPLACEMENT, text)


__all__ = ["REPLACEMENT", "scrub"]
