"""Figure of the pass rates by posterior draw (:mod:`sim.inference.tensions`).

Writes ``<path>.png`` and ``<path>.svg`` (:func:`sim.figures.style.save_figure`) and returns
the PNG path.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sim.figures.style import _new_figure, save_figure

_HELD_COLOUR, _FAILED_COLOUR = "#009E73", "#D55E00"


def plot_tensions(rates: pd.DataFrame, patterns: pd.DataFrame, summary: dict, path: str | os.PathLike) -> Path:
    """Left: how many patterns each draw holds. Right: for each pattern below the pass
    level, the share of draws that hold it (none: no parameter set helps; some: the draws
    that hold it fail others)."""
    level = summary["pass_level"]
    held = (rates >= level).sum(axis=0)
    failing = patterns[patterns["pass_rate"] < level].sort_values("share_of_draws_holding")
    fig = _new_figure(figsize=(11, max(4.5, 0.22 * len(failing) + 1.5)))
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.6))
    left.hist(held, bins=np.arange(held.min() - 0.5, held.max() + 1.5), color="0.55")
    left.axvline(summary["held_pooled"], color=_FAILED_COLOUR, linestyle="--",
                 label=f"over the whole posterior ({summary['held_pooled']})")
    left.set_xlabel(f"patterns a draw holds (pass rate >= {level:.0%} of its {summary['runs_per_draw']} runs)")
    left.set_ylabel(f"posterior draws (of {summary['draws']})")
    left.set_title(f"One parameter set at a time ({summary['patterns']} patterns)", loc="left")
    left.legend(frameon=False, loc="upper left")
    positions = np.arange(len(failing))
    right.barh(positions, failing["share_of_draws_holding"], color=_HELD_COLOUR, label="share of draws holding it")
    right.scatter(failing["pass_rate"], positions, color=_FAILED_COLOUR, zorder=3, s=14,
                  label="pass rate over the posterior")
    right.set_yticks(positions, failing["pattern"], fontsize=7)
    right.axvline(level, color="0.3", linewidth=0.8, linestyle=":")
    right.set_xlim(0, 1)
    right.set_xlabel("share")
    right.set_title("Patterns below the pass level", loc="left")
    right.legend(frameon=False, loc="lower right", fontsize=8)
    fig.suptitle(f"Pass rates by posterior draw: {summary['draws']} draws x {summary['runs_per_draw']} runs, "
                 "each run its seed and its later leaders' dispositions", fontsize=10)
    return save_figure(fig, path)
