"""The ``casim`` command line: run, compare, batch, analyze, validate, calibrate, report and app."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from sim.batch import default_workers
from sim.compare import compare, describe, parse_variable, scenario_pairs
from sim.engine import simulate_plan, to_frame
from sim.posterior import parameter_source, plan
from sim.inputs import InputError
from sim.output import manifest, scenario_record, summarise, write_csv, write_json, write_table
from sim.patterns import PATTERNS_FILE, load_patterns
from sim.scenario import ScenarioError, load_scenario

RESULTS = Path("results")


COMPARE_REPLICATES, COMPARE_SEEDS_PER_DRAW = 200, 4


def _run_with_progress(scenario, label: str, runs, central: bool):
    years = scenario.end_year - 1991 + 1
    with tqdm(total=years, desc=f"{label} ({len(runs.seeds)} runs)", unit="year", disable=None,
              file=sys.stderr) as bar:
        trajectory = simulate_plan(scenario, runs, on_year=lambda _year: bar.update(), central_dispositions=central)
    return to_frame(trajectory, scenario.name, draws=runs.draws)


def _plan(args: argparse.Namespace, scenario, seeds_per_draw: int):
    if seeds_per_draw < 1:
        raise InputError(f"--seeds-per-draw = {seeds_per_draw}: give at least 1")
    return plan(scenario.seed, scenario.replicates, seeds_per_draw, parameter_source(args.parameters))


def command_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, replicates=args.replicates, seed=args.seed)
    out = Path(args.out) if args.out else RESULTS / scenario.name
    runs = _plan(args, scenario, args.seeds_per_draw or 1)
    started = time.perf_counter()
    table = _run_with_progress(scenario, scenario.name, runs, args.central_dispositions)
    from sim.figures import write_run_figures

    figures = write_run_figures(table, out / "figures")
    write_table(table, out / "timeseries.parquet")
    write_csv(summarise(table), out / "summary.csv")
    write_json(manifest(
        kind="run",
        scenario=scenario_record(args.scenario, scenario),
        runs=runs.record(),
        central_dispositions=args.central_dispositions,
        wall_time_s=round(time.perf_counter() - started, 3),
        outputs=["timeseries.parquet", "summary.csv", *[str(p.relative_to(out)) for p in figures]],
    ), out / "manifest.json")
    print(f"casim: {len(runs.seeds)} runs over {runs.source.label}; wrote {out}/ (timeseries.parquet, summary.csv, "
          "manifest.json, figures/)")
    return 0


def command_compare(args: argparse.Namespace) -> int:
    replicates = args.replicates or COMPARE_REPLICATES
    first = load_scenario(args.scenarios[0], replicates=replicates, seed=args.seed)
    scenarios = [first] + [load_scenario(ref, replicates=first.replicates, seed=first.seed) for ref in args.scenarios[1:]]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{args.scenarios}: scenario names must differ to be compared; got {names}")
    if args.against is not None and args.against not in names:
        raise InputError(f"--against {args.against!r}: not one of the compared scenarios ({', '.join(names)})")
    variables = args.variable or ["integration_index"]
    for variable in variables:
        try:
            parse_variable(variable)
        except ValueError as error:
            raise InputError(f"--variable: {error}") from None
    seeds_per_draw = args.seeds_per_draw or COMPARE_SEEDS_PER_DRAW
    runs = _plan(args, first, seeds_per_draw)
    out = Path(args.out) if args.out else RESULTS / ("compare_" + "_vs_".join(names))
    started = time.perf_counter()
    import pandas as pd

    table = pd.concat([_run_with_progress(s, s.name, runs, args.central_dispositions) for s in scenarios],
                      ignore_index=True)
    for column in ("scenario", "scope", "entity", "variable"):
        table[column] = table[column].astype("category")
    from sim.figures import plot_comparison, plot_index

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
    plot_index(table, figures[-1])
    write_csv(pd.concat(results, ignore_index=True), out / "comparison.csv")
    write_table(table, out / "timeseries.parquet")
    write_csv(summarise(table), out / "summary.csv")
    write_json(manifest(
        kind="compare",
        scenarios=[scenario_record(ref, s) for ref, s in zip(args.scenarios, scenarios)],
        variables=variables,
        runs=runs.record(),
        central_dispositions=args.central_dispositions,
        wall_time_s=round(time.perf_counter() - started, 3),
        outputs=["comparison.csv", "timeseries.parquet", "summary.csv", *[str(p.relative_to(out)) for p in figures]],
    ), out / "manifest.json")
    print(f"\ncasim: wrote {out}/ (comparison.csv, timeseries.parquet, summary.csv, manifest.json, figures/)")
    return 0


def command_batch(args: argparse.Namespace) -> int:
    from sim.batch import run_batch
    from sim.experiment import load_experiment

    experiment, scenarios = load_experiment(args.experiment)
    if args.workers is not None and args.workers < 1:
        print("casim: error: --workers: give at least 1", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else RESULTS / experiment.name
    workers = args.workers or default_workers()
    try:
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
    from sim.analysis import analyze

    report = analyze(Path(args.folder), out=Path(args.out) if args.out else None)
    for name, table in report.tables.items():
        print(f"\n{name}:")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", max_rows=40))
    for note in report.notes:
        print(f"note: {note}")
    print(f"\ncasim: wrote {report.out}/ ({', '.join(f'{n}.csv' for n in report.tables)}"
          f"{', figures/' if report.figures else ''}, manifest.json)")
    return 0


def command_validate(args: argparse.Namespace) -> int:
    from sim.validation import SEED, format_table, headline, validate, write_validation

    if args.replicates is not None and args.replicates < 1:
        print("casim: error: --replicates: give at least 1", file=sys.stderr)
        return 2
    patterns_file = args.patterns or PATTERNS_FILE
    load_patterns(patterns_file)  # a bad file fails here, before anything runs
    report = validate(args.scenario, replicates=args.replicates,
                      seed=SEED if args.seed is None else args.seed, patterns_file=patterns_file,
                      parameters=args.parameters, seeds_per_draw=args.seeds_per_draw or 1,
                      central_dispositions=args.central_dispositions)
    out = Path(args.out) if args.out else RESULTS / "validation"
    write_validation(report, out, patterns_file)
    print(format_table(report.table))
    print()
    print(headline(report.summary))
    print(f"\ncasim: wrote {out}/ (validation.csv, figures/hindcast.png, figures/patterns.png, manifest.json)")
    return 0


def command_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration import calibrate, load_calibration, shipped_posterior_file

    calibration, _, _ = load_calibration(args.calibration)  # a bad file fails here, before anything runs
    workers = args.workers or default_workers()
    if args.check_coverage:
        from sim.coverage import check_coverage

        out = Path(args.out) if args.out else RESULTS / f"{calibration.name}_coverage"
        report = check_coverage(args.calibration, out, workers=workers)
        print(report.summary_line())
        print(f"casim: wrote {out}/ (coverage.csv, ranks.csv, figures/ranks.png, manifest.json)")
        return 0
    out = Path(args.out) if args.out else RESULTS / calibration.name
    target = (Path(args.posterior_out) if args.posterior_out
              else shipped_posterior_file() if calibration.ship else None)
    try:
        result = calibrate(args.calibration, out, workers=workers, scheduler=args.scheduler, posterior_out=target)
    except KeyboardInterrupt:
        print(f"casim: interrupted; finished generations are kept in {out}/smc/; rerun the same command to resume",
              file=sys.stderr)
        return 130
    record = result.record
    strong = int((result.contraction["contraction"] >= 0.5).sum())
    print(f"casim: {len(record['generations'])} generations, {record['runs']:,} runs, final tolerance "
          f"{record['generations'][-1]['epsilon']:.4f} ({record['stopped']}); {record['draws']} weighted draws; "
          f"{strong} of {len(result.contraction)} parameters contract by 0.5 or more; {record['wall_time_s']:.0f} s")
    print(f"casim: wrote {out}/" + (f" and the posterior to {target}" if target else ""))
    return 0


def command_report(args: argparse.Namespace) -> int:
    from sim.report import write_report

    path = write_report(Path(args.folder), out=Path(args.out) if args.out else None)
    print(f"casim: wrote {path} (self-contained: open it in any browser, offline)")
    return 0


def command_app(args: argparse.Namespace) -> int:
    try:
        from sim.app import launch
    except ImportError as error:
        print(f"casim: error: the explorer needs the app extra ({error}); pip install 'casim[app]'", file=sys.stderr)
        return 2
    return launch(host=args.host, port=args.port, open_browser=args.open)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casim", description="Regional cooperation in Central Asia: an agent-based model.")
    commands = parser.add_subparsers(dest="command", required=True)

    run_parser = commands.add_parser("run", help="run a scenario and write tables, figures and a manifest")
    run_parser.add_argument("scenario", help="scenario file (or the name of a shipped scenario)")
    compare_parser = commands.add_parser("compare", help="does the integration index rise under B (C, ...) against A?")
    compare_parser.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="A, then B [C ...]")
    for sub, runs, per_draw in ((run_parser, "the scenario's", 1),
                                (compare_parser, COMPARE_REPLICATES, COMPARE_SEEDS_PER_DRAW)):
        sub.add_argument("--replicates", type=int, metavar="N", help=f"number of runs (default: {runs})")
        sub.add_argument("--seed", type=int, metavar="S", help="run seed (default: the scenario's)")
        sub.add_argument("--out", metavar="DIR", help="output folder (default: results/<name>/)")
        sub.add_argument("--parameters", metavar="posterior|point|FILE",
                         help="posterior (default: a posterior draw per draw slot), point (the posterior's "
                              "highest-density draw), or a posterior or name,value CSV")
        sub.add_argument("--seeds-per-draw", type=int, metavar="S",
                         help=f"runs sharing one posterior draw and one set of dispositions (default: {per_draw})")
        sub.add_argument("--central-dispositions", action="store_true",
                         help="every leader at his central disposition instead of a draw from its range")
    compare_parser.add_argument("--variable", action="append", metavar="NAME",
                                help="variable to compare (repeatable): integration_index (default), region.x, "
                                     "country.TJK.energy_deficit, dyad.KGZ-UZB.border_openness ...")
    compare_parser.add_argument("--against", metavar="NAME",
                                help="compare every other scenario against this one (default: every pair)")
    batch_parser = commands.add_parser("batch", help="run an experiment: scenarios x parameter design x replicates")
    batch_parser.add_argument("experiment", help="experiment file (or the name of a shipped experiment)")
    batch_parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per core)")
    batch_parser.add_argument("--scheduler", metavar="ADDRESS",
                              help="run on Dask: 'local' starts a LocalCluster, else a scheduler address (tcp://host:8786)")
    batch_parser.add_argument("--out", metavar="DIR", help="output folder (default: results/<experiment name>/)")
    analyze_parser = commands.add_parser("analyze", help="sensitivity indices, scenario comparison and PRIM for a batch")
    analyze_parser.add_argument("folder", metavar="DIR", help="a folder written by casim batch")
    analyze_parser.add_argument("--out", metavar="DIR", help="where to write the analysis (default: DIR/analysis/)")
    validate_parser = commands.add_parser("validate", help="how many of the narrative's patterns the model reproduces")
    validate_parser.add_argument("--scenario", default="baseline", help="scenario to validate (default: baseline)")
    validate_parser.add_argument("--replicates", type=int, metavar="N", help="runs of each scenario (default: 1000)")
    validate_parser.add_argument("--seed", type=int, metavar="S", help="run seed (default: 20240611)")
    validate_parser.add_argument("--patterns", metavar="FILE", help="patterns file (default: experiments/patterns.toml)")
    validate_parser.add_argument("--parameters", metavar="posterior|point|FILE",
                                 help="posterior (default: the shipped posterior, a draw per run), point, or a "
                                      "posterior.csv of casim calibrate or a name,value CSV")
    validate_parser.add_argument("--seeds-per-draw", type=int, metavar="S",
                                 help="runs sharing one posterior draw and one set of dispositions (default: 1)")
    validate_parser.add_argument("--central-dispositions", action="store_true",
                                 help="every leader at his central disposition instead of a draw from its range")
    validate_parser.add_argument("--out", metavar="DIR", help="output folder (default: results/validation/)")
    calibrate_parser = commands.add_parser("calibrate", help="ABC calibration of the parameters against the patterns")
    calibrate_parser.add_argument("calibration", help="calibration file, e.g. experiments/calibration.toml")
    calibrate_parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per core)")
    calibrate_parser.add_argument("--scheduler", metavar="ADDRESS", help="run on Dask ('local' or an address)")
    calibrate_parser.add_argument("--out", metavar="DIR", help="output folder (default: results/<calibration name>/)")
    calibrate_parser.add_argument("--posterior-out", metavar="FILE",
                                  help="where else to write the posterior (default: sim/data/posterior.csv when the "
                                       "calibration file says ship = true)")
    calibrate_parser.add_argument("--check-coverage", action="store_true",
                                  help="simulation-based calibration: calibrate on synthetic data from prior draws "
                                       "and report how often the credible intervals cover the truth")
    report_parser = commands.add_parser("report", help="a self-contained HTML report of a results folder")
    report_parser.add_argument("folder", metavar="DIR", help="a folder written by run, compare, batch, analyze, "
                               "validate or calibrate")
    report_parser.add_argument("--out", metavar="FILE", help="HTML file to write (default: DIR/report.html)")
    report_parser.set_defaults(handler=command_report)
    app_parser = commands.add_parser("app", help="the interactive explorer in the browser (Mesa SolaraViz)")
    app_parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    app_parser.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
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
    args = build_parser().parse_args(argv)
    if args.command == "compare" and len(args.scenarios) < 2:
        print("casim: error: compare needs at least two scenarios (A and B)", file=sys.stderr)
        return 2
    try:
        return args.handler(args)
    except InputError as error:
        print(f"casim: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("casim: interrupted; no partial files were left", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
