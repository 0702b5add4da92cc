"""The clean stage: a raw page in, the article's own paragraphs out, with what was cut and why.

HTML pages go through the body reader; plain-text payloads keep their lines. Both then lose
the furniture news sites share (curated phrases), what this site repeats on page after page
(the learned index, when one is passed in) and paragraphs repeated within the page.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from services.clean import plaintext
from services.clean.body import read_body as read_html_body
from services.clean.filters import Paragraph, judge
from services.clean.furniture import FurnitureIndex, fingerprint
from shared.errors import PermanentError
from shared.models import Byline, CleanPage, RawPage, Removal


@dataclass(frozen=True)
class PageBody:
    """A page's body as read, before the site's furniture is judged: pure work on one page."""

    sequence: list[plaintext.Item]
    removed: list[Removal]


def clean(raw: RawPage, furniture: FurnitureIndex | None = None) -> CleanPage:
    """Clean one page; raise PermanentError("empty_text") when no paragraph is left."""
    return judge_body(raw, read_page(raw), furniture)


def read_page(raw: RawPage) -> PageBody:
    """The page's paragraphs and what the body reader cut: no state, so any process may run it."""
    if raw.is_html:
        extraction = read_html_body(raw.body, raw.final_url)
        sequence: list[plaintext.Item] = [Paragraph(text) for text in extraction.paragraphs]
        removed = [Removal(text=text, reason=reason) for text, reason in extraction.removed]
    else:
        sequence, removed = plaintext.items(raw.body), []
    return PageBody(sequence, removed)


def judge_body(raw: RawPage, body: PageBody,
               furniture: FurnitureIndex | None = None) -> CleanPage:
    """Cut the furniture the site repeats (the index learns from this page too) and the rest."""
    sequence = body.sequence
    paragraphs = [item for item in sequence if isinstance(item, Paragraph)]
    # Observed before judging, so a page counts towards its own verdict the same way on every
    # delivery: the first and a redelivered one see the same counts.
    templates = furniture.observe(site_of(raw), raw.final_url, [p.text for p in paragraphs]) \
        if furniture is not None else frozenset()
    # No templates (no index, or nothing learned yet): no paragraph needs its fingerprint.
    judge(paragraphs, (lambda text: fingerprint(text) in templates) if templates
          else (lambda text: False))
    if not raw.is_html:
        plaintext.mark_teasers(sequence)
    return _page(raw, sequence, list(body.removed))


def site_of(raw: RawPage) -> str:
    """The site a page belongs to: its host name, or its source for a local file."""
    host = urlsplit(raw.final_url).hostname if "://" in raw.final_url else None
    return host.removeprefix("www.") if host else f"source:{raw.source}"


def _page(raw: RawPage, sequence: list[plaintext.Item], removed: list[Removal]) -> CleanPage:
    """The CleanPage; a byline's `paragraph` is the index of the paragraph that follows it."""
    paragraphs: list[str] = []
    bylines: list[Byline] = []
    for item in sequence:
        if isinstance(item, plaintext.BylineLine):
            bylines.append(Byline(paragraph=len(paragraphs), author=item.author,
                                  published_at=item.published_at))
            removed.append(Removal(text=item.text, reason="byline"))
        elif item.reason:
            removed.append(Removal(text=item.text, reason=item.reason))
        else:
            paragraphs.append(item.text)
    if not paragraphs:
        raise PermanentError("empty_text", f"nothing left of {raw.final_url} after cleaning")
    return CleanPage(raw=raw, paragraphs=tuple(paragraphs), removed=tuple(removed),
                     bylines=tuple(bylines))
