"""casim calibrate end to end on a tiny budget, and casim validate end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.calibration import CalibrationError, load_calibration
from sim.cli import main
from sim.inputs import InputError
from sim.parameters import calibration_record, parameter_specs
from sim.validation import read_posterior


@pytest.fixture
def tiny(tmp_path, tiny_inputs):
    tiny_inputs.calibration(tmp_path, draws=24, accept=6, chunk_runs=12, refine_replicates=3,
                            priors={"trust_learning_rate": (0.1, 0.5), "deal_threshold": (0.4, 0.9)})
    return tmp_path


def _calibrate(folder, out, capsys=None):
    code = main(["calibrate", str(folder / "calibration.toml"), "--out", str(out), "--workers", "1",
                 "--parameters-out", str(folder / "chosen.csv")])
    assert code == 0
    return pd.read_csv(folder / "chosen.csv", comment="#")


def test_tiny_calibration_end_to_end(tiny, capsys):
    out = tiny / "out"
    chosen = _calibrate(tiny, out)
    assert list(chosen["name"]) == ["trust_learning_rate", "deal_threshold"]
    assert ((chosen["value"] >= chosen["prior_low"]) & (chosen["value"] <= chosen["prior_high"])).all()
    assert (chosen["posterior_p05"] <= chosen["posterior_p95"]).all()
    posterior = pd.read_csv(out / "posterior.csv")
    assert len(posterior) == 6 and posterior["distance"].is_monotonic_increasing
    assert posterior["distance"].between(0, 1).all()
    trace = pd.read_csv(out / "threshold_trace.csv")
    assert list(trace["draws"]) == [6, 12, 18, 24]  # 12 runs per chunk, 2 replicates per draw
    assert (trace["best"] <= trace["epsilon"]).all()
    candidates = pd.read_csv(out / "candidates.csv")
    assert len(candidates) == 2 and candidates["reproduced"].between(0, 2).all()  # two in-sample patterns
    assert candidates["prior_point"].iloc[0] == -1  # the posterior median is always a candidate
    record = json.loads((tiny / "chosen.json").read_text())
    assert record["patterns_used"] == ["trust_falls", "barter_deals"]  # the 1999-2000 one is out-of-sample
    assert record["settings"]["draws"] == 24 and record["seeds"]["prior_sample"] == 11
    assert record["epsilon"] == pytest.approx(posterior["distance"].max())
    for figure in ("posterior.png", "threshold_trace.png"):
        assert (out / "figures" / figure).stat().st_size > 0
    assert json.loads((out / "manifest.json").read_text())["kind"] == "calibrate"
    assert "accepted 6 of 24 draws" in capsys.readouterr().out


def test_an_interrupted_calibration_keeps_its_finished_chunks(tiny, capsys):
    out = tiny / "out"
    first = _calibrate(tiny, out)
    finished = sorted((out / "prior" / "runs").glob("part-*.parquet"))
    assert len(finished) == 4
    finished[-1].unlink()  # as if the calibration had been stopped before its last chunk
    kept = {p: p.stat().st_mtime_ns for p in finished[:-1]}
    second = _calibrate(tiny, out)
    pd.testing.assert_frame_equal(first, second)
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in kept.items())  # not recomputed


def test_a_calibration_does_not_resume_on_a_changed_patterns_file(tiny, capsys):
    """Its finished chunks hold one pass column per pattern of the old file."""
    out = tiny / "out"
    _calibrate(tiny, out)
    capsys.readouterr()
    patterns = tiny / "patterns.toml"
    patterns.write_text(patterns.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert main(["calibrate", str(tiny / "calibration.toml"), "--out", str(out), "--workers", "1",
                 "--parameters-out", str(tiny / "chosen.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "different experiment" in err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_a_bad_calibration_file_is_one_line_and_writes_nothing(tiny, capsys):
    path = tiny / "calibration.toml"
    path.write_text(path.read_text().replace("accept = 6", "accept = 60"))
    with pytest.raises(CalibrationError, match="accept = 60 is more than draws = 24"):
        load_calibration(path)
    assert main(["calibrate", str(path), "--out", str(tiny / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and str(path) in error
    assert not (tiny / "out").exists()


def test_validate_end_to_end(tmp_path, capsys):
    out = tmp_path / "validation"
    assert main(["validate", "--replicates", "6", "--out", str(out)]) == 0
    table = pd.read_csv(out / "validation.csv")
    assert len(table) >= 20 and (table["replicates"] == 6).all()
    assert table["pass_rate"].between(0, 1).all()
    used = calibration_record().get("patterns_used")
    if used is not None:  # in-sample: the patterns the shipped calibration was fitted to
        assert list(table["sample"] == "in-sample") == [p in used for p in table["pattern"]]
    else:  # uncalibrated: in-sample up to the patterns file's cut-off
        assert set(table["sample"]) == {"in-sample", "out-of-sample"}
    assert table.loc[table["opening"], "counterfactual_pass_rate"].notna().all()
    for figure in ("hindcast.png", "hindcast.svg", "patterns.png", "patterns.svg"):
        assert (out / "figures" / figure).stat().st_size > 0
    record = json.loads((out / "manifest.json").read_text())
    assert record["kind"] == "validate" and record["replicates"] == 6
    assert record["in_sample"]["patterns"] + record["out_of_sample"]["patterns"] == len(table)
    printed = capsys.readouterr().out
    assert "in-sample:" in printed and "out-of-sample:" in printed and "counterfactual" in printed


def test_validate_runs_every_posterior_set_once(tiny, capsys):
    out = tiny / "out"
    _calibrate(tiny, out)
    capsys.readouterr()
    validation = tiny / "validation"
    assert main(["validate", "--posterior", str(out / "posterior.csv"), "--patterns", str(tiny / "patterns.toml"),
                 "--out", str(validation)]) == 0
    table = pd.read_csv(validation / "validation.csv")
    assert (table["replicates"] == 6).all()  # the 6 accepted sets, one run each
    # In-sample: the patterns the calibration behind the posterior was fitted to.
    assert dict(zip(table["pattern"], table["sample"])) == {
        "trust_falls": "in-sample", "barter_deals": "in-sample", "late_borders_open": "out-of-sample"}
    record = json.loads((validation / "manifest.json").read_text())
    assert record["parameters"]["posterior_sets"] == 6
    assert "6 runs over 6 posterior sets" in capsys.readouterr().out


def test_read_posterior_cycles_through_the_accepted_sets(tiny):
    out = tiny / "out"
    _calibrate(tiny, out)
    posterior = pd.read_csv(out / "posterior.csv")
    values, record = read_posterior(out / "posterior.csv", runs=8)
    assert set(values) == {"trust_learning_rate", "deal_threshold"}
    rows = [0, 1, 2, 3, 4, 5, 0, 1]
    assert list(values["deal_threshold"]) == list(posterior["deal_threshold"].iloc[rows])
    assert record["patterns_used"] == ["trust_falls", "barter_deals"]


def test_validate_takes_a_parameter_set_or_a_posterior_not_both(tmp_path, capsys):
    out = tmp_path / "v"
    assert main(["validate", "--parameters", "a.csv", "--posterior", "b.csv", "--out", str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()
    with pytest.raises(InputError, match="no such posterior file"):
        read_posterior(tmp_path / "missing.csv")


def test_validate_rejects_a_bad_patterns_file(tmp_path, capsys):
    bad = tmp_path / "patterns.toml"
    bad.write_text('[[patterns]]\nid = "x"\n')
    assert main(["validate", "--patterns", str(bad), "--out", str(tmp_path / "v")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("name", ["calibration.toml", "calibration_to_2016.toml"])
def test_the_shipped_calibrations_load(name):
    from sim.experiment import EXPERIMENT_DIR

    calibration, patterns, _ = load_calibration(EXPERIMENT_DIR / name)
    # Every behavioural parameter is free; the two that define the index's measure are not.
    measuring = {"trade_share_benchmark", "conflict_scale"}
    assert set(calibration.priors) == set(parameter_specs()) - measuring
    assert calibration.accept < calibration.draws
    assert len(patterns.patterns) >= 20
