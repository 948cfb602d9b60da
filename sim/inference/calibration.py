"""Calibration: ABC-SMC of the behavioural parameters against the narrative's patterns.

The posterior of the parameters given the patterns (Sections 1.2 and 7.8 of docs/ODD.md):

- Priors are blind: every free parameter's prior is uniform over its documented range in
  ``sim/data/parameters.csv``. A narrower prior needs a source outside casim's own results
  (``[priors.NAME]`` with ``low``, ``high`` and ``source``); ranges are never narrowed to fit.
- The dispositions of the leaders in office up to the last year the distance uses are
  inferred with the parameters (``infer_dispositions``, default true): each is a quantile
  of his coded distribution, uniform on [0, 1] in the prior, so the prior is the coded
  triangle (:mod:`sim.inputs.leaders`). History was played once, by one Karimov, so the
  posterior conditions his disposition on it as it conditions the parameters; later
  leaders, whom the patterns in use do not see, are drawn in every run, and chance is
  integrated out.
- The distance of a run to the narrative is the weighted root mean square of how far it
  misses each pattern in use, with correlated patterns weighted down (:mod:`sim.inference.summaries`).
- The sampler is ABC-SMC (:mod:`sim.inference.abc_smc`), whose populations are simulated as blocks of
  the ensemble engine on local worker processes or a Dask cluster. A stopped calibration
  resumes from its last finished generation (never across code versions or inputs).

The output folder holds the weighted posterior sample (``posterior.csv``, with its
provenance in ``posterior.json``), the prior predictive pass rate of every pattern
(``patterns.csv``), the posterior contraction of every parameter (``contraction.csv``), the
tolerance schedule (``generations.csv``), figures and a manifest. A calibration file with
``ship = true`` also writes its posterior to ``sim/data/posterior.csv`` (read by every run).
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from sim.inference.abc_smc import Generation, Result, Sample, Sampler, Settings
from sim.inference.patterns import PATTERNS_FILE, PatternSet, load_patterns, statistics
from sim.inference.summaries import PatternDistance, pattern_distance, prior_predictive_table
from sim.inputs.leaders import QUANTILE_PREFIX, leader_table, quantile_column
from sim.inputs.parameters import parameter_specs
from sim.inputs.posterior import POSTERIOR_FILE, coded_ranges, contraction, highest_density_draw
from sim.inputs.scenario import Scenario, load_scenario, resolve_path
from sim.io.input_files import FiniteFloat, InputError, SafeName, Strict, read_input
from sim.io.output import code_digest, git_commit, manifest, read_json, write_csv, write_json, write_table
from sim.io.workers import worker_pool
from sim.model.engine import simulate

SMC_DIR = "smc"
# Parameters that define how the index measures integration, not how the states behave.
INDEX_FACTOR = "index"


class CalibrationError(InputError):
    """A calibration-file problem, as one line naming the file, the field and what is allowed."""


class SMC(Strict):
    """Settings of the ABC-SMC sampler (:class:`sim.inference.abc_smc.Settings`)."""

    population: int = Field(default=2000, ge=10, le=1_000_000)
    prior_draws: int = Field(default=20000, ge=10, le=10_000_000)
    quantile: FiniteFloat = Field(default=0.5, gt=0.0, lt=1.0)
    block: int = Field(default=8000, ge=1, le=1_000_000)
    target_epsilon: FiniteFloat = Field(default=0.0, ge=0.0)
    min_acceptance: FiniteFloat = Field(default=0.01, gt=0.0, le=1.0)
    patience: int = Field(default=1, ge=1, le=100)
    max_generations: int = Field(default=30, ge=1, le=1000)
    max_runs: int = Field(default=10_000_000, ge=1)
    scale: FiniteFloat = Field(default=1.0, gt=0.0, le=3.0)
    sweep_share: FiniteFloat = Field(default=0.95, ge=0.0, le=1.0)
    sweep_runs: int = Field(default=1_000_000, ge=0)  # the closing sweep's budget, apart from max_runs

    @model_validator(mode="after")
    def _population_fits(self) -> SMC:
        if self.population > self.prior_draws:
            raise ValueError(f"population = {self.population} is more than prior_draws = {self.prior_draws}")
        return self


class Prior(Strict):
    """A prior narrower than the documented range, with its source outside casim's results."""

    low: FiniteFloat
    high: FiniteFloat
    source: str = Field(min_length=10)

    @field_validator("low", "high", mode="before")
    @classmethod
    def _number(cls, value):
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Coverage(Strict):
    """Settings of the coverage check (simulation-based calibration, :mod:`sim.inference.coverage`)."""

    truths: int = Field(default=30, ge=2, le=10_000)
    seed: int = Field(default=1, ge=0, le=2**32 - 1)
    smc: SMC = Field(default_factory=lambda: SMC(population=500, prior_draws=5000, block=4000, max_generations=10))


