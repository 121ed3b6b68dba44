from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime

import pytest

from bot.errors import ParseError
from bot.ingest.parse import discover_feeds, looks_like_html, parse_feed

FEED_URL = "https://harbour.example/news/feed.xml"

RSS20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Harbour Gazette</title>
    <link>https://harbour.example/</link>
    <description>Local news from the harbour district</description>
    <item>
      <title>Ferry timetable changes from Monday</title>
      <link>/news/ferry-timetable</link>
      <guid isPermaLink="false">gazette-1001</guid>
      <description>&lt;p&gt;The morning crossing moves to &lt;b&gt;7:15&lt;/b&gt;.&lt;/p&gt;</description>
      <content:encoded><![CDATA[<p>The morning crossing moves to 7:15.</p><p>Evening sailings are unchanged.</p>]]></content:encoded>
      <pubDate>Tue, 05 Mar 2024 09:30:00 +0100</pubDate>
      <dc:creator>Ines Varga</dc:creator>
    </item>
    <item>
      <title>Lighthouse open day</title>
      <guid>https://harbour.example/news/lighthouse-open-day</guid>
    </item>
    <item>
      <description>An item with nothing to identify it</description>
    </item>
  </channel>
</rss>
"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://valley.example/index.rdf">
    <title>Valley Notes</title>
    <link>https://valley.example/</link>
    <description>Notes from the valley</description>
    <items><rdf:Seq><rdf:li resource="https://valley.example/notes/1"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://valley.example/notes/1">
    <title>Orchard frost warning</title>
    <link>https://valley.example/notes/1</link>
    <description>Growers should cover blossoms tonight.</description>
    <dc:date>2024-04-02T21:00:00Z</dc:date>
    <dc:creator>Tomas Reed</dc:creator>
  </item>
</rdf:RDF>
"""

RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="0.91">
  <channel>
    <title>Caf\xe9 Bulletin</title>
    <link>http://cafe.example/</link>
    <description>Old-school updates</description>
    <language>fr</language>
    <item>
      <title>Cr\xeapes on Friday</title>
      <link>http://cafe.example/crepes.html</link>
      <description>Sweet and savoury.</description>
    </item>
  </channel>
</rss>
"""

ATOM10 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://ridge.example/blog/">
  <title type="html">Ridge &lt;em&gt;Weekly&lt;/em&gt;</title>
  <link rel="self" href="https://ridge.example/blog/atom.xml"/>
  <link rel="alternate" type="text/html" href="./"/>
  <id>urn:uuid:8f0d6a52-1c55-4e43-9c59-2d2fbb6a01aa</id>
  <updated>2024-05-10T08:00:00Z</updated>
  <entry>
    <title>Trail repairs finished</title>
    <link rel="alternate" href="posts/trail-repairs"/>
    <link rel="enclosure" href="media/trail.jpg" type="image/jpeg"/>
    <id>tag:ridge.example,2024:trail-repairs</id>
    <published>2024-05-09T17:45:00+02:00</published>
    <updated>2024-05-10T07:00:00Z</updated>
    <author><name>Ada Kline</name><email>ada@ridge.example</email></author>
    <summary>The upper trail reopens this weekend.</summary>
    <content type="html">&lt;p&gt;The upper trail reopens this weekend after three weeks of work.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Only updated</title>
    <link href="posts/only-updated"/>
    <id>https://ridge.example/blog/posts/only-updated</id>
    <updated>2024-05-08T10:00:00Z</updated>
  </entry>
  <entry>
    <title>Id is not a link</title>
    <id>https://ridge.example/blog/ids/42</id>
  </entry>
