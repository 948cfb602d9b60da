"""The model against the narrative: patterns, validation, calibration, forecasts.

- :mod:`sim.inference.patterns`: the articles' narrative as checkable statements on a run.
- :mod:`sim.inference.validation`: how many patterns the model reproduces over the posterior
  (``casim validate``).
- :mod:`sim.inference.summaries`: the patterns as continuous distances, weights and prior
  pass rates.
- :mod:`sim.inference.abc_smc`: the ABC-SMC sampler.
- :mod:`sim.inference.calibration`: ``casim calibrate``: the posterior of the parameters
  given the patterns.
- :mod:`sim.inference.coverage`: the calibration's coverage check (simulation-based
  calibration).
- :mod:`sim.inference.forecast`: registered forecasts of future events and their scores.

Imports: :mod:`sim.io`, :mod:`sim.inputs`, :mod:`sim.model` and :mod:`sim.figures`.
"""
