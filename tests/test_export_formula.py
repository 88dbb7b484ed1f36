import pytest
from hypothesis import given
from hypothesis import strategies as st

from casetracker.exports.fields import escape_formula, to_cell, unescape_formula


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+7 701 000 0000", "'+7 701 000 0000"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("\0nul", "'\0nul"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        ("'quoted", "'quoted"),
        # Already starting with ' and a trigger: escaped once more, so the importer can undo it.
        ("'=1", "''=1"),
    ],
)
def test_cells_starting_with_a_formula_trigger_get_a_leading_quote(value, cell):
    assert escape_formula(value) == cell
    assert unescape_formula(cell) == value


def test_every_cell_is_escaped_whatever_its_type():
    assert to_cell(["=a", "b"]) == "'=a; b"
    assert to_cell(None) == ""
    assert to_cell(True) == "true"


@given(st.text(alphabet=st.sampled_from("='+-@\t\r\0ab ;"), max_size=8) | st.text())
def test_the_importer_undoes_escaping_exactly(value):
    assert unescape_formula(escape_formula(value)) == value


@given(st.text())
def test_an_escaped_cell_never_starts_a_formula(value):
    assert escape_formula(value)[:1] not in ("=", "+", "-", "@", "\t", "\r", "\0")
