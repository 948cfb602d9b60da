"""Experiments: designs over parameters and drivers, batches of runs, and their analysis.

- :mod:`sim.experiments.experiment`: experiment files (scenarios x a design x replicates,
  the outcomes to keep).
- :mod:`sim.experiments.factors`: outside drivers as design factors (uncertainties, levers).
- :mod:`sim.experiments.design`: grid, Latin hypercube, Sobol' and Morris designs (SALib).
- :mod:`sim.experiments.batch`: ``casim batch``: chunks on local processes or Dask, resumable.
- :mod:`sim.experiments.analysis`: ``casim analyze``: sensitivity, scenario differences, PRIM.
- :mod:`sim.experiments.compare`: paired comparison of scenarios (``casim compare``).
- :mod:`sim.experiments.dose_response` and :mod:`sim.experiments.disposition_sweep`: the water
  deficit as a dose, and the answers across each leader's disposition range.

Imports: :mod:`sim.io`, :mod:`sim.inputs`, :mod:`sim.model`, :mod:`sim.figures` and
:mod:`sim.inference` (batches check patterns in every run).
"""
