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
