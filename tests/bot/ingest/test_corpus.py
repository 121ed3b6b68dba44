"""parse_feed against third-party feed test corpora kept (read-only) in ../shared/eval/feeds.

The corpora are research material: they are read in place, never copied into the repo.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ParseError
from bot.ingest.parse import parse_feed

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
FEEDS = SHARED / "eval" / "feeds"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not FEEDS.is_dir(), reason=f"feed corpora absent: {FEEDS} (../shared is not checked out here)"),
]

PER_FILE_BUDGET_S = 5.0  # generous for slow CI; locally every file takes well under 0.1 s
GOFEED_MIN_MATCH = 0.98


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Turn a hang into a failure (SIGALRM, main thread on POSIX); elsewhere the caller measures."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- feedparser corpus


def test_feedparser_corpus_never_crashes_or_hangs() -> None:
    """Every file of feedparser's test data (well-formed, ill-formed, encodings, entities,
    JSON) goes through parse_feed as raw bytes: only ParseError may come out, each file
    within PER_FILE_BUDGET_S. Well-formed files must parse, except the obsolete CDF format."""
    root = FEEDS / "feedparser"
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert files, f"no files under {root}"

    start = time.perf_counter()
    slow: list[tuple[float, str]] = []
    slowest = (0.0, "")
    crashes: list[str] = []
    wellformed_rejected: list[str] = []
    rejected = 0
    for path in files:
        rel = str(path.relative_to(root))
        body = path.read_bytes()
        t0 = time.perf_counter()
        try:
            with _deadline(PER_FILE_BUDGET_S):
                parse_feed(body, url="http://example.org/feed")
        except ParseError:
            rejected += 1
            if rel.startswith("wellformed/") and not rel.startswith("wellformed/cdf/"):
                wellformed_rejected.append(rel)
        except _Timeout:
            crashes.append(f"{rel}: no result after {PER_FILE_BUDGET_S} s")
        except Exception as exc:  # noqa: BLE001 - reported below
            crashes.append(f"{rel}: {type(exc).__name__}: {exc}")
        elapsed = time.perf_counter() - t0
        slowest = max(slowest, (elapsed, rel))
        if elapsed > PER_FILE_BUDGET_S:
            slow.append((elapsed, rel))
    total = time.perf_counter() - start
    print(
        f"\nfeedparser corpus: {len(files)} files in {total:.2f} s, "
        f"{rejected} rejected with ParseError, slowest {slowest[0]:.3f} s ({slowest[1]})"
    )
    assert not crashes, crashes[:20]
    assert not slow, slow[:20]
    assert not wellformed_rejected, wellformed_rejected[:20]


# ---------------------------------------------------------------- gofeed corpus

_TAG_RE = re.compile(r"<[^>]*>")
_WS_RE = re.compile(r"\s+")


def _text(value: Any) -> str | None:
    """Titles as display text: entities decoded (repeatedly), tags dropped, whitespace collapsed."""
    if not isinstance(value, str):
        return None
    for _ in range(3):
        decoded = html.unescape(value)
        if decoded == value:
            break
        value = decoded
    value = _WS_RE.sub(" ", _TAG_RE.sub("", value)).strip()
    return value or None


def _link(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _atom_link(links: Any) -> str | None:
    """gofeed's translator rule: the first link whose rel is "alternate" (a missing rel means alternate)."""
    for link in links or ():
        if (link.get("rel") or "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def _gofeed_cases() -> list[tuple[Path, Path, str]]:
    base = FEEDS / "gofeed"
    cases: list[tuple[Path, Path, str]] = []
    for source in sorted(base.rglob("*.xml")):
        expected = source.with_suffix(".json")
        if expected.is_file():
            cases.append((source, expected, source.parent.relative_to(base).as_posix()))
    for expected in sorted(base.rglob("*_expected.json")):
        source = expected.with_name(expected.name.removesuffix("_expected.json") + ".json")
        if source.is_file():
            cases.append((source, expected, expected.parent.relative_to(base).as_posix()))
    return cases


def _expected_view(data: dict[str, Any], section: str) -> tuple[Any, ...]:
    if section == "parser/atom":
        title, link = data.get("title"), _atom_link(data.get("links"))
        items = [(e.get("title"), _atom_link(e.get("links"))) for e in data.get("entries") or ()]
    elif section == "parser/json":
        title, link = data.get("title"), data.get("home_page_url")
        items = [(i.get("title"), i.get("url")) for i in data.get("items") or ()]
    else:  # parser/rss, translator/*, extensions/*: fields named title / link
        title, link = data.get("title"), data.get("link")
        items = [(i.get("title"), i.get("link")) for i in data.get("items") or ()]
    return _view(title, link, items)


def _view(title: Any, link: Any, items: list[tuple[Any, Any]]) -> tuple[Any, ...]:
    pairs = [(_text(t), _link(u)) for t, u in items]
    return (_text(title), _link(link), [p for p in pairs if p != (None, None)])


def test_gofeed_corpus_agreement() -> None:
    """Agreement with gofeed's expected output on feed title, feed link, item count, and
    every item's title and link.

    Comparable files (gofeed testdata):
      * parser/rss, parser/atom, translator/rss, translator/atom, extensions/*: pairs
        ``<name>.xml`` (input) + ``<name>.json`` (expected);
      * parser/json and translator/json: pairs ``<name>.json`` (input) +
        ``<name>_expected.json``.
      Left out: parser/universal and parser/json/invalid, which have no expected output.

    The expected JSON differs by directory, so the fields are read as follows:
      * translator/*, extensions/*, parser/rss: ``title``, ``link``, ``items[].title``,
        ``items[].link`` (gofeed's universal model, or its RSS model which uses the same names);
      * parser/atom: ``title``, ``entries[].title``; links from ``links`` / ``entries[].links``
        by gofeed's own translator rule: the first link with rel "alternate" (no rel means
        alternate), which is also what feedparser and the Atom spec call the link;
      * parser/json: ``title``, ``home_page_url``, ``items[].title``, ``items[].url``.

    Rules applied to both sides alike:
      * titles are compared as display text: HTML entities decoded (repeatedly, since gofeed
        keeps entity-escaped markup from CDATA verbatim while the project decodes it), tags
        dropped (gofeed keeps title markup, the project returns plain-text titles) and
        whitespace collapsed;
      * links are compared as exact strings after stripping surrounding whitespace (no feed
        URL is passed, so relative links stay as the document resolves them via xml:base);
      * items with neither a title nor a link are left out on both sides: the project drops
        items with nothing to identify them, and gofeed's format parsers do not report some
        identifiers the project uses (RSS 1.0 ``rdf:about``), so such items cannot be
        compared fairly. All other items must match one for one, in order.
    """
    ok, total, misses = gofeed_agreement()
    assert total > 400, f"gofeed corpus looks incomplete: {total} cases"
    pct = ok / total
    print(f"\ngofeed match: {ok}/{total} = {pct:.1%}")
    for miss in misses:
        print("  miss:", miss)
    assert pct >= GOFEED_MIN_MATCH, "\n".join(misses)


def gofeed_match_rate() -> tuple[int, int]:
    """(matched, total) for `make eval`."""
    ok, total, _ = gofeed_agreement()
    return ok, total


def gofeed_agreement() -> tuple[int, int, list[str]]:
    """(matched, total, misses) under the rules in test_gofeed_corpus_agreement's docstring."""
    cases = _gofeed_cases()
    ok = 0
    misses: list[str] = []
    for source, expected_path, section in cases:
        expected = _expected_view(json.loads(expected_path.read_text(encoding="utf-8")), section)
        try:
            feed = parse_feed(source.read_bytes())
            got = _view(feed.title, feed.link, [(i.title, i.link) for i in feed.items])
        except ParseError as exc:
            got = (f"ParseError: {exc}", None, [])
        if got == expected:
            ok += 1
        else:
            misses.append(f"{source.relative_to(FEEDS / 'gofeed')}: expected {expected!r}, got {got!r}")
    return ok, len(cases), misses
