"""Golden tests on real pages, one or two per class of body that extractors get wrong.

tests/fixtures/clean/pages holds real pages from the two development corpora (pages.json says
which, and each page's class): a short article, an article beside a big link block, a post
under a long comment thread, table bodies and a list body. golden_pages/ holds what clean()
makes of each (tests/fixtures/clean/regenerate.py writes it; read the diff before committing).
The checks after the golden comparison use the corpora's own annotations instead, so a golden
regenerated carelessly cannot hide a lost paragraph: fundus80's hand-checked body, or
trafilatura's snippets that must and must not appear.
"""

import gzip
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from services.clean.clean import clean
from shared.models import CleanPage, RawPage
from tests.unit.test_clean_seeds import snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clean"
PAGES = json.loads((FIXTURES / "pages" / "pages.json").read_text("utf-8"))
GOLDEN = FIXTURES / "golden_pages"
FETCHED = datetime(2025, 1, 1)
_WORD = re.compile(r"\w+")


def raw_page(name: str) -> RawPage:
    """A saved page as the fetch stage hands it on."""
    html = gzip.decompress((FIXTURES / "pages" / f"{name}.html.gz").read_bytes())
    url = PAGES[name]["url"]
    return RawPage(job_id=name, source="pages", url=url, final_url=url,
                   body=html.decode("utf-8", "replace"), fetched_at=FETCHED)


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


def _cleaned(name: str) -> CleanPage:
    return clean(raw_page(name))


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text)
    return Counter(tuple(tokens[i:i + 4]) for i in range(max(len(tokens) - 3, 1)))


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(PAGES))
def test_golden(name: str) -> None:
    expected = json.loads(golden_path(name).read_text("utf-8"))
    assert snapshot(_cleaned(name)) == expected


TRUTHS = sorted(name for name, page in PAGES.items() if "truth" in page)
SNIPPETS = sorted(name for name, page in PAGES.items() if "with" in page)


@pytest.mark.parametrize("name", TRUTHS)
def test_the_hand_checked_body_is_kept_and_little_else(name: str) -> None:
    # fundus80's truth leaves tables out: a table body's rows are checked on their own below
    text = "\n\n".join(p for p in _cleaned(name).paragraphs if " | " not in p)
    kept, truth = _shingles(text), _shingles("\n\n".join(PAGES[name]["truth"]))
    shared = sum((kept & truth).values())
    assert shared / sum(truth.values()) >= 0.95, PAGES[name]["class"]
    assert shared / sum(kept.values()) >= 0.9, PAGES[name]["class"]


@pytest.mark.parametrize("name", SNIPPETS)
def test_every_body_snippet_kept_and_no_furniture(name: str) -> None:
    text = _flat(_cleaned(name).text)
    assert [s for s in PAGES[name]["with"] if _flat(s) not in text] == []
    assert [s for s in PAGES[name]["without"] if _flat(s) in text] == []


def test_a_table_body_keeps_a_row_a_paragraph() -> None:
    paragraphs = _cleaned("CNBC_4").paragraphs
    # read off the page: the list of honourees is a table of name, company and title
    assert "Name | Company | Title" in paragraphs
    assert "Revathi Advaithi | Flex | Chief Executive Officer" in paragraphs
    assert sum(paragraph.count(" | ") == 2 for paragraph in paragraphs) >= 40


def test_a_list_body_keeps_each_item() -> None:
    paragraphs = _cleaned("greator.com.innerezufriedenheit").paragraphs
    # read off the page: "10 Tipps für innere Zufriedenheit:" heads a list of ten tips
    tips = paragraphs.index("10 Tipps für innere Zufriedenheit:")
    items = paragraphs[tips + 1:tips + 11]
    assert items[0].startswith("Setze dir klare Ziele")
    assert items[-1].startswith("Suche professionelle Hilfe")
