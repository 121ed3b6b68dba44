from __future__ import annotations

import pytest

from bot.errors import InvalidURLError
from bot.ingest.urls import MAX_URL_LENGTH, content_hash, normalize_url, validate_source_url

# ---------------------------------------------------------------- normalize_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # scheme and host case, default port, fragment
        ("HTTP://News.Example.COM:80/World/Story-1#comments", "https://news.example.com/World/Story-1"),
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        # http and https are the same article
        ("http://news.example.com/a", "https://news.example.com/a"),
        # empty path
        ("https://news.example.com", "https://news.example.com/"),
        ("https://news.example.com?", "https://news.example.com/"),
        # a non-default port stays
        ("https://news.example.com:8443/a", "https://news.example.com:8443/a"),
        ("http://news.example.com:8080/a", "https://news.example.com:8080/a"),
        # path case is kept, dot segments resolved
        ("https://news.example.com/A/./b/../C", "https://news.example.com/A/C"),
        # trailing dot on the host
        ("https://news.example.com./a", "https://news.example.com/a"),
        # IDNA host
        ("https://bücher.example/neu", "https://xn--bcher-kva.example/neu"),
        ("https://BÜCHER.example/neu", "https://xn--bcher-kva.example/neu"),
        # credentials are dropped
        ("https://reader:secret@news.example.com/a", "https://news.example.com/a"),
        # percent escapes upper-cased, not decoded
        ("https://news.example.com/a%2fb?q=%c3%a9", "https://news.example.com/a%2Fb?q=%C3%A9"),
        # IPv6 literal
        ("http://[2001:DB8::1]:8080/x", "https://[2001:db8::1]:8080/x"),
    ],
)
def test_normalize_url_variants(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


def test_tracking_parameters_removed_and_rest_sorted() -> None:
    raw = (
        "https://news.example.com/story?utm_source=rss&utm_medium=feed&UTM_Campaign=x&page=2"
        "&fbclid=abc&gclid=1&dclid=2&msclkid=3&mc_cid=4&mc_eid=5&igshid=6&yclid=7"
        "&_hsenc=8&_hsmi=9&ref_src=twsrc&id=17"
    )
    assert normalize_url(raw) == "https://news.example.com/story?id=17&page=2"


def test_param_order_does_not_matter() -> None:
    a = normalize_url("https://news.example.com/s?b=2&a=1&c=3")
    b = normalize_url("https://news.example.com/s?c=3&a=1&b=2&utm_source=x")
    assert a == b == "https://news.example.com/s?a=1&b=2&c=3"


def test_repeated_params_keep_relative_order_and_blank_values() -> None:
    assert normalize_url("https://e.example/s?x=2&a=&x=1") == "https://e.example/s?a=&x=2&x=1"


def test_meaningful_params_are_kept() -> None:
    # courlan would strip these; they often select the article on news sites
    url = "https://e.example/read?source=wire&uid=55&session=3"
    assert normalize_url(url) == "https://e.example/read?session=3&source=wire&uid=55"


def test_all_tracking_query_collapses() -> None:
    assert normalize_url("https://e.example/a?utm_source=x#top") == "https://e.example/a"


def test_normalize_is_idempotent() -> None:
    once = normalize_url("HTTP://Ex.example:80/a/../b?z=1&utm_term=t&a=2#f")
    assert normalize_url(once) == once


@pytest.mark.parametrize("odd", ["https://e.example:abc/x", "https://e.example/%zz?%%=1", "http://e.example/\u00e9t\u00e9"])
def test_odd_input_with_host_does_not_raise(odd: str) -> None:
    assert normalize_url(odd).startswith("https://e.example")


@pytest.mark.parametrize(
    "bad",
    ["ftp://e.example/file", "mailto:someone@example.org", "https:///no-host", "e.example/no-scheme", "", "javascript:alert(1)"],
)
def test_normalize_rejects_non_http_or_hostless(bad: str) -> None:
    with pytest.raises(InvalidURLError):
        normalize_url(bad)


# ---------------------------------------------------------------- validate_source_url


def test_validate_strips_and_returns_unchanged() -> None:
    assert validate_source_url("  https://News.Example.com/feed.xml?x=1 \n") == "https://News.Example.com/feed.xml?x=1"


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("", "empty"),
        ("news.example.com/feed", "scheme"),
        ("ftp://news.example.com/feed", "http"),
        ("https:///feed", "host"),
        ("https://user:pw@news.example.com/feed", "password"),
        ("https://user@news.example.com/feed", "password"),
        ("https://news.example.com/a feed", "spaces"),
        ("https://news.example.com:99999/feed", "port"),
        ("https://news.example.com/" + "a" * MAX_URL_LENGTH, "too long"),
    ],
)
def test_validate_rejects(bad: str, needle: str) -> None:
    with pytest.raises(InvalidURLError) as info:
        validate_source_url(bad)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message


def test_validate_accepts_max_length() -> None:
    url = "https://news.example.com/" + "a" * (MAX_URL_LENGTH - len("https://news.example.com/"))
    assert validate_source_url(url) == url


# ---------------------------------------------------------------- content_hash

LONG = (
    "The council approved the new cycle lanes on Thursday after a long debate about parking. "
    "Work will begin in the spring and should take around four months, the transport office said. "
    "Residents can comment on the detailed plans until the end of the month."
)


def test_hash_is_sha256_hex() -> None:
    h = content_hash("T", LONG)
    assert len(h) == 64 and int(h, 16) >= 0


def test_hash_ignores_whitespace_and_case() -> None:
    variant = "  " + LONG.upper().replace(" ", "  \n\t ") + "\n"
    assert content_hash("A title", LONG) == content_hash("A title", variant)


def test_hash_applies_nfkc() -> None:
    assert content_hash(None, "ﬁnal ＴＥＸＴ") == content_hash(None, "final text")


def test_long_text_ignores_title() -> None:
    assert len(LONG) >= 200
    assert content_hash("Headline one", LONG) == content_hash("Another headline", LONG)


def test_short_text_includes_title() -> None:
    teaser = "Read more inside."
    assert content_hash("Bridge closed", teaser) != content_hash("Market opens", teaser)
    assert content_hash("Bridge  CLOSED", teaser) == content_hash("bridge closed", teaser.upper())


def test_different_text_differs() -> None:
    assert content_hash(None, LONG) != content_hash(None, LONG + " Extra sentence.")
