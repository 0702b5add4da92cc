"""Credentials out of URLs (scheme://user:password@host) wherever text is stored or shown:
payloads, the database, dead letters and logs. The request that needs them never sees them
either: normalize_url drops them from every URL copydesk accepts."""

import logging
import re
from typing import Any

# The userinfo of a URL written anywhere in a text: up to the authority's last "@".
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#\"'<>]*@")
MASK = "***"


def redact(text: str) -> str:
    """`text` with the user and password of every URL in it replaced by ***."""
    return _USERINFO.sub(rf"\1{MASK}@", text) if "@" in text else text


def redact_logs() -> None:
    """Redact every log record this process makes, whatever handler writes it (Celery's too)."""
    make = logging.getLogRecordFactory()
    if getattr(make, "redacts", False):
        return

    def redacting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        message = record.getMessage()
        if "@" in message:
            record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    redacting.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting)
