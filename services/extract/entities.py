"""People, places and organisations: capitalised runs classified by gazetteer and cue words.

Why rules and not a statistical model: nothing may be downloaded at run time, spaCy's English
models are not on the package index here (only unofficial re-uploads), and the recogniser runs
on every page, where a few milliseconds matter. See tests/fixtures/extract/README.md for the
measured precision and recall.
"""

import re
from dataclasses import dataclass
from functools import cache

from services.extract.cues import (
    NOT_ACRONYMS,
    NOT_NAMES,
    ORG_HEADS,
    ORG_SUFFIXES,
    PLACE_CUES,
    PLACE_NOUNS,
    ROLE_WORDS,
    SPEECH,
    TITLE_QUALIFIERS,
    TITLES,
)
from services.extract.gazetteer import Gazetteer, gazetteer
from services.extract.merge import Mention, merge
from services.extract.spans import (
    CONNECTORS,
    OPENS_SENTENCE,
    TEXT,
    Run,
    Token,
    join,
    runs,
    tokenize,
    wordset,
)
from shared.models import Entities

LINKS = CONNECTORS | {","}
PARTICLES = wordset("de du del della da di la le von van der den bin ben al el")
# Up to four capitals: longer all-capital words are mostly shouted labels ("CLAIM:").
ACRONYM = re.compile(r"^(?:[A-Z]\.){2,}$|^[A-Z][A-Z0-9]{1,3}s?$")


@dataclass
class Analysis:
    """A text read once for names: what both the entity and the quote finders work from."""

    text: str
    tokens: list[Token]
    runs: list[tuple[Run, list[Mention]]]
    entities: Entities


def analyse(paragraphs: tuple[str, ...] | list[str]) -> Analysis:
    """Tokens, name runs and merged entities of the paragraphs (one paragraph a line)."""
    text = "\n".join(paragraphs)
    tokens = tokenize(text)
    found = recognise(tokens)
    entities = merge([mention for _, mentions in found for mention in mentions])
    return Analysis(text, tokens, found, entities)


def find_entities(paragraphs: tuple[str, ...] | list[str]) -> Entities:
    """The people, places and organisations the paragraphs name, merged, with mention counts."""
    return analyse(paragraphs).entities


def recognise(tokens: list[Token]) -> list[tuple[Run, list[Mention]]]:
    """Each capitalised run of the tokens with the mentions it holds."""
    gaz = gazetteer()
    lower_words = {text for text, _, _, _ in tokens if text.islower()}
    return [(run, _classify(run, gaz, lower_words))
            for run in runs(tokens, _comma_prefixes(gaz))]


def full_names(entities: Entities) -> dict[str, str]:
    """Each person's surname (and full name) to the full name: resolves "Mr Tykhyi"."""
    table = {person.name.split()[-1]: person.name for person in entities.people}
    table.update({person.name: person.name for person in entities.people})
    return table


@cache
def _comma_prefixes(gaz: Gazetteer) -> frozenset[str]:
    names = [name for name in [*gaz.organizations, *gaz.places] if "," in name]
    return frozenset(name[:end] for name in names for end in range(len(name) + 1))


@cache
def _name_starts(gaz: Gazetteer) -> frozenset[str]:
    """Every known name's first word, up to a comma: a word that is none of them opens no known
    name, and the look-ups of every name it could open are skipped."""
    return frozenset(re.split(r"[ ,]", name, maxsplit=1)[0]
                     for name in [*gaz.organizations, *gaz.places])


def _classify(run: Run, gaz: Gazetteer, lower_words: set[str]) -> list[Mention]:
    """Split a run into known names and leftovers, and give each piece a kind."""
    out: list[Mention] = []
    words, index, pending = run.words, 0, 0
    starts = _name_starts(gaz)
    while index < len(words):
        # A joined name starts with the word up to its first comma (a number's "1,000").
        known = _known(run, index, gaz) if words[index].split(",", 1)[0] in starts else None
        if known is None:
            index += 1
            continue
        out += _leftover(run, pending, index, gaz, lower_words)
        out.append(known[0])
        index = pending = known[1]
    return out + _leftover(run, pending, len(words), gaz, lower_words)


