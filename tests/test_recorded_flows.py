"""Recorded river flows (``sim/data/recorded_flows.csv``): the data, how a scenario uses them,
and the flow they give a run."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.inputs import recorded_flows as recorded
from sim.inputs.drivers import DRIVER_SPECS, FIRST_YEAR
from sim.inputs.geography import RIVERS
from sim.inputs.parameters import Parameters
from sim.inputs.randomness import RandomStreams
from sim.inputs.scenario import Scenario, load_scenario
from sim.io.input_files import InputError
from sim.model.dynamics import river_flow_multiplier


def _paths(recorded_flows: bool):
    return Scenario.model_validate({"name": "flows", "end_year": 2030, "recorded_flows": recorded_flows}).driver_paths()


def test_every_recorded_flow_is_in_range_within_the_narrative_and_sourced():
    table = recorded.recorded_flows()
    spec = DRIVER_SPECS["river_flow"]
    assert len(table) > 0
    assert set(table["river"]) <= set(RIVERS)
    assert table["year"].between(FIRST_YEAR, recorded.LAST_RECORDED_YEAR).all()
    assert table["flow"].between(spec.min, spec.max).all()
    assert table["source"].str.strip().str.len().gt(20).all()
    assert not table.duplicated(["year", "river"]).any()


def test_a_scenario_with_recorded_flows_gives_them_without_noise_and_keeps_the_other_years():
    table = recorded.recorded_flows()
    with_flows, without = _paths(True), _paths(False)
    recorded_cells = np.zeros_like(with_flows.paths["river_flow"], dtype=bool)
    for year, river, flow in zip(table["year"], table["river"], table["flow"]):
        step, column = year - FIRST_YEAR, RIVERS.index(river)
        assert with_flows.paths["river_flow"][step, column] == flow
        assert with_flows.paths["flow_noise"][step, column] == 0.0
        recorded_cells[step, column] = True
    assert np.all(with_flows.paths["flow_noise"][~recorded_cells] == 1.0)
    np.testing.assert_array_equal(with_flows.paths["river_flow"][~recorded_cells],
                                  without.paths["river_flow"][~recorded_cells])
    assert np.all(without.paths["flow_noise"] == 1.0)


def test_the_baseline_and_its_children_use_the_recorded_flows():
    for name in ("baseline", "no_opening_2016", "water_deficit_2050"):
        assert load_scenario(name).recorded_flows, name


def test_interventions_apply_after_the_recorded_flows():
    # A scenario that changes a recorded year's flow (a what-if about history) wins over the record.
    year = int(recorded.recorded_flows()["year"].iloc[0])
    river = recorded.recorded_flows()["river"].iloc[0]
    scenario = Scenario.model_validate({"name": "what_if", "end_year": 2030, "recorded_flows": True, "interventions": [
        {"year": year, "end_year": year, "target": f"river_flow.{river}", "set": 0.5}]})
    paths = scenario.driver_paths().paths
    assert paths["river_flow"][year - FIRST_YEAR, RIVERS.index(river)] == 0.5
    assert paths["flow_noise"][year - FIRST_YEAR, RIVERS.index(river)] == 0.0  # still a known flow


def test_a_ramp_from_a_recorded_year_starts_from_the_record():
    last = recorded.recorded_flows().query("river == 'syr'").sort_values("year").iloc[-1]
    scenario = Scenario.model_validate({"name": "ramp", "end_year": 2030, "recorded_flows": True, "interventions": [
        {"year": int(last.year), "end_year": 2030, "target": "river_flow.syr", "ramp": 0.9}]})
    syr = scenario.driver_paths().paths["river_flow"][:, RIVERS.index("syr")]
    assert syr[int(last.year) - FIRST_YEAR] == last.flow
    assert syr[2030 - FIRST_YEAR] == pytest.approx(0.9)


def test_a_run_that_ends_early_takes_only_its_recorded_years():
    table = recorded.recorded_flows()
    end = int(table["year"].min())
    paths = Scenario.model_validate({"name": "short", "end_year": end, "recorded_flows": True}).driver_paths()
    assert len(paths.years) == end - FIRST_YEAR + 1
    assert (paths.paths["flow_noise"][-1] == 0.0).sum() == (table["year"] == end).sum()


def _flow(noise: float, year=2008) -> np.ndarray:
    drivers = SimpleNamespace(river_flow=np.array([0.8, 0.7]), flow_noise=np.array([noise, noise]))
    return river_flow_multiplier(drivers, year, Parameters({"flow_variability_cv": 0.2}), RandomStreams(np.arange(200)))


def test_no_flow_noise_gives_the_driver_exactly_and_full_noise_varies_around_it():
    np.testing.assert_array_equal(_flow(0.0), np.tile([0.8, 0.7], (200, 1)))
    noisy = _flow(1.0)
    assert noisy.std(axis=0).min() > 0.1
    np.testing.assert_allclose(noisy.mean(axis=0), [0.8, 0.7], rtol=0.05)  # the noise has mean one
    half = _flow(0.5)
    assert noisy.std(axis=0).min() > half.std(axis=0).max()


@pytest.fixture
def file_with(serve_rows):
    """Serve the given rows as recorded_flows.csv."""
    return lambda rows: serve_rows(recorded, recorded.recorded_flows, rows)


GOOD_ROW = {"year": 2008, "river": "syr", "flow": 0.8, "source": "a source"}


@pytest.mark.parametrize(("column", "value", "fragments"), [
    ("year", 1980, ["year = 1980", "1991-2024"]),
    ("river", "ili", ["river = 'ili'", "syr, amu"]),
    ("flow", 3.0, ["flow = 3.0", "[0.2, 1.5]"]),
    ("source", " ", ["source is empty"]),
])
def test_a_bad_row_is_one_line_naming_the_file_the_field_and_what_is_allowed(file_with, column, value, fragments):
    file_with([{**GOOD_ROW, column: value}])
    with pytest.raises(InputError) as error:
        recorded.recorded_flows()
    message = str(error.value)
    assert "\n" not in message and message.startswith(recorded.FILE)
    for fragment in fragments:
        assert fragment in message


def test_a_year_given_twice_is_an_error(file_with):
    file_with([GOOD_ROW, GOOD_ROW])
    with pytest.raises(InputError, match="given twice"):
        recorded.recorded_flows()
