"""The article's title as its page shows it: the visible headline, without the site's name."""

import re
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from services.extract.dates import NUMERIC_DATE, TEXT_DATE

# A site's name hangs off a title after a separator: "Headline | Site", "Headline - Site".
_SEPARATOR = re.compile(r"\s+[|\-–—›»·•:]\s+|\s*[|›»]\s*")
AGREEMENT = 0.5  # share of the headline's words one of the page's own titles must carry
MIN_WORDS = 2


def visible_title(tree: HtmlElement, candidates: list[str | None], site_name: str | None,
                  url: str) -> str | None:
    """The <h1> that agrees with the page's own titles (JSON-LD, Open Graph, <title>), else the
    first of those; the site's name (or a date) left after a separator is cut off."""
    stated = [" ".join(c.split()) for c in candidates if c and c.strip()]
    found = tree.find(".//title")  # searched once: the whole tree when a page has none
    document_title = _text(found) if found is not None else ""
    titles = [*stated, document_title] if document_title else stated
    names = {_folded(name) for name in (site_name, _host_label(url)) if name}
    heading = _agreeing_heading(tree, titles, names - {""})
    title = heading or (stated[0] if stated else document_title or None)
    return strip_site(title, site_name, url) if title else None


def _agreeing_heading(tree: HtmlElement, titles: list[str], names: set[str]) -> str | None:
    for element in tree.iter("h1"):
        text = _text(element)
        words = _words(text)
        if len(words) < MIN_WORDS or _is_site(text, names):
            continue  # a logo or a "Log In" dialog, not the headline
        parts = {_text(part) for part in element.iterdescendants()} - {text}
        for title in titles:
            # An <h1> holding a kicker in its own element before the headline gives the title.
            if len(_words(title)) >= MIN_WORDS and title in parts:
                return title
        if any(len(words & _words(title)) >= max(MIN_WORDS, AGREEMENT * len(words))
               for title in titles):
            return text
    return None


def strip_site(title: str, site_name: str | None, url: str) -> str:
    """The title without a trailing (or leading) site name or date after a separator."""
    names = {_folded(name) for name in (site_name, _host_label(url)) if name}
    names.discard("")
    while True:
        cuts = list(_SEPARATOR.finditer(title))
        if not cuts:
            return title
        head, tail = title[:cuts[-1].start()], title[cuts[-1].end():]
        first_head, first_tail = title[:cuts[0].start()], title[cuts[0].end():]
        if _is_site(tail, names) and len(head.split()) >= MIN_WORDS:
            title = head.strip()
        elif _is_site(first_head, names) and len(first_tail.split()) >= MIN_WORDS:
            title = first_tail.strip()
        else:
            return title


def _is_site(part: str, names: set[str]) -> bool:
    folded = _folded(part)
    if len(folded) < 4:
        return False
    if TEXT_DATE.fullmatch(part.strip()) or NUMERIC_DATE.fullmatch(part.strip()):
        return True
    return any(len(name) >= 4 and (name in folded or folded in name) and
               len(folded) <= 3 * len(name) for name in names)


def _host_label(url: str) -> str:
    labels = (urlsplit(url).hostname or "").removeprefix("www.").split(".")
    if len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net", "gov", "ac"):
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else ""


def _folded(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())
