"""Directions of ``sim/rules/economy.py``: gravity trade behind border frictions, outside pull, GDP."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.geography import STATES
from sim.parameters import Parameters
from sim.rules import economy

N = len(STATES)
R = 2
TOL = 1e-9
KAZ, KGZ, TJK, UZB = (STATES.index(c) for c in ("KAZ", "KGZ", "TJK", "UZB"))

unit = st.floats(0.0, 1.0, allow_nan=False)
matrices = arrays(float, (R, N, N), elements=unit)
flags = arrays(float, (N,), elements=st.sampled_from([0.0, 1.0]))


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    return np.minimum(matrix, np.swapaxes(matrix, 1, 2))


def _flows(geo, params, *, openness, securitisation=None, trust=None, bloc=None, participation=None, depth=None,
           gdp=None):
    r = openness.shape[0]
    return economy.trade_flows(
        geo.gdp_2023_busd[None] * np.ones((r, 1)) if gdp is None else gdp,
        openness,
        np.zeros((r, N, N)) if securitisation is None else securitisation,
        np.full((r, N, N), 0.5) if trust is None else trust,
        np.zeros(N) if bloc is None else bloc,
        np.zeros((r, N)) if participation is None else participation,
        np.zeros(r) if depth is None else depth,
        geo, params,
    )


@settings(max_examples=50, deadline=None)
@given(openness=matrices, securitisation=matrices, trust=matrices, bloc=flags,
       participation=arrays(float, (R, N), elements=st.sampled_from([0.0, 1.0])),
       depth=arrays(float, (R,), elements=unit),
       gdp=arrays(float, (R, N), elements=st.floats(0.5, 500.0)))
def test_trade_flows_symmetric_zero_diagonal_non_negative(geo, params, openness, securitisation, trust, bloc,
                                                          participation, depth, gdp):
    flows = _flows(geo, params, openness=_symmetric(openness) * geo.adjacent,
                   securitisation=_symmetric(securitisation) * geo.adjacent, trust=trust, bloc=bloc,
                   participation=participation, depth=depth, gdp=gdp)
    np.testing.assert_allclose(flows, np.swapaxes(flows, 1, 2), rtol=1e-12, atol=0)
    assert np.all(flows[:, np.arange(N), np.arange(N)] == 0.0)
    assert np.all(flows >= 0.0)
    assert np.all(np.isfinite(flows))


@settings(max_examples=50, deadline=None)
@given(openness=matrices, extra=matrices, securitisation=matrices, trust=matrices, bloc=flags)
def test_trade_flows_monotone_in_openness(geo, params, openness, extra, securitisation, trust, bloc):
    low = _symmetric(openness) * geo.adjacent
    high = np.clip(low + _symmetric(extra), 0.0, 1.0) * geo.adjacent
    securitisation = _symmetric(securitisation) * geo.adjacent
    closed = _flows(geo, params, openness=low, securitisation=securitisation, trust=trust, bloc=bloc)
    opened = _flows(geo, params, openness=high, securitisation=securitisation, trust=trust, bloc=bloc)
    assert np.all(opened >= closed * (1 - 1e-12) - TOL)


def test_trade_grows_in_step_with_gdp(geo, params):
    """Structural gravity: doubling every GDP doubles every flow, as it doubles trade with
    the rest of the world, so the intra-regional share moves only with the frictions."""
    openness = np.full((1, N, N), 0.7)
    gdp = geo.gdp_2023_busd[None] * 1.0
    flows = _flows(geo, params, openness=openness, gdp=gdp)
    doubled = _flows(geo, params, openness=openness, gdp=2.0 * gdp)
    np.testing.assert_allclose(doubled, 2.0 * flows)
    np.testing.assert_allclose(economy.extra_regional_trade(2.0 * gdp, params),
                               2.0 * economy.extra_regional_trade(gdp, params))


def test_closed_borders_stop_trade(geo, params):
    assert np.all(_flows(geo, params, openness=np.zeros((1, N, N))) == 0.0)


def test_trade_goes_round_a_closed_border_through_a_neighbour(geo, params):
    partly_open = geo.adjacent[None] * 0.8
    openness = partly_open.copy()
    openness[0, KGZ, UZB] = openness[0, UZB, KGZ] = 0.0  # UZB closes its KGZ border (2010-2017)
    flows = _flows(geo, params, openness=openness)
    assert flows[0, KGZ, UZB] > 0.0  # transit through KAZ or TJK
    assert flows[0, KGZ, UZB] < _flows(geo, params, openness=partly_open)[0, KGZ, UZB]


@settings(max_examples=50, deadline=None)
@given(openness=st.floats(0.1, 1.0), securitisation=st.floats(0.01, 1.0), trust=st.floats(0.0, 0.99))
def test_customs_union_lowers_tariffs_but_queues_persist(geo, params, openness, securitisation, trust):
    open_borders = geo.adjacent[None] * openness
    tense = geo.adjacent[None] * securitisation
    trusting = np.full((1, N, N), trust)
    union = np.zeros(N)
    union[[KAZ, KGZ]] = 1.0  # both in the EAEU from 2015
    outside = _flows(geo, params, openness=open_borders, securitisation=tense, trust=trusting)
    inside = _flows(geo, params, openness=open_borders, securitisation=tense, trust=trusting, bloc=union)
    frictionless = _flows(geo, Parameters({"tariff_equivalent": 0.0, "queue_friction": 0.0}),
                          openness=open_borders, securitisation=tense, trust=trusting, bloc=union)
    assert inside[0, KAZ, KGZ] > outside[0, KAZ, KGZ]
    # Truck queues on the KGZ-KAZ border after accession: still below the frictionless potential.
    assert inside[0, KAZ, KGZ] < frictionless[0, KAZ, KGZ]
    # Pairs outside the union are unaffected.
    assert inside[0, TJK, UZB] == outside[0, TJK, UZB]


def test_more_securitisation_and_less_trust_mean_longer_queues(geo, params):
    openness = geo.adjacent[None] * 1.0
    calm = _flows(geo, params, openness=openness, securitisation=np.zeros((1, N, N)), trust=np.ones((1, N, N)))
    tense = _flows(geo, params, openness=openness, securitisation=geo.adjacent[None] * 1.0,
                   trust=np.zeros((1, N, N)))
    assert np.all(tense[0][geo.adjacent] < calm[0][geo.adjacent])


def test_a_deep_regional_body_lowers_tariffs_for_participants(geo, params):
    openness = geo.adjacent[None] * 1.0
    everyone = np.ones((1, N))
    shallow = _flows(geo, params, openness=openness, participation=everyone, depth=np.zeros(1))
    deep = _flows(geo, params, openness=openness, participation=everyone, depth=np.ones(1))
    assert np.all(deep[0][geo.adjacent] > shallow[0][geo.adjacent])


# ------------------------------------------------------------------- outside pull


@settings(max_examples=50, deadline=None)
@given(bloc=flags, csto=flags, securitisation=matrices)
def test_outside_pull_higher_for_bloc_members(geo, params, bloc, csto, securitisation):
    securitisation = _symmetric(securitisation) * geo.adjacent
    for k in range(N):
        out, member = bloc.copy(), bloc.copy()
        out[k], member[k] = 0.0, 1.0
        pull_out = economy.outside_pull(out, csto, securitisation, geo, params)
        pull_in = economy.outside_pull(member, csto, securitisation, geo, params)
        assert np.all(pull_in[:, k] > pull_out[:, k])
        others = np.arange(N) != k
        np.testing.assert_array_equal(pull_in[:, others], pull_out[:, others])
    assert np.all(economy.outside_pull(bloc, csto, securitisation, geo, params) >= 0.0)


@settings(max_examples=50, deadline=None)
@given(remittances=arrays(float, (N,), elements=st.floats(0.0, 0.5)),
       more=arrays(float, (N,), elements=st.floats(0.001, 0.5)),
       securitisation=matrices)
def test_outside_pull_higher_for_higher_remittances(geo, params, remittances, more, securitisation):
    members = np.ones(N)
    low_geo = dataclasses.replace(geo, remittances_gdp=remittances)
    high_geo = dataclasses.replace(geo, remittances_gdp=remittances + more)
    securitisation = _symmetric(securitisation) * geo.adjacent
    low = economy.outside_pull(members, np.zeros(N), securitisation, low_geo, params)
    high = economy.outside_pull(members, np.zeros(N), securitisation, high_geo, params)
    assert np.all(high > low)
    # Remittances pull only toward a bloc the state belongs to.
    none_low = economy.outside_pull(np.zeros(N), np.zeros(N), securitisation, low_geo, params)
    none_high = economy.outside_pull(np.zeros(N), np.zeros(N), securitisation, high_geo, params)
    np.testing.assert_array_equal(none_low, none_high)


def test_kgz_and_tjk_feel_the_strongest_pull(geo, params):
    # Remittances of 25-48% of GDP: the largest pull among bloc members.
    pull = economy.outside_pull(np.ones(N), np.zeros(N), np.zeros((1, N, N)), geo, params)[0]
    assert min(pull[KGZ], pull[TJK]) > max(pull[KAZ], pull[UZB])


def test_threatened_csto_member_leans_on_the_alliance(geo, params):
    tense = geo.adjacent[None] * 1.0
    calm = np.zeros((1, N, N))
    csto = np.zeros(N)
    csto[KGZ] = 1.0
    assert economy.outside_pull(np.zeros(N), csto, tense, geo, params)[0, KGZ] > \
        economy.outside_pull(np.zeros(N), csto, calm, geo, params)[0, KGZ]


# --------------------------------------------------------------------------- GDP


@settings(max_examples=50, deadline=None)
@given(shortfall=arrays(float, (R, N), elements=unit), extra=arrays(float, (R, N), elements=unit),
       deficit=arrays(float, (R, N), elements=unit), year=st.integers(1991, 2050))
def test_gdp_falls_with_water_shortfall(geo, params, shortfall, extra, deficit, year):
    wet = economy.gdp(year, shortfall, deficit, geo, params)
    dry = economy.gdp(year, np.clip(shortfall + extra, 0, 1), deficit, geo, params)
    assert np.all(dry <= wet + TOL)
    assert np.all(dry >= 0.0)
