"""Directions and magnitudes of ``sim/model/rules/territory.py``: threat perception, border regimes,
incidents and clashes, ripeness, delimitation by difficulty."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import sim
from sim.inputs.geography import STATES
from sim.inputs.parameters import Parameters, parameter_specs
from sim.inputs.randomness import RandomStreams
from sim.model import dynamics
from sim.model.rules import economy, subjective, territory

N = len(STATES)
R = 2
TOL = 1e-12
KGZ, TJK, UZB, TKM, KAZ = (STATES.index(c) for c in ("KGZ", "TJK", "UZB", "TKM", "KAZ"))

unit = st.floats(0.0, 1.0, allow_nan=False)
matrices = arrays(float, (R, N, N), elements=unit)
rows = arrays(float, (R, N), elements=unit)
counts = arrays(float, (R, N, N), elements=st.integers(0, 30).map(float))

# The border decision with every term fixed, so the calibrated posterior does not matter.
BORDER = {"border_leader_weight": 1.0, "border_reciprocity": 1.0, "border_open_bias": 0.3, "border_steepness": 8.0,
          "border_threat_weight": 1.0, "border_adjust_rate": 0.6}


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    return np.maximum(matrix, np.swapaxes(matrix, 1, 2))


def _hand_set(*names: str) -> Parameters:
    """The documented (hand-set) defaults of the named parameters, the rest as shipped."""
    specs = parameter_specs()
    return Parameters({name: specs[name].assumed_default for name in names})


def _pair(value: float, i: int = KGZ, j: int = TJK) -> np.ndarray:
    matrix = np.zeros((1, N, N))
    matrix[0, i, j] = matrix[0, j, i] = value
    return matrix


NEVER = np.ones((1, N, N))  # forgiveness draws that never forgive (uniforms are < 1)


# ------------------------------------------------------------------ threat perception


@settings(max_examples=50, deadline=None)
@given(securitisation=matrices, shock=arrays(float, (N,), elements=unit), extra=arrays(float, (N,), elements=unit),
       incidents=counts, disposition=rows)
def test_securitise_rises_with_a_security_shock(geo, params, securitisation, shock, extra, incidents, disposition):
    securitisation = securitisation * geo.adjacent
    incidents = _symmetric(incidents)
    clashes = np.zeros((R, N, N))
    calm = territory.securitise(securitisation, shock, incidents, clashes, disposition, geo, params)
    shocked = territory.securitise(securitisation, np.clip(shock + extra, 0, 1), incidents, clashes, disposition,
                                   geo, params)
    assert np.all(shocked >= calm - TOL)
    assert np.all((shocked >= 0.0) & (shocked <= 1.0))
    assert np.all(shocked[:, ~geo.adjacent] == 0.0)


def test_a_shock_securitises_all_borders_of_the_state_on_both_sides(geo, params):
    shock = np.zeros(N)
    shock[KGZ] = 1.0  # Batken 1999-2000
    zeros = np.zeros((1, N, N))
    result = territory.securitise(zeros, shock, zeros, zeros, np.full((1, N), 0.5), geo, params)
    neighbours = geo.adjacent[KGZ]
    assert np.all(result[0, KGZ, neighbours] > 0.0)
    assert np.all(result[0, neighbours, KGZ] > 0.0)
    assert result[0, TKM, KAZ] == 0.0  # a border not touching KGZ


def test_a_closed_leader_perceives_more_threat_from_the_same_shock(geo, params):
    """The Osh violence of 2010 is one event on one border; Karimov's side perceives more of
    it than Otunbayeva's: securitisation is each side's own."""
    shock = np.zeros(N)
    shock[KGZ] = 0.8
    disposition = np.full((1, N), 0.5)
    disposition[0, KGZ], disposition[0, UZB] = 0.75, 0.4
    zeros = np.zeros((1, N, N))
    result = territory.securitise(zeros, shock, zeros, zeros, disposition, geo, params)
    assert result[0, UZB, KGZ] > result[0, KGZ, UZB] > 0.0


def test_securitisation_relaxes_without_shocks_incidents_or_clashes(geo, params):
    start = geo.adjacent[None] * 0.8
    zeros = np.zeros((1, N, N))
    relaxed = territory.securitise(start, np.zeros(N), zeros, zeros, np.full((1, N), 0.5), geo, params)
    assert np.all(relaxed[0][geo.adjacent] < 0.8)


def test_years_of_incidents_hold_securitisation_at_a_level_they_do_not_add_up(geo):
    """Twenty incidents a year for twenty years keep the perception at the incident level,
    far below what an armed clash brings."""
    params = Parameters({"incident_securitisation": 0.2, "securitisation_decay": 0.1, "clash_securitisation": 0.8})
    disposition = np.full((1, N), 0.5)
    incidents = _pair(20.0)
    zeros = np.zeros((1, N, N))
    securitisation = zeros.copy()
    levels = []
    for _ in range(20):
        securitisation = territory.securitise(securitisation, np.zeros(N), incidents, zeros, disposition, geo, params)
        levels.append(securitisation[0, KGZ, TJK])
    assert levels[-1] == pytest.approx(levels[1])
    assert levels[-1] == pytest.approx(0.2 * 20 / 21)
    clash = territory.securitise(securitisation, np.zeros(N), incidents, _pair(1.0), disposition, geo, params)
    assert clash[0, KGZ, TJK] > levels[-1] + 0.5


def test_a_clash_securitises_both_sides_whatever_the_leaders(geo, params):
    zeros = np.zeros((1, N, N))
    result = territory.securitise(zeros, np.zeros(N), zeros, _pair(1.0), np.ones((1, N)), geo, params)
    assert result[0, KGZ, TJK] == pytest.approx(params.clash_securitisation)
    assert result[0, TJK, KGZ] == pytest.approx(params.clash_securitisation)
    assert result[0, KGZ, UZB] == 0.0


@settings(max_examples=50, deadline=None)
@given(securitisation=matrices, share=matrices, shock=arrays(float, (N,), elements=unit), incidents=counts,
       clashes=arrays(float, (R, N, N), elements=st.sampled_from([0.0, 1.0])), disposition=rows)
def test_alarm_is_the_threat_perception_without_the_routine_of_incidents(
        geo, params, securitisation, share, shock, incidents, clashes, disposition):
    """Alarm takes the shocks and clashes of ``securitise`` and leaves its incidents out, so it
    never exceeds the whole perception that started at least as high."""
    securitisation = securitisation * geo.adjacent
    previous_alarm = securitisation * share
    incidents, clashes = _symmetric(incidents), _symmetric(clashes)
    zeros = np.zeros((R, N, N))
    alarm = territory.alarm(previous_alarm, shock, clashes, disposition, geo, params)
    without_incidents = territory.securitise(previous_alarm, shock, zeros, clashes, disposition, geo, params)
    whole = territory.securitise(securitisation, shock, incidents, clashes, disposition, geo, params)
    np.testing.assert_allclose(alarm, without_incidents, atol=TOL)
    assert np.all(alarm <= whole + TOL)
    assert np.all(alarm[:, ~geo.adjacent] == 0.0)


def test_incidents_raise_the_threat_perception_but_not_the_alarm(geo, params):
    zeros = np.zeros((1, N, N))
    disposition = np.full((1, N), 0.5)
    perception = territory.securitise(zeros, np.zeros(N), _pair(20.0), zeros, disposition, geo, params)
    alarm = territory.alarm(zeros, np.zeros(N), zeros, disposition, geo, params)
    assert perception[0, KGZ, TJK] > 0.0
    assert alarm[0, KGZ, TJK] == 0.0
    clash = territory.alarm(zeros, np.zeros(N), _pair(1.0), disposition, geo, params)
    assert clash[0, KGZ, TJK] == pytest.approx(params.clash_securitisation)
    assert clash[0, TJK, KGZ] == pytest.approx(params.clash_securitisation)


@pytest.fixture(scope="module")
def model_after_five_years():
    """The baseline Mesa model after five steps (1991-1995): a world with trade, trust and regimes."""
    model = sim.CentralAsia(scenario="baseline", rng=5)
    for _ in range(5):
        model.step()
    return model


def test_the_border_decision_weighs_the_alarm_not_the_whole_threat_perception(geo, model_after_five_years):
    """A world in which routine incidents have securitised every border but nothing alarmed
    it decides the same border regimes as a world with no threat at all."""
    model = model_after_five_years
    world = model.world
    calm = dataclasses.replace(world, securitisation=np.zeros_like(world.securitisation),
                               alarm=np.zeros_like(world.alarm))
    routine = dataclasses.replace(calm, securitisation=geo.adjacent[None] * 1.0)
    alarmed = dataclasses.replace(calm, alarm=geo.adjacent[None] * 1.0)

    def sides(state):
        streams = RandomStreams(np.array([5]))
        return dynamics.decide(state, model.drivers_now, model.year, model.params, model.geography,
                               streams).border_side

    np.testing.assert_array_equal(sides(routine), sides(calm))
    assert np.all(sides(alarmed) <= sides(calm))
    assert np.any(sides(alarmed) < sides(calm))


def test_a_year_of_incidents_without_shocks_or_clashes_leaves_the_alarm_at_zero(geo, model_after_five_years):
    """The step itself: last year's incidents securitise the border, they do not alarm it."""
    model = model_after_five_years
    zeros = np.zeros_like(model.world.alarm)
    world = dataclasses.replace(model.world, securitisation=zeros, alarm=zeros, clashes=zeros, incidents=_pair(20.0))
    drivers = SimpleNamespace(**{**vars(model.drivers_now),
                                 "security_shock": np.zeros_like(model.drivers_now.security_shock)})
    after = dynamics.step(world, drivers, model.year, model.params, model.geography, RandomStreams(np.array([5])))
    assert after.securitisation[0, KGZ, TJK] > 0.0
    assert np.all(after.alarm == 0.0)


