"""Runs over the posterior: reading it, drawing from it, pairing draws and dispositions."""

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.inputs.posterior import (
    NO_DRAW,
    ParameterSource,
    PosteriorError,
    contraction,
    highest_density_draw,
    parameter_source,
    plan,
    read_posterior,
)
from sim.inputs.randomness import replicate_seeds


def _posterior(folder, weights=(0.2, 0.5, 0.3), trust=(0.1, 0.5, 0.9), **columns) -> str:
    """A three-draw posterior of trust_initial (and deal_threshold and ``columns``), with its JSON."""
    path = folder / "posterior.csv"
    pd.DataFrame({"draw": [10, 11, 12], "weight": weights, "trust_initial": trust,
                  "deal_threshold": [0.5, 0.6, 0.7], **columns}).to_csv(path, index=False)
    path.with_suffix(".json").write_text(json.dumps({"point_draw": 11, "patterns_used": []}))
    return str(path)


def test_the_posterior_file_loads_and_drives_runs(tmp_path):
    # Slow learning, so that the first year's trust still shows where it started (the shipped
    # posterior's learning rate may pull every start toward the same level within a year).
    path = _posterior(tmp_path, trust_learning_rate=[0.05] * 3)
    posterior = read_posterior(path)
    assert posterior.names == ["trust_initial", "deal_threshold", "trust_learning_rate"]
    assert posterior.point == 11
    table = sim.run("baseline", replicates=30, seed=3, parameters=path)
    assert set(table["draw"].unique()) <= {10, 11, 12}
    # Each run starts from its draw's trust: the 1991 trust of a run follows its draw.
    trust = table[(table["variable"] == "trust") & (table["scope"] == "region") & (table["year"] == 1991)]
    by_draw = trust.groupby("draw")["value"].mean()
    assert by_draw.is_monotonic_increasing and by_draw.loc[10] < 0.4 and by_draw.loc[12] > 0.8


def test_a_posterior_that_infers_a_disposition_drives_runs_with_it(tmp_path):
    path = _posterior(tmp_path, **{"disposition:UZB:Karimov": [0.0, 0.5, 1.0]})
    posterior = read_posterior(path)
    assert posterior.names[-1] == "disposition:UZB:Karimov"
    table = sim.run("baseline", replicates=30, seed=3, parameters=path)
    barrier = table[(table["variable"] == "trade_barrier") & (table["entity"] == "UZB") & (table["year"] == 2000)]
    by_draw = barrier.groupby("draw")["value"]
    # Karimov's trade regime follows his disposition alone: one value per draw, more closed
    # at the low end of his range
    assert (by_draw.nunique() == 1).all() and by_draw.mean().is_monotonic_decreasing


def test_a_posterior_fitted_to_another_coding_of_a_leader_is_refused(tmp_path):
    path = _posterior(tmp_path, **{"disposition:UZB:Karimov": [0.0, 0.5, 1.0]})
    record = json.loads(tmp_path.joinpath("posterior.json").read_text())
    record["inferred_dispositions"] = {"disposition:UZB:Karimov": [0.2, 0.5, 0.8]}
    tmp_path.joinpath("posterior.json").write_text(json.dumps(record))
    with pytest.raises(PosteriorError, match=r"disposition:UZB:Karimov: coded \[0.2, 0.5, 0.8\] .* rerun casim"):
        read_posterior(path)


def test_draws_follow_the_weights(tmp_path):
    posterior = read_posterior(_posterior(tmp_path, weights=(0.0, 1.0, 0.0)))
    assert set(posterior.sample(50, seed=1)) == {11}
    posterior = read_posterior(_posterior(tmp_path, weights=(0.2, 0.5, 0.3)))
    counts = pd.Series(posterior.sample(20_000, seed=2)).value_counts(normalize=True)
    np.testing.assert_allclose(counts.loc[[10, 11, 12]], [0.2, 0.5, 0.3], atol=0.02)


