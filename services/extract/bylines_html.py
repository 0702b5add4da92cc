"""The authors of an HTML page: its stated authors, checked against the byline it shows."""

import re
from urllib.parse import urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from services.extract.authors import clean_names, same_person
from services.extract.dates import NUMERIC_DATE, TEXT_DATE

# A byline element (liveblog.py searches each entry for one with this path).
BYLINE_XPATH = ('//*[@rel="author" or @itemprop="author" or @data-link-name="byline" or '
                'contains(@class, "byline")]')
# The page's byline elements (BYLINE_XPATH, found down the attributes rather than every
# element: the union keeps document order, in half the time), and the wider author boxes: the
# class and id names sites give them, in several languages. Compiled once.
PAGE_BYLINES = XPath('//@rel[.="author"]/..|//@itemprop[.="author"]/..|'
                     '//@data-link-name[.="byline"]/..|//@class[contains(., "byline")]/..')
PAGE_AUTHOR_BOXES = XPath(
    '//@class[contains(., "author") or contains(., "Author") or contains(., "autor") or '
    'contains(., "Autor") or contains(., "auteur") or contains(., "verfasser") or '
    'contains(., "Byline")]/..|//@id[contains(., "author")]/..')
# Author names in these parts of a page belong to other articles or to readers.
# Matched at the start of a class or id word ("comment-author", not "has-sidebar" on <body>).
_ELSEWHERE = re.compile(r"(?:^|[\s_-])(?:comment|related|teaser|recommend|sidebar|widget|"
                        r"newsletter|kommentar|reply|respond|popular|most-read)", re.IGNORECASE)
MAX_BYLINE = 120  # a byline is short; an author's biography is not one


def page_authors(tree: HtmlElement, sources: list[list[str]], site_name: str | None,
                 url: str) -> list[str]:
    """The article's authors: the first source (JSON-LD, then meta) that names someone, unless
    they only name a desk or the site itself; the site's name counts only when the byline
    shows it. Else the byline."""
    stated = [[value for value in values if "://" not in value] for values in sources]
    names = next((found for values in stated if (found := clean_names(values))), [])
    if any(stated) and not names:
        return []  # the page names a desk ("CNBC.com staff"): no person to credit
    sites = [name for name in names if _is_site(name, site_name, url)]
    if names and not sites:
        return names  # the byline's names could change nothing: its XPaths are not run
    shown = shown_names(tree)
    names = [name for name in names if name not in sites or any(
        same_person(name, shown_name) for shown_name in shown)]
    return names or shown


def shown_names(tree: HtmlElement) -> list[str]:
    """The names in the page's own bylines: its byline markup (up to three elements: co-authors
    can each have one), else the first author box that names someone."""
    if names := clean_names(_texts(tree, PAGE_BYLINES)[:3]):
        return names
    # Author boxes often repeat the byline further down, with a biography: the first counts.
    return next((names for text in _texts(tree, PAGE_AUTHOR_BOXES)
                 if (names := clean_names([text]))), [])


def _texts(tree: HtmlElement, search: XPath) -> list[str]:
    """The texts of the page's own byline elements, each cut before its date."""
    return [text for element in search(tree)
            if not _elsewhere(element) and (text := _undated(_text(element)))
            and len(text) <= MAX_BYLINE]


def _undated(text: str) -> str:
    # A byline often carries its date too ("Fiona Parker 2 March 2024 • 9:36pm").
    for pattern in (TEXT_DATE, NUMERIC_DATE):
        text = pattern.split(text, maxsplit=1)[0]
    return text.strip(" ,|•·-–—")


def _elsewhere(element: HtmlElement) -> bool:
    """True inside comments, teasers or side columns, judged up to the article that holds the
    byline (page wrappers far above it carry ids like "sidebar" on the main column)."""
    for node in (element, *element.iterancestors()):
        if node.tag in ("body", "html"):
            return False
        side = _ELSEWHERE.search(f'{node.get("class", "")} {node.get("id", "")}') or (
            node.tag in ("aside", "nav"))
        # A wrapper that holds the page's headline is the main column, whatever its name.
        if side and node.find(".//h1") is None:
            return True
        if node.tag in ("article", "main"):
            return False
    return False


def _is_site(name: str, site_name: str | None, url: str) -> bool:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    folded = re.sub(r"\W+", "", name).casefold()
    return any(folded and (folded == other or (len(other) >= 4 and other in folded))
               for other in (re.sub(r"\W+", "", site_name or "").casefold(),
                             re.sub(r"\W+", "", host.rsplit(".", 1)[0]).casefold()))


def _text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())
