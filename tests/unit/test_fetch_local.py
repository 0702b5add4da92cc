"""Local files and WARC records as sources."""

import gzip
import io
import os
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from services.fetch.local import discover_local, local_files, local_page
from services.fetch.warc import warc_pages
from shared.errors import PermanentError


def test_local_files_sorted_recursive_and_filtered(tmp_path: Path) -> None:
    for name in ["b.html", "a.txt", "sub/c.htm", "sub/d.xml", "e.pdf", ".hidden/f.html"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in local_files(tmp_path)] == [
        "a.txt", "b.html", "sub/c.htm", "sub/d.xml"]
    assert local_files(tmp_path / "e.pdf") == [tmp_path / "e.pdf"]
    with pytest.raises(FileNotFoundError):
        local_files(tmp_path / "missing")


def test_local_pages(tmp_path: Path) -> None:
    text = tmp_path / "story.txt"
    text.write_bytes("Première ligne.\n\nDeuxième paragraphe.".encode("cp1252"))
    page = local_page(text, job_id="j1", source="files")
    assert (page.url, page.content_type, page.body) == (
        str(text), "text/plain", "Première ligne.\n\nDeuxième paragraphe.")
    html = tmp_path / "story.html"
    html.write_bytes('<meta charset="utf-8"><p>café</p>'.encode())
    page = local_page(html, job_id="j2", source="files")
    assert (page.content_type, page.encoding, page.body) == (
        "text/html", "utf-8", "<meta charset=\"utf-8\"><p>café</p>")
    with pytest.raises(PermanentError, match="not_html"):
        local_page(tmp_path / "x.pdf", job_id="j3", source="files")


def test_local_feed(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<rss version='2.0'><channel><item><title>T</title>"
                     b"<link>https://n.example/2024/05/01/story</link></item></channel></rss>")
    found = discover_local(feed)
    assert (found.kind, [u.url for u in found.urls]) == (
        "rss", ["https://n.example/2024/05/01/story"])


def test_local_xml_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(b'<!DOCTYPE r [<!ENTITY a "a">]><rss>&a;</rss>')
    with pytest.raises(PermanentError, match="xml_unsafe"):
        discover_local(bomb)


def _record(writer: WARCWriter, url: str, body: bytes, content_type: str,
            status: str = "200 OK", encoding: str | None = None) -> None:
    headers = [("Content-Type", content_type), ("ETag", '"v1"')]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                  http_headers=http))


def test_warc_pages(tmp_path: Path) -> None:
    path = tmp_path / "news.warc.gz"
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        _record(writer, "https://n.example/a", "<p>été</p>".encode("cp1252"),
                "text/html; charset=windows-1252")
        _record(writer, "https://n.example/b", gzip.compress(b"<p>zipped</p>"), "text/html",
                encoding="gzip")
        _record(writer, "https://n.example/c.png", b"\x89PNG", "image/png")
        _record(writer, "https://n.example/d", b"gone", "text/html", status="404 Not Found")
    pages = list(warc_pages(path))
    assert [p.url for p in pages] == ["https://n.example/a", "https://n.example/b"]
    assert pages[0].declared_charset == "windows-1252"
    assert pages[0].etag == '"v1"'
    assert pages[1].content == b"<p>zipped</p>"


def test_a_folder_source_reads_only_regular_files_inside_it(tmp_path: Path) -> None:
    folder, outside = tmp_path / "pages", tmp_path / "secret"
    (folder / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "creds.txt").write_text("password=hunter2")
    (outside / "leak.html").write_text("<p>secret</p>")
    (folder / "story.html").write_text("<p>news</p>")
    (folder / "notes.txt").symlink_to(outside / "creds.txt")
    (folder / "env.txt").symlink_to("/proc/self/environ")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    (folder / "sub" / "same.html").symlink_to(folder / "story.html")  # inside: kept
    os.mkfifo(folder / "pipe.html")
    found = [p.relative_to(folder).as_posix() for p in local_files(folder)]
    assert found == ["story.html", "sub/same.html"]


def test_reading_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.html")
    with pytest.raises(PermanentError, match="not_regular_file"):
        local_page(tmp_path / "pipe.html", job_id="j", source="files")
