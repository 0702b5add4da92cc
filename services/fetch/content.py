"""The content-type filter: pages, feeds and sitemaps come in; PDFs, images and the rest don't.

The label decides first; a missing or generic label (octet-stream) is settled by sniffing the
first bytes, and a body whose first bytes are a known binary format is refused whatever its
label says.
"""

from shared.errors import PermanentError

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/x-rss+xml", "application/feed+json", "application/json",
    "text/rss+xml", "text/atom+xml",
})
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/x-gunzip"})
ACCEPTED_TYPES = PAGE_TYPES | FEED_TYPES | GZIP_TYPES
UNLABELLED = frozenset({"", "application/octet-stream", "binary/octet-stream",
                        "application/unknown", "unknown/unknown"})
BINARY_MAGIC = (
    (b"%PDF-", "application/pdf"), (b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"), (b"PK\x03\x04", "application/zip"), (b"RIFF", "audio/video"),
)


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, lower-case, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def refuse_by_label(media: str) -> None:
    """Refuse before downloading when the label alone names something we never want."""
    if media not in ACCEPTED_TYPES and media not in UNLABELLED:
        raise PermanentError("not_html", f"content type {media} is not a page, feed or sitemap")


def settle_type(media: str, head: bytes) -> str:
    """The media type to record once the first bytes are in; refuse binary formats."""
    for magic, binary in BINARY_MAGIC:
        if head.startswith(magic):
            label = media or "nothing"
            raise PermanentError("not_html", f"the body is {binary} (labelled {label})")
    if media not in UNLABELLED:
        return media
    return sniff(head)


def sniff(head: bytes) -> str:
    """Guess the media type of an unlabelled body from its first bytes."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"\x1f\x8b"):
        return "application/gzip"
    if text.startswith(b"{"):
        return "application/json"
    if text.startswith(b"<?xml") and b"<html" not in text[:1024]:
        return "application/xml"
    if text.startswith(b"<"):
        return "text/html"
    raise PermanentError("not_html", "an unlabelled body that is no page, feed or sitemap")
