"""Coverage check of the calibration: simulation-based calibration (Talts et al. 2018).

Does the shipped method's posterior cover the truth as often as it claims? For each of
``truths`` parameter sets drawn from the prior:

1. one run of the model (its own seed and disposition draws) gives synthetic data of the same
   form as the narrative: which of the patterns in use hold and which fail;
2. the calibration's ABC-SMC runs on those data with the reduced settings of the file's
   ``[coverage.smc]`` (the distance counts how far a run misses each synthetic outcome, with
   the same pattern weights as the real calibration);
3. the truth's rank in its posterior (the posterior mass below the true value) is recorded.

If the method is calibrated, the ranks are uniform and the central 50% and 90% credible
intervals contain the truth in 50% and 90% of the truths (Talts et al. 2018; for ABC, Hermans
et al. 2022 show that approximate posteriors are often overconfident, which this detects).
All truths share one prior sample, which does not depend on the data. Each finished truth is
saved in ``truths/`` as it ends, so an interrupted check resumes where it stopped (only with
the same calibration, inputs and code).

References:
    Talts, S., Betancourt, M., Simpson, D., Vehtari, A., Gelman, A. (2018) Validating Bayesian
    inference algorithms with simulation-based calibration. arXiv:1804.06788.
    Hermans, J., Delaunoy, A., Rozet, F., Wehenkel, A., Begy, V., Louppe, G. (2022) A trust
    crisis in simulation-based inference? Your posterior approximations can be unfaithful.
    Transactions on Machine Learning Research.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc
from tqdm import tqdm

from sim.inference.abc_smc import Result, Sample, Sampler, run_seeds
from sim.inference.calibration import (
    EngineModel,
    calibration_identity,
    check_resumable,
    load_calibration,
    pattern_statistics,
    patterns_in_use,
    scenario_for,
)
from sim.inference.summaries import PatternDistance, pattern_distance
from sim.io.output import atomic_path, git_commit, manifest, write_csv, write_json
from sim.io.workers import worker_pool

LEVELS = (0.5, 0.9)
_TRUTH_GENERATION = 999_999  # the run seeds of the truths: a generation no sampler reaches
TOLERANCE = 0.10  # a method whose coverage misses nominal by more is not shipped as is
TRUTHS_DIR = "truths"  # one file per finished truth: what a resumed check skips


@dataclass
class CoverageReport:
    """Per parameter and overall: how often the central intervals contain the truth."""

    coverage: pd.DataFrame
    ranks: pd.DataFrame
    truths: int
    wall_time_s: float

    def summary_line(self) -> str:
        overall = self.coverage.set_index("parameter").loc["overall"]
        parts = [f"{level:.0%} intervals cover {overall[f'coverage_{int(level * 100)}']:.0%}" for level in LEVELS]
        worst = self.coverage[self.coverage["parameter"] != "overall"]
        misses = sum(int((abs(worst[f"coverage_{int(level * 100)}"] - level) > TOLERANCE).sum()) for level in LEVELS)
        return (f"casim: coverage over {self.truths} truths: {', '.join(parts)} of the true values "
                f"(nominal {', '.join(f'{level:.0%}' for level in LEVELS)}); {misses} parameter-level rates miss "
                f"nominal by more than {TOLERANCE:.0%} points; {self.wall_time_s:.0f} s")


def _calibrate_one(model: EngineModel, low: np.ndarray, high: np.ndarray, settings, prior: Sample,
                   distance: PatternDistance) -> tuple[np.ndarray, np.ndarray, str]:
    """One truth's ABC-SMC (runs in a worker process): the posterior sample and why it stopped."""
    sampler = Sampler(low, high, model, distance, settings)
    result = sampler.run(Result(prior, distance(prior.summaries)))
    return result.posterior.sample.theta, result.posterior.weights, result.stopped


def _truth_file(truth: int) -> str:
    return f"truth_{truth:04d}.npz"


def _save_truth(path: Path, theta: np.ndarray, weights: np.ndarray, stopped: str) -> None:
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.savez(handle, theta=theta, weights=weights, stopped=np.array(stopped))


def _load_truth(path: Path) -> tuple[np.ndarray, np.ndarray, str]:
    with np.load(path) as saved:
        return saved["theta"], saved["weights"], str(saved["stopped"])


