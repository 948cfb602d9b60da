"""Scenario comparison: does the integration index rise under B against A?

Replicates are paired by seed (common random numbers), so each difference isolates the
scenario change. Per decade: the mean paired difference of the decade-mean index, a
percentile bootstrap 95% interval, and the share of pairs in which B is higher.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BOOTSTRAP_SAMPLES = 2000


def decade_label(year: int) -> str:
    first = (year - 1) // 10 * 10 + 1
    return f"{first}-{first + 9}"


def decade_means(table: pd.DataFrame, variable: str = "integration_index") -> pd.DataFrame:
    """Decade-mean region value per scenario and seed: rows (scenario, seed), columns decades."""
    region = table[(table["scope"] == "region") & (table["variable"] == variable)].copy()
    region["decade"] = region["year"].map(decade_label)
    return region.groupby(["scenario", "seed", "decade"], observed=True)["value"].mean().unstack("decade")


def paired_difference(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> dict:
    """B minus A over pairs: means, mean difference with a percentile-bootstrap 95% interval,
    the share of pairs in which B is higher, and the number of pairs."""
    diff = b - a
    boot = diff[rng.integers(0, len(diff), size=(BOOTSTRAP_SAMPLES, len(diff)))].mean(axis=1)
    return {
        "mean_a": a.mean(),
        "mean_b": b.mean(),
        "mean_difference": diff.mean(),
        "ci_low": np.quantile(boot, 0.025),
        "ci_high": np.quantile(boot, 0.975),
        "share_b_higher": float((diff > 0).mean()),
        "n_pairs": len(diff),
    }


def compare(table: pd.DataFrame, a: str, b: str, variable: str = "integration_index", seed: int = 0) -> pd.DataFrame:
    """Paired comparison of scenario ``b`` against ``a`` per decade.

    Returns:
        Columns ``decade, mean_a, mean_b, mean_difference, ci_low, ci_high, share_b_higher,
        n_pairs``; ``attrs`` holds ``a``, ``b`` and ``variable``.
    """
    means = decade_means(table, variable)
    first, second = means.loc[a], means.loc[b]
    paired = first.index.intersection(second.index)
    if len(paired) == 0:
        raise ValueError(f"scenarios {a!r} and {b!r} share no replicate seeds to pair")
    first, second = first.loc[paired], second.loc[paired]
    rng = np.random.default_rng(seed)
    rows = [{"decade": decade, **paired_difference(first[decade].to_numpy(), second[decade].to_numpy(), rng)}
            for decade in means.columns]
    result = pd.DataFrame(rows)
    result.attrs.update(a=a, b=b, variable=variable)
    return result
