"""Figures of sweeps: the headline answers across each leader's disposition range, and the
2041-2050 outcomes across the size of the water deficit.

Each function writes ``<path>.png`` and ``<path>.svg`` (:func:`sim.figures.style.save_figure`)
and returns the PNG path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from sim.figures.style import STATE_COLOURS, _new_figure, save_figure


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
        table: rows of :func:`sim.experiments.disposition_sweep.sweep`.
    """
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
        table: rows of :func:`sim.experiments.dose_response.dose_response`.
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
