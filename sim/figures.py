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
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.events import narrative_events
from sim.geography import DYADS, STATES
from sim.output import atomic_path

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
    "energy_deficit": ("Winter energy deficit", "share of winter power demand, 0-1"),
    "conflict_incidents": ("Border conflict incidents", "incidents per year"),
    "clashes": ("Armed clashes on borders", "clashes per year"),
    "delimited_share": ("Delimited border", "share of length, 0-1"),
    "trade_flow": ("Bilateral trade", "$ million per year"),
    "border_queues": ("Trade lost to border queues", "share of trade, 0-1"),
    "border_side_difference": ("First state's side less the second's", "openness, -1 to 1"),
    "summit": ("Heads-of-state summit held", "share of replicates"),
    "support": ("Support for a Central-Asia-only body", "0-1"),
    "trade_openness": ("Trade openness", "total trade as a share of GDP"),
    "trade_barrier": ("Trade regime barrier", "share of trade lost, 0-1"),
}
_EVENT_STYLE = {"color": "0.45", "linewidth": 0.7, "linestyle": ":", "zorder": 0}
_SCENARIO_EVENT_STYLE = {"color": "#0072B2", "linewidth": 0.6, "linestyle": "--", "alpha": 0.6, "zorder": 0}


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


def _runs(table: pd.DataFrame) -> str:
    """What a band spans: runs over the posterior (its draws, the dispositions and chance) or replicates."""
    if "draw" in table and (table["draw"] >= 0).any():
        return "runs (posterior draws, drawn dispositions, seeds)"
    return "replicates"


def _draw_bands(ax, summary: pd.DataFrame, colours: dict[str, str], counts: dict[str, int],
                runs: str = "replicates") -> None:
    for name, colour in colours.items():
        s = summary[summary["scenario"] == name]
        prefix = f"{name}: " if len(colours) > 1 else ""
        ax.fill_between(s["year"], s["low"], s["high"], color=colour, alpha=0.22, linewidth=0,
                        label=f"{prefix}5-95% of {counts.get(name, 0)} {runs}")
        ax.plot(s["year"], s["median"], color=colour, linewidth=1.8, label=f"{prefix}median")