</feed>
"""

JSONFEED11 = b"""{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Canal Dispatch",
  "home_page_url": "https://canal.example/",
  "feed_url": "https://canal.example/feed.json",
  "authors": [{"name": "Dispatch Desk"}],
  "items": [
    {
      "id": "2024-06-01-locks",
      "url": "/2024/06/locks-reopen",
      "title": "Locks reopen to boats",
      "content_html": "<p>All six locks are open again.</p>",
      "summary": "All six locks are open again.",
      "date_published": "2024-06-01T06:15:00.25-04:00",
      "authors": [{"name": "Lena Oduya"}, {"name": "Piet Vos"}]
    },
    {"id": 7, "content_text": "A note without a title or url", "date_modified": "2024-06-02T10:00:00Z"},
    {"content_text": "nothing to identify"},
    "not an object"
  ]
}
"""

JSONFEED10 = b"""{
  "version": "https://jsonfeed.org/version/1",
  "title": "Old Dispatch",
  "home_page_url": "https://old.example/",
  "items": [
    {"id": "a", "external_url": "https://elsewhere.example/x", "title": "Linked",
     "content_text": "Text", "author": {"name": "Solo Writer"}}
  ]
}
"""

HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>Harbour Gazette</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="/news/feed.xml">
<link rel="alternate" type="application/atom+xml" href="https://harbour.example/atom.xml">
<link rel="stylesheet" href="/style.css">
<link rel="alternate" hreflang="de" href="/de/">
<link rel="alternate" type="application/rss+xml" href="/news/feed.xml">
<link rel="Alternate Feed" type="application/feed+json; charset=utf-8" href="feed.json">
<link rel="alternate" type="application/rdf+xml" href="javascript:alert(1)">
</head><body><p>Hello</p></body></html>
"""


# ---------------------------------------------------------------- RSS 2.0


def test_rss20() -> None:
    feed = parse_feed(RSS20, url=FEED_URL, content_type="application/rss+xml")
    assert feed.kind == "rss"
    assert feed.title == "Harbour Gazette"
    assert feed.link == "https://harbour.example/"
    assert feed.warning is None
    assert len(feed.items) == 2  # the item with no title, link or guid is skipped

    first, second = feed.items
    assert first.guid == "gazette-1001"
    assert first.link == "https://harbour.example/news/ferry-timetable"  # resolved against the feed URL
    assert first.title == "Ferry timetable changes from Monday"
    assert first.summary is not None and "7:15" in first.summary
    assert first.content is not None and "Evening sailings" in first.content
    assert first.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert first.published.tzinfo is not None
    assert first.author == "Ines Varga"

    # a permalink guid (the default) is the link; no date means None
    assert second.link == "https://harbour.example/news/lighthouse-open-day"
    assert second.guid == "https://harbour.example/news/lighthouse-open-day"
    assert second.published is None
    assert second.summary is None and second.content is None


def test_rss20_relative_links_without_feed_url_stay_relative() -> None:
    feed = parse_feed(RSS20)
    assert feed.items[0].link == "/news/ferry-timetable"


def test_non_permalink_guid_is_not_a_link() -> None:
    body = b"""<rss version="2.0"><channel><title>T</title>
    <item><title>A</title><guid>abc123</guid></item></channel></rss>"""
    (item,) = parse_feed(body, url=FEED_URL).items
    assert item.guid == "abc123"
    assert item.link is None  # not an absolute URL, so not used as one


def test_text_xml_without_charset_is_not_read_as_ascii() -> None:
    body = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Ålesund – nytt</title></channel></rss>'
    feed = parse_feed(body.encode("utf-8"), content_type="text/xml")
    assert feed.title == "Ålesund – nytt"
    assert feed.warning is None


def test_feed_served_as_html_is_still_a_feed() -> None:
    feed = parse_feed(RSS20, url=FEED_URL, content_type="text/html; charset=utf-8")
    assert feed.kind == "rss" and len(feed.items) == 2


def test_control_characters_removed_from_titles() -> None:
    body = b"<rss version='2.0'><channel><item><title>ab\x08cd</title><link>http://x.example/</link></item></channel></rss>"
    (item,) = parse_feed(body).items
    assert item.title == "abcd"


def test_javascript_links_dropped() -> None:
    body = b"<rss version='2.0'><channel><item><title>x</title><link>javascript:alert(1)</link></item></channel></rss>"
    (item,) = parse_feed(body).items
    assert item.link is None


def test_empty_rss_channel_is_an_empty_feed() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel></channel></rss>')
    assert feed.kind == "rss" and feed.items == [] and feed.title is None


# ---------------------------------------------------------------- RSS 1.0 and 0.91


def test_rss10_rdf() -> None:
    feed = parse_feed(RSS10, url="https://valley.example/index.rdf")
    assert feed.kind == "rdf"
    assert feed.title == "Valley Notes"
    assert feed.link == "https://valley.example/"
    (item,) = feed.items
    assert item.title == "Orchard frost warning"
    assert item.link == "https://valley.example/notes/1"
    assert item.published == datetime(2024, 4, 2, 21, 0, tzinfo=UTC)
    assert item.author == "Tomas Reed"
    assert item.summary == "Growers should cover blossoms tonight."


