"""XML we will parse: no entity declarations (billion laughs), no external entities (XXE).

A bare DOCTYPE without an internal subset is allowed, because RSS 0.91 feeds carry Netscape's.
A document that is not well-formed passes this check (feedparser's loose parser reads those
without expanding any declared entity), unless it declares an entity at all: searched in its
bytes and again in its text, decoded as the parsers will decode it. XML in an encoding outside
the WHATWG Encoding Standard (utf-7, utf-32, ...) is refused: its entities hide from the first
search, and the parsers would still decode them.
"""

import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from services.fetch.encodings import whatwg_codec
from shared.errors import PermanentError

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_UTF16_ENTITY = "<!ENTITY".encode("utf-16-le")
_ENTITY_IN_TEXT = re.compile(r"<!ENTITY", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']?([^"'?\s>]*)""")
# Byte-order marks and the first bytes of an XML declaration without one (XML 1.0, F.1).
_BOMS = ((b"\x00\x00\xfe\xff", None), (b"\xff\xfe\x00\x00", None), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"), (b"\x00\x00\x00<", None),
         (b"<\x00\x00\x00", None), (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
         (b"\x4c\x6f\xa7\x94", None))  # UCS-4 and EBCDIC: None, refused
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_SKIPPED = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>",
                      re.DOTALL | re.IGNORECASE)


def check_xml_safe(content: bytes) -> None:
    """Raise xml_unsafe for documents declaring entities or DTD subsets; return otherwise."""
    if _ENTITY_DECLARATION.search(content) or _UTF16_ENTITY in content or (
            _ENTITY_IN_TEXT.search(xml_text(content))):
        raise PermanentError("xml_unsafe", "the document declares XML entities")
    try:
        fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise PermanentError("xml_unsafe", f"unsafe XML: {error}") from error
    except (ParseError, ValueError):
        pass  # not well-formed: the caller's lenient parser copes, and no entity was declared


def xml_text(content: bytes) -> str:
    """The document decoded as its byte-order mark or declaration says; xml_unsafe for an
    encoding outside the Encoding Standard."""
    codec = "utf-8"
    for mark, by_mark in _BOMS:
        if content.startswith(mark):
            if by_mark is None:
                raise PermanentError("xml_unsafe", "XML in UCS-4 or EBCDIC is not read")
            codec = by_mark
            break
    else:
        if declared := _XML_ENCODING.match(content[:1024]):
            label = declared.group(1).decode("ascii", "replace")
            codec = whatwg_codec(label) or _refuse(label)
    return content.decode(codec, errors="replace")


def _refuse(label: str) -> str:
    raise PermanentError("xml_unsafe", f"XML in the encoding {label!r} is not read: only the "
                         "WHATWG Encoding Standard's encodings are")


def root_name(content: bytes) -> str | None:
    """The local name of the document's first element ('rss', 'feed', 'urlset', 'html')."""
    head = _SKIPPED.sub(b"", content[:8192].lstrip(b"\xef\xbb\xbf \t\r\n"))
    match = _FIRST_ELEMENT.search(head)
    return match.group(2).decode("ascii").lower() if match else None
