"""requests' transport, pinned: connect to the address the guard vetted, not a fresh lookup.

The Host header, TLS SNI and certificate check still use the host name, so HTTPS and virtual
hosts work; only the TCP connection goes to the pinned IP. Every socket registers with the
fetch's deadline guard, and leaves it before its connection returns to the shared pool.
"""

import queue
from dataclasses import dataclass
from typing import Any

from requests import PreparedRequest
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from services.fetch.deadline import Guard, current_guard


@dataclass(frozen=True)
class Pin:
    """Where one request goes: the URL's scheme, host name and port, and the vetted address."""

    scheme: str
    host: str
    port: int
    ip: str


class PinnedRequest(PreparedRequest):
    """A prepared request that carries its pin to the adapter."""

    pin: Pin


class _GuardedMixin:
    sock: Any
    _fetch_guard: Guard | None = None

    def _watch(self, sock: Any) -> None:
        guard = current_guard()
        if guard is not None and sock is not None:
            guard.watch(sock)
            self._fetch_guard = guard

    def _new_conn(self) -> Any:
        # The plain socket, watched before the TLS handshake runs on it.
        sock = super()._new_conn()  # type: ignore[misc]
        self._watch(sock)
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        self._watch(self.sock)  # a kept-alive connection another fetch opened
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]

    def leave_guard(self) -> None:
        if self._fetch_guard is not None and self.sock is not None:
            self._fetch_guard.unwatch(self.sock)
        self._fetch_guard = None


class GuardedHTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class SlotQueue(queue.LifoQueue[Any]):
    """A pool's LIFO queue that starts full of free slots (None), as urllib3 wants it.

    urllib3 fills a new pool's queue with one locked put(None) per slot, pool_maxsize (64) of
    them, for each host: a new host's pool cost 0.09 ms, a thirtieth of a page's fetch. This
    queue is made full instead and lets exactly those first puts of None through unqueued;
    every later put and get is LifoQueue's own.
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.queue.extend([None] * maxsize)
        self.unfinished_tasks = maxsize
        self._slots_to_skip = maxsize

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None and self._slots_to_skip:  # the pool's own filling, in its __init__
            self._slots_to_skip -= 1
            return
        self._slots_to_skip = 0  # anything else first: from here on, every put is real
        super().put(item, block, timeout)


class _ReleasingMixin:
    QueueCls = SlotQueue

    def _put_conn(self, conn: Any) -> None:
        if isinstance(conn, _GuardedMixin):
            conn.leave_guard()
        super()._put_conn(conn)  # type: ignore[misc]


class GuardedHTTPPool(_ReleasingMixin, HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSPool(_ReleasingMixin, HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connection pools are keyed by the pinned address and host name."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPPool, "https": GuardedHTTPSPool}

    def get_connection_with_tls_context(self, request: PreparedRequest, verify: Any,
                                        proxies: Any = None, cert: Any = None) -> Any:
        pin = request.pin if isinstance(request, PinnedRequest) else None
        if pin is None:
            raise ValueError("PinnedAdapter sends only pinned requests")
        _, tls = self.build_connection_pool_key_attributes(request, verify, cert)
        pool_kwargs: dict[str, Any] = dict(tls)
        if pin.scheme == "https":
            pool_kwargs.update(server_hostname=pin.host, assert_hostname=pin.host)
        return self.poolmanager.connection_from_host(
            pin.ip, pin.port, pin.scheme, pool_kwargs=pool_kwargs)
