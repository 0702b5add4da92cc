"""Which live-blog entries are the same entry: its identity survives text moving around it.

A revisit of a live blog gives its entries again, with new ones among them. An entry is known
when a kept one has the same text, or the same time and author and either the same headline or,
without one, mostly the same words (its tail edited, or its start shifted by a parse that
placed text differently). Nothing here depends on where the entry stands on the page, so a new
entry at the top moves no other entry's identity, in HTML and plain-text blogs alike.
"""

from collections.abc import Iterable

from shared.models import Entry

# Share of the shorter text's word 3-grams found in the other: the same entry, edited.
MIN_OVERLAP = 0.5


def _words(text: str | None) -> list[str]:
    return (text or "").casefold().split()


def text_key(entry: Entry) -> str:
    """The entry's own text, normalised: equal for the same entry wherever it stands."""
    return " ".join(_words(entry.text))


def _grams(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i:i + 3]) for i in range(max(1, len(words) - 2))}


def overlap(a: str, b: str) -> float:
    """How much of the shorter text lies in the longer one (word 3-grams)."""
    small, large = sorted((_grams(a), _grams(b)), key=len)
    return len(small & large) / len(small) if small else 0.0


def same_entry(a: Entry, b: Entry) -> bool:
    """Whether `a` and `b` are one entry (see the module docstring)."""
    if text_key(a) and text_key(a) == text_key(b):
        return True
    if a.published_at is None or a.published_at != b.published_at:
        return False
    if a.author and b.author and _words(a.author) != _words(b.author):
        return False
    if a.headline and b.headline:
        return _words(a.headline) == _words(b.headline)
    return overlap(a.text, b.text) >= MIN_OVERLAP


def new_entries(known: Iterable[Entry], fresh: Iterable[Entry]) -> list[Entry]:
    """The entries of `fresh` that no known entry (nor an earlier fresh one) is."""
    kept = list(known)
    texts = {text_key(entry) for entry in kept}
    added: list[Entry] = []
    for entry in fresh:
        if (text_key(entry) and text_key(entry) in texts) \
                or any(same_entry(entry, old) for old in kept):
            continue
        added.append(entry)
        kept.append(entry)
        texts.add(text_key(entry))
    return added
