"""A self-contained HTML report of a results folder (``casim report DIR``).

One HTML file, readable offline: the figures are embedded as PNG data URIs and the style is
inline. It says what was run (from the folder's manifest), shows the key figures with short
captions and the headline numbers as tables, and states the validation status of the model
version that produced the folder. Folders of ``casim run``, ``compare``, ``batch`` (with its
``analysis/`` if ``casim analyze`` has been run; an analysis folder itself works too),
``validate`` and ``calibrate`` are understood.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.inference.validation import PASS_LEVEL, headline
from sim.inputs.parameters import calibration_record
from sim.inputs.posterior import contraction_counts, describe_schedule, inferred_dispositions
from sim.io.input_files import InputError
from sim.io.output import git_commit, read_json, write_atomic

KINDS = ("run", "compare", "batch", "analysis", "validate", "calibrate", "coverage", "tensions")
VALIDATION_DIR = Path("results") / "validation"  # where plain ``casim validate`` writes (from the working folder)
MAX_ROWS = 50
HEADERS = {  # readable column headers of the CSV tables
    "a": "A", "b": "B", "mean_a": "mean A", "mean_b": "mean B", "mean_difference": "B − A",
    "p05_difference": "B − A 5%", "p95_difference": "B − A 95%", "probability_b_higher": "P(B higher)",
    "probability_no_difference": "P(no difference)", "share_from_parameters_and_dispositions": "spread: draws",
    "share_from_chance": "spread: chance", "n_draw_slots": "draw slots", "n_pairs": "pairs", "p05": "5%", "p95": "95%",
    "share_of_runs": "share of runs", "pass_rate": "pass rate", "prior_low": "prior low", "prior_high": "prior high",
    "posterior_p05": "posterior 5%", "posterior_median": "posterior median", "posterior_p95": "posterior 95%",
    "mu_star": "mu*", "mu_star_conf": "mu* ±", "S1_conf": "S1 ±", "ST_conf": "ST ±",
}
STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222}h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;
margin-top:2em}h3{margin-bottom:.3em}dl{display:grid;grid-template-columns:max-content auto;gap:.3em 1em}
dt{font-weight:600}dd{margin:0}code{background:#f3f3f3;padding:0 .25em;border-radius:3px;font-size:.9em;
overflow-wrap:anywhere}table{border-collapse:collapse;font-size:.88em;margin:.5em 0}th,td{padding:.25em .6em;
border-bottom:1px solid #ddd;text-align:left;vertical-align:top;white-space:nowrap}th{background:#f3f6fa}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.wrap{white-space:normal;min-width:16em}
.scroll{overflow-x:auto}figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.92em;
color:#444;max-width:900px}.note{color:#555;font-size:.9em}.warn{background:#fff4e5;border-left:4px solid #E69F00;
padding:.5em 1em}.ok{background:#eaf7f0;border-left:4px solid #009E73;padding:.5em 1em}pre{background:#f6f6f6;
padding:1em;overflow:auto;font-size:.8em;max-height:40em}
"""

esc = html.escape


# ------------------------------------------------------------------ small helpers


def _number(value) -> str:
    if pd.isna(value):
        return ""
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def _cell(value) -> str:
    """A table cell: numbers right-aligned, long text allowed to wrap."""
    if isinstance(value, float):
        return f'<td class="n">{_number(value)}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="n">{value}</td>'
    text = "" if value is None or value is pd.NA else str(value)
    return f'<td{" class=wrap" if len(text) > 20 else ""}>{esc(text)}</td>'


def _table(frame: pd.DataFrame, caption: str = "") -> str:
    """An HTML table of at most MAX_ROWS rows (with a note when cut) under a caption."""
    shown = frame.head(MAX_ROWS).rename(columns=HEADERS)
    header = "".join(f"<th>{esc(str(c))}</th>" for c in shown.columns)
    rows = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in shown.astype(object).itertuples(False))
    cut = f'<p class="note">First {MAX_ROWS} of {len(frame)} rows.</p>' if len(frame) > MAX_ROWS else ""
    return ((f'<p class="note">{esc(caption)}</p>' if caption else "")
            + f'<div class="scroll"><table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></div>{cut}')


