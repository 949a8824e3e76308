"""Side-by-side measurement: every variant runs once per round, in an order that rotates
between rounds, and a figure is the median over rounds.

The 2-core machine is shared: load from elsewhere comes and goes in bursts. Running the
compared things back to back in the same round exposes them to the same bursts, rotating
the order removes a first-or-last bias, and the median drops the rounds a burst hit.
"""

from __future__ import annotations

import statistics
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
               measure: Callable[[str, int], dict[str, float]]) -> dict[str, dict[str, Samples]]:
    """Call ``measure(variant, round_index)`` for every variant in every round.

    ``measure`` returns named figures ({"predict_us": ...}); the result maps
    variant -> figure name -> the samples over rounds.
    """
    results: dict[str, dict[str, Samples]] = {v: {} for v in variants}
    for r in range(rounds):
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
