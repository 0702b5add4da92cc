"""The compose file's flower service, run as a local process: it refuses requests without its
login, answers its health check and switches task events on in a running worker (workers send
none unless a monitor asks)."""

import subprocess
import sys
from pathlib import Path

import requests
import yaml

from tests.support.services import RedisServer, free_port, postgres_database
from tests.support.workers import environment, running_workers, wait_for

CELERY = str(Path(sys.executable).with_name("celery"))
COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
LOGIN = ("monitor", "a-test-password")


def test_compose_gives_flower_a_login_without_default_and_a_loopback_port() -> None:
    flower = yaml.safe_load(COMPOSE.read_text())["services"]["flower"]
    assert "--basic-auth=${FLOWER_BASIC_AUTH:?" in " ".join(flower["command"])
    assert all(str(port).startswith("127.0.0.1:") for port in flower["ports"])


def test_flower_answers_and_turns_worker_events_on(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    port = free_port()
    try:
        with postgres_database() as database:
            env = environment(database, redis.url)
            with running_workers(env, tmp_path, stages=("store",)):
                log = tmp_path / "worker-store.log"
                wait_for(lambda: " ready." in log.read_text(errors="replace"), 60,
                         "the store worker")
                assert "task events: OFF" in log.read_text(errors="replace")
                # docker-compose.yml: celery --broker URL flower --port=5555 --basic-auth=...
                with (tmp_path / "flower.log").open("w") as out:
                    flower = subprocess.Popen(
                        [CELERY, "--broker", redis.url, "flower", f"--port={port}",
                         "--address=127.0.0.1", "--basic-auth=" + ":".join(LOGIN)],
                        env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
                try:
                    wait_for(lambda: _healthy(port), 60, "flower's health check")
                    for path in ("/", "/tasks", "/api/tasks", "/workers"):
                        url = f"http://127.0.0.1:{port}{path}"
                        assert requests.get(url, timeout=5).status_code == 401
                        wrong = requests.get(url, timeout=5, auth=("monitor", "guess"))
                        assert wrong.status_code == 401
                    assert requests.get(f"http://127.0.0.1:{port}/tasks", timeout=5,
                                        auth=LOGIN).status_code == 200
                    wait_for(lambda: "enabled by remote" in log.read_text(errors="replace"),
                             60, "flower to switch the worker's task events on")
                finally:
                    flower.terminate()
                    flower.wait(10)
    finally:
        redis.stop(kill=True)


def _healthy(port: int) -> bool:
    try:
        answer = requests.get(f"http://127.0.0.1:{port}/healthcheck", timeout=2)
    except requests.ConnectionError:
        return False
    return answer.status_code == 200 and answer.text == "OK"
