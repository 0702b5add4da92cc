"""What the page's own markup says about its boxes: furniture (captions, promos, bios,
embeds...) to cut from the extracted text, and key-point lists the extractors tend to miss.

Sites name their boxes in class and id attributes ("promo-description", "author-bio",
"twitter-tweet", "RenderKeyPoints"). That vocabulary is common to news sites, so no rule
here is keyed to one publisher.
"""

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
_HINT = re.compile("|".join(sorted({*_REASONS, *_SUMMARY_WORDS} - {"ad", "ads"})))
_AD = re.compile(r"(?:(?<![A-Za-z0-9])[aA]|(?<=[a-z0-9])A)[dD][sS]?(?![a-z0-9])")
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
    for box in small:
        if any(ancestor in small for ancestor in box.iterancestors()):
            continue  # the outer box reads this one's text too
        found.setdefault(quick_key(texts[box]), boxes[box])
        for element in box.iter(_BLOCKS):
            if part := quick_key(element.text_content()):
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
    labels: dict[str, str | None] = {}
    for value in body.xpath(".//@class|.//@id"):
        if value not in labels:
            labels[value] = _label(str(value))
        if label := labels[value]:
            yield value.getparent(), label


def _label(value: str) -> str | None:
    """The furniture reason or the summary label that a class or id value names, if any."""
    # Most values name no box: two regex searches rule them out before the word split,
    # which costs ten times more. Every word (and pair of words) is a substring of the value
    # squashed, and "ad" (too common a substring to look for) must stand as a word.
    if not (_HINT.search(_SPLIT.sub("", value.lower())) or _AD.search(value)):
        return None
    words = _SPLIT.split(_CAMEL.sub("-", value).lower())
    if _SUMMARY_WORDS & {*words, *(a + b for a, b in itertools.pairwise(words))}:
        return SUMMARY
    return next((_REASONS[word] for word in words if word in _REASONS), None)
