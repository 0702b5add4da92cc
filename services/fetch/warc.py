"""WARC files (.warc, .warc.gz; Common Crawl's CC-NEWS among them) as a source: each HTML
response record becomes a Download, as if just fetched, without touching the network.

An archive warcio cannot read (one gzip stream around every record, a broken header) raises
bad_archive once its good records are yielded; header lines and header blocks are bounded, so
a hostile archive costs no more memory than a good one.
"""

import logging
import zlib
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from services.fetch.client import Download
from services.fetch.content import header_charset, media_type
from shared.errors import PermanentError

log = logging.getLogger("copydesk.fetch.warc")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MAX_RECORD_BYTES = 10 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024  # one WARC or HTTP header line
MAX_HEADER_BYTES = 1024 * 1024  # the lines read one after another: a record's header block


class BoundedLines(DecompressingBufferedReader):
    """warcio's reader with bounded header reads: warcio reads a line whole, however long."""

    lines_read = 0  # bytes read by readline since the last read()

    def readline(self, length: int | None = None) -> bytes:
        line: bytes = super().readline(MAX_LINE_BYTES if length is None
                                       else min(length, MAX_LINE_BYTES))
        self.lines_read += len(line)
        if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
            raise ArchiveLoadFailed(f"a header line longer than {MAX_LINE_BYTES} bytes")
        if self.lines_read > MAX_HEADER_BYTES:
            raise ArchiveLoadFailed(f"record headers longer than {MAX_HEADER_BYTES} bytes")
        return line

    def read(self, length: int | None = None) -> bytes:
        self.lines_read = 0
        data: bytes = super().read(length)
        return data


def warc_pages(path: Path | str, *, max_bytes: int = MAX_RECORD_BYTES) -> Iterator[Download]:
    """The HTML responses of a WARC file, bodies decoded (chunking and compression undone);
    bad_archive, after the records read so far, where warcio cannot go on."""
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream, arc2warc=True)
        records.reader = BoundedLines(records.fh)  # nothing is read before the first record
        try:
            for record in records:
                download = _download(record, max_bytes)
                if download is not None:
                    yield download
        except (ArchiveLoadFailed, EOFError, zlib.error, ValueError) as error:
            raise PermanentError("bad_archive", f"{path}: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


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