def _events(years: pd.Series, scenario_events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The narrative's events and the scenario's own (``kind`` = ``scenario``) within the years shown."""
    events = pd.concat([narrative_events(), scenario_events if scenario_events is not None else None])
    events = events.sort_values("year", kind="stable")
    return events[events["year"].between(years.min(), years.max())].reset_index(drop=True)


def _mark_events(ax, events: pd.DataFrame) -> None:
    """Vertical lines at the events: dotted for the narrative's, dashed blue for the scenario's own."""
    for year, kind in zip(events["year"], events["kind"]):
        ax.axvline(year, **(_SCENARIO_EVENT_STYLE if kind == "scenario" else _EVENT_STYLE))


def _short(label: str, width: int = 22) -> str:
    """Drop parentheses and wrap to at most two lines."""
    lines = textwrap.wrap(re.sub(r"\s*\(.*?\)", "", label), width)
    return "\n".join(lines[:2]) + ("\u2026" if len(lines) > 2 else "")


def _event_key(events: pd.DataFrame) -> list[tuple[int, str, str]]:
    """One entry per year with events: (year, joined labels, colour: blue if any is the scenario's)."""
    key = []
    for year, rows in events.groupby("year", sort=True):
        colour = "#0072B2" if (rows["kind"] == "scenario").any() else "0.25"
        key.append((int(year), "; ".join(dict.fromkeys(rows["label"])), colour))
    return key


def _label_events(ax, events: pd.DataFrame, key_ax=None, fontsize: float = 7.5) -> None:
    """Number each year with events at the bottom of ``ax``; list them in ``key_ax`` (an empty axes)."""
    key = _event_key(events)
    for number, (year, _, colour) in enumerate(key, start=1):
        ax.annotate(str(number), (year, 0), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                    fontsize=fontsize, color=colour, annotation_clip=False)
    if key_ax is None:
        return
    key_ax.set_axis_off()
    lines = [f"{number}. {year}: {textwrap.shorten(labels, 75, placeholder='...')}"
             for number, (year, labels, _) in enumerate(key, start=1)]
    per_column = -(-len(lines) // 2)
    for column in range(2):
        key_ax.text(0.5 * column, 1.0, "\n".join(lines[column * per_column:(column + 1) * per_column]),
                    transform=key_ax.transAxes, fontsize=6.5, va="top", ha="left", color="0.2")


def plot_index(table: pd.DataFrame, path: str | os.PathLike, events: pd.DataFrame | None = None) -> Path:
    """Plot the region's integration index over time, one median line and band per scenario.

    Args:
        table: tidy run table (see :func:`sim.run`), one or more scenarios.
        path: where to write the PNG; an SVG with the same stem is written next to it.
        events: the scenarios' own events (:func:`sim.events.figure_events`), marked with the
            narrative's.

    Returns:
        The PNG path.
    """
    summary = _summary(table, "region", "integration_index")
    names = _scenarios(table)
    years, events = table["year"], _events(table["year"], events)
    key_height = 0.115 * -(-len(_event_key(events)) // 2)
    fig = _new_figure(figsize=(10, 5.8 + key_height))
    strip, ax, key_ax = fig.subplots(3, 1, height_ratios=[0.3, 4.6, key_height + 0.05])
    strip.sharex(ax)
    _draw_bands(ax, summary, _colours(names), _replicates(table), _runs(table))
    _mark_events(strip, events)
    _mark_events(ax, events)
    strip.set_axis_off()
    _label_events(strip, events, key_ax)
    ax.set(xlim=(years.min(), years.max()), ylim=(0, None), xlabel="Year", ylabel="Regional Integration Index (0-1)")
    ax.grid(axis="y", color="0.9")
    ax.legend(loc="best", fontsize=8, frameon=False)
    strip.set_title(f"Regional Integration Index, {_which(names)}\n(dotted: the narrative's events; "
                    "dashed blue: the scenario's own inputs; numbered years listed below)")
    return save_figure(fig, path)


def plot_dimensions(table: pd.DataFrame, path: str | os.PathLike, events: pd.DataFrame | None = None) -> Path:
    """Plot each dimension of integration and each stress of the region in its own panel.

    Args:
        table: tidy run table, one or more scenarios.
        path: where to write the PNG (and the SVG next to it).
        events: the scenarios' own events, marked with the narrative's.

    Returns:
        The PNG path.
    """
    names = _scenarios(table)
    colours, counts = _colours(names), _replicates(table)
    events = _events(table["year"], events)
    fig = _new_figure(figsize=(11, 11))
    axes = fig.subplots(4, 2, sharex=True).ravel()
    for ax, variable in zip(axes, DIMENSIONS):
        summary = _summary(table, "region", variable)
        _draw_bands(ax, summary, colours, counts, _runs(table))
        _mark_events(ax, events)
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
                 "(dotted: the narrative's events; dashed blue: the scenario's own inputs; labelled in the "
                 "index figure)", fontsize=12)
    return save_figure(fig, path)


def plot_dyad_heatmap(table: pd.DataFrame, variable: str = "border_openness",
                      path: str | os.PathLike | None = None, events: pd.DataFrame | None = None) -> Path:
    """Heatmap of a dyad variable: country pairs by year, mean over replicates, one panel per scenario.

    Args:
        table: tidy run table, one or more scenarios.
        variable: dyad variable, e.g. ``"border_openness"``, ``"trust"`` or ``"trade_flow"``.
        path: where to write the PNG (and the SVG next to it); default ``dyad_<variable>.png``.
        events: the scenarios' own events, marked (dashed, white) with the narrative's.

    Returns:
        The PNG path.
    """
    marked = _events(table["year"], events)
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
        for year, kind in zip(marked["year"], marked["kind"]):
            ax.axvline(year - 0.5, color="white", linewidth=0.6, linestyle="--" if kind == "scenario" else ":")
        ax.set_yticks(np.arange(len(dyads)) + 0.5, [d.replace("-", "\u2013") for d in dyads], fontsize=9)
        ax.invert_yaxis()
        ax.set_ylabel("Country pair")
        ax.set_title(f"{name} (mean of {counts.get(name, 0)} replicates)", fontsize=10)
    axes[-1].set_xlabel("Year")
    fig.colorbar(mesh, ax=list(axes), label=_label(variable), fraction=0.04, pad=0.01)
    fig.suptitle(f"{LABELS.get(variable, (variable,))[0]} by country pair\n(white lines: the narrative's events, "
                 "dotted, and the scenario's own inputs, dashed)", fontsize=12)
    return save_figure(fig, path or f"dyad_{variable}.png")


def plot_comparison(diff_table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Bar chart of the paired difference of a variable between two scenarios, per decade.

    Args:
        diff_table: rows of :func:`sim.compare.compare` (one pair of scenarios, one
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
    ax.set(xlabel="Decade", ylabel=f"difference ({b} - {a})")
    ax.set_title(f"{what}: {b} vs {a}\n(above bars: probability that {b} is higher)", fontsize=10.5)
    ax.legend(loc="best", fontsize=7.5, frameon=False)
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
    try:
        with matplotlib.rc_context({"svg.hashsalt": "casim"}):  # reproducible SVG ids
            for target, options in ((png, {"dpi": 150}), (png.with_suffix(".svg"), {"metadata": {"Date": None}})):
                with atomic_path(target) as tmp:
                    fig.savefig(tmp, format=target.suffix[1:], **options)
    finally:
        plt.close(fig)
    return png


def write_run_figures(table: pd.DataFrame, out_dir: str | os.PathLike, events: pd.DataFrame | None = None) -> list[Path]:
    """Write the standard figures of a run into ``out_dir`` (created if needed).

    Args:
        table: tidy run table, one or more scenarios.
        out_dir: output folder.
        events: the scenarios' own events (:func:`sim.events.figure_events`).

    Returns:
        Paths of ``index.png``, ``dimensions.png``, ``dyad_border_openness.png`` and
        ``dyad_trust.png`` (each with an SVG beside it).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        plot_index(table, out / "index.png", events),
        plot_dimensions(table, out / "dimensions.png", events),
        plot_dyad_heatmap(table, "border_openness", out / "dyad_border_openness.png", events),
        plot_dyad_heatmap(table, "trust", out / "dyad_trust.png", events),
    ]


# ------------------------------------------------------------------ validation and calibration

HINDCAST_VARIABLES: tuple[str, ...] = (
    "integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop", "political",
)
_PASS_LEVEL = 0.8  # a pattern is reproduced when at least this share of replicates satisfies it
_PASS_COLOUR, _FAIL_COLOUR, _WINDOW_COLOUR = "#009E73", "#D55E00", "#E69F00"
_THRESHOLD_COLOUR = "#0072B2"
# panel frames of the pattern grid; colourless, so no scenario colour can be mistaken for one
_IN_SAMPLE_FRAME, _OUT_OF_SAMPLE_FRAME = {"edgecolor": "0.55", "linewidth": 0.8}, {"edgecolor": "0.1", "linewidth": 2.2}
_REFERENCE_STYLE = {"facecolor": "none", "edgecolor": "0.6", "hatch": "////", "linewidth": 0, "zorder": 0}
_CUTOFF_STYLE = {"color": "0.1", "linewidth": 1.1, "linestyle": "--", "zorder": 1}


def _quantiles(rows: pd.DataFrame) -> pd.DataFrame:
    """Median and 5-95% quantiles across replicates per year (columns year, low, median, high)."""
    if rows.empty:
        return pd.DataFrame({column: pd.Series(dtype=float) for column in ("year", "low", "median", "high")})
    out = rows.groupby("year")["value"].quantile([0.05, 0.5, 0.95]).unstack().reindex(columns=[0.05, 0.5, 0.95])
    out.columns = ["low", "median", "high"]
    return out.reset_index().sort_values("year")


def _rows_of(table: pd.DataFrame, scope: str, entity: str, variable: str) -> pd.DataFrame:
    keep = (table["scope"] == scope) & (table["entity"] == entity) & (table["variable"] == variable)
    return table.loc[keep, ["replicate", "year", "value"]].dropna(subset=["value"])


def _band_handles(colour: str, replicates: int, name: str = "", runs: str = "replicates") -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    prefix = f"{name}: " if name else ""
    return [Line2D([], [], color=colour, linewidth=1.8, label=f"{prefix}median of {replicates} {runs}"),
            Patch(facecolor=colour, alpha=0.22, linewidth=0, label=f"{prefix}5-95% range of {replicates} {runs}")]


def _wrap_id(identifier: str, width: int = 30) -> str:
    """Wrap a snake_case id at underscores into lines of at most ``width`` characters."""
    lines: list[str] = []
    for part in identifier.split("_"):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += "_" + part
        else:
            lines.append(part if not lines else "_" + part)
    return "\n".join(lines)


def _criterion(pattern) -> str:
    """A few words for what the pattern asks of its window."""
    if pattern.kind in ("below", "above"):
        sign = "<" if pattern.kind == "below" else ">"
        return f"{sign} {pattern.value:g}" + (" each year" if pattern.every_year else "")
    if pattern.kind == "peak":
        return "peak"
    return f"{pattern.kind} vs {pattern.reference[0]}-{pattern.reference[1]}"


def plot_hindcast(table: pd.DataFrame, patterns, path: str | os.PathLike, last_year: int | None = None,
                  show_cutoff: bool = True) -> Path:
    """Plot the hindcast: the integration index and its dimensions with the patterns' windows.

    One panel for the Regional Integration Index and one per dimension (institutional depth,
    trade share, border openness, water-energy cooperation, political), each with the median
    and 5-95% range over replicates, the events of ``events.csv`` (dotted), the calibration
    cut-off (dashed) and the windows of the patterns on that region variable (shaded, with
    the pattern's criterion; ``below``/``above`` thresholds as a short line over the window).

    Args:
        table: tidy run table (see :func:`sim.run`) of one scenario (several are drawn in
            their own colours).
        patterns: the :class:`~sim.patterns.PatternSet` whose windows and cut-off are shown.
        path: where to write the PNG (and the SVG next to it).
        last_year: last year shown (default: the last year any pattern looks at).
        show_cutoff: draw the calibration cut-off (not when every pattern is in-sample).

    Returns:
        The PNG path.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from sim.outcomes import VariableRef

    last = int(last_year if last_year is not None else patterns.last_year)
    table = table[table["year"] <= last]
    first, last = int(table["year"].min()), min(last, int(table["year"].max()))
    names = _scenarios(table)
    colours, counts = _colours(names), _replicates(table)
    by_variable: dict[str, list] = {}
    for pattern in patterns.patterns:
        ref = VariableRef.parse(pattern.variable)
        if ref.scope == "region":
            by_variable.setdefault(ref.variable, []).append(pattern)
    cutoff = patterns.calibration_cutoff if show_cutoff else None

    fig = _new_figure(figsize=(12, 13.5))
    layout = [["strip", "strip"], ["integration_index"] * 2, ["institutional", "trade_share"],
              ["border_openness", "water_energy_coop"], ["political", "legend"]]
    axd = fig.subplot_mosaic(layout, height_ratios=[0.85, 2.3, 1.35, 1.35, 1.35], sharex=True)
    events = _events(pd.Series([first, last]))
    strip = axd["strip"]
    for year in events["year"]:
        strip.axvline(year, **_EVENT_STYLE)
    if cutoff is not None and first <= cutoff <= last:
        strip.axvline(cutoff, **_CUTOFF_STYLE)
    strip.set_axis_off()
    _label_events(strip, events, axd["legend"])

    for variable in HINDCAST_VARIABLES:
        ax = axd[variable]
        summary = _summary(table, "region", variable)
        for name, colour in colours.items():
            s = summary[summary["scenario"] == name]
            ax.fill_between(s["year"], s["low"], s["high"], color=colour, alpha=0.22, linewidth=0)
            ax.plot(s["year"], s["median"], color=colour, linewidth=1.8)
        if summary.empty:
            ax.text(0.5, 0.5, "not recorded", transform=ax.transAxes, ha="center", color="0.5")
        for year in events["year"]:
            ax.axvline(year, **_EVENT_STYLE)
        if cutoff is not None and first <= cutoff <= last:
            ax.axvline(cutoff, **_CUTOFF_STYLE)
        for pattern in by_variable.get(variable, []):
            left, right = pattern.window[0] - 0.5, pattern.window[1] + 0.5
            ax.axvspan(left, right, color=_WINDOW_COLOUR, alpha=0.16, linewidth=0, zorder=0)
            if pattern.kind in ("below", "above"):
                ax.hlines(pattern.value, left, right, color=_THRESHOLD_COLOUR, linewidth=1.6, zorder=3)
            # centred over the window, but kept inside the panel near either edge
            x, ha = ((left, "left") if left - first < 3 else (right, "right") if last - right < 3
                     else ((left + right) / 2, "center"))
            ax.annotate(_criterion(pattern), (max(first, min(x, last)), 1), xycoords=("data", "axes fraction"),
                        xytext=(0, -2), textcoords="offset points", ha=ha, va="top", fontsize=6.5,
                        color="0.2", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
        name, unit = LABELS[variable]
        ax.set_title(name, fontsize=10 if variable != "integration_index" else 11)
        ax.set_ylabel(unit if variable != "integration_index" else f"{name} ({unit})")
        ax.set_ylim(0, ax.get_ylim()[1] * 1.1)  # room for the criteria at the top
        ax.grid(axis="y", color="0.9")
    index_ax = axd["integration_index"]
    if cutoff is not None and first <= cutoff <= last:
        index_ax.annotate("calibration cut-off", (cutoff, 0.97), xycoords=("data", "axes fraction"), xytext=(-3, 0),
                          textcoords="offset points", rotation=90, ha="right", va="top", fontsize=8, color="0.1")
    for variable in ("political", "water_energy_coop"):
        axd[variable].set_xlabel("Year")
        axd[variable].xaxis.set_tick_params(labelbottom=True)
    axd["political"].set_xlim(first, last)

    legend_ax = axd["legend"]
    legend_ax.set_axis_off()
    handles = []
    for name in names:
        handles += _band_handles(colours[name], counts.get(name, 0), name if len(names) > 1 else "", _runs(table))
    handles.append(Line2D([], [], **{**_EVENT_STYLE, "linewidth": 1.0}, label="event (labelled at the top)"))
    if cutoff is not None:
        handles.append(Line2D([], [], **_CUTOFF_STYLE,
                              label=f"calibration cut-off ({cutoff}): patterns up to it are in-sample"))
    handles += [
        Patch(facecolor=_WINDOW_COLOUR, alpha=0.3, linewidth=0, label="window of a pattern on this variable\n(its criterion at the top)"),
        Line2D([], [], color=_THRESHOLD_COLOUR, linewidth=1.6, label="its threshold (below / above patterns)"),
    ]
    legend_ax.legend(handles=handles, loc="center", fontsize=8.5, frameon=False)
    fig.suptitle(f"Hindcast {first}-{last}: {_which(names)}", fontsize=13)
    return save_figure(fig, path)


def _reproduced(scores: pd.DataFrame | None) -> dict[str, tuple[float, int, bool]]:
    """pattern id -> (pass rate, replicates, reproduced) from a score table."""
    if scores is None:
        return {}
    replicates = scores["replicates"] if "replicates" in scores else pd.Series(0, index=scores.index)
    reproduced = scores["reproduced"] if "reproduced" in scores else scores["pass_rate"] >= _PASS_LEVEL
    return {str(p): (float(rate), int(n), bool(ok))
            for p, rate, n, ok in zip(scores["pattern"], scores["pass_rate"], replicates, reproduced)}


def plot_pattern_grid(table: pd.DataFrame, patterns, scores: pd.DataFrame, path: str | os.PathLike,
                      counterfactual: pd.DataFrame | str | None = None,
                      counterfactual_scores: pd.DataFrame | None = None) -> Path:
    """Plot one small panel per pattern: its variable, window, reference and pass rate.

    Each panel shows the pattern's variable (any scope) as the median and 5-95% range over the
    scenario's replicates, the counterfactual's median (dashed) if given, the window shaded
    green when the pattern is reproduced (pass rate at least 0.8) and red otherwise, the
    reference window or span in grey and the threshold of ``below``/``above`` patterns.
    The title gives the pattern id, its pass rate over n replicates, the counterfactual's
    pass rate and whether the pattern is in-sample (before the calibration cut-off) or
    out-of-sample (also in a thick frame).

    Args:
        table: tidy run table of the scenario (if it holds several scenarios, the first one
            not named ``counterfactual``).
        patterns: the :class:`~sim.patterns.PatternSet`.
        scores: :func:`sim.patterns.score_table` of the scenario (columns ``pattern``,
            ``pass_rate``, ``replicates`` and optionally ``reproduced``).
        path: where to write the PNG (and the SVG next to it).
        counterfactual: tidy run table of the counterfactual scenario, or the name of a
            scenario in ``table``.
        counterfactual_scores: score table of the counterfactual (``pattern``, ``pass_rate``).

    Returns:
        The PNG path.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    from sim.outcomes import VariableRef

    if isinstance(counterfactual, str):
        other = table[table["scenario"].astype(str) == counterfactual]
        table = table[table["scenario"].astype(str) != counterfactual]
        counterfactual = other
    name = _scenarios(table)[0]
    table = table[table["scenario"].astype(str) == name]
    cf_name = _scenarios(counterfactual)[0] if counterfactual is not None and len(counterfactual) else None
    colours = _colours([name] + ([cf_name] if cf_name else []))
    replicates = int(table["replicate"].nunique())
    own, other_scores = _reproduced(scores), _reproduced(counterfactual_scores)
    # in- or out-of-sample as the scores say (the calibration behind the posterior), else by the cut-off
    samples = (dict(zip(scores["pattern"], scores["sample"])) if scores is not None and "sample" in scores
               else {p.id: "in-sample" if patterns.in_sample(p) else "out-of-sample" for p in patterns.patterns})

    n = len(patterns.patterns)
    columns = min(5, n)
    rows = -(-n // columns)
    fig = _new_figure(figsize=(3.4 * columns, 2.75 * rows + 1.6))
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    for k, (ax, pattern) in enumerate(zip(axes, patterns.patterns)):
        ref = VariableRef.parse(pattern.variable)
        first, last = pattern.first_year - 3, pattern.last_year + 3
        rows_of = _rows_of(table, ref.scope, ref.entity, ref.variable)
        rows_of = rows_of[rows_of["year"].between(first, last)]
        # a 0/1 variable (a summit held or not; its LABELS unit says so): its median jumps between 0
        # and 1 and its band is all of 0-1, so the line is the share of replicates instead
        binary = (LABELS.get(ref.variable, ("", ""))[1] == "share of replicates" and not rows_of.empty
                  and bool(rows_of["value"].isin((0.0, 1.0)).all()))
        s = _quantiles(rows_of)
        if s.empty:
            ax.text(0.5, 0.5, "not recorded", transform=ax.transAxes, ha="center", color="0.5")
        if binary:
            share = rows_of.groupby("year")["value"].mean()
            ax.plot(share.index, share.to_numpy(), color=colours[name], linewidth=1.5, zorder=3)
            ax.text(0.02, 0.97, "0/1 per replicate: lines are shares of replicates", transform=ax.transAxes,
                    fontsize=6, color="0.3", va="top", zorder=4)
            ax.set_ylim(-0.03, 1.25)  # room above 1 for the note
            ax.set_yticks(np.linspace(0, 1, 5))
        else:
            ax.fill_between(s["year"], s["low"], s["high"], color=colours[name], alpha=0.22, linewidth=0, zorder=2)
            ax.plot(s["year"], s["median"], color=colours[name], linewidth=1.5, zorder=3)
        if cf_name:
            c = _rows_of(counterfactual, ref.scope, ref.entity, ref.variable)
            c = c[c["year"].between(first, last)].groupby("year")["value"]
            c = c.mean() if binary else c.median()
            ax.plot(c.index, c.to_numpy(), color=colours[cf_name], linewidth=1.3, linestyle="--", zorder=3)
        rate, count, ok = own.get(pattern.id, (np.nan, replicates, False))
        for years in (pattern.reference, pattern.span):
            if years is not None:
                ax.axvspan(years[0] - 0.5, years[1] + 0.5, **_REFERENCE_STYLE)
        shade = "0.6" if np.isnan(rate) else _PASS_COLOUR if ok else _FAIL_COLOUR
        ax.axvspan(pattern.window[0] - 0.5, pattern.window[1] + 0.5, color=shade, alpha=0.24, linewidth=0, zorder=1)
        if pattern.kind in ("below", "above"):
            ax.axhline(pattern.value, color=_THRESHOLD_COLOUR, linewidth=1.1, linestyle="-.", zorder=2.5)
        # x range: the pattern's years with three either side, clipped to the data
        data_years = table["year"]
        ax.set_xlim(max(first, int(data_years.min())) - 0.5, min(last, int(data_years.max())) + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.tick_params(labelsize=7)
        in_sample = samples.get(pattern.id, "in-sample") == "in-sample"
        status = "not scored" if np.isnan(rate) else f"pass {rate:.2f} (n={count})"
        if pattern.id in other_scores:
            status += f" | cf {other_scores[pattern.id][0]:.2f}"
        status += " | " + ("in" if in_sample else "out")
        ax.set_title(f"{_wrap_id(pattern.id)}\n{status}", fontsize=7.5, loc="left")
        for spine in ax.spines.values():
            spine.set(**(_IN_SAMPLE_FRAME if in_sample else _OUT_OF_SAMPLE_FRAME))
        variable_name, unit = LABELS.get(ref.variable, (ref.variable.replace("_", " ").capitalize(), ""))
        who = "" if ref.scope == "region" else ref.entity.replace("-", "\u2013") + " "
        wrapped = textwrap.fill(f"{who}{variable_name}", 26)
        ax.set_ylabel(f"{wrapped}\n({unit})" if unit else wrapped, fontsize=7, parse_math=False)
        if k + columns >= n:
            ax.set_xlabel("Year", fontsize=7.5)
    for ax in axes[n:]:
        ax.set_visible(False)

    handles = _band_handles(colours[name], replicates, name, _runs(table))
    if cf_name:
        handles.append(Line2D([], [], color=colours[cf_name], linestyle="--", linewidth=1.3,
                              label=f"{cf_name} (counterfactual): median; 'cf' = its pass rate"))
    handles += [
        Patch(facecolor=_PASS_COLOUR, alpha=0.3, label=f"window, reproduced (pass rate \u2265 {_PASS_LEVEL:g})"),
        Patch(facecolor=_FAIL_COLOUR, alpha=0.3, label="window, not reproduced"),
        Patch(**{**_REFERENCE_STYLE, "linewidth": 0.5}, label="reference window (rises / falls) or span (peak)"),
        Line2D([], [], color=_THRESHOLD_COLOUR, linestyle="-.", linewidth=1.1, label="threshold (below / above)"),
        Patch(facecolor="white", **_IN_SAMPLE_FRAME,
              label="in: in-sample (the calibration behind the posterior was fitted to it), thin frame"),
    ]
    if "out-of-sample" in samples.values():
        handles.append(Patch(facecolor="white", **_OUT_OF_SAMPLE_FRAME, label="out: out-of-sample, thick frame"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8.5, frameon=False)
    reproduced = sum(own.get(p.id, (0, 0, False))[2] for p in patterns.patterns)
    title = f"Narrative patterns in {name}: {reproduced} of {n} reproduced"
    if cf_name and other_scores:
        cf_reproduced = sum(other_scores.get(p.id, (0.0,))[0] >= _PASS_LEVEL for p in patterns.patterns)
        title += f"; {cf_reproduced} in the counterfactual {cf_name}"
    fig.suptitle(f"{title}\n(pass = share of the runs, each a posterior draw, drawn dispositions and a seed, "
                 f"satisfying the pattern; reproduced when \u2265 {_PASS_LEVEL:g})", fontsize=12)
    return save_figure(fig, path)
