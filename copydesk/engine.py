"""The concurrent in-process engine: one loop owns the ledger, pools do the work.

The loop keeps a heap of (due time, stage, payload). Downloads run on a thread pool, paced per
host (a host's robots.txt and politeness interval hold only that host's pages); the
pure CPU work (clean's body reader, extract) runs on a process pool, one process per core, on
the same functions the workers run. Every ledger and store write happens here, in the loop's
thread (SQLite has one writer). A retry or a postponement is a later entry in the heap, never
a sleep, so one slow host never holds another's pages.
"""

import gc
import heapq
import itertools
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from copydesk.warmup import warm_stages
from services.clean.clean import PageBody, judge_body, read_page
from services.clean.furniture import FurnitureIndex
from services.extract.extract import extract
from services.fetch.client import HttpClient
from services.fetch.discover import Discovery
from services.fetch.ratelimit import MemoryRateLimiter
from services.fetch.steps import accept_discovery, fetch_packed, keep_fetched, look_at_source
from services.store.store import Stored, store_and_close
from shared.errors import Postponed, TransientError
from shared.ledger import Ledger
from shared.models import Article, CleanPage, FetchJob, Payload, RawPage
from shared.stage import (
    NEXT_STAGE,
    RETRY_POLICY,
    STAGE_ORDER,
    Entered,
    RetryPolicy,
    Settled,
    enter,
    entry_stage,
    give_up,
    job_of,
    settle,
)

log = logging.getLogger("copydesk.engine")
NETWORK_STAGES = ("discover", "fetch")
CPU_STAGES = ("clean", "extract")


@dataclass(frozen=True)
class JobEnd:
    """How one job ended in this run: what a progress line says about it."""

    job_id: str
    url: str
    status: str  # stored, revised, unchanged, dead, expanded, skipped
    reason: str = ""
    message: str = ""
    article: Article | None = None
    stored: Stored | None = None


class Listener(Protocol):
    """Told as jobs enter the run, wait for a retry, and end."""

    def accepted(self, count: int) -> None: ...

    def waiting(self, url: str, seconds: float, reason: str) -> None: ...

    def ended(self, end: JobEnd) -> None: ...


# Told about every step: its stage, its input, and the CPU seconds it took (benchmarks).
StepObserver = Callable[[str, Payload, float], None]


@dataclass(frozen=True)
class EngineLimits:
    """How much runs at once, and how long a host may ask the run to wait."""

    fetch_threads: int = 64
    processes: int = 0  # 0: one per core; 1: the CPU stages run in the loop's own process
    policy: RetryPolicy = RETRY_POLICY


@dataclass
class _Running:
    entered: Entered
    payload: Payload


