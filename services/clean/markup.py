"""What the page's own markup says about its boxes: furniture (captions, promos, bios,
embeds...) to cut from the extracted text, and key-point lists the extractors tend to miss.

Sites name their boxes in class and id attributes ("promo-description", "author-bio",
"twitter-tweet", "RenderKeyPoints"). That vocabulary is common to news sites, so no rule
here is keyed to one publisher.
"""

import bisect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml.html import HtmlElement

from services.clean.text import quick_key, repair

# A class or id word that names a box of furniture, and the reason its text is cut.
_REASONS = {
    "caption": "caption", "figcaption": "caption", "credit": "caption", "credits": "caption",
    "copyright": "caption", "photographer": "caption",
    "promo": "teaser", "teaser": "teaser", "related": "teaser", "recommended": "teaser",
    "recirc": "teaser", "recirculation": "teaser", "readmore": "teaser", "outbrain": "teaser",
    "taboola": "teaser", "trending": "teaser", "popular": "teaser", "mostread": "teaser",
    "newsletter": "newsletter", "signup": "newsletter", "subscribe": "newsletter",
    "subscription": "newsletter", "optin": "newsletter",
    "bio": "bio", "biography": "bio", "authorbio": "bio",
    "tweet": "embed", "twitter": "embed", "instagram": "embed", "tiktok": "embed",
    "share": "social", "sharing": "social", "social": "social",
    "ad": "advert", "ads": "advert", "advert": "advert", "advertisement": "advert",
    "sponsored": "advert", "donate": "appeal", "donation": "appeal",
    "comments": "comments", "disqus": "comments",
}
_TAGS = {"figcaption": "caption", "aside": "teaser"}
SUMMARY = "summary"  # the label of a key-points box: text to add, not to cut
_SUMMARY_WORDS = {"keypoints", "summary", "takeaways"}
_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_HINTS = tuple(sorted({*_REASONS, *_SUMMARY_WORDS} - {"ad", "ads"}))
_SEPARATOR = "\x00"
_SQUASH = re.compile(r"[^a-z0-9\x00]+")
_EDGE = re.compile(_SEPARATOR)
# "ad" or "ads" as a word: not after a letter or digit, or "Ad" after a lower-case one; the
# letter comes first so that re scans for it instead of trying the lookbehinds everywhere.
_AD = re.compile(r"[aA](?:(?<![A-Za-z0-9][aA])|(?<=[a-z0-9]A))[dD][sS]?(?![a-z0-9])")
_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "figcaption", "blockquote", "div", "span",
           "a", "em", "strong", "small", "cite", "dd", "dt")
MAX_SHARE = 0.5  # a box holding half the article's text is the article, whatever its name
POINTS = (2, 6)  # a key-points list has a few items...
POINT_WORDS = 6  # ...each a sentence


@dataclass(frozen=True)
class Boxes:
    """Furniture texts (comparison key -> reason) and the key-point lists of a page."""

    furniture: dict[str, str]
    key_points: tuple[tuple[str, ...], ...]


def read_boxes(tree: HtmlElement, article_chars: int) -> Boxes:
    """The furniture texts and key-point lists of a page whose article has this length."""
    labelled = dict(_labelled(tree))
    points = tuple(found for box, label in labelled.items() if label == SUMMARY
                   and (found := _points(box)))
    boxes = {box: label for box, label in labelled.items() if label != SUMMARY}
    return Boxes(_furniture(boxes, MAX_SHARE * max(article_chars, 1)), points)


def _furniture(boxes: dict[HtmlElement, str], limit: float) -> dict[str, str]:
    texts = {box: box.text_content() for box in boxes}
    small = {box: True for box, text in texts.items() if text.strip() and len(text) <= limit}
    found: dict[str, str] = {}
    # Nested blocks (a div holding a p holding a link) often read the same text: each
    # distinct text gets its key once.
    keys: dict[str, str] = {}
    for box in small:
        if any(ancestor in small for ancestor in box.iterancestors()):
            continue  # the outer box reads this one's text too
        found.setdefault(quick_key(texts[box]), boxes[box])
        for element in box.iter(_BLOCKS):
            text = element.text_content()
            if (part := keys.get(text)) is None:
                part = keys[text] = quick_key(text)
            if part:
                found.setdefault(part, boxes[box])
    return found


def _points(box: HtmlElement) -> tuple[str, ...]:
    """The items of the first list in a key-points box, when they look like key points."""
    for listing in box.iter("ul", "ol"):
        items = tuple(repair(item.text_content()) for item in listing.iterfind("li"))
        low, high = POINTS
        if low <= len(items) <= high and all(len(i.split()) >= POINT_WORDS for i in items):
            return items
        break
    return ()


def _labelled(tree: HtmlElement) -> Iterator[tuple[HtmlElement, str]]:
    body = tree.find("body")
    if body is None:
        return
    for tag, reason in _TAGS.items():
        for element in body.iter(tag):
            yield element, reason
    # XPath hands back attribute values that know their element: one pass in C, and the
    # word check runs once per distinct value.
    values = body.xpath(".//@class|.//@id")
    labels = _labels(list(dict.fromkeys(values)))
    if not labels:
        return
    for value in values:
        if label := labels.get(value):
            yield value.getparent(), label


def _labels(values: list[str]) -> dict[str, str]:
    """The furniture reason or summary label of each class or id value that names one."""
    # Most values name no box: substring searches over all of them joined rule those out
    # before the word split, which costs ten times more (one scan of the lot also beats two
    # regex searches per value). Every word (and pair of words) is a substring of the value
    # squashed, and "ad" (too common a substring to look for) must stand as a word. NUL,
    # which no attribute value holds, keeps the values apart; the checks see it as an edge.
    joined = _SEPARATOR.join(values)
    squashed = _SQUASH.sub("", joined.lower())
    edges = [match.start() for match in _EDGE.finditer(squashed)]
    hits: set[int] = set()
    for hint in _HINTS:  # a substring search per word: an alternation regex is slower here
        start = squashed.find(hint)
        while start >= 0:
            hits.add(bisect.bisect(edges, start))
            start = squashed.find(hint, start + 1)
    ads = [match.start() for match in _AD.finditer(joined)]
    if ads:
        edges = [match.start() for match in _EDGE.finditer(joined)]
        hits.update(bisect.bisect(edges, start) for start in ads)
    labels: dict[str, str] = {}
    for index in sorted(hits):
        if label := _label(values[index]):
            labels[values[index]] = label
    return labels


def _label(value: str) -> str | None:
    """The furniture reason or the summary label that a class or id value names, if any."""
    camel = value if value.islower() else _CAMEL.sub("-", value)  # the sub is the slow part
    words = _SPLIT.split(camel.lower())
    if _SUMMARY_WORDS & {*words, *(a + b for a, b in itertools.pairwise(words))}:
        return SUMMARY
    return next((_REASONS[word] for word in words if word in _REASONS), None)
