"""The whole system as a user runs it: four stage workers over Redis into PostgreSQL, then the
same sources through `copydesk run` in one process on SQLite.

The fixture site's RSS feed (articles, live blogs and every hostile URL), its Atom feed (one
syndicated copy is only there) and its sitemap index
(the rest of the articles) are submitted twice; the manifest says what each URL must become.
"""

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from shared.records import EXPORT_FIELDS
from tests.support.fixture_server import FixtureSite
from tests.support.services import RedisServer, postgres_database
from tests.support.workers import copydesk, environment, jsonl, running_workers

MANIFEST = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "site" / "_expected"
                       / "manifest.json").read_text())
SOURCES = ("/feeds/rss.xml", "/feeds/atom.xml", "/sitemap_index.xml")
# A 500 is retried before it is given up; few, quick attempts keep the test short.
SETTINGS = {"COPYDESK_MAX_ATTEMPTS": "3"}


def expected_outcomes() -> dict[str, str]:
    """Path -> "ok" or the dead-letter reason, for every URL the two sources lead to."""
    covered = {*SOURCES, *MANIFEST["sitemaps"]}
    return {entry["path"]: entry["expected"]
            for entry in (*MANIFEST["articles"], *MANIFEST["hostile"])
            if covered & set(entry["in"])}


EXPECTED = expected_outcomes()
ARTICLES = {path for path, outcome in EXPECTED.items() if outcome == "ok"}
HOSTILE = {path: outcome for path, outcome in EXPECTED.items() if outcome != "ok"}


def path_of(url: str, site: FixtureSite) -> str:
    assert url.startswith(site.url("/")), url
    return urlsplit(url).path


