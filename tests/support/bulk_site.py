"""A local news site of N generated article pages, for fault tests and the throughput benchmark.

    with BulkSite(pages=300) as site:
        site.url("/sitemap.xml")  # every article (and /poison when asked), one <url> each

Pages are `/a/<n>` (n = 0 .. pages-1): a title, a byline, JSON-LD and Open Graph metadata, a
canonical link, site furniture (navigation, cookie banner, related links, footer) and paragraphs
that differ from page to page, so no two pages look like duplicates. `/feed.xml` is an RSS feed
of the same pages, `/poison` an ordinary-looking article that the fault tests name in
COPYDESK_DEBUG_KILL_AT. Every response can be delayed, and the server counts what it served.
"""

import json
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from xml.sax.saxutils import escape

POISON_PATH = "/poison"
POISON_NUMBER = 10**6  # the poison page's text is generated like page 1,000,000's
HTML = "text/html; charset=utf-8"
_EPOCH = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
# Text is made of invented words between English function words, so that no two pages share
# phrases: the store's duplicate and same-story detection must see 300 different stories.
_ONSETS = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "pl",
           "r", "s", "sh", "st", "t", "tr", "v", "w", "z"]
_VOWELS = ["a", "e", "i", "o", "u", "ea", "ai", "ou", "ie"]
_CODAS = ["", "n", "r", "l", "s", "t", "nd", "rt", "st", "m", "ck", "rn"]
_GLUE = ["the", "of", "and", "in", "to", "a", "was", "that", "on", "for", "with", "by", "at",
         "from", "had", "after", "which", "their", "its", "were"]
_SAYS = ["said", "says", "would", "could", "also", "about", "over", "into", "before", "than"]
_TOPICS = ["Politics", "World", "Economy", "Climate", "Health", "Science", "Culture"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                   for _ in range(rng.randint(1, 3)))


def _name(rng: random.Random) -> str:
    return f"{_word(rng).capitalize()} {_word(rng).capitalize()}"


