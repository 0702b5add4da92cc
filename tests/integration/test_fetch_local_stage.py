"""Local sources through the fetch stage and a real ledger: pages, feeds, WARCs, bad files."""

import gzip
import io
import subprocess
import sys
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from services.fetch.steps import accept_local
from shared import runtime
from shared.db import DeadLetterRecord
from shared.models import FetchJob, RawPage
from shared.settings import Settings


def write_warc(path: Path, pages: dict[str, bytes], compress: bool = True) -> None:
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=compress)
        for url, body in pages.items():
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http))


def test_a_folder_of_local_sources(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("A plain story.\n\nSecond paragraph.")
    (folder / "b.html").write_text("<html><body><p>An HTML story.</p></body></html>")
    (folder / "c.xml").write_text(
        "<rss version='2.0'><channel><item><title>T</title>"
        "<link>https://n.example/2024/05/01/feed-story</link></item></channel></rss>")
    (folder / "d.xml").write_text('<!DOCTYPE r [<!ENTITY a "a">]><rss>&a;</rss>')
    write_warc(folder / "e.warc.gz", {"https://n.example/warc-one": b"<p>one</p>",
                                      "https://n.example/warc-two?utm_source=x": b"<p>two</p>"})
    ledger = runtime.ledger(Settings(database_url=f"sqlite:///{tmp_path / 'local.db'}"))

    payloads = accept_local(str(folder), "files", ledger)

    pages = [p for p in payloads if isinstance(p, RawPage)]
    jobs = [p for p in payloads if isinstance(p, FetchJob)]
    assert [p.url for p in pages] == [str(folder / "a.txt"), str(folder / "b.html"),
                                      "https://n.example/warc-one", "https://n.example/warc-two"]
    assert pages[0].content_type == "text/plain"
    assert [j.url for j in jobs] == ["https://n.example/2024/05/01/feed-story"]
    with ledger.session() as session:
        letters = session.query(DeadLetterRecord).all()
        assert [(letter.url, letter.reason) for letter in letters] == [
            (str(folder / "d.xml"), "xml_unsafe")]
    # A second look accepts nothing new from the WARC: its URLs were seen.
    again = accept_local(str(folder / "e.warc.gz"), "files", ledger)
    assert again == []


def test_an_archive_warcio_cannot_read_is_a_dead_letter_and_the_rest_is_accepted(
        tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("A plain story.\n\nSecond paragraph.")
    # Every record in one gzip stream (warcio wants one per record): ArchiveLoadFailed.
    write_warc(folder / "plain.warc", {"https://n.example/one-stream-1": b"<p>one</p>",
                                       "https://n.example/one-stream-2": b"<p>two</p>"},
               compress=False)
    (folder / "b.warc.gz").write_bytes(gzip.compress((folder / "plain.warc").read_bytes()))
    (folder / "plain.warc").unlink()
    (folder / "c.html").write_text("<html><body><p>After the archive.</p></body></html>")
    ledger = runtime.ledger(Settings(database_url=f"sqlite:///{tmp_path / 'local.db'}"))

    payloads = accept_local(str(folder), "files", ledger)

    assert [p.url for p in payloads if isinstance(p, RawPage)] == [
        str(folder / "a.txt"), "https://n.example/one-stream-1", str(folder / "c.html")]
    with ledger.session() as session:
        [letter] = session.query(DeadLetterRecord).all()
    assert (letter.url, letter.reason) == (str(folder / "b.warc.gz"), "bad_archive")
    assert "gzip" in letter.message.lower()


READ_HUGE_HEADER = """
import re, sys, time
from services.fetch.warc import warc_pages
from shared.errors import PermanentError
started = time.perf_counter()
try:
    list(warc_pages(sys.argv[1]))
    outcome = "read"
except PermanentError as error:
    outcome = error.reason
# VmHWM, not ru_maxrss: that one keeps the peak of the parent this process was forked from.
peak = re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1]
print(outcome, time.perf_counter() - started, peak)
"""


def test_a_one_gib_header_line_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge-line.warc.gz"
    line = b"a" * (16 * 1024 * 1024)
    with gzip.open(path, "wb", compresslevel=1) as out:  # 1 GiB of header, 1 MB on disk
        out.write(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://n.example/")
        for _ in range(64):
            out.write(line)
        out.write(b"\r\n\r\n")
    done = subprocess.run([sys.executable, "-c", READ_HUGE_HEADER, str(path)], check=True,
                          capture_output=True, text=True, timeout=300)
    outcome, seconds, peak_kb = done.stdout.split()
    print(f"1 GiB header line: {outcome} after {float(seconds):.2f} s, "
          f"peak {int(peak_kb) // 1024} MB")
    # Measured 0.0 s and about 60 MB (the interpreter and warcio); it was 1.08 GB before.
    assert outcome == "bad_archive" and int(peak_kb) < 200 * 1024 and float(seconds) < 60
