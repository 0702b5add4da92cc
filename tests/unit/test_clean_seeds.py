"""Golden tests: the two seeds (plain-text payloads another scraper saved) through clean().

tests/fixtures/clean/seeds holds copies of the seeds (the same files as examples/), so the
tests never need the team folder. golden/ holds what clean() must make of each: written by
tests/fixtures/clean/regenerate.py, then read line by line against the seed (see the README
there). The checks after the golden comparison say the same things without it, so a golden
regenerated carelessly still cannot hide a lost news paragraph or a kept appeal.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.clean.clean import clean
from shared.models import CleanPage, RawPage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clean"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
ROUNDUP, LIVE_BLOG = (FIXTURES / "seeds" / f"{name}.txt"
                      for name in ("000_f5ff41b48f29e971", "004_b2b03e79aaf19651"))
FETCHED = datetime(2025, 1, 1)


def raw_page(path: Path) -> RawPage:
    """A seed as the fetch stage hands a local text file on."""
    return RawPage(job_id=path.stem, source="seeds", url=f"seeds/{path.name}",
                   final_url=f"seeds/{path.name}", content_type="text/plain",
                   body=path.read_text("utf-8"), fetched_at=FETCHED)


def snapshot(page: CleanPage) -> dict[str, Any]:
    """What a golden holds: the paragraphs kept, what was cut and why, and the bylines."""
    return {
        "paragraphs": list(page.paragraphs),
        "removed": [{"reason": removal.reason, "text": removal.text} for removal in page.removed],
        "bylines": [{"paragraph": byline.paragraph, "author": byline.author,
                     "published_at": byline.published_at.isoformat()}
                    for byline in page.bylines],
    }


def lines(path: Path) -> list[str]:
    return [line for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("seed", SEEDS, ids=[seed.stem for seed in SEEDS])
def test_golden(seed: Path) -> None:
    expected = json.loads((FIXTURES / "golden" / f"{seed.stem}.json").read_text("utf-8"))
    assert snapshot(clean(raw_page(seed))) == expected


# Furniture lines, read and judged by hand: (seed, first words, reason). Every other line of
# each seed is news (or a live-blog byline), and must be kept.
FURNITURE = [
    (ROUNDUP, "Notifications can be managed in browser preferences", "notifications"),
    (ROUNDUP, "Please refresh the page or navigate", "login"),
    (ROUNDUP, "From reproductive rights to climate change", "appeal"),
    (ROUNDUP, "At such a critical moment in US history", "appeal"),
    (ROUNDUP, "The Independent is trusted by Americans", "appeal"),
    (ROUNDUP, "Join thought-provoking conversations", "comments"),
    (ROUNDUP, "Read our full report.", "teaser"),
    # Captions of pictures and promos of other stories: no full stop, away from any byline.
    (ROUNDUP, "Ukraine’s attack into Kursk has left", "teaser"),
    (ROUNDUP, "Exclusive: Former deputy chair", "teaser"),
    (ROUNDUP, "‘I completely self-funded my humanitarian trip", "teaser"),
    (ROUNDUP, "The Ukrainian move has reportedly been driven", "teaser"),
    (LIVE_BLOG, "Your support helps us to tell the story", "appeal"),
    (LIVE_BLOG, "From reproductive rights to climate change", "appeal"),
    (LIVE_BLOG, "At such a critical moment in US history", "appeal"),
    (LIVE_BLOG, "The Independent is trusted by Americans", "appeal"),
    (LIVE_BLOG, "Your support makes all the difference.", "appeal"),
]
# "The Russians taking Pokrovsk would split Ukraine’s defensive line ... part of Donetsk. Now
# facing constant bombardment, soldiers and residents in Pokrovsk speak to ..." is news, two
# sentences whose last lost its full stop: kept (a one-sentence promo is a teaser).


@pytest.mark.parametrize("seed", SEEDS, ids=[seed.stem for seed in SEEDS])
def test_all_furniture_cut_and_every_news_line_kept(seed: Path) -> None:
    page = clean(raw_page(seed))
    furniture = [(start, reason) for path, start, reason in FURNITURE if path == seed]
    cut = {(removal.text, removal.reason) for removal in page.removed}
    for start, reason in furniture:
        assert not any(p.startswith(start) for p in page.paragraphs), start
        assert any(text.startswith(start) and why == reason for text, why in cut), start
    bylines = {removal.text for removal in page.removed if removal.reason == "byline"}
    news = [line for line in lines(seed) if line not in bylines
            and not any(line.startswith(start) for start, _ in furniture)]
    # Every news line is kept (a stray quote moved back is the one edit allowed at its edges).
    kept = {paragraph.strip("“”") for paragraph in page.paragraphs}
    assert [line for line in news if line.strip("“”") not in kept] == []


def test_glued_bylines_split_into_author_and_time() -> None:
    page = clean(raw_page(LIVE_BLOG))
    found = [(byline.author, byline.published_at) for byline in page.bylines]
    assert found[0] == ("Tom Watling", datetime(2024, 11, 15, 6, 0))
    assert found[1] == ("Arpan Rai", datetime(2024, 11, 15, 5, 21))
    assert len(found) == 9 and {author for author, _ in found} == {"Tom Watling", "Arpan Rai"}
    # Each byline points at the entry it heads: the 06:00 one at "Why Russia is going all-out".
    assert page.paragraphs[page.bylines[0].paragraph].startswith("Why Russia is going all-out")
    assert not any("15 November 2024" in paragraph for paragraph in page.paragraphs)


def test_stray_closing_quote_put_back() -> None:
    page = clean(raw_page(ROUNDUP))
    opening = next(p for p in page.paragraphs if p.startswith("In his nightly video address"))
    assert opening.endswith("have been brought in again.”")
    follow = next(p for p in page.paragraphs if "significant number" in p)
    assert follow.startswith("He said a “significant number”")


def test_paragraph_repeated_within_a_page_kept_once() -> None:
    repeated = ("Ukraine is facing a ‘hammer blow’ of 50,000 Russian troops in Kursk – "
                "can they hold out?")
    assert lines(LIVE_BLOG).count(repeated) == 2
    page = clean(raw_page(LIVE_BLOG))
    assert page.paragraphs.count(repeated) == 1
    # The copy kept is the 05:21 entry's headline, the line after its byline; the copy before
    # the first entry is a link to it.
    assert page.paragraphs[page.bylines[1].paragraph] == repeated
    assert {"text": repeated, "reason": "teaser"} in snapshot(page)["removed"]
    # The login prompt opens and closes the round-up: cut both times, never kept once.
    roundup = clean(raw_page(ROUNDUP))
    assert [r.reason for r in roundup.removed if r.text.startswith("Please refresh")] == [
        "login", "login"]
