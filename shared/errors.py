"""The two kinds of failure a stage may raise: retried, or dead-lettered with a reason code."""


class StageError(Exception):
    """Base of the errors a stage raises on purpose."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message or reason


class TransientError(StageError):
    """Worth trying again later: network trouble, 5xx, 429, database down."""


class PermanentError(StageError):
    """Trying again cannot help: 404, refused address, too large, not an article, unparseable."""
