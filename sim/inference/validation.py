"""Validation: how many of the narrative's patterns the model reproduces over the posterior.

``casim validate`` runs the scenario (and the patterns file's counterfactual) from 1991 to
the last year any pattern looks at, by default ``REPLICATES`` runs each pairing a posterior
draw (with the dispositions it infers) with the other leaders' drawn dispositions and a seed
(:func:`sim.inputs.posterior.plan`), so a pass rate is a posterior predictive probability. It checks every pattern in every run
(:mod:`sim.inference.patterns`) and writes the table, a hindcast figure and a per-pattern grid. A
pattern counts as reproduced when at least :data:`PASS_LEVEL` of the runs satisfy it.
In-sample patterns are those the calibration behind the posterior was fitted to; the others
are out-of-sample. Each in-sample pattern's share of the runs' squared distance to the
narrative, with that calibration's weights, says which patterns the runs miss most
(:func:`distance_shares`). Patterns that passed in at least 80% of the calibration's prior
runs are uninformative and are counted apart (:mod:`sim.inference.summaries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.inference.patterns import PATTERNS_FILE, PatternSet, check_all, load_patterns, score_table, statistics
from sim.inference.summaries import UNINFORMATIVE_PASS_RATE, recorded_distance
from sim.inputs.posterior import ParameterSource, parameter_source, plan
from sim.inputs.scenario import Scenario, ScenarioError, find_scenario, load_scenario, resolve_path
from sim.model.engine import Trajectory, simulate_plan, to_frame

PASS_LEVEL = 0.8
OPENING_TAG = "opening"
REPLICATES = 1000
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
    (to the patterns' last year), where the parameters come from, and the run count."""

    patterns: PatternSet
    scenario: Scenario
    counterfactual: Scenario | None
    source: ParameterSource
    replicates: int

    @property
    def record(self) -> dict:
        """The provenance of the posterior behind the parameters, ``{}`` if there is none."""
        return self.source.posterior.record if self.source.posterior is not None else {}


def scenario_for_patterns(reference: str | Path, patterns: PatternSet) -> Scenario:
    """A scenario run to the patterns' last year; it must write every year they look at."""
    scenario = load_scenario(reference, end_year=patterns.last_year)
    if scenario.start_year > patterns.first_year:
        raise ScenarioError(f"{resolve_path(reference)}: start_year {scenario.start_year} is after "
                            f"{patterns.first_year}, the first year the patterns look at; allowed: up to "
                            f"{patterns.first_year}")
    return scenario


def sample_labels(patterns: PatternSet, record: dict) -> list[str]:
    """In-sample: the patterns the calibration behind the posterior used (without a
    calibration, those before the cut-off); the others are out-of-sample."""
    used = record.get("patterns_used")
    return ["in-sample" if (p.id in used if used is not None else patterns.in_sample(p)) else "out-of-sample"
            for p in patterns.patterns]


def distance_shares(patterns: PatternSet, record: dict, trajectory: Trajectory) -> list[float]:
    """Each pattern's share of the runs' squared distance to the narrative, with the distance
    of the calibration behind the posterior (:meth:`sim.inference.summaries.PatternDistance.shares`):
    which patterns the posterior's runs miss most. NaN for the patterns it did not use, and for
    every pattern when the parameters come from no calibration."""
    distance = recorded_distance(patterns, record)
    shares = [float("nan")] * len(patterns.patterns)
    if distance is not None:
        for k, share in zip(distance.used, distance.shares(statistics(patterns, trajectory).T)):
            shares[k] = float(share)
    return shares


def _counts(table: pd.DataFrame, column: str, rows: pd.Series) -> dict:
    chosen = table[rows]
    return {"patterns": int(rows.sum()), "reproduced": int((chosen[column] >= PASS_LEVEL).sum())}


def load_inputs(scenario: str = "baseline", replicates: int | None = None, patterns_file: str | Path = PATTERNS_FILE,
                counterfactual: bool = True, parameters: str | None = None) -> ValidationInputs:
    """Load and validate everything a validation needs (arguments as for :func:`validate`), before it runs.

    Raises:
        InputError: one line naming the file, the field and what is allowed.
    """
    patterns = load_patterns(patterns_file)
    other = None
    if counterfactual and patterns.counterfactual:
        other = scenario_for_patterns(find_scenario(patterns.counterfactual, Path(patterns_file)), patterns)
    return ValidationInputs(patterns, scenario_for_patterns(scenario, patterns), other, parameter_source(parameters),
                            replicates or REPLICATES)


