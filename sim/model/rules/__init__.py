"""The blocking factors, one module each, as pure functions over numpy arrays.

- :mod:`sim.model.rules.water`: upstream-downstream seasonal conflict and fuel-for-water barter.
- :mod:`sim.model.rules.territory`: threat perception, border regimes, incidents and clashes, delimitation.
- :mod:`sim.model.rules.economy`: gravity trade with border frictions, GDP, pull of outside blocs.
- :mod:`sim.model.rules.subjective`: leaders' dispositions, personal disputes, trust.
- :mod:`sim.model.rules.institutions`: the Central-Asia-only body and summits.

Sources: A.M. Usenov (2024), Vestnik KRSU 24(11) (seed 000) and the article on the CAEC
and CACO (about 2002, seed 003), as summarised in ``shared/BRIEF.md``. Every rule takes
arrays with a leading replicate axis, (R, 5) or (R, 5, 5), and returns new arrays.
"""
