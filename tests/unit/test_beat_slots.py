"""Beat's slot schedule: due once per wall-clock slot, whenever the beat process started."""

import time
from datetime import UTC, datetime, timedelta

from celery.schedules import crontab

from copydesk.schedule import slot_of, slot_schedule


def slot_start(period: float) -> datetime:
    return datetime.fromtimestamp((time.time() // period) * period, UTC)


def test_due_once_per_slot() -> None:
    every = slot_schedule(timedelta(seconds=600))
    start = slot_start(600)
    assert not every.is_due(start).is_due  # this slot has run
    assert every.is_due(start - timedelta(milliseconds=1)).is_due  # the last run was before it
    assert 0 < every.is_due(start).next <= 600  # checked again at the next slot's start


def test_beats_started_at_different_times_share_the_slots() -> None:
    # A beat's first last_run_at is its start time; two beats started apart see the same
    # next run, at the slot boundary, not one interval after each start.
    every = slot_schedule(timedelta(seconds=600))
    start = slot_start(600)
    early, late = start + timedelta(seconds=1), start + timedelta(seconds=0.5)
    assert abs(every.is_due(early).next - every.is_due(late).next) < 0.1
    assert abs(every.remaining_estimate(early).total_seconds()
               - every.is_due(early).next) < 0.1


def test_slot_of_interval_and_cron_entries() -> None:
    class Entry:
        def __init__(self, schedule: object) -> None:
            self.schedule = schedule

    assert slot_of(Entry(slot_schedule(timedelta(seconds=30))), 95.0) == (3, 30.0)  # type: ignore[arg-type]
    assert slot_of(Entry(crontab("*/5")), 125.0) == (2, 60.0)  # type: ignore[arg-type]
