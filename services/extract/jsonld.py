"""JSON-LD: find the article node of a page and read its fields."""

from typing import Any

from shared.jsonld import Node, flatten, nodes, types_of

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
    "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "LiveBlogPosting",
    "Report", "ScholarlyArticle", "SocialMediaPosting", "TechArticle", "AskPublicNewsArticle",
})
LISTING_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage"})

__all__ = ["Node", "flatten", "nodes", "types_of"]  # read from shared.jsonld, used here


def article_node(found: list[Node]) -> Node | None:
    """The node describing the article itself: a live blog first, then any article type."""
    for wanted in ({"LiveBlogPosting"}, ARTICLE_TYPES):
        for node in found:
            if types_of(node) & wanted:
                return node
    return None


def text(value: Any) -> str | None:
    """A plain string out of a JSON-LD value (string, {"name"}, {"@value"}, or first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("url") or value.get("@id")
    if isinstance(value, str | int | float) and str(value).strip():
        return str(value).strip()
    return None


def names(value: Any) -> list[str]:
    """Author names from a string, a Person/Organization object or a list of either."""
    items = value if isinstance(value, list) else [value]
    return [name for item in items if (name := text(item))]


def strings(value: Any) -> list[str]:
    """Keywords: a comma-separated string or a list of strings."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.extend(part.strip() for part in item.split(","))
        elif (name := text(item)) is not None:
            out.append(name)
    return [item for item in out if item]


def image(value: Any) -> str | None:
    """The first image URL of an image field (string, ImageObject or list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value.strip() if isinstance(value, str) and value.strip() else None


def article_nodes(found: list[Node], first: Node | None = None) -> list[Node]:
    """Every article node of the page, the chosen one first."""
    rest = [node for node in found if types_of(node) & ARTICLE_TYPES and node is not first]
    return [first, *rest] if first else rest
