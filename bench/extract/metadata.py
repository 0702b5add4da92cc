"""Metadata benchmark: title, authors and publication date against hand-made truths.

copydesk (the clean and extract stages, as the pipeline runs them), trafilatura's
`bare_extraction` and newspaper4k read the same pages in the same run; each is scored against
bench/extract/metadata-truth.json (what each page shows, with its evidence). Writes
bench/extract/METADATA.md.

    .venv/bin/python bench/extract/metadata.py [--out bench/extract/METADATA.md] [--failures]

Scores: title exact (whitespace and Unicode compatibility forms folded), authors F1 per page
(names compared case-folded, dots and spacing folded; no author shown and none returned is 1),
date to the day (in the offset the page shows) and to the minute (the instant; a time given
without offset is read in the page's offset, which favours the peers). Held out: the fundus80
publishers bench/extract/run.py never tunes on, and ten trafilatura-eval sites set aside
before the metadata rules were written (a weak check: see the notes in METADATA.md).
"""

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import unicodedata
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
CORPORA = REPO.parent / "shared" / "corpus"
TOOL = REPO.parent / "shared" / "tools" / "extract-bench" / "extract_eval.py"
HERE = Path(__file__).resolve().parent
TRUTH = HERE / "metadata-truth.json"
RESULTS = HERE / "METADATA.md"
HELD_OUT = ("FoxNews", "TheIndependent", "TheNation", "iNews")  # as in run.py
# trafilatura-eval sites set aside before the rules were written.
HELD_OUT_SITES = ("yle.fi", "publimetro.cl", "spidersweb.pl", "ladiaria.com.uy", "groove.de",
                  "ok-magazin.de", "campograndenews.com.br", "anglerboard.de", "dw.com",
                  "juraforum.de")


@dataclass
class Found:
    """What one extractor read from one page."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    note: str = ""


def copydesk(html: str, url: str) -> Found:
    from services.clean.clean import clean
    from services.extract.extract import extract
    from shared.errors import PermanentError
    from shared.models import RawPage
    raw = RawPage(job_id="bench", source="bench", url=url, final_url=url, body=html)
    try:
        article = extract(clean(raw))
    except PermanentError as error:
        return Found(note=f"refused: {error}")
    return Found(article.title, list(article.authors), article.published_at)


def trafilatura(html: str, url: str) -> Found:
    from trafilatura import bare_extraction
    params = {"extensive_search": True, "original_date": True,
              "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
    doc = bare_extraction(html, url=url, with_metadata=True, date_extraction_params=params)
    if doc is None:
        return Found(note="nothing returned")
    authors = [name.strip() for name in (doc.author or "").split(";") if name.strip()]
    return Found(doc.title, authors, _parsed(doc.date))


def newspaper4k(html: str, url: str) -> Found:
    from newspaper import Article
    article = Article(url)
    article.download(input_html=html)
    article.parse()
    return Found(article.title or None, list(article.authors), article.publish_date)


EXTRACTORS: dict[str, Callable[[str, str], Found]] = {
    "copydesk": copydesk, "trafilatura bare_extraction": trafilatura, "newspaper4k": newspaper4k}


def _parsed(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _title(value: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


def _name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).replace(".", " ").split()).casefold()


def authors_f1(found: list[str], truth: list[str]) -> float:
    """Per-page F1 of the author sets; 1 when neither names anyone."""
    got, want = {_name(name) for name in found}, {_name(name) for name in truth}
    if not got and not want:
        return 1.0
    return 2 * len(got & want) / (len(got) + len(want))


def truth_moment(value: str) -> tuple[date, datetime | None]:
    """The day the page shows, and the instant when it shows a time."""
    if len(value) == 10:
        return date.fromisoformat(value), None
    moment = datetime.fromisoformat(value)
    return moment.date(), moment


def same_day(found: datetime | None, value: str) -> bool:
    if found is None:
        return False
    day, moment = truth_moment(value)
    if moment is not None and found.tzinfo is not None:
        found = found.astimezone(moment.tzinfo)
    return found.date() == day


def same_minute(found: datetime | None, value: str) -> bool:
    _, moment = truth_moment(value)
    if found is None or moment is None:
        return False
    if found.tzinfo is None:
        found = found.replace(tzinfo=moment.tzinfo)  # a bare time read in the page's offset
    return abs(found - moment) < timedelta(minutes=1)


def failures(found: Found, truth: dict, site: str) -> list[str]:
    """The classes of this page's misses."""
    out = []
    if found.note.startswith("refused"):
        return ["page refused (no metadata stored)"]
    title, want = _title(found.title), _title(truth["title"])
    if title != want:
        if want and want in title:
            out.append("title: site name or kicker left on the title")
        elif not title:
            out.append("title: missing")
        else:
            out.append("title: another headline (og/JSON-LD variant, <title>)")
    out.extend(_author_failures(found.authors, truth["authors"], site))
    if truth["published"]:
        out.extend(_date_failures(found.published, truth["published"]))
    return out


