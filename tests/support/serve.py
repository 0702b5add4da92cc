"""`copydesk serve` as the compose service runs it: a uvicorn process over an archive that
`copydesk run` filled from the seeds (examples/) and a page that ends as a dead letter."""

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.services import free_port
from tests.support.workers import COPYDESK, copydesk, environment, wait_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKEN = "test-token-7f3a"
LIVE_BLOG = "004_b2b03e79aaf19651.txt"
ROUNDUP = "000_f5ff41b48f29e971.txt"


@dataclass
class Served:
    """A running server, its environment (for CLI commands on the same archive) and workdir."""

    url: str
    env: dict[str, str]
    workdir: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def fill_archive(workdir: Path, env: dict[str, str]) -> None:
    """The seeds stored, and one empty page dead-lettered (reason empty_text)."""
    empty = workdir / "empty.html"
    empty.write_text("<html><body></body></html>", encoding="utf-8")
    out = copydesk("run", str(EXAMPLES), str(empty), env=env, cwd=workdir).stdout
    assert out.splitlines()[-1] == "accepted 3, stored 2, unchanged 0, dead-lettered 1", out


@contextmanager
def serving(workdir: Path, env: dict[str, str]) -> Iterator[Served]:
    """`copydesk serve` on a free loopback port until the block ends."""
    port = free_port()
    log_path = workdir / f"serve-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen([COPYDESK, "serve", "--port", str(port)], env=env, cwd=workdir,
                               stdout=log, stderr=subprocess.STDOUT)
    served = Served(f"http://127.0.0.1:{port}", env, workdir)
    try:
        wait_for(lambda: _answers(served, process, log_path), 60, "copydesk serve to answer")
        yield served
    finally:
        process.terminate()
        process.wait(20)
        log.close()


def _answers(served: Served, process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        output = log.read_text(errors="replace")
        raise AssertionError(f"copydesk serve exited {process.returncode}:\n{output}")
    try:
        return httpx.get(served.url + "/api/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def filled_and_served(workdir: Path, database_url: str, redis_url: str,
                      token: str = TOKEN) -> Iterator[Served]:
    env = environment(database_url, redis_url, COPYDESK_API_TOKEN=token)
    fill_archive(workdir, env)
    with serving(workdir, env) as served:
        yield served