def validate(scenario: str = "baseline", replicates: int | None = None, seed: int = SEED,
             patterns_file: str | Path = PATTERNS_FILE, counterfactual: bool = True, parameters: str | None = None,
             seeds_per_draw: int = 1, central_dispositions: bool = False) -> ValidationReport:
    """Check every pattern in the runs of the scenario and of its counterfactual.

    Args:
        replicates: runs of each scenario (default :data:`REPLICATES`).
        parameters: ``posterior`` (default), ``point`` or a file (:func:`sim.inputs.posterior.parameter_source`).
        seeds_per_draw, central_dispositions: as for :func:`sim.run`.

    Returns:
        The pattern table (``score_table`` columns, plus ``opening``, ``prior_pass_rate``,
        ``informative``, ``share_of_squared_distance`` and ``counterfactual_pass_rate``), a
        summary of counts by sample, and the tidy tables of the runs.
    """
    inputs = load_inputs(scenario, replicates, patterns_file, counterfactual, parameters)
    patterns, record = inputs.patterns, inputs.record
    runs = plan(seed, inputs.replicates, seeds_per_draw, inputs.source)
    scenarios = {"scenario": inputs.scenario}
    if inputs.counterfactual is not None:
        scenarios["counterfactual"] = inputs.counterfactual
    trajectories = {role: simulate_plan(run, runs, central_dispositions=central_dispositions)
                    for role, run in scenarios.items()}
    table = score_table(patterns, check_all(patterns, trajectories["scenario"]), PASS_LEVEL)
    table["sample"] = sample_labels(patterns, record)
    table.insert(5, "opening", [OPENING_TAG in p.tags for p in patterns.patterns])
    prior = record.get("prior_pass_rates", {})
    table["prior_pass_rate"] = [prior.get(p.id, float("nan")) for p in patterns.patterns]
    table["informative"] = ~(table["prior_pass_rate"] >= UNINFORMATIVE_PASS_RATE)
    table["share_of_squared_distance"] = distance_shares(patterns, record, trajectories["scenario"])
    frames = {run.name: to_frame(trajectories[role], run.name, draws=runs.draws) for role, run in scenarios.items()}
    in_sample, informative = table["sample"] == "in-sample", table["informative"]
    summary = {
        "scenario": scenarios["scenario"].name,
        "scenario_sha256": scenarios["scenario"].digest(),
        "scenario_assumptions": scenarios["scenario"].assumption_lines(),
        "replicates": len(runs.seeds),
        "seed": seed,
        "runs": runs.record(),
        "central_dispositions": central_dispositions,
        "pass_level": PASS_LEVEL,
        "calibration_cutoff": patterns.calibration_cutoff,
        "prior_runs": record.get("prior_runs"),
        "all": _counts(table, "pass_rate", table["pattern"].notna()),
        "in_sample": _counts(table, "pass_rate", in_sample & informative),
        "in_sample_uninformative": _counts(table, "pass_rate", in_sample & ~informative),
        "out_of_sample": _counts(table, "pass_rate", ~in_sample & informative),
        "out_of_sample_uninformative": _counts(table, "pass_rate", ~in_sample & ~informative),
        "mean_pass_rate": float(table["pass_rate"].mean()),
        "parameters": inputs.source.record() | {"patterns_used": record.get("patterns_used")},
    }
    if "counterfactual" in scenarios:
        table["counterfactual_pass_rate"] = check_all(patterns, trajectories["counterfactual"]).mean(axis=1)
        summary["counterfactual"] = {
            "scenario": scenarios["counterfactual"].name,
            "assumptions": scenarios["counterfactual"].assumption_lines(),
            "opening_patterns": _counts(table, "counterfactual_pass_rate", table["opening"]),
            "opening_patterns_in_scenario": _counts(table, "pass_rate", table["opening"]),
        }
    return ValidationReport(table, summary, frames)


def write_validation(report: ValidationReport, out: Path, patterns_file: str | Path = PATTERNS_FILE) -> list[Path]:
    """Write the table (CSV), the figures and a manifest to ``out``; return the files written."""
    from sim.figures.validation import plot_hindcast, plot_pattern_grid
    from sim.io.output import manifest, write_csv, write_json

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
        plot_hindcast(table, patterns, out / "figures" / "hindcast.png",
                      show_cutoff=bool((report.table["sample"] == "out-of-sample").any())),
        plot_pattern_grid(table, patterns, report.table, out / "figures" / "patterns.png",
                          counterfactual=other, counterfactual_scores=other_scores),
    ]
    written.append(write_json(manifest(kind="validate", status="complete", **report.summary,
                                       patterns_file=str(Path(patterns_file).resolve()),
                                       outputs=[str(p.relative_to(out)) for p in written]), out / "manifest.json"))
    return written


def format_table(table: pd.DataFrame) -> str:
    """The console table: pattern, window, sample, pass rates."""
    columns = ["pattern", "factor", "window", "sample", "informative", "pass_rate", "replicates"]
    if "counterfactual_pass_rate" in table:
        columns.append("counterfactual_pass_rate")
    shown = table[columns].rename(columns={"counterfactual_pass_rate": "counterfactual"})
    shown["pass_rate"] = shown["pass_rate"].map(lambda v: f"{v:.2f}" + ("" if v >= PASS_LEVEL else " x"))
    if "counterfactual" in shown:
        shown["counterfactual"] = [f"{v:.2f}" if opening else "" for v, opening in
                                   zip(table["counterfactual_pass_rate"], table["opening"])]
    return shown.to_string(index=False)


def headline(summary: dict) -> str:
    """A few lines of counts for the console and the README."""
    lines = []
    runs = f"{summary['replicates']} runs over the {summary['parameters']['label']}"
    for key, label in (("in_sample", "in-sample, informative"), ("out_of_sample", "out-of-sample, informative"),
                       ("in_sample_uninformative", "in-sample, uninformative (pass in >= 80% of prior runs)"),
                       ("out_of_sample_uninformative", "out-of-sample, uninformative"), ("all", "all")):
        counts = summary[key]
        if counts["patterns"]:
            lines.append(f"{label}: {counts['reproduced']} of {counts['patterns']} patterns reproduced "
                         f"(pass rate >= {summary['pass_level']:.0%} of {runs})")
    if "counterfactual" in summary:
        cf = summary["counterfactual"]
        lines.append(f"opening patterns: {cf['opening_patterns_in_scenario']['reproduced']} of "
                     f"{cf['opening_patterns']['patterns']} in {summary['scenario']}, "
                     f"{cf['opening_patterns']['reproduced']} in the counterfactual {cf['scenario']}")
    for name, assumed in ((summary["scenario"], summary.get("scenario_assumptions")),
                          (summary.get("counterfactual", {}).get("scenario"),
                           summary.get("counterfactual", {}).get("assumptions"))):
        if assumed:
            lines.append(f"{name} rests on {len(assumed)} assumption(s) beyond the outside drivers: "
                         + "; ".join(assumed))
    return "\n".join(lines)

