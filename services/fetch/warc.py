"""WARC files (.warc, .warc.gz; Common Crawl's CC-NEWS among them) as a source: each HTML
response record becomes a Download, as if just fetched, without touching the network."""

import logging
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from services.fetch.client import Download
from services.fetch.content import header_charset, media_type

log = logging.getLogger("copydesk.fetch.warc")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MAX_RECORD_BYTES = 10 * 1024 * 1024


def warc_pages(path: Path | str, *, max_bytes: int = MAX_RECORD_BYTES) -> Iterator[Download]:
    """The HTML responses of a WARC file, bodies decoded (chunking and compression undone)."""
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, arc2warc=True):
            download = _download(record, max_bytes)
            if download is not None:
                yield download


def _download(record: ArcWarcRecord, max_bytes: int) -> Download | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    status = int(record.http_headers.get_statuscode() or 0)
    content_type = record.http_headers.get_header("Content-Type") or ""
    if not url.startswith("http") or status != 200 or media_type(content_type) not in HTML_TYPES:
        return None
    # content_stream() undoes chunked transfer and Content-Encoding, as a browser would.
    content = record.content_stream().read(max_bytes + 1)
    if len(content) > max_bytes:
        log.warning("WARC record for %s skipped: larger than %d bytes", url, max_bytes)
        return None
    headers = {name.lower(): value for name, value in record.http_headers.headers}
    return Download(url=url, final_url=url, status=status, headers=headers, content=content,
                    content_type=media_type(content_type),
                    declared_charset=header_charset(content_type), etag=headers.get("etag"),
                    last_modified=headers.get("last-modified"))
