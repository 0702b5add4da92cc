"""The console in a real headless Chromium (the system's, driven by Playwright; no download):
open it, search, open the live blog and see its entries, retry a dead letter with the token."""

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from tests.support.serve import EXAMPLES, LIVE_BLOG, ROUNDUP, TOKEN, Served, filled_and_served
from tests.support.services import RedisServer
from tests.support.workers import copydesk

PHONE: ViewportSize = {"width": 390, "height": 844}
expect.set_options(timeout=15_000)  # a loaded CI machine answers slower than 5 s at times
ROUNDUP_TITLE = "Russian military bloggers say new Kursk attack came"


def chromium_path() -> str:
    """The system Chromium (Debian's package; scripts/ensure-browser installs it)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no Chromium on PATH: run scripts/ensure-browser")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory,
           redis_server: RedisServer) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("console")
    redis_url = redis_server.url.removesuffix("/0") + "/6"
    redis.Redis.from_url(redis_url).flushdb()
    with filled_and_served(workdir, f"sqlite:///{workdir / 'copydesk.db'}", redis_url) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    opened = context.new_page()
    yield opened
    context.close()


def _fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_home_shows_the_pipeline_and_both_articles(served: Served, page: Page) -> None:
    page.goto(served.url)
    stages = page.locator("table.stages tbody th")
    expect(stages).to_have_text(["discover", "fetch", "clean", "extract", "store"])
    expect(page.locator('td[data-stage="clean"][data-key="failed"]')).to_have_text("1")
    articles = page.locator("ul.articles li")
    expect(articles).to_have_count(2)
    expect(articles.filter(has_text=ROUNDUP_TITLE)).to_contain_text("article")
    expect(articles.filter(has_text=LIVE_BLOG)).to_contain_text("live blog")
    # The table refreshes itself from /api/status every few seconds.
    expect(page.locator("[data-live-status]")).to_contain_text("live ·", timeout=25_000)
    assert _fits_the_screen(page)


def test_search_then_open_the_live_blog_and_its_entries(served: Served, page: Page) -> None:
    page.goto(served.url)
    page.get_by_label("Search articles").fill("Kursk")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("h2")).to_have_text("Articles matching “Kursk”")
    results = page.locator("ul.articles li")
    expect(results).to_have_count(2)  # the search finds both seeds
    page.get_by_label("Search articles").fill("Kupiansk")
    page.get_by_label("Search articles").press("Enter")
    expect(results).to_have_count(1)
    link = results.get_by_role("link").first
    # The id follows the order the concurrent engine stored the seeds in: take it from the link.
    href = link.get_attribute("href")
    assert href is not None and re.fullmatch(r"/articles/\d+", href), href
    link.click()
    expect(page).to_have_url(served.url + href)
    expect(page.locator("main")).to_contain_text(LIVE_BLOG)
    entries = page.locator("#entries li.entry")
    assert entries.count() >= 5
    expect(page.locator("#entries")).to_contain_text("Tom Watling")
    expect(page.locator("#entries")).to_contain_text("Arpan Rai")
    expect(page.locator("#entities")).to_contain_text("people")
    expect(page.locator("#quotes blockquote").first).to_be_visible()
    expect(page.locator("#cut p.cut").first).to_be_visible()
    expect(page.locator("#revisions")).to_contain_text("Revisions (1)")
    assert _fits_the_screen(page)


def test_sources_show_their_health(served: Served, page: Page) -> None:
    page.goto(served.url + "/sources")
    expect(page.locator("tr", has_text="examples").locator(".health")).to_have_text("ok")
    expect(page.locator("tr", has_text="empty.html").locator(".health")).to_have_text("failing")


def test_retry_a_dead_letter_with_the_token(served: Served, page: Page) -> None:
    page.goto(served.url + "/dead-letters")
    group = page.locator('section.reason[data-reason="empty_text"]')
    expect(group).to_contain_text(Path("empty.html").name)
    result = page.locator("#retry-result")
    group.get_by_role("button").click()  # no token yet: it asks for one
    expect(result).to_contain_text("Enter the API token")
    page.get_by_label("API token").fill("not-the-token")
    group.get_by_role("button").click()
    expect(result).to_contain_text("Not retried")
    page.get_by_label("API token").fill(TOKEN)
    group.get_by_role("button").click()
    # The first write of the server process sets up its Celery app: give it time on a busy machine.
    expect(result).to_have_text("Retrying 1 job(s) of empty_text.", timeout=30_000)
    expect(group).to_have_count(0)
    page.reload()
    expect(page.locator("main")).to_contain_text("No dead letters.")
    with served.client() as client:
        assert client.get("/api/status").json()["queues"]["clean"] == 1


def test_an_unknown_article_is_a_404(served: Served, page: Page) -> None:
    response = page.goto(served.url + "/articles/424242")
    assert response is not None and response.status == 404
    assert ROUNDUP not in page.content()


def test_a_changed_text_shows_as_a_diff_between_revisions(served: Served, page: Page) -> None:
    story = served.workdir / "story.txt"
    lines = (EXAMPLES / ROUNDUP).read_text("utf-8").splitlines()
    story.write_text("\n".join(lines), encoding="utf-8")
    copydesk("run", str(story), env=served.env, cwd=served.workdir)
    news = next(line for line in lines if "bolt from the blue" not in line
                and len(line.split()) > 30 and "Independent" not in line)
    edited = news.replace(" the ", " THE EDITED ", 1)
    story.write_text("\n".join(edited if line == news else line for line in lines), "utf-8")
    out = copydesk("run", str(story), env=served.env, cwd=served.workdir).stdout
    assert out.splitlines()[-1] == "accepted 1, stored 1, unchanged 0, dead-lettered 0", out
    page.goto(served.url + "/articles?q=bolt+blue")
    page.locator("ul.articles li", has_text="story.txt").get_by_role("link").first.click()
    revisions = page.locator("#revisions")
    expect(revisions).to_contain_text("Revisions (2)")
    revisions.locator("summary").first.click()
    expect(revisions.locator("p.removed")).to_have_text(["- " + news])
    expect(revisions.locator("p.added")).to_have_text(["+ " + edited])


def test_the_api_docs_render_without_internet(served: Served, page: Page) -> None:
    # This machine has no internet: Swagger UI renders only from the files the server ships.
    page.goto(served.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("copydesk")
    expect(page.locator(".opblock-summary-path", has_text="/api/articles").first).to_be_visible()