def _known(run: Run, start: int, gaz: Gazetteer) -> tuple[Mention, int] | None:
    """The longest gazetteer name starting at the run's word `start`, and where it ends."""
    words = run.words
    if start > 1 and words[start - 1] in ("of", "for") and (
            words[start - 2].lower() in ORG_HEADS):
        return None  # "University of Rochester" is the university, not the city
    for end in range(min(len(words), start + gaz.longest), start, -1):
        name = join(words[start:end])
        if name in gaz.organizations and not _part_of_org(words, end):
            return Mention("organizations", gaz.organizations[name]), end
        if name in gaz.places and not _part_of_org(words, end) and _place_here(
                run, start, end, gaz):
            return Mention("places", gaz.places[name]), end
    return None


def _place_here(run: Run, start: int, end: int, gaz: Gazetteer) -> bool:
    """False where a one-word place name is more likely a word or a person's name."""
    if end - start > 1:
        return True
    if run.words[start] in gaz.word_places:
        # "Reading the report, ...", "Split decisions", "the Meridian Courier", "Police
        # Scotland": a place named by a common word counts only alone and mid-sentence.
        return len(run.words) == 1 and not run.tokens[start][OPENS_SENTENCE]
    # "Helena Adeyemi", "Jordan Henderson": a place name followed by a capitalised word that
    # is no common word ("Limerick Marathon", "Berlin Wall") is a given name; "Hannah Lund",
    # "Mr Holloway": one after a given name, a title or an unknown name is a surname.
    following = run.words[end] if end < len(run.words) else ""
    if following[:1].isupper() and following.lower() not in gaz.common_words:
        return False
    previous = run.words[start - 1] if start else ""
    return not previous[:1].isupper() or not (
        previous in gaz.first_names or _is_title(previous) or (
            previous.lower() not in gaz.common_words and previous not in gaz.demonyms))


def _part_of_org(words: list[str], end: int) -> bool:
    # "Kyiv Independent" or "Washington Times": a known name inside a longer organisation.
    return any(word.lower() in ORG_SUFFIXES for word in words[end:])


def _leftover(run: Run, start: int, end: int, gaz: Gazetteer,
              lower_words: set[str]) -> list[Mention]:
    tokens = run.tokens[start:end]
    while tokens and tokens[-1][TEXT] in ("of", "for", "and", "the", ",", "on"):
        tokens = tokens[:-1]
    before = run.before if start == 0 else [word.lower() for word in run.words[:start]][-3:]
    after = run.after if end == len(run.tokens) else [word.lower() for word in run.words[end:]]
    return _pieces(tokens, before, after, gaz, lower_words)


def _pieces(tokens: list[Token], before: list[str], after: list[str], gaz: Gazetteer,
            lower_words: set[str]) -> list[Mention]:
    """Mentions in a run of unknown capitalised tokens, cut at titles and at "and"."""
    tokens = _drop_leading(tokens, gaz, lower_words)
    if not tokens:
        return []
    words = [token[TEXT] for token in tokens]
    suffixed = len(words) > 1 and words[-1].lower() in ORG_SUFFIXES
    if suffixed or (len(words) > 2 and words[0].lower() in ORG_HEADS and words[1] in ("of", "for")):
        return [Mention("organizations", _org_name(words, gaz))]
    if tokens[0][OPENS_SENTENCE] and _common(words[0], gaz) and len(words) > 1:
        # "Tonight Vestmark", "Soon Bianchi": an ordinary word opening the sentence.
        return _pieces(tokens[1:], [words[0].lower()], after, gaz, lower_words)
    for cut, word in enumerate(words):
        if _is_title(word) and cut + 1 < len(words):
            head = _pieces(tokens[:cut], before, [word.lower()], gaz, lower_words)
            name = _strip_titles(words[cut + 1:])  # "Prime Minister" leaves no name
            return head + _titled(join(name), gaz) if name else head
    if words[0] in gaz.first_names and all(word[0].isupper() or word in PARTICLES
                                           for word in words[1:]) and len(words) > 2:
        return [Mention("people", join(words))]  # "Mohammed ben Sulayem"
    if links := [cut for cut, word in enumerate(words) if word in LINKS]:
        cut = links[0]  # not an organisation: "Ulanok and Cherkasskaya Konopelka" are two
        return (_pieces(tokens[:cut], before, [words[cut]], gaz, lower_words)
                + _pieces(tokens[cut + 1:], [words[cut]], after, gaz, lower_words))
    return _single(tokens, words, before, after, gaz)


