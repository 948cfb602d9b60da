"""Calibration: rejection ABC of the free parameters against the narrative's patterns.

Approximate Bayesian computation by rejection (Pritchard et al. 1999; Beaumont et al.
2002) over a Latin hypercube of the uniform priors:

1. Draw ``draws`` parameter sets from the priors (Latin hypercube, SALib) and run each
   ``replicates`` times through the ensemble engine as one batch (:mod:`sim.batch`), so the
   prior sample streams to disk in chunks and an interrupted calibration resumes where it
   stopped.
2. The distance of a parameter set is 1 minus its mean pass rate over the patterns in use
   (by default the in-sample ones: those before the patterns file's calibration cut-off).
3. The ``accept`` closest sets are the posterior sample; the acceptance threshold epsilon
   is the largest accepted distance. Its trace over the growing prior sample shows whether
   the sample is large enough.
4. The posterior median set and the ``refine.candidates - 1`` closest sets are rerun with
   ``refine.replicates`` fresh replicates; the one that reproduces most patterns (pass rate
   >= 0.8), then the one nearest the posterior median, is the chosen set, written to
   ``sim/data/calibrated_parameters.csv`` (read by every scenario) with its provenance.

Why rejection rather than ABC-SMC (pyabc): the engine runs thousands of parameter sets per
second when they come as one block, which a per-particle sampler cannot use; rejection
needs no perturbation kernels or tuning, its prior sample is reusable for any threshold
and any pattern subset, and its chunks give restartability for free.

References:
    Pritchard, J. K. et al. (1999) Population growth of human Y chromosomes: a study of Y
    chromosome microsatellites. Molecular Biology and Evolution 16, 1791-1798.
    Beaumont, M. A., Zhang, W. and Balding, D. J. (2002) Approximate Bayesian computation in
    population genetics. Genetics 162, 2025-2035.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from sim.batch import read_runs, run_batch
from sim.experiment import PATTERN_PREFIX, Design, Experiment, ParameterRanges, scenario_paths
from sim.inputs import InputError, Strict, read_input
from sim.output import git_commit, manifest, write_csv, write_json
from sim.parameters import CALIBRATED
from sim.patterns import PATTERNS_FILE, PatternSet, load_patterns
from sim.scenario import load_scenario

PASS_LEVEL = 0.8


class CalibrationError(InputError):
    """A calibration-file problem, as one line naming the file, the field and what is allowed."""


class Refine(Strict):
    """Rerun the closest accepted sets with more replicates to choose one."""

    candidates: int = Field(default=20, ge=1, le=10_000)
    replicates: int = Field(default=40, ge=1, le=100_000)


class Calibration(Strict):
    """A validated calibration file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenario: str = "baseline"
    patterns: str = "patterns.toml"
    use: Literal["in-sample", "all"] = "in-sample"
    draws: int = Field(ge=2, le=10_000_000)
    replicates: int = Field(default=4, ge=1, le=10_000)
    accept: int = Field(ge=1)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    chunk_runs: int = Field(default=2000, ge=1, le=100_000)
    refine: Refine = Field(default_factory=Refine)
    priors: ParameterRanges = Field(min_length=1)

    @model_validator(mode="after")
    def _sizes(self) -> Calibration:
        if self.accept > self.draws:
            raise ValueError(f"accept = {self.accept} is more than draws = {self.draws}")
        if self.refine.candidates > self.accept:
            raise ValueError(f"refine.candidates = {self.refine.candidates} is more than accept = {self.accept}")
        return self

    def prior_experiment(self) -> Experiment:
        """The batch that runs the prior sample."""
        return Experiment(name=f"{self.name}_prior", scenarios=[self.scenario], replicates=self.replicates,
                          seed=self.seed, chunk_runs=self.chunk_runs, patterns=self.patterns,
                          design=Design(method="latin", samples=self.draws, seed=self.seed),
                          parameters=self.priors)

    def refine_experiment(self) -> Experiment:
        """The batch that reruns the candidates (explicit points, fresh seeds)."""
        return Experiment(name=f"{self.name}_refine", scenarios=[self.scenario], replicates=self.refine.replicates,
                          seed=self.seed + 1, chunk_runs=self.chunk_runs, patterns=self.patterns,
                          design=Design(method="latin", samples=self.refine.candidates, seed=self.seed),
                          parameters=self.priors)