def truth_ranks(theta: np.ndarray, weights: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Posterior mass below the true value, per parameter (ties count half)."""
    weights = weights / weights.sum()
    below = (weights[:, None] * (theta < truth[None, :])).sum(axis=0)
    tied = (weights[:, None] * (theta == truth[None, :])).sum(axis=0)
    return np.clip(below + 0.5 * tied, 0.0, 1.0)  # the weights' rounding can pass 1 by an ulp


def check_coverage(path: str | Path, out: Path, workers: int = 1) -> CoverageReport:
    """Run the coverage check of a calibration file and write ``coverage.csv``, ``ranks.csv``,
    ``figures/ranks.png`` and a manifest to ``out``."""
    from sim.figures.inference import plot_rank_histograms

    started = time.perf_counter()
    calibration, patterns, patterns_path = load_calibration(path)
    scenario = scenario_for(Path(path), calibration, patterns)
    bounds = calibration.all_priors(scenario, patterns)
    names = list(bounds)
    low, high = np.array([bounds[n][0] for n in names]), np.array([bounds[n][1] for n in names])
    settings = calibration.settings(calibration.coverage.smc, seed=calibration.coverage.seed)
    fixed = calibration.fixed_values()
    used = patterns_in_use(patterns, calibration.use)
    count = calibration.coverage.truths
    saved = Path(out) / TRUTHS_DIR
    identity = calibration_identity(Path(path), calibration, patterns_path, scenario)
    check_resumable(out, identity, TRUTHS_DIR)
    write_json(identity, saved / "state.json")

    unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng([settings.seed, 1])).random(count)
    truths = low + unit * (high - low)
    truth_seeds = run_seeds(settings.seed, _TRUTH_GENERATION, 0, count)
    with worker_pool(workers, preload="sim.inference.coverage") as pool_map:
        prior = Sampler(low, high, EngineModel(scenario, patterns, names, fixed, calibration.chunk_runs, pool_map,
                                               workers), None, settings).prior_sample()
        base = pattern_distance(patterns, used, prior.summaries)
        observed = pattern_statistics(scenario, patterns, names, fixed, truths, truth_seeds)
        holds = base.margins(observed) > 0.0
        inner = EngineModel(scenario, patterns, names, fixed, calibration.chunk_runs, map)
        pending = [t for t in range(count) if not (saved / _truth_file(t)).is_file()]
        # one truth per worker at a time, each saved as it ends: an interruption loses at most
        # the truths under way
        with tqdm(total=count, initial=count - len(pending), unit="truth", desc="coverage", disable=None) as bar:
            for first in range(0, len(pending), max(1, workers)):
                batch = pending[first:first + max(1, workers)]
                finished = pool_map(_calibrate_one, *zip(*[
                    (inner, low, high, calibration.settings(calibration.coverage.smc, seed=settings.seed + 1 + t),
                     prior, base.observed(holds[t])) for t in batch]))
                for t, (theta, weights, stopped) in zip(batch, finished):
                    _save_truth(saved / _truth_file(t), theta, weights, stopped)
                    bar.update(1)
    runs = [_load_truth(saved / _truth_file(t)) for t in range(count)]

    rows = []
    for t, (theta, weights, stopped) in enumerate(runs):
        ranks = truth_ranks(theta, weights, truths[t])
        spread = np.sqrt(np.atleast_2d(np.cov(theta, rowvar=False, aweights=weights)).diagonal())
        for k, name in enumerate(names):
            rows.append({"truth": t, "parameter": name, "true_value": truths[t, k], "rank": ranks[k],
                         "posterior_sd_over_prior_sd": spread[k] / ((high[k] - low[k]) / np.sqrt(12)),
                         "patterns_holding": int(holds[t].sum()), "stopped": stopped})
    ranks = pd.DataFrame(rows)
    ranks["covered_50"] = (ranks["rank"] - 0.5).abs() <= 0.25
    ranks["covered_90"] = (ranks["rank"] - 0.5).abs() <= 0.45
    per_parameter = ranks.groupby("parameter", sort=False).agg(
        coverage_50=("covered_50", "mean"), coverage_90=("covered_90", "mean"), truths=("truth", "nunique"),
        posterior_sd_over_prior_sd=("posterior_sd_over_prior_sd", "mean")).reset_index()
    overall = pd.DataFrame([{"parameter": "overall", "coverage_50": ranks["covered_50"].mean(),
                             "coverage_90": ranks["covered_90"].mean(), "truths": count,
                             "posterior_sd_over_prior_sd": ranks["posterior_sd_over_prior_sd"].mean()}])
    coverage = pd.concat([overall, per_parameter], ignore_index=True)
    wall = round(time.perf_counter() - started, 1)
    write_csv(coverage, out / "coverage.csv")
    write_csv(ranks, out / "ranks.csv")
    figure = plot_rank_histograms(ranks, out / "figures" / "ranks.png")
    write_json(manifest(kind="coverage", calibration=calibration.model_dump(mode="json"), truths=count,
                        seed=settings.seed, prior_sample=len(prior.theta), patterns_used=used, levels=list(LEVELS),
                        tolerance_points=TOLERANCE, wall_time_s=wall, git_commit=git_commit(),
                        outputs=["coverage.csv", "ranks.csv", figure.relative_to(out).as_posix(),
                                 f"{TRUTHS_DIR}/"]),
               out / "manifest.json")
    return CoverageReport(coverage, ranks, count, wall)
