"""Dates from ISO strings, HTTP-style strings, URLs and running text, keeping any time zone."""

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")), 1) for name in names}

# Only unambiguous abbreviations: IST (India or Ireland) and the like are left naive.
ZONES = {"utc": 0, "gmt": 0, "z": 0, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3,
         "msk": 3, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6,
         "pst": -8, "pdt": -7, "aest": 10, "aedt": 11, "jst": 9, "kst": 9}

_MONTH = r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_TIME = (r"(?:,?\s*(?:at\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?"
         r"(?:\s*\(?(?P<zone>[A-Z]{1,4}|UTC[+-]\d{1,2})\)?)?)?")
TEXT_DATE = re.compile(
    rf"(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>(?:19|20)\d\d)"
    rf"|(?P<month2>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?\s+"
    rf"(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year2>(?:19|20)\d\d)){_TIME}",
    re.IGNORECASE)
RFC2822 = re.compile(r"(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d")
URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|$)")


def parse(value: str | None) -> datetime | None:
    """A datetime from ISO 8601, RFC 2822 or a written date; None when it is none of them."""
    if not value or not (value := value.strip()):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    if RFC2822.match(value):
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            pass
    match = TEXT_DATE.search(value)
    return from_match(match) if match else None


def from_match(match: re.Match[str]) -> datetime | None:
    """The datetime a TEXT_DATE match spells out, aware when it names a known zone."""
    day, month, year = (match["day"] or match["day2"], match["month"] or match["month2"],
                        match["year"] or match["year2"])
    hour, minute = int(match["hour"] or 0), int(match["minute"] or 0)
    ampm = (match["ampm"] or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        moment = datetime(int(year), MONTHS[month.lower().rstrip(".")[:4].rstrip("t")],
                          int(day), hour, minute)
    except (ValueError, KeyError):
        return None
    zone = _zone(match["zone"]) if match["hour"] else None
    return moment.replace(tzinfo=zone) if zone else moment


def _zone(name: str | None) -> timezone | None:
    if not name:
        return None
    name = name.lower()
    if name.startswith("utc") and len(name) > 3:
        return timezone(timedelta(hours=int(name[3:])))
    if name in ZONES:
        return UTC if ZONES[name] == 0 else timezone(timedelta(hours=ZONES[name]))
    return None


def from_url(url: str) -> datetime | None:
    """The date a URL path carries (/2024/11/15/ or 2024-11-15), as a naive midnight."""
    match = URL_DATE.search(url)
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
