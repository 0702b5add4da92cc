"""The warm-up page makes each stage load what it would otherwise load on its first job."""

import sqlite3
from pathlib import Path

import pytest

from copydesk.warmup import sample_page, warm
from services.clean.clean import clean
from services.extract.extract import extract
from services.extract.gazetteer import gazetteer
from shared.minhash import _permutations
from shared.settings import get_settings


def test_the_sample_page_reaches_every_part_of_extraction() -> None:
    article = extract(clean(sample_page()))
    assert article.title == "Council approves new flood defences for Leeds"
    assert article.authors == ("Jane Example",)
    assert article.published_at is not None
    assert [(quote.speaker, quote.text[:20]) for quote in article.quotes] \
        == [("James Lewis", "We cannot ask people")]
    assert {"Kirkstall", "York", "Manchester"} <= {place.name for place in article.entities.places}
    assert "Environment Agency" in {org.name for org in article.entities.organizations}
    assert not any("cookies" in paragraph for paragraph in article.text.split("\n\n"))


def test_warming_a_stage_loads_its_tables_and_migrates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'warm.db'}")
    get_settings.cache_clear()
    gazetteer.cache_clear()
    _permutations.cache_clear()
    try:
        warm("clean")
        assert gazetteer.cache_info().currsize == 0  # clean never needs the gazetteer
        warm("extract")
        assert gazetteer.cache_info().currsize == 1
        assert _permutations.cache_info().currsize == 0
        warm("store")
        assert _permutations.cache_info().currsize == 2  # both MinHash sizes
        with sqlite3.connect(tmp_path / "warm.db") as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert {"jobs", "articles", "article_keys", "dead_letters"} <= tables
    finally:
        get_settings.cache_clear()
