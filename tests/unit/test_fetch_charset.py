"""Bytes to text: BOM, header, meta, detection; lying declarations are not believed."""

import time

import pytest

from services.fetch.charset import canonical_encoding, declared_in_document, decode_bytes
from services.fetch.client import Download, decode_body
from services.fetch.encodings import LABELS

FRENCH = "Le café de la gare a rouvert ses portes, a déclaré le maire à l'été. Où est-il ?"


def test_header_charset_wins() -> None:
    text, encoding = decode_bytes(FRENCH.encode("cp1252"), "windows-1252")
    assert (text, encoding) == (FRENCH, "cp1252")


def test_meta_charset_when_the_header_is_silent() -> None:
    html = f'<html><head><meta charset="iso-8859-15"></head><body>{FRENCH}</body>'
    text, encoding = decode_bytes(html.encode("iso-8859-15"))
    assert FRENCH in text
    assert encoding == "iso8859-15"


def test_http_equiv_meta() -> None:
    html = ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            f"<p>{FRENCH}</p>")
    assert FRENCH in decode_bytes(html.encode("cp1252"))[0]


def test_xml_declaration() -> None:
    xml = f'<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>{FRENCH}</title></rss>'
    assert declared_in_document(xml.encode("latin-1")) == "cp1252"
    assert FRENCH in decode_bytes(xml.encode("latin-1"))[0]


def test_a_lying_utf8_label_falls_back_to_detection() -> None:
    body = ("<p>" + FRENCH + " « Naïve », dit-il – même à Noël. </p>") * 5
    text, encoding = decode_bytes(body.encode("cp1252"), "utf-8")
    assert FRENCH in text
    assert encoding != "utf-8"


def test_utf8_bytes_labelled_latin1_are_read_as_utf8() -> None:
    text, encoding = decode_bytes(FRENCH.encode("utf-8"), "iso-8859-1")
    assert (text, encoding) == (FRENCH, "utf-8")


def test_bom_beats_every_declaration() -> None:
    text, encoding = decode_bytes("\ufeff".encode() + FRENCH.encode(), "windows-1252")
    assert (text, encoding) == (FRENCH, "utf-8")
    assert decode_bytes(b"\xff\xfe" + FRENCH.encode("utf-16-le"))[0] == FRENCH


def test_unknown_label_is_ignored() -> None:
    assert decode_bytes(FRENCH.encode(), "x-no-such-charset") == (FRENCH, "utf-8")


def test_no_declaration_detects() -> None:
    assert decode_bytes(FRENCH.encode()) == (FRENCH, "utf-8")
    assert decode_bytes(b"plain ascii") == ("plain ascii", "utf-8")


@pytest.mark.parametrize(("label", "name"), [
    ("UTF-8", "utf-8"), ("latin1", "cp1252"), ("us-ascii", "cp1252"), ("Shift_JIS", "cp932"),
    ("bogus", None), (None, None),
])
def test_canonical_encoding(label: str | None, name: str | None) -> None:
    assert canonical_encoding(label) == name


def test_decode_body_uses_the_download_declaration() -> None:
    download = Download(url="u", final_url="u", status=200, content=FRENCH.encode("cp1252"),
                        content_type="text/html", declared_charset="windows-1252")
    assert decode_body(download) == (FRENCH, "cp1252")


@pytest.mark.parametrize("label", ["punycode", "utf-7", "idna", "rot13", "utf-32",
                                   "raw_unicode_escape", "hz", "iso-2022-kr", "latin_1 "])
def test_labels_outside_the_encoding_standard_are_not_believed(label: str) -> None:
    assert canonical_encoding(label) is None
    page = f"<html><head><meta charset={label}></head><body>{FRENCH}</body></html>"
    assert decode_bytes(page.encode(), label) == (page, "utf-8")


def test_a_punycode_label_on_a_large_body_is_sniffed_in_milliseconds() -> None:
    # Python's punycode codec is quadratic: 3.5 s for 200 KB of this when the label was believed.
    body = b"x-" + b"9a" * 200_000
    started = time.perf_counter()
    assert decode_bytes(body, "punycode") == (body.decode("ascii"), "utf-8")
    assert time.perf_counter() - started < 1


def test_every_standard_label_names_a_python_codec() -> None:
    assert len(LABELS) > 200 and LABELS["latin1"] == "cp1252" and LABELS["sjis"] == "cp932"
    for codec in set(LABELS.values()):
        assert "é".encode().decode(codec, errors="replace")
