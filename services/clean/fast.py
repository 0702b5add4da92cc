"""trafilatura's fast extraction of a tree it may take apart, with less copying and measuring.

For the clean stage's fast options (no comments, balanced focus, fast), trafilatura 2.3.1's
trafilatura_sequence does what fast_sequence does here, with three differences that cannot
change its result:

- It keeps a copy of the cleaned tree as a backup for its comparison with the external
  extractors (readability, jusText), which the fast mode never runs: no backup here.
- bare_extraction copies the tree it is handed, so that the caller's stays whole; the clean
  stage hands it a copy made for it, so sequence() does without bare_extraction.
- Before it retries a short result in recall mode it measures the page's text with
  html2txt (a copy of the tree, a cleaning XPath with regular expressions, spacing of every
  block), retrying when the result is under a fifth of that. _text_bound() caps that
  length from above, cheaply (see there): when the result is a fifth of the cap or more, it
  is a fifth of the page's text or more, and html2txt is not needed.

Any other trafilatura version, or other options, runs trafilatura's public bare_extraction
(one more copy of the tree): the steps here are its internals, which may change between
versions, or be gone (then nothing here is imported of them).
"""

from copy import copy
from typing import Any

import trafilatura
from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.settings import Document, Extractor

try:  # trafilatura's internals: another release may move them, and then its public API runs
    from trafilatura.baseline import _BLOCK_ELEMS, baseline, html2txt
    from trafilatura.core import (
        ESCALATION_ACCEPT_RATIO,
        ESCALATION_MAX_LENGTH,
        ESCALATION_PAGE_SHARE,
        _forum_thread_page,
        _recall_retry,
    )
    from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
    from trafilatura.main_extractor import extract_content
    from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH
    INTERNALS = True
except ImportError:
    INTERNALS = False

MIRRORED = "2.3.1"  # the trafilatura whose trafilatura_sequence fast_sequence follows


def sequence(tree: HtmlElement, options: Extractor, url: str | None) -> tuple[_Element, str]:
    """trafilatura's body and its text for a tree it may take apart; ValueError or TypeError
    where bare_extraction would return no document."""
    if INTERNALS and trafilatura.__version__ == MIRRORED and options.fast \
            and not options.comments and options.focus == "balanced":
        return fast_sequence(tree, options, url)
    document: Any = trafilatura.bare_extraction(tree, url=url, options=options)
    if not isinstance(document, Document) or document.body is None:
        raise ValueError("no document")
    return document.body, document.raw_text or document.text or ""


def fast_sequence(tree: HtmlElement, options: Extractor, url: str | None
                  ) -> tuple[_Element, str]:
    """trafilatura_sequence's steps for fast options without comments, balanced focus."""
    is_forum = _forum_thread_page(tree)
    tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
    if not is_forum:  # comments are off
        tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    cleaned = convert_tags(tree_cleaning(copy(tree), options), options, url)
    postbody, text = extract_content(cleaned, options)
    # the rescue: baseline on the uncleaned tree, when it finds more
    if len(text) < options.min_extracted_size:
        b_body, b_text, b_len = baseline(tree)
        if b_len > len(text):
            postbody, text = b_body, b_text
    # the recall retry, for a short result that is a small part of the page
    length = len(text)
    if 0 < length < ESCALATION_MAX_LENGTH \
            and length < ESCALATION_PAGE_SHARE * _text_bound(tree) \
            and length < ESCALATION_PAGE_SHARE * len(html2txt(tree)):
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = ""
        try:
            r_body, r_text = _recall_retry(tree, r_options, url)
        except Exception:  # as trafilatura: a failed retry keeps the result
            r_text = ""
        if len(r_text) >= options.min_extracted_size \
                and len(r_text) > ESCALATION_ACCEPT_RATIO * length:
            postbody, text = r_body, r_text
    return postbody, text


def _text_bound(tree: HtmlElement) -> int:
    """At least len(html2txt(tree)), for a fraction of its cost.

    html2txt takes the body (or the tree, without one), deletes elements from it (keeping
    their tails) and characters (controls), puts a space before the text and before the tail
    of every block element, and joins the words with single spaces. Deleting characters never
    lengthens that joined text (it drops characters or merges words), and each space put in
    lengthens it by one character at most (by splitting a word). So it is no longer than the
    body's own text joined the same way plus two characters per block element.
    """
    body = tree.find(".//body")
    if body is None:
        body = tree
    words = body.text_content().split()
    blocks = sum(1 for _ in body.iter(*_BLOCK_ELEMS))
    return sum(map(len, words)) + len(words) + 2 * blocks
