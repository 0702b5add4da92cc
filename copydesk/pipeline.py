"""Running sources in this process, or handing them to the workers.

The stages' order and routing are shared.stage's one table, for both.
"""

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from copydesk.sources import Source
from services.clean.clean import clean
from services.clean.furniture import FurnitureIndex, MemoryFurniture
from services.extract.extract import extract
from services.fetch.client import HttpClient
from services.fetch.factory import make_client
from services.fetch.steps import accept_local, discover_and_accept, fetch_and_keep, source_job
from services.store.store import store_and_close
from shared import runtime
from shared.celery_app import DISCOVER_TASK, send
from shared.errors import Postponed
from shared.ledger import Ledger
from shared.models import FetchJob, Payload, RawPage
from shared.settings import Settings
from shared.stage import RETRY_POLICY, RETRYABLE, entry_stage, run_step

# Told about every step run here: its stage, its input and the seconds it took (benchmarks).
StepObserver = Callable[[str, Payload, float], None]


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
    """All four stages in this process, on the same functions and ledger the workers use."""

    def __init__(self, settings: Settings, client: HttpClient | None = None,
                 observer: StepObserver | None = None):
        self.observer = observer
        self.ledger: Ledger = runtime.ledger(settings)
        self.client = client or make_client(settings)
        # Furniture learned from this run's pages: one process, so memory is enough (the
        # workers share theirs in Redis).
        self.furniture: FurnitureIndex = MemoryFurniture()
        self.accepted_jobs: list[str] = []

    def expand(self, source: Source) -> list[Payload]:
        """The accepted jobs of a source, as fetch jobs or pages already in hand."""
        if not source.is_url:
            return accept_local(source.location, source.name, self.ledger)
        job = source_job(source.name, source.location, self.ledger)
        self.accepted_jobs.append(job.job_id)
        found = self._step("discover", job, self._discover)
        return found if isinstance(found, list) else []

    def process(self, payload: Payload) -> None:
        """Carry one job through the remaining stages."""
        raw = self._step("fetch", payload, self._fetch) if isinstance(payload, FetchJob) \
            else payload
        if isinstance(raw, RawPage):
            self._chain(raw, start="clean")

    def resume(self, stage: str, payload: Payload) -> None:
        """Carry a payload from `stage` to the end (a replay, a retried dead letter)."""
        if stage == "discover":
            found = self._step("discover", payload, self._discover)
            for item in found if isinstance(found, list) else []:
                self.process(item)
        elif stage == "fetch":
            self.process(payload)
        else:
            self._chain(payload, start=stage)

    def prepare(self, stage: str, raw: RawPage) -> Payload | None:
        """Run the stages before `stage` on a raw page; the payload `stage` takes, or None."""
        return self._chain(raw, start="clean", stop=stage)

    def _chain(self, payload: Payload | None, start: str, stop: str = "") -> Payload | None:
        works: dict[str, Callable] = {
            "clean": lambda raw: clean(raw, self.furniture), "extract": extract,
            "store": lambda article: store_and_close(article, self.ledger)}
        names = list(works)
        for name in names[names.index(start):]:
            if name == stop or payload is None:
                return payload
            result = self._step(name, payload, works[name])
            payload = result if isinstance(result, Payload) else None
        return payload

    def run(self, sources: Iterable[Source],
            progress: Callable[[int, int], None] | None = None) -> Summary:
        """Expand every source, process every accepted job, and say how they ended."""
        payloads = [payload for source in sources for payload in self.expand(source)]
        self.accepted_jobs.extend(_job_ids(payloads))
        for done, payload in enumerate(payloads, 1):
            self.process(payload)
            if progress:
                progress(done, len(payloads))
        return Summary.of(self.ledger.statuses(self.accepted_jobs))

    def _discover(self, job: FetchJob) -> list[Payload]:
        return discover_and_accept(job, self.client, self.ledger)

    def _fetch(self, job: FetchJob) -> RawPage | None:
        return fetch_and_keep(job, self.client, self.ledger)

    def _step(self, stage: str, payload: Payload, work: Callable) -> object:
        started = time.perf_counter()
        try:
            return self._retrying(lambda: run_step(stage, payload, work, self.ledger))
        finally:
            if self.observer is not None:
                self.observer(stage, payload, time.perf_counter() - started)

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


def _job_ids(payloads: Iterable[Payload]) -> list[str]:
    return [payload.job_id for payload in payloads if isinstance(payload, FetchJob | RawPage)]


def submit(source: Source, ledger: Ledger) -> int:
    """Hand a source to the workers: URLs go to discovery, local files straight to their stage."""
    if source.is_url:
        send(DISCOVER_TASK, source_job(source.name, source.location, ledger))
        return 1
    payloads = accept_local(source.location, source.name, ledger)
    for payload in payloads:
        send(entry_stage(payload), payload)
    return len(payloads)
