"""The two kinds of failure a stage may raise: retried, or dead-lettered with a reason code."""


class StageError(Exception):
    """Base of the errors a stage raises on purpose."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message or reason

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled with its reason (it crosses a process pool); the default would pass args.
        return type(self), (self.reason, self.message)


class TransientError(StageError):
    """Worth trying again later: network trouble, 5xx, 429, database down."""


class PermanentError(StageError):
    """Trying again cannot help: 404, refused address, too large, not an article, unparseable."""


class Postponed(TransientError):
    """Try later, and no failure of the job: a host asked us to wait (429, 503 Retry-After) or
    our own rate limit has no slot yet. Not counted as an attempt."""

    def __init__(self, reason: str, message: str = "", delay: float = 60.0, *,
                 ours: bool = False) -> None:
        super().__init__(reason, message)
        self.delay = delay
        # Our own per-host limit (a long backlog for one host) rather than the host's answer:
        # a backlog drains, so only the host's "later" is ever given up on.
        self.ours = ours

    def __reduce__(self) -> tuple[object, ...]:
        return _postponed, (self.reason, self.message, self.delay, self.ours)


def _postponed(reason: str, message: str, delay: float, ours: bool) -> Postponed:
    return Postponed(reason, message, delay, ours=ours)
