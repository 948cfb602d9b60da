"""Analysis of a batch folder: sensitivity indices, scenario comparison, scenario discovery.

- Sobol' indices (Saltelli design) or Morris elementary effects (Morris design), by SALib,
  with bootstrap 95% confidence intervals, for every outcome of every scenario.
- For two or more scenarios: each outcome of each scenario against the first one, paired
  by design point and replicate (:func:`sim.experiments.compare.paired_summary`).
- Scenario discovery with PRIM (Friedman and Fisher 1999) from the EMA Workbench
  (Kwakkel 2017), a maintained implementation: the parameter box in which the condition
  named in the experiment (``[[analysis.discover]]``) is most likely.

References:
    Friedman, J. H. and Fisher, N. I. (1999) Bump hunting in high-dimensional data.
    Statistics and Computing 9, 123-143.
    Kwakkel, J. H. (2017) The Exploratory Modeling Workbench. Environmental Modelling &
    Software 96, 239-250.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.experiments.batch import check_parts, read_runs, read_series
from sim.experiments.compare import compare, paired_summary
from sim.experiments.design import problem
from sim.experiments.experiment import Discovery, Experiment, ExperimentError
from sim.io.output import manifest, read_json, write_csv, write_json

CONFIDENCE = 0.95


@dataclass
class AnalysisReport:
    """Tables written by :func:`analyze`, by name."""

    out: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def point_means(runs: pd.DataFrame, outcome: str) -> np.ndarray:
    """An outcome's mean over replicates at each design point, in design order."""
    return runs.groupby("point", sort=True)[outcome].mean().to_numpy()


def sensitivity(runs: pd.DataFrame, experiment: Experiment, seed: int = 0) -> pd.DataFrame:
    """Sobol' or Morris indices of every outcome for every scenario, one row per parameter.

    Returns:
        For Sobol: ``S1, S1_conf, ST, ST_conf`` (conf: half-width of the 95% interval).
        For Morris: ``mu_star, mu_star_conf, sigma, mu``.
    """
    spec = problem(experiment)
    design = experiment.design
    rows = []
    for scenario, scenario_runs in runs.groupby("scenario", sort=False):
        points = scenario_runs.groupby("point", sort=True)[spec["names"]].first()
        for outcome in experiment.outcomes:
            y = point_means(scenario_runs, outcome)
            if design.method == "sobol":
                from SALib.analyze import sobol

                result = sobol.analyze(spec, y, calc_second_order=design.second_order, conf_level=CONFIDENCE,
                                       seed=seed)
                columns = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                from SALib.analyze import morris

                result = morris.analyze(spec, points.to_numpy(), y, conf_level=CONFIDENCE,
                                        num_levels=design.levels, seed=seed)
                columns = ("mu_star", "mu_star_conf", "sigma", "mu")
            for k, name in enumerate(spec["names"]):
                rows.append({"scenario": scenario, "outcome": outcome, "parameter": name,
                             **{column: float(result[column][k]) for column in columns}})
    return pd.DataFrame(rows)


def scenario_differences(runs: pd.DataFrame, experiment: Experiment, scenarios: list[str]) -> pd.DataFrame:
    """Each outcome of each scenario against the first, paired by design point and replicate
    (the same seed, posterior draw and dispositions)."""
    keyed = runs.set_index(["scenario", "point", "seed"])
    base = keyed.loc[scenarios[0]]
    rows = []
    for other in scenarios[1:]:
        paired = base.index.intersection(keyed.loc[other].index)
        for outcome in experiment.outcomes:
            a = base.loc[paired, outcome].to_numpy()
            b = keyed.loc[other].loc[paired, outcome].to_numpy()
            rows.append({"a": scenarios[0], "b": other, "outcome": outcome,
                         **paired_summary(a, b, slots=np.arange(len(a)))})
    return pd.DataFrame(rows)


