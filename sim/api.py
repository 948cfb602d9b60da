"""A plain function interface for exploratory-modelling tools (EMA Workbench and others).

:func:`evaluate` takes parameter values as keyword arguments, runs the ensemble engine once
and returns a dict of named outcomes: numbers (:data:`SCALAR_OUTCOMES`) and yearly series
(:data:`SERIES_OUTCOMES`, with their ``years``), each the mean over replicates.
:func:`ema_model` wraps it as an ``ema_workbench.Model``.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from sim.experiments.experiment import Summary
from sim.inputs.parameters import parameter_specs
from sim.inputs.posterior import parameter_source, plan
from sim.inputs.scenario import Scenario, load_scenario
from sim.model.engine import Trajectory, simulate_plan
from sim.model.outcomes import VariableRef

# One number per run, in the form of an experiment file's [outcomes] table; NaN when the
# scenario's output years do not cover the whole window.
SCALAR_OUTCOMES: dict[str, Summary] = {
    "integration_index_2030": Summary(variable="region.integration_index", year=2030),
    "integration_index_2050": Summary(variable="region.integration_index", year=2050),
    "trade_share_2050": Summary(variable="region.trade_share", year=2050),
    "water_shortfall_2041_2050": Summary(variable="region.water_shortfall", years=[2041, 2050]),
    "kgz_uzb_border_openness_2019_2024": Summary(variable="dyad.KGZ-UZB.border_openness", years=[2019, 2024]),
}
# Region-level series, one value per year in ``years``.
SERIES_OUTCOMES: dict[str, str] = {
    "integration_index": "region.integration_index",
    "trade_share": "region.trade_share",
    "water_shortfall": "region.water_shortfall",
    "border_openness": "region.border_openness",
}
# What :func:`evaluate` accepts besides the model parameters.
RUN_SETTINGS = ("scenario", "seed", "replicates", "parameters_from")
# The (scope, variable) pairs the engine records for these outcomes.
_RECORDED = frozenset(
    (ref.scope, ref.variable)
    for ref in map(VariableRef.parse, [*(s.variable for s in SCALAR_OUTCOMES.values()), *SERIES_OUTCOMES.values()])
)


def _summarise(trajectory: Trajectory, summary: Summary) -> float:
    """A summary's mean over replicates, or NaN if its window leaves the recorded years."""
    first, last = summary.span
    if first < trajectory.years[0] or last > trajectory.years[-1]:
        return math.nan
    return float(summary.value(trajectory).mean())


def evaluate(
    *,
    scenario: Scenario | str | Path = "baseline",
    seed: int = 0,
    replicates: int = 1,
    parameters_from: str = "posterior",
    **parameters: float,
) -> dict[str, float | np.ndarray]:
    """Run the model once and return its outcomes, averaged over replicates.

    All replicates advance together in one engine run; their seeds, posterior draws and
    leaders' dispositions come from ``seed`` as in :func:`sim.run`, so ``replicates=1`` gives
    exactly :func:`sim.run`'s replicate for that seed. Calls with the same ``seed`` use the
    same random numbers and draws (common random numbers), so differences between parameter
    values are paired. The parameters given replace the drawn ones.

    Args:
        scenario: a :class:`~sim.inputs.scenario.Scenario`, a scenario file path, or the name of a
            shipped scenario.
        seed: run seed from which the replicate seeds are derived.
        replicates: number of replicates to average over.
        parameters_from: where the parameters not given come from: ``posterior`` (a draw per
            replicate), ``point`` or a CSV file (:func:`sim.inputs.posterior.parameter_source`).
        **parameters: model parameter values by name (see ``sim/data/parameters.csv``);
            they override the scenario's.

    Returns:
        Every name in :data:`SCALAR_OUTCOMES` as a float, ``years`` (the scenario's output
        years) and every name in :data:`SERIES_OUTCOMES` as an array over ``years``.

    Raises:
        TypeError: a keyword is neither a run setting nor a model parameter.
        ValueError: a parameter lies outside its documented range, or ``replicates < 1``.

    Example:
        As an EMA Workbench model (:func:`ema_model` builds this one)::

            from ema_workbench import (ArrayOutcome, Model, RealParameter, ScalarOutcome,
                                       SequentialEvaluator)
            from sim.api import SCALAR_OUTCOMES, SERIES_OUTCOMES, evaluate
            from sim.inputs.parameters import parameter_specs

            specs = parameter_specs()
            model = Model("casim", function=evaluate)
            model.uncertainties = [RealParameter(name, specs[name].min, specs[name].max)
                                   for name in ("trust_learning_rate", "border_open_bias")]
            model.outcomes = ([ScalarOutcome(name) for name in SCALAR_OUTCOMES]
                              + [ArrayOutcome(name) for name in SERIES_OUTCOMES])
            with SequentialEvaluator(model) as evaluator:
                experiments, outcomes = evaluator.perform_experiments(scenarios=100)
    """
    specs = parameter_specs()
    unknown = sorted(set(parameters) - set(specs))
    if unknown:
        raise TypeError(f"evaluate() got unknown parameter(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join(RUN_SETTINGS)} or a model parameter ({', '.join(specs)})")
    if replicates < 1:
        raise ValueError(f"replicates = {replicates}; allowed: 1 or more")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    runs = plan(seed, replicates, 1, parameter_source(parameters_from))
    trajectory = simulate_plan(scenario, runs, parameters, record=_RECORDED)
    return {
        **{name: _summarise(trajectory, summary) for name, summary in SCALAR_OUTCOMES.items()},
        "years": trajectory.years,
        **{name: VariableRef.parse(text).values(trajectory).mean(axis=1) for name, text in SERIES_OUTCOMES.items()},
    }


