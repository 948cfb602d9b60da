"""Leader dispositions: sourced, coded by one rule, drawn within their ranges."""

import numpy as np
import pytest

from sim.inputs import leaders
from sim.inputs.geography import STATES
from sim.inputs.scenario import load_scenario
from sim.model.engine import simulate


@pytest.mark.parametrize("key", sorted(leaders.leader_table()))
def test_every_row_follows_the_coding_rule(key):
    row = leaders.leader_table()[key]
    coded = leaders.coded_disposition(list(row.indicators.values()))
    assert coded == (row.disposition.central, row.disposition.low, row.disposition.high)
    assert 0.0 <= row.disposition.low <= row.disposition.central <= row.disposition.high <= 1.0
    assert row.sources.strip() and all(i.evidence.strip() for i in row.indicators.values())
    assert all((i.score is None) == (i.quality == "missing") for i in row.indicators.values())


def test_one_leader_per_state_in_1991():
    assert sorted(leaders.leaders_in_1991()) == sorted(STATES)


def test_draws_stay_in_their_ranges_and_follow_the_triangle():
    mirziyoyev = leaders.leader("UZB", "Mirziyoyev").disposition
    karimov = leaders.leader("UZB", "Karimov").disposition
    values = leaders.draw([karimov, mirziyoyev], np.arange(20_000))
    for column, spec in enumerate((karimov, mirziyoyev)):
        assert np.all((values[:, column] >= spec.low) & (values[:, column] <= spec.high))
        # Triangular mean: (low + mode + high) / 3.
        assert values[:, column].mean() == pytest.approx((spec.low + spec.central + spec.high) / 3, abs=0.005)
    central = leaders.draw([karimov, mirziyoyev], np.arange(3), central=True)
    np.testing.assert_array_equal(central, [[karimov.central, mirziyoyev.central]] * 3)


def test_a_leaders_draw_depends_on_the_key_and_his_name_only():
    karimov = leaders.leader("UZB", "Karimov").disposition
    alone = leaders.draw([karimov], np.array([5, 6]))
    with_others = leaders.draw([leaders.leader("KAZ", "Tokayev").disposition, karimov], np.array([5, 6]))
    np.testing.assert_array_equal(alone[:, 0], with_others[:, 1])
    assert alone[0, 0] != alone[1, 0]


def test_runs_draw_dispositions_from_their_keys():
    scenario = load_scenario("baseline", end_year=1995)
    seeds = np.array([11, 12, 13])
    same_key = simulate(scenario, seeds, disposition_keys=np.array([1, 1, 1]), record={("region", "trust")})
    own_keys = simulate(scenario, seeds, record={("region", "trust")})
    central = simulate(scenario, seeds, central_dispositions=True, record={("region", "trust")})
    # Trust's anchor follows the leaders, so different draws give different trust paths.
    assert not np.allclose(own_keys.series["region"]["trust"], central.series["region"]["trust"])
    assert not np.allclose(same_key.series["region"]["trust"], own_keys.series["region"]["trust"])


def test_the_disposition_sweep_holds_one_leader_at_a_time(tmp_path):
    from sim.experiments.disposition_sweep import flips, sweep
    from sim.figures.sweeps import plot_disposition_sweep

    table = sweep(replicates=3, levels=2, seed=1)
    leaders_swept = table.groupby(["country", "first_full_year", "leader"]).size()
    assert len(leaders_swept) == len(leaders.leader_table()) and (leaders_swept == 2).all()
    for row in table.itertuples():
        assert row.disposition in (row.low, row.high)
    assert table[["kgz_uzb_shut", "kgz_uzb_reopens", "opening_raises_index"]].apply(lambda c: c.between(0, 1)).all().all()
    # Mirziyoyev's disposition is absent from the counterfactual, so the opening has an effect at both ends.
    mirziyoyev = table[table["leader"] == "Mirziyoyev"]
    assert (mirziyoyev["opening_effect"] != 0).all()
    assert set(flips(table)["leader"]) == {row.leader for row in leaders.leader_table().values()}
    assert plot_disposition_sweep(table, tmp_path / "sweep.png").stat().st_size > 0


def test_an_inferred_quantile_replaces_the_draw():
    karimov = leaders.leader("UZB", "Karimov").disposition
    tokayev = leaders.leader("KAZ", "Tokayev").disposition
    keys = np.array([5, 6, 7])
    drawn = leaders.draw([karimov, tokayev], keys)
    inferred = leaders.draw([karimov, tokayev], keys, quantiles={"UZB:Karimov": np.array([0.0, 0.5, 1.0])})
    np.testing.assert_allclose(inferred[:, 0], [karimov.low, karimov.quantile(np.array([0.5]))[0], karimov.high])
    np.testing.assert_array_equal(inferred[:, 1], drawn[:, 1])  # a leader without a quantile is drawn
    # one float serves every run; central values replace the draws, not the inferred quantiles
    assert np.all(leaders.draw([karimov], keys, quantiles={"UZB:Karimov": 1.0}) == karimov.high)
    central = leaders.draw([karimov, tokayev], keys, central=True, quantiles={"UZB:Karimov": 1.0})
    assert np.all(central[:, 0] == karimov.high) and np.all(central[:, 1] == tokayev.central)


def test_runs_take_inferred_dispositions_from_their_parameters():
    scenario = load_scenario("baseline", end_year=1996)
    seeds = np.array([11, 12, 13])
    record = {("country", "trade_barrier")}
    uzb = STATES.index("UZB")

    def barrier(quantile):
        trajectory = simulate(scenario, seeds, {"disposition:UZB:Karimov": quantile}, record=record)
        return trajectory.series["country"]["trade_barrier"][-1, :, uzb]

    closed, open_ = barrier(0.0), barrier(1.0)
    # Karimov's trade regime follows his disposition alone, so one quantile gives one path
    assert np.ptp(closed) == 0.0 and np.ptp(open_) == 0.0 and closed[0] > open_[0]
    drawn = simulate(scenario, seeds, record=record).series["country"]["trade_barrier"][-1, :, uzb]
    assert np.ptp(drawn) > 0.0
    assert leaders.split_quantiles({"trust_initial": 0.5, "disposition:UZB:Karimov": 0.2}) == (
        {"trust_initial": 0.5}, {"UZB:Karimov": 0.2})
    with pytest.raises(ValueError, match="no coded leader 'UZB:Karimovv'"):
        simulate(scenario, seeds, {"disposition:UZB:Karimovv": 0.2}, record=record)
    with pytest.raises(ValueError, match="disposition:UZB:Karimov = 1.5: a quantile of the coded range"):
        simulate(scenario, seeds, {"disposition:UZB:Karimov": 1.5}, record=record)
