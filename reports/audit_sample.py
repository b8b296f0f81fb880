"""Auditor test counts: samples drawn reproducibly from a seed, and the errors found projected.

Two directions, as ISA 501 asks for:

- **sheet to floor** (existence): from the book lines to the goods. The largest values are always
  taken (key items, examined in full), plus a random part of the rest.
- **floor to sheet** (completeness): from the goods on the floor to the records. Places or tickets
  drawn at random, plus those the auditor picks on the spot.

A draw depends on the seed and on the population, never on the order the population comes in:
each candidate's rank is SHA-256 of the seed and its key, and the random part is the candidates
with the lowest ranks. The same seed over the same population therefore gives the same sample on
any machine and any Python version, so anyone holding the evidence file can re-perform the draw.

Errors found on key items and on items the auditor chose are actual errors, reported as they are;
only the random part is projected to the population it was drawn from (ratio to book value when
the sample carries value, else the mean error per item times the number of items).

Pure: no Flask, no database. Quantities and money are ``Decimal``.
"""
from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DIRECTIONS = ("sheet_to_floor", "floor_to_sheet")
STRATA = ("key", "random", "chosen")
CENT = Decimal("0.01")
ZERO = Decimal(0)
MAX_SAMPLE = 10_000


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Candidate:
    """One member of the population: a stable key (``b12`` for a book line, ``t40`` for a ticket) and its value."""

    key: str
    value: Decimal = ZERO


@dataclass(frozen=True)
class Drawn:
    key: str
    stratum: str          # "key" (largest values, always taken) or "random"
    value: Decimal
    rank: str             # SHA-256 rank of a random pick ("" for a key item)


@dataclass(frozen=True)
class Draw:
    """A sample and the population it speaks for."""

    seed: int
    lines: tuple[Drawn, ...]
    population_count: int          # every candidate
    population_value: Decimal
    random_population_count: int   # candidates left once the key items are taken: what the random part projects to
    random_population_value: Decimal

    @property
    def key_lines(self) -> tuple[Drawn, ...]:
        return tuple(d for d in self.lines if d.stratum == "key")

    @property
    def random_lines(self) -> tuple[Drawn, ...]:
        return tuple(d for d in self.lines if d.stratum == "random")


def rank(seed: int, key: str) -> str:
    """The candidate's place in the random order for this seed (lowest first)."""
    return hashlib.sha256(f"{int(seed)}:{key}".encode()).hexdigest()


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for c in candidates:
        if c.key in seen:
            raise ValueError(f"candidate {c.key!r} appears twice in the population")
        seen[c.key] = c if isinstance(c.value, Decimal) else Candidate(c.key, Decimal(c.value))
    return list(seen.values())


