"""What people read and explore: the HTML report, the README's numbers, the explorer.

- :mod:`sim.views.report`: a self-contained HTML report of a result folder (``casim report``).
- :mod:`sim.views.headline`: the README's tables, generated from result files
  (``casim headline``).
- :mod:`sim.views.app`: the explorer in the browser (``casim app``); its ensemble page is
  :mod:`sim.views.ensemble_page`, whose runs and figure are :mod:`sim.views.ensemble_view`.

Imports: every layer below: :mod:`sim.io`, :mod:`sim.inputs`, :mod:`sim.model`,
:mod:`sim.figures`, :mod:`sim.inference` and :mod:`sim.experiments`.
"""