# ---------------------------------------------------------------------- border regimes


@settings(max_examples=50, deadline=None)
@given(border_side=matrices, disposition=rows, trust=matrices, alarm=matrices, extra=matrices,
       dependence=arrays(float, (R, N, N), elements=st.floats(0.0, 0.2)), draw=matrices)
def test_border_side_lower_with_more_threat_higher_with_more_trust(
    geo, params, border_side, disposition, trust, alarm, extra, dependence, draw
):
    def choice(trust, alarm):
        return territory.border_side_choice(border_side, disposition, trust, alarm, dependence, draw, geo,
                                            params)
    base = choice(trust, alarm)
    more_threat = choice(trust, np.clip(alarm + extra, 0, 1))
    more_trust = choice(np.clip(trust + extra, 0, 1), alarm)
    assert np.all(more_threat <= base + TOL)
    assert np.all(more_trust >= base - TOL)
    for side in (base, more_threat, more_trust):
        assert np.all((side >= 0.0) & (side <= 1.0))
        assert np.all(side[:, ~geo.adjacent] == 0.0)


@settings(max_examples=50, deadline=None)
@given(border_side=matrices, disposition=rows, trust=matrices, alarm=matrices, draw=matrices)
def test_forgiving_never_closes_a_side(geo, params, border_side, disposition, trust, alarm, draw):
    """Forgiveness answers a closed side as if it were open, never the other way round."""
    dependence = np.zeros((R, N, N))
    forgiving = territory.border_side_choice(border_side, disposition, trust, alarm, dependence,
                                             np.zeros((R, N, N)), geo, params)
    strict = territory.border_side_choice(border_side, disposition, trust, alarm, dependence,
                                          np.ones((R, N, N)), geo, params)
    drawn = territory.border_side_choice(border_side, disposition, trust, alarm, dependence, draw, geo,
                                         params)
    assert np.all(forgiving >= drawn - TOL) and np.all(drawn >= strict - TOL)