def test_rss091_latin1() -> None:
    feed = parse_feed(RSS091, url="http://cafe.example/rss.xml")
    assert feed.kind == "rss"
    assert feed.title == "Café Bulletin"
    (item,) = feed.items
    assert item.title == "Crêpes on Friday"
    assert item.link == "http://cafe.example/crepes.html"
    assert item.published is None
    assert item.guid is None


# ---------------------------------------------------------------- Atom


def test_atom10() -> None:
    feed = parse_feed(ATOM10, url="https://ridge.example/blog/atom.xml")
    assert feed.kind == "atom"
    assert feed.title == "Ridge Weekly"  # type="html" title made plain text
    assert feed.link == "https://ridge.example/blog/"
    assert [i.title for i in feed.items] == ["Trail repairs finished", "Only updated", "Id is not a link"]

    first, second, third = feed.items
    assert first.link == "https://ridge.example/blog/posts/trail-repairs"  # xml:base, not the enclosure
    assert first.guid == "tag:ridge.example,2024:trail-repairs"
    assert first.published == datetime(2024, 5, 9, 15, 45, tzinfo=UTC)  # published wins over updated
    assert first.author == "Ada Kline"
    assert first.summary == "The upper trail reopens this weekend."
    assert first.content is not None and "three weeks" in first.content

    assert second.link == "https://ridge.example/blog/posts/only-updated"
    assert second.published == datetime(2024, 5, 8, 10, 0, tzinfo=UTC)  # falls back to updated

    assert third.link is None  # an Atom id is an identifier, not a link
    assert third.guid == "https://ridge.example/blog/ids/42"
    assert third.published is None


def test_atom_longest_content_wins() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
    <entry><title>E</title><id>e1</id>
      <content type="text">short</content>
    </entry></feed>"""
    (item,) = parse_feed(body).items
    assert item.content == "short"


def test_atom03() -> None:
    body = b"""<feed version="0.3" xmlns="http://purl.org/atom/ns#">
      <title>Old Atom</title><link rel="alternate" type="text/html" href="http://old.example/"/>
      <entry><title>First</title><link rel="alternate" type="text/html" href="http://old.example/1"/>
      <id>http://old.example/1</id><issued>2004-01-02T03:04:05Z</issued><modified>2004-01-03T00:00:00Z</modified></entry>
    </feed>"""
    feed = parse_feed(body)
    assert feed.kind == "atom" and feed.title == "Old Atom" and feed.link == "http://old.example/"
    (item,) = feed.items
    assert item.link == "http://old.example/1"
    assert item.published is not None and item.published.tzinfo is not None


# ---------------------------------------------------------------- JSON Feed


def test_json_feed_11() -> None:
    feed = parse_feed(JSONFEED11, url="https://canal.example/feed.json", content_type="application/feed+json")
    assert feed.kind == "json"
    assert feed.title == "Canal Dispatch"
    assert feed.link == "https://canal.example/"
    assert len(feed.items) == 2
    first, second = feed.items
    assert first.guid == "2024-06-01-locks"
    assert first.link == "https://canal.example/2024/06/locks-reopen"
    assert first.title == "Locks reopen to boats"
    assert first.content == "<p>All six locks are open again.</p>"
    assert first.summary == "All six locks are open again."
    assert first.published == datetime(2024, 6, 1, 10, 15, 0, 250000, tzinfo=UTC)
    assert first.author == "Lena Oduya, Piet Vos"
    assert second.guid == "7"  # numeric ids become strings
    assert second.title is None and second.link is None
    assert second.content == "A note without a title or url"
    assert second.published == datetime(2024, 6, 2, 10, 0, tzinfo=UTC)


def test_json_feed_10_without_content_type() -> None:
    feed = parse_feed(JSONFEED10)
    assert feed.kind == "json"
    (item,) = feed.items
    assert item.link == "https://elsewhere.example/x"  # external_url when there is no url
    assert item.author == "Solo Writer"
    assert item.published is None


@pytest.mark.parametrize("body", [b'{"hello": "world"}', b"[1, 2, 3]", b'{"items": [', b"\xff\xfe{"])
def test_json_that_is_not_a_json_feed(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, content_type="application/json")


# ---------------------------------------------------------------- rejection and recovery


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (HTML_PAGE, "text/html"),
        (HTML_PAGE, None),
        (HTML_PAGE, "application/rss+xml"),  # the bytes win over a wrong label
        (b"<html><head><title>x</title></head><body><p>hi</p></body></html>", None),
        (b"Just some plain text, no markup at all.", "text/plain"),
        (b"", None),
        (b"   \n\t ", "application/rss+xml"),
        (b"\x00\x01\x02\x03garbage\xff\xfe", None),
        (b"<not-a-feed><x/></not-a-feed>", "application/xml"),
    ],
)
def test_not_a_feed(body: bytes, content_type: str | None) -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(body, content_type=content_type)
    assert str(info.value)


def test_bytes_are_never_opened_as_a_file_name(tmp_path) -> None:
    target = tmp_path / "secret.xml"
    target.write_bytes(b'<rss version="2.0"><channel><title>SECRET</title></channel></rss>')
    with pytest.raises(ParseError):
        parse_feed(str(target).encode())


def test_malformed_feed_with_entries_returns_warning() -> None:
    body = b"""<rss version="2.0"><channel><title>Broken & Co</title>
    <item><title>Still here</title><link>http://b.example/1</link></item>
    <item><title>Unclosed"""
    feed = parse_feed(body)
    assert feed.warning
    assert feed.title == "Broken & Co"
    assert feed.items[0].title == "Still here"


def test_nested_entities_are_not_expanded() -> None:
    lol = b"".join(
        b'<!ENTITY l%d "%s">\n' % (i, b"".join(b"&l%d;" % (i - 1) for _ in range(10)) if i else b"lol")
        for i in range(9)
    )
    body = b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + lol + b']>\n<rss version="2.0"><channel><title>&l8;</title></channel></rss>'
    start = time.perf_counter()
    try:
        feed = parse_feed(body)
    except ParseError:
        pass
    else:
        assert len(feed.title or "") < 1000
    assert time.perf_counter() - start < 5


def test_simple_declared_entities_still_work() -> None:
    body = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY co "Harbour Co">]>
<rss version="2.0"><channel><title>A&nbsp;B &co;</title></channel></rss>"""
    assert parse_feed(body).title == "A B Harbour Co"


