"""The tidy table built from a block of replicates: its rows do not depend on how the block is
filled, and building it leaves numpy's settings as they were."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pandas.testing as pdt

from sim.inputs.randomness import replicate_seeds
from sim.inputs.scenario import load_scenario
from sim.model import engine
from sim.model.engine import Trajectory, simulate, to_frame

REPLICATES = 2 * engine._REPLICATES_PER_FILL + 5  # more than two fill chunks, the last one partial


def _part(trajectory: Trajectory, first: int, last: int) -> Trajectory:
    return Trajectory(years=trajectory.years, seeds=trajectory.seeds[first:last],
                      series={scope: {name: values[:, first:last] for name, values in variables.items()}
                              for scope, variables in trajectory.series.items()})


def test_a_table_over_many_replicates_is_the_tables_of_its_parts_stacked():
    trajectory = simulate(load_scenario("baseline"), replicate_seeds(5, REPLICATES))
    draws = np.arange(REPLICATES) % 7
    whole = to_frame(trajectory, "baseline", draws=draws)
    cuts = [0, 1, engine._REPLICATES_PER_FILL + 3, REPLICATES]
    parts = [to_frame(_part(trajectory, first, last), "baseline", replicate_offset=first, draws=draws[first:last])
             for first, last in itertools.pairwise(cuts)]
    stacked = pd.concat(parts, ignore_index=True)
    for column in ("scenario", "scope", "entity", "variable"):
        stacked[column] = stacked[column].astype(whole[column].dtype)
    pdt.assert_frame_equal(whole, stacked, check_exact=True)


def test_building_the_table_restores_numpys_huge_page_setting():
    switch = engine.HUGE_PAGE_SWITCH
    trajectory = simulate(load_scenario("baseline"), replicate_seeds(6, 2))
    if switch is None:  # a numpy without the switch: the table is still built
        assert len(to_frame(trajectory, "baseline")) > 0
        return
    original = switch(True)
    try:
        for setting in (True, False):
            switch(setting)
            to_frame(trajectory, "baseline")
            assert switch(setting) is setting
    finally:
        switch(original)
