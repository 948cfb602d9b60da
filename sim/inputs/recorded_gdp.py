"""Recorded GDP: the years whose GDP is published, as an outside driver.

GDP is an outside driver in casim: the rules take it as given (apart from what water and
power shortages cost) and trade follows it by gravity. Without a record, each state's GDP is
a trend through its 2023 value (``sim/data/states.csv``: ``gdp_2023_busd`` and the assumed
``gdp_growth_trend``). A scenario with ``recorded_gdp = true`` uses the published GDP
instead wherever there is one: the ``gdp_vs_trend`` driver takes the record's ratio to the
trend, so :func:`sim.model.rules.economy.gdp` returns the record in those years.

``sim/data/recorded_gdp.csv`` holds one row per state and year, 1990-2023: GDP in current
US dollars (World Bank, World Development Indicators, NY.GDP.MKTP.CD), the unit in which the
trade of the patterns is reported. 1990 is the GDP the model starts from.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from sim.inputs.drivers import DRIVER_SPECS, DriverPaths
from sim.inputs.geography import STATES, load_geography, read_table
from sim.inputs.leaders import FIRST_YEAR
from sim.inputs.records import check_records

FILE = "sim/data/recorded_gdp.csv"
# The year whose GDP the model starts from, and the last year a record may give.
START_YEAR = FIRST_YEAR - 1
LAST_RECORDED_YEAR = 2024

@cache
def recorded_gdp() -> pd.DataFrame:
    """The recorded GDP (year, state, gdp_busd, source), checked.

    Raises:
        InputError: a row outside 1990-2024, an unknown state, a GDP the ``gdp_vs_trend``
            driver's range does not allow, a year given twice, or a row without a source.
    """
    spec = DRIVER_SPECS["gdp_vs_trend"]
    geo = load_geography()

    def problem(row) -> str | None:
        ratio = row.gdp_busd / geo.trend_gdp(int(row.year))[STATES.index(row.state)]
        if np.isfinite(ratio) and spec.min <= ratio <= spec.max:
            return None
        return (f"gdp_busd = {row.gdp_busd}; allowed: between {spec.min} and {spec.max} times the state's trend GDP "
                f"of that year ({spec.unit})")

    return check_records(read_table("recorded_gdp"), FILE, "state", STATES, (START_YEAR, LAST_RECORDED_YEAR),
                         problem, "GDP")


def recorded_ratio(year: int) -> np.ndarray:
    """Each state's recorded GDP over its trend in ``year`` (5,); 1 where there is no record."""
    table = recorded_gdp()
    geo = load_geography()
    ratio = np.ones(len(STATES))
    rows = table[table["year"] == year]
    for state, value in zip(rows["state"], rows["gdp_busd"]):
        column = STATES.index(state)
        ratio[column] = value / geo.trend_gdp(year)[column]
    return ratio


def apply_recorded_gdp(paths: DriverPaths) -> None:
    """Set ``gdp_vs_trend`` to the record's ratio to the trend in every recorded year of the run."""
    table = recorded_gdp()
    geo = load_geography()
    for year, state, value in zip(table["year"], table["state"], table["gdp_busd"]):
        step = year - FIRST_YEAR
        if 0 <= step < len(paths.years):
            column = STATES.index(state)
            paths.paths["gdp_vs_trend"][step, column] = value / geo.trend_gdp(int(year))[column]
