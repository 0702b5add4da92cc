"""Author names as people write them in bylines, cleaned to bare names."""

import re

_PREFIX = re.compile(r"^\s*(?:written\s+|reported\s+|words\s+|story\s+)?by[:\s]+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")
_MAILTO = re.compile(r"\S+@\S+\s*\((?P<name>[^)]+)\)")
_SPLIT = re.compile(r"\s*(?:,|;|\||/|\band\b|&|\bwith\b)\s*", re.IGNORECASE)
_TAIL = re.compile(r"\s+in\s+[A-Z][\w ]+$|\s*\(.*?\)")
# Words that show a byline fragment is a role or a desk, not a person's name.
_NOT_NAME = re.compile(r"\.com\b|^\d|\b(?:staff|reporters?|correspondents?|editors?|writers?|"
                       r"desk|team|admin|none|null|unknown|contributors?)\b", re.IGNORECASE)


def clean_names(raw: list[str]) -> list[str]:
    """Bare, deduplicated names from raw author strings ("By Jo Bloggs and Al Smith, Reuters")."""
    seen: dict[str, str] = {}
    for value in raw:
        for name in split_names(value):
            seen.setdefault(name.casefold(), name)
    return list(seen.values())


def split_names(value: str) -> list[str]:
    """The names one raw author string holds."""
    value = " ".join(value.split())
    if (named := _MAILTO.fullmatch(value)) is not None:
        value = named["name"]  # "jo@example.com (Jo Bloggs)", as RSS writes authors
    value = _EMAIL.sub(" ", _PREFIX.sub("", value))
    out = []
    for part in _SPLIT.split(value):
        part = _TAIL.sub("", _PREFIX.sub("", part)).strip(" .-–—:")
        if part and not _NOT_NAME.search(part) and len(part) <= 60 and any(
                char.isalpha() for char in part):
            out.append(_titled(part))
    return out


def _titled(name: str) -> str:
    # Some sites shout bylines ("MELISSA GOLDIN"); keep mixed case as written.
    return name.title() if name.isupper() and len(name) > 3 else name
