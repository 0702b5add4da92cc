"""Furniture filters shared by HTML and plain-text pages: phrases, pitches, templates, repeats."""

from collections.abc import Callable
from dataclasses import dataclass

from services.clean import phrases
from services.clean.text import key

# Shorter lines (a name in a list, a one-word heading) may repeat in a story on purpose.
REPEAT_WORDS = 4


@dataclass
class Paragraph:
    """A paragraph under review: its text and, once judged furniture, why."""

    text: str
    reason: str | None = None


def judge(paragraphs: list[Paragraph], is_template: Callable[[str], bool]) -> None:
    """Mark common phrases, the pitches around appeals, learned templates and repeats."""
    for paragraph in paragraphs:
        if paragraph.reason is None:
            paragraph.reason = phrases.reason_for(paragraph.text)
    _widen_appeals(paragraphs)
    seen: set[str] = set()
    for paragraph in paragraphs:
        if paragraph.reason is not None:
            continue
        if is_template(paragraph.text):
            paragraph.reason = "template"
        elif (normal := key(paragraph.text)) in seen:
            paragraph.reason = "duplicate"
        elif len(normal.split()) >= REPEAT_WORDS:
            seen.add(normal)


def _widen_appeals(paragraphs: list[Paragraph]) -> None:
    """A donation appeal is a box of several paragraphs; its neighbours in the site's voice
    belong to it even when they name no donation ("we are on the ground... our reporting")."""
    changed = True
    while changed:
        changed = False
        for index, paragraph in enumerate(paragraphs):
            if paragraph.reason is not None:
                continue
            neighbours = paragraphs[max(index - 1, 0):index] + paragraphs[index + 1:index + 2]
            # the voice test only beside an appeal: most pages have none
            if (any(other.reason == "appeal" for other in neighbours)
                    and phrases.sounds_like_pitch(paragraph.text)):
                paragraph.reason = "appeal"
                changed = True
