"""XML we will parse: no entity declarations (billion laughs), no external entities (XXE).

A bare DOCTYPE without an internal subset is allowed, because RSS 0.91 feeds carry Netscape's.
A document that is not well-formed passes this check (feedparser's loose parser reads those
without expanding any declared entity), unless its bytes declare an entity at all.
"""

import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from shared.errors import PermanentError

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_UTF16_ENTITY = "<!ENTITY".encode("utf-16-le")
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_SKIPPED = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>",
                      re.DOTALL | re.IGNORECASE)


def check_xml_safe(content: bytes) -> None:
    """Raise xml_unsafe for documents declaring entities or DTD subsets; return otherwise."""
    if _ENTITY_DECLARATION.search(content) or _UTF16_ENTITY in content:
        raise PermanentError("xml_unsafe", "the document declares XML entities")
    try:
        fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise PermanentError("xml_unsafe", f"unsafe XML: {error}") from error
    except (ParseError, ValueError):
        pass  # not well-formed: the caller's lenient parser copes, and no entity was declared


def root_name(content: bytes) -> str | None:
    """The local name of the document's first element ('rss', 'feed', 'urlset', 'html')."""
    head = _SKIPPED.sub(b"", content[:8192].lstrip(b"\xef\xbb\xbf \t\r\n"))
    match = _FIRST_ELEMENT.search(head)
    return match.group(2).decode("ascii").lower() if match else None
