"""Figures of the inference: posterior against prior, tolerances, contraction, coverage ranks.

Each function writes ``<path>.png`` and ``<path>.svg`` (:func:`sim.figures.style.save_figure`)
and returns the PNG path.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim.figures.style import _new_figure, save_figure

_PRIOR, _POSTERIOR, _POINT = "0.78", "#0072B2", "#D55E00"


def _grid(count: int, width: float = 2.3, height: float = 1.75):
    columns = min(count, 4 if count <= 8 else 6 if count <= 30 else 8)
    rows = -(-count // columns)
    fig = _new_figure(figsize=(max(width * columns, 7.5), height * rows + 1.4))
    return fig, np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel(), columns


def plot_posterior_marginals(prior: np.ndarray, posterior: pd.DataFrame, bounds: dict[str, tuple[float, float]],
                             specs: dict, path: str | os.PathLike) -> Path:
    """The weighted posterior marginal of every parameter over its prior sample.

    Args:
        prior: the prior sample (n, k), columns in the order of ``bounds``.
        posterior: ``weight`` and one column per parameter.
        bounds: each parameter's prior range (the x limits).
        specs: parameter specs (for units), :func:`sim.inputs.parameters.parameter_specs`.
        path: the PNG to write.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    names = list(bounds)
    fig, axes, columns = _grid(len(names))
    weights = posterior["weight"].to_numpy()
    for k, (ax, name) in enumerate(zip(axes, names)):
        low, high = bounds[name]
        bins = np.linspace(low, high, 21)
        ax.hist(prior[:, k], bins=bins, density=True, color=_PRIOR, histtype="stepfilled", linewidth=0)
        ax.hist(posterior[name], bins=bins, weights=weights, density=True, color=_POSTERIOR, alpha=0.65,
                histtype="stepfilled", linewidth=0)
        ax.axvline(np.average(posterior[name], weights=weights), color=_POINT, linewidth=1.3)
        ax.set_xlim(low, high)
        ax.set_yticks([])
        ax.tick_params(labelsize=6.5)
        ax.set_title(name, fontsize=7.5)
        unit = specs[name].unit if name in specs else "quantile of the coded range"
        ax.set_xlabel(textwrap.shorten(unit, 34, placeholder="\u2026"), fontsize=6.5, parse_math=False)
        if k % columns == 0:
            ax.set_ylabel("density", fontsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    handles = [Patch(facecolor=_PRIOR, label=f"prior: {len(prior)} draws (its documented range)"),
               Patch(facecolor=_POSTERIOR, alpha=0.65, label=f"posterior: {len(posterior)} weighted draws"),
               Line2D([], [], color=_POINT, linewidth=1.3, label="posterior mean")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8.5, frameon=False)
    fig.suptitle("ABC-SMC posterior marginals against the blind priors\n(x: the prior range, in the parameter's unit)",
                 fontsize=12)
    return save_figure(fig, path)


def plot_tolerances(generations: pd.DataFrame, path: str | os.PathLike) -> Path:
    """The tolerance and the acceptance rate of each ABC-SMC generation, and the closing
    sweep's (the last point, at the last generation's tolerance, marked apart)."""
    fig = _new_figure(figsize=(7.5, 4.6))
    ax = fig.subplots()
    sweep = generations["closing_sweep"].to_numpy(dtype=bool)
    ax.plot(generations["generation"], generations["epsilon"], "o-", color=_POSTERIOR, label="tolerance (distance)")
    if sweep.any():
        ax.plot(generations["generation"][sweep], generations["epsilon"][sweep], "D", color="black", markersize=7,
                fillstyle="none", label="closing sweep: every particle moved")
    ax.set(xlabel="generation", ylabel="tolerance: weighted RMS of pattern misses (pattern units)")
    ax.set_ylim(0, None)
    ax.grid(color="0.9")
    rate = ax.twinx()
    rate.plot(generations["generation"], generations["acceptance"], "s--", color=_POINT, label="acceptance rate")
    rate.set_ylabel("acceptance rate (accepted / runs)")
    rate.set_ylim(0, None)
    lines = ax.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    ax.legend(lines, [line.get_label() for line in lines], loc="upper right", fontsize=8.5, frameon=False)
    total = int(generations["runs"].sum())
    swept = " and a closing sweep" if sweep.any() else ""
    ax.set_title(f"ABC-SMC tolerance schedule ({int((~sweep).sum())} generations{swept}, {total:,} runs)",
                 fontsize=11)
    return save_figure(fig, path)


def plot_contraction(contraction: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Posterior contraction per parameter: 1 - posterior variance / prior variance."""
    table = contraction.sort_values("contraction")
    fig = _new_figure(figsize=(7.5, 0.17 * len(table) + 1.6))
    ax = fig.subplots()
    colours = [_POSTERIOR if value >= 0.5 else _PRIOR for value in table["contraction"]]
    ax.barh(table["name"], table["contraction"], color=colours)
    ax.axvline(0.5, color=_POINT, linewidth=1, linestyle="--", label="0.5: half the prior variance gone")
    ax.set_xlim(min(0.0, float(table["contraction"].min())), 1.0)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("posterior contraction (1 - posterior variance / prior variance)")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    strong = int((table["contraction"] >= 0.5).sum())
    ax.set_title(f"What the patterns pin down: {strong} of {len(table)} parameters contract by 0.5 or more",
                 fontsize=10.5)
    return save_figure(fig, path)


def plot_rank_histograms(ranks: pd.DataFrame, path: str | os.PathLike, bins: int = 10) -> Path:
    """Simulation-based calibration: histograms of the truth's rank in its posterior.

    Args:
        ranks: one row per truth and parameter, columns ``parameter`` and ``rank`` (the
            posterior mass below the true value, in [0, 1]); uniform if the method is
            calibrated (Talts et al. 2018).
    """
    from matplotlib.patches import Patch

    names = list(dict.fromkeys(ranks["parameter"]))
    fig, axes, columns = _grid(len(names), height=1.5)
    truths = ranks.groupby("parameter").size().max()
    expected = truths / bins
    band = 1.96 * np.sqrt(truths * (1 / bins) * (1 - 1 / bins))
    for k, (ax, name) in enumerate(zip(axes, names)):
        ax.axhspan(max(expected - band, 0), expected + band, color="0.9", linewidth=0)
        ax.hist(ranks.loc[ranks["parameter"] == name, "rank"], bins=np.linspace(0, 1, bins + 1), color=_POSTERIOR)
        ax.set_title(name, fontsize=7.5)
        ax.set_xticks([0, 0.5, 1])
        ax.tick_params(labelsize=6.5)
        if k % columns == 0:
            ax.set_ylabel("truths", fontsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.legend(handles=[Patch(facecolor=_POSTERIOR, label="truths whose rank falls in the bin"),
                        Patch(facecolor="0.9", label="95% range of a uniform histogram")],
               loc="outside lower center", ncols=2, fontsize=8.5, frameon=False)
    fig.suptitle(f"Coverage check: rank of the true value in its posterior ({truths} truths)\n"
                 "(x: posterior mass below the truth; flat if the intervals are calibrated)", fontsize=11.5)
    return save_figure(fig, path)
