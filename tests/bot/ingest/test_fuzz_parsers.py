"""Property-based tests of the ingestion parsers on hostile input (issue 10).

Any bytes or text give a result or a clean ``BriefbotError``, never another exception; every string
a parser hands on is free of lone surrogates and NUL and within its bound; the work grows linearly
(counted in function calls, never timed).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import BriefbotError, InvalidURLError
from bot.ingest import limits
from bot.ingest.extract import extract_page, html_to_text
from bot.ingest.parse import discover_feeds, looks_like_html, parse_feed
from bot.ingest.types import ExtractedPage, ParsedFeed
from bot.ingest.urls import content_hash, normalize_url
from bot.services.sources import parse_opml
from tests.summarizer.hostile_text import ANY_CHARACTER

FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# pieces that steer the XML/HTML/JSON parsers, the date parsers and the URL handling
PIECES = [
    "<", ">", "&", "&amp;", "&#xD83D;", "&#0;", "&#x110000;", "&lt;", "&nbsp;", "&bogus;", '"', "'", "“", "”", "«",
    "]]>", "<![CDATA[", "<!--", "-->", "<?", "?>", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "&a;", "<p>", "</p>", "<br>",
    "<div>", "<script>", "</script>", "<a href='javascript:x'>", "[/]", "[link=https://evil.example/]", "\\", "\x00",
    "\ud83d", "\ude00", "\ufffd", "\u202e", "\u2028", "\r\n", "\t", " ", "http://", "https://a.example/x?utm_source=y",
    "//", "?", "#", "%", "%zz", "%00", "[::1]", "@", ":99999", "xn--", "ÉCOLE", "İ", "ß", "Tue, 31 Feb 2026 25:61:00",
    "2026-13-45T99:99:99Z", "9999999999999999999999", "{", "}", "[", "]", ",", ":", "null", "true",
    "javascript:alert(1)", "data:text/html,x", "mailto:a@b.example", "file:///etc/passwd", "ftp://a.example/",
]


@st.composite
def hostile_text(draw: st.DrawFn, max_pieces: int = 30, max_run: int = 400) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, max_pieces))):
        kind = draw(st.integers(0, 9))
        if kind < 5:
            parts.append(draw(st.sampled_from(PIECES)))
        elif kind < 8:
            parts.append(draw(st.text(ANY_CHARACTER, max_size=12)))
        else:
            parts.append(draw(st.sampled_from(PIECES)) * draw(st.integers(2, max_run)))
    return "".join(parts)


def xml_text(value: str) -> str:
    """``value`` for an XML document: markup escaped half the time, unencodable characters as references."""
    out = []
    for ch in value:
        if "\ud800" <= ch <= "\udfff":
            out.append(f"&#x{ord(ch):X};")
        else:
            out.append(ch)
    return "".join(out)


FIELDS = ("guid", "link", "title", "author", "summary", "content", "category", "date")
entries = st.lists(st.fixed_dictionaries({}, optional={f: hostile_text() for f in FIELDS}), max_size=6)


def rss_doc(title: str, items: list[dict[str, str]]) -> bytes:
    tags = {"guid": "guid", "link": "link", "title": "title", "author": "author", "summary": "description",
            "content": "content:encoded", "category": "category", "date": "pubDate"}
    body = "".join("<item>" + "".join(f"<{tags[k]}>{xml_text(v)}</{tags[k]}>" for k, v in it.items()) + "</item>"
                   for it in items)
    doc = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
           f"<title>{xml_text(title)}</title>{body}</channel></rss>")
    return doc.encode("utf-8", "replace")


def atom_doc(title: str, items: list[dict[str, str]]) -> bytes:
    tags = {"guid": "id", "title": "title", "summary": "summary", "date": "updated"}
    def entry(it: dict[str, str]) -> str:
        parts = [f"<{tags[k]}>{xml_text(v)}</{tags[k]}>" for k, v in it.items() if k in tags]
        if "link" in it:
            parts.append(f'<link rel="alternate" href="{xml_text(it["link"])}"/>')
        if "author" in it:
            parts.append(f"<author><name>{xml_text(it['author'])}</name></author>")
        if "content" in it:
            parts.append(f'<content type="html">{xml_text(it["content"])}</content>')
        if "category" in it:
            parts.append(f'<category term="{xml_text(it["category"])}"/>')
        return "<entry>" + "".join(parts) + "</entry>"
    doc = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
           f"<title>{xml_text(title)}</title>" + "".join(entry(it) for it in items) + "</feed>")
    return doc.encode("utf-8", "replace")


def json_doc(title: str, items: list[dict[str, str]]) -> bytes:
    names = {"guid": "id", "link": "url", "title": "title", "summary": "summary", "content": "content_html",
             "date": "date_published"}
    out = []
    for it in items:
        item: dict[str, Any] = {names[k]: v for k, v in it.items() if k in names}
        if "author" in it:
            item["authors"] = [{"name": it["author"]}]
        if "category" in it:
            item["tags"] = [it["category"]]
        out.append(item)
    # ensure_ascii writes a lone surrogate as "\ud83d", as a hostile publisher would
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": title,
                       "items": out}).encode()


DOCUMENTS = {"rss": rss_doc, "atom": atom_doc, "json": json_doc}


def clean(value: str | None, limit: int) -> bool:
    return value is None or (len(value) <= limit and not any("\ud800" <= c <= "\udfff" or c == "\x00" for c in value))


def web_link(link: str | None) -> bool:
    """No link, a relative one, or an http(s) one: never javascript:, data:, mailto: ..."""
    scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", link or "")
    return scheme is None or scheme.group(1).lower() in ("http", "https")


def check_feed(feed: ParsedFeed) -> None:
    assert clean(feed.title, limits.MAX_TITLE_CHARS)
    assert clean(feed.link, limits.MAX_URL_CHARS)
    assert clean(feed.warning, limits.MAX_WARNING_CHARS)
    assert web_link(feed.link), feed.link
    for item in feed.items:
        assert clean(item.guid, limits.MAX_GUID_CHARS)
        assert clean(item.link, limits.MAX_URL_CHARS)
        assert web_link(item.link), item.link
        assert clean(item.title, limits.MAX_TITLE_CHARS)
        assert clean(item.author, limits.MAX_AUTHOR_CHARS)
        assert clean(item.summary, limits.MAX_TEXT_CHARS)
        assert clean(item.content, limits.MAX_TEXT_CHARS)
        for raw in (item.summary, item.content):
            if raw:
                text = html_to_text(raw)
                assert clean(text, limits.MAX_TEXT_CHARS)
                content_hash(item.title, text)


def parse_or_refuse(body: bytes, content_type: str | None = None) -> ParsedFeed | None:
    try:
        feed = parse_feed(body, url="https://feeds.example/x/feed.xml", content_type=content_type)
    except BriefbotError:
        return None
    check_feed(feed)
    return feed


@settings(FUZZ, max_examples=150)
@given(kind=st.sampled_from(list(DOCUMENTS)), title=hostile_text(), items=entries)
def test_hostile_feeds_parse_to_clean_bounded_fields(kind: str, title: str, items: list[dict[str, str]]) -> None:
    parse_or_refuse(DOCUMENTS[kind](title, items))


@settings(FUZZ, max_examples=150)
@given(prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b'<?xml version="1.0"?><rss version="2.0"><channel><item>',
                               b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>', b"<rdf:RDF>",
                               b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": ',
                               b"\xff\xfe<\x00r\x00s\x00s\x00>\x00", b"<!DOCTYPE rss [", b"<html><head>"]),
       body=st.binary(max_size=3000),
       content_type=st.sampled_from([None, "application/rss+xml", "application/json", "text/html",
                                     "text/xml; charset=utf-16", "application/xml; charset=bogus"]))
def test_arbitrary_bytes_parse_or_are_refused_cleanly(prefix: bytes, body: bytes, content_type: str | None) -> None:
    looks_like_html(prefix + body, content_type)
    parse_or_refuse(prefix + body, content_type)


@pytest.mark.parametrize("body", [
    b"[" * 200_000,
    b'{"items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "' + b"\\ud83d" * 50_000 + b'"}]}',
    b"<rss><channel>" + b"<item>" * 50_000,
    b"<rss>" + b"<!--" * 100_000,
    b"<" * 300_000,
    b"&" * 300_000,
    b"<rss><channel><item><title>" + b"&#xD83D;" * 50_000 + b"</title></item></channel></rss>",
], ids=["json-nesting", "json-items-nesting", "surrogate-escapes", "unclosed-items", "comments", "angles",
        "ampersands", "surrogate-references"])
def test_pathological_documents(body: bytes) -> None:
    parse_or_refuse(body)


# -- pages ---------------------------------------------------------------------------------------------


def check_page(page: ExtractedPage | None) -> None:
    if page is None:
        return
    assert clean(page.text, limits.MAX_TEXT_CHARS) and page.text
    assert clean(page.title, limits.MAX_TITLE_CHARS)
    assert clean(page.author, limits.MAX_AUTHOR_CHARS)
    assert clean(page.canonical_url, limits.MAX_URL_CHARS)
    assert clean(page.language, 16)


@st.composite
def hostile_page(draw: st.DrawFn) -> str:
    head = "".join(draw(st.lists(st.sampled_from([
        f"<title>{draw(hostile_text())}</title>", f'<meta name="author" content="{draw(hostile_text())}">',
        f'<link rel="canonical" href="{draw(hostile_text())}">', f'<html lang="{draw(hostile_text(3, 5))}">',
        f'<meta property="article:published_time" content="{draw(hostile_text(3, 5))}">',
        '<meta charset="bogus">', "<base href='javascript:x'>",
    ]), max_size=5)))
    paragraphs = "".join(f"<p>{draw(hostile_text())}</p>" for _ in range(draw(st.integers(0, 6))))
    return f"<!doctype html><html><head>{head}</head><body><article>{paragraphs}</article></body></html>"


@settings(FUZZ, max_examples=75)
@given(page=hostile_page(), as_bytes=st.booleans())
def test_hostile_pages_extract_to_clean_bounded_fields(page: str, as_bytes: bool) -> None:
    html = page.encode("utf-8", "replace") if as_bytes else page
    check_page(extract_page(html, "https://news.example/a/1"))
    for url in discover_feeds(html, "https://news.example/a/1"):
        assert url.startswith(("http://", "https://"))


@settings(FUZZ, max_examples=75)
@given(body=st.binary(max_size=4000))
def test_arbitrary_bytes_extract_or_give_nothing(body: bytes) -> None:
    check_page(extract_page(body, "https://news.example/a/1"))
    discover_feeds(body, "https://news.example/a/1")


@settings(FUZZ, max_examples=200)
@given(fragment=hostile_text())
def test_html_to_text_never_raises(fragment: str) -> None:
    assert isinstance(html_to_text(fragment), str)


# -- OPML and URLs -------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=100)
@given(outlines=st.lists(st.tuples(hostile_text(), hostile_text()), max_size=8), raw=st.binary(max_size=500),
       broken=st.booleans())
def test_opml_parses_or_is_refused_cleanly(outlines: list[tuple[str, str]], raw: bytes, broken: bool) -> None:
    body = "".join(f'<outline text="{xml_text(t)}" xmlUrl="{xml_text(u)}"/>' for t, u in outlines)
    doc = f'<?xml version="1.0"?><opml version="2.0"><body>{body}</body></opml>'.encode("utf-8", "replace")
    for data in (doc, raw, doc[: len(doc) // 2] + raw if broken else doc + raw):
        try:
            parsed = parse_opml(data)
        except BriefbotError:
            continue
        assert all(isinstance(e.url, str) and e.url for e in parsed)


@settings(FUZZ, max_examples=300)
@given(url=hostile_text(20, 50), title=hostile_text(), text=hostile_text())
def test_url_normalisation_and_hashing_never_raise(url: str, title: str, text: str) -> None:
    try:
        normalised = normalize_url(url)
    except InvalidURLError:
        pass
    else:
        assert normalised.startswith("https://")
    assert len(content_hash(title, text)) == 64


# -- linear work ---------------------------------------------------------------------------------------


def calls_made(work: Callable[[], Any]) -> int:
    """Function calls, Python and C, that ``work()`` makes (the parsers' own and their libraries'):
    a count of its work that does not depend on the machine."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


