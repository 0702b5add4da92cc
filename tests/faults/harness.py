"""A fault test's world: its own redis-server, PostgreSQL database, bulk site, workers and beat.

The workers are the compose services' commands (`copydesk worker STAGE`, `copydesk beat`) run as
local processes, with short leases and time limits so that a lost message is found again within
seconds rather than the production default of minutes.
"""

import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, func, select

from shared.db import Job, RawPageRecord
from tests.faults.accounting import Tally, _engine
from tests.support.bulk_site import BulkSite
from tests.support.workers import COPYDESK, Workers, copydesk, environment

STAGES = ("fetch", "clean", "extract", "store")
# Short enough that recovery shows within a test, long enough that a healthy job waiting its
# turn in a queue is not swept back in (a 300-page run takes well under this per stage).
FAST = {
    "COPYDESK_JOB_LEASE_SECONDS": "20",
    "COPYDESK_TASK_TIME_LIMIT": "20",
    "COPYDESK_SWEEP_SECONDS": "2",
    "COPYDESK_HOST_RATE": "1000",
}
WORKER_ARGS = {"fetch": ("--concurrency", "8")}
_SWEPT = re.compile(r"re-enqueued (\d+) jobs")


class FaultRun:
    """Processes of one run, and what the test reads from the ledger while they work."""

    def __init__(self, workdir: Path, site: BulkSite, *, worker_database_url: str,
                 check_database_url: str, redis_url: str, shorten: bool = True, **settings: str):
        """`shorten=False` keeps the shipped lease, time limit and sweep interval."""
        self.workdir = workdir
        self.site = site
        fast = FAST if shorten else {"COPYDESK_HOST_RATE": FAST["COPYDESK_HOST_RATE"]}
        self.env = environment(worker_database_url, redis_url, **{**fast, **settings})
        self.workers = Workers(self.env, workdir)
        self.db: Engine = _engine(check_database_url)
        self.beat: subprocess.Popen[bytes] | None = None
        self.started = time.monotonic()

    def start(self, stages: tuple[str, ...] = STAGES) -> "FaultRun":
        for stage in stages:
            self.start_worker(stage)
        (self.workdir / "no-sources.toml").write_text("# the sweeper only\n")
        log = (self.workdir / "beat.log").open("ab")
        self.beat = subprocess.Popen([COPYDESK, "beat", "--sources", "no-sources.toml"],
                                     env=self.env, cwd=self.workdir, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def start_worker(self, stage: str) -> None:
        self.workers.start(stage, *WORKER_ARGS.get(stage, ()))

    def kill_worker(self, stage: str) -> None:
        """SIGKILL a stage's worker and all its pool processes."""
        self.workers.kill(stage, signal.SIGKILL)

    def stop(self) -> None:
        self.workers.stop_all()
        if self.beat is not None:
            self.beat.terminate()
            try:
                self.beat.wait(10)
            except subprocess.TimeoutExpired:
                self.beat.kill()
        self.db.dispose()

    def submit(self) -> None:
        """Hand the site's sitemap to the workers, as a user would."""
        self.started = time.monotonic()
        copydesk("submit", self.site.url("/sitemap.xml"), env=self.env, cwd=self.workdir)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def statuses(self) -> Counter[str]:
        """Jobs per status, the source's own (expanded) job left out."""
        with self.db.connect() as db:
            rows = db.execute(select(Job.status, func.count()).where(Job.status != "expanded")
                              .group_by(Job.status))
            return Counter({status: count for status, count in rows})

    def closed(self) -> int:
        counts = self.statuses()
        return sum(counts.values()) - counts["open"]

    def fetched(self) -> int:
        with self.db.connect() as db:
            return int(db.scalar(select(func.count()).select_from(RawPageRecord)) or 0)

    def wait(self, ready: Callable[[], bool], what: str, timeout: float = 120) -> float:
        """Poll until `ready()`; the seconds it took. Fails with the workers' logs."""
        started = time.monotonic()
        while not ready():
            if time.monotonic() - started > timeout:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; "
                                     f"jobs {dict(self.statuses())}; {self.exited()}\n"
                                     f"{self.logs()}")
            time.sleep(0.2)
        return time.monotonic() - started

    def wait_closed(self, expected: int, timeout: float = 150) -> float:
        """Wait until `expected` jobs were accepted and none is open; seconds since submit."""
        def done() -> bool:
            counts = self.statuses()
            return sum(counts.values()) >= expected and counts["open"] == 0

        self.wait(done, f"all {expected} jobs to close", timeout)
        seconds = self.elapsed()
        assert self.exited() == "exited: none", f"a worker died: {self.exited()}\n{self.logs()}"
        return seconds

    def exited(self) -> str:
        """Which worker processes have ended, and how (a crash shows here)."""
        ended = {name: process.poll() for name, process in self.workers.processes.items()}
        return "exited: " + (", ".join(f"{name} ({code})" for name, code in ended.items()
                                       if code is not None) or "none")

    def swept(self) -> int:
        """Jobs the sweeper re-enqueued, from the store workers' logs."""
        return sum(int(count) for path in self.workdir.glob("worker-store*.log")
                   for count in _SWEPT.findall(path.read_text(errors="replace")))

    def log_count(self, text: str) -> int:
        """Lines containing `text` in every worker's log."""
        return sum(path.read_text(errors="replace").count(text)
                   for path in self.workdir.glob("worker-*.log"))

    def logs(self) -> str:
        beat = self.workdir / "beat.log"
        tail = beat.read_text(errors="replace")[-2000:] if beat.exists() else ""
        return self.workers.logs() + "\n--- beat ---\n" + tail


# Every figure line of this session, printed again in pytest's summary (tests/faults/conftest.py)
# so that a CI log carries them without -s.
REPORTED: list[str] = []


def report(name: str, tally: Tally, **figures: float | int | str) -> str:
    """One line of figures for the test output and the end-of-run summary."""
    extra = " ".join(f"{key}={value:.1f}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in figures.items())
    line = f"FAULT {name}: {tally.line()} {extra}"
    print(line)
    REPORTED.append(line)
    return line