def test_forgiveness_does_not_change_the_answer_to_an_open_neighbour(geo, params):
    side = geo.adjacent[None] * 1.0
    args = (np.full((1, N), 0.5), np.full((1, N, N), 0.5), np.zeros((1, N, N)), np.zeros((1, N, N)))
    forgiving = territory.border_side_choice(side, *args, np.zeros((1, N, N)), geo, params)
    strict = territory.border_side_choice(side, *args, NEVER, geo, params)
    np.testing.assert_array_equal(forgiving, strict)


def test_generous_tit_for_tat_reopens_a_closure_that_only_reciprocity_keeps(geo):
    """Both sides shut, no threat left, leaders at 0.5: plain tit-for-tat keeps the border
    shut for ever; with forgiveness (Nowak and Sigmund 1992) it reopens without a change
    of leader."""
    disposition = np.full((1, N), 0.5)
    trust = np.full((1, N, N), 0.5)
    quiet = np.zeros((1, N, N))
    streams = RandomStreams(np.array([7]))
    after = {}
    for forgiveness in (0.0, 1.0 / 3.0):
        params = Parameters({**BORDER, "border_open_bias": 0.0, "border_reciprocity": 2.0, "border_steepness": 10.0,
                             "border_forgiveness": forgiveness})
        side = np.zeros((1, N, N))
        for year in range(2000, 2030):
            side = territory.border_side_choice(side, disposition, trust, quiet, quiet,
                                                streams.uniform(year, 5, (N, N)), geo, params)
        after[forgiveness] = side[0, KGZ, UZB]
    assert after[0.0] < 0.05
    assert after[1.0 / 3.0] > 0.9


def test_closed_leader_with_a_high_threat_perception_closes(geo):
    params = Parameters(BORDER)
    side = geo.adjacent[None] * 1.0
    alarm = geo.adjacent[None] * 1.0
    trust = np.full((1, N, N), 0.3)
    for _ in range(10):
        side = territory.border_side_choice(side, np.full((1, N), 0.2), trust, alarm, np.zeros((1, N, N)),
                                            NEVER, geo, params)
    assert side[0, UZB, KGZ] < 0.2


