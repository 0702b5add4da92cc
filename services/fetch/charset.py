"""Bytes to text: the byte-order mark, then the HTTP header, then the document's own
declaration, then detection; a declaration the bytes contradict is not believed, and only the
WHATWG Encoding Standard's labels are believed at all (encodings.py)."""

import codecs
import re

from charset_normalizer import from_bytes

from services.fetch.encodings import CODECS, whatwg_codec

_META = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
SNIFF_BYTES = 4096


def canonical_encoding(label: str | None) -> str | None:
    """Python's codec for a WHATWG encoding label, or None for any other label: a page must
    not pick a codec such as punycode (quadratic) or utf-7 (hides markup) for us."""
    return whatwg_codec(label)


def declared_in_document(content: bytes) -> str | None:
    """The charset a document declares about itself (meta tag or XML declaration)."""
    head = content[:SNIFF_BYTES]
    match = _XML_DECL.match(head) or _META.search(head)
    declared = canonical_encoding(match.group(1).decode("ascii")) if match else None
    # A declaration readable as ASCII cannot be UTF-16 (the standard reads it as UTF-8).
    return "utf-8" if declared in ("utf-16-le", "utf-16-be") else declared


def decode_bytes(content: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Decode a document: (text, encoding used)."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(encoding, errors="replace"), encoding
    for declared in (canonical_encoding(header_charset), declared_in_document(content)):
        if declared is None:
            continue
        text = _try(content, declared)
        if text is not None:
            return text, declared
    return _detect(content)


def _try(content: bytes, encoding: str) -> str | None:
    try:
        text = content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None  # a lying declaration: let detection decide
    if encoding == "cp1252" and not content.isascii() and _try(content, "utf-8") is not None:
        # Bytes that are valid UTF-8 and contain non-ASCII almost never are windows-1252:
        # the 'latin-1' label is a server default nobody checked.
        return None
    return text


def _detect(content: bytes) -> tuple[str, str]:
    if content.isascii():
        return content.decode("ascii"), "utf-8"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = _best_guess(content[:200_000])
    return content.decode(encoding, errors="replace"), encoding


def _best_guess(sample: bytes) -> str:
    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        return "cp1252"
    # The single-byte Latin code pages often tie; the web's usual one is windows-1252.
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    if any("cp1252" in m.could_be_from_charset for m in tied):
        return "cp1252"
    return _known_codec(best.encoding) or "cp1252"


def _known_codec(name: str) -> str | None:
    """A detector's codec name as one of the standard's encodings, or None."""
    try:
        python_name = codecs.lookup(name).name
    except LookupError:
        return None
    return whatwg_codec(name) or (python_name if python_name in CODECS else None)
