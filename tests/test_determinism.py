"""Determinism: a run depends only on its scenario and seed, and a replicate only on its own seed."""

from __future__ import annotations

import numpy as np
import pandas.testing as pdt
import pytest

import sim
from sim.inputs.posterior import plan
from sim.inputs.randomness import RandomStreams, replicate_seeds
from sim.inputs.scenario import load_scenario
from sim.model.engine import simulate, to_frame

REPLICATES = 3


@pytest.fixture(scope="module")
def first_run():
    return sim.run("baseline", replicates=REPLICATES, seed=42)


def test_same_scenario_and_seed_give_identical_tables(first_run):
    again = sim.run("baseline", replicates=REPLICATES, seed=42)
    pdt.assert_frame_equal(first_run, again, check_exact=True)


def test_scenario_object_and_name_give_identical_tables(first_run):
    pdt.assert_frame_equal(first_run, sim.run(load_scenario("baseline"), replicates=REPLICATES, seed=42),
                           check_exact=True)


def test_different_seed_gives_different_table(first_run):
    other = sim.run("baseline", replicates=REPLICATES, seed=43)
    assert set(other["seed"]).isdisjoint(set(first_run["seed"]))
    assert len(other) == len(first_run)
    assert not np.array_equal(other["value"].to_numpy(), first_run["value"].to_numpy())


def test_seed_defaults_to_the_scenario_seed():
    scenario = load_scenario("baseline")
    pdt.assert_frame_equal(sim.run("baseline", replicates=2), sim.run("baseline", replicates=2, seed=scenario.seed),
                           check_exact=True)


def _rerun_alone(replicate: int):
    """One replicate of a run over the posterior, rerun alone with its seed and draw."""
    runs = plan(42, REPLICATES)
    one = slice(replicate, replicate + 1)
    params = {name: values[one] for name, values in runs.parameters.items()}
    alone = to_frame(simulate(load_scenario("baseline"), runs.seeds[one], params), "baseline",
                     replicate_offset=replicate, draws=runs.draws[one])
    return runs.seeds[replicate], alone.reset_index(drop=True)


@pytest.mark.parametrize("replicate", range(REPLICATES))
def test_replicate_rerun_alone_equals_its_rows(first_run, replicate):
    seed, alone = _rerun_alone(replicate)
    rows = first_run[first_run["replicate"] == replicate].reset_index(drop=True)
    assert (rows["seed"] == seed).all()
    pdt.assert_frame_equal(alone, rows, check_exact=True)


def test_replicate_seeds_extend_without_changing_earlier_ones():
    few, many = replicate_seeds(7, 3), replicate_seeds(7, 10)
    np.testing.assert_array_equal(few, many[:3])
    assert len(set(many.tolist())) == 10
    assert np.all(many >= 0)


def test_random_streams_depend_only_on_each_replicates_seed():
    seeds = np.array([5, 17, 2**62 + 3])
    together = RandomStreams(seeds).uniform(2016, 1, (5, 5))
    for k, seed in enumerate(seeds):
        alone = RandomStreams(np.array([seed])).uniform(2016, 1, (5, 5))
        np.testing.assert_array_equal(alone[0], together[k])
    assert np.all((together > 0.0) & (together < 1.0))
    # A different year or stream gives different numbers.
    assert not np.array_equal(together, RandomStreams(seeds).uniform(2017, 1, (5, 5)))
    assert not np.array_equal(together, RandomStreams(seeds).uniform(2016, 2, (5, 5)))
