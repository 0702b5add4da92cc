"""The sweeper finds a job whose message is nowhere (not queued, not held by any worker) and
sends it again; a job whose message waits in its queue or in a worker is left alone."""

from datetime import timedelta
from pathlib import Path

import redis

from shared.db import Job, migrate, session_factory
from shared.ledger import Ledger
from shared.liveness import Claim, note_reserved
from shared.models import Payload, utcnow
from shared.sweeper import sweep_lost


def handed_on_long_ago(ledger: Ledger, url: str) -> str:
    job_id = ledger.accept(url, "test")
    assert job_id
    ledger.begin(job_id, "fetch", Claim("fetch@h:1", f"t-{job_id}"))
    ledger.handoff(job_id, "fetch", "clean", Claim("fetch@h:1", f"t-{job_id}"))
    with ledger.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.updated_at = utcnow() - timedelta(minutes=2)
    return job_id


def test_a_lost_message_is_sent_again(tmp_path: Path, redis_db: redis.Redis) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    ledger = Ledger(session_factory(url))
    lost = handed_on_long_ago(ledger, "https://news.example/lost")
    held = handed_on_long_ago(ledger, "https://news.example/held")
    note_reserved(redis_db, "clean@h:2", "t-countdown", held, ttl=60)
    sent: list[tuple[str, Payload]] = []
    assert sweep_lost(ledger, lambda *pair: sent.append(pair), redis_db) == 1
    assert [(stage, payload.job_id) for stage, payload in sent] == [("fetch", lost)]  # type: ignore
    assert sweep_lost(ledger, lambda *pair: sent.append(pair), redis_db) == 0  # just sent
    # While messages wait in the clean queue, the job's may be among them: nothing is sent.
    again = handed_on_long_ago(ledger, "https://news.example/queued")
    redis_db.lpush("clean", "a message")
    assert sweep_lost(ledger, lambda *pair: sent.append(pair), redis_db) == 0
    redis_db.delete("clean")
    assert sweep_lost(ledger, lambda *pair: sent.append(pair), redis_db) == 1
    assert sent[-1][1].job_id == again  # type: ignore[attr-defined]
