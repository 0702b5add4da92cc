"""copydesk: the command line and the wiring of the stage services."""

import os
import tempfile

# Prometheus pool-process metrics need their folder named before prometheus_client is first
# imported anywhere in the process, so the entry package names it when metrics are on.
if os.environ.get("COPYDESK_METRICS_PORT", "0") != "0":
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                          tempfile.mkdtemp(prefix="copydesk-metrics-"))
