"""Where replays and retried dead letters run: on the workers, or here. Decided first, before
any command changes a job, so a missing broker never leaves jobs reopened with nothing to run
them."""

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from copydesk.progress import Reporter
from shared import runtime
from shared.models import Payload
from shared.settings import Settings
from shared.stage import job_of

if TYPE_CHECKING:
    from copydesk.engine import JobEnd

log = logging.getLogger("copydesk.dispatch")
Restart = tuple[str, Payload]


class NoWorkers(Exception):
    """The workers cannot be reached and this is no embedded set-up to run in instead."""


def embedded(settings: Settings) -> bool:
    """The embedded default: SQLite, which a single process owns."""
    return settings.database_url.startswith("sqlite")


def choose_in_process(settings: Settings, asked: bool) -> tuple[bool, str]:
    """(run here?, why): here when asked, or on SQLite when no worker answers; else the workers.

    Raises NoWorkers when Redis does not answer and the database is not SQLite: the command
    must stop before it changes anything.
    """
    if asked:
        return True, "--in-process"
    try:
        runtime.redis_client(settings).ping()
    except RedisError as error:
        if embedded(settings):
            return True, f"Redis at {settings.redis_url} does not answer: running here"
        raise NoWorkers(f"Redis at {settings.redis_url} does not answer ({error}); start it "
                        "and the workers, or pass --in-process to run here") from error
    if embedded(settings) and not _workers_answer():
        return True, "no worker answers: running here"
    return False, "sent to the workers"


def _workers_answer(timeout: float = 1.0) -> bool:
    from copydesk.worker import celery_app

    try:
        return bool(celery_app().control.ping(timeout=timeout))
    except Exception:  # a broker that went away in the meantime: nobody answers
        log.debug("worker ping failed", exc_info=True)
        return False


def dispatch(restarts: Sequence[Restart], in_process: bool, settings: Settings,
             label: str, pipeline: object = None) -> None:
    """Send (stage, payload) pairs to the workers, or finish them here, reporting progress."""
    from copydesk.pipeline import InProcess

    if not in_process:
        from copydesk.worker import celery_app
        from shared.celery_app import send

        celery_app()
        with Reporter(label, len(restarts)) as progress:
            for stage, payload in restarts:
                send(stage, payload)
                progress.advance(job_of(payload)[1])
        return
    runner = pipeline if isinstance(pipeline, InProcess) else InProcess(settings)
    advance = _Advance(label, len(restarts))
    runner.listener = advance
    try:
        runner.finish(restarts)  # the concurrent engine: many pages at once, every core
    finally:
        advance.close()


class _Advance:
    """The engine's listener that moves a progress reporter on as each job ends.

    The reporter starts at the first job's end: by then the engine's process pool has forked,
    so no child inherits the terminal bar's refresh thread (or a lock it held).
    """

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self.progress: Reporter | None = None

    def accepted(self, count: int) -> None:
        """Jobs a replay's step accepts are counted as they end."""

    def waiting(self, url: str, seconds: float, reason: str) -> None:
        log.info("waiting %.0fs for %s: %s", seconds, url, reason)

    def ended(self, end: "JobEnd") -> None:
        if self.progress is None:
            self.progress = Reporter(self.label, self.total)
        self.progress.advance(f"{end.status} {end.url}")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()
