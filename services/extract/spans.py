"""Capitalised-name candidates in running text: tokens, then runs of capitalised words."""

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Final

# Acronyms with dots (U.S., D.C.), words with inner apostrophes or hyphens, or one symbol;
# a newline is a token too, so no name runs across paragraphs.
# Letters and digits part ("Rai15 November": a byline glued to its date).
TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[A-Z]{1,3}\d{1,2}\b|[^\W\d_]+(?:[’'\-][^\W\d_]+)*[’']?"
                   r"|\d[\d.,]*|[^\w\s]|\n")
POSSESSIVE_ENDS = frozenset("’'s")
TITLE_ABBREVIATIONS = frozenset({"Mr", "Mrs", "Ms", "Dr", "St", "Sen", "Rep", "Gen", "Col",
                                 "Lt", "Prof", "Jr", "Sr", "Gov", "Capt", "Sgt"})
SENTENCE_OPENERS = frozenset(".!?:;“\"‘([—–…\n")  # a newline parts paragraphs
# No name is longer; a longer capitalised run (a shouted page, a title-cased list) is cut, so
# the recogniser's work per run stays bounded however the page is written.
MAX_RUN_TOKENS = 24
CONNECTORS = frozenset({"of", "for", "and", "de", "du", "del", "della", "da", "di", "la", "le",
                        "von", "van", "der", "den", "bin", "ben", "al", "el", "the"})


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one space-separated string (word lists read better so)."""
    return frozenset(text.split())


# A token is a plain tuple (text, start, opens a sentence, possessive), read by these indices:
# a page has thousands and a long one millions, and a tuple costs half an object to build.
Token = tuple[str, int, bool, bool]
TEXT: Final = 0
START: Final = 1  # offset in the text
OPENS_SENTENCE: Final = 2
POSSESSIVE: Final = 3  # ends a name: "Ukraine’s", "London-based"


@dataclass
class Run:
    """Consecutive capitalised tokens (with inner connectors): one candidate name or more."""

    tokens: list[Token]
    before: list[str]  # the words just before, lower-cased: context cues
    after: list[str]  # the words just after, lower-cased

    @cached_property  # read at every position of the run by the recogniser
    def words(self) -> list[str]:
        return [token[TEXT] for token in self.tokens]


def tokenize(text: str) -> list[Token]:
    """Tokens with sentence starts marked and possessive endings ("Ukraine’s") split off."""
    tokens: list[Token] = []
    append = tokens.append
    previous = before = ""  # the texts of the last two tokens
    for match in TOKEN.finditer(text):
        word = match.group()
        # "Mr. Biden": the full stop after a title abbreviation does not end the sentence.
        opener = not tokens or (previous in SENTENCE_OPENERS and not (
            previous == "." and before in TITLE_ABBREVIATIONS))
        name, possessive = word, False
        # The last character first: the pattern can only match a word ending so.
        if word[-1] in POSSESSIVE_ENDS and word[0].isalpha() and (
                stripped := _without_possessive(word)) != word and stripped:
            name, possessive = stripped, True
        elif word[0].isupper() and "-" in word and word.rsplit("-", 1)[1].islower():
            # "London-based", "Kyiv-backed": the name is the part before the hyphen.
            name, possessive = word.split("-", 1)[0], True
        append((name, match.start(), opener, possessive))
        before, previous = previous, name
    return tokens


def _without_possessive(word: str) -> str:
    """The word without a final ’ or ’s (' or 's): what re.sub(r"[’']s?$", "", word) leaves,
    without a regex call for every plural."""
    if word[-1] != "s":
        return word[:-1] if word[-1] in "’'" else word
    return word[:-2] if len(word) > 1 and word[-2] in "’'" else word


def runs(tokens: list[Token], comma_prefixes: frozenset[str] = frozenset()) -> list[Run]:
    """Maximal runs of capitalised tokens; connectors join them only between capitals."""
    found: list[Run] = []
    capitals = [token[TEXT][0].isupper() for token in tokens]
    index = 0
    while index < len(tokens):
        try:  # the next capitalised token: list.index skips the lower-case ones in C
            index = capitals.index(True, index)
        except ValueError:
            break
        end = index + 1
        while end < len(tokens) and not tokens[end - 1][POSSESSIVE] and (
                end - index < MAX_RUN_TOKENS):
            if capitals[end] and tokens[end][TEXT] not in TITLE_ABBREVIATIONS:
                end += 1
            elif _joins(tokens, index, end, comma_prefixes):
                end += 2
            else:
                break
        found.append(Run(tokens[index:end], _context(tokens[max(0, index - 3):index]),
                         _context(tokens[end:end + 3])))
        index = end
    return found


def _joins(tokens: list[Token], start: int, end: int, comma_prefixes: frozenset[str]) -> bool:
    """True when tokens[end] links the run to a capitalised tokens[end + 1]."""
    if end + 1 >= len(tokens) or not tokens[end + 1][TEXT][0].isupper():
        return False
    link = tokens[end][TEXT]
    if link in CONNECTORS:
        return True
    # A few names hold commas ("Foreign, Commonwealth and Development Office").
    so_far = " ".join(token[TEXT] for token in tokens[start:end])
    return link == "," and f"{so_far}, {tokens[end + 1][TEXT]}" in comma_prefixes


def _context(tokens: list[Token]) -> list[str]:
    return [token[TEXT].lower() for token in tokens]


def join(words: list[str]) -> str:
    """Words back into a name, with commas hugging the word before them."""
    return " ".join(words).replace(" ,", ",")
