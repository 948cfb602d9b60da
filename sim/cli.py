"""The ``casim`` command line: run, compare, batch, analyze, validate, tensions, calibrate,
dispositions, forecast, dose-response, headline, report and app."""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from sim.experiments.batch import batch_identity, check_same_experiment, check_scheduler, default_workers
from sim.experiments.compare import compare, describe, parse_variable, scenario_pairs
from sim.inference.patterns import PATTERNS_FILE, find_patterns
from sim.inputs.events import figure_events
from sim.inputs.posterior import contraction_counts, describe_schedule, parameter_source, plan
from sim.inputs.scenario import ScenarioError, find_scenario, load_scenario, scenario_record
from sim.io.input_files import MAX_REPLICATES, MAX_SEED, InputError, check_safe_name, read_input
from sim.io.output import (
    check_output,
    manifest,
    output_folder,
    summarise,
    write_csv,
    write_json,
    write_table,
)
from sim.model.engine import simulate_plan, to_frame

RESULTS = Path("results")
COMPARE_REPLICATES, COMPARE_SEEDS_PER_DRAW = 200, 4


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are one line, ``casim: error: ...``, with exit status 2."""

    def error(self, message: str):
        self.exit(2, f"casim: error: {message}\n")


def _whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An option type: a whole number from ``low`` (to ``high``)."""
    allowed = f"a whole number from {low} to {high}" if high is not None else f"a whole number of at least {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {text!r}; allowed: {allowed}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"got {value}; allowed: {allowed}")
        return value

    return parse


def _path(text: str) -> Path:
    """An option type: a path, never empty (an empty one would silently mean the default)."""
    if not text:
        raise argparse.ArgumentTypeError("got an empty path; allowed: a file or folder name")
    return Path(text)


_replicates = _whole_number(1, MAX_REPLICATES)
_seed = _whole_number(0, MAX_SEED)
_workers = _whole_number(1)


def _output(args: argparse.Namespace, default: Path) -> tuple[Path, str]:
    """The output folder, and how messages name it: ``--out`` if given, else ``default``."""
    return (args.out, "--out") if args.out is not None else (default, "output folder")


def _run_with_progress(scenario, label: str, runs, central: bool):
    years = scenario.end_year - 1991 + 1
    with tqdm(total=years, desc=f"{label} ({len(runs.seeds)} runs)", unit="year", disable=None,
              file=sys.stderr) as bar:
        trajectory = simulate_plan(scenario, runs, on_year=lambda _year: bar.update(), central_dispositions=central)
    return to_frame(trajectory, scenario.name, draws=runs.draws)


def _plan(args: argparse.Namespace, scenario, seeds_per_draw: int):
    """Each run's seed, posterior draw and disposition key (:func:`sim.inputs.posterior.plan`)."""
    return plan(scenario.seed, scenario.replicates, seeds_per_draw, parameter_source(args.parameters))


def _write_tables(out: Path, table, started: float, written: list[Path], **fields) -> None:
    """The tidy table and its summary, then the final manifest of a run or comparison, which
    lists them and the files already ``written`` to ``out``."""
    write_table(table, out / "timeseries.parquet")
    write_csv(summarise(table), out / "summary.csv")
    write_json(manifest(
        **fields,
        status="complete",
        wall_time_s=round(time.perf_counter() - started, 3),
        outputs=["timeseries.parquet", "summary.csv", *[str(p.relative_to(out)) for p in written]],
    ), out / "manifest.json")


def command_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, replicates=args.replicates, seed=args.seed)
    record = scenario_record(args.scenario, scenario)
    runs = _plan(args, scenario, args.seeds_per_draw or 1)
    with output_folder(*_output(args, RESULTS / scenario.name), kind="run") as out:
        started = time.perf_counter()
        table = _run_with_progress(scenario, scenario.name, runs, args.central_dispositions)
        from sim.figures.runs import write_run_figures

        figures = write_run_figures(table, out / "figures", figure_events([scenario]))
        _write_tables(out, table, started, figures, kind="run", scenario=record, runs=runs.record(),
                      central_dispositions=args.central_dispositions)
    print(f"casim: {len(runs.seeds)} runs over the {runs.source.label}; wrote {out}/ (timeseries.parquet, "
          "summary.csv, manifest.json, figures/)")
    return 0


