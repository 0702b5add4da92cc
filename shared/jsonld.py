"""JSON-LD on a page: every node, flattened, and the bare names of its types.

One reader for the clean and extract stages, so both see the same nodes: any script whose type
contains "ld+json" ("application/ld+json; charset=utf-8" too), lists and @graph flattened.
"""

import json
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

Node = dict[str, Any]


def nodes(tree: HtmlElement) -> list[Node]:
    """Every JSON-LD object on the page, @graph and lists flattened."""
    found: list[Node] = []
    for script in tree.xpath('//script[contains(@type, "ld+json")]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue  # broken JSON-LD is common; the page's markup still counts
        found.extend(flatten(data))
    return found


def flatten(data: Any) -> Iterator[Node]:
    """The objects of a JSON-LD value: itself, its list items and its @graph, depth first."""
    if isinstance(data, list):
        for item in data:
            yield from flatten(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from flatten(data["@graph"])


def types_of(node: Node) -> set[str]:
    """The @type of a node as a set of bare names ("schema:NewsArticle" -> "NewsArticle")."""
    value = node.get("@type", [])
    names = value if isinstance(value, list) else [value]
    return {str(name).rsplit(":", 1)[-1].rsplit("/", 1)[-1] for name in names}
