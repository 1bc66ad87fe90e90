"""Lexical layer of the NC reader: decoding, comments, words, and which lines are barriers.

Only this module knows the characters of ISO/Fanuc code; the interpreter sees words. A line is
split into its code part (comments removed) and words ``(letter, text, column)``. Anything the
interpreter must not try to understand (macro statements, ``#`` variables, unknown addresses)
is reported as a barrier reason instead of an error, so the line is carried verbatim.

>>> scan_line("N10 G0 X1.5 (T1 IS NOT A TOOL) Y-2", 1).words
(('N', '10', 1), ('G', '0', 5), ('X', '1.5', 8), ('Y', '-2', 32))
>>> scan_line("G65 P9001 A1.", 1).barrier
'unknown address A'
>>> scan_line("#100=5", 1).barrier
'macro statement'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntFlag

from ncopt.errors import GCodeError, GCodeIssue

__all__ = [
    "CANNED_CYCLES",
    "MAX_ISSUES",
    "MAX_LINE_CHARS",
    "NUMBER_DECIMALS",
    "LineFlag",
    "ScannedLine",
    "as_rapid",
    "decode_program",
    "encode_program",
    "format_number",
    "line_flags",
    "line_words",
    "scan_line",
    "with_words_in_front",
]

# Fanuc's own block limit is far shorter; this only stops 50 MB of garbage without newlines
# from being scanned as a single "line".
MAX_LINE_CHARS = 4096
# Report many problems at once, but stop early on garbage so a bad file fails fast.
MAX_ISSUES = 50

# The addresses the interpreter understands. Others (A/B/C/U/V/W axes, D offsets, E, ...) make
# the line a barrier: carried verbatim, nothing is moved across it.
KNOWN_LETTERS = frozenset("NGXYZIJKRQPFSTMHLODE")
# Fanuc Macro B (``#``, ``[``, IF/GOTO/WHILE … DO1 … END1, DPRNT) and LinuxCNC O-words
# (``o100 sub``, ``call``, ``endsub``, ``if``/``endif``, ``repeat``, ``return``).
_MACRO = re.compile(
    r"#|\[|\b(?:IF|GOTO|WHILE|DO\d*|END\d*|POPEN|PCLOS|DPRNT|BPRNT|SUB|ENDSUB|CALL|RETURN"
    r"|ELSE|ELSEIF|ENDIF|ENDWHILE|REPEAT|ENDREPEAT|BREAK|CONTINUE)\b"
)
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
# One match per word (leading blanks included): letter and value, or one stray character or
# number. Every non-blank character lands in some match, so nothing is skipped silently.
_TOKEN = re.compile(rf"[ \t]*(?:([A-Za-z])[ \t]*({_NUMBER})?|({_NUMBER}|[^ \t]))")
_N_WORD = re.compile(r"^(\s*N\d+\s*)", re.IGNORECASE)
_G_WORD = re.compile(rf"[Gg][ \t]*{_NUMBER}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# The canned cycles (group 09): G73/G83 peck, G74/G84 tapping, G76/G86/G87/G88 boring,
# G81/G82 drilling, G85/G89 reaming (Fanuc operator's manual, canned cycles for drilling).
CANNED_CYCLES = frozenset({73, 74, 76, 81, 82, 83, 84, 85, 86, 87, 88, 89})
# Decimals written: 1 nm, so every value read with up to 6 decimals is written back exactly
# (in inch after the mm round trip too); controls read what their increment allows.
NUMBER_DECIMALS = 6


class LineFlag(IntFlag):
    """What a line holds, as far as the transformations need to know without reading it again
    (``Program.line_flags``, one per line). No flag at all: a blank or comment-only line."""

    UNREAD = 1  # not interpreted: a barrier, block delete, ``%``, or a line with errors
    AXIS = 2  # an X, Y or Z word
    MOTION_WORD = 4  # G0, G1, G2 or G3
    RAPID_OR_FEED = 8  # G0 or G1
    MOTION_GROUP = 16  # a code of the motion group: G0-G3, G80 or a canned cycle
    CANCELS_CYCLE = 32  # G80
    MACHINE_COORDS = 64  # G28 or G53: targets in machine coordinates
    PLAIN_MOVE = 128  # nothing but N, G0-G3, X, Y, Z, I, J, R, F
    T_WORD = 256  # selects a tool
    TOOL_CHANGE_ONLY = 512  # M6 with nothing but N and T
    CUTTER_COMP = 1024  # G41 or G42
    WORDS = 2048  # any word (so: not blank or comment-only)
    G0_WORD = 4096  # G0: a rapid
    XY_WORDS = 8192  # both an X and a Y word
    G90_WORD = 16384  # absolute distances from here
    G91_WORD = 32768  # incremental distances from here
    Z_ONLY = 65536  # a Z word and no X or Y


# A bare coordinate line, the fast path's lines: words, axes and nothing else (XY_WORDS is
# added where the line has both).
FAST_LINE_FLAGS = LineFlag.WORDS | LineFlag.AXIS | LineFlag.PLAIN_MOVE
_MOTION_WORD_FLAGS = LineFlag.MOTION_WORD | LineFlag.MOTION_GROUP
_PLAIN_LETTERS = frozenset("NGXYZIJRF")


@dataclass(frozen=True)
class ScannedLine:
    """One line's code: block-delete flag, words, and a barrier reason or the problems found."""

    words: tuple[tuple[str, str, int], ...]
    block_delete: bool = False
    barrier: str = ""
    issues: tuple[GCodeIssue, ...] = ()


