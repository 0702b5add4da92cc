"""People, places and organisations named in a text."""

from shared.models import Entities


def find_entities(paragraphs: tuple[str, ...]) -> Entities:
    """The people, places and organisations the paragraphs name, merged, with mention counts."""
    return Entities()
