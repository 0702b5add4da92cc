"""Furniture that news sites share, recognised by its wording even on a site's first page.

Each pattern is checked on the paragraph's own voice: text inside double quotes is someone
being quoted, not the site talking, so it is blanked out first.
"""

import re

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|«[^»]*»")
_MAX_WORDS = 80  # a long paragraph that mentions a newsletter is a story about one

# (reason, pattern): patterns that mark a paragraph wherever they occur in it.
_ANYWHERE = [
    ("login", r"to be (?:automatically )?logged in|refresh (?:the page|your browser)|"
              r"already (?:a subscriber|have an account|registered)|"
              r"(?:log|sign) ?in to (?:continue|read|comment|your account)|"
              r"create (?:a free|an) account to"),
    ("notifications", r"notifications can be managed|turn on (?:push )?notifications|"
                      r"enable (?:push )?notifications"),
    ("appeal", r"\byour (?:donation|support|contribution)s? (?:helps?|makes?|allows?|keeps?|"
               r"means?|enables?)|\bsupport (?:our|independent|quality|trusted) journalism|"
               r"\b(?:make|give) a (?:donation|contribution)\b|\bbecome a (?:member|supporter)|"
               r"\bquality journalism should be available|with paywalls\b"),
    ("newsletter", r"^(?:sign up|subscribe|register) (?:to|for|now|today|here)\b|"
                   r"\bdelivered (?:straight |directly )?to your inbox|"
                   r"\bsign up (?:to|for) (?:our|the) .{0,40}newsletters?\b"),
    ("comments", r"^join (?:the |our |thought-provoking )?(?:conversations?|discussion)\b|"
                 r"^(?:view|show|read|leave|post) (?:\w+ )?comments?\b|"
                 r"\bcomments? (?:are|have been) (?:closed|disabled)"),
    ("teaser", r"^(?:read|see|click|tap) (?:more|here|the full|our)\b|"
               r"^read (?:next|also|more)\b|^(?:related|recommended|more from|most read|"
               r"trending|read more|also read|see also|watch|listen)\s*:"),
    ("social", r"^(?:follow|like) us on\b|^share (?:this|on)\b|"
               r"^(?:click|tap) to share\b"),
    ("advert", r"^(?:advertisement|sponsored(?: content)?|ad|story continues below)$"),
    ("caption", r"^(?:credit|photo(?:graph)?|image|picture|source|getty images)\s*:|"
                r"^\(?(?:photo|image) by\b"),
]
# Written in lower case and matched on lower-cased text: re scans for a literal much faster
# than for a case-folded one, and this runs on every paragraph.
#
# Each pattern's branches split in two. Those anchored at the start ("^read more") are tried
# with match(), which looks at the first characters only; scanning for them anywhere, as one
# search over all branches must, was most of the cost. The rest are searched, first all of
# them together without their anchors (^, $, \b): that loose pattern matches wherever an exact
# branch does, and with a literal at the head of every branch re skips ahead to where one
# starts (five times faster than the exact branches on news). Most paragraphs fail it.
_RELAX = re.compile(r"\\b|(?<!\[)\^|(?<!\\)\$")


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (no | inside brackets or groups splits it)."""
    branches, depth, start, escaped, in_class = [], 0, 0, False, False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
    return [*branches, pattern[start:]]


def _compiled(branches: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(branches)) if branches else None


_RULES = [(reason,
           _compiled([b[1:] for b in _branches(pattern) if b.startswith("^")]),
           _compiled([b for b in _branches(pattern) if not b.startswith("^")]))
          for reason, pattern in _ANYWHERE]
_LOOSE = re.compile("|".join(_RELAX.sub("", b) for _, pattern in _ANYWHERE
                             for b in _branches(pattern) if not b.startswith("^")))
# The voice of a pitch: the site speaking to the reader, outside any quotation.
_PITCH_VOICE = re.compile(r"\b(?:we|our|us|you|your)\b", re.IGNORECASE)


def own_words(paragraph: str) -> str:
    """The paragraph with quoted speech blanked out."""
    return _QUOTED.sub(" ", paragraph).strip()


def reason_for(paragraph: str) -> str | None:
    """Why a paragraph is common furniture, or None for a paragraph of the story."""
    text = own_words(paragraph)
    if not text or len(text.split()) > _MAX_WORDS:
        return None
    lowered = text.lower()
    floating = _LOOSE.search(lowered) is not None
    for reason, anchored, anywhere in _RULES:
        if (anchored and anchored.match(lowered)) \
                or (floating and anywhere and anywhere.search(lowered)):
            return reason
    return None


def sounds_like_pitch(paragraph: str) -> bool:
    """True for a paragraph in which the site addresses its reader (we, our, you, your)."""
    return len(_PITCH_VOICE.findall(own_words(paragraph))) >= 2
