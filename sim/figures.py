"""Figures of a run: the integration index, its dimensions, dyad heatmaps, scenario comparisons.

Plot functions take the tidy table of :func:`sim.run` (or several concatenated, one scenario
each), write ``<path>.png`` and ``<path>.svg`` and return the PNG path. Lines are medians across
replicates, bands the 5-95% range, dotted vertical lines the events of ``sim/data/events.csv``.
Figures are drawn on an Agg canvas without pyplot, so importing this never switches backends.
"""

from __future__ import annotations

import os
import re
import textwrap
import uuid
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.geography import DYADS, STATES, read_table

# Okabe & Ito (2008) colour-blind-safe palette; yellow is left out (too pale on white).
_OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
STATE_COLOURS: dict[str, str] = dict(zip(STATES, _OKABE_ITO))
SCENARIO_COLOURS: dict[str, str] = {
    "baseline": "#000000",
    "no_opening_2016": "#D55E00",
    "water_deficit_2050": "#0072B2",
    "water_deficit_2050_with_barter": "#009E73",
}
_SPARE_COLOURS = ("#CC79A7", "#E69F00", "#56B4E9", "#999999")

DIMENSIONS: tuple[str, ...] = (
    "institutional", "trade_share", "border_openness", "water_energy_coop",
    "political", "water_shortfall", "energy_deficit", "conflict_incidents",
)
# variable -> (name, unit); the same names serve region and dyad variables.
LABELS: dict[str, tuple[str, str]] = {
    "integration_index": ("Regional Integration Index", "0-1"),
    "institutional": ("Institutional depth", "0-1"),
    "trade_share": ("Intra-regional trade share", "share of total trade, 0-1"),
    "border_openness": ("Border openness", "0 closed - 1 open"),
    "water_energy_coop": ("Water-energy cooperation", "share of deals kept, 0-1"),
    "political": ("Political (trust less conflict)", "0-1"),
    "trust": ("Trust", "0-1"),
    "water_shortfall": ("Irrigation water shortfall", "share of demand, 0-1"),
    "energy_deficit": ("Winter energy deficit", "share of power need, 0-1"),
    "conflict_incidents": ("Border conflict incidents", "incidents per year"),
    "delimited_share": ("Delimited border", "share of length, 0-1"),
    "trade_flow": ("Bilateral trade", "$ million per year"),
}
_EVENT_STYLE = {"color": "0.45", "linewidth": 0.7, "linestyle": ":", "zorder": 0}


def _label(variable: str) -> str:
    name, unit = LABELS.get(variable, (variable.replace("_", " ").capitalize(), ""))
    return f"{name} ({unit})" if unit else name


def _scenarios(table: pd.DataFrame) -> list[str]:
    return list(pd.unique(table["scenario"].astype(str)))


