"""Control characters out of stored text; formulas out of CSV cells."""

import pytest

from shared.models import DeadLetter
from shared.printable import inert_cell, without_controls


def test_controls_are_taken_out_and_word_breaks_kept() -> None:
    assert without_controls("a\x1b]0;x\x07b\x9b2Jc\x00d") == "a]0;xb2Jcd"
    assert without_controls("one\rtwo\x0cthree\x85four") == "one two three four"
    assert without_controls({"t": ("p1\n\tp2", ["\x1bz"]), "n": 3}) == {
        "t": ("p1\n\tp2", ["z"]), "n": 3}


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+33 1 23", "'+33 1 23"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=x", "'\t=x"), ("plain", "plain"), ("a=b", "a=b"), (7, 7), (None, None),
])
def test_cells_that_would_be_formulas_start_with_a_quote(value: object, cell: object) -> None:
    assert inert_cell(value) == cell


def test_dead_letter_messages_hold_no_controls() -> None:
    letter = DeadLetter(job_id="j", url="https://news.example/a", source="s", stage="fetch",
                        reason="unparseable", message="bad title \x1b]0;pwned\x07 here")
    assert letter.message == "bad title ]0;pwned here"
