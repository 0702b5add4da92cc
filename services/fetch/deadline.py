"""A total deadline per fetch, enforced even inside a blocking read.

Socket timeouts bound each read, not the whole exchange: a server that drips one byte a
second, in its headers or its body, never trips them. One watchdog thread keeps every fetch's
deadline; when one passes it shuts the fetch's sockets down, which wakes the blocked read.
"""

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator


class Guard:
    """The sockets one fetch is using, and the time they must be done by."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._done = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def postpone(self, seconds: float) -> None:
        """Move the deadline out: time spent waiting on our own rate limit is not the server's."""
        with self._lock:
            self.deadline += seconds

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.fired:
                _shutdown(sock)
            elif not self._done:
                self._sockets.add(sock)

    def unwatch(self, sock: socket.socket) -> None:
        """Forget a socket (its connection is going back to the pool, to another fetch)."""
        with self._lock:
            self._sockets.discard(sock)

    def fire(self) -> bool:
        """Shut the sockets down if the deadline has passed; False if it was postponed."""
        with self._lock:
            if self._done:
                return True
            if self.deadline > time.monotonic():
                return False
            self.fired = True
            for sock in self._sockets:
                _shutdown(sock)
            self._sockets.clear()
            return True

    @property
    def finished(self) -> bool:
        """The fetch is over: its sockets are no longer watched, nothing is left to fire."""
        return self._done

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()


def _shutdown(sock: socket.socket) -> None:
    # The plain socket's shutdown, not SSLSocket's, which would pull the TLS state from
    # under the thread still reading it.
    with contextlib.suppress(OSError):  # already closed: nothing left to wake
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Watchdog:
    """One thread that fires guards whose deadline has passed."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Guard]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, guard: Guard) -> None:
        with self._wake:
            # The thread sleeps until the earliest deadline it holds: only a guard due before
            # that needs to wake it. Every fetch has the same budget, so a new guard is nearly
            # always due last, and the thread is not woken for each fetch (it was: three
            # wake-ups a page, each taking the GIL from the fetch threads).
            sooner = not self._heap or guard.deadline < self._heap[0][0]
            heapq.heappush(self._heap, (guard.deadline, next(self._counter), guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fetch-watchdog",
                                                daemon=True)
                self._thread.start()
            if sooner:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while True:
                    # A finished fetch has nothing to fire: drop it now rather than wake at
                    # its deadline for it (fire() would return at once).
                    while self._heap and self._heap[0][2].finished:
                        heapq.heappop(self._heap)
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                _, _, guard = heapq.heappop(self._heap)
            if not guard.fire():  # postponed: wait for its new time
                self.arm(guard)


_watchdog = Watchdog()
_current = threading.local()


@contextlib.contextmanager
def guarded(seconds: float) -> Iterator[Guard]:
    """Run a fetch under a deadline `seconds` from now; sockets it uses register themselves."""
    guard = Guard(time.monotonic() + seconds)
    _watchdog.arm(guard)
    _current.guard = guard
    try:
        yield guard
    finally:
        _current.guard = None
        guard.finish()


def current_guard() -> Guard | None:
    """The guard of the fetch running on this thread, if any."""
    return getattr(_current, "guard", None)
