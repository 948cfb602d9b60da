"""Figures of the validation: the hindcast with the patterns' windows, and one panel per pattern.

Each function writes ``<path>.png`` and ``<path>.svg`` (:func:`sim.figures.style.save_figure`)
and returns the PNG path.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim.figures.runs import (
    _EVENT_STYLE,
    _events,
    _label_events,
    _replicates,
    _runs,
    _scenarios,
    _summary,
    _which,
)
from sim.figures.style import LABELS, _colours, _new_figure, save_figure

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
        patterns: the :class:`~sim.inference.patterns.PatternSet` whose windows and cut-off are shown.
        path: where to write the PNG (and the SVG next to it).
        last_year: last year shown (default: the last year any pattern looks at).
        show_cutoff: draw the calibration cut-off (not when every pattern is in-sample).

    Returns:
        The PNG path.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from sim.model.outcomes import VariableRef

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
        patterns: the :class:`~sim.inference.patterns.PatternSet`.
        scores: :func:`sim.inference.patterns.score_table` of the scenario (columns ``pattern``,
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

    from sim.model.outcomes import VariableRef

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
    fig.suptitle(f"{title}\n(pass = share of the runs, each a posterior draw, its dispositions and a seed, "
                 f"satisfying the pattern; reproduced when \u2265 {_PASS_LEVEL:g})", fontsize=12)
    return save_figure(fig, path)
