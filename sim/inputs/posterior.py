"""The posterior of the parameters, and how runs draw from it.

``sim/data/posterior.csv`` is the weighted sample of the shipped calibration (one row per
draw: ``draw``, ``weight``, ``distance``, a column per calibrated parameter and one per
inferred disposition, ``disposition:COUNTRY:Leader``, :mod:`sim.inputs.leaders`), with its
provenance in ``posterior.json`` beside it (:mod:`sim.inference.calibration`). By default every run
pairs each replicate's seed with a posterior draw and with the leaders' dispositions drawn
from a disposition key (:func:`plan`), so an answer carries the uncertainty of the
parameters, of the dispositions and of chance. The past leaders whose dispositions the
draw infers take them from the draw; the others are drawn from the key. ``--parameters
point`` runs the posterior's highest-density draw instead, and ``--parameters FILE`` a
posterior or a single parameter set of one's own.

Replicates are grouped: replicate k uses draw slot ``k // seeds_per_draw``. Every replicate
of a slot shares the slot's posterior draw and dispositions (drawn from the seed of the
slot's first replicate) and has its own seed, so the spread between slots is that of
parameters and dispositions and the spread within a slot is that of chance
(:func:`sim.experiments.compare.variance_shares`). With one seed per draw, a replicate's dispositions
are drawn from its own seed, as ``CentralAsia(rng=seed)`` draws them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BeforeValidator
from scipy.stats import gaussian_kde

from sim.inputs.leaders import QUANTILE_PREFIX, is_quantile_column, leader_table
from sim.inputs.parameters import parameter_specs
from sim.inputs.randomness import replicate_seeds
from sim.io.input_files import FiniteFloat, InputError, read_csv, validated
from sim.io.output import read_json

POSTERIOR_FILE = Path(str(resources.files("sim.data").joinpath("posterior.csv")))
_DRAW_TAG = 0xD7A  # keeps the choice of draws apart from other uses of the run seed
NO_DRAW = -1  # the ``draw`` of a run whose parameters are not a posterior draw
MAX_DRAW_ID = np.iinfo(np.int32).max  # the tidy table's ``draw`` column is int32


class PosteriorError(InputError):
    """A posterior or parameter file that cannot be used, as one line."""


def _float_values(values):
    """Integers are fine where a float is expected in ``{name: value}``."""
    if isinstance(values, dict):
        return {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in values.items()}
    return values


def _check_parameters(values: dict[str, float]) -> dict[str, float]:
    """Parameter values ``{name: value}``: known names, inside the documented range."""
    specs = parameter_specs()
    for name, value in values.items():
        if is_quantile_column(name):  # a leader's inferred disposition, as a quantile of his coded range
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} = {value} is outside [0, 1] (a quantile of the coded range)")
            continue
        if name not in specs:
            raise ValueError(f"unknown parameter {name!r}; see sim/data/parameters.csv for the allowed names")
        spec = specs[name]
        if not spec.min <= value <= spec.max:
            raise ValueError(f"{name} = {value} is outside its range [{spec.min}, {spec.max}] ({spec.unit})")
    return values


# Parameter values by name, as a parameter-set file gives them.
ParameterValues = Annotated[dict[str, FiniteFloat], BeforeValidator(_float_values), AfterValidator(_check_parameters)]


@dataclass(frozen=True)
class Posterior:
    """A weighted posterior sample.

    Attributes:
        draws: one row per draw, indexed by ``draw``: ``weight`` and the parameters.
        names: the calibrated parameters and the inferred quantiles of leaders' dispositions.
        record: the provenance (``posterior.json``), ``{}`` if there is none.
        path: the file it was read from.
        digest: SHA-256 of that file.
    """

    draws: pd.DataFrame
    names: list[str]
    record: dict
    path: Path
    digest: str

    @property
    def weights(self) -> np.ndarray:
        return self.draws["weight"].to_numpy()

    def sample(self, count: int, seed: int) -> np.ndarray:
        """``count`` draw ids chosen by weight, the same for the same seed."""
        rng = np.random.default_rng([seed & 0xFFFFFFFFFFFFFFFF, _DRAW_TAG])
        return self.draws.index.to_numpy()[rng.choice(len(self.draws), size=count, p=self.weights / self.weights.sum())]

    def values(self, draws: np.ndarray) -> dict[str, np.ndarray]:
        """The parameter values of the given draws, one array per parameter."""
        rows = self.draws.loc[draws, self.names]
        return {name: rows[name].to_numpy() for name in self.names}

    @property
    def point(self) -> int:
        """The highest-density draw (named in the provenance, else estimated)."""
        if "point_draw" in self.record:
            return int(self.record["point_draw"])
        return highest_density_draw(self.draws.reset_index(), prior_bounds(self.names))


def prior_bounds(names: list[str]) -> dict[str, tuple[float, float]]:
    """The documented range of each parameter, and [0, 1] for a leader's quantile."""
    specs = parameter_specs()
    return {name: (0.0, 1.0) if is_quantile_column(name) else (specs[name].min, specs[name].max) for name in names}


