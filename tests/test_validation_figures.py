"""Tests for the validation and calibration figures of sim.figures on small hand-made inputs."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from sim.figures import validation
from sim.inference.patterns import PatternSet, score_table, trajectory_from_table

YEARS = range(1991, 2025)
REGION_VARIABLES = ("integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop",
                    "political")


def _table(scenario: str, replicates: int = 3, lift: float = 0.3, seed: int = 3, years=YEARS) -> pd.DataFrame:
    """A tidy table: region dimensions and summits, KGZ support, KGZ-UZB border openness, 1991-2024."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(replicates):
        for year in years:
            after = lift * max(0, year - 2016) / 8  # the scenario's rise after 2016
            key = (scenario, r, 1000 * seed + r, year)
            for variable in REGION_VARIABLES:
                rows.append((*key, "region", "region", variable, 0.2 + after + 0.05 * rng.uniform()))
            peak = 0.8 if 2000 <= year <= 2002 else 0.3
            rows.append((*key, "country", "KGZ", "support", peak + 0.05 * rng.uniform()))
            rows.append((*key, "dyad", "KGZ-UZB", "border_openness", 0.1 + 2 * after + 0.02 * rng.uniform()))
            rows.append((*key, "region", "region", "summit", float(rng.uniform() < 0.3 + 2 * after)))  # 0 or 1
    table = pd.DataFrame(rows, columns=["scenario", "replicate", "seed", "year", "scope", "entity", "variable", "value"])
    for column in ("scenario", "scope", "entity", "variable"):
        table[column] = table[column].astype("category")
    return table


def _patterns() -> PatternSet:
    common = {"factor": "integration", "source": "test"}
    return PatternSet.model_validate({
        "calibration_cutoff": 2016,
        "counterfactual": "no_change",
        "patterns": [
            {**common, "id": "institutions_low", "statement": "shallow", "variable": "region.institutional",
             "kind": "below", "window": [2005, 2015], "value": 0.3},
            {**common, "id": "trade_above", "statement": "some trade", "variable": "region.trade_share",
             "kind": "above", "window": [2018, 2024], "value": 0.5},
            {**common, "id": "border_reopens_after_a_long_closure_of_many_years", "statement": "opens",
             "variable": "dyad.KGZ-UZB.border_openness", "kind": "rises", "window": [2019, 2024],
             "reference": [2012, 2016], "tolerance": 0.1, "tags": ["opening"]},
            {**common, "id": "support_peaks", "statement": "peak", "variable": "country.KGZ.support",
             "kind": "peak", "window": [2000, 2002], "span": [1995, 2008], "tolerance": 0.1},
            {**common, "id": "summits_resume", "statement": "summits", "variable": "region.summit",
             "kind": "above", "window": [2018, 2024], "value": 0.6},
        ],
    }, strict=False)


@pytest.fixture(scope="module")
def runs():
    patterns = _patterns()
    table, other = _table("baseline"), _table("no_change", lift=0.0, seed=4, years=range(1991, 2031))
    scores = score_table(patterns, np.array([[True, True, True], [False, True, False],
                                             [True, True, True], [True, False, True], [True, True, True]]))
    other_scores = score_table(patterns, np.array([[True, True, True], [False, False, False],
                                                   [False, False, False], [True, True, True], [False, True, False]]))
    return patterns, table, other, scores, other_scores


def _assert_written(png, folder, min_size=(300, 300), max_size=(4000, 4000)) -> None:
    svg = png.with_suffix(".svg")
    assert png.suffix == ".png"
    assert png.stat().st_size > 0 and svg.stat().st_size > 0
    assert "<svg" in svg.read_text(encoding="utf-8")[:2000]
    height, width = imread(png).shape[:2]
    assert min_size[0] <= width <= max_size[0] and min_size[1] <= height <= max_size[1]
    assert not [name for name in os.listdir(folder) if name.endswith(".tmp")]


def test_patterns_check_on_the_hand_made_table(runs):
    patterns, table, *_ = runs
    passed = np.array([p.check(trajectory_from_table(table)) for p in patterns.patterns])
    assert passed.shape == (5, 3)
    assert passed[2].all() and passed[3].all()  # the border reopens; support peaks in 2000-2002