class Engine:
    """Carries payloads from any stage to the end, concurrently; run() returns when all ended."""

    def __init__(self, ledger: Ledger, client: HttpClient, furniture: FurnitureIndex,
                 limits: EngineLimits | None = None, *, listener: Listener | None = None,
                 observer: StepObserver | None = None) -> None:
        self.ledger, self.client, self.furniture = ledger, client, furniture
        self.limits = limits or EngineLimits()
        self.listener, self.observer = listener, observer
        self._heap: list[tuple[float, int, str, Payload]] = []
        self._order = itertools.count()
        self._running: dict[Future[Any], _Running] = {}
        self._host_ready: dict[str, float] = {}  # when each host's next request may go
        self.found_jobs: list[str] = []  # the jobs discovery accepted in this run
        self._cpu_ready: list[tuple[int, int, str, Payload]] = []
        self._cpu_running = 0
        self._processes = self._process_pool()  # before any thread exists: the pool forks
        self._pool_size = 2 * (self.limits.processes or os.cpu_count() or 1)
        self._threads = ThreadPoolExecutor(self.limits.fetch_threads,
                                           thread_name_prefix="copydesk-fetch")

    def _process_pool(self) -> Executor | None:
        count = self.limits.processes or os.cpu_count() or 1
        if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            return None
        # Forked children share nothing with the parent's database connections.
        self.ledger.engine.dispose()
        # Each child warms itself up (_warm_child) while this process starts the run's first
        # downloads: a run's first pages come after a robots.txt and a feed, so the children's
        # half second of loading is hidden behind the network instead of ahead of it.
        pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_warm_child)
        pool.submit(os.getpid)  # a fork context starts every process on the first submit
        return pool

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)

    def add(self, stage: str, payload: Payload, delay: float = 0.0) -> None:
        """Schedule a payload to enter `stage` after `delay` seconds."""
        due = time.monotonic() + delay
        heapq.heappush(self._heap, (due, next(self._order), stage, payload))

    def run(self, items: Iterable[tuple[str, Payload]] = ()) -> None:
        """Run the given (stage, payload) pairs and all that follows from them to their end."""
        for stage, payload in items:
            self.add(stage, payload)
        done: set[Future[Any]] = set()
        while True:
            with self.ledger.batch():  # one transaction for all the steps of one turn
                for future in done:
                    self._finish(future)
                self._dispatch_due()
            if not (self._heap or self._running or self._cpu_ready):
                return
            timeout = max(0.0, self._heap[0][0] - time.monotonic()) if self._heap else None
            if not self._running:
                time.sleep(timeout or 0.0)
                done = set()
                continue
            done, _ = wait(list(self._running), timeout=timeout, return_when=FIRST_COMPLETED)

    # -------------------------------------------------------------- dispatch

    def _dispatch_due(self) -> None:
        now = time.monotonic()
        while self._heap and self._heap[0][0] <= now:
            _, _, stage, payload = heapq.heappop(self._heap)
            self._dispatch(stage, payload)

    def _dispatch(self, stage: str, payload: Payload) -> None:
        if stage in CPU_STAGES and self._processes is not None:
            # Queued here, the later stage first: a page nearly done goes ahead of a new one,
            # so the store (in this thread) overlaps the pool's work instead of trailing it.
            heapq.heappush(self._cpu_ready, (-STAGE_ORDER[stage], next(self._order), stage,
                                             payload))
            self._feed_pool()
            return
        self._start(stage, payload)

    def _feed_pool(self) -> None:
        while self._cpu_ready and self._cpu_running < self._pool_size:
            _, _, stage, payload = heapq.heappop(self._cpu_ready)
            self._start(stage, payload)

    def _start(self, stage: str, payload: Payload) -> None:
        host = urlsplit(job_of(payload)[1]).hostname if stage in NETWORK_STAGES else None
        wait = self._host_wait(host) if host is not None else 0.0
        if 0 < wait <= self.limits.policy.patience:
            self.add(stage, payload, wait)  # the host's next slot is later: wait here, not a thread
            return
        started = time.thread_time()
        entered = enter(stage, payload, self.ledger)
        if isinstance(entered, Settled):
            self._ended(stage, payload, entered)
            return
        if wait > 0:  # the host asked for a longer pause than the run's patience
            self._ended(stage, payload, give_up(
                entered, self.ledger, "rate_limited",
                f"{host} asked for a pause of {wait:.0f}s, longer than the patience of "
                f"{self.limits.policy.patience:.0f}s (COPYDESK_PATIENCE)"))
            return
        spent = time.thread_time() - started
        if stage == "store":  # the store writes: here, in the one writer's thread
            self._settle(entered, payload, lambda: self._store(payload), spent)
            return
        future = self._submit(stage, payload)
        if future is None:  # no process pool: the CPU work runs here
            self._settle(entered, payload, lambda: self._local(stage, payload), spent)
            return
        if stage in CPU_STAGES:
            self._cpu_running += 1
        self._running[future] = _Running(entered, payload)

    def _submit(self, stage: str, payload: Payload) -> Future[Any] | None:
        if stage == "fetch":
            validators = self.ledger.validators(job_of(payload)[1])
            return self._threads.submit(_on_thread, fetch_packed, payload, self.client,
                                        **validators)
        if stage == "discover":
            validators = self.ledger.validators(job_of(payload)[1])
            return self._threads.submit(_on_thread, look_at_source, payload, self.client,
                                        validators)
        if self._processes is None:
            return None
        work = read_page if stage == "clean" else extract
        try:
            return self._processes.submit(_in_process, work, payload)
        except BrokenProcessPool:  # a pool process died (a page that kills it, the OOM killer)
            log.warning("the process pool broke; the CPU stages go on in this process")
            self._processes = None
            return None

    def _local(self, stage: str, payload: Payload) -> tuple[Any, float]:
        started = time.thread_time()
        result = _finish_work(self, stage, payload,
                              read_page(payload) if stage == "clean"  # type: ignore[arg-type]
                              else extract(payload))  # type: ignore[arg-type]
        return result, time.thread_time() - started

    # -------------------------------------------------------------- results

    def _finish(self, future: Future[Any]) -> None:
        running = self._running.pop(future)
        if running.entered.stage in CPU_STAGES:
            self._cpu_running -= 1
            self._feed_pool()
        stage, payload = running.entered.stage, running.payload
        error = future.exception()
        if isinstance(error, BrokenProcessPool):  # its process died under it: try it again
            error = TransientError("worker_lost", f"a pool process died: {error}")
        if error is not None:
            self._settle(running.entered, payload, _raise(error), 0.0)
            return
        output, cpu = future.result()
        self._settle(running.entered, payload,
                     lambda: (_finish_work(self, stage, payload, output), cpu), 0.0)

    def _host_wait(self, host: str) -> float:
        """Seconds until `host` may be sent another request; 0 takes its next slot now.

        The fetch thread still waits for its slot in the rate limiter (and robots.txt), as a
        worker's does; pacing the dispatch here keeps threads from queueing there, asleep.
        """
        now = time.monotonic()
        ready = self._host_ready.get(host, 0.0)
        limiter = self.client.rate_limiter
        busy = limiter.busy_for(host) if limiter is not None else 0.0
        if ready > now or busy > 0:
            return max(ready - now, busy)
        interval = limiter.limits.interval_for(host) \
            if isinstance(limiter, MemoryRateLimiter) else 0.0
        self._host_ready[host] = now + interval
        return 0.0

    def _settle(self, entered: Entered, payload: Payload,
                finish: Callable[[], tuple[Any, float]], spent: float) -> None:
        started = time.thread_time()
        cpu = 0.0
        try:
            result, cpu = finish()
        except Exception as error:
            settled = settle(entered, self.ledger, error=error, policy=self.limits.policy)
        else:
            settled = settle(entered, self.ledger, result)
        if self.observer is not None:
            self.observer(entered.stage, payload, spent + cpu + time.thread_time() - started)
        self._route(entered, payload, settled)

    def _route(self, entered: Entered, payload: Payload, settled: Settled[Any]) -> None:
        stage = entered.stage
        if settled.outcome == "retry":
            delay = self.limits.policy.delay(entered.attempts)
            self._wait(stage, payload, delay, settled.reason)
        elif settled.outcome == "postponed":
            assert isinstance(settled.error, Postponed)
            self._postponed(entered, payload, settled.error)
        elif settled.outcome != "ok":
            self._ended(stage, payload, settled)
        elif stage == "discover":
            found = settled.result or []
            new = [job_of(item)[0] for item in found if job_of(item)[0] != entered.job_id]
            self.found_jobs.extend(new)
            self._accepted(len(new))
            for item in found:
                self.add(entry_stage(item), item)
            if not any(job_of(item)[0] == entered.job_id for item in found):
                status = next(iter(self.ledger.statuses([entered.job_id])), "expanded")
                self._ended(stage, payload, Settled("ok", reason=status))
        elif settled.result is None or stage == "store":
            self._ended(stage, payload, settled)
        else:
            self.add(NEXT_STAGE[stage], settled.result)

    def _postponed(self, entered: Entered, payload: Payload, error: Postponed) -> None:
        # A longer pause than the patience was a dead letter already (settle).
        self._wait(entered.stage, payload, self.limits.policy.postpone(error.delay),
                   error.reason)

    def _wait(self, stage: str, payload: Payload, delay: float, reason: str) -> None:
        if self.listener is not None:
            self.listener.waiting(job_of(payload)[1], delay, reason)
        self.add(stage, payload, delay)

    def _accepted(self, count: int) -> None:
        if self.listener is not None and count:
            self.listener.accepted(count)

    def _ended(self, stage: str, payload: Payload, settled: Settled[Any]) -> None:
        if self.listener is None:
            return
        job_id, url, _ = job_of(payload)
        if settled.outcome == "ok" and isinstance(settled.result, Stored):
            stored = settled.result
            status = "unchanged" if stored.outcome == "unchanged" else stored.outcome
            article = payload if isinstance(payload, Article) else None
            end = JobEnd(job_id, url, status, article=article, stored=stored)
        elif settled.outcome == "ok":  # a 304, or a source expanded into its jobs
            end = JobEnd(job_id, url, settled.reason or "unchanged")
        else:
            end = JobEnd(job_id, url, settled.outcome, settled.reason, settled.message)
        self.listener.ended(end)

    def _store(self, article: Payload) -> tuple[Stored, float]:
        started = time.thread_time()
        assert isinstance(article, Article)
        return store_and_close(article, self.ledger), time.thread_time() - started