def test_random_bytes_only_raise_parse_error() -> None:
    rng = random.Random(20240601)
    seeds = [RSS20, ATOM10, JSONFEED11, RSS10]
    for i in range(200):
        if i % 2:
            body = os.urandom(rng.randint(1, 2000))
        else:
            mutated = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(1, 20)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            body = bytes(mutated)
        try:
            parse_feed(body, url=FEED_URL, content_type=rng.choice([None, "text/xml", "application/json", "text/html"]))
        except ParseError:
            pass


# ---------------------------------------------------------------- looks_like_html


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (HTML_PAGE, None, True),
        (b"\xef\xbb\xbf  <!-- hi --><html><body></body></html>", None, True),
        (b"<div>fragment</div>", None, True),
        (b"anything", "text/html; charset=utf-8", True),
        (RSS20, "text/html", False),
        (ATOM10, None, False),
        (RSS10, None, False),
        (JSONFEED11, "text/html", False),
        (b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "x" "y"><rss><channel/></rss>', None, False),
        (b"plain words", "text/plain", False),
    ],
)
def test_looks_like_html(body: bytes, content_type: str | None, expected: bool) -> None:
    assert looks_like_html(body, content_type) is expected


# ---------------------------------------------------------------- discovery


def test_discover_feeds_order_absolute_dedupe() -> None:
    found = discover_feeds(HTML_PAGE, "https://harbour.example/news/")
    assert found == [
        "https://harbour.example/news/feed.xml",
        "https://harbour.example/atom.xml",
        "https://harbour.example/news/feed.json",
    ]


def test_discover_feeds_str_and_base_element() -> None:
    page = """<html><head><base href="https://cdn.example/site/">
    <link rel="alternate" type="application/json" href="feed.json">
    <link rel="alternate" type="application/rdf+xml" href="/index.rdf"></head><body></body></html>"""
    assert discover_feeds(page, "https://www.example/") == [
        "https://cdn.example/site/feed.json",
        "https://cdn.example/index.rdf",
    ]


@pytest.mark.parametrize("page", [b"", "", b"\x00\xff\x00", "<html><head></head></html>", "no html here"])
def test_discover_feeds_nothing(page: bytes | str) -> None:
    assert discover_feeds(page, "https://www.example/") == []
