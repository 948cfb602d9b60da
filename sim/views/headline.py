"""The README's numbers, generated from result files so that they cannot drift.

``casim headline`` copies the few small tables the README reports from ``results/`` into
``results/headline/`` (kept in git) and rewrites every block of the README between
``<!-- headline:NAME -->`` and ``<!-- /headline:NAME -->`` from them. A test checks that the
README's blocks are what the committed tables give.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from sim.inputs.leaders import QUANTILE_PREFIX
from sim.inputs.posterior import generation_count, inferred_dispositions
from sim.io.output import write_atomic

ROOT = Path(__file__).resolve().parents[2]
PINNING_DATA = ROOT / "docs" / "pinning_data.csv"  # per parameter: the data that would pin it
CONTRACTED = 0.5  # issue 11: contraction >= 0.5 counts as pinned by the patterns
# What would pin an inferred disposition (a quantile of the leader's coded range).
DISPOSITION_PINNED_BY = ("the leader's decisions toward the neighbours year by year (border regimes, trade and "
                         "currency measures, visas, summits attended); docs/dispositions.md codes his first two years")
HEADLINE_DIR = ROOT / "results" / "headline"
README = ROOT / "README.md"
PASS_LEVEL = 0.8
# results/headline/<name>: the result file it is copied from (relative to results/).
SOURCES = {
    "validation.csv": "validation/validation.csv",
    "validation.json": "validation/manifest.json",
    "validation_to_2016.csv": "validation_to_2016/validation.csv",
    "validation_to_2016.json": "validation_to_2016/manifest.json",
    "tensions.csv": "tensions/tensions.csv",
    "tensions_patterns.csv": "tensions/patterns.csv",
    "tensions.json": "tensions/manifest.json",
    "tensions.png": "tensions/figures/tensions.png",
    "calibration.json": "calibration/posterior.json",
    "calibration_to_2016.json": "calibration_to_2016/posterior.json",
    # the out-of-sample test again with another ABC-SMC seed (experiments/calibration_to_2016_seed7.toml)
    "validation_to_2016_seed7.json": "validation_to_2016_seed7/manifest.json",
    "calibration_to_2016_seed7.json": "calibration_to_2016_seed7/posterior.json",
    "contraction_to_2016_seed7.csv": "calibration_to_2016_seed7/contraction.csv",
    "contraction.csv": "calibration/contraction.csv",
    # the shipped calibration again with another ABC-SMC seed, not shipped (experiments/calibration_seed7.toml)
    "validation_seed7.csv": "validation_seed7/validation.csv",
    "validation_seed7.json": "validation_seed7/manifest.json",
    "calibration_seed7.json": "calibration_seed7/posterior.json",
    "contraction_seed7.csv": "calibration_seed7/contraction.csv",
    "contraction_to_2016.csv": "calibration_to_2016/contraction.csv",
    "coverage.csv": "calibration_coverage/coverage.csv",
    "coverage.json": "calibration_coverage/manifest.json",
    "coverage_ranks.png": "calibration_coverage/figures/ranks.png",
    "comparison_opening.csv": "compare_baseline_vs_no_opening_2016/comparison.csv",
    "comparison_deficit.csv": "compare_baseline_vs_water_deficit_2050_vs_water_deficit_2050_with_barter/comparison.csv",
    "dispositions.csv": "dispositions/flips.csv",
    "dose_response.csv": "dose_response/dose_response.csv",
    "dose_response.png": "dose_response/figures/dose_response.png",
    "index.png": "baseline/figures/index.png",
}
# Keys kept from the JSON records (the rest is provenance that the result folders keep).
_KEPT = ("created", "git_commit", "runs", "wall_time_s", "stopped", "draws", "patterns_used", "generations",
         "replicates", "seed", "truths", "in_sample", "out_of_sample", "in_sample_uninformative",
         "out_of_sample_uninformative", "all", "counterfactual", "parameters", "effective_patterns", "prior_runs",
         "runs_per_draw", "patterns", "pass_level", "tension_threshold", "held_by_the_best_draw",
         "held_by_the_median_draw", "held_pooled", "chance_ceiling")


def collect(results: Path = ROOT / "results", headline: Path = HEADLINE_DIR) -> list[str]:
    """Copy the README's source tables from ``results`` (those present); return their names."""
    copied = []
    for name, source in SOURCES.items():
        path = Path(results) / source
        if not path.is_file() or not _finished(path.parent):
            continue
        if name.endswith(".json"):
            record = json.loads(path.read_text(encoding="utf-8"))
            kept = {key: record[key] for key in _KEPT if key in record}
            write_atomic(Path(headline) / name, lambda tmp, k=kept: tmp.write_text(json.dumps(k, indent=1) + "\n"))
        else:
            Path(headline).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, Path(headline) / name)
        copied.append(name)
    return copied


