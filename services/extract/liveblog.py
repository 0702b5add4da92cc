"""Live blogs: recognise them and split them into entries, from HTML markup or plain text."""

import re
from datetime import datetime
from typing import Any

from lxml.etree import XPath
from lxml.html import HtmlElement

from services.extract import bylines, jsonld
from services.extract.authors import clean_names
from services.extract.bylines_html import BYLINE_XPATH
from services.extract.dates import TEXT_DATE, from_match, parse
from services.extract.metadata import Meta
from shared.models import Byline, Entry

MIN_ENTRIES = 2  # one dated block is an article with a dateline; two or more make a live blog
HEADLINE_MAX = 160
MIN_COVERAGE = 0.5
# Down the attributes, not every element: the same elements in document order, faster.
MARKED_UPDATES = XPath('//@itemprop[.="liveBlogUpdate"]/..')
ENTRY_CLASS = re.compile(r"live|blog|entry|post|update|block|timeline", re.IGNORECASE)


def html_entries(tree: HtmlElement, meta: Meta, paragraphs: tuple[str, ...]) -> list[Entry]:
    """The entries of an HTML live blog (JSON-LD updates, else dated blocks); [] otherwise."""
    node = meta.node or {}
    from_ld = [entry for update in _list(node.get("liveBlogUpdate"))
               if (entry := _ld_entry(update))]
    if len(from_ld) >= MIN_ENTRIES:
        return from_ld
    blocks = _entry_blocks(tree)
    entries = [entry for block in blocks if (entry := _block_entry(block))]
    # Lists of related stories are dated blocks too; entries must hold the page's own text.
    if len(entries) >= MIN_ENTRIES and _coverage(entries, paragraphs) >= MIN_COVERAGE:
        return entries
    return from_ld if "LiveBlogPosting" in jsonld.types_of(node) else []


def _coverage(entries: list[Entry], paragraphs: tuple[str, ...]) -> float:
    """Share of the clean text's words that lie in paragraphs found inside the entries."""
    # A set of the entries' paragraphs, not a substring search: linear in the page's size.
    inside = {" ".join(part.split()) for entry in entries for part in entry.text.split("\n\n")}
    total = sum(len(paragraph.split()) for paragraph in paragraphs)
    covered = sum(len(paragraph.split()) for paragraph in paragraphs
                  if " ".join(paragraph.split()) in inside)
    return covered / total if total else 0.0


def text_entries(paragraphs: tuple[str, ...], bylines: tuple[Byline, ...],
                 inline: bool = True) -> list[Entry]:
    """Entries of a plain-text live blog, cut at its byline-and-time lines. `inline`: the byline
    lines are among the paragraphs (extract found them); otherwise (the clean stage cut them
    out) a byline's index is that of the paragraph after it."""
    timed = sorted((byline for byline in bylines if byline.published_at),
                   key=lambda byline: byline.paragraph)
    if len(timed) < MIN_ENTRIES:
        return []
    marks = [byline.paragraph for byline in timed]
    skip = 1 if inline else 0  # an inline byline is no line of its entry
    if _bylines_open(paragraphs, marks):
        spans = zip(timed, [mark + skip for mark in marks], [*marks[1:], len(paragraphs)],
                    strict=True)
    else:
        spans = zip(timed, [0, *(mark + skip for mark in marks[:-1])], marks, strict=True)
    entries = [_text_entry([p for p in paragraphs[start:end] if p.strip()], byline)
               for byline, start, end in spans]
    # A byline the saved page was cut off after has no entry left to carry.
    return [entry for entry in entries if entry.headline or entry.text]


def _bylines_open(paragraphs: tuple[str, ...], marks: list[int]) -> bool:
    """Whether bylines open their entries (byline, headline, text: most live blogs) or close
    them (headline, text, byline). They open them when the text starts with one, or when what
    precedes the first is an introduction, whose first line is a sentence; they close them
    when the text starts with a headline, the first entry's."""
    return marks[0] == 0 or not _is_headline(paragraphs[0])


def _text_entry(body: list[str], byline: Byline) -> Entry:
    headline = None
    if body and _is_headline(body[0]) and (len(body) > 1 or len(body[0]) < HEADLINE_MAX):
        headline, body = body[0], body[1:]
    return Entry(headline=headline, author=byline.author, published_at=byline.published_at,
                 text="\n\n".join(body))


