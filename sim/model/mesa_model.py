"""The Mesa model: five Central Asian states, one step a year from 1991.

``CentralAsia`` is a standard ``mesa.Model``: ``mesa.batch_run`` and SolaraViz can drive it.
It holds the world as arrays with one replicate and advances them with the same rule
functions as the ensemble engine (:mod:`sim.model.engine`), so both give the same trajectory for
the same seed.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from sim.inputs import leaders
from sim.inputs.drivers import FIRST_YEAR
from sim.inputs.geography import STATES, load_geography
from sim.inputs.parameters import Parameters, parameter_specs
from sim.inputs.posterior import NO_DRAW, shipped_posterior
from sim.inputs.randomness import RandomStreams
from sim.inputs.scenario import Scenario, load_scenario
from sim.model import dynamics
from sim.model.agents import State
from sim.model.engine import start
from sim.model.indices import measure


class CentralAsia(mesa.Model):
    """Regional cooperation among KAZ, KGZ, TJK, TKM and UZB under the blocking factors.

    Args:
        scenario: a :class:`~sim.inputs.scenario.Scenario`, a scenario file path, or the name of a
            shipped scenario (default ``"baseline"``).
        rng: an integer seed (the replicate seed: the same as in the tidy table's ``seed``
            column), or a numpy Generator from which one is drawn, or None.
        draw: a draw of the shipped posterior (the tidy table's ``draw`` column): its
            parameters and the dispositions it infers for past leaders; default: the
            parameters' defaults (the posterior's highest-density draw), every leader drawn.
        disposition_key: what the leaders' dispositions are drawn from (default: the seed,
            as in a run of the engine with one seed per draw).
        central_dispositions: every leader his posterior draw does not infer at his central value instead of a draw.
        **parameters: parameter overrides by name (see ``sim/data/parameters.csv``).

    Attributes:
        year: the last simulated year (``FIRST_YEAR - 1`` before the first step).
        world: the world arrays with one replicate.
        datacollector: region-level outcomes per step (``integration_index`` and dimensions).
    """

    def __init__(self, *, scenario: Scenario | str | Path = "baseline", rng=None, draw: int | None = None,
                 disposition_key: int | None = None, central_dispositions: bool = False, **parameters):
        super().__init__(rng=rng)
        # Mesa 3.5 reserves ``self.scenario``; the validated casim scenario lives here.
        self.casim_scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        unknown = set(parameters) - set(parameter_specs())
        if unknown:
            raise TypeError(f"unknown parameter(s) {sorted(unknown)}; see sim/data/parameters.csv")
        if isinstance(rng, (int, np.integer)):
            self.replicate_seed = int(rng)
        else:
            self.replicate_seed = int(self.rng.integers(2**63 - 1))
        drawn = {}
        if draw is not None and draw != NO_DRAW:
            posterior = shipped_posterior()
            if posterior is None or draw not in posterior.draws.index:
                raise ValueError(f"draw {draw}: not a draw of the shipped posterior (sim/data/posterior.csv)")
            drawn = {name: float(values[0]) for name, values in posterior.values([draw]).items()
                     if name not in self.casim_scenario.assumed_parameters}
        self.draw = NO_DRAW if draw is None else draw
        drawn, quantiles = leaders.split_quantiles(drawn)
        self.params = Parameters({**drawn, **self.casim_scenario.assumed_parameters, **parameters})
        self.geography = load_geography()
        self.drivers = self.casim_scenario.driver_paths()
        self.streams = RandomStreams(np.array([self.replicate_seed]))
        key = self.replicate_seed if disposition_key is None else disposition_key
        self.dispositions = leaders.draw(self.drivers.dispositions, np.array([key]), central=central_dispositions,
                                         quantiles=quantiles)
        self.world = start(self.casim_scenario, self.streams.seeds, self.params)
        self.year = FIRST_YEAR - 1
        self.drivers_now = self.drivers.at(FIRST_YEAR, self.dispositions)
        self.measures: dict | None = None
        for code in STATES:
            State(self, code)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, n=name: m.region_value(n)) for name in (
                "integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop",
                "trust", "political", "conflict_incidents", "clashes", "water_shortfall", "energy_deficit", "summit",
            )} | {"year": "year"},
        )

    @property
    def states(self) -> dict[str, State]:
        """The agents by code."""
        return {agent.code: agent for agent in self.agents}

    def region_value(self, name: str) -> float:
        """A region-level outcome of the last simulated year (NaN before the first step)."""
        return float(self.measures["region"][name][0]) if self.measures else float("nan")

    def step(self) -> None:
        """One year: every state decides from last year's world, then all decisions apply."""
        if self.year >= self.casim_scenario.end_year:
            self.running = False
            return
        self.year += 1
        self.drivers_now = self.drivers.at(self.year, self.dispositions)
        self.agents.do("decide")
        decisions = dynamics.Decisions.combine([self.states[code].decision for code in STATES])
        self.world = dynamics.apply(
            self.world, decisions, self.drivers_now, self.year, self.params, self.geography, self.streams
        )
        self.measures = measure(self.world, self.geography, self.params, self.casim_scenario.index_weights.model_dump())
        self.datacollector.collect(self)
        self.running = self.year < self.casim_scenario.end_year
