"""normalize_url: one spelling per document."""

import pytest

from services.fetch.urls import absolute_url, normalize_url, same_site


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTP://Example.COM/a", "http://example.com/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/", "https://example.com/"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/news/story/", "https://example.com/news/story"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/%7Euser/%41", "https://example.com/~user/A"),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?utm_source=x&utm_medium=y&id=3", "https://example.com/a?id=3"),
    ("https://example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&igshid=5&ref_src=6",
     "https://example.com/a"),
    ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
    ("https://example.com/a?q=a+b", "https://example.com/a?q=a%20b"),
    ("https://example.com/a?flag", "https://example.com/a?flag="),
    ("https://example.com/a?", "https://example.com/a"),
    ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),
    ("https://Example.com./a", "https://example.com/a"),
    ("  https://example.com/a  ", "https://example.com/a"),
    ("http://[::1]:80/a", "http://[::1]/a"),
])
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize("url", [
    "https://example.com/2024/05/01/a-long-story-slug?id=7",
    "https://example.com/",
    "https://example.com:8443/a%20b?x=1&y=",
])
def test_normalize_url_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once


def test_non_http_urls_come_back_trimmed() -> None:
    assert normalize_url(" mailto:a@example.com ") == "mailto:a@example.com"
    assert normalize_url("/relative/path") == "/relative/path"


def test_absolute_url_resolves_and_normalises() -> None:
    assert absolute_url("https://example.com/news/", "../about/#x") == "https://example.com/about"


def test_same_site_ignores_www() -> None:
    assert same_site("https://www.example.com/a", "https://example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
