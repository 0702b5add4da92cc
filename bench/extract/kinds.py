"""Page kinds on the development corpora: every page through clean and extract, refusals listed.

Every page of fundus80 and trafilatura-eval carries main text (its truth says so), so each one
that ends as a dead letter (`not_article:index`, `empty_text`, ...) is text lost.

    .venv/bin/python bench/extract/kinds.py [--corpus fundus80 trafilatura-eval] [--jsonl FILE]
    .venv/bin/python bench/extract/kinds.py --test-set   # the page-kind test set's error rates
"""

import argparse
import gzip
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
    parser.add_argument("--test-set", action="store_true",
                        help="score tests/fixtures/pagekind and the fixture site's fronts instead")
    args = parser.parse_args()
    if args.test_set:
        return _test_set()
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


def _test_set() -> int:
    """Both error rates on the page-kind test set: index pages stored, articles refused."""
    fixtures = REPO / "tests" / "fixtures"
    listed = json.loads((fixtures / "pagekind" / "pages.json").read_text("utf-8"))
    pages = [(name, page["kind"], page["url"], gzip.decompress(
        (fixtures / "pagekind" / f"{name}.html.gz").read_bytes()).decode("utf-8", "replace"))
        for name, page in sorted(listed.items())]
    for front in sorted((fixtures / "site").glob("**/index.html")):
        path = front.parent.relative_to(fixtures / "site").as_posix()
        path = "" if path == "." else path + "/"
        pages.append((f"site/{path}", "index", f"http://news.example/{path}",
                      front.read_text("utf-8")))
    errors = {"index": 0, "article": 0}
    for name, truth, url, html in pages:
        raw = RawPage(job_id=name, source="bench", url=url, final_url=url, body=html)
        try:
            article = extract(clean(raw))
            got = f"{article.page_kind} ({article.page_kind_confidence:.2f}), text kept"
            wrong = article.page_kind == "article" if truth == "index" else \
                article.page_kind != "article"
        except PermanentError as error:
            got, wrong = f"refused: {error.reason}", truth == "article"
        errors[truth] += wrong
        print(f"{'WRONG' if wrong else 'ok   '} {truth:8} {name}: {got}")
    counts = {kind: sum(page[1] == kind for page in pages) for kind in errors}
    print(f"index pages stored as articles: {errors['index']}/{counts['index']}; "
          f"articles refused or stored as another kind: {errors['article']}/{counts['article']}")
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