def test_hindcast(runs, tmp_path):
    patterns, table, other, *_ = runs
    # two scenarios, one run on to 2030: the default last year is the patterns' last year (2024)
    both = pd.concat([table, other], ignore_index=True)
    png = validation.plot_hindcast(both, patterns, tmp_path / "hindcast.png")
    assert png == tmp_path / "hindcast.png"
    _assert_written(png, tmp_path, min_size=(1500, 1800))
    svg = png.with_suffix(".svg").read_text(encoding="utf-8")
    assert "Hindcast 1991-2024: baseline, no_change" in svg and "calibration cut-off" in svg


def test_pattern_grid(runs, tmp_path):
    patterns, table, other, scores, other_scores = runs
    with_cf = validation.plot_pattern_grid(table, patterns, scores, tmp_path / "patterns_cf.png",
                                        counterfactual=other, counterfactual_scores=other_scores)
    _assert_written(with_cf, tmp_path, min_size=(1500, 400))
    svg = with_cf.with_suffix(".svg").read_text(encoding="utf-8")
    assert "pass 0.67 (n=3) | cf 1.00 | in" in svg and "pass 1.00 (n=3) | cf 0.00 | out" in svg
    assert "0/1 per replicate" in svg  # summits are drawn as shares of replicates


def test_pattern_grid_counterfactual_by_name_without_data_or_scores(runs, tmp_path):
    patterns, table, other, scores, other_scores = runs
    # the counterfactual named as a scenario of the table; one variable missing, two patterns not scored
    both = pd.concat([table, other], ignore_index=True)
    both = both[both["variable"] != "support"]
    png = validation.plot_pattern_grid(both, patterns, scores.iloc[:2], tmp_path / "partial.png",
                                    counterfactual="no_change", counterfactual_scores=other_scores)
    _assert_written(png, tmp_path)
    svg = png.with_suffix(".svg").read_text(encoding="utf-8")
    assert "not recorded" in svg and "not scored" in svg


def test_posterior_marginals(tmp_path):
    from sim.figures.inference import plot_posterior_marginals
    from sim.inputs.parameters import parameter_specs

    rng = np.random.default_rng(1)
    # real parameters (with units), one unknown to sim.inputs.parameters, and enough for the six-column grid
    bounds = {"trust_initial": (0.0, 1.0), "gravity_constant": (10.0, 1000.0), "not_a_parameter": (-1.0, 1.0),
              **{f"p{k}": (0.0, 2.0) for k in range(7)}}
    prior = np.column_stack([rng.uniform(low, high, 200) for low, high in bounds.values()])
    posterior = pd.DataFrame(prior[:20], columns=list(bounds)).assign(weight=1 / 20)
    png = plot_posterior_marginals(prior, posterior, bounds, parameter_specs(), tmp_path / "posterior.png")
    _assert_written(png, tmp_path, min_size=(1800, 500))
    svg = png.with_suffix(".svg").read_text(encoding="utf-8")
    assert "20 weighted draws" in svg and "$ million a year per $ billion of\u2026" in svg  # unit, shortened
    assert "<!-- p6 -->" in svg  # a panel per parameter


def test_tolerances_contraction_and_ranks(tmp_path):
    from sim.figures.inference import plot_contraction, plot_rank_histograms, plot_tolerances

    generations = pd.DataFrame({"generation": [1, 2, 3, 4], "epsilon": [0.6, 0.5, 0.45, 0.45],
                                "runs": [1000, 800, 900, 5000], "acceptance": [0.1, 0.2, 0.15, 0.05],
                                "closing_sweep": [False, False, False, True]})
    _assert_written(plot_tolerances(generations, tmp_path / "tolerances.png"), tmp_path)
    table = pd.DataFrame({"name": ["a", "b", "c"], "contraction": [0.1, 0.6, 0.9]})
    png = plot_contraction(table, tmp_path / "contraction.png")
    _assert_written(png, tmp_path)
    assert "2 of 3 parameters" in png.with_suffix(".svg").read_text(encoding="utf-8")
    ranks = pd.DataFrame({"parameter": ["a"] * 20 + ["b"] * 20, "rank": np.linspace(0, 1, 40) % 1})
    _assert_written(plot_rank_histograms(ranks, tmp_path / "ranks.png"), tmp_path)


def test_wrap_id_keeps_every_character():
    wrapped = validation._wrap_id("kgz_water_cooperation_weakens_by_2016", 20)
    assert wrapped.replace("\n", "") == "kgz_water_cooperation_weakens_by_2016"
    assert all(len(line) <= 21 for line in wrapped.splitlines())
