"""A live blog's entries keep their identity when text moves before them: a revisit adds only
the new entry, in plain-text (seed 004) and HTML blogs alike."""

from datetime import UTC, datetime
from pathlib import Path

from services.clean.clean import clean
from services.extract.extract import extract
from services.store.entries import new_entries, same_entry
from services.store.store import merge_entries
from shared.models import Article, Entry, RawPage

SEED = Path(__file__).parents[1] / "fixtures" / "clean" / "seeds" / "004_b2b03e79aaf19651.txt"
NEW_ENTRY = ["Tom Watling15 November 2024 07:30", "Kyiv says the Kupiansk line holds",
             "Ukraine's army said on Friday morning that its troops had pushed Russian units "
             "back from the industrial zone of the city."]


def plain_blog(extra_entries: int = 0) -> str:
    """Seed 004, with new entries (of later times) put at its top, as the site would."""
    lines = SEED.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith("15 November 2024 06:00"))
    added: list[str] = []
    for n in range(extra_entries, 0, -1):
        added += [f"Tom Watling15 November 2024 {7 + n:02d}:30", f"Update number {n} at noon",
                  f"Officials in Kharkiv region reported development number {n}, a fresh "
                  f"shelling of {('Kupiansk', 'Izium', 'Balakliia')[n % 3]} in the morning."]
    return "\n".join(lines[:at] + added + lines[at:])


def html_blog(extra_entries: int = 0) -> str:
    """A live blog page of dated <article> blocks, newest first."""
    stamps = [f"2024-11-15T{hour:02d}:00:00Z" for hour in range(6 + extra_entries, 0, -1)]
    blocks = "".join(
        f'<article class="entry"><time datetime="{stamp}">{stamp}</time>'
        f"<h2>Headline of the update at {stamp}</h2>"
        f"<p>What happened at {stamp[11:16]}: the front line moved near village {i}.</p>"
        f"<p>More detail on the situation {stamp}, from officials in the region.</p></article>"
        for i, stamp in enumerate(stamps))
    return (f"<html><head><title>War live</title></head><body><main><h1>War live</h1>"
            f"{blocks}</main></body></html>")


def entries_of(body: str, content_type: str) -> tuple[Entry, ...]:
    url = "https://news.example/live" if "html" in content_type else "file:///live.txt"
    raw = RawPage(job_id="j", source="s", url=url, final_url=url, content_type=content_type,
                  body=body)
    article: Article = extract(clean(raw))
    assert article.is_live_blog
    return article.entries


def test_seed_004_scraped_again_with_a_new_entry_on_top_adds_one_entry() -> None:
    first = entries_of(plain_blog(), "text/plain")
    later = entries_of(plain_blog(extra_entries=1), "text/plain")
    assert len(first) == 8  # the ninth byline closes the saved page with no text after it
    assert len(later) == len(first) + 1
    assert len(merge_entries(first, later)) == len(first) + 1
    assert merge_entries(merge_entries(first, later), later) == merge_entries(first, later)


def test_an_html_live_blog_revisited_adds_only_its_new_entries() -> None:
    first = entries_of(html_blog(), "text/html")
    later = entries_of(html_blog(extra_entries=2), "text/html")
    assert len(first) == 6
    assert len(new_entries(first, later)) == 2


def test_identity_is_time_author_headline_or_the_text_itself() -> None:
    at = datetime(2024, 11, 15, 6, tzinfo=UTC)
    entry = Entry(headline="Kupiansk", author="Tom Watling", published_at=at,
                  text="Russian troops attacked in four waves near the city.")
    edited = entry.model_copy(update={"text": entry.text + " Ukraine said they were repelled."})
    moved = entry.model_copy(update={"published_at": None, "headline": None})
    other = entry.model_copy(update={"headline": "Kharkiv", "text": "Another story."})
    assert same_entry(entry, edited)  # its tail edited
    assert same_entry(entry, moved)  # its own text, whatever the parse gave around it
    assert not same_entry(entry, other)  # same minute, same author, another headline
    assert not same_entry(entry, entry.model_copy(update={"author": "Arpan Rai",
                                                          "text": "Something else."}))
