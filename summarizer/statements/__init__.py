"""Statements: who said what in an article, as exact spans of its text.

``extract_statements(text, sentences, actors)`` finds direct quotes and quotes that carry on a
speaker's turn (:mod:`.direct`), reported speech (:mod:`.reported`) and quoted fragments inside
reported clauses (:mod:`.fragments`); the speaker of each is resolved by :mod:`.speakers` (an actor,
a pronoun) or :mod:`.roles` (a phrase such as "a senior official") from the speech cues of
:mod:`.cues`, over the article indexed once by :mod:`.article`; :mod:`.words` holds shared word lists.

``speaker`` is None when the speaker is no known actor: then ``speaker_role`` names it as the text
does, or (direct quotes only) nothing does; indirect and mixed statements need one or the other.
Every statement is checked at the end: ``text == text[span]``; a failing one is dropped and logged.
Cost is linear in the text: the regexes do not backtrack across the text, windows are bounded and
quotes are capped at ``MAX_QUOTE`` characters inside one paragraph.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Sequence

from summarizer.sentences import split_sentences
from summarizer.statements.article import Article
from summarizer.statements.direct import DirectQuotes
from summarizer.statements.fragments import QuotedFragments
from summarizer.statements.reported import MAX_CLAUSE, ReportedSpeech
from summarizer.statements.speakers import Speakers
from summarizer.types import Actor, Sentence, Span, Statement

log = logging.getLogger(__name__)

__all__ = ["MAX_CLAUSE", "extract_statements"]


def extract_statements(text: str, sentences: Sequence[Sentence], actors: Sequence[Actor]) -> list[Statement]:
    """Statements in ``text``: direct quotes, reported speech and mixed forms, in text order.

    ``sentences`` are ``text``'s sentences (``split_sentences(text)`` when empty); ``actors`` the
    document's actors with their mentions (mentions whose text does not match ``text`` are ignored)."""
    if not text or not text.strip():
        return []
    if not sentences:
        sentences = split_sentences(text)
    article = Article(text, sentences, actors)
    speakers = Speakers(article)
    quotes = DirectQuotes(article, speakers)
    reported_speech = ReportedSpeech(article, speakers)
    direct = quotes.direct()
    taken = quotes.direct_spans  # sorted and disjoint quote regions
    # quotes that go on after a quote first (a 'he said' after them then finds its speaker), then
    # after reported speech
    direct += quotes.continuations(list(taken))
    reported = [st for st in reported_speech.reported() if not _overlaps(taken, st.span)]
    mixed = [st for st in QuotedFragments(article, speakers, reported_speech).fragments(direct + reported, taken)
             if not _overlaps(taken, st.span)]
    covered = sorted([*taken, *((st.span.start, st.span.end) for st in reported + mixed)])
    carried_on = quotes.continuations(covered)
    seen: set[tuple[int, int]] = set()
    out: list[Statement] = []
    for st in sorted(direct + reported + mixed + carried_on, key=lambda st: (st.span.start, st.span.end)):
        key = (st.span.start, st.span.end)
        if key in seen:
            continue
        seen.add(key)
        if _verbatim(text, st):
            out.append(st)
    return out


def _overlaps(spans: list[tuple[int, int]], span: Span) -> bool:
    i = bisect_left(spans, (span.end, span.end))
    return i > 0 and spans[i - 1][1] > span.start


def _verbatim(text: str, st: Statement) -> bool:
    ok = 0 <= st.span.start < st.span.end <= len(text) and st.span.of(text) == st.text
    if ok and st.speaker_span is not None:
        ok = 0 <= st.speaker_span.start < st.speaker_span.end <= len(text)
    if not ok:
        log.warning("dropping a statement whose text is not the article's text at its span: %r", st)
    return ok
