"""Page kind on real pages: index pages told apart from articles that only look like them.

tests/fixtures/pagekind holds real pages (pages.json says where each comes from): home pages of
news sites, and articles that an index rule mistakes for listings: short items, stories beside
big link blocks, posts under long comment threads. The fixture site's fronts (home, sections)
are listings too. An index must not be stored as an article; an article must never lose its
text to a kind.
"""

import gzip
import json
from pathlib import Path

import pytest

from services.clean.clean import clean
from services.extract.extract import extract
from shared.errors import PermanentError
from shared.models import RawPage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGES = json.loads((FIXTURES / "pagekind" / "pages.json").read_text("utf-8"))
SITE = FIXTURES / "site"
FRONTS = ["", *(path.parent.name + "/" for path in sorted(SITE.glob("*/index.html")))]


def _raw(url: str, html: str) -> RawPage:
    return RawPage(job_id="kind", source="tests", url=url, final_url=url, body=html)


def _page(name: str) -> RawPage:
    html = gzip.decompress((FIXTURES / "pagekind" / f"{name}.html.gz").read_bytes())
    return _raw(PAGES[name]["url"], html.decode("utf-8", "replace"))


INDEXES = sorted(name for name, page in PAGES.items() if page["kind"] == "index")
ARTICLES = sorted(name for name, page in PAGES.items() if page["kind"] == "article")


@pytest.mark.parametrize("name", INDEXES)
def test_a_news_home_page_is_refused_as_an_index(name: str) -> None:
    with pytest.raises(PermanentError) as refused:
        extract(clean(_page(name)))
    assert refused.value.reason == "not_article:index"


@pytest.mark.parametrize("front", FRONTS)
def test_a_section_front_is_no_article(front: str) -> None:
    html = (SITE / front / "index.html").read_text("utf-8")
    with pytest.raises(PermanentError) as refused:
        extract(clean(_raw(f"http://news.example/{front}", html)))
    assert refused.value.reason == "not_article:index"


@pytest.mark.parametrize("name", ARTICLES)
def test_an_article_keeps_its_text_and_kind(name: str) -> None:
    article = extract(clean(_page(name)))
    assert article.page_kind == "article", PAGES[name]["class"]
    assert len(article.text.split()) >= 40
