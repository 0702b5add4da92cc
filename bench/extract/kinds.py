"""Page kinds on the development corpora: every page through clean and extract, refusals listed.

Every page of fundus80 and trafilatura-eval carries main text (its truth says so), so each one
that ends as a dead letter (`not_article:index`, `empty_text`, ...) is text lost.

    .venv/bin/python bench/extract/kinds.py [--corpus fundus80 trafilatura-eval] [--jsonl FILE]
"""

import argparse
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
TOOL = REPO.parent / "shared" / "tools" / "extract-bench" / "extract_eval.py"

from services.clean.clean import clean  # noqa: E402
from services.extract.extract import extract  # noqa: E402
from shared.errors import PermanentError  # noqa: E402
from shared.models import RawPage  # noqa: E402


def main() -> int:
    """Classify every page of each corpus; print the counts and each refused page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", nargs="+", default=["fundus80", "trafilatura-eval"])
    parser.add_argument("--jsonl", type=Path, help="write one line per page here")
    args = parser.parse_args()
    tool = _load_tool()
    rows = [row for corpus in args.corpus for row in _kinds(tool, corpus)]
    for corpus in args.corpus:
        counts = Counter(row["kind"] for row in rows if row["corpus"] == corpus)
        print(f"{corpus}: {dict(counts.most_common())}")
    for row in rows:
        if row["kind"] not in ("article", "live_blog", "paywalled"):
            print(f"  {row['corpus']} {row['id']}: {row['kind']} ({row['why']})")
    if args.jsonl:
        args.jsonl.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    return 0


def _kinds(tool: ModuleType, corpus: str) -> list[dict[str, str]]:
    rows = []
    for page in tool.load_dataset(corpus, tool.DEFAULT_DATA):
        address = page.url or f"https://example.invalid/{page.id}"
        raw = RawPage(job_id=page.id, source="bench", url=address, final_url=address,
                      body=page.html)
        try:
            article = extract(clean(raw))
            kind, why = article.page_kind, ""
        except PermanentError as error:
            kind, why = error.reason, str(error)[:80]
        rows.append({"corpus": corpus, "id": page.id, "kind": kind, "why": why})
    return rows


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_eval", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    sys.exit(main())
