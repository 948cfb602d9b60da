"""casim calibrate (ABC-SMC) and its coverage check end to end on a tiny budget, and casim validate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.inference.calibration import CalibrationError, load_calibration
from sim.inputs.leaders import leader_table
from sim.inputs.parameters import calibration_record, parameter_specs

FREE = ("deal_threshold", "trust_learning_rate")  # in the order of parameters.csv
# The leaders in office by the tiny patterns' cut-off (1996), inferred with the parameters.
INFERRED = ("disposition:KAZ:Nazarbayev", "disposition:KGZ:Akayev", "disposition:TJK:Nabiyev",
            "disposition:TKM:Niyazov", "disposition:UZB:Karimov", "disposition:TJK:Rahmon")


@pytest.fixture
def tiny(tmp_path, tiny_inputs):
    tiny_inputs.calibration(tmp_path, population=20, prior_draws=100, chunk_runs=50, free=FREE)
    return tmp_path


def _calibrate(folder, out, *extra):
    return main(["calibrate", str(folder / "calibration.toml"), "--out", str(out), "--workers", "1", *extra])


def test_tiny_calibration_end_to_end(tiny, capsys):
    out = tiny / "out"
    assert _calibrate(tiny, out, "--posterior-out", str(tiny / "shipped" / "posterior.csv")) == 0
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == ["draw", "weight", "distance", *FREE, *INFERRED]
    assert len(posterior) == 20 and posterior["weight"].sum() == pytest.approx(1.0)
    specs = parameter_specs()
    for name in FREE:  # blind priors: the documented ranges
        assert posterior[name].between(specs[name].min, specs[name].max).all()
    for name in INFERRED:  # quantiles of the coded ranges
        assert posterior[name].between(0.0, 1.0).all()
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations["generation"]) == list(range(1, len(generations) + 1)) and len(generations) >= 2
    assert generations["epsilon"].is_monotonic_decreasing
    assert (posterior["distance"] <= generations["epsilon"].iloc[-1] + 1e-12).all()
    record = json.loads((out / "posterior.json").read_text())
    assert record["priors"] == {**{name: [specs[name].min, specs[name].max] for name in FREE},
                                **{name: [0.0, 1.0] for name in INFERRED}}
    assert list(record["inferred_dispositions"]) == list(INFERRED)
    karimov = leader_table()["UZB:Karimov"].disposition
    assert record["inferred_dispositions"]["disposition:UZB:Karimov"] == [karimov.low, karimov.central, karimov.high]
    assert record["patterns_used"] == ["trust_falls", "barter_deals"]  # the 1999-2000 one is out-of-sample
    assert record["point_draw"] in set(posterior["draw"])
    assert record["draws"] == 20 and record["runs"] == generations["runs"].sum()
    text = json.dumps(record)
    assert str(tiny) not in text and "/work/" not in text  # relative paths only
    assert set(record["prior_pass_rates"]) == {"trust_falls", "barter_deals", "late_borders_open"}
    patterns = pd.read_csv(out / "patterns.csv")
    assert (patterns["prior_runs"] == 100).all()
    assert list(patterns["informative"]) == list(patterns["prior_pass_rate"] < 0.8)
    contraction = pd.read_csv(out / "contraction.csv").set_index("name")
    assert list(contraction.index) == [*FREE, *INFERRED] and (contraction["contraction"] <= 1).all()
    for figure in ("posterior.png", "tolerances.png", "contraction.png"):
        assert (out / "figures" / figure).stat().st_size > 0
    assert json.loads((out / "manifest.json").read_text())["kind"] == "calibrate"
    pd.testing.assert_frame_equal(pd.read_csv(tiny / "shipped" / "posterior.csv"), posterior)
    assert (tiny / "shipped" / "posterior.json").is_file()
    assert generations["closing_sweep"].tolist() == [False] * (len(generations) - 1) + [True]
    assert f"{len(generations) - 1} generations and a closing sweep" in capsys.readouterr().out


@pytest.mark.parametrize("lost", [0, 1, 2])  # finished; stopped in the closing sweep; before the last generation
def test_a_stopped_calibration_resumes_to_the_same_posterior(tiny, lost):
    out = tiny / "out"
    assert _calibrate(tiny, out) == 0
    whole = (out / "posterior.csv").read_bytes()
    state = json.loads((out / "smc" / "state.json").read_text())
    assert state["generations"][-1]["sweep"] and state["stopped"]
    last = state["generations"][-1]["index"]
    assert last >= 3
    for index in range(last - lost + 1, last + 1):  # as if stopped before these were saved
        (out / "smc" / f"generation-{index:02d}.parquet").unlink()
    if lost:
        state["generations"], state["stopped"] = state["generations"][:-lost], ""
    (out / "smc" / "state.json").write_text(json.dumps(state))
    kept = (out / "smc" / f"generation-{last - lost:02d}.parquet").stat().st_mtime_ns
    assert _calibrate(tiny, out) == 0
    assert (out / "posterior.csv").read_bytes() == whole
    assert (out / "smc" / f"generation-{last - lost:02d}.parquet").stat().st_mtime_ns == kept  # not recomputed


def test_a_calibration_does_not_resume_on_a_changed_patterns_file(tiny, capsys):
    out = tiny / "out"
    assert _calibrate(tiny, out) == 0
    capsys.readouterr()
    patterns = tiny / "patterns.toml"
    patterns.write_text(patterns.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert _calibrate(tiny, out) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "other settings, inputs or code" in err and "allowed" in err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


@pytest.mark.parametrize(("edit", "message"), [
    ("population = 20", "population = 500"),
    ("[fixed]", '[priors.trust_learning_rate]\nlow = 0.1\nhigh = 0.5\n[fixed]'),
])
def test_a_bad_calibration_file_is_one_line_and_writes_nothing(tiny, capsys, edit, message):
    path = tiny / "calibration.toml"
    path.write_text(path.read_text().replace(edit, message, 1))
    with pytest.raises(CalibrationError):
        load_calibration(path)
    assert main(["calibrate", str(path), "--out", str(tiny / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and str(path) in error
    assert not (tiny / "out").exists()


def test_a_calibration_refuses_a_scenario_that_rests_on_assumptions(tiny, capsys):
    """The calibration fits the parameters to history from outside drivers alone: an assumed
    parameter would be overwritten by the draws, an assumed disposition would fit around it."""
    scenario = tiny / "short.toml"
    scenario.write_text(scenario.read_text() + '[[assumptions.dispositions]]\nyear = 1995\ncountry = "UZB"\n'
                        'disposition = 0.9\nnote = "an early opening"\n')
    assert _calibrate(tiny, tiny / "out") == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "calibration.toml" in error and "scenario" in error
    assert "an early opening" in error and "allowed" in error
    assert not (tiny / "out").exists()


def test_validate_flags_a_scenario_that_rests_on_assumptions(tmp_path, capsys):
    assumed = tmp_path / "assumed.toml"
    assumed.write_text('name = "assumed"\nextends = "baseline"\n[assumptions.parameters.trust_learning_rate]\n'
                       'value = 0.25\nnote = "faster learning (test)"\n')
    out = tmp_path / "validation"
    assert main(["validate", "--scenario", str(assumed), "--replicates", "2", "--out", str(out)]) == 0
    record = json.loads((out / "manifest.json").read_text())
    assert record["scenario_assumptions"] == [
        "parameter trust_learning_rate held at 0.25 in every run: faster learning (test)"]
    assert record["counterfactual"]["assumptions"] == []
    assert "assumed rests on 1 assumption(s)" in capsys.readouterr().out


def test_a_narrower_prior_needs_a_source(tiny):
    path = tiny / "calibration.toml"
    sourced = ('[priors.trust_learning_rate]\nlow = 0.1\nhigh = 0.5\n'
               'source = "a study outside casim (hand-made for the test)"\n[fixed]')
    path.write_text(path.read_text().replace("[fixed]", sourced, 1))
    calibration, _, _ = load_calibration(path)
    assert calibration.bounds()["trust_learning_rate"] == (0.1, 0.5)
    assert calibration.bounds()["deal_threshold"] == (parameter_specs()["deal_threshold"].min,
                                                      parameter_specs()["deal_threshold"].max)


@pytest.mark.parametrize(("file", "mirziyoyev"), [("calibration.toml", True), ("calibration_to_2016.toml", False)])
def test_a_calibration_infers_the_leaders_its_patterns_see(file, mirziyoyev):
    from sim.inference.calibration import scenario_for

    path = Path(__file__).parents[1] / "experiments" / file
    calibration, patterns, _ = load_calibration(path)
    priors = calibration.all_priors(scenario_for(path, calibration, patterns), patterns)
    inferred = [name for name in priors if name.startswith("disposition:")]
    assert "disposition:UZB:Karimov" in inferred and all(priors[name] == (0.0, 1.0) for name in inferred)
    assert ("disposition:UZB:Mirziyoyev" in inferred) is mirziyoyev  # he took office after the cut-off of 2016
    assert list(priors)[:len(calibration.bounds())] == list(calibration.bounds())
    blind = calibration.model_copy(update={"infer_dispositions": False})
    assert blind.all_priors(scenario_for(path, calibration, patterns), patterns) == calibration.bounds()


def test_the_coverage_check_end_to_end(tiny, capsys):
    out = tiny / "coverage"
    assert main(["calibrate", str(tiny / "calibration.toml"), "--check-coverage", "--out", str(out),
                 "--workers", "1"]) == 0
    coverage = pd.read_csv(out / "coverage.csv").set_index("parameter")
    assert list(coverage.index) == ["overall", *FREE, *INFERRED]
    assert coverage[["coverage_50", "coverage_90"]].apply(lambda c: c.between(0, 1)).all().all()
    assert (coverage["coverage_90"] >= coverage["coverage_50"]).all()
    ranks = pd.read_csv(out / "ranks.csv")
    assert len(ranks) == 3 * (len(FREE) + len(INFERRED)) and ranks["rank"].between(0, 1).all()
    assert (out / "figures" / "ranks.png").stat().st_size > 0
    assert "coverage over 3 truths" in capsys.readouterr().out

    # interrupted after two truths: the rerun computes only the missing one, to the same ranks
    (out / "truths" / "truth_0001.npz").unlink()
    (out / "coverage.csv").unlink()
    kept = (out / "truths" / "truth_0000.npz").stat().st_mtime_ns
    assert main(["calibrate", str(tiny / "calibration.toml"), "--check-coverage", "--out", str(out),
                 "--workers", "1"]) == 0
    assert (out / "truths" / "truth_0000.npz").stat().st_mtime_ns == kept
    pd.testing.assert_frame_equal(pd.read_csv(out / "ranks.csv"), ranks)


def test_validate_end_to_end(tmp_path, capsys):
    out = tmp_path / "validation"
    assert main(["validate", "--replicates", "6", "--out", str(out)]) == 0
    table = pd.read_csv(out / "validation.csv")
    assert len(table) >= 20 and (table["replicates"] == 6).all()
    assert table["pass_rate"].between(0, 1).all()
    used = calibration_record().get("patterns_used")
    if used is not None:  # in-sample: the patterns the shipped posterior was fitted to
        assert list(table["sample"] == "in-sample") == [p in used for p in table["pattern"]]
    else:  # uncalibrated: in-sample up to the patterns file's cut-off
        assert set(table["sample"]) == {"in-sample", "out-of-sample"}
    assert table.loc[table["opening"], "counterfactual_pass_rate"].notna().all()
    if used is not None:  # the shipped calibration's distance: shares of the patterns it used sum to 1
        shares = table.set_index("pattern")["share_of_squared_distance"]
        assert shares[used].notna().all() and (shares[used] >= 0).all()
        assert np.isclose(shares[used].sum(), 1.0) or shares[used].sum() == 0.0
        assert shares.drop(used).isna().all()
    for figure in ("hindcast.png", "hindcast.svg", "patterns.png", "patterns.svg"):
        assert (out / "figures" / figure).stat().st_size > 0
    record = json.loads((out / "manifest.json").read_text())
    assert record["kind"] == "validate" and record["replicates"] == 6
    counted = sum(record[key]["patterns"] for key in ("in_sample", "in_sample_uninformative", "out_of_sample",
                                                      "out_of_sample_uninformative"))
    assert counted == len(table)
    assert len(record["runs"]["replicates"]) == 6
    printed = capsys.readouterr().out
    assert "in-sample, informative:" in printed and "counterfactual" in printed


def test_validate_over_a_calibrations_posterior(tiny, capsys):
    out = tiny / "out"
    assert _calibrate(tiny, out) == 0
    capsys.readouterr()
    validation = tiny / "validation"
    assert main(["validate", "--parameters", str(out / "posterior.csv"), "--patterns", str(tiny / "patterns.toml"),
                 "--replicates", "10", "--out", str(validation)]) == 0
    table = pd.read_csv(validation / "validation.csv").set_index("pattern")
    assert (table["replicates"] == 10).all()
    # In-sample: the patterns the calibration behind the posterior was fitted to.
    assert dict(table["sample"]) == {"trust_falls": "in-sample", "barter_deals": "in-sample",
                                     "late_borders_open": "out-of-sample"}
    prior = pd.read_csv(out / "patterns.csv").set_index("pattern")
    np.testing.assert_allclose(table["prior_pass_rate"], prior["prior_pass_rate"])
    # each pattern the calibration used has its share of the runs' distance; the others none
    shares = table["share_of_squared_distance"]
    assert np.isnan(shares["late_borders_open"])  # not used by the calibration
    used = shares[["trust_falls", "barter_deals"]]
    assert used.notna().all() and (used >= 0).all() and (np.isclose(used.sum(), 1.0) or used.sum() == 0.0)
    record = json.loads((validation / "manifest.json").read_text())
    draws = {r["draw"] for r in record["runs"]["replicates"]}
    assert draws <= set(pd.read_csv(out / "posterior.csv")["draw"])
    assert "10 runs over the posterior posterior.csv" in capsys.readouterr().out


def test_validate_rejects_a_bad_patterns_file(tmp_path, capsys):
    bad = tmp_path / "patterns.toml"
    bad.write_text('[[patterns]]\nid = "x"\n')
    assert main(["validate", "--patterns", str(bad), "--out", str(tmp_path / "v")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("name", ["calibration.toml", "calibration_seed7.toml", "calibration_to_2016.toml",
                                  "calibration_to_2016_seed7.toml"])
def test_the_shipped_calibrations_use_blind_priors(name):
    from sim.experiments.experiment import EXPERIMENT_DIR

    calibration, patterns, _ = load_calibration(EXPERIMENT_DIR / name)
    specs = parameter_specs()
    # Every behavioural parameter is free over its documented range; the two that define the
    # index's measure are not calibrated.
    measuring = {"trade_share_benchmark", "conflict_scale"}
    assert calibration.bounds() == {n: (s.min, s.max) for n, s in specs.items() if n not in measuring}
    assert not calibration.priors and not calibration.fixed
    assert calibration.smc.population >= 1000
    assert len(patterns.patterns) >= 20


def test_the_shipped_calibration_with_another_seed_changes_only_the_seed_and_ships_nothing():
    """docs/ODD.md section 10 ("Calibration seed") compares the shipped posterior with this one."""
    from sim.experiments.experiment import EXPERIMENT_DIR

    first, _, _ = load_calibration(EXPERIMENT_DIR / "calibration.toml")
    second, _, _ = load_calibration(EXPERIMENT_DIR / "calibration_seed7.toml")
    assert second.seed != first.seed
    assert first.ship and not second.ship
    differ = {field for field in type(first).model_fields if getattr(first, field) != getattr(second, field)}
    assert differ == {"name", "description", "seed", "ship"}


def test_the_second_seed_changes_only_the_seed():
    """The robustness check of the out-of-sample test is the same calibration with another seed."""
    from sim.experiments.experiment import EXPERIMENT_DIR

    first, _, _ = load_calibration(EXPERIMENT_DIR / "calibration_to_2016.toml")
    second, _, _ = load_calibration(EXPERIMENT_DIR / "calibration_to_2016_seed7.toml")
    assert second.seed != first.seed
    differ = {field for field in type(first).model_fields if getattr(first, field) != getattr(second, field)}
    assert differ == {"name", "description", "seed"}
