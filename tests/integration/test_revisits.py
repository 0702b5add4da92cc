"""Adaptive revisits of live blogs, on a real database."""

from datetime import UTC, datetime, timedelta

import pytest

from services.store.store import store
from shared.db import ArticleRecord, migrate, session_factory
from shared.ledger import Ledger
from shared.models import Article, Entry
from shared.revisits import FASTEST, SLOWEST, after_visit, due_revisits


def live(job_id: str, text: str) -> Article:
    entry = Entry(text=text, published_at=datetime(2024, 11, 15, 6, tzinfo=UTC))
    return Article(job_id=job_id, source="s", url="https://news.example/live",
                   canonical_url="https://news.example/live", text=text, content_hash=text,
                   fetched_at=datetime.now(UTC), is_live_blog=True, page_kind="live_blog",
                   entries=(entry,))


@pytest.fixture
def ledger(database_url: str) -> Ledger:
    migrate(database_url)
    return Ledger(session_factory(database_url))


def test_interval_shrinks_while_changing_and_grows_when_quiet() -> None:
    record = ArticleRecord(is_live_blog=True, updated_at=datetime.now(UTC))
    after_visit(record, changed=True)
    first = record.visit_interval
    after_visit(record, changed=True)
    assert record.visit_interval == max(FASTEST, first // 2)  # type: ignore[operator]
    for _ in range(12):
        after_visit(record, changed=False)
    assert record.visit_interval == SLOWEST
    record.updated_at = datetime.now(UTC) - timedelta(days=3)
    after_visit(record, changed=False)
    assert record.next_visit_at is None  # over: no more visits


def test_stored_live_blog_is_revisited_when_due(ledger: Ledger) -> None:
    stored = store(live("j1", "First entry."), ledger.sessions)
    assert due_revisits(ledger) == []
    with ledger.session() as session:
        record = session.get(ArticleRecord, stored.article_id)
        assert record is not None and record.next_visit_at is not None
        record.next_visit_at = datetime.now(UTC) - timedelta(seconds=1)
    jobs = due_revisits(ledger)
    assert [(job.url, job.hints) for job in jobs] == [
        ("https://news.example/live", {"revisit": str(stored.article_id)})]
    assert jobs[0].job_id and due_revisits(ledger) == []  # pushed back once sent