GROWING = {
    "rss items": lambda n: rss_doc("t", [{"title": f"Item {i}", "link": f"https://a.example/{i}",
                                          "summary": "<p>x</p>" * 3, "date": "Tue, 10 Nov 2026 10:00:00 GMT"}
                                         for i in range(n)]),
    "json items": lambda n: json_doc("t", [{"guid": str(i), "title": "\ud83d" * 5, "author": "a" * 600}
                                           for i in range(n)]),
    "atom entries": lambda n: atom_doc("t", [{"guid": f"urn:{i}", "link": "/" * 50, "content": "<b>" * 20}
                                             for i in range(n)]),
    "broken markup": lambda n: b"<rss><channel><item><title>" + b"<b>&x" * (20 * n),
}


@pytest.mark.parametrize("family", list(GROWING))
def test_parsing_work_grows_linearly(family: str) -> None:
    small, large = (calls_made(lambda n=n: parse_or_refuse(GROWING[family](n))) for n in (40, 160))
    assert large <= 5 * small, (family, small, large)


def test_html_to_text_work_grows_linearly() -> None:
    small, large = (calls_made(lambda n=n: html_to_text("<p>a &amp; <b>b</b><br></p>" * n)) for n in (200, 800))
    assert large <= 5 * small, (small, large)
