"""Directions and the water balance of ``sim/rules/water.py`` (upstream-downstream conflict, barter)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.drivers import DRIVER_SPECS
from sim.geography import RIVERS, STATES
from sim.rules import water

TOL = 1e-9
N = len(STATES)

unit = st.floats(0.0, 1.0, allow_nan=False)
flow_multiplier = st.floats(0.05, 2.0, allow_nan=False)  # the driver's range widened by the yearly noise
power_driver = st.floats(DRIVER_SPECS["power_demand"].min, DRIVER_SPECS["power_demand"].max, allow_nan=False)
demand_driver = st.floats(DRIVER_SPECS["irrigation_demand"].min, DRIVER_SPECS["irrigation_demand"].max,
                          allow_nan=False)


def _balance(geo, params, *, storage_share, flow, cover, power, demand=1.0, demand_km3=None):
    """One year's seasonal balance for one replicate; storage given as a share of capacity."""
    capacity = geo.reservoir_capacity_km3
    storage = (np.asarray(storage_share, float) * capacity)[None]
    if demand_km3 is None:
        demand_km3 = water.irrigation_demand(np.full(N, demand, dtype=float), geo, params)
    result = water.seasonal_balance(
        storage, np.asarray(flow, float)[None], capacity, demand_km3,
        np.broadcast_to(np.asarray(power, float), (N,)), np.asarray(cover, float)[None], geo, params,
    )
    return storage, result


def _soviet_winter_release(geo):
    upstream_formed = geo.flow_formed[np.arange(len(RIVERS)), geo.upstream]
    return geo.soviet_winter_release_share * geo.mean_flow_km3 * upstream_formed * geo.regulated_inflow_share


# ----------------------------------------------------------------------- river flow


@settings(max_examples=50, deadline=None)
@given(
    storage_share=st.tuples(unit, unit),
    flows=st.tuples(flow_multiplier, flow_multiplier, flow_multiplier, flow_multiplier),
    cover=st.tuples(unit, unit),
    power=power_driver,
    demand=demand_driver,
)
def test_less_river_flow_never_raises_supply_nor_lowers_shortfall(geo, params, storage_share, flows, cover, power,
                                                                 demand):
    high = np.maximum(flows[:2], flows[2:])
    low = np.minimum(flows[:2], flows[2:])
    _, wet = _balance(geo, params, storage_share=storage_share, flow=high, cover=cover, power=power, demand=demand)
    _, dry = _balance(geo, params, storage_share=storage_share, flow=low, cover=cover, power=power, demand=demand)
    assert np.all(dry.supplied_km3 <= wet.supplied_km3 + TOL)
    assert np.all(dry.shortfall >= wet.shortfall - TOL)


def test_a_drought_year_gives_a_shortfall_somewhere(geo, params):
    _, normal = _balance(geo, params, storage_share=(0.7, 0.7), flow=(1.0, 1.0), cover=(0.0, 0.0), power=1.0)
    _, drought = _balance(geo, params, storage_share=(0.7, 0.7), flow=(0.3, 0.3), cover=(0.0, 0.0), power=1.0)
    assert drought.shortfall.max() > normal.shortfall.max()
    assert drought.supplied_km3.sum() < normal.supplied_km3.sum()


# -------------------------------------------------------------------------- barter


@settings(max_examples=50, deadline=None)
@given(
    storage_share=st.tuples(unit, unit),
    flow=st.tuples(flow_multiplier, flow_multiplier),
    covers=st.tuples(unit, unit, unit, unit),
    power=st.floats(1.0, DRIVER_SPECS["power_demand"].max, allow_nan=False),
)
def test_more_fuel_cover_never_raises_energy_deficit_nor_lowers_summer_release(geo, params, storage_share, flow,
                                                                               covers, power):
    # Winter power demand at or above its 1991 level, as in every shipped scenario: the
    # upstream state then wants more in winter than the Soviet rule released.
    more = np.maximum(covers[:2], covers[2:])
    less = np.minimum(covers[:2], covers[2:])
    _, fuelled = _balance(geo, params, storage_share=storage_share, flow=flow, cover=more, power=power)
    _, short = _balance(geo, params, storage_share=storage_share, flow=flow, cover=less, power=power)
    upstream = geo.upstream
    assert np.all(fuelled.energy_deficit[:, upstream] <= short.energy_deficit[:, upstream] + TOL)
    assert np.all(fuelled.release_km3[:, :, water.SUMMER] >= short.release_km3[:, :, water.SUMMER] - TOL)


