"""casim: an agent-based model of regional cooperation among the five Central Asian states.

Quick start::

    import sim
    table = sim.run("baseline", replicates=20, seed=1)   # tidy pandas table
    model = sim.CentralAsia(scenario="baseline", rng=1)   # a mesa.Model
    model.run_model()
"""

from sim.engine import run
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["CentralAsia", "Scenario", "ScenarioError", "State", "load_scenario", "run"]
__version__ = "0.1.0"


def __getattr__(name):
    # The Mesa classes import mesa, which is slow; load them on first use.
    if name in ("CentralAsia", "State"):
        from sim import agents, model

        return {"CentralAsia": model.CentralAsia, "State": agents.State}[name]
    raise AttributeError(name)
