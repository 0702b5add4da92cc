"""The furniture learner in memory: its thresholds, its page counting, and the seeds."""

from services.clean.clean import clean
from services.clean.furniture import MIN_PAGES, MemoryFurniture
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
