"""Scenario comparison: does a variable rise under B against A, and how sure is that?

Runs of the two scenarios are paired: the same seed, posterior draw and leaders'
dispositions (:func:`sim.inputs.posterior.plan`), so each paired difference isolates the scenario
change. Per decade, over the pairs: the means, the mean difference, the 5-95% range of the
paired differences (over draws, dispositions and chance alike), the probability that B is
higher, and how much of the spread of the differences comes from the parameters and
dispositions (between draw slots) rather than from chance (between the seeds of one slot).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.outcomes import VariableRef

TIE = 1e-12  # paired differences this small count as no difference


def decade_label(year: int) -> str:
    first = (year - 1) // 10 * 10 + 1
    return f"{first}-{first + 9}"


def parse_variable(text: str) -> VariableRef:
    """``integration_index`` (a region variable), ``region.x``, ``country.TJK.x`` or ``dyad.A-B.x``."""
    return VariableRef.parse(text if "." in text else f"region.{text}")


def decade_means(table: pd.DataFrame, variable: VariableRef) -> pd.DataFrame:
    """Decade means per scenario and replicate: rows (scenario, replicate), columns decades."""
    rows = table[(table["scope"] == variable.scope) & (table["entity"] == variable.entity)
                 & (table["variable"] == variable.variable)]
    if rows.empty:
        raise ValueError(f"{variable}: not in the runs (a dyad variable exists only for neighbours or deal partners)")
    rows = rows.assign(decade=rows["year"].map(decade_label))
    return rows.groupby(["scenario", "replicate", "decade"], observed=True)["value"].mean().unstack("decade")


def variance_shares(differences: np.ndarray, slots: np.ndarray) -> tuple[float, float]:
    """Shares of the spread of paired differences from draw slots and from chance.

    One-way analysis of variance with slots as groups: the within-slot variance is that of
    chance (seeds); the between-slot variance, less what chance alone would give, is that of
    the parameters and dispositions. NaN where no slot has two seeds.
    """
    frame = pd.DataFrame({"d": differences, "slot": slots})
    sizes = frame.groupby("slot")["d"].size()
    if sizes.max() < 2:
        return float("nan"), float("nan")
    within = frame.groupby("slot")["d"].var(ddof=1).mean()
    between = max(frame.groupby("slot")["d"].mean().var(ddof=1) - within / sizes.mean(), 0.0)
    total = between + within
    if total <= TIE:
        return float("nan"), float("nan")
    return between / total, within / total


def paired_summary(a: np.ndarray, b: np.ndarray, slots: np.ndarray) -> dict:
    """B minus A over the pairs (see the module docstring)."""
    difference = b - a
    tied = np.abs(difference) <= TIE
    from_parameters, from_chance = variance_shares(difference, slots)
    return {
        "mean_a": a.mean(),
        "mean_b": b.mean(),
        "mean_difference": difference.mean(),
        "p05_difference": np.quantile(difference, 0.05),
        "p95_difference": np.quantile(difference, 0.95),
        "probability_b_higher": float((difference > TIE).mean()),
        "probability_no_difference": float(tied.mean()),
        "share_from_parameters_and_dispositions": from_parameters,
        "share_from_chance": from_chance,
        "n_pairs": len(difference),
        "n_draw_slots": len(np.unique(slots)),
    }


def compare(table: pd.DataFrame, a: str, b: str, variable: str = "integration_index",
            seeds_per_draw: int = 1) -> pd.DataFrame:
    """Paired comparison of scenario ``b`` against ``a`` per decade.

    Args:
        table: tidy runs of both scenarios, run with the same plan.
        a, b: scenario names.
        variable: see :func:`parse_variable`.
        seeds_per_draw: how many consecutive replicates share a draw slot.

    Returns:
        One row per decade: ``variable, a, b, decade`` and the columns of :func:`paired_summary`.
    """
    ref = parse_variable(variable)
    means = decade_means(table, ref)
    first, second = means.loc[a], means.loc[b]
    paired = first.index.intersection(second.index)
    if len(paired) == 0:
        raise ValueError(f"scenarios {a!r} and {b!r} share no replicates to pair")
    first, second = first.loc[paired], second.loc[paired]
    slots = paired.to_numpy() // seeds_per_draw
    rows = []
    for decade in means.columns:
        keep = first[decade].notna() & second[decade].notna()
        if keep.any():
            rows.append({"variable": str(ref), "a": a, "b": b, "decade": decade,
                         **paired_summary(first[decade][keep].to_numpy(), second[decade][keep].to_numpy(),
                                          slots[keep.to_numpy()])})
    return pd.DataFrame(rows)


def scenario_pairs(names: list[str], against: str | None = None) -> list[tuple[str, str]]:
    """Every pair in the given order, or each other scenario against ``against``."""
    if against is not None:
        return [(against, name) for name in names if name != against]
    return [(names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]


def describe(row: pd.Series) -> str:
    """One line for a reader: the direction, its probability and the range."""
    if row["probability_no_difference"] >= 1.0:
        return "no difference"
    return (f"{row['mean_difference']:+.3f} (5-95%: {row['p05_difference']:+.3f} to {row['p95_difference']:+.3f}); "
            f"B higher in {row['probability_b_higher']:.0%} of {int(row['n_pairs'])} pairs")
