"""The fixture site's live blogs, against the entries its author wrote down for them
(tests/fixtures/site/_expected/live/<page>.json)."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.extract.extract import extract
from tests.unit.test_extract_golden import clean_page

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"
LIVE = sorted((SITE / "live").glob("*.html"))


def _expected_entries(page: Path) -> list[dict[str, Any]]:
    data = json.loads((SITE / "_expected" / "live" / f"{page.stem}.json").read_text("utf-8"))
    entries = data["entries"] if isinstance(data, dict) else data
    assert isinstance(entries, list) and entries
    return entries


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@pytest.mark.parametrize("page", LIVE, ids=[page.name for page in LIVE])
def test_site_live_blog_entries(page: Path) -> None:
    expected = _expected_entries(page)
    article = extract(clean_page(page))
    assert article.is_live_blog and article.page_kind == "live_blog"
    got = [(entry.headline, entry.author, entry.published_at) for entry in article.entries]
    want = [(entry.get("headline"), entry.get("author"), _moment(entry.get("published_at")))
            for entry in expected]
    assert got == want


def test_the_site_has_its_live_blogs() -> None:
    assert len(LIVE) >= 3