def _author_failures(found: list[str], truth: list[str], site: str) -> list[str]:
    got, want = {_name(n) for n in found}, {_name(n) for n in truth}
    out = []
    for name in got - want:
        bare = name.replace(" ", "")
        if any(mark in name for mark in ("image", "photo", "(", "/", "getty")):
            out.append("authors: photo credit or URL slug")
        elif site.split(".")[0] in bare or bare in site.replace(".", "") or "redak" in name:
            out.append("authors: site name or desk as author")
        elif sum(1 for w in want if w in name) > 1:
            out.append("authors: co-authors not split")
        elif any(name in w for w in want) and len(name.split()) == 1:
            out.append('authors: "Surname, Given" split or part of a name')
        else:
            out.append("authors: a name not in the byline")
    for name in want - got:
        if not any(name in g or g in name for g in got):
            out.append("authors: byline name missed")
    return sorted(set(out))


def _date_failures(found: datetime | None, value: str) -> list[str]:
    day, moment = truth_moment(value)
    if found is None:
        return ["date: missing"]
    out = []
    if found.tzinfo is not None and found.utcoffset() != timedelta(0):
        out.append("date: stored with a non-UTC offset")
    if not same_day(found, value):
        shown = found.astimezone(moment.tzinfo) if moment and found.tzinfo else found
        out.append("date: an older date taken" if shown.date() < day else "date: a later date")
    elif moment is not None and not same_minute(found, value):
        out.append("date: time lost (00:00)" if (found.hour, found.minute) == (0, 0)
                   else "date: right day, wrong time or offset")
    return out


def load_pages() -> list[tuple[str, dict, str, str]]:
    spec = importlib.util.spec_from_file_location("extract_eval", TOOL)
    assert spec and spec.loader, TOOL
    tool = importlib.util.module_from_spec(spec)
    sys.modules["extract_eval"] = tool
    spec.loader.exec_module(tool)
    urls = {"fundus80": {k: v["url"] for k, v in json.loads(
        (CORPORA / "fundus80" / "ground_truth.json").read_text()).items()},
            "trafilatura-eval": {k: v["url"] for k, v in json.loads(
                (CORPORA / "trafilatura-eval" / "truth.json").read_text()).items()}}
    folders = {"fundus80": CORPORA / "fundus80" / "html",
               "trafilatura-eval": CORPORA / "trafilatura-eval" / "pages"}
    pages = []
    for key, truth in json.loads(TRUTH.read_text())["pages"].items():
        corpus, name = truth["corpus"], truth["page"]
        with gzip.open(folders[corpus] / name) as page:
            html = tool.decode_html(page.read())
        pages.append((key, truth, html, urls[corpus][name]))
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--failures", action="store_true", help="print copydesk's misses")
    parser.add_argument("--only", choices=list(EXTRACTORS), help="run one extractor")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    pages = load_pages()
    rows: dict[str, list[dict]] = defaultdict(list)
    for key, truth, html, url in pages:
        for name, run in EXTRACTORS.items():
            if args.only and name != args.only:
                continue
            try:
                found = run(html, url)
            except Exception as error:  # a peer that crashes on a page scores nothing there
                found = Found(note=f"crashed: {type(error).__name__}")
            rows[name].append(_score(key, truth, found, url))
    if args.failures:
        for row in rows.get("copydesk", []):
            if row["failures"]:
                print(row["key"], row["failures"], row["found"])
    args.out.write_text(_report(rows, len(pages)))
    print(args.out.read_text())
    return 0


def _score(key: str, truth: dict, found: Found, url: str) -> dict:
    site = url.split("/")[2].removeprefix("www.")
    has_time = bool(truth["published"]) and len(truth["published"]) > 10
    return {
        "key": key, "corpus": truth["corpus"], "publisher": truth["publisher"],
        "held_out": truth["publisher"] in HELD_OUT or truth["publisher"] in HELD_OUT_SITES,
        "title": _title(found.title) == _title(truth["title"]),
        "authors": authors_f1(found.authors, truth["authors"]),
        "day": same_day(found.published, truth["published"]) if truth["published"] else None,
        "minute": same_minute(found.published, truth["published"]) if has_time else None,
        "utc": None if found.published is None else (
            found.published.tzinfo is not None and found.published.utcoffset() == timedelta(0)),
        "failures": failures(found, truth, site),
        "found": [found.title, found.authors, str(found.published), found.note],
    }


def _mean(values: list) -> str:
    kept = [float(v) for v in values if v is not None]
    return f"{statistics.fmean(kept):.3f}" if kept else "-"


