"""The sweeper: re-enqueue jobs left open past their lease, so a lost message costs only time."""

import logging
from collections.abc import Callable

from shared.ledger import Ledger
from shared.models import FetchJob, Payload

log = logging.getLogger("copydesk.sweeper")


def sweep(ledger: Ledger, send: Callable[[str, Payload], None], limit: int = 1000) -> int:
    """Send every expired open job back to the earliest stage it can restart from."""
    count = 0
    for job in ledger.expired(limit=limit):
        raw = ledger.raw_page(job.id) if job.stage != "fetch" else None
        if raw is not None:
            send("clean", raw)
        else:
            send("fetch", FetchJob(job_id=job.id, url=job.url, source=job.source,
                                   hints=job.hints or {}))
        ledger.renew(job.id)
        count += 1
    if count:
        log.warning("re-enqueued %d jobs left open past their lease", count)
    return count
