"""`copydesk run FEED` against trafilatura's CLI on real news pages, one loopback host each.

The development corpus's pages (fundus80: 80 real pages of 20 publishers) are served with a
latency per answer (default 50 ms), each page on its own loopback address (127.0.0.2, .3, ...)
with its own robots.txt, and listed in an RSS feed on 127.0.0.1. In one run, alternating:

- `copydesk run FEED` on a fresh SQLite database (the address guard lets 127.0.0.0/8 through
  via COPYDESK_ALLOWED_NETWORKS, nothing else changes), and
- `trafilatura -i urls.txt -o DIR --parallel 8 --with-metadata` (SLEEP_TIME 0) on the same URLs.

Each command is timed whole (start-up included) and its CPU is the rusage of the command and
every process it waited for (copydesk's pool children included). Then the per-stage CPU of the
in-process engine, from its step observer (CPU seconds of each step, wherever it ran).

    python bench/pipeline/real.py --corpus DIR [--corpus DIR2 --pages N] [--repeats 3]
        [--latency 0.05]

Prints a Markdown table; RESULTS.md keeps the figures with the command that made them.
"""

import argparse
import gzip
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bench.trafilatura_cli import _SETTINGS  # noqa: E402
from tests.support.services import RedisServer, postgres_database  # noqa: E402
from tests.support.workers import COPYDESK, environment, running_workers, wait_for  # noqa: E402

ROBOTS = b"User-agent: *\nAllow: /\n"


class Host(ThreadingHTTPServer):
    daemon_threads = True


def serve(address: str, routes: dict[str, tuple[str, bytes]], latency: float) -> Host:
    """A server on `address` answering `routes` (path -> (type, body)) after `latency` s."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(latency)
            kind, body = routes.get(self.path.split("?")[0], ("text/plain", b""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = Host((address, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def corpus_pages(corpora: list[Path], limit: int) -> list[Path]:
    """The first `limit` pages (0: all) of the corpora, each corpus's pages in name order."""
    pages = [path for corpus in corpora for path in sorted(corpus.glob("*.html.gz"))]
    return pages[:limit] if limit else pages


def start_site(pages: list[Path], latency: float) -> tuple[str, list[str], list[Host]]:
    """One host per page plus a feed host: the feed's URL, the article URLs, the servers."""
    if len(pages) > 250:
        raise SystemExit("one loopback address a page: at most 250 pages")
    servers, urls = [], []
    for number, path in enumerate(pages, 2):
        html = gzip.decompress(path.read_bytes())
        # A slug of the file's name: some of trafilatura-eval's hold spaces and non-ASCII.
        page = "/news/" + re.sub(r"[^a-z0-9.-]+", "-", path.name.removesuffix(".html.gz").lower())
        server = serve(f"127.0.0.{number}", {page: ("text/html; charset=utf-8", html),
                                               "/robots.txt": ("text/plain", ROBOTS)}, latency)
        servers.append(server)
        urls.append(f"http://127.0.0.{number}:{server.server_address[1]}{page}")
    items = "".join(f"<item><title>{n}</title><link>{escape(u)}</link></item>"
                    for n, u in enumerate(urls))
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>'
            f"{items}</channel></rss>").encode()
    host = serve("127.0.0.1", {"/feed.xml": ("application/rss+xml", feed),
                               "/robots.txt": ("text/plain", ROBOTS)}, latency)
    servers.append(host)
    return f"http://127.0.0.1:{host.server_address[1]}/feed.xml", urls, servers


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, waited-for children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def copydesk_run(feed: str, work: Path, extra_path: str) -> tuple[float, float, int]:
    folder = Path(tempfile.mkdtemp(dir=work))
    env = environment(f"sqlite:///{folder / 'copydesk.db'}", "redis://127.0.0.1:1/0",
                      COPYDESK_HOST_RATE="1", COPYDESK_FETCH_DEADLINE="30",
                      COPYDESK_READ_TIMEOUT="15", COPYDESK_CONNECT_TIMEOUT="5")
    if extra_path:
        env["PYTHONPATH"] = extra_path
    seconds, cpu = timed([COPYDESK, "run", feed], folder, env)
    exported = subprocess.run([COPYDESK, "export"], cwd=folder, env=env, check=True,
                              capture_output=True, text=True).stdout
    return seconds, cpu, len(exported.splitlines())


