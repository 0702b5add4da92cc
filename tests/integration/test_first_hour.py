"""What a new user meets in the first hour: the embedded default tells the truth and keeps the
state whole (retry without Redis, status right after a run, export like show, search without
hits, gzipped pages, progress of long commands)."""

import csv
import gzip
import io
import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixture_server import FixtureSite
from tests.support.services import RedisServer, postgres_database
from tests.support.workers import COPYDESK, copydesk, environment, jsonl

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LIVE_SEED = "004_b2b03e79aaf19651.txt"
MARATHON = "/sport/2024/10/18/runner-sets-course-record-at-limerick-marathon"
MISSING = "/hostile/missing"
NO_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the embedded default


def failing(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a copydesk command expected to fail."""
    result = subprocess.run([COPYDESK, *args], env=env, cwd=cwd, text=True,
                            capture_output=True, timeout=120)
    assert result.returncode != 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def ran(site: FixtureSite, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[dict[str, str], Path]]:
    """The two seeds and a page that answers 404, run in-process on SQLite with no Redis."""
    workdir = tmp_path_factory.mktemp("first-hour")
    env = environment(f"sqlite:///{workdir / 'copydesk.db'}", NO_REDIS,
                      COPYDESK_MAX_ATTEMPTS="1")
    copydesk("run", str(EXAMPLES), site.url(MISSING), env=env, cwd=workdir, timeout=300)
    yield env, workdir


def test_status_right_after_a_run_shows_its_pace(ran: tuple[dict[str, str], Path]) -> None:
    env, cwd = ran
    report = json.loads(copydesk("status", "--json", env=env, cwd=cwd).stdout)
    assert report["jobs"]["stored"] == 2
    # Two stored within the last minute: at least two per minute, not 0.0 and not "-".
    assert report["stages"]["store"]["done_per_minute"] >= 2.0
    assert report["stages"]["clean"]["done_per_minute"] >= 2.0


def test_export_reports_progress(ran: tuple[dict[str, str], Path]) -> None:
    env, cwd = ran
    result = copydesk("export", env=env, cwd=cwd)
    assert len(jsonl(result.stdout)) == 2
    lines = [line.split("  ")[0] for line in result.stderr.splitlines()]
    assert "export: 1/2" in lines and "export: 2/2" in lines  # a line per article in a pipe


def test_export_on_a_terminal_shows_a_bar(ran: tuple[dict[str, str], Path]) -> None:
    # On a terminal the same progress is a bar that counts, not a line per article.
    env, cwd = ran
    screen_side, command_side = os.openpty()
    try:
        result = subprocess.run([COPYDESK, "export"], cwd=cwd, stdout=subprocess.PIPE,
                                stderr=command_side, timeout=120,
                                env={**env, "TERM": "xterm-256color", "COLUMNS": "100"})
    finally:
        os.close(command_side)
    shown = b""
    with suppress(OSError):  # EIO once the command's side is closed and all is read
        while chunk := os.read(screen_side, 65536):
            shown += chunk
    os.close(screen_side)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode())
    assert result.returncode == 0 and len(jsonl(result.stdout.decode())) == 2
    assert re.search(r"export ━+ 2/2", screen), screen
    assert "export: 1/2" not in screen, screen


def exported(env: dict[str, str], cwd: Path) -> dict[str, dict[str, Any]]:
    """The run's records as `export` writes them, by the seed's file name."""
    return {Path(r["url"]).name: r for r in jsonl(copydesk("export", env=env, cwd=cwd).stdout)}


def test_export_carries_what_show_prints(ran: tuple[dict[str, str], Path]) -> None:
    env, cwd = ran
    live = exported(env, cwd)[LIVE_SEED]
    shown = json.loads(copydesk("show", live["url"], env=env, cwd=cwd).stdout
                       .split("\n--- text ---\n")[0])
    for field in ("page_kind", "date_sources", "cluster_id"):
        assert field in live and live[field] == shown[field], field
    assert live["page_kind"] == "live_blog" and live["date_sources"]
    table = list(csv.DictReader(io.StringIO(copydesk("export", "--format", "csv", env=env,
                                                     cwd=cwd).stdout)))
    assert {row["page_kind"] for row in table} >= {"live_blog"}


def test_live_blog_entry_times_carry_their_utc_offset(ran: tuple[dict[str, str], Path]) -> None:
    # The README says every time is UTC: an entry's time says so, as the article's own does.
    env, cwd = ran
    live = exported(env, cwd)[LIVE_SEED]
    assert live["published_at"].endswith("+00:00"), live["published_at"]
    times = [entry["published_at"] for entry in live["entries"]]
    assert times and all(t.endswith("+00:00") for t in times), times


def test_search_without_hits_says_so(ran: tuple[dict[str, str], Path]) -> None:
    env, cwd = ran
    result = copydesk("search", "zeppelinxyzzy", env=env, cwd=cwd)
    assert result.stdout == ""
    assert "no stored article matches 'zeppelinxyzzy'" in result.stderr


def test_dead_letters_format_is_checked(ran: tuple[dict[str, str], Path],
                                        site: FixtureSite) -> None:
    env, cwd = ran
    rows = list(csv.DictReader(io.StringIO(
        copydesk("dead-letters", "--format", "csv", env=env, cwd=cwd).stdout)))
    assert [(row["url"], row["reason"]) for row in rows] == [(site.url(MISSING), "http_404")]
    refused = failing("dead-letters", "--format", "xml", env=env, cwd=cwd)
    assert refused.returncode == 2 and "unknown format 'xml'" in refused.stderr


def test_retry_reports_progress(ran: tuple[dict[str, str], Path], site: FixtureSite) -> None:
    env, cwd = ran
    result = copydesk("dead-letters", "retry", "--in-process", "--reason", "http_404", env=env,
                      cwd=cwd)
    assert "retrying 1 dead-lettered job(s)" in result.stdout
    assert f"retry: 1/1  dead {site.url(MISSING)}" in result.stderr  # how the job ended


def test_retry_without_redis_runs_here_and_closes_the_job(
        ran: tuple[dict[str, str], Path], site: FixtureSite) -> None:
    env, cwd = ran
    result = subprocess.run([COPYDESK, "dead-letters", "retry", "--reason", "http_404"], env=env,
                            cwd=cwd, text=True, capture_output=True, timeout=120)
    # Whatever it printed, the state is whole: still a 404, so a dead letter again, and no job
    # left open that nothing in embedded mode would ever close.
    letters = jsonl(copydesk("dead-letters", env=env, cwd=cwd).stdout)
    assert [(d["url"], d["reason"]) for d in letters] == [(site.url(MISSING), "http_404")], \
        result.stderr[-300:]
    report = json.loads(copydesk("status", "--json", env=env, cwd=cwd).stdout)
    assert report["jobs"]["open"] == 0 and report["jobs"]["dead"] == 1
    assert result.returncode == 0, result.stderr[-300:]
    assert "retrying 1 dead-lettered job(s)" in result.stdout
    assert "does not answer: running here" in result.stderr
    assert f"retry: 1/1  dead {site.url(MISSING)}" in result.stderr


def test_replay_on_the_embedded_default_runs_here(ran: tuple[dict[str, str], Path]) -> None:
    env, cwd = ran
    result = copydesk("replay", "--stage", "extract", env=env, cwd=cwd)
    assert "replayed 2 page(s) from extract" in result.stdout
    assert "running here" in result.stderr


def test_replay_reports_progress(ran: tuple[dict[str, str], Path]) -> None:
    env, cwd = ran
    result = copydesk("replay", "--stage", "extract", "--in-process", env=env, cwd=cwd)
    assert "replayed 2 page(s) from extract" in result.stdout
    lines = [line.split("  ")[0] for line in result.stderr.splitlines()]
    assert "replay: 1/2" in lines and "replay: 2/2" in lines


def test_retry_on_postgres_without_redis_stops_before_changing_anything(
        site: FixtureSite, tmp_path: Path) -> None:
    with postgres_database() as database:
        env = environment(database, NO_REDIS, COPYDESK_MAX_ATTEMPTS="1")
        copydesk("run", site.url(MISSING), env=env, cwd=tmp_path)
        before = copydesk("dead-letters", env=env, cwd=tmp_path).stdout
        refused = failing("dead-letters", "retry", env=env, cwd=tmp_path)
        # Nothing changed: the dead letter is still there and no job was opened.
        assert copydesk("dead-letters", env=env, cwd=tmp_path).stdout == before, \
            refused.stderr[-300:]
        report = json.loads(copydesk("status", "--json", env=env, cwd=tmp_path).stdout)
        assert report["jobs"]["open"] == 0
        assert refused.returncode == 2
        assert "does not answer" in refused.stderr and "--in-process" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_status_wait_says_what_it_waits_for(site: FixtureSite, tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    try:
        env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", redis.url)
        copydesk("submit", site.url(MARATHON), env=env, cwd=tmp_path)  # no worker takes it
        waited = failing("status", "--wait", "--timeout", "2", env=env, cwd=tmp_path)
    finally:
        redis.stop(kill=True)
    assert waited.returncode == 1
    assert "waiting: open 1" in waited.stderr


def test_a_folder_of_gzipped_pages_is_read(site: FixtureSite, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    article = (site.root / MARATHON.lstrip("/")).with_suffix(".html").read_bytes()
    (pages / "marathon.html.gz").write_bytes(gzip.compress(article))
    (pages / (LIVE_SEED + ".gz")).write_bytes(gzip.compress((EXAMPLES / LIVE_SEED).read_bytes()))
    (pages / "broken.html.gz").write_bytes(b"not gzip at all")
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", NO_REDIS)
    out = copydesk("run", str(pages), env=env, cwd=tmp_path).stdout
    assert "stored 2, unchanged 0" in out
    letters = jsonl(copydesk("dead-letters", env=env, cwd=tmp_path).stdout)
    assert [d["reason"] for d in letters] == ["unparseable"]
    assert "broken.html.gz" in letters[0]["message"]
