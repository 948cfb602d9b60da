"""Figures of scenario comparisons: the paired difference of a variable, per decade.

Each function writes ``<path>.png`` and ``<path>.svg`` (:func:`sim.figures.style.save_figure`)
and returns the PNG path.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sim.figures.style import LABELS, _new_figure, save_figure


def plot_comparison(diff_table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Bar chart of the paired difference of a variable between two scenarios, per decade.

    Args:
        diff_table: rows of :func:`sim.experiments.compare.compare` (one pair of scenarios, one
            variable): ``a``, ``b``, ``variable``, ``decade``, ``mean_difference``,
            ``p05_difference``, ``p95_difference``, ``probability_b_higher``,
            ``probability_no_difference``, ``n_pairs`` and ``n_draw_slots``.
        path: where to write the PNG (and the SVG next to it).

    Returns:
        The PNG path.
    """
    a, b = str(diff_table["a"].iloc[0]), str(diff_table["b"].iloc[0])
    mean = diff_table["mean_difference"].to_numpy(dtype=float)
    low, high = diff_table["p05_difference"].to_numpy(dtype=float), diff_table["p95_difference"].to_numpy(dtype=float)
    x = np.arange(len(diff_table))
    fig = _new_figure(figsize=(max(6.0, 1.1 * len(x) + 2), 4.9))
    ax = fig.subplots()
    pairs, slots = int(diff_table["n_pairs"].iloc[0]), int(diff_table["n_draw_slots"].iloc[0])
    ax.bar(x, mean, color="#56B4E9", width=0.6,
           yerr=np.vstack([np.clip(mean - low, 0, None), np.clip(high - mean, 0, None)]), capsize=4, ecolor="black",
           label=f"bars: mean paired difference; whiskers: 5-95% of {pairs} pairs\n"
                 f"(posterior draws, dispositions and chance: {slots} draw slots)")
    ax.axhline(0, color="0.2", linewidth=0.8)
    for xi, top, higher, tied in zip(x, np.fmax(np.fmax(high, mean), 0), diff_table["probability_b_higher"],
                                     diff_table["probability_no_difference"]):
        label = "no difference" if tied >= 1.0 else f"{higher:.0%}"
        ax.annotate(label, (xi, top), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, diff_table["decade"].astype(str))
    ax.margins(y=0.15)
    # Bars stick to zero, so margins alone leave no room for the labels above them.
    bottom, top = ax.get_ylim()
    ax.set_ylim(bottom, top + 0.12 * (top - bottom))
    variable = str(diff_table["variable"].iloc[0])
    name = variable.split(".")[-1]
    what = LABELS.get(name, (name,))[0] + ("" if variable.startswith("region.") else f" ({variable})")
    unit = LABELS.get(name, (name, ""))[1]
    ax.set(xlabel="Decade", ylabel=f"difference ({b} - {a})" + (f"\n{unit}" if unit else ""))
    ax.set_title(f"{what}: {b} vs {a}\n(above bars: probability that {b} is higher)", fontsize=10.5)
    ax.legend(loc="best", fontsize=7.5, frameon=False)
    return save_figure(fig, path)