def _bullets(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>"


def _read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def _scenario_line(record: dict) -> str:
    resolved = record.get("resolved", {})
    about = f"{resolved.get('start_year')}–{resolved.get('end_year')}. {resolved.get('description', '')}".strip()
    assumed = len(record.get("assumptions") or [])
    flag = f" <b>Rests on {assumed} assumption(s): see above.</b>" if assumed else ""
    return (f"<b>{esc(record['name'])}</b> ({esc(str(record.get('file', '')))}), sha256 "
            f"<code>{esc(record['sha256'])}</code><br><span class=\"note\">{esc(about)}</span>{flag}")


def _seeds(seeds: list) -> str:
    shown = ", ".join(str(s) for s in seeds[:3])
    return f"{len(seeds)} replicates (replicate seeds {shown}{', …' if len(seeds) > 3 else ''})"


def _runs(runs: dict) -> str:
    """How the runs were made: parameters (posterior draws), seeds per draw, seeds and draws."""
    listed = runs.get("replicates", [])
    shown = "; ".join(f"seed {r['seed']}, draw {r['draw']}" for r in listed[:3])
    parameters = runs.get("parameters", {})
    where = (f", sha256 <code>{esc(parameters['posterior_sha256'][:16])}…</code>"
             if parameters.get("posterior_sha256") else "")
    return (f"{len(listed)} runs over the {esc(parameters.get('label', '?'))}{where}; "
            f"{runs.get('seeds_per_draw', 1)} seed(s) per draw and set of dispositions ({esc(shown)}"
            f"{', …' if len(listed) > 3 else ''})")


def _replicates(record: dict) -> int:
    runs = record.get("runs")
    listed = runs.get("replicates", []) if isinstance(runs, dict) else []
    return len(listed) or len(record.get("replicate_seeds", [])) or int(record.get("replicates") or 0)


def _load(folder: Path) -> tuple[Path, dict, Path | None]:
    """The folder and manifest that describe the run, and the analysis folder if any; errors are one line."""
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError(f"{folder}: no manifest.json; give a folder written by casim run, compare, batch, analyze, "
                         "validate or calibrate")
    record = read_json(path)
    kind = record.get("kind")
    if kind not in KINDS:
        raise InputError(f"{path}: unknown kind {kind!r}; a report is made for the folders of casim run, compare, "
                         "batch, analyze, validate, calibrate and tensions")
    if kind == "batch":
        analysis = folder / "analysis"
        finished = (analysis / "manifest.json").is_file() and unfinished(analysis) is None
        return folder, record, analysis if finished else None
    if kind == "analysis":  # describe the batch it analysed: its parent folder, else the recorded path
        for batch in (folder.parent, Path(str(record.get("batch", "")))):
            if (batch / "manifest.json").is_file() and read_json(batch / "manifest.json").get("kind") == "batch":
                return batch, read_json(batch / "manifest.json"), folder
        raise InputError(f"{folder}: the batch it analyses ({record.get('batch')}) is gone; give the batch folder "
                         "instead")
    return folder, record, None


def unfinished(folder: Path) -> str | None:
    """One line saying that the command that wrote ``folder`` did not finish, or None.

    Commands write a manifest saying ``"status": "incomplete"`` first and replace it at the
    end (a batch's says ``running`` in older folders; a manifest without a status is whole).
    """
    record = read_json(Path(folder) / "manifest.json")
    status = record.get("status", "complete")
    if status == "complete":
        return None
    return (f"{folder}: the casim {record.get('kind')} command that wrote this folder did not finish (manifest status: "
            f"{status}); rerun it with the same output folder to complete it")


def _unfinished_page(folder: Path, note: str) -> tuple[str, list[str]]:
    """Title and body of the report of a folder whose command did not finish: the note and the manifest."""
    record = read_json(folder / "manifest.json")
    title = f"casim {record.get('kind')}: incomplete"
    full = esc(json.dumps(record, indent=2, default=str), quote=False)
    return title, [f"<h1>{esc(title)}</h1><p class=\"note\">Report of <code>{esc(str(folder.resolve()))}</code>.</p>",
                   f'<p class="warn">{esc(note)}</p>', f"<h2>What was run</h2><pre>{full}</pre>"]


def _title(record: dict) -> str:
    kind = record["kind"]
    if kind == "run":
        return f"casim run: {record['scenario']['name']}"
    if kind == "compare":
        return "casim compare: " + " vs ".join(s["name"] for s in record["scenarios"])
    if kind == "batch":
        return f"casim batch: {record['experiment']['name']}"
    if kind == "validate":
        return f"casim validate: {record['scenario']}"
    if kind == "coverage":
        return f"casim calibrate --check-coverage: {record.get('calibration', {}).get('name', '')}"
    if kind == "tensions":
        return f"casim tensions: {record['scenario']}"
    return f"casim calibrate: {record.get('settings', {}).get('name', '')}"


# ------------------------------------------------------------------ what was run


def _facts_run(record: dict) -> list[tuple[str, str]]:
    scenario = record["scenario"]
    return [("Scenario", _scenario_line(scenario)), ("Runs", f"seed {scenario.get('seed')}; {_runs(record['runs'])}")]


def _facts_compare(record: dict) -> list[tuple[str, str]]:
    lines = [f"{chr(65 + i)}: " + _scenario_line(s) for i, s in enumerate(record["scenarios"])]
    runs = (f"seed {record['scenarios'][0].get('seed')}; {_runs(record['runs'])}; the scenarios' runs are paired: "
            "the same seed, posterior draw and leaders' dispositions")
    return [("Scenarios", "<br>".join(lines)), ("Variables", esc(", ".join(record.get("variables", [])))),
            ("Runs", runs)]


def _facts_batch(record: dict) -> list[tuple[str, str]]:
    design, experiment = record["design"], record["experiment"]
    ranges = ", ".join(f"{esc(n)} [{lo:g}, {hi:g}]" for n, (lo, hi) in
                       zip(design["problem"]["names"], design["problem"]["bounds"])) or "no parameters varied"
    name = f"<b>{esc(experiment['name'])}</b> ({esc(experiment['file'])})"
    runs = f"{record['runs_done']} of {record['runs']} ({esc(record['status'])})"
    where = f", Dask {esc(record['scheduler'])}" if record.get("scheduler") else ""
    return [("Experiment", f"{name}, sha256 <code>{esc(record['experiment_sha256'])}</code>"),
            ("Scenarios", "<br>".join(_scenario_line(s) for s in record["scenarios"])),
            ("Design", f"{esc(design['method'])}, {design['points']} parameter sets (seed {design['seed']}): {ranges}"),
            ("Runs", f"{runs}; {_seeds(record['replicate_seeds'])} per parameter set"),
            ("Workers", f"{record.get('workers')}{where}")]


def _facts_validate(record: dict) -> list[tuple[str, str]]:
    counterfactual = record.get("counterfactual", {}).get("scenario")
    scenario = f"<b>{esc(record['scenario'])}</b>, sha256 <code>{esc(record['scenario_sha256'])}</code>"
    if counterfactual:
        scenario += f"; counterfactual <b>{esc(counterfactual)}</b>"
    rule = f"a pattern is reproduced when at least {record['pass_level']:.0%} of them satisfy it"
    patterns = f"{record.get('patterns_file', '')}; calibration cut-off {record.get('calibration_cutoff')}"
    runs = f"seed {record['seed']}; {_runs(record['runs'])}; {rule}" if "runs" in record else str(record["replicates"])
    return [("Scenario", scenario), ("Runs", runs), ("Patterns", esc(patterns)),
            ("Parameters", _parameters_used(record.get("parameters", {})))]


def _facts_calibrate(record: dict) -> list[tuple[str, str]]:
    settings = record["settings"]
    name = f"<b>{esc(settings['name'])}</b> ({esc(record['calibration_file'])})"
    smc = settings["smc"]
    sample = (f"prior sample {smc['prior_draws']}, population {smc['population']}, "
              f"{describe_schedule(record['generations'])}, {record['runs']:,} runs in all "
              f"(stopped: {record['stopped']}); seed {settings['seed']}")
    priors = ("every free parameter's documented range" if isinstance(record.get("prior_sources"), str)
              else "documented ranges, narrower where sourced: " + ", ".join(record["prior_sources"]))
    fixed = ", ".join(record.get("fixed", {})) or "none"
    patterns = (f"{len(record['patterns_used'])} used ({settings['use']}) from {record['patterns_file']}; "
                f"effective number after correlation weights {record.get('effective_patterns', float('nan')):.1f}")
    return [("Calibration", f"{name}, sha256 <code>{esc(record['calibration_sha256'])}</code>"),
            ("Scenario", f"<b>{esc(record['scenario'])}</b>, sha256 <code>{esc(record['scenario_sha256'])}</code>"),
            ("Method", esc(record.get("method", ""))), ("Sample", esc(sample)), ("Priors", esc(priors)),
            ("Fixed parameters", esc(fixed)), ("Patterns", esc(patterns)),
            ("Posterior written to", f"<code>{esc(str(record.get('posterior_file') or 'this folder only'))}</code>")]


def _facts_coverage(record: dict) -> list[tuple[str, str]]:
    settings = record["calibration"]
    smc = settings["coverage"]["smc"]
    return [("Calibration", f"<b>{esc(settings['name'])}</b>"),
            ("Check", esc(f"{record['truths']} truths drawn from the prior, seed {record['seed']}; each calibrated "
                          f"on synthetic pattern outcomes with population {smc['population']}, at most "
                          f"{smc['max_generations']} generations, a shared prior sample of {record['prior_sample']}"))]


def _facts_tensions(record: dict) -> list[tuple[str, str]]:
    return [("Scenario", f"<b>{esc(record['scenario'])}</b>, sha256 <code>{esc(record['scenario_sha256'])}</code>"),
            ("Parameters", _parameters_used(record.get("parameters", {}))),
            ("Patterns", (f"<code>{esc(record.get('patterns_file', ''))}</code>, sha256 "
                         f"<code>{esc(record.get('patterns_sha256', ''))}</code>")),
            ("Runs", esc(f"{record['draws']} posterior draws x {record['runs_per_draw']} runs each "
                         f"({record['runs']:,}), every run its seed and its later leaders' dispositions; seed {record['seed']}"))]


FACTS = {"run": _facts_run, "compare": _facts_compare, "batch": _facts_batch, "validate": _facts_validate,
         "calibrate": _facts_calibrate, "coverage": _facts_coverage, "tensions": _facts_tensions}


def _facts(record: dict) -> list[tuple[str, str]]:
    """(label, HTML) pairs describing the run: those of its kind, then the common provenance."""
    versions = ", ".join(f"{name} {version}" for name, version in record.get("versions", {}).items() if version)
    wall = record.get("wall_time_s")
    created = esc(f"{record.get('created', '')} (UTC)") + (f"; wall time {wall:g} s" if wall else "")
    return FACTS[record["kind"]](record) + [
        ("Command", f"<code>{esc(record.get('command', ''))}</code>"), ("Created", created),
        ("Git commit", f"<code>{esc(str(record.get('git_commit')))}</code>"),
        ("Versions", esc(versions)), ("Platform", esc(record.get("platform", "")))]


def _parameters_used(parameters: dict) -> str:
    if parameters.get("kind") in (None, "defaults"):
        return "the assumed defaults of sim/data/parameters.csv (no posterior)"
    digest = parameters.get("posterior_sha256")
    return esc(parameters.get("label", "?")) + (f", sha256 <code>{esc(digest[:16])}…</code>" if digest else "")


def section_run(record: dict, analysis_record: dict | None) -> str:
    """'What was run': the manifest as a definition list, and the full JSON folded away."""
    items = "".join(f"<dt>{esc(label)}</dt><dd>{value}</dd>" for label, value in _facts(record))
    analysed = (f"<p>Analysed by <code>{esc(analysis_record.get('command', ''))}</code> on "
                f"{esc(analysis_record.get('created', ''))}.</p>") if analysis_record else ""
    full = esc(json.dumps(record, indent=2, default=str), quote=False)
    return (f"<h2>What was run</h2><dl>{items}</dl>{analysed}"
            f"<details><summary>Full manifest (JSON)</summary><pre>{full}</pre></details>")


def _assumed(record: dict) -> list[tuple[str, list[str]]]:
    """(scenario, its assumptions) for every scenario of the folder that rests on any."""
    kind = record["kind"]
    if kind == "validate":
        counterfactual = record.get("counterfactual", {})
        pairs = [(record["scenario"], record.get("scenario_assumptions")),
                 (counterfactual.get("scenario"), counterfactual.get("assumptions"))]
    else:
        scenarios = [record["scenario"]] if kind == "run" else record.get("scenarios", []) if kind in (
            "compare", "batch") else []
        pairs = [(scenario["name"], scenario.get("assumptions")) for scenario in scenarios]
    return [(name, lines) for name, lines in pairs if lines]


def section_assumptions(record: dict) -> str:
    """A warning box listing every assumption the folder's scenarios rest on ('' if none)."""
    flagged = _assumed(record)
    if not flagged:
        return ""
    items = "".join(f"<li><b>{esc(name)}</b>{_bullets(lines)}</li>" for name, lines in flagged)
    return ('<div class="warn"><p><b>These results rest on assumptions.</b> Beyond the outside drivers, the '
            "scenarios below hold fixed what the model otherwise draws or derives (their <code>[assumptions]</code> "
            "table): parameters at values of their own, dispositions without a change of leader. Read the answers "
            f"as conditional on them.</p><ul>{items}</ul></div>")


# ------------------------------------------------------------------ figures


def _captions(record: dict) -> dict[str, Callable[[str], str]]:
    """Caption makers by figure file stem (``comparison`` for ``comparison_<B>``)."""
    n = _replicates(record)
    band = f"Line: median over {n} replicates; band: 5–95% range across replicates"
    cutoff = record.get("calibration_cutoff", "the calibration cut-off")
    cf = record.get("counterfactual", {}).get("scenario", "the counterfactual")
    return {
        "index": lambda _: f"Regional Integration Index (0 = no integration, 1 = full) over time. {band}; dotted "
                           "vertical lines: historical and scenario events, labelled in the strip above.",
        "dimensions": lambda _: "The index's dimensions (institutional depth, intra-regional trade share, border "
                                "openness, water–energy cooperation, political) and the region's stresses (water "
                                f"shortfall, energy deficit, border incidents), one panel each. {band}.",
        "dyad_border_openness": lambda _: f"Border openness of each pair of neighbouring states by year (0 closed, "
                                          f"1 open), mean over {n} replicates; grey: no value.",
        "dyad_trust": lambda _: f"Trust between each pair of states by year (0–1), mean over {n} replicates.",
        "comparison": lambda which: f"Decade means of a variable under one scenario minus another ({which}), over "
                                    f"{n} pairs of runs that share seed, posterior draw and dispositions. Bars: mean "
                                    "difference; whiskers: 5–95% of the paired differences (parameters, "
                                    "dispositions and chance together); above the bars: the probability that B is "
                                    "higher, or 'no difference'.",
        "sensitivity": lambda _: "Sensitivity of each outcome to the varied parameters (one panel per scenario and "
                                 "outcome). Sobol': share of the outcome's variance due to a parameter alone (S1) "
                                 "and with its interactions (ST). Morris: mu* ranks influence, sigma flags "
                                 "interactions or non-linearity. Whiskers: 95% bootstrap intervals.",
        "hindcast": lambda _: f"Hindcast: the integration index and its dimensions. {band}; shaded: the windows of "
                              f"the narrative's patterns; dashed line: calibration cut-off {cutoff} (patterns "
                              "before it are in-sample).",
        "patterns": lambda _: f"One panel per pattern: its variable ({band.lower()}), its window (green: reproduced "
                              f"in at least {PASS_LEVEL:.0%} of replicates; red: not), the reference period "
                              f"hatched; dashed: the median of the counterfactual {cf}. Thick frame: out-of-sample.",
        "posterior": lambda _: "ABC-SMC posterior: for each calibrated parameter, the prior sample (grey, its "
                               "documented range) and the weighted posterior (blue) as densities; red line: the "
                               "posterior mean.",
        "tolerances": lambda _: "Tolerance of each ABC-SMC generation (weighted RMS of how far runs miss the "
                                "patterns, in pattern units) and the acceptance rate of its moves.",
        "contraction": lambda _: "Posterior contraction of each parameter: 1 − posterior variance / prior variance. "
                                 "Near 0: the patterns say nothing about it; near 1: they pin it down.",
        "tensions": lambda _: (f"Left: how many patterns each posterior draw holds in at least "
                               f"{PASS_LEVEL:.0%} of its runs (dashed: over the pooled posterior). Right: for "
                               "each pattern below the pass level, the share of draws that hold it (bars) and its "
                               "pass rate over the posterior (dots): no bar means no parameter set helps."),
        "ranks": lambda _: "Coverage check: for each parameter, the histogram of the truth's rank in its "
                           "posterior over the truths drawn from the prior; flat (inside the grey band) if the "
                           "credible intervals cover the truth as often as they claim.",
    }


def _figure_paths(folder: Path, record: dict) -> list[Path]:
    """PNG figures in the order the manifest lists them, then any others in ``figures/``."""
    listed = [folder / p for p in record.get("outputs", []) if p.endswith(".png")]
    others = sorted((folder / "figures").glob("*.png"))
    return [p for p in dict.fromkeys(listed + others) if p.is_file()]


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(path.stem)}">'
            f"<figcaption><b>{esc(path.name)}</b>: {esc(caption)}</figcaption></figure>")


