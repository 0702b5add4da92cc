"""Golden pages: each saved page in tests/fixtures/extract/pages against its expected JSON.

The expected files are written by tests/fixtures/extract/regenerate.py and reviewed by hand;
a golden that encodes a wrong answer is a defect, so a diff here is read, never just accepted.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from services.extract.extract import extract
from shared.errors import PermanentError
from shared.models import CleanPage, RawPage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extract"
PAGES = sorted((FIXTURES / "pages").glob("*.*"))
# A fixed fetch time, so goldens never depend on when they were made.
FETCHED = datetime(2025, 1, 1, tzinfo=UTC)


def clean_page(path: Path) -> CleanPage:
    """The page as a plain clean stage leaves it: <p> texts outside the furniture, or lines."""
    body = path.read_text(encoding="utf-8")
    url = f"https://fixtures.example/{path.name}"
    if path.suffix == ".txt":
        raw = RawPage(job_id=path.stem, source="golden", url=url, final_url=url,
                      content_type="text/plain", body=body, fetched_at=FETCHED)
        return CleanPage(raw=raw, paragraphs=tuple(line for line in body.splitlines() if line))
    raw = RawPage(job_id=path.stem, source="golden", url=url, final_url=url, body=body,
                  fetched_at=FETCHED)
    tree = lxml.html.document_fromstring(body)
    paragraphs = [" ".join(p.text_content().split()) for p in tree.xpath(
        "//body//p[not(ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside)]")]
    return CleanPage(raw=raw, paragraphs=tuple(text for text in paragraphs if text))


def snapshot(path: Path) -> dict[str, Any]:
    """What extract makes of a page, as JSON: the Article, or the reason it refused the page."""
    try:
        article = extract(clean_page(path))
    except PermanentError as error:
        return {"error": error.reason}
    return article.model_dump(mode="json", exclude={"job_id", "schema_version", "removed"})


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_golden(page: Path) -> None:
    expected = json.loads((FIXTURES / "golden" / f"{page.stem}.json").read_text("utf-8"))
    assert snapshot(page) == expected
