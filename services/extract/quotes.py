"""Direct quotations and their speakers."""

from shared.models import Quote


def find_quotes(paragraphs: tuple[str, ...]) -> list[Quote]:
    """Every direct quotation in the paragraphs, with its speaker where the text names one."""
    return []
