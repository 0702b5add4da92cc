"""Plain-text payloads (one paragraph a line, as other scrapers save pages): lines, bylines
glued to their dates, stray quotes, and caption or teaser lines."""

import itertools
import re
from dataclasses import dataclass
from datetime import datetime

from services.clean.filters import Paragraph
from services.clean.text import key, repair, words

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
# "Tom Watling15 November 2024 06:00": a name, glued or not to a day, month, year and time.
_NAME_WORD = r"[A-Z](?:[^\W\d_]|['’.\-])*"
_BYLINE = re.compile(
    rf"^(?:[Bb]y\s+)?(?P<author>{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|and|de|van|von|bin|al)){{0,5}})?"
    r"\s*,?\s*(?P<day>\d{1,2})\s+(?i:(?P<month>" + "|".join(_MONTHS) + r"))\s+"
    r"(?P<year>(?:19|20)\d\d)[,\s]+(?:at\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})$")
_SENTENCE_END = (".", "!", "?", ":", ";", "…", '"', "”", "’", "'", ")", "]")
_INNER_SENTENCE_END = re.compile(r"\w{2,}[.!?][”’\"]?\s+[A-Z“‘\"]")
TEASER_WORDS = 8  # shorter unpunctuated lines are sub-headings, which belong to the story


@dataclass(frozen=True)
class BylineLine:
    """An author-and-time line, cut out of the paragraphs and kept for the extract stage."""

    text: str
    author: str | None
    published_at: datetime


Item = Paragraph | BylineLine


def items(body: str) -> list[Item]:
    """The payload's non-empty lines, repaired, as paragraphs and byline lines."""
    lines = _rejoin_quotes([line for raw in body.splitlines() if (line := repair(raw))])
    sequence = [byline or Paragraph(line) for line in lines for byline in [parse_byline(line)]]
    _mark_entry_pointers(sequence)
    return sequence


def _mark_entry_pointers(sequence: list[Item]) -> None:
    """A live-blog entry's headline (the line after its byline) repeated elsewhere on the page
    is a link to that entry: the copy elsewhere goes, so the entry keeps its headline."""
    headlines = {key(item.text) for before, item in itertools.pairwise(sequence)
                 if isinstance(before, BylineLine) and isinstance(item, Paragraph)}
    for index, item in enumerate(sequence):
        follows_byline = index > 0 and isinstance(sequence[index - 1], BylineLine)
        if isinstance(item, Paragraph) and not follows_byline and key(item.text) in headlines:
            item.reason = "teaser"


def parse_byline(line: str) -> BylineLine | None:
    """The line as a byline when it is only a name (or nothing) and a date with its time."""
    match = _BYLINE.match(line)
    if match is None:
        return None
    try:
        # Naive on purpose: the payload names no zone, so the time stays as written.
        moment = datetime(int(match["year"]), _MONTHS.index(match["month"].lower()) + 1,
                          int(match["day"]), int(match["hour"]), int(match["minute"]))
    except ValueError:
        return None
    author = (match["author"] or "").strip() or None
    return BylineLine(line, author, moment)


def _rejoin_quotes(lines: list[str]) -> list[str]:
    """A closing quote that a scraper pushed onto the next line, put back where it belongs."""
    fixed: list[str] = []
    for line in lines:
        if fixed and line.startswith("”") and fixed[-1].count("“") > fixed[-1].count("”"):
            fixed[-1] += "”"
            line = line[1:].lstrip()
        if line:
            fixed.append(line)
    return fixed


def mark_teasers(sequence: list[Item]) -> None:
    """Sentence-long lines with no closing punctuation, away from any byline, are captions or
    teasers for other articles; the first line (the headline) and entry headlines stay."""
    kept = [item for item in sequence if not (isinstance(item, Paragraph) and item.reason)]
    for index, item in enumerate(kept):
        if not isinstance(item, Paragraph) or index == 0:
            continue
        neighbours = kept[max(index - 1, 0):index] + kept[index + 1:index + 2]
        if any(isinstance(other, BylineLine) for other in neighbours):
            continue
        # A line that holds a whole sentence before its last is prose whose final full stop
        # was lost, not a one-sentence caption or promo.
        if len(words(item.text)) >= TEASER_WORDS and not item.text.endswith(_SENTENCE_END) and (
                not _INNER_SENTENCE_END.search(item.text)):
            item.reason = "teaser"
