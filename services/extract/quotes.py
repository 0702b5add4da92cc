"""Direct quotations and their speakers: quote marks, speech verbs and the last named speaker."""

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from services.extract.cues import SPEECH
from services.extract.entities import Analysis, full_names
from services.extract.merge import Mention
from services.extract.spans import START, TEXT, Token, wordset
from shared.models import Quote

PRONOUNS = {"he": "people", "she": "people", "it": "organizations"}
AUXILIARIES = wordset("has have had was is also later earlier then previously")
OPEN, CLOSE = "“", "”"
MIN_WORDS = 4  # shorter quoted phrases are scare quotes ("ghost town"), not quotations
ATTRIBUTION_REACH = 12  # tokens after a quote in which "..., X said" may name its speaker


@dataclass
class Span:
    """A quotation's text and where it sits in the document."""

    start: int
    end: int
    text: str
    paragraph: int
    line_start: int = 0  # where its paragraph starts in the document
    opens_paragraph: bool = False  # the opening mark is the paragraph's first character


@dataclass
class Said:
    """A speech verb and who it names as speaking: a name, a pronoun to resolve, or nobody."""

    position: int
    speaker: str | None
    # "people", "organizations", "pronoun", None for an unnamed speaker ("the ministry said"),
    # or "mention": a person named with no verb, the last resort for "he said".
    kind: str | None


