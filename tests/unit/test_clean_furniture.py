"""The furniture learner in memory: its thresholds, its page counting, and the seeds."""

from services.clean.clean import clean
from services.clean.furniture import MIN_PAGES, MemoryFurniture, fingerprint
from shared.models import RawPage
from tests.unit.test_clean_seeds import LIVE_BLOG, ROUNDUP, lines, raw_page

SITE = "news.example"
TEMPLATE = "Our newsroom is funded by readers; every story stays free to read for everyone."


def test_nothing_learned_is_furniture_before_min_pages() -> None:
    index = MemoryFurniture()
    for page in range(1, MIN_PAGES + 2):
        index.observe(SITE, f"/story/{page}", [TEMPLATE, f"A story of its own, number {page}."])
        assert index.is_furniture(SITE, TEMPLATE) == (page >= MIN_PAGES), page
    assert not index.is_furniture(SITE, "A story of its own, number 1.")
    assert not index.is_furniture("other.example", TEMPLATE)  # learned per site


def test_a_page_counts_once_however_often_it_is_cleaned() -> None:
    index = MemoryFurniture()
    for _ in range(MIN_PAGES + 1):
        index.observe(SITE, "/story/1", [TEMPLATE])
    assert not index.is_furniture(SITE, TEMPLATE)


def test_a_line_on_few_of_many_pages_is_not_furniture() -> None:
    index = MemoryFurniture(min_pages=3, min_share=0.3)
    for page in range(10):
        index.observe(SITE, f"/story/{page}", [TEMPLATE] if page < 3 else ["Other news."])
    assert index.is_furniture(SITE, "Other news.")
    assert index.is_furniture(SITE, TEMPLATE)  # 3 of 10 pages: at the share...
    index.observe(SITE, "/story/10", ["Other news."])
    assert not index.is_furniture(SITE, TEMPLATE)  # ...3 of 11: below it


def test_on_the_seeds_only_the_lines_both_carry_are_learned() -> None:
    # Two pages of one site: learn with a threshold of two pages, and what is learned must be
    # exactly the appeal both seeds carry, never a news line.
    index = MemoryFurniture(min_pages=2)
    for seed in (ROUNDUP, LIVE_BLOG):
        clean(raw_page(seed), index)
    site = "source:seeds"
    shared = set(lines(ROUNDUP)) & set(lines(LIVE_BLOG))
    assert len(shared) == 3 and all("Independent" in line or "donation" in line for line in shared)
    for seed in (ROUNDUP, LIVE_BLOG):
        assert {line for line in lines(seed) if index.is_furniture(site, line)} == shared


def test_the_seeds_clean_the_same_with_the_learner_and_twice() -> None:
    index = MemoryFurniture(min_pages=2)
    alone = {seed: clean(raw_page(seed)) for seed in (ROUNDUP, LIVE_BLOG)}
    for _ in range(2):  # first delivery, then a redelivery: counted once, the same text
        for seed in (ROUNDUP, LIVE_BLOG):
            learned = clean(raw_page(seed), index)
            assert learned.paragraphs == alone[seed].paragraphs


def test_a_learned_template_is_cut_from_plain_text_with_its_reason() -> None:
    index = MemoryFurniture()
    texts = []
    for page in range(1, MIN_PAGES + 1):
        body = f"Headline {page}\nThe council met on day {page} and agreed a plan.\n{TEMPLATE}\n"
        texts.append(clean(raw_page_text(f"https://{SITE}/story/{page}", body), index))
    for page, cleaned in enumerate(texts, 1):
        assert (TEMPLATE in cleaned.paragraphs) == (page < MIN_PAGES), page
    assert ("template", TEMPLATE) in {(r.reason, r.text) for r in texts[-1].removed}


def raw_page_text(url: str, body: str) -> RawPage:
    return RawPage(job_id=url.rsplit("/", 1)[-1], source="test", url=url, final_url=url,
                   content_type="text/plain", body=body)


def stories(count: int, start: int = 0) -> list[list[str]]:
    """Pages of one site: each with five paragraphs of its own and the site's template line."""
    return [[f"Story {n}, paragraph {k}, in words of its own." for k in range(5)] + [TEMPLATE]
            for n in range(start, start + count)]


def test_the_window_bounds_what_a_site_keeps_and_keeps_its_furniture() -> None:
    index = MemoryFurniture(window=10)
    for number, page in enumerate(stories(200)):
        found = index.observe(SITE, f"/story/{number}", page)
        assert (fingerprint(TEMPLATE) in found) == (number + 1 >= MIN_PAGES), number
        assert index.counted(SITE) <= 2 * 10 * 6  # two generations of six lines a page
    assert index.is_furniture(SITE, TEMPLATE)
    unbounded = MemoryFurniture(window=10**9)
    for number, page in enumerate(stories(200)):
        unbounded.observe(SITE, f"/story/{number}", page)
    assert unbounded.counted(SITE) == 200 * 5 + 1


def test_a_line_a_site_starts_to_show_is_learned_from_its_recent_pages() -> None:
    # 500 pages without the line, then pages with it: against the last 50-100 pages it is
    # furniture after about 30 of them; against all 500+ it would take over 200.
    def pages_to_learn(index: MemoryFurniture) -> int:
        for number in range(500):
            index.observe(SITE, f"/old/{number}", [f"Old story {number} in its own words."])
        for number in range(1, 1000):
            found = index.observe(SITE, f"/new/{number}", [f"New story {number} here.", TEMPLATE])
            if fingerprint(TEMPLATE) in found:
                return number
        raise AssertionError("never learned")

    assert pages_to_learn(MemoryFurniture(window=50)) <= 0.3 * 2 * 50 + 1
    assert pages_to_learn(MemoryFurniture(window=10**9)) > 200


def test_a_page_counted_before_the_window_moved_on_is_not_counted_again() -> None:
    # Which pages were counted is kept for ever: a page cleaned again (a replay, a late
    # redelivery) adds nothing, however long ago it was counted.
    index = MemoryFurniture(window=3)
    index.observe(SITE, "/story/a", ["A line of story A alone."])
    for number, page in enumerate(stories(7)):
        index.observe(SITE, f"/story/{number}", page)
    held = index.counted(SITE)
    assert held <= 2 * 3 * 6
    for _ in range(3):
        assert index.observe(SITE, "/story/a", ["A line of story A alone."]) == frozenset()
        assert index.counted(SITE) == held