def _which(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 2 else f"{len(names)} scenarios"


def _colours(names: list[str]) -> dict[str, str]:
    spare = iter(c for c in _SPARE_COLOURS + _OKABE_ITO if c not in SCENARIO_COLOURS.values())
    return {name: SCENARIO_COLOURS.get(name) or next(spare, "#999999") for name in names}


def _new_figure(**kwargs) -> Figure:
    fig = Figure(layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _summary(table: pd.DataFrame, scope: str, variable: str) -> pd.DataFrame:
    """Median and 5-95% quantiles across replicates per scenario and year."""
    rows = table[(table["scope"] == scope) & (table["variable"] == variable)].copy()
    rows["scenario"] = rows["scenario"].astype(str)
    grouped = rows.groupby(["scenario", "year"], observed=True, sort=False)["value"]
    out = grouped.quantile([0.05, 0.5, 0.95]).unstack().reindex(columns=[0.05, 0.5, 0.95])
    out.columns = ["low", "median", "high"]
    return out.reset_index().sort_values(["scenario", "year"])


def _replicates(table: pd.DataFrame) -> dict[str, int]:
    return table.groupby(table["scenario"].astype(str))["replicate"].nunique().to_dict()


def _draw_bands(ax, summary: pd.DataFrame, colours: dict[str, str], counts: dict[str, int]) -> None:
    for name, colour in colours.items():
        s = summary[summary["scenario"] == name]
        prefix = f"{name}: " if len(colours) > 1 else ""
        ax.fill_between(s["year"], s["low"], s["high"], color=colour, alpha=0.22, linewidth=0,
                        label=f"{prefix}5-95% of replicates")
        ax.plot(s["year"], s["median"], color=colour, linewidth=1.8,
                label=f"{prefix}median of {counts.get(name, 0)} replicates")


def _events(years: pd.Series) -> pd.DataFrame:
    events = read_table("events").sort_values("year")
    return events[events["year"].between(years.min(), years.max())].reset_index(drop=True)


def _short(label: str, width: int = 22) -> str:
    """Drop parentheses and wrap to at most two lines."""
    lines = textwrap.wrap(re.sub(r"\s*\(.*?\)", "", label), width)
    return "\n".join(lines[:2]) + ("\u2026" if len(lines) > 2 else "")


def _label_events(ax, events: pd.DataFrame, span: float, fontsize: float = 7.5) -> None:
    """Rotated labels at the bottom of ``ax``; a label whose next event is close goes left of its line."""
    points_per_year = ax.figure.get_figwidth() * 72 * 0.85 / max(span, 1)
    years = events["year"].to_numpy()
    for k, (year, label) in enumerate(zip(years, events["label"])):
        crowded = k + 1 < len(years) and (years[k + 1] - year) * points_per_year < 3 * fontsize
        ax.annotate(_short(label), (year, 0), xytext=(-2 if crowded else 2, 2), textcoords="offset points",
                    rotation=90, ha="right" if crowded else "left", va="bottom", multialignment="left",
                    fontsize=fontsize, color="0.25", annotation_clip=False)


def plot_index(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Plot the region's integration index over time, one median line and band per scenario.

    Args:
        table: tidy run table (see :func:`sim.run`), one or more scenarios.
        path: where to write the PNG; an SVG with the same stem is written next to it.

    Returns:
        The PNG path.
    """
    summary = _summary(table, "region", "integration_index")
    names = _scenarios(table)
    fig = _new_figure(figsize=(10, 6.5))
    strip, ax = fig.subplots(2, 1, sharex=True, height_ratios=[1, 2.6])
    _draw_bands(ax, summary, _colours(names), _replicates(table))
    years, events = table["year"], _events(table["year"])
    for year in events["year"]:
        strip.axvline(year, **_EVENT_STYLE)
        ax.axvline(year, **_EVENT_STYLE)
    strip.set_axis_off()
    _label_events(strip, events, years.max() - years.min())
    ax.set(xlim=(years.min(), years.max()), ylim=(0, None), xlabel="Year", ylabel="Regional Integration Index (0-1)")
    ax.grid(axis="y", color="0.9")
    ax.legend(loc="best", fontsize=8, frameon=False)
    strip.set_title(f"Regional Integration Index, {_which(names)} (dotted lines: events)")
    return save_figure(fig, path)


def plot_dimensions(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Plot each dimension of integration and each stress of the region in its own panel.

    Args:
        table: tidy run table, one or more scenarios.
        path: where to write the PNG (and the SVG next to it).

    Returns:
        The PNG path.
    """
    names = _scenarios(table)
    colours, counts = _colours(names), _replicates(table)
    events = _events(table["year"])
    fig = _new_figure(figsize=(11, 11))
    axes = fig.subplots(4, 2, sharex=True).ravel()
    for ax, variable in zip(axes, DIMENSIONS):
        summary = _summary(table, "region", variable)
        _draw_bands(ax, summary, colours, counts)
        for year in events["year"]:
            ax.axvline(year, **_EVENT_STYLE)
        if summary.empty:
            ax.text(0.5, 0.5, "not recorded", transform=ax.transAxes, ha="center", color="0.5")
        ax.set_title(LABELS[variable][0], fontsize=10)
        ax.set(ylabel=LABELS[variable][1], ylim=(0, None))
        ax.grid(axis="y", color="0.9")
    axes[-1].set_xlim(table["year"].min(), table["year"].max())
    for ax in axes[-2:]:
        ax.set_xlabel("Year")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(f"Dimensions of regional integration, {_which(names)}\n"
                 "(dotted lines: events, labelled in the index figure)", fontsize=12)
    return save_figure(fig, path)


def plot_dyad_heatmap(table: pd.DataFrame, variable: str = "border_openness",
                      path: str | os.PathLike | None = None) -> Path:
    """Heatmap of a dyad variable: country pairs by year, mean over replicates, one panel per scenario.

    Args:
        table: tidy run table, one or more scenarios.
        variable: dyad variable, e.g. ``"border_openness"``, ``"trust"`` or ``"trade_flow"``.
        path: where to write the PNG (and the SVG next to it); default ``dyad_<variable>.png``.

    Returns:
        The PNG path.
    """
    rows = table[(table["scope"] == "dyad") & (table["variable"] == variable)].dropna(subset=["value"])
    rows = rows.assign(scenario=rows["scenario"].astype(str), entity=rows["entity"].astype(str))
    names = _scenarios(rows) or _scenarios(table)
    dyads = [d for d in DYADS if d in set(rows["entity"])]
    years = np.arange(table["year"].min(), table["year"].max() + 1)
    means = rows.pivot_table(index=["scenario", "entity"], columns="year", values="value", aggfunc="mean")
    shares = LABELS.get(variable, ("", ""))[1].endswith(("0-1", "1 open"))
    vmax = 1.0 if shares or means.empty else float(np.nanmax(means.to_numpy()))
    counts = _replicates(table)
    fig = _new_figure(figsize=(11, 0.9 + len(names) * (0.8 + 0.32 * max(len(dyads), 1))))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, names):
        grid = means.loc[name] if name in means.index.get_level_values(0) else pd.DataFrame()
        grid = grid.reindex(index=dyads, columns=years)
        mesh = ax.pcolormesh(np.append(years, years[-1] + 1) - 0.5, np.arange(len(dyads) + 1),
                             np.ma.masked_invalid(grid.to_numpy(dtype=float)), cmap="viridis", vmin=0.0, vmax=vmax)
        ax.set_facecolor("0.88")  # years or pairs without a value
        ax.set_yticks(np.arange(len(dyads)) + 0.5, [d.replace("-", "\u2013") for d in dyads], fontsize=9)
        ax.invert_yaxis()
        ax.set_ylabel("Country pair")
        ax.set_title(f"{name} (mean of {counts.get(name, 0)} replicates)", fontsize=10)
    axes[-1].set_xlabel("Year")
    fig.colorbar(mesh, ax=list(axes), label=_label(variable), fraction=0.04, pad=0.01)
    fig.suptitle(f"{LABELS.get(variable, (variable,))[0]} by country pair", fontsize=12)
    return save_figure(fig, path or f"dyad_{variable}.png")


def plot_comparison(diff_table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Bar chart of the index difference between two scenarios per decade.

    Args:
        diff_table: columns ``decade``, ``mean_difference``, ``ci_low``, ``ci_high`` and
            ``share_b_higher`` (0-1); ``attrs["a"]`` and ``attrs["b"]`` name the scenarios.
        path: where to write the PNG (and the SVG next to it).

    Returns:
        The PNG path.
    """
    a, b = str(diff_table.attrs.get("a", "A")), str(diff_table.attrs.get("b", "B"))
    mean = diff_table["mean_difference"].to_numpy(dtype=float)
    low, high = diff_table["ci_low"].to_numpy(dtype=float), diff_table["ci_high"].to_numpy(dtype=float)
    x = np.arange(len(diff_table))
    fig = _new_figure(figsize=(max(6.0, 1.1 * len(x) + 2), 4.8))
    ax = fig.subplots()
    ax.bar(x, mean, color="#56B4E9", width=0.6,
           yerr=np.vstack([np.clip(mean - low, 0, None), np.clip(high - mean, 0, None)]),
           capsize=4, ecolor="black", label="bars: mean difference; whiskers: 95% bootstrap interval")
    ax.axhline(0, color="0.2", linewidth=0.8)
    for xi, top, share in zip(x, np.fmax(np.fmax(high, mean), 0), diff_table["share_b_higher"]):
        if pd.notna(share):
            ax.annotate(f"{share:.0%}", (xi, top), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, diff_table["decade"].astype(str))
    ax.margins(y=0.15)
    # Bars stick to zero, so margins alone leave no room for the share labels above them.
    bottom, top = ax.get_ylim()
    ax.set_ylim(bottom, top + 0.12 * (top - bottom))
    variable = diff_table.attrs.get("variable", "integration_index")
    what = "Index" if variable == "integration_index" else LABELS.get(variable, (variable,))[0]
    ax.set(xlabel="Decade", ylabel=f"{what} difference ({b} - {a})")
    ax.set_title(f"{b} vs {a}\n(% above bars: share of replicates in which {b} is higher)", fontsize=11)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return save_figure(fig, path)


def plot_sensitivity(table: pd.DataFrame, method: str, path: str | os.PathLike) -> Path:
    """Bar charts of sensitivity indices, one panel per scenario and outcome.

    Args:
        table: :func:`sim.analysis.sensitivity` rows (``S1``/``ST`` for Sobol, ``mu_star``
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


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG (150 dpi) and as SVG next to it, each atomically, then close it.

    Args:
        fig: the figure.
        path: the PNG path (the suffix is replaced by ``.png``); parent folders are created.

    Returns:
        The PNG path.
    """
    png = Path(path).with_suffix(".png")
    png.parent.mkdir(parents=True, exist_ok=True)
    try:
        with matplotlib.rc_context({"svg.hashsalt": "casim"}):  # reproducible SVG ids
            for target, options in ((png, {"dpi": 150}), (png.with_suffix(".svg"), {"metadata": {"Date": None}})):
                tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
                try:
                    fig.savefig(tmp, format=target.suffix[1:], **options)
                    os.replace(tmp, target)
                finally:
                    tmp.unlink(missing_ok=True)
    finally:
        plt.close(fig)
    return png


def write_run_figures(table: pd.DataFrame, out_dir: str | os.PathLike) -> list[Path]:
    """Write the standard figures of a run into ``out_dir`` (created if needed).

    Args:
        table: tidy run table, one or more scenarios.
        out_dir: output folder.

    Returns:
        Paths of ``index.png``, ``dimensions.png``, ``dyad_border_openness.png`` and
        ``dyad_trust.png`` (each with an SVG beside it).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        plot_index(table, out / "index.png"),
        plot_dimensions(table, out / "dimensions.png"),
        plot_dyad_heatmap(table, "border_openness", out / "dyad_border_openness.png"),
        plot_dyad_heatmap(table, "trust", out / "dyad_trust.png"),
    ]
