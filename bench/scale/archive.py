"""A synthetic archive shaped like a real one, made in worker processes and COPYed in.

Article n is about one of the first n // 5 + 1 stories (so any prefix has about one story per
five articles) of one of 300 topics (bench/dedupe's news-shaped texts), opens with a sentence
of a real article from the development corpus, names its story's people and places, and comes
from one of 100 sources, published over one year in the order of n. About 5% are syndicated
copies of an earlier article (bench/dedupe's `edit`), 5% have a second revision, 2% are live
blogs with 12 entries. Each stored article has its job and its kept raw page; about 3% of
jobs more end as dead letters and 0.2% are still open (half with a lease run out). Everything
about article n comes from seeds of n, so any process can make any article again.
"""

import hashlib
import importlib.util
import json
import random
import sys
import zlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("dedupe_bench", ROOT / "bench/dedupe/run.py")
assert _spec and _spec.loader
_dedupe_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_dedupe_bench)
Writer, edit = _dedupe_bench.Writer, _dedupe_bench.edit  # news-shaped texts and copies
FUNCTION = _dedupe_bench.FUNCTION

from services.store.store import _fields  # noqa: E402
from shared.minhash import STORY_WINDOW, part_keys, sign  # noqa: E402
from shared.models import Article, Entities, Entity, Entry, RawPage  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "fundus80" / "ground_truth.json"
START = datetime(2025, 1, 1, tzinfo=UTC)
END = START + timedelta(days=365)  # the archive's newest articles: "now" for its checks
SOURCES = 100
COPY_SHARE, REVISED_SHARE, LIVE_SHARE = 0.05, 0.05, 0.02
DEAD_EVERY, OPEN_EVERY = 33, 500  # an extra dead job every 33 articles, an open one every 500
REASONS = ("http_404", "not_an_article", "robots_disallowed", "too_large", "unparseable")
TABLES = ("articles", "article_revisions", "article_keys", "story_keys", "jobs", "raw_pages",
          "dead_letters")

_writer: Writer | None = None
_sentences: list[str] = []


def real_sentences(path: Path = CORPUS) -> list[str]:
    """The sentences of the development corpus's articles (its ground-truth bodies)."""
    bodies = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for body in bodies.values():
        for paragraph in body["body"]:
            found.extend(s.strip() + "." for s in paragraph.split(". ") if len(s.split()) >= 6)
    return found


def start_worker() -> None:
    global _writer, _sentences
    _writer = Writer()
    _sentences = real_sentences()


@lru_cache(maxsize=2)
def _cdf(vocabulary: str) -> np.ndarray:
    assert _writer is not None
    weights = _writer.zipf_topic if vocabulary == "topic" else _writer.zipf_common
    return np.minimum(np.cumsum(weights), 1.0 - 1e-12)  # never past the last word


@lru_cache(maxsize=200_000)
def story(number: int) -> tuple[list[str], list[str]]:
    """Story `number`: 12 names and one of the 300 topics, the same in every process."""
    assert _writer is not None
    rng = random.Random(f"story-{number}")
    names = ["".join(rng.choice("abcdefghiklmnoprstuvwy") for _ in range(rng.randint(3, 10)))
             .title() for _ in range(12)]
    return names, _writer.topics[rng.randrange(len(_writer.topics))]


