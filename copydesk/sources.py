"""Sources: what a user names on the command line or lists in sources.toml."""

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from services.fetch import options as fetch_options

LOCAL_SUFFIXES = (".html", ".htm", ".txt", ".xml")
WARC_SUFFIXES = (".warc", ".warc.gz")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Source:
    """A named place articles come from, how often to look at it, and how.

    `rate` (requests per second to its hosts) and `since` (a date or an age such as "7d":
    older sitemap entries are skipped) travel with each run as its job's hints.
    """

    name: str
    location: str
    every: timedelta | None = None
    cron: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    rate: float | None = None
    since: str | None = None

    def job_hints(self) -> dict[str, str]:
        """This source's own settings, as the fetch service reads them from a job."""
        hints = {fetch_options.RATE: str(self.rate) if self.rate else None,
                 fetch_options.SINCE: self.since}
        return {key: value for key, value in hints.items() if value}

    @property
    def is_url(self) -> bool:
        return urlsplit(self.location).scheme in ("http", "https")

    @property
    def is_warc(self) -> bool:
        return self.location.endswith(WARC_SUFFIXES)


class SourceError(ValueError):
    """A source that cannot be used, with a message for the user."""


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '2h', '1d' as a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise SourceError(f"not a duration: {text!r} (use e.g. 30s, 15m, 2h, 1d)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def source_from_argument(argument: str) -> Source:
    """A SOURCE given on the command line: an http(s) URL, a file or a folder."""
    if urlsplit(argument).scheme in ("http", "https"):
        return Source(name=urlsplit(argument).hostname or argument, location=argument)
    path = Path(argument)
    if not path.exists():
        raise SourceError(f"no such file or folder: {argument}")
    if path.is_file() and not argument.endswith(LOCAL_SUFFIXES + WARC_SUFFIXES):
        raise SourceError(f"unsupported file type: {argument} "
                          f"(use {', '.join(LOCAL_SUFFIXES + WARC_SUFFIXES)})")
    return Source(name=path.name or argument, location=argument)


def load_sources(path: Path) -> list[Source]:
    """The [[source]] tables of a sources.toml file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SourceError(f"cannot read {path}: {error}") from error
    sources = []
    for table in data.get("source", []):
        name, location = table.get("name"), table.get("url") or table.get("path")
        if not name or not location:
            raise SourceError(f"{path}: every [[source]] needs a name and a url or path")
        every = parse_duration(table["every"]) if "every" in table else None
        if every is None and "cron" not in table:
            raise SourceError(f"{path}: source {name!r} needs `every` or `cron`")
        options = {k: str(v) for k, v in table.items()
                   if k not in ("name", "url", "path", "every", "cron", "rate", "since")}
        rate, since = _checked(path, name, table)
        sources.append(Source(name, location, every, table.get("cron"), options, rate, since))
    if len({source.name for source in sources}) != len(sources):
        raise SourceError(f"{path}: source names must be unique")
    return sources


def _checked(path: Path, name: str, table: dict) -> tuple[float | None, str | None]:
    """A source's rate and since, refused here rather than at its first run."""
    rate, since = table.get("rate"), table.get("since")
    try:
        if since is not None:
            since = str(since)  # TOML reads an unquoted date as a date
            fetch_options.parse_since(since)
        return (fetch_options.parse_rate(str(rate)) if rate is not None else None), since
    except ValueError as error:
        raise SourceError(f"{path}: source {name!r}: {error}") from error
