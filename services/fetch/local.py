"""Local files as sources: pages (.html, .htm, .txt), feeds or sitemaps (.xml), each also
gzipped (.html.gz, ...), and WARC archives (.warc, .warc.gz: see warc.py)."""

import gzip
import io
import os
import stat
import zlib
from pathlib import Path

from services.fetch.charset import decode_bytes
from services.fetch.client import Download
from services.fetch.discover import Discovery, read_source
from shared.errors import PermanentError
from shared.models import RawPage, utcnow

PAGE_SUFFIXES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain"}
SUFFIXES = frozenset({*PAGE_SUFFIXES, ".xml"})
WARC_SUFFIXES = (".warc", ".warc.gz")
MAX_FILE_BYTES = 50 * 1024 * 1024
GZIP = ".gz"


def local_files(path: Path) -> list[Path]:
    """The file itself, or every page, feed, sitemap or WARC file under a folder, sorted.

    Only regular files inside the folder: a link out of it (to a secret, to /proc/self/environ,
    to another folder) is skipped, so a folder source cannot read what its owner did not put in.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no such file or folder: {path}")
    root = path.resolve()
    found = []
    for folder, subfolders, names in os.walk(path):  # links to folders are not entered
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += [Path(folder, name) for name in names if not name.startswith(".")
                  and (kind(Path(name)) in SUFFIXES or is_warc(Path(name)))
                  and _regular_inside(Path(folder, name), root)]
    return sorted(found)


def _regular_inside(path: Path, root: Path) -> bool:
    target = path.resolve()
    return target.is_relative_to(root) and stat.S_ISREG(os.stat(target).st_mode)


def kind(path: Path) -> str:
    """The suffix that says what a file holds, under a .gz if it has one: '.html', '.xml'."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == GZIP:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def is_feed(path: Path) -> bool:
    """Whether a local file is a feed or sitemap (.xml or .xml.gz)."""
    return kind(path) == ".xml"


def is_warc(path: Path) -> bool:
    """Whether a file is a WARC archive, by its name."""
    return path.name.lower().endswith(WARC_SUFFIXES)


def local_page(path: Path, *, job_id: str, source: str) -> RawPage:
    """A local page as a RawPage whose url is the path as given."""
    content_type = PAGE_SUFFIXES.get(kind(path))
    if content_type is None:
        raise PermanentError("not_html", f"{path} is not an .html, .htm or .txt file (or .gz)")
    body, encoding = decode_bytes(_read(path))
    return RawPage(job_id=job_id, source=source, url=str(path), final_url=str(path),
                   content_type=content_type, encoding=encoding, body=body,
                   fetched_at=utcnow())


def discover_local(path: Path) -> Discovery:
    """A local feed or sitemap's URLs (nothing is fetched: a sitemap index yields none)."""
    download = Download(url=str(path), final_url=path.resolve().as_uri(), status=200,
                        content=_read(path), content_type="application/xml")
    return read_source(download, None)


def _read(path: Path) -> bytes:
    """A file's bytes, inflated when gzipped; never more than MAX_FILE_BYTES."""
    content = _read_regular(path)
    if path.suffix.lower() != GZIP:
        return content
    try:  # read one byte past the limit: a small file that inflates without end stops there
        with gzip.open(io.BytesIO(content), "rb") as stream:
            inflated = stream.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise PermanentError("unparseable", f"{path}: not a readable gzip file: {error}") \
            from error
    if len(inflated) > MAX_FILE_BYTES:
        raise PermanentError("too_large", f"{path} inflates past {MAX_FILE_BYTES} bytes")
    return inflated


def _read_regular(path: Path) -> bytes:
    """A regular file's bytes, checked on the open file (the path may have changed since)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # a FIFO must not block the worker
    with open(os.open(path.resolve(), flags), "rb") as stream:
        found = os.fstat(stream.fileno())
        if not stat.S_ISREG(found.st_mode):
            raise PermanentError("not_regular_file", f"{path} is not a regular file")
        if found.st_size > MAX_FILE_BYTES:
            raise PermanentError("too_large", f"{path} is larger than {MAX_FILE_BYTES} bytes")
        return stream.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
