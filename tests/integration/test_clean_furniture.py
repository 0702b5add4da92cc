"""Site furniture learned across pages of the fixture site, over HTTP, with counts in Redis.

The fixture site's own furniture (its donation appeal, newsletter box, comment prompt) is cut
on the first page by the curated phrases and the box names, so the learner would have nothing
left to do. Here each article page also carries a line in the body that no curated rule knows,
the way sites put a standards note under every story: only the learner can find it.
"""

import json
import uuid
from collections.abc import Iterator

import pytest
import redis
import requests

from services.clean.clean import clean
from services.clean.furniture import MIN_PAGES, MemoryFurniture, fingerprint
from services.clean.redis_furniture import RedisFurniture
from shared.models import CleanPage, RawPage
from tests.support.fixture_server import SITE_ROOT, FixtureSite
from tests.support.services import RedisServer

STANDARDS = ("Meridian Courier reporters work to the Editors' Code of Practice; tell the "
             "readers' editor at once if you think this story has got something wrong.")
BODY = '<div class="article-body">'
PAGES = MIN_PAGES + 2


@pytest.fixture(scope="module")
def paths(site: FixtureSite) -> list[str]:
    """Article pages of one markup style, each served with the standards line in its body."""
    manifest = json.loads((SITE_ROOT / "_expected" / "manifest.json").read_text("utf-8"))
    chosen = [article["path"] for article in manifest["articles"]
              if article.get("markup") == "article"][:PAGES]
    for path in chosen:
        html = requests.get(site.url(path), timeout=10).text
        assert BODY in html
        site.set_override(path, html.replace(BODY, f"{BODY}\n<p>{STANDARDS}</p>", 1))
    # The same line in a plain-text payload of the site (a print version, say).
    site.set_override("/print/notice.txt", f"Council notice\nThe library reopens on Monday.\n"
                      f"{STANDARDS}\n", content_type="text/plain; charset=utf-8")
    return chosen


@pytest.fixture
def workers(redis_server: RedisServer) -> Iterator[tuple[RedisFurniture, RedisFurniture]]:
    """Two clean workers' indexes: own connections, one Redis, a key prefix of this test's."""
    prefix = f"test:{uuid.uuid4().hex}"
    clients = [redis.Redis.from_url(redis_server.url) for _ in range(2)]
    yield RedisFurniture(clients[0], prefix=prefix), RedisFurniture(clients[1], prefix=prefix)
    for client in clients:
        client.close()


def fetched(site: FixtureSite, path: str) -> RawPage:
    answer = requests.get(site.url(path), timeout=10)
    answer.raise_for_status()
    return RawPage(job_id=path, source="fixture", url=site.url(path), final_url=answer.url,
                   content_type=answer.headers["Content-Type"], body=answer.text)


def cut_as(page: CleanPage, text: str) -> str | None:
    return next((removal.reason for removal in page.removed if removal.text == text), None)


def test_learned_after_min_pages_then_cut_from_html_and_text(
        site: FixtureSite, paths: list[str]) -> None:
    index = MemoryFurniture()
    pages = [clean(fetched(site, path), index) for path in paths]
    for number, page in enumerate(pages, 1):
        learned = number >= MIN_PAGES
        assert (STANDARDS in page.paragraphs) == (not learned), number
        assert cut_as(page, STANDARDS) == ("template" if learned else None), number
        assert len(page.paragraphs) >= 3  # the story itself stays
    text = clean(fetched(site, "/print/notice.txt"), index)
    assert text.paragraphs == ("Council notice", "The library reopens on Monday.")
    assert cut_as(text, STANDARDS) == "template"


def test_deterministic_the_same_page_twice(site: FixtureSite, paths: list[str]) -> None:
    index = MemoryFurniture()
    first = [clean(fetched(site, path), index) for path in paths[:MIN_PAGES - 1]]
    # Cleaned again (a redelivery): counted once, so the line is still below the threshold.
    again = [clean(fetched(site, path), index) for path in paths[:MIN_PAGES - 1]]
    assert [page.text for page in again] == [page.text for page in first]
    assert all(STANDARDS in page.paragraphs for page in again)


