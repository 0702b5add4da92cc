"""Local files as sources: pages (.html, .htm, .txt), feeds or sitemaps (.xml), each also
gzipped (.html.gz, ...), and WARC archives (.warc, .warc.gz: see warc.py)."""

import gzip
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
    """The file itself, or every page, feed, sitemap or WARC file under a folder, sorted."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no such file or folder: {path}")
    return sorted(p for p in path.rglob("*")
                  if p.is_file() and (kind(p) in SUFFIXES or is_warc(p))
                  and not _hidden(p, path))


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


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


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
    if path.stat().st_size > MAX_FILE_BYTES:
        raise PermanentError("too_large", f"{path} is larger than {MAX_FILE_BYTES} bytes")
    if path.suffix.lower() != GZIP:
        return path.read_bytes()
    try:  # read one byte past the limit: a small file that inflates without end stops there
        with gzip.open(path, "rb") as stream:
            content = stream.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise PermanentError("unparseable", f"{path}: not a readable gzip file: {error}") \
            from error
    if len(content) > MAX_FILE_BYTES:
        raise PermanentError("too_large", f"{path} inflates past {MAX_FILE_BYTES} bytes")
    return content
