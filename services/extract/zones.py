"""The time zone a site writes its bare times in, from its country-code domain."""

from datetime import tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

# Countries with one time zone. A site that writes "10:27" with no offset anywhere on its page
# writes its own clock, as a reader there sees it; multi-zone countries (.ru, .br, .us, .au...)
# are left out, so their bare times stay taken as UTC.
COUNTRY_ZONES = {
    "at": "Europe/Vienna", "be": "Europe/Brussels", "bg": "Europe/Sofia", "ch": "Europe/Zurich",
    "cz": "Europe/Prague", "de": "Europe/Berlin", "dk": "Europe/Copenhagen", "ee": "Europe/Tallinn",
    "fi": "Europe/Helsinki", "fr": "Europe/Paris", "gr": "Europe/Athens", "hr": "Europe/Zagreb",
    "hu": "Europe/Budapest", "ie": "Europe/Dublin", "it": "Europe/Rome", "lt": "Europe/Vilnius",
    "lu": "Europe/Luxembourg", "lv": "Europe/Riga", "nl": "Europe/Amsterdam", "no": "Europe/Oslo",
    "pl": "Europe/Warsaw", "ro": "Europe/Bucharest", "rs": "Europe/Belgrade", "se":
    "Europe/Stockholm", "si": "Europe/Ljubljana", "sk": "Europe/Bratislava", "ua": "Europe/Kyiv",
    "uk": "Europe/London", "il": "Asia/Jerusalem", "in": "Asia/Kolkata", "jp": "Asia/Tokyo",
    "kr": "Asia/Seoul", "uy": "America/Montevideo", "ve": "America/Caracas",
    "pe": "America/Lima", "za": "Africa/Johannesburg", "ng": "Africa/Lagos",
}


def site_zone(url: str) -> tzinfo | None:
    """The zone of the single-zone country whose domain the URL is on; None otherwise."""
    host = urlsplit(url).hostname or ""
    name = COUNTRY_ZONES.get(host.rsplit(".", 1)[-1]) if "." in host else None
    return ZoneInfo(name) if name else None
