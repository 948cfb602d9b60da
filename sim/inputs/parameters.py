"""Model parameters: names, units, ranges and sources from ``sim/data/parameters.csv``.

Defaults are the assumed (hand-set) values of that file, except where the shipped posterior
(``sim/data/posterior.csv``, written by ``casim calibrate``) has a value: then the default is
the posterior's highest-density draw (named in ``posterior.json`` beside it). Runs use the
whole posterior by default (:mod:`sim.inputs.posterior`); the defaults serve single runs such as the
Mesa model's.

A value is a float, or an array of shape (R,) when a parameter design gives each replicate
its own value. Rules broadcast it with :func:`per_state` or :func:`per_dyad`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

import numpy as np

from sim.inputs.geography import read_table
from sim.inputs.leaders import QUANTILE_PREFIX
from sim.io.input_files import InputError


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter as documented in the data file."""

    name: str
    default: float
    min: float
    max: float
    unit: str
    factor: str
    description: str
    source: str
    assumed_default: float | None = None  # the hand-set value of parameters.csv


POSTERIOR = "posterior"


@cache
def parameter_specs() -> dict[str, ParameterSpec]:
    """All parameters by name, in file order."""
    table = read_table("parameters")
    specs = {row.name: replace(ParameterSpec(**row._asdict()), assumed_default=row.default)
             for row in table.itertuples(index=False)}
    record = calibration_record()
    if record["calibrated"]:
        draws = read_table(POSTERIOR).set_index("draw")
        point = draws.loc[record["point_draw"]]
        # the posterior's other columns are leaders' inferred dispositions (sim.inputs.leaders)
        names = [name for name in draws.columns.drop(["weight", "distance"], errors="ignore")
                 if not name.startswith(QUANTILE_PREFIX)]
        unknown = [name for name in names if name not in specs]
        if unknown:  # e.g. a posterior shipped before a parameter was removed: recalibrate
            raise InputError(f"sim/data/{POSTERIOR}.csv: columns {', '.join(unknown)}: not parameters of "
                             "sim/data/parameters.csv; allowed: its parameter names (rerun casim calibrate)")
        for name in names:
            specs[name] = replace(specs[name], default=float(point[name]),
                                  source=f"posterior point: draw {record['point_draw']} of sim/data/{POSTERIOR}.csv "
                                         f"(ABC-SMC); before: {specs[name].default} ({specs[name].source})")
    return specs


def calibration_record() -> dict:
    """How the shipped posterior was obtained (``posterior.json``), or ``{"calibrated": False}``."""
    data = resources.files("sim.data")
    if not (data.joinpath(f"{POSTERIOR}.csv").is_file() and data.joinpath(f"{POSTERIOR}.json").is_file()):
        return {"calibrated": False}
    return {"calibrated": True, **json.loads(data.joinpath(f"{POSTERIOR}.json").read_text(encoding="utf-8"))}


class Parameters(Mapping):
    """Parameter values with attribute access (``params.trust_learning_rate``).

    Args:
        overrides: values to use instead of the defaults; unknown names raise ``KeyError``
            and values outside the documented range raise ``ValueError``.
    """

    def __init__(self, overrides: Mapping[str, float | np.ndarray] | None = None):
        specs = parameter_specs()
        values = {name: spec.default for name, spec in specs.items()}
        for name, value in (overrides or {}).items():
            if name not in specs:
                raise KeyError(f"unknown parameter {name!r}; known: {', '.join(specs)}")
            spec = specs[name]
            array = np.asarray(value, dtype=float)
            if np.any(array < spec.min) or np.any(array > spec.max):
                raise ValueError(f"parameter {name}={value} outside its range [{spec.min}, {spec.max}]")
            values[name] = array if array.ndim else float(array)
        self._values = values

    def __getattr__(self, name: str):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def per_state(value) -> np.ndarray:
    """Shape a scalar or (R,) parameter to broadcast against (R, n) arrays."""
    return np.reshape(value, (-1, 1))


def per_dyad(value) -> np.ndarray:
    """Shape a scalar or (R,) parameter to broadcast against (R, 5, 5) arrays."""
    return np.reshape(value, (-1, 1, 1))
