"""Budgets end pages, not runs: a page that drips for ever, a 500 on every try and a Retry-After
of an hour, beside one good article, end in a minute, in one process and on the workers.

The fetch deadline is the default 30 s: the drip uses it once (not once per attempt), the 500
is retried with backoff while the rest goes on, the hour-long pause is past the patience.
"""

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.fixture_server import FixtureSite
from tests.support.services import RedisServer, postgres_database
from tests.support.workers import copydesk, environment, jsonl, running_workers, wait_for

GOOD = "/sport/2024/10/18/runner-sets-course-record-at-limerick-marathon"
HOSTILE = {"/hostile/drip-forever": "timeout", "/hostile/error": "http_500",
           "/hostile/retry-after-hour": "http_503"}
BUDGET = 60.0
STAGES = ("fetch", "clean", "extract", "store")
# The defaults a user gets, where the shared test environment shortens them.
DEFAULTS = {"COPYDESK_FETCH_DEADLINE": "30", "COPYDESK_READ_TIMEOUT": "15",
            "COPYDESK_MAX_ATTEMPTS": "5"}


@pytest.fixture(scope="module")
def hosts() -> Iterator[list[FixtureSite]]:
    """The good article on one loopback host, each hostile page on its own (a host's own
    Retry-After pauses that whole host, as it should)."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(FixtureSite(host=f"127.0.0.{number}"))
               for number in range(1, 2 + len(HOSTILE))]


def urls(hosts: list[FixtureSite]) -> list[str]:
    pairs = zip(hosts[1:], HOSTILE, strict=True)
    return [hosts[0].url(GOOD), *(site.url(path) for site, path in pairs)]


def check_outcome(records: list[dict[str, object]], dead: list[dict[str, object]]) -> None:
    assert [urlsplit(str(record["url"])).path for record in records] == [GOOD]
    reasons = {urlsplit(str(letter["url"])).path: letter["reason"] for letter in dead}
    assert reasons == HOSTILE, reasons
    assert len(dead) == len(HOSTILE)  # one dead letter each


def test_copydesk_run_ends_within_its_slowest_pages_budget(hosts: list[FixtureSite],
                                                          tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0",
                      **DEFAULTS)
    started = time.monotonic()
    ran = copydesk("run", *urls(hosts), env=env, cwd=tmp_path, timeout=120)
    took = time.monotonic() - started
    assert took < BUDGET, f"copydesk run took {took:.0f}s"
    lines = ran.stdout.strip().splitlines()
    assert lines[-1] == "accepted 4, stored 1, unchanged 0, dead-lettered 3"
    check_outcome(jsonl(copydesk("export", env=env, cwd=tmp_path).stdout),
                  jsonl(copydesk("dead-letters", env=env, cwd=tmp_path).stdout))
    for url, reason in zip(urls(hosts)[1:], HOSTILE.values(), strict=True):  # a line each
        assert any(line.startswith("dead") and reason in line and url in line
                   for line in lines), (url, lines)


def test_the_workers_end_within_the_same_budget(hosts: list[FixtureSite], tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    try:
        with postgres_database() as database:
            env = environment(database, redis.url, **DEFAULTS)
            with running_workers(env, tmp_path):
                for stage in STAGES:  # the budget starts once every worker is up
                    log = tmp_path / f"worker-{stage}.log"
                    wait_for(lambda log=log: " ready." in log.read_text(errors="replace"),
                             120, f"the {stage} worker to start")
                started = time.monotonic()
                copydesk("submit", *urls(hosts), env=env, cwd=tmp_path)
                waited = copydesk("status", "--wait", "--json", "--timeout", "120", env=env,
                                  cwd=tmp_path, timeout=150)
                took = time.monotonic() - started
                status = json.loads(waited.stdout.strip().splitlines()[-1])
                assert took < BUDGET, f"the workers took {took:.0f}s: {status}"
                check_outcome(jsonl(copydesk("export", env=env, cwd=tmp_path).stdout),
                              jsonl(copydesk("dead-letters", env=env, cwd=tmp_path).stdout))
    finally:
        redis.stop(kill=True)
