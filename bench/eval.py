"""Quality figures on ../shared/eval: article extraction and feed parsing.

``make eval`` runs ``python -m bench.eval``. It prints one table and exits 0, or
exits 2 with one line when ../shared is absent. The shared material is read in
place, never copied.

Extraction is scored as in the Scrapinghub article-extraction benchmark (which
trafilatura's evaluation follows): lower-cased ``\\w+`` tokens of the extracted
text against those of the reference text, as multisets; precision, recall and F1
per page, then the mean over pages. A page the extractor gives up on scores 0.

The scoring helpers (:func:`prf`, :func:`evaluate_extraction`, :func:`summarise`)
are also used by tests/bot/ingest/test_quality.py.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import lxml.html

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PAGES_DIR = SHARED / "eval" / "extraction" / "readability-pages"
FEEDPARSER_DIR = SHARED / "eval" / "feeds" / "feedparser"
GOFEED_DIR = SHARED / "eval" / "feeds" / "gofeed"

_TOKEN_RE = re.compile(r"\w+")
_WS_RE = re.compile(r"\s+")
# Elements whose text starts a new line: text_content() would glue "end</p><p>Start".
_BREAKS = frozenset(
    """address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5
    h6 header hr li main nav ol p pre section table td th tr ul""".split()
)


# ---------------------------------------------------------------- scoring


def tokens(text: str | None) -> list[str]:
    """Lower-cased word tokens."""
    return _TOKEN_RE.findall((text or "").lower())


def _grams(text: str | None, n: int) -> Counter[tuple[str, ...]]:
    toks = tokens(text)
    if n <= 1:
        return Counter((t,) for t in toks)
    # As in the Scrapinghub benchmark: a text shorter than n is one short shingle.
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n])


def prf(predicted: str | None, reference: str | None, n: int = 1) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``predicted`` against ``reference``.

    Bag of words (``n=1``) or of word n-gram shingles, counted as multisets.
    Two empty texts agree perfectly; one empty text scores 0.
    """
    pred, ref = _grams(predicted, n), _grams(reference, n)
    if not pred and not ref:
        return 1.0, 1.0, 1.0
    overlap = sum((pred & ref).values())
    p = overlap / sum(pred.values()) if pred else 0.0
    r = overlap / sum(ref.values()) if ref else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def html_text(markup: str) -> str:
    """Plain text of an HTML fragment (lxml ``text_content``), whitespace normalised."""
    root = lxml.html.fromstring(markup)
    for el in root.iter(*_BREAKS):
        el.tail = "\n" + (el.tail or "")
    return _WS_RE.sub(" ", root.text_content()).strip()


