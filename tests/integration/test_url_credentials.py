"""Credentials in URLs (user:password@host) through `copydesk run`: in no output, log, database
row or raw page kept; the payloads that cross the queues hold none either."""

import contextlib
import sqlite3
import zlib
from pathlib import Path

from tests.integration.test_fetch_hostile import LocalServer, Route, page, redirect
from tests.support.workers import copydesk, environment

ARTICLE = ("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
           + "<p>The council approved the new harbour budget on Monday evening after a long "
           "debate about the costs of repairing the sea wall before the winter storms.</p>" * 3
           + "</article></body></html>")


def routes(port: int) -> dict[str, Route]:
    base = f"127.0.0.1:{port}"
    feed = ('<rss version="2.0"><channel><title>t</title>' + "".join(
        f"<item><title>{name}</title><link>{link}</link></item>" for name, link in [
            ("one", f"http://reader:item-secret@{base}/a/story-one"),
            ("gone", f"http://reader:item-secret@{base}/a/missing"),
            ("moved", f"http://{base}/a/moved")]) + "</channel></rss>").encode()
    return {
        "/feed.xml": page(feed, "application/rss+xml"),
        "/a/story-one": page(ARTICLE.format(title="Harbour budget approved").encode()),
        "/a/moved": redirect(f"http://reader:redirect-secret@{base}/a/story-two"),
        "/a/story-two": page(ARTICLE.format(title="Sea wall repairs begin").encode()),
    }


def test_no_credential_is_shown_or_stored(tmp_path: Path) -> None:
    server = LocalServer({})
    server.routes.update(routes(server.port))
    database = tmp_path / "copydesk.db"
    env = environment(f"sqlite:///{database}", "redis://127.0.0.1:1/0")
    with server:
        source = f"http://owner:source-secret@127.0.0.1:{server.port}/feed.xml"
        ran = copydesk("run", source, env=env, cwd=tmp_path)
    shown = [ran.stdout, ran.stderr]
    for command in (["dead-letters"], ["export"], ["status"]):
        done = copydesk(*command, env=env, cwd=tmp_path)
        shown += [done.stdout, done.stderr]
    assert "Harbour budget approved" in ran.stdout and "Sea wall repairs begin" in ran.stdout
    assert "http_404" in ran.stdout
    assert not [text for text in shown if "secret" in text]
    assert not [value for value in stored_values(database) if "secret" in value]


def stored_values(database: Path) -> list[str]:
    """Every value in every table, compressed payloads unpacked."""
    values = []
    with sqlite3.connect(database) as connection:
        tables = [row[0] for row in connection.execute(
            "select name from sqlite_master where type = 'table'")]
        for table in tables:
            for row in connection.execute(f'select * from "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        with contextlib.suppress(zlib.error):  # not every blob is packed
                            value = zlib.decompress(value)
                        value = value.decode("utf-8", "replace")
                    values.append(str(value))
    assert any("story-one" in value for value in values)  # the archive was read
    return values
