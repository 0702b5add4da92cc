"""The `copydesk` command line: thin commands over the pipeline, the ledger and the workers."""

import gc
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from copydesk import queries
from copydesk.sources import Source, SourceError, load_sources, source_from_argument
from copydesk.sources_cli import sources_app
from shared.redact import redact_logs
from shared.settings import get_settings

app = typer.Typer(help="copydesk: keep a news archive complete and clean.", no_args_is_help=True)
redact_logs()  # every command, the workers and their Celery logs among them
app.add_typer(sources_app, name="sources")
console = Console(stderr=True)
STAGE_NAMES = ("fetch", "clean", "extract", "store", "all")


def _sources(arguments: list[str]) -> list[Source]:
    try:
        return [source_from_argument(argument) for argument in arguments]
    except SourceError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error


@app.command()
def run(sources: Annotated[list[str], typer.Argument(help="URLs, files or folders")]) -> None:
    """Run the whole pipeline in this process (embedded mode: no Redis needed)."""
    from copydesk.pipeline import InProcess
    from copydesk.run_report import RunReport

    parsed = _sources(sources)
    report = RunReport(console=console)
    pipeline = InProcess(get_settings(), listener=report)
    with report:
        summary = pipeline.run(parsed)
    typer.echo(f"accepted {summary.accepted}, stored {summary.stored}, "
               f"unchanged {summary.unchanged}, dead-lettered {summary.dead}")
    # What the run built lives until the process ends: frozen, the interpreter's last
    # collection at exit does not walk it (a second after 200 pages, for nothing).
    gc.freeze()


@app.command()
def submit(sources: Annotated[list[str], typer.Argument(help="URLs, files or folders")]) -> None:
    """Send sources to the workers through Redis."""
    from copydesk.pipeline import submit as submit_source
    from copydesk.worker import celery_app
    from shared import runtime

    parsed = _sources(sources)
    celery_app()
    ledger = runtime.ledger()
    for source in parsed:
        count = submit_source(source, ledger)
        typer.echo(f"submitted {source.location}: {count} job(s) queued")


@app.command()
def status(wait: Annotated[bool, typer.Option(help="return when no job is open")] = False,
           timeout: Annotated[float, typer.Option(help="give up waiting after seconds")] = 0,
           as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
           ) -> None:
    """Per stage: queued, running, done per minute, failed; jobs by status; per source."""
    from copydesk.progress import Waiting

    started, waiting = time.monotonic(), Waiting()
    while True:
        report = queries.status_report()
        if not wait or report["jobs"].get("open", 0) == 0:
            break
        waiting.show("waiting: " + ", ".join(f"{k} {v}" for k, v in report["jobs"].items()))
        if timeout and time.monotonic() - started > timeout:
            waiting.done()
            _print_status(report, as_json)
            raise typer.Exit(1)
        time.sleep(1)
    waiting.done()
    _print_status(report, as_json)


def _print_status(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report))
        return
    stages = Table("stage", "queued", "running", "done/min", "failed", box=None)
    for name, stage in report["stages"].items():
        stages.add_row(name, *(str(stage[key]) if stage[key] is not None else "-"
                               for key in ("queued", "open", "done_per_minute", "failed")))
    sources = Table("source", "last run", "new articles (24 h)", box=None)
    for name, source in report["sources"].items():
        sources.add_row(name, source["last_run"] or "-", str(source["new_articles_24h"]))
    out = Console()
    out.print(stages)
    # One line each whatever the width (a pipe or a log gets 80 columns): grep finds them.
    out.print("jobs: " + ", ".join(f"{k} {v}" for k, v in report["jobs"].items()),
              soft_wrap=True)
    if report.get("workers"):
        workers = report["workers"]
        out.print("live workers: " + ", ".join(f"{k} {v}" for k, v in workers["live"].items())
                  + f"; jobs held by dead workers: {workers['held_by_dead']}", soft_wrap=True)
    out.print(sources)