def decode_program(data: bytes | str, name: str = "") -> str:
    """The program as text. Bytes that are not UTF-8 (a cp1252 ``Ø`` in a comment) are kept
    as they are (``surrogateescape``: ``encode_program`` gives them back byte for byte); in a
    comment they are harmless, in the code the line reports them at their column. Binary
    data (control characters) raises ``GCodeError`` at its place.

    >>> decode_program(b"G0 X1\\n")
    'G0 X1\\n'
    >>> encode_program(decode_program(b"(\\xd8 10)\\nG0 X1\\n")) == b"(\\xd8 10)\\nG0 X1\\n"
    True
    >>> decode_program(b"G0 X1\\x00\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ncopt.errors.GCodeError: line 1, column 6: binary data (control character) in an NC ...
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        text = bytes(data).decode("utf-8", errors="surrogateescape")
    else:
        text = str(data)
    control = _CONTROL.search(text)
    if control is not None:
        at = control.start()
        line_no = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        message = "binary data (control character) in an NC program"
        issue = GCodeIssue(line_no, column, f"0x{ord(control.group()):02x}", message)
        raise GCodeError(issue, name)
    return text


def format_number(value_mm: float, inch: bool = False) -> str:
    """A coordinate in the program's units, always with a decimal point (so the machine's
    decimal-point mode cannot change its meaning), as short as it reads back exactly.

    >>> format_number(10.0), format_number(-0.0001), format_number(25.4, inch=True)
    ('10.', '-0.0001', '1.')
    >>> format_number(1e-5), format_number(-0.0)
    ('0.00001', '0.')
    """
    value = round(float(value_mm / 25.4 if inch else value_mm), NUMBER_DECIMALS) + 0.0  # no -0.
    text = repr(value)
    if "e" in text:
        text = f"{value:.{NUMBER_DECIMALS}f}".rstrip("0")
    return text[:-1] if text.endswith(".0") else text


def scan_line(line: str, line_no: int) -> ScannedLine:
    """Split one line (without its newline) into words, or say why it is a barrier or bad."""
    if len(line) > MAX_LINE_CHARS:
        issue = GCodeIssue(line_no, MAX_LINE_CHARS + 1, line[:40], "line too long")
        return ScannedLine((), issues=(issue,))
    code, problem = _strip_comments(line, line_no)
    if problem is not None:
        return ScannedLine((), issues=(problem,))
    block_delete = code.lstrip().startswith("/")
    if block_delete:
        code = code.replace("/", " ", 1)
    scanned = _words(code, line_no, block_delete)
    # Macro statements only ever fail to tokenize (``#``, ``[``, ``GOTO``): look for them
    # there, not on every line.
    if scanned.issues and _MACRO.search(code.upper()):
        return ScannedLine((), block_delete, barrier="macro statement")
    return scanned


def line_flags(scanned: ScannedLine) -> LineFlag:
    """The ``LineFlag`` of a scanned line (see ``LineFlag``)."""
    if scanned.issues:
        return LineFlag.UNREAD
    flags = LineFlag.UNREAD if scanned.barrier or scanned.block_delete else LineFlag(0)
    plain = True
    has_m6 = False
    only_tool_change = True
    axes = ""
    for letter, text, _ in scanned.words:
        flags |= LineFlag.WORDS
        if letter in "XYZ":
            flags |= LineFlag.AXIS
            axes += letter
        elif letter == "T":
            flags |= LineFlag.T_WORD
        number = float(text) if letter in "GM" else 0.0
        if letter == "G":
            flags |= _g_flags(number)
            plain = plain and number in (0.0, 1.0, 2.0, 3.0)
        elif letter == "M" and number == 6.0:
            has_m6 = True
        plain = plain and letter in _PLAIN_LETTERS
        only_tool_change = only_tool_change and (letter in "NT" or (letter == "M" and number == 6))
    if plain and flags & LineFlag.WORDS and not flags & LineFlag.UNREAD:
        flags |= LineFlag.PLAIN_MOVE
    if has_m6 and only_tool_change:
        flags |= LineFlag.TOOL_CHANGE_ONLY
    if "X" in axes and "Y" in axes:
        flags |= LineFlag.XY_WORDS
    elif axes == "Z":
        flags |= LineFlag.Z_ONLY
    return flags


def _g_flags(number: float) -> LineFlag:
    if number == 0.0:
        return _MOTION_WORD_FLAGS | LineFlag.RAPID_OR_FEED | LineFlag.G0_WORD
    if number == 1.0:
        return _MOTION_WORD_FLAGS | LineFlag.RAPID_OR_FEED
    if number in (2.0, 3.0):
        return _MOTION_WORD_FLAGS
    if number == 80.0:
        return LineFlag.MOTION_GROUP | LineFlag.CANCELS_CYCLE
    if number == int(number) and int(number) in CANNED_CYCLES:
        return LineFlag.MOTION_GROUP
    if number in (28.0, 53.0):
        return LineFlag.MACHINE_COORDS
    if number == 90.0:
        return LineFlag.G90_WORD
    if number == 91.0:
        return LineFlag.G91_WORD
    if number in (41.0, 42.0):
        return LineFlag.CUTTER_COMP
    return LineFlag(0)


def line_words(line: str, line_no: int) -> set[str]:
    """The words of a line, normalised (``G00`` → ``G0``, ``X1.50`` → ``X1.5``).

    >>> sorted(line_words("N5 G00 X1.50 (COMMENT)", 1))
    ['G0', 'N5', 'X1.5']
    """
    return {f"{letter}{float(n):g}" for letter, n, _ in scan_line(line, line_no).words if n}


def as_rapid(line: str, line_no: int) -> str:
    """The line with its G1 word made G0, or G0 put in front (after an N number).

    >>> as_rapid("N10 G01 X5. F500.", 1), as_rapid("N20 X6.", 2)
    ('N10 G0 X5. F500.', 'N20 G0 X6.')
    """
    for letter, number, column in scan_line(line, line_no).words:
        if letter == "G" and float(number) == 1.0:
            match = _G_WORD.match(line, column - 1)
            if match is not None:
                return line[: match.start()] + "G0" + line[match.end() :]
    return with_words_in_front(line, "G0 ")


def with_words_in_front(line: str, words: str) -> str:
    """``words`` at the start of the line's code, after its N number if it has one."""
    match = _N_WORD.match(line)
    cut = match.end() if match else len(line) - len(line.lstrip())
    return line[:cut] + words + line[cut:]