def _is_headline(line: str) -> bool:
    """A short line that does not end like a sentence: a headline in plain text."""
    return len(line) <= HEADLINE_MAX and not line.rstrip().endswith((".", ":", "”", '"')) and (
        bylines.parse_byline(line) is None)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


def _ld_entry(update: Any) -> Entry | None:
    if not isinstance(update, dict):
        return None
    text = jsonld.text(update.get("articleBody")) or jsonld.text(update.get("description"))
    if not text:
        return None
    authors = clean_names(jsonld.names(update.get("author")))
    return Entry(headline=jsonld.text(update.get("headline")), author=authors[0] if authors else
                 None, published_at=parse(jsonld.text(update.get("datePublished"))), text=text)


def _entry_blocks(tree: HtmlElement) -> list[HtmlElement]:
    """The largest group of sibling blocks that each carry a time: the blog's entries."""
    marked = MARKED_UPDATES(tree)
    if len(marked) >= MIN_ENTRIES:
        return list(marked)
    groups: dict[HtmlElement, dict[HtmlElement, None]] = {}  # dicts: ordered sets
    has_paragraph: dict[HtmlElement, bool] = {}
    for time in tree.xpath("//body//time"):
        block = _entry_ancestor(time, has_paragraph)
        if block is not None and block.getparent() is not None:
            groups.setdefault(block.getparent(), {})[block] = None
    best = max((list(blocks) for blocks in groups.values()), key=len, default=[])
    return best if len(best) >= MIN_ENTRIES else []


def _entry_ancestor(element: HtmlElement,
                    has_paragraph: dict[HtmlElement, bool]) -> HtmlElement | None:
    """The nearest ancestor that looks like an entry (article, li, or a live/post class)."""
    for ancestor in element.iterancestors():
        if ancestor.tag in ("body", "main"):
            return None
        looks_like_entry = ancestor.tag in ("article", "li") or ENTRY_CLASS.search(
            ancestor.get("class", "") + " " + ancestor.get("id", ""))
        # A time inside a header wrapper climbs on to the block that holds the text too.
        # Remembered per ancestor: many times inside one large block search it once.
        if looks_like_entry and ancestor not in has_paragraph:
            has_paragraph[ancestor] = bool(ancestor.xpath(".//p"))
        if looks_like_entry and has_paragraph[ancestor]:
            return ancestor
    return None


def _block_entry(block: HtmlElement) -> Entry | None:
    heading = [_text(element) for element in block.xpath(".//h1|.//h2|.//h3|.//h4")]
    authors = clean_names([_text(element) for element in block.xpath("." + BYLINE_XPATH)][:1])
    paragraphs = [p for p in block.xpath(".//p") if _text(p) and not _in_byline(p, block)
                  and not p.xpath(".//time")]  # a paragraph holding the time is its stamp
    if not heading and len(paragraphs) > 1 and _is_lead_in(paragraphs[0]):
        heading, paragraphs = [_text(paragraphs[0])], paragraphs[1:]
    if not paragraphs:
        return None
    return Entry(headline=heading[0] if heading else None,
                 author=authors[0] if authors else None, published_at=_block_time(block),
                 text="\n\n".join(_text(p) for p in paragraphs))


def _is_lead_in(paragraph: HtmlElement) -> bool:
    """A short paragraph that is all bold: the entry's headline in styles without <h2>."""
    bold = "".join(paragraph.xpath("./strong//text()|./b//text()")).strip()
    return bool(bold) and bold == _text(paragraph) and len(bold) <= HEADLINE_MAX


def _block_time(block: HtmlElement) -> datetime | None:
    for time in block.xpath(".//time"):
        moment = parse(time.get("datetime")) or parse(_text(time))
        if moment:
            return moment
    match = TEXT_DATE.search(_text(block))
    return from_match(match) if match else None


def _in_byline(element: HtmlElement, block: HtmlElement) -> bool:
    """True for a paragraph that is (inside) the entry's byline or its time."""
    for node in (element, *element.iterancestors()):
        if node is block:
            return False
        if "byline" in (node.get("class") or "") or node.get("rel") == "author" or (
                node.get("itemprop") == "author"):
            return True
    return False


def _text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())
