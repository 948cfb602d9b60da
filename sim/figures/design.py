"""Figures of designed batches: sensitivity indices, and each outcome against each design factor.

For Sobol' and Morris designs, bar charts of the sensitivity indices, one panel per scenario
and outcome. For grid and Latin-hypercube designs (and any other), one panel per outcome and
design column (a parameter or an outside driver factor): every run as a faint dot, and the
median and 5-95% range of the runs in bins of the factor as a line and band, one colour per
scenario.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sim.figures.style import _colours, _new_figure, save_figure

BINS = 8


def _binned(x: np.ndarray, y: np.ndarray, bins: int = BINS) -> pd.DataFrame:
    """Median and 5-95% of ``y`` per value of ``x`` (a grid's levels), else per quantile bin."""
    if len(np.unique(x)) <= bins:
        which = x
    else:
        edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    frame = pd.DataFrame({"bin": which, "x": x, "y": y}).groupby("bin")
    return pd.DataFrame({"x": frame["x"].mean(), "median": frame["y"].median(),
                         "low": frame["y"].quantile(0.05), "high": frame["y"].quantile(0.95)})


def plot_outcomes_by_factor(runs: pd.DataFrame, outcomes: list[str], factors: list[str], kinds: dict[str, str],
                            path: str | os.PathLike) -> Path:
    """Each outcome against each design column, every scenario in its colour.

    Args:
        runs: run rows of a batch (``scenario``, the design columns and the outcomes).
        outcomes: outcome columns (rows of panels).
        factors: design columns (columns of panels).
        kinds: what each design column is ("parameter", "uncertainty" or "lever"), for its label.
    """
    scenarios = list(dict.fromkeys(runs["scenario"].astype(str)))
    colours = _colours(scenarios)
    fig = _new_figure(figsize=(max(3.2 * len(factors), 7.5), 2.7 * len(outcomes) + 1.4))
    axes = np.atleast_2d(fig.subplots(len(outcomes), len(factors), squeeze=False))
    for i, outcome in enumerate(outcomes):
        for j, factor in enumerate(factors):
            ax = axes[i, j]
            for scenario in scenarios:
                rows = runs[runs["scenario"].astype(str) == scenario]
                x, y = rows[factor].to_numpy(dtype=float), rows[outcome].to_numpy(dtype=float)
                ax.scatter(x, y, s=4, alpha=0.15, color=colours[scenario], linewidths=0)
                summary = _binned(x, y)
                ax.fill_between(summary["x"], summary["low"], summary["high"], color=colours[scenario], alpha=0.2,
                                linewidth=0)
                ax.plot(summary["x"], summary["median"], color=colours[scenario], linewidth=1.6, label=scenario)
            ax.set_xlabel(f"{factor} ({kinds.get(factor, 'parameter')})", fontsize=8)
            if j == 0:
                ax.set_ylabel(outcome, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(color="0.92")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(scenarios), 4), fontsize=8, frameon=False)
    fig.suptitle(f"Outcomes against the design's factors\n({len(runs):,} runs over the posterior; dots: runs; "
                 f"line and band: median and 5-95% per level or in {BINS} bins)", fontsize=10)
    return save_figure(fig, path)


def plot_sensitivity(table: pd.DataFrame, method: str, path: str | os.PathLike) -> Path:
    """Bar charts of sensitivity indices, one panel per scenario and outcome.

    Args:
        table: :func:`sim.experiments.analysis.sensitivity` rows (``S1``/``ST`` for Sobol, ``mu_star``
            and ``sigma`` for Morris, with ``*_conf`` half-widths of 95% intervals).
        method: ``"sobol"`` or ``"morris"``.
        path: where to write the PNG (and the SVG next to it).
    """
    panels = list(table.groupby(["scenario", "outcome"], sort=False))
    names = list(dict.fromkeys(table["parameter"]))
    y = np.arange(len(names))
    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    fig = _new_figure(figsize=(4.6 * columns, 0.8 + 0.32 * len(names) * rows + 0.9 * rows))
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    for ax, ((scenario, outcome), rows_of) in zip(axes, panels):
        rows_of = rows_of.set_index("parameter").loc[names]
        if method == "sobol":
            bars = (("ST", "total effect ST", "#0072B2"), ("S1", "first order S1", "#E69F00"))
            for offset, (column, label, colour) in zip((-0.2, 0.2), bars):
                ax.barh(y + offset, rows_of[column], height=0.4, xerr=rows_of[f"{column}_conf"], color=colour,
                        ecolor="0.3", capsize=2, label=label)
            ax.set_xlabel("Sobol' index (share of output variance)")
        else:
            ax.barh(y, rows_of["mu_star"], height=0.6, xerr=rows_of["mu_star_conf"], color="#0072B2", ecolor="0.3",
                    capsize=2, label="mu* (mean |elementary effect|)")
            ax.plot(rows_of["sigma"], y, "D", color="#D55E00", markersize=4, label="sigma (interactions, non-linearity)")
            ax.set_xlabel("Elementary effect (outcome units per parameter range)")
        ax.axvline(0, color="0.2", linewidth=0.6)
        ax.set_yticks(y, names, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{outcome}\n({scenario})", fontsize=9)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, frameon=False, loc="lower right")
    title = "Sobol' indices" if method == "sobol" else "Morris screening"
    fig.suptitle(f"{title}; whiskers: 95% bootstrap intervals", fontsize=11)
    return save_figure(fig, path)
