"""Furniture in the page's own markup: the text of captions, promos, bios, embeds and the like.

Sites name their boxes in class and id attributes ("promo-description", "author-bio",
"twitter-tweet"); extractors keep some of those boxes inside the article. Words of that
vocabulary are common to news sites, so no rule here is keyed to one publisher.
"""

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

from services.clean.text import key

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
# Cheap pre-selection in C; the exact word check below rejects "header" for "ad" and the like.
_STEMS = ("caption", "credit", "copyright", "photograph", "promo", "teaser", "relat",
          "recommend", "recirc", "readmore", "outbrain", "taboola", "trending", "popular",
          "mostread", "newsletter", "signup", "subscri", "optin", "bio", "tweet", "twitter",
          "instagram", "tiktok", "shar", "social", "ad", "donat", "comments", "disqus")
# One pass over the tree in C; the exact word check below rejects "header" for "ad" and such.
_CANDIDATES = "//body//*[{}]".format(" or ".join(
    [f"self::{tag}" for tag in _TAGS]
    + [f'contains(@class, "{stem}") or contains(@id, "{stem}")' for stem in _STEMS]))
_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
MAX_SHARE = 0.5  # a box holding half the article's text is the article, whatever its name


def furniture_texts(tree: HtmlElement, article_chars: int) -> dict[str, str]:
    """Comparison keys of the texts inside furniture boxes, each with its reason."""
    found: dict[str, str] = {}
    for box, reason in _boxes(tree):
        text = box.text_content()
        if not text.strip() or len(text) > MAX_SHARE * max(article_chars, 1):
            continue
        for element in box.iter():
            if isinstance(element.tag, str) and (part := key(element.text_content())):
                found.setdefault(part, reason)
    return found


def _boxes(tree: HtmlElement) -> Iterator[tuple[HtmlElement, str]]:
    for element in tree.xpath(_CANDIDATES):
        reason = _TAGS.get(element.tag) or _reason(element)
        if reason:
            yield element, reason


def _reason(element: HtmlElement) -> str | None:
    for attribute in ("class", "id"):
        value = _CAMEL.sub("-", element.get(attribute) or "").lower()
        for word in _SPLIT.split(value):
            if word in _REASONS:
                return _REASONS[word]
    return None
