"""Fixtures of the integration tests."""

from collections.abc import Iterator

import pytest

from tests.support.fixture_server import FixtureSite


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    """The fixture news site on a loopback port, one server per test module."""
    with FixtureSite() as running:
        yield running
