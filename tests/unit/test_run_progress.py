"""`copydesk run`'s report: a line per ended job as it ends; on a terminal, live counts."""

import io

from rich.console import Console

from copydesk.engine import JobEnd
from copydesk.run_report import RunReport
from services.store.store import Stored
from shared.models import Article, utcnow

ARTICLE = Article(job_id="j1", url="https://news.example/a", source="test",
                  canonical_url="https://news.example/a", title="Harbour wall repairs begin",
                  text="Work began on Monday.\n\nIt will take a year.", content_hash="h",
                  fetched_at=utcnow())


def ends() -> list[JobEnd]:
    return [
        JobEnd("j1", "https://news.example/a", "stored", article=ARTICLE,
               stored=Stored("stored", 7, 1)),
        JobEnd("j2", "https://news.example/b", "unchanged", article=ARTICLE,
               stored=Stored("unchanged", 8, 1)),
        JobEnd("j3", "https://news.example/c", "stored", article=ARTICLE,
               stored=Stored("stored", 9, 1, duplicate_of=7)),
        JobEnd("j4", "https://news.example/d", "dead", "http_500", "gave up after 5 attempts"),
        JobEnd("j5", "https://news.example/feed.xml", "expanded"),
    ]


def test_piped_each_job_gets_its_own_line_as_it_ends() -> None:
    out = io.StringIO()
    report = RunReport(out=out, console=Console(file=io.StringIO()), live=False)
    with report:
        report.accepted(5)
        for number, end in enumerate(ends(), 1):
            report.ended(end)
            assert len(out.getvalue().splitlines()) == min(number, 4)  # at once, not at the end
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:2] == ["stored", "7"] and lines[0].endswith("<https://news.example/a>")
    assert lines[1].startswith("unchanged") and "<https://news.example/b>" in lines[1]
    assert lines[2].startswith("near-copy") and " of 7 " in lines[2]
    assert lines[3].split()[:3] == ["dead", "http_500", "https://news.example/d"]
    assert report.counts == {"accepted": 4, "stored": 2, "unchanged": 1, "dead": 1}


def test_on_a_terminal_the_counts_show_as_they_change() -> None:
    screen = io.StringIO()
    report = RunReport(out=io.StringIO(), live=True,
                       console=Console(file=screen, force_terminal=True, width=200))
    with report:
        report.accepted(5)
        for end in ends()[:3]:
            report.ended(end)
        status = report._status()
    assert status.startswith("in flight 2, stored 2, unchanged 1, dead 0,")
    assert "pages/s" in status
    assert "near-copy" in screen.getvalue()
