"""The pinned transport's connection pools: their slot queue starts as urllib3 fills its own."""

import queue

from services.fetch.transport import GuardedHTTPPool, GuardedHTTPSPool, SlotQueue


class _PlainPool(GuardedHTTPPool):
    QueueCls = queue.LifoQueue


def _drain(lifo: queue.LifoQueue[object]) -> list[object]:
    items = []
    while True:
        try:
            items.append(lifo.get(block=False))
        except queue.Empty:
            return items


def test_a_new_pool_holds_the_slots_urllib3_would_have_put() -> None:
    for maxsize in (1, 10, 64):
        fast, plain = GuardedHTTPPool("127.0.0.2", 80, maxsize=maxsize), \
            _PlainPool("127.0.0.2", 80, maxsize=maxsize)
        assert isinstance(fast.pool, SlotQueue)
        assert type(plain.pool) is queue.LifoQueue
        # urllib3 put exactly maxsize Nones: every skip was used, none is left for later puts.
        assert fast.pool._slots_to_skip == 0
        assert (fast.pool.qsize(), fast.pool.full(), fast.pool.unfinished_tasks) == \
            (plain.pool.qsize(), plain.pool.full(), plain.pool.unfinished_tasks)
        assert list(fast.pool.queue) == list(plain.pool.queue)
    assert isinstance(GuardedHTTPSPool("127.0.0.2", 443, maxsize=4).pool, SlotQueue)


def test_after_its_filling_the_queue_is_a_lifo_queue() -> None:
    fast, plain = SlotQueue(3), queue.LifoQueue(3)
    for lifo in (fast, plain):
        for _ in range(3):
            lifo.put(None)
        assert lifo.get() is None and lifo.get() is None
        lifo.put("a", block=False)
        lifo.put(None, block=False)  # a connection dropped: its slot goes back
    assert _drain(fast) == _drain(plain) == [None, "a", None]
    fast.put("b")
    fast.put(None)  # once filled, a None is a real put
    assert _drain(fast) == [None, "b"]
