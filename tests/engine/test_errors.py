"""Bad input: clear, line-numbered errors, several at once, and never a hang."""

from __future__ import annotations

import random

import pytest

from ncopt.errors import GCodeError
from ncopt.interpreter import parse_program

SETUP = "%\nO1000\nG90 G54 G17 G21\nT1 M6\nS1000 M3\nG0 X0. Y0.\nG43 H1 Z25.\n"


def error_of(text) -> GCodeError:
    with pytest.raises(GCodeError) as info:
        parse_program(text)
    return info.value


def test_g2_without_centre_or_radius_names_line_and_column():
    err = error_of(SETUP + "G1 Z-1. F100.\nG2 X10. Y0.\n")
    assert (err.line_no, err.column, err.text) == (9, 1, "G2")
    assert "I/J/K or R" in str(err)


def test_g2_with_a_coordinate_missing_its_value():
    err = error_of(SETUP + "G1 Z-1. F100.\nG2 X Y10. R5.\n")
    assert (err.line_no, err.column, err.text) == (9, 4, "X")


def test_several_errors_are_reported_at_once():
    err = error_of(SETUP + "G1 X1. X2.\nG0 X1 @\nG1 X(open\n12 X3\n")
    assert [(i.line_no, i.column) for i in err.issues] == [(8, 8), (9, 7), (10, 5), (11, 1)]
    assert "and 3 more" in str(err)


def test_arc_end_not_on_the_circle():
    err = error_of(SETUP + "G1 Z-1. F100.\nG2 X10. Y0. I1. J0.\n")
    assert err.line_no == 9 and "circle" in str(err)


def test_binary_and_non_utf8_input():
    err = error_of(b"G0 X1.\n\x00\x01\x02binary")
    assert (err.line_no, err.column) == (2, 1) and "binary" in str(err)
    err = error_of("G0 X1.\nG1 X\u00e9\n".encode("latin-1"))
    byte = [i for i in err.issues if "UTF-8" in i.message]
    assert [(i.line_no, i.column, i.text) for i in byte] == [(2, 5, "0xe9")]


def test_canned_cycle_without_depth():
    err = error_of(SETUP + "G81 X1. Y1. R2. F100.\n")
    assert err.line_no == 8 and "Z depth" in str(err)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["bytes", "letters", "lines"])
def test_fifty_megabytes_of_garbage_fail_fast(kind, monkeypatch):
    """Garbage is refused after the first problems, not after reading all of it: counted in
    lines the interpreter executes, not in seconds (a timed assertion flakes under load)."""
    import ncopt.interpreter
    from ncopt.gcode import MAX_ISSUES

    executed = []
    real = ncopt.interpreter.execute_line

    def counting(b, i, line):
        executed.append(i)
        real(b, i, line)

    monkeypatch.setattr(ncopt.interpreter, "execute_line", counting)
    rng = random.Random(7)
    size = 50 * 1024 * 1024
    if kind == "bytes":
        data: bytes | str = rng.randbytes(size)
    elif kind == "letters":
        data = "GX1@" * (size // 4)
    else:
        line = "".join(rng.choice("ABGXYZ0123456789.$%&* ") for _ in range(60))
        data = (line + "\n") * (size // 61)
    err = error_of(data)
    assert err.issues and err.line_no >= 1
    assert len(executed) <= 2 * MAX_ISSUES  # of about 860,000 lines