def test_a_heavier_leader_weight_lets_one_side_close_alone(geo):
    """KGZ (0.55) and UZB (0.40) share one securitised border at low trust: with the leader's
    weight at 1 both sides end up alike; with a heavy weight UZB's side shuts while KGZ's
    stays clearly more open (the closure 'on Tashkent's initiative', Usenov 2024)."""
    disposition = np.full((1, N), 0.5)
    disposition[0, KGZ], disposition[0, UZB] = 0.55, 0.40
    alarm = geo.adjacent[None] * 0.3
    trust = np.full((1, N, N), 0.3)
    gaps = {}
    for weight in (1.0, 4.5):
        params = Parameters({**BORDER, "border_leader_weight": weight, "border_reciprocity": 0.3,
                             "border_steepness": 5.0})
        side = geo.adjacent[None] * 1.0
        for _ in range(20):
            side = territory.border_side_choice(side, disposition, trust, alarm, np.zeros((1, N, N)), NEVER,
                                                geo, params)
        gaps[weight] = side[0, KGZ, UZB] - side[0, UZB, KGZ]
        if weight > 1.0:
            assert side[0, UZB, KGZ] < 0.1
    assert gaps[4.5] > 0.3
    assert gaps[4.5] > gaps[1.0] + 0.15


def test_one_side_closes_when_its_leader_and_alarm_want_it(geo):
    """A shock in KGZ (2010) seen by a closed UZB leader and an open KGZ leader: the same
    parameters for both, yet only UZB's side shuts, because its own alarm is higher."""
    params = Parameters({**BORDER, "border_leader_weight": 3.0, "securitisation_from_shock": 0.7,
                         "securitisation_decay": 0.1})
    disposition = np.full((1, N), 0.5)
    disposition[0, KGZ], disposition[0, UZB] = 0.75, 0.35
    shock = np.zeros(N)
    shock[KGZ] = 0.8
    trust = np.full((1, N, N), 0.4)
    zeros = np.zeros((1, N, N))
    side = geo.adjacent[None] * 1.0
    alarm = zeros.copy()
    for _ in range(3):
        alarm = territory.alarm(alarm, shock, zeros, disposition, geo, params)
        side = territory.border_side_choice(side, disposition, trust, alarm, zeros, NEVER, geo, params)
    assert side[0, UZB, KGZ] < 0.2
    assert side[0, KGZ, UZB] > 0.6


def test_a_border_stays_passable_through_years_of_incidents_and_closes_after_a_clash(geo):
    """Incidents bring checks and queues, not closure; an armed clash closes the border."""
    params = Parameters({**BORDER, "incident_securitisation": 0.5, "clash_securitisation": 0.8,
                         "securitisation_decay": 0.15, "queue_friction": 0.35})
    disposition = np.full((1, N), 0.4)
    trust = np.full((1, N, N), 0.4)
    zeros = np.zeros((1, N, N))
    incidents = _pair(20.0)
    side = geo.adjacent[None] * 1.0
    securitisation, alarm = zeros.copy(), zeros.copy()
    for _ in range(10):
        securitisation = territory.securitise(securitisation, np.zeros(N), incidents, zeros, disposition, geo, params)
        alarm = territory.alarm(alarm, np.zeros(N), zeros, disposition, geo, params)
        side = territory.border_side_choice(side, disposition, trust, alarm, zeros, NEVER, geo, params)
    queues = economy.border_queues(territory.mutual(securitisation), trust, params)
    calm_queues = economy.border_queues(zeros, trust, params)
    assert securitisation[0, KGZ, TJK] > 0.5
    assert min(side[0, KGZ, TJK], side[0, TJK, KGZ]) > 0.8
    assert queues[0, KGZ, TJK] > calm_queues[0, KGZ, TJK]
    alarm = territory.alarm(alarm, np.zeros(N), _pair(1.0), disposition, geo, params)
    for _ in range(3):
        side = territory.border_side_choice(side, disposition, trust, alarm, zeros, NEVER, geo, params)
    assert max(side[0, KGZ, TJK], side[0, TJK, KGZ]) < 0.2


def test_a_more_open_side_last_year_is_not_less_open_this_year(geo):
    """Reciprocity answers the neighbour's side, not one's own: with everything else equal,
    the state whose side was more open stays at least as open (no overshoot from its own
    side into the wish, which made regimes flip-flop under fast, steep responses)."""
    params = Parameters({"border_reciprocity": 3.0, "border_steepness": 30.0, "border_adjust_rate": 0.74})
    disposition = np.full((1, N), 0.5)
    trust = np.full((1, N, N), 0.5)
    alarm = np.zeros((1, N, N))
    neighbour_closed = geo.adjacent[None] * 0.1
    after = {}
    for own in (0.2, 0.9):
        side = neighbour_closed.copy()
        side[0, KGZ, UZB] = own
        after[own] = territory.border_side_choice(side, disposition, trust, alarm, np.zeros((1, N, N)),
                                                  NEVER, geo, params)[0, KGZ, UZB]
    assert after[0.9] >= after[0.2]


# ---------------------------------------------------------------------- incidents