def _behavioural_spec(name: str):
    """The documented spec of a behavioural (not index) parameter; a ValueError for any other name."""
    spec = parameter_specs().get(name)
    if spec is None or spec.factor == INDEX_FACTOR:
        raise ValueError(f"unknown behavioural parameter {name!r}; see sim/data/parameters.csv")
    return spec


class Calibration(Strict):
    """A validated calibration file."""

    name: SafeName
    description: str = ""
    scenario: str = "baseline"
    patterns: str = "patterns.toml"
    use: Literal["in-sample", "all"] = "in-sample"
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    chunk_runs: int = Field(default=2000, ge=1, le=100_000)
    ship: bool = False
    smc: SMC = Field(default_factory=SMC)
    priors: dict[str, Prior] = Field(default_factory=dict)
    fixed: dict[str, str] = Field(default_factory=dict)
    infer_dispositions: bool = True
    coverage: Coverage = Field(default_factory=Coverage)

    @field_validator("priors")
    @classmethod
    def _narrower_priors(cls, priors: dict[str, Prior]) -> dict[str, Prior]:
        for name, prior in priors.items():
            spec = _behavioural_spec(name)
            if prior.low < spec.min:
                raise ValueError(f"{name}.low = {prior.low}; allowed: at least the documented minimum {spec.min}")
            if prior.high > spec.max:
                raise ValueError(f"{name}.high = {prior.high}; allowed: at most the documented maximum {spec.max}")
            if prior.low >= prior.high:
                raise ValueError(f"{name}: low = {prior.low}, high = {prior.high}; allowed: low below high")
        return priors

    @field_validator("fixed")
    @classmethod
    def _known_fixed(cls, fixed: dict[str, str]) -> dict[str, str]:
        for name, reason in fixed.items():
            _behavioural_spec(name)
            if not reason.strip():
                raise ValueError(f"{name}: an empty reason; allowed: why it is fixed (e.g. the Morris screening "
                                 "that found it inert)")
        return fixed

    def bounds(self) -> dict[str, tuple[float, float]]:
        """The prior of every free parameter: its documented range unless a sourced one is given."""
        specs = parameter_specs()
        free = [name for name, spec in specs.items() if spec.factor != INDEX_FACTOR and name not in self.fixed]
        return {name: (self.priors[name].low, self.priors[name].high) if name in self.priors
                else (specs[name].min, specs[name].max) for name in free}

    def all_priors(self, scenario: Scenario, patterns: PatternSet) -> dict[str, tuple[float, float]]:
        """The parameters' priors (:meth:`bounds`) and, with ``infer_dispositions``, the
        quantile of each leader the patterns in use see (:func:`disposition_priors`)."""
        inferred = disposition_priors(scenario, patterns, self.use) if self.infer_dispositions else {}
        return {**self.bounds(), **inferred}

    def fixed_values(self) -> dict[str, float]:
        """Fixed parameters at their documented (hand-set) defaults."""
        specs = parameter_specs()
        return {name: specs[name].assumed_default for name in self.fixed}

    def settings(self, smc: SMC | None = None, seed: int | None = None) -> Settings:
        chosen = smc or self.smc
        return Settings(**chosen.model_dump(), seed=self.seed if seed is None else seed)


