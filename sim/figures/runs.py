"""Figures of runs over time: the integration index, its dimensions and dyad heatmaps.

Plot functions take the tidy table of :func:`sim.run` (or several concatenated, one scenario
each), write ``<path>.png`` and ``<path>.svg`` and return the PNG path. Lines are medians across
replicates, bands the 5-95% range, dotted vertical lines the events of ``sim/data/events.csv``.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim.figures.style import LABELS, _colours, _label, _new_figure, save_figure
from sim.inputs.events import narrative_events
from sim.inputs.geography import DYADS

DIMENSIONS: tuple[str, ...] = (
    "institutional", "trade_share", "border_openness", "water_energy_coop",
    "political", "water_shortfall", "energy_deficit", "conflict_incidents",
)
_EVENT_STYLE = {"color": "0.45", "linewidth": 0.7, "linestyle": ":", "zorder": 0}
_SCENARIO_EVENT_STYLE = {"color": "#0072B2", "linewidth": 0.6, "linestyle": "--", "alpha": 0.6, "zorder": 0}


def _scenarios(table: pd.DataFrame) -> list[str]:
    return list(pd.unique(table["scenario"].astype(str)))


def _which(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 2 else f"{len(names)} scenarios"


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
        return "runs (posterior draws, dispositions, seeds)"
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
        events: the scenarios' own events (:func:`sim.inputs.events.figure_events`), marked with the
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


def write_run_figures(table: pd.DataFrame, out_dir: str | os.PathLike, events: pd.DataFrame | None = None) -> list[Path]:
    """Write the standard figures of a run into ``out_dir`` (created if needed).

    Args:
        table: tidy run table, one or more scenarios.
        out_dir: output folder.
        events: the scenarios' own events (:func:`sim.inputs.events.figure_events`).

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
