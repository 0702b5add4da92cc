"""The extract stage: a clean page in, an Article with its structure and facts out."""

import hashlib
import html
from datetime import UTC, datetime, tzinfo

import lxml.html
from htmldate import find_date
from lxml.html import HtmlElement

from services.extract import bylines, dates, liveblog, pagekind
from services.extract.entities import analyse
from services.extract.language import detect_language
from services.extract.metadata import Meta, read_meta
from services.extract.quotes import find_quotes
from services.extract.zones import site_zone
from shared.errors import PermanentError
from shared.models import Article, CleanPage, Entry
from shared.printable import without_controls

REJECTED_KINDS = ("index", "bot_wall")
HEADLINE_WORDS = 25
# The per-page budget of the name and quote passes (linear, about 4 s a million characters):
# a longer clean text is no news article but a dump or an attack, and ends as a dead letter.
MAX_ANALYSED_CHARS = 2_000_000


def extract(page: CleanPage) -> Article:
    """Read an Article out of a clean page; raise PermanentError for pages that are no article."""
    raw = page.raw
    if (size := sum(map(len, page.paragraphs))) > MAX_ANALYSED_CHARS:
        raise PermanentError("too_large", f"{raw.final_url}: {size} characters of text, "
                             f"more than the {MAX_ANALYSED_CHARS} the extract stage reads")
    tree = _parse(raw.body) if raw.is_html else None
    meta = read_meta(tree, raw.final_url) if tree is not None else Meta()
    found_bylines = page.bylines or bylines.find_bylines(page.paragraphs)
    if tree is not None:
        entries = liveblog.html_entries(tree, meta, page.paragraphs)
    else:
        entries = liveblog.text_entries(page.paragraphs, found_bylines,
                                        inline=not page.bylines)
    judgement = pagekind.judge(page, tree, meta, is_live=bool(entries))
    kind = judgement.kind
    if kind in REJECTED_KINDS and judgement.strong:  # a doubt keeps the text, kind recorded
        raise PermanentError(f"not_article:{kind}", f"{raw.final_url} looks like a {kind} page "
                             f"(confidence {judgement.confidence:.2f})")
    headline = _text_headline(page.paragraphs) if tree is None else None
    body = page.paragraphs[1:] if headline else page.paragraphs
    text = "\n\n".join(body)
    # Every byline's time dates the blog, also one whose entry the saved page lost.
    stamps = [entry.published_at for entry in entries if entry.published_at] + [
        byline.published_at for byline in found_bylines if byline.published_at and entries]
    zone = _page_zone(meta, entries, tree, raw.final_url)
    published, modified, sources = _dates(page, tree, meta, stamps, zone)
    entries = _entries_in_utc(entries, zone)
    # Byline lines name the blog's authors, not people in the story.
    # (The clean stage cuts its byline lines out; a byline extract found is a paragraph.)
    byline_lines = set() if page.bylines else {byline.paragraph for byline in found_bylines}
    story = [paragraph for index, paragraph in enumerate(page.paragraphs)
             if index not in byline_lines]
    analysis = analyse(story)
    return _printable(Article(
        job_id=raw.job_id, source=raw.source, url=raw.url,
        canonical_url=meta.canonical_url or raw.final_url,
        title=_unescaped(meta.title or raw.hints.get("title") or headline),
        authors=tuple(_authors(meta, entries)),
        published_at=published, modified_at=modified, date_sources=sources,
        language=meta.language or detect_language(text),
        description=_unescaped(meta.description), site_name=_unescaped(meta.site_name),
        image=meta.image, tags=tuple(meta.tags), text=text, page_kind=kind,
        page_kind_confidence=judgement.confidence,
        is_live_blog=bool(entries), entries=tuple(entries),
        entities=analysis.entities, quotes=tuple(find_quotes(analysis)),
        content_hash=content_hash(text), fetched_at=raw.fetched_at, removed=page.removed))


def _printable(article: Article) -> Article:
    """The article with no control character in any text field, once, before it is stored: a
    title holding an escape sequence must not retitle the terminal that `search` prints it to."""
    fields = article.model_dump()
    if (cleaned := without_controls(fields)) == fields:
        return article  # the common case: nothing to take out, nothing to validate again
    clean = Article.model_validate(cleaned)
    return clean.model_copy(update={"content_hash": content_hash(clean.text)})


def _text_headline(paragraphs: tuple[str, ...]) -> str | None:
    """The headline a plain-text payload starts with: a short first line that ends no sentence
    (scrapers save the page's text from its top; HTML pages have their title in the markup)."""
    if len(paragraphs) < 2:
        return None
    first = paragraphs[0].strip()
    words = len(first.split())
    if 3 <= words <= HEADLINE_WORDS and first[-1] not in ".!?:;,":
        return first
    return None


