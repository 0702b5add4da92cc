"""Payloads survive the wire: small as plain JSON, large compressed."""

import base64
import zlib

import pytest
from pydantic import ValidationError

from shared.codec import COMPRESS_ABOVE, decode, encode
from shared.ledger import pack_raw, unpack_raw
from shared.models import CleanPage, FetchJob, RawPage


def test_small_payload_is_plain_json() -> None:
    job = FetchJob(job_id="j1", url="https://news.example/a", source="s", hints={"title": "T"})
    message = encode(job)
    assert message.startswith("{")
    assert decode(FetchJob, message) == job


def test_large_payload_is_compressed_and_round_trips() -> None:
    raw = RawPage(job_id="j1", source="s", url="u", final_url="u", body="<p>word</p>" * 5000)
    page = CleanPage(raw=raw, paragraphs=("One.", "Two ‘quoted’ — dash."))
    message = encode(page)
    assert message.startswith("z:")
    assert len(message) < COMPRESS_ABOVE
    assert decode(CleanPage, message) == page


def test_wrong_payload_is_refused() -> None:
    with pytest.raises(ValidationError):
        decode(RawPage, encode(FetchJob(job_id="j", url="u", source="s")))


def test_payloads_are_frozen() -> None:
    job = FetchJob(job_id="j", url="u", source="s")
    with pytest.raises(ValidationError):
        job.url = "other"  # type: ignore[misc]


def test_compressed_messages_stay_zlib_both_ways() -> None:
    """ISA-L writes zlib's format: a message from an older worker (zlib) still decodes, and
    anything that reads zlib reads the new messages and kept pages."""
    raw = RawPage(job_id="j1", source="s", url="u", final_url="u", body="<p>word</p>" * 5000)
    old = "z:" + base64.b64encode(zlib.compress(raw.model_dump_json().encode(), 6)).decode()
    assert decode(RawPage, old) == raw
    assert zlib.decompress(base64.b64decode(encode(raw)[2:])).decode() == raw.model_dump_json()
    assert unpack_raw(zlib.compress(raw.model_dump_json().encode(), 1)) == raw
    assert RawPage.model_validate_json(zlib.decompress(pack_raw(raw))) == raw
