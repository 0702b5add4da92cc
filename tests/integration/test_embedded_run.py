"""The README's run command: `copydesk run examples/` in one process on SQLite, no Redis."""

from pathlib import Path
from typing import Any

import pytest

from tests.support.workers import copydesk, environment, jsonl

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NEWS_WORDS = 20  # a line this long in a seed is a paragraph of news or of furniture
# A line both seeds carry is the site's template (its donation appeal), not news.
SEEDS = {path.name: path.read_text("utf-8").splitlines() for path in EXAMPLES.glob("*.txt")}
TEMPLATE = set.intersection(*(set(lines) for lines in SEEDS.values()))
# Long lines that are promos of other stories (read and judged by hand), cut as teasers.
# ("The Russians taking Pokrovsk would split Ukraine’s defensive line ... Donetsk. Now facing
# constant bombardment, ..." is news, two sentences whose last lost its full stop: kept.)
TEASERS = ("Exclusive: Former deputy chair of the Conservative Party",)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("embedded")
    env = environment(f"sqlite:///{workdir / 'copydesk.db'}", "redis://127.0.0.1:1/0")
    first = copydesk("run", str(EXAMPLES), env=env, cwd=workdir).stdout
    again = copydesk("run", str(EXAMPLES), env=env, cwd=workdir).stdout
    records = jsonl(copydesk("export", env=env, cwd=workdir).stdout)
    return {"first": first, "again": again,
            "records": {Path(record["url"]).name: record for record in records}}


def test_the_examples_are_stored_once(ran: dict[str, Any]) -> None:
    assert ran["first"].splitlines()[-1] == "accepted 2, stored 2, unchanged 0, dead-lettered 0"
    assert ran["again"].splitlines()[-1] == "accepted 2, stored 0, unchanged 2, dead-lettered 0"
    assert set(ran["records"]) == set(SEEDS)


def test_each_job_has_a_line_that_says_what_happened_to_it(ran: dict[str, Any]) -> None:
    for run, outcome in (("first", "stored"), ("again", "unchanged")):
        lines = ran[run].splitlines()[:-1]
        assert sorted(Path(line[line.rindex("<") + 1:-1]).name for line in lines) \
            == sorted(SEEDS), lines
        assert all(line.split()[0] == outcome for line in lines), (run, lines)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_news_paragraphs_are_kept_and_the_template_cut(ran: dict[str, Any], name: str) -> None:
    paragraphs = ran["records"][name]["text"].split("\n\n")
    body = "\n\n".join(paragraphs)
    assert not any(line in paragraphs for line in TEMPLATE)
    assert "Notifications can be managed" not in body and "Please refresh" not in body
    news = [line for line in SEEDS[name] if len(line.split()) >= NEWS_WORDS
            and line not in TEMPLATE and not line.startswith(("Please refresh", "Join ", *TEASERS))]
    # A stray closing quote at a line's start is put back on the line before it, so compare
    # the words without quote marks at the edges.
    kept = {paragraph.strip("”“\"") for paragraph in paragraphs}
    missing = [line for line in news if line.strip("”“\"") not in kept]
    assert news and not missing, f"news paragraphs lost: {missing}"
    assert not any(teaser in body for teaser in TEASERS)


def test_the_text_payloads_facts(ran: dict[str, Any]) -> None:
    report = ran["records"]["000_f5ff41b48f29e971.txt"]
    assert report["title"] == ("Russian military bloggers say new Kursk attack came "
                               "‘like a bolt from the blue’")
    assert not report["text"].startswith("Russian military bloggers")
    live = ran["records"]["004_b2b03e79aaf19651.txt"]
    assert live["is_live_blog"] and len(live["entries"]) >= 5
    assert {"Tom Watling", "Arpan Rai"} <= {entry["author"] for entry in live["entries"]}
    assert live["entries"][0]["published_at"].startswith("2024-11-15T06:00")