@settings(max_examples=50, deadline=None)
@given(hard=matrices, side=matrices, trust=matrices, shortfall=rows)
def test_incident_rate_zero_off_borders_and_on_settled_hard_stretches(geo, params, hard, side, trust, shortfall):
    hard = _symmetric(hard) * geo.adjacent
    rate = territory.incident_rate(hard, side, trust, shortfall, geo, params)
    assert np.all(rate >= 0.0)
    assert np.all(rate[:, ~geo.adjacent] == 0.0)
    np.testing.assert_allclose(rate, np.swapaxes(rate, 1, 2))
    settled = np.ones((R, N, N))
    assert np.all(territory.incident_rate(settled, side, trust, shortfall, geo, params) == 0.0)


def test_incidents_only_where_the_border_has_hard_stretches(geo, params):
    rate = territory.incident_rate(np.zeros((1, N, N)), np.ones((1, N, N)), np.zeros((1, N, N)), np.zeros((1, N)),
                                   geo, params)
    assert rate[0, KAZ, KGZ] == 0.0  # one treaty settled the whole line
    assert rate[0, KGZ, TJK] > rate[0, TJK, UZB] > rate[0, KAZ, UZB] > 0.0


def test_incident_rate_higher_with_less_trust_lower_when_the_border_is_closed(geo, params):
    undelimited = np.zeros((1, N, N))
    shortfall = np.zeros((1, N))
    open_side = np.ones((1, N, N))
    calm = territory.incident_rate(undelimited, open_side, np.full((1, N, N), 0.8), shortfall, geo, params)
    tense = territory.incident_rate(undelimited, open_side, np.full((1, N, N), 0.2), shortfall, geo, params)
    shut = territory.incident_rate(undelimited, np.zeros((1, N, N)), np.full((1, N, N), 0.2), shortfall, geo, params)
    assert np.all(tense[0][geo.adjacent & (geo.hard_share > 0)] > calm[0][geo.adjacent & (geo.hard_share > 0)])
    np.testing.assert_allclose(shut, 0.5 * tense)


@pytest.mark.parametrize("mutual_trust", [0.3, 0.5])
def test_default_incident_rate_gives_the_reported_kgz_tjk_counts(geo, mutual_trust):
    """About 450 km of the KGZ-TJK line undelimited (2011-2021): the hand-set rate gives
    within the reported 9 (2016, official) to 32 (2014, tally) incidents a year, at mutual
    trust 0.3-0.5 on an open border without water stress."""
    params = _hand_set("incident_rate_per_1000km")
    rate = territory.incident_rate(np.zeros((1, N, N)), np.ones((1, N, N)), np.full((1, N, N), mutual_trust),
                                   np.zeros((1, N)), geo, params)
    assert 9.0 <= rate[0, KGZ, TJK] <= 32.0


# ------------------------------------------------------------------------- clashes


@settings(max_examples=50, deadline=None)
@given(securitisation=matrices, trust=matrices, dispute=matrices, ripeness=matrices, extra=matrices)
def test_escalation_rises_with_militarisation_and_dispute_falls_with_trust_and_ripeness(
    params, securitisation, trust, dispute, ripeness, extra
):
    dispute, ripeness = _symmetric(dispute), _symmetric(ripeness)
    base = territory.escalation_chance(securitisation, trust, dispute, ripeness, params)
    assert np.all((base >= 0.0) & (base <= 1.0))
    np.testing.assert_allclose(base, np.swapaxes(base, 1, 2))
    more = _symmetric(extra)
    assert np.all(territory.escalation_chance(np.clip(securitisation + extra, 0, 1), trust, dispute, ripeness, params)
                  >= base - TOL)
    assert np.all(territory.escalation_chance(securitisation, trust, np.clip(dispute + more, 0, 1), ripeness, params)
                  >= base - TOL)
    assert np.all(territory.escalation_chance(securitisation, np.clip(trust + extra, 0, 1), dispute, ripeness, params)
                  <= base + TOL)
    assert np.all(territory.escalation_chance(securitisation, trust, dispute, np.clip(ripeness + more, 0, 1), params)
                  <= base + TOL)


