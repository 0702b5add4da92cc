"""Warming a worker up before it takes work: every lazily loaded module, table and cache.

A stage loads much on its first page (the gazetteer and GeoNames places, the extractors'
modules, compiled patterns, MinHash permutations). Done at start, in the worker's main process
before its pool forks, that memory is paid once, shared copy-on-write by the pool's children,
and counted in the worker's size at start rather than as growth during its first pages
(bench/pipeline measures both). A data file missing from an image fails the worker at start,
not on its first job. The database schema is migrated here too, when the database answers.
"""

import gc
import logging
import time

from justext.core import define_stoplist
from sqlalchemy.exc import SQLAlchemyError
from trafilatura import external

from services.clean.clean import clean
from services.extract.extract import extract
from services.store.dedupe import signature
from shared import runtime
from shared.models import RawPage

log = logging.getLogger("copydesk.worker")

# A page with what the stages look for: metadata, a byline, furniture, people, places,
# organisations and a quote, so each lazy load happens here and not on a real job.
SAMPLE_URL = "https://warmup.copydesk.invalid/news/2024/11/15/warm-up"
SAMPLE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Council approves new flood defences for Leeds | The Warm-up Courier</title>
<link rel="canonical" href="https://warmup.copydesk.invalid/news/2024/11/15/warm-up">
<meta property="og:title" content="Council approves new flood defences for Leeds">
<meta property="og:site_name" content="The Warm-up Courier">
<meta name="author" content="Jane Example">
<meta property="article:published_time" content="2024-11-15T06:00:00+00:00">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Council approves new flood defences for Leeds",
 "datePublished": "2024-11-15T06:00:00Z", "author": {"@type": "Person", "name": "Jane Example"}}
</script></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience.</div>
<article><h1>Council approves new flood defences for Leeds</h1>
<p class="byline">By Jane Example, Political Correspondent</p>
<time datetime="2024-11-15T06:00:00Z">15 November 2024</time>
<div class="article-body">
<p>Leeds City Council has approved a £40m scheme of flood defences along the River Aire, after
two winters in which homes in Kirkstall and the city centre were flooded.</p>
<p>"We cannot ask people to live with the fear of the next storm," said James Lewis, the
council's leader, at a meeting on Thursday. The Environment Agency will pay half of the cost.</p>
<p>Work is due to start in the spring and to end in 2027, when the walls and a new storage
basin upstream should protect about 3,000 homes and 500 businesses in West Yorkshire.</p>
<p>The scheme follows similar defences in York and Manchester, and the government in London
has promised further money for towns in the north of England and in Wales.</p>
<p>Residents in Kirkstall, where the river burst its banks in 2015, welcomed the decision but
asked that the work should not close the main road into the city for months at a time.</p>
</div></article>
<aside class="related"><h2>Related</h2><ul><li><a href="/a">More news</a></li></ul></aside>
<div class="newsletter">Sign up to our morning briefing</div>
<footer>© The Warm-up Courier. All rights reserved.</footer></body></html>"""


def sample_page() -> RawPage:
    return RawPage(job_id="warm-up", source="warm-up", url=SAMPLE_URL, final_url=SAMPLE_URL,
                   content_type="text/html; charset=utf-8", body=SAMPLE_HTML)


def warm(stage: str) -> None:
    """Run `stage`'s own work (no ledger, no queue) on the sample page once."""
    started = time.perf_counter()
    warm_stages(stage)
    _migrated()
    gc.freeze()  # what is loaded now lives as long as the worker: no collection scans it again
    log.info("%s worker warmed up in %.0f ms", stage, 1000 * (time.perf_counter() - started))


def warm_stages(stage: str = "all") -> None:
    """Load what `stage`'s work loads on first use, by doing it once on the sample page."""
    if stage in ("clean", "extract", "all"):
        page = clean(sample_page())
        _justext_stoplist()
        if stage != "clean":
            extract(page)
    if stage in ("store", "all"):
        signature(SAMPLE_HTML)


def _justext_stoplist() -> None:
    """trafilatura's last fallback (jusText) builds one stoplist of all languages on its first
    use: 0.15-0.5 s of CPU a process, for the few pages that reach it (4 of fundus80's 80)."""
    define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())


def _migrated() -> None:
    """Bring the database's schema up to date now (Alembic, ~20 MB a process when loaded), and
    close the connections that took, so that none is shared with the pool's children."""
    try:
        runtime.ledger().engine.dispose()
    except SQLAlchemyError as error:  # the database may come up later: the first job migrates
        log.warning("database not reachable at start (%s); the first job will migrate it",
                    type(error).__name__)
