"""What a fresh clone gives a new user: a README that stands alone, a sources file of their own
kept out of git, and `make run` without the test and benchmark tools."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_points_to_nothing_outside_the_repository() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert not re.search(r"\.\./", readme)
    for target in re.findall(r"\]\(([^)#:]+)\)", readme):  # relative links resolve here
        assert (REPO / target).exists(), target


def test_a_sources_file_made_from_the_example_is_ignored_by_git() -> None:
    check = subprocess.run(["git", "check-ignore", "-q", "sources.toml"], cwd=REPO)
    assert check.returncode == 0


def test_make_run_installs_the_runtime_lock_only(tmp_path: Path) -> None:
    plan = subprocess.run(["make", "-n", "run", f"VENV={tmp_path / 'venv'}"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout
    assert "requirements.lock" in plan and "--no-deps" in plan
    assert "requirements-dev.lock" not in plan and "[dev" not in plan and "bench" not in plan


def readme_section(heading: str) -> str:
    """The README's text under `heading`, up to the next heading of any level."""
    readme = (REPO / "README.md").read_text("utf-8")
    start = readme.index(f"\n{heading}\n") + len(heading) + 2
    following = re.search(r"^#{2,} ", readme[start:], re.MULTILINE)
    return readme[start:start + following.start()] if following else readme[start:]


def test_using_it_says_how_to_let_a_private_network_through() -> None:
    # A new user's first run on an intranet page is a refused_address: the section they read
    # first names the two settings that allow it, as the refusal itself does.
    using = readme_section("## Using it")
    assert "refused_address" in using
    assert "COPYDESK_ALLOWED_NETWORKS" in using and "COPYDESK_ALLOW_PRIVATE_NETWORKS" in using


def test_the_metrics_port_is_documented_per_worker() -> None:
    # The README's recipe starts several workers on one host: its metrics say where each serves.
    readme = (REPO / "README.md").read_text("utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `COPYDESK_METRICS_PORT`"))
    assert "next free one" in row
    metrics = readme[readme.index("- **Metrics.**"):]
    metrics = metrics[:metrics.index("\n- **", 1)]
    assert "next free one" in metrics and "PORT to PORT+3" in metrics
