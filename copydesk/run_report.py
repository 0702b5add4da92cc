"""What `copydesk run` says as it goes: a line per job as it ends, and a live count on a terminal.

Each line speaks of its own job, by its own URL: stored, revised, unchanged, a near-copy of an
earlier article, or dead with its reason. On a terminal a rich progress line above them counts
the jobs in flight, stored, unchanged and dead, and pages per second.
"""

import sys
import time
from typing import IO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from copydesk.engine import JobEnd

NO_LINE = ("expanded",)  # a feed or sitemap that became its articles' jobs is no job of its own


def job_line(end: JobEnd) -> str:
    """The one line that says what happened to a job."""
    if end.status == "dead":
        return f"dead       {end.reason:<18} {end.url}  ({end.message})"
    if end.status == "skipped":
        return f"skipped    already closed  {end.url}"
    stored, article = end.stored, end.article
    if stored is None or article is None:  # a 304: the page had not changed since last time
        return f"unchanged  not modified  <{end.url}>"
    words = len(article.text.split())
    label = end.status
    if stored.duplicate_of is not None:
        label = "near-copy"
    detail = f" of {stored.duplicate_of}" if stored.duplicate_of is not None else ""
    return (f"{label:<10} {stored.article_id:>5}{detail}  {words:>6} words  "
            f"{article.title or '-'}  <{end.url}>")


class RunReport:
    """A listener for the engine: counts jobs, prints a line as each ends."""

    def __init__(self, out: IO[str] | None = None, console: Console | None = None,
                 live: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.console = console or Console(stderr=True)
        self.live = (self.console.is_terminal and self.out.isatty()) if live is None else live
        self.counts = {"accepted": 0, "stored": 0, "unchanged": 0, "dead": 0}
        self.started = time.monotonic()
        self._bar: Progress | None = None
        self._task = TaskID(0)

    def __enter__(self) -> "RunReport":
        return self

    def _start(self) -> None:
        # Started with the first jobs, not before: the engine forks its process pool first,
        # and the live display's refresh thread must not exist yet when it does.
        if self.live and self._bar is None:
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 TimeElapsedColumn(), console=self.console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self._status())

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def accepted(self, count: int) -> None:
        self._start()
        self.counts["accepted"] += count
        self._refresh()

    def waiting(self, url: str, seconds: float, reason: str) -> None:
        if not self.live:  # a log shows why a job is quiet; a terminal shows it in flight
            self.console.print(f"waiting    {seconds:5.1f}s  {reason:<18} {url}",
                               highlight=False, soft_wrap=True)

    def ended(self, end: JobEnd) -> None:
        if end.status in NO_LINE:
            self.counts["accepted"] -= 1
            self._refresh()
            return
        status = end.status if end.status in ("dead", "unchanged") else "stored"
        self.counts[status] = self.counts.get(status, 0) + 1
        line = job_line(end)
        if self._bar is not None:
            self._bar.console.print(line, highlight=False, markup=False, soft_wrap=True)
        else:
            print(line, file=self.out, flush=True)
        self._refresh()

    def _ended(self) -> int:
        return self.counts["stored"] + self.counts["unchanged"] + self.counts["dead"]

    def _status(self) -> str:
        seconds = max(time.monotonic() - self.started, 1e-6)
        flight = max(0, self.counts["accepted"] - self._ended())
        return (f"in flight {flight}, stored {self.counts['stored']}, unchanged "
                f"{self.counts['unchanged']}, dead {self.counts['dead']}, "
                f"{self._ended() / seconds:.1f} pages/s")

    def _refresh(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=self._status())