@app.command()
def worker(stage: Annotated[str, typer.Argument(help="fetch, clean, extract, store or all")],
           concurrency: Annotated[int, typer.Option(help="parallel tasks")] = 0,
           pool: Annotated[str, typer.Option(help="prefork, threads or solo")] = "") -> None:
    """Run a worker for one stage's queue (or all of them)."""
    from copydesk.worker import start_worker

    if stage not in STAGE_NAMES:
        console.print(f"[red]error:[/red] STAGE must be one of {', '.join(STAGE_NAMES)}")
        raise typer.Exit(2)
    start_worker(stage, concurrency, pool)


@app.command()
def beat(sources_file: Annotated[Path | None, typer.Option("--sources")] = None) -> None:
    """Run the schedules of a sources file (sources.toml)."""
    from copydesk.worker import start_beat

    path = sources_file or Path(get_settings().sources_file)
    try:
        start_beat(load_sources(path))
    except SourceError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error


@app.command()
def export(fmt: Annotated[str, typer.Option("--format", help="jsonl, csv or parquet")] = "jsonl",
           out: Annotated[Path | None, typer.Option(help="file to write (stdout if none)")] = None,
           ) -> None:
    """Every stored article: one JSON object per line (or CSV rows, or a Parquet file)."""
    from copydesk import export as writers
    from copydesk.progress import tracked

    if fmt not in writers.FORMATS:
        _fail(f"unknown format {fmt!r}; use one of {', '.join(writers.FORMATS)}")
    records = tracked(queries.all_articles(), "export", queries.article_count())
    if fmt == "parquet":
        if out is None:
            _fail("--format parquet needs --out FILE")
        count = writers.write_parquet(records, out)
    else:
        write = writers.write_csv if fmt == "csv" else writers.write_jsonl
        if out is None:
            count = write(records, sys.stdout)
        else:
            with out.open("w", encoding="utf-8", newline="") as stream:
                count = write(records, stream)
    console.print(f"exported {count} article(s)")


dead_letters_app = typer.Typer(help="List dead letters, or send them through again.")
app.add_typer(dead_letters_app, name="dead-letters")


@dead_letters_app.callback(invoke_without_command=True)
def dead_letters(ctx: typer.Context,
                 fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
                 ) -> None:
    """Every dead letter, one JSON line (or CSV row) each: url, stage, reason, message, attempts."""
    from copydesk.export import write_dead_letters

    if ctx.invoked_subcommand is None:
        try:
            write_dead_letters(queries.all_dead_letters(), fmt, sys.stdout)
        except ValueError as error:
            _fail(str(error))


@dead_letters_app.command("retry")
def dead_letters_retry(
        reason: Annotated[str | None, typer.Option(help="only this reason code")] = None,
        in_process: Annotated[bool, typer.Option(help="run here, not on the workers")] = False,
) -> None:
    """Reopen dead-lettered jobs and run them again from the earliest stage they can.

    Without --in-process they go to the workers; on SQLite with no worker answering they run
    here.
    """
    from copydesk.replay import reopen_dead_letters
    from shared import runtime

    here = _where(in_process)
    restarts = reopen_dead_letters(runtime.ledger(), reason)
    _dispatch(restarts, here, "retry")
    typer.echo(f"retrying {len(restarts)} dead-lettered job(s)")


@app.command()
def replay(stage: Annotated[str, typer.Option(help="clean, extract or store")],
           source: Annotated[str | None, typer.Option(help="only this source")] = None,
           since: Annotated[datetime | None, typer.Option(help="kept since this date")] = None,
           in_process: Annotated[bool, typer.Option(help="run here, not on the workers")] = False,
           ) -> None:
    """Re-run a stage over kept raw pages, without fetching; unchanged results change nothing.

    The stages before STAGE are computed again here from the raw page (they are deterministic);
    STAGE and those after it run on the workers, or here with --in-process.
    """
    from copydesk.pipeline import InProcess
    from copydesk.progress import tracked
    from copydesk.replay import REPLAY_STAGES, prepare_replay
    from shared import runtime

    if stage not in REPLAY_STAGES:
        _fail(f"--stage must be one of {', '.join(REPLAY_STAGES)}")
    here = _where(in_process)
    pipeline = InProcess(get_settings())
    restarts = prepare_replay(pipeline, runtime.ledger(), stage, source, since, here,
                              track=lambda pages: tracked(pages, "preparing", None))
    _dispatch(restarts, here, "replay", pipeline)
    typer.echo(f"replayed {len(restarts)} page(s) from {stage}")