def coded_ranges(names: list[str]) -> dict[str, list[float]]:
    """``[low, central, high]`` of each inferred leader (``disposition:KEY`` names) as now coded."""
    coded = {name: leader_table()[name.removeprefix(QUANTILE_PREFIX)].disposition for name in names}
    return {name: [d.low, d.central, d.high] for name, d in coded.items()}


def contraction_counts(contraction_table: pd.DataFrame, level: float = 0.5) -> dict[str, tuple[int, int]]:
    """How many parameters and how many inferred dispositions of a contraction table
    (:func:`contraction`) contract by ``level`` or more: ``{kind: (contracted, all)}``."""
    inferred = contraction_table["name"].str.startswith(QUANTILE_PREFIX)
    strong = contraction_table["contraction"] >= level
    return {"parameters": (int((strong & ~inferred).sum()), int((~inferred).sum())),
            "inferred dispositions": (int((strong & inferred).sum()), int(inferred.sum()))}


def generation_count(generations: list[dict]) -> int:
    """How many of a calibration record's ``generations`` are generations, not the closing sweep."""
    return sum(not g["closing_sweep"] for g in generations)


def describe_schedule(generations: list[dict]) -> str:
    """``"27 generations and a closing sweep"``, from a calibration record's ``generations``."""
    count = generation_count(generations)
    return f"{count} generations" + (" and a closing sweep" if count < len(generations) else "")


def read_posterior(path: str | Path) -> Posterior:
    """A posterior CSV (``draw``, ``weight`` and parameter columns) and the JSON beside it."""
    path = Path(path)
    table = read_csv(path, "posterior", ("draw", "weight"), PosteriorError)
    for column in table.columns:
        try:
            table[column] = table[column].replace("", np.nan).astype(float)
        except ValueError:
            raise PosteriorError(f"{path}: {column}: every cell must be a number") from None
    draws = table["draw"].to_numpy()
    if not (np.all(np.isfinite(draws)) and np.all(draws == np.round(draws))
            and np.all((draws >= 0) & (draws <= MAX_DRAW_ID))):
        raise PosteriorError(f"{path}: draw: ids must be whole numbers from 0 to {MAX_DRAW_ID:,} "
                             f"(-1 means no draw, and the tidy table keeps ids as 32-bit integers)")
    table["draw"] = table["draw"].astype("int64")
    repeated = table["draw"][table["draw"].duplicated()].unique()
    if len(repeated):
        raise PosteriorError(f"{path}: draw: each draw id must be unique; repeated: "
                             f"{', '.join(str(d) for d in repeated[:5])}")
    specs = parameter_specs()
    names = [c for c in table.columns if c not in ("draw", "weight", "distance")]
    unknown = [name for name in names if name not in specs and not is_quantile_column(name)]
    if unknown or not names:
        raise PosteriorError(f"{path}: a posterior needs columns draw, weight and parameters of "
                             f"sim/data/parameters.csv (and disposition:COUNTRY:Leader quantiles of coded leaders)"
                             f"{'; unknown: ' + ', '.join(unknown) if unknown else ''}")
    weights = table["weight"].to_numpy(dtype=float)
    bounds = prior_bounds(names)
    for name in names:
        values, (low, high) = table[name].to_numpy(dtype=float), bounds[name]
        if not np.all(np.isfinite(values)) or np.any(values < low) or np.any(values > high):
            raise PosteriorError(f"{path}: {name}: every value must be a finite number; allowed: [{low:g}, {high:g}] "
                                 "(the documented range, or [0, 1] for the quantile of a disposition)")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise PosteriorError(f"{path}: weight must be finite, non-negative and not all zero")
    beside = path.with_suffix(".json")
    record = read_json(beside) if beside.is_file() else {}
    fitted = record.get("inferred_dispositions", {})
    recoded = [name for name, coded in coded_ranges(list(fitted)).items() if coded != fitted[name]]
    if recoded:  # a quantile means another disposition once the range is recoded
        raise PosteriorError(f"{path}: {', '.join(recoded)}: coded {fitted[recoded[0]]} (low, central, high) when "
                             f"calibrated, {coded_ranges(recoded)[recoded[0]]} now in "
                             "sim/data/leader_dispositions.csv; allowed: rerun casim calibrate")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Posterior(table.set_index("draw"), names, record, path, digest)


