"""services.clean.fast gives what trafilatura's own sequence gives, and its bound holds."""

import gzip
import json
from copy import copy
from pathlib import Path

import pytest
import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.baseline import html2txt
from trafilatura.core import trafilatura_sequence
from trafilatura.settings import Document

from services.clean import fast
from services.clean.body import _OPTIONS
from services.clean.page_tree import for_trafilatura, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clean" / "pages"
NAMES = sorted(json.loads((FIXTURES / "pages.json").read_text("utf-8")))
# Built to reach the rescue and the recall retry: a few short lines among many links.
LINKS = "".join(f'<li><a href="/{n}">Section number {n} of the site</a></li>' for n in range(80))
SHORT = ("<html><body><div><ul>" + LINKS + "</ul></div><article><p>A short item of news, "
         "only a sentence or two long.</p></article><div class='x'>Words<b>joined</b>here"
         "<p>and a block</p>tail</div></body></html>")


def page_tree(name: str) -> HtmlElement:
    html = gzip.decompress((FIXTURES / f"{name}.html.gz").read_bytes()).decode("utf-8")
    tree = parse(html)
    assert tree is not None
    return tree


def trees() -> list[tuple[str, HtmlElement]]:
    short = parse(SHORT)
    assert short is not None
    return [*((name, page_tree(name)) for name in NAMES), ("short", short)]


@pytest.mark.parametrize(("name", "tree"), trees())
def test_fast_sequence_is_trafilaturas(name: str, tree: HtmlElement) -> None:
    url = f"https://example.com/{name}"
    ours = fast.fast_sequence(for_trafilatura(tree), _OPTIONS[True], url)
    theirs = trafilatura_sequence(for_trafilatura(tree), _OPTIONS[True], url)
    assert ours[1] == theirs[1]
    assert etree.tostring(ours[0]) == etree.tostring(theirs[0])


@pytest.mark.parametrize(("name", "tree"), trees())
def test_text_bound_holds(name: str, tree: HtmlElement) -> None:
    lean = for_trafilatura(tree)
    assert fast._text_bound(lean) >= len(html2txt(lean)), name


def test_text_bound_on_split_words() -> None:
    """Block tags inside a word split it: html2txt's text is longer than the text's."""
    tree = parse("<html><body><div>ab<p>cd</p>ef<div>gh</div>ij</div></body></html>")
    assert tree is not None
    assert len(html2txt(tree)) > len(" ".join(tree.text_content().split()))
    assert fast._text_bound(tree) >= len(html2txt(tree))



@pytest.mark.parametrize(("name", "tree"), trees())
@pytest.mark.parametrize("quick", [True, False])
def test_sequence_gives_what_bare_extraction_gives(name: str, tree: HtmlElement,
                                                   quick: bool) -> None:
    """trafilatura's public API is the reference, for the mirrored fast path and the rest."""
    url = f"https://example.com/{name}"
    options = copy(_OPTIONS[quick])
    options.url = options.source = url
    document = trafilatura.bare_extraction(for_trafilatura(tree), url=url, options=options)
    try:
        body, text = fast.sequence(for_trafilatura(tree), options, url)
    except ValueError:
        assert document is None
        return
    if document is None:  # bare_extraction's size check, which the clean stage makes itself
        assert len(text) < options.min_output_size
        return
    assert isinstance(document, Document)
    assert text == document.raw_text
    assert etree.tostring(body) == etree.tostring(document.body)
