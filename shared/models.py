"""The payloads that cross stage boundaries: one frozen model per boundary, JSON on the wire.

fetch job -> RawPage -> CleanPage -> Article -> (stored);  any stage -> DeadLetter.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.printable import without_controls
from shared.redact import redact

SCHEMA_VERSION = 1

# Text that may hold a URL: its credentials never cross a stage boundary or reach the database.
Redacted = Annotated[str, AfterValidator(redact)]
# A dead letter's message is printed by `run` and `dead-letters`: no terminal escapes either.
Printable = Annotated[str, AfterValidator(redact), AfterValidator(without_controls)]
PageKind = Literal["article", "live_blog", "index", "paywalled", "bot_wall", "unknown"]


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Payload(BaseModel):
    """Base of every message: immutable, strict about unknown fields, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: int = SCHEMA_VERSION


class FetchJob(Payload):
    """One accepted URL to download; `hints` carry what discovery already knew (feed title...)."""

    job_id: str
    url: Redacted
    source: str
    hints: dict[str, str] = Field(default_factory=dict)


class RawPage(Payload):
    """A downloaded (or read) document, decoded to text, with what the server said about it."""

    job_id: str
    source: str
    url: Redacted
    final_url: Redacted
    status: int = 200
    content_type: str = "text/html"
    encoding: str | None = None
    body: str
    fetched_at: datetime = Field(default_factory=utcnow)
    etag: str | None = None
    last_modified: str | None = None
    hints: dict[str, str] = Field(default_factory=dict)

    @property
    def is_html(self) -> bool:
        return "html" in self.content_type or "xml" in self.content_type


class Removal(Payload):
    """A piece of text the clean stage cut, and why: kept for audit."""

    text: str
    reason: str


class Byline(Payload):
    """An author-and-time line found in a plain-text payload, kept for the extract stage."""

    paragraph: int
    author: str | None = None
    published_at: datetime | None = None


class CleanPage(Payload):
    """The article's own paragraphs, without the site's furniture."""

    raw: RawPage
    paragraphs: tuple[str, ...]
    removed: tuple[Removal, ...] = ()
    bylines: tuple[Byline, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


class Entry(Payload):
    """One entry of a live blog."""

    headline: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    text: str


class Entity(Payload):
    """A person, place or organisation, under its fullest name, with its number of mentions."""

    name: str
    mentions: int = 1


class Entities(Payload):
    people: tuple[Entity, ...] = ()
    places: tuple[Entity, ...] = ()
    organizations: tuple[Entity, ...] = ()


class Quote(Payload):
    """A direct quotation and, where the text names one, its speaker."""

    speaker: str | None = None
    text: str


class Article(Payload):
    """Structure and facts read from a clean page: what the store stage records."""

    job_id: str
    source: str
    url: Redacted
    canonical_url: Redacted
    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    date_sources: dict[str, str] = Field(default_factory=dict)
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()
    text: str
    page_kind: PageKind = "article"
    page_kind_confidence: float = 1.0  # how sure the kind is; an unsure kind keeps the text
    is_live_blog: bool = False
    entries: tuple[Entry, ...] = ()
    entities: Entities = Field(default_factory=Entities)
    quotes: tuple[Quote, ...] = ()
    content_hash: str
    fetched_at: datetime
    removed: tuple[Removal, ...] = ()


class DeadLetter(Payload):
    """A job that cannot succeed, with a short stable reason code and a human message."""

    job_id: str
    url: Redacted
    source: str
    stage: str
    reason: str
    message: Printable
    attempts: int = 1
