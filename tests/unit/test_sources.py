"""Sources from the command line and from sources.toml."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from copydesk.sources import SourceError, load_sources, parse_duration, source_from_argument
from copydesk.worker import beat_schedule
from services.fetch.options import RATE, SINCE, parse_since, rate_of, since_of


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    with pytest.raises(SourceError):
        parse_duration("soon")


def test_arguments(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<p>x</p>")
    assert source_from_argument("https://news.example/feed").is_url
    assert source_from_argument(str(page)).location == str(page)
    with pytest.raises(SourceError, match="no such file"):
        source_from_argument(str(tmp_path / "missing.html"))
    odd = tmp_path / "data.pdf"
    odd.write_bytes(b"%PDF")
    with pytest.raises(SourceError, match="unsupported"):
        source_from_argument(str(odd))


def test_sources_file_and_schedule(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "feed"\nurl = "https://news.example/rss"\nevery = "15m"\n'
                    '[[source]]\nname = "map"\nurl = "https://news.example/sitemap.xml"\n'
                    'cron = "0 * * * *"\nrate = 2\nsince = 2024-11-01\nlang = "en"\n')
    feed, sitemap = load_sources(path)
    assert feed.every == timedelta(minutes=15) and sitemap.cron == "0 * * * *"
    assert (sitemap.rate, sitemap.since, sitemap.options) == (2.0, "2024-11-01", {"lang": "en"})
    schedule = beat_schedule([feed, sitemap])
    assert schedule["source:feed"]["args"] == ["feed", "https://news.example/rss", {}]
    assert schedule["source:feed"]["schedule"].run_every == timedelta(minutes=15)
    # The source's own settings reach the fetch service as the hints of each run's job.
    assert schedule["source:map"]["args"][2] == {RATE: "2.0", SINCE: "2024-11-01"}
    assert "sweep-ledger" in schedule


@pytest.mark.parametrize(("line", "message"), [
    ("rate = 0", "rate must be a positive"), ('rate = "fast"', "rate must be a positive"),
    ('since = "last week"', "since must be"),
])
def test_bad_source_settings_are_refused_at_load(tmp_path: Path, line: str,
                                                 message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[[source]]\nname = "s"\nurl = "https://n.example/"\nevery = "1h"\n{line}\n')
    with pytest.raises(SourceError, match=message):
        load_sources(path)


def test_since_is_a_date_or_an_age() -> None:
    now = datetime(2024, 11, 16, 12, tzinfo=UTC)
    assert parse_since("2024-11-01", now) == datetime(2024, 11, 1, tzinfo=UTC)
    assert parse_since("2024-11-01T06:00:00+01:00", now) == datetime(2024, 11, 1, 5, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2024, 11, 9, 12, tzinfo=UTC)
    assert since_of({SINCE: "12h"}, now) == datetime(2024, 11, 16, tzinfo=UTC)
    assert since_of({}, now) is None and rate_of({RATE: "0.5"}) == 0.5


def test_bad_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "feed"\nurl = "https://news.example/rss"\n')
    with pytest.raises(SourceError, match="every"):
        load_sources(path)
    path.write_text("[[source]\n")
    with pytest.raises(SourceError, match="cannot read"):
        load_sources(path)
