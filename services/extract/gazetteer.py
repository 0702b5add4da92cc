"""The word lists the entity recogniser relies on, loaded once from the package's data files."""

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from services.extract.cues import DATE_ABBREVIATIONS, NOT_NAMES
from services.extract.geonames import place_names

# A GeoNames name the tokenizer can match as written: Latin letters, spaces, hyphens, dots.
LATIN_NAME = re.compile(r"^[A-Z][^\W\d_]*(?:[ \-'’.][^\W\d_]+)*$")


@dataclass(frozen=True, eq=False)  # hashed by identity: one shared instance
class Gazetteer:
    """Known names (alias -> canonical) and the cue words of the recogniser."""

    places: dict[str, str]
    organizations: dict[str, str]
    first_names: frozenset[str]
    demonyms: frozenset[str]
    common_words: frozenset[str]  # lower-case English words: "Soon", "Reading" are words too
    word_places: frozenset[str]  # towns named by a common word ("Reading"): alone, mid-sentence
    longest: int  # tokens in the longest known name: bounds the look-up at each position


def _lines(name: str) -> list[str]:
    text = files("services.extract.data").joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _aliases(name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _lines(name):
        names = [part.strip() for part in line.split("|")]
        for alias in names:
            table.setdefault(alias, names[0])
    return table


@cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer (read on first use, then shared by every call)."""
    organizations = _aliases("organizations.txt")
    words = {name: frozenset(word for line in _lines(name) for word in line.split())
             for name in ("first_names.txt", "demonyms.txt", "common_words.txt")}
    first_names, demonyms = words["first_names.txt"], words["demonyms.txt"]
    common = words["common_words.txt"]

    def keep(name: str) -> bool:
        # A month or weekday ("March", "Mon") never names a place in news copy, and a given
        # name ("Florence", "Charlotte") names a person more often; a nationality is neither.
        # The hand list may still hold any of them.
        if not LATIN_NAME.match(name) or name in organizations:
            return False
        return " " in name or not (name.lower() in NOT_NAMES or name in DATE_ABBREVIATIONS
                                   or name in first_names or name in demonyms)

    places = _aliases("places.txt")  # the hand list's spellings win ("Kyiv", "United Kingdom")
    hand = frozenset(places)
    for alias, canonical in place_names(keep).items():
        places.setdefault(alias, places.get(canonical, canonical))
    word_places = frozenset(alias for alias in places if alias not in hand and " " not in alias
                            and alias.lower() in common)
    longest = max(len(alias.split()) for alias in [*places, *organizations])
    return Gazetteer(places, organizations, first_names, demonyms, common, word_places, longest)
