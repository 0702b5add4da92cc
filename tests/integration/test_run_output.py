"""`copydesk run` says what happened to each job, by the job's own URL, one line each."""

import json
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.fixture_server import FixtureSite
from tests.support.workers import COPYDESK, copydesk, environment

MANIFEST = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "site" / "_expected"
                       / "manifest.json").read_text())
OUTCOMES = ("stored", "revised", "unchanged", "near-copy", "dead", "skipped")


def job_lines(stdout: str) -> list[str]:
    """The per-job lines of a run's output (the last line is the summary)."""
    *lines, summary = stdout.strip().splitlines()
    assert summary.startswith("accepted ")
    assert all(line.split()[0] in OUTCOMES for line in lines), lines
    return lines


def url_of(line: str) -> str:
    """The job's URL a line names: in angle brackets, or after a dead letter's reason."""
    if "<" in line:
        return line[line.rindex("<") + 1:line.rindex(">")]
    return line.split()[2]


def test_a_home_page_and_a_feed_give_one_line_per_job_with_its_own_url(
        site: FixtureSite, tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0",
                      COPYDESK_MAX_ATTEMPTS="2")
    ran = copydesk("run", site.url("/"), site.url("/feeds/atom.xml"), env=env, cwd=tmp_path,
                   timeout=300)
    lines = job_lines(ran.stdout)
    accepted = int(ran.stdout.strip().splitlines()[-1].split(",")[0].split()[1])
    paths = [urlsplit(url_of(line)).path for line in lines]
    assert len(lines) == accepted, lines
    assert len(set(paths)) == len(paths), f"a job named twice: {lines}"
    assert set(MANIFEST["pages"]["/"]) <= set(paths)


def test_two_jobs_that_end_in_one_article_each_have_their_line_and_url(
        site: FixtureSite, tmp_path: Path) -> None:
    # A feed's link with a query of its own is a job of its own whose page names the article's
    # canonical URL: both jobs end in one article, and each still gets a line with its own URL
    # (a report read from the articles table printed one line, with the first job's URL).
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0")
    page = site.url(MANIFEST["pages"]["/world/"][0])
    ran = copydesk("run", page, page + "?ref=feed", env=env, cwd=tmp_path)
    lines = job_lines(ran.stdout)
    assert ran.stdout.strip().splitlines()[-1].startswith("accepted 2,"), ran.stdout
    assert sorted(url_of(line) for line in lines) == sorted([page, page + "?ref=feed"]), lines
    assert len({line.split()[1] for line in lines}) == 1, lines  # one article id


def test_a_near_copy_says_of_which_article(site: FixtureSite, tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0")
    original, copy = MANIFEST["duplicates"][0]
    first = job_lines(copydesk("run", site.url(original), env=env, cwd=tmp_path).stdout)
    second = job_lines(copydesk("run", site.url(copy), env=env, cwd=tmp_path).stdout)
    article_id = first[0].split()[1]
    assert first[0].startswith("stored") and site.url(original) in first[0]
    assert second[0].startswith("near-copy") and f" of {article_id} " in second[0], second
    assert site.url(copy) in second[0]


def test_pages_run_again_each_say_unchanged_by_their_own_url(site: FixtureSite,
                                                           tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0")
    pages = [site.url(path) for path in MANIFEST["pages"]["/world/"][:2]]
    copydesk("run", *pages, env=env, cwd=tmp_path)
    again = job_lines(copydesk("run", *pages, env=env, cwd=tmp_path).stdout)
    assert len(again) == len(pages), again  # a 304 is a job that ended too
    assert sorted(url_of(line) for line in again) == sorted(pages)
    assert all(line.startswith("unchanged") for line in again), again


def test_piped_a_job_has_its_line_while_the_run_goes_on(site: FixtureSite,
                                                       tmp_path: Path) -> None:
    # A run's output in a pipe or a log is not held back to the end: the quick page's line comes
    # while the slow page (a byte a second, ended by its 20 s deadline) keeps the run going.
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0",
                      COPYDESK_FETCH_DEADLINE="20", COPYDESK_READ_TIMEOUT="30",
                      COPYDESK_MAX_ATTEMPTS="1")
    quick, slow = site.url(MANIFEST["pages"]["/sport/"][0]), site.url("/hostile/slow")
    run = subprocess.Popen([COPYDESK, "run", quick, slow], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert run.stdout is not None
        first = run.stdout.readline()
        first_at = time.monotonic()
        rest = run.stdout.read()
        ended_at = time.monotonic()
    finally:
        run.kill()
        run.wait()
    assert first.startswith("stored") and f"<{quick}>" in first, first
    assert "timeout" in rest and slow in rest, rest
    assert ended_at - first_at > 6, (
        f"the first line came only {ended_at - first_at:.1f} s before the run's end")


def test_a_page_tried_again_says_why_it_waits(site: FixtureSite, tmp_path: Path) -> None:
    # Piped, a retried page is not silent until it ends: a line on stderr for each wait, with
    # the page's URL, the wait and its reason (a 500 tried again, a 503 with Retry-After).
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0",
                      COPYDESK_MAX_ATTEMPTS="3")
    error, flaky = site.url("/hostile/error"), site.url("/hostile/flaky?run=waits")
    ran = copydesk("run", error, flaky, env=env, cwd=tmp_path)
    waits = [line.split() for line in ran.stderr.splitlines() if line.startswith("waiting")]
    assert [(w[2], w[3]) for w in waits if w[3] == error] == [("http_500", error)] * 2, waits
    assert [(w[2], w[3]) for w in waits if w[3] == flaky] == [("http_503", flaky)], waits
    assert all(w[1].endswith("s") and float(w[1][:-1]) >= 0 for w in waits), waits
    lines = job_lines(ran.stdout)
    assert sorted(line.split()[0] for line in lines) == ["dead", "stored"], lines


def test_a_file_refused_as_it_is_accepted_has_its_line_and_counts_as_dead(
        tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    seed = Path(__file__).resolve().parents[2] / "examples" / "000_f5ff41b48f29e971.txt"
    (folder / "good.txt").write_text(seed.read_text())
    (folder / "broken.html.gz").write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0")
    ran = copydesk("run", str(folder), env=env, cwd=tmp_path)
    lines = job_lines(ran.stdout)
    assert ran.stdout.strip().splitlines()[-1].startswith(
        "accepted 2, stored 1, unchanged 0, dead-lettered 1"), ran.stdout
    dead = [line for line in lines if line.startswith("dead")]
    assert len(dead) == 1 and "unparseable" in dead[0] and "broken.html.gz" in dead[0], lines
