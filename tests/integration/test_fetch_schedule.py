"""Scheduled runs with real processes: two `copydesk beat`s at once over one sources.toml, a
worker for every stage, the fixture site's server, Redis and PostgreSQL.

The source is a small RSS feed on the fixture site, looked at every few seconds. Each slot must
be run once although two beats schedule it; a run that finds the feed unchanged (304) closes
as "unchanged" and costs nothing else; a run after the feed changed fetches only the new
article; the source's own rate and `since` reach the fetch service.
"""

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from services.fetch.urls import normalize_url
from shared.db import Job
from shared.ledger import Ledger
from shared.runtime import ledger as make_ledger
from shared.settings import Settings
from tests.support.fixture_server import FixtureSite
from tests.support.services import RedisServer, postgres_database
from tests.support.workers import COPYDESK, copydesk, environment, running_workers, wait_for

PERIOD = 5  # seconds; a run must start within one period of its slot for the checks below
FEED = "/feeds/scheduled.xml"
FIRST = ["/world/2024/11/15/journalist-detained-in-cork-released-on-bail-after-international",
         "/world/2024/11/14/drought-forces-porto-to-ration-tap-water-to-six"]
LATER = "/science/2024/11/16/fossil-of-feathered-dinosaur-found-in-quarry-near-uppsala"
OLD = "/sport/2024/10/18/runner-sets-course-record-at-limerick-marathon"  # before `since`
DATES = {FIRST[0]: "Fri, 15 Nov 2024 09:00:00 GMT", FIRST[1]: "Thu, 14 Nov 2024 09:00:00 GMT",
         LATER: "Sat, 16 Nov 2024 09:00:00 GMT", OLD: "Fri, 18 Oct 2024 09:00:00 GMT"}


def feed(paths: list[str]) -> str:
    items = "".join(f"<item><title>{path}</title><link>{{BASE}}{path}</link>"
                    f"<pubDate>{DATES[path]}</pubDate></item>" for path in paths)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Scheduled</title>'
            f"<link>{{BASE}}/</link>{items}</channel></rss>")


def source_jobs(ledger: Ledger, url: str) -> list[Job]:
    with ledger.session() as session:
        return list(session.scalars(select(Job).where(Job.url == url).order_by(Job.created_at)))


def status_report(env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """What `copydesk status` reports, read in a process with the workers' settings."""
    code = "import json; from copydesk import queries; print(json.dumps(queries.status_report()))"
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, text=True,
                            capture_output=True, timeout=60, check=True)
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two beats and the workers, the feed changed once in between; what happened."""
    workdir = tmp_path_factory.mktemp("schedule")
    server = RedisServer(workdir / "redis").start()
    try:
        with FixtureSite() as site, postgres_database() as database:
            yield _run(site, database, server, workdir)
    finally:
        server.stop(kill=True)


def _run(site: FixtureSite, database: str, server: RedisServer,
         workdir: Path) -> dict[str, Any]:
    site.set_override(FEED, feed([*FIRST, OLD]), "application/rss+xml")
    sources = workdir / "sources.toml"
    sources.write_text(f'[[source]]\nname = "courier"\nurl = "{site.url(FEED)}"\n'
                       f'every = "{PERIOD}s"\nrate = 40\nsince = 2024-11-01\n')
    env = environment(database, server.url)
    copydesk("status", env=env, cwd=workdir)  # migrates the database once, before the workers
    ledger = make_ledger(Settings(database_url=database))
    feed_url = normalize_url(site.url(FEED))
    beats: list[subprocess.Popen[bytes]] = []
    with running_workers(env, workdir, stages=("all",)) as workers:
        try:
            for number in range(2):
                log = (workdir / f"beat-{number}.log").open("ab")
                beats.append(subprocess.Popen([COPYDESK, "beat", "--sources", str(sources)],
                                              env=env, cwd=workdir, stdout=log,
                                              stderr=subprocess.STDOUT))
            # Two runs of the first feed (the second a 304), then a change and two more.
            wait_for(lambda: len(source_jobs(ledger, feed_url)) >= 2, 60, "two runs")
            site.set_override(FEED, feed([LATER, *FIRST, OLD]), "application/rss+xml")
            changed_at = time.time()
            wait_for(lambda: len(source_jobs(ledger, feed_url)) >= 5, 60, "three more runs")
        finally:
            for beat in beats:
                beat.terminate()
                beat.wait(20)
        wait_for(lambda: ledger.counts().get("open", 0) == 0, 60, "every job to end")
        assert all(p.poll() is None for p in workers.processes.values()), workers.logs()
    own_interval = redis.Redis.from_url(server.url).get("copydesk:rate:127.0.0.1:own")
    return {"site": site, "jobs": source_jobs(ledger, feed_url), "changed_at": changed_at,
            "status": status_report(env, workdir),
            "beat_logs": [(workdir / f"beat-{n}.log").read_text() for n in range(2)],
            "own_interval": own_interval, "ledger": ledger}


def test_each_slot_runs_once_with_two_beats(runs: dict[str, Any]) -> None:
    jobs = runs["jobs"]
    slots = [int(job.created_at.timestamp() // PERIOD) for job in jobs]
    assert len(set(slots)) == len(slots), f"a slot ran twice: {slots}"
    assert runs["site"].hits.count(FEED) == len(jobs)  # one feed request per run
    # Both beats were live and sending: each found slots the other had claimed.
    for log in runs["beat_logs"]:
        assert "started by another beat" in log


def test_an_unchanged_feed_is_a_304_counted_as_unchanged(runs: dict[str, Any]) -> None:
    statuses = [job.status for job in runs["jobs"]]
    assert statuses[0] == "expanded" and "unchanged" in statuses
    assert statuses.count("expanded") == 2  # the first look and the one after the change
    assert runs["status"]["jobs"]["unchanged"] == statuses.count("unchanged")


def test_later_runs_fetch_only_new_articles(runs: dict[str, Any]) -> None:
    site = runs["site"]
    for path in (*FIRST, LATER):
        assert site.hits.count(path) == 1, path  # never fetched again by a later run
    assert [hit.time for hit in site.hits if hit.path == LATER]  # fetched after the change
    assert runs["status"]["jobs"]["stored"] == 3
    assert runs["status"]["jobs"]["open"] == 0


def test_the_sources_own_settings_reach_the_fetch_service(runs: dict[str, Any]) -> None:
    assert runs["site"].hits.count(OLD) == 0  # `since` skipped the old entry
    assert runs["own_interval"] is not None  # `rate` was set for the feed's host
    assert abs(float(runs["own_interval"]) - 1.05 / 40) < 1e-9
