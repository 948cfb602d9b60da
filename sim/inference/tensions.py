"""Which patterns one parameter set can hold together: pass rates by posterior draw.

Validation (:mod:`sim.inference.validation`) pools the runs of all posterior draws, so a
pattern below the pass level may fail for two different reasons: no draw holds it (the
dispositions and chance leave it below the level whatever the parameters, or a mechanism is
missing), or some draws hold it but they are not the draws that hold other patterns (the
patterns pull the parameters apart, and the calibration trades one for the other). Running
each of ``draws`` posterior draws ``runs_per_draw`` times, each run with its own seed and
its own dispositions of the leaders the draw does not infer, gives every pattern's pass rate
per draw and tells the two apart:
a pattern's best draw, the share of draws that hold it, and the pairs of failing patterns
whose per-draw pass rates correlate negatively across draws (in tension).

The same runs give the ceiling that chance sets on a count of patterns held
(:func:`chance_ceiling`): take a draw as the truth and one of its runs as the record; the
patterns that hold in that record, and hold in at least the pass level of the draw's other
runs, are what even the true parameter set would be credited with. A model whose draws
reproduce fewer than 90% of their own records cannot be expected to reproduce 90% of the
narrative's patterns, whatever its calibration (a check of the model against data it
generated itself, as in simulation-based calibration, Talts et al. 2018).

This is the posterior predictive check by parameter set that Gelman, Meng and Stern (1996)
describe, applied per pattern; the correlation across draws is Spearman's, as for the
pattern weights of the calibration (:mod:`sim.inference.summaries`).

References:
    Gelman, A., Meng, X.-L. and Stern, H. (1996) Posterior predictive assessment of model
    fitness via realized discrepancies. Statistica Sinica 6(4), 733-807.
    Talts, S., Betancourt, M., Simpson, D., Vehtari, A., Gelman, A. (2018) Validating Bayesian
    inference algorithms with simulation-based calibration. arXiv:1804.06788.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.inference.patterns import PatternSet, check_all
from sim.inference.validation import PASS_LEVEL, SEED
from sim.inputs.posterior import ParameterSource, Plan
from sim.inputs.randomness import replicate_seeds
from sim.inputs.scenario import Scenario
from sim.model.engine import simulate_plan

DRAWS, RUNS_PER_DRAW = 150, 20
TENSION = -0.4  # a pair of failing patterns is in tension below this correlation across draws


def draw_plan(source: ParameterSource, draws: int, runs_per_draw: int, seed: int) -> Plan:
    """``draws`` posterior draws (by weight, from ``seed``), each run ``runs_per_draw`` times.

    Unlike :func:`sim.inputs.posterior.plan`, every run has its own disposition key (its own
    seed), so a draw's pass rate is over chance and the dispositions the draw does not infer
    (those of leaders after the calibration's last year); the plan's
    ``seeds_per_draw`` is 1 in that sense (one seed per disposition key).
    """
    chosen = np.repeat(source.posterior.sample(draws, seed), runs_per_draw)
    seeds = replicate_seeds(seed, draws * runs_per_draw)
    return Plan(seeds, chosen, seeds, source.posterior.values(chosen), 1, source)


def held_by_run(patterns: PatternSet, scenario: Scenario, runs: Plan) -> np.ndarray:
    """Whether each pattern holds in each run (patterns, runs), runs in plan order."""
    return check_all(patterns, simulate_plan(scenario, runs, record=patterns.recorded()))


def pass_rates_by_draw(patterns: PatternSet, held: np.ndarray, runs: Plan, runs_per_draw: int) -> pd.DataFrame:
    """Each pattern's pass rate in each draw's runs: patterns as rows, draw slots as columns."""
    slots = held.shape[1] // runs_per_draw
    rates = held.reshape(held.shape[0], slots, runs_per_draw).mean(axis=2)
    columns = [f"{k}:{int(runs.draws[k * runs_per_draw])}" for k in range(slots)]
    return pd.DataFrame(rates, index=pd.Index([p.id for p in patterns.patterns], name="pattern"), columns=columns)


def chance_ceiling(held: np.ndarray, runs_per_draw: int, pass_level: float = PASS_LEVEL) -> np.ndarray:
    """If each draw were the truth: the share of the patterns holding in one of its runs (the
    record) that also hold in at least ``pass_level`` of its other runs, averaged over which
    run is the record (draws,).

    Args:
        held: whether each pattern holds in each run (patterns, draws x runs_per_draw), the
            runs of a draw next to each other.
    """
    if runs_per_draw < 2:
        raise ValueError(f"runs_per_draw: {runs_per_draw}; allowed: at least 2 (a record and another run)")
    by_draw = held.reshape(held.shape[0], -1, runs_per_draw).astype(float)  # (patterns, draws, runs)
    others = (by_draw.sum(axis=2, keepdims=True) - by_draw) / (runs_per_draw - 1)
    reproduced = ((others >= pass_level) & (by_draw == 1.0)).sum(axis=0)  # (draws, runs)
    in_record = by_draw.sum(axis=0)
    return np.divide(reproduced, in_record, out=np.ones_like(in_record), where=in_record > 0).mean(axis=1)


def by_pattern(rates: pd.DataFrame, pass_level: float = PASS_LEVEL) -> pd.DataFrame:
    """Per pattern: pooled pass rate, the best draw's, the share of draws holding it, and
    the pass rate in the draw that holds the most patterns."""
    best = (rates >= pass_level).sum(axis=0).idxmax()
    return pd.DataFrame({
        "pass_rate": rates.mean(axis=1),
        "best_draw_pass_rate": rates.max(axis=1),
        "share_of_draws_holding": (rates >= pass_level).mean(axis=1),
        "in_the_draw_holding_most": rates[best],
    }).rename_axis("pattern").reset_index()


def tension_pairs(rates: pd.DataFrame, pass_level: float = PASS_LEVEL, threshold: float = TENSION) -> pd.DataFrame:
    """Pairs of patterns below the pass level whose per-draw pass rates correlate below ``threshold``.

    Patterns whose pass rate is the same in every draw carry no information on tension and
    are left out.
    """
    failing = rates[(rates.mean(axis=1) < pass_level) & (rates.std(axis=1) > 0)]
    correlation = failing.T.corr(method="spearman")
    rows = [{"pattern_a": a, "pattern_b": b, "correlation": correlation.loc[a, b],
             "pass_rate_a": failing.loc[a].mean(), "pass_rate_b": failing.loc[b].mean(),
             "draws_holding_both": float(((failing.loc[a] >= pass_level) & (failing.loc[b] >= pass_level)).mean())}
            for i, a in enumerate(failing.index) for b in failing.index[i + 1:]
            if correlation.loc[a, b] < threshold]
    columns = ["pattern_a", "pattern_b", "correlation", "pass_rate_a", "pass_rate_b", "draws_holding_both"]
    return pd.DataFrame(rows, columns=columns).sort_values("correlation", ignore_index=True)


@dataclass
class TensionReport:
    """Pass rates by draw, per pattern and the pairs in tension, with a summary for the manifest."""

    rates: pd.DataFrame
    patterns: pd.DataFrame
    pairs: pd.DataFrame
    summary: dict


def tensions(patterns: PatternSet, scenario: Scenario, source: ParameterSource, draws: int = DRAWS,
             runs_per_draw: int = RUNS_PER_DRAW, seed: int = SEED) -> TensionReport:
    """Run ``draws`` x ``runs_per_draw`` posterior runs of ``scenario`` and find the tensions."""
    runs = draw_plan(source, draws, runs_per_draw, seed)
    held_runs = held_by_run(patterns, scenario, runs)
    rates = pass_rates_by_draw(patterns, held_runs, runs, runs_per_draw)
    held_per_draw = (rates >= PASS_LEVEL).sum(axis=0)
    ceiling = chance_ceiling(held_runs, runs_per_draw)
    summary = {"draws": draws, "runs_per_draw": runs_per_draw, "runs": draws * runs_per_draw, "seed": seed,
               "patterns": len(rates), "pass_level": PASS_LEVEL, "tension_threshold": TENSION,
               "held_by_the_best_draw": int(held_per_draw.max()),
               "held_by_the_median_draw": float(held_per_draw.median()),
               "held_pooled": int((rates.mean(axis=1) >= PASS_LEVEL).sum()),
               "chance_ceiling": {"median": float(np.median(ceiling)), "p10": float(np.quantile(ceiling, 0.1)),
                                  "p90": float(np.quantile(ceiling, 0.9))}}
    return TensionReport(rates, by_pattern(rates), tension_pairs(rates), summary)