def test_clashes_are_rare_against_incidents_at_the_reported_pre_2021_level(geo):
    """KGZ-TJK before 2021: 9-32 incidents a year, shootings included, and no fighting
    between the armies from 1991 to 2020; two such clashes came in 2021 and 2022. At those
    conditions (mutual trust 0.4, both sides' posts at the incident level of securitisation,
    a mild dispute) the hand-set escalation gives between one clash in a century and one in
    five years; at the tenser conditions of the late 2010s (trust 0.2, posts at 0.6, a
    bitter dispute) between one in five years and one a year."""
    params = _hand_set("incident_rate_per_1000km", "clash_escalation")
    expected = {}
    for trust, posts, dispute in ((0.4, 0.2, 0.3), (0.2, 0.6, 0.8)):
        trust_matrix = np.full((1, N, N), trust)
        rate = territory.incident_rate(np.zeros((1, N, N)), np.ones((1, N, N)), trust_matrix, np.zeros((1, N)),
                                       geo, params)
        chance = territory.escalation_chance(geo.adjacent[None] * posts, trust_matrix, np.full((1, N, N), dispute),
                                             np.zeros((1, N, N)), params)
        expected[trust] = rate[0, KGZ, TJK] * chance[0, KGZ, TJK]
        assert chance[0, KGZ, TJK] < 0.05  # a clash is a rare escalation of an incident
    assert 0.01 <= expected[0.4] <= 0.2
    assert 0.2 <= expected[0.2] <= 1.0


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**62), year=st.integers(1991, 2050), scale=st.floats(0.0, 40.0))
def test_draw_border_events_is_symmetric(geo, seed, year, scale):
    streams = RandomStreams(np.array([seed, seed + 1]))
    mean = _symmetric(np.ones((2, N, N)) * geo.adjacent * scale)
    drawn = territory.draw_border_events(mean, lambda m: streams.poisson(year, 2, m))
    np.testing.assert_array_equal(drawn, np.swapaxes(drawn, 1, 2))
    assert np.all(drawn >= 0.0)
    assert np.all(drawn == np.round(drawn))
    assert np.all(drawn[:, ~geo.adjacent] == 0.0)


def test_ripeness_rises_with_a_clash_and_fades_after(params):
    ripe = territory.ripen(np.zeros((1, N, N)), _pair(1.0), params)
    assert ripe[0, KGZ, TJK] == pytest.approx(params.ripeness_from_clash)
    assert ripe[0, KGZ, UZB] == 0.0
    faded = territory.ripen(ripe, np.zeros((1, N, N)), params)
    assert 0.0 <= faded[0, KGZ, TJK] < ripe[0, KGZ, TJK]


# --------------------------------------------------------------------------- trust


@settings(max_examples=50, deadline=None)
@given(trust=matrices, anchor=matrices, gain=arrays(float, (R, N, N), elements=st.floats(0.0, 0.3)),
       few=arrays(float, (R, N, N), elements=st.integers(0, 5).map(float)),
       more=arrays(float, (R, N, N), elements=st.integers(0, 5).map(float)),
       clashes=arrays(float, (R, N, N), elements=st.integers(0, 2).map(float)))
def test_incidents_and_clashes_never_raise_trust(params, trust, anchor, gain, few, more, clashes):
    loss_few = territory.border_trust_loss(few, clashes, trust, params)
    loss_many = territory.border_trust_loss(few + more, clashes + more, trust, params)
    assert np.all(loss_few >= 0.0) and np.all(loss_many <= trust + TOL)
    assert np.all(loss_many >= loss_few - TOL)
    after_few = subjective.update_trust(trust, anchor, loss_few, gain, params)
    after_many = subjective.update_trust(trust, anchor, loss_many, gain, params)
    assert np.all(after_many <= after_few + TOL)


def test_a_clash_costs_more_trust_than_a_year_of_incidents():
    """Incidents are a routine (their pressure saturates); a clash is not."""
    params = Parameters({"incident_trust_loss": 0.05, "clash_trust_loss": 0.2})
    trust = np.full((1, N, N), 0.5)
    none = np.zeros((1, N, N))
    year_of_incidents = territory.border_trust_loss(_pair(30.0), none, trust, params)[0, KGZ, TJK]
    one_incident = territory.border_trust_loss(_pair(1.0), none, trust, params)[0, KGZ, TJK]
    clash = territory.border_trust_loss(_pair(1.0), _pair(1.0), trust, params)[0, KGZ, TJK]
    assert year_of_incidents < 2.0 * one_incident
    assert clash > year_of_incidents


def test_years_of_incidents_wear_trust_down_to_a_level_not_to_zero(params):
    """Steady incidents cost a share of the trust there is, so trust settles where the
    anchor's pull balances them; an absorbing zero would keep every border shut."""
    params = Parameters({"incident_trust_loss": 0.3, "trust_learning_rate": 0.3})
    trust = np.full((1, N, N), 0.6)
    anchor = np.full((1, N, N), 0.4)
    for _ in range(50):
        loss = territory.border_trust_loss(_pair(20.0), np.zeros((1, N, N)), trust, params)
        trust = subjective.update_trust(trust, anchor, loss, np.zeros((1, N, N)), params)
    assert 0.05 < trust[0, KGZ, TJK] < 0.4


# ---------------------------------------------------------------------- delimitation


def _delimit(geo, params, delimited=None, hard=None, will=None, securitisation=None, ripeness=None):
    zeros = np.zeros((1, N, N))
    return territory.delimit(zeros if delimited is None else delimited, zeros if hard is None else hard,
                             zeros if will is None else will, zeros if securitisation is None else securitisation,
                             zeros if ripeness is None else ripeness, geo, params)


