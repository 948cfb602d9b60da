"""Parameter designs through SALib: full grid, Latin hypercube, Sobol (Saltelli), Morris.

References:
    Saltelli, A. et al. (2010) Variance based sensitivity analysis of model output.
    Computer Physics Communications 181, 259-270.
    Morris, M. D. (1991) Factorial sampling plans for preliminary computational
    experiments. Technometrics 33, 161-174.
    Herman, J. and Usher, W. (2017) SALib: an open-source Python library for sensitivity
    analysis. Journal of Open Source Software 2(9), 97.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sim.experiments.experiment import Experiment


def problem(experiment: Experiment) -> dict:
    """The SALib problem: the names and bounds of the parameters, then of the driver factors."""
    bounds = {**experiment.parameters, **{name: factor.range for name, factor in experiment.factors.items()}}
    return {"num_vars": len(bounds), "names": list(bounds), "bounds": list(bounds.values())}


def design_seed(experiment: Experiment) -> int:
    """The design's own seed, else one derived from the experiment seed (SALib needs 32 bits)."""
    return experiment.design.seed if experiment.design.seed is not None else experiment.seed % 2**32


def design_points(experiment: Experiment) -> pd.DataFrame:
    """One row per design point (index ``point``), one column per parameter and driver factor.

    The ``none`` design has one point and no columns: every run uses the scenario's values.
    """
    design, spec = experiment.design, problem(experiment)
    seed = design_seed(experiment)
    if design.method == "none":
        values = np.empty((1, 0))
    elif design.method == "grid":
        axes = [np.linspace(low, high, design.levels) for low, high in spec["bounds"]]
        values = np.array(list(itertools.product(*axes)))
    elif design.method == "latin":
        from SALib.sample import latin

        values = latin.sample(spec, design.samples, seed=seed)
    elif design.method == "sobol":
        from SALib.sample import sobol

        values = sobol.sample(spec, design.samples, calc_second_order=design.second_order, seed=seed)
    else:
        from SALib.sample import morris

        values = morris.sample(spec, design.samples, num_levels=design.levels, seed=seed)
    # Floating-point sampling may land a hair outside a bound; the parameters must not.
    values = np.clip(values, [b[0] for b in spec["bounds"]], [b[1] for b in spec["bounds"]]) if values.size else values
    return pd.DataFrame(values, columns=spec["names"]).rename_axis("point")
