"""Content-Encoding decoding with the cap on the decoded size."""

import gzip
import zlib
from collections.abc import Callable

import brotli
import pytest

from services.fetch.decompress import decode_stream, gunzip
from shared.errors import PermanentError

BODY = b"<p>news</p>" * 500


def _chunks(data: bytes, size: int = 100) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(("coding", "encoded"), [
    ("gzip", gzip.compress(BODY)), ("x-gzip", gzip.compress(BODY)),
    ("deflate", zlib.compress(BODY)), ("deflate", _raw_deflate(BODY)),
    ("br", brotli.compress(BODY)), ("", BODY), ("identity", BODY),
    ("gzip, br", brotli.compress(gzip.compress(BODY))),
])
def test_decodes_in_chunks(coding: str, encoded: bytes) -> None:
    assert decode_stream(_chunks(encoded), coding, 10**6) == BODY


@pytest.mark.parametrize(("coding", "compress"), [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress),
    ("", lambda data: data),
])
def test_the_cap_applies_to_the_decoded_size(coding: str,
                                             compress: Callable[[bytes], bytes]) -> None:
    bomb = compress(b"\0" * (4 * 1024 * 1024))
    with pytest.raises(PermanentError) as error:
        decode_stream(_chunks(bomb, 8192), coding, 64 * 1024)
    assert error.value.reason == "too_large"


def test_exactly_the_cap_fits() -> None:
    assert len(decode_stream([gzip.compress(b"a" * 1000)], "gzip", 1000)) == 1000


def test_corrupt_data_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="bad_encoding"):
        decode_stream([b"\x1f\x8bnot really gzip"], "gzip", 1000)


def test_gunzip() -> None:
    assert gunzip(gzip.compress(BODY), 10**6) == BODY


def test_a_body_in_one_piece_comes_back_uncopied_and_pieces_join_in_order() -> None:
    assert decode_stream([BODY], "", 10**6) is BODY
    assert decode_stream(_chunks(BODY, 7), "identity", 10**6) == BODY
    assert decode_stream([], "", 10**6) == b""
