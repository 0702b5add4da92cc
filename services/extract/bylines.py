"""Byline-and-time lines in plain text ("Tom Watling15 November 2024 06:00")."""

import re

from services.extract.dates import TEXT_DATE, from_match
from shared.models import Byline

_NAME = re.compile(r"^(?:[Bb]y\s+)?(?P<name>[A-Z][\w'’.\-]*(?:\s+(?:[A-Z][\w'’.\-]*|and|de|van|"
                   r"von|al|bin)){0,5})\s*[,|•·–—-]?\s*$")
# Words that open a dateline without naming anyone ("Updated 15 November 2024 06:00").
_NOT_AUTHOR = re.compile(r"^(?:updated|published|posted|last|first|modified|edited|on|at)\b",
                         re.IGNORECASE)
MAX_LINE = 90  # a byline is short; a sentence that happens to hold a date is not one


def find_bylines(paragraphs: tuple[str, ...]) -> tuple[Byline, ...]:
    """Every paragraph that is only an author and a date, as a Byline."""
    found = []
    for index, paragraph in enumerate(paragraphs):
        if byline := parse_byline(paragraph, index):
            found.append(byline)
    return tuple(found)


def parse_byline(line: str, index: int = 0) -> Byline | None:
    """The line as a Byline when it is a name (or nothing) followed by a date and time."""
    line = line.strip()
    if len(line) > MAX_LINE:
        return None
    match = TEXT_DATE.search(line)
    if not match or not match["hour"] or line[match.end():].strip(" .)"):
        return None
    head = line[:match.start()].strip()
    name = _NAME.match(head) if head else None
    if head and name is None:
        return None
    author = name["name"].strip() if name and not _NOT_AUTHOR.match(name["name"]) else None
    return Byline(paragraph=index, author=author or None, published_at=from_match(match))