def section_figures(folder: Path, record: dict, analysis: Path | None) -> str:
    """'Key figures': every PNG of the folder (and of its analysis), with a caption."""
    captions = _captions(record)
    paths = _figure_paths(folder, record)
    if analysis is not None:
        paths += _figure_paths(analysis, read_json(analysis / "manifest.json"))
    parts = []
    for path in paths:
        stem, _, rest = path.stem.partition("_") if path.stem.startswith("comparison_") else (path.stem, "", "")
        rest = rest.replace("_", " ")
        caption = captions[stem](rest) if stem in captions else path.stem.replace("_", " ").capitalize() + "."
        parts.append(_figure(path, caption))
    return "<h2>Key figures</h2>" + ("".join(parts) or '<p class="note">No figures in this folder.</p>')


# ------------------------------------------------------------------ headline numbers


def _by_year(summary: pd.DataFrame, index: str) -> pd.DataFrame:
    """Cells 'mean (p05–p95)' at the first year, every tenth year and the last year."""
    years = sorted(summary["year"].unique())
    shown = [y for y in years if y in (years[0], years[-1]) or y % 10 == 0]
    rows = summary[summary["year"].isin(shown)]
    cells = rows.assign(cell=[f"{_number(m)} ({_number(lo)}–{_number(hi)})"
                              for m, lo, hi in zip(rows["mean"], rows["p05"], rows["p95"])])
    table = cells.pivot(index=index, columns="year", values="cell")
    table = table.loc[list(dict.fromkeys(rows[index]))]
    table.columns = [str(c) for c in table.columns]
    return table.reset_index()