def plan(number: int) -> dict[str, Any]:
    """What article `number` is: its story, whether a copy (and of what), revised, live."""
    rng = random.Random(f"plan-{number}")
    copy_of = rng.randrange(number) if number and rng.random() < COPY_SHARE else None
    if copy_of is not None:
        copy_of = plan(copy_of).get("copy_of") or copy_of  # a copy of a copy is of the original
    return {"story": rng.randrange(number // 5 + 1), "copy_of": copy_of,
            "revised": rng.random() < REVISED_SHARE, "live": rng.random() < LIVE_SHARE,
            "source": rng.randrange(SOURCES), "sentence": rng.randrange(1 << 30)}


def text_of(number: int) -> str:
    """The text of article `number` (a copy's is its original's, edited)."""
    assert _writer is not None
    shape = plan(number)
    if shape["copy_of"] is not None:
        return edit(text_of(shape["copy_of"]), random.Random(f"edit-{number}"))
    lead = _sentences[shape["sentence"] % len(_sentences)]
    return lead + "\n\n" + body(story(shape["story"]), np.random.default_rng(number))


def body(about: tuple[list[str], list[str]], rng: np.random.Generator, words: int = 450) -> str:
    """bench/dedupe's news-shaped text (45% function words, 8% the story's names, 22% its
    topic's words, 25% common ones), drawn with numpy: the fill makes a million of them."""
    assert _writer is not None
    names, topic = about
    kinds = np.searchsorted([0.45, 0.53, 0.75], rng.random(words))
    picks = (rng.integers(len(FUNCTION), size=words), rng.integers(len(names), size=words),
             np.searchsorted(_cdf("topic"), rng.random(words)),
             np.searchsorted(_cdf("common"), rng.random(words)))
    pools = (FUNCTION, names, topic, _writer.common)
    return " ".join([pools[kind][picks[kind][i]] for i, kind in enumerate(kinds.tolist())])


def article(number: int, total: int) -> Article:
    """Article `number` of an archive of `total`, as the extract stage would hand it on."""
    shape = plan(number)
    names, topic = story(shape["story"])
    body = text_of(number)
    published = START + timedelta(days=365 * number / total, minutes=number % 97)
    host = f"news{shape['source']:02d}.example"
    live = shape["live"]
    entries = tuple(Entry(headline=f"{names[i % 12]} {topic[i]}", published_at=published
                          + timedelta(minutes=10 * i), text=" ".join(body.split()[i * 30:][:40]))
                    for i in range(12)) if live else ()
    return Article(
        job_id=job_id(number, 1), source=f"source-{shape['source']:02d}",
        url=f"https://{host}/{published:%Y/%m}/{number}", title=" ".join(
            [names[0], topic[0], topic[number % 7], names[1], body.split()[1]]),
        canonical_url=f"https://{host}/{published:%Y/%m}/{number}",
        authors=(names[number % 12],), published_at=published, language="en",
        description=body[:160], site_name=host, tags=(topic[1], topic[2]), text=body,
        page_kind="live_blog" if live else "article", is_live_blog=live, entries=entries,
        entities=Entities(people=tuple(Entity(name=f"{n} {names[-1]}", mentions=2)
                                       for n in names[:3]),
                          places=(Entity(name=names[5]),),
                          organizations=(Entity(name=f"{names[6]} Council"),)),
        content_hash=hashlib.sha256(body.encode()).hexdigest(), fetched_at=published)


def job_id(number: int, attempt: int) -> str:
    return hashlib.md5(f"{number}-{attempt}".encode()).hexdigest()


def raw_payload(art: Article) -> bytes:
    """The kept download: the packed RawPage that replay reads."""
    html = f"<html><head><title>{art.title}</title></head><body><article><p>" \
        + art.text.replace("\n\n", "</p><p>") + "</p></article></body></html>"
    raw = RawPage(job_id=art.job_id, source=art.source, url=art.url, final_url=art.url,
                  body=html, fetched_at=art.fetched_at)
    return zlib.compress(raw.model_dump_json().encode("utf-8"), 6)


def rows(number: int, total: int) -> dict[str, list[tuple]]:
    """The rows of every table that article `number` makes."""
    art = article(number, total)
    shape = plan(number)
    article_id, at = number + 1, art.fetched_at
    near, story_hash = sign(art.text)
    signature = near.astype("<u4").tobytes() + story_hash.astype("<u4").tobytes()
    revision = 2 if shape["revised"] else 1
    fields = json.dumps(_fields(art, art.entries))
    out: dict[str, list[tuple]] = {table: [] for table in TABLES}
    duplicate_of = shape["copy_of"] + 1 if shape["copy_of"] is not None else None
    out["articles"].append((
        article_id, art.canonical_url, art.url, art.source, art.title, at, at, "en",
        art.page_kind, art.is_live_blog, art.text, art.content_hash, fields, duplicate_of,
        article_id, signature, revision, at, at, at))
    keys = part_keys(near, story_hash)
    out["article_keys"].append((article_id, keys["near"]))
    if at >= END - STORY_WINDOW:  # the store keeps the story keys of the last window only
        out["story_keys"].append((article_id, at, keys["story"]))
    for rev in range(1, revision + 1):
        job = job_id(number, rev)
        text = art.text if rev == revision else art.text[: len(art.text) * 3 // 4]
        fetched = at + timedelta(hours=rev - 1)
        out["article_revisions"].append((article_id, rev, job, hashlib.sha256(
            text.encode()).hexdigest(), text, fetched))
        out["jobs"].append((job, art.url, art.source, "stored", "store", 1, "{}", article_id,
                            fetched, fetched, fetched))
        out["raw_pages"].append((job, art.url, art.source, fetched, raw_payload(art)))
    if number % DEAD_EVERY == 0:
        job, url = job_id(number, 9), art.url + "/gone"
        out["jobs"].append((job, url, art.source, "dead", "fetch", 3, "{}", None, at, at, at))
        out["dead_letters"].append((job, url, art.source, "fetch", REASONS[number % 5],
                                    "synthetic failure", 3, at))
    if number % OPEN_EVERY == 0:
        lease = at + timedelta(days=3650) if number % 1000 else at  # half expired
        out["jobs"].append((job_id(number, 8), art.url + "/next", art.source, "open", "clean", 1,
                            "{}", None, at, at, lease))
    return out


def chunk(bounds: tuple[int, int, int]) -> dict[str, list[tuple]]:
    """The rows of articles start..stop-1 of `total`, table by table."""
    start, stop, total = bounds
    out: dict[str, list[tuple]] = {table: [] for table in TABLES}
    for number in range(start, stop):
        for table, made in rows(number, total).items():
            out[table].extend(made)
    return out


COLUMNS = {
    "articles": "id, canonical_url, url, source, title, published_at, modified_at, language, "
                "page_kind, is_live_blog, text, content_hash, fields, duplicate_of, cluster_id, "
                "signature, revision, fetched_at, created_at, updated_at",
    "article_revisions": "article_id, revision, job_id, content_hash, text, fetched_at",
    "article_keys": "article_id, keys",
    "story_keys": "article_id, kept_at, keys",
    "jobs": "id, url, source, status, stage, attempts, hints, article_id, created_at, "
            "updated_at, lease_until",
    "raw_pages": "job_id, url, source, fetched_at, payload",
    "dead_letters": "job_id, url, source, stage, reason, message, attempts, created_at",
}
