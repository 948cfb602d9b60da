"""Directions of ``sim/model/rules/economy.py``: gravity trade behind border frictions and trade
regimes, the regimes themselves, outside pull, GDP."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.inputs.geography import STATES
from sim.inputs.parameters import Parameters
from sim.model.rules import economy

N = len(STATES)
R = 2
TOL = 1e-9
KAZ, KGZ, TJK, TKM, UZB = (STATES.index(c) for c in ("KAZ", "KGZ", "TJK", "TKM", "UZB"))

unit = st.floats(0.0, 1.0, allow_nan=False)
matrices = arrays(float, (R, N, N), elements=unit)
flags = arrays(float, (N,), elements=st.sampled_from([0.0, 1.0]))


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    return np.minimum(matrix, np.swapaxes(matrix, 1, 2))


def _flows(geo, params, *, openness, securitisation=None, trust=None, bloc=None, participation=None, depth=None,
           gdp=None, barrier=None):
    r = openness.shape[0]
    return economy.trade_flows(
        geo.gdp_2023_busd[None] * np.ones((r, 1)) if gdp is None else gdp,
        openness,
        np.zeros((r, N, N)) if securitisation is None else securitisation,
        np.full((r, N, N), 0.5) if trust is None else trust,
        np.zeros(N) if bloc is None else bloc,
        np.zeros((r, N)) if participation is None else participation,
        np.zeros(r) if depth is None else depth,
        np.zeros((r, N)) if barrier is None else barrier,
        geo, params,
    )


@settings(max_examples=50, deadline=None)
@given(openness=matrices, securitisation=matrices, trust=matrices, bloc=flags,
       participation=arrays(float, (R, N), elements=st.sampled_from([0.0, 1.0])),
       depth=arrays(float, (R,), elements=unit),
       gdp=arrays(float, (R, N), elements=st.floats(0.5, 500.0)),
       barrier=arrays(float, (R, N), elements=st.floats(0.0, 0.9)))
def test_trade_flows_symmetric_zero_diagonal_non_negative(geo, params, openness, securitisation, trust, bloc,
                                                          participation, depth, gdp, barrier):
    flows = _flows(geo, params, openness=_symmetric(openness) * geo.adjacent,
                   securitisation=_symmetric(securitisation) * geo.adjacent, trust=trust, bloc=bloc,
                   participation=participation, depth=depth, gdp=gdp, barrier=barrier)
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
    barrier = np.full((1, N), 0.3)
    np.testing.assert_allclose(economy.extra_regional_trade(2.0 * gdp, barrier, params),
                               2.0 * economy.extra_regional_trade(gdp, barrier, params))


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


# ------------------------------------------------------------------- trade regimes


@settings(max_examples=50, deadline=None)
@given(barrier=arrays(float, (R, N), elements=st.floats(0.0, 0.9)),
       disposition=arrays(float, (R, N), elements=unit),
       closed=st.floats(0.0, 0.9), rate=st.floats(0.05, 1.0))
def test_trade_regime_moves_part_way_toward_what_the_leader_wants(barrier, disposition, closed, rate):
    params = Parameters({"trade_barrier_closed": closed, "trade_policy_rate": rate})
    wanted = closed * (1.0 - disposition)
    new = economy.trade_policy(barrier, disposition, params)
    # Toward the wanted regime, never past it, and by the share trade_policy_rate of the gap.
    np.testing.assert_allclose(new - barrier, rate * (wanted - barrier), atol=1e-12)
    assert np.all(np.abs(wanted - new) <= np.abs(wanted - barrier) + TOL)
    assert np.all((new >= -TOL) & (new <= 0.9 + TOL))


@settings(max_examples=50, deadline=None)
@given(barrier=arrays(float, (R, N), elements=st.floats(0.0, 0.9)),
       disposition=arrays(float, (R, N), elements=st.floats(0.0, 0.9)), more=st.floats(0.01, 0.1))
def test_a_more_open_leader_lowers_the_barrier(params, barrier, disposition, more):
    closed = economy.trade_policy(barrier, disposition, params)
    opened = economy.trade_policy(barrier, disposition + more, params)
    assert np.all(opened < closed)


def test_a_new_open_leader_dismantles_the_regime_over_a_few_years(params):
    """Karimov (central disposition 0.5) then Mirziyoyev (1.0): the regime falls from its
    level under Karimov to near zero within five years, as Uzbekistan unified its exchange
    rate a year after the change and doubled its trade relative to GDP by 2022."""
    params = Parameters({"trade_barrier_closed": 0.6, "trade_policy_rate": 0.4})
    karimov, mirziyoyev = np.full((1, N), 0.5), np.full((1, N), 1.0)
    barrier = np.full((1, N), 0.3)  # 0.6 · (1 - 0.5): what Karimov wants, so it stays
    np.testing.assert_allclose(economy.trade_policy(barrier, karimov, params), barrier)
    path = [barrier]
    for _ in range(5):
        path.append(economy.trade_policy(path[-1], mirziyoyev, params))
    assert np.all(np.diff(np.stack(path)[:, 0, UZB]) < 0.0)
    np.testing.assert_allclose(path[1], 0.3 * 0.6)  # 40% of the gap closed in the first year
    assert np.all(path[5] < 0.3 * 0.1)  # over 90% of it in five


def test_regime_friction_compounds_both_sides_and_vanishes_only_when_both_are_open():
    barrier = np.zeros((1, N))
    barrier[0, UZB] = 0.3
    barrier[0, TKM] = 0.5
    friction = economy.regime_friction(barrier)
    np.testing.assert_allclose(friction, np.swapaxes(friction, 1, 2))
    assert friction[0, KAZ, KGZ] == 0.0  # two open regimes
    np.testing.assert_allclose(friction[0, KAZ, UZB], 0.3)  # one closed side is enough to lose trade
    np.testing.assert_allclose(friction[0, TKM, UZB], 1.0 - 0.5 * 0.7)  # losses compound


@settings(max_examples=50, deadline=None)
@given(barrier=arrays(float, (1, N), elements=st.floats(0.0, 0.8)), more=st.floats(0.01, 0.1),
       state=st.integers(0, N - 1))
def test_a_state_that_raises_its_barrier_trades_less_with_everyone(geo, params, barrier, more, state):
    openness = geo.adjacent[None] * 0.8
    higher = barrier.copy()
    higher[0, state] += more
    before = _flows(geo, params, openness=openness, barrier=barrier)
    after = _flows(geo, params, openness=openness, barrier=higher)
    others = np.arange(N) != state
    assert np.all(after[0, state, others] < before[0, state, others])
    assert np.all(economy.extra_regional_trade(geo.gdp_2023_busd[None], higher, params)[0, state]
                  < economy.extra_regional_trade(geo.gdp_2023_busd[None], barrier, params)[0, state])
    # Pairs without the state keep their trade, up to transit through it.
    assert after[0, KAZ, KGZ] <= before[0, KAZ, KGZ] + TOL


def test_a_customs_union_does_not_remove_the_members_own_regimes(geo, params):
    openness = geo.adjacent[None] * 1.0
    union = np.zeros(N)
    union[[KAZ, KGZ]] = 1.0
    barrier = np.zeros((1, N))
    controls = barrier.copy()
    controls[0, KGZ] = 0.3
    open_regimes = _flows(geo, params, openness=openness, bloc=union, barrier=barrier)
    with_controls = _flows(geo, params, openness=openness, bloc=union, barrier=controls)
    np.testing.assert_allclose(with_controls[0, KAZ, KGZ], 0.7 * open_regimes[0, KAZ, KGZ])


def test_opening_raises_trade_openness_with_the_rest_of_the_world_too(geo, params):
    """An opening acts on all of a state's trade, not only on its borders: with its borders
    as they were, UZB's trade relative to GDP rises by the regime's share of its trade."""
    openness = geo.adjacent[None] * 0.8
    gdp = geo.gdp_2023_busd[None] * 1.0
    closed, opened = np.zeros((1, N)), np.zeros((1, N))
    closed[0, UZB] = 0.3
    ratio = []
    for barrier in (closed, opened):
        flows = _flows(geo, params, openness=openness, gdp=gdp, barrier=barrier)
        extra = economy.extra_regional_trade(gdp, barrier, params)
        ratio.append(economy.trade_openness(flows, extra, gdp)[0, UZB])
    np.testing.assert_allclose(ratio[1] / ratio[0], 1.0 / 0.7)


# ------------------------------------------------------------------- outside pull


@settings(max_examples=50, deadline=None)
@given(bloc=flags, csto=flags, securitisation=matrices)
def test_outside_pull_higher_for_bloc_members(geo, params, bloc, csto, securitisation):
    securitisation = _symmetric(securitisation) * geo.adjacent
    for k in range(N):
        out, member = bloc.copy(), bloc.copy()
        out[k], member[k] = 0.0, 1.0
        pull_out = economy.outside_pull(out, csto, geo.remittances_gdp, securitisation, params)
        pull_in = economy.outside_pull(member, csto, geo.remittances_gdp, securitisation, params)
        assert np.all(pull_in[:, k] > pull_out[:, k])
        others = np.arange(N) != k
        np.testing.assert_array_equal(pull_in[:, others], pull_out[:, others])
    assert np.all(economy.outside_pull(bloc, csto, geo.remittances_gdp, securitisation, params) >= 0.0)


@settings(max_examples=50, deadline=None)
@given(remittances=arrays(float, (N,), elements=st.floats(0.0, 0.5)),
       more=arrays(float, (N,), elements=st.floats(0.001, 0.5)),
       securitisation=matrices)
def test_outside_pull_higher_for_higher_remittances(geo, params, remittances, more, securitisation):
    """A remittance shock (the driver falls) weakens the bloc's pull on its members only."""
    members = np.ones(N)
    securitisation = _symmetric(securitisation) * geo.adjacent
    low = economy.outside_pull(members, np.zeros(N), remittances, securitisation, params)
    high = economy.outside_pull(members, np.zeros(N), remittances + more, securitisation, params)
    assert np.all(high > low)
    # Remittances pull only toward a bloc the state belongs to.
    none_low = economy.outside_pull(np.zeros(N), np.zeros(N), remittances, securitisation, params)
    none_high = economy.outside_pull(np.zeros(N), np.zeros(N), remittances + more, securitisation, params)
    np.testing.assert_array_equal(none_low, none_high)


