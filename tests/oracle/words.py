"""The oracle's own tokenizer: NC text to blocks of words (shares nothing with ``ncopt``).

A block is one line of Fanuc-style ISO code. Comments ``( )`` and ``;`` are removed, ``%``
lines and blank lines are dropped, letters are upper-cased and every word is an address letter
with a number (decimal point optional: ``X10`` is 10, in the programmed units). A line the
oracle must not try to understand gets an ``opaque`` reason instead of words: a macro
statement (``#``, ``[``, ``IF``, ``WHILE``, ``GOTO``, ``END``, ``DO``), an optional block skip
``/``, or anything that is not a plain sequence of words.

>>> (block,) = tokenize("N10 g0 x10 Y-2.5 (T1 IS A COMMENT) ; and this")
>>> [(w.letter, w.value) for w in block.words]
[('N', 10.0), ('G', 0.0), ('X', 10.0), ('Y', -2.5)]
>>> [w.letter for w in next(tokenize("(T2 (M8 TAP) DRILL) G0 X1. (A)")).words]
['G', 'X']
>>> [b.opaque for b in tokenize("%\\n#100=5\\n/G0 X1.\\nWHILE[#1LT3]DO1\\nG0 X1 %")]
['macro statement', 'optional block skip', 'macro statement', 'not a sequence of words']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Block", "Word", "tokenize"]

_MACRO = re.compile(r"[#\[\]=]|^(IF|WHILE|GOTO|END|DO)|(GOTO|DO|END)\d")
# One word: a letter, optional blanks, a signed number with an optional decimal point.
_WORD = re.compile(r"([A-Z])[ \t]*([-+]?(?:\d+\.?\d*|\.\d+))[ \t]*")


@dataclass(frozen=True)
class Word:
    """One address word: ``letter`` upper-case, ``value`` as written (no unit applied), and
    whether it had a decimal point (``P`` and repeat counts must not)."""

    letter: str
    value: float
    has_point: bool


@dataclass(frozen=True)
class Block:
    """One executable line: its 1-based ``line`` number, its ``text`` (stripped, comments
    kept: events carry it), its ``words``, and ``opaque`` (why it is not read) or None."""

    line: int
    text: str
    words: tuple[Word, ...]
    opaque: str | None = None


def tokenize(text: str) -> Iterator[Block]:
    """The blocks of ``text`` in order: blank, comment-only and ``%`` lines are skipped."""
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        code = _code_part(stripped).strip().upper()
        if not code or code.startswith("%"):
            continue
        yield _block(number, stripped, code)


def _code_part(line: str) -> str:
    """``line`` without its comments: ``( )`` (nested parentheses stay inside: CAM writes
    ``(T2 DRILL (M8 TAP DRILL))``; an unclosed one runs to the end) and ``;`` to the end."""
    out = []
    depth = 0
    for char in line:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            if char == ";":
                break
            out.append(char)
    return "".join(out)


def _block(number: int, stripped: str, code: str) -> Block:
    if code.startswith("/"):
        # The operator may or may not skip it: nothing can be known about what follows.
        return Block(number, stripped, (), "optional block skip")
    compact = re.sub(r"[ \t]+", "", code)
    if _MACRO.search(compact):
        return Block(number, stripped, (), "macro statement")
    words = []
    at = 0
    while at < len(code):
        if code[at] in " \t":
            at += 1
            continue
        match = _WORD.match(code, at)
        if match is None:
            return Block(number, stripped, (), "not a sequence of words")
        letter, number_text = match.groups()
        words.append(Word(letter, float(number_text), "." in number_text))
        at = match.end()
    return Block(number, stripped, tuple(words))
