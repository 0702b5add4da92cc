"""Duplicates at store time, through the band table of a real database."""

import json
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import pytest

from services.store.store import store
from shared.db import ArticleRecord, migrate, session_factory
from shared.ledger import Ledger
from shared.models import Article

DATA = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "extract"
                   / "duplicates.json").read_text("utf-8"))


@pytest.fixture
def ledger(database_url: str) -> Ledger:
    migrate(database_url)
    return Ledger(session_factory(database_url))


def test_copies_point_at_the_first_seen_and_rewrites_share_a_story(ledger: Ledger) -> None:
    ids: dict[str, int] = {}
    for n, item in enumerate(DATA["items"]):
        article = Article(job_id=f"j{n}", source="s", url=f"https://news.example/{item['id']}",
                          canonical_url=f"https://news.example/{item['id']}", text=item["text"],
                          content_hash=str(n), fetched_at=datetime.now(UTC))
        ids[item["id"]] = store(article, ledger.sessions).article_id
    with ledger.session() as session:
        records = {key: session.get(ArticleRecord, article_id) for key, article_id in ids.items()}
    original = {key: record.duplicate_of or record.id for key, record in records.items()}
    found = {frozenset((a, b)) for a, b in combinations(ids, 2) if original[a] == original[b]}
    expected = {frozenset(pair) for pair in DATA["duplicates"]}
    assert found == expected
    for a, b in expected:
        first, later = sorted((a, b), key=ids.__getitem__)
        assert records[later].duplicate_of == ids[first]
    clustered = {frozenset((a, b)) for a, b in combinations(ids, 2)
                 if records[a].cluster_id == records[b].cluster_id}
    assert clustered == {frozenset(p) for g in DATA["stories"] for p in combinations(g, 2)}


def test_a_copy_stored_before_its_original_is_pointed_at_it_when_it_comes(
        ledger: Ledger) -> None:
    """The original is the earliest published, whichever worker stored first."""
    pair = DATA["duplicates"][0]
    texts = {item["id"]: item["text"] for item in DATA["items"]}
    published = {pair[0]: datetime(2024, 10, 21, 2, 7, tzinfo=UTC),
                 pair[1]: datetime(2024, 10, 21, 5, 48, tzinfo=UTC)}
    ids = {}
    for n, key in enumerate(reversed(pair)):  # the later copy first
        article = Article(job_id=f"j{n}", source="s", url=f"https://news.example/{key}",
                          canonical_url=f"https://news.example/{key}", text=texts[key],
                          content_hash=str(n), published_at=published[key],
                          fetched_at=datetime.now(UTC))
        ids[key] = store(article, ledger.sessions).article_id
    with ledger.session() as session:
        original, copy = (session.get(ArticleRecord, ids[key]) for key in pair)
        assert original is not None and copy is not None
        assert original.duplicate_of is None
        assert copy.duplicate_of == original.id
