"""What a page says about itself in JSON-LD: its body text, its live-blog updates, its title."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from shared.jsonld import nodes, types_of

LIVE_TYPES = frozenset({"LiveBlogPosting"})


@dataclass(frozen=True)
class Structured:
    """The JSON-LD facts the cleaner uses."""

    bodies: tuple[str, ...] = ()
    updates: tuple[tuple[str, str], ...] = ()  # (headline, body) of each live-blog update
    titles: tuple[str, ...] = field(default=())


def read(tree: HtmlElement) -> Structured:
    """The article bodies, live-blog updates and headlines found in the page's JSON-LD."""
    bodies: list[str] = []
    updates: list[tuple[str, str]] = []
    titles: list[str] = []
    for node in nodes(tree):
        if isinstance(node.get("headline"), str):
            titles.append(node["headline"])
        if types_of(node) & LIVE_TYPES:
            updates.extend(_updates(node.get("liveBlogUpdate")))
        elif isinstance(node.get("articleBody"), str) and node["articleBody"].strip():
            bodies.append(node["articleBody"])
    return Structured(tuple(bodies), tuple(updates), tuple(titles))


def _updates(value: Any) -> Iterator[tuple[str, str]]:
    for update in value if isinstance(value, list) else [value]:
        if isinstance(update, dict) and isinstance(update.get("articleBody"), str):
            headline = update.get("headline")
            yield (headline if isinstance(headline, str) else "", update["articleBody"])