def norm(value: str | None) -> str:
    """NFKC, case-folded, whitespace collapsed."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFKC", value or "")).strip().casefold()


def _same_day(extracted: datetime | None, expected: str) -> bool:
    if extracted is None:
        return False
    days = {expected.strip()[:10]}
    try:
        parsed = datetime.fromisoformat(expected.strip())
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        days.add(parsed.astimezone(UTC).date().isoformat())
    return extracted.astimezone(UTC).date().isoformat() in days


# ---------------------------------------------------------------- extraction


@dataclass(frozen=True, slots=True)
class PageScore:
    name: str
    extracted: bool  # extract_page returned a page
    precision: float
    recall: float
    f1: float
    shingle_f1: float  # 4-gram shingles, the Scrapinghub benchmark's own metric
    title: bool | None  # None: the reference has no title
    byline: bool | None  # None: the reference has no byline
    date: bool | None  # None: the reference has no publishedTime
    ms: float  # time spent in extract_page


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    extracted: int
    precision: float
    recall: float
    f1: float
    shingle_f1: float
    title_matched: int
    title_total: int
    byline_matched: int
    byline_total: int
    date_matched: int
    date_total: int
    ms_mean: float
    ms_median: float

    @property
    def title_rate(self) -> float:
        return self.title_matched / self.title_total if self.title_total else 0.0

    @property
    def byline_rate(self) -> float:
        return self.byline_matched / self.byline_total if self.byline_total else 0.0

    @property
    def date_rate(self) -> float:
        return self.date_matched / self.date_total if self.date_total else 0.0


def page_dirs(root: Path = PAGES_DIR) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "source.html").is_file())


def score_page(page: Path) -> PageScore:
    from bot.ingest.extract import extract_page

    meta = json.loads((page / "expected-metadata.json").read_text("utf-8"))
    reference = html_text((page / "expected.html").read_text("utf-8"))
    source = (page / "source.html").read_bytes()
    url = meta.get("url") or f"https://example.com/{page.name}"

    start = time.perf_counter()
    got = extract_page(source, url)
    ms = (time.perf_counter() - start) * 1000

    text = got.text if got else None
    p, r, f = prf(text, reference) if got else (0.0, 0.0, 0.0)
    sf = prf(text, reference, n=4)[2] if got else 0.0

    want_title = norm(meta.get("title"))
    title = (bool(got) and norm(got.title) == want_title) if want_title else None
    want_byline = norm(meta.get("byline"))
    have_byline = norm(got.author) if got else ""
    byline = (bool(have_byline) and (have_byline in want_byline or want_byline in have_byline)) if want_byline else None
    want_date = meta.get("publishedTime")
    date = _same_day(got.published if got else None, want_date) if want_date else None
    return PageScore(page.name, got is not None, p, r, f, sf, title, byline, date, ms)


def evaluate_extraction(root: Path = PAGES_DIR) -> list[PageScore]:
    return [score_page(page) for page in page_dirs(root)]


def summarise(scores: Sequence[PageScore]) -> Summary:
    def rate(values: Iterable[bool | None]) -> tuple[int, int]:
        known = [v for v in values if v is not None]
        return sum(known), len(known)

    ms = [s.ms for s in scores]
    titles = rate(s.title for s in scores)
    bylines = rate(s.byline for s in scores)
    dates = rate(s.date for s in scores)
    return Summary(
        n=len(scores),
        extracted=sum(s.extracted for s in scores),
        precision=statistics.fmean(s.precision for s in scores),
        recall=statistics.fmean(s.recall for s in scores),
        f1=statistics.fmean(s.f1 for s in scores),
        shingle_f1=statistics.fmean(s.shingle_f1 for s in scores),
        title_matched=titles[0],
        title_total=titles[1],
        byline_matched=bylines[0],
        byline_total=bylines[1],
        date_matched=dates[0],
        date_total=dates[1],
        ms_mean=statistics.fmean(ms),
        ms_median=statistics.median(ms),
    )


# ---------------------------------------------------------------- feeds


@dataclass(frozen=True, slots=True)
class FeedCounts:
    parsed: int
    rejected: int  # ParseError
    crashed: list[str]  # any other exception: must stay empty
    seconds: float


def feed_files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes)


def gofeed_inputs(root: Path = GOFEED_DIR) -> list[Path]:
    """gofeed's input feeds: every .xml, and every .json that is not an expected output
    (``<name>.json`` beside ``<name>.xml``, or ``*_expected.json``)."""
    return [
        p
        for p in feed_files(root, (".xml", ".json"))
        if p.suffix == ".xml" or not (p.name.endswith("_expected.json") or p.with_suffix(".xml").is_file())
    ]


def parse_corpus(files: Iterable[Path]) -> FeedCounts:
    """Run ``parse_feed`` on each file's bytes (no URL, no content type)."""
    from bot.errors import ParseError
    from bot.ingest.parse import parse_feed

    parsed = rejected = 0
    crashed: list[str] = []
    start = time.perf_counter()
    for path in files:
        try:
            parse_feed(path.read_bytes())
        except ParseError:
            rejected += 1
        except Exception as exc:  # noqa: BLE001 - counted, that is the point
            crashed.append(f"{path.name}: {type(exc).__name__}")
        else:
            parsed += 1
    return FeedCounts(parsed, rejected, crashed, time.perf_counter() - start)


