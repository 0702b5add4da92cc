"""copydesk as the compose services run it: `copydesk ...` commands as local processes."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

COPYDESK = str(Path(sys.executable).with_name("copydesk"))


def environment(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a test's copydesk processes: its own database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPYDESK_")}
    env.update({
        "COPYDESK_DATABASE_URL": database_url,
        "COPYDESK_REDIS_URL": redis_url,
        # The address guard stays on; only loopback, where test sites and services run, is let
        # through (a redirect to 10.0.0.1 is still refused).
        "COPYDESK_ALLOW_PRIVATE_NETWORKS": "false",
        "COPYDESK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "COPYDESK_HOST_RATE": "200",
        "COPYDESK_CONNECT_TIMEOUT": "2",
        "COPYDESK_READ_TIMEOUT": "3",
        "COPYDESK_FETCH_DEADLINE": "5",
        "COPYDESK_MAX_BODY_BYTES": str(5 * 1024 * 1024),
    })
    env.update(extra)
    return env


def copydesk(*args: str, env: dict[str, str], cwd: Path, timeout: float = 300,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run one copydesk command to its end; fail loudly with its output if it fails."""
    result = subprocess.run([COPYDESK, *args], env=env, cwd=cwd, input=stdin, text=True,
                            capture_output=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"copydesk {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `check` until it holds; fail after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Workers:
    """`copydesk worker STAGE` processes, each logging to its own file."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.env, self.cwd = env, cwd
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, stage: str, *extra: str, name: str | None = None) -> subprocess.Popen[bytes]:
        name = name or stage
        log = (self.cwd / f"worker-{name}.log").open("ab")
        process = subprocess.Popen([COPYDESK, "worker", stage, *extra], env=self.env,
                                   cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a worker's whole process group (its pool children too)."""
        process = self.processes.pop(name)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(30)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes[name]
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill(name)
            self.processes.pop(name, None)

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-4000:]
                         for path in sorted(self.cwd.glob("worker-*.log")))


@contextmanager
def running_workers(env: dict[str, str], cwd: Path,
                    stages: tuple[str, ...] = ("fetch", "clean", "extract", "store"),
                    ) -> Iterator[Workers]:
    workers = Workers(env, cwd)
    try:
        for stage in stages:
            workers.start(stage)
        yield workers
    finally:
        workers.stop_all()
