"""The fixture site's live blogs, against the entries its author wrote down for them.

The site (tests/fixtures/site) is written by another part of the project; until its live
pages and their expected entries exist, these tests skip.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.extract.extract import extract
from tests.unit.test_extract_golden import clean_page

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"
LIVE = sorted((SITE / "live").glob("*.html")) if (SITE / "live").is_dir() else []


def _expected_entries(page: Path) -> list[dict[str, Any]]:
    path = SITE / "_expected" / "live" / f"{page.stem}.json"
    if not path.exists():
        pytest.skip(f"no expected entries for {page.name}")
    data = json.loads(path.read_text("utf-8"))
    entries = data.get("entries") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        pytest.skip(f"unrecognised expected format in {path.name}")
    return entries


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@pytest.mark.skipif(not LIVE, reason="the fixture site has no live blogs yet")
@pytest.mark.parametrize("page", LIVE, ids=[page.name for page in LIVE])
def test_site_live_blog_entries(page: Path) -> None:
    expected = _expected_entries(page)
    article = extract(clean_page(page))
    assert article.is_live_blog and article.page_kind == "live_blog"
    got = [(entry.headline, entry.author, entry.published_at) for entry in article.entries]
    want = [(entry.get("headline"), entry.get("author"), _moment(entry.get("published_at")))
            for entry in expected]
    assert got == want