def _region_summary(folder: Path) -> pd.DataFrame | None:
    from sim.figures.runs import DIMENSIONS
    from sim.figures.style import _label

    summary = _read_csv(folder / "summary.csv")
    if summary is None:
        return None
    region = summary[(summary["scope"] == "region") & summary["variable"].isin(["integration_index", *DIMENSIONS])]
    order = {v: k for k, v in enumerate(["integration_index", *DIMENSIONS])}
    region = region.sort_values(["variable", "year"], key=lambda s: s.map(order) if s.name == "variable" else s)
    return region.assign(variable=region["variable"].map(_label))


def _numbers_run(folder: Path, record: dict, analysis: Path | None) -> str:
    region = _region_summary(folder)
    if region is None:
        return '<p class="note">No summary.csv in this folder.</p>'
    n = _replicates(record)
    parts = []
    for scenario, rows in region.groupby("scenario", sort=False):
        parts.append(f"<h3>{esc(str(scenario))}</h3>" + _table(_by_year(rows, "variable"),
                     f"Region, mean over {n} replicates in the year shown (5–95% range across replicates)."))
    return "".join(parts)


def _numbers_compare(folder: Path, record: dict, analysis: Path | None) -> str:
    parts = []
    comparison = _read_csv(folder / "comparison.csv")
    if comparison is not None:
        for variable, rows in comparison.groupby("variable", sort=False):
            parts.append(f"<h3>{esc(variable)}, B against A, by decade</h3>" + _table(
                rows.drop(columns="variable"),
                "Decade means; B − A over runs paired by seed, posterior draw and dispositions: its mean, the 5% "
                "and 95% of the paired differences, the probability that B is higher (and of no difference), and "
                "the shares of the spread from the draws (parameters and dispositions) and from chance."))
    region = _region_summary(folder)
    if region is not None:
        index = region[region["variable"].str.startswith("Regional Integration Index")]
        parts.append("<h3>Integration index by scenario</h3>" + _table(_by_year(index, "scenario"),
                     f"Mean over {_replicates(record)} replicates in the year shown (5–95% range)."))
    return "".join(parts)


