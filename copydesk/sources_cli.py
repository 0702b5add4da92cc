"""`copydesk sources list|add|remove|check`: manage sources.toml."""

from pathlib import Path
from typing import Annotated

import typer

from copydesk.sources import Source, SourceError, load_sources, parse_duration
from shared.settings import get_settings

sources_app = typer.Typer(help="List, add, remove or check the sources of sources.toml.")
FileOption = Annotated[Path | None, typer.Option("--file", help="sources file")]


def _path(file: Path | None) -> Path:
    return file or Path(get_settings().sources_file)


def _load(path: Path) -> list[Source]:
    if not path.exists():
        return []
    try:
        return load_sources(path)
    except SourceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(sources: list[Source]) -> str:
    """sources.toml text for a list of sources."""
    blocks = []
    for source in sources:
        key = "url" if source.is_url else "path"
        lines = ["[[source]]", f"name = {_toml_string(source.name)}",
                 f"{key} = {_toml_string(source.location)}"]
        if source.cron:
            lines.append(f"cron = {_toml_string(source.cron)}")
        elif source.every:
            lines.append(f'every = "{int(source.every.total_seconds())}s"')
        if source.rate:
            lines.append(f"rate = {source.rate}")
        if source.since:
            lines.append(f"since = {_toml_string(source.since)}")
        lines += [f"{k} = {_toml_string(v)}" for k, v in sorted(source.options.items())]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


@sources_app.command("list")
def list_sources(file: FileOption = None) -> None:
    """Each source with its schedule."""
    for source in _load(_path(file)):
        when = source.cron or f"every {source.every}"
        typer.echo(f"{source.name:<24} {when:<20} {source.location}")


@sources_app.command("add")
def add_source(name: str, location: str,
               every: Annotated[str | None, typer.Option(help="e.g. 15m")] = None,
               cron: Annotated[str | None, typer.Option(help="a cron expression")] = None,
               file: FileOption = None) -> None:
    """Add a source with an interval (--every) or a cron expression (--cron)."""
    path = _path(file)
    sources = _load(path)
    if any(source.name == name for source in sources):
        typer.echo(f"error: a source named {name!r} exists already", err=True)
        raise typer.Exit(2)
    if bool(every) == bool(cron):
        typer.echo("error: give exactly one of --every and --cron", err=True)
        raise typer.Exit(2)
    try:
        interval = parse_duration(every) if every else None
    except SourceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    path.write_text(render([*sources, Source(name, location, interval, cron)]), encoding="utf-8")
    typer.echo(f"added {name}")


@sources_app.command("remove")
def remove_source(name: str, file: FileOption = None) -> None:
    """Remove a source by name."""
    path = _path(file)
    sources = _load(path)
    kept = [source for source in sources if source.name != name]
    if len(kept) == len(sources):
        typer.echo(f"error: no source named {name!r}", err=True)
        raise typer.Exit(2)
    path.write_text(render(kept), encoding="utf-8")
    typer.echo(f"removed {name}")


@sources_app.command("check")
def check_source(name: str, file: FileOption = None) -> None:
    """Look at a source once and show what it would discover (nothing is stored)."""
    from services.fetch.client import FetchLimits, HttpClient
    from services.fetch.discover import discover
    from services.fetch.local import discover_local, is_feed, local_files
    from services.fetch.options import parse_since

    matches = [source for source in _load(_path(file)) if source.name == name]
    if not matches:
        typer.echo(f"error: no source named {name!r}", err=True)
        raise typer.Exit(2)
    source = matches[0]
    if not source.is_url:
        for path in local_files(Path(source.location)):
            found = discover_local(path) if is_feed(path) else None
            typer.echo(f"{path}" + (f"  ({len(found.urls)} URLs)" if found else ""))
        return
    since = parse_since(source.since) if source.since else None
    found = discover(source.location, HttpClient(FetchLimits.from_settings(get_settings())),
                     since=since)
    typer.echo(f"{source.location}: {found.kind}, {len(found.urls)} URL(s)")
    for item in found.urls:
        typer.echo(f"  {item.url}")