def _check_size(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SAMPLE:
        raise ValueError(f"{name} must be a whole number between 0 and {MAX_SAMPLE}, not {value!r}")
    return value


def draw_random(candidates: Iterable[Candidate], seed: int, size: int) -> list[Drawn]:
    """``size`` candidates in the seed's random order (all of them when there are fewer)."""
    _check_size("size", size)
    # The keys are unique, so ranks never tie and Candidates are never compared.
    ranked = heapq.nsmallest(size, ((rank(seed, c.key), c.key, c.value) for c in candidates))
    return [Drawn(key, "random", value, r) for r, key, value in ranked]


def draw_sheet_to_floor(candidates: Iterable[Candidate], seed: int, *, key_count: int = 0,
                        key_threshold: Decimal | None = None, random_count: int = 0) -> Draw:
    """The ``key_count`` largest values and every value at or above ``key_threshold``, then a random part."""
    population = _unique(candidates)
    _check_size("key_count", key_count)
    largest = heapq.nsmallest(key_count, population, key=lambda c: (-c.value, c.key))
    if key_threshold is not None and Decimal(key_threshold) > 0:
        largest += [c for c in population if c.value >= Decimal(key_threshold)]
    keys = {c.key for c in largest}
    key_lines = [Drawn(c.key, "key", c.value, "")
                 for c in sorted({c.key: c for c in largest}.values(), key=lambda c: (-c.value, c.key))]
    rest = [c for c in population if c.key not in keys]
    return Draw(int(seed), tuple(key_lines + draw_random(rest, seed, random_count)), len(population),
                sum((c.value for c in population), ZERO), len(rest), sum((c.value for c in rest), ZERO))


def draw_floor_to_sheet(candidates: Iterable[Candidate], seed: int, *, size: int) -> Draw:
    """Places or tickets picked at random on the floor; the auditor may add more on the spot."""
    population = _unique(candidates)
    total = sum((c.value for c in population), ZERO)
    return Draw(int(seed), tuple(draw_random(population, seed, size)), len(population), total, len(population),
                total)


# --- findings and projection ------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One sample line once examined: what the records say against what the auditor counted.

    ``recorded_qty`` None means the records have nothing to compare yet (e.g. the teams have not
    counted the line); goods found on the floor with no record at all are recorded as 0.
    ``book_value`` is the line's recorded value, the base of a ratio projection.
    """

    key: str
    stratum: str
    recorded_qty: Decimal | None
    audited_qty: Decimal | None
    unit_cost: Decimal = ZERO
    book_value: Decimal = ZERO

    @property
    def examined(self) -> bool:
        return self.recorded_qty is not None and self.audited_qty is not None

    @property
    def diff_qty(self) -> Decimal | None:
        """Auditor's count minus the records (positive: more goods than recorded)."""
        return self.audited_qty - self.recorded_qty if self.examined else None

    @property
    def diff_value(self) -> Decimal | None:
        return _cents(self.diff_qty * self.unit_cost) if self.examined else None


@dataclass(frozen=True)
class Projection:
    """The differences found and the random part's error projected to its population."""

    lines: int                    # every line of the sample
    examined: int                 # lines with both the records' and the auditor's quantity
    with_difference: int
    known_error: Decimal          # net, key and chosen items: actual, not projected
    known_gross: Decimal          # the same, in absolute values (over and under do not offset)
    sample_error: Decimal         # net, random part examined
    sample_gross: Decimal
    sample_count: int             # random lines examined
    sample_base: Decimal          # their book value
    population_count: int         # of the random part
    population_value: Decimal
    method: str                   # "ratio", "mean" or "none" (nothing random examined)
    projected_error: Decimal      # net error of the random part's population
    projected_gross: Decimal

    @property
    def error_rate(self) -> Decimal | None:
        """Net error per unit of book value in the random part (ratio method)."""
        return self.sample_error / self.sample_base if self.method == "ratio" else None

    @property
    def total_error(self) -> Decimal:
        return self.known_error + self.projected_error

    @property
    def total_gross(self) -> Decimal:
        return self.known_gross + self.projected_gross


def project(findings: Sequence[Finding], *, population_count: int, population_value: Decimal) -> Projection:
    """Report key and chosen items' errors as found; project the random part's to its population."""
    examined = [f for f in findings if f.examined]
    known = [f for f in examined if f.stratum != "random"]
    sample = [f for f in examined if f.stratum == "random"]
    sample_error = sum((f.diff_value for f in sample), ZERO)
    sample_gross = sum((abs(f.diff_value) for f in sample), ZERO)
    sample_base = sum((Decimal(f.book_value) for f in sample), ZERO)
    population_value = Decimal(population_value)
    if not sample:
        method, projected, projected_gross = "none", ZERO, ZERO
    elif sample_base > 0 and population_value > 0:
        method = "ratio"
        projected = _cents(sample_error * population_value / sample_base)
        projected_gross = _cents(sample_gross * population_value / sample_base)
    else:
        method = "mean"
        projected = _cents(sample_error * population_count / len(sample))
        projected_gross = _cents(sample_gross * population_count / len(sample))
    return Projection(
        lines=len(findings), examined=len(examined),
        with_difference=sum(1 for f in examined if f.diff_qty != 0),
        known_error=sum((f.diff_value for f in known), ZERO), known_gross=sum((abs(f.diff_value) for f in known), ZERO),
        sample_error=sample_error, sample_gross=sample_gross, sample_count=len(sample), sample_base=sample_base,
        population_count=population_count, population_value=population_value, method=method,
        projected_error=projected, projected_gross=projected_gross)
