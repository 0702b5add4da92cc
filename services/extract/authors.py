"""Author names as people write them in bylines, cleaned to bare names."""

import re

_PREFIX = re.compile(r"^\s*(?:(?:written|reported|words|story)\s+)?"
                     r"(?:by|von|por|par|door|af|av|escribe|autor(?:in)?|auteur|author|"
                     r"text)[:\s]+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")
_MAILTO = re.compile(r"\S+@\S+\s*\((?P<name>[^)]+)\)")
# Co-authors are joined by commas, slashes, "&" or the word for "and" of the page's language.
# Case-sensitive, so an initial ("John E. Smith") is never read as the Portuguese "e".
_SPLIT = re.compile(r"\s*(?:,|;|\||/|&|\+|\b(?:and|AND|And|und|og|y|et|e|och|en|i|és|ja|with|"
                    r"With|mit)\b)\s*")
_TAIL = re.compile(r"\s+in\s+[A-Z][\w ]+$|\s*\(.*?\)|\s*\(.*$|"
                   r"\s+(?i:save|follow|share|folgen|teilen|suivre|seguir)$")  # buttons beside it
# Words that show a byline fragment is a role, a desk or a credit, not a person's name.
_NOT_NAME = re.compile(
    r"\.(?:com|net|org|de|at|ch|pl|fr|es|it|uk|co)\b|^\d|\b(?:staff|reporters?|correspondents?|"
    r"editors?|writers?|desk|team|admin|none|null|unknown|contributors?|redaktion|redakcja|"
    r"redacci[oó]n|r[ée]daction|redazione|redactie|toimitus|newsroom|agenc(?:y|ies)|"
    r"images?|photos?|photograph|foto|bild|getty|shutterstock|credit|articles?|posts|"
    r"beitr[äa]ge|artikel|profile?|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:mon|diens|donners|frei|sams|sonn)tag|"
    r"mittwoch|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|"
    r"mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo)\b", re.IGNORECASE)
_CAMEL_JOIN = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Ý])")  # "Jeremy ScahillRyan Grim"
_SLUG = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)+")  # "edilson.la.rosa", "jo-bloggs"
_WEEKDAY = re.compile(r"\s+(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun|lun|mar|mer|"
                      r"jeu|ven|sam|dim)\.?$", re.IGNORECASE)
MAX_NAME = 60
MAX_WORDS = 6  # longer is a sentence about someone ("X is the art critic of ...")


def clean_names(raw: list[str]) -> list[str]:
    """Bare, deduplicated names from raw author strings ("By Jo Bloggs and Al Smith, Reuters")."""
    seen: dict[str, str] = {}
    for value in raw:
        for name in split_names(value):
            seen.setdefault(_folded(name), name)
    return list(seen.values())


def split_names(value: str) -> list[str]:
    """The names one raw author string holds."""
    value = " ".join(value.split())
    if (named := _MAILTO.fullmatch(value)) is not None:
        value = named["name"]  # "jo@example.com (Jo Bloggs)", as RSS writes authors
    value = _EMAIL.sub(" ", _PREFIX.sub("", value))
    if (inverted := _inverted(value)) is not None:
        return [inverted]
    out = []
    for part in _SPLIT.split(value):
        part = _WEEKDAY.sub("", _TAIL.sub("", _PREFIX.sub("", part))).strip(" .-–—:")
        for name in _unjoined(part):
            if _is_name(name):
                out.append(_titled(_unslugged(name)))
    return out


def is_slug(name: str) -> bool:
    """True for a handle or URL slug standing in for a name ("edilson.la.rosa")."""
    return bool(_SLUG.fullmatch(name))


def same_person(one: str, other: str) -> bool:
    """True when two spellings name the same person (case, dots, spaces and slugs folded)."""
    return _folded(one) == _folded(other)


def _folded(name: str) -> str:
    return re.sub(r"[\W_]+", "", name).casefold()


def _inverted(value: str) -> str | None:
    """ "Surname, Given" (one comma, one word each side) as "Given Surname"; else None."""
    match = re.fullmatch(r"([A-ZÀ-Ý][a-zà-ÿ'’-]+),\s*([A-ZÀ-Ý][a-zà-ÿ'’-]*\.?)", value.strip())
    if match is None or _NOT_NAME.search(value):
        return None
    return _titled(f"{match[2]} {match[1]}")


def _unjoined(part: str) -> list[str]:
    """Names a page ran together ("Jeremy ScahillRyan Grim"), split only where every piece is a
    full name, so "Mike LaChance" and "DeSantis" stay whole."""
    pieces = _CAMEL_JOIN.split(part)
    if len(pieces) > 1 and all(len(piece.split()) >= 2 for piece in pieces):
        return [piece.strip() for piece in pieces]
    return [part]


def _is_name(part: str) -> bool:
    letters = sum(char.isalpha() for char in part)
    short = len(part) <= MAX_NAME and len(part.split()) <= MAX_WORDS
    return letters >= 3 and short and not _NOT_NAME.search(part) and not (
        "/" in part or "(" in part)


def _unslugged(name: str) -> str:
    return " ".join(re.split(r"[._-]", name)).title() if is_slug(name) and not name.isdigit() \
        else name


def _titled(name: str) -> str:
    # Some sites shout bylines ("MELISSA GOLDIN"); keep mixed case as written.
    return name.title() if name.isupper() and len(name) > 3 else name