def _finish_work(engine: Engine, stage: str, payload: Payload, output: Any) -> Any:
    """The part of a step that needs the loop's state: the ledger, the furniture index."""
    if stage == "fetch":
        raw, packed = output
        assert isinstance(raw, RawPage)
        return keep_fetched(raw, engine.ledger, packed)
    if stage == "discover":
        assert isinstance(output, Discovery) and isinstance(payload, FetchJob)
        return accept_discovery(output, payload, engine.ledger)
    if stage == "clean":
        assert isinstance(output, PageBody) and isinstance(payload, RawPage)
        return judge_body(payload, output, engine.furniture)
    assert isinstance(output, Article) and isinstance(payload, CleanPage)
    return output


def _raise(error: BaseException) -> Callable[[], tuple[Any, float]]:
    def again() -> tuple[Any, float]:
        raise error
    return again


def _on_thread(work: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.thread_time()
    return work(*args, **kwargs), time.thread_time() - started


def _warm_child() -> None:
    """A pool process loads what clean and extract load on first use, before its first page;
    frozen, no later collection scans (and so copies) those tables again."""
    warm_stages("extract")
    gc.freeze()


def _in_process(work: Callable[[Any], Any], payload: Payload) -> tuple[Any, float]:
    started = time.process_time()
    return work(payload), time.process_time() - started
