"""Local sources through the fetch stage and a real ledger: pages, feeds, WARCs, bad files."""

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from services.fetch.steps import accept_local
from shared import runtime
from shared.db import DeadLetterRecord
from shared.models import FetchJob, RawPage
from shared.settings import Settings


def write_warc(path: Path, pages: dict[str, bytes]) -> None:
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
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
