"""Text helpers shared by the cleaners: repair, whitespace, comparison keys and word overlap."""

import re
import unicodedata
from collections.abc import Iterable

import ftfy

_WORD = re.compile(r"\w+")
# UTF-8 read as Latin-1 or cp1252 shows a lead byte (Â to ô) followed by what a continuation
# byte (0x80-0xBF) reads as in either: "Ã©" for é, "â€™" for ’. A lead letter alone is just
# French or German, and sending those to ftfy cost more than the rest of the cleaning.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac"
    "\u2122]|\ufffd")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def repair(text: str) -> str:
    """Mojibake fixed and spaces folded, quotes and dashes kept as written."""
    if not _MOJIBAKE_HINT.search(text):  # ftfy is slow; most text has nothing to repair
        return _SPACES.sub(" ", text).strip()
    # ftfy would straighten curly quotes by default; the text keeps them as its writer chose.
    fixed = ftfy.fix_text(text, uncurl_quotes=False, fix_line_breaks=True,
                          normalization="NFC")
    return _SPACES.sub(" ", fixed).strip()


def repair_all(texts: list[str]) -> list[str]:
    """repair() of each text, with one scan for mojibake over them all: most pages have none,
    and one regex pass over the joined texts costs far less than one call per line."""
    joined = "\x00".join(texts)  # NUL keeps them apart: no space, nor any HTML text, holds it
    if joined.count("\x00") != len(texts) - 1 or _MOJIBAKE_HINT.search(joined):
        return [repair(text) for text in texts]
    return [text.strip() for text in _SPACES.sub(" ", joined).split("\x00")]


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


def covered_in(part: str, texts: Iterable[str]) -> float:
    """covered(part, union(texts)) without the union: for one short part against a whole
    article, a substring search per shingle is many times cheaper than shingling the article."""
    own = shingles(part)
    if not own:
        return 0.0
    # A shingle is in some text when its words stand together, bounded by spaces, within
    # one text; the newline between texts keeps a shingle from straddling two.
    joined = " " + " \n ".join(quick_key(text) for text in texts) + " "
    return sum(f" {' '.join(shingle)} " in joined for shingle in own) / len(own)
