"""Metadata, dates and page kinds on small hand-written pages."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.extract import dates
from services.extract.authors import clean_names
from services.extract.extract import content_hash, extract
from services.extract.language import detect_language
from shared.errors import PermanentError
from shared.models import CleanPage, RawPage

URL = "https://news.example/world/2024/11/15/kupiansk-attack"


def _extract(html: str, paragraphs: tuple[str, ...] = ("Some text.",), url: str = URL):
    raw = RawPage(job_id="j", source="s", url=url, final_url=url, body=html)
    return extract(CleanPage(raw=raw, paragraphs=paragraphs))


@pytest.mark.parametrize("value,expected", [
    ("2024-11-15T06:00:00Z", datetime(2024, 11, 15, 6, tzinfo=UTC)),
    ("2024-11-15T06:00:00+0200", datetime(2024, 11, 15, 6, tzinfo=timezone(timedelta(hours=2)))),
    ("Fri, 15 Nov 2024 06:00:00 GMT", datetime(2024, 11, 15, 6, tzinfo=UTC)),
    ("November 15, 2024 6:05 pm EST",
     datetime(2024, 11, 15, 18, 5, tzinfo=timezone(timedelta(hours=-5)))),
    ("15 November 2024 06:00", datetime(2024, 11, 15, 6)),
    ("not a date", None),
])
def test_dates_keep_their_zone(value: str, expected: datetime | None) -> None:
    assert dates.parse(value) == expected


def test_url_date() -> None:
    assert dates.from_url(URL) == datetime(2024, 11, 15)
    assert dates.from_url("https://news.example/2024/02/30/x") is None


def test_author_names_are_cleaned() -> None:
    assert clean_names(["By MELISSA GOLDIN", "Alice Robb; Guardian staff reporter",
                        "jo@example.com (Jo Bloggs)", "Jo Bloggs", "https://x.example/a/b"]) == [
        "Melissa Goldin", "Alice Robb", "Jo Bloggs"]


def test_meta_tags_when_there_is_no_json_ld() -> None:
    article = _extract("""<html lang="de-DE"><head><title>Titel | Site</title>
        <meta property="og:title" content="Angriff auf Kupiansk">
        <meta property="article:published_time" content="2024-11-15T06:00:00+01:00">
        <meta property="og:url" content="/world/kupiansk">
        <meta name="author" content="Von Anna Schmidt"></head><body></body></html>""")
    assert (article.title, article.language, article.canonical_url) == (
        "Angriff auf Kupiansk", "de", "https://news.example/world/kupiansk")
    assert article.published_at == datetime(2024, 11, 15, 6, tzinfo=timezone(timedelta(hours=1)))
    assert article.date_sources == {"published": "meta"}


def test_url_date_when_the_page_has_none() -> None:
    article = _extract("<html><head><title>t</title></head><body><p>x</p></body></html>")
    assert (article.published_at, article.date_sources) == (
        datetime(2024, 11, 15), {"published": "url"})


def test_canonical_to_the_home_page_is_ignored() -> None:
    article = _extract('<html><head><link rel="canonical" href="https://news.example/">'
                       "</head><body></body></html>")
    assert article.canonical_url == URL


def test_missing_fields_are_empty_not_invented() -> None:
    raw = RawPage(job_id="j", source="s", url="file.txt", final_url="file.txt",
                  content_type="text/plain", body="Short note.")
    article = extract(CleanPage(raw=raw, paragraphs=("Short note.",)))
    assert (article.title, article.authors, article.published_at, article.language) == (
        None, (), None, None)


def test_content_hash_ignores_whitespace() -> None:
    assert content_hash("a  b\n\nc") == content_hash("a b c")


def test_plain_text_language() -> None:
    assert detect_language("The army said that the attack on the city was repelled by the "
                           "troops and it is not over") == "en"
    assert detect_language("Die Armee sagte, dass der Angriff auf die Stadt von den Truppen "
                           "abgewehrt wurde und es ist nicht vorbei") == "de"


def test_bot_wall_and_index_are_refused_with_their_kind() -> None:
    with pytest.raises(PermanentError) as wall:
        _extract("<html><head><title>Just a moment...</title></head><body>"
                 "<div id='challenge-form'>Checking your browser</div></body></html>")
    assert wall.value.reason == "not_article:bot_wall"
    links = "".join(f"<li><a href='/a/{n}'>Headline number {n} about the war today</a></li>"
                    for n in range(30))
    with pytest.raises(PermanentError) as index:
        _extract(f"<html><head><title>World</title></head><body><ul>{links}</ul></body></html>",
                 paragraphs=("World news",))
    assert index.value.reason == "not_article:index"


def test_article_with_many_related_links_is_still_an_article() -> None:
    links = "".join(f"<li><a href='/a/{n}'>Related headline number {n}</a></li>"
                    for n in range(20))
    body = tuple("A paragraph of the article that carries its own story. " * 6
                 for _ in range(8))
    article = _extract(f"<html><body><article>...</article><ul>{links}</ul></body></html>", body)
    assert article.page_kind == "article"
