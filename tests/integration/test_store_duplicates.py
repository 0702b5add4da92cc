"""Duplicates at store time, through the band tables of a real database."""

import json
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from unittest.mock import patch

import pytest
import sqlalchemy as sa

from services.store.dedupe import signature
from services.store.duplicates import _candidates
from services.store.store import store
from shared import minhash
from shared.db import ArticleRecord, migrate, session_factory
from shared.ledger import Ledger
from shared.minhash import STORY_WINDOW
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


def _store_at(ledger: Ledger, key: str, fetched_at: datetime, n: int) -> int:
    texts = {item["id"]: item["text"] for item in DATA["items"]}
    article = Article(job_id=f"j{n}", source="s", url=f"https://news.example/{key}/{n}",
                      canonical_url=f"https://news.example/{key}/{n}", text=texts[key],
                      content_hash=str(n), published_at=fetched_at, fetched_at=fetched_at)
    return store(article, ledger.sessions).article_id


def _story_key_owners(ledger: Ledger) -> set[int]:
    with ledger.session() as session:
        return set(session.scalars(sa.text("SELECT DISTINCT article_id FROM story_keys")))


def test_rewrites_share_a_story_within_the_window_and_copies_are_found_at_any_age(
        ledger: Ledger) -> None:
    """A rewrite fetched past STORY_WINDOW starts a story of its own; a copy still finds its
    original a year on, through the near keys that are kept for ever."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    first = _store_at(ledger, "kupiansk-breach", start, 0)
    within = _store_at(ledger, "kupiansk-why", start + STORY_WINDOW - timedelta(days=1), 1)
    late = _store_at(ledger, "kupiansk-disguise", start + 3 * STORY_WINDOW, 2)
    copy = _store_at(ledger, "kupiansk-breach-wire-copy", start + timedelta(days=365), 3)
    with ledger.session() as session:
        records = {article_id: session.get(ArticleRecord, article_id)
                   for article_id in (first, within, late, copy)}
    assert records[within].cluster_id == first  # type: ignore[union-attr]
    assert records[late].cluster_id == late  # type: ignore[union-attr]
    assert records[copy].duplicate_of == first  # type: ignore[union-attr]


def test_each_store_removes_story_keys_that_fell_out_of_the_window(ledger: Ledger) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    old = [_store_at(ledger, key, start + timedelta(hours=n), n)
           for n, key in enumerate(("odesa-attack", "kupiansk-why", "kupiansk-breach"))]
    assert _story_key_owners(ledger) == set(old)
    with patch("services.store.duplicates.PRUNE_BATCH", 2):  # two of the three per store
        newer = _store_at(ledger, "kupiansk-disguise", start + 2 * STORY_WINDOW, 3)
        assert _story_key_owners(ledger) == {old[2], newer}  # the oldest first
        newest = _store_at(ledger, "odesa-attack-trimmed", start + 2 * STORY_WINDOW, 4)
    assert _story_key_owners(ledger) == {newer, newest}
    with ledger.session() as session:  # the near keys of every article stay
        owners = set(session.scalars(sa.text("SELECT DISTINCT article_id FROM article_keys")))
    assert owners == {*old, newer, newest}
    with ledger.session() as session:  # and the copy of an expired article is still found
        trimmed = session.get(ArticleRecord, newest)
        assert trimmed is not None and trimmed.duplicate_of == old[0]


def test_a_busy_story_compares_the_rewrites_that_share_the_most_keys(ledger: Ledger) -> None:
    """Past STORY_CANDIDATES story candidates, a check compares those sharing the most story
    band keys with the new article, which are the rewrites closest to it."""
    texts = {item["id"]: item["text"] for item in DATA["items"]}
    words, other = texts["kupiansk-breach"].split(), texts["kupiansk-why"].split()
    now = datetime.now(UTC)
    ids = []
    for n, kept in enumerate((0.9, 0.75, 0.6, 0.45)):  # ever less of the text, the rest other
        cut = int(kept * len(words))
        body = " ".join(words[:cut] + other[:len(words) - cut])
        article = Article(job_id=f"j{n}", source="s", url=f"https://news.example/v{n}",
                          canonical_url=f"https://news.example/v{n}", text=body,
                          content_hash=str(n), fetched_at=now)
        ids.append(store(article, ledger.sessions).article_id)
    sig = signature(texts["kupiansk-breach"])
    keys = minhash.part_keys(sig.near, sig.story)
    window = (now - STORY_WINDOW, now + STORY_WINDOW)
    with ledger.session() as session:
        every = {a.id for a in _candidates(session, 0, keys, window)["story"]}
        assert set(ids[:3]) <= every  # at least three share story keys with it
        with patch("services.store.duplicates.STORY_CANDIDATES", 2):
            capped = [a.id for a in _candidates(session, 0, keys, window)["story"]]
    assert sorted(capped) == ids[:2]