def _sentence(rng: random.Random, n: int) -> str:
    """A sentence-shaped run of invented words and English glue, with a name or a number."""
    words = [_word(rng) for _ in range(rng.randint(9, 16))]
    for index in sorted(rng.sample(range(1, len(words)), len(words) // 3), reverse=True):
        words.insert(index, rng.choice(_GLUE))
    if rng.random() < 0.5:
        words.insert(rng.randrange(1, len(words)), rng.choice(_SAYS) + " " + _name(rng))
    else:
        words.insert(rng.randrange(1, len(words)), f"{rng.randint(2, 9999)} ({n})")
    return " ".join(words).capitalize() + "."


def article_meta(n: int) -> dict[str, str]:
    """Title, author, topic and publication time of page n (the same on every call)."""
    rng = random.Random(n)
    title = f"{_name(rng)} says the {_word(rng)} of {_word(rng).capitalize()} will {_word(rng)}"
    published = _EPOCH + timedelta(minutes=17 * n)
    return {"title": f"{title} (report {n})", "author": _name(rng),
            "topic": rng.choice(_TOPICS), "published": published.isoformat()}


def article_html(base: str, path: str, n: int) -> str:
    """A realistic news article page: metadata, furniture and 8-14 distinct paragraphs."""
    meta = article_meta(n)
    rng = random.Random(f"body-{n}")
    paragraphs = "\n".join(
        "<p>" + " ".join(_sentence(rng, n) for _ in range(rng.randint(3, 6))) + "</p>"
        for _ in range(rng.randint(8, 14)))
    related = "".join(f'<li><a href="/a/{(n + k) % 997}">{article_meta((n + k) % 997)["title"]}'
                      f"</a></li>" for k in (1, 2, 3))
    ld = json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": meta["title"],
        "datePublished": meta["published"], "dateModified": meta["published"],
        "author": {"@type": "Person", "name": meta["author"]},
        "publisher": {"@type": "Organization", "name": "The Bulk Courier"},
        "mainEntityOfPage": base + path, "articleSection": meta["topic"],
        "inLanguage": "en"})
    title = escape(meta["title"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | The Bulk Courier</title>
<link rel="canonical" href="{base}{path}">
<meta name="description" content="{escape(_sentence(random.Random(n), n))}">
<meta property="og:type" content="article"><meta property="og:title" content="{title}">
<meta property="og:site_name" content="The Bulk Courier">
<meta property="article:published_time" content="{meta['published']}">
<meta name="author" content="{meta['author']}">
<script type="application/ld+json">{ld}</script>
</head><body>
<div class="cookie-banner">We use cookies to improve your experience. <a href="/privacy">Learn
more</a> <button>Accept all</button></div>
<header><a class="logo" href="/">The Bulk Courier</a><nav><ul><li><a href="/">Home</a></li>
<li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/economy">Economy</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav>
</header>
<main><article>
<p class="kicker">{meta['topic']}</p><h1>{title}</h1>
<p class="byline">By <span class="author">{meta['author']}</span>, <time
datetime="{meta['published']}">{meta['published'][:10]}</time></p>
{paragraphs}
</article>
<aside><h2>Related</h2><ul>{related}</ul>
<div class="newsletter">Sign up for our morning briefing. <a href="/newsletter">Subscribe</a>
</div></aside></main>
<footer><p>&copy; 2024 The Bulk Courier. All rights reserved.</p><a href="/terms">Terms</a>
<a href="/privacy">Privacy</a><a href="/contact">Contact us</a></footer>
</body></html>"""


class BulkSite:
    """A ThreadingHTTPServer in a thread serving the generated site on a free loopback port."""

    def __init__(self, pages: int, *, delay: float = 0.0, poison: bool = False,
                 host: str = "127.0.0.1", port: int = 0):
        self.pages = pages
        self.delay = delay
        self.poison = poison
        self.served: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._server.request_queue_size = 512
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def article_urls(self) -> list[str]:
        """Every article URL the sitemap and the feed list (the poison page too, if on)."""
        urls = [self.url(f"/a/{n}") for n in range(self.pages)]
        return [*urls, self.url(POISON_PATH)] if self.poison else urls

    def __enter__(self) -> "BulkSite":
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def respond(self, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for a path."""
        path = path.split("?", 1)[0]
        if path == "/robots.txt":
            robots = f"User-agent: *\nAllow: /\nSitemap: {self.url('/sitemap.xml')}\n"
            return 200, "text/plain", robots.encode()
        if path == "/sitemap.xml":
            return 200, "application/xml", self._sitemap().encode()
        if path == "/feed.xml":
            return 200, "application/rss+xml", self._feed().encode()
        if path == POISON_PATH and self.poison:
            return 200, HTML, article_html(self.base_url, path, POISON_NUMBER).encode()
        if path.startswith("/a/") and path[3:].isdigit() and int(path[3:]) < self.pages:
            n = int(path[3:])
            return 200, HTML, article_html(self.base_url, path, n).encode()
        return 404, "text/html", b"<html><body><h1>Not found</h1></body></html>"

    def _sitemap(self) -> str:
        entries = "".join(f"<url><loc>{escape(url)}</loc><lastmod>{_EPOCH.date()}</lastmod></url>"
                          for url in self.article_urls())
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                f'"http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')

    def _feed(self) -> str:
        numbers = [*range(self.pages), *([POISON_NUMBER] if self.poison else [])]
        items = [f"<item><title>{escape(article_meta(n)['title'])}</title>"
                 f"<link>{escape(url)}</link><guid>{escape(url)}</guid></item>"
                 for n, url in zip(numbers, self.article_urls(), strict=True)]
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                f"<title>The Bulk Courier</title><link>{self.base_url}/</link>"
                f"<description>Every article</description>{''.join(items)}</channel></rss>")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if site.delay:
                    time.sleep(site.delay)
                status, content_type, body = site.respond(self.path)
                with site._lock:
                    site.served[self.path] += 1
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
