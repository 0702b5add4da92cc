"""The benchmark's news site: one HTTP/1.1 server per loopback address, each page answered
after a fixed delay, every page request's arrival time kept for the per-host rate check.

    python bench/fetch/site.py --port 8765 --hosts 20 --delay 0.1

Hosts are 127.0.0.2 .. 127.0.0.(hosts+1). GET /__stats on any host returns the arrival times
(JSON: {host: [unix seconds, ...]}) of page requests; GET /__reset forgets them. Neither is
counted, nor is robots.txt (fetched once per host as part of its first visit).
"""

import argparse
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ["the", "minister", "said", "talks", "would", "resume", "on", "monday", "after", "a",
         "night", "of", "shelling", "near", "the", "border", "while", "aid", "convoys", "waited",
         "at", "the", "crossing", "and", "officials", "in", "the", "capital", "denied",
         "reports", "of", "a", "new", "offensive"]
ROBOTS = b"User-agent: *\nAllow: /\n"
arrivals: dict[str, list[float]] = {}
lock = threading.Lock()


def article(path: str) -> bytes:
    """A plausible ~8 KB article page, the same for the same path."""
    rng = random.Random(path)
    title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
    paragraphs = "".join("<p>" + " ".join(rng.choice(WORDS) for _ in range(60)).capitalize()
                         + ".</p>\n" for _ in range(20))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta property='og:type' content='article'></head><body><header><nav>"
            f"<a href='/'>Home</a><a href='/world'>World</a></nav></header><article>"
            f"<h1>{title}</h1>{paragraphs}</article><footer>(c) Bench Times</footer>"
            f"</body></html>").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes
    delay = 0.1

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        host = str(self.connection.getsockname()[0])  # the address this request came in on
        if self.path == "/__stats":
            with lock:
                return self._send(json.dumps(arrivals).encode(), "application/json")
        if self.path == "/__reset":
            with lock:
                arrivals.clear()
            return self._send(b"{}", "application/json")
        if self.path == "/robots.txt":  # part of a host's first visit, not one of its pages
            return self._send(ROBOTS, "text/plain")
        with lock:
            arrivals.setdefault(host, []).append(time.time())
        time.sleep(self.delay)
        self._send(article(self.path), "text/html; charset=utf-8")

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(port: int, hosts: int, delay: float) -> None:
    """Serve until killed."""
    Handler.delay = delay
    servers = []
    for n in range(2, hosts + 2):
        server = ThreadingHTTPServer((f"127.0.0.{n}", port), Handler)
        server.daemon_threads = True
        server.request_queue_size = 256
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.1)
    options = parser.parse_args()
    serve(options.port, options.hosts, options.delay)
