"""The word lists the entity recogniser relies on, loaded once from the package's data files."""

from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True, eq=False)  # hashed by identity: one shared instance
class Gazetteer:
    """Known names (alias -> canonical) and the cue words of the recogniser."""

    places: dict[str, str]
    organizations: dict[str, str]
    first_names: frozenset[str]
    demonyms: frozenset[str]
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
    places, organizations = _aliases("places.txt"), _aliases("organizations.txt")
    words = {name: frozenset(word for line in _lines(name) for word in line.split())
             for name in ("first_names.txt", "demonyms.txt")}
    longest = max(len(alias.split()) for alias in [*places, *organizations])
    return Gazetteer(places, organizations, words["first_names.txt"], words["demonyms.txt"],
                     longest)
