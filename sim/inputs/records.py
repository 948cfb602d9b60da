"""Checks shared by the tables of recorded drivers (``sim/data/recorded_*.csv``): one row
per entity and year, within the years a record may give, each with its source."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from sim.io.input_files import InputError


def check_records(table: pd.DataFrame, file: str, entity: str, entities: Sequence[str], years: tuple[int, int],
                  value_problem: Callable[[pd.Series], str | None], noun: str) -> pd.DataFrame:
    """``table`` if every row is valid, else :class:`InputError` as one line naming the row.

    Args:
        entity: the column naming what was recorded (a river, a state), one of ``entities``.
        years: the first and last year a row may give.
        value_problem: the problem with a row's recorded value, or None.
        noun: what a row records, for the message ("flow", "GDP").
    """
    first, last = years
    for k, row in table.iterrows():
        where = f"{file}: row {k + 2}"
        if not first <= row.year <= last:
            raise InputError(f"{where}: year = {row.year}; allowed: {first}-{last}")
        if row[entity] not in entities:
            raise InputError(f"{where}: {entity} = {row[entity]!r}; allowed: {', '.join(entities)}")
        if (problem := value_problem(row)) is not None:
            raise InputError(f"{where}: {problem}")
        if not isinstance(row.source, str) or not row.source.strip():
            raise InputError(f"{where}: source is empty; every recorded {noun} names its source")
    repeated = table.duplicated(["year", entity])
    if repeated.any():
        year, name = table.loc[repeated, ["year", entity]].iloc[0]
        raise InputError(f"{file}: year = {year}, {entity} = {name} is given twice; allowed: one row per {entity} "
                         "and year")
    return table