def _numbers_batch(folder: Path, record: dict, analysis: Path | None) -> str:
    if analysis is None:
        return ('<p class="warn">This batch has not been analysed yet: run <code>casim analyze '
                f"{esc(str(folder))}</code> for outcome summaries, sensitivity indices and scenario discovery.</p>")
    parts, tables = [], {name: _read_csv(analysis / f"{name}.csv") for name in
                         ("outcomes", "sensitivity", "scenario_differences", "comparison", "discovery")}
    if tables["outcomes"] is not None:
        parts.append("<h3>Outcomes</h3>" + _table(tables["outcomes"], "Per scenario and outcome, over all runs "
                                                  "(parameter sets × replicates): mean, sd and 5/50/95% quantiles."))
    if tables["sensitivity"] is not None:
        key = "ST" if "ST" in tables["sensitivity"] else "mu_star"
        groups = tables["sensitivity"].groupby(["scenario", "outcome"], sort=False)
        top = pd.concat([rows.nlargest(5, key) for _, rows in groups])
        label = HEADERS.get(key, key)
        parts.append("<h3>Most influential parameters</h3>" + _table(top, f"Top 5 parameters per scenario and "
                     f"outcome by {label} (±: half-width of the 95% bootstrap interval)."))
    if tables["scenario_differences"] is not None:
        parts.append("<h3>Scenario differences</h3>" + _table(tables["scenario_differences"], "Each outcome of "
                     "scenario b minus scenario a, paired by parameter set and seed; 95% bootstrap interval."))
    if tables["comparison"] is not None:
        comparison = tables["comparison"][["a", "b", *tables["comparison"].columns.drop(["a", "b"])]]
        parts.append("<h3>Integration index by decade</h3>" + _table(comparison, "As casim compare: "
                     "decade means of the index, b − a paired by parameter set and seed."))
    if tables["discovery"] is not None:
        parts.append("<h3>Scenario discovery (PRIM boxes)</h3>" + _table(tables["discovery"].drop(columns="runs"),
                     "The parameter box in which the condition is most likely: coverage = share of the cases "
                     "inside the box, density = share of runs inside it that meet the condition, mass = share of "
                     "runs inside it."))
    return "".join(parts)


