"""Sources from the command line and from sources.toml."""

from datetime import timedelta
from pathlib import Path

import pytest

from copydesk.sources import SourceError, load_sources, parse_duration, source_from_argument
from copydesk.worker import beat_schedule


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
                    'cron = "0 * * * *"\nrate = 2\n')
    feed, sitemap = load_sources(path)
    assert feed.every == timedelta(minutes=15) and sitemap.cron == "0 * * * *"
    assert sitemap.options == {"rate": "2"}
    schedule = beat_schedule([feed, sitemap])
    assert schedule["source:feed"]["args"] == ["feed", "https://news.example/rss", 900.0, ""]
    assert schedule["source:map"]["args"][3] == "0 * * * *"
    assert "sweep-ledger" in schedule


def test_bad_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "feed"\nurl = "https://news.example/rss"\n')
    with pytest.raises(SourceError, match="every"):
        load_sources(path)
    path.write_text("[[source]\n")
    with pytest.raises(SourceError, match="cannot read"):
        load_sources(path)
