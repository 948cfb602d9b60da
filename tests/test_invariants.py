"""Invariants of a model run: ranges, counts, the shape of the tidy table and its variables."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import sim
from sim.inputs.geography import DYADS, STATES, load_geography
from sim.inputs.scenario import SCENARIO_DIR, load_scenario

REPLICATES = 3
TIDY = ["scenario", "replicate", "seed", "draw", "year", "scope", "entity", "variable", "value"]
UNIT_INTERVAL = (
    "integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop", "trust",
    "political", "delimited_share", "water_shortfall", "energy_deficit", "support",
)
REGION_REQUIRED = (
    "integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop", "trust",
    "conflict_incidents", "clashes", "water_shortfall", "energy_deficit", "delimited_share", "summit",
    "deal_water_km3", "deal_energy_gwh",
)
DYAD_REQUIRED = ("trade_flow", "border_openness", "trust", "water_energy_coop", "delimited_share",
                 "conflict_incidents", "clashes")
SHIPPED = sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


@pytest.fixture(scope="module")
def baseline():
    return sim.run("baseline", replicates=REPLICATES, seed=3)


@pytest.fixture(scope="module", params=SHIPPED)
def shipped_run(request):
    return sim.run(request.param, replicates=2, seed=4)


def _values(table, scope=None, variable=None):
    mask = np.ones(len(table), dtype=bool)
    if scope is not None:
        mask &= (table["scope"] == scope).to_numpy()
    if variable is not None:
        mask &= (table["variable"] == variable).to_numpy()
    return table.loc[mask, "value"].to_numpy()


def test_tidy_columns_and_no_missing_values(baseline):
    assert list(baseline.columns) == TIDY
    assert not baseline["value"].isna().any()
    assert set(baseline["scope"].unique()) == {"region", "country", "dyad"}
    assert sorted(baseline["replicate"].unique()) == list(range(REPLICATES))
    assert baseline["seed"].nunique() == REPLICATES
    scenario = load_scenario("baseline")
    assert sorted(baseline["year"].unique()) == list(range(scenario.start_year, scenario.end_year + 1))
    keys = ["replicate", "year", "scope", "entity", "variable"]
    assert not baseline.duplicated(keys).any()


@pytest.mark.parametrize("variable", UNIT_INTERVAL)
def test_index_and_dimensions_in_unit_interval(shipped_run, variable):
    values = _values(shipped_run, variable=variable)
    assert values.size > 0
    assert np.all((values >= 0.0) & (values <= 1.0)), (variable, values.min(), values.max())


def test_incidents_and_trade_non_negative(shipped_run):
    incidents = _values(shipped_run, variable="conflict_incidents")
    assert incidents.size > 0 and np.all(incidents >= 0.0)
    assert np.all(incidents == np.round(incidents))  # counts
    clashes = _values(shipped_run, variable="clashes")
    assert clashes.size == incidents.size
    assert np.all(clashes >= 0.0) and np.all(clashes == np.round(clashes))
    assert np.all(clashes <= incidents)  # a clash is an incident that escalated
    trade = _values(shipped_run, scope="dyad", variable="trade_flow")
    assert trade.size > 0 and np.all(trade >= 0.0)
    assert np.all(_values(shipped_run, scope="country", variable="gdp") > 0.0)


def test_summit_is_zero_or_one(shipped_run):
    summit = _values(shipped_run, scope="region", variable="summit")
    assert summit.size > 0
    assert set(np.unique(summit)) <= {0.0, 1.0}


def test_deal_water_flows_only_where_a_deal_was_kept(shipped_run):
    """The summer water released under deals is non-negative and comes only with a deal both
    sides kept; the energy delivered is non-negative."""
    water = _values(shipped_run, scope="region", variable="deal_water_km3")
    energy = _values(shipped_run, scope="region", variable="deal_energy_gwh")
    kept = _values(shipped_run, scope="region", variable="water_energy_coop")
    assert water.size == energy.size == kept.size > 0
    assert np.all(water >= 0.0) and np.all(energy >= 0.0)
    assert np.all(water[kept == 0.0] == 0.0)


def test_some_summits_and_incidents_happen(baseline):
    assert _values(baseline, scope="region", variable="summit").sum() > 0
    assert _values(baseline, scope="region", variable="conflict_incidents").sum() > 0


def test_dyad_entity_names_alphabetical(baseline):
    dyads = set(baseline.loc[baseline["scope"] == "dyad", "entity"].unique())
    for name in dyads:
        first, second = name.split("-")
        assert first < second and first in STATES and second in STATES
    expected = {f"{a}-{b}" for a, b in itertools.combinations(sorted(STATES), 2)}
    assert dyads == expected == set(DYADS)
    assert list(DYADS) == sorted(DYADS)


def test_country_entities_are_the_five_states(baseline):
    assert set(baseline.loc[baseline["scope"] == "country", "entity"].unique()) == set(STATES)
    assert set(baseline.loc[baseline["scope"] == "region", "entity"].unique()) == {"region"}


def test_required_variables_present(baseline):
    def variables(scope):
        return set(baseline.loc[baseline["scope"] == scope, "variable"].unique())

    assert set(REGION_REQUIRED) <= variables("region")
    assert set(DYAD_REQUIRED) <= variables("dyad")


def test_border_variables_only_for_neighbours_water_deals_only_for_deal_partners(baseline):
    geo = load_geography()
    index = {code: k for k, code in enumerate(STATES)}

    def entities(variable):
        rows = baseline[(baseline["scope"] == "dyad") & (baseline["variable"] == variable)]
        return set(rows["entity"].unique())

    neighbours = {d for d in DYADS if geo.adjacent[index[d[:3]], index[d[4:]]]}
    partners = {d for d in DYADS if geo.deal_partners[index[d[:3]], index[d[4:]]]}
    for variable in ("border_openness", "delimited_share", "conflict_incidents", "clashes"):
        assert entities(variable) == neighbours
    assert "KGZ-UZB" in neighbours and "KAZ-TJK" not in neighbours
    assert entities("water_energy_coop") == partners == {"KAZ-KGZ", "KGZ-UZB", "TJK-TKM", "TJK-UZB"}
    assert entities("trade_flow") == entities("trust") == set(DYADS)


@pytest.mark.parametrize("variable", ["conflict_incidents", "clashes"])
def test_region_incidents_and_clashes_are_the_sum_over_dyads(baseline, variable):
    dyad = baseline[(baseline["scope"] == "dyad") & (baseline["variable"] == variable)]
    region = baseline[(baseline["scope"] == "region") & (baseline["variable"] == variable)]
    by_dyads = dyad.groupby(["replicate", "year"], observed=True)["value"].sum()
    by_region = region.set_index(["replicate", "year"])["value"]
    np.testing.assert_allclose(by_dyads.sort_index().to_numpy(), by_region.sort_index().to_numpy())


def test_recording_a_few_variables_gives_the_same_values_as_recording_all():
    """``measure`` computes only what is recorded; what it computes does not depend on what else is."""
    from sim.model.engine import simulate
    from sim.model.indices import VARIABLES

    scenario = load_scenario("baseline")
    seeds = np.arange(1, 7)
    everything = simulate(scenario, seeds).series
    few = {("region", "integration_index"), ("country", "political"), ("dyad", "clashes"), ("dyad", "trust")}
    some = simulate(scenario, seeds, record=few).series
    assert {(scope, name) for scope, names in some.items() for name in names} == few
    for scope, name in few:
        np.testing.assert_array_equal(some[scope][name], everything[scope][name])
    assert {(scope, name) for scope, names in everything.items() for name in names} == {
        (scope, name) for scope, names in VARIABLES.items() for name in names}


def test_a_simulation_leaves_no_reference_cycles():
    """Each year's World is freed as soon as the next replaces it, not at the next full
    garbage collection (a cycle per year once kept a batch worker's memory growing)."""
    import gc

    from sim.model.engine import simulate

    scenario = load_scenario("baseline", end_year=2000)
    simulate(scenario, np.arange(3))
    gc.collect()
    simulate(scenario, np.arange(3))
    assert gc.collect() == 0
