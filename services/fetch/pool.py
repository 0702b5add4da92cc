"""Many downloads at once in one process: a thread pool over one shared HttpClient.

Threads, not gevent. A download is almost all waiting (on the host's rate-limit slot, on
the server), and threads release the GIL while they wait; a fetch costs about 0.7 ms of CPU.
Measured (bench/fetch/RESULTS.md, 20 hosts answering in 100 ms, 15 req/s each): 32 threads
fetch ~265 pages/s, over 90% of what the hosts' limits allow; 64 and 128 are no faster, only
busier on the GIL.
gevent would only pay off at thousands of concurrent sockets, and it needs the whole worker
monkey-patched: the psycopg C driver under the ledger the fetch stage writes to is not
cooperative, so one slow query would stall every greenlet. The Celery fetch worker gets the
same model from `--pool threads --concurrency 32`; this pool is for bulk fetching outside
Celery (benchmarks, one-off imports).
"""

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import islice

from services.fetch.client import Download, HttpClient
from services.fetch.urls import host_of
from shared.errors import StageError

Outcome = tuple[str, Download | StageError]


def fetch_many(urls: Iterable[str], client: HttpClient, *, workers: int = 32) -> Iterator[Outcome]:
    """Download every URL, `workers` at a time; yield (url, Download or the error) as they end.

    URLs are submitted a bounded number at a time, so a list of millions costs no memory.
    """
    pending: dict[Future[Download | StageError], str] = {}
    todo = iter(urls)
    with ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
        while True:
            for url in islice(todo, workers * 2 - len(pending)):
                pending[pool.submit(_one, client, url)] = url
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()


def _one(client: HttpClient, url: str) -> Download | StageError:
    try:
        return client.get(url)
    except StageError as error:  # an outcome like any other: the caller decides what it means
        return error


def interleave_hosts(urls: Iterable[str]) -> list[str]:
    """Order URLs round-robin across their hosts, so no host's queue holds up the threads."""
    queues: dict[str, deque[str]] = {}
    for url in urls:
        queues.setdefault(host_of(url), deque()).append(url)
    ordered: list[str] = []
    while queues:
        for host in list(queues):
            ordered.append(queues[host].popleft())
            if not queues[host]:
                del queues[host]
    return ordered
