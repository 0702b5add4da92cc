"""The article body of an HTML page, as paragraphs, with what was cut from it and why."""

import re
import unicodedata
from copy import copy
from dataclasses import dataclass

from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.settings import Extractor

from services.clean import gaps, markup, structured
from services.clean.fast import sequence
from services.clean.page_tree import for_trafilatura, parse
from services.clean.text import (
    covered,
    covered_in,
    key,
    quick_key,
    repair,
    repair_all,
    union,
    words,
)

# A paragraph that is nothing but a date or a time is the page's dateline, not the story's.
DATE_ONLY = re.compile(r"\s*(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\.?,?\s*)?"
                       r"(?:\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:uhr|h|am|pm)?)?\s*", re.IGNORECASE)
STANDFIRST_WORDS = 8
STANDFIRST_PROBE = 50  # characters: a prefix short enough to sit in one text node
TITLE_WINDOW = 3  # paragraphs at the top where a kept headline may sit
KICKER_WORDS = 3
# words: below this a fast extraction may have missed the body (an article beside a big link
# block, a post after a widget, a list its pruning dropped); trafilatura's full chain, with its
# fallback extractors, tries harder. Measured on both corpora: a fast result this short is
# where the full chain gains (a fifth of trafilatura-eval's pages, a sixteenth of fundus80's).
SHORT = 200
# ...and the fast result is short because the body was missed only while it holds a small part
# of the page's words (its body text, scripts and styles gone). Measured where the full chain
# ran on both corpora (157 pages): it changed the text of 30, 29 of them with the fast result
# at a sixth of the page's words or less, most under a tenth (the other, at a half, lost words
# to it). At a fifth or more the page is short and the fast result is its body; the full chain
# only repeated it (73 of its 151 runs on trafilatura-eval). A fifth is also the share below
# which trafilatura's own escalation retries.
PAGE_SHARE = 0.2
# trafilatura's options, read from its config once rather than on every page. deduplicate is
# off: its duplicate cache is per process, so it would make the result depend on which worker
# saw which page before. Tables are kept: a results table or a price list can be the story
# (a row a paragraph, its cells apart). "xml" only skips the plain-text rendering of the body
# (the Python format's Document.text), which nothing here reads: the body tree is the same.
_OPTIONS = {fast: Extractor(output_format="xml", fast=fast, comments=False, tables=True,
                            dedup=False, with_metadata=False) for fast in (True, False)}


@dataclass(frozen=True)
class Body:
    """The paragraphs kept and the (text, reason) pairs cut."""

    paragraphs: tuple[str, ...]
    removed: tuple[tuple[str, str], ...] = ()


def read_body(html: str, url: str | None = None) -> Body:
    """Paragraphs of the article body of a page; empty when no body is found."""
    tree = parse(html)
    if tree is None:
        return Body(())
    paragraphs = gaps.fill(_trafilatura(tree, url), tree)
    facts = structured.read(tree)
    removed: list[tuple[str, str]] = []
    kept: list[str] = []
    boxes = markup.read_boxes(tree, sum(len(p) for p in paragraphs))
    for paragraph in paragraphs:
        normal = quick_key(paragraph)
        reason = boxes.furniture.get(normal) if normal else "boilerplate"
        reason = reason or ("date" if DATE_ONLY.fullmatch(paragraph) else None)
        if reason:
            removed.append((paragraph, reason))
        else:
            kept.append(paragraph)
    kept = _without_title(kept, tree, facts, removed)
    kept = _with_key_points(kept, boxes.key_points)
    kept = _with_standfirst(kept, tree)
    kept = _with_live_updates(kept, facts)
    # NFC: a page written in decomposed form ("u" + combining diaeresis) reads and searches the
    # same as any other; compared above in the page's own form, so the furniture keys match.
    return Body(tuple(unicodedata.normalize("NFC", paragraph) for paragraph in kept),
                tuple((unicodedata.normalize("NFC", text), why) for text, why in removed))


def _trafilatura(tree: HtmlElement, url: str | None) -> list[str]:
    """Trafilatura's body: fast first, its full fallback chain only when that came out short
    and a small part of the page."""
    paragraphs = _run(for_trafilatura(tree), url, fast=True)
    found = sum(len(p.split()) for p in paragraphs)
    if found < SHORT and found < PAGE_SHARE * _page_words(tree):
        # the fast run took its tree apart: a fresh copy (a tenth of the pages come here)
        paragraphs = _run(for_trafilatura(tree), url, fast=False) or paragraphs
    return paragraphs


def _page_words(tree: HtmlElement) -> int:
    """The words of the page's visible text, navigation and all (scripts are gone by now)."""
    body = tree.find("body")
    return len((tree if body is None else body).text_content().split())


