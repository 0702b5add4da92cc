"""The fetch service's steps with the ledger: discover a source, fetch and keep a page."""

from pathlib import Path
from urllib.parse import urlsplit

from services.fetch.client import Download, HttpClient, decode_body
from services.fetch.discover import Discovery, discover
from services.fetch.fetch import fetch
from services.fetch.local import discover_local, is_feed, is_warc, local_files, local_page
from services.fetch.options import rate_of, since_of
from services.fetch.urls import normalize_url
from services.fetch.warc import warc_pages
from shared.errors import PermanentError
from shared.ledger import Ledger, pack_raw
from shared.models import DeadLetter, FetchJob, Payload, RawPage, utcnow


def fetch_and_keep(job: FetchJob, client: HttpClient, ledger: Ledger) -> RawPage | None:
    """Download a job's URL conditionally and keep the page; a 304 closes the job unchanged."""
    return keep_fetched(fetch(job, client, **ledger.validators(job.url)), ledger)


def keep_fetched(raw: RawPage, ledger: Ledger, packed: bytes = b"") -> RawPage | None:
    """Keep a download (a 304 closes its job as unchanged: None); `packed`: pack_raw(raw)."""
    if raw.status == 304:
        ledger.close(raw.job_id, "unchanged")
        return None
    ledger.keep_raw(raw, packed)
    return raw


def fetch_packed(job: FetchJob, client: HttpClient, **validators: str | None
                 ) -> tuple[RawPage, bytes]:
    """fetch() and the page packed for keeping: the CPU of both in the fetch's own thread."""
    raw = fetch(job, client, **validators)
    return raw, (pack_raw(raw) if raw.status != 304 else b"")


def discover_and_accept(job: FetchJob, client: HttpClient, ledger: Ledger) -> list[Payload]:
    """Look at a source URL: a feed or sitemap gives a job per new article, a page itself."""
    return accept_discovery(look_at_source(job, client, ledger.validators(job.url)), job, ledger)


def look_at_source(job: FetchJob, client: HttpClient,
                   validators: dict[str, str | None]) -> Discovery:
    """What a source URL holds, without the ledger (a fetch thread may run it).

    The source's own settings ride in the job's hints: its rate is set for its host before
    the first request and for the hosts it names after, its 'since' filters sitemap entries.
    """
    rate = rate_of(job.hints)
    if rate is not None:
        set_host_rates(client, [job.url], rate)
    found = discover(job.url, client, etag=validators.get("etag"),
                     last_modified=validators.get("last_modified"), since=since_of(job.hints))
    if rate is not None:
        set_host_rates(client, [item.url for item in found.urls], rate)
    return found


def set_host_rates(client: HttpClient, urls: list[str], rate: float) -> None:
    """Give the hosts of `urls` a source's own rate (shared by every worker through Redis)."""
    if client.rate_limiter is None:
        return
    for host in {urlsplit(url).hostname for url in urls} - {None}:
        client.rate_limiter.set_rate(str(host), rate)


def accept_discovery(found: Discovery, job: FetchJob, ledger: Ledger) -> list[Payload]:
    """Turn what discovery saw into accepted work, closing the source's own job.

    A source that answered 304 closes as unchanged: counted, and nothing else to do.
    """
    if found.page is not None:
        raw = raw_from_download(found.page, job.job_id, job.source)
        ledger.keep_raw(raw)
        return [raw]
    ledger.keep_validators(job.url, found.etag, found.last_modified)
    if found.kind == "unchanged":
        ledger.close(job.job_id, "unchanged")
        return []
    # One look-up of the URLs already known and one insert for the rest: a feed of 200
    # articles took 0.36 s a job at a time, in the loop every other page waits on.
    items = [(normalize_url(item.url), dict(item.hints)) for item in found.urls]
    job_ids = ledger.accept_new(items, job.source)
    ledger.close(job.job_id, "expanded")
    return [FetchJob(job_id=job_id, url=url, source=job.source, hints=hints)
            for (url, hints), job_id in zip(items, job_ids, strict=True) if job_id]