def test_a_plan_pairs_seeds_draws_and_dispositions(tmp_path):
    source = parameter_source(_posterior(tmp_path))
    first, again = plan(7, 12, 3, source), plan(7, 12, 3, source)
    np.testing.assert_array_equal(first.draws, again.draws)
    np.testing.assert_array_equal(first.seeds, replicate_seeds(7, 12))
    # Replicates of one slot share draw and disposition key (the seed of its first replicate).
    for slot in range(4):
        rows = slice(3 * slot, 3 * slot + 3)
        assert len(set(first.draws[rows])) == 1
        assert set(first.disposition_keys[rows]) == {first.seeds[3 * slot]}
    # One seed per draw: each replicate draws its dispositions from its own seed (as the Mesa model does).
    np.testing.assert_array_equal(plan(7, 12, 1, source).disposition_keys, replicate_seeds(7, 12))
    point = plan(7, 5, 1, ParameterSource("point", read_posterior(_posterior(tmp_path))))
    assert set(point.draws) == {11} and point.parameters["trust_initial"] == 0.5


def test_a_parameter_set_file_runs_without_draws(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text("name,value\ntrust_initial,0.3\n")
    runs = plan(1, 4, 1, parameter_source(str(path)))
    assert set(runs.draws) == {NO_DRAW} and runs.parameters == {"trust_initial": 0.3}
    # a set may carry a leader's inferred disposition, as an exported draw does
    path.write_text("name,value\ntrust_initial,0.3\ndisposition:UZB:Karimov,0.25\n")
    assert plan(1, 2, 1, parameter_source(str(path))).parameters["disposition:UZB:Karimov"] == 0.25
    path.write_text("name,value\ndisposition:UZB:Karimov,1.25\n")
    with pytest.raises(PosteriorError, match=r"disposition:UZB:Karimov = 1.25 is outside \[0, 1\]"):
        parameter_source(str(path))


@pytest.mark.parametrize(("text", "message"), [
    ("draw,trust_initial\n0,0.5\n", "draw, weight"),
    ("draw,weight,charisma\n0,1,0.5\n", "unknown: charisma"),
    ("draw,weight,disposition:UZB:Nobody\n0,1,0.5\n", "unknown: disposition:UZB:Nobody"),
    ("draw,weight,disposition:UZB:Karimov\n0,1,1.5\n", r"disposition:UZB:Karimov: .*allowed: \[0, 1\]"),
    ("draw,weight,trust_initial\n0,1,5.0\n", r"trust_initial: every value .*; allowed: \[.*\] \(the documented range"),
    ("draw,weight,trust_initial\n0,1,nan\n", "trust_initial: every value must be a finite number"),
    ("draw,weight,trust_initial\n0,1,high\n", "trust_initial: every cell must be a number"),
    ("draw,weight,trust_initial\n,1,0.5\n", "draw: ids must be whole numbers from 0"),
    ("draw,weight,trust_initial\n1.5,1,0.5\n", "draw: ids must be whole numbers from 0"),
    ("draw,weight,trust_initial\n0,-1,0.5\n", "weight"),
    ("draw,weight,trust_initial\n3,1,0.5\n3,1,0.6\n", "each draw id must be unique; repeated: 3"),
    ("draw,weight,trust_initial\n-1,1,0.5\n", "ids must be whole numbers from 0"),
    ("draw,weight,trust_initial\n3000000000,1,0.5\n", "ids must be whole numbers from 0"),
])
def test_a_bad_posterior_is_one_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(PosteriorError, match=message) as error:
        read_posterior(path)
    assert "\n" not in str(error.value) and str(error.value).startswith(str(path))


@pytest.mark.parametrize(("text", "message"), [
    ("name,value\ntrust_initial,0.3\ntrust_initial,0.4\n", "name: 'trust_initial' is given twice"),
    ("name,value\n", "no rows"),
    ("draw,trust_initial\n0,0.5\n", "no column weight"),  # a posterior without weights is not a set
])
def test_a_parameter_file_that_is_ambiguous_or_empty_is_refused(tmp_path, text, message):
    path = tmp_path / "set.csv"
    path.write_text(text)
    with pytest.raises(PosteriorError, match=message):
        parameter_source(str(path))


def test_a_missing_column_lists_a_few_of_the_columns_found(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("draw," + ",".join(f"c{k}" for k in range(30)) + "\n0" + ",1" * 30 + "\n")
    with pytest.raises(PosteriorError, match=r"found draw, c0, .*, c6 and 23 more\)$"):
        read_posterior(path)


def test_paired_comparisons_share_draws_seeds_and_dispositions(tmp_path, short_pair_paths):
    opening, closed = short_pair_paths
    out = tmp_path / "compare"
    assert main(["compare", str(opening), str(closed), "--replicates", "6", "--seeds-per-draw", "2",
                 "--parameters", _posterior(tmp_path), "--out", str(out)]) == 0
    table = pd.read_parquet(out / "timeseries.parquet")
    runs = table.groupby(["scenario", "replicate"], observed=True)[["seed", "draw"]].first().unstack("scenario")
    np.testing.assert_array_equal(runs["seed"]["short_opening"], runs["seed"]["short_no_opening"])
    np.testing.assert_array_equal(runs["draw"]["short_opening"], runs["draw"]["short_no_opening"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"]["seeds_per_draw"] == 2 and manifest["runs"]["parameters"]["kind"] == "posterior"


def test_contraction_is_zero_for_the_prior_and_one_for_a_point():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame({"weight": 1.0, "x": rng.uniform(0, 1, 50_000)})
    narrow = pd.DataFrame({"weight": 1.0, "x": np.full(100, 0.3)})
    assert contraction(wide, {"x": (0.0, 1.0)})["contraction"].iloc[0] == pytest.approx(0.0, abs=0.02)
    assert contraction(narrow, {"x": (0.0, 1.0)})["contraction"].iloc[0] == pytest.approx(1.0)


def test_the_highest_density_draw_lies_in_the_dense_cluster():
    rng = np.random.default_rng(1)
    spread = rng.uniform(0, 1, (50, 2))
    cluster = 0.7 + rng.normal(0, 0.01, (50, 2))
    posterior = pd.DataFrame(np.vstack([spread, cluster]), columns=["x", "y"]).assign(weight=1.0)
    posterior.insert(0, "draw", np.arange(100))
    assert highest_density_draw(posterior, {"x": (0.0, 1.0), "y": (0.0, 1.0)}) >= 50


def test_a_shipped_posterior_with_a_removed_parameter_is_one_clear_error(monkeypatch):
    """A posterior shipped before a parameter left parameters.csv names the file and the column."""
    from sim.inputs import parameters
    from sim.io.input_files import InputError

    shipped = parameters.read_table(parameters.POSTERIOR)
    stale = shipped.assign(retired_parameter=0.1)
    real_read = parameters.read_table
    monkeypatch.setattr(parameters, "read_table",
                        lambda name: stale if name == parameters.POSTERIOR else real_read(name))
    parameters.parameter_specs.cache_clear()
    try:
        with pytest.raises(InputError, match=r"sim/data/posterior.csv: columns retired_parameter: not parameters"):
            parameters.parameter_specs()
    finally:
        monkeypatch.undo()
        parameters.parameter_specs.cache_clear()
    assert "trust_initial" in parameters.parameter_specs()


def test_a_shipped_posterior_that_infers_dispositions_sets_the_defaults(monkeypatch):
    """The shipped posterior's quantile columns are not parameters: the specs skip them."""
    from sim.inputs import parameters

    shipped = parameters.read_table(parameters.POSTERIOR)
    inferring = shipped.assign(**{"disposition:UZB:Karimov": 0.3})
    real_read = parameters.read_table
    monkeypatch.setattr(parameters, "read_table",
                        lambda name: inferring if name == parameters.POSTERIOR else real_read(name))
    parameters.parameter_specs.cache_clear()
    try:
        specs = parameters.parameter_specs()
        assert "disposition:UZB:Karimov" not in specs and "trust_initial" in specs
    finally:
        monkeypatch.undo()
        parameters.parameter_specs.cache_clear()