def _numbers_validate(folder: Path, record: dict, analysis: Path | None) -> str:
    parts = [_bullets(headline(record).splitlines())]
    table = _read_csv(folder / "validation.csv")
    if table is not None:
        shown = table[["pattern", "sample", "informative", "prior_pass_rate", "pass_rate"]].copy()
        if "counterfactual_pass_rate" in table:
            shown["counterfactual"] = table["counterfactual_pass_rate"].where(table["opening"])
        shown["reproduced"] = table["reproduced"].map({True: "yes", False: "no"})
        # the numbers first, so a narrow page never scrolls them out of view; the words last
        shown = shown.join(table[["window", "factor", "statement"]])
        parts.append(_table(shown, f"Pass rate: share of the {record['replicates']} runs (each a posterior draw, "
                            "its dispositions and a seed) satisfying the pattern (reproduced when ≥ "
                            f"{record['pass_level']:g}); prior pass rate: share of the calibration's prior runs; "
                            "uninformative: prior pass rate ≥ 0.8; counterfactual: pass rate under the "
                            "counterfactual, for the patterns of the opening."))
    return "".join(parts)


def _numbers_calibrate(folder: Path, record: dict, analysis: Path | None) -> str:
    last = record["generations"][-1]
    lines = [(f"{record['draws']} weighted posterior draws ({last['distinct_particles']} distinct) after "
              f"{describe_schedule(record['generations'])} and {record['runs']:,} runs ({record['wall_time_s']:g} s); "
              f"final tolerance {last['epsilon']:.4f}"),
             f"Stopped: {record['stopped']}"]
    parts = [_bullets(lines)]
    tables = {name: _read_csv(folder / f"{name}.csv") for name in ("contraction", "patterns", "generations")}
    if tables["contraction"] is not None:
        table = tables["contraction"]
        (strong, parameters), (strong_inferred, inferred) = contraction_counts(table).values()
        parts.append(f"<h3>Parameters ({strong} of {parameters} contract by 0.5 or more) and inferred dispositions "
                     f"({strong_inferred} of {inferred})</h3>" + _table(
            table.sort_values("contraction", ascending=False),
            "Prior (the documented range; for an inferred disposition, disposition:COUNTRY:Leader, the quantile of "
            "his coded range, 0 to 1), posterior mean, sd and 5/50/95% quantiles, and contraction "
            "(1 − posterior variance / prior variance)."))
        leaders = inferred_dispositions(table)
        if len(leaders):
            parts.append("<h3>Inferred dispositions</h3>" + _table(
                leaders.drop(columns="name").round(3),
                "Each leader the calibration infers: his coded disposition (central value and range, the prior) and "
                "his disposition at the posterior's 5%, 50% and 95% quantiles, with the contraction of his quantile."))
    if tables["patterns"] is not None:
        parts.append("<h3>Patterns</h3>" + _table(tables["patterns"], "Pass rate of each pattern in the prior "
                     "sample (uninformative when ≥ 0.8), and its weight in the distance (one over the number of "
                     "patterns in use its margin correlates with at |ρ| > 0.6)."))
    if tables["generations"] is not None:
        parts.append("<h3>Generations</h3>" + _table(
            tables["generations"], "Tolerance, runs, acceptance rate of the moves, distinct particles, step scale, "
            "and the closing sweep (the last row: every particle moved at the last tolerance)."))
    return "".join(parts)


