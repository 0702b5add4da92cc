"""Text helpers shared by the cleaners: repair, whitespace, comparison keys and word overlap."""

import re
import unicodedata
from collections.abc import Iterable

import ftfy

_WORD = re.compile(r"\w+")
# UTF-8 read as Latin-1 or cp1252 always shows a lead byte as one of these letters.
_MOJIBAKE_HINT = re.compile(r"[\u00c2-\u00f4\ufffd]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def repair(text: str) -> str:
    """Mojibake fixed and spaces folded, quotes and dashes kept as written."""
    if not _MOJIBAKE_HINT.search(text):  # ftfy is slow; most text has nothing to repair
        return _SPACES.sub(" ", text).strip()
    # ftfy would straighten curly quotes by default; the text keeps them as its writer chose.
    fixed = ftfy.fix_text(text, uncurl_quotes=False, fix_line_breaks=True,
                          normalization="NFC")
    return _SPACES.sub(" ", fixed).strip()


def words(text: str) -> list[str]:
    """The word tokens of a text, case kept."""
    return _WORD.findall(text)


def key(text: str) -> str:
    """A comparison key: lower-cased words joined by single spaces, punctuation gone."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def quick_key(text: str) -> str:
    """The comparison key without Unicode normalisation, for text compared with itself."""
    return " ".join(_WORD.findall(text.lower()))


def shingles(text: str, size: int = 4) -> set[tuple[str, ...]]:
    """The set of overlapping word windows of a text (one shorter window for short texts)."""
    tokens = _WORD.findall(text.lower())
    if len(tokens) <= size:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}


def covered(part: str, whole: set[tuple[str, ...]]) -> float:
    """Share of a text's shingles found in a shingle set (0 for a text without words)."""
    own = shingles(part)
    return len(own & whole) / len(own) if own else 0.0


def union(texts: Iterable[str]) -> set[tuple[str, ...]]:
    """All shingles of several texts."""
    found: set[tuple[str, ...]] = set()
    for text in texts:
        found |= shingles(text)
    return found
