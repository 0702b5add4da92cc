"""The extract stage: `extract(CleanPage) -> Article`.

Modules: metadata/jsonld/dates/authors (page metadata), pagekind, liveblog/bylines (entries),
entities/spans/cues/merge/gazetteer (people, places, organisations), quotes, language.
"""
