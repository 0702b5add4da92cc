"""`copydesk sources` edits sources.toml and reads it back."""

from pathlib import Path

from typer.testing import CliRunner

from copydesk.cli import app
from copydesk.sources import load_sources

runner = CliRunner()


def test_add_list_remove(tmp_path: Path) -> None:
    file = str(tmp_path / "sources.toml")
    added = runner.invoke(app, ["sources", "add", "rss", "https://news.example/rss.xml",
                                "--every", "15m", "--file", file])
    assert added.exit_code == 0, added.output
    runner.invoke(app, ["sources", "add", "map", "https://news.example/sitemap.xml",
                        "--cron", "0 * * * *", "--file", file])
    listing = runner.invoke(app, ["sources", "list", "--file", file])
    assert "rss" in listing.output and "0 * * * *" in listing.output
    assert [s.name for s in load_sources(Path(file))] == ["rss", "map"]
    assert load_sources(Path(file))[0].every.total_seconds() == 900  # type: ignore[union-attr]
    duplicate = runner.invoke(app, ["sources", "add", "rss", "https://x.example/",
                                    "--every", "1h", "--file", file])
    assert duplicate.exit_code == 2
    assert runner.invoke(app, ["sources", "remove", "rss", "--file", file]).exit_code == 0
    assert [s.name for s in load_sources(Path(file))] == ["map"]
    assert runner.invoke(app, ["sources", "remove", "rss", "--file", file]).exit_code == 2


def test_add_needs_exactly_one_schedule(tmp_path: Path) -> None:
    file = str(tmp_path / "sources.toml")
    both = runner.invoke(app, ["sources", "add", "x", "https://x.example/", "--every", "1h",
                               "--cron", "* * * * *", "--file", file])
    assert both.exit_code == 2
    assert not Path(file).exists()
