"""An HTML page parsed as trafilatura parses it, without its per-element Python callback.

lxml.html's parser asks a Python function which class each element gets (form fields have
their own), thousands of times a page. The clean stage never uses those classes, so its parser
gives every element the plain HtmlElement class from C: the same tree, about 8% faster
cleaning. Everything else (repairs, options, the check that the text is HTML) is trafilatura's,
with one shortcut: the regex scan for control characters over the whole page (about 1.5 ms on
a 300 KB page) runs only when a substring search (four times cheaper) finds one.

The tree then loses what no reader takes text from: scripts (but JSON-LD), style sheets and
inline SVG. trafilatura deletes all three before it reads (its tree cleaning and its baseline's
both do), as do the readability and jusText fallbacks for scripts and styles, and this
package's readers look at none; but every copy trafilatura makes of the tree and every XPath it
runs over it paid for them: an eighth of trafilatura's fast-run time on fundus80 (one node in
seven goes), a tenth on trafilatura-eval, with the same text from both its fast mode and its
full chain on every page of both corpora.
"""

from copy import copy

import lxml.html
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, is_dubious_html, repair_faulty_html

_PARSER = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                               remove_comments=True, remove_pis=True)
# What trafilatura's INVALID_XML_CHARS removes: C0 controls but tab and line ends, U+FFFE, U+FFFF.
_CONTROLS = tuple(chr(code) for code in (*range(0x20), 0xFFFE, 0xFFFF)
                  if chr(code) not in "\t\n\r")
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))


def parse(html: str) -> HtmlElement | None:
    """The page's tree, or None when the text is not HTML."""
    beginning = html[:50].lower()
    html = _repaired(html, beginning)
    tree: HtmlElement | None = None
    try:
        tree = lxml.html.fromstring(html, parser=_PARSER)
    except ValueError:  # a string that declares its encoding: lxml wants bytes then
        tree = _from_bytes(html)
    except etree.LxmlError:
        tree = None
    if tree is None or len(tree) < 1:
        tree = _from_bytes(html)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    if tree is not None:
        _drop_unread(tree)
    return tree


def _drop_unread(tree: HtmlElement) -> None:
    """Scripts but JSON-LD, style sheets and inline SVG out of the tree, their tails kept."""
    unread = [element for element in tree.iter("script", "style", "svg")
              if (element.tag != "script" or "ld+json" not in (element.get("type") or ""))
              and element is not tree]  # a fragment that is one script stays as it is
    for element in unread:
        element.drop_tree()  # the text after it (its tail) stays, as trafilatura's deletes keep it


def _repaired(html: str, beginning: str) -> str:
    """trafilatura's repair_faulty_html, its control-character scan skipped when none is there."""
    if any(char in html for char in _CONTROLS):
        return repair_faulty_html(html, beginning)
    if "doctype" in beginning:
        first_line, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", first_line, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            return FAULTY_HTML.sub(r"\1>", html, count=1)
    return html


def _from_bytes(html: str) -> HtmlElement | None:
    try:
        return lxml.html.fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (ValueError, etree.LxmlError):
        return None


def for_trafilatura(tree: HtmlElement) -> HtmlElement:
    """A copy of the tree for trafilatura, without the boxes it deletes before it reads.

    Asides and footers go in trafilatura's tree cleaning and in its baseline's, before either
    reads a word, yet each of its copies and XPath passes pays for them first. With this one
    copy more its fast run's median CPU per page is 9.6 -> 8.8 ms on fundus80, 8.0 -> 7.3 ms
    on trafilatura-eval, with the same text on every page of both (its full chain's fallbacks
    included). Clean's own readers keep them: an aside is evidence of furniture.
    """
    lean = copy(tree)
    for element in list(lean.iter("aside", "footer", "fencedframe")):
        if element is not lean:
            element.drop_tree()
    return lean
