"""Informative summaries of the patterns: continuous distances, correlation weights, prior pass rates.

The calibration compares runs with the narrative through each pattern's *margin*
(:meth:`sim.inference.patterns.Pattern.margin`: how far its statistic lies past its threshold, in
units of its tolerance or threshold), not through pass counts:

- a run's *gap* on a pattern is how far it misses: ``max(0, -margin)``, 0 when it holds;
  for a pattern whose observed outcome is "fails" (synthetic data in the coverage check) it
  is ``max(0, margin)``;
- patterns that measure one phenomenon are weighted down together: a pattern's weight is one
  over the number of patterns in use whose margins correlate with its own at
  ``|Spearman rho| > CORRELATED`` over the prior sample (itself included), so seven
  correlated trade patterns count about once;
- a run's distance is the weighted root mean square of its gaps;
- a pattern that holds in at least ``UNINFORMATIVE_PASS_RATE`` of the prior runs is marked
  uninformative: it says little about the parameters and is reported apart from the
  headline count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from sim.inference.patterns import PatternSet

CORRELATED = 0.6
UNINFORMATIVE_PASS_RATE = 0.8


def correlation_weights(margins: np.ndarray, threshold: float = CORRELATED) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the patterns (P,) from their margins over prior runs (runs, P).

    Returns:
        The weights, and the Spearman correlation matrix (P, P); a pattern whose margin does
        not vary over the runs correlates with nothing.
    """
    count = margins.shape[1]
    varies = np.nanstd(margins, axis=0) > 0
    rho = np.eye(count)
    if varies.sum() > 1:
        block = spearmanr(margins[:, varies], nan_policy="omit").statistic
        rho[np.ix_(varies, varies)] = np.atleast_2d(block)
    elif varies.sum() == 1:
        rho[np.ix_(varies, varies)] = 1.0
    rho = np.nan_to_num(rho)
    np.fill_diagonal(rho, 1.0)
    return 1.0 / (np.abs(rho) > threshold).sum(axis=1), rho


@dataclass(frozen=True)
class PatternDistance:
    """The distance of runs to the data, from their pattern statistics.

    Attributes:
        patterns: the patterns file; the statistics are ordered as its patterns.
        used: indices of the patterns the distance uses.
        weights: their weights (same order as ``used``).
        holds: the data: for each pattern in use, whether it holds (the narrative: all True).
    """

    patterns: PatternSet
    used: np.ndarray
    weights: np.ndarray
    holds: np.ndarray

    def margins(self, statistics: np.ndarray) -> np.ndarray:
        """Margins of the patterns in use (runs, used) from all statistics (runs, P)."""
        chosen = [self.patterns.patterns[k] for k in self.used]
        return np.column_stack([p.margin(statistics[:, k]) for p, k in zip(chosen, self.used)])

    def _missed_by(self, statistics: np.ndarray) -> np.ndarray:
        """The gaps, NaN where a run lacks the statistic (runs, used)."""
        margins = self.margins(statistics)
        return np.where(self.holds[None, :], np.maximum(-margins, 0.0), np.maximum(margins, 0.0))

    def gaps(self, statistics: np.ndarray) -> np.ndarray:
        """How far each run misses each pattern in use, in pattern units (runs, used)."""
        return np.nan_to_num(self._missed_by(statistics), nan=1e6)  # a run without the statistic is as far as can be

    def __call__(self, statistics: np.ndarray) -> np.ndarray:
        """Weighted root mean square gap of each run (runs,)."""
        gaps = self.gaps(statistics)
        return np.sqrt((gaps**2 * self.weights).sum(axis=1) / self.weights.sum())

    def shares(self, statistics: np.ndarray) -> np.ndarray:
        """Each pattern in use's share of the runs' summed squared distance (used,).

        Which patterns the runs miss, and by how much, weighted as in the distance; squared,
        so large misses weigh most. The shares sum to 1, or are all 0 when every run holds
        every pattern. A run without a pattern's statistic is left out of that pattern's
        sum (the distance counts it as missed by 1e6, which would drown every other share).
        A pattern that every run misses by about the same gap adds about the same to every
        run's squared distance: it puts a floor under the tolerance a calibration reaches
        without helping the sampler tell parameter sets apart.
        """
        weighted = self._missed_by(statistics) ** 2 * self.weights
        total = np.nansum(weighted)
        return np.nansum(weighted, axis=0) / total if total > 0 else np.zeros(len(self.used))

    def observed(self, holds: np.ndarray) -> PatternDistance:
        """The same distance to other data: which patterns in use hold (synthetic data)."""
        return PatternDistance(self.patterns, self.used, self.weights, np.asarray(holds, dtype=bool))


def _to_narrative(patterns: PatternSet, used: list[str], weights) -> PatternDistance:
    """The distance to the narrative (every pattern in use holds) over the named patterns."""
    index = {p.id: k for k, p in enumerate(patterns.patterns)}
    return PatternDistance(patterns, np.array([index[name] for name in used]), np.asarray(weights, dtype=float),
                           np.ones(len(used), dtype=bool))


def pattern_distance(patterns: PatternSet, used: list[str], prior_statistics: np.ndarray) -> PatternDistance:
    """The distance to the narrative (every pattern in use holds), weighted from prior runs."""
    unweighted = _to_narrative(patterns, used, np.ones(len(used)))
    weights, _ = correlation_weights(unweighted.margins(prior_statistics))
    return _to_narrative(patterns, used, weights)


def recorded_distance(patterns: PatternSet, record: dict) -> PatternDistance | None:
    """The distance a calibration used, from its provenance (``patterns_used`` and
    ``pattern_weights`` of ``posterior.json``); ``None`` without one, or if the patterns
    file no longer has every pattern it used."""
    used, weights = record.get("patterns_used"), record.get("pattern_weights")
    known = {p.id for p in patterns.patterns}
    if not used or not weights or any(name not in known or name not in weights for name in used):
        return None
    return _to_narrative(patterns, used, [weights[name] for name in used])


def prior_predictive_table(patterns: PatternSet, distance: PatternDistance, prior_statistics: np.ndarray) -> pd.DataFrame:
    """One row per pattern: prior pass rate (with its run count), informative, weight, unit."""
    passed = np.column_stack([p.margin(prior_statistics[:, k]) > 0 for k, p in enumerate(patterns.patterns)])
    weight = dict(zip(distance.used.tolist(), distance.weights))
    rates = passed.mean(axis=0)
    return pd.DataFrame({
        "pattern": [p.id for p in patterns.patterns],
        "sample": ["in-sample" if patterns.in_sample(p) else "out-of-sample" for p in patterns.patterns],
        "used": [k in weight for k in range(len(patterns.patterns))],
        "weight": [weight.get(k, 0.0) for k in range(len(patterns.patterns))],
        "unit": [p.unit for p in patterns.patterns],
        "prior_pass_rate": rates,
        "prior_runs": len(prior_statistics),
        "informative": rates < UNINFORMATIVE_PASS_RATE,
    })
