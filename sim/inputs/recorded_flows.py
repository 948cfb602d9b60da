"""Recorded river flows: the years whose natural flow is known, as outside drivers.

River flow is an outside driver (``shared/BRIEF.md``, "Inputs versus outcomes"): climate,
snow and glaciers set it, not the five states. Where a year's flow has been published, a
scenario with ``recorded_flows = true`` uses it: ``river_flow`` takes the recorded share
of the long-term mean and ``flow_noise`` is 0, so no run draws another flow for that
river in that year. Every other year keeps the drawn variability around ``river_flow``.

``sim/data/recorded_flows.csv`` holds one row per river and year: the recorded basin flow
as a share of the basin's long-term mean (the norms are in the file's header), and the
source. The model multiplies its own mean flow (``rivers.csv``) by that share.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from sim.inputs.drivers import DRIVER_SPECS, DriverPaths
from sim.inputs.geography import RIVERS, read_table
from sim.inputs.leaders import FIRST_YEAR
from sim.inputs.records import check_records

FILE = "sim/data/recorded_flows.csv"
# Flows are published up to the last year of the narrative.
LAST_RECORDED_YEAR = 2024


@cache
def recorded_flows() -> pd.DataFrame:
    """The recorded flows (year, river, flow, source), checked.

    Raises:
        InputError: a row outside 1991-2024, an unknown river, a flow outside the
            ``river_flow`` driver's range, a year given twice, or a row without a source.
    """
    spec = DRIVER_SPECS["river_flow"]

    def problem(row) -> str | None:
        if spec.min <= row.flow <= spec.max:
            return None
        return f"flow = {row.flow}; allowed: [{spec.min}, {spec.max}] ({spec.unit})"

    return check_records(read_table("recorded_flows"), FILE, "river", RIVERS, (FIRST_YEAR, LAST_RECORDED_YEAR),
                         problem, "flow")


def apply_recorded_flows(paths: DriverPaths) -> None:
    """Set ``river_flow`` to the recorded flow and ``flow_noise`` to 0 in every recorded year
    of the run."""
    table = recorded_flows()
    # Plain columns, not itertuples: that builds a namedtuple class per call, a reference cycle.
    for year, river, flow in zip(table["year"], table["river"], table["flow"]):
        step = year - FIRST_YEAR
        if step < len(paths.years):
            column = RIVERS.index(river)
            paths.paths["river_flow"][step, column] = flow
            paths.paths["flow_noise"][step, column] = 0.0