@settings(max_examples=50, deadline=None)
@given(easy=matrices, hard=matrices, will=matrices, securitisation=matrices, ripeness=matrices)
def test_delimit_never_decreases_and_never_exceeds_one(geo, params, easy, hard, will, securitisation, ripeness):
    easy, hard = _symmetric(easy) * geo.adjacent, _symmetric(hard) * geo.adjacent
    delimited = (1.0 - geo.hard_share) * easy + geo.hard_share * hard
    after, after_hard = territory.delimit(delimited, hard, will, securitisation, _symmetric(ripeness), geo, params)
    assert np.all(after >= delimited - TOL) and np.all(after_hard >= hard - TOL)
    assert np.all(after <= 1.0 + TOL) and np.all(after_hard <= 1.0)
    np.testing.assert_allclose(after, np.swapaxes(after, 1, 2))
    assert np.all(after[:, ~geo.adjacent] == 0.0)


def test_no_delimitation_on_a_border_that_is_not_an_issue(geo, params):
    after, after_hard = _delimit(geo, params, will=np.ones((1, N, N)))
    assert np.all(after == 0.0) and np.all(after_hard == 0.0)


@settings(max_examples=50, deadline=None)
@given(pair=st.sampled_from([(KAZ, KGZ), (KGZ, UZB), (KGZ, TJK), (TJK, UZB), (TKM, UZB), (KAZ, UZB)]),
       zero_side=st.booleans(), will=matrices)
def test_no_delimitation_without_joint_will_or_threat(geo, pair, zero_side, will):
    """With no initiative weight, neither side can settle the easy stretches alone, and a
    side that neither wills it nor feels threatened stops it."""
    params = Parameters({"delimitation_initiative_weight": 0.0})
    i, j = pair if zero_side else pair[::-1]
    will = will.copy()
    will[:, i, j] = 0.0
    securitisation = np.zeros((R, N, N))
    securitisation[:, j, :] = 0.5  # the issue is raised by j alone
    start = np.zeros((R, N, N))
    after, _ = territory.delimit(start, start, will, securitisation, start, geo, params)
    assert np.all(after[:, i, j] == 0.0) and np.all(after[:, j, i] == 0.0)


def test_a_state_that_feels_threatened_wants_its_easy_line_fixed(geo, params):
    """Neither leader is willing, but both sides feel threatened: the easy stretches are
    settled (KAZ, TKM and UZB settled theirs in 2000-2002 under Karimov and Niyazov); the
    hard ones are not."""
    securitisation = geo.adjacent[None] * 0.6
    after, after_hard = _delimit(geo, params, securitisation=securitisation)
    assert after[0, TJK, UZB] > 0.0
    assert after_hard[0, TJK, UZB] == 0.0


def test_easy_stretches_go_fast_and_the_hard_ones_wait_for_joint_will_above_the_bar(geo):
    """Two years of full joint will settle the whole easy line (KAZ's treaties of 2001 after
    talks from 1999). The hard stretches wait while the joint will is below the bar (here
    one side at 0.3 and no initiative: the smaller will counts); a keen side that carries
    the other (initiative weight 1, concessions) moves them."""
    will = np.ones((1, N, N))
    will[0, KGZ, TJK] = 0.3
    securitisation = geo.adjacent[None] * 1.0
    hard_after = {}
    for initiative in (0.0, 1.0):
        params = Parameters({"delimitation_rate": 0.5, "hard_delimitation_rate": 0.2,
                             "hard_delimitation_threshold": 0.4, "delimitation_initiative_weight": initiative})
        delimited, hard = np.zeros((1, N, N)), np.zeros((1, N, N))
        for _ in range(2):
            delimited, hard = territory.delimit(delimited, hard, will, securitisation, np.zeros((1, N, N)), geo, params)
        easy_part = 1.0 - geo.hard_share[KGZ, TJK]
        assert delimited[0, KGZ, TJK] == pytest.approx(easy_part + geo.hard_share[KGZ, TJK] * hard[0, KGZ, TJK])
        hard_after[initiative] = hard[0, KGZ, TJK]
        assert hard[0, TJK, UZB] == pytest.approx(0.4)  # both sides fully willing: two years at 0.2
    assert hard_after[0.0] == 0.0 < hard_after[1.0]


def test_the_pressure_after_clashes_moves_the_hard_stretches(geo):
    """KGZ-TJK: the easy part settled, both sides' will below the bar; a clash's ripeness
    lifts both over it (the 2022-2025 settlement after the clashes, Zartman 2000)."""
    params = Parameters({"hard_delimitation_rate": 0.3, "hard_delimitation_threshold": 0.4, "contested_basis_bar": 0.0})
    easy_done = geo.adjacent[None] * (1.0 - geo.hard_share)
    will = np.full((1, N, N), 0.2)
    stalled = _delimit(geo, params, delimited=easy_done, will=will)
    ripe = _delimit(geo, params, delimited=easy_done, will=will, ripeness=_pair(0.5))
    assert stalled[1][0, KGZ, TJK] == 0.0
    assert ripe[1][0, KGZ, TJK] > 0.0
    assert ripe[0][0, KGZ, TJK] > stalled[0][0, KGZ, TJK]


