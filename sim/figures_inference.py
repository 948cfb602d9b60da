"""Figures of the inference: posterior against prior, tolerances, contraction, coverage ranks.

Each function writes ``<path>.png`` and ``<path>.svg`` (:func:`sim.figures.save_figure`)
and returns the PNG path.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim.figures import _new_figure, save_figure

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
        specs: parameter specs (for units), :func:`sim.parameters.parameter_specs`.
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
        unit = specs[name].unit if name in specs else "value"
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
    """The tolerance and the acceptance rate of each ABC-SMC generation."""
    fig = _new_figure(figsize=(7.5, 4.6))
    ax = fig.subplots()
    ax.plot(generations["generation"], generations["epsilon"], "o-", color=_POSTERIOR, label="tolerance (distance)")
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
    ax.set_title(f"ABC-SMC tolerance schedule ({len(generations)} generations, {total:,} runs)", fontsize=11)
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


def _panel(ax, xlabel: str, title: str) -> None:
    ax.set(xlabel=xlabel, title=title)
    ax.title.set_fontsize(9.5)
    ax.grid(color="0.92")


def _legend_and_title(fig, ax, columns: int, fontsize: float, title: str) -> None:
    """The first panel's legend below all panels, and the figure's title."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=columns, fontsize=fontsize, frameon=False)
    fig.suptitle(title, fontsize=10.5)


def plot_disposition_sweep(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """The headline answers across each leader's disposition range, one line per leader.

    Args:
        table: rows of :func:`sim.disposition_sweep.sweep`.
    """
    from sim.figures import STATE_COLOURS

    panels = (("opening_effect", "opening effect on the 2019-2030 index\n(baseline - no_opening_2016)", 0.0),
              ("kgz_uzb_shut", "pass rate: KGZ-UZB border shut 2010-2016", 0.8),
              ("kgz_uzb_reopens", "pass rate: KGZ-UZB border reopens 2019-2024", 0.8))
    fig = _new_figure(figsize=(13.5, 6.4))
    axes = fig.subplots(1, len(panels))
    styles = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)))
    for ax, (column, label, line) in zip(axes, panels):
        seen: dict[str, int] = {}
        for (country, year, leader), group in table.groupby(["country", "first_full_year", "leader"], sort=False):
            k = seen.setdefault(country, 0)
            seen[country] += 1
            ax.plot(group["position"], group[column], color=STATE_COLOURS[country], linestyle=styles[k % len(styles)],
                    marker="o", markersize=3, label=f"{country} {leader} ({year})")
        ax.axhline(line, color="0.3", linewidth=0.8, linestyle="--")
        ax.set_xticks([0, 0.5, 1], ["low", "middle", "high"])
        _panel(ax, "disposition held at ... of the leader's coded range", label)
    runs = int(table["runs"].iloc[0])
    _legend_and_title(fig, axes[0], 5, 7.5,
                      f"Headline answers across each leader's disposition range ({runs} posterior runs per point; the "
                      "other leaders drawn as usual)\ndashed: no effect (left), reproduced at a pass rate of 0.8 "
                      "(others)")
    return save_figure(fig, path)


def plot_dose_response(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """The 2041-2050 outcomes against the size of the flow loss, without and with the framework.

    Args:
        table: rows of :func:`sim.dose_response.dose_response`.
    """
    panels = (("integration_index", "integration index"), ("water_shortfall", "water shortfall (share of demand)"),
              ("kgz_energy_deficit", "KGZ winter energy deficit"), ("tjk_energy_deficit", "TJK winter energy deficit"),
              ("water_energy_coop", "water-energy deals kept"), ("conflict_incidents", "border incidents a year"))
    colours = {"without framework": "#D55E00", "with framework": "#0072B2"}
    fig = _new_figure(figsize=(12.5, 7.2))
    axes = fig.subplots(2, 3).ravel()
    for ax, (outcome, label) in zip(axes, panels):
        for arm, colour in colours.items():
            rows = table[(table["outcome"] == outcome) & (table["arm"] == arm)].sort_values("flow_loss")
            loss = 100 * rows["flow_loss"]
            ax.fill_between(loss, rows["p05"], rows["p95"], color=colour, alpha=0.18, linewidth=0)
            ax.plot(loss, rows["mean"], color=colour, marker="o", markersize=3.5, label=f"{arm}: mean, 5-95% of runs")
        _panel(ax, "natural flow below its mean by 2050 (%)", label)
    runs = int(table["runs"].iloc[0])
    _legend_and_title(fig, axes[0], 2, 8.5, f"Water deficit as a dose: 2041-2050 means over {runs} paired posterior "
                                            "runs per point (water_deficit_2050's demand growth at every level)")
    return save_figure(fig, path)