def _numbers_coverage(folder: Path, record: dict, analysis: Path | None) -> str:
    coverage = _read_csv(folder / "coverage.csv")
    if coverage is None:
        return '<p class="note">No coverage.csv in this folder.</p>'
    return _table(coverage, f"Share of the {record['truths']} truths whose true value lies inside the central 50% "
                            "and 90% credible intervals of its posterior (nominal: 0.5 and 0.9), and the posterior "
                            "sd over the prior sd.")


def _numbers_tensions(folder: Path, record: dict, analysis: Path | None) -> str:
    pairs, patterns = _read_csv(folder / "tensions.csv"), _read_csv(folder / "patterns.csv")
    if pairs is None or patterns is None:
        return '<p class="note">No tensions.csv or patterns.csv in this folder.</p>'
    summary = (f"<p>The draw that holds the most patterns holds {record['held_by_the_best_draw']} of "
               f"{record['patterns']}, the median draw {record['held_by_the_median_draw']:g}, the pooled posterior "
               f"{record['held_pooled']}. Taken as the truth, with one of its runs as the record, the median draw "
               f"holds in at least {record['pass_level']:.0%} of its other runs "
               f"{record['chance_ceiling']['median']:.0%} of the patterns that hold in that record: the ceiling "
               "that chance sets on such counts.</p>")
    return summary + _table(pairs, f"Pairs of patterns below the pass level whose pass rates correlate below "
                                   f"{record['tension_threshold']} across draws (Spearman): the draws that hold one "
                                   "fail the other.") + _table(
        patterns[patterns["pass_rate"] < record.get("pass_level", PASS_LEVEL)].sort_values("share_of_draws_holding"),
        "Patterns below the pass level: pooled pass rate, the best draw's, the share of draws holding it and the "
        "pass rate in the draw that holds the most patterns.")


NUMBERS = {"run": _numbers_run, "compare": _numbers_compare, "batch": _numbers_batch,
           "validate": _numbers_validate, "calibrate": _numbers_calibrate, "coverage": _numbers_coverage,
           "tensions": _numbers_tensions}


# ------------------------------------------------------------------ validation status


def _finished_validation() -> dict:
    """The manifest of the plain ``casim validate`` run, if there is a finished, readable one."""
    try:
        recorded = read_json(VALIDATION_DIR / "manifest.json")
    except InputError:  # none, or damaged: another folder's problem, not this report's
        return {}
    return recorded if recorded.get("status", "complete") == "complete" else {}


