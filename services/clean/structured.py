"""What a page says about itself in JSON-LD: its body text, its live-blog updates, its title."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

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
    for node in _nodes(tree):
        if isinstance(node.get("headline"), str):
            titles.append(node["headline"])
        if _types(node) & LIVE_TYPES:
            updates.extend(_updates(node.get("liveBlogUpdate")))
        elif isinstance(node.get("articleBody"), str) and node["articleBody"].strip():
            bodies.append(node["articleBody"])
    return Structured(tuple(bodies), tuple(updates), tuple(titles))


def _updates(value: Any) -> Iterator[tuple[str, str]]:
    for update in value if isinstance(value, list) else [value]:
        if isinstance(update, dict) and isinstance(update.get("articleBody"), str):
            headline = update.get("headline")
            yield (headline if isinstance(headline, str) else "", update["articleBody"])


def _nodes(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue  # broken JSON-LD is common; the page's markup still counts
        yield from _flatten(data)


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"])


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", [])
    names = value if isinstance(value, list) else [value]
    return {str(name).rsplit(":", 1)[-1].rsplit("/", 1)[-1] for name in names}