def _single(tokens: list[Token], words: list[str], before: list[str], after: list[str],
            gaz: Gazetteer) -> list[Mention]:
    """One candidate name: a person, a place or an organisation by its cues, or nothing."""
    name = join(words)
    if all(_is_title(word) for word in words) or len(name) < 2:
        return []  # "said Ms. Ernst" leaves "Ms" alone; "X" is no name
    if len(words) == 1 and ACRONYM.match(name):
        shouted = any(word.isupper() and len(word) > 1 for word in [*before, *after][:1])
        return [] if name in NOT_ACRONYMS or shouted else [Mention("organizations", name)]
    if words[0] in gaz.first_names and len(words) > 1:
        return [Mention("people", name)]
    # Cues before a sentence start belong to the sentence before ("the race director. Soon").
    before = [] if tokens[0][OPENS_SENTENCE] else _without_title_stop(before)
    titled = bool(before) and before[-1] in ROLE_WORDS
    person_cue = titled or (bool(after) and after[0] in SPEECH) or (
        bool(before) and before[-1] in SPEECH) or (
        after[:1] == [","] and after[1:2] and after[1][:1].isdigit())
    # "Ministers said", "Soon, ...": one common word is a person only after a title or role.
    if person_cue and len(words) <= 4 and (titled or not (len(words) == 1 and _common(
            name, gaz))):
        return [Mention("people", name)]
    if len(words) == 1 and after[:1] and after[0] in PLACE_NOUNS:
        return [Mention("places", name)]
    if len(words) == 1 and before and before[-1] in PLACE_CUES:
        return [Mention("place?", name)]
    # A lone unknown word may be the surname of someone named in full elsewhere ("Zimin"); an
    # unknown full name may be confirmed by its surname alone elsewhere ("Helena Lund").
    if len(words) == 1:
        return [Mention("surname", name)]
    return [Mention("name?", name)] if len(words) <= 3 and name.count(" ") == len(words) - 1 else []


def _common(word: str, gaz: Gazetteer) -> bool:
    """A capitalised common English word ("Soon", "Ministers") that is no given name."""
    return word.lower() in gaz.common_words and word not in gaz.first_names


def _without_title_stop(before: list[str]) -> list[str]:
    # "Mr. Biden": look past the abbreviation's full stop to the title itself.
    return before[:-1] if before[-1:] == ["."] and before[-2:-1] and before[-2] in TITLES else (
        before)


def _drop_leading(tokens: list[Token], gaz: Gazetteer, lower_words: set[str]) -> list[Token]:
    """Drop a sentence's ordinary first word, "The", and nationality adjectives."""
    while tokens:
        first = tokens[0]
        word = first[TEXT]
        ordinary = first[OPENS_SENTENCE] and (word.lower() in lower_words or word.lower() in
                                             NOT_NAMES) and word not in gaz.first_names
        if word.lower() in NOT_NAMES or ordinary or (word in gaz.demonyms and not (
                len(tokens) > 1 and tokens[-1][TEXT].lower() in ORG_SUFFIXES)):
            tokens = tokens[1:]
        else:
            return tokens
    return tokens


def _is_title(word: str) -> bool:
    return word.lower() in TITLES or word.lower().split("-")[0] in TITLES  # Secretary-General


def _titled(name: str, gaz: Gazetteer) -> list[Mention]:
    """What follows a title: a person, unless it is a known place ("CEO of Malaysia")."""
    if name in gaz.places:
        return [Mention("places", gaz.places[name])]
    if name in gaz.organizations:
        return [Mention("organizations", gaz.organizations[name])]
    return [Mention("people", name)]


def _strip_titles(words: list[str]) -> list[str]:
    while words and (_is_title(words[0]) or words[0].lower() in TITLE_QUALIFIERS
                     or words[0] in CONNECTORS):  # "Secretary of State Brad Raffensperger"
        words = words[1:]
    return words


def _org_name(words: list[str], gaz: Gazetteer) -> str:
    name = join(words[1:] if words[0] == "The" else words)
    return gaz.organizations.get(name, name)