def load_calibration(path: str | Path) -> tuple[Calibration, PatternSet, Path]:
    """Load a calibration file and its patterns file (next to it, else the shipped one)."""
    path = Path(path)
    calibration = read_input(path, "calibration", Calibration, CalibrationError)
    beside = path.parent / calibration.patterns
    patterns_path = beside if beside.is_file() else PATTERNS_FILE.parent / calibration.patterns
    return calibration, load_patterns(patterns_path), patterns_path


@dataclass
class CalibrationResult:
    """What a calibration produced."""

    posterior: pd.DataFrame
    trace: pd.DataFrame
    candidates: pd.DataFrame
    chosen: dict[str, float]
    record: dict


def pattern_columns(patterns: PatternSet, use: str) -> list[str]:
    """The run columns of the patterns the distance uses."""
    chosen = [p for p in patterns.patterns if use == "all" or patterns.in_sample(p)]
    return [PATTERN_PREFIX + p.id for p in chosen]


def pass_rates(runs: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Pass rate of each pattern per parameter set (design point), over its replicates."""
    return runs.groupby("point", sort=True)[columns].mean()


def distances(runs: pd.DataFrame, columns: list[str]) -> pd.Series:
    """ABC distance per parameter set: 1 - mean pass rate over the patterns in use."""
    return 1.0 - pass_rates(runs, columns).mean(axis=1)


def threshold_trace(distance: pd.Series, accept_share: float, chunk_points: int) -> pd.DataFrame:
    """The acceptance threshold as the prior sample grows, one row per chunk's worth of draws."""
    values = distance.sort_index().to_numpy()
    rows = []
    for seen in range(chunk_points, len(values) + chunk_points, chunk_points):
        sample = values[: min(seen, len(values))]
        keep = max(1, round(accept_share * len(sample)))
        rows.append({"draws": len(sample), "epsilon": float(np.sort(sample)[keep - 1]), "best": float(sample.min())})
    return pd.DataFrame(rows)


def _choose(candidates: pd.DataFrame) -> pd.Series:
    """The candidate reproducing most patterns; among equals, the one nearest the posterior median.

    Nearness to the median, not the highest pass rate, breaks ties: parameters the patterns
    do not identify then stay at the centre of their posterior instead of wherever the
    luckiest replicates put them.
    """
    return candidates.sort_values(["reproduced", "distance_to_median"], ascending=[False, True]).iloc[0]


def _candidates(posterior: pd.DataFrame, names: list[str], bounds: dict, count: int) -> pd.DataFrame:
    """The posterior median set and the ``count - 1`` accepted sets closest to the data."""
    median = posterior[names].median().to_frame().T.assign(prior_point=-1, distance=np.nan)
    closest = posterior.head(count - 1).reset_index().rename(columns={"point": "prior_point"})
    table = pd.concat([median, closest[[*names, "prior_point", "distance"]]], ignore_index=True)
    scale = np.array([bounds[n][1] - bounds[n][0] for n in names])
    table["distance_to_median"] = np.sqrt((((table[names] - median[names].to_numpy()) / scale) ** 2).mean(axis=1))
    return table.rename(columns={"distance": "prior_distance"})


def parameters_file() -> Path:
    """Where the chosen set goes: ``sim/data/calibrated_parameters.csv`` of this checkout."""
    return Path(str(resources.files("sim.data").joinpath(f"{CALIBRATED}.csv")))


def calibrate(path: str | Path, out: Path, workers: int = 1, scheduler: str | None = None,
              parameters_out: Path | None = None, progress: bool = True) -> CalibrationResult:
    """Run (or resume) a calibration and write its outputs and the chosen parameter set.

    Args:
        path: the calibration file.
        out: output folder (``prior/`` and ``refine/`` batches, tables, figures, manifest).
        workers, scheduler: as for :func:`sim.batch.run_batch`.
        parameters_out: where to write the chosen set (default: :func:`parameters_file`);
            a JSON file with its provenance is written next to it.
        progress: show progress bars.
    """
    from sim.figures import plot_posterior, plot_threshold_trace

    started = datetime.now(UTC)
    path = Path(path).resolve()
    calibration, patterns, patterns_path = load_calibration(path)
    (scenario_file,) = scenario_paths(path, calibration.prior_experiment())
    scenario = load_scenario(scenario_file, end_year=patterns.last_year)
    columns = pattern_columns(patterns, calibration.use)
    names = list(calibration.priors)

    prior = calibration.prior_experiment()
    prior_report = run_batch(path, prior, [scenario], out / "prior", workers=workers, scheduler=scheduler,
                             progress=progress)
    runs = read_runs(out / "prior")
    draws = runs.groupby("point", sort=True)[names].first()
    distance = distances(runs, columns)
    accepted = distance.nsmallest(calibration.accept, keep="first").index
    posterior = draws.loc[accepted].assign(distance=distance.loc[accepted]).sort_values("distance")
    points_per_chunk = max(1, calibration.chunk_runs // calibration.replicates)
    trace = threshold_trace(distance, calibration.accept / calibration.draws, points_per_chunk)

    bounds = {n: tuple(calibration.priors[n]) for n in names}
    candidates = _candidates(posterior, names, bounds, calibration.refine.candidates)
    refine_report = run_batch(path, calibration.refine_experiment(), [scenario], out / "refine", workers=workers,
                              scheduler=scheduler, progress=progress, points=candidates[names])
    refined = pass_rates(read_runs(out / "refine"), columns)
    candidates["reproduced"] = (refined >= PASS_LEVEL).sum(axis=1).to_numpy()
    candidates["mean_pass_rate"] = refined.mean(axis=1).to_numpy()
    best = _choose(candidates)
    chosen = {name: float(best[name]) for name in names}

    finished = datetime.now(UTC)
    record = {
        "created": finished.isoformat(timespec="seconds"),
        "method": "rejection ABC over a Latin hypercube of uniform priors, then a refinement of the closest sets",
        "calibration_file": str(path),
        "calibration_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "settings": calibration.model_dump(mode="json"),
        "patterns_file": str(patterns_path),
        "patterns_used": [c.removeprefix(PATTERN_PREFIX) for c in columns],
        "scenario": scenario.name,
        "scenario_sha256": scenario.digest(),
        "seeds": {"prior_sample": calibration.seed, "prior_replicates": prior.seed,
                  "refine_replicates": calibration.refine_experiment().seed},
        "epsilon": float(posterior["distance"].max()),
        "chosen": {"candidate": "posterior median" if best["prior_point"] < 0 else f"prior draw {int(best['prior_point'])}",
                   "reproduced": int(best["reproduced"]),
                   "patterns_used": len(columns), "mean_pass_rate": float(best["mean_pass_rate"]),
                   "replicates": calibration.refine.replicates},
        "wall_time_s": round((finished - started).total_seconds(), 1),
        "batches": {"prior_wall_time_s": prior_report.wall_time_s, "refine_wall_time_s": refine_report.wall_time_s},
        "git_commit": git_commit(),
    }
    quantiles = posterior[names].quantile([0.05, 0.5, 0.95])
    values = pd.DataFrame({
        "name": names,
        "value": [chosen[n] for n in names],
        "prior_low": [calibration.priors[n][0] for n in names],
        "prior_high": [calibration.priors[n][1] for n in names],
        "posterior_p05": quantiles.loc[0.05].to_numpy(),
        "posterior_median": quantiles.loc[0.5].to_numpy(),
        "posterior_p95": quantiles.loc[0.95].to_numpy(),
    })
    target = Path(parameters_out) if parameters_out is not None else parameters_file()

    write_csv(posterior.reset_index(), out / "posterior.csv")
    write_csv(trace, out / "threshold_trace.csv")
    write_csv(candidates, out / "candidates.csv")
    write_csv(values, out / "chosen_parameters.csv")
    figures = [plot_posterior(draws, posterior, chosen, bounds, out / "figures" / "posterior.png"),
               plot_threshold_trace(trace, out / "figures" / "threshold_trace.png")]
    write_json(manifest(kind="calibrate", **record, parameters_file=str(target),
                        outputs=["posterior.csv", "threshold_trace.csv", "candidates.csv", "chosen_parameters.csv",
                                 *[str(f.relative_to(out)) for f in figures], "prior/", "refine/"]),
               out / "manifest.json")
    write_json(record, target.with_suffix(".json"))
    write_csv(values, target)
    return CalibrationResult(posterior, trace, candidates, chosen, record)
