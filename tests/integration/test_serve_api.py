"""`copydesk serve`'s API against real PostgreSQL and SQLite filled by `copydesk run` on the seeds.

The server is a real uvicorn process; its answers are compared with what the CLI prints on the
same archive (export, show, status --json), so the API cannot drift from the CLI.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from shared.records import EXPORT_FIELDS
from tests.support.serve import LIVE_BLOG, ROUNDUP, TOKEN, Served, filled_and_served, serving
from tests.support.services import RedisServer, postgres_database
from tests.support.workers import copydesk, jsonl


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           redis_server: RedisServer) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp(f"serve-{request.param}")
    redis_url = redis_server.url.removesuffix("/0") + "/5"
    redis.Redis.from_url(redis_url).flushdb()
    if request.param == "sqlite":
        with filled_and_served(workdir, f"sqlite:///{workdir / 'copydesk.db'}", redis_url) as s:
            yield s
    else:
        with postgres_database() as url, filled_and_served(workdir, url, redis_url) as s:
            yield s


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(item["url"]).name: item for item in items}


def _get(served: Served, path: str, **params: Any) -> Any:
    with served.client() as client:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_articles_are_exports_records_newest_first(served: Served) -> None:
    page = _get(served, "/api/articles")
    exported = jsonl(copydesk("export", env=served.env, cwd=served.workdir).stdout)
    ids = [item["id"] for item in page["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2 and page["next_cursor"] is None
    for item in page["items"]:
        assert list(item) == list(EXPORT_FIELDS)  # page_kind among them, as export has it
    assert list(reversed(page["items"])) == exported
    kinds = {name: item["page_kind"] for name, item in _by_name(page["items"]).items()}
    assert kinds == {LIVE_BLOG: "live_blog", ROUNDUP: "article"}


def test_the_cursor_walks_every_page_once(served: Served) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = _get(served, "/api/articles", **params)
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 2 and pages == 3  # the last page is empty


@pytest.mark.parametrize(("params", "expected"), [
    ({"q": "Kupiansk"}, {LIVE_BLOG}),
    ({"q": "bolt from the blue"}, {ROUNDUP}),
    ({"q": "Kursk Russian"}, {LIVE_BLOG, ROUNDUP}),
    ({"q": "'; DROP TABLE articles; --"}, set()),
    ({"q": "???"}, set()),
    ({"kind": "live_blog"}, {LIVE_BLOG}),
    ({"source": "examples"}, {LIVE_BLOG, ROUNDUP}),
    ({"source": "elsewhere"}, set()),
    ({"since": "2024-11-15"}, {LIVE_BLOG}),
    ({"since": "2024-11-15T03:00:00Z"}, set()),
    ({"until": "2024-11-15T03:00:00+00:00", "q": "Kupiansk"}, {LIVE_BLOG}),
    ({"until": "2024-11-15T02:00:00Z"}, set()),
])
def test_search_and_filters(served: Served, params: dict[str, str], expected: set[str]) -> None:
    assert set(_by_name(_get(served, "/api/articles", **params)["items"])) == expected
    assert len(_get(served, "/api/articles")["items"]) == 2  # nothing a query sent ran as SQL


def test_one_article_in_full_is_what_show_prints(served: Served) -> None:
    live = _by_name(_get(served, "/api/articles")["items"])[LIVE_BLOG]
    article = _get(served, f"/api/articles/{live['id']}")
    shown = copydesk("show", live["url"], env=served.env, cwd=served.workdir).stdout
    printed = json.loads(shown.split("\n--- text ---\n")[0])
    assert {k: v for k, v in article.items() if k in printed} == printed
    assert article["text"] in shown and article["text"] == live["text"]
    assert len(article["entries"]) >= 5
    assert {"Tom Watling", "Arpan Rai"} <= {entry["author"] for entry in article["entries"]}
    assert article["removed"] and all(cut["reason"] and cut["text"] for cut in article["removed"])
    assert [rev["revision"] for rev in article["revisions"]] == [1]
    assert article["revisions"][0]["text"] == article["text"]
    assert article["entities"]["people"] and article["quotes"]
    assert article["duplicates"] == [] and article["original"] is None
    assert isinstance(article["cluster"], list)


def test_status_is_status_json(served: Served) -> None:
    cli = json.loads(copydesk("status", "--json", env=served.env, cwd=served.workdir).stdout)
    api = _get(served, "/api/status")
    assert api["jobs"] == cli["jobs"] and api["sources"] == cli["sources"]
    assert api["stages"]["clean"]["failed"] == 1
    assert api["jobs"]["stored"] == 2 and api["jobs"]["dead"] == 1


def test_sources_with_their_health(served: Served) -> None:
    sources = {row["name"]: row for row in _get(served, "/api/sources")}
    assert sources["examples"]["new_articles_24h"] == 2
    assert sources["examples"]["health"] == "ok"
    assert sources["empty.html"]["dead_letters_24h"] == 1
    assert sources["empty.html"]["health"] == "failing"
    assert all(row["last_run"] for row in sources.values())


def test_dead_letters_by_reason(served: Served) -> None:
    letters = _get(served, "/api/dead-letters")["items"]
    assert [(Path(d["url"]).name, d["reason"], d["stage"]) for d in letters] == \
        [("empty.html", "empty_text", "clean")]
    assert _get(served, "/api/dead-letters", reason="http_404")["items"] == []
    assert _get(served, "/api/dead-letters/reasons") == {"empty_text": 1}


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/api/articles/999999", 404, "no article with id 999999"),
    ("/api/articles/abc", 422, "article_id"),
    ("/api/articles?since=yesterday", 422, "since"),
    ("/api/articles?until=2024-13-45", 422, "until"),
    ("/api/articles?limit=101", 422, "less than or equal to 100"),
    ("/api/articles?limit=0", 422, "limit"),
    ("/api/articles?kind=podcast", 422, "kind"),
    ("/api/articles?cursor=1%20OR%201=1", 422, "cursor"),
    ("/api/dead-letters?limit=500", 422, "limit"),
])
def test_bad_input_is_a_clear_4xx(served: Served, path: str, status: int, words: str) -> None:
    with served.client() as client:
        response = client.get(path)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_writes_need_the_token(served: Served, token: str | None) -> None:
    with served.client(token) as client:
        for path, body in [("/api/submit", {"source": "http://127.0.0.1:9/news"}),
                           ("/api/dead-letters/retry", {}), ("/api/replay", {"stage": "clean"})]:
            response = client.post(path, json=body)
            assert response.status_code == 401, response.text
            assert "Bearer" in response.json()["detail"]
    assert _get(served, "/api/status")["jobs"]["open"] == 0


def test_writes_are_off_without_a_token_on_the_server(served: Served, tmp_path: Path) -> None:
    env = {**served.env, "COPYDESK_API_TOKEN": ""}
    with serving(tmp_path, env) as other, other.client(TOKEN) as client:
        response = client.post("/api/dead-letters/retry", json={})
        assert response.status_code == 403
        assert "COPYDESK_API_TOKEN" in response.json()["detail"]
        assert client.get("/api/dead-letters").json()["items"]  # still there


def test_a_write_changes_nothing_while_redis_is_down(served: Served, tmp_path: Path) -> None:
    env = {**served.env, "COPYDESK_REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens
    with serving(tmp_path, env) as other, other.client(TOKEN) as client:
        for path, body in [("/api/dead-letters/retry", {}), ("/api/replay", {"stage": "store"}),
                           ("/api/submit", {"source": "http://127.0.0.1:9/feed.xml"})]:
            response = client.post(path, json=body)
            assert response.status_code == 503, response.text
            assert "Redis" in response.json()["detail"]
        status = client.get("/api/status").json()
    assert status["jobs"]["dead"] == 1 and status["jobs"]["open"] == 0


@pytest.mark.parametrize(("path", "body", "words"), [
    ("/api/submit", {"source": "ftp://example.org/feed"}, "http(s) URL"),
    ("/api/submit", {"source": "/etc/passwd"}, "http(s) URL"),
    ("/api/submit", {}, "source"),
    ("/api/replay", {"stage": "fetch"}, "clean, extract, store"),
    ("/api/replay", {"stage": "clean", "since": "soon"}, "since"),
    ("/api/dead-letters/retry", {"reason": "x", "all": True}, "all"),
])
def test_bad_writes_are_refused(served: Served, path: str, body: dict[str, Any],
                                words: str) -> None:
    with served.client(TOKEN) as client:
        response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]


def test_submit_queues_a_source_for_the_workers(served: Served) -> None:
    with served.client(TOKEN) as client:
        response = client.post("/api/submit", json={"source": "http://127.0.0.1:9/feed.xml"})
    assert response.status_code == 202, response.text
    assert response.json() == {"source": "http://127.0.0.1:9/feed.xml", "jobs": 1}
    status = _get(served, "/api/status")
    assert status["stages"]["discover"]["open"] == 1 and status["queues"]["fetch"] == 1


def test_replay_reruns_a_stage_over_kept_pages(served: Served) -> None:
    with served.client(TOKEN) as client:
        response = client.post("/api/replay", json={"stage": "extract"})
    assert response.status_code == 202, response.text
    assert response.json() == {"stage": "extract", "replayed": 2}
    assert _get(served, "/api/status")["queues"]["extract"] == 2


def test_retry_reopens_the_dead_letters_of_a_reason(served: Served) -> None:
    # The replay above ran clean here on the empty page again: one more empty_text letter.
    dead = _get(served, "/api/dead-letters/reasons")["empty_text"]
    with served.client(TOKEN) as client:
        response = client.post("/api/dead-letters/retry", json={"reason": "empty_text"})
    assert response.status_code == 202, response.text
    assert response.json() == {"reason": "empty_text", "retried": dead}
    assert _get(served, "/api/dead-letters")["items"] == []
    status = _get(served, "/api/status")
    assert status["jobs"]["dead"] == 0 and status["queues"]["clean"] == dead


def test_the_api_is_described_at_docs(served: Served) -> None:
    schema = _get(served, "/openapi.json")
    assert {"/api/articles", "/api/articles/{article_id}", "/api/status", "/api/sources",
            "/api/dead-letters", "/api/submit", "/api/dead-letters/retry",
            "/api/replay"} <= set(schema["paths"])
    listing = {p["name"] for p in schema["paths"]["/api/articles"]["get"]["parameters"]}
    assert listing == {"q", "source", "since", "until", "kind", "limit", "cursor"}
    with served.client() as client:
        docs = client.get("/docs")
        assert docs.status_code == 200 and "openapi.json" in docs.text
        # Swagger UI comes from this server, not a CDN: /docs works with no internet.
        scripts = re.findall(r'<script src="([^"]+)"', docs.text)
        assert scripts and all(src.startswith("/") for src in scripts), scripts
        assert all(client.get(src).status_code == 200 for src in scripts)


def test_a_common_word_takes_the_other_path_to_the_same_page(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    # PostgreSQL looks a rare word up in the index and walks the newest articles for a common
    # one (copydesk/search.py); both must give the same pages.
    from copydesk import queries, search
    from shared import runtime
    from shared.settings import Settings

    ledger = runtime.ledger(Settings(database_url=served.env["COPYDESK_DATABASE_URL"]))
    filters = queries.ArticleFilter(q="Kursk Russian")
    pages = []
    for rare in (search.RARE_MATCHES, 0):  # 0: every word counts as common
        monkeypatch.setattr(search, "RARE_MATCHES", rare)
        first = queries.article_page(ledger, filters, None, 1)
        pages.append([first, queries.article_page(ledger, filters, first[0]["id"], 1)])
    assert pages[0] == pages[1]
    assert {page[0]["id"] for page in pages[0]} == {1, 2}
