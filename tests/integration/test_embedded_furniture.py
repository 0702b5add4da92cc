"""`copydesk run` keeps the furniture it learns between runs, in its database.

A scheduled run of the embedded default handles a few new pages of a site at a time: learned
only from the run at hand, a line the site puts under every story would never be seen on
enough pages to be known as the site's. Here each run takes one page more of the fixture
site, each page carrying a line no curated rule knows.
"""

import json
from pathlib import Path

import pytest
import requests

from copydesk.furniture import StoredFurniture
from services.clean.furniture import MemoryFurniture
from shared.db import FurnitureRecord, migrate, session_factory
from tests.support.fixture_server import SITE_ROOT, FixtureSite
from tests.support.workers import copydesk, environment, jsonl

STANDARDS = ("Meridian Courier reporters work to the Editors' Code of Practice; tell the "
             "readers' editor at once if you think this story has got something wrong.")
BODY = '<div class="article-body">'


@pytest.fixture(scope="module")
def urls(site: FixtureSite) -> list[str]:
    manifest = json.loads((SITE_ROOT / "_expected" / "manifest.json").read_text("utf-8"))
    chosen = [article["path"] for article in manifest["articles"]
              if article.get("markup") == "article"][:3]
    for path in chosen:
        html = requests.get(site.url(path), timeout=10).text
        site.set_override(path, html.replace(BODY, f"{BODY}\n<p>{STANDARDS}</p>", 1))
    return [site.url(path) for path in chosen]


def test_a_line_on_every_page_is_learned_across_runs_of_one_page(
        urls: list[str], tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'copydesk.db'}"
    # One page a run: no process pool to start for it.
    env = environment(database, "redis://127.0.0.1:1/0", COPYDESK_RUN_PROCESSES="1")
    for url in urls:  # one page a run, as a schedule of small runs would bring them
        copydesk("run", url, env=env, cwd=tmp_path)
    texts = {record["url"]: record["text"] for record in
             jsonl(copydesk("export", env=env, cwd=tmp_path).stdout)}
    assert set(texts) == set(urls)
    # Cut from the third page on (three pages seen, all of them carrying it), as the workers
    # would with their counts in Redis; the first two pages were stored before it was known.
    assert [STANDARDS in texts[url] for url in urls] == [True, True, False]
    with session_factory(database)() as session:
        assert [row.site for row in session.query(FurnitureRecord)] == ["127.0.0.1"]


def test_runs_that_keep_their_counts_judge_as_one_long_run(database_url: str) -> None:
    """Pages observed over many runs, each a new process's index on the same database, get
    the verdicts one index would give them in one run, the window turning over between runs."""
    migrate(database_url)
    sessions, whole = session_factory(database_url), MemoryFurniture(window=4)
    pages = [[STANDARDS, f"Story {n} in words of its own."]
             + (["A briefing box on a run of pages."] if 5 <= n < 9 else []) for n in range(15)]
    for start in range(0, 15, 2):  # a run of two pages at a time
        run = StoredFurniture(sessions, window=4)
        for number in range(start, min(start + 2, 15)):
            answers = [index.observe("site.example", f"/story/{number}", pages[number])
                       for index in (run, whole)]
            assert answers[0] == answers[1], number
        assert run.observe("site.example", "/story/0", pages[0]) \
            == whole.observe("site.example", "/story/0", pages[0])  # counted once, for ever
        run.save()
