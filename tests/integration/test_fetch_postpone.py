"""Politeness costs no attempts: with one attempt allowed per job, pages of a host that is busy
(its shared slots booked beyond what a worker thread may wait) are put back on the queue and
fetched later, not dead-lettered. Real worker processes, Redis, PostgreSQL and fixture site.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from services.fetch.ratelimit import RedisRateLimiter
from shared.db import DeadLetterRecord, Job
from shared.runtime import ledger as make_ledger
from shared.settings import Settings
from tests.support.fixture_server import FixtureSite
from tests.support.services import RedisServer, postgres_database
from tests.support.workers import copydesk, environment, running_workers, wait_for

ARTICLES = ["/world/2024/11/15/journalist-detained-in-cork-released-on-bail-after-international",
            "/world/2024/11/14/drought-forces-porto-to-ration-tap-water-to-six"]
# 503 with Retry-After: 1 at the first request for this query string, then the article.
RETRY_AFTER = "/hostile/flaky?q=postpone"
DEADLINE = 3  # a worker thread waits this long at most for its host's slot
BUSY = DEADLINE + 8  # booked this far ahead: still beyond DEADLINE once `submit` has run


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("postpone")
    server = RedisServer(workdir / "redis").start()
    try:
        with FixtureSite() as site, postgres_database() as database:
            yield _run(site, database, server, workdir)
    finally:
        server.stop(kill=True)


def _run(site: FixtureSite, database: str, server: RedisServer,
         workdir: Path) -> dict[str, Any]:
    # A local feed: its jobs go straight to the fetch queue, where the host is busy.
    items = "".join(f"<item><title>{path}</title><link>{site.url(path)}</link></item>"
                    for path in (*ARTICLES, RETRY_AFTER))
    feed = workdir / "feed.xml"
    feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
                    f"{items}</channel></rss>")
    env = environment(database, server.url, COPYDESK_MAX_ATTEMPTS="1",
                      COPYDESK_FETCH_DEADLINE=str(DEADLINE))
    copydesk("status", env=env, cwd=workdir)  # migrate before the workers start
    ledger = make_ledger(Settings(database_url=database))
    with running_workers(env, workdir, stages=("all",)) as workers:
        copydesk("status", env=env, cwd=workdir)
        time.sleep(3)  # the worker is up: the penalty below is not spent waiting for it
        RedisRateLimiter(redis.Redis.from_url(server.url)).penalize("127.0.0.1", BUSY)
        booked = time.monotonic()
        copydesk("submit", str(feed), env=env, cwd=workdir)
        wait_for(lambda: ledger.counts().get("open", 0) == 0, 90, "every job to end")
        assert all(p.poll() is None for p in workers.processes.values()), workers.logs()
    logs = (workdir / "worker-all.log").read_text(errors="replace")
    with ledger.session() as session:
        dead = {letter.url: letter.reason for letter in session.scalars(select(DeadLetterRecord))}
        statuses = {job.url: job.status for job in session.scalars(select(Job))}
    return {"site": site, "dead": dead, "statuses": statuses, "booked": booked, "logs": logs}


def test_a_busy_host_costs_no_attempt(outcome: dict[str, Any]) -> None:
    site = outcome["site"]
    for path in ARTICLES:
        assert outcome["dead"].get(site.url(path)) is None, outcome["dead"]
        assert outcome["statuses"][site.url(path)] == "stored"
    hits = [hit.time for hit in site.hits if hit.path in ARTICLES]
    assert len(hits) == len(ARTICLES)  # one request each, once the host was free
    assert min(hits) >= outcome["booked"] + BUSY - 1.0
    assert "host busy, message put back" in outcome["logs"]


def test_a_retry_after_answer_costs_no_attempt(outcome: dict[str, Any]) -> None:
    url = outcome["site"].url(RETRY_AFTER)
    assert outcome["dead"].get(url) is None, outcome["dead"]
    assert outcome["statuses"][url] == "stored"