def raw_from_download(download: Download, job_id: str, source: str) -> RawPage:
    """A download that already happened (a source that was a page, a WARC record)."""
    body, encoding = decode_body(download)
    content_type = "text/plain" if download.content_type == "text/plain" else "text/html"
    return RawPage(job_id=job_id, source=source, url=normalize_url(download.url),
                   final_url=download.final_url, status=download.status,
                   content_type=content_type, encoding=encoding, body=body, fetched_at=utcnow(),
                   etag=download.etag, last_modified=download.last_modified)


def accept_local(location: str, source: str, ledger: Ledger,
                 rejected: list[DeadLetter] | None = None) -> list[Payload]:
    """Accept a local file, or every file of a folder; feeds, sitemaps and WARCs are expanded.

    A file that cannot be read is accepted and dead-lettered at once; its dead letter is also
    added to `rejected`, so that a caller reporting on its jobs can name it.
    """
    payloads: list[Payload] = []
    rejected = [] if rejected is None else rejected
    for path in local_files(Path(location)):
        if is_warc(path):
            payloads.extend(_accept_archive(path, source, ledger, rejected))
            continue
        job_id = ledger.accept(str(path), source)
        if job_id is None:
            continue
        job = FetchJob(job_id=job_id, url=str(path), source=source)
        try:
            if is_feed(path):
                payloads.extend(accept_discovery(discover_local(path), job, ledger))
                continue
            raw = local_page(path, job_id=job_id, source=source)
        except (PermanentError, OSError) as error:  # one bad file must not stop the rest
            reason = error.reason if isinstance(error, PermanentError) else "unreadable_file"
            letter = DeadLetter(job_id=job_id, url=str(path), source=source, stage="fetch",
                                reason=reason, message=str(error))
            ledger.dead_letter(letter)
            rejected.append(letter)
            continue
        ledger.keep_raw(raw)
        payloads.append(raw)
    return payloads


def _accept_archive(path: Path, source: str, ledger: Ledger,
                    rejected: list[DeadLetter]) -> list[Payload]:
    """accept_warc, where an archive that cannot be read to its end becomes a dead letter (the
    records read before are kept), and the other files of the source are still accepted."""
    payloads: list[Payload] = []
    try:
        accept_warc(path, source, ledger, into=payloads)
    except (PermanentError, OSError) as error:
        reason = error.reason if isinstance(error, PermanentError) else "unreadable_file"
        job_id = ledger.accept(str(path), source)
        assert job_id is not None  # accept only declines when asked to skip seen URLs
        letter = DeadLetter(job_id=job_id, url=str(path), source=source, stage="fetch",
                            reason=reason, message=str(error))
        ledger.dead_letter(letter)
        rejected.append(letter)
    return payloads


def accept_warc(path: Path, source: str, ledger: Ledger,
                into: list[Payload] | None = None) -> list[Payload]:
    """Each new HTML response in a WARC file, as a page already fetched (appended to `into`
    as it is read, so the caller keeps them if the archive breaks further on)."""
    payloads: list[Payload] = [] if into is None else into
    for download in warc_pages(path):
        job_id = ledger.accept(normalize_url(download.url), source, skip_seen=True)
        if job_id is not None:
            raw = raw_from_download(download, job_id, source)
            ledger.keep_raw(raw)
            payloads.append(raw)
    return payloads


def source_job(name: str, location: str, ledger: Ledger,
               hints: dict[str, str] | None = None) -> FetchJob:
    """A job for looking at a source URL: it becomes the page's job, or closes as expanded
    (unchanged on a 304); `hints` carry the source's own settings (services.fetch.options)."""
    url = normalize_url(location)
    # Registered at discover, so a sweeper restart looks at it as a source again, not a page.
    job_id = ledger.accept(url, name, dict(hints or {}), stage="discover")
    assert job_id is not None  # accept only declines when asked to skip seen URLs
    return FetchJob(job_id=job_id, url=url, source=name, hints=dict(hints or {}))
