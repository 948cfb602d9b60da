"""Figures, by what they show; each writes a PNG and an SVG beside it.

- :mod:`sim.figures.style`: what every figure shares: palette, variable names and units,
  canvas, saving.
- :mod:`sim.figures.runs`: runs over time: the integration index, its dimensions, dyad heatmaps.
- :mod:`sim.figures.comparisons`: the paired difference between two scenarios, per decade.
- :mod:`sim.figures.design`: designed batches: sensitivity indices, outcomes against factors.
- :mod:`sim.figures.sweeps`: answers across a leader's disposition range and across the size
  of the water deficit.
- :mod:`sim.figures.validation`: the hindcast and the per-pattern grid.
- :mod:`sim.figures.inference`: the calibration's posterior, tolerances and contraction, and
  the coverage check's ranks.

Figures take tables and plain objects, so the layers above (inference, experiments, views)
can write theirs into the result folders they make.

Imports: :mod:`sim.io`, :mod:`sim.inputs` and :mod:`sim.model`.
"""
