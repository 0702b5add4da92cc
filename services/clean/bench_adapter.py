"""The clean stage's HTML extractor as the extraction benchmark calls it: f(html, url) -> text."""

from services.clean.extract_text import extract as _extract


def extract(html: str, url: str | None = None) -> str:
    """The article body, paragraphs separated by blank lines."""
    return "\n\n".join(_extract(html, url).paragraphs)