def gofeed_match() -> tuple[int, int] | None:
    """(matched, total) from tests/bot/ingest/test_corpus.py when it exposes
    ``gofeed_match_rate() -> tuple[int, int]``; else None (the table says n/a)."""
    try:
        module = importlib.import_module("tests.bot.ingest.test_corpus")
    except Exception:  # noqa: BLE001 - absent or not importable outside pytest
        return None
    helper = getattr(module, "gofeed_match_rate", None)
    return helper() if callable(helper) else None


# ---------------------------------------------------------------- report


def _table(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    vwidth = max(len(value) for _, value in rows)
    rule = "-" * (width + 3 + vwidth)
    lines = [f"{'figure':<{width}}   value", rule]
    lines += [f"{label:<{width}}   {value}" for label, value in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=0, metavar="N", help="also list the N pages with the lowest F1")
    parser.add_argument("--no-language", action="store_true", help="only the ingestion figures (no models)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the language figures")
    args = parser.parse_args(argv)

    if not SHARED.is_dir():
        print(f"bench.eval: ../shared is absent ({SHARED}); nothing to evaluate.", file=sys.stderr)
        return 2

    start = time.perf_counter()
    rows: list[tuple[str, str]] = []

    if PAGES_DIR.is_dir():
        scores = evaluate_extraction(PAGES_DIR)
        s = summarise(scores)
        rows += [
            (f"extraction F1 (readability-pages, n={s.n})", f"{s.f1:.4f}"),
            ("extraction precision", f"{s.precision:.4f}"),
            ("extraction recall", f"{s.recall:.4f}"),
            ("extraction F1, 4-gram shingles", f"{s.shingle_f1:.4f}"),
            ("pages extracted (not None)", f"{s.extracted} / {s.n}"),
            ("pages with F1 < 0.3", f"{sum(x.f1 < 0.3 for x in scores)} / {s.n}"),
            ("title match", f"{s.title_rate:.4f} ({s.title_matched} / {s.title_total})"),
            ("byline match", f"{s.byline_rate:.4f} ({s.byline_matched} / {s.byline_total})"),
            ("date match (same day)", f"{s.date_rate:.4f} ({s.date_matched} / {s.date_total})"),
            ("ms/page (mean / median)", f"{s.ms_mean:.1f} / {s.ms_median:.1f}"),
        ]
    else:
        scores = []
        rows.append(("extraction", f"skipped: {PAGES_DIR} is absent"))

    for label, root, inputs in (
        ("feedparser corpus", FEEDPARSER_DIR, lambda root: feed_files(root, (".xml", ".json"))),
        ("gofeed corpus", GOFEED_DIR, gofeed_inputs),
    ):
        if not root.is_dir():
            rows.append((label, f"skipped: {root} is absent"))
            continue
        c = parse_corpus(inputs(root))
        rows.append((f"{label}: parsed / rejected / crashed", f"{c.parsed} / {c.rejected} / {len(c.crashed)}"))
        rows.append((f"{label}: ms total", f"{c.seconds * 1000:.0f}"))
        rows += [(f"  crashed: {name}", "") for name in c.crashed[:10]]

    match = gofeed_match() if GOFEED_DIR.is_dir() else None
    rows.append(
        ("gofeed match", f"{match[0] / match[1]:.4f} ({match[0]} / {match[1]})" if match and match[1] else "n/a")
    )
    if not args.no_language:
        from bench.eval_language import language_rows

        rows += language_rows(threads=args.threads)
        from bench.eval_qa import qa_rows
        from summarizer.embeddings import Embedder

        rows += qa_rows(Embedder(threads=args.threads))
    rows.append(("eval wall time (s)", f"{time.perf_counter() - start:.1f}"))

    print(_table(rows))
    if args.worst and scores:
        print()
        for x in sorted(scores, key=lambda x: x.f1)[: args.worst]:
            print(f"{x.name:<45} F1 {x.f1:.3f}  P {x.precision:.3f}  R {x.recall:.3f}  extracted={x.extracted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
