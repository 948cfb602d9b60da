"""Input and output files, and worker processes: the layer every other one builds on.

- :mod:`sim.io.input_files`: reading input files (UTF-8 text, TOML, CSV) and validating them
  with pydantic; every problem is one line naming the file, the field and what is allowed.
- :mod:`sim.io.output`: output folders held by one command, atomic files, the summary across
  replicates and the manifest that says how a result was made (versions, commit, code digest).
- :mod:`sim.io.workers`: a ``map`` over worker processes (this process, a local pool or a Dask
  cluster); their forkserver preloads :mod:`sim.io._forkserver`.

Imports: nothing else of casim.
"""