def _prim_box(prim, x: pd.DataFrame, cases: np.ndarray, threshold: float) -> tuple[pd.DataFrame, dict]:
    """Peel and paste one PRIM box; pick the point of its trajectory with the highest
    coverage among those whose density reaches ``threshold`` (else the densest point).

    Returns:
        The box limits (rows ``low``, ``high``; one column per parameter) and its coverage,
        density and mass.
    """
    # EMA Workbench 2.x takes a threshold (and gives up on boxes below it); 3.x takes none.
    # With threshold 0 both return the whole peeling trajectory; the choice is made here,
    # from each point's share of cases ("mean") and number of runs ("n").
    accepts_threshold = "threshold" in inspect.signature(prim.Prim.__init__).parameters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, cases, **({"threshold": 0.0} if accepts_threshold else {})).find_box()
    trajectory = box.peeling_trajectory
    density = trajectory["mean"]
    coverage = trajectory["mean"] * trajectory["n"] / cases.sum()
    eligible = density >= threshold
    chosen = int(coverage[eligible].idxmax() if eligible.any() else density.idxmax())
    box.select(chosen)
    stats = {"coverage": float(coverage[chosen]), "density": float(density[chosen]),
             "mass": float(trajectory["n"][chosen] / len(cases))}
    return box.box_lim.set_index(pd.Index(["low", "high"])), stats


def discover(runs: pd.DataFrame, experiment: Experiment, discovery: Discovery) -> pd.DataFrame:
    """PRIM: the parameter box where ``discovery``'s condition is most likely, per scenario.

    Returns:
        One row per scenario and restricted parameter: the box limits, with the box's
        coverage (share of all cases inside it), density (share of runs inside that meet the
        condition) and mass (share of runs inside).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optional parallel back ends it does not need
        from ema_workbench.analysis import prim

    names = problem(experiment)["names"]  # the parameters and the outside driver factors
    rows = []
    for scenario, scenario_runs in runs.groupby("scenario", sort=False):
        values = scenario_runs[discovery.outcome].to_numpy()
        cases = values < discovery.below if discovery.below is not None else values > discovery.above
        base = {"scenario": scenario, "condition": discovery.describe(), "share_of_runs": float(cases.mean()),
                "runs": len(cases)}
        if not cases.any() or cases.all():
            rows.append({**base, "parameter": None, "note": "condition holds in no run or in every run: no box"})
            continue
        limits, stats = _prim_box(prim, scenario_runs[names].reset_index(drop=True), cases, discovery.threshold)
        limits = limits.T
        initial = (scenario_runs[names].min(), scenario_runs[names].max())
        restricted = [n for n in names if limits.loc[n, "low"] > initial[0][n] or limits.loc[n, "high"] < initial[1][n]]
        note = "" if stats["density"] >= discovery.threshold else f"no box reaches density {discovery.threshold}"
        for name in restricted or [None]:
            rows.append({**base, "parameter": name,
                         "low": limits.loc[name, "low"] if name else np.nan,
                         "high": limits.loc[name, "high"] if name else np.nan, **stats,
                         "note": note or ("" if name else "no restriction")})
    return pd.DataFrame(rows)


def outcome_summary(runs: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    """Per scenario and outcome: mean, sd, 5/50/95% quantiles and the number of runs."""
    long = runs.melt(id_vars=["scenario"], value_vars=list(experiment.outcomes), var_name="outcome")
    grouped = long.groupby(["scenario", "outcome"], sort=False)["value"]
    summary = grouped.agg(mean="mean", sd="std", runs="count")
    quantiles = grouped.quantile([0.05, 0.5, 0.95]).unstack()
    quantiles.columns = ["p05", "median", "p95"]
    return summary.join(quantiles).reset_index()


def _decade_comparisons(series: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame | None:
    """``casim compare``'s decade table for the region index, when the batch kept that series."""
    index = series[series["variable"] == "region.integration_index"]
    if index.empty:
        return None
    # A pair is one design point and replicate, run under each scenario.
    pair = index["point"].astype("int64") * (int(index["replicate"].max()) + 1) + index["replicate"]
    tidy = index.assign(scope="region", entity="region", variable="integration_index", replicate=pair)
    return pd.concat([compare(tidy, scenarios[0], other) for other in scenarios[1:]], ignore_index=True)


