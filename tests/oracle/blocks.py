"""One block's words sorted out for the simulator: G codes by modal group, M codes, and the
other words by letter; what the oracle does not know makes the block a barrier.

>>> from tests.oracle.words import tokenize
>>> b = BlockWords(next(tokenize("N20 G0 G90 X1. Y2 M8")))
>>> b.g, b.m, sorted(b.words), b.barrier
({'motion': 0, 'distance': 90}, [8], ['N', 'X', 'Y'], None)
>>> BlockWords(next(tokenize("G10 L2 P1 X0"))).barrier
'unknown code G10'
"""

from __future__ import annotations

from tests.oracle.cycles import CYCLES
from tests.oracle.trace import SimulationError
from tests.oracle.words import Block, Word

__all__ = ["G_GROUPS", "LETTERS", "M_KNOWN", "BlockWords"]

# Modal groups of the G codes the oracle knows (Fanuc); two codes of one group in one block
# is an error. G55-G59 are known but change the work offset: a barrier.
G_GROUPS = {
    "motion": {0, 1, 2, 3},
    "cycle": {80} | CYCLES,
    "once": {4, 28, 53},
    "plane": {17, 18, 19},
    "units": {20, 21},
    "distance": {90, 91},
    "return": {98, 99},
    "length": {43, 44, 49},
    "radius_comp": {40},
    "offset": {54, 55, 56, 57, 58, 59},
    "feed_mode": {94},
}
G_GROUP_OF = {code: group for group, codes in G_GROUPS.items() for code in codes}
M_KNOWN = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 60})
LETTERS = frozenset("NGMXYZIJKRFSTHPQLO")


class BlockWords:
    """One block's words sorted out: G and M codes (by group), the other words by letter."""

    def __init__(self, block: Block):
        self.line = block.line
        self.g: dict[str, int] = {}
        self.m: list[int] = []
        self.words: dict[str, Word] = {}
        self.barrier: str | None = block.opaque
        if self.barrier is None:
            for word in block.words:
                self._add(word)

    def _add(self, word: Word) -> None:
        if word.letter not in LETTERS:
            self.barrier = f"unknown address {word.letter}"
        elif word.letter in "GM":
            code = int(word.value)
            known = G_GROUP_OF if word.letter == "G" else M_KNOWN
            if code != word.value or code not in known:
                self.barrier = f"unknown code {word.letter}{word.value:g}"
            elif word.letter == "M":
                self.m.append(code)
            elif G_GROUP_OF[code] in self.g:
                raise SimulationError(self.line, f"two G codes of group {G_GROUP_OF[code]}")
            else:
                self.g[G_GROUP_OF[code]] = code
        elif word.letter in self.words and word.letter != "N":
            raise SimulationError(self.line, f"address {word.letter} twice")
        else:
            self.words[word.letter] = word

    def value(self, letter: str) -> float | None:
        word = self.words.get(letter)
        return None if word is None else word.value

    def count(self, letter: str) -> int | None:
        """An integer word (P in ms, K/L repeats, T, H): no decimal point allowed."""
        word = self.words.get(letter)
        if word is None:
            return None
        if word.has_point or word.value != int(word.value) or word.value < 0:
            raise SimulationError(self.line, f"{letter} takes a whole number without a point")
        return int(word.value)

    def has_any(self, letters: str) -> bool:
        return any(letter in self.words for letter in letters)
