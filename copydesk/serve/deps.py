"""What the API and the console share: settings, the ledger, the write token, source health."""

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Header, HTTPException

from copydesk import queries
from copydesk.sources import Source, SourceError, load_sources
from shared import runtime
from shared.ledger import Ledger
from shared.settings import get_settings

DEFAULT_PAGE = 20
MAX_PAGE = 100  # articles or dead letters in one page


def ledger() -> Ledger:
    """The process's ledger on the configured database (a FastAPI dependency)."""
    return runtime.ledger(get_settings())


def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
    """Let a write through only with `Authorization: Bearer <COPYDESK_API_TOKEN>`."""
    token = get_settings().api_token
    if not token:
        raise HTTPException(403, "writes are off: set COPYDESK_API_TOKEN on the server to "
                                 "enable submit, retry and replay")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip(), token):
        raise HTTPException(401, "a write needs the header 'Authorization: Bearer <token>' "
                                 "with the server's COPYDESK_API_TOKEN",
                            headers={"WWW-Authenticate": "Bearer"})


def configured_sources() -> tuple[list[Source], str | None]:
    """The sources file's sources, and why it could not be read (None when it could)."""
    path = Path(get_settings().sources_file)
    if not path.exists():
        return [], None
    try:
        return load_sources(path), None
    except SourceError as error:
        return [], str(error)


def source_rows(ledger: Ledger) -> list[dict[str, Any]]:
    """Each source (configured or seen in the jobs) with its schedule, activity and health."""
    configured, _ = configured_sources()
    activity = queries.source_activity(ledger)
    rows = []
    for source in configured:
        seen = activity.pop(source.name, {})
        rows.append({"name": source.name, "location": source.location,
                     "schedule": source.cron or (f"every {source.every}" if source.every
                                                 else None),
                     **_activity(seen), "health": health(seen, source.every)})
    for name, seen in sorted(activity.items()):  # submitted once, not in the sources file
        rows.append({"name": name, "location": None, "schedule": None, **_activity(seen),
                     "health": health(seen, None)})
    return rows


def _activity(seen: dict[str, Any]) -> dict[str, Any]:
    return {"last_run": seen.get("last_run"), "new_articles_24h": seen.get("new_articles_24h", 0),
            "dead_letters_24h": seen.get("dead_letters_24h", 0)}


def health(seen: dict[str, Any], every: timedelta | None) -> str:
    """never run; late (no run in two intervals); failing (dead letters and nothing stored in a
    day); degraded (dead letters beside new articles); ok."""
    if not seen.get("last_run"):
        return "never run"
    last_run = datetime.fromisoformat(seen["last_run"])
    if every and datetime.now(UTC) - last_run > 2 * every:
        return "late"
    if seen.get("dead_letters_24h"):
        return "degraded" if seen.get("new_articles_24h") else "failing"
    return "ok"
