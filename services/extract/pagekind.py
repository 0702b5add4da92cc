"""What kind of page this is (article, live blog, index, paywalled, bot wall), and how sure.

The kind is a judgement with a confidence, never a veto over real text: a kind that costs a
page its text (index, bot wall) is STRONG only on evidence an article page does not give, and
anything weaker keeps the text and records the kind. An index is told by what the clean stage
kept: on a listing the kept paragraphs are the link texts of headlines; on an article beside a
big "more stories" block, a short breaking item or a post under hundreds of comments, they are
prose that no link holds.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.etree import XPath
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
# The searches below run down the attributes, not every element (the union keeps document
# order, in half the time), and are compiled once.
PAYWALL_BOXES = XPath('//@class[contains(., "paywall") or contains(., "subscri") or '
                      'contains(., "gate") or contains(., "premium") or '
                      'contains(., "piano")]/..|//@id[contains(., "paywall")]/..')
LOCKED = XPath('//meta[@property="article:content_tier" and (@content="locked" or '
               '@content="metered")]|//@class[contains(., "paywall")]/..')
CHALLENGE_BOXES = XPath('//@id[contains(., "challenge") or contains(., "px-captcha")]/..|'
                        '//@class[contains(., "captcha") or contains(., "g-recaptcha")]/..')
TITLE_TEXTS = XPath("//title//text()", smart_strings=False)
BOT_WALL_WORDS = 150  # a real article that mentions captchas is longer than a challenge page
STRONG = 0.9  # a kind that costs the page its text needs at least this confidence
HEADLINE_WORDS = 4  # a link this long reads as a story's headline, not a menu entry
INDEX_LINKS = 7  # fewer headline links make no listing
LINKED_PARAGRAPHS = 5  # ...and fewer kept headlines neither
FRONT_LINKS = 30  # a front page's worth of headlines
LINKED_SHARE = 0.5  # on a listing, at least this share of the kept words are link texts
NO_TEXT_WORDS = 25  # kept text shorter than this is no article's
PROSE_WORDS = 40  # a paragraph this long that no link holds is an article's prose
FRONT_SEGMENT = re.compile(r"[^\W\d_]+")  # "world", "sport": a word, where slugs have several


@dataclass(frozen=True)
class Judgement:
    """A page's kind and how sure the judgement is (0.5 a guess, 1.0 certain)."""

    kind: PageKind
    confidence: float

    @property
    def strong(self) -> bool:
        """Sure enough to act on when acting loses text."""
        return self.confidence >= STRONG


def classify(page: CleanPage, tree: HtmlElement | None, meta: Meta, is_live: bool) -> PageKind:
    """The kind of a page (see judge)."""
    return judge(page, tree, meta, is_live).kind


def judge(page: CleanPage, tree: HtmlElement | None, meta: Meta, is_live: bool) -> Judgement:
    """The kind of a page, from its markup, its metadata and the text the clean stage kept."""
    words = sum(len(paragraph.split()) for paragraph in page.paragraphs)
    if words < BOT_WALL_WORDS and (wall := _bot_wall(page, tree, words)) is not None:
        return wall
    if is_live:
        return Judgement("live_blog", 0.95)
    index = _index(page, tree, meta) if tree is not None else None
    if index is not None:
        return index
    if _paywalled(page, tree, meta, words):
        return Judgement("paywalled", 0.8)
    return Judgement("article", 0.95 if meta.node is not None else 0.8)


def _bot_wall(page: CleanPage, tree: HtmlElement | None, words: int) -> Judgement | None:
    """A challenge page: sure when its title or its kept text says so; a captcha box or a
    challenge phrase elsewhere (a comment form's captcha) only on a page with next to no text."""
    said = bool(BOT_WALL.search(page.text))
    if tree is None:
        return Judgement("bot_wall", 0.95) if said else None
    title = " ".join(TITLE_TEXTS(tree))
    if said or BOT_WALL.search(title):
        return Judgement("bot_wall", 0.95)
    if words >= BOT_WALL_WORDS / 3:
        return None
    challenge = CHALLENGE_BOXES(tree)
    if challenge or BOT_WALL.search(tree.text_content()[:3000]):
        return Judgement("bot_wall", 0.7)  # recorded, text kept
    return None


def _index(page: CleanPage, tree: HtmlElement, meta: Meta) -> Judgement | None:
    """A listing: says so in its JSON-LD and keeps no prose, or its kept text is mostly the
    link texts of headlines; sure only when no prose is kept and nothing calls it an article."""
    headlines = {_folded(text) for anchor in tree.iter("a")
                 if len((text := anchor.text_content()).split()) >= HEADLINE_WORDS}
    kept = [(_folded(paragraph), len(paragraph.split())) for paragraph in page.paragraphs]
    prose = any(size >= PROSE_WORDS and text not in headlines for text, size in kept)
    said_article = meta.node is not None or meta.og_type == "article"
    listing = any(jsonld.types_of(node) & jsonld.LISTING_TYPES for node in meta.nodes)
    if listing and not said_article and not prose:
        return Judgement("index", 0.95)
    if _front_url(page.raw.final_url) and not said_article and len(headlines) >= INDEX_LINKS:
        # a home or section front: sure when it keeps no prose, or is a website of headlines
        sure = not prose or (meta.og_type == "website" and len(headlines) >= FRONT_LINKS)
        return Judgement("index", 0.9 if sure else 0.7)
    total = sum(size for _, size in kept)
    if (total < NO_TEXT_WORDS and not said_article and len(headlines) >= INDEX_LINKS
            and HEADLINE_WORDS * len(headlines) > 4 * total):
        return Judgement("index", 0.9)  # headlines all over, next to no text of its own
    linked = [size for text, size in kept if text in headlines or _headline_led(text, headlines)]
    if (len(headlines) < INDEX_LINKS or len(linked) < LINKED_PARAGRAPHS
            or sum(linked) < LINKED_SHARE * total):
        return None
    if prose or said_article:
        return Judgement("index", 0.6)  # recorded, text kept
    return Judgement("index", 0.9)


def _front_url(url: str) -> bool:
    """A home page or section front ("/", "/world/", "/news/politics/"): no query, at most
    two path segments of one word each, where an article has a slug, an id or a date."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("http") or parts.query:
        return False
    segments = [segment for segment in parts.path.split("/") if segment]
    return len(segments) <= 2 and all(FRONT_SEGMENT.fullmatch(segment) for segment in segments)


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _headline_led(text: str, headlines: set[str]) -> bool:
    """A teaser paragraph that opens with a headline ("Headline. Two lines of summary")."""
    return len(text) < 400 and any(text.startswith(line) for line in headlines)


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
    locked = _not_free(meta) or bool(LOCKED(tree))
    if not locked:
        return False
    declared = _word_count(meta)
    # Only the paywall's own boxes are searched: the whole page's text is slow to scan.
    boxes = " ".join(element.text_content() for element in PAYWALL_BOXES(tree)[:20])
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
