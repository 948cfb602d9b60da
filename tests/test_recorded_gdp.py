"""Recorded GDP (``sim/data/recorded_gdp.csv``): the data, how a scenario uses it, and the GDP
it gives a run."""

from __future__ import annotations

import numpy as np
import pytest

from sim.inputs import recorded_gdp as recorded
from sim.inputs.drivers import DRIVER_SPECS, FIRST_YEAR
from sim.inputs.geography import STATES, load_geography
from sim.inputs.scenario import Scenario, load_scenario
from sim.io.input_files import InputError
from sim.model.engine import simulate


def _scenario(recorded_gdp: bool, end_year: int = 2030) -> Scenario:
    return Scenario.model_validate({"name": "gdp", "end_year": end_year, "recorded_gdp": recorded_gdp})


def test_every_recorded_gdp_is_in_range_sourced_and_covers_every_state_from_1990():
    table = recorded.recorded_gdp()
    geo = load_geography()
    spec = DRIVER_SPECS["gdp_vs_trend"]
    assert set(table["state"]) == set(STATES)
    assert table["year"].between(recorded.START_YEAR, recorded.LAST_RECORDED_YEAR).all()
    assert (table["year"] == recorded.START_YEAR).sum() == len(STATES)  # the GDP the model starts from
    ratios = [value / geo.trend_gdp(int(year))[STATES.index(state)]
              for year, state, value in zip(table["year"], table["state"], table["gdp_busd"])]
    assert spec.min <= min(ratios) and max(ratios) <= spec.max
    assert table["source"].str.contains("NY.GDP.MKTP.CD").all()
    assert not table.duplicated(["year", "state"]).any()


def test_the_record_carries_the_transition_recession_and_the_uzbek_devaluation():
    # What the assumed smooth trend lacked: GDP in dollars fell in the 1990s, and Uzbekistan's
    # fell when its exchange rate was unified in September 2017.
    table = recorded.recorded_gdp().set_index(["state", "year"])["gdp_busd"]
    for state in STATES:
        assert min(table[state, year] for year in range(1991, 2000)) < table[state, 1990]
    assert table["UZB", 2018] < 0.7 * table["UZB", 2016]


def test_a_scenario_with_recorded_gdp_gives_the_record_and_keeps_the_trend_elsewhere():
    table = recorded.recorded_gdp()
    geo = load_geography()
    with_record, without = _scenario(True).driver_paths(), _scenario(False).driver_paths()
    recorded_cells = np.zeros_like(with_record.paths["gdp_vs_trend"], dtype=bool)
    for year, state, value in zip(table["year"], table["state"], table["gdp_busd"]):
        if year < FIRST_YEAR:
            continue
        step, column = year - FIRST_YEAR, STATES.index(state)
        assert with_record.paths["gdp_vs_trend"][step, column] * geo.trend_gdp(int(year))[column] == \
            pytest.approx(value)
        recorded_cells[step, column] = True
    assert recorded_cells.any()
    assert np.all(with_record.paths["gdp_vs_trend"][~recorded_cells] == 1.0)
    assert np.all(without.paths["gdp_vs_trend"] == 1.0)


def test_a_run_starts_from_the_recorded_1990_gdp_and_follows_the_record():
    table = recorded.recorded_gdp().set_index(["state", "year"])["gdp_busd"]
    assert _scenario(True).starting_gdp_vs_trend() * load_geography().trend_gdp(1990) == \
        pytest.approx([table[state, 1990] for state in STATES])
    np.testing.assert_array_equal(_scenario(False).starting_gdp_vs_trend(), np.ones(len(STATES)))
    run = simulate(_scenario(True, end_year=2001), np.arange(3))
    gdp_2000 = run.series["country"]["gdp"][list(run.years).index(2000)]
    # GDP is the record less what water and power shortages cost, never more
    assert np.all(gdp_2000 <= np.array([table[state, 2000] for state in STATES]) + 1e-9)
    assert np.all(gdp_2000 >= 0.8 * np.array([table[state, 2000] for state in STATES]))


def test_the_baseline_and_its_children_use_the_recorded_gdp():
    for name in ("baseline", "no_opening_2016", "water_deficit_2050"):
        assert load_scenario(name).recorded_gdp, name


@pytest.fixture
def file_with(serve_rows):
    """Serve the given rows as recorded_gdp.csv."""
    return lambda rows: serve_rows(recorded, recorded.recorded_gdp, rows)


GOOD_ROW = {"year": 2008, "state": "KGZ", "gdp_busd": 5.14, "source": "a source"}


@pytest.mark.parametrize(("column", "value", "fragments"), [
    ("year", 1980, ["year = 1980", "1990-2024"]),
    ("state", "AFG", ["state = 'AFG'", "KAZ, KGZ"]),
    ("gdp_busd", 500.0, ["gdp_busd = 500.0", "0.05 and 3.0 times"]),
    ("gdp_busd", float("nan"), ["gdp_busd = nan"]),
    ("source", " ", ["source is empty"]),
])
def test_a_bad_row_is_one_line_naming_the_file_the_field_and_what_is_allowed(file_with, column, value, fragments):
    file_with([{**GOOD_ROW, column: value}])
    with pytest.raises(InputError) as error:
        recorded.recorded_gdp()
    message = str(error.value)
    assert "\n" not in message and message.startswith(recorded.FILE)
    for fragment in fragments:
        assert fragment in message


def test_a_year_given_twice_is_an_error(file_with):
    file_with([GOOD_ROW, GOOD_ROW])
    with pytest.raises(InputError, match="given twice"):
        recorded.recorded_gdp()