def load_batch(folder: Path) -> tuple[dict, Experiment, list[str]]:
    """The manifest, experiment and scenario names of a finished batch folder.

    Raises:
        ExperimentError: one line if the folder is not a finished batch or its manifest is damaged.
    """
    folder = Path(folder)
    if not (folder / "manifest.json").is_file():
        raise ExperimentError(f"{folder}: no manifest.json; give a folder written by casim batch")
    recorded = read_json(folder / "manifest.json")
    if recorded.get("kind") != "batch":
        raise ExperimentError(f"{folder}: manifest.json is from casim {recorded.get('kind')}; allowed: a folder "
                              "written by casim batch")
    if recorded.get("status") != "complete":
        raise ExperimentError(f"{folder}: the batch is not finished ({recorded.get('runs_done')} of "
                              f"{recorded.get('runs')} runs); rerun casim batch with the same --out to finish it")
    try:
        experiment = Experiment.model_validate(recorded["experiment"]["resolved"], strict=False)
        scenarios = [record["name"] for record in recorded["scenarios"]]
    except (KeyError, TypeError, ValidationError):
        raise ExperimentError(f"{folder / 'manifest.json'}: experiment or scenarios: missing or damaged; allowed: "
                              "the manifest as casim batch wrote it") from None
    check_parts(folder)  # before anything is written
    return recorded, experiment, scenarios


def analyze(folder: Path, out: Path | None = None) -> AnalysisReport:
    """Analyse a finished batch folder and write tables (CSV), figures and a manifest.

    Raises:
        ExperimentError: the folder is not a finished batch.
    """
    from sim.figures.design import plot_outcomes_by_factor, plot_sensitivity

    folder = Path(folder)
    recorded, experiment, scenarios = load_batch(folder)
    runs = read_runs(folder)
    report = AnalysisReport(out or folder / "analysis")
    report.tables["outcomes"] = outcome_summary(runs, experiment)
    if experiment.outcomes and experiment.design.method in ("sobol", "morris"):
        report.tables["sensitivity"] = sensitivity(runs, experiment)
        report.figures.append(plot_sensitivity(report.tables["sensitivity"], experiment.design.method,
                                               report.out / "figures" / "sensitivity.png"))
    design = problem(experiment)["names"]
    if experiment.outcomes and design and experiment.design.method in ("grid", "latin"):
        kinds = {name: factor.kind for name, factor in experiment.factors.items()}
        report.figures.append(plot_outcomes_by_factor(runs, list(experiment.outcomes), design, kinds,
                                                      report.out / "figures" / "outcomes_by_factor.png"))
    if len(scenarios) > 1:
        if experiment.outcomes:
            report.tables["scenario_differences"] = scenario_differences(runs, experiment, scenarios)
        series = read_series(folder)
        decades = _decade_comparisons(series, scenarios) if series is not None else None
        if decades is not None:
            report.tables["comparison"] = decades
    discoveries = [discover(runs, experiment, d) for d in experiment.analysis.discover]
    if discoveries and design:
        report.tables["discovery"] = pd.concat(discoveries, ignore_index=True)
    elif discoveries:
        report.notes.append("scenario discovery needs a parameter design; this batch has none")
    for name, table in report.tables.items():
        write_csv(table, report.out / f"{name}.csv")
    write_json(manifest(kind="analysis", status="complete", batch=str(folder.resolve()), batch_created=recorded.get("created"),
                        experiment_sha256=recorded.get("experiment_sha256"), runs=len(runs),
                        outputs=[f"{name}.csv" for name in report.tables]
                        + [str(p.relative_to(report.out)) for p in report.figures],
                        notes=report.notes), report.out / "manifest.json")
    return report