def test_power_need_exceeds_soviet_winter_release_at_1991_demand(geo):
    # The precondition of the test above holds for power demand >= 1.
    assert np.all(geo.winter_power_release_km3 >= _soviet_winter_release(geo))


def test_more_fuel_cover_never_raises_energy_deficit_at_low_power_demand(geo, params):
    power = 0.5  # allowed by the power_demand driver (0.3 .. 3.0)
    assert np.any(geo.winter_power_release_km3 * power < _soviet_winter_release(geo))
    results = [
        _balance(geo, params, storage_share=(0.6, 0.6), flow=(0.3, 0.3), cover=(c, c), power=power)[1]
        for c in (0.0, 1.0)
    ]
    short, fuelled = results
    upstream = geo.upstream
    assert np.all(fuelled.energy_deficit[:, upstream] <= short.energy_deficit[:, upstream] + TOL)
    assert np.all(fuelled.release_km3[:, :, water.SUMMER] >= short.release_km3[:, :, water.SUMMER] - TOL)


def test_fuel_cover_grows_with_delivered_fuel(geo, params):
    partners = geo.basin_partners.astype(float)[None]
    link = np.ones(N)
    none = water.fuel_cover(partners, np.zeros((1, N, N)), link, geo, params)
    full = water.fuel_cover(partners, np.ones((1, N, N)), link, geo, params)
    assert np.all(none == 0.0)
    assert np.all(full > 0.0)
    assert np.all(full <= params.barter_fuel_cover + TOL)


# ------------------------------------------------------------------- water balance


@settings(max_examples=50, deadline=None)
@given(
    storage_share=st.tuples(st.floats(0.0, 1.2), st.floats(0.0, 1.2)),
    flow=st.tuples(flow_multiplier, flow_multiplier),
    cover=st.tuples(unit, unit),
    power=power_driver,
    demand=demand_driver,
    capacity_share=st.tuples(st.floats(0.2, 1.5), st.floats(0.2, 1.5)),
)
def test_water_balance_closes_on_each_river(geo, params, storage_share, flow, cover, power, demand, capacity_share):
    """inflow == change in storage + withdrawals on the river + outflow, river by river."""
    capacity = geo.reservoir_capacity_km3 * np.asarray(capacity_share)
    storage = (np.asarray(storage_share) * geo.reservoir_capacity_km3)[None]
    demand_km3 = water.irrigation_demand(np.full(N, demand), geo, params)

    def balance(demand_km3):
        return water.seasonal_balance(storage, np.asarray(flow)[None], capacity, demand_km3, np.full(N, power),
                                      np.asarray(cover)[None], geo, params)

    both = balance(demand_km3)
    # Withdrawals on one river: the same year with demand on that river only.
    supplied_by_river = []
    for r in range(len(RIVERS)):
        only = np.zeros_like(demand_km3)
        only[:, r] = demand_km3[:, r]
        alone = balance(only)
        supplied_by_river.append(alone.supplied_km3.sum(axis=1))
        # Demand on the other river leaves this river's outflow unchanged.
        assert alone.outflow_km3[:, r] == pytest.approx(both.outflow_km3[:, r], abs=TOL)
    supplied_by_river = np.stack(supplied_by_river, axis=1)  # (R, 2)
    assert supplied_by_river.sum(axis=1) == pytest.approx(both.supplied_km3.sum(axis=1), abs=TOL)

    change = both.storage_km3 - storage
    np.testing.assert_allclose(both.inflow_km3, change + supplied_by_river + both.outflow_km3, rtol=0, atol=1e-8)
    # Summed over rivers.
    assert both.inflow_km3.sum() == pytest.approx(
        change.sum() + both.supplied_km3.sum() + both.outflow_km3.sum(), abs=1e-8
    )
    # Physical bounds.
    assert np.all(both.storage_km3 >= -TOL)
    assert np.all(both.storage_km3 <= np.maximum(capacity, storage) + TOL)
    assert np.all(both.outflow_km3 >= -TOL)
    assert np.all(both.release_km3 >= -TOL)


