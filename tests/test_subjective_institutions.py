"""Directions of ``sim/model/rules/subjective.py`` (trust, disputes) and ``sim/model/rules/institutions.py``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.inputs.geography import STATES
from sim.model.rules import institutions, subjective

N = len(STATES)
R = 3
TOL = 1e-12
UZB, KGZ, TKM = (STATES.index(c) for c in ("UZB", "KGZ", "TKM"))

unit = st.floats(0.0, 1.0, allow_nan=False)
matrices = arrays(float, (R, N, N), elements=unit)
rows = arrays(float, (R, N), elements=unit)
dispositions = arrays(float, (R, N), elements=unit)  # each run draws its leaders' dispositions
flags = arrays(float, (N,), elements=st.sampled_from([0.0, 1.0]))


# --------------------------------------------------------------------------- trust


@settings(max_examples=50, deadline=None)
@given(trust=matrices, disposition=dispositions, dispute=matrices, border_side=matrices,
       losses=arrays(float, (R, N, N), elements=st.floats(0.0, 5.0)),
       gain=arrays(float, (R, N, N), elements=st.floats(0.0, 0.3)))
def test_trust_stays_in_unit_interval(geo, params, trust, disposition, dispute, border_side, losses, gain):
    anchor = subjective.trust_anchor(disposition, dispute, border_side, geo.adjacent)
    assert np.all((anchor >= 0.0) & (anchor <= 1.0))
    updated = subjective.update_trust(trust, anchor, losses, gain, params)
    assert np.all((updated >= 0.0) & (updated <= 1.0))
    assert np.all(updated[:, np.arange(N), np.arange(N)] == 0.0)


@settings(max_examples=50, deadline=None)
@given(trust=matrices, anchor=matrices, gain=arrays(float, (R, N, N), elements=st.floats(0.0, 0.3)),
       extra=arrays(float, (R, N, N), elements=st.floats(0.0, 0.3)))
def test_summits_never_lower_trust(params, trust, anchor, gain, extra):
    no_loss = np.zeros((R, N, N))
    low = subjective.update_trust(trust, anchor, no_loss, gain, params)
    high = subjective.update_trust(trust, anchor, no_loss, gain + extra, params)
    assert np.all(high >= low - TOL)


def test_trust_moves_toward_its_anchor(params):
    trust = np.full((1, N, N), 0.2)
    anchor = np.full((1, N, N), 0.8)
    zero = np.zeros((1, N, N))
    updated = subjective.update_trust(trust, anchor, zero, zero, params)
    off = ~np.eye(N, dtype=bool)
    assert np.all((updated[0][off] > 0.2) & (updated[0][off] < 0.8))


def test_a_closed_border_lowers_the_anchor_of_trust(geo):
    disposition = np.full((1, N), 0.6)
    dispute = np.zeros((1, N, N))
    open_sides = geo.adjacent[None] * 1.0
    closed_sides = open_sides.copy()
    closed_sides[0, UZB, KGZ] = 0.0  # UZB closes its side toward KGZ
    open_anchor = subjective.trust_anchor(disposition, dispute, open_sides, geo.adjacent)
    closed_anchor = subjective.trust_anchor(disposition, dispute, closed_sides, geo.adjacent)
    assert closed_anchor[0, KGZ, UZB] < open_anchor[0, KGZ, UZB]  # KGZ trusts UZB less


# ------------------------------------------------------------------------ disputes


@settings(max_examples=50, deadline=None)
@given(dispute=matrices, incidents=arrays(float, (R, N, N), elements=st.integers(0, 3).map(float)),
       disposition=dispositions, change=flags)
def test_leader_change_reduces_dispute(params, dispute, incidents, disposition, change):
    same = subjective.update_disputes(dispute, incidents, disposition, np.zeros(N), params)
    new = subjective.update_disputes(dispute, incidents, disposition, change, params)
    assert np.all(new <= same + TOL)
    assert np.all((new >= 0.0) & (new <= 1.0))
    involved = np.maximum(change[:, None], change[None, :]).astype(bool)
    if params.leader_change_reset > 0:
        assert np.all(new[:, involved][same[:, involved] > 0] < same[:, involved][same[:, involved] > 0])
    np.testing.assert_array_equal(new[:, ~involved], same[:, ~involved])


def test_incidents_grow_disputes_between_closed_leaders(params):
    incidents = np.zeros((1, N, N))
    incidents[0, KGZ, UZB] = incidents[0, UZB, KGZ] = 1.0
    quiet = subjective.update_disputes(np.zeros((1, N, N)), np.zeros((1, N, N)), np.full((1, N), 0.3), np.zeros(N), params)
    clash = subjective.update_disputes(np.zeros((1, N, N)), incidents, np.full((1, N), 0.3), np.zeros(N), params)
    assert clash[0, KGZ, UZB] > quiet[0, KGZ, UZB] == 0.0


# ---------------------------------------------------------------------- institutions


@settings(max_examples=50, deadline=None)
@given(support=rows, extra=rows)
def test_summit_chance_increasing_in_support(params, support, extra):
    low = institutions.summit_chance(support, params)
    high = institutions.summit_chance(np.clip(support + extra, 0.0, 1.0), params)
    assert np.all(high >= low)
    assert np.all((low >= 0.0) & (low <= 1.0))
    assert low.shape == (R,)


@settings(max_examples=50, deadline=None)
@given(disposition=dispositions, trust=matrices, extra=matrices)
def test_willingness_to_meet_rises_with_trust(disposition, trust, extra):
    off_diagonal = 1.0 - np.eye(N)  # nobody trusts itself: the diagonal of trust is 0
    low = institutions.willingness_to_meet(disposition, trust * off_diagonal)
    high = institutions.willingness_to_meet(disposition, np.clip(trust + extra, 0, 1) * off_diagonal)
    assert np.all(high >= low - TOL)
    assert np.all((low >= 0.0) & (low <= 1.0 + TOL))


@settings(max_examples=50, deadline=None)
@given(depth=arrays(float, (R,), elements=unit), support=rows,
       taking_part=arrays(float, (R, N), elements=st.sampled_from([0.0, 1.0])))
def test_no_deepening_without_a_summit(params, depth, support, taking_part):
    after = institutions.update_depth(depth, support, taking_part, np.zeros(R), params)
    assert np.all(after <= depth + TOL)
    assert np.all((after >= 0.0) & (after <= 1.0))


@settings(max_examples=50, deadline=None)
@given(depth_share=arrays(float, (R,), elements=st.floats(0.0, 0.999)), support=rows,
       taking_part=arrays(float, (R, N), elements=st.sampled_from([0.0, 1.0])))
def test_body_wound_up_below_dissolution_depth_without_a_summit(params, depth_share, support, taking_part):
    depth = depth_share * params.dissolution_depth
    after = institutions.update_depth(depth, support, taking_part, np.zeros(R), params)
    np.testing.assert_array_equal(after, np.zeros(R))


def test_summits_with_broad_support_deepen_the_body(params):
    depth = np.zeros(1)
    support = np.full((1, N), 0.9)
    everyone = np.ones((1, N))
    after = institutions.update_depth(depth, support, everyone, np.ones(1), params)
    assert after[0] > depth[0]


@settings(max_examples=50, deadline=None)
@given(willingness=rows, pull=arrays(float, (R, N), elements=st.floats(0.0, 2.0)), neutrality=flags)
def test_support_zero_for_neutral_states(willingness, pull, neutrality):
    support = institutions.support(willingness, pull, neutrality)
    assert np.all(support[:, neutrality == 1.0] == 0.0)
    assert np.all((support >= 0.0) & (support <= 1.0))


def test_neutral_turkmenistan_stays_out(params):
    neutrality = np.zeros(N)
    neutrality[TKM] = 1.0  # permanent neutrality from 1995
    support = institutions.support(np.ones((1, N)), np.zeros((1, N)), neutrality)
    taking_part = institutions.participation(support, params)
    assert taking_part[0, TKM] == 0.0
    assert taking_part[0, UZB] == 1.0
