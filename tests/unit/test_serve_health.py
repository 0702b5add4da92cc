"""The console's pure parts: a source's health, and the diff between two revisions."""

from datetime import UTC, datetime, timedelta

import pytest

from copydesk.serve.console import revision_diffs
from copydesk.serve.deps import health

NOW = datetime.now(UTC)


@pytest.mark.parametrize(("seen", "every", "expected"), [
    ({}, None, "never run"),
    ({"last_run": NOW.isoformat(), "new_articles_24h": 3}, None, "ok"),
    ({"last_run": NOW.isoformat(), "new_articles_24h": 3, "dead_letters_24h": 1}, None,
     "degraded"),
    ({"last_run": NOW.isoformat(), "new_articles_24h": 0, "dead_letters_24h": 2}, None,
     "failing"),
    ({"last_run": (NOW - timedelta(hours=3)).isoformat(), "new_articles_24h": 9},
     timedelta(hours=1), "late"),
    ({"last_run": (NOW - timedelta(minutes=90)).isoformat(), "new_articles_24h": 9},
     timedelta(hours=1), "ok"),
])
def test_health(seen: dict, every: timedelta | None, expected: str) -> None:
    assert health(seen, every) == expected


def test_revision_diffs_name_the_paragraphs_that_changed() -> None:
    revisions = [{"revision": 1, "fetched_at": "a", "text": "one\n\ntwo\n\nthree"},
                 {"revision": 2, "fetched_at": "b", "text": "one\n\nTWO\n\nthree\n\nfour"},
                 {"revision": 3, "fetched_at": "c", "text": "one\n\nTWO\n\nthree\n\nfour"}]
    diffs = revision_diffs(revisions)
    assert [(d["from"], d["to"]) for d in diffs] == [(1, 2), (2, 3)]
    assert diffs[0]["changes"] == [("-", "two"), ("+", "TWO"), ("+", "four")]
    assert diffs[1]["changes"] == []
