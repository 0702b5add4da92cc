"""Fault 1: SIGKILL the worker of each stage in the middle of a run, then start it again."""

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from tests.faults.accounting import assert_exactly_once
from tests.faults.conftest import PAGES
from tests.faults.harness import FaultRun, report
from tests.support.bulk_site import BulkSite
from tests.support.services import RedisServer


def reached(progress: Callable[[], int], at: int) -> bool:
    return progress() >= at


@pytest.mark.slow
def test_sigkill_each_stage_worker_mid_run(tmp_path: Path, site: BulkSite, redis: RedisServer,
                                           database: str) -> None:
    run = FaultRun(tmp_path, site, worker_database_url=database, check_database_url=database,
                   redis_url=redis.url).start()
    try:
        run.submit()
        # fetch is killed while pages are still being downloaded, the others at a third, a half
        # and two thirds of the jobs closed; each is started again at once.
        steps = (("fetch", run.fetched, PAGES // 5), ("clean", run.closed, PAGES // 3),
                 ("extract", run.closed, PAGES // 2), ("store", run.closed, 2 * PAGES // 3))
        kills: list[str] = []
        for stage, progress, at in steps:
            run.wait(partial(reached, progress, at), f"{stage} under way ({at} done)")
            kills.append(f"{stage}@{run.elapsed():.1f}s")
            run.kill_worker(stage)
            run.start_worker(stage)
        last_kill = run.elapsed()
        total = run.wait_closed(PAGES)
        tally = assert_exactly_once(database)
        report("sigkill", tally, seconds=total, recovered_after_last_kill=total - last_kill,
               swept=run.swept(), kills=" ".join(kills))
        assert tally.articles == PAGES and not tally.dead
    finally:
        run.stop()
