"""The extract stage: `extract(CleanPage) -> Article`, plus `dedupe` for the store stage.

Modules: metadata/jsonld/dates/authors (page metadata), pagekind, liveblog/bylines (entries),
entities/spans/cues/merge/gazetteer (people, places, organisations), quotes, language.
"""
