"""Fault 3: PostgreSQL unreachable for 30 seconds mid-run, through a proxy the test controls."""

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.faults.accounting import assert_exactly_once
from tests.faults.conftest import PAGES
from tests.faults.harness import FaultRun, report
from tests.faults.proxy import TcpProxy
from tests.support.bulk_site import BulkSite
from tests.support.services import RedisServer

CUT_SECONDS = 30.0
SETTLE_SECONDS = 2.0


def through(proxy: TcpProxy, database_url: str) -> str:
    """The same database URL, reaching PostgreSQL through the proxy."""
    parts = urlsplit(database_url)
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}").geturl()


@pytest.mark.slow
def test_postgres_unreachable_mid_run(tmp_path: Path, site: BulkSite, redis: RedisServer,
                                      database: str) -> None:
    parts = urlsplit(database)
    with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        run = FaultRun(tmp_path, site, worker_database_url=through(proxy, database),
                       check_database_url=database, redis_url=redis.url).start()
        try:
            run.submit()
            run.wait(lambda: run.closed() >= PAGES // 3, "a third of the jobs closed")
            proxy.cut()
            # A commit already past the proxy when it was cut may still land: count from after.
            time.sleep(SETTLE_SECONDS)
            closed_at_cut = run.closed()
            time.sleep(CUT_SECONDS - SETTLE_SECONDS)
            closed_during_cut = run.closed() - closed_at_cut
            proxy.restore()
            back = run.elapsed()
            total = run.wait_closed(PAGES, timeout=240)
            tally = assert_exactly_once(database)
            report("postgres-cut-30s", tally, seconds=total,
                   recovered_after_restore=total - back, closed_at_cut=closed_at_cut,
                   closed_during_cut=closed_during_cut, swept=run.swept(),
                   proxied_connections=proxy.connections)
            # The cut held: at most a commit that was in flight at the cut lands (seen in CI on
            # a loaded machine; why it outlives the settle time is still open).
            assert closed_during_cut <= 1
            assert tally.articles == PAGES and not tally.dead
        finally:
            run.stop()
