"""Starting the Celery side: the app, a stage worker, and beat with the sources' schedules."""

import os
import tempfile
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_init

from copydesk import heartbeats
from copydesk.queries import queue_depths
from copydesk.schedule import BEAT_MAX_INTERVAL, SlotScheduler, slot_schedule
from copydesk.sources import Source
from copydesk.warmup import warm
from shared.celery_app import REVISIT_TASK, SOURCE_RUN_TASK, SWEEP_TASK, make_app
from shared.observability import configure_logging, serve_metrics
from shared.settings import get_settings
from shared.stage import STAGES

# Downloads wait on the network, so the fetch stage runs many threads; clean and extract are
# CPU-bound and get a process per core; store mostly waits on the database.
DEFAULT_POOLS = {
    "fetch": ("threads", 32), "clean": ("prefork", 0), "extract": ("prefork", 0),
    "store": ("threads", 4), "all": ("threads", 8),
}
_app: Celery | None = None


def celery_app() -> Celery:
    """This process's Celery app, made current so shared tasks and send_task bind to it."""
    global _app
    if _app is None:
        _app = make_app(get_settings())
        _app.set_current()
        _app.set_default()
    return _app


def start_worker(stage: str, concurrency: int = 0, pool: str = "") -> None:
    """Consume one stage's queue (all four for 'all') until stopped."""
    default_pool, default_concurrency = DEFAULT_POOLS[stage]
    pool = pool or default_pool
    concurrency = concurrency or default_concurrency or os.cpu_count() or 2
    queues = ",".join(STAGES) if stage == "all" else stage
    settings = get_settings()
    configure_logging(settings.log_json)
    if settings.metrics_port:
        worker_init.connect(lambda **_: serve_metrics(settings.metrics_port, queue_depths),
                            weak=False)
    # Before the pool starts: a prefork pool's children inherit what was loaded.
    worker_init.connect(lambda **_: warm(stage), weak=False)
    heartbeats.connect(stage)
    celery_app().worker_main([
        "worker", "--queues", queues, "--hostname", f"{stage}-{os.getpid()}@%h",
        "--pool", pool, "--concurrency", str(concurrency), "--loglevel", "INFO",
        "--without-mingle", "--without-gossip",
    ])


def beat_schedule(sources: list[Source], sweep_every: float = 10.0) -> dict[str, dict]:
    """Celery beat entries: one per source, and the ledger sweeper.

    Intervals run on wall-clock slots, so that every beat process sees the same runs and
    starts each once (copydesk.schedule).
    """
    schedule: dict[str, dict] = {
        "sweep-ledger": {"task": SWEEP_TASK,
                         "schedule": slot_schedule(timedelta(seconds=sweep_every))},
        "revisit-live-blogs": {"task": REVISIT_TASK,
                               "schedule": slot_schedule(timedelta(seconds=60))},
    }
    for source in sources:
        if source.cron:
            minute, hour, day, month, weekday = source.cron.split()
            when: object = crontab(minute, hour, day, month, weekday)
        else:
            when = slot_schedule(source.every)
        schedule[f"source:{source.name}"] = {
            "task": SOURCE_RUN_TASK, "schedule": when,
            "args": [source.name, source.location, source.job_hints()],
        }
    return schedule


def start_beat(sources: list[Source]) -> None:
    """Run beat until stopped; its schedule state lives in a private temporary folder."""
    app = celery_app()
    settings = get_settings()
    configure_logging(settings.log_json)
    app.conf.beat_schedule = beat_schedule(sources, settings.sweep_seconds)
    state = os.path.join(tempfile.mkdtemp(prefix="copydesk-beat-"), "schedule")
    app.Beat(schedule=state, scheduler=SlotScheduler, loglevel="INFO",
             max_interval=BEAT_MAX_INTERVAL).run()