def _finished(folder: Path) -> bool:
    """False for a result folder whose manifest says its run has not finished (or is unreadable)."""
    for candidate in (folder / "manifest.json", folder.parent / "manifest.json"):
        if candidate.is_file():
            try:
                record = json.loads(candidate.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                return False
            return isinstance(record, dict) and record.get("status", "complete") == "complete"
    return True


def _read(headline: Path, name: str):
    path = Path(headline) / name
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")) if name.endswith(".json") else pd.read_csv(path)


def _markdown(table: pd.DataFrame) -> str:
    def cell(value) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def _counts(record: dict, key: str) -> str:
    counts = record[key]
    if not counts["patterns"]:
        return "-"
    return f"{counts['reproduced']} of {counts['patterns']}"


def validation_block(headline: Path) -> str:
    rows = []
    for label, name in (("calibrated on the {} patterns up to 2016", "validation_to_2016.json"),
                        ("the same, another ABC-SMC seed", "validation_to_2016_seed7.json"),
                        ("calibrated on all {} patterns (shipped)", "validation.json"),
                        ("the same, another ABC-SMC seed (not shipped)", "validation_seed7.json")):
        record = _read(headline, name)
        if record is None:
            continue
        label = label.format(record["in_sample"]["patterns"] + record["in_sample_uninformative"]["patterns"])
        opening = record["counterfactual"]
        rows.append({"posterior": label,
                     "in-sample, informative": _counts(record, "in_sample"),
                     "in-sample, uninformative": _counts(record, "in_sample_uninformative"),
                     "out-of-sample, informative": _counts(record, "out_of_sample"),
                     "out-of-sample, uninformative": _counts(record, "out_of_sample_uninformative"),
                     "opening patterns: baseline / no_opening_2016":
                         f"{opening['opening_patterns_in_scenario']['reproduced']} / "
                         f"{opening['opening_patterns']['reproduced']} of {opening['opening_patterns']['patterns']}",
                     "runs": record["replicates"]})
    return _markdown(pd.DataFrame(rows))


def patterns_block(headline: Path) -> str:
    early, shipped = _read(headline, "validation_to_2016.csv"), _read(headline, "validation.csv")
    if early is None or shipped is None:
        return ""
    table = pd.DataFrame({
        "pattern": early["pattern"],
        "up to 2016": early["sample"].map({"in-sample": "yes", "out-of-sample": ""}),
        "prior pass rate": early["prior_pass_rate"],
        "posterior to 2016": early["pass_rate"],
        "shipped posterior": shipped["pass_rate"],
        "no_opening_2016 (shipped)": shipped["counterfactual_pass_rate"].where(shipped["opening"], float("nan")),
    })
    table["no_opening_2016 (shipped)"] = table["no_opening_2016 (shipped)"].map(lambda v: "" if pd.isna(v) else v)
    second = _read(headline, "validation_seed7.csv")
    if second is not None:  # the same calibration with another sampler seed: how far a single rate moves
        table.insert(5, "another seed (not shipped)",
                     second.set_index("pattern")["pass_rate"].reindex(table["pattern"]).to_numpy())
    # By posterior draw (casim tensions): how many draws hold the pattern, and its best draw.
    by_draw = _read(headline, "tensions_patterns.csv")
    if by_draw is not None:
        by_draw = by_draw.set_index("pattern").reindex(table["pattern"])
        table["draws holding it (shipped)"] = [f"{v:.2f}" for v in by_draw["share_of_draws_holding"]]
        table["best draw (shipped)"] = [f"{v:.2f}" for v in by_draw["best_draw_pass_rate"]]
    if "share_of_squared_distance" in shipped:  # which patterns the shipped posterior's runs miss most
        shares = shipped.set_index("pattern")["share_of_squared_distance"].reindex(table["pattern"])
        table["share of the squared distance (shipped)"] = [("" if pd.isna(v) else f"{v:.2f}") for v in shares]
    bolded = [c for c in ("posterior to 2016", "shipped posterior", "another seed (not shipped)") if c in table]
    for column in bolded:
        table[column] = table[column].map(lambda v: f"**{v:.2f}**" if v >= PASS_LEVEL else f"{v:.2f}")
    table["prior pass rate"] = table["prior pass rate"].map(lambda v: f"{v:.2f}" + (" (uninformative)"
                                                                                       if v >= PASS_LEVEL else ""))
    return _markdown(table)


def _comparison_row(rows: pd.DataFrame, decade: str, b: str, variable: str = "region.integration_index") -> pd.Series:
    """One decade of one comparison (A against ``b``) in a ``comparison.csv`` table."""
    return rows[(rows["decade"] == decade) & (rows["b"] == b) & (rows["variable"] == variable)].iloc[0]


def _answer(rows: pd.DataFrame, decade: str, b: str, variable: str = "region.integration_index") -> dict:
    row = _comparison_row(rows, decade, b, variable)
    return {"A": row["a"], "B": row["b"], "variable": variable.removeprefix("region."), "decade": decade,
            "mean A": round(row["mean_a"], 3), "mean B": round(row["mean_b"], 3),
            "B - A (5-95%)": f"{row['mean_difference']:+.3f} ({row['p05_difference']:+.3f} to "
                             f"{row['p95_difference']:+.3f})",
            "P(B higher)": f"{row['probability_b_higher']:.2f}",
            "spread from draws / chance": f"{row['share_from_parameters_and_dispositions']:.2f} / "
                                          f"{row['share_from_chance']:.2f}",
            "pairs": int(row["n_pairs"])}


FRAMEWORK_VARIABLES = ("region.water_shortfall", "region.energy_deficit", "region.deal_water_km3",
                       "region.deal_energy_gwh")


def answers_block(headline: Path) -> str:
    rows = []
    opening, deficit = _read(headline, "comparison_opening.csv"), _read(headline, "comparison_deficit.csv")
    if opening is not None:
        rows.append(_answer(opening, "2021-2030", "no_opening_2016"))
    if deficit is not None:
        for b in ("water_deficit_2050", "water_deficit_2050_with_barter"):
            for variable in ("region.integration_index", "region.water_shortfall"):
                if variable in set(deficit["variable"]):
                    rows.append(_answer(deficit[deficit["a"] == "baseline"], "2041-2050", b, variable))
        # what the framework itself changes, in water and energy, against the deficit without it
        framework = deficit[deficit["a"] == "water_deficit_2050"]
        for variable in FRAMEWORK_VARIABLES:
            if variable in set(framework["variable"]):
                rows.append(_answer(framework, "2041-2050", "water_deficit_2050_with_barter", variable))
    if not rows:
        return ""
    return "\n".join(_plain_answers(opening, deficit)) + "\n\n" + _markdown(pd.DataFrame(rows))


def _lower_share(table: pd.DataFrame, decade: str, b: str) -> tuple[float, float, int]:
    row = _comparison_row(table, decade, b)
    lower = 1.0 - row["probability_b_higher"] - row["probability_no_difference"]
    return lower, row["mean_difference"], int(row["n_pairs"])


def _plain_answers(opening: pd.DataFrame | None, deficit: pd.DataFrame | None) -> list[str]:
    """The headline answers in words, each with its probability over the paired runs."""
    lines = []
    if opening is not None:
        lower, change, pairs = _lower_share(opening, "2021-2030", "no_opening_2016")
        lines.append(f"- Without Uzbekistan's opening after 2016, the 2021-2030 integration index is lower in "
                     f"{round(lower * pairs)} of {pairs} paired runs (by {-change:.3f} on average).")
    if deficit is not None:
        deficit_all, deficit = deficit, deficit[deficit["a"] == "baseline"]
        for b, label in (("water_deficit_2050", "The 2050 water deficit"),
                         ("water_deficit_2050_with_barter", "The deficit with an outside water-energy framework")):
            if b in set(deficit["b"]):
                lower, change, pairs = _lower_share(deficit, "2041-2050", b)
                lines.append(f"- {label} leaves the 2041-2050 index lower than the baseline's in "
                             f"{round(lower * pairs)} of {pairs} paired runs ({change:+.3f} on average).")
        lines += _framework_answer(deficit_all)
    return lines


def _framework_answer(deficit: pd.DataFrame) -> list[str]:
    """What the framework moves in the deficit's last decade: water and energy, and the shortfall."""
    framework = deficit[deficit["a"] == "water_deficit_2050"]
    if not set(FRAMEWORK_VARIABLES) <= set(framework["variable"]):
        return []
    row = {variable.removeprefix("region."): _comparison_row(framework, "2041-2050", "water_deficit_2050_with_barter",
                                                              variable) for variable in FRAMEWORK_VARIABLES}
    water, energy, shortfall = row["deal_water_km3"], row["deal_energy_gwh"], row["water_shortfall"]
    return [(f"- Under the deficit, the framework's deals move {water['mean_difference']:+.2f} km3 of summer water "
            f"and {energy['mean_difference']:+,.0f} GWh of winter energy a year in 2041-2050 ({water['mean_a']:.2f} "
            f"km3 and {energy['mean_a']:,.0f} GWh without it, {int(water['n_pairs'])} pairs); the shortfall changes "
            f"by {shortfall['mean_difference']:+.4f} and the winter energy deficit by "
            f"{row['energy_deficit']['mean_difference']:+.4f}.")]


def tensions_block(headline: Path) -> str:
    pairs, record = _read(headline, "tensions.csv"), _read(headline, "tensions.json")
    if pairs is None or record is None:
        return ""
    text = (f"Over {record['draws']} posterior draws x {record['runs_per_draw']} runs each "
            f"({record['runs']:,} runs, every run its seed and its later leaders' dispositions), the draw that holds the "
            f"most patterns holds {record['held_by_the_best_draw']} of {record['patterns']} in at least "
            f"{record['pass_level']:.0%} of its runs, the median draw {record['held_by_the_median_draw']:g}, and "
            f"the pooled posterior {record['held_pooled']}.")
    ceiling = record["chance_ceiling"]
    text += (f" Chance caps such counts: taken as the truth, with one of its runs as the record, a draw holds "
             f"in at least {record['pass_level']:.0%} of its other runs a median {ceiling['median']:.0%} of the "
             f"patterns that hold in that record (10-90% over draws: {ceiling['p10']:.0%}-{ceiling['p90']:.0%}), "
             "so even a model that were exactly true, with its parameters known, would be credited with about "
             "that share of the narrative's patterns, not all of them.")
    text += (f" {len(pairs)} pairs of patterns below the pass level pull against each other (Spearman correlation "
             f"of their pass rates across draws below {record['tension_threshold']}); the strongest:")
    shown = pairs.head(15).rename(columns={"pattern_a": "pattern", "pattern_b": "against", "correlation": "ρ",
                                           "draws_holding_both": "draws holding both"})
    shown = shown[["pattern", "against", "ρ", "draws holding both"]]
    return text + "\n\n" + _markdown(shown)


def calibration_block(headline: Path) -> str:
    rows = []
    for label, record_name, table_name in (("up to 2016", "calibration_to_2016.json", "contraction_to_2016.csv"),
                                            ("up to 2016, another seed", "calibration_to_2016_seed7.json",
                                             "contraction_to_2016_seed7.csv"),
                                            ("all patterns (shipped)", "calibration.json", "contraction.csv"),
                                            ("all patterns, another seed (not shipped)", "calibration_seed7.json",
                                             "contraction_seed7.csv")):
        record, contraction = _read(headline, record_name), _read(headline, table_name)
        if record is None or contraction is None:
            continue
        inferred = contraction["name"].str.startswith(QUANTILE_PREFIX)
        rows.append({"calibration": label, "patterns": len(record["patterns_used"]),
                     "generations": generation_count(record["generations"]),
                     "runs (closing sweep included)": f"{record['runs']:,}",
                     "distinct draws": f"{record['generations'][-1]['distinct_particles']} of {record['draws']}",
                     "wall time": f"{record['wall_time_s'] / 60:.1f} min",
                     "final tolerance": f"{record['generations'][-1]['epsilon']:.3f}",
                     "parameters with contraction >= 0.5": _contracted(contraction[~inferred]),
                     "inferred dispositions with contraction >= 0.5": _contracted(contraction[inferred])})
    return _markdown(pd.DataFrame(rows)) if rows else ""


def _contracted(contraction: pd.DataFrame) -> str:
    """``k of n: name (c), ...`` for the rows contracted by at least CONTRACTED."""
    strong = contraction[contraction["contraction"] >= CONTRACTED].sort_values("contraction", ascending=False)
    names = [n.removeprefix(QUANTILE_PREFIX) for n in strong["name"]]
    return f"{len(strong)} of {len(contraction)}" + (": " if len(strong) else "") + ", ".join(
        f"{n} ({c:.2f})" for n, c in zip(names, strong["contraction"]))


def contraction_block(headline: Path) -> str:
    tables = [(label, _read(headline, name)) for label, name in (("to 2016", "contraction_to_2016.csv"),
                                                                  ("shipped", "contraction.csv"))]
    tables = [(label, table.set_index("name")) for label, table in tables if table is not None]
    if not tables:
        return ""
    names = list(dict.fromkeys(name for _, rows in tables for name in rows.index))  # the fit to 2016 infers fewer
    everywhere = pd.concat([rows for _, rows in tables]).groupby(level=0).first().loc[names]
    table = pd.DataFrame({"parameter": names, "prior (documented range)": [
        f"quantile {low:g} to {high:g}" if name.startswith(QUANTILE_PREFIX) else f"{low:g} to {high:g}"
        for name, low, high in zip(names, everywhere["prior_low"], everywhere["prior_high"])]})
    for label, rows in tables:
        rows = rows.reindex(names)
        table[f"posterior 5-95% ({label})"] = ["not inferred" if np.isnan(a) else f"{a:.3g} to {b:.3g}"
                                              for a, b in zip(rows["posterior_p05"], rows["posterior_p95"])]
        table[f"contraction ({label})"] = ["" if np.isnan(c) else f"{c:.2f}" for c in rows["contraction"]]
    # for the parameters the shipped calibration leaves loose (issue 11's target): the data that would pin them
    pinning = pd.read_csv(PINNING_DATA).set_index("name")
    loose = tables[-1][1].reindex(names)["contraction"] < CONTRACTED

    def would_pin(name: str) -> str:
        if name.startswith(QUANTILE_PREFIX):
            return DISPOSITION_PINNED_BY
        observable, series = pinning.at[name, "pinned_by"], pinning.at[name, "series"]
        return observable if observable == series else f"{observable}; {series}"

    table["data that would pin it (docs/pinning_data.csv)"] = [
        would_pin(name) if is_loose else "" for name, is_loose in zip(names, loose)]
    return ("<details><summary>Every parameter's and inferred disposition's prior, posterior and contraction"
            "</summary>\n\n" + _markdown(table) + "\n\n</details>")


def coverage_block(headline: Path) -> str:
    coverage, record = _read(headline, "coverage.csv"), _read(headline, "coverage.json")
    if coverage is None or record is None:
        return ""
    overall = coverage[coverage["parameter"] == "overall"].iloc[0]
    rest = coverage[coverage["parameter"] != "overall"]
    inferred = rest["parameter"].str.startswith(QUANTILE_PREFIX)

    def misses(rows: pd.DataFrame) -> str:
        off = rows[((rows["coverage_50"] - 0.5).abs() > 0.1) | ((rows["coverage_90"] - 0.9).abs() > 0.1)]
        listed = ": " + ", ".join(f"{r.parameter.removeprefix(QUANTILE_PREFIX)} ({r.coverage_50:.2f} / "
                                  f"{r.coverage_90:.2f})" for r in off.itertuples()) if len(off) else ""
        return f"{len(off)} of {len(rows)}{listed}"

    lines = [(f"- {int(record['truths'])} truths drawn from the prior, each calibrated on its own synthetic "
              f"pattern outcomes ({record['wall_time_s'] / 60:.0f} min)."),
             (f"- Overall, the 50% intervals contain the truth in {overall['coverage_50']:.0%} and the 90% "
              f"intervals in {overall['coverage_90']:.0%} of {int(record['truths']) * len(rest)} truth pairs "
              f"({int(record['truths']) * int(inferred.sum())} of them of inferred dispositions)."),
             f"- Parameters whose 50% or 90% coverage misses nominal by more than 10 points: {misses(rest[~inferred])}.",
             f"- Inferred dispositions that miss by as much: {misses(rest[inferred])}.",
             f"- Mean posterior sd over prior sd: {overall['posterior_sd_over_prior_sd']:.2f}."]
    return "\n".join(lines)


def dispositions_block(headline: Path) -> str:
    table = _read(headline, "dispositions.csv")
    if table is None:
        return ""
    shown = table.rename(columns={"first_full_year": "from", "opening_effect_range": "opening effect across range"})
    return _markdown(shown[["country", "leader", "from", "range", "opening effect across range", "flips"]])


def inferred_dispositions_block(headline: Path) -> str:
    """Where the record puts each inferred leader within his coded range: the disposition at the
    posterior's 5%, 50% and 95% quantiles, by calibration."""
    tables = [(label, _read(headline, name)) for label, name in (("fit to 2016", "contraction_to_2016.csv"),
                                                                  ("shipped", "contraction.csv"))]
    tables = [(label, inferred_dispositions(table).set_index("name")) for label, table in tables if table is not None]
    names = list(dict.fromkeys(n for _, t in tables for n in t.index))
    if not names:
        return ""
    everyone = pd.concat([t for _, t in tables]).groupby(level=0).first().loc[names]
    shown = pd.DataFrame({"country": everyone["country"], "leader": everyone["leader"],
                          "from": everyone["first_full_year"],
                          "coded (central, range)": [f"{c:.2f} ({lo:.2f}-{hi:.2f})" for c, lo, hi in zip(
                              everyone["coded_central"], everyone["coded_low"], everyone["coded_high"])]})
    for label, table in tables:
        shown[f"inferred, {label}: median (5-95%)"] = [
            f"{table.at[n, 'median']:.2f} ({table.at[n, 'p05']:.2f}-{table.at[n, 'p95']:.2f})" if n in table.index
            else "drawn (after the cut-off)" for n in names]
    return _markdown(shown.reset_index(drop=True))


def _signed(value: float, digits: int = 3) -> str:
    return f"{round(value, digits) + 0.0:+.{digits}f}"


def _moves(first: float, last: float, digits: int = 2) -> str:
    return f"{first:.{digits}f} \u2192 {last:.{digits}f}"


def dose_response_block(headline: Path) -> str:
    table = _read(headline, "dose_response.csv")
    if table is None:
        return ""

    def cell(arm: str, loss: float, outcome: str, column: str = "mean") -> float:
        rows = table[(table["arm"] == arm) & (table["flow_loss"] == loss) & (table["outcome"] == outcome)]
        return float(rows[column].iloc[0])

    without, with_ = "without framework", "with framework"
    losses = sorted(table["flow_loss"].unique())
    first, last = losses[0], losses[-1]
    rows = []
    for loss in losses:
        changed = loss != first
        index = "integration_index"
        rows.append({
            "flow loss by 2050": f"{loss:.0%}",
            "index: without / with framework": f"{cell(without, loss, index):.3f} / {cell(with_, loss, index):.3f}",
            f"index vs {first:.0%} loss, without (5-95%)":
                f"{_signed(cell(without, loss, index, 'change_from_no_loss'))} "
                f"({_signed(cell(without, loss, index, 'change_p05'))} to "
                f"{_signed(cell(without, loss, index, 'change_p95'))})" if changed else "-",
            f"P(index higher than at {first:.0%})":
                f"{cell(without, loss, index, 'probability_higher_than_no_loss'):.2f}" if changed else "-",
            "framework effect on index (P higher)": f"{_signed(cell(with_, loss, index, 'framework_effect'))} "
                                                    f"({cell(with_, loss, index, 'probability_framework_higher'):.2f})",
            "shortfall: without / with": f"{cell(without, loss, 'water_shortfall'):.3f} / "
                                         f"{cell(with_, loss, 'water_shortfall'):.3f}",
            "KGZ, TJK winter deficit: without / with": f"{cell(without, loss, 'kgz_energy_deficit'):.2f}, "
                                                       f"{cell(without, loss, 'tjk_energy_deficit'):.2f} / "
                                                       f"{cell(with_, loss, 'kgz_energy_deficit'):.2f}, "
                                                       f"{cell(with_, loss, 'tjk_energy_deficit'):.2f}",
            "deals kept: without / with": f"{cell(without, loss, 'water_energy_coop'):.2f} / "
                                          f"{cell(with_, loss, 'water_energy_coop'):.2f}",
            "incidents a year, without": f"{cell(without, loss, 'conflict_incidents'):.1f}",
        })
    change = cell(without, last, "integration_index", "change_from_no_loss")
    direction = "higher" if round(change, 3) > 0 else "lower" if round(change, 3) < 0 else "no different"
    summary = (
        f"Over {int(table['runs'].iloc[0])} paired posterior runs per level, the 2041-2050 index with the flow "
        f"{last:.0%} below its mean is {abs(change):.3f} {direction} than with no flow loss (higher in "
        f"{cell(without, last, 'integration_index', 'probability_higher_than_no_loss'):.0%} of the runs). From "
        f"{first:.0%} to {last:.0%} without the framework: shortfall "
        f"{_moves(cell(without, first, 'water_shortfall'), cell(without, last, 'water_shortfall'))}, deals kept "
        f"{_moves(cell(without, first, 'water_energy_coop'), cell(without, last, 'water_energy_coop'))}, border "
        f"incidents a year "
        f"{_moves(cell(without, first, 'conflict_incidents'), cell(without, last, 'conflict_incidents'), 1)}, KGZ "
        f"and TJK winter deficits {_moves(cell(without, first, 'kgz_energy_deficit'), cell(without, last, 'kgz_energy_deficit'))}"
        f" and {_moves(cell(without, first, 'tjk_energy_deficit'), cell(without, last, 'tjk_energy_deficit'))}. "
        f"The framework changes the index by {_signed(cell(with_, first, 'integration_index', 'framework_effect'))} "
        f"at {first:.0%} and {_signed(cell(with_, last, 'integration_index', 'framework_effect'))} at {last:.0%}, "
        f"the shortfall by {_signed(cell(with_, last, 'water_shortfall', 'framework_effect'))} and the KGZ and TJK "
        f"winter deficits by {_signed(cell(with_, last, 'kgz_energy_deficit', 'framework_effect'))} and "
        f"{_signed(cell(with_, last, 'tjk_energy_deficit', 'framework_effect'))} at {last:.0%}.")
    return summary + "\n\n" + _markdown(pd.DataFrame(rows))


BENCHMARKS = ROOT / "benchmarks" / "results.json"


def speed_block(headline: Path, benchmarks: Path = BENCHMARKS) -> str:
    """The README's speed table, from ``make bench``'s record (not from ``results/headline``)."""
    if not Path(benchmarks).is_file():
        return ""
    record = json.loads(Path(benchmarks).read_text(encoding="utf-8"))
    results, machine = record["results"], record["machine"]
    mesa = results["a_mesa_batch_run"]["runs_per_s"]

    def row(label: str, result: dict) -> str:
        return (f"| {label} | {result['runs']:,} | {result['wall_s']:.1f} s | {result['runs_per_s']:,.0f} | "
                f"{result['runs_per_s'] / mesa:,.0f}x |")

    a, sobol, memory = results["a_mesa_batch_run"], results["sobol"], results["memory"]
    lines = [(f"Measured side by side by `make bench` on {machine['date']} (commit {machine['git_commit']}, "
             f"{machine['cpu_count']} CPUs, Python {machine['python']}); details in `benchmarks/results.md`."), "",
             "| what | runs | wall time | runs/s | vs Mesa |", "|---|---:|---:|---:|---:|",
             (f"| (a) `mesa.batch_run(sim.CentralAsia, ...)`, one process | {a['runs']} | {a['wall_s']:.1f} s | "
             f"{a['runs_per_s']:.1f} | 1x |"),
             row("(b) ensemble engine, one process (blocks of 1,000)", results["b_engine"]),
             row("(c) `casim batch --workers 2`, start-up and Parquet output included", results["c_casim_batch"]),
             (f"| Sobol', {sobol['parameters']} parameters, N = {sobol['samples']:,}: `casim batch` + `casim analyze` "
             f"| {sobol['runs']:,} | {sobol['wall_s']:.1f} s | | |")]
    if "d_tidy_table" in results:
        tidy = results["d_tidy_table"]
        spread = (f"median of {tidy['processes']} fresh processes, lowest {tidy['throughput_ratio_min']:.0%}, "
                  f"highest {tidy['throughput_ratio_max']:.0%}; ")
        lines += ["", (f"`sim.run` of {tidy['runs']:,} runs with every variable recorded takes {tidy['run_s']:.2f} s "
                       f"against {tidy['simulate_s']:.2f} s for the simulation alone: {tidy['throughput_ratio']:.0%} "
                       f"of the engine's throughput ({spread}{tidy['throughput_ratio_warm']:.0%} on a second call; "
                       f"target 70%), with a peak of {tidy['memory_over_table']:.2f}x the table's own size (target 2x).")]
    small, large = memory["10k"], memory["100k"]
    lines += ["", (f"Peak memory of `casim batch --workers 2`: {small['peak_rss_largest_process_mb']:.0f} MB for the "
                   f"largest process and {small['peak_rss_tree_sum_mb']:.0f} MB for the whole process tree at "
                   f"{small['runs']:,} runs; {large['peak_rss_largest_process_mb']:.0f} MB and "
                   f"{large['peak_rss_tree_sum_mb']:.0f} MB at {large['runs']:,} runs (ratios "
                   f"{memory['ratio_largest_process']:.2f} and {memory['ratio_tree_sum']:.2f}; target: no growth, "
                   f"at most 1.2).")]
    return "\n".join(lines)


BLOCKS: dict[str, Callable[[Path], str]] = {
    "speed": speed_block,
    "tensions": tensions_block,
    "validation": validation_block,
    "patterns": patterns_block,
    "answers": answers_block,
    "calibration": calibration_block,
    "contraction": contraction_block,
    "coverage": coverage_block,
    "dispositions": dispositions_block,
    "inferred_dispositions": inferred_dispositions_block,
    "dose_response": dose_response_block,
}
_BLOCK = re.compile(r"(<!-- headline:(\w+) -->\n)(.*?)(<!-- /headline:\2 -->)", re.DOTALL)


def render(text: str, headline: Path = HEADLINE_DIR) -> str:
    """``text`` with every headline block regenerated from ``headline``."""
    return _BLOCK.sub(lambda m: m.group(1) + BLOCKS[m.group(2)](headline).rstrip() + "\n" + m.group(4), text)


def update_readme(readme: Path = README, headline: Path = HEADLINE_DIR) -> Path:
    """Rewrite the README's headline blocks from the tables in ``headline``."""
    text = Path(readme).read_text(encoding="utf-8")
    return write_atomic(Path(readme), lambda tmp: tmp.write_text(render(text, headline), encoding="utf-8"))
