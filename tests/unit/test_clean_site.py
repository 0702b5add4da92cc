"""Golden tests: one fixture-site page per `markup` variant in the manifest, through clean().

tests/fixtures/clean/golden_site holds what clean() must make of each HTML page: written by
tests/fixtures/clean/regenerate.py, then read against the page. The checks after the golden
comparison say the same things without it, from the site's manifest: the paragraph count, the
lede first (the manifest's description), and no headline or furniture kept.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.clean.clean import clean
from shared.models import RawPage
from tests.unit.test_clean_seeds import snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SITE = FIXTURES / "site"
GOLDEN = FIXTURES / "clean" / "golden_site"
MANIFEST = json.loads((SITE / "_expected" / "manifest.json").read_text("utf-8"))
FETCHED = datetime(2025, 1, 1)


def _first_of_each_markup() -> dict[str, dict[str, Any]]:
    pages: dict[str, dict[str, Any]] = {}
    for article in MANIFEST["articles"]:
        if article.get("markup") and not article.get("hostile"):
            pages.setdefault(article["markup"], article)
    return pages


VARIANTS = _first_of_each_markup()


def raw_page(article: dict[str, Any]) -> RawPage:
    """A fixture-site page as the fetch stage hands it on."""
    url = f"http://news.example{article['path']}"
    body = (SITE / f"{article['path'].lstrip('/')}.html").read_text("utf-8")
    return RawPage(job_id=article["path"], source="site", url=url, final_url=url, body=body,
                   fetched_at=FETCHED)


def golden_path(markup: str) -> Path:
    return GOLDEN / f"{markup}.json"


@pytest.mark.parametrize("markup", sorted(VARIANTS))
def test_golden(markup: str) -> None:
    expected = json.loads(golden_path(markup).read_text("utf-8"))
    assert snapshot(clean(raw_page(VARIANTS[markup]))) == expected


@pytest.mark.parametrize("markup", sorted(VARIANTS))
def test_the_manifest_story_and_nothing_else(markup: str) -> None:
    article = VARIANTS[markup]
    page = clean(raw_page(article))
    assert article["title"] not in page.paragraphs
    if article["kind"] == "live_blog":  # every entry's headline and text, newest first
        entries = json.loads((SITE / article["expected_entries"]).read_text("utf-8"))["entries"]
        wanted = [line for entry in entries
                  for line in (entry["headline"], *entry["text"].split("\n\n")) if line]
        assert [p for p in page.paragraphs if p in wanted] == wanted
    else:
        assert len(page.paragraphs) == article["paragraphs"]
        assert page.paragraphs[0] == article["description"]  # the lede, as the site describes it
    furniture = ("Sign up", "Related", "Share", "Advertisement", "©", "Most read", "Comments")
    assert not [p for p in page.paragraphs if p.startswith(furniture)]


def test_every_variant_has_a_golden() -> None:
    assert {"article", "jsonld-only", "match-report", "microdata", "story-body", "wire"} \
        <= set(VARIANTS)
    assert sorted(path.stem for path in GOLDEN.glob("*.json")) == sorted(VARIANTS)
