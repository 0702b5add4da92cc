"""Live blogs from plain text: the clean stage's bylines, or the extract stage's own finding."""

from datetime import UTC, datetime
from pathlib import Path

from services.clean.clean import clean
from services.extract.bylines import find_bylines, parse_byline
from services.extract.extract import extract
from services.extract.liveblog import text_entries
from shared.models import Byline, CleanPage, RawPage

SEED = (Path(__file__).resolve().parents[1] / "fixtures" / "extract" / "pages" /
        "seed_004_liveblog.txt").read_text("utf-8")
RAW_SEED = (Path(__file__).resolve().parents[1] / "fixtures" / "clean" / "seeds" /
            "004_b2b03e79aaf19651.txt")
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


def test_entries_open_with_their_byline_then_their_headline() -> None:
    # The blog's introduction comes before the first byline; each entry is a byline, its
    # headline line, then its text (a link entry is a headline alone). The seed was saved cut
    # off after the ninth byline ("Arpan Rai15 November 2024 02:56"): nothing is left of it.
    entries = text_entries(PARAGRAPHS, find_bylines(PARAGRAPHS))
    assert [(entry.author, entry.published_at.strftime("%H:%M") if entry.published_at else None,
             entry.headline) for entry in entries] == [
        ("Tom Watling", "06:00", "Why Russia is going all-out to capture Ukraine’s Kupiansk"),
        ("Arpan Rai", "05:21", "Ukraine is facing a ‘hammer blow’ of 50,000 Russian troops in "
                               "Kursk – can they hold out?"),
        ("Arpan Rai", "05:05", "Mapped: Where has Russia made advances on the frontline in "
                               "Ukraine?"),
        ("Tom Watling", "05:00", "London-based Russian TV chef who criticised Putin found dead "
                                 "in Serbia"),
        ("Arpan Rai", "04:34", "Europe is in grave danger if Trump hands victory to Putin in "
                               "Ukraine"),
        ("Tom Watling", "04:00", "Russian troops disguise as Ukrainians on battlefield, Kyiv says"),
        ("Arpan Rai", "03:55", "Russian defense official visits China’s premier military "
                               "showcase in a sign of unity"),
        ("Tom Watling", "03:00", "Russian air attack kills one, damages energy installations in "
                                 "Odesa")]
    assert entries[0].text.startswith("Russian forces have breached the outskirts")
    first = entries[0].text.split("\n\n")
    assert len(first) == 7 and first[-1].startswith("He said the coming days would likely")
    assert entries[3].text.startswith("A London-based exiled Russian television chef")
    assert (entries[2].text, entries[4].text) == ("", "")  # link entries: a headline alone
    assert not any("15 November 2024" in entry.text for entry in entries)
    assert not any("Russian troops disguised themselves" in entry.text for entry in entries)


def test_bylines_close_entries_when_the_text_opens_with_a_headline() -> None:
    paragraphs = ("Headline of the first", "First entry.", "Jo Bloggs 3 March 2024 10:00 GMT",
                  "Headline of the second", "Second entry.", "Al Smith 3 March 2024 09:00 GMT")
    entries = text_entries(paragraphs, find_bylines(paragraphs))
    assert [(entry.author, entry.headline, entry.text) for entry in entries] == [
        ("Jo Bloggs", "Headline of the first", "First entry."),
        ("Al Smith", "Headline of the second", "Second entry.")]


def test_clean_stage_bylines_and_own_finding_agree() -> None:
    # The clean stage cuts byline lines out and says which paragraph each one preceded.
    cleaned = clean(_page().raw)
    assert len(cleaned.bylines) == 9
    assert not any("15 November 2024" in paragraph for paragraph in cleaned.paragraphs)
    assert extract(cleaned).entries == extract(_page()).entries


def test_the_raw_seed_through_clean_and_extract_gives_every_entry_its_headline() -> None:
    seed = RAW_SEED.read_text("utf-8")
    raw = RawPage(job_id="j", source="s", url="seeds/004.txt", final_url="seeds/004.txt",
                  content_type="text/plain", body=seed, fetched_at=datetime(2025, 1, 1))
    article = extract(clean(raw))
    assert [(entry.author, entry.published_at, entry.headline) for entry in article.entries] == [
        (entry.author, entry.published_at, entry.headline) for entry in extract(_page()).entries]
    assert len(article.entries) == 8 and all(entry.headline for entry in article.entries)
    assert article.entries[1].headline.startswith("Ukraine is facing a ‘hammer blow’")
    assert article.published_at == datetime(2024, 11, 15, 2, 56, tzinfo=UTC)


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