def _run(tree: HtmlElement, url: str | None, fast: bool) -> list[str]:
    """trafilatura's extraction of a tree it may take apart (see services.clean.fast).

    What bare_extraction does with these options, but its copy of the tree: no metadata,
    language, tree size limit nor duplicate test is asked for here, so what it does besides
    is the check that some text came out.
    """
    options = copy(_OPTIONS[fast])  # a copy per page: the url is the page's own
    options.url = options.source = url
    try:
        body, text = sequence(tree, options, url)
    except (TypeError, ValueError):  # what bare_extraction turns into "no document"
        return []
    if len(text) < options.min_output_size:
        return []
    lines = [line for block in body for line in _block_lines(block)]
    return [text for text in repair_all(lines) if text]


def _block_lines(block: _Element) -> list[str]:
    """The paragraphs of one block of trafilatura's output, unrepaired: list items and line
    breaks apart."""
    if block.tag == "list":
        return [" ".join(item.itertext()) for item in block.iter("item")]
    if block.tag == "table":  # a row a line, its cells apart
        return [" | ".join(" ".join(cell.itertext()) for cell in row.iter("cell"))
                for row in block.iter("row")]
    for line_break in block.iter("lb"):
        line_break.tail = "\n" + (line_break.tail or "")
    return "".join(block.itertext()).split("\n")


def _without_title(paragraphs: list[str], tree: HtmlElement, facts: structured.Structured,
                   removed: list[tuple[str, str]]) -> list[str]:
    """The body without the headline extractors often keep at its top, nor the one- to
    three-word label ("Live", "Exclusive") standing above it."""
    titles = {key(t) for t in (*facts.titles, *_markup_titles(tree)) if key(t)}
    top = [key(paragraph) in titles for paragraph in paragraphs[:TITLE_WINDOW]]
    if True not in top:
        return paragraphs
    cut = top.index(True)
    if any(len(words(paragraph)) > KICKER_WORDS for paragraph in paragraphs[:cut]):
        return paragraphs
    removed.extend((paragraph, "kicker") for paragraph in paragraphs[:cut])
    removed.append((paragraphs[cut], "title"))
    return paragraphs[cut + 1:]


def _markup_titles(tree: HtmlElement) -> list[str]:
    found = [h1.text_content() for h1 in tree.iterfind(".//h1")]
    found += tree.xpath('//meta[@property="og:title"]/@content')
    title = tree.findtext(".//title") or ""
    return [*found, title, *(title.split(sep)[0] for sep in (" | ", " - ", " – ") if sep in title)]


def _with_standfirst(paragraphs: list[str], tree: HtmlElement) -> list[str]:
    """The standfirst (the summary under the headline) that extractors tend to skip: the
    page's description, when the page also shows it as text and the body lacks it."""
    found = tree.xpath('//meta[@property="og:description" or @name="description"]/@content')
    description = repair(str(found[0])) if found else ""
    if len(description.split()) < STANDFIRST_WORDS or covered_in(description, paragraphs) > 0.5:
        return paragraphs
    snippet = description[:STANDFIRST_PROBE]
    shown = tree.xpath("boolean(//body//text()[contains(., $s)][not(parent::script)])", s=snippet)
    return [description, *paragraphs] if shown else paragraphs


def _with_key_points(paragraphs: list[str], key_points: tuple[tuple[str, ...], ...]
                     ) -> list[str]:
    """The key points (a short list summing up the story) when the extractor left the list
    out. They may repeat sentences of the body: the page shows them twice, and so do we."""
    if not key_points:
        return paragraphs
    present = {quick_key(paragraph) for paragraph in paragraphs}
    for points in key_points:
        if sum(quick_key(point) in present for point in points) * 2 < len(points):
            return [*points, *paragraphs]
    return paragraphs


def _with_live_updates(paragraphs: list[str], facts: structured.Structured) -> list[str]:
    """A live blog's updates from JSON-LD that the extractor missed. When the page's own text
    (after its standfirst) is all in the updates, the updates are the body, in their order:
    an extractor that took one entry of many, or jumbled them, is worse than the site's list."""
    if len(facts.updates) < 2:
        return paragraphs
    bodies = [[line for line in map(repair, body.split("\n")) if line]
              for _, body in facts.updates]
    entries = [[repair(headline), *lines] if repair(headline) else lines
               for (headline, _), lines in zip(facts.updates, bodies, strict=True)]
    known = union(line for entry in entries for line in entry)
    inside = [covered(paragraph, known) >= 0.5 for paragraph in paragraphs]
    lead = inside.index(True) if True in inside else len(paragraphs)
    rest = [paragraph for paragraph, found in zip(paragraphs[lead:], inside[lead:], strict=True)
            if not found]
    if sum(len(paragraph) for paragraph in rest) <= 0.1 * sum(map(len, paragraphs[lead:])):
        return paragraphs[:lead] + [line for entry in entries for line in entry]
    seen = union(paragraphs)
    missed = [entry for entry, lines in zip(entries, bodies, strict=True)
              if covered(" ".join(lines), seen) < 0.5]
    return paragraphs + [line for entry in missed for line in entry]