def distributed_run(feed: str, work: Path) -> tuple[float, float, int]:
    """The four stage workers (as compose starts them) over a Redis and a PostgreSQL database
    of their own, timed from `copydesk submit FEED` to the last job's close in the ledger
    (`status --wait`, polling once a second, says when to look). CPU is not measured here (the
    workers' trees outlive the command): 0."""
    folder = Path(tempfile.mkdtemp(dir=work))
    redis = RedisServer(folder / "redis").start()
    try:
        with postgres_database() as database:
            env = environment(database, redis.url, COPYDESK_HOST_RATE="1")
            with running_workers(env, folder):
                for stage in ("fetch", "clean", "extract", "store"):
                    wait_for(partial(_ready, folder / f"worker-{stage}.log"), 180,
                             f"the {stage} worker")
                started = time.time()
                subprocess.run([COPYDESK, "submit", feed], cwd=folder, env=env, check=True,
                               capture_output=True)
                subprocess.run([COPYDESK, "status", "--wait", "--timeout", "600"], cwd=folder,
                               env=env, check=True, capture_output=True)
                seconds = _last_close(database) - started
                exported = subprocess.run([COPYDESK, "export"], cwd=folder, env=env,
                                          check=True, capture_output=True, text=True).stdout
    finally:
        redis.stop(kill=True)
    return seconds, 0.0, len(exported.splitlines())


def _last_close(database: str) -> float:
    """When the ledger's last job closed (Unix seconds): the pipeline's end, whatever the
    polling of the command that waited for it."""
    from sqlalchemy import text

    from shared.db import engine_for

    engine = engine_for(database)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT max(updated_at) FROM jobs")).scalar().timestamp()
    finally:
        engine.dispose()


def _ready(log: Path) -> bool:
    return log.exists() and " ready." in log.read_text(errors="replace")


def trafilatura_run(urls: list[str], work: Path) -> tuple[float, float, int]:
    folder = Path(tempfile.mkdtemp(dir=work))
    (folder / "urls.txt").write_text("\n".join(urls) + "\n")
    (folder / "settings.cfg").write_text("\n".join([*_SETTINGS, "SLEEP_TIME = 0"]) + "\n")
    binary = shutil.which("trafilatura", path=str(Path(sys.executable).parent)) or "trafilatura"
    seconds, cpu = timed([binary, "-i", "urls.txt", "-o", "out", "--parallel", "8",
                          "--with-metadata", "--config-file", "settings.cfg"], folder,
                         dict(os.environ))
    return seconds, cpu, sum(1 for path in (folder / "out").rglob("*") if path.is_file())


def stage_cpu(feed: str, work: Path) -> dict[str, float]:
    """CPU seconds per stage of one in-process run (in this process and its pool)."""
    os.environ.update(environment(f"sqlite:///{work / 'stages.db'}", "redis://127.0.0.1:1/0",
                                  COPYDESK_HOST_RATE="1"))
    from copydesk.pipeline import InProcess
    from copydesk.sources import source_from_argument
    from shared.settings import get_settings

    get_settings.cache_clear()
    seconds: dict[str, float] = defaultdict(float)

    def observe(stage: str, _: object, spent: float) -> None:
        seconds[stage] += spent

    summary = InProcess(get_settings(), observer=observe).run([source_from_argument(feed)])
    return {stage: 1000 * spent / max(1, summary.stored) for stage, spent in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True,
                        help="a folder of .html.gz pages (fundus80/html, trafilatura-eval/pages);"
                             " repeat it for several")
    parser.add_argument("--pages", type=int, default=0,
                        help="the first N pages of the corpora in the order given (0: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--distributed", action="store_true",
                        help="also the four workers over Redis and PostgreSQL (timed from "
                             "submit, workers already up)")
    parser.add_argument("--copydesk-path", default="",
                        help="PYTHONPATH for copydesk (another checkout, for a before figure)")
    options = parser.parse_args()
    feed, urls, _servers = start_site(corpus_pages(options.corpus, options.pages),
                                      options.latency)
    rows: dict[str, list[tuple[float, float, int]]] = {"copydesk": [], "trafilatura": []}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for _ in range(options.repeats):
            rows["copydesk"].append(copydesk_run(feed, work, options.copydesk_path))
            rows["trafilatura"].append(trafilatura_run(urls, work))
            if options.distributed:
                rows.setdefault("distributed", []).append(distributed_run(feed, work))
        stages = {} if options.copydesk_path else stage_cpu(feed, work)
    print(f"{len(urls)} pages, one host each, {1000 * options.latency:.0f} ms latency, "
          f"median of {options.repeats}\n")
    print("| command | seconds | pages/s | CPU ms/page | pages written |")
    print("| --- | --- | --- | --- | --- |")
    rates = {}
    for name, runs in rows.items():
        seconds = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        done = statistics.median(r[2] for r in runs)
        rates[name] = len(urls) / seconds
        print(f"| {name} | {seconds:.1f} | {rates[name]:.1f} | {1000 * cpu / len(urls):.0f} "
              f"| {done:.0f} |")
    print(f"\ncopydesk / trafilatura pages/s: {rates['copydesk'] / rates['trafilatura']:.2f}x")
    if "distributed" in rates:
        print(f"distributed / copydesk run pages/s: "
              f"{rates['distributed'] / rates['copydesk']:.2f}x")
    if stages:
        print("\n| stage | CPU ms/article |\n| --- | --- |")
        for stage, ms in stages.items():
            print(f"| {stage} | {ms:.1f} |")
        print(f"| all | {sum(stages.values()):.1f} |")


if __name__ == "__main__":
    main()