def load_calibration(path: str | Path) -> tuple[Calibration, PatternSet, Path]:
    """Load a calibration file and its patterns file (next to it, else the shipped one)."""
    path = Path(path)
    calibration = read_input(path, "calibration", Calibration, CalibrationError)
    beside = path.parent / calibration.patterns
    patterns_path = beside if beside.is_file() else PATTERNS_FILE.parent / calibration.patterns
    if not patterns_path.is_file():
        raise CalibrationError(f"{path}: patterns: no patterns file {calibration.patterns!r} next to the calibration "
                               "file or among the shipped ones")
    return calibration, load_patterns(patterns_path), patterns_path


def scenario_for(path: Path, calibration: Calibration, patterns: PatternSet) -> Scenario:
    """The calibration's scenario (next to the file, else a shipped one), run to the patterns' last year.

    It must rest on outside drivers alone: the calibration fits the parameters, and an assumed
    parameter or held disposition would stand in for what the narrative is to pin down.
    """
    beside = path.parent / calibration.scenario
    reference = beside if beside.is_file() or beside.with_suffix(".toml").is_file() else calibration.scenario
    scenario = load_scenario(resolve_path(reference) if Path(reference).is_file() else reference,
                             end_year=patterns.last_year)
    if scenario.assumption_lines():
        raise CalibrationError(f"{path}: scenario: {calibration.scenario!r} rests on assumptions "
                               f"({'; '.join(scenario.assumption_lines())}); allowed: a scenario of outside drivers "
                               "alone (fix a parameter with [fixed] instead)")
    return scenario


def disposition_priors(scenario: Scenario, patterns: PatternSet, use: str) -> dict[str, tuple[float, float]]:
    """A uniform prior on [0, 1] for the quantile of each coded leader of the scenario who took
    office by the last year the patterns in use cover (the cut-off for ``in-sample``) and whose
    coded range has a width."""
    last = patterns.calibration_cutoff if use == "in-sample" else patterns.last_year
    coded = leader_table()
    return {quantile_column(d.key): (0.0, 1.0) for d in scenario.driver_paths().dispositions
            if d.key in coded and coded[d.key].first_full_year <= last and d.high > d.low}


def patterns_in_use(patterns: PatternSet, use: str) -> list[str]:
    """The ids of the patterns the distance uses: all, or those up to the cut-off."""
    return [p.id for p in patterns.patterns if use == "all" or patterns.in_sample(p)]


# ------------------------------------------------------------------------ simulation


