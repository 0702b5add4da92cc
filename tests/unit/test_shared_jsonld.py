"""The one JSON-LD reader: clean and extract see the same nodes, whatever the script's type says."""

import lxml.html

from services.clean import structured
from services.extract import jsonld as extract_jsonld
from shared import jsonld

PAGE = """<html><head>
<script type="application/ld+json; charset=utf-8">
{"@graph": [{"@type": "schema:LiveBlogPosting", "headline": "Storm live",
  "liveBlogUpdate": [{"headline": "Roads shut", "articleBody": "The coast road is shut."}]}]}
</script>
<script type="application/ld+json">[{"@type": ["WebPage", "ItemList"]}, not json</script>
</head><body><p>x</p></body></html>"""


def test_a_typed_charset_script_is_read_by_both_stages() -> None:
    tree = lxml.html.fromstring(PAGE)
    found = jsonld.nodes(tree)
    assert [jsonld.types_of(node) for node in found] == [set(), {"LiveBlogPosting"}]
    facts = structured.read(tree)
    assert facts.titles == ("Storm live",)
    assert facts.updates == (("Roads shut", "The coast road is shut."),)
    assert extract_jsonld.article_node(extract_jsonld.nodes(tree)) == found[1]


def test_flatten_walks_lists_and_graphs_depth_first() -> None:
    data = [{"@type": "A", "@graph": [{"@type": "B"}]}, [{"@type": "C"}], "text"]
    assert [node["@type"] for node in jsonld.flatten(data)] == ["A", "B", "C"]
