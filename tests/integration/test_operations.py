"""What an operator runs after ingesting: search, show, export formats, replay, dead-letter
retry, status; and what a worker shows while it runs: Prometheus metrics and JSON logs."""

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import requests

from tests.support.fixture_server import FixtureSite
from tests.support.services import RedisServer, free_port, postgres_database
from tests.support.workers import copydesk, environment, jsonl, running_workers

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MARATHON = "/sport/2024/10/18/runner-sets-course-record-at-limerick-marathon"
MISSING = "/hostile/missing"
INFLATION = "/business/2024/10/19/inflation-eases-to-69-as-petrol-prices-fall"


@pytest.fixture(scope="module")
def embedded(site: FixtureSite, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[dict[str, str], Path]]:
    """The fixture site's sitemaps and RSS feed ingested in-process on SQLite."""
    workdir = tmp_path_factory.mktemp("embedded")
    env = environment(f"sqlite:///{workdir / 'copydesk.db'}", "redis://127.0.0.1:1/0",
                      COPYDESK_MAX_ATTEMPTS="2")
    copydesk("run", site.url("/feeds/rss.xml"), site.url("/sitemap_index.xml"),
             env=env, cwd=workdir, timeout=600)
    yield env, workdir


def articles(env: dict[str, str], cwd: Path) -> dict[str, dict[str, Any]]:
    return {r["url"]: r for r in jsonl(copydesk("export", env=env, cwd=cwd).stdout)}


def test_search_finds_an_article_by_its_words(embedded: tuple[dict[str, str], Path],
                                              site: FixtureSite) -> None:
    env, cwd = embedded
    hits = copydesk("search", "Limerick marathon course record", env=env, cwd=cwd).stdout
    first = hits.splitlines()[0]
    assert site.url(MARATHON) in first and "Runner sets course record" in first
    assert copydesk("search", "zeppelinxyzzy", env=env, cwd=cwd).stdout == ""


def test_show_prints_the_article_and_what_was_cut(embedded: tuple[dict[str, str], Path],
                                                  site: FixtureSite) -> None:
    env, cwd = embedded
    record, text, cut = shown(copydesk("show", site.url(INFLATION), env=env, cwd=cwd).stdout)
    assert record["title"] == "Inflation eases to 6.9% as petrol prices fall"
    assert record["authors"] == ["Fatima Zahra", "Beth Carrow"]
    assert "[appeal] Support independent journalism" in cut
    assert "Support independent journalism" not in text and "petrol" in text
    record, text, _ = shown(copydesk("show", site.url(MARATHON), env=env, cwd=cwd).stdout)
    assert record["quotes"] and record["entities"]["people"] and "Limerick" in text


def shown(output: str) -> tuple[dict[str, Any], str, str]:
    """`copydesk show` output: the record, the text, the lines of what was cut."""
    head, rest = output.split("\n--- text ---\n")
    text, cut = rest.split("\n--- cut by the clean stage")
    return json.loads(head), text, cut


def test_export_formats_agree(embedded: tuple[dict[str, str], Path]) -> None:
    env, cwd = embedded
    records = articles(env, cwd)
    copydesk("export", "--format", "csv", "--out", "out.csv", env=env, cwd=cwd)
    copydesk("export", "--format", "parquet", "--out", "out.parquet", env=env, cwd=cwd)
    rows = list(csv.DictReader(io.StringIO((cwd / "out.csv").read_text("utf-8"))))
    table = pq.read_table(cwd / "out.parquet").to_pylist()
    assert {row["url"] for row in rows} == set(records) == {row["url"] for row in table}
    by_url = {row["url"]: row for row in rows}
    for url, record in records.items():
        assert by_url[url]["title"] == (record["title"] or "")
        assert json.loads(by_url[url]["authors"]) == record["authors"]


def test_replay_of_unchanged_pages_changes_nothing(embedded: tuple[dict[str, str], Path],
                                                   site: FixtureSite) -> None:
    env, cwd = embedded
    before = articles(env, cwd)
    hits = len(site.hits.snapshot())
    out = copydesk("replay", "--stage", "clean", "--in-process", env=env, cwd=cwd).stdout
    assert out.strip().endswith(f"replayed {len(before)} page(s) from clean")
    assert len(site.hits.snapshot()) == hits  # nothing was fetched
    after = articles(env, cwd)
    assert after == before  # same text, same revision, nothing new


