"""The extract stage's cheaper paths give what the plainer code they replaced gave.

Each check holds a fast path against the straightforward version written next to it here:
the attribute-axis XPaths against the element-wise ones, the possessive cut against its
regex, the skipped dateline scan against the scan, and the control-free article kept as is.
"""

import gzip
import itertools
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest
from lxml.html import HtmlElement

from services.extract import bylines_html, dates, entities, liveblog, metadata, pagekind
from services.extract.extract import _printable, content_hash
from services.extract.spans import _without_possessive, tokenize
from shared.models import Article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGES = sorted([*(FIXTURES / "extract" / "pages").glob("*.html"),
                *(FIXTURES / "pagekind").glob("*.html.gz")])
# The searches as they were written before, over every element.
ELEMENT_WISE = {
    bylines_html.PAGE_BYLINES: bylines_html.BYLINE_XPATH,
    bylines_html.PAGE_AUTHOR_BOXES: (
        '//*[contains(@class, "author") or contains(@class, "Author") or '
        'contains(@class, "autor") or contains(@class, "Autor") or contains(@class, "auteur") or '
        'contains(@class, "verfasser") or contains(@id, "author") or contains(@class, "Byline")]'),
    pagekind.PAYWALL_BOXES: (
        '//*[contains(@class, "paywall") or contains(@class, "subscri") or '
        'contains(@class, "gate") or contains(@class, "premium") or '
        'contains(@class, "piano") or contains(@id, "paywall")]'),
    pagekind.LOCKED: ('//meta[@property="article:content_tier" and (@content="locked" or '
                      '@content="metered")]|//*[contains(@class, "paywall")]'),
    liveblog.MARKED_UPDATES: '//*[@itemprop="liveBlogUpdate"]',
    pagekind.CHALLENGE_BOXES: (
        '//*[contains(@id, "challenge") or contains(@class, "captcha") or '
        'contains(@class, "g-recaptcha") or contains(@id, "px-captcha")]'),
}
# Every shape of class and id the searches look for, nested, repeated and on one element.
MARKUP = """<html><body class="has-sidebar"><div id="author-box" class="Author autor">
<span rel="author">Jo</span><a itemprop="author" class="byline x">Al</a>
<p data-link-name="byline" class="paywall gate">x</p><div class="captcha"><i id="px-captcha"
class="subscribe premium piano verfasser">y</i></div><em class="Byline auteur"></em>
<b id="challenge-form" class="g-recaptcha">z</b></div>
<meta property="article:content_tier" content="metered"><li itemprop="liveBlogUpdate">u</li>
</body></html>"""


def _tree(path: Path) -> HtmlElement:
    data = path.read_bytes()
    body = gzip.decompress(data) if path.suffix == ".gz" else data
    return lxml.html.document_fromstring(body.decode("utf-8", "replace"))


@pytest.mark.parametrize("path", PAGES, ids=[path.name for path in PAGES])
def test_attribute_searches_find_the_elements_the_element_searches_did(path: Path) -> None:
    tree = _tree(path)
    for search, written in ELEMENT_WISE.items():
        assert search(tree) == tree.xpath(written)


def test_attribute_searches_on_every_shape_of_markup() -> None:
    tree = lxml.html.document_fromstring(MARKUP)
    for search, written in ELEMENT_WISE.items():
        assert search(tree) == tree.xpath(written) != []


def test_visible_texts_are_the_smart_strings_as_plain_ones() -> None:
    for path in PAGES:
        tree = _tree(path)
        assert dates.VISIBLE_TEXTS(tree) == [str(text) for text in tree.xpath(
            "//body//text()[not(ancestor::script or ancestor::style or "
            "ancestor::noscript or ancestor::template)]")]


