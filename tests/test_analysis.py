"""casim analyze: sensitivity indices, paired scenario differences and PRIM on known answers."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.analysis import analyze, discover, scenario_differences, sensitivity
from sim.experiments.design import design_points
from sim.experiments.experiment import Discovery, Experiment, ExperimentError


def _experiment(method: str, **design) -> Experiment:
    return Experiment.model_validate({
        "name": "known",
        "scenarios": ["baseline"],
        "design": {"method": method, **design},
        "parameters": {"trust_learning_rate": [0.0, 1.0], "border_open_bias": [0.0, 1.0],
                       "bloc_pull": [0.0, 1.0]},
        "outcomes": {"y": {"variable": "region.integration_index", "year": 2030}},
    }, strict=False)


def _runs(experiment: Experiment, y) -> pd.DataFrame:
    points = design_points(experiment)
    return points.reset_index().assign(scenario="baseline", replicate=0, seed=1, y=y(points))


def test_sobol_finds_the_parameter_that_drives_the_outcome():
    experiment = _experiment("sobol", samples=512)
    runs = _runs(experiment, lambda p: 4.0 * p["trust_learning_rate"] + 0.5 * p["border_open_bias"])
    table = sensitivity(runs, experiment).set_index("parameter")
    # Linear y = 4a + 0.5b with uniform inputs: ST(a) = 16 / 16.25, ST(b) = 0.25 / 16.25, ST(c) = 0.
    assert table.loc["trust_learning_rate", "ST"] == pytest.approx(16 / 16.25, abs=0.05)
    assert table.loc["border_open_bias", "ST"] == pytest.approx(0.25 / 16.25, abs=0.01)
    assert abs(table.loc["bloc_pull", "ST"]) < 0.005
    assert (table[["S1_conf", "ST_conf"]] >= 0).all().all()


def test_morris_ranks_parameters_by_effect():
    experiment = _experiment("morris", samples=20, levels=4)
    runs = _runs(experiment, lambda p: 3.0 * p["border_open_bias"] + 1.0 * p["bloc_pull"])
    table = sensitivity(runs, experiment).set_index("parameter")
    assert table.loc["border_open_bias", "mu_star"] == pytest.approx(3.0, rel=1e-6)
    assert table.loc["bloc_pull", "mu_star"] == pytest.approx(1.0, rel=1e-6)
    assert table.loc["trust_learning_rate", "mu_star"] == pytest.approx(0.0, abs=1e-12)


def test_paired_differences_of_a_constant_shift():
    experiment = _experiment("latin", samples=30)
    first = _runs(experiment, lambda p: p["bloc_pull"])
    second = first.assign(scenario="other", y=first["y"] + 0.25)
    table = scenario_differences(pd.concat([first, second]), experiment, ["baseline", "other"])
    row = table.iloc[0]
    assert row["mean_difference"] == pytest.approx(0.25)
    assert row["p05_difference"] == pytest.approx(0.25) and row["p95_difference"] == pytest.approx(0.25)
    assert row["probability_b_higher"] == 1.0 and row["n_pairs"] == 30


def test_prim_finds_the_box_of_the_condition():
    pytest.importorskip("ema_workbench")
    experiment = _experiment("latin", samples=600)
    runs = _runs(experiment, lambda p: p["trust_learning_rate"])
    table = discover(runs, experiment, Discovery(outcome="y", below=0.3))
    restricted = table.set_index("parameter")
    assert list(restricted.index) == ["trust_learning_rate"]
    # The widest box with density >= 0.8 over uniform x, condition x < 0.3: x < 0.3 / 0.8.
    assert 0.29 <= restricted.loc["trust_learning_rate", "high"] <= 0.3 / 0.8 + 0.01
    assert restricted.loc["trust_learning_rate", "density"] >= 0.8
    assert restricted.loc["trust_learning_rate", "coverage"] >= 0.8
    assert table["share_of_runs"].iloc[0] == pytest.approx(0.3, abs=0.02)


@pytest.fixture(scope="module")
def finished_batch(tmp_path_factory, tiny_inputs):
    folder = tmp_path_factory.mktemp("batch")
    experiment = tiny_inputs.batch(folder, "tiny_morris", samples=4, chunk_runs=20)
    assert main(["batch", str(experiment), "--out", str(folder / "out"), "--workers", "1"]) == 0
    return folder / "out"


def test_analyze_end_to_end(finished_batch, capsys):
    assert main(["analyze", str(finished_batch)]) == 0
    out = finished_batch / "analysis"
    for name in ("outcomes", "sensitivity", "scenario_differences", "comparison", "discovery"):
        assert (out / f"{name}.csv").is_file(), name
    assert (out / "figures" / "sensitivity.png").is_file() and (out / "figures" / "sensitivity.svg").is_file()
    sensitivity_table = pd.read_csv(out / "sensitivity.csv")
    assert set(sensitivity_table["scenario"]) == {"short", "closed"}
    assert np.isfinite(sensitivity_table["mu_star"]).all()
    differences = pd.read_csv(out / "scenario_differences.csv")
    # High tariffs and border queues lower the 2030 index in every pair.
    assert differences["mean_difference"].iloc[0] < 0 and differences["n_pairs"].iloc[0] == 24
    record = json.loads((out / "manifest.json").read_text())
    assert record["kind"] == "analysis" and record["runs"] == 48
    assert "sensitivity" in capsys.readouterr().out


def test_analyze_refuses_an_unfinished_or_foreign_folder(finished_batch, tmp_path, capsys):
    record = json.loads((finished_batch / "manifest.json").read_text())
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "manifest.json").write_text(json.dumps({**record, "status": "running"}))
    assert main(["analyze", str(unfinished)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "not finished" in error
    assert not (unfinished / "analysis").exists()
    with pytest.raises(ExperimentError, match="no manifest.json"):
        analyze(tmp_path / "empty")


def test_analyze_refuses_a_damaged_chunk_in_one_line_and_writes_nothing(finished_batch, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(finished_batch, copy, ignore=shutil.ignore_patterns("analysis"))
    part = min((copy / "runs").glob("part-*.parquet"))
    part.write_bytes(part.read_bytes()[:100])  # a chunk cut short (a full disk, a copy that failed)
    assert main(["analyze", str(copy)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and f"runs/{part.name}: cannot be read" in error and "delete it" in error
    assert not (copy / "analysis").exists()