def content_hash(text: str) -> str:
    """sha256 hex of the text with its whitespace folded, so reflowing never makes a revision."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _parse(body: str) -> HtmlElement | None:
    try:
        return lxml.html.document_fromstring(body)
    except (ValueError, lxml.etree.ParserError):
        return None  # an empty or unparseable body: the paragraphs are all we have


def _unescaped(value: str | None) -> str | None:
    # Some sites escape twice ("&amp;#39;"), so a parsed attribute can still hold an entity.
    return " ".join(html.unescape(value).split()) or None if value else None


def _authors(meta: Meta, entries: list[Entry]) -> list[str]:
    """The page's authors; a live blog "by" its own publisher is by its entries' authors."""
    of_entries = list(dict.fromkeys(entry.author for entry in entries if entry.author))
    people = [name for name in meta.authors if name != meta.site_name]
    return people or of_entries or meta.authors


Dated = tuple[datetime | None, datetime | None, dict[str, str]]


def _dates(page: CleanPage, tree: HtmlElement | None, meta: Meta, stamps: list[datetime],
           zone: tzinfo | None) -> Dated:
    """Published and modified times, each with the kind of evidence it came from; `zone` is the
    page's (see _page_zone)."""
    published, modified = meta.published, meta.modified
    times = sorted(stamps, key=_sortable)
    if published is None and times and tree is not None and (
            header := dates.header_dateline(tree, times)):
        published = (header, "dateline")  # the date a live blog's page shows under its title
    if published is None and times:
        published = (times[0], "byline")
    if modified is None and len(times) > 1:
        modified = (times[-1], "byline")
    if published is None and tree is None:
        published = _text_date(page.paragraphs)
    if published is None and (from_url := dates.from_url(page.raw.final_url)):
        published = (from_url, "url")
    if published is None and tree is not None:
        published = _htmldate(tree, page.raw.final_url)
    # A day-only date, or one guessed from the URL or by htmldate, takes the time the page's own
    # dateline gives for that day.
    if published and tree is not None and (
            _day_only(published[0]) or published[1] in ("url", "htmldate")) and (
            timed := dates.dateline_on(tree, published[0].date())):
        published = (timed, f"{published[1]}+dateline")  # the time the day source lost
    sources = {name: value[1] for name, value in
               (("published", published), ("modified", modified)) if value}
    # Stored in UTC; a time written without a zone is read in the zone of the page's other dates.
    return (dates.in_utc(published[0] if published else None, zone),
            dates.in_utc(modified[0] if modified else None, zone), sources)


def _day_only(moment: datetime) -> bool:
    return moment.tzinfo is None and (moment.hour, moment.minute, moment.second) == (0, 0, 0)


def _page_zone(meta: Meta, entries: list[Entry], tree: HtmlElement | None,
               url: str) -> tzinfo | None:
    """The zone of the page's first dated fact that has one, else of its <time> elements, else
    of the country its domain belongs to."""
    moments = [meta.published and meta.published[0], meta.modified and meta.modified[0],
               *(entry.published_at for entry in entries)]
    found = next((moment.tzinfo for moment in moments if moment and moment.tzinfo), None)
    if found is None and tree is not None:
        found = dates.page_zone(tree) or site_zone(url)
    return found


def _entries_in_utc(entries: list[Entry], zone: tzinfo | None) -> list[Entry]:
    """The entries with their times in UTC, read in the page's zone when they carry none."""
    return [entry.model_copy(update={"published_at": dates.in_utc(entry.published_at, zone)})
            if entry.published_at else entry for entry in entries]


def _sortable(moment: datetime) -> datetime:
    # Naive and aware times cannot be compared; a naive one is ordered as if it were UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text_date(paragraphs: tuple[str, ...]) -> tuple[datetime, str] | None:
    for paragraph in paragraphs[:5]:
        if (match := dates.TEXT_DATE.search(paragraph)) and (moment := dates.from_match(match)):
            return moment, "text"
    return None


def _htmldate(tree: HtmlElement, url: str) -> tuple[datetime, str] | None:
    # The quick search first; the text-wide one only when the markup dates nothing.
    found = next((day for extensive in (False, True) if (day := find_date(
        tree, url=url, extensive_search=extensive, original_date=True,
        outputformat="%Y-%m-%dT%H:%M:%S%z"))), None)
    moment = dates.parse(found) if found else None
    return (moment, "htmldate") if moment else None
