"""URL normalisation: one spelling per document, so the seen-URL check sees duplicates."""

import contextlib
import posixpath
import re
from urllib.parse import SplitResult, parse_qsl, quote, urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Parameters that say how a reader arrived, never which document it is.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "mc_cid", "mc_eid", "igshid", "igsh", "ref_src", "ref_url", "_ga", "_gl", "_hsenc",
    "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "wt_mc",
    "cmpid", "ocid", "smid", "sr_share", "at_medium", "at_campaign", "at_custom1",
    "at_custom2", "at_custom3", "at_custom4", "ito", "__twitter_impression",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
# RFC 3986 unreserved characters: percent-encoding them changes nothing, so decode them.
UNRESERVED = "-._~"
PATH_SAFE = "/:@!$&'()*+,;=" + UNRESERVED + "%"
QUERY_SAFE = "/:@!$'()*,;?" + UNRESERVED
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def normalize_url(url: str) -> str:
    """The canonical spelling of an absolute http(s) URL; other strings come back trimmed."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    path = _normalize_path(parts.path)
    query = _normalize_query(parts.query)
    return urlunsplit((scheme, _netloc(scheme, parts), path, query, ""))


def absolute_url(base: str, href: str) -> str:
    """`href` resolved against `base`, normalised."""
    return normalize_url(urljoin(base, href.strip()))


def host_of(url: str) -> str:
    """The lower-case host name of a URL ('' when it has none)."""
    return (urlsplit(url).hostname or "").lower()


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on one site, counting www.example.com as example.com."""
    return _bare(host_of(url)) == _bare(host_of(other)) != ""


def _bare(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _netloc(scheme: str, parts: SplitResult) -> str:
    host = (parts.hostname or "").rstrip(".")
    # A host IDNA cannot encode (an underscore, say) is kept as written, lower-cased.
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # No user or password: a URL with them would carry them into jobs, queues, the database
    # and the logs (and the same page with and without them is one page).
    return netloc


def _normalize_path(path: str) -> str:
    path = _LONE_PERCENT.sub("%25", path)
    path = quote(_decode_unreserved(path), safe=PATH_SAFE)
    path = _ESCAPE.sub(lambda m: "%" + m.group(1).upper(), path)
    # normpath resolves dot segments and drops the trailing slash (kept only for the root);
    # it keeps a leading '//' (POSIX lets that mean something); URLs do not.
    path = posixpath.normpath("/" + path.lstrip("/"))
    return "/" + path.lstrip("/")


def _decode_unreserved(text: str) -> str:
    def decode(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char.isascii() and (char.isalnum() or char in UNRESERVED) \
            else match.group(0)

    return _ESCAPE.sub(decode, text)


def _normalize_query(query: str) -> str:
    # A bare flag ('a') and an empty value ('a=') mean the same to servers: spell both 'a='.
    pairs = sorted((key, value) for key, value in parse_qsl(query, keep_blank_values=True)
                   if not _is_tracking(key))
    return "&".join(f"{quote(k, safe=QUERY_SAFE)}={quote(v, safe=QUERY_SAFE)}"
                    for k, v in pairs)


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)
