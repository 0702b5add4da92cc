"""Running sources in this process (copydesk.engine), or handing them to the workers.

The stages' order and routing are shared.stage's one table, for both.
"""

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from copydesk.engine import Engine, EngineLimits, JobEnd, Listener, StepObserver
from copydesk.furniture import StoredFurniture
from copydesk.sources import Source
from services.clean.clean import clean
from services.clean.furniture import FurnitureIndex
from services.extract.extract import extract
from services.fetch.client import HttpClient
from services.fetch.factory import make_client
from services.fetch.steps import accept_local, source_job
from shared import runtime
from shared.errors import Postponed
from shared.ledger import Ledger
from shared.models import DeadLetter, Payload, RawPage
from shared.settings import Settings
from shared.stage import RETRY_POLICY, RETRYABLE, STAGES, entry_stage, job_of, run_step


@dataclass(frozen=True)
class Summary:
    """How the jobs of one run ended."""

    accepted: int
    stored: int
    unchanged: int
    dead: int
    open: int

    @classmethod
    def of(cls, statuses: Counter[str]) -> "Summary":
        ended = ("stored", "unchanged", "dead", "open")  # an expanded feed is no article
        return cls(accepted=sum(statuses[s] for s in ended), stored=statuses["stored"],
                   unchanged=statuses["unchanged"], dead=statuses["dead"], open=statuses["open"])


class InProcess:
    """All stages in this process, on the same functions and ledger the workers use: the
    concurrent engine (copydesk.engine) for runs, one step at a time for a replay's preparation."""

    def __init__(self, settings: Settings, client: HttpClient | None = None,
                 observer: StepObserver | None = None, listener: Listener | None = None):
        self.observer, self.listener = observer, listener
        self.ledger: Ledger = runtime.ledger(settings)
        self.client = client or make_client(settings)
        # Furniture learned in this process and kept in the database between runs (the
        # workers share theirs in Redis); a replay on the workers puts Redis's in its place.
        self.furniture: FurnitureIndex = StoredFurniture(self.ledger.sessions,
                                                         settings.furniture_window)
        self.limits = EngineLimits(fetch_threads=settings.run_fetch_threads,
                                   processes=settings.run_processes,
                                   policy=replace(RETRY_POLICY, patience=settings.patience))
        self.accepted_jobs: list[str] = []

    def run(self, sources: Iterable[Source]) -> Summary:
        """Expand every source, process every accepted job, and say how they ended."""
        engine = self._engine()  # first: its process pool forks before any thread starts
        try:
            items: list[tuple[str, Payload]] = []
            rejected: list[DeadLetter] = []  # local files dead-lettered as they were accepted
            for source in sources:
                items.extend(self._accept(source, rejected))
            self.accepted_jobs.extend(job_of(payload)[0] for _, payload in items)
            self.accepted_jobs.extend(letter.job_id for letter in rejected)
            if self.listener is not None:
                self.listener.accepted(len(items) + len(rejected))
                for letter in rejected:
                    self.listener.ended(JobEnd(letter.job_id, letter.url, "dead",
                                               letter.reason, letter.message))
            engine.run(items)
        finally:
            engine.close()
            self.keep_furniture()
        self.accepted_jobs.extend(engine.found_jobs)
        return Summary.of(self.ledger.statuses(self.accepted_jobs))

    def finish(self, restarts: Iterable[tuple[str, Payload]], *, pool: bool = True) -> None:
        """Carry (stage, payload) pairs to the end together (replays, retried dead letters)."""
        engine = self._engine(pool)
        try:
            engine.run(restarts)
        finally:
            engine.close()
            self.keep_furniture()

    def keep_furniture(self) -> None:
        """Write what this process learned of the sites' furniture to the database."""
        if isinstance(self.furniture, StoredFurniture):
            self.furniture.save()

    def resume(self, stage: str, payload: Payload) -> None:
        """Carry a payload from `stage` to the end (a replay, a retried dead letter); one page
        is not worth starting a process pool for."""
        self.finish([(stage, payload)], pool=False)

    def prepare(self, stage: str, raw: RawPage) -> Payload | None:
        """Run the stages before `stage` on a raw page; the payload `stage` takes, or None."""
        payload: Payload | None = raw
        works: dict[str, Callable] = {"clean": lambda page: clean(page, self.furniture),
                                      "extract": extract}
        for name in STAGES[STAGES.index("clean"):STAGES.index(stage)]:
            result = self._step(name, payload, works[name]) if payload is not None else None
            payload = result if isinstance(result, Payload) else None
        return payload

    def _engine(self, pool: bool = True) -> Engine:
        limits = self.limits if pool else replace(self.limits, processes=1)
        return Engine(self.ledger, self.client, self.furniture, limits,
                      listener=self.listener, observer=self.observer)

    def _accept(self, source: Source, rejected: list[DeadLetter]) -> list[tuple[str, Payload]]:
        """A source's first work: a URL is looked at (discover), files are accepted here."""
        if not source.is_url:
            return [(entry_stage(payload), payload) for payload
                    in accept_local(source.location, source.name, self.ledger, rejected)]
        return [("discover", source_job(source.name, source.location, self.ledger))]

    def _step(self, stage: str, payload: Payload, work: Callable) -> object:
        return self._retrying(lambda: run_step(stage, payload, work, self.ledger))

    @staticmethod
    def _retrying(call: Callable) -> object:
        # The workers' policy (shared.stage.RETRY_POLICY); run_step's attempt cap ends it.
        for attempt in itertools.count(1):
            try:
                return call()
            except Postponed as error:  # the host said when: wait that long (no attempt)
                time.sleep(RETRY_POLICY.postpone(error.delay))
            except RETRYABLE:
                time.sleep(RETRY_POLICY.delay(attempt))
        raise AssertionError("unreachable")


def submit(source: Source, ledger: Ledger) -> int:
    """Hand a source to the workers: URLs go to discovery, local files straight to their stage."""
    from shared.celery_app import DISCOVER_TASK, send  # Celery: 0.3 s that `run` does without

    if source.is_url:
        send(DISCOVER_TASK, source_job(source.name, source.location, ledger))
        return 1
    payloads = accept_local(source.location, source.name, ledger)
    for payload in payloads:
        send(entry_stage(payload), payload)
    return len(payloads)
