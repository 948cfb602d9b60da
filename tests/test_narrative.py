"""Directions the scenarios must show over the posterior (20 runs, the scenarios' seeds).

Whether the model reproduces the narrative's patterns is measured, not asserted: ``casim
validate`` gives every pattern's pass rate over the posterior, and the README reports it. Here
only the directions of the scenario changes are tested, run by run paired (the same seed,
posterior draw and leaders' dispositions):

- UZB's 2016 opening opens the KGZ-UZB border and raises regional integration against the
  counterfactual without it, and it lowers UZB's trade barrier and raises its trade with the
  whole world relative to GDP, which the counterfactual keeps where it was;
- a water deficit by 2050 shows up as a larger water shortfall;
- before the new leader the paired histories are identical.
"""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.inputs.randomness import replicate_seeds
from sim.inputs.scenario import load_scenario

REPLICATES = 20


@pytest.fixture(scope="module")
def runs() -> dict[str, pd.DataFrame]:
    return {name: sim.run(name, replicates=REPLICATES)
            for name in ("baseline", "no_opening_2016", "water_deficit_2050")}


def _series(table: pd.DataFrame, scope: str, entity: str, variable: str) -> pd.DataFrame:
    """Values by year (rows) and seed (columns)."""
    rows = table[(table["scope"] == scope) & (table["entity"] == entity) & (table["variable"] == variable)]
    return rows.pivot(index="year", columns="seed", values="value")


def _kgz_uzb_openness(table):
    return _series(table, "dyad", "KGZ-UZB", "border_openness").mean(axis=1)


def test_runs_use_the_scenario_seed_and_pair_by_seed(runs):
    for name, table in runs.items():
        assert table["replicate"].nunique() == REPLICATES
        expected = set(replicate_seeds(load_scenario(name).seed, REPLICATES).tolist())
        assert set(table["seed"].unique()) == expected
    assert set(runs["baseline"]["seed"]) == set(runs["no_opening_2016"]["seed"]) == set(
        runs["water_deficit_2050"]["seed"])


def test_the_opening_opens_the_kgz_uzb_border(runs):
    opening = _kgz_uzb_openness(runs["baseline"]).loc[2019:2024].mean()
    closed = _kgz_uzb_openness(runs["no_opening_2016"]).loc[2019:2024].mean()
    assert opening > closed, f"KGZ-UZB border openness 2019-2024: {opening:.3f} with, {closed:.3f} without the opening"


def test_opening_raises_integration_2019_2030(runs):
    baseline = _series(runs["baseline"], "region", "region", "integration_index").loc[2019:2030].mean()
    closed = _series(runs["no_opening_2016"], "region", "region", "integration_index").loc[2019:2030].mean()
    difference = (baseline - closed).dropna()  # paired by seed
    assert len(difference) == REPLICATES
    assert difference.mean() > 0.0, f"paired mean difference of the index 2019-2030: {difference.mean():.4f}"


def test_the_opening_acts_on_uzbekistans_trade_regime(runs):
    """Trade answers policy: the new leader's regime lowers UZB's barrier from 2016 by more than
    the counterfactual's in every paired run, and raises its trade openness 2019-2024."""
    def uzb(name, variable):
        return _series(runs[name], "country", "UZB", variable)

    fall = {name: uzb(name, "trade_barrier").loc[2016] - uzb(name, "trade_barrier").loc[2024]
            for name in ("baseline", "no_opening_2016")}
    assert (fall["baseline"] > fall["no_opening_2016"]).all()
    openness = (uzb("baseline", "trade_openness") - uzb("no_opening_2016", "trade_openness")).loc[2019:2024].mean()
    assert openness.mean() > 0.0, f"paired mean difference of UZB's trade openness 2019-2024: {openness.mean():.4f}"


def test_water_deficit_raises_shortfall_2041_2050(runs):
    baseline = _series(runs["baseline"], "region", "region", "water_shortfall").loc[2041:2050].mean()
    deficit = _series(runs["water_deficit_2050"], "region", "region", "water_shortfall").loc[2041:2050].mean()
    difference = (deficit - baseline).dropna()
    assert len(difference) == REPLICATES
    assert difference.mean() > 0.0, (
        f"water shortfall 2041-2050: baseline {baseline.mean():.3f}, water_deficit_2050 {deficit.mean():.3f}"
    )


def test_histories_identical_before_the_new_leader(runs):
    """Common random numbers: the counterfactual differs from the baseline only from 2017,
    the first full year of UZB's new leader (in office from September 2016)."""
    baseline = _series(runs["baseline"], "region", "region", "integration_index")
    closed = _series(runs["no_opening_2016"], "region", "region", "integration_index")
    pd.testing.assert_frame_equal(baseline.loc[:2016], closed.loc[:2016], check_exact=True)
    assert not baseline.loc[2017:].equals(closed.loc[2017:])
