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
from sim.io.input_files import InputError

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
    table = read_table("recorded_gdp")
    spec = DRIVER_SPECS["gdp_vs_trend"]
    geo = load_geography()
    for k, row in table.iterrows():
        where = f"{FILE}: row {k + 2}"
        if not START_YEAR <= row.year <= LAST_RECORDED_YEAR:
            raise InputError(f"{where}: year = {row.year}; allowed: {START_YEAR}-{LAST_RECORDED_YEAR}")
        if row.state not in STATES:
            raise InputError(f"{where}: state = {row.state!r}; allowed: {', '.join(STATES)}")
        ratio = row.gdp_busd / geo.trend_gdp(int(row.year))[STATES.index(row.state)]
        if not np.isfinite(ratio) or not spec.min <= ratio <= spec.max:
            raise InputError(f"{where}: gdp_busd = {row.gdp_busd}; allowed: between {spec.min} and {spec.max} "
                             f"times the state's trend GDP of that year ({spec.unit})")
        if not isinstance(row.source, str) or not row.source.strip():
            raise InputError(f"{where}: source is empty; every recorded GDP names its source")
    if table.duplicated(["year", "state"]).any():
        year, state = table.loc[table.duplicated(["year", "state"]), ["year", "state"]].iloc[0]
        raise InputError(f"{FILE}: year = {year}, state = {state} is given twice; allowed: one row per state and year")
    return table


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
