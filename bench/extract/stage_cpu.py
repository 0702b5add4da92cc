"""CPU of the extract stage per article, on the fundus80 pages and the two seeds, in one process.

Each page is cleaned once (no furniture index: every page as a site's first), then extracted
N rounds; only extract is timed, in process CPU seconds (time.process_time), so a busy shared
machine moves the figure little. `--steps` adds the CPU of each step (its functions wrapped
in a timer where extract.py and entities.py call them); `--profile` prints a cProfile of the
extract calls instead; `--dump FILE` writes every stage output (the CleanPage and the
Article, as JSON, one page a line) so two versions of the code can be shown to give
byte-identical outputs.

    .venv/bin/python bench/extract/stage_cpu.py [--rounds 5] [--steps] [--profile] [--dump FILE]
"""

import argparse
import contextlib
import cProfile
import gzip
import json
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
TEAM = REPO.parent / "shared"
CORPUS = TEAM / "corpus" / "fundus80"
SEEDS = TEAM / "seeds"
FETCHED = datetime(2025, 1, 1)  # fixed, so the dumps of two runs compare byte for byte

from services.clean.clean import clean  # noqa: E402
from services.extract import entities  # noqa: E402
from services.extract import extract as stage  # noqa: E402
from services.extract.extract import extract  # noqa: E402
from shared.errors import PermanentError  # noqa: E402
from shared.models import Article, CleanPage, RawPage  # noqa: E402


def raw_pages() -> list[RawPage]:
    """The 80 fundus80 pages at their own URLs, then the seeds as local text files."""
    truth = json.loads((CORPUS / "ground_truth.json").read_text("utf-8"))
    pages = []
    for path in sorted((CORPUS / "html").glob("*.html.gz")):
        name = path.name.removesuffix(".gz")
        url = truth.get(name, {}).get("url") or f"https://example.invalid/{name}"
        pages.append(RawPage(job_id=name, source="fundus80", url=url, final_url=url,
                             body=gzip.decompress(path.read_bytes()).decode("utf-8"),
                             fetched_at=FETCHED))
    for path in sorted(SEEDS.glob("*.txt")):
        pages.append(RawPage(job_id=path.stem, source="seeds", url=f"seeds/{path.name}",
                             final_url=f"seeds/{path.name}", content_type="text/plain",
                             body=path.read_text("utf-8"), fetched_at=FETCHED))
    return pages


def cleaned(pages: list[RawPage]) -> list[CleanPage]:
    out = []
    for raw in pages:
        with contextlib.suppress(PermanentError):  # no text: the page never reaches extract
            out.append(clean(raw))
    return out


def extracted(page: CleanPage) -> Article | str:
    try:
        return extract(page)
    except PermanentError as error:
        return f"PermanentError {error}"


# The steps, as (module, name) of the function the stage calls there.
STEPS = [(stage, "_parse"), (stage, "read_meta"), (stage.liveblog, "html_entries"),
         (stage.pagekind, "judge"), (stage, "_dates"), (stage, "analyse"),
         (entities, "tokenize"), (entities, "recognise"), (stage, "find_quotes"),
         (stage, "detect_language"), (stage, "_printable")]


def timed_steps() -> dict[str, float]:
    """Wrap each step in a CPU timer; the returned table fills as extract runs."""
    spent: dict[str, float] = defaultdict(float)
    for module, name in STEPS:
        setattr(module, name, _timer(module, name, spent))
    return spent


def _timer(module: ModuleType, name: str, spent: dict[str, float]) -> Callable[..., Any]:
    function = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - start
    return timed


def dump(pages: list[CleanPage], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for page in pages:
            article = extracted(page)
            out.write(page.model_dump_json() + "\n")
            out.write((article if isinstance(article, str) else article.model_dump_json()) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", action="store_true", help="also the CPU of each step")
    parser.add_argument("--profile", action="store_true", help="cProfile the extract calls")
    parser.add_argument("--top", type=int, default=35, help="profile lines to print")
    parser.add_argument("--dump", type=Path, help="write CleanPage and Article JSON here")
    args = parser.parse_args()
    pages = cleaned(raw_pages())
    if args.dump:
        dump(pages, args.dump)
        print(f"{len(pages)} pages dumped to {args.dump}")
        return
    for page in pages:  # warm-up: imports, caches, the gazetteer
        extracted(page)
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.rounds):
            for page in pages:
                extracted(page)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
        return
    spent = timed_steps() if args.steps else {}
    per_round = []
    for _ in range(args.rounds):
        start = time.process_time()
        for page in pages:
            extracted(page)
        per_round.append((time.process_time() - start) * 1000 / len(pages))
    print(f"extract CPU ms/article over {len(pages)} pages, {args.rounds} rounds: "
          f"median {statistics.median(per_round):.2f}, min {min(per_round):.2f}, "
          f"max {max(per_round):.2f}; load average {os.getloadavg()[0]:.2f}")
    for name, seconds in spent.items():
        print(f"  {name:16} {seconds * 1000 / args.rounds / len(pages):6.2f} ms/article")


if __name__ == "__main__":
    main()
