"""Validation: how many of the narrative's patterns the model reproduces, and how often.

``casim validate`` runs the scenario (and the patterns file's counterfactual) from 1991 to
the last year any pattern looks at, checks every pattern in every replicate
(:mod:`sim.patterns`), and writes the table, a hindcast figure and a per-pattern grid.
A pattern counts as reproduced when at least :data:`PASS_LEVEL` of the replicates satisfy
it. In-sample patterns are those the calibration behind the parameters in use was fitted
to; the others are out-of-sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine import simulate, to_frame
from sim.inputs import InputError, read_csv, validated
from sim.output import read_json
from sim.parameters import calibration_record
from sim.patterns import PATTERNS_FILE, PatternSet, check_all, load_patterns, score_table
from sim.randomness import replicate_seeds
from sim.scenario import ParameterValues, Scenario, ScenarioError, find_scenario, load_scenario, resolve_path

PASS_LEVEL = 0.8
OPENING_TAG = "opening"
REPLICATES = 100
SEED = 20240611  # the baseline scenario's seed


@dataclass
class ValidationReport:
    """Pattern scores of a scenario (and its counterfactual) and the headline counts."""

    table: pd.DataFrame
    summary: dict
    frames: dict[str, pd.DataFrame]


@dataclass
class ValidationInputs:
    """What a validation runs, validated: the patterns, the scenario and its counterfactual
    (to the patterns' last year), the parameters with their provenance, and the run count."""

    patterns: PatternSet
    scenario: Scenario
    counterfactual: Scenario | None
    params: dict
    record: dict
    replicates: int


def scenario_for_patterns(reference: str | Path, patterns: PatternSet) -> Scenario:
    """A scenario run to the patterns' last year; it must write every year they look at."""
    scenario = load_scenario(reference, end_year=patterns.last_year)
    if scenario.start_year > patterns.first_year:
        raise ScenarioError(f"{resolve_path(reference)}: start_year {scenario.start_year} is after "
                            f"{patterns.first_year}, the first year the patterns look at; allowed: up to "
                            f"{patterns.first_year}")
    return scenario


def read_parameter_set(path: str | Path) -> tuple[dict[str, float], dict]:
    """A parameter set written by ``casim calibrate`` (CSV) and its provenance (the JSON beside it)."""
    path = Path(path)
    table = read_csv(path, "parameter", ("name", "value"))
    values = validated(path, ParameterValues, dict(zip(table["name"], table["value"])), strict=False)
    record_path = path.with_suffix(".json")
    record = read_json(record_path) if record_path.is_file() else {}
    return values, {"calibrated": True, "file": str(path), **record}


def read_posterior(path: str | Path, runs: int | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """The posterior sample of ``casim calibrate`` (``posterior.csv``) as one parameter set per
    run, and the calibration's provenance (its ``manifest.json`` beside the file).

    Run k uses accepted set k modulo the sample size, so ``runs`` = the sample size (the
    default) runs every accepted set once: a posterior predictive check that carries the
    parameter uncertainty the patterns leave, not just one chosen set.
    """
    path = Path(path)
    table = read_csv(path, "posterior", ())
    names = [n for n in table.columns if n not in ("point", "distance")]
    if table.empty or not names:
        raise InputError(f"{path}: no parameter sets; give the posterior.csv written by casim calibrate")
    record_path = path.parent / "manifest.json"
    record = read_json(record_path) if record_path.is_file() else {}
    sets = pd.DataFrame(validated(path, list[ParameterValues], table[names].to_dict("records"), strict=False))
    rows = np.arange(runs if runs is not None else len(table)) % len(table)
    values = {name: sets[name].to_numpy(dtype=float)[rows] for name in names}
    return values, {"calibrated": True, "posterior_file": str(path), "posterior_sets": len(table),
                    "patterns_used": record.get("patterns_used"), "calibration": record.get("calibration_file")}


def sample_labels(patterns: PatternSet, record: dict) -> list[str]:
    """In-sample: the patterns the calibration behind the parameters used (without a
    calibration, those before the cut-off); the others are out-of-sample."""
    used = record.get("patterns_used")
    return ["in-sample" if (p.id in used if used is not None else patterns.in_sample(p)) else "out-of-sample"
            for p in patterns.patterns]


def _counts(table: pd.DataFrame, column: str, rows: pd.Series) -> dict:
    chosen = table[rows]
    return {"patterns": int(rows.sum()), "reproduced": int((chosen[column] >= PASS_LEVEL).sum())}


def load_inputs(scenario: str = "baseline", replicates: int | None = None, patterns_file: str | Path = PATTERNS_FILE,
                counterfactual: bool = True, parameters_file: str | Path | None = None,
                posterior_file: str | Path | None = None) -> ValidationInputs:
    """Load and validate everything a validation needs (arguments as for :func:`validate`), before it runs.

    Raises:
        InputError: one line naming the file, the field and what is allowed.
    """
    patterns = load_patterns(patterns_file)
    if parameters_file and posterior_file:
        raise InputError("--parameters and --posterior: give a parameter set or a posterior sample, not both")
    if posterior_file:
        params, record = read_posterior(posterior_file, replicates)
        replicates = len(next(iter(params.values())))
    else:
        params, record = read_parameter_set(parameters_file) if parameters_file else ({}, calibration_record())
        replicates = replicates or REPLICATES
    other = None
    if counterfactual and patterns.counterfactual:
        other = scenario_for_patterns(find_scenario(patterns.counterfactual, Path(patterns_file)), patterns)
    return ValidationInputs(patterns, scenario_for_patterns(scenario, patterns), other, params, record, replicates)


def validate(scenario: str = "baseline", replicates: int | None = None, seed: int = SEED,
             patterns_file: str | Path = PATTERNS_FILE, counterfactual: bool = True,
             parameters_file: str | Path | None = None, posterior_file: str | Path | None = None) -> ValidationReport:
    """Check every pattern in ``replicates`` replicates of the scenario and its counterfactual.

    Args:
        replicates: runs of each scenario (default :data:`REPLICATES`; with
            ``posterior_file``, one run per accepted set).
        parameters_file: a parameter set from ``casim calibrate`` to use instead of the
            defaults (which are the shipped calibration, if there is one).
        posterior_file: a posterior sample from ``casim calibrate``; run k uses accepted set
            k (see :func:`read_posterior`). Not with ``parameters_file``.

    Returns:
        The pattern table (``score_table`` columns, plus ``counterfactual_pass_rate`` and
        ``opening``), a summary of counts by sample, and the tidy tables of the runs.
    """
    inputs = load_inputs(scenario, replicates, patterns_file, counterfactual, parameters_file, posterior_file)
    patterns, run, params, record, replicates = (inputs.patterns, inputs.scenario, inputs.params, inputs.record,
                                                 inputs.replicates)
    seeds = replicate_seeds(seed, replicates)
    trajectory = simulate(run, seeds, params)
    table = score_table(patterns, check_all(patterns, trajectory), PASS_LEVEL)
    table["sample"] = sample_labels(patterns, record)
    table.insert(5, "opening", [OPENING_TAG in p.tags for p in patterns.patterns])
    frames = {run.name: to_frame(trajectory, run.name)}
    in_sample = table["sample"] == "in-sample"
    summary = {
        "scenario": run.name,
        "scenario_sha256": run.digest(),
        "replicates": replicates,
        "seed": seed,
        "pass_level": PASS_LEVEL,
        "calibration_cutoff": patterns.calibration_cutoff,
        "all": _counts(table, "pass_rate", table["pattern"].notna()),
        "in_sample": _counts(table, "pass_rate", in_sample),
        "out_of_sample": _counts(table, "pass_rate", ~in_sample),
        "mean_pass_rate": float(table["pass_rate"].mean()),
        "parameters": record,
    }
    if inputs.counterfactual is not None:
        other = inputs.counterfactual
        other_trajectory = simulate(other, seeds, params)
        table["counterfactual_pass_rate"] = check_all(patterns, other_trajectory).mean(axis=1)
        frames[other.name] = to_frame(other_trajectory, other.name)
        summary["counterfactual"] = {
            "scenario": other.name,
            "opening_patterns": _counts(table, "counterfactual_pass_rate", table["opening"]),
            "opening_patterns_in_scenario": _counts(table, "pass_rate", table["opening"]),
        }
    return ValidationReport(table, summary, frames)


def write_validation(report: ValidationReport, out: Path, patterns_file: str | Path = PATTERNS_FILE) -> list[Path]:
    """Write the table (CSV), the figures and a manifest to ``out``; return the files written."""
    from sim.figures import plot_hindcast, plot_pattern_grid
    from sim.output import manifest, write_csv, write_json

    patterns = load_patterns(patterns_file)
    scenario = report.summary["scenario"]
    table = report.frames[scenario]
    other_name = report.summary.get("counterfactual", {}).get("scenario")
    other = report.frames.get(other_name)
    other_scores = None
    if other is not None:
        other_scores = report.table.assign(pass_rate=report.table["counterfactual_pass_rate"])
    written = [
        write_csv(report.table, out / "validation.csv"),
        plot_hindcast(table, patterns, out / "figures" / "hindcast.png"),
        plot_pattern_grid(table, patterns, report.table, out / "figures" / "patterns.png",
                          counterfactual=other, counterfactual_scores=other_scores),
    ]
    written.append(write_json(manifest(kind="validate", status="complete", **report.summary,
                                       patterns_file=str(Path(patterns_file).resolve()),
                                       outputs=[str(p.relative_to(out)) for p in written]), out / "manifest.json"))
    return written


def format_table(table: pd.DataFrame) -> str:
    """The console table: pattern, window, sample, pass rates."""
    columns = ["pattern", "factor", "window", "sample", "pass_rate", "replicates"]
    if "counterfactual_pass_rate" in table:
        columns.append("counterfactual_pass_rate")
    shown = table[columns].rename(columns={"counterfactual_pass_rate": "counterfactual"})
    shown["pass_rate"] = shown["pass_rate"].map(lambda v: f"{v:.2f}" + ("" if v >= PASS_LEVEL else " x"))
    if "counterfactual" in shown:
        shown["counterfactual"] = [f"{v:.2f}" if opening else "" for v, opening in
                                   zip(table["counterfactual_pass_rate"], table["opening"])]
    return shown.to_string(index=False)


def headline(summary: dict) -> str:
    """Two or three lines of counts for the console and the README."""
    lines = []
    posterior = summary["parameters"].get("posterior_sets")
    runs = (f"{summary['replicates']} runs over {posterior} posterior sets" if posterior
            else f"{summary['replicates']} replicates")
    for key, label in (("in_sample", "in-sample"), ("out_of_sample", "out-of-sample"), ("all", "all")):
        counts = summary[key]
        lines.append(f"{label}: {counts['reproduced']} of {counts['patterns']} patterns reproduced "
                     f"(pass rate >= {summary['pass_level']:.0%} of {runs})")
    if "counterfactual" in summary:
        cf = summary["counterfactual"]
        lines.append(f"opening patterns: {cf['opening_patterns_in_scenario']['reproduced']} of "
                     f"{cf['opening_patterns']['patterns']} in {summary['scenario']}, "
                     f"{cf['opening_patterns']['reproduced']} in the counterfactual {cf['scenario']}")
    return "\n".join(lines)