def test_kgz_and_tjk_feel_the_strongest_pull(geo, params):
    # Remittances of 25-48% of GDP: the largest pull among bloc members.
    pull = economy.outside_pull(np.ones(N), np.zeros(N), geo.remittances_gdp, np.zeros((1, N, N)), params)[0]
    assert min(pull[KGZ], pull[TJK]) > max(pull[KAZ], pull[UZB])


def test_threatened_csto_member_leans_on_the_alliance(geo, params):
    tense = geo.adjacent[None] * 1.0
    calm = np.zeros((1, N, N))
    csto = np.zeros(N)
    csto[KGZ] = 1.0
    assert economy.outside_pull(np.zeros(N), csto, geo.remittances_gdp, tense, params)[0, KGZ] > \
        economy.outside_pull(np.zeros(N), csto, geo.remittances_gdp, calm, params)[0, KGZ]


# --------------------------------------------------------------------------- GDP


@settings(max_examples=50, deadline=None)
@given(shortfall=arrays(float, (R, N), elements=unit), extra=arrays(float, (R, N), elements=unit),
       deficit=arrays(float, (R, N), elements=unit), year=st.integers(1991, 2050))
def test_gdp_falls_with_water_shortfall(geo, params, shortfall, extra, deficit, year):
    wet = economy.gdp(year, np.ones(N), shortfall, deficit, geo, params)
    dry = economy.gdp(year, np.ones(N), np.clip(shortfall + extra, 0, 1), deficit, geo, params)
    assert np.all(dry <= wet + TOL)
    assert np.all(dry >= 0.0)


def test_gdp_is_the_trend_times_the_gdp_driver(geo, params):
    no_loss = np.zeros((1, N))
    trend = economy.gdp(2005, np.ones(N), no_loss, no_loss, geo, params)[0]
    np.testing.assert_allclose(trend, geo.trend_gdp(2005))
    np.testing.assert_allclose(geo.trend_gdp(2023), geo.gdp_2023_busd)
    halved = economy.gdp(2005, np.full(N, 0.5), no_loss, no_loss, geo, params)[0]
    np.testing.assert_allclose(halved, 0.5 * trend)
