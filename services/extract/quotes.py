"""Direct quotations and their speakers: quote marks, speech verbs and the last named speaker."""

import re
from dataclasses import dataclass

from services.extract.cues import SPEECH
from services.extract.entities import Analysis, full_names
from services.extract.merge import Mention
from services.extract.spans import Token, wordset
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


@dataclass
class Said:
    """A speech verb and who it names as speaking: a name, a pronoun to resolve, or nobody."""

    position: int
    speaker: str | None
    # "people", "organizations", "pronoun", None for an unnamed speaker ("the ministry said"),
    # or "mention": a person named with no verb, the last resort for "he said".
    kind: str | None


def find_quotes(analysis: Analysis) -> list[Quote]:
    """Every direct quotation in an analysed text, with its speaker where the text names one."""
    text = analysis.text
    spans = [span for span in quote_spans(text) if _is_quotation(span.text)]
    if not spans:
        return []
    saids = _attributions(analysis, full_names(analysis.entities), spans)
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
                              number))
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
    saids = []
    for index, token in enumerate(tokens):
        if token.text.lower() in SPEECH:
            speaker, kind = _subject(tokens, index, owner, names)
            saids.append(Said(token.start, speaker, kind))
        elif (found := _who(token, owner, names, guesses=False))[1] == "people" and (
                index + 1 == len(tokens) or id(tokens[index + 1]) not in owner) and not any(
                span.start <= token.start < span.end for span in spans):
            # A person named without a verb: the fallback referent of a later "he said".
            saids.append(Said(token.start, found[0], "mention"))
    return saids


def _subject(tokens: list[Token], verb: int, owner: dict[int, list[Mention]],
             names: dict[str, str]) -> tuple[str | None, str | None]:
    """Who the verb at tokens[verb] says spoke: left of it, or right of it ("said Ron Rogge")."""
    left = verb - 1
    while left >= 0 and tokens[left].text.lower() in AUXILIARIES:
        left -= 1
    if left >= 0 and tokens[left].text == ",":  # "Pasi Paroinen, a military analyst, said"
        comma = next((i for i in range(left - 1, max(-1, left - 15), -1)
                      if tokens[i].text == ","), None)
        left = comma - 1 if comma is not None else left
    for index in (left, verb + 1):
        if 0 <= index < len(tokens):
            found = _who(tokens[index], owner, names)
            if found != (None, None) or (index == left and tokens[index].text.isalpha()):
                return found
    return None, None


def _who(token: Token, owner: dict[int, list[Mention]], names: dict[str, str],
         guesses: bool = True) -> tuple[str | None, str | None]:
    """The person or organisation a token belongs to; lone unknown words only as guesses."""
    word = token.text.lower()
    if word in PRONOUNS:
        return word, "pronoun"
    people = ("people", "surname", "place?") if guesses else ("people",)
    for mention in reversed(owner.get(id(token), [])):
        if mention.kind in people:
            return names.get(mention.name, mention.name), "people"
        if mention.kind == "organizations":
            return mention.name, "organizations"
    return None, None


def _speaker(span: Span, saids: list[Said], earlier: list[tuple[Span, str | None]],
             text: str) -> str | None:
    """The speaker of one quotation: its own attribution, else the paragraph's, else the last."""
    said = _after(span, saids, text) or _before(span, saids, text)
    if said is not None:
        return _resolve(said, saids)
    same = [speaker for other, speaker in earlier if other.paragraph == span.paragraph]
    if same:
        return same[-1]  # "said X. “...": the second part of one person's quotation
    if span.start - 1 == text.rfind("\n", 0, span.start) + 1 and earlier:
        # A paragraph that is only a quotation continues the previous speaker's words.
        previous, speaker = earlier[-1]
        return speaker if span.paragraph - previous.paragraph <= 2 else None
    return None


def _after(span: Span, saids: list[Said], text: str) -> Said | None:
    tail = text[span.end:span.end + 160]
    stop = re.search(r"[.!?]\s|\n|“", tail[1:])  # past the closing mark
    limit = span.end + 1 + (stop.start() if stop else len(tail))
    return next((said for said in saids if span.end <= said.position <= limit
                 and len(text[span.end:said.position].split()) <= ATTRIBUTION_REACH), None)


def _before(span: Span, saids: list[Said], text: str) -> Said | None:
    head_start = max(text.rfind("\n", 0, span.start), *(
        text.rfind(mark, 0, span.start - 1) for mark in (". ", "? ", "! ")))
    candidates = [said for said in saids if head_start < said.position < span.start]
    # "He said ..., adding that “...”": a verb with no subject of its own leans on the first.
    named = [said for said in candidates if said.kind not in (None, "mention")]
    candidates = [said for said in candidates if said.kind != "mention"]
    chosen = named or candidates
    return chosen[-1] if chosen else None


def _resolve(said: Said, saids: list[Said]) -> str | None:
    """A name as is; a pronoun as the last speaker of its kind named before it."""
    if said.kind != "pronoun":
        return said.speaker
    earlier = [other for other in saids if other.position < said.position]
    if PRONOUNS.get(said.speaker or "") == "organizations":
        # "it said" follows the last non-person speaker, even an unnamed one ("the ministry").
        bodies = [other for other in earlier if other.kind in ("organizations", None)]
        return bodies[-1].speaker if bodies else None
    people = [other for other in earlier if other.kind == "people"] or [
        other for other in earlier if other.kind == "mention"]
    return people[-1].speaker if people else None
