"""The clean stage as the extraction benchmark calls it: f(html, url) -> text.

`extract` cleans each page on its own, as on a site's first page. `extract_learning` shares
one in-memory furniture index across the run, so a publisher's later pages lose what its
earlier ones repeated: the clean stage as workers run it, but dependent on page order.
"""

from services.clean.clean import clean
from services.clean.furniture import MemoryFurniture
from shared.errors import PermanentError
from shared.models import RawPage

_LEARNED = MemoryFurniture()


def extract(html: str, url: str | None = None) -> str:
    """The article body of one page, paragraphs separated by blank lines."""
    return _text(html, url, None)


def extract_learning(html: str, url: str | None = None) -> str:
    """The same, with furniture learned from the pages cleaned before it in this process."""
    return _text(html, url, _LEARNED)


def _text(html: str, url: str | None, furniture: MemoryFurniture | None) -> str:
    address = url or "https://example.invalid/page"
    raw = RawPage(job_id="bench", source="bench", url=address, final_url=address, body=html)
    try:
        return clean(raw, furniture).text
    except PermanentError:
        return ""
