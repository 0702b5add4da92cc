"""The fetch stage: one job's URL downloaded and decoded into a RawPage."""

from services.fetch.client import Download, HttpClient, decode_body
from services.fetch.xmlsafe import check_xml_safe
from shared.errors import PermanentError
from shared.models import FetchJob, RawPage, utcnow

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})


def fetch(job: FetchJob, client: HttpClient, *, etag: str | None = None,
          last_modified: str | None = None) -> RawPage:
    """Download the job's URL; a 304 comes back as an empty page with status 304."""
    download = client.get(job.url, etag=etag, last_modified=last_modified)
    if download.status == 304:
        return RawPage(job_id=job.job_id, source=job.source, url=job.url,
                       final_url=download.final_url, status=304, body="",
                       etag=download.etag or etag,
                       last_modified=download.last_modified or last_modified, hints=job.hints)
    return raw_page(download, job_id=job.job_id, source=job.source, hints=job.hints)


def raw_page(download: Download, *, job_id: str, source: str,
             hints: dict[str, str] | None = None) -> RawPage:
    """A page download as the payload of the next stage; feeds and sitemaps are no pages."""
    if download.content_type not in PAGE_TYPES:
        # A feed or sitemap where a page was expected: say so, unless it is hostile XML, the
        # more telling reason (nothing here parses it further).
        if "xml" in download.content_type:
            check_xml_safe(download.content)
        raise PermanentError("not_html", f"{download.final_url} is {download.content_type}, "
                                         "not a page (a feed or sitemap is a source)")
    body, encoding = decode_body(download)
    return RawPage(job_id=job_id, source=source, url=download.url, final_url=download.final_url,
                   status=download.status, content_type=download.content_type,
                   encoding=encoding, body=body, fetched_at=utcnow(), etag=download.etag,
                   last_modified=download.last_modified, hints=dict(hints or {}))
