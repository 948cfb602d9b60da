"""Tests for sim.figures on a small hand-made tidy table (no model run needed)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import sim
from sim.figures import comparisons, runs, style
from sim.inputs.geography import DYADS, STATES

REGION_VARIABLES = (
    "integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop", "trust",
    "political", "conflict_incidents", "water_shortfall", "energy_deficit", "delimited_share", "summit",
)
COUNTRY_VARIABLES = ("integration_index", "trust", "border_openness", "gdp", "support")
DYAD_VARIABLES = ("trade_flow", "trust", "border_openness", "conflict_incidents")
NEIGHBOURS = ("KAZ-KGZ", "KAZ-TKM", "KAZ-UZB", "KGZ-TJK", "KGZ-UZB", "TJK-UZB", "TKM-UZB")


def _synthetic_table(scenarios=("baseline", "reform"), replicates=3, years=range(1998, 2008)) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for s, scenario in enumerate(scenarios):
        for r in range(replicates):
            for year in years:
                key = (scenario, r, 100 * s + r, year)
                for variable in REGION_VARIABLES:
                    scale = 5.0 if variable == "conflict_incidents" else 1.0
                    rows.append((*key, "region", "region", variable, scale * rng.uniform(0, 1)))
                for state in STATES:
                    for variable in COUNTRY_VARIABLES:
                        rows.append((*key, "country", state, variable, rng.uniform(0, 1)))
                for dyad in DYADS:
                    for variable in DYAD_VARIABLES:
                        if variable in ("border_openness", "conflict_incidents") and dyad not in NEIGHBOURS:
                            continue  # only neighbours have a border, as in the model
                        scale = 1000.0 if variable == "trade_flow" else 1.0
                        rows.append((*key, "dyad", dyad, variable, scale * rng.uniform(0, 1)))
    table = pd.DataFrame(rows, columns=["scenario", "replicate", "seed", "year", "scope", "entity", "variable", "value"])
    for column in ("scenario", "scope", "entity", "variable"):
        table[column] = table[column].astype("category")
    return table


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return _synthetic_table()


def _diff_table() -> pd.DataFrame:
    return pd.DataFrame({
        "variable": "region.integration_index", "a": "baseline", "b": "reform",
        "decade": ["1991-2000", "2001-2010", "2011-2020"],
        "mean_difference": [0.02, -0.01, 0.0],
        "p05_difference": [0.01, -0.03, 0.0],
        "p95_difference": [0.03, 0.005, 0.0],
        "probability_b_higher": [0.9, 0.3, 0.0],
        "probability_no_difference": [0.0, 0.0, 1.0],
        "n_pairs": 40, "n_draw_slots": 10,
    })


def _assert_written(png, folder) -> None:
    svg = png.with_suffix(".svg")
    assert png.suffix == ".png"
    assert png.stat().st_size > 0 and svg.stat().st_size > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text(encoding="utf-8")[:2000]
    assert not [name for name in os.listdir(folder) if name.endswith(".tmp")]


@pytest.mark.parametrize("plot", [runs.plot_index, runs.plot_dimensions])
def test_line_plots_write_png_and_svg(plot, table, tmp_path):
    png = plot(table, tmp_path / "figure.png")
    _assert_written(png, tmp_path)


@pytest.mark.parametrize("variable", ["border_openness", "trust", "trade_flow"])
def test_dyad_heatmap_writes_png_and_svg(variable, table, tmp_path):
    png = runs.plot_dyad_heatmap(table, variable, tmp_path / f"dyad_{variable}.png")
    _assert_written(png, tmp_path)


def test_single_scenario_and_missing_variable(table, tmp_path):
    one = table[table["scenario"] == "baseline"]
    _assert_written(runs.plot_index(one, tmp_path / "index.png"), tmp_path)
    no_shortfall = one[one["variable"] != "water_shortfall"]
    _assert_written(runs.plot_dimensions(no_shortfall, tmp_path / "dims.png"), tmp_path)


def test_comparison_writes_png_and_svg(tmp_path):
    png = comparisons.plot_comparison(_diff_table(), tmp_path / "compare.png")
    _assert_written(png, tmp_path)
    svg = png.with_suffix(".svg").read_text(encoding="utf-8")
    # Ties say so instead of "0%"; the legend says what the whiskers span.
    assert "no difference" in svg and "posterior draws, dispositions and chance" in svg


def test_write_run_figures_returns_four_pngs(table, tmp_path):
    out = tmp_path / "new" / "figures"
    paths = runs.write_run_figures(table, out)
    assert [p.name for p in paths] == ["index.png", "dimensions.png", "dyad_border_openness.png", "dyad_trust.png"]
    for png in paths:
        assert png.parent == out
        _assert_written(png, out)
    assert len(os.listdir(out)) == 8


def test_save_figure_replaces_and_cleans_up_on_failure(tmp_path):
    fig = Figure()
    fig.subplots().plot([0, 1], [0, 1])
    png = style.save_figure(fig, tmp_path / "plain.png")
    _assert_written(png, tmp_path)

    before = png.read_bytes()

    class Broken(Figure):
        def savefig(self, *args, **kwargs):
            with open(args[0], "wb") as fh:
                fh.write(b"partial")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        style.save_figure(Broken(), png)
    assert png.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["plain.png", "plain.svg"]


def test_colours_are_fixed_and_distinct():
    assert set(style.STATE_COLOURS) == set(STATES)
    assert len(set(style.STATE_COLOURS.values())) == len(STATES)
    colours = style._colours(["baseline", "reform", "other"])
    assert colours["baseline"] == style.SCENARIO_COLOURS["baseline"]
    assert len(set(colours.values())) == 3


def test_the_scenarios_own_events_are_marked_and_listed(tmp_path):
    from sim.inputs.events import figure_events, scenario_events
    from sim.inputs.scenario import load_scenario

    baseline, closed = load_scenario("baseline"), load_scenario("no_opening_2016")
    own = scenario_events(baseline)
    assert {"UZB: Sh. Mirziyoyev from September 2016: open economy and borders, dialogue with neighbours"} <= set(
        own["label"])
    both = figure_events([baseline, closed])
    # The UZB leader change of 2017 differs, so it is named by scenario; the shared ones are not.
    assert any(label.startswith("no_opening_2016: UZB") for label in both["label"])
    table = sim.run("baseline", replicates=2, seed=1)
    png = runs.plot_index(table, tmp_path / "index.png", both)
    svg = png.with_suffix(".svg").read_text(encoding="utf-8")
    assert "2017: baseline: UZB" in svg and "dashed blue: the scenario" in svg
