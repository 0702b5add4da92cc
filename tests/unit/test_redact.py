"""Credentials in URLs: redacted in text, payloads (what crosses the queues) and log records."""

import logging

import pytest

from services.fetch.urls import normalize_url
from shared.codec import encode
from shared.models import DeadLetter, FetchJob, RawPage
from shared.redact import redact, redact_logs


@pytest.mark.parametrize(("text", "redacted"), [
    ("https://user:pw@host/a", "https://***@host/a"),
    ("get http://TOKEN@h.example:8080/x?y=1 failed", "get http://***@h.example:8080/x?y=1 failed"),
    ("postgresql://copydesk:change-me@postgres:5432/db", "postgresql://***@postgres:5432/db"),
    ("https://u:p@ss@host/", "https://***@host/"),
    ("https://host/path?mail=a@b.example", "https://host/path?mail=a@b.example"),
    ("write to me@example.com", "write to me@example.com"),
])
def test_redact(text: str, redacted: str) -> None:
    assert redact(text) == redacted


def test_normalized_urls_hold_no_credentials() -> None:
    assert normalize_url("HTTPS://user:pw@News.Example/a") == "https://news.example/a"


def test_payloads_hold_no_credentials() -> None:
    url = "https://user:s3cret@news.example/a"
    payloads = [FetchJob(job_id="j", url=url, source="s"),
                RawPage(job_id="j", source="s", url=url, final_url=url, body="<p>x</p>"),
                DeadLetter(job_id="j", url=url, source="s", stage="fetch", reason="http_404",
                           message=f"{url} answered 404")]
    assert not [payload for payload in payloads if "s3cret" in encode(payload)]


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    redact_logs()
    log = logging.getLogger("copydesk.test")
    with caplog.at_level(logging.INFO):
        log.info("fetching %s", "https://user:s3cret@news.example/a")
        try:
            raise ValueError("https://user:s3cret@news.example/b")
        except ValueError:
            log.exception("failed")
    assert "s3cret" not in caplog.text and "https://***@news.example/a" in caplog.text
