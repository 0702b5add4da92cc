"""The ledger's bulk and upsert writes: a feed's URLs accepted in one go (known ones skipped,
repeats once, credentials never kept); a download kept twice keeps the later one."""

from sqlalchemy import select

from shared.db import Job, migrate, session_factory
from shared.ledger import Ledger
from shared.models import RawPage


def test_accept_new_registers_each_unknown_url_once(database_url: str) -> None:
    migrate(database_url)
    ledger = Ledger(session_factory(database_url))
    known = ledger.accept("https://news.example/a", "feed")
    ids = ledger.accept_new([("https://news.example/a", {}),
                             ("https://news.example/b", {"source_rate": "2"}),
                             ("https://news.example/b", {"source_rate": "9"}),
                             ("https://user:secret@news.example/c", {})], "feed")
    assert known and ids[0] is None and ids[2] is None
    assert ids[1] and ids[3] and len({ids[1], ids[3]}) == 2
    with ledger.session() as session:
        rows = {job.id: job for job in session.scalars(select(Job))}
    assert rows[ids[1]].url == "https://news.example/b"
    assert rows[ids[1]].hints == {"source_rate": "2"}  # the first mention's hints
    assert "secret" not in rows[ids[3]].url
    assert ledger.accept_new([("https://news.example/b", {})], "feed") == [None]
    assert ledger.accept_new([], "feed") == []


def test_a_page_kept_twice_keeps_the_later_download_and_validators(database_url: str) -> None:
    migrate(database_url)
    ledger = Ledger(session_factory(database_url))
    job_id = ledger.accept("https://news.example/a", "feed")
    assert job_id
    first = RawPage(job_id=job_id, source="feed", url="https://news.example/a",
                    final_url="https://news.example/a", content_type="text/html",
                    body="<p>first</p>", etag='"1"')
    ledger.keep_raw(first)
    with ledger.batch():  # a redelivered message, kept again inside the engine's transaction
        ledger.keep_raw(first.model_copy(update={"body": "<p>second</p>", "etag": '"2"'}))
    kept = ledger.raw_page(job_id)
    assert kept is not None and kept.body == "<p>second</p>"
    assert ledger.validators("https://news.example/a") == {"etag": '"2"', "last_modified": None}
