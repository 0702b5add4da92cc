"""Beat schedules that any number of beat processes agree on.

Every run belongs to a slot: an interval's runs fall on multiples of the interval since the
epoch (wall clock, the same on every host), a cron run on its minute. Before sending a run,
a beat claims (entry, slot) in Redis with SET NX; the beat that loses the race sends nothing.
So two beats (a failover pair, a deploy overlapping the old one) start each run once.
"""

import logging
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler, ScheduleEntry
from celery.schedules import crontab, schedstate, schedule

from shared import runtime

log = logging.getLogger("copydesk.beat")
CLAIM_KEY = "copydesk:beat"
CRON_SLOT = 60.0  # cron fires at most once a minute
# Touched on every tick of the beat loop: the container's health check reads its age.
HEARTBEAT = Path(tempfile.gettempdir()) / "copydesk-beat.alive"
BEAT_MAX_INTERVAL = 30.0  # longest sleep between two ticks


class slot_schedule(schedule):  # lower-case like celery's own schedule and crontab
    """Due at every multiple of `run_every` since the epoch, whenever the beat started."""

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        period = self.seconds
        last = self.maybe_make_aware(last_run_at).timestamp()
        return timedelta(seconds=max(0.0, (last // period + 1) * period - time.time()))

    def is_due(self, last_run_at: datetime) -> schedstate:
        now, period = time.time(), self.seconds
        to_next = (now // period + 1) * period - now
        due = now // period > self.maybe_make_aware(last_run_at).timestamp() // period
        return schedstate(is_due=due, next=to_next)


def slot_of(entry: ScheduleEntry, now: float) -> tuple[int, float]:
    """The slot a run sent at `now` belongs to, and the slot's length in seconds."""
    period = CRON_SLOT if isinstance(entry.schedule, crontab) else entry.schedule.seconds
    return int(now // period), period


def claim_run(name: str, now: float, entry: ScheduleEntry) -> bool:
    """True for the first beat to claim this entry's current slot."""
    slot, period = slot_of(entry, now)
    # Kept past the slot's end so a beat running late still finds the claim.
    ttl = int(max(2 * period, 120))
    return bool(runtime.redis_client().set(f"{CLAIM_KEY}:{name}:{slot}", "1", nx=True, ex=ttl))


def beat_alive(max_age: float = 4 * BEAT_MAX_INTERVAL) -> bool:
    """Whether a beat on this host ticked within `max_age` seconds."""
    try:
        return time.time() - HEARTBEAT.stat().st_mtime < max_age
    except FileNotFoundError:
        return False


class SlotScheduler(PersistentScheduler):
    """Celery's scheduler, sending a run only when this beat claimed its slot."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        HEARTBEAT.touch()
        return interval

    def apply_async(self, entry: ScheduleEntry, producer: Any = None, advance: bool = True,
                    **kwargs: Any) -> Any:
        if not claim_run(entry.name, time.time(), entry):
            log.info("%s: this slot was started by another beat", entry.name)
            return None
        return super().apply_async(entry, producer, advance, **kwargs)
