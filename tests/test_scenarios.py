"""Scenario files: loading, ``extends``, intervention semantics and one-line errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.inputs import leaders
from sim.inputs.drivers import DRIVER_SPECS, FIRST_YEAR, DriverPaths
from sim.inputs.geography import STATES, load_geography
from sim.inputs.scenario import SCENARIO_DIR, Scenario, ScenarioError, load_scenario

SHIPPED = sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))
UZB = STATES.index("UZB")
HEAD = 'name = "bad"\nend_year = 2050\n'


def _row(year: int) -> int:
    return year - FIRST_YEAR


# ----------------------------------------------------------------- shipped scenarios


def test_the_four_scenarios_are_shipped():
    assert {"baseline", "no_opening_2016", "water_deficit_2050", "water_deficit_2050_with_barter"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads(name):
    by_name = load_scenario(name)
    by_path = load_scenario(SCENARIO_DIR / f"{name}.toml")
    assert isinstance(by_name, Scenario)
    assert by_name.name == name
    assert by_name == by_path
    assert re.fullmatch(r"[0-9a-f]{64}", by_name.digest())
    assert by_name.digest() == by_path.digest()
    paths = by_name.driver_paths()
    assert paths.years[0] == FIRST_YEAR and paths.years[-1] == by_name.end_year
    for driver, path in paths.paths.items():
        assert path.shape[0] == len(paths.years)
        spec = DRIVER_SPECS.get(driver)
        if spec is not None:
            assert np.all((path >= spec.min) & (path <= spec.max)), driver


FORWARD = sorted(SCENARIO_DIR.glob("forward/*.toml"))


@pytest.mark.parametrize("path", FORWARD, ids=[p.stem for p in FORWARD])
def test_every_forward_scenario_changes_only_drivers_after_2024(path):
    """The forward library (scenarios/forward/) extends the baseline with outside drivers
    from 2025 on, each with a note; it assumes nothing and changes no leader."""
    scenario = load_scenario(path)
    baseline = load_scenario("baseline")
    assert scenario.assumption_lines() == [] and scenario.leader_changes == baseline.leader_changes
    added = [i for i in scenario.interventions if i not in baseline.interventions]
    assert added and all(i.year >= 2025 and i.note for i in added)
    ours, theirs = scenario.driver_paths(), baseline.driver_paths()
    before = ours.years < 2025
    assert all(np.array_equal(ours.paths[name][before], theirs.paths[name][before]) for name in ours.paths)
    assert any(not np.array_equal(ours.paths[name], theirs.paths[name]) for name in ours.paths)


def test_the_remittance_shock_lowers_the_driver_for_three_years():
    paths = load_scenario(SCENARIO_DIR / "forward" / "remittance_shock.toml").driver_paths()
    remittances = paths.paths["remittances_gdp"]
    default = np.asarray(DRIVER_SPECS["remittances_gdp"].default)
    shocked = (paths.years >= 2027) & (paths.years <= 2029)
    np.testing.assert_allclose(remittances[~shocked], np.broadcast_to(default, remittances[~shocked].shape))
    halved = [STATES.index(code) for code in ("KGZ", "TJK", "UZB")]
    np.testing.assert_allclose(remittances[shocked][:, halved], np.tile(default[halved] / 2, (3, 1)))
    kept = [STATES.index(code) for code in ("KAZ", "TKM")]
    np.testing.assert_allclose(remittances[shocked][:, kept], np.tile(default[kept], (3, 1)))


def test_the_baseline_kgz_power_demand_is_its_recorded_consumption_in_the_unit_of_rivers_csv():
    # sim/data/rivers.csv states the Syr Darya's power needs (7,200 + 4,050 GWh) at the
    # baseline's KGZ demand of 2017, 1.24; the path must still pass through it, and through
    # the recorded consumption in that unit (scenarios/baseline.toml).
    geo = load_geography()
    unit_twh = (geo.winter_power_need_gwh[0] + geo.summer_power_need_gwh[0]) / 1000.0
    kgz = load_scenario("baseline").driver_paths().paths["power_demand"][:, STATES.index("KGZ")]
    assert kgz[_row(2017)] == pytest.approx(1.24, abs=0.01)
    recorded_twh = {2000: 9.8, 2010: 10.313, 2020: 15.4, 2021: 16.3, 2022: 16.0, 2023: 16.558, 2024: 18.4}
    for year, twh in recorded_twh.items():
        assert kgz[_row(year)] * unit_twh == pytest.approx(twh, rel=0.01), year


def test_digest_changes_with_the_scenario():
    base = load_scenario("baseline")
    assert load_scenario("baseline", replicates=3).digest() != base.digest()
    assert load_scenario("no_opening_2016").digest() != base.digest()


# -------------------------------------------------------------------------- extends


def test_no_opening_keeps_baseline_interventions_and_settings():
    baseline = load_scenario("baseline")
    child = load_scenario("no_opening_2016")
    assert child.extends == "baseline.toml"
    assert child.interventions == baseline.interventions
    assert (child.seed, child.replicates, child.start_year, child.end_year) == (
        baseline.seed, baseline.replicates, baseline.start_year, baseline.end_year)
    assert child.drivers == baseline.drivers
    assert child.assumptions == baseline.assumptions


# Mirziyoyev took office in September 2016; the baseline counts him from his first full year.
UZB_CHANGE = (2017, "UZB")


def test_no_opening_replaces_the_uzb_2016_leader_change():
    baseline = load_scenario("baseline")
    child = load_scenario("no_opening_2016")
    uzb_change = [c for c in child.leader_changes if (c.year, c.country) == UZB_CHANGE]
    assert len(uzb_change) == 1
    assert uzb_change[0].spec() is None  # the new leader keeps Karimov's disposition
    base_change = [c for c in baseline.leader_changes if (c.year, c.country) == UZB_CHANGE]
    assert base_change[0].leader == "Mirziyoyev"
    # Every other leader change is the baseline's.
    def others(scenario):
        return sorted((c.year, c.country, c.spec()) for c in scenario.leader_changes
                      if (c.year, c.country) != UZB_CHANGE)

    assert others(child) == others(baseline)


def test_no_opening_driver_paths_differ_only_in_uzb_disposition_from_2017():
    base = load_scenario("baseline").driver_paths()
    child = load_scenario("no_opening_2016").driver_paths()
    keys = np.array([1, 2, 3])
    disposition_base = base.at(2017, leaders.draw(base.dispositions, keys)).leader_disposition
    disposition_child = child.at(2017, leaders.draw(child.dispositions, keys)).leader_disposition
    before_child = child.at(2016, leaders.draw(child.dispositions, keys)).leader_disposition
    mirziyoyev = leaders.leader("UZB", "Mirziyoyev").disposition
    # The same keys draw the same values for the same leaders: only UZB differs, and without
    # the opening its new leader keeps his predecessor's drawn value.
    np.testing.assert_array_equal(np.delete(disposition_base, UZB, axis=1), np.delete(disposition_child, UZB, axis=1))
    np.testing.assert_array_equal(disposition_child[:, UZB], before_child[:, UZB])
    assert np.all((disposition_base[:, UZB] >= mirziyoyev.low) & (disposition_base[:, UZB] <= mirziyoyev.high))
    first = _row(UZB_CHANGE[0])
    np.testing.assert_array_equal(child.leader_slot[:first], base.leader_slot[:first])
    # The change of leader still happens (it resets personal disputes).
    assert child.paths["leader_change"][first, UZB] == base.paths["leader_change"][first, UZB] == 1.0
    for name in base.paths:
        np.testing.assert_array_equal(base.paths[name], child.paths[name], err_msg=name)


def test_extends_chains_accumulate_interventions():
    baseline = load_scenario("baseline")
    deficit = load_scenario("water_deficit_2050")
    barter = load_scenario("water_deficit_2050_with_barter")
    assert deficit.interventions[: len(baseline.interventions)] == baseline.interventions
    assert barter.interventions[: len(deficit.interventions)] == deficit.interventions
    assert len(barter.interventions) > len(deficit.interventions) > len(baseline.interventions)
    framework = barter.driver_paths().paths["water_energy_framework"][:, 0]
    assert framework[_row(2024)] == 0.0 and framework[_row(2025)] > 0.0


def _assumed(name: str, value: float) -> str:
    return f'[assumptions.parameters.{name}]\nvalue = {value}\nnote = "test"\n'


def test_extends_merges_tables_key_by_key(write_toml, tmp_path):
    write_toml('name = "parent"\nend_year = 2030\nseed = 3\n' + _assumed("trust_learning_rate", 0.2)
               + _assumed("deal_threshold", 0.5) + '[drivers.river_flow]\nsyr = 0.9\namu = 0.8\n', "parent.toml")
    child = write_toml('name = "child"\nextends = "parent"\n' + _assumed("deal_threshold", 0.7)
                       + '[drivers.river_flow]\namu = 1.1\n', "child.toml")
    scenario = load_scenario(child)
    assert scenario.name == "child" and scenario.seed == 3 and scenario.end_year == 2030
    assert scenario.assumed_parameters == {"trust_learning_rate": 0.2, "deal_threshold": 0.7}
    assert scenario.drivers["river_flow"] == {"syr": 0.9, "amu": 1.1}


def test_assumed_dispositions_merge_by_year_and_country_and_a_shorter_run_drops_later_ones(write_toml):
    held = '[[assumptions.dispositions]]\nyear = {}\ncountry = "{}"\ndisposition = {}\nnote = "test"\n'
    write_toml('name = "parent"\n' + held.format(2000, "UZB", 0.3) + held.format(2020, "KGZ", 0.4), "parent.toml")
    child = write_toml('name = "child"\nextends = "parent"\n' + held.format(2000, "UZB", 0.6), "child.toml")
    assumed = load_scenario(child).assumptions.dispositions
    assert [(h.year, h.country, h.disposition) for h in assumed] == [(2020, "KGZ", 0.4), (2000, "UZB", 0.6)]
    short = write_toml('name = "short"\nextends = "child"\nend_year = 2010\n', "short.toml")
    assert [(h.year, h.country) for h in load_scenario(short).assumptions.dispositions] == [(2000, "UZB")]


def test_extends_with_absolute_path(write_toml):
    child = write_toml(f'name = "child"\nextends = "{SCENARIO_DIR / "baseline.toml"}"\nseed = 99\n', "child.toml")
    scenario = load_scenario(child)
    assert scenario.seed == 99
    assert scenario.interventions == load_scenario("baseline").interventions


def test_extends_a_shipped_scenario_by_name_from_anywhere(write_toml):
    child = write_toml('name = "child"\nextends = "baseline"\nseed = 5\n', "child.toml")
    scenario = load_scenario(child)
    assert scenario.seed == 5
    assert scenario.interventions == load_scenario("baseline").interventions


def test_a_child_may_end_before_its_parent(write_toml, short_scenario_path):
    child = write_toml('name = "short"\nextends = "baseline"\nend_year = 2000\n', "short.toml")
    scenario = load_scenario(child)
    assert scenario.end_year == 2000
    # Inherited events after 2000 are dropped; set/scale periods are cut to the run.
    assert all(event.year <= 2000 for event in scenario.leader_changes + scenario.interventions)
    assert all(event.end_year is None or event.end_year <= 2000 or event.ramp is not None
               for event in scenario.interventions)
    # The run sees the baseline's drivers up to 2000, ramps part way.
    short = scenario.driver_paths()
    full = load_scenario("baseline").driver_paths()
    assert short.years[-1] == 2000
    for name, path in short.paths.items():
        np.testing.assert_allclose(path, full.paths[name][: len(short.years)], rtol=0, atol=1e-12, err_msg=name)
    # The same paths as the self-contained short scenario of the CLI tests.
    fixture = load_scenario(short_scenario_path).driver_paths()
    for name, path in short.paths.items():
        np.testing.assert_allclose(path, fixture.paths[name], rtol=0, atol=1e-12, err_msg=name)


def test_a_ramp_may_end_after_the_run():
    paths = _paths(end_year=2010, interventions=[
        {"year": 2001, "end_year": 2020, "target": "river_flow.syr", "ramp": 0.5},
    ])
    syr = paths.paths["river_flow"][:, 0]
    assert len(syr) == 20
    assert syr[_row(2001)] == pytest.approx(1.0)
    assert syr[_row(2010)] == pytest.approx(1.0 - 0.5 * 9 / 19)  # part way along 2001-2020


def test_overrides_replace_run_settings():
    scenario = load_scenario("baseline", replicates=3, seed=8)
    assert (scenario.replicates, scenario.seed) == (3, 8)
    assert load_scenario("baseline", replicates=None).replicates == load_scenario("baseline").replicates


def test_trimmed_baseline_helper_matches_the_baseline_paths(short_scenario_path):
    # The short scenario used by the CLI tests really is the baseline's history.
    short = load_scenario(short_scenario_path).driver_paths()
    full = load_scenario("baseline").driver_paths()
    for name, path in short.paths.items():
        np.testing.assert_allclose(path, full.paths[name][: len(short.years)], rtol=0, atol=1e-12, err_msg=name)


# ------------------------------------------------------------ intervention semantics


def _paths(end_year=2010, interventions=(), leader_changes=(), drivers=None, assumptions=None) -> DriverPaths:
    scenario = Scenario.model_validate({
        "name": "semantics", "end_year": end_year, "interventions": list(interventions),
        "leader_changes": list(leader_changes), "drivers": drivers or {}, "assumptions": assumptions or {},
    })
    return scenario.driver_paths()


def test_defaults_without_interventions():
    paths = _paths()
    assert np.all(paths.paths["river_flow"] == 1.0)
    assert np.all(paths.leader_slot == np.arange(len(STATES)))  # the leaders of 1991 throughout
    assert np.all(paths.paths["leader_change"] == 0.0)
    np.testing.assert_array_equal(paths.paths["reservoir_capacity_km3"][0],
                                  np.asarray(DRIVER_SPECS["reservoir_capacity_km3"].default))


def test_set_holds_a_value_over_its_period():
    paths = _paths(interventions=[{"year": 1995, "end_year": 1997, "target": "security_shock.TJK", "set": 0.8}])
    shock = paths.paths["security_shock"]
    tjk = STATES.index("TJK")
    np.testing.assert_array_equal(shock[_row(1995): _row(1997) + 1, tjk], 0.8)
    assert shock[_row(1994), tjk] == 0.0 and shock[_row(1998), tjk] == 0.0
    assert np.all(np.delete(shock, tjk, axis=1) == 0.0)  # other states untouched


def test_set_without_end_year_lasts_to_the_end_of_the_run():
    paths = _paths(interventions=[{"year": 2001, "target": "eurasian_bloc_member.KAZ", "set": 1.0}])
    kaz = paths.paths["eurasian_bloc_member"][:, STATES.index("KAZ")]
    assert np.all(kaz[_row(2001):] == 1.0) and np.all(kaz[: _row(2001)] == 0.0)


def test_scale_multiplies_every_entity_of_a_driver():
    paths = _paths(interventions=[{"year": 2000, "end_year": 2004, "target": "river_flow", "scale": 0.8}])
    flow = paths.paths["river_flow"]
    np.testing.assert_allclose(flow[_row(2000): _row(2004) + 1], 0.8)
    assert np.all(flow[: _row(2000)] == 1.0) and np.all(flow[_row(2005):] == 1.0)


def test_scale_composes_with_an_earlier_set():
    paths = _paths(interventions=[
        {"year": 1991, "target": "irrigation_demand.UZB", "set": 1.2},
        {"year": 2000, "target": "irrigation_demand.UZB", "scale": 1.5},
    ])
    uzb = paths.paths["irrigation_demand"][:, UZB]
    assert uzb[_row(1999)] == pytest.approx(1.2)
    assert uzb[_row(2000)] == pytest.approx(1.8)


def test_ramp_moves_linearly_then_holds():
    paths = _paths(interventions=[{"year": 2000, "end_year": 2004, "target": "river_flow.amu", "ramp": 0.6}])
    amu = paths.paths["river_flow"][:, 1]
    np.testing.assert_allclose(amu[_row(2000): _row(2004) + 1], [1.0, 0.9, 0.8, 0.7, 0.6])
    np.testing.assert_allclose(amu[_row(2005):], 0.6)
    assert np.all(amu[: _row(2000)] == 1.0)
    assert np.all(paths.paths["river_flow"][:, 0] == 1.0)  # syr untouched


def test_ramp_starts_from_the_value_already_in_place():
    paths = _paths(end_year=2020, interventions=[
        {"year": 1991, "end_year": 2000, "target": "power_demand.KGZ", "ramp": 1.5},
        {"year": 2010, "end_year": 2020, "target": "power_demand.KGZ", "ramp": 2.5},
    ])
    kgz = paths.paths["power_demand"][:, STATES.index("KGZ")]
    assert kgz[_row(1991)] == pytest.approx(1.0)
    assert kgz[_row(2000)] == pytest.approx(1.5)
    np.testing.assert_allclose(kgz[_row(2001): _row(2010) + 1], 1.5)
    assert kgz[_row(2015)] == pytest.approx(2.0)
    assert kgz[_row(2020)] == pytest.approx(2.5)


def test_one_year_ramp_keeps_the_old_value_that_year():
    # Documented (docs/scenarios.md): if year == end_year, v starts the next year.
    paths = _paths(interventions=[{"year": 2000, "end_year": 2000, "target": "river_flow.syr", "ramp": 0.5}])
    syr = paths.paths["river_flow"][:, 0]
    assert syr[_row(2000)] == pytest.approx(1.0)
    np.testing.assert_allclose(syr[_row(2001):], 0.5)


def test_integers_accepted_where_numbers_are_expected(write_toml):
    path = write_toml(HEAD.replace('"bad"', '"ints"') + _assumed("gravity_constant", 200)
                      + '[[interventions]]\nyear = 2001\ntarget = "eurasian_bloc_member.KAZ"\nset = 1\n')
    scenario = load_scenario(path)
    assert scenario.assumed_parameters["gravity_constant"] == 200.0
    assert scenario.driver_paths().paths["eurasian_bloc_member"][_row(2001), STATES.index("KAZ")] == 1.0


def test_leader_change_sets_disposition_from_its_year():
    paths = _paths(
        leader_changes=[{"year": 2005, "country": "UZB", "disposition": 0.85},
                        {"year": 2008, "country": "UZB"}],
    )
    values = leaders.draw(paths.dispositions, np.array([7]))
    uzb = np.array([paths.at(int(year), values).leader_disposition[0, UZB] for year in paths.years])
    karimov = leaders.leader("UZB", "Karimov").disposition
    assert karimov.low <= uzb[_row(2004)] <= karimov.high
    np.testing.assert_allclose(uzb[_row(2005):], 0.85)  # a change without disposition keeps it
    flags = paths.paths["leader_change"][:, UZB]
    assert flags[_row(2005)] == flags[_row(2008)] == 1.0 and flags.sum() == 2.0


def test_an_assumed_disposition_holds_without_a_change_of_leader():
    """[[assumptions.dispositions]]: UZB's disposition is 0.9 from 2010 on, no leader change
    is recorded (so no dispute ends), and a later leader change without a disposition of his
    own keeps it."""
    paths = _paths(end_year=2030, assumptions={"dispositions": [{"year": 2010, "country": "UZB", "disposition": 0.9,
                                                  "note": "what if Tashkent had opened in 2010"}]},
                   leader_changes=[{"year": 2017, "country": "UZB"}])
    values = leaders.draw(paths.dispositions, np.array([7]))
    uzb = np.array([paths.at(int(year), values).leader_disposition[0, UZB] for year in paths.years])
    karimov = leaders.leader("UZB", "Karimov").disposition
    assert karimov.low <= uzb[_row(2009)] <= karimov.high
    np.testing.assert_allclose(uzb[_row(2010):], 0.9)
    flags = paths.paths["leader_change"][:, UZB]
    assert flags[_row(2010)] == 0.0 and flags.sum() == 1.0


def test_assumptions_are_listed_and_a_scenario_of_drivers_alone_has_none(write_toml):
    assert load_scenario("baseline").assumption_lines() == []
    path = write_toml(HEAD.replace('"bad"', '"assumed"') + '[assumptions.parameters.trust_learning_rate]\n'
                      'value = 0.25\nnote = "faster learning"\n[[assumptions.dispositions]]\nyear = 2005\n'
                      'country = "TKM"\ndisposition_range = [0.5, 0.7]\nnote = "an opening without a new leader"\n')
    lines = load_scenario(path).assumption_lines()
    assert len(lines) == 2
    assert "trust_learning_rate" in lines[0] and "0.25" in lines[0] and "faster learning" in lines[0]
    assert "TKM" in lines[1] and "2005" in lines[1] and "without a change of leader" in lines[1]


def test_initial_driver_values_apply_from_1991():
    paths = _paths(drivers={"river_flow": {"syr": 0.9}})
    np.testing.assert_allclose(paths.paths["river_flow"][:, 0], 0.9)
    np.testing.assert_allclose(paths.paths["river_flow"][:, 1], 1.0)


# ---------------------------------------------------------------------------- errors

# id, TOML text, fragments the one-line message must contain (field, what is allowed).
ERRORS = [
    ("unknown_top_level_key", HEAD + 'colour = "red"\n', ["colour", "unknown key", "allowed", "end_year"]),
    ("unknown_intervention_key",
     HEAD + '[[interventions]]\nyear = 2000\ntarget = "security_shock.KGZ"\nset = 1.0\nsize = 3\n',
     ["interventions[0].size", "unknown key", "allowed", "target"]),
    ("unknown_leader_change_key", HEAD + '[[leader_changes]]\nyear = 2000\ncountry = "UZB"\nmood = 1\n',
     ["leader_changes[0].mood", "allowed", "disposition"]),
    ("unknown_index_weight", HEAD + '[index_weights]\ncohesion = 1.0\n', ["index_weights.cohesion", "allowed"]),
    ("wrong_type_replicates", HEAD + 'replicates = "ten"\n', ["replicates", "integer", "ten"]),
    ("wrong_type_seed", HEAD + 'seed = 1.5\n', ["seed", "integer"]),
    ("parameter_outside_assumptions", HEAD + '[parameters]\ntrust_learning_rate = 0.2\n',
     ["parameters", "allowed", "[assumptions.parameters.NAME]", "note"]),
    ("wrong_type_parameter", HEAD + '[assumptions.parameters.trust_learning_rate]\nvalue = "fast"\nnote = "x"\n',
     ["assumptions.parameters.trust_learning_rate.value", "number"]),
    ("parameter_out_of_range", HEAD + '[assumptions.parameters.trust_learning_rate]\nvalue = 5.0\nnote = "x"\n',
     ["assumptions.parameters", "trust_learning_rate.value", "5.0", "[0.0, 1.0]"]),
    ("unknown_parameter", HEAD + '[assumptions.parameters.charisma]\nvalue = 1.0\nnote = "x"\n',
     ["assumptions.parameters", "charisma", "parameters.csv"]),
    ("parameter_without_note", HEAD + '[assumptions.parameters.trust_learning_rate]\nvalue = 0.2\n',
     ["assumptions.parameters.trust_learning_rate.note", "required"]),
    ("parameter_bare_value", HEAD + '[assumptions.parameters]\ntrust_learning_rate = 0.2\n',
     ["assumptions.parameters.trust_learning_rate", "valid dictionary"]),
    ("blank_note", HEAD + '[[assumptions.dispositions]]\nyear = 2000\ncountry = "UZB"\ndisposition = 0.5\n'
     'note = "  "\n', ["assumptions.dispositions[0].note", "needs a note"]),
    ("held_disposition_without_value", HEAD + '[[assumptions.dispositions]]\nyear = 2000\ncountry = "UZB"\n'
     'note = "x"\n', ["assumptions.dispositions[0]", "give disposition"]),
    ("held_disposition_out_of_range", HEAD + '[[assumptions.dispositions]]\nyear = 2000\ncountry = "UZB"\n'
     'disposition = 1.5\nnote = "x"\n', ["assumptions.dispositions[0].disposition", "less than or equal to 1"]),
    ("held_disposition_after_run", HEAD + '[[assumptions.dispositions]]\nyear = 2070\ncountry = "UZB"\n'
     'disposition = 0.5\nnote = "x"\n', ["assumptions.dispositions[0].year", "2070", "1991-2050"]),
    ("held_disposition_as_intervention", HEAD + '[[interventions]]\nyear = 2000\ntarget = "leader_disposition.UZB"\n'
     'set = 0.5\n', ["interventions[0].target", "leader_disposition", "[[assumptions.dispositions]]", "allowed"]),
    ("unknown_assumption", HEAD + '[assumptions]\nborders = 1\n',
     ["assumptions.borders", "unknown key", "parameters, dispositions"]),
    ("replicates_zero", HEAD + 'replicates = 0\n', ["replicates", "greater than or equal to 1"]),
    ("driver_initial_out_of_range", HEAD + '[drivers.security_shock]\nUZB = 1.5\n',
     ["security_shock.UZB", "1.5", "[0.0, 1.0]"]),
    ("disposition_as_driver", HEAD + '[drivers.leader_disposition]\nUZB = 0.5\n',
     ["drivers", "leader_disposition", "allowed", "security_shock"]),
    ("single_bracket_table", HEAD + '[leader_changes]\nyear = 2000\ncountry = "UZB"\n',
     ["leader_changes", "[[leader_changes]]", "allowed"]),
    ("single_bracket_nested_table", HEAD + '[assumptions.dispositions]\ncountry = "UZB"\nyear = 1993\n'
     'disposition = 0.5\nnote = "x"\n', ["one [[assumptions.dispositions]] table per entry"]),
    ("unknown_leader", HEAD + '[[leader_changes]]\nyear = 2000\ncountry = "UZB"\nleader = "Nobody"\n',
     ["leader_changes[0]", "Nobody", "allowed", "Mirziyoyev"]),
    ("leader_and_value", HEAD + '[[leader_changes]]\nyear = 2000\ncountry = "UZB"\nleader = "Karimov"\n'
     'disposition = 0.5\n', ["leader_changes[0]", "either leader"]),
    ("disposition_range_reversed", HEAD + '[[leader_changes]]\nyear = 2000\ncountry = "UZB"\n'
     'disposition_range = [0.8, 0.2]\n', ["leader_changes[0]", "low <= high"]),
    ("disposition_out_of_range", HEAD + '[[leader_changes]]\nyear = 2000\ncountry = "UZB"\ndisposition = 1.4\n',
     ["leader_changes[0].disposition", "less than or equal to 1"]),
    ("intervention_leaves_range", HEAD + '[[interventions]]\nyear = 2000\ntarget = "river_flow"\nscale = 10.0\n',
     ["interventions", "river_flow", "[0.2, 1.5]"]),
    ("unknown_country_leader_change", HEAD + '[[leader_changes]]\nyear = 2000\ncountry = "AFG"\n',
     ["leader_changes[0].country", "KAZ", "UZB"]),
    ("unknown_country_target", HEAD + '[[interventions]]\nyear = 2000\ntarget = "security_shock.AFG"\nset = 0.5\n',
     ["interventions[0].target", "AFG", "allowed", "KAZ, KGZ, TJK, TKM, UZB"]),
    ("unknown_country_driver_table", HEAD + '[drivers.security_shock]\nAFG = 0.5\n',
     ["drivers", "AFG", "allowed", "UZB"]),
    ("unknown_driver_target", HEAD + '[[interventions]]\nyear = 2000\ntarget = "gdp"\nset = 0.5\n',
     ["interventions[0].target", "gdp", "allowed", "river_flow"]),
    ("unknown_driver_table", HEAD + '[drivers.border_openness]\nKAZ = 0.5\n',
     ["drivers", "border_openness", "allowed", "security_shock"]),
    ("intervention_year_after_run", HEAD + '[[interventions]]\nyear = 2070\ntarget = "security_shock.KGZ"\nset = 0.5\n',
     ["interventions[0].year", "2070", "1991-2050"]),
    ("intervention_end_year_after_run",
     HEAD + '[[interventions]]\nyear = 2040\nend_year = 2060\ntarget = "river_flow"\nset = 0.8\n',
     ["interventions[0].end_year", "2060", "1991-2050"]),
    ("leader_change_year_before_run", HEAD + '[[leader_changes]]\nyear = 1980\ncountry = "UZB"\n',
     ["leader_changes[0].year", "1980", "1991-2050"]),
    ("end_before_start", 'name = "bad"\nstart_year = 2000\nend_year = 1995\n', ["end_year", "start_year"]),
    ("ramp_without_end_year", HEAD + '[[interventions]]\nyear = 2000\ntarget = "river_flow"\nramp = 0.8\n',
     ["interventions[0]", "ramp needs end_year"]),
    ("set_and_scale", HEAD + '[[interventions]]\nyear = 2000\ntarget = "river_flow"\nset = 0.8\nscale = 0.9\n',
     ["interventions[0]", "exactly one of set, scale or ramp"]),
    ("no_operation", HEAD + '[[interventions]]\nyear = 2000\ntarget = "river_flow"\n',
     ["interventions[0]", "exactly one of set, scale or ramp"]),
    ("end_year_before_year",
     HEAD + '[[interventions]]\nyear = 2000\nend_year = 1999\ntarget = "river_flow"\nset = 0.8\n',
     ["interventions[0]", "before year"]),
    ("missing_name", 'end_year = 2050\n', ["name", "required"]),
    ("bad_name", 'name = "a b"\n', ["name", "cannot name a folder", "allowed"]),
    ("extends_missing_file", HEAD + 'extends = "nowhere.toml"\n', ["extends", "nowhere.toml"]),
    ("invalid_toml", HEAD + 'replicates = \n', ["not valid TOML", "line 3"]),
]


@pytest.mark.parametrize(("text", "fragments"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_scenario_errors_are_one_line_naming_file_field_and_allowed(write_toml, text, fragments):
    path = write_toml(text, "bad.toml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_scenario_error_is_a_value_error():
    assert issubclass(ScenarioError, ValueError)


def test_missing_scenario_file(tmp_path):
    path = tmp_path / "absent.toml"
    with pytest.raises(ScenarioError, match="no such scenario file") as info:
        load_scenario(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_extends_cycle(write_toml):
    first = write_toml('name = "a"\nextends = "b.toml"\n', "a.toml")
    b = write_toml('name = "b"\nextends = "a.toml"\n', "b.toml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(first)
    message = str(info.value)
    assert "\n" not in message
    assert "extends" in message and "cycle" in message
    assert str(b) in message or str(first) in message


def test_extends_itself(write_toml):
    path = write_toml('name = "self"\nextends = "self.toml"\n', "self.toml")
    with pytest.raises(ScenarioError, match="cycle") as info:
        load_scenario(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_error_in_a_parent_names_the_parent_file(write_toml):
    parent = write_toml(HEAD.replace('"bad"', '"parent"') + 'replicates = "many"\n', "parent.toml")
    child = write_toml('name = "child"\nextends = "parent.toml"\n', "child.toml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{parent}: ") and "replicates" in message


def test_bad_override_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="replicates") as info:
        load_scenario("baseline", replicates=0)
    assert "baseline.toml" in str(info.value) and "\n" not in str(info.value)
