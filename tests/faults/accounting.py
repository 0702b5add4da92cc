"""The check every fault test ends with: each accepted URL is one article or one dead letter."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Engine, create_engine, select

from shared.db import ArticleRecord, DeadLetterRecord, Job


@dataclass(frozen=True)
class Tally:
    """How the accepted URLs of a run ended, and what the ledger saw on the way."""

    urls: int
    jobs: int
    articles: int
    dead: dict[str, int]  # reason: count
    open: int
    max_attempts: int
    jobs_per_url: int
    dead_urls: frozenset[str] = field(default_factory=frozenset)

    def line(self) -> str:
        reasons = ",".join(f"{reason}:{count}" for reason, count in sorted(self.dead.items()))
        return (f"urls={self.urls} jobs={self.jobs} articles={self.articles} "
                f"dead={sum(self.dead.values())}[{reasons}] open={self.open} "
                f"max_attempts={self.max_attempts} max_jobs_per_url={self.jobs_per_url}")


def tally(database_url: str) -> Tally:
    """Read the ledger, the articles and the dead letters of a run's database."""
    engine = _engine(database_url)
    try:
        with engine.connect() as db:
            jobs = db.execute(select(Job.id, Job.url, Job.status, Job.article_id, Job.attempts)
                              .where(Job.status != "expanded")).all()
            articles = db.execute(select(ArticleRecord.id, ArticleRecord.url,
                                         ArticleRecord.canonical_url)).all()
            letters = db.execute(select(DeadLetterRecord.job_id, DeadLetterRecord.url,
                                        DeadLetterRecord.reason)).all()
    finally:
        engine.dispose()
    per_url = Counter(job.url for job in jobs)
    return Tally(
        urls=len(per_url), jobs=len(jobs), articles=len(articles),
        dead=dict(Counter(letter.reason for letter in letters)),
        open=sum(job.status == "open" for job in jobs),
        max_attempts=max((job.attempts for job in jobs), default=0),
        jobs_per_url=max(per_url.values(), default=0),
        dead_urls=frozenset(letter.url for letter in letters))


def assert_exactly_once(database_url: str) -> Tally:
    """Every accepted URL (every job not 'expanded') ended as exactly one stored article or one
    dead letter with a reason: none left open, none doubled. Returns the tally."""
    engine = _engine(database_url)
    try:
        with engine.connect() as db:
            jobs = db.execute(select(Job.id, Job.url, Job.status, Job.article_id)
                              .where(Job.status != "expanded")).all()
            articles = db.execute(select(ArticleRecord.id, ArticleRecord.url,
                                         ArticleRecord.canonical_url)).all()
            letters = db.execute(select(DeadLetterRecord.job_id, DeadLetterRecord.reason)).all()
    finally:
        engine.dispose()
    problems: list[str] = []
    article_ids = {article.id for article in articles}
    letters_of = Counter(letter.job_id for letter in letters)
    ends: dict[str, set[str]] = defaultdict(set)  # url -> {"article:<id>", "dead"}
    for job in jobs:
        if job.status == "open":
            problems.append(f"lost: job {job.id} for {job.url} is still open")
        elif job.status in ("stored", "unchanged"):
            if job.article_id not in article_ids:
                problems.append(f"job {job.id} {job.status} without its article: {job.url}")
            if letters_of[job.id]:
                problems.append(f"job {job.id} both stored and dead-lettered: {job.url}")
            ends[job.url].add(f"article:{job.article_id}")
        elif job.status == "dead":
            if letters_of[job.id] != 1:
                problems.append(f"job {job.id} dead with {letters_of[job.id]} letters: {job.url}")
            ends[job.url].add("dead")
        else:
            problems.append(f"job {job.id} in unknown status {job.status!r}")
    problems += [f"{url} ended {len(kinds)} ways: {sorted(kinds)}"
                 for url, kinds in ends.items() if len(kinds) > 1]
    problems += [f"dead letter without a reason for job {letter.job_id}"
                 for letter in letters if not letter.reason]
    canonical = Counter(article.canonical_url for article in articles)
    problems += [f"{url} stored {n} times" for url, n in canonical.items() if n > 1]
    by_url = Counter(article.url for article in articles)
    problems += [f"{url} has {n} articles" for url, n in by_url.items() if n > 1]
    assert not problems, f"{len(problems)} accounting problems:\n" + "\n".join(problems[:40])
    return tally(database_url)


def _engine(database_url: str) -> Engine:
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return create_engine(database_url)