def _variables(args: argparse.Namespace) -> list[str]:
    variables = args.variable or ["integration_index"]
    for variable in variables:
        try:
            parse_variable(variable)
        except ValueError as error:
            raise InputError(f"--variable: {error}") from None
    return variables


def command_compare(args: argparse.Namespace) -> int:
    first = load_scenario(args.scenarios[0], replicates=args.replicates or COMPARE_REPLICATES, seed=args.seed)
    scenarios = [first] + [load_scenario(ref, replicates=first.replicates, seed=first.seed) for ref in args.scenarios[1:]]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        raise ScenarioError(f"{', '.join(args.scenarios)}: scenario name {repeated!r} is given twice; allowed: "
                            "scenarios with different names")
    for ref, scenario in zip(args.scenarios[1:], scenarios[1:]):
        # pairs are compared year by year, so both sides must cover the same years
        if (scenario.start_year, scenario.end_year) != (first.start_year, first.end_year):
            raise ScenarioError(f"{ref}: start_year-end_year = {scenario.start_year}-{scenario.end_year}; allowed: "
                                f"{first.start_year}-{first.end_year}, the years of {args.scenarios[0]}")
    if args.against is not None and args.against not in names:
        raise InputError(f"--against: {args.against!r} is not a compared scenario; allowed: {', '.join(names)}")
    variables = _variables(args)
    seeds_per_draw = args.seeds_per_draw or COMPARE_SEEDS_PER_DRAW
    runs = _plan(args, first, seeds_per_draw)
    records = [scenario_record(ref, s) for ref, s in zip(args.scenarios, scenarios)]
    with output_folder(*_output(args, RESULTS / ("compare_" + "_vs_".join(names))), kind="compare") as out:
        started = time.perf_counter()
        import pandas as pd

        table = pd.concat([_run_with_progress(s, s.name, runs, args.central_dispositions) for s in scenarios],
                          ignore_index=True)
        for column in ("scenario", "scope", "entity", "variable"):
            table[column] = table[column].astype("category")
        from sim.figures.comparisons import plot_comparison
        from sim.figures.runs import plot_index

        results, figures = [], []
        for variable in variables:
            for a, b in scenario_pairs(names, args.against):
                try:
                    result = compare(table, a, b, variable, seeds_per_draw)
                except ValueError as error:
                    raise InputError(f"--variable: {error}") from None
                print(f"\n{b} (B) vs {a} (A): {result['variable'].iloc[0]}, {runs.source.label}, "
                      f"{int(result['n_pairs'].iloc[0])} pairs in {int(result['n_draw_slots'].iloc[0])} draw slots")
                print(result.assign(answer=result.apply(describe, axis=1))[["decade", "mean_a", "mean_b", "answer"]]
                      .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
                figures.append(out / "figures" / f"comparison_{result['variable'].iloc[0]}_{b}_vs_{a}.png")
                plot_comparison(result, figures[-1])
                results.append(result)
        figures.append(out / "figures" / "index.png")
        plot_index(table, figures[-1], figure_events(scenarios))
        comparison = write_csv(pd.concat(results, ignore_index=True), out / "comparison.csv")
        _write_tables(out, table, started, [comparison, *figures], kind="compare", scenarios=records,
                      variables=variables, runs=runs.record(), central_dispositions=args.central_dispositions)
    print(f"\ncasim: wrote {out}/ (comparison.csv, timeseries.parquet, summary.csv, manifest.json, figures/)")
    return 0


def command_batch(args: argparse.Namespace) -> int:
    from sim.experiments.batch import run_batch
    from sim.experiments.experiment import load_experiment

    experiment, scenarios = load_experiment(args.experiment)
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    out, option = _output(args, RESULTS / experiment.name)
    check_output(out, option)
    check_same_experiment(out, batch_identity(args.experiment, experiment, scenarios))
    workers = args.workers or default_workers()
    try:
        with output_folder(out, option):
            report = run_batch(args.experiment, experiment, scenarios, out, workers=workers, scheduler=args.scheduler)
    except KeyboardInterrupt:
        print(f"casim: interrupted; finished chunks are kept in {out}/runs/; rerun the same command to resume",
              file=sys.stderr)
        return 130
    skipped = f", {report.skipped_chunks} finished chunks skipped" if report.skipped_chunks else ""
    print(f"casim: {report.runs} runs in {report.chunks} chunks{skipped}; {report.wall_time_s:.1f} s "
          f"({report.runs_per_s:.0f} runs/s); wrote {out}/ (manifest.json, design.csv, runs/)")
    return 0


def command_analyze(args: argparse.Namespace) -> int:
    from sim.experiments.analysis import analyze, load_batch

    folder = Path(args.folder)
    load_batch(folder)
    out, option = _output(args, folder / "analysis")
    with output_folder(out, option, kind="analysis"):
        report = analyze(folder, out=out)
    for name, table in report.tables.items():
        print(f"\n{name}:")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", max_rows=40))
    for note in report.notes:
        print(f"note: {note}")
    print(f"\ncasim: wrote {report.out}/ ({', '.join(f'{n}.csv' for n in report.tables)}"
          f"{', figures/' if report.figures else ''}, manifest.json)")
    return 0


def command_validate(args: argparse.Namespace) -> int:
    from sim.inference.validation import SEED, format_table, headline, load_inputs, validate, write_validation

    patterns_file = args.patterns or PATTERNS_FILE
    # Every input is checked before anything is written.
    load_inputs(args.scenario, args.replicates, patterns_file, parameters=args.parameters)
    with output_folder(*_output(args, RESULTS / "validation"), kind="validate") as out:
        report = validate(args.scenario, replicates=args.replicates,
                          seed=SEED if args.seed is None else args.seed, patterns_file=patterns_file,
                          parameters=args.parameters, seeds_per_draw=args.seeds_per_draw or 1,
                          central_dispositions=args.central_dispositions)
        write_validation(report, out, patterns_file)
    print(format_table(report.table))
    print()
    print(headline(report.summary))
    print(f"\ncasim: wrote {out}/ (validation.csv, figures/hindcast.png, figures/patterns.png, manifest.json)")
    return 0


def command_tensions(args: argparse.Namespace) -> int:
    from sim.figures.tensions import plot_tensions
    from sim.inference.tensions import DRAWS, RUNS_PER_DRAW, tensions
    from sim.inference.validation import SEED, load_inputs

    patterns_file = args.patterns or PATTERNS_FILE
    draws, runs_per_draw = args.draws or DRAWS, args.runs_per_draw or RUNS_PER_DRAW
    if draws * runs_per_draw > MAX_REPLICATES:
        raise InputError(f"--draws, --runs-per-draw: {draws} x {runs_per_draw} runs; allowed: at most "
                         f"{MAX_REPLICATES:,} runs in all")
    inputs = load_inputs(args.scenario, 1, patterns_file, counterfactual=False, parameters=args.parameters)
    if inputs.source.kind != "posterior":
        what = ("no posterior is shipped (sim/data/posterior.csv)" if args.parameters is None
                else f"got {args.parameters!r}, a single parameter set")
        raise InputError(f"--parameters: {what}; allowed: posterior or the path of a posterior CSV (tensions "
                         "compare the draws of a posterior)")
    with output_folder(*_output(args, RESULTS / "tensions"), kind="tensions") as out:
        started = time.perf_counter()
        report = tensions(inputs.patterns, inputs.scenario, inputs.source, draws, runs_per_draw,
                          SEED if args.seed is None else args.seed)
        figure = plot_tensions(report.rates, report.patterns, report.summary, out / "figures" / "tensions.png")
        written = [write_csv(report.rates.reset_index(), out / "by_draw.csv"),
                   write_csv(report.patterns, out / "patterns.csv"), write_csv(report.pairs, out / "tensions.csv"),
                   figure, figure.with_suffix(".svg")]
        write_json(manifest(kind="tensions", status="complete", scenario=inputs.scenario.name,
                            scenario_sha256=inputs.scenario.digest(),
                            scenario_assumptions=inputs.scenario.assumption_lines(),
                            patterns_file=Path(patterns_file).name,
                            patterns_sha256=hashlib.sha256(Path(patterns_file).read_bytes()).hexdigest(),
                            parameters=inputs.source.record(), **report.summary,
                            wall_time_s=round(time.perf_counter() - started, 3),
                            outputs=[p.relative_to(out).as_posix() for p in written]), out / "manifest.json")
    summary = report.summary
    print(report.pairs.to_string(index=False, float_format=lambda v: f"{v:.2f}", max_rows=40))
    print(f"\ncasim: {summary['draws']} posterior draws x {summary['runs_per_draw']} runs: the best draw holds "
          f"{summary['held_by_the_best_draw']} of {summary['patterns']} patterns, the median draw "
          f"{summary['held_by_the_median_draw']:g}, the whole posterior {summary['held_pooled']}; "
          f"{len(report.pairs)} pairs of failing patterns in tension; taken as the truth, the median draw "
          f"reproduces {summary['chance_ceiling']['median']:.0%} of the patterns that hold in one of its runs")
    print(f"casim: wrote {out}/ (by_draw.csv, patterns.csv, tensions.csv, figures/tensions.png and .svg, "
          "manifest.json)")
    return 0


def _check_calibration(args: argparse.Namespace):
    """The calibration file, everything it names and its output folders, checked before
    anything is written.

    Returns:
        The validated calibration, the output folder and how messages name it.
    """
    from sim.inference.calibration import (
        SMC_DIR,
        Calibration,
        CalibrationError,
        calibration_identity,
        check_resumable,
        load_calibration,
        scenario_for,
    )
    from sim.inference.validation import scenario_for_patterns

    path = Path(args.calibration)
    calibration = read_input(path, "calibration", Calibration, CalibrationError)
    check_safe_name(path, calibration.name, CalibrationError)
    find_patterns(calibration.patterns, path, CalibrationError)
    calibration, patterns, patterns_path = load_calibration(path)
    scenario = find_scenario(calibration.scenario, path)
    if not scenario.is_file():
        raise CalibrationError(f"{path}: scenario: no scenario {calibration.scenario!r} next to this file or among "
                               "the shipped ones")
    scenario_for_patterns(scenario, patterns)
    suffix = "_coverage" if args.check_coverage else ""
    out, option = _output(args, RESULTS / f"{calibration.name}{suffix}")
    check_output(out, option)
    # its saved generations (or finished truths) must be this calibration's
    from sim.inference.coverage import TRUTHS_DIR

    check_resumable(out, calibration_identity(path, calibration, patterns_path,
                                              scenario_for(path, calibration, patterns)),
                    TRUTHS_DIR if args.check_coverage else SMC_DIR)
    return calibration, out, option


def command_calibrate(args: argparse.Namespace) -> int:
    from sim.inference.calibration import calibrate, shipped_posterior_file

    calibration, out, option = _check_calibration(args)
    workers = args.workers or default_workers()
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    if args.check_coverage:
        from sim.inference.coverage import check_coverage

        try:
            with output_folder(out, option, kind="coverage"):
                report = check_coverage(args.calibration, out, workers=workers)
        except KeyboardInterrupt:
            print(f"casim: interrupted; finished truths are kept in {out}/truths/; rerun the same command to resume",
                  file=sys.stderr)
            return 130
        print(report.summary_line())
        print(f"casim: wrote {out}/ (coverage.csv, ranks.csv, figures/ranks.png, manifest.json)")
        return 0
    target = args.posterior_out or (shipped_posterior_file() if calibration.ship else None)
    if target is not None:
        check_output(target, "--posterior-out" if args.posterior_out else "posterior file", folder=False)
    try:
        with output_folder(out, option, kind="calibrate"):
            result = calibrate(args.calibration, out, workers=workers, scheduler=args.scheduler,
                               posterior_out=target)
    except KeyboardInterrupt:
        print(f"casim: interrupted; finished generations are kept in {out}/smc/; rerun the same command to resume",
              file=sys.stderr)
        return 130
    record = result.record
    counts = " and ".join(f"{strong} of {total} {kind}" for kind, (strong, total)
                          in contraction_counts(result.contraction).items())
    print(f"casim: {describe_schedule(record['generations'])}, {record['runs']:,} runs, final tolerance "
          f"{record['generations'][-1]['epsilon']:.4f} ({record['stopped']}); {record['draws']} weighted draws, "
          f"{record['generations'][-1]['distinct_particles']} distinct; "
          f"{counts} contract by 0.5 or more; {record['wall_time_s']:.0f} s")
    print(f"casim: wrote {out}/" + (f" and the posterior to {target}" if target else ""))
    return 0


def command_dispositions(args: argparse.Namespace) -> int:
    from sim.experiments.disposition_sweep import flips, sweep
    from sim.figures.sweeps import plot_disposition_sweep

    source = parameter_source(args.parameters)
    with output_folder(*_output(args, RESULTS / "dispositions"), kind="dispositions") as out:
        started = time.perf_counter()
        table = sweep(args.replicates or 100, args.levels, args.seed if args.seed is not None else 20240611, source)
        flipped = flips(table)
        written = [write_csv(table, out / "sweep.csv"), write_csv(flipped, out / "flips.csv"),
                   plot_disposition_sweep(table, out / "figures" / "disposition_sweep.png")]
        write_json(manifest(kind="dispositions", status="complete", parameters=source.record(),
                            replicates=int(table["runs"].iloc[0]), levels=args.levels,
                            wall_time_s=round(time.perf_counter() - started, 3),
                            outputs=[p.relative_to(out).as_posix() for p in written]), out / "manifest.json")
    print(flipped.to_string(index=False))
    print(f"\ncasim: wrote {out}/ (sweep.csv, flips.csv, figures/disposition_sweep.png, manifest.json)")
    return 0


def command_forecast(args: argparse.Namespace) -> int:
    from sim.inference.forecast import FORECAST_DIR, REGISTERED, forecast, score, summary

    events = args.events or FORECAST_DIR / "events.toml"
    registered = args.out or FORECAST_DIR / REGISTERED
    if args.score:
        scores = score(registered, args.outcomes or FORECAST_DIR / "outcomes.toml", events)
        if not scores.empty:
            write_csv(scores, FORECAST_DIR / "scores.csv" if args.out is None else args.out / "scores.csv")
            print(scores.drop(columns=["source", "file"]).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(f"casim: {summary(scores)}")
        return 0
    check_output(registered, "--out" if args.out is not None else "forecast folder")
    registration = forecast(events, registered, runs=args.replicates or 1000)
    print(registration.table.drop(columns="registered").to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"\ncasim: registered {len(registration.table)} forecasts over the {registration.record['parameters']['label']} "
          f"({registration.record['runs']} runs) in {registration.path}")
    return 0


def command_dose_response(args: argparse.Namespace) -> int:
    from sim.experiments.dose_response import SEED, dose_response
    from sim.figures.sweeps import plot_dose_response

    source = parameter_source(args.parameters)
    with output_folder(*_output(args, RESULTS / "dose_response"), kind="dose_response") as out:
        started = time.perf_counter()
        runs = plan(SEED if args.seed is None else args.seed, args.replicates or COMPARE_REPLICATES,
                    args.seeds_per_draw or COMPARE_SEEDS_PER_DRAW, source)
        table = dose_response(runs)
        written = [write_csv(table, out / "dose_response.csv"),
                   plot_dose_response(table, out / "figures" / "dose_response.png")]
        write_json(manifest(kind="dose_response", status="complete", runs=runs.record(),
                            wall_time_s=round(time.perf_counter() - started, 3),
                            outputs=[p.relative_to(out).as_posix() for p in written]), out / "manifest.json")
    shown = table[table["outcome"] == "integration_index"][
        ["arm", "flow_loss", "mean", "change_from_no_loss", "probability_higher_than_no_loss", "framework_effect"]]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\ncasim: {len(runs.seeds)} runs per level and arm over the {runs.source.label}; wrote {out}/ "
          "(dose_response.csv, figures/dose_response.png, manifest.json)")
    return 0


def command_headline(args: argparse.Namespace) -> int:
    from sim.views.headline import HEADLINE_DIR, README, collect, update_readme

    if not Path(args.results).is_dir():
        raise InputError(f"--results {args.results}: not a folder; allowed: the results folder of make headline")
    copied = collect(args.results)
    if not copied:
        raise InputError(f"--results {args.results}: none of the headline's result tables is there; allowed: the "
                         "results folder of make headline")
    update_readme(README, HEADLINE_DIR)
    print(f"casim: copied {len(copied)} tables from {args.results}/ to {HEADLINE_DIR}/ and rewrote the README's "
          "headline blocks from them")
    return 0


def command_report(args: argparse.Namespace) -> int:
    from sim.views.report import unfinished, write_report

    folder = Path(args.folder)
    if args.out is not None:
        check_output(args.out, "--out", folder=False)
    path = write_report(folder, out=args.out)
    if (note := unfinished(folder)) is not None:
        print(f"casim: warning: {note}", file=sys.stderr)
    print(f"casim: wrote {path} (self-contained: open it in any browser, offline)")
    return 0


def command_app(args: argparse.Namespace) -> int:
    try:
        from sim.views.app import launch
    except ImportError as error:
        print(f"casim: error: the explorer needs the app extra ({error}); pip install 'casim[app]'", file=sys.stderr)
        return 2
    return launch(host=args.host, port=args.port, open_browser=args.open)


def _parameters_choice(text: str) -> str:
    """An option type: posterior, point or a file, never empty."""
    if not text:
        raise argparse.ArgumentTypeError("got an empty value; allowed: posterior, point or the path of a CSV file")
    return text


def _pattern_check_options(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that check the narrative's patterns (validate, tensions)."""
    parser.add_argument("--scenario", default="baseline", help="scenario to check (default: baseline)")
    parser.add_argument("--seed", type=_seed, metavar="S", help="run seed (default: 20240611)")
    parser.add_argument("--patterns", type=_path, metavar="FILE",
                        help="patterns file (default: experiments/patterns.toml)")


def _posterior_options(parser: argparse.ArgumentParser, per_draw: int) -> None:
    """The options that say which parameters and dispositions the runs draw."""
    parser.add_argument("--parameters", type=_parameters_choice, metavar="posterior|point|FILE",
                        help="posterior (default: a posterior draw per draw slot), point (the posterior's "
                             "highest-density draw), or a posterior CSV or a name,value CSV of one's own")
    parser.add_argument("--seeds-per-draw", type=_whole_number(1, MAX_REPLICATES), metavar="S",
                        help=f"runs sharing one posterior draw and one set of dispositions (default: {per_draw})")
    parser.add_argument("--central-dispositions", action="store_true",
                        help="every leader the posterior draw does not infer at his central disposition instead of a "
                             "draw from its range")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="casim", description="Regional cooperation in Central Asia: an agent-based model.")
    commands = parser.add_subparsers(dest="command", required=True)

    run_parser = commands.add_parser("run", help="run a scenario and write tables, figures and a manifest")
    run_parser.add_argument("scenario", help="scenario file (or the name of a shipped scenario)")
    compare_parser = commands.add_parser("compare", help="does the integration index rise under B (C, ...) against A?")
    compare_parser.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="A, then B [C ...]")
    for sub, runs, per_draw in ((run_parser, "the scenario's", 1),
                                (compare_parser, COMPARE_REPLICATES, COMPARE_SEEDS_PER_DRAW)):
        sub.add_argument("--replicates", type=_replicates, metavar="N", help=f"number of runs (default: {runs})")
        sub.add_argument("--seed", type=_seed, metavar="S", help="run seed (default: the scenario's)")
        sub.add_argument("--out", type=_path, metavar="DIR", help="output folder (default: results/<name>/)")
        _posterior_options(sub, per_draw)
    compare_parser.add_argument("--variable", action="append", metavar="NAME",
                                help="variable to compare (repeatable): integration_index (default), region.x, "
                                     "country.TJK.energy_deficit, dyad.KGZ-UZB.border_openness ...")
    compare_parser.add_argument("--against", metavar="NAME",
                                help="compare every other scenario against this one (default: every pair)")
    batch_parser = commands.add_parser("batch", help="run an experiment: scenarios x parameter design x replicates")
    batch_parser.add_argument("experiment", help="experiment file (or the name of a shipped experiment)")
    batch_parser.add_argument("--workers", type=_workers, metavar="N", help="worker processes (default: one per core)")
    batch_parser.add_argument("--scheduler", metavar="ADDRESS",
                              help="run on Dask: 'local' starts a LocalCluster, else a scheduler address (tcp://host:8786)")
    batch_parser.add_argument("--out", type=_path, metavar="DIR",
                              help="output folder (default: results/<experiment name>/)")
    analyze_parser = commands.add_parser("analyze", help="sensitivity indices, scenario comparison and PRIM for a batch")
    analyze_parser.add_argument("folder", metavar="DIR", help="a folder written by casim batch")
    analyze_parser.add_argument("--out", type=_path, metavar="DIR",
                                help="where to write the analysis (default: DIR/analysis/)")
    validate_parser = commands.add_parser("validate", help="how many of the narrative's patterns the model reproduces")
    _pattern_check_options(validate_parser)
    validate_parser.add_argument("--replicates", type=_replicates, metavar="N",
                                 help="runs of each scenario (default: 1000)")
    _posterior_options(validate_parser, 1)
    validate_parser.add_argument("--out", type=_path, metavar="DIR", help="output folder (default: results/validation/)")
    tensions_parser = commands.add_parser(
        "tensions", help="which patterns one posterior draw holds together, and which pull against each other")
    _pattern_check_options(tensions_parser)
    tensions_parser.add_argument("--draws", type=_whole_number(2, 10_000), metavar="D",
                                 help="posterior draws (default: 150)")
    tensions_parser.add_argument("--runs-per-draw", type=_whole_number(2, 1_000), metavar="R",
                                 help="runs of each draw, each with its own dispositions and seed (default: 20)")
    tensions_parser.add_argument("--parameters", type=_parameters_choice, metavar="posterior|FILE",
                                 help="the posterior (default: the shipped one) or a posterior CSV")
    tensions_parser.add_argument("--out", type=_path, metavar="DIR", help="output folder (default: results/tensions/)")
    tensions_parser.set_defaults(handler=command_tensions)
    calibrate_parser = commands.add_parser("calibrate", help="ABC calibration of the parameters against the patterns")
    calibrate_parser.add_argument("calibration", help="calibration file, e.g. experiments/calibration.toml")
    calibrate_parser.add_argument("--workers", type=_workers, metavar="N",
                                  help="worker processes (default: one per core)")
    calibrate_parser.add_argument("--scheduler", metavar="ADDRESS", help="run on Dask ('local' or an address)")
    calibrate_parser.add_argument("--out", type=_path, metavar="DIR",
                                  help="output folder (default: results/<calibration name>/)")
    calibrate_parser.add_argument("--posterior-out", type=_path, metavar="FILE",
                                  help="where else to write the posterior (default: sim/data/posterior.csv when the "
                                       "calibration file says ship = true)")
    calibrate_parser.add_argument("--check-coverage", action="store_true",
                                  help="simulation-based calibration: calibrate on synthetic data from prior draws "
                                       "and report how often the credible intervals cover the truth")
    dispositions_parser = commands.add_parser(
        "dispositions", help="how the headline answers change across each leader's disposition range")
    dispositions_parser.add_argument("--replicates", type=_replicates, metavar="N",
                                     help="runs per leader and value (default: 100)")
    dispositions_parser.add_argument("--levels", type=_whole_number(2, 50), default=5, metavar="K",
                                     help="values from the low to the high end of each range (default: 5)")
    dispositions_parser.add_argument("--seed", type=_seed, metavar="S", help="run seed (default: 20240611)")
    dispositions_parser.add_argument("--parameters", type=_parameters_choice, metavar="posterior|point|FILE",
                                     help="parameters of the runs (default: the shipped posterior)")
    dispositions_parser.add_argument("--out", type=_path, metavar="DIR",
                                     help="output folder (default: results/dispositions/)")
    dispositions_parser.set_defaults(handler=command_dispositions)
    forecast_parser = commands.add_parser(
        "forecast", help="register the probabilities of named future events over the posterior, or score them")
    forecast_parser.add_argument("--events", type=_path, metavar="FILE",
                                 help="events file (default: forecasts/events.toml)")
    forecast_parser.add_argument("--replicates", type=_replicates, metavar="N", help="runs (default: 1000)")
    forecast_parser.add_argument("--score", action="store_true",
                                 help="score the registered forecasts whose window has ended (Brier score)")
    forecast_parser.add_argument("--outcomes", type=_path, metavar="FILE",
                                 help="recorded outcomes (default: forecasts/outcomes.toml)")
    forecast_parser.add_argument("--out", type=_path, metavar="DIR",
                                 help="where registered forecasts are (default: forecasts/registered/)")
    forecast_parser.set_defaults(handler=command_forecast)
    dose_parser = commands.add_parser(
        "dose-response", help="the 2041-2050 answers across the water deficit's size, without and with the framework")
    dose_parser.add_argument("--replicates", type=_replicates, metavar="N",
                             help=f"paired runs per level and arm (default: {COMPARE_REPLICATES})")
    dose_parser.add_argument("--seed", type=_seed, metavar="S", help="run seed (default: 20240611)")
    dose_parser.add_argument("--parameters", type=_parameters_choice, metavar="posterior|point|FILE",
                             help="parameters of the runs (default: the shipped posterior)")
    dose_parser.add_argument("--seeds-per-draw", type=_whole_number(1, MAX_REPLICATES), metavar="S",
                             help=f"runs sharing one posterior draw and one set of dispositions "
                                  f"(default: {COMPARE_SEEDS_PER_DRAW})")
    dose_parser.add_argument("--out", type=_path, metavar="DIR", help="output folder (default: results/dose_response/)")
    dose_parser.set_defaults(handler=command_dose_response)
    headline_parser = commands.add_parser(
        "headline", help="copy the README's tables from results/ to results/headline/ and rewrite the README from them")
    headline_parser.add_argument("--results", type=_path, default=RESULTS, metavar="DIR",
                                 help="the results folder (default: results/)")
    headline_parser.set_defaults(handler=command_headline)
    report_parser = commands.add_parser("report", help="a self-contained HTML report of a results folder")
    report_parser.add_argument("folder", metavar="DIR", help="a folder written by run, compare, batch, analyze, "
                               "validate or calibrate")
    report_parser.add_argument("--out", type=_path, metavar="FILE", help="HTML file to write (default: DIR/report.html)")
    report_parser.set_defaults(handler=command_report)
    app_parser = commands.add_parser("app", help="the interactive explorer in the browser: the ensemble page (posterior bands) and the stepping page (Mesa SolaraViz)")
    app_parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    app_parser.add_argument("--port", type=_whole_number(0, 65535), default=8765, help="port (default: 8765)")
    app_parser.add_argument("--open", action="store_true", help="open it in the default browser")
    app_parser.set_defaults(handler=command_app)
    validate_parser.set_defaults(handler=command_validate)
    calibrate_parser.set_defaults(handler=command_calibrate)
    run_parser.set_defaults(handler=command_run)
    batch_parser.set_defaults(handler=command_batch)
    analyze_parser.set_defaults(handler=command_analyze)
    compare_parser.set_defaults(handler=command_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a bad option already reported as one line
        return stop.code
    if args.command == "compare" and len(args.scenarios) < 2:
        print("casim: error: compare needs at least two scenarios (A and B)", file=sys.stderr)
        return 2
    try:
        return args.handler(args)
    except InputError as error:
        print(f"casim: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("casim: interrupted; files are written whole or not at all, and an output folder whose manifest "
              "says \"incomplete\" is unfinished", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