def ema_model(uncertain: list[str] | None = None, scenario: Scenario | str | Path = "baseline"):
    """An EMA Workbench model of :func:`evaluate` over the documented parameter ranges.

    Args:
        uncertain: the parameters to explore, each as a ``RealParameter`` over its range in
            ``sim/data/parameters.csv`` (default: all of them); the others keep the scenario's
            values.
        scenario: the scenario every experiment runs (a name, a path or a
            :class:`~sim.inputs.scenario.Scenario`).

    Returns:
        An ``ema_workbench.Model`` with the outcomes :data:`SCALAR_OUTCOMES` (``ScalarOutcome``)
        and :data:`SERIES_OUTCOMES` (``ArrayOutcome``), plus ``TIME``, the years, which EMA's
        plots (``lines``, ``envelopes``) use as the time axis. Add constants to change the run
        settings, e.g. ``model.constants = [Constant("scenario", "baseline"), Constant("replicates", 10)]``.

    Raises:
        ImportError: the EMA Workbench is not installed.
        ValueError: an unknown parameter name.

    Example:
        Latin hypercube over two parameters, then PRIM or plots on the results::

            from ema_workbench import SequentialEvaluator
            from sim.api import ema_model

            model = ema_model(["trust_learning_rate", "border_open_bias"])
            with SequentialEvaluator(model) as evaluator:
                experiments, outcomes = evaluator.perform_experiments(scenarios=100)
    """
    try:
        with warnings.catch_warnings():
            # casim uses the sequential and multiprocessing evaluators, not ipyparallel.
            warnings.filterwarnings("ignore", message="ipyparallel not installed")
            from ema_workbench import ArrayOutcome, Constant, Model, RealParameter, ScalarOutcome
    except ImportError as exc:
        raise ImportError("sim.api.ema_model needs the EMA Workbench: pip install casim[analysis]") from exc
    specs = parameter_specs()
    names = list(specs) if uncertain is None else list(uncertain)
    unknown = [name for name in names if name not in specs]
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(specs)}")
    model = Model("casim", function=evaluate)
    model.uncertainties = [RealParameter(name, specs[name].min, specs[name].max) for name in names]
    model.constants = [Constant("scenario", scenario if isinstance(scenario, Scenario) else load_scenario(scenario))]
    model.outcomes = [
        *(ScalarOutcome(name) for name in SCALAR_OUTCOMES),
        ArrayOutcome("TIME", variable_name="years"),
        *(ArrayOutcome(name) for name in SERIES_OUTCOMES),
    ]
    return model
