"""The fetch stage's own CPU per page on real news pages: the step `copydesk run` runs.

The pages of the development corpora are served on loopback (bench/pipeline/real.py's site:
one host per page with its robots.txt, no latency) by a subprocess, so the CPU measured is the
client's own. This process then runs the engine's fetch step, `fetch_packed` (download, decode,
pack), on every page, one thread, N rounds; each round with a fresh client made as the engine
makes it (services.fetch.factory.make_client), so every host's robots.txt is read again as in
a run, where each host is new.

    python bench/fetch/stage_cpu.py --corpus ../shared/corpus/fundus80/html \
        --corpus ../shared/corpus/trafilatura-eval/pages --pages 200 [--rounds 5]
        [--profile] [--dump FILE]

Prints CPU ms/page (time.process_time of this process: the watchdog thread included) for each
round and their median; --profile prints a cProfile breakdown of one more round; --dump writes
each page's RawPage (fetched_at left out, the site's random ports taken out of the URLs) and a
check that the packed bytes decompress to that same page, one JSON line a page, so the
outputs before and after a change can be compared byte for byte.
"""

import argparse
import cProfile
import json
import pstats
import re
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))  # bench/ is not an installed package

from services.fetch.factory import make_client  # noqa: E402
from services.fetch.steps import fetch_packed  # noqa: E402
from shared.errors import StageError  # noqa: E402
from shared.models import FetchJob  # noqa: E402
from shared.settings import Settings  # noqa: E402

# The site's process: start bench/pipeline/real.py's site, print its URLs, serve until stdin
# closes (the benchmark ended).
SITE = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from bench.pipeline.real import corpus_pages, start_site
_, urls, _servers = start_site(corpus_pages([Path(c) for c in {corpora!r}], {pages}), 0.0)
print(json.dumps(urls), flush=True)
sys.stdin.read()
"""
PORT = re.compile(r"^(http://127\.0\.0\.\d+):\d+")


def settings() -> Settings:
    """The engine's settings for a loopback site: the guard lets 127/8 through, no rate wait."""
    return Settings(_env_file=None, allowed_networks="127.0.0.0/8",
                    host_rate=100_000.0)


def one_round(urls: list[str], profiler: cProfile.Profile | None = None
              ) -> tuple[float, list[tuple[object, bytes]]]:
    """CPU seconds of fetch_packed over every URL with a fresh client, and the outcomes (the
    client's closing, the engine's at the end of a run, is left out, from the profile too)."""
    client = make_client(settings())
    outcomes: list[tuple[object, bytes]] = []
    try:
        if profiler is not None:
            profiler.enable()
        started = time.process_time()
        for number, url in enumerate(urls):
            job = FetchJob(job_id=f"job-{number}", url=url, source="bench")
            try:
                outcomes.append(fetch_packed(job, client))
            except StageError as error:
                outcomes.append((f"{type(error).__name__}:{error.reason}", b""))
        spent = time.process_time() - started
        if profiler is not None:
            profiler.disable()
        return spent, outcomes
    finally:
        client.close()


def dump_line(outcome: tuple[object, bytes]) -> str:
    raw, packed = outcome
    if isinstance(raw, str):
        return json.dumps({"error": raw})
    fields = json.loads(raw.model_dump_json())  # type: ignore[attr-defined]
    unpacked = json.loads(zlib.decompress(packed))
    fields["packed_matches"] = unpacked == fields
    del fields["fetched_at"]
    for key in ("url", "final_url"):
        fields[key] = PORT.sub(r"\1", fields[key])
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", action="append", required=True,
                        help="a folder of .html.gz pages; repeat for several")
    parser.add_argument("--pages", type=int, default=0, help="the first N pages (0: all)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="one more round under cProfile: print the top functions")
    parser.add_argument("--dump", type=Path, help="write each page's outcome, a JSON line each")
    options = parser.parse_args()
    corpora = [str(Path(corpus).resolve()) for corpus in options.corpus]
    site = subprocess.Popen(
        [sys.executable, "-c", SITE.format(root=str(ROOT), corpora=corpora,
                                           pages=options.pages)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert site.stdout is not None
        urls = json.loads(site.stdout.readline())
        one_round(urls)  # warm: imports, codecs, the detector's tables
        per_page = []
        outcomes: list[tuple[object, bytes]] = []
        for number in range(options.rounds):
            seconds, outcomes = one_round(urls)
            per_page.append(1000 * seconds / len(urls))
            print(f"round {number + 1}: {per_page[-1]:.2f} ms CPU/page", flush=True)
        failed = sum(isinstance(raw, str) for raw, _ in outcomes)
        print(f"{len(urls)} pages ({failed} failed), {options.rounds} rounds: median "
              f"{statistics.median(per_page):.2f} ms CPU/page "
              f"(min {min(per_page):.2f}, max {max(per_page):.2f})")
        if options.dump:
            options.dump.write_text("".join(dump_line(o) + "\n" for o in outcomes),
                                    encoding="utf-8")
        if options.profile:
            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
            one_round(urls, profiler)
            stats = pstats.Stats(profiler).strip_dirs().sort_stats("tottime")
            stats.print_stats(30)
            stats.sort_stats("cumulative").print_stats(40)
    finally:
        if site.stdin is not None:
            site.stdin.close()
        site.wait(timeout=30)


if __name__ == "__main__":
    main()