def test_date_patterns_match_as_without_their_look_ahead() -> None:
    text = ("Posted 2nd March 2024 at 9.36pm (GMT), updated MARCH 3, 2024 10:27 EST; "
            "18.02.2022, 10:27 or 19.2.2020 klo 14.00 and 03/05/2022 20:36 - sept. 9 2021 "
            "ſep 9 2021 x12.12.2012 2024 Feb 30 2024 12:00 jan. 1, 1999")
    for pattern in (dates.TEXT_DATE, dates.NUMERIC_DATE):
        plain = re.compile(pattern.pattern.split(")", 1)[1], pattern.flags)
        found = [match.groupdict() | {"span": match.span()} for match in pattern.finditer(text)]
        assert len(found) > 3
        assert found == [match.groupdict() | {"span": match.span()}
                         for match in plain.finditer(text)]


class _Everything(frozenset[str]):
    def __contains__(self, word: object) -> bool:
        return True


def test_names_are_looked_up_only_where_a_known_name_can_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [path.read_text("utf-8") for path in (FIXTURES / "extract" / "pages").glob("*.txt")]
    texts.append("The Foreign, Commonwealth and Development Office in Kyiv paid 1,000 to the "
                 "University of Rochester and New York's Port Authority, Reading said.")
    skipping = [entities.analyse(text.splitlines()).entities for text in texts]
    monkeypatch.setattr(entities, "_name_starts", lambda gaz: _Everything())
    assert [entities.analyse(text.splitlines()).entities for text in texts] == skipping


def test_possessive_cut_is_the_regex_cut() -> None:
    for size in range(1, 6):
        for letters in itertools.product("as’'S", repeat=size):
            word = "".join(letters)
            assert _without_possessive(word) == re.sub(r"[’']s?$", "", word), word


def test_tokens_mark_sentence_starts_after_title_abbreviations() -> None:
    tokens = tokenize("Mr. Biden’s aide met Mr’s. Gov. Ann. Kyiv-backed U.S. troops")
    assert [(text, opens, possessive) for text, _, opens, possessive in tokens] == [
        ("Mr", True, False), (".", False, False), ("Biden", False, True), ("aide", False, False),
        ("met", False, False), ("Mr", False, True), (".", False, False), ("Gov", False, False),
        (".", False, False), ("Ann", False, False), (".", False, False), ("Kyiv", True, True),
        ("U.S.", False, False), ("troops", False, False)]


ZONE = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(("found", "covers"), [
    ([datetime(2024, 2, 26, 21, 10, tzinfo=UTC), datetime(2024, 2, 26, 21, 10)], True),
    ([datetime(2024, 2, 26, 16, 10, tzinfo=ZONE), datetime(2024, 2, 26, 21, 10)], True),
    ([datetime(2024, 2, 26, 21, 10), datetime(2024, 2, 26, 21, 10, tzinfo=UTC)], True),
    ([datetime(2024, 2, 26, 21, 10), datetime(2024, 2, 26, 16, 10, tzinfo=ZONE)], False),
    ([datetime(2024, 2, 29, 8, 38, tzinfo=ZONE), datetime(2024, 2, 29)], False),
])
def test_first_candidate_covers_the_later_ones(found: list[datetime], covers: bool) -> None:
    candidates = [(moment, "meta") for moment in found]
    assert metadata._first_covers(candidates) is covers
    if covers:  # then no shown time can pick a later candidate over the first
        for shown in (clock for moment in found for clock in dates.wall_clocks(moment)):
            first = next(moment for moment in found if dates.same_wall_clock(moment, shown))
            assert first == found[0]


def _article(title: str) -> Article:
    text = "The harbour reopened on Tuesday."
    return Article(job_id="j", source="s", url="https://example.com/a",
                   canonical_url="https://example.com/a", title=title, text=text,
                   content_hash=content_hash(text), fetched_at=datetime(2025, 1, 1, tzinfo=UTC))


def test_an_article_without_controls_is_kept_as_it_is() -> None:
    article = _article("Harbour reopens")
    assert _printable(article) is article


def test_an_article_with_controls_is_cleaned() -> None:
    clean = _printable(_article("Harbour\x1b]0;pwned\x07 reopens"))
    assert clean.title == "Harbour]0;pwned reopens"
    assert clean.content_hash == content_hash(clean.text)
