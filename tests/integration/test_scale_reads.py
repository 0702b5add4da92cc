"""The read paths made for large archives: search pages, status counts, export, migrations
0006 and 0008."""

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from copydesk import queries
from copydesk.export import EncodedRecord, write_csv, write_jsonl
from copydesk.search import parse_cursor, search
from services.store.store import store_and_close
from shared import minhash
from shared.db import MIGRATIONS, ArticleRecord, engine_for, migrate, session_factory
from shared.ledger import Ledger
from shared.models import Article, DeadLetter, Entities, Entity, Entry, Quote
from shared.records import export_record
from shared.settings import get_settings
from tests.support.services import free_port

WORDS = "harbour flood council river bridge"


def make_article(number: int, text: str) -> Article:
    return Article(job_id=f"job-{number}", source=f"source-{number % 2}",
                   url=f"https://news.example/{number}",
                   canonical_url=f"https://news.example/{number}", title=f"Story {number}",
                   published_at=datetime(2025, 3, number + 1, tzinfo=UTC), text=text,
                   content_hash=f"hash-{number}", fetched_at=datetime.now(UTC))


@pytest.fixture
def ledger(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    """A migrated database that the command-line queries (runtime.ledger) also read."""
    monkeypatch.setenv("COPYDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("COPYDESK_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # none
    get_settings.cache_clear()
    migrate(database_url)
    yield Ledger(session_factory(database_url), lease_seconds=60, max_attempts=3)
    get_settings.cache_clear()


def stored(ledger: Ledger, count: int) -> list[int]:
    """`count` articles, the n-th naming the harbour n+1 times among distinct filler."""
    ids = []
    for number in range(count):
        job = ledger.accept(f"https://news.example/{number}", f"source-{number % 2}") or ""
        filler = " ".join(f"word{number}x{i}" for i in range(40))
        text = f"{'harbour ' * (number + 1)}{filler} flood defences"
        ids.append(store_and_close(make_article(number, text).model_copy(
            update={"job_id": job}), ledger).article_id)
    return ids


def test_search_pages_follow_each_other_best_first(ledger: Ledger) -> None:
    ids = stored(ledger, 7)
    pages, after = [], None
    while True:
        page = search(ledger, "harbour", limit=3, after=after)
        if not page:
            break
        pages.append(page)
        after = page[-1]["cursor"]
    hits = [hit for page in pages for hit in page]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(hit["id"] for hit in hits) == sorted(ids)  # each once, none skipped
    ranks = [hit["rank"] for hit in hits]
    assert ranks == sorted(ranks, reverse=True)
    assert hits[0]["id"] == ids[-1]  # the article that names the harbour most
    assert "harbour" in hits[0]["snippet"].lower()
    assert search(ledger, "zeppelinxyzzy") == []


def test_a_cursor_that_is_not_one_is_refused() -> None:
    assert parse_cursor("0.25:17") == (0.25, 17)
    with pytest.raises(ValueError):
        parse_cursor("page-two")


def test_export_reads_every_article_in_batches(ledger: Ledger) -> None:
    ids = stored(ledger, 5)
    records = list(queries.all_articles(batch=2))
    assert [record["id"] for record in records] == ids
    assert records[0]["title"] == "Story 0" and records[0]["text"].startswith("harbour")
    assert records[0]["published_at"] == "2025-03-01T00:00:00+00:00"


ODD = "Zürich — “quoted” \"plain\" back\\slash\ttab\u2028line\x01ctrl\x7f 東京 😀"


def test_export_records_are_the_same_as_python_writes_them(ledger: Ledger) -> None:
    """PostgreSQL writes each JSON line itself: byte for byte the line json.dumps wrote from
    export_record, for odd text, every nested field, times and fields of older stores."""
    tz = timezone(timedelta(hours=5, minutes=30))
    rich = make_article(0, f"{ODD}\n\nsecond paragraph").model_copy(update={
        "title": ODD, "authors": ("Zoë Ångström", 'A "quoted" name'), "tags": ("café", "x"),
        "description": f"line one\n{ODD}", "site_name": "Été", "image": "https://i.example/é",
        "modified_at": datetime(2025, 3, 2, 4, 5, 6, 789, tzinfo=tz),
        "fetched_at": datetime(2025, 3, 2, 4, 5, 6, tzinfo=UTC),
        "date_sources": {"published_at": "json-ld", "modified_at": "meta"},
        "is_live_blog": True, "page_kind": "live_blog",
        "entries": (Entry(headline=ODD, author="Ünal", text="first",
                          published_at=datetime(2025, 3, 1, 9, 0, 0, 120000, tzinfo=tz)),
                    Entry(text="no time"),
                    Entry(headline="h", published_at=datetime(2025, 3, 1, 10), text="naive")),
        "entities": Entities(people=(Entity(name="Zoë", mentions=3),),
                             places=(Entity(name="東京"),)),
        "quotes": (Quote(speaker=None, text=ODD), Quote(speaker="Zoë", text="yes"))})
    plain = make_article(1, "plain text").model_copy(update={"title": None,
                                                             "published_at": None})
    copy = make_article(2, f"{ODD}\n\nsecond paragraph").model_copy(update={"title": "copy"})
    ids = [store_and_close(article, ledger).article_id for article in (rich, plain, copy)]
    older = {"authors": ["x"], "entities": {"people": [{"name": "n", "mentions": 1}]},
             "entries": [{"headline": None, "published_at": "2025-03-01T10:00:00", "text": "t"}],
             "quotes": [], "date_sources": {}}
    with ledger.session() as session:  # the fields of stores from before the entities, etc.
        session.execute(sa.update(ArticleRecord).where(ArticleRecord.id == ids[1])
                        .values(fields={}))
        session.execute(sa.update(ArticleRecord).where(ArticleRecord.id == ids[2])
                        .values(fields=older))
    with ledger.session() as session:
        expected = [export_record(session.get(ArticleRecord, article_id))  # type: ignore[arg-type]
                    for article_id in ids]
    records = list(queries.all_articles(batch=2))
    assert expected[2]["duplicate_of"] == ids[0] and expected[0]["entries"][2]["published_at"]
    assert [dict(record) for record in records] == expected
    out = io.StringIO()
    assert write_jsonl(records, out) == 3
    assert out.getvalue() == "".join(json.dumps(record, ensure_ascii=False) + "\n"
                                     for record in expected)
    as_csv, expected_csv = io.StringIO(), io.StringIO()
    write_csv(records, as_csv)
    write_csv(expected, expected_csv)
    assert as_csv.getvalue() == expected_csv.getvalue()
    if ledger.sessions.kw["bind"].dialect.name == "postgresql":  # written by PostgreSQL
        assert all(isinstance(record, EncodedRecord) for record in records)


def test_status_counts_jobs_and_the_last_run_of_each_source(ledger: Ledger) -> None:
    stored(ledger, 4)
    ledger.accept("https://news.example/open", "source-0")
    gone = ledger.accept("https://news.example/gone", "source-1") or ""
    ledger.dead_letter(DeadLetter(job_id=gone, url="https://news.example/gone",
                                  source="source-1", stage="fetch", reason="http_404",
                                  message="404"))
    report = queries.status_report()
    assert {k: v for k, v in report["jobs"].items() if v} == {"open": 1, "stored": 4, "dead": 1}
    assert sorted(report["sources"]) == ["source-0", "source-1"]
    assert report["sources"]["source-0"]["new_articles_24h"] == 2
    assert report["sources"]["source-0"]["last_run"] is not None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_status_estimates_closed_jobs_of_a_large_table(ledger: Ledger, database_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    stored(ledger, 6)
    ledger.accept("https://news.example/open", "source-0")
    with engine_for(database_url).begin() as conn:
        conn.execute(sa.text("ANALYZE jobs"))
    monkeypatch.setattr(queries, "EXACT_BELOW", 1)  # this table counts as large
    with ledger.session() as session:
        counts = queries.job_counts(session)
    assert counts["stored"] == 6  # from the statistics: ANALYZE read every row of so few
    assert counts["open"] == 1 and counts["dead"] == 0  # counted


def _alembic(database_url: str) -> tuple[Config, Engine]:
    """Alembic's config on the test's database, to step through single migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    config.attributes["engine"] = engine = engine_for(database_url)
    return config, engine


def test_migration_0006_resigns_stored_articles(database_url: str) -> None:
    config, engine = _alembic(database_url)
    command.upgrade(config, "0004")
    text = "The council approved new flood defences for the harbour on Tuesday evening."
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO articles (id, canonical_url, url, source, text, content_hash, fields, "
            "signature, page_kind, is_live_blog, revision, fetched_at, created_at, updated_at) "
            "VALUES (1, 'u', 'u', 's', :text, 'h', '{}', :old, 'article', false, 1, :now, "
            ":now, :now)"), {"text": text, "old": b"\0" * 1536, "now": now})
    command.upgrade(config, "0007_console_indexes")  # 0008 splits the keys: tested below
    near, story = minhash.sign(text)
    with engine.connect() as conn:
        signature = conn.execute(sa.text("SELECT signature FROM articles")).scalar_one()
        if engine.dialect.name == "postgresql":
            keys = conn.execute(sa.text("SELECT keys FROM article_keys")).scalar_one()
        else:
            keys = sorted(conn.execute(sa.text("SELECT band_key FROM article_keys")).scalars())
    assert signature == near.astype("<u4").tobytes() + story.astype("<u4").tobytes()
    assert keys == minhash.band_keys(near, story)
    command.downgrade(config, "0004")  # and back: the old check starts from no signatures
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT signature FROM articles")).scalar_one() is None
    command.upgrade(config, "head")


def test_migration_0008_keeps_story_keys_of_the_last_window_only(database_url: str) -> None:
    config, engine = _alembic(database_url)
    command.upgrade(config, "0007_console_indexes")
    newest = datetime(2025, 12, 31, tzinfo=UTC)
    fetched = {1: newest - timedelta(days=400), 2: newest - timedelta(days=29), 3: newest}
    texts = {n: f"Article {n}: the council approved flood defences, harbour plan {n}."
             for n in fetched}
    with engine.begin() as conn:  # as the store of 0006-0007 kept them: 153 keys in one place
        for n, at in fetched.items():
            near, story = minhash.sign(texts[n])
            conn.execute(sa.text(
                "INSERT INTO articles (id, canonical_url, url, source, text, content_hash, "
                "fields, signature, page_kind, is_live_blog, revision, fetched_at, created_at, "
                "updated_at) VALUES (:id, :url, :url, 's', :text, 'h', '{}', :sig, 'article', "
                "false, 1, :at, :at, :at)").bindparams(sa.bindparam("at", type_=sa.DateTime(
                    timezone=True))), {"id": n, "url": f"u{n}", "text": texts[n], "at": at,
                                       "sig": near.astype("<u4").tobytes()
                                       + story.astype("<u4").tobytes()})
            _insert_keys(conn, n, minhash.band_keys(near, story))
    command.upgrade(config, "0008_story_window")
    with engine.connect() as conn:
        near_keys = _keys_by_article(conn, "article_keys")
        story_keys = _keys_by_article(conn, "story_keys")
    parts = {n: minhash.part_keys(*minhash.sign(texts[n])) for n in fetched}
    assert near_keys == {n: parts[n]["near"] for n in fetched}
    assert story_keys == {n: parts[n]["story"] for n in fetched if n > 1}  # 1: 400 days old
    command.downgrade(config, "0007_console_indexes")  # and back: every key in article_keys
    with engine.connect() as conn:
        everything = _keys_by_article(conn, "article_keys")
    assert everything == {n: minhash.band_keys(*minhash.sign(texts[n])) for n in fetched}


def _insert_keys(conn: sa.Connection, article_id: int, keys: list[int]) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("INSERT INTO article_keys (article_id, keys) VALUES (:id, :keys)"),
                     {"id": article_id, "keys": keys})
    else:
        conn.execute(sa.text("INSERT INTO article_keys (band_key, article_id) VALUES (:key, :id)"),
                     [{"key": key, "id": article_id} for key in keys])


def _keys_by_article(conn: sa.Connection, table: str) -> dict[int, list[int]]:
    if conn.dialect.name == "postgresql":
        return {article_id: sorted(keys) for article_id, keys in conn.execute(
            sa.text(f"SELECT article_id, keys FROM {table}"))}
    out: dict[int, list[int]] = {}
    for key, article_id in conn.execute(sa.text(f"SELECT band_key, article_id FROM {table}")):
        out.setdefault(article_id, []).append(key)
    return {article_id: sorted(keys) for article_id, keys in out.items()}
