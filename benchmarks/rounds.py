"""Side-by-side measurement: every variant runs once per round, in an order that rotates
between rounds, and a figure is the median over rounds.

The 2-core machine is shared: load from elsewhere comes and goes in bursts. Running the
compared things back to back in the same round exposes them to the same bursts, rotating
the order removes a first-or-last bias, and the median drops the rounds a burst hit.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Samples:
    """One figure per round for one variant (lower-is-better or not, the caller knows)."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median over rounds (nan when nothing was measured)."""
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def spread(self) -> tuple[float, float]:
        """(min, max) over rounds: how noisy the figure was."""
        return (min(self.values), max(self.values)) if self.values else (float("nan"), float("nan"))


def interleave(variants: Sequence[str], rounds: int,
               measure: Callable[[str, int], dict[str, float]],
               budget_s: float | None = None) -> dict[str, dict[str, Samples]]:
    """Call ``measure(variant, round_index)`` for every variant in every round.

    ``measure`` returns named figures ({"predict_us": ...}); the result maps
    variant -> figure name -> the samples over rounds. With ``budget_s``, no new round
    starts once that much time has passed (the first always runs): slow tools on a
    loaded machine then get fewer rounds instead of an endless run; callers report
    :func:`rounds_done`.
    """
    results: dict[str, dict[str, Samples]] = {v: {} for v in variants}
    start = time.monotonic()
    for r in range(rounds):
        if r and budget_s is not None and time.monotonic() - start > budget_s:
            break
        shift = r % len(variants)
        for variant in list(variants[shift:]) + list(variants[:shift]):
            for name, value in measure(variant, r).items():
                results[variant].setdefault(name, Samples()).values.append(value)
    return results


def ratio_of_medians(num: Samples, den: Samples) -> float:
    """median(num) / median(den)."""
    return num.median / den.median


def paired_ratio(num: Samples, den: Samples) -> float:
    """Median of the per-round ratios: each round's pair saw the same machine load."""
    pairs = [a / b for a, b in zip(num.values, den.values) if b]
    return statistics.median(pairs) if pairs else float("nan")


def rounds_done(results: dict[str, dict[str, Samples]]) -> int:
    """How many complete rounds ``results`` holds."""
    counts = [len(s.values) for figures in results.values() for s in figures.values()]
    return min(counts) if counts else 0
