"""Outside drivers as design factors: experiments vary them beside parameters."""

import numpy as np
import pandas as pd
import pytest

from sim.experiments.batch import read_runs, run_batch
from sim.experiments.design import design_points
from sim.experiments.experiment import ExperimentError, load_experiment
from sim.experiments.factors import Factor, apply_factors
from sim.inputs.scenario import load_scenario

EXPERIMENT = """
name = "drivers"
scenarios = ["short.toml"]
replicates = 2
seed = 5
chunk_runs = 100

[design]
method = "grid"
levels = 2

[factors.flow]
kind = "uncertainty"
range = [0.6, 1.0]
intervention = { year = 2000, end_year = 2010, target = "river_flow", ramp = "value" }

[factors.uzb]
kind = "lever"
range = [0.2, 0.9]
disposition = { country = "UZB", year = 2005 }

[outcomes]
shortfall = { variable = "region.water_shortfall", years = [2008, 2010] }
change = { variable = "region.trust", years = [2008, 2010], relative_to = [1995, 1997] }
"""


@pytest.fixture
def experiment_file(tmp_path):
    (tmp_path / "short.toml").write_text('name = "short"\nextends = "baseline"\nend_year = 2010\n')
    path = tmp_path / "exp.toml"
    path.write_text(EXPERIMENT)
    return path


def test_a_factor_adds_its_intervention_or_holds_a_disposition():
    baseline = load_scenario("baseline")
    flow = Factor.model_validate({"range": [0.5, 1.0], "intervention": {"year": 2030, "end_year": 2040,
                                                                        "target": "river_flow", "ramp": "value"}})
    year = Factor.model_validate({"range": [2028, 2040], "intervention": {"year": "value", "set": 24.9,
                                                                          "target": "reservoir_capacity_km3.syr"}})
    uzb = Factor.model_validate({"range": [0.2, 0.9], "disposition": {"country": "UZB", "year": 2017}})
    variant = apply_factors(baseline, {"flow": flow, "kambarata": year, "uzb": uzb},
                            {"flow": 0.7, "kambarata": 2031.4, "uzb": 0.3})
    paths = variant.driver_paths()
    assert paths.paths["river_flow"][2040 - 1991, 0] == pytest.approx(0.7)
    assert paths.paths["reservoir_capacity_km3"][2031 - 1991, 0] == 24.9  # a year rounds to a whole year
    assert paths.paths["reservoir_capacity_km3"][2030 - 1991, 0] == 19.5
    uzb_2017 = [c for c in variant.leader_changes if (c.year, c.country) == (2017, "UZB")]
    assert len(uzb_2017) == 1 and uzb_2017[0].disposition == 0.3


@pytest.mark.parametrize("factor", [
    {"range": [0.5, 1.0], "intervention": {"year": 2030, "target": "river_flow", "ramp": 0.5}},  # no "value"
    {"range": [1.0, 0.5], "disposition": {"country": "UZB", "year": 2017}},
    {"range": [0.5, 2.0], "disposition": {"country": "UZB", "year": 2017}},
])
def test_a_bad_factor_is_refused(factor):
    with pytest.raises(ValueError):
        Factor.model_validate(factor)


def test_a_factor_that_takes_a_driver_out_of_its_range_is_refused_before_running(experiment_file):
    experiment_file.write_text(EXPERIMENT.replace("range = [0.6, 1.0]", "range = [0.6, 3.0]"))
    with pytest.raises(ExperimentError, match="factors"):
        load_experiment(experiment_file)


def test_a_factor_outside_the_run_names_the_field_and_the_allowed_years(experiment_file):
    experiment_file.write_text(EXPERIMENT.replace("year = 2000, end_year = 2010", "year = 2030, end_year = 2030"))
    with pytest.raises(ExperimentError, match=r"exp.toml: factors: with .* interventions\[\d+\].year = 2030 is "
                                              r"outside the run; allowed: 1991-2010") as error:
        load_experiment(experiment_file)
    assert "\n" not in str(error.value)


def test_a_parameters_file_missing_beside_the_experiment_names_its_field(experiment_file, tmp_path):
    from sim.experiments.batch import experiment_source

    experiment_file.write_text(EXPERIMENT.replace('chunk_runs = 100', 'chunk_runs = 100\nparameters_from = "post.csv"'))
    experiment, _ = load_experiment(experiment_file)
    with pytest.raises(ExperimentError, match=r"exp.toml: parameters_from: no file 'post.csv' beside"):
        experiment_source(experiment_file, experiment)


def test_a_driver_design_runs_each_point_on_its_own_scenario(experiment_file, tmp_path):
    experiment, scenarios = load_experiment(experiment_file)
    points = design_points(experiment)
    assert list(points.columns) == ["flow", "uzb"] and len(points) == 4
    run_batch(experiment_file, experiment, scenarios, tmp_path / "out", workers=1, progress=False)
    runs = read_runs(tmp_path / "out")
    assert {"flow", "uzb", "shortfall", "change"} <= set(runs.columns) and len(runs) == 8
    by_flow = runs.groupby("flow")["shortfall"].mean()
    assert by_flow.loc[0.6] > by_flow.loc[1.0]  # less water, larger shortfall
    # the same replicate has the same seed and draw at every point (paired)
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()


def test_analyze_draws_outcomes_against_factors_and_discovers_over_them(experiment_file, tmp_path):
    from sim.experiments.analysis import analyze, discover
    from sim.experiments.experiment import Discovery

    experiment, scenarios = load_experiment(experiment_file)
    run_batch(experiment_file, experiment, scenarios, tmp_path / "out", workers=1, progress=False)
    report = analyze(tmp_path / "out")
    assert any(p.name == "outcomes_by_factor.png" for p in report.figures)
    runs = read_runs(tmp_path / "out")
    threshold = float(np.median(runs["shortfall"]))
    table = discover(runs, experiment, Discovery(outcome="shortfall", above=threshold))
    assert isinstance(table, pd.DataFrame) and set(table["parameter"].dropna()) <= {"flow", "uzb"}
