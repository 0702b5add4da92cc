"""Fixtures with real parts: each test run gets its own PostgreSQL database and redis-server."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.services import RedisServer, postgres_database

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'copydesk.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each database copydesk supports, fresh for the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'copydesk.db'}"
    else:
        with postgres_database() as url:
            yield url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault tests' figures (tests/faults/harness.py), so that every CI log carries them."""
    from tests.faults.harness import REPORTED

    if REPORTED:
        terminalreporter.section("fault test figures")
        for line in REPORTED:
            terminalreporter.write_line(line)