def pattern_statistics(scenario: Scenario, patterns: PatternSet, names: list[str], fixed: dict[str, float],
                       theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Every pattern's statistic (B, P) in one run per parameter set (B, k) and seed (B,).

    ``names`` may hold leaders' quantiles (``disposition:KEY``); every other leader's
    disposition is drawn from the run's seed. Runs in a worker process.
    """
    params = {**fixed, **{name: theta[:, k] for k, name in enumerate(names)}}
    trajectory = simulate(scenario, seeds, params, record=patterns.recorded())
    return statistics(patterns, trajectory).T


@dataclass
class EngineModel:
    """The model as the sampler sees it: blocks of parameter sets in, pattern statistics out."""

    scenario: Scenario
    patterns: PatternSet
    names: list[str]
    fixed: dict[str, float]
    chunk_runs: int
    pool_map: object  # map(function, *iterables) of sim.io.workers.worker_pool
    workers: int = 1

    def __call__(self, theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        # At most chunk_runs a chunk, and at least one chunk per worker.
        size = max(1, min(self.chunk_runs, -(-len(theta) // self.workers)))
        starts = range(0, len(theta), size)
        parts = self.pool_map(pattern_statistics, *zip(*[
            (self.scenario, self.patterns, self.names, self.fixed, theta[s : s + size], seeds[s : s + size])
            for s in starts]))
        return np.concatenate(list(parts))


# ------------------------------------------------------------------------ checkpoints


def _sample_table(sample: Sample, names: list[str], patterns: PatternSet) -> pd.DataFrame:
    table = pd.DataFrame(sample.theta, columns=names)
    table["seed"] = sample.seeds
    for k, pattern in enumerate(patterns.patterns):
        table[f"stat_{pattern.id}"] = sample.summaries[:, k]
    return table


def _sample_from(table: pd.DataFrame, names: list[str], patterns: PatternSet) -> Sample:
    # Parameters row-major, as the sampler builds them: a column-major copy would sum their
    # spreads in another order and move a resumed run's proposals by rounding.
    return Sample(np.ascontiguousarray(table[names].to_numpy()), table["seed"].to_numpy(),
                  table[[f"stat_{p.id}" for p in patterns.patterns]].to_numpy())


def save_checkpoint(result: Result, folder: Path, names: list[str], patterns: PatternSet, identity: dict) -> None:
    """Write the prior sample and every finished generation (each file once, atomically)."""
    if not (folder / "prior.parquet").is_file():
        write_table(_sample_table(result.prior, names, patterns), folder / "prior.parquet")
    for generation in result.generations:
        path = folder / f"generation-{generation.index:02d}.parquet"
        if not path.is_file():
            table = _sample_table(generation.sample, names, patterns)
            table["distance"], table["weight"] = generation.distances, generation.weights
            write_table(table, path)
    write_json({**identity, "stopped": result.stopped,
                "generations": [{"index": g.index, "epsilon": g.epsilon, "runs": g.runs, "acceptance": g.acceptance,
                                 "scale": g.scale, "sweep": g.sweep} for g in result.generations]},
               folder / "state.json")


def calibration_identity(path: Path, calibration: Calibration, patterns_path: Path, scenario: Scenario) -> dict:
    """What a calibration folder records so that only the same calibration resumes it."""
    return {"calibration_sha256": hashlib.sha256(calibration.model_dump_json().encode()).hexdigest(),
            "patterns_sha256": _sha256(patterns_path), "scenario_sha256": scenario.digest(),
            "code_sha256": code_digest(), "git_commit": git_commit()}


def check_resumable(out: Path, identity: dict, saved: str = SMC_DIR) -> None:
    """Refuse a folder whose saved work (generations in ``smc/``, or the coverage check's
    finished truths) belongs to another calibration (or other code).

    Raises:
        CalibrationError: one line naming the folder.
    """
    state = Path(out) / saved / "state.json"
    if state.is_file() and {key: read_json(state).get(key) for key in identity} != identity:
        raise CalibrationError(f"{out}: holds a calibration of other settings, inputs or code; allowed: another "
                               "--out, or delete the folder")


def load_checkpoint(folder: Path, names: list[str], patterns: PatternSet, identity: dict,
                    distance: PatternDistance | None) -> Result | None:
    """The saved prior sample and generations, or None when there are none.

    Raises:
        CalibrationError: the folder holds a calibration of other inputs or code.
    """
    if not (folder / "state.json").is_file() or not (folder / "prior.parquet").is_file():
        return None
    check_resumable(folder.parent, identity)
    state = read_json(folder / "state.json")
    prior = _sample_from(pd.read_parquet(folder / "prior.parquet"), names, patterns)
    if distance is None:
        return Result(prior, np.array([]))
    result = Result(prior, distance(prior.summaries), stopped=state["stopped"])
    for entry in state["generations"]:
        table = pd.read_parquet(folder / f"generation-{entry['index']:02d}.parquet")
        result.generations.append(Generation(entry["index"], entry["epsilon"], _sample_from(table, names, patterns),
                                             table["distance"].to_numpy(), table["weight"].to_numpy(),
                                             entry["runs"], entry["acceptance"], entry["scale"], entry["sweep"]))
    return result


# ------------------------------------------------------------------------ the calibration


@dataclass
class CalibrationResult:
    """What a calibration produced."""

    result: Result
    posterior: pd.DataFrame
    patterns_table: pd.DataFrame
    contraction: pd.DataFrame
    generations: pd.DataFrame
    record: dict


def _relative(path: Path) -> str:
    """A path relative to the project (or the working folder), never an absolute machine path."""
    root = Path(__file__).resolve().parents[2]
    for base in (root, Path.cwd()):
        try:
            return Path(path).resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return Path(path).name


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def generations_table(result: Result) -> pd.DataFrame:
    """One row per generation: tolerance, runs, acceptance rate, distinct particles, step scale,
    and whether it is the closing sweep (the same tolerance, every particle moved)."""
    return pd.DataFrame([{"generation": g.index, "epsilon": g.epsilon, "runs": g.runs, "acceptance": g.acceptance,
                          "distinct_particles": g.unique, "step_scale": g.scale, "closing_sweep": g.sweep}
                         for g in result.generations])


def calibrate(path: str | Path, out: Path, workers: int = 1, scheduler: str | None = None,
              posterior_out: Path | None = None, progress: bool = True) -> CalibrationResult:
    """Run (or resume) a calibration and write its outputs.

    Args:
        path: the calibration file.
        out: output folder (checkpoints in ``smc/``, tables, figures, manifest).
        workers, scheduler: local worker processes, or a Dask scheduler (``"local"`` or an
            address), as for :func:`sim.experiments.batch.run_batch`.
        posterior_out: where else to write the posterior (``sim/data/posterior.csv`` for a
            calibration with ``ship = true``), with its provenance JSON beside it.
        progress: print a line per generation on stderr.
    """
    from sim.figures.inference import plot_contraction, plot_posterior_marginals, plot_tolerances

    started = time.perf_counter()
    path = Path(path)
    calibration, patterns, patterns_path = load_calibration(path)
    scenario = scenario_for(path, calibration, patterns)
    used = patterns_in_use(patterns, calibration.use)
    bounds = calibration.all_priors(scenario, patterns)
    names = list(bounds)
    low, high = np.array([bounds[n][0] for n in names]), np.array([bounds[n][1] for n in names])
    fixed = calibration.fixed_values()
    identity = calibration_identity(path, calibration, patterns_path, scenario)

    def report(result: Result) -> None:
        save_checkpoint(result, out / SMC_DIR, names, patterns, identity)
        if progress and result.generations:
            g = result.generations[-1]
            step = "closing sweep" if g.sweep else f"generation {g.index}"
            print(f"{calibration.name}: {step}: tolerance {g.epsilon:.4f}, {g.runs} runs, "
                  f"acceptance {g.acceptance:.3f}, {g.unique} distinct particles "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        elif progress:
            print(f"{calibration.name}: prior sample of {len(result.prior.theta)} runs done "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    def announce_sweep(result: Result) -> None:
        if progress:
            g = result.posterior
            print(f"{calibration.name}: {result.stopped}; closing sweep: moving all {len(g.sample.seeds)} particles "
                  f"at tolerance {g.epsilon:.4f} until {calibration.smc.sweep_share:.0%} have moved or "
                  f"{calibration.smc.sweep_runs:,} runs are spent "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    with worker_pool(workers, scheduler, preload="sim.inference.calibration") as pool_map:
        model = EngineModel(scenario, patterns, names, fixed, calibration.chunk_runs, pool_map, workers)
        sampler = Sampler(low, high, model, None, calibration.settings())
        saved = load_checkpoint(out / SMC_DIR, names, patterns, identity, None)
        prior = saved.prior if saved is not None else sampler.prior_sample()
        sampler.distance = pattern_distance(patterns, used, prior.summaries)
        result = load_checkpoint(out / SMC_DIR, names, patterns, identity, sampler.distance) if saved else None
        if result is None:
            result = Result(prior, sampler.distance(prior.summaries))
            report(result)
        result = sampler.run(result, on_generation=report, on_sweep=announce_sweep)

    final = result.posterior
    specs = parameter_specs()
    posterior = pd.DataFrame(final.sample.theta, columns=names)
    posterior.insert(0, "draw", np.arange(len(posterior)))
    posterior.insert(1, "weight", final.weights)
    posterior.insert(2, "distance", final.distances)
    point = highest_density_draw(posterior, bounds)
    shrink = contraction(posterior, bounds)
    table = prior_predictive_table(patterns, sampler.distance, result.prior.summaries)
    generations = generations_table(result)
    wall = round(time.perf_counter() - started, 1)
    record = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": "replenishment ABC-SMC with ABC-MCMC moves (Drovandi and Pettitt 2011; "
                  "sim/inference/abc_smc.py), one run per particle; "
                  + ("the dispositions of the leaders the patterns in use see inferred as quantiles of their coded "
                     "ranges (disposition:* columns), later leaders drawn in every run" if calibration.infer_dispositions
                     else "leaders' dispositions drawn in every run"),
        "calibration_file": _relative(path),
        "calibration_sha256": _sha256(path),
        "settings": calibration.model_dump(mode="json"),
        "priors": {name: [bounds[name][0], bounds[name][1]] for name in names},
        "prior_sources": {name: prior.source for name, prior in calibration.priors.items()}
        or "every prior is the documented range of sim/data/parameters.csv",
        # the coding each quantile was fitted against: read_posterior refuses a posterior whose leaders were recoded
        "inferred_dispositions": coded_ranges([name for name in names if name.startswith(QUANTILE_PREFIX)]),
        "fixed": {name: {"value": fixed[name], "reason": calibration.fixed[name]} for name in fixed},
        "patterns_file": _relative(patterns_path),
        "patterns_sha256": identity["patterns_sha256"],
        "patterns_used": used,
        "pattern_weights": dict(zip(table["pattern"], table["weight"])),
        "prior_pass_rates": dict(zip(table["pattern"], table["prior_pass_rate"])),
        "prior_runs": len(result.prior.theta),
        "effective_patterns": float(sampler.distance.weights.sum()),
        "scenario": scenario.name,
        "scenario_sha256": scenario.digest(),
        "seeds": {"calibration": calibration.seed,
                  "rule": "run seeds: sim.inference.abc_smc.run_seeds(seed, generation, block, size); dispositions "
                          "keyed on them"},
        "draws": len(posterior),
        "point_draw": point,
        "generations": generations.to_dict(orient="records"),
        "stopped": result.stopped,
        "runs": result.runs,
        "wall_time_s": wall,
        "workers": workers,
        "git_commit": git_commit(),
    }
    write_csv(posterior, out / "posterior.csv")
    write_json(record, out / "posterior.json")
    write_csv(table, out / "patterns.csv")
    write_csv(shrink, out / "contraction.csv")
    write_csv(generations, out / "generations.csv")
    figures = [
        plot_posterior_marginals(result.prior.theta, posterior, bounds, specs, out / "figures" / "posterior.png"),
        plot_tolerances(generations, out / "figures" / "tolerances.png"),
        plot_contraction(shrink, out / "figures" / "contraction.png"),
    ]
    if posterior_out is not None:
        write_csv(posterior, Path(posterior_out))
        write_json(record, Path(posterior_out).with_suffix(".json"))
    write_json(manifest(kind="calibrate", **record, posterior_file=_relative(posterior_out) if posterior_out else None,
                        outputs=["posterior.csv", "posterior.json", "patterns.csv", "contraction.csv",
                                 "generations.csv", *[f.relative_to(out).as_posix() for f in figures], f"{SMC_DIR}/"]),
               out / "manifest.json")
    return CalibrationResult(result, posterior, table, shrink, generations, record)


def shipped_posterior_file() -> Path:
    """Where a calibration with ``ship = true`` writes: ``sim/data/posterior.csv`` of this checkout."""
    return POSTERIOR_FILE