@dataclass
class Saids:
    """The speech verbs in document order and the text's sentence stops, indexed so that each
    quotation's lookups are logarithmic: a page of many short quotations must not scan every
    verb, or the text back to its paragraph's start, for every quotation."""

    items: list[Said]
    text: str
    stops: list[int] = field(init=False)  # where ". ", "? " and "! " start
    positions: list[int] = field(init=False)
    # For each prefix saids[:i], the index of its last said of a kind: lookups in O(1).
    last: dict[str, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.positions = [said.position for said in self.items]
        self.stops = [match.start() for match in re.finditer(r"[.?!] ", self.text)]
        groups = {"named": lambda kind: kind not in (None, "mention"),
                  "verb": lambda kind: kind != "mention",
                  "people": lambda kind: kind == "people",
                  "mention": lambda kind: kind == "mention",
                  "bodies": lambda kind: kind in ("organizations", None)}
        self.last = {name: _last_of(self.items, test) for name, test in groups.items()}

    def between(self, low: int, high: int) -> tuple[int, int]:
        """The index range of the saids with low < position < high."""
        return bisect_right(self.positions, low), bisect_left(self.positions, high)

    def sentence_start(self, span: Span) -> int:
        """The last stop (or newline) before a quotation's opening mark, -1 for none."""
        stop = bisect_right(self.stops, span.start - 3) - 1
        return max(span.line_start - 1, self.stops[stop] if stop >= 0 else -1)

    def last_in(self, group: str, start: int, stop: int) -> Said | None:
        """The last said of a group among saids[start:stop]."""
        found = self.last[group][stop]
        return self.items[found] if found >= start else None


def _last_of(saids: list[Said], test: Callable[[str | None], bool]) -> list[int]:
    last, found = [-1], -1
    for index, said in enumerate(saids):
        if test(said.kind):
            found = index
        last.append(found)
    return last


def find_quotes(analysis: Analysis) -> list[Quote]:
    """Every direct quotation in an analysed text, with its speaker where the text names one."""
    text = analysis.text
    spans = [span for span in quote_spans(text) if _is_quotation(span.text)]
    if not spans:
        return []
    saids = Saids(_attributions(analysis, full_names(analysis.entities), spans), text)
    quotes: list[Quote] = []
    speakers: list[tuple[Span, str | None]] = []
    for span in spans:
        speaker = _speaker(span, saids, speakers, text)
        speakers.append((span, speaker))
        quotes.append(Quote(speaker=speaker, text=span.text))
    return quotes


def quote_spans(text: str) -> list[Span]:
    """Quoted passages: curly or straight marks, one paragraph at most, closing mark optional.

    A quotation running over paragraphs reopens each one with a mark; its closing mark may also
    open the next paragraph (”He said...), as some scrapers leave it.
    """
    found: list[Span] = []
    offset = 0
    for number, paragraph in enumerate(text.split("\n")):
        body = paragraph[1:] if paragraph.startswith(CLOSE) else paragraph
        skip = len(paragraph) - len(body)
        for match in re.finditer(r"“([^“”]*)(?:”|$)|\"([^\"]*)(?:\"|$)", body):
            inner = match.group(1) if match.group(1) is not None else match.group(2)
            start = offset + skip + match.start() + 1
            # A comma before the closing mark belongs to the sentence, not to the quotation.
            found.append(Span(start, start + len(inner), inner.strip().rstrip(",").rstrip(),
                              number, offset, skip + match.start() == 0))
        offset += len(paragraph) + 1
    return found


def _is_quotation(text: str) -> bool:
    words = text.split()
    titled = all(word[:1].isupper() or word in ("of", "the", "a", "and", "in") for word in words)
    return len(words) >= MIN_WORDS and not titled


def _attributions(analysis: Analysis, names: dict[str, str], spans: list[Span]) -> list[Said]:
    """Every speech verb with the speaker next to it, in document order."""
    tokens = analysis.tokens
    owner: dict[int, list[Mention]] = {}
    for run, mentions in analysis.runs:
        for token in run.tokens:
            owner[id(token)] = mentions
    starts = [span.start for span in spans]
    saids = []
    for index, token in enumerate(tokens):
        if token[TEXT].lower() in SPEECH:
            speaker, kind = _subject(tokens, index, owner, names)
            saids.append(Said(token[START], speaker, kind))
        elif id(token) in owner and (  # only a token of a name run can name a person
                found := _who(token, owner, names, guesses=False))[1] == "people" and (
                index + 1 == len(tokens) or id(tokens[index + 1]) not in owner) and not (
                _inside(spans, starts, token[START])):
            # A person named without a verb: the fallback referent of a later "he said".
            saids.append(Said(token[START], found[0], "mention"))
    return saids


def _inside(spans: list[Span], starts: list[int], position: int) -> bool:
    """Whether a position lies inside a quotation (spans are in order and never overlap)."""
    index = bisect_right(starts, position) - 1
    return index >= 0 and position < spans[index].end


def _subject(tokens: list[Token], verb: int, owner: dict[int, list[Mention]],
             names: dict[str, str]) -> tuple[str | None, str | None]:
    """Who the verb at tokens[verb] says spoke: left of it, or right of it ("said Ron Rogge")."""
    left = verb - 1
    while left >= 0 and tokens[left][TEXT].lower() in AUXILIARIES:
        left -= 1
    if left >= 0 and tokens[left][TEXT] == ",":  # "Pasi Paroinen, a military analyst, said"
        comma = next((i for i in range(left - 1, max(-1, left - 15), -1)
                      if tokens[i][TEXT] == ","), None)
        left = comma - 1 if comma is not None else left
    for index in (left, verb + 1):
        if 0 <= index < len(tokens):
            found = _who(tokens[index], owner, names)
            if found != (None, None) or (index == left and tokens[index][TEXT].isalpha()):
                return found
    return None, None


def _who(token: Token, owner: dict[int, list[Mention]], names: dict[str, str],
         guesses: bool = True) -> tuple[str | None, str | None]:
    """The person or organisation a token belongs to; lone unknown words only as guesses."""
    word = token[TEXT].lower()
    if word in PRONOUNS:
        return word, "pronoun"
    people = ("people", "surname", "place?") if guesses else ("people",)
    for mention in reversed(owner.get(id(token), [])):
        if mention.kind in people:
            return names.get(mention.name, mention.name), "people"
        if mention.kind == "organizations":
            return mention.name, "organizations"
    return None, None


def _speaker(span: Span, saids: Saids, earlier: list[tuple[Span, str | None]],
             text: str) -> str | None:
    """The speaker of one quotation: its own attribution, else the paragraph's, else the last."""
    said = _after(span, saids, text) or _before(span, saids)
    if said is not None:
        return _resolve(said, saids)
    if earlier and earlier[-1][0].paragraph == span.paragraph:
        return earlier[-1][1]  # "said X. “...": the second part of one person's quotation
    if span.opens_paragraph and earlier:
        # A paragraph that is only a quotation continues the previous speaker's words.
        previous, speaker = earlier[-1]
        return speaker if span.paragraph - previous.paragraph <= 2 else None
    return None


def _after(span: Span, saids: Saids, text: str) -> Said | None:
    tail = text[span.end:span.end + 160]
    stop = re.search(r"[.!?]\s|\n|“", tail[1:])  # past the closing mark
    limit = span.end + 1 + (stop.start() if stop else len(tail))
    first, last = saids.between(span.end - 1, limit + 1)
    return next((said for said in saids.items[first:last]
                 if len(text[span.end:said.position].split()) <= ATTRIBUTION_REACH), None)


def _before(span: Span, saids: Saids) -> Said | None:
    first, last = saids.between(saids.sentence_start(span), span.start)
    # "He said ..., adding that “...”": a verb with no subject of its own leans on the first.
    return saids.last_in("named", first, last) or saids.last_in("verb", first, last)


def _resolve(said: Said, saids: Saids) -> str | None:
    """A name as is; a pronoun as the last speaker of its kind named before it."""
    if said.kind != "pronoun":
        return said.speaker
    before = bisect_left(saids.positions, said.position)
    if PRONOUNS.get(said.speaker or "") == "organizations":
        # "it said" follows the last non-person speaker, even an unnamed one ("the ministry").
        body = saids.last_in("bodies", 0, before)
        return body.speaker if body else None
    person = saids.last_in("people", 0, before) or saids.last_in("mention", 0, before)
    return person.speaker if person else None