def _where(in_process: bool) -> bool:
    """Run here or on the workers; stops with a clear error before anything has changed."""
    from copydesk.dispatch import NoWorkers, choose_in_process

    try:
        here, why = choose_in_process(get_settings(), in_process)
    except NoWorkers as error:
        _fail(str(error))
    if here and not in_process:
        console.print(f"[yellow]note:[/yellow] {why}")
    return here


def _dispatch(restarts: list, in_process: bool, label: str, pipeline: object = None) -> None:
    """Send (stage, payload) pairs to the workers, or finish them in this process."""
    from copydesk.dispatch import dispatch

    dispatch(restarts, in_process, get_settings(), label, pipeline)


@app.command()
def search(query: Annotated[str, typer.Argument(help="words to look for")],
           limit: Annotated[int, typer.Option(help="most results")] = 20,
           after: Annotated[str | None, typer.Option(
               help="the cursor printed after a full page: the next page")] = None) -> None:
    """Full-text search over stored articles (PostgreSQL full-text search, SQLite FTS5)."""
    from copydesk.search import search as run_search
    from shared import runtime

    try:
        hits = run_search(runtime.ledger(), query, limit, after)
    except ValueError:
        _fail(f"not a search cursor: {after!r}")
    for hit in hits:
        typer.echo(f"{hit['id']:>6}  {hit['title'] or '-'}  <{hit['url']}>\n        "
                   f"{' '.join(str(hit['snippet']).split())}")
    if not hits:
        console.print(f"no stored article matches {query!r}", markup=False)
    elif len(hits) == limit:
        console.print(f"next page: --after {hits[-1]['cursor']}")


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@app.command()
def show(url: Annotated[str, typer.Argument(help="the article's URL or canonical URL")]) -> None:
    """One stored article in full, with what the clean stage cut from it and why."""
    record = queries.article_by_url(url)
    if record is None:
        _fail(f"no stored article for {url}")
    removed = record.pop("removed", [])
    text = record.pop("text")
    typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
    typer.echo("\n--- text ---\n" + text)
    typer.echo(f"\n--- cut by the clean stage ({len(removed)}) ---")
    for cut in removed:
        typer.echo(f"[{cut['reason']}] {cut['text']}")


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port to listen on")] = 8000) -> None:
    """The HTTP API (/api, OpenAPI at /docs) and the web console, on this database."""
    from copydesk.serve.app import run_server

    run_server(host, port)


@app.command()
def health(beat: Annotated[bool, typer.Option(help="and a beat on this host ticks")] = False,
           ) -> None:
    """Exit 0 when Redis and the database answer (the containers' health check)."""
    from sqlalchemy import text

    from copydesk.schedule import beat_alive
    from shared import runtime

    if beat and not beat_alive():
        console.print("[red]unhealthy:[/red] no beat on this host ticked lately")
        raise typer.Exit(1)
    try:
        runtime.redis_client().ping()
        with runtime.ledger().session() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:
        console.print(f"[red]unhealthy:[/red] {error}")
        raise typer.Exit(1) from error
    typer.echo("ok")


@app.command("extract")
def extract_filter(jsonl: Annotated[bool, typer.Option("--jsonl")] = True) -> None:
    """Read {"url", "html"} lines on stdin, write one Article JSON line each (no DB, no network)."""
    from copydesk.filter import extract_lines

    extract_lines(sys.stdin, sys.stdout)


if __name__ == "__main__":
    app()
