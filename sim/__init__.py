"""casim: an agent-based model of regional cooperation among the five Central Asian states.

Quick start::

    import sim
    table = sim.run("baseline", replicates=20, seed=1)   # tidy pandas table
    model = sim.CentralAsia(scenario="baseline", rng=1)   # a mesa.Model
    model.run_model()

The package is in layers, lowest first; a module imports only from its own layer and those
below it (``tests/test_layers.py`` checks every import):

1. :mod:`sim.io`: reading input files, writing output folders, worker processes.
2. :mod:`sim.inputs`: scenarios, outside drivers, parameters and their posterior, geography,
   leaders, seeds.
3. :mod:`sim.model`: the world, its rules, one year, the ensemble engine, the Mesa model.
4. :mod:`sim.figures`: figures, by what they show.
5. :mod:`sim.inference`: patterns, validation, calibration, forecasts.
6. :mod:`sim.experiments`: experiment files, designs, batches, their analysis, comparisons.
7. :mod:`sim.views`: the HTML report, the README's numbers, the explorer.
8. This package's own :mod:`sim.api` and :mod:`sim.cli` (the ``casim`` command), and ``sim``
   itself.
"""

from sim.inputs.scenario import Scenario, ScenarioError, load_scenario
from sim.model.engine import run

__all__ = ["CentralAsia", "Scenario", "ScenarioError", "State", "load_scenario", "run"]
__version__ = "0.1.0"


def __getattr__(name):
    # The Mesa classes import mesa, which is slow; load them on first use.
    if name in ("CentralAsia", "State"):
        from sim.model import agents, mesa_model

        return {"CentralAsia": mesa_model.CentralAsia, "State": agents.State}[name]
    raise AttributeError(name)
