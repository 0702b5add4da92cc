"""Capitalised-name candidates in running text: tokens, then runs of capitalised words."""

import re
from dataclasses import dataclass
from functools import cached_property

# Acronyms with dots (U.S., D.C.), words with inner apostrophes or hyphens, or one symbol;
# a newline is a token too, so no name runs across paragraphs.
# Letters and digits part ("Rai15 November": a byline glued to its date).
TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[A-Z]{1,3}\d{1,2}\b|[^\W\d_]+(?:[’'\-][^\W\d_]+)*[’']?"
                   r"|\d[\d.,]*|[^\w\s]|\n")
POSSESSIVE = re.compile(r"[’']s?$")
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


@dataclass(slots=True)  # a long page has millions of tokens
class Token:
    """A word with what the recogniser needs to know about its place in the sentence."""

    text: str
    start: int
    sentence_start: bool = False
    possessive: bool = False  # ends a name: "Ukraine’s", "London-based"

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper()


@dataclass
class Run:
    """Consecutive capitalised tokens (with inner connectors): one candidate name or more."""

    tokens: list[Token]
    before: list[str]  # the words just before, lower-cased: context cues
    after: list[str]  # the words just after, lower-cased

    @cached_property  # read at every position of the run by the recogniser
    def words(self) -> list[str]:
        return [token.text for token in self.tokens]


def tokenize(text: str) -> list[Token]:
    """Tokens with sentence starts marked and possessive endings ("Ukraine’s") split off."""
    tokens: list[Token] = []
    previous = ""
    for match in TOKEN.finditer(text):
        word = match.group()
        opener = not tokens or (previous in SENTENCE_OPENERS and not _after_title(tokens))
        token = Token(word, match.start(), opener)
        # The last character first: the pattern can only match a word ending so.
        if word[-1] in POSSESSIVE_ENDS and word[0].isalpha() and (
                stripped := POSSESSIVE.sub("", word)) != word and stripped:
            token.text, token.possessive = stripped, True
        elif word[0].isupper() and "-" in word and word.rsplit("-", 1)[1].islower():
            # "London-based", "Kyiv-backed": the name is the part before the hyphen.
            token.text, token.possessive = word.split("-", 1)[0], True
        tokens.append(token)
        previous = word
    return tokens


def _after_title(tokens: list[Token]) -> bool:
    # "Mr. Biden": the full stop after a title abbreviation does not end the sentence.
    return len(tokens) >= 2 and tokens[-1].text == "." and tokens[-2].text in TITLE_ABBREVIATIONS


def runs(tokens: list[Token], comma_prefixes: frozenset[str] = frozenset()) -> list[Run]:
    """Maximal runs of capitalised tokens; connectors join them only between capitals."""
    found: list[Run] = []
    capitals = [token.text[0].isupper() for token in tokens]
    index = 0
    while index < len(tokens):
        try:  # the next capitalised token: list.index skips the lower-case ones in C
            index = capitals.index(True, index)
        except ValueError:
            break
        end = index + 1
        while end < len(tokens) and not tokens[end - 1].possessive and (
                end - index < MAX_RUN_TOKENS):
            if capitals[end] and tokens[end].text not in TITLE_ABBREVIATIONS:
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
    if end + 1 >= len(tokens) or not tokens[end + 1].capitalised:
        return False
    link = tokens[end].text
    if link in CONNECTORS:
        return True
    # A few names hold commas ("Foreign, Commonwealth and Development Office").
    so_far = " ".join(token.text for token in tokens[start:end])
    return link == "," and f"{so_far}, {tokens[end + 1].text}" in comma_prefixes


def _context(tokens: list[Token]) -> list[str]:
    return [token.text.lower() for token in tokens]


def join(words: list[str]) -> str:
    """Words back into a name, with commas hugging the word before them."""
    return " ".join(words).replace(" ,", ",")
