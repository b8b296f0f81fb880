"""Book lines given twice in a stock file are found a chunk at a time, in little memory, exactly."""
from __future__ import annotations

import random

import pytest

from countapp.imports_check import BookLineKeys


def _lines(n: int, seed: int):
    rng = random.Random(seed)
    return [(rng.randrange(6), rng.randrange(5), rng.choice(["", "L1", "L2"])) for _ in range(n)]


@pytest.mark.parametrize("bits", [BookLineKeys.BITS, 2])   # 2: the exact dict takes over mid-file
def test_every_repeated_key_names_its_first_line_across_chunks(bits):
    keys = BookLineKeys()
    keys.BITS = bits
    expected, found, first = [], [], {}
    for line, (item, location, lot) in enumerate(_lines(200, seed=bits), start=2):
        seen = first.setdefault((item, location, lot), line)
        if seen != line:
            expected.append((line, seen, f"R{item}", f"L{location}", lot))
        keys.add(item, location, lot, line, f"R{item}", f"L{location}")
        if line % 7 == 0:
            found += keys.duplicates()
    found += keys.duplicates()
    assert found == expected and len(expected) > 50
    assert (keys.wide is not None) == (bits == 2)


def test_a_key_kept_takes_twelve_bytes():
    keys = BookLineKeys()
    for line in range(2, 10_002):
        keys.add(line, line % 97, "", line, "R", "L")
    assert keys.duplicates() == []
    assert keys.keys.nbytes + keys.lines.nbytes == 12 * 10_000
