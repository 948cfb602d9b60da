"""What a run is given: scenarios, outside drivers, parameters, geography, leaders, seeds.

- :mod:`sim.inputs.scenario`: scenario files (TOML with ``extends``) and their records.
- :mod:`sim.inputs.drivers`: the outside drivers a scenario may set, as yearly paths.
- :mod:`sim.inputs.leaders`: the leaders and their coded dispositions toward the neighbours.
- :mod:`sim.inputs.parameters`: parameter names, units, ranges, sources and defaults.
- :mod:`sim.inputs.posterior`: the shipped posterior and how runs draw from it (seeds, draws,
  disposition keys).
- :mod:`sim.inputs.geography`: the five states, their borders and rivers.
- :mod:`sim.inputs.events`: the narrative's and a scenario's own events, for figures' time axes.
- :mod:`sim.inputs.randomness`: replicate seeds and counter-based random streams.

The data files these read are in ``sim/data/``, each with its sources.

Imports: :mod:`sim.io` only.
"""