@settings(max_examples=50, deadline=None)
@given(
    storage_share=st.tuples(unit, unit),
    flow=st.tuples(flow_multiplier, flow_multiplier),
    cover=st.tuples(unit, unit),
    power=power_driver,
    demand=demand_driver,
)
def test_shortfall_and_energy_deficit_in_unit_interval(geo, params, storage_share, flow, cover, power, demand):
    _, year = _balance(geo, params, storage_share=storage_share, flow=flow, cover=cover, power=power, demand=demand)
    assert np.all((year.shortfall >= 0.0) & (year.shortfall <= 1.0))
    assert np.all((year.energy_deficit >= 0.0) & (year.energy_deficit <= 1.0))
    assert np.all(year.supplied_km3 <= year.demand_km3 + TOL)


# ------------------------------------------------------------------------- deals


@settings(max_examples=50, deadline=None)
@given(willingness=arrays(float, (3, N, N), elements=st.floats(0.0, 2.0)))
def test_deal_target_is_symmetric_and_binary(params, willingness):
    target = water.deal_target(willingness, params)
    np.testing.assert_array_equal(target, np.swapaxes(target, 1, 2))
    assert set(np.unique(target)) <= {0.0, 1.0}


def test_deal_needs_both_sides(params):
    willingness = np.zeros((1, N, N))
    willingness[0, 1, 4] = 2.0  # KGZ wants a deal with UZB, UZB does not
    assert water.deal_target(willingness, params).sum() == 0.0
    willingness[0, 4, 1] = 2.0
    target = water.deal_target(willingness, params)
    assert target[0, 1, 4] == target[0, 4, 1] == 1.0


def test_deal_willingness_zero_outside_basin_partners(geo, params):
    willingness = water.deal_willingness(np.ones((1, N, N)), np.ones((1, N)), np.ones((1, N)), 1.0,
                                         np.ones(1), geo, params)
    assert np.all(willingness[0][~geo.basin_partners] == 0.0)
    assert np.all(willingness[0][geo.basin_partners] > 0.0)


@settings(max_examples=50, deadline=None)
@given(
    trust=arrays(float, (2, N, N), elements=unit),
    extra=arrays(float, (2, N, N), elements=unit),
    uniform=arrays(float, (2, N, N), elements=st.floats(1e-9, 1.0 - 1e-9)),
    deal=arrays(float, (2, N, N), elements=unit),
)
def test_fuel_deliveries_monotone_in_trust(params, trust, extra, uniform, deal):
    more_trust = np.clip(trust + extra, 0.0, 1.0)
    low = water.fuel_deliveries(trust, deal, uniform, params)
    high = water.fuel_deliveries(more_trust, deal, uniform, params)
    assert np.all(high >= low)
    assert set(np.unique(high)) <= {0.0, 1.0}


def test_no_fuel_without_a_deal_and_always_at_full_trust(params):
    uniform = np.full((1, N, N), 0.999)
    assert water.fuel_deliveries(np.ones((1, N, N)), np.zeros((1, N, N)), uniform, params).sum() == 0.0
    assert np.all(water.fuel_deliveries(np.ones((1, N, N)), np.ones((1, N, N)), uniform, params) == 1.0)
