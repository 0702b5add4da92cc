"""The deadline watchdog: each unfinished fetch is cut at its own deadline, whatever the order
its guards were armed in; finished fetches are dropped unfired."""

import socket
import time

from services.fetch.deadline import Guard, Watchdog


def _watched(watchdog: Watchdog, seconds: float) -> tuple[Guard, socket.socket, socket.socket]:
    ours, theirs = socket.socketpair()
    guard = Guard(time.monotonic() + seconds)
    guard.watch(ours)
    watchdog.arm(guard)
    return guard, ours, theirs


def _wait_fired(guard: Guard, within: float) -> float:
    started = time.monotonic()
    while not guard.fired and time.monotonic() - started < within:
        time.sleep(0.005)
    return time.monotonic() - started


def test_guards_fire_at_their_own_deadlines_in_any_order() -> None:
    watchdog = Watchdog()
    late, late_sock, _late_peer = _watched(watchdog, 1.5)  # the thread now sleeps until it
    soon, soon_sock, _soon_peer = _watched(watchdog, 0.1)  # sooner: the thread is woken
    after, _after_sock, _after_peer = _watched(watchdog, 0.3)  # later than the sooner one
    assert _wait_fired(soon, 3.0) < 0.8
    assert soon_sock.recv(1) == b""  # shut down: a blocked read would wake
    assert _wait_fired(after, 3.0) < 0.8
    assert not late.fired
    _wait_fired(late, 3.0)
    assert late.fired
    assert late_sock.recv(1) == b""


def test_a_finished_fetch_is_dropped_unfired_and_the_next_still_fires() -> None:
    watchdog = Watchdog()
    done, done_sock, done_peer = _watched(watchdog, 0.05)
    done.finish()
    live, _live_sock, _live_peer = _watched(watchdog, 0.15)
    assert _wait_fired(live, 2.0) < 0.5
    assert not done.fired
    done_peer.sendall(b"x")
    assert done_sock.recv(1) == b"x"  # never shut down
    assert watchdog._heap == []


def test_a_postponed_guard_fires_at_its_new_deadline() -> None:
    watchdog = Watchdog()
    guard, _sock, _peer = _watched(watchdog, 0.05)
    guard.postpone(0.3)
    assert 0.2 < _wait_fired(guard, 2.0) < 0.8
