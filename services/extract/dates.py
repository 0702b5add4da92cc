"""Dates from ISO strings, HTTP-style strings, URLs and running text, keeping any time zone."""

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

from lxml.etree import XPath
from lxml.html import HtmlElement

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
# Each pattern opens with a look-ahead for the only characters a match can start with: the
# same matches, but most positions of a page's text fail on one character test (twice faster).
TEXT_DATE = re.compile(
    rf"(?=[\djfmasond])"
    rf"(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>(?:19|20)\d\d)"
    rf"|(?P<month2>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?\s+"
    rf"(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year2>(?:19|20)\d\d)){_TIME}",
    re.IGNORECASE)
RFC2822 = re.compile(r"(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d")
# Day-first numeric datelines: "18.02.2022, 10:27", "19.2.2020 klo 14.00", "03/05/2022 20:36".
NUMERIC_DATE = re.compile(
    r"(?=\d)(?<!\d)(?P<day>\d{1,2})([./-])(?P<month>\d{1,2})\2(?P<year>(?:19|20)\d\d)(?!\d)"
    r"(?:\s*(?:,|-|\||um|klo|à|a las|às)?\s*(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?!\d))?")
EARLIEST = 1990
ASCTIME = "%a %b %d %H:%M:%S %Y"  # "Fri Feb 18 10:27:24 2022", as some CMSs write meta dates
# Compiled once; plain strings, not ones that keep their parent element alive.
VISIBLE_TEXTS = XPath("//body//text()[not(ancestor::script or ancestor::style or "
                      "ancestor::noscript or ancestor::template)]", smart_strings=False)
DATELINE_TIMES = XPath("//body//time[@datetime][not(ancestor::a or ancestor::li or "
                       "ancestor::aside or ancestor::nav or ancestor::footer)]")
TIME_VALUES = XPath("//time/@datetime", smart_strings=False)
URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|$)")


def parse(value: str | None) -> datetime | None:
    """A datetime from ISO 8601, RFC 2822 or a written date; None when it is none of them, or
    when it is before 1990 (a CMS's zero date, "1970-01-01", dates nothing)."""
    moment = _parsed(value)
    return moment if moment is None or moment.year >= EARLIEST else None


def _parsed(value: str | None) -> datetime | None:
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
    try:
        return datetime.strptime(value, ASCTIME)
    except ValueError:
        pass
    match = TEXT_DATE.search(value)
    return from_match(match) if match else None


def shown_dates(text: str) -> list[datetime]:
    """Every date with a time of day that a text shows, as written (naive wall-clock times)."""
    found = [moment for match in TEXT_DATE.finditer(text)
             if match["hour"] and (moment := from_match(match))]
    for match in NUMERIC_DATE.finditer(text):
        if match["hour"]:
            try:
                found.append(datetime(int(match["year"]), int(match["month"]), int(match["day"]),
                                      int(match["hour"]), int(match["minute"])))
            except ValueError:
                continue
    return [moment.replace(tzinfo=None) for moment in found]


def visible_datelines(tree: HtmlElement) -> list[datetime]:
    """The dates with a time that the page's visible text shows (scripts and styles aside)."""
    return shown_dates(" ".join(" ".join(VISIBLE_TEXTS(tree)).split()))


def dateline_on(tree: HtmlElement, day: date) -> datetime | None:
    """The time the page's own dateline gives for a day it is dated: a <time datetime> with a
    time, outside links and lists (those date other articles), else a shown date and time."""
    for element in DATELINE_TIMES(tree):
        moment = parse(element.get("datetime"))
        if moment and moment.date() == day and (moment.hour, moment.minute) != (0, 0):
            return moment
    return next((moment for moment in visible_datelines(tree) if moment.date() == day), None)


def header_dateline(tree: HtmlElement, entry_times: list[datetime]) -> datetime | None:
    """The time a live blog's page shows under its title: its first <time datetime>, outside
    links and lists, when that is no entry's own time."""
    stamps = {_minute(moment) for moment in entry_times}
    for element in DATELINE_TIMES(tree)[:1]:
        moment = parse(element.get("datetime"))
        if moment and moment.tzinfo and (moment.hour, moment.minute) != (0, 0) and (
                _minute(moment) not in stamps):
            return moment
    return None


def _minute(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(second=0, microsecond=0)


def page_zone(tree: HtmlElement) -> tzinfo | None:
    """The zone of the first <time datetime> on the page that carries one."""
    for value in TIME_VALUES(tree)[:20]:
        moment = parse(value)
        if moment is not None and moment.tzinfo is not None:
            return moment.tzinfo
    return None


def same_wall_clock(moment: datetime, shown: datetime) -> bool:
    """True when a shown naive time is the moment's own clock time, or its UTC time."""
    return any(abs(clock - shown) < timedelta(minutes=1) for clock in wall_clocks(moment))


def wall_clocks(moment: datetime) -> set[datetime]:
    """The naive times a page may show for a moment: its own clock time, and its UTC time."""
    clocks = {moment.replace(tzinfo=None)}
    if moment.tzinfo is not None:
        clocks.add(moment.astimezone(UTC).replace(tzinfo=None))
    return clocks


def in_utc(moment: datetime | None, zone: tzinfo | None = None) -> datetime | None:
    """The moment in UTC; a naive one is read in `zone` (another date of the same page), else
    taken to be UTC already. A bare day (naive midnight) stays that day at 00:00 UTC: it dates
    a day, not an instant, and shifting it would move it to the day before."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        day_only = (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)
        moment = moment.replace(tzinfo=UTC if day_only else zone or UTC)
    return moment.astimezone(UTC)


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
