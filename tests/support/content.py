"""Feeds and article pages written for the tests (all text is the project's own)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

WORDS = (
    "council harbour budget minister river station union vote bridge election school hospital "
    "market storm energy port rail court report plan city region talks farmers tariff summit "
    "water police museum airport festival coast island village science grant study mayor"
).split()


@dataclass(frozen=True)
class Item:
    slug: str
    title: str
    link: str
    published: datetime
    summary: str = ""
    guid: str | None = None


def paragraphs(seed: str, n: int = 5) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.randint(3, 5)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(9, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


def article_page(title: str, seed: str, *, author: str = "Test Writer", canonical: str | None = None,
                 published: datetime | None = None, lang: str = "en", feeds: list[str] | None = None) -> bytes:
    published = published or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="{escape(f)}">' for f in feeds or [])
    canon = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs(seed))
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>
{canon}{links}<meta name="author" content="{escape(author)}">
<meta property="article:published_time" content="{published.isoformat()}"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{escape(title)}</h1><p class="byline">By {escape(author)}</p>{body}</article>
<footer>Copyright the test outlet. All rights reserved.</footer></body></html>""".encode()


def items(base: str, prefix: str, n: int, *, start: datetime | None = None) -> list[Item]:
    start = start or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    return [
        Item(
            slug=f"{prefix}-{i}",
            title=f"{prefix.title()} story number {i}",
            link=f"{base}/articles/{prefix}-{i}",
            published=start - timedelta(hours=i),
            summary=f"Summary of {prefix} story {i}.",
        )
        for i in range(n)
    ]


def rss(title: str, entries: list[Item]) -> bytes:
    parts = [
        f"<item><title>{escape(e.title)}</title><link>{escape(e.link)}</link>"
        f"<guid isPermaLink=\"false\">{escape(e.guid or e.slug)}</guid>"
        f"<pubDate>{format_datetime(e.published)}</pubDate><description>{escape(e.summary)}</description></item>"
        for e in entries
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.test/</link><description>t</description>"
        + "".join(parts) + "</channel></rss>"
    ).encode()


def atom(title: str, entries: list[Item]) -> bytes:
    parts = [
        f'<entry><title>{escape(e.title)}</title><link rel="alternate" href="{escape(e.link)}"/>'
        f"<id>urn:test:{escape(e.guid or e.slug)}</id><updated>{e.published.isoformat()}</updated>"
        f"<summary>{escape(e.summary)}</summary></entry>"
        for e in entries
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:feed</id><updated>2026-11-20T12:00:00Z</updated>"
        + "".join(parts) + "</feed>"
    ).encode()


def json_feed(title: str, entries: list[Item]) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "items": [
                {"id": e.guid or e.slug, "url": e.link, "title": e.title, "summary": e.summary,
                 "date_published": e.published.isoformat()}
                for e in entries
            ],
        }
    ).encode()