def _strip_comments(line: str, line_no: int) -> tuple[str, GCodeIssue | None]:
    """Blank out ``( )`` comments (nested, as CAM output has them) and a ``;`` tail.

    Blanking rather than deleting keeps every column where it was, for error messages.
    """
    if "(" not in line and ")" not in line and ";" not in line:
        return line, None
    out = []
    depth = 0
    opened = 0
    for col, ch in enumerate(line):
        if ch == "(":
            opened = col if depth == 0 else opened
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            ch = " "
        elif ch == ")":
            return "", GCodeIssue(line_no, col + 1, ")", "')' without '('")
        elif ch == ";" and not depth:
            break
        out.append(" " if depth else ch)
    if depth:
        return "", GCodeIssue(line_no, opened + 1, line[opened : opened + 20], "comment not closed")
    return "".join(out), None


def _words(code: str, line_no: int, block_delete: bool) -> ScannedLine:
    words: list[tuple[str, str, int]] = []
    issues: list[GCodeIssue] = []
    barrier = ""
    for m in _TOKEN.finditer(code):
        letter, value, other = m.groups()
        if other is not None:
            issues.append(GCodeIssue(line_no, m.start(3) + 1, _shown(other), _stray_message(other)))
        elif value is None:
            col = m.start(1) + 1
            issues.append(GCodeIssue(line_no, col, letter, f"address {letter} without a value"))
        else:
            letter = letter.upper()
            if letter in KNOWN_LETTERS:
                words.append((letter, value, m.start(1) + 1))
            else:
                barrier = barrier or f"unknown address {letter}"
    if issues:
        return ScannedLine((), block_delete, issues=tuple(issues[:MAX_ISSUES]))
    return ScannedLine(tuple(words), block_delete, barrier=barrier)


def _stray_message(char: str) -> str:
    if char.isdigit() or char in "+-.":
        return "number without an address letter"
    if "\udc80" <= char <= "\udcff":
        return "a byte that is not UTF-8 text, outside a comment"
    return "unexpected character"


def _shown(char: str) -> str:
    """A stray character as an error shows it: a byte that is not UTF-8 as its hex value."""
    if "\udc80" <= char <= "\udcff":
        return f"0x{ord(char) - 0xDC00:02x}"
    return char


def encode_program(text: str) -> bytes:
    """The bytes of a program's text: UTF-8, and every byte ``decode_program`` could not read
    as UTF-8 exactly as it was. Use it wherever a program is written to a file."""
    return text.encode("utf-8", errors="surrogateescape")
