"""Live blogs from plain text: the clean stage's bylines, or the extract stage's own finding."""

from datetime import datetime
from pathlib import Path

from services.extract.bylines import find_bylines, parse_byline
from services.extract.extract import extract
from services.extract.liveblog import text_entries
from shared.models import Byline, CleanPage, RawPage

SEED = (Path(__file__).resolve().parents[1] / "fixtures" / "extract" / "pages" /
        "seed_004_liveblog.txt").read_text("utf-8")
PARAGRAPHS = tuple(line for line in SEED.splitlines() if line)


def _page(bylines: tuple[Byline, ...] = ()) -> CleanPage:
    raw = RawPage(job_id="j", source="s", url="seed.txt", final_url="seed.txt",
                  content_type="text/plain", body=SEED, fetched_at=datetime(2025, 1, 1))
    return CleanPage(raw=raw, paragraphs=PARAGRAPHS, bylines=bylines)


def test_glued_byline_is_split_into_author_and_time() -> None:
    assert parse_byline("Tom Watling15 November 2024 06:00", 3) == Byline(
        paragraph=3, author="Tom Watling", published_at=datetime(2024, 11, 15, 6, 0))


def test_sentences_with_dates_are_not_bylines() -> None:
    assert parse_byline("The attack came on 15 November 2024 06:00") is None
    assert parse_byline("Kupiansk was captured in February 2022 by Russian forces.") is None


def test_entries_end_with_their_byline() -> None:
    entries = text_entries(PARAGRAPHS, find_bylines(PARAGRAPHS))
    assert [(entry.author, entry.published_at.strftime("%H:%M") if entry.published_at else None)
            for entry in entries] == [
        ("Tom Watling", "06:00"), ("Arpan Rai", "05:21"), ("Arpan Rai", "05:05"),
        ("Tom Watling", "05:00"), ("Arpan Rai", "04:34"), ("Tom Watling", "04:00"),
        ("Arpan Rai", "03:55"), ("Tom Watling", "03:00"), ("Arpan Rai", "02:56")]
    assert entries[1].headline == "Why Russia is going all-out to capture Ukraine’s Kupiansk"
    assert entries[0].text.startswith("Russian troops disguised themselves")
    assert not any("15 November 2024" in entry.text for entry in entries)


def test_clean_stage_bylines_and_own_finding_agree() -> None:
    assert extract(_page(find_bylines(PARAGRAPHS))) == extract(_page())


def test_bylines_at_entry_start_open_entries() -> None:
    paragraphs = ("By Jo Bloggs, 3 March 2024 10:00 GMT", "First entry.",
                  "Al Smith 3 March 2024 09:00 GMT", "Headline of the second", "Second entry.")
    entries = text_entries(paragraphs, find_bylines(paragraphs))
    assert [(entry.author, entry.headline, entry.text) for entry in entries] == [
        ("Jo Bloggs", None, "First entry."), ("Al Smith", "Headline of the second",
                                              "Second entry.")]
    assert entries[0].published_at is not None and entries[0].published_at.utcoffset() is not None


def test_one_dated_line_is_not_a_live_blog() -> None:
    paragraphs = ("Jo Bloggs 3 March 2024 10:00", "A story told once.")
    assert text_entries(paragraphs, find_bylines(paragraphs)) == []