def section_validation(record: dict) -> str:
    """The validation status of the model version behind the folder, and a commit check."""
    commit, current = record.get("git_commit"), git_commit()
    parts = ["<h2>Validation status of this model version</h2>"]
    if commit != current:
        parts.append(f'<p class="warn">This folder was made by commit <code>{esc(str(commit))}</code>; the code '
                     f"here is at <code>{esc(str(current))}</code>. Rerun to report on the current code.</p>")
    if commit and commit.endswith("-dirty"):
        parts.append('<p class="note">The folder was made from a working tree with uncommitted changes: its commit '
                     "does not pin the code exactly.</p>")
    if record["kind"] == "validate":
        used = _parameters_used(record.get("parameters", {}))
        parts.append(f'<p class="ok">This folder is a validation run. Parameters: {used}.</p>')
        return "".join(parts) + _bullets(headline(record).splitlines())
    calibration = calibration_record()
    if calibration["calibrated"]:
        parts.append(f"<p>Parameters of this checkout: the posterior of sim/data/posterior.csv ({calibration['draws']} "
                     f"draws, ABC-SMC on {len(calibration['patterns_used'])} patterns), made on "
                     f"{esc(calibration.get('created', '?'))}, commit <code>{esc(str(calibration.get('git_commit')))}"
                     "</code>.</p>")
    else:
        parts.append("<p>Parameters of this checkout: the assumed defaults of sim/data/parameters.csv "
                     "(no posterior).</p>")
    if calibration["calibrated"] and record["kind"] != "calibrate" and \
            str(calibration.get("created", "")) > str(record.get("created", "")):
        parts.append('<p class="warn">The calibration is newer than this folder, which may have been made with '
                     "other parameters.</p>")
    if record["kind"] == "calibrate":
        same = all(calibration.get(key) == record.get(key) for key in ("calibration_sha256", "created", "draws"))
        parts.append(f"<p>{'This is' if same else 'This is not'} the posterior the checkout ships.</p>")
    recorded = _finished_validation()
    if commit and recorded.get("kind") == "validate" and recorded.get("git_commit") == commit:
        parts.append(f'<p class="ok">Validation run of the same commit ({esc(str(VALIDATION_DIR.resolve()))}, '
                     f"{esc(recorded.get('created', ''))}):</p>" + _bullets(headline(recorded).splitlines()))
        shipped = recorded.get("parameters", {}).get("posterior_sha256")
        if shipped is not None and calibration["calibrated"] and recorded["parameters"].get("kind") != "posterior":
            parts.append('<p class="note">That validation used other parameters than those of this checkout: '
                         f"{_parameters_used(recorded.get('parameters', {}))}.</p>")
    else:
        parts.append(f'<p class="warn">No validation run for this commit (looked in '
                     f"{esc(str(VALIDATION_DIR.resolve()))}); run <code>casim validate</code>.</p>")
    return "".join(parts)


# ------------------------------------------------------------------ the page


def _sections(folder: Path, base: Path, record: dict, analysis: Path | None) -> list[str]:
    analysis_record = read_json(analysis / "manifest.json") if analysis else None
    return [f"<h1>{esc(_title(record))}</h1><p class=\"note\">Report of <code>{esc(str(folder.resolve()))}</code>.</p>",
            section_assumptions(record), section_run(record, analysis_record), section_figures(base, record, analysis),
            "<h2>Headline numbers</h2>" + NUMBERS[record["kind"]](base, record, analysis),
            section_validation(record)]


def render(folder: Path) -> str:
    """The report of ``folder`` as one HTML page.

    Raises:
        InputError: the folder has no manifest.json or is of an unknown kind.
    """
    folder = Path(folder)
    base, record, analysis = _load(folder)
    if (note := unfinished(folder)) is not None:
        title, body = _unfinished_page(folder, note)
    else:
        try:
            title, body = _title(record), _sections(folder, base, record, analysis)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{base / 'manifest.json'}: missing or damaged ({type(exc).__name__}: {exc}); allowed: "
                             "the manifest as casim wrote it") from None
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(folder: Path, out: Path | None = None) -> Path:
    """Write the self-contained HTML report of a results folder, atomically.

    Args:
        folder: a folder written by ``casim run``, ``compare``, ``batch`` (or its ``analysis/``),
            ``validate`` or ``calibrate``.
        out: the HTML file (default: ``folder / "report.html"``).

    Returns:
        The path of the HTML file.

    Raises:
        InputError: the folder has no manifest.json or is of an unknown kind.
    """
    page = render(Path(folder))
    return write_atomic(Path(out) if out else Path(folder) / "report.html",
                        lambda tmp: tmp.write_text(page, encoding="utf-8"))
