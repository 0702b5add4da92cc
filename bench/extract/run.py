"""Extraction benchmark: copydesk's clean stage against its peers, in one run, on both corpora.

Runs the team's extract_eval.py (beside the checkout, in ../shared/tools/extract-bench) once per
extractor and corpus, all on this machine in the same run, and writes bench/extract/RESULTS.md:
F1, precision, recall and ms/page per corpus (fundus80: shingles; trafilatura-eval: snippets),
trafilatura's best setting, and leave-one-publisher-out figures.

    .venv/bin/python bench/extract/run.py [--corpus fundus80 trafilatura-eval]
        [--rounds 3] [--repeat 2] [--out bench/extract/RESULTS.md]

Leave-one-publisher-out: an extractor with settings (trafilatura's favor_precision, default,
favor_recall; copydesk with and without furniture learned during the run) has the setting
chosen on the other publishers' pages, then scored on the held-out publisher's; the held-out
pages of all publishers are pooled. copydesk's thresholds are constants, the same for every
publisher, so its plain row needs no choice.

The machine is shared, and its load comes and goes over minutes: run one extractor after the
other and the last may meet a quiet machine while the first met a busy one. So every
extractor runs once per round, in a rotated order, and a page's time is its fastest over all
rounds; the quality numbers are the first round's (every extractor gives the same text each
round).
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections import namedtuple
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO.parent / "shared" / "tools" / "extract-bench" / "extract_eval.py"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
CORPORA = ("fundus80", "trafilatura-eval")
OURS = "copydesk clean"
TRAFILATURA = ("trafilatura favor_precision", "trafilatura (default)", "trafilatura favor_recall")
EXTRACTORS = [
    (OURS, ["--py", "bench.extract.adapter:extract"]),
    ("copydesk clean, furniture learned during the run",
     ["--py", "bench.extract.adapter:extract_learning"]),
    ("trafilatura (default)", ["--adapter", "trafilatura"]),
    ("trafilatura favor_precision", ["--adapter", "trafilatura_precision"]),
    ("trafilatura favor_recall", ["--adapter", "trafilatura_recall"]),
    ("readability-lxml", ["--adapter", "readability"]),
    ("newspaper4k", ["--adapter", "newspaper4k"]),
]
# Extractors whose settings the leave-one-publisher-out figure chooses between.
FAMILIES = {"copydesk (setting chosen per fold)": [name for name, _ in EXTRACTORS[:2]],
            "trafilatura (setting chosen per fold)": list(TRAFILATURA)}
Counts = namedtuple("Counts", "tp fp fn tn")
KINDS_HEADING = "## Page kinds"  # written from bench/extract/kinds.py, kept on regeneration


def main() -> int:
    """Run every extractor on every corpus, then write the results tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--rounds", type=int, default=3,
                        help="passes over all extractors, interleaved (default 3)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs per page in each pass, fastest kept (default 2)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not TOOL.exists():
        sys.exit(f"extract_eval.py not found at ../shared/tools/extract-bench/ beside the "
                 f"checkout ({TOOL}); the benchmark needs the team's shared folder")
    tool = _load_tool()
    sections = []
    for corpus in args.corpus:
        runs: dict[str, list[dict]] = {name: [] for name, _ in EXTRACTORS}
        for round_ in range(args.rounds):
            shift = round_ % len(EXTRACTORS)
            for name, extractor in EXTRACTORS[shift:] + EXTRACTORS[:shift]:
                print(f"{corpus} round {round_ + 1}/{args.rounds}: {name} ...",
                      file=sys.stderr, flush=True)
                runs[name].append(_run(corpus, name, extractor, args.repeat))
        rows = [_merge(tool, runs[name]) for name, _ in EXTRACTORS]
        sections.append(_section(tool, corpus, rows))
    kept = _kept_section(args.out)
    args.out.write_text(_report(sections, args.rounds, args.repeat) + kept, encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0


def _kept_section(path: Path) -> str:
    """The page-kind section of an earlier RESULTS.md (kinds.py's figures), kept as it was."""
    old = path.read_text("utf-8") if path.exists() else ""
    start = old.find(KINDS_HEADING)
    return "\n" + old[start:] if start >= 0 else ""


def _load_tool() -> ModuleType:
    """The evaluation module itself, so the split scores use its own aggregation."""
    spec = importlib.util.spec_from_file_location("extract_eval", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def _run(corpus: str, name: str, extractor: list[str], repeat: int) -> dict:
    """One extractor over one corpus: the tool's summary and its per-page counts."""
    with tempfile.TemporaryDirectory() as scratch:
        per_page = Path(scratch) / "pages.jsonl"
        command = [sys.executable, str(TOOL), *extractor, "--name", name, "--dataset", corpus,
                   "--repeat", str(repeat), "--per-page", str(per_page), "--bootstrap", "0"]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        if done.returncode != 0 or not per_page.exists():
            return {"name": name, "error": (done.stderr or done.stdout).strip()[-300:]}
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        summary["pages"] = [json.loads(line) for line in per_page.read_text("utf-8").splitlines()]
    return summary


def _merge(tool: ModuleType, runs: list[dict]) -> dict:
    """One row from an extractor's rounds: the first round's scores, each page's fastest time."""
    failed = [run for run in runs if "error" in run]
    if failed:
        return failed[0]
    row = dict(runs[0])
    fastest = [min(run["pages"][index]["ms"] for run in runs)
               for index in range(len(row["pages"]))]
    row["ms_per_page_median"] = statistics.median(fastest)
    row["ms_per_page_p90"] = tool.percentile(fastest, 0.9)
    row["same_text_every_round"] = len({run["f1"] for run in runs}) == 1
    return row


def publisher(corpus: str, page: dict) -> str:
    """fundus80 names its pages <Publisher>_<n>; trafilatura-eval's publisher is the host."""
    if corpus == "fundus80":
        return str(page["id"]).rsplit("_", 1)[0]
    host = urlsplit(page.get("url") or "").hostname
    return host.removeprefix("www.") if host else f"page:{page['id']}"


def _score(tool: ModuleType, corpus: str, pages: list[dict]) -> dict[str, float]:
    """The tool's own aggregation over some pages: macro shingles or summed snippets."""
    if corpus == "fundus80":
        return tool.aggregate([tool.PageScore(p["tp"], p["fp"], p["fn"], False) for p in pages])
    return tool.aggregate_snippets([Counts(p["tp"], p["fp"], p["fn"], p["tn"]) for p in pages])


def _leave_one_out(tool: ModuleType, corpus: str, rows: dict[str, dict], members: list[str]
                   ) -> tuple[dict[str, float], dict[str, int]]:
    """Each publisher scored with the member that did best on all the other publishers."""
    pages = {name: rows[name]["pages"] for name in members}
    publishers = sorted({publisher(corpus, p) for p in pages[members[0]]})
    held: list[dict] = []
    chosen: dict[str, int] = dict.fromkeys(members, 0)
    for left_out in publishers:
        def rest(name: str, out: str = left_out) -> list[dict]:
            return [p for p in pages[name] if publisher(corpus, p) != out]
        best = max(members, key=lambda name: _score(tool, corpus, rest(name))["f1"])
        chosen[best] += 1
        held += [p for p in pages[best] if publisher(corpus, p) == left_out]
    return _score(tool, corpus, held), chosen


def _section(tool: ModuleType, corpus: str, rows: list[dict]) -> dict:
    """A corpus's table rows, its leave-one-publisher-out rows and its target checks."""
    ok = {row["name"]: row for row in rows if "error" not in row}
    folds = {}
    for family, members in FAMILIES.items():
        if all(name in ok for name in members):
            folds[family] = _leave_one_out(tool, corpus, ok, members)
    for name in ok:
        folds.setdefault(name, (_score(tool, corpus, ok[name]["pages"]), {}))
    n_publishers = len({publisher(corpus, p) for row in ok.values() for p in row["pages"]})
    return {"corpus": corpus, "rows": rows, "ok": ok, "folds": folds,
            "publishers": n_publishers}


def _report(sections: list[dict], rounds: int, repeat: int) -> str:
    """RESULTS.md: per corpus the main table, the leave-one-publisher-out table, the targets."""
    lines = [
        "# Extraction benchmark (fundus80, trafilatura-eval)", "",
        "Every extractor in the same run on the same machine, scored by "
        "`../shared/tools/extract-bench/extract_eval.py`: on fundus80 4-word shingles "
        "(precision and recall averaged over pages, F1 their harmonic mean); on "
        "trafilatura-eval the snippets that must and must not appear (counts summed over "
        "pages). Regenerate with `.venv/bin/python bench/extract/run.py`.",
    ]
    for section in sections:
        lines += _corpus_lines(section)
    versions = "; ".join(dict.fromkeys(row["version"] for section in sections
                                       for row in section["ok"].values() if row.get("version")))
    lines += [
        "", "## How it was measured", "",
        f"- Command: `.venv/bin/python bench/extract/run.py --rounds {rounds} --repeat {repeat}`.",
        f"- One process per extractor, corpus and round, pages in corpus order, after one "
        f"untimed warm-up page. {rounds} rounds, the extractors in a rotated order each round; "
        f"each page run {repeat} times per round, and its time is the fastest of all "
        f"{rounds * repeat} runs (the machine is shared: the minimum is the steadiest estimate, "
        "and interleaving gives every extractor the same share of busy minutes).",
        f"- Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()}. Peers: {versions}.",
        "- \"furniture learned during the run\" shares one in-memory furniture index across the "
        "run: a publisher's later pages lose paragraphs its earlier pages repeated (its score "
        "depends on page order; the plain row cleans every page as a site's first).",
    ]
    unsteady = sorted({row["name"] for section in sections for row in section["ok"].values()
                       if not row.get("same_text_every_round", True)})
    if unsteady:
        lines.append(f"- Scores differed between rounds for: {', '.join(unsteady)} (first "
                     "round shown).")
    return "\n".join(lines) + "\n"


def _corpus_lines(section: dict) -> list[str]:
    corpus, ok = section["corpus"], section["ok"]
    lines = [
        "", f"## {corpus}", "",
        "| extractor | F1 | precision | recall | median ms/page | p90 ms/page | empty |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in ok.values():
        lines.append(f"| {row['name']} | {row['f1']:.3f} | {row['precision']:.3f} | "
                     f"{row['recall']:.3f} | {row['ms_per_page_median']:.1f} | "
                     f"{row['ms_per_page_p90']:.1f} | {row['empty_outputs']} |")
    lines += [f"| {row['name']} | failed: {row['error']} | | | | | |"
              for row in section["rows"] if "error" in row]
    lines += [
        "", f"### {corpus}: leave one publisher out ({section['publishers']} publishers)", "",
        "| extractor | F1 | precision | recall | setting chosen (folds) |",
        "|---|---:|---:|---:|---|",
    ]
    for name, (score, chosen) in section["folds"].items():
        picks = ", ".join(f"{member}: {count}" for member, count in chosen.items() if count)
        lines.append(f"| {name} | {score['f1']:.3f} | {score['precision']:.3f} | "
                     f"{score['recall']:.3f} | {picks} |")
    return lines + _verdict(section)


def _verdict(section: dict) -> list[str]:
    """The issue's targets, checked on this run's numbers rather than restated by hand."""
    ok, folds = section["ok"], section["folds"]
    settings = [ok[name] for name in TRAFILATURA if name in ok]
    default = ok.get("trafilatura (default)")
    ours = ok.get(OURS)
    if ours is None or not settings or default is None:
        return []
    best = max(settings, key=lambda row: row["f1"])
    ours_out = folds[OURS][0]["f1"]
    theirs_out = folds.get("trafilatura (setting chosen per fold)", ({"f1": best["f1"]}, {}))
    faster = ours["ms_per_page_median"] <= default["ms_per_page_median"]
    return [
        "", f"Targets on {section['corpus']}, this run:",
        f"- F1 above trafilatura's best setting: {'yes' if ours['f1'] > best['f1'] else 'NO'} "
        f"({ours['f1']:.3f} against {best['name']} {best['f1']:.3f}); leave one publisher out: "
        f"{'yes' if ours_out > theirs_out[0]['f1'] else 'NO'} ({ours_out:.3f} against "
        f"{theirs_out[0]['f1']:.3f}).",
        f"- Median ms/page no higher than trafilatura (default): {'yes' if faster else 'NO'} "
        f"({ours['ms_per_page_median']:.1f} against {default['ms_per_page_median']:.1f}).",
    ]


if __name__ == "__main__":
    sys.exit(main())
