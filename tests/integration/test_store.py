"""The store and the ledger on real SQLite and PostgreSQL databases."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from services.store.store import store, store_and_close
from shared.db import ArticleRecord, RevisionRecord, migrate, session_factory
from shared.errors import TransientError
from shared.ledger import Ledger
from shared.models import Article, DeadLetter, Entry, RawPage
from shared.records import export_record
from shared.sweeper import sweep


def make_article(job_id: str, text: str = "First paragraph.\n\nSecond paragraph.",
                 entries: tuple[Entry, ...] = ()) -> Article:
    return Article(
        job_id=job_id, source="test", url="https://news.example/a?utm_source=x",
        canonical_url="https://news.example/a", title="A title", authors=("Jane Doe",),
        published_at=datetime(2024, 11, 15, 6, 0, tzinfo=UTC), text=text,
        content_hash=str(hash(text)), fetched_at=datetime.now(UTC), entries=entries,
        is_live_blog=bool(entries))


@pytest.fixture
def ledger(database_url: str) -> Ledger:
    migrate(database_url)
    return Ledger(session_factory(database_url), lease_seconds=60, max_attempts=3)


def test_new_article_then_unchanged_then_revision(ledger: Ledger) -> None:
    first = store(make_article(ledger.accept("https://news.example/a", "test") or ""),
                  ledger.sessions)
    again = store(make_article(ledger.accept("https://news.example/a", "test") or ""),
                  ledger.sessions)
    changed = store(make_article("j3", text="First paragraph.\n\nA new second paragraph."),
                    ledger.sessions)
    assert (first.outcome, again.outcome, changed.outcome) == ("stored", "unchanged", "revised")
    assert first.article_id == again.article_id == changed.article_id
    with ledger.session() as session:
        assert session.query(ArticleRecord).count() == 1
        assert [r.revision for r in session.query(RevisionRecord).order_by("revision")] == [1, 2]
        record = export_record(session.get(ArticleRecord, first.article_id))
    assert record["revision"] == 2
    assert record["text"].endswith("A new second paragraph.")
    assert record["authors"] == ["Jane Doe"]
    assert record["published_at"] == "2024-11-15T06:00:00+00:00"


def test_live_blog_revision_adds_only_new_entries(ledger: Ledger) -> None:
    at = datetime(2024, 11, 15, 6, 0, tzinfo=UTC)
    old = Entry(headline="One", text="Entry one text.", published_at=at)
    new = Entry(headline="Two", text="Entry two text.", published_at=at + timedelta(hours=1))
    store(make_article("j1", text="one", entries=(old,)), ledger.sessions)
    stored = store(make_article("j2", text="two one", entries=(new, old)), ledger.sessions)
    with ledger.session() as session:
        entries = export_record(session.get(ArticleRecord, stored.article_id))["entries"]
    assert [entry["headline"] for entry in entries] == ["Two", "One"]


def test_concurrent_stores_of_one_url_make_one_article(ledger: Ledger) -> None:
    results: list[str] = []
    errors: list[Exception] = []

    def worker(n: int) -> None:
        for _ in range(5):
            try:
                results.append(store(make_article(f"j{n}"), ledger.sessions).outcome)
                return
            except TransientError as error:  # the loser of the insert race retries
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["stored"] + ["unchanged"] * 5
    with ledger.session() as session:
        assert session.query(ArticleRecord).count() == 1


def test_job_closes_once_and_dead_letters_once(ledger: Ledger) -> None:
    stored_job = ledger.accept("https://news.example/a", "test")
    dead_job = ledger.accept("https://news.example/missing", "test")
    assert stored_job and dead_job
    store_and_close(make_article(stored_job), ledger)
    letter = DeadLetter(job_id=dead_job, url="https://news.example/missing", source="test",
                        stage="fetch", reason="http_404", message="404 Not Found")
    assert ledger.dead_letter(letter) is True
    assert ledger.dead_letter(letter) is False
    assert ledger.dead_letter(letter.model_copy(update={"job_id": stored_job})) is False
    assert ledger.begin(stored_job, "store").proceed is False
    assert ledger.counts() == {"stored": 1, "dead": 1}


def test_seen_urls_are_skipped(ledger: Ledger) -> None:
    assert ledger.accept("https://news.example/a", "feed", skip_seen=True)
    assert ledger.accept("https://news.example/a", "feed", skip_seen=True) is None
    assert ledger.seen(["https://news.example/a", "https://news.example/b"]) == {
        "https://news.example/a"}


def test_sweeper_resends_expired_jobs_from_their_kept_raw_page(ledger: Ledger) -> None:
    fetch_job = ledger.accept("https://news.example/f", "test")
    clean_job = ledger.accept("https://news.example/c", "test")
    assert fetch_job and clean_job
    ledger.begin(clean_job, "clean")
    ledger.keep_raw(RawPage(job_id=clean_job, source="test", url="https://news.example/c",
                            final_url="https://news.example/c", body="<p>x</p>", etag='"v1"'))
    sent: list[tuple[str, str]] = []
    later = datetime.now(UTC) + timedelta(seconds=120)
    assert {job.id for job in ledger.expired(now=later)} == {fetch_job, clean_job}
    assert ledger.expired() == []
    ledger.lease = timedelta(seconds=-1)  # every open job is past its lease now
    ledger.renew(fetch_job)
    ledger.renew(clean_job)
    assert sweep(ledger, lambda stage, payload: sent.append((stage, type(payload).__name__))) == 2
    assert sorted(sent) == [("clean", "RawPage"), ("fetch", "FetchJob")]
    assert ledger.validators("https://news.example/c") == {"etag": '"v1"', "last_modified": None}


def test_attempt_cap_counts_per_stage(ledger: Ledger) -> None:
    job = ledger.accept("https://news.example/p", "test")
    assert job
    assert [ledger.begin(job, "extract").attempts for _ in range(3)] == [1, 2, 3]
    assert ledger.begin(job, "store").attempts == 1
