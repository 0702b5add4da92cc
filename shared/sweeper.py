"""The sweeper: re-enqueue jobs left open past their lease, so a lost message costs only time."""

import logging
from collections.abc import Callable

from shared.db import Job
from shared.ledger import Ledger
from shared.models import FetchJob, Payload

log = logging.getLogger("copydesk.sweeper")


def restart_point(ledger: Ledger, job: Job) -> tuple[str, Payload]:
    """The earliest stage an open job can start again from, and the payload to send there."""
    fetch_job = FetchJob(job_id=job.id, url=job.url, source=job.source, hints=job.hints or {})
    if job.stage == "discover":
        return "discover", fetch_job
    # A kept raw page means fetch finished, whatever stage the job reached after it: restart
    # from there rather than download again (and count a fetch attempt for nothing).
    raw = ledger.raw_page(job.id)
    return ("clean", raw) if raw is not None else ("fetch", fetch_job)


def sweep(ledger: Ledger, send: Callable[[str, Payload], None], limit: int = 1000) -> int:
    """Send every expired open job back to the earliest stage it can restart from."""
    count = 0
    for job in ledger.expired(limit=limit):
        send(*restart_point(ledger, job))
        ledger.renew(job.id)
        count += 1
    if count:
        log.warning("re-enqueued %d jobs left open past their lease", count)
    return count
