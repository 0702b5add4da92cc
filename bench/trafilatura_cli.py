"""trafilatura's command line in bulk mode, as the fetch and pipeline benchmarks run it."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

# Its defaults, but for the per-host pause (SLEEP_TIME), set by the caller, and no SSRF check:
# the benchmark sites live on loopback.
_SETTINGS = ["[DEFAULT]", "DOWNLOAD_TIMEOUT = 30", "MAX_FILE_SIZE = 20000000",
             "MIN_FILE_SIZE = 10", "USER_AGENTS =", "COOKIE =", "MAX_REDIRECTS = 2",
             "SSRF_PROTECTION = off", "INSECURE_SSL_FALLBACK = off", "MIN_EXTRACTED_SIZE = 250",
             "MIN_OUTPUT_SIZE = 1", "MIN_OUTPUT_COMM_SIZE = 1", "MAX_TREE_SIZE =",
             "EXTRACTION_TIMEOUT = 30", "MIN_DUPLCHECK_SIZE = 100", "MAX_REPETITIONS = 2",
             "EXTENSIVE_DATE_SEARCH = on", "EXTERNAL_URLS = off"]


def run_bulk(urls: list[str], folder: Path, parallel: int, sleep: float) -> tuple[int, float]:
    """`trafilatura -i urls.txt --parallel N` in `folder`, pausing `sleep` s between requests
    to one host: the text files it wrote, and its wall-clock seconds."""
    (folder / "urls.txt").write_text("\n".join(urls) + "\n")
    (folder / "settings.cfg").write_text("\n".join([*_SETTINGS, f"SLEEP_TIME = {sleep}"]) + "\n")
    binary = shutil.which("trafilatura", path=str(Path(sys.executable).parent)) or "trafilatura"
    started = time.monotonic()
    subprocess.run([binary, "-i", "urls.txt", "--parallel", str(parallel), "-o", "out",
                    "--config-file", "settings.cfg"], cwd=folder, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    # Past 1000 files trafilatura writes into numbered subfolders.
    return sum(1 for path in (folder / "out").rglob("*") if path.is_file()), seconds
