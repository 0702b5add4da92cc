"""A source's own settings, carried in the hints of its job so every worker and every retry
(the sweeper restarts a job from its row) sees them: its hosts' rate and an 'only since'."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

RATE = "source_rate"    # requests per second to the source's hosts
SINCE = "source_since"  # a date, or an age such as "7d": sitemap entries older are skipped
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(text: str) -> float:
    """A positive number of requests per second."""
    try:
        rate = float(text)
    except ValueError:
        rate = 0.0
    if not rate > 0:
        raise ValueError(f"rate must be a positive number of requests per second, not {text!r}")
    return rate


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'2024-11-01' or an ISO datetime (UTC unless it says otherwise), or an age before `now`.

    An age is read at each run, so a scheduled source keeps looking back the same distance.
    """
    age = _AGE.match(text)
    if age:
        seconds = float(age.group(1)) * _UNITS[age.group(2)]
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ValueError(f"since must be a date, a datetime or an age like 7d, not {text!r}") \
            from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rate_of(hints: Mapping[str, str]) -> float | None:
    return parse_rate(hints[RATE]) if RATE in hints else None


def since_of(hints: Mapping[str, str], now: datetime | None = None) -> datetime | None:
    return parse_since(hints[SINCE], now) if SINCE in hints else None
