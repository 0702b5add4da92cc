"""The export record: the stable shape users read out of the database."""

from datetime import UTC, datetime
from typing import Any

from shared.db import ArticleRecord, DeadLetterRecord

EXPORT_FIELDS = (
    "id", "source", "url", "canonical_url", "title", "authors", "published_at", "modified_at",
    "language", "description", "site_name", "image", "tags", "text", "is_live_blog", "entries",
    "entities", "quotes", "content_hash", "duplicate_of", "revision", "fetched_at",
    "page_kind", "date_sources", "cluster_id",
)

ENTITY_KINDS = ("people", "places", "organizations")


def as_utc(value: datetime | None) -> datetime | None:
    """A datetime in UTC; a naive one (SQLite drops the zone) is taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def export_record(record: ArticleRecord) -> dict[str, Any]:
    """One stored article as the export contract describes it; missing facts are null or empty."""
    fields = record.fields or {}
    entities = fields.get("entities") or {}
    return {
        "id": record.id,
        "source": record.source,
        "url": record.url,
        "canonical_url": record.canonical_url,
        "title": record.title,
        "authors": fields.get("authors", []),
        "published_at": iso(record.published_at),
        "modified_at": iso(record.modified_at),
        "language": record.language,
        "description": fields.get("description"),
        "site_name": fields.get("site_name"),
        "image": fields.get("image"),
        "tags": fields.get("tags", []),
        "text": record.text,
        "is_live_blog": record.is_live_blog,
        "entries": [{**entry, "published_at": _iso_text(entry.get("published_at"))}
                    for entry in _plain(fields.get("entries", []))],
        "entities": {kind: _plain(entities.get(kind, [])) for kind in ENTITY_KINDS},
        "quotes": _plain(fields.get("quotes", [])),
        "content_hash": record.content_hash,
        "duplicate_of": record.duplicate_of,
        "revision": record.revision,
        "fetched_at": iso(record.fetched_at),
        "page_kind": record.page_kind,
        "date_sources": fields.get("date_sources", {}),
        "cluster_id": record.cluster_id,
    }


def _iso_text(value: str | None) -> str | None:
    """A stored ISO time with its zone: a time the page gave without one is taken as UTC."""
    return iso(datetime.fromisoformat(value)) if value else None


def _plain(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nested payload objects without their wire schema version, which is no article fact."""
    return [{key: value for key, value in item.items() if key != "schema_version"}
            for item in items]


def dead_letter_record(record: DeadLetterRecord) -> dict[str, Any]:
    """One dead letter as `copydesk dead-letters` prints it."""
    return {
        "job_id": record.job_id,
        "url": record.url,
        "source": record.source,
        "stage": record.stage,
        "reason": record.reason,
        "message": record.message,
        "attempts": record.attempts,
        "created_at": iso(record.created_at),
    }
