"""The model: the world, its rules, one simulated year, and the two ways of running it.

- :mod:`sim.model.world`: the world state, every variable an array with a replicate axis.
- :mod:`sim.model.rules`: the blocking factors (water, territory, economy, subjective,
  institutions) as pure functions over arrays.
- :mod:`sim.model.dynamics`: one year: every state decides from last year's world, then all
  decisions apply.
- :mod:`sim.model.indices`: the Regional Integration Index and its dimensions.
- :mod:`sim.model.engine`: the ensemble engine, many replicates advanced together.
- :mod:`sim.model.mesa_model` and :mod:`sim.model.agents`: the same model as a ``mesa.Model``
  (``CentralAsia``) with five ``State`` agents, one replicate.
- :mod:`sim.model.outcomes`: named variables of a run and their summaries.

Imports: :mod:`sim.io` and :mod:`sim.inputs`.
"""
