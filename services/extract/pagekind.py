"""What kind of page this is: article, live blog, index, paywalled or bot wall."""

import re

from lxml.html import HtmlElement

from services.extract import jsonld
from services.extract.metadata import Meta
from shared.models import CleanPage, PageKind

BOT_WALL = re.compile(
    r"are you (?:a )?(?:robot|human)|verify (?:that )?you(?:'re| are) (?:a )?human|captcha|"
    r"checking (?:if the site connection is secure|your browser)|just a moment\.\.\.|"
    r"enable javascript and cookies|unusual traffic from your|pardon our interruption|"
    r"attention required!? \| cloudflare|access to this page has been denied|"
    r"request unsuccessful\. incapsula", re.IGNORECASE)
PAYWALL = re.compile(
    r"subscribe (?:now )?to (?:continue|keep) reading|to continue reading,? (?:please )?"
    r"(?:subscribe|log ?in|sign in)|this (?:article|story|content) is (?:only )?(?:available )?"
    r"(?:for|to) (?:paying )?subscribers|already a subscriber\?|subscribers only|"
    r"unlock this article|become a (?:member|subscriber) to read", re.IGNORECASE)
PAYWALL_BOXES = ('//*[contains(@class, "paywall") or contains(@class, "subscri") or '
                 'contains(@class, "gate") or contains(@class, "premium") or '
                 'contains(@class, "piano") or contains(@id, "paywall")]')
BOT_WALL_WORDS = 150  # a real article that mentions captchas is longer than a challenge page
INDEX_WORDS = 250
INDEX_LINKS = 15


def classify(page: CleanPage, tree: HtmlElement | None, meta: Meta, is_live: bool) -> PageKind:
    """The kind of a page, from its markup, its metadata and the amount of text it kept."""
    words = sum(len(paragraph.split()) for paragraph in page.paragraphs)
    if words < BOT_WALL_WORDS and _bot_wall(page, tree):
        return "bot_wall"
    if is_live:
        return "live_blog"
    if tree is not None and words < INDEX_WORDS and _index(tree, meta, words):
        return "index"
    if _paywalled(page, tree, meta, words):
        return "paywalled"
    return "article"


def _bot_wall(page: CleanPage, tree: HtmlElement | None) -> bool:
    if tree is None:
        return bool(BOT_WALL.search(page.text))
    title = " ".join(tree.xpath("//title//text()"))
    challenge = tree.xpath('//*[contains(@id, "challenge") or contains(@class, "captcha") or '
                           'contains(@class, "g-recaptcha") or contains(@id, "px-captcha")]')
    return bool(challenge or BOT_WALL.search(title) or BOT_WALL.search(page.text)
                or BOT_WALL.search(tree.text_content()[:3000]))


def _index(tree: HtmlElement, meta: Meta, words: int) -> bool:
    """A listing: says so in its metadata, or is mostly links to headlines with no article node."""
    if meta.node is not None and meta.og_type in (None, "article"):
        return False
    if any(jsonld.types_of(node) & jsonld.LISTING_TYPES for node in meta.nodes):
        return True
    # Article pages carry related-story links too, so count them against the kept text.
    headlines = [size for anchor in tree.iter("a")
                 if (size := len(anchor.text_content().split())) >= 4]
    return len(headlines) >= INDEX_LINKS and sum(headlines) > 2 * words


def _paywalled(page: CleanPage, tree: HtmlElement | None, meta: Meta, words: int) -> bool:
    """Truncated behind a paywall: a paywall notice, or a locked page shorter than it says.

    A "not free" flag alone is not enough: some sites set it on every page, with the whole
    text served (a registration wall, or a meter the crawler never hits).
    """
    notices = [removal.text for removal in page.removed] + list(page.paragraphs[-3:])
    if any(PAYWALL.search(text) for text in notices):
        return True
    if tree is None:
        return False
    locked = _not_free(meta) or bool(tree.xpath(
        '//meta[@property="article:content_tier" and (@content="locked" or '
        '@content="metered")]|//*[contains(@class, "paywall")]'))
    if not locked:
        return False
    declared = _word_count(meta)
    # Only the paywall's own boxes are searched: the whole page's text is slow to scan.
    boxes = " ".join(element.text_content() for element in tree.xpath(PAYWALL_BOXES)[:20])
    return bool(PAYWALL.search(boxes)) or (declared is not None and words < declared / 2)


def _word_count(meta: Meta) -> int | None:
    value = (meta.node or {}).get("wordCount")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _not_free(meta: Meta) -> bool:
    node = meta.node or {}
    parts = [node, *(part for part in jsonld.flatten(node.get("hasPart")))]
    return any(str(part.get("isAccessibleForFree", "")).lower() == "false" for part in parts)