@cache
def shipped_posterior() -> Posterior | None:
    """The shipped posterior (``sim/data/posterior.csv``), or None before any calibration."""
    return read_posterior(POSTERIOR_FILE) if POSTERIOR_FILE.is_file() else None


def contraction(posterior: pd.DataFrame, bounds: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Per parameter: prior range, posterior quantiles and contraction 1 - var(post) / var(prior).

    The prior is uniform on the bounds (variance width^2 / 12); the posterior's moments are
    weighted by ``weight``.
    """
    weights = posterior["weight"].to_numpy()
    weights = weights / weights.sum()
    rows = []
    for name, (low, high) in bounds.items():
        values = posterior[name].to_numpy()
        mean = float(np.sum(weights * values))
        variance = float(np.sum(weights * (values - mean) ** 2))
        order = np.argsort(values)
        cumulative = np.cumsum(weights[order])
        p05, p50, p95 = (float(values[order][min(np.searchsorted(cumulative, q), len(values) - 1)])
                         for q in (0.05, 0.5, 0.95))
        rows.append({"name": name, "prior_low": low, "prior_high": high, "posterior_mean": mean,
                     "posterior_sd": variance**0.5, "posterior_p05": p05, "posterior_median": p50,
                     "posterior_p95": p95, "contraction": 1.0 - variance / ((high - low) ** 2 / 12.0)})
    return pd.DataFrame(rows)


def inferred_dispositions(contraction_table: pd.DataFrame) -> pd.DataFrame:
    """One row per inferred leader of a contraction table (:func:`contraction`): his coding and
    his disposition at the posterior's 5%, 50% and 95% quantiles (``p05``, ``median``, ``p95``;
    the quantile function is monotone, so these are the disposition's own quantiles)."""
    coded = leader_table()
    rows = []
    for row in contraction_table[contraction_table["name"].str.startswith(QUANTILE_PREFIX)].itertuples():
        leader = coded[row.name.removeprefix(QUANTILE_PREFIX)]
        spread = leader.disposition
        low, mid, high = spread.quantile(np.array([row.posterior_p05, row.posterior_median, row.posterior_p95]))
        rows.append({"name": row.name, "country": leader.country, "leader": leader.leader,
                     "first_full_year": leader.first_full_year, "coded_central": spread.central,
                     "coded_low": spread.low, "coded_high": spread.high, "p05": low, "median": mid, "p95": high,
                     "contraction": row.contraction})
    return pd.DataFrame(rows, columns=["name", "country", "leader", "first_full_year", "coded_central", "coded_low",
                                       "coded_high", "p05", "median", "p95", "contraction"])


def highest_density_draw(posterior: pd.DataFrame, bounds: dict[str, tuple[float, float]]) -> int:
    """The draw where a weighted Gaussian kernel density estimate of the posterior peaks.

    The density is estimated on the parameters scaled to [0, 1] by their prior bounds, so no
    parameter dominates by its units.
    """
    names = list(bounds)
    unit = np.column_stack([(posterior[n] - bounds[n][0]) / (bounds[n][1] - bounds[n][0]) for n in names])
    spread = unit.std(axis=0) > 0
    density = gaussian_kde(unit[:, spread].T, weights=posterior["weight"].to_numpy())
    return int(posterior["draw"].iloc[int(np.argmax(density.logpdf(unit[:, spread].T)))])


# ------------------------------------------------------------------------ runs over the posterior


@dataclass(frozen=True)
class ParameterSource:
    """Where a run's parameters come from.

    Attributes:
        kind: ``posterior`` (a draw per slot), ``point`` (one draw for all), ``set`` (one
            parameter set from a file) or ``defaults`` (the documented values: no posterior).
        posterior: the posterior drawn from, for ``posterior`` and ``point``.
        values: the single set, for ``set``.
        label: how manifests and legends name it.
    """

    kind: str
    posterior: Posterior | None = None
    values: dict[str, float] | None = None
    label: str = ""

    def record(self) -> dict:
        """For a manifest: what the parameters were and how to get them back."""
        entry = {"kind": self.kind, "label": self.label}
        if self.posterior is not None:
            entry |= {"posterior_file": self.posterior.path.name, "posterior_sha256": self.posterior.digest,
                      "posterior_draws": len(self.posterior.draws)}
        if self.values is not None:
            entry["values"] = self.values
        return entry


def parameter_source(choice: str | None = None) -> ParameterSource:
    """``posterior`` (default), ``point``, or a file: a posterior CSV or a ``name,value`` set.

    Without a shipped posterior the default is the documented values.

    Raises:
        PosteriorError: an unknown choice or an unusable file, as one line.
    """
    choice = choice or "posterior"
    if choice in ("posterior", "point"):
        posterior = shipped_posterior()
        if posterior is None:
            return ParameterSource("defaults", label="documented defaults (no posterior shipped)")
        if choice == "point":
            return ParameterSource("point", posterior, label=f"posterior point (draw {posterior.point})")
        return ParameterSource("posterior", posterior, label=f"posterior ({len(posterior.draws)} draws)")
    path = Path(choice)
    if not path.is_file():
        raise PosteriorError(f"--parameters: {choice!r} is not a file; allowed: posterior, point or the path of a "
                             "posterior or name,value CSV")
    columns = read_csv(path, "parameter", (), PosteriorError).columns
    if "weight" in columns or "draw" in columns:  # a posterior, even one that lacks a column
        return ParameterSource("posterior", read_posterior(path), label=f"posterior {path.name}")
    return ParameterSource("set", values=read_parameter_set(path), label=f"parameter set {path.name}")


def read_parameter_set(path: Path) -> dict[str, float]:
    """A ``name,value`` CSV of parameters (other columns are ignored), validated.

    Raises:
        PosteriorError: no row, or a name given twice (which value was meant is unknown).
    """
    table = read_csv(path, "parameter", ("name", "value"), PosteriorError)
    if table.empty:
        raise PosteriorError(f"{path}: no rows; allowed: one row per parameter to set, name,value")
    repeated = table["name"][table["name"].duplicated()].unique()
    if len(repeated):
        raise PosteriorError(f"{path}: name: {repeated[0]!r} is given twice; allowed: one row per parameter")
    return validated(path, ParameterValues, dict(zip(table["name"], table["value"])), PosteriorError, strict=False)


@dataclass(frozen=True)
class Plan:
    """Who runs with what: per replicate its seed, posterior draw, disposition key and parameters."""

    seeds: np.ndarray
    draws: np.ndarray
    disposition_keys: np.ndarray
    parameters: dict[str, np.ndarray]
    seeds_per_draw: int
    source: ParameterSource

    def record(self, limit: int = 1000) -> dict:
        """For a manifest (the first ``limit`` replicates listed; the rule gives the rest)."""
        return {"parameters": self.source.record(), "seeds_per_draw": self.seeds_per_draw,
                "rule": "sim.inputs.posterior.plan(seed, replicates, seeds_per_draw, source)",
                "replicates": [{"replicate": k, "seed": int(self.seeds[k]), "draw": int(self.draws[k]),
                                "disposition_key": int(self.disposition_keys[k])}
                               for k in range(min(limit, len(self.seeds)))]}


def plan(seed: int, replicates: int, seeds_per_draw: int = 1, source: ParameterSource | None = None,
         with_values: bool = True) -> Plan:
    """Pair each replicate's seed with a posterior draw and a disposition key.

    Replicate k has seed ``replicate_seeds(seed, replicates)[k]`` and uses slot
    ``k // seeds_per_draw``, whose draw and disposition key (the seed of its first
    replicate) all its replicates share. Two scenarios run with the same seed, replicates and
    source share every draw, key and seed.

    With ``with_values=False`` and a posterior source, ``parameters`` is left empty: the
    caller looks each run's values up by its draw when it runs (a batch does, chunk by chunk,
    :meth:`sim.experiments.batch.Chunk.run_parameters`); such a plan must not be simulated as
    it is. Other sources ignore the flag.
    """
    source = source or parameter_source()
    slots = -(-replicates // seeds_per_draw)
    slot = np.arange(replicates) // seeds_per_draw
    seeds = replicate_seeds(seed, replicates)
    keys = seeds[slot * seeds_per_draw]
    if source.kind == "posterior":
        draws = source.posterior.sample(slots, seed)[slot]
        # without values, the caller looks each run's values up by its draw when it runs
        parameters = source.posterior.values(draws) if with_values else {}
    elif source.kind == "point":
        draws = np.full(replicates, source.posterior.point)
        parameters = {name: float(v[0]) for name, v in source.posterior.values(draws[:1]).items()}
    else:
        draws = np.full(replicates, NO_DRAW)
        parameters = dict(source.values or {})
    return Plan(seeds, draws, keys, parameters, seeds_per_draw, source)