def _table(rows: dict[str, list[dict]], pick: Callable[[dict], bool]) -> list[str]:
    lines = ["| extractor | pages | title exact | authors F1 | date, day | date, minute |"
             " dates in UTC |", "|---|---|---|---|---|---|---|"]
    for name, scored in rows.items():
        chosen = [row for row in scored if pick(row)]
        lines.append(
            f"| {name} | {len(chosen)} | {_mean([r['title'] for r in chosen])} | "
            f"{_mean([r['authors'] for r in chosen])} | {_mean([r['day'] for r in chosen])} | "
            f"{_mean([r['minute'] for r in chosen])} | {_mean([r['utc'] for r in chosen])} |")
    return lines


def _publisher_macro(rows: list[dict], metric: str) -> str:
    by: dict[str, list] = defaultdict(list)
    for row in rows:
        if row[metric] is not None:
            by[row["publisher"]].append(float(row[metric]))
    return f"{statistics.fmean(statistics.fmean(v) for v in by.values()):.3f}" if by else "-"


def _report(rows: dict[str, list[dict]], total: int) -> str:
    out = ["# Metadata benchmark", "",
           f"{total} pages with hand-made truths (`metadata-truth.json`: title, authors and "
           "publication date as each page shows them, each with its evidence), read by every "
           "extractor in the same run. Regenerate with `make bench-metadata` (or "
           "`.venv/bin/python bench/extract/metadata.py`; `--failures` lists copydesk's misses).",
           "", f"Run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.", ""]
    splits = [("All pages", lambda r: True),
              ("fundus80 (80 pages, 16 English-language publishers)",
               lambda r: r["corpus"] == "fundus80"),
              ("trafilatura-eval sample (41 pages, 41 sites, German, French, Spanish, "
               "Portuguese, Polish, Finnish)", lambda r: r["corpus"] == "trafilatura-eval"),
              ("Held out (publishers and sites set aside before the rules were written; see "
               "the notes)", lambda r: r["held_out"])]
    for heading, pick in splits:
        out += [f"## {heading}", "", *_table(rows, pick), ""]
    out += ["## Per publisher, each publisher weighted once", "",
            "| extractor | title exact | authors F1 | date, day | date, minute |",
            "|---|---|---|---|---|"]
    for name, scored in rows.items():
        out.append(f"| {name} | " + " | ".join(
            _publisher_macro(scored, m) for m in ("title", "authors", "day", "minute")) + " |")
    out += ["", "## Failure classes (pages with a miss of that class)", "",
            "| class | " + " | ".join(rows) + " |", "|---|" + "---|" * len(rows)]
    counts = {name: Counter(f for row in scored for f in row["failures"])
              for name, scored in rows.items()}
    for cls in sorted(set().union(*counts.values())):
        out.append(f"| {cls} | " + " | ".join(str(counts[n][cls]) for n in rows) + " |")
    return "\n".join([*out, "", NOTES]) + "\n"


NOTES = """## How to read this

- **The truths** (`metadata-truth.json`) were written from what each page shows: the visible
  headline, the byline, the dateline; a page's meta only where it agrees with them (a time
  the page does not show is taken from its meta when the day agrees). A desk or the site
  itself in the byline ("CNBC.com staff", "Redaktion") is no author; an agency that is the
  byline ("The Associated Press", "Reuters") is one. A page that shows only a day has a bare
  day as its truth, scored to the day only. Each record says in `evidence` what it rests on.
- **Scoring.** Title exact after folding whitespace and Unicode compatibility forms (a
  straight apostrophe is not a curly one). Authors F1 per page, names case-folded. Date to
  the day in the offset the page shows; to the minute as an instant, where a time given
  without an offset (most of the peers' dates) is read in the page's own offset, which favours
  the peers. "Dates in UTC" is the share of returned dates whose offset is UTC: copydesk
  stores every date in UTC; the peers return what the page wrote.
- **Held out** are the four fundus80 publishers `run.py` never tunes on and ten
  trafilatura-eval sites, set aside before the rules were written. It is a weak check: the
  failure listing the rules were written from covered every page, so their misses were seen
  too (the issue itself named The Independent's live-blog date). copydesk's metadata rules
  fit no parameter per publisher, so a leave-one-publisher-out run would repeat the
  whole-set figures; the per-publisher means show that no one publisher carries them. A
  fresh sample of annotated pages is the check still to make.
- **Before this work** (main at db25e28, same truths): copydesk title exact 0.777, authors F1
  0.804, date to the day 0.941, to the minute 0.880, dates in UTC 0.650.
- **Misses left**: two trafilatura-eval pages the clean stage refuses as index or bot wall (no
  metadata is stored for them); a shop-blog page whose meta date is three days before the
  date it shows in German; a page whose stated time is a minute after the one it shows; title
  variants where the page's headline and all its meta titles differ (WashingtonTimes
  shortens them, The Intercept rewrites them); bylines only an author box far from the
  article shows.
"""


if __name__ == "__main__":
    sys.exit(main())
