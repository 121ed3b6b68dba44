from __future__ import annotations

import os
import random
from datetime import UTC, datetime

import pytest

from bot.ingest.extract import decode_html, extract_page, html_to_text

PAGE_URL = "https://ledger.example/news/2024/03/harbour-crane-strike-ends?utm_source=feed"

ARTICLE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Harbour crane strike ends after nine days | The Coastal Ledger</title>
<link rel="canonical" href="/news/2024/03/harbour-crane-strike-ends">
<meta property="og:url" content="https://ledger.example/news/2024/03/harbour-crane-strike-ends?from=og">
<meta property="og:title" content="Harbour crane strike ends after nine days">
<meta name="author" content="Maren Holt">
<meta property="article:published_time" content="2024-03-05T14:30:00+01:00">
</head>
<body>
<header><nav><ul>
  <li><a href="/">Home</a></li><li><a href="/news">News</a></li>
  <li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li>
</ul></nav></header>
<main>
<article>
<h1>Harbour crane strike ends after nine days</h1>
<p class="byline">By Maren Holt</p>
<p>Crane operators at the northern harbour returned to work on Tuesday morning after the port
authority agreed to review shift lengths, ending a stoppage that had left more than forty
container ships waiting offshore.</p>
<p>The agreement, reached late on Monday after a twelve-hour session, commits both sides to an
independent study of fatigue on the night rota. Union representatives said the study was the
main demand from the start of the dispute.</p>
<p>Shipping agents expect the backlog to take at least a week to clear. Several importers had
diverted cargo to the southern terminal, where capacity was already stretched by seasonal fruit
deliveries.</p>
<p>The port authority said it would publish the terms of reference for the study within a
fortnight and invite comment from residents living near the terminal.</p>
</article>
</main>
<footer>
<p>Copyright 2024 The Coastal Ledger. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/cookies">Cookie settings</a></p>
</footer>
</body>
</html>
"""

# A page in Latin-1 that says so only in its <meta>, canonical from og:url, language from <meta>.
LATIN1_ARTICLE = """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<meta http-equiv="content-language" content="de-AT">
<meta property="og:url" content="https://alpen.example/artikel/seilbahn">
<title>Seilbahn f\u00e4hrt wieder</title></head>
<body><article>
<h1>Seilbahn f\u00e4hrt wieder</h1>
<p>Nach der Wartung im Fr\u00fchjahr f\u00e4hrt die Seilbahn ab Samstag wieder zur Bergstation.
Die Betreiber rechnen mit gro\u00dfem Andrang an den ersten Wochenenden der Saison.</p>
<p>Tickets gibt es an der Talstation und online; Kinder unter sechs Jahren fahren gratis mit.
Die letzte Talfahrt ist um 17 Uhr, bei Gewitter wird der Betrieb unterbrochen.</p>
</article></body></html>
""".encode("iso-8859-1")


def test_extract_article() -> None:
    page = extract_page(ARTICLE.encode("utf-8"), PAGE_URL)
    assert page is not None
    assert page.title == "Harbour crane strike ends after nine days"
    assert page.author == "Maren Holt"
    assert page.published == datetime(2024, 3, 5, 13, 30, tzinfo=UTC)
    assert page.published.tzinfo is not None
    assert page.canonical_url == "https://ledger.example/news/2024/03/harbour-crane-strike-ends"
    assert page.language == "en"

    text = page.text
    assert text.startswith("Harbour crane strike ends") or text.startswith("Crane operators")
    assert "forty container ships waiting offshore." in text  # whitespace inside paragraphs collapsed
    assert "residents living near the terminal." in text
    # paragraphs are blank-line separated
    assert "\n\nThe agreement, reached late on Monday" in text
    # no navigation or footer boilerplate
    for junk in ("Weather", "Sport", "Privacy policy", "Cookie settings", "All rights reserved"):
        assert junk not in text


def test_extract_from_str_is_the_same() -> None:
    assert extract_page(ARTICLE, PAGE_URL) == extract_page(ARTICLE.encode("utf-8"), PAGE_URL)


def test_extract_latin1_meta_charset_og_url_and_meta_language() -> None:
    page = extract_page(LATIN1_ARTICLE, "https://alpen.example/artikel/seilbahn?ref=home")
    assert page is not None
    assert "Nach der Wartung im Frühjahr fährt die Seilbahn" in page.text
    assert "großem Andrang" in page.text
    assert page.title == "Seilbahn fährt wieder"
    assert page.canonical_url == "https://alpen.example/artikel/seilbahn"
    assert page.language == "de"


def test_no_canonical_no_language_no_date() -> None:
    html = (
        "<html><body><article><p>"
        + "A long paragraph about the weekly farmers market and its new opening hours. " * 6
        + "</p></article></body></html>"
    )
    page = extract_page(html, "https://market.example/a")
    assert page is not None
    assert page.canonical_url is None
    assert page.language is None
    assert page.published is None
    assert "farmers market" in page.text


@pytest.mark.parametrize(
    "garbage",
    [b"", "", b"\x00\xff\xfe garbage", b"<html></html>", "<html><head><title>t</title></head><body></body></html>", b"\x89PNG\r\n\x1a\n" + bytes(200)],
)
def test_extract_returns_none_without_main_text(garbage: bytes | str) -> None:
    assert extract_page(garbage, "https://x.example/") is None


def test_extract_never_raises_on_random_bytes() -> None:
    rng = random.Random(7)
    base = ARTICLE.encode()
    for i in range(60):
        if i % 2:
            body = os.urandom(rng.randint(1, 4000))
        else:
            mutated = bytearray(base)
            for _ in range(rng.randint(1, 40)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            body = bytes(mutated)
        page = extract_page(body, "https://x.example/")
        assert page is None or isinstance(page.text, str)


# ---------------------------------------------------------------- decode_html


def test_decode_html() -> None:
    assert decode_html("already text") == "already text"
    assert decode_html("\ufeffbom".encode("utf-8")) == "bom"
    assert decode_html(b'<meta charset="windows-1252"><p>\x93quoted\x94</p>').endswith("<p>\u201cquoted\u201d</p>")
    # a wrong meta label on UTF-8 bytes
    assert "é" in decode_html('<meta charset="bogus-charset"><p>é</p>'.encode())
    assert "\ufffd" in decode_html(b"<p>\xff\xfe broken</p>")
    # XHTML: the XML declaration names the charset
    assert decode_html('<?xml version="1.0" encoding="iso-8859-1"?><p>f\u00eate</p>'.encode("latin-1")).endswith("<p>f\u00eate</p>")


def test_extract_xhtml_with_xml_declaration() -> None:
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="fr" lang="fr"><head><title>F\u00eate</title></head>'
        "<body><div><p>" + "La f\u00eate du village aura lieu samedi sur la place, avec musique et cr\u00eapes. " * 4
        + "</p></div></body></html>"
    ).encode("iso-8859-1")
    page = extract_page(body, "https://village.example/fete")
    assert page is not None
    assert "La f\u00eate du village" in page.text and "cr\u00eapes" in page.text
    assert page.language == "fr"


# ---------------------------------------------------------------- html_to_text


def test_html_to_text_paragraphs_and_entities() -> None:
    html = (
        "<p>Ferries &amp; buses   run\n late.</p><p>Second<br>line</p>"
        "<ul><li>one</li><li>two</li></ul><script>track()</script><style>p{}</style>tail &nbsp;text"
    )
    assert html_to_text(html) == "Ferries & buses run late.\n\nSecond\nline\n\none\n\ntwo\n\ntail text"


def test_html_to_text_plain_input() -> None:
    assert html_to_text("  just   text\n\n\n with  gaps ") == "just text\n\nwith gaps"
    assert html_to_text("x < y and AT&T") == "x < y and AT&T"
    assert html_to_text("") == ""


def test_html_to_text_inline_markup_and_comments() -> None:
    assert html_to_text("<div>An <b>important</b> <!-- hidden --><a href='/x'>link</a>.</div>") == "An important link."


def test_html_to_text_tables_and_headings() -> None:
    text = html_to_text("<h2>Scores</h2><table><tr><td>Home</td><td>2</td></tr><tr><td>Away</td><td>1</td></tr></table>")
    assert text == "Scores\n\nHome 2\n\nAway 1"


def test_html_to_text_garbage() -> None:
    assert isinstance(html_to_text("<<<>>>&&&;;</p></div>\x00"), str)
    assert html_to_text("<?xml version='1.0'?><p>x</p>") == "x"
