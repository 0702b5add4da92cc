"""Progress of long commands on stderr: a bar on a terminal, plain lines in a pipe or a log."""

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")
MAX_LINES = 100  # a log gets a line per item, or per 1% of a long run


class Reporter:
    """Counts done items of `label`; on a terminal a live bar, otherwise a line per step."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.every = max(1, (total or 0) // MAX_LINES)
        self._bar: Progress | None = None
        if self.stream.isatty():
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(file=self.stream), transient=True)
            self._task = self._bar.add_task(label, total=total)
            self._bar.start()

    def advance(self, note: str = "") -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
        elif self.done % self.every == 0 or self.done == self.total:
            of = f"/{self.total}" if self.total is not None else ""
            self.stream.write(f"{self.label}: {self.done}{of}{'  ' + note if note else ''}\n")
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def tracked(items: Iterable[T], label: str, total: int | None,
            stream: TextIO | None = None) -> Iterator[T]:
    """The items, reporting each as done once the consumer asks for the next."""
    with Reporter(label, total, stream) as reporter:
        for item in items:
            yield item
            reporter.advance()


class Waiting:
    """A `status --wait` heartbeat: a live line on a terminal, a line per change in a log."""

    def __init__(self, stream: TextIO | None = None, every: float = 30.0) -> None:
        self.stream = stream or sys.stderr
        self.every, self.last_line, self.last_said = every, "", 0.0
        self.tty = self.stream.isatty()

    def show(self, line: str) -> None:
        if self.tty:
            self.stream.write(f"\r\033[K{line}")
            self.stream.flush()
        elif line != self.last_line or time.monotonic() - self.last_said >= self.every:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last_said = time.monotonic()
        self.last_line = line

    def done(self) -> None:
        if self.tty and self.last_line:
            self.stream.write("\r\033[K")
            self.stream.flush()