def test_replaying_a_stage_twice_in_a_row_makes_no_new_revision(
        embedded: tuple[dict[str, str], Path]) -> None:
    env, cwd = embedded
    copydesk("replay", "--stage", "extract", "--in-process", env=env, cwd=cwd)
    once = articles(env, cwd)
    copydesk("replay", "--stage", "extract", "--in-process", env=env, cwd=cwd)
    assert articles(env, cwd) == once


def test_dead_letter_retry_by_reason(embedded: tuple[dict[str, str], Path],
                                     site: FixtureSite) -> None:
    env, cwd = embedded
    letters = jsonl(copydesk("dead-letters", env=env, cwd=cwd).stdout)
    assert site.url(MISSING) in {d["url"] for d in letters if d["reason"] == "http_404"}
    # The page turns up: retrying the 404s stores it; other dead letters stay as they were.
    article = (site.root / MARATHON.lstrip("/")).with_suffix(".html").read_text("utf-8")
    site.set_override(MISSING, article.replace("Limerick", "Killarney"))
    out = copydesk("dead-letters", "retry", "--reason", "http_404", "--in-process",
                   env=env, cwd=cwd).stdout
    assert "retrying 1 dead-lettered job(s)" in out
    remaining = jsonl(copydesk("dead-letters", env=env, cwd=cwd).stdout)
    assert {d["url"] for d in remaining} == {d["url"] for d in letters} - {site.url(MISSING)}
    assert "Killarney" in articles(env, cwd)[site.url(MISSING)]["text"]


def test_status_reports_stages_jobs_and_sources(embedded: tuple[dict[str, str], Path]) -> None:
    env, cwd = embedded
    report = json.loads(copydesk("status", "--json", env=env, cwd=cwd).stdout)
    assert set(report["stages"]) == {"discover", "fetch", "clean", "extract", "store"}
    assert report["jobs"]["open"] == 0 and report["jobs"]["stored"] > 60
    assert report["stages"]["fetch"]["failed"] >= 1
    (source,) = report["sources"].values()
    assert source["last_run"] and source["new_articles_24h"] > 60
    table = copydesk("status", env=env, cwd=cwd).stdout
    assert "store" in table and "new articles" in table


def test_a_worker_serves_metrics_and_logs_json(tmp_path: Path) -> None:
    """`copydesk worker all` with metrics and JSON logs on, fed the bundled examples."""
    port = free_port()
    redis = RedisServer(tmp_path / "redis").start()
    try:
        with postgres_database() as database:
            env = environment(database, redis.url, COPYDESK_METRICS_PORT=str(port),
                              COPYDESK_LOG_JSON="true")
            with running_workers(env, tmp_path, stages=("all",)) as workers:
                copydesk("submit", str(EXAMPLES), env=env, cwd=tmp_path)
                copydesk("status", "--wait", "--timeout", "120", env=env, cwd=tmp_path,
                         timeout=150)
                metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                logs = workers.logs()
    finally:
        redis.stop(kill=True)
    for stage in ("clean", "extract", "store"):
        assert f'copydesk_stage_total{{outcome="ok",stage="{stage}"}} 2.0' in metrics
        assert f'copydesk_stage_seconds_count{{stage="{stage}"}} 2.0' in metrics
    assert 'copydesk_queue_depth{queue="clean"} 0.0' in metrics
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    # Warmed up once at start, before its first job (copydesk/warmup.py).
    whole = [json.loads(line) for line in (tmp_path / "worker-all.log").read_text().splitlines()
             if line.startswith("{")]
    warmed = [n for n, line in enumerate(whole)
              if line["message"].startswith("all worker warmed up")]
    assert len(warmed) == 1
    assert warmed[0] < min(n for n, line in enumerate(whole) if line.get("job_id"))
    stored = [line for line in lines if line.get("stage") == "store" and line.get("job_id")]
    assert {Path(line["url"]).name for line in stored} >= {p.name for p in EXAMPLES.iterdir()}
