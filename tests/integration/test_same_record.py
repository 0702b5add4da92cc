"""The same input gives the same record (properties, on a real SQLite database): ingest, replay
and ingest again the same or grown input in any order, and the revisions and the live blog's
entries converge: a replay run twice in a row, or the same page read twice, changes nothing."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from copydesk.replay import learn_furniture
from services.clean.clean import clean
from services.clean.furniture import MemoryFurniture
from services.extract.extract import extract
from services.store.store import store
from shared.db import ArticleRecord, RevisionRecord, migrate, session_factory
from shared.models import Article, RawPage
from tests.support.workers import copydesk, environment, jsonl
from tests.unit.test_entry_identity import plain_blog

PROPERTY = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
VERSIONS = 4  # the live blog as first seen, then with one, two and three new entries on top
PAGES = 8
# A line the site prints on some of its pages: furniture once enough pages show it.
PROMO = "Follow our live coverage of the war in the app, with alerts for every update."


@contextmanager
def database() -> Iterator[sessionmaker]:
    with TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'copydesk.db'}"
        migrate(url)
        sessions = session_factory(url)
        yield sessions
        sessions.kw["bind"].dispose()


@cache
def blog_version(version: int) -> Article:
    raw = RawPage(job_id=f"v{version}", source="s", url="file:///live.txt",
                  final_url="file:///live.txt", content_type="text/plain",
                  body=plain_blog(extra_entries=version))
    return extract(clean(raw))


def site_page(number: int) -> RawPage:
    """A plain-text page of one site; the promotion line on the even-numbered ones."""
    lines = [f"Report {number}: the council met on day {number} to discuss the budget.",
             f"Members voted {number} times on the {('road', 'school', 'park')[number % 3]} plan "
             f"and the mayor said the result was final."]
    if number % 2 == 0:
        lines.insert(1, PROMO)
    url = f"https://council.example/news/report-{number}"
    return RawPage(job_id=f"p{number}", source="s", url=url, final_url=url,
                   content_type="text/plain", body="\n".join(lines))


def revisions(sessions: sessionmaker) -> dict[str, list[str]]:
    """Every article's revision texts, by URL."""
    with sessions() as session:
        rows = session.execute(select(ArticleRecord.canonical_url, RevisionRecord.text)
                               .join(RevisionRecord, RevisionRecord.article_id == ArticleRecord.id)
                               .order_by(RevisionRecord.revision)).all()
    found: dict[str, list[str]] = {}
    for url, text in rows:
        found.setdefault(url, []).append(text)
    return found


SEED_ENTRIES = 8


def entries(sessions: sessionmaker) -> int:
    with sessions() as session:
        record = session.scalar(select(ArticleRecord))
        assert record is not None
        return len(record.fields["entries"])


@PROPERTY
@given(st.lists(st.integers(0, VERSIONS - 1), min_size=1, max_size=6))
def test_live_blog_entries_converge_whatever_the_order_of_visits(visits: list[int]) -> None:
    with database() as sessions:
        for version in visits:
            store(blog_version(version), sessions)
        # The union of what was seen: the seed's 8 entries (its ninth byline closes the page,
        # with no text after it) and each new one once.
        assert entries(sessions) == SEED_ENTRIES + max(visits)
        before = revisions(sessions)
        again = [*visits, visits[-1]]
        for version in again:  # every version read again, the last one twice
            store(blog_version(version), sessions)
        assert entries(sessions) == SEED_ENTRIES + max(visits)
        store(blog_version(visits[-1]), sessions)
        after_twice = revisions(sessions)
        store(blog_version(visits[-1]), sessions)
        assert revisions(sessions) == after_twice  # the same page twice: no new revision
        assert set(before) == set(after_twice)


def ingest(pages: list[RawPage], sessions: sessionmaker, furniture: MemoryFurniture) -> None:
    for raw in pages:
        store(extract(clean(raw, furniture)), sessions)


def replay(pages: list[RawPage], sessions: sessionmaker) -> None:
    """What `copydesk replay --in-process` does: a fresh index, learned first, then applied."""
    furniture = MemoryFurniture()
    learn_furniture(furniture, sorted(pages, key=lambda raw: raw.url))
    ingest(pages, sessions, furniture)


@PROPERTY
@given(st.permutations(range(PAGES)), st.permutations(range(PAGES)),
       st.permutations(range(PAGES)), st.integers(2, PAGES))
def test_replaying_twice_in_a_row_makes_no_new_revision(
        first: list[int], second: list[int], third: list[int], grown: int) -> None:
    with database() as sessions:
        # Ingested in one order, part of the site first, then all of it (the site grew).
        ingest([site_page(n) for n in first if n < grown], sessions, MemoryFurniture())
        ingest([site_page(n) for n in first], sessions, MemoryFurniture())
        replay([site_page(n) for n in second], sessions)
        once = revisions(sessions)
        replay([site_page(n) for n in third], sessions)
        assert revisions(sessions) == once
        # The promotion line is on half the pages: furniture, cut everywhere after a replay.
        with sessions() as session:
            texts = list(session.scalars(select(ArticleRecord.text)))
        assert len(texts) == PAGES and not any(PROMO in text for text in texts)


class _CouncilSite(BaseHTTPRequestHandler):
    """The council's pages as HTML (site_page's text, a paragraph each line) and a sitemap."""

    def do_GET(self) -> None:
        base = f"http://{self.headers['Host']}"
        if self.path == "/sitemap.xml":
            body = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                    '"http://www.sitemaps.org/schemas/sitemap/0.9">'
                    + "".join(f"<url><loc>{base}/news/report-{n}</loc></url>"
                              for n in range(PAGES)) + "</urlset>")
            kind = "application/xml"
        elif self.path.startswith("/news/report-"):
            number = int(self.path.rsplit("-", 1)[1])
            lines = site_page(number).body.splitlines()
            body = (f"<html><head><title>Report {number}</title></head><body><article>"
                    f"<h1>Report {number}</h1>" + "".join(f"<p>{line}</p>" for line in lines)
                    + "</article></body></html>")
            kind = "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


def test_the_replay_command_learns_the_furniture_first(tmp_path: Path) -> None:
    """`copydesk replay` itself (not a copy of its steps): ingested in order, the promotion line
    stays on the pages read before it counted as furniture; a replay cuts it everywhere (every
    kept page counted first), and a second replay changes nothing."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CouncilSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0")
    try:
        copydesk("run", f"http://127.0.0.1:{server.server_port}/sitemap.xml", env=env,
                 cwd=tmp_path)
    finally:
        server.shutdown()
        server.server_close()

    def archive() -> dict[str, tuple[int, str]]:
        return {r["url"]: (r["revision"], r["text"])
                for r in jsonl(copydesk("export", env=env, cwd=tmp_path).stdout)}

    ingested = archive()
    assert len(ingested) == PAGES
    assert any(PROMO in text for _, text in ingested.values())  # read before it counted
    replays = []
    for _ in range(2):
        copydesk("replay", "--stage", "extract", "--in-process", env=env, cwd=tmp_path)
        replays.append(archive())
    once, twice = replays
    assert not any(PROMO in text for _, text in once.values())
    assert twice == once
