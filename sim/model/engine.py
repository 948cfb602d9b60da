"""Ensemble engine: many replicates advanced together through the same rule functions.

:func:`simulate` steps R replicates at once with :func:`sim.model.dynamics.step`; :func:`run`
returns the tidy table. Replicate k with seed s gives exactly what ``CentralAsia(rng=s)``
gives stepped by Mesa (see ``tests/test_parity.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.inputs import leaders
from sim.inputs.drivers import FIRST_YEAR
from sim.inputs.geography import DYADS, STATES, load_geography
from sim.inputs.parameters import Parameters
from sim.inputs.posterior import NO_DRAW, ParameterSource, Plan, parameter_source, plan
from sim.inputs.randomness import RandomStreams
from sim.inputs.scenario import Scenario, load_scenario
from sim.model import dynamics
from sim.model.indices import measure
from sim.model.rules import economy
from sim.model.world import World, initial_world

TIDY_COLUMNS = ["scenario", "replicate", "seed", "draw", "year", "scope", "entity", "variable", "value"]
ENTITIES = {"region": ("region",), "country": STATES, "dyad": DYADS}
_REPLICATES_PER_FILL = 64  # to_frame: 64 x 60 years x ~160 columns of float64 is about 5 MB
# numpy's switch for asking the kernel for huge pages (behind NUMPY_MADVISE_HUGEPAGE); None where absent
HUGE_PAGE_SWITCH = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)


@dataclass
class Trajectory:
    """Recorded variables of a block of replicates.

    Attributes:
        years: recorded years (T,).
        seeds: replicate seeds (R,).
        series: scope -> variable -> array (T, R) for the region or (T, R, entities).
    """

    years: np.ndarray
    seeds: np.ndarray
    series: dict[str, dict[str, np.ndarray]]


def start(scenario: Scenario, seeds: np.ndarray, params: Parameters) -> World:
    """The world entering 1991 for each replicate."""
    geo = load_geography()
    no_loss = np.zeros((1, len(STATES)))
    gdp_1990 = economy.gdp(FIRST_YEAR - 1, scenario.starting_gdp_vs_trend()[None], no_loss, no_loss, geo, params)[0]
    return initial_world(len(seeds), params, geo, gdp_1990)


def simulate(
    scenario: Scenario,
    seeds: np.ndarray,
    params: Mapping[str, float | np.ndarray] | None = None,
    on_year: Callable[[int], None] | None = None,
    record: Collection[tuple[str, str]] | None = None,
    disposition_keys: np.ndarray | None = None,
    central_dispositions: bool = False,
) -> Trajectory:
    """Advance one block of replicates from 1991 to the scenario's end year.

    Args:
        scenario: a validated scenario.
        seeds: one seed per replicate (R,).
        params: parameter values over the scenario's (floats, or (R,) arrays for designs), and
            leaders' inferred quantiles (``disposition:KEY`` columns of a posterior draw).
        on_year: called after each simulated year (progress).
        record: the ``(scope, variable)`` pairs to keep (default: all); batches keep only
            what their outcomes need.
        disposition_keys: what each replicate's leader dispositions are drawn from (R,);
            default: its seed. Replicates (and scenarios) with the same key draw the same
            disposition for the same leader (:func:`sim.inputs.leaders.draw`).
        central_dispositions: every leader his posterior draw does not infer at his central value instead of a draw.
    """
    geo = load_geography()
    values, quantiles = leaders.split_quantiles({**scenario.assumed_parameters, **(params or {})})
    parameters = Parameters(values)
    weights = scenario.index_weights.model_dump()
    drivers = scenario.driver_paths()
    streams = RandomStreams(seeds)
    keys = np.asarray(seeds if disposition_keys is None else disposition_keys)
    dispositions = leaders.draw(drivers.dispositions, keys, central=central_dispositions, quantiles=quantiles)
    world = start(scenario, seeds, parameters)
    years = scenario.years
    series: dict[str, dict[str, np.ndarray]] = {}
    for year in drivers.years:
        world = dynamics.step(world, drivers.at(int(year), dispositions), int(year), parameters, geo, streams)
        if year >= scenario.start_year:
            row = int(year - scenario.start_year)
            for scope, variables in measure(world, geo, parameters, weights).items():
                for name, values in variables.items():
                    if record is not None and (scope, name) not in record:
                        continue
                    if name not in series.setdefault(scope, {}):
                        series[scope][name] = np.empty((len(years), *np.shape(values)))
                    series[scope][name][row] = values
        if on_year is not None:
            on_year(int(year))
    return Trajectory(years=years, seeds=np.asarray(seeds), series=series)


@contextmanager
def _without_huge_pages() -> Iterator[None]:
    """numpy asks the kernel for transparent huge pages for every large array; where the kernel
    then compacts memory on the spot (``defrag`` set to ``madvise``), mapping the tidy table's
    ~300 MB of fresh columns took 0.2 to 0.7 s from one process to the next against a steady
    0.2 s with ordinary pages (``benchmarks/README.md``). The columns are written once and read
    in order, so they gain nothing from huge pages. The switch is numpy's own (the one behind
    its ``NUMPY_MADVISE_HUGEPAGE`` variable), turned off while the table is built and restored
    after; where a numpy lacks it, nothing changes."""
    if HUGE_PAGE_SWITCH is None:
        yield
        return
    was_on = HUGE_PAGE_SWITCH(False)
    try:
        yield
    finally:
        HUGE_PAGE_SWITCH(was_on)


def to_frame(trajectory: Trajectory, scenario_name: str, replicate_offset: int = 0,
             draws: np.ndarray | None = None) -> pd.DataFrame:
    """The tidy table (:func:`_tidy_table`), built with ordinary memory pages (:func:`_without_huge_pages`)."""
    with _without_huge_pages():
        return _tidy_table(trajectory, scenario_name, replicate_offset, draws)


def _tidy_table(trajectory: Trajectory, scenario_name: str, replicate_offset: int,
                draws: np.ndarray | None) -> pd.DataFrame:
    """The tidy table: one row per (replicate, year, scope, entity, variable), in that order.

    Built straight from the arrays: every recorded series of an entity becomes one column of
    a (replicates, years, columns) block whose columns are already in the table's order
    (scope, entity, variable, each alphabetical), so no sort is needed, and the text columns
    are categoricals made from codes. Series that do not exist for an entity (a border
    variable of two states without a border) are left out. ``draws`` gives each replicate's
    posterior draw (the ``draw`` column; -1 where the parameters were not a posterior draw).
    """
    years, seeds = trajectory.years, np.asarray(trajectory.seeds)
    n_years, n_reps = len(years), len(seeds)
    draws = np.full(n_reps, NO_DRAW) if draws is None else np.asarray(draws)
    columns, blocks = [], []  # (scope, entity, variable) of each column, and its values (T, R)
    for scope in sorted(trajectory.series):
        variables = trajectory.series[scope]
        entities = ENTITIES[scope]
        for k, entity in enumerate(entities):
            for name in sorted(variables):
                values = variables[name] if scope == "region" else variables[name][:, :, k]
                if not np.isnan(values[:, 0]).all():  # a series undefined for an entity is NaN throughout
                    columns.append((scope, entity, name))
                    blocks.append(values)
    n_columns = len(columns)
    block = np.empty((n_reps, n_years, n_columns))
    # filled a few replicates at a time so that reads and writes stay in the cache
    for first in range(0, n_reps, _REPLICATES_PER_FILL):
        chunk = block[first:first + _REPLICATES_PER_FILL]
        for c, values in enumerate(blocks):
            chunk[:, :, c] = values[:, first:first + _REPLICATES_PER_FILL].T
    values = block.reshape(-1)
    missing = np.isnan(values)
    keep = ~missing if missing.any() else None  # NaN only where a series is undefined in some years

    def rows(per_replicate: np.ndarray, per_year: np.ndarray | None = None, per_column: np.ndarray | None = None):
        """A column of the table in its (replicate, year, column) order, filled by broadcasting
        into one fresh array (``np.repeat`` and ``np.tile`` are several times slower here)."""
        source = per_column if per_column is not None else per_year if per_year is not None else per_replicate
        out = np.empty((n_reps, n_years, n_columns), dtype=np.asarray(source).dtype)
        if per_column is not None:
            out[...] = per_column
        elif per_year is not None:
            out[...] = per_year[:, None]
        else:
            out[...] = per_replicate[:, None, None]
        out = out.reshape(-1)
        return out if keep is None else out[keep]

    def categorical(part: int) -> pd.Categorical:
        labels = [c[part] for c in columns]
        categories = sorted(set(labels))
        # the smallest code type pandas keeps as it is (it would copy int16 codes into int8)
        code_type = np.int8 if len(categories) < np.iinfo(np.int8).max else np.int16
        codes = np.array([categories.index(label) for label in labels], dtype=code_type)
        return pd.Categorical.from_codes(rows(None, per_column=codes), categories=categories, validate=False)

    n_rows = len(values) if keep is None else int(keep.sum())
    return pd.DataFrame({
        "scenario": pd.Categorical.from_codes(np.zeros(n_rows, dtype=np.int8), categories=[scenario_name],
                                              validate=False),
        "replicate": rows(np.arange(replicate_offset, replicate_offset + n_reps, dtype=np.int32)),
        "seed": rows(seeds),
        "draw": rows(draws.astype(np.int32)),  # read_posterior keeps draw ids within int32
        "year": rows(None, per_year=years.astype(np.int16)),
        "scope": categorical(0),
        "entity": categorical(1),
        "variable": categorical(2),
        "value": values if keep is None else values[keep],
    }, columns=TIDY_COLUMNS, copy=False)


def simulate_plan(scenario: Scenario, plan: Plan, params: Mapping[str, float] | None = None,
                  on_year: Callable[[int], None] | None = None, record: Collection[tuple[str, str]] | None = None,
                  central_dispositions: bool = False) -> Trajectory:
    """Simulate the replicates of a plan (:func:`sim.inputs.posterior.plan`): each with its seed,
    posterior draw and disposition key. The scenario's assumed parameters and ``params``
    take precedence over the drawn values."""
    drawn = {name: value for name, value in plan.parameters.items() if name not in scenario.assumed_parameters}
    return simulate(scenario, plan.seeds, {**drawn, **(params or {})}, on_year, record,
                    disposition_keys=plan.disposition_keys, central_dispositions=central_dispositions)


def run(
    scenario: Scenario | str,
    replicates: int | None = None,
    seed: int | None = None,
    params: Mapping[str, float] | None = None,
    on_year: Callable[[int], None] | None = None,
    parameters: str | ParameterSource | None = None,
    seeds_per_draw: int = 1,
    central_dispositions: bool = False,
) -> pd.DataFrame:
    """Run a scenario over the posterior and return the tidy table.

    Each replicate pairs its seed with a posterior draw and with the leaders' dispositions
    drawn from a disposition key (:func:`sim.inputs.posterior.plan`), so the spread of the table is
    that of the parameters, the dispositions and chance.

    Args:
        scenario: a :class:`~sim.inputs.scenario.Scenario`, a path, or a shipped scenario's name.
        replicates: number of replicates (default: the scenario's).
        seed: run seed from which replicate seeds, draws and keys are derived (default: the
            scenario's).
        params: parameter overrides (over the drawn values).
        on_year: progress callback.
        parameters: ``"posterior"`` (default), ``"point"`` (the posterior's highest-density
            draw), a posterior or parameter-set CSV, or a :class:`~sim.inputs.posterior.ParameterSource`.
        seeds_per_draw: replicates that share one draw and one set of dispositions.
        central_dispositions: every leader his posterior draw does not infer at his central disposition instead of a draw.

    Example:
        >>> import sim
        >>> table = sim.run("baseline", replicates=2, seed=1)
        >>> sorted(table["scope"].unique())
        ['country', 'dyad', 'region']
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    replicates = replicates or scenario.replicates
    seed = scenario.seed if seed is None else seed
    source = parameters if isinstance(parameters, ParameterSource) else parameter_source(parameters)
    runs = plan(seed, replicates, seeds_per_draw, source)
    trajectory = simulate_plan(scenario, runs, params, on_year, central_dispositions=central_dispositions)
    return to_frame(trajectory, scenario.name, draws=runs.draws)