@pytest.fixture(scope="module")
def distributed(site: FixtureSite, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[dict[str, Any]]:
    """Four workers fed the two sources, twice; what export and dead-letters said after each,
    then what export said after each of two replays of the extract stage on the workers."""
    workdir = tmp_path_factory.mktemp("distributed")
    redis = RedisServer(workdir / "redis").start()
    try:
        with postgres_database() as database:
            env = environment(database, redis.url, **SETTINGS)
            with running_workers(env, workdir) as workers:
                rounds = []
                for _ in range(2):
                    copydesk("submit", *(site.url(s) for s in SOURCES), env=env, cwd=workdir)
                    waited = copydesk("status", "--wait", "--json", "--timeout", "240", env=env,
                                      cwd=workdir, timeout=300)
                    rounds.append({
                        "status": json.loads(waited.stdout.strip().splitlines()[-1]),
                        "export": jsonl(copydesk("export", env=env, cwd=workdir).stdout),
                        "dead": jsonl(copydesk("dead-letters", env=env, cwd=workdir).stdout),
                    })
                replays, replayed = [], []  # extract replayed on the workers, twice in a row
                for _ in range(2):
                    replayed.append(copydesk("replay", "--stage", "extract", env=env, cwd=workdir))
                    copydesk("status", "--wait", "--timeout", "240", env=env, cwd=workdir,
                             timeout=300)
                    replays.append(jsonl(copydesk("export", env=env, cwd=workdir).stdout))
                assert all(p.poll() is None for p in workers.processes.values()), \
                    f"a worker died:\n{workers.logs()}"
            yield {"rounds": rounds, "replays": replays, "replayed": replayed,
                   "workdir": workdir}
    finally:
        redis.stop(kill=True)


def test_every_article_is_stored_exactly_once(distributed: dict[str, Any],
                                              site: FixtureSite) -> None:
    for number, round_ in enumerate(distributed["rounds"], 1):
        paths = Counter(path_of(record["url"], site) for record in round_["export"])
        doubled = {path: count for path, count in paths.items() if count > 1}
        assert not doubled, f"round {number}: stored more than once: {doubled}"
        assert set(paths) == ARTICLES, (f"round {number}: missing {ARTICLES - set(paths)}, "
                                        f"unexpected {set(paths) - ARTICLES}")
        assert round_["status"]["jobs"].get("open", 0) == 0


def test_every_hostile_url_is_a_dead_letter_with_its_reason(distributed: dict[str, Any],
                                                            site: FixtureSite) -> None:
    for round_ in distributed["rounds"]:
        reasons = {path_of(letter["url"], site): letter["reason"] for letter in round_["dead"]}
        assert len(round_["dead"]) == len(reasons), "a URL was dead-lettered twice"
        assert reasons == HOSTILE
        for letter in round_["dead"]:
            assert letter["stage"] and letter["message"] and letter["attempts"] >= 1


def test_second_submission_changes_nothing(distributed: dict[str, Any]) -> None:
    first, second = distributed["rounds"]
    assert second["export"] == first["export"]
    assert second["dead"] == first["dead"]


def test_replaying_on_the_workers_twice_makes_no_new_revision(
        distributed: dict[str, Any]) -> None:
    """The second replay in a row finds every result unchanged (on PostgreSQL, through the
    workers and the furniture counts they share in Redis): no revision, no text moves."""
    for result in distributed["replayed"]:  # sent to the workers, not run here
        assert "replayed" in result.stdout and "note:" not in result.stderr, result.stderr
    once, twice = ({r["url"]: (r["revision"], r["text"], r["entries"]) for r in export}
                   for export in distributed["replays"])
    assert len(once) == len(distributed["rounds"][-1]["export"])
    assert twice == once


def test_export_records_carry_the_contract(distributed: dict[str, Any],
                                           site: FixtureSite) -> None:
    records = {path_of(r["url"], site): r for r in distributed["rounds"][0]["export"]}
    for record in records.values():
        assert list(record) == list(EXPORT_FIELDS)
        assert record["text"] and record["content_hash"] and record["fetched_at"]
        assert record["revision"] == 1
    for article in MANIFEST["articles"]:
        if article.get("hostile") or article["kind"] != "article":
            continue
        record = records[article["path"]]
        assert record["title"] == article["title"]
        assert record["authors"] == article["authors"]
        assert record["published_at"] == article["published_at"]
        assert record["site_name"] == MANIFEST["site"]["name"]
        assert len(record["text"].split("\n\n")) == article["paragraphs"]
    live = [r for path, r in records.items() if path.startswith("/live/")]
    assert live and all(r["is_live_blog"] and len(r["entries"]) >= 3 for r in live)
    for original, copy in MANIFEST["duplicates"]:
        assert records[copy]["duplicate_of"] == records[original]["id"]


def test_copydesk_run_stores_the_same_set(distributed: dict[str, Any], site: FixtureSite,
                                          tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path / 'embedded.db'}", "redis://127.0.0.1:1/0", **SETTINGS)
    ran = copydesk("run", *(site.url(s) for s in SOURCES), env=env, cwd=tmp_path, timeout=600)
    summary = ran.stdout.strip().splitlines()[-1]
    embedded = jsonl(copydesk("export", env=env, cwd=tmp_path).stdout)
    dead = jsonl(copydesk("dead-letters", env=env, cwd=tmp_path).stdout)

    workers = distributed["rounds"][0]["export"]
    assert summary == (f"accepted {len(EXPECTED)}, stored {len(ARTICLES)}, unchanged 0, "
                       f"dead-lettered {len(HOSTILE)}")
    here, there = _comparable(embedded), _comparable(workers)
    assert set(here) == set(there)
    differing = {url: [key for key in here[url] if here[url][key] != there[url][key]]
                 for url in here if here[url] != there[url]}
    assert not differing, differing
    assert {path_of(d["url"], site): d["reason"] for d in dead} == HOSTILE


def _comparable(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The records by URL without what depends on the run (ids, fetch times); a story cluster
    as its members (its id is whichever member was stored first)."""
    ids = {record["id"]: record["url"] for record in records}
    members: dict[int, list[str]] = {}
    for record in records:
        members.setdefault(record["cluster_id"], []).append(record["url"])
    return {record["url"]: {**record, "id": None, "fetched_at": None,
                            "duplicate_of": ids.get(record["duplicate_of"]),
                            "cluster_id": sorted(members[record["cluster_id"]])}
            for record in records}
