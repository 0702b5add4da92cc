"""Text made safe to print and to open: no control characters, no spreadsheet formulas."""

import re
from typing import Any

# C0 controls but tab and newline, DEL, and C1 controls: ESC and CSI start the sequences that
# retitle or rewrite a terminal. Those that part words (CR, VT, FF, NEL) become a space.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACING = {"\r": " ", "\x0b": " ", "\x0c": " ", "\x85": " "}
# A cell starting so is a formula to Excel, LibreOffice and Google Sheets (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def without_controls(value: Any) -> Any:
    """`value` with control characters taken out of every string in it (dicts, lists, tuples)."""
    if isinstance(value, str):
        return _CONTROLS.sub(lambda match: _SPACING.get(match.group(), ""), value)
    if isinstance(value, dict):
        return {key: without_controls(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(without_controls(item) for item in value)
    return value


def inert_cell(value: Any) -> Any:
    """A spreadsheet cell that cannot be read as a formula: a leading quote where it could."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
