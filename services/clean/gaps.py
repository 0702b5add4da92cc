"""Headings and list items between the paragraphs an extractor kept, that it dropped.

Extractors prune by element: on some pages (content wrapped in an inline element, lists with
a link in each item) they keep every paragraph of the story and lose its subheadings and the
items of its lists. Those sit in the page between two kept paragraphs, in the same container,
so they are part of the body; link lists (menus, "read more") are told by their link density.
Between the first and last kept paragraph every such element counts; after the last, only a
run of them in the same container as the last two kept paragraphs (a story that ends on a
list), up to the first one that is not body-like: related links and comments stay out.
"""

from lxml.html import HtmlElement

from services.clean.text import quick_key, repair

GAP_TAGS = ("h2", "h3", "h4", "h5", "h6", "li")
ANCHOR_TAGS = ("p", *GAP_TAGS)
LINK_DENSITY = 0.5  # a heading or item mostly made of link text is navigation
MAX_GAP_WORDS = 120  # a heading or list item is short; a long one is a box of its own


def fill(paragraphs: list[str], tree: HtmlElement) -> list[str]:
    """The paragraphs with the headings and list items the extractor dropped between them."""
    if len(paragraphs) < 2:
        return paragraphs
    position = {quick_key(paragraph): index for index, paragraph in enumerate(paragraphs)}
    body = tree.find("body")
    if body is None:
        return paragraphs
    elements = list(body.iter(ANCHOR_TAGS))
    keys = [quick_key(element.text_content()) for element in elements]
    matched = [index for index, key in enumerate(keys) if key in position]
    if len(matched) < 2:
        return paragraphs
    after: dict[int, list[str]] = {}
    last = position[keys[matched[0]]]
    for index in range(matched[0] + 1, matched[-1]):
        key, element = keys[index], elements[index]
        if key in position:
            last = max(last, position[key])
        elif key and element.tag in GAP_TAGS and _body_like(element, key) \
                and (element.tag == "li" or _heads_body(elements, index, position)):
            after.setdefault(last, []).append(repair(element.text_content()))
    after.setdefault(last, []).extend(_trailing(elements, keys, matched))
    if not any(after.values()):
        return paragraphs
    seen = set(position)
    out: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        out.append(paragraph)
        for text in after.get(index, []):
            if (normal := quick_key(text)) not in seen:
                seen.add(normal)
                out.append(text)
    return out


def _heads_body(elements: list[HtmlElement], index: int, position: dict[str, int]) -> bool:
    """A heading is the story's when the block right under it is kept text or a list of
    body-like items, not the links of a "more on this" box."""
    following = elements[index].getnext()
    while following is not None and not following.text_content().strip():
        following = following.getnext()
    if following is None:
        return False
    if following.tag in ("ul", "ol"):
        item = following.find("li")
        return item is not None and _body_like(item, quick_key(item.text_content()))
    return quick_key(following.text_content()) in position


def _trailing(elements: list[HtmlElement], keys: list[str], matched: list[int]) -> list[str]:
    """The headings and list items right after the last kept paragraph, in its container."""
    first, last = elements[matched[-2]], elements[matched[-1]]
    container = next((a for a in last.iterancestors() if a in set(first.iterancestors())), None)
    if container is None or container.tag == "body":
        return []
    found: list[str] = []
    for index in range(matched[-1] + 1, len(elements)):
        element = elements[index]
        if container not in set(element.iterancestors()):
            break
        if element.tag != "li" or not keys[index]:
            continue  # a heading after the story heads the next box
        if not _body_like(element, keys[index]):
            break
        found.append(repair(element.text_content()))
    return found


def _body_like(element: HtmlElement, key: str) -> bool:
    """Short text of its own, not mostly links, and no container of other blocks."""
    if len(key.split()) > MAX_GAP_WORDS or any(True for _ in element.iterdescendants(ANCHOR_TAGS)):
        return False
    linked = sum(len(anchor.text_content()) for anchor in element.iter("a"))
    return linked <= LINK_DENSITY * len(element.text_content())
