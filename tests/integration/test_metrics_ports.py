"""Several workers on one host with one COPYDESK_METRICS_PORT: each serves on a port of its own."""

import subprocess
import sys

import requests

from tests.support.services import free_port

SERVE = """
import sys, time
from shared.observability import serve_metrics
taken = serve_metrics(int(sys.argv[1]), dict)
print("serving", taken, flush=True)
time.sleep(60)
"""


def test_workers_sharing_a_metrics_port_take_the_next_free_ones() -> None:
    port = free_port()
    servers = []
    try:
        ports = []
        for _ in range(3):  # one after another, as workers of one host start
            server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            servers.append(server)
            assert server.stdout is not None
            line = server.stdout.readline()  # empty: the process died (its port was taken)
            assert line.startswith("serving "), server.stderr.read() if server.stderr else ""
            ports.append(line.split()[1])
        for taken in range(port, port + 3):  # each worker's metrics, on a port of its own
            metrics = requests.get(f"http://127.0.0.1:{taken}/metrics", timeout=5).text
            assert "copydesk_stage_total" in metrics or "python_info" in metrics
        assert ports == [str(port), str(port + 1), str(port + 2)]  # and each says which
    finally:
        for server in servers:
            server.kill()
            server.wait()
