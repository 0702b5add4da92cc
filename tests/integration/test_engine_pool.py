"""The engine outlives its process pool: a pool process that dies costs a retry, not the run."""

import os
import signal
from pathlib import Path

from copydesk.engine import Engine, EngineLimits
from services.clean.furniture import MemoryFurniture
from services.fetch.client import HttpClient
from services.fetch.steps import accept_local
from shared.db import migrate, session_factory
from shared.ledger import Ledger
from shared.stage import entry_stage

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_dead_pool_process_does_not_end_the_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'copydesk.db'}"
    migrate(url)
    ledger = Ledger(session_factory(url))
    engine = Engine(ledger, HttpClient(), MemoryFurniture(), EngineLimits(processes=2))
    try:
        assert engine._processes is not None
        for process in list(engine._processes._processes.values()):  # type: ignore[attr-defined]
            os.kill(process.pid, signal.SIGKILL)
            process.join(10)
        payloads = accept_local(str(EXAMPLES), "examples", ledger)
        engine.run((entry_stage(payload), payload) for payload in payloads)
    finally:
        engine.close()
    assert ledger.counts() == {"stored": len(payloads)}
