"""Seeing what runs: JSON logs carrying job id and URL, Prometheus metrics per stage."""

import errno
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter, Histogram

STAGE_OUTCOMES = Counter("copydesk_stage_total", "Stage runs by outcome", ["stage", "outcome"])
STAGE_SECONDS = Histogram("copydesk_stage_seconds", "Time one stage run takes", ["stage"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
DEAD_LETTERS = Counter("copydesk_dead_letters_total", "Dead letters by reason", ["stage", "reason"])
_CONTEXT = ("job_id", "url", "stage", "source")
# Workers on one host share COPYDESK_METRICS_PORT: each takes the first free port from it on.
METRICS_PORTS = 32
log = logging.getLogger("copydesk.metrics")


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, with the job id and URL when the record carries them."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        entry.update({key: getattr(record, key) for key in _CONTEXT if hasattr(record, key)})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(as_json: bool, level: int = logging.INFO) -> None:
    """Logs to stderr, as JSON lines when asked (the compose default)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Count and time one stage run."""
    started = time.perf_counter()
    try:
        yield
    finally:
        STAGE_SECONDS.labels(stage).observe(time.perf_counter() - started)


def serve_metrics(port: int, queue_depths: Any) -> int:
    """Serve /metrics on `port`, or the next free one: pool processes' counters, queue depths.

    Returns the port taken, so that several workers on one host each get their own.
    """
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.multiprocess import MultiProcessCollector

    class QueueDepth:
        def collect(self) -> Iterator[GaugeMetricFamily]:
            gauge = GaugeMetricFamily("copydesk_queue_depth", "Messages waiting", labels=["queue"])
            for queue, depth in queue_depths().items():
                gauge.add_metric([queue], depth)
            yield gauge

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    registry.register(QueueDepth())
    for candidate in range(port, port + METRICS_PORTS):
        try:
            start_http_server(candidate, registry=registry)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            continue
        log.info("serving Prometheus metrics on port %d", candidate)
        return candidate
    raise OSError(errno.EADDRINUSE, f"ports {port} to {port + METRICS_PORTS - 1} are all taken")