def test_two_workers_share_counts_in_redis(
        site: FixtureSite, paths: list[str],
        workers: tuple[RedisFurniture, RedisFurniture]) -> None:
    one, two = workers
    early = [clean(fetched(site, path), one) for path in paths[:MIN_PAGES - 1]]
    assert all(STANDARDS in page.paragraphs for page in early)
    # Worker two has seen none of those pages itself, yet learns from worker one's counts.
    late = clean(fetched(site, paths[MIN_PAGES - 1]), two)
    assert cut_as(late, STANDARDS) == "template"
    # The same page on the other worker, and again on the first: the same text each time.
    assert clean(fetched(site, paths[MIN_PAGES - 1]), one).text == late.text
    assert clean(fetched(site, paths[MIN_PAGES - 1]), two).text == late.text
    # A redelivered early page on worker two adds no count: the site has MIN_PAGES pages.
    clean(fetched(site, paths[0]), two)
    client = one.client
    host = site.url("/").split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    assert client.scard(f"{one.prefix}:{host}:pages") == MIN_PAGES


def test_redis_and_memory_give_the_same_verdicts_in_one_step(
        workers: tuple[RedisFurniture, RedisFurniture]) -> None:
    """observe() answers with the page's furniture: the same in Redis and in memory, and the
    same as asking paragraph by paragraph afterwards."""
    redis_index, memory = workers[0], MemoryFurniture()
    story = [f"A story of its own, number {n}, with a few more words." for n in range(12)]
    for page in range(12):
        # The site's line on every page, a second one only on the first four, and a page seen
        # twice (a redelivery) to show it is not counted again.
        lines = [STANDARDS, story[page]] + (["Sign up to our briefing."] if page < 4 else [])
        key = f"/story/{min(page, 10)}"
        answers = [index.observe("site.example", key, lines) for index in (redis_index, memory)]
        assert answers[0] == answers[1], page
        for index in (redis_index, memory):
            asked = {fingerprint(line) for line in lines
                     if index.is_furniture("site.example", line)}
            assert answers[0] == asked, page
        assert (fingerprint(STANDARDS) in answers[0]) == (min(page, 10) + 1 >= MIN_PAGES)
        # The briefing line, on the first four pages only: furniture from the third.
        assert (fingerprint("Sign up to our briefing.") in answers[0]) == (page in (2, 3))
    assert memory.observe("site.example", "/empty", []) == frozenset() \
        == redis_index.observe("site.example", "/empty", [])


def test_redis_and_memory_keep_the_same_window(redis_server: RedisServer) -> None:
    """Across many turns of a small window: the same verdicts in Redis as in memory, a bounded
    index, and the site's line furniture throughout."""
    client = redis.Redis.from_url(redis_server.url)
    prefix = f"test:{uuid.uuid4().hex}"
    redis_index, memory = RedisFurniture(client, prefix=prefix, window=7), MemoryFurniture(window=7)
    for page in range(60):
        lines = [STANDARDS, f"Story {page} in words of its own.", f"Its second line, {page}."]
        lines += ["A briefing box on a run of pages."] if 20 <= page < 30 else []
        answers = [index.observe("site.example", f"/story/{page % 50}", lines)
                   for index in (redis_index, memory)]
        assert answers[0] == answers[1], page
        assert redis_index.counted("site.example") == memory.counted("site.example") <= 2 * 7 * 4
        assert (fingerprint(STANDARDS) in answers[0]) == (page + 1 >= MIN_PAGES), page
    assert client.scard(f"{prefix}:site.example:pages") == 50  # every page once, for ever
    assert 0 < client.ttl(f"{prefix}:site.example:counts") <= 90 * 24 * 3600
    client.close()


def test_an_index_kept_before_windows_is_taken_over(redis_server: RedisServer) -> None:
    """An index from before windows (its pages counted, no generation's page count) is read as
    the first generation: its verdicts hold, and it is dropped as the window moves on."""
    client = redis.Redis.from_url(redis_server.url)
    prefix = f"test:{uuid.uuid4().hex}"
    pages, counts = f"{prefix}:site.example:pages", f"{prefix}:site.example:counts"
    client.sadd(pages, *[f"https://site.example/old/{n}" for n in range(40)])
    client.hset(counts, mapping={fingerprint(STANDARDS): 40} | {
        fingerprint(f"Old story {n}."): 1 for n in range(40)})
    index = RedisFurniture(client, prefix=prefix, window=10)
    assert index.is_furniture("site.example", STANDARDS)
    first = index.observe("site.example", "/new/0", [STANDARDS, "New story 0."])
    assert fingerprint(STANDARDS) in first
    assert int(client.hget(f"{counts}:previous", "#pages")) == 41  # it turned at once
    for number in range(1, 21):
        index.observe("site.example", f"/new/{number}", [STANDARDS, f"New story {number}."])
    assert index.counted("site.example") <= 2 * 10 * 2  # the old counts are gone
    assert index.is_furniture("site.example", STANDARDS)
    client.close()