def test_a_keen_side_carries_a_reluctant_one_on_the_easy_stretches(geo):
    """UZB wants to settle its KGZ border, KGZ does not: the more weight the keener side
    carries, the further the easy stretches advance (Usenov 2024: UZB's settlements)."""
    will = np.zeros((1, N, N))
    will[0, UZB, KGZ] = 0.8
    securitisation = np.zeros((1, N, N))
    securitisation[0, UZB, TJK] = 0.5  # UZB feels threatened elsewhere: its borders are an issue
    progress = [_delimit(geo, Parameters({"delimitation_initiative_weight": weight}), will=will,
                         securitisation=securitisation)[0][0, KGZ, UZB]
                for weight in (0.0, 0.5, 1.0)]
    assert progress[0] == 0.0 and 0.0 < progress[1] < progress[2]


def test_delimitation_will_rises_with_disposition(params):
    trust = np.full((1, N, N), 0.5)
    low = territory.delimitation_will(np.full((1, N), 0.3), trust, params)
    high = territory.delimitation_will(np.full((1, N), 0.9), trust, params)
    assert np.all(high >= low) and np.any(high > low)
    assert np.all((high >= 0.0) & (high <= 1.0))


def test_the_disputed_maps_are_coded_for_kgz_tjk_and_kgz_uzb_only(geo):
    """borders.csv: Tajikistan's 1924-1927 maps against Kyrgyzstan's 1955-1959 ones
    (Asia-Plus 2014, 2016) and the KGZ-UZB dispute over which maps count (Goble 2013)."""
    contested = {(STATES[i], STATES[j]) for i, j in zip(*np.nonzero(np.triu(geo.contested_basis)))}
    assert contested == {("KGZ", "TJK"), ("KGZ", "UZB")}
    assert np.array_equal(geo.contested_basis, geo.contested_basis.T)


def test_a_disputed_legal_basis_holds_the_hard_stretches_at_a_will_that_moves_others(geo):
    """At the same joint will, the hard stretches move on TJK-UZB (no map dispute) but not on
    KGZ-TJK or KGZ-UZB, whose bar is raised; with the raise at 0 all three move."""
    will = np.full((1, N, N), 0.6)
    raised = Parameters({"hard_delimitation_rate": 0.3, "hard_delimitation_threshold": 0.4,
                         "contested_basis_bar": 0.5})  # bar 0.4 + 0.6 * 0.5 = 0.7 on the contested borders
    flat = Parameters({"hard_delimitation_rate": 0.3, "hard_delimitation_threshold": 0.4,
                       "contested_basis_bar": 0.0})
    held = _delimit(geo, raised, will=will, securitisation=_pair(1.0, KGZ, TJK) + _pair(1.0, KGZ, UZB)
                    + _pair(1.0, TJK, UZB))[1]
    moved = _delimit(geo, flat, will=will, securitisation=_pair(1.0, KGZ, TJK) + _pair(1.0, KGZ, UZB)
                     + _pair(1.0, TJK, UZB))[1]
    assert held[0, KGZ, TJK] == 0.0 and held[0, KGZ, UZB] == 0.0
    assert held[0, TJK, UZB] > 0.0
    assert moved[0, KGZ, TJK] > 0.0 and moved[0, KGZ, UZB] > 0.0
    assert moved[0, TJK, UZB] == pytest.approx(held[0, TJK, UZB])


def test_a_keen_leader_or_a_clash_clears_the_raised_bar(geo):
    """The raised bar is not a wall: full will on one side carried by initiative (Mirziyoyev's
    after 2016), or the pressure after a clash, moves a contested border's hard stretches."""
    params = Parameters({"hard_delimitation_rate": 0.3, "hard_delimitation_threshold": 0.4,
                         "contested_basis_bar": 0.5, "delimitation_initiative_weight": 1.0})
    started = _pair(0.5, KGZ, UZB) + _pair(0.5, KGZ, TJK)  # delimitation under way: the border is an issue
    keen = np.full((1, N, N), 0.3)
    keen[0, UZB, :] = 1.0  # Uzbekistan's leader fully willing, Kyrgyzstan's at 0.3
    carried = _delimit(geo, params, delimited=started, will=keen)[1]
    assert carried[0, KGZ, UZB] > 0.0
    ripe = _delimit(geo, params, delimited=started, will=np.full((1, N, N), 0.3), ripeness=_pair(0.6))[1]
    assert ripe[0, KGZ, TJK] > 0.0
