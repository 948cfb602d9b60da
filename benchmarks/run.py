"""casim benchmarks: runs per second, memory peak and a Sobol analysis, side by side.

Run ``make bench`` or ``python benchmarks/run.py`` from the project folder. Every run is a
full 1991-2050 run of the baseline scenario. Measured, one after another in one go:

(a) ``mesa.batch_run`` of ``sim.CentralAsia`` on one process;
(b) the ensemble engine (``sim.model.engine.simulate``) on one process, in blocks of 1000 runs,
    recording only the region integration index as a batch does; and the same runs through
    ``sim.experiments.batch.run_batch(workers=1)`` in this process (with its Parquet output);
(c) ``casim batch benchmarks/experiments/runs_10k.toml --workers 2`` as a subprocess;
memory: the peak RSS of the ``casim batch`` process tree at 10,000 and 100,000 runs;
Sobol: ``casim batch experiments/sobol_index.toml --workers 2`` then ``casim analyze``.

It prints a markdown table and writes ``benchmarks/results.md`` and ``benchmarks/results.json``.
Batch outputs go to temporary folders. The exit code is 0 when a target is missed (the
table says so); it is not 0 only when a benchmark fails to run.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import mesa
import numpy as np
import psutil

import sim
from sim.experiments.batch import run_batch
from sim.experiments.experiment import load_experiment
from sim.inputs.randomness import replicate_seeds
from sim.inputs.scenario import load_scenario
from sim.io.output import read_json, write_atomic
from sim.model.engine import simulate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUNS_10K = HERE / "experiments" / "runs_10k.toml"
RUNS_100K = HERE / "experiments" / "runs_100k.toml"
SOBOL = ROOT / "experiments" / "sobol_index.toml"
RESULTS_MD = HERE / "results.md"
RESULTS_JSON = HERE / "results.json"

SCENARIO = "baseline"
WORKERS = 2
BLOCK = 1000
ENGINE_SEED = 20250101
MESA_MAX_STEPS = 100  # more than the 60 years 1991-2050; the model stops itself at its end year
RECORD = {("region", "integration_index")}
SAMPLE_INTERVAL_S = 0.1

TARGET_SPEEDUP = 100.0  # the engine's runs/s over mesa.batch_run's
TARGET_BATCH_10K_S = 10.0  # casim batch of 10,000 runs, 2 workers
TARGET_SOBOL_S = 120.0  # casim batch + casim analyze of sobol_index (10 parameters, N = 1024)
TARGET_MEMORY_RATIO = 1.2  # peak memory at 100,000 runs over 10,000 runs: "does not grow"


def say(text: str) -> None:
    print(text, flush=True)


def casim_command() -> list[str]:
    """The ``casim`` console script of this interpreter's environment (else ``python -m sim``)."""
    script = Path(sys.executable).parent / "casim"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sim"]


def checked_run(command: list[str]) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr[-2000:]}")
    return result


def check_batch_folder(out: Path, runs: int) -> None:
    recorded = read_json(out / "manifest.json")
    if recorded.get("status") != "complete" or recorded.get("runs_done") != runs:
        raise RuntimeError(f"{out}: batch not complete ({recorded.get('runs_done')} of {runs} runs)")


def rate(runs: int, seconds: float) -> float:
    return runs / seconds if seconds > 0 else float("nan")


# ------------------------------------------------------------------------ (a) Mesa


def bench_mesa(runs: int) -> dict:
    """(a) ``mesa.batch_run`` of ``sim.CentralAsia``: ``runs`` seeds, one process."""
    say(f"(a) mesa.batch_run: {runs} runs of sim.CentralAsia, 1 process ...")
    sim.CentralAsia(scenario=SCENARIO, rng=0).run_model()  # warm-up: imports and caches, not timed
    seeds = list(range(1, runs + 1))
    parameters: dict = {"scenario": SCENARIO}
    kwargs = {}
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa >= 3.4
        kwargs["rng"] = seeds
    else:  # Mesa 3.3: seeds go in as a model parameter
        parameters["rng"] = seeds
    started = time.perf_counter()
    results = mesa.batch_run(sim.CentralAsia, parameters=parameters, max_steps=MESA_MAX_STEPS, number_processes=1,
                             display_progress=False, **kwargs)
    wall = time.perf_counter() - started
    end_year = load_scenario(SCENARIO).end_year
    if len(results) != runs or any(row["year"] != end_year for row in results):
        raise RuntimeError(f"mesa.batch_run: expected {runs} runs ending in {end_year}")
    say(f"    {wall:.1f} s, {rate(runs, wall):.2f} runs/s")
    return {"runs": runs, "wall_s": wall, "runs_per_s": rate(runs, wall), "max_steps": MESA_MAX_STEPS}


# ------------------------------------------------------------------------ (b) engine


def bench_engine(runs: int) -> dict:
    """(b) ``sim.model.engine.simulate`` in blocks of ``BLOCK`` runs in this process."""
    say(f"(b) ensemble engine: {runs} runs in blocks of {BLOCK}, 1 process ...")
    scenario = load_scenario(SCENARIO)
    seeds = replicate_seeds(ENGINE_SEED, runs)
    simulate(scenario, seeds[:10], record=RECORD)  # warm-up, not timed
    rows = [2030 - scenario.start_year, 2050 - scenario.start_year]
    kept = []
    started = time.perf_counter()
    for first in range(0, runs, BLOCK):
        trajectory = simulate(scenario, seeds[first:first + BLOCK], record=RECORD)
        kept.append(trajectory.series["region"]["integration_index"][rows])  # the two outcomes a batch keeps
    wall = time.perf_counter() - started
    outcomes = np.concatenate(kept, axis=1)
    if outcomes.shape != (2, runs) or not np.isfinite(outcomes).all():
        raise RuntimeError(f"engine: expected finite outcomes for {runs} runs, got shape {outcomes.shape}")
    say(f"    {wall:.1f} s, {rate(runs, wall):,.0f} runs/s")
    return {"runs": runs, "wall_s": wall, "runs_per_s": rate(runs, wall), "block": BLOCK}


TIDY_RUNS = 1000
TIDY_PROCESSES = 5
_TIDY_PROBE = """
import json, resource, time
import sim
from sim.model.engine import simulate_plan
from sim.inputs.posterior import plan
from sim.inputs.scenario import load_scenario
scenario = load_scenario("baseline")
runs = plan(1, {runs})
simulate_plan(scenario, plan(2, 10))  # warm-up
started = time.perf_counter(); simulate_plan(scenario, runs); simulate_s = time.perf_counter() - started
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter(); table = sim.run("baseline", replicates={runs}, seed=1)
run_s = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows, table_mb = len(table), table.memory_usage(deep=True).sum() / 1e6
del table  # again, with the process's memory already mapped (a notebook's second call)
started = time.perf_counter(); simulate_plan(scenario, runs); simulate_warm_s = time.perf_counter() - started
started = time.perf_counter(); sim.run("baseline", replicates={runs}, seed=1); run_warm_s = time.perf_counter() - started
print(json.dumps({{"simulate_s": simulate_s, "run_s": run_s, "rows": rows, "table_mb": table_mb,
                  "rss_before_mb": before / 1e3, "rss_peak_mb": peak / 1e3,
                  "simulate_warm_s": simulate_warm_s, "run_warm_s": run_warm_s}}))
"""


def bench_tidy_table(runs: int = TIDY_RUNS, processes: int = TIDY_PROCESSES) -> dict:
    """(d) ``sim.run`` (simulation and the tidy table) against the simulation alone, 1000
    runs of every variable, each time in a fresh process: throughput and peak memory over the
    table's size. A fresh process's first call pays for mapping the table's memory, whose cost
    varies from one process to the next, so the probe runs ``processes`` times and the target
    is judged on the median ratio; the lowest and highest are reported beside it."""
    say(f"(d) sim.run of {runs} runs against the engine's simulation alone, {processes} fresh processes ...")
    probes = []
    for _ in range(processes):
        probe = json.loads(checked_run([sys.executable, "-c", _TIDY_PROBE.format(runs=runs)]).stdout.strip()
                           .splitlines()[-1])
        probe.update(throughput_ratio=probe["simulate_s"] / probe["run_s"],
                     throughput_ratio_warm=probe["simulate_warm_s"] / probe["run_warm_s"],
                     memory_over_table=(probe["rss_peak_mb"] - probe["rss_before_mb"]) / probe["table_mb"])
        probes.append(probe)
    ratios = [p["throughput_ratio"] for p in probes]
    result = {key: float(np.median([p[key] for p in probes])) for key in probes[0]}
    result.update(runs=runs, processes=processes, rows=probes[0]["rows"],
                  throughput_ratio_min=min(ratios), throughput_ratio_max=max(ratios),
                  memory_over_table=max(p["memory_over_table"] for p in probes), probes=probes)
    say(f"    median: simulate {result['simulate_s']:.2f} s, sim.run {result['run_s']:.2f} s, ratio "
        f"{result['throughput_ratio']:.0%} (lowest {min(ratios):.0%}, highest {max(ratios):.0%}; second call "
        f"{result['throughput_ratio_warm']:.0%}); table {result['table_mb']:.0f} MB, peak memory at most "
        f"{result['memory_over_table']:.2f}x the table")
    return result


def bench_run_batch_in_process(experiment_file: Path) -> dict:
    """(b) the same runs through ``run_batch(workers=1)`` in this process, Parquet output included."""
    experiment, scenarios = load_experiment(experiment_file)
    runs = experiment.replicates
    say(f"(b) run_batch(workers=1) in this process: {runs} runs ...")
    with tempfile.TemporaryDirectory(prefix="casim-bench-") as tmp:
        out = Path(tmp) / "batch"
        started = time.perf_counter()
        run_batch(str(experiment_file), experiment, scenarios, out, workers=1, progress=False)
        wall = time.perf_counter() - started
        check_batch_folder(out, runs)
    say(f"    {wall:.1f} s, {rate(runs, wall):,.0f} runs/s")
    return {"runs": runs, "wall_s": wall, "runs_per_s": rate(runs, wall)}


# ------------------------------------------------------------------------ (c) casim batch


def bench_casim_batch(experiment_file: Path) -> dict:
    """(c) ``casim batch ... --workers 2`` as a subprocess, interpreter start included."""
    runs = load_experiment(experiment_file)[0].replicates
    say(f"(c) casim batch {experiment_file.relative_to(ROOT)} --workers {WORKERS}: {runs} runs, subprocess ...")
    with tempfile.TemporaryDirectory(prefix="casim-bench-") as tmp:
        out = Path(tmp) / "batch"
        started = time.perf_counter()
        checked_run([*casim_command(), "batch", str(experiment_file), "--workers", str(WORKERS), "--out", str(out)])
        wall = time.perf_counter() - started
        check_batch_folder(out, runs)
    say(f"    {wall:.1f} s, {rate(runs, wall):,.0f} runs/s")
    return {"runs": runs, "wall_s": wall, "runs_per_s": rate(runs, wall), "workers": WORKERS}


# ------------------------------------------------------------------------ memory


class TreeSampler(threading.Thread):
    """Samples the RSS of every descendant of ``pid`` (not ``pid`` itself) until stopped.

    Keeps the peak of the sum, and the peak of each process by its role in a local batch:
    ``casim batch`` (the wrapper's child), its children ``forkserver`` and ``resource tracker``,
    and ``worker`` (deeper: forked by the forkserver).
    """

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL_S):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_bytes = 0
        self.peak_processes = 0
        self.peak_by_role: dict[str, int] = {}
        self.samples = 0
        self._roles: dict[int, str] = {}
        self._done = threading.Event()

    def _role(self, process: psutil.Process) -> str:
        if process.pid not in self._roles:
            parent = process.ppid()
            main = next((pid for pid, role in self._roles.items() if role == "casim batch"), None)
            if parent == self.pid and main is None:
                self._roles[process.pid] = "casim batch"
            elif parent == main:
                command = " ".join(process.cmdline())
                self._roles[process.pid] = ("forkserver" if "forkserver" in command
                                            else "resource tracker" if "resource_tracker" in command else "other")
            else:
                self._roles[process.pid] = "worker"
        return self._roles[process.pid]

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._done.is_set():
            try:
                processes = root.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            total, alive = 0, 0
            for process in processes:
                try:
                    rss = process.memory_info().rss
                    role = self._role(process)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += rss
                alive += 1
                self.peak_by_role[role] = max(self.peak_by_role.get(role, 0), rss)
            if total > self.peak_bytes:
                self.peak_bytes, self.peak_processes = total, alive
            self.samples += 1
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def bench_memory(experiment_file: Path) -> dict:
    """Peak RSS of ``casim batch --workers 2``: largest single process, and the sum over the tree."""
    runs = load_experiment(experiment_file)[0].replicates
    say(f"memory: casim batch {experiment_file.relative_to(ROOT)} --workers {WORKERS}: {runs} runs ...")
    with tempfile.TemporaryDirectory(prefix="casim-bench-") as tmp:
        out = Path(tmp) / "batch"
        command = [sys.executable, str(HERE / "peak_rss.py"), *casim_command(), "batch", str(experiment_file),
                   "--workers", str(WORKERS), "--out", str(out)]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = TreeSampler(process.pid)
        sampler.start()
        stdout, stderr = process.communicate()
        wall = time.perf_counter() - started
        sampler.stop()
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}:\n{stderr[-2000:]}")
        check_batch_folder(out, runs)
    measured = json.loads(stdout.strip().splitlines()[-1])
    result = {
        "runs": runs,
        "wall_s": wall,
        "runs_per_s": rate(runs, wall),
        "peak_rss_largest_process_mb": measured["maxrss_mb"],
        "peak_rss_tree_sum_mb": sampler.peak_bytes / 2**20,
        "processes_at_tree_peak": sampler.peak_processes,
        "peak_rss_by_role_mb": {role: round(value / 2**20, 1) for role, value in sampler.peak_by_role.items()},
        "samples": sampler.samples,
        "subreaper": measured["subreaper"],
    }
    say(f"    {wall:.1f} s; peak RSS: largest process {result['peak_rss_largest_process_mb']:.0f} MB, "
        f"process tree {result['peak_rss_tree_sum_mb']:.0f} MB ({sampler.samples} samples); by role: "
        + ", ".join(f"{role} {value:.0f} MB" for role, value in result["peak_rss_by_role_mb"].items()))
    return result


# ------------------------------------------------------------------------ Sobol


def bench_sobol() -> dict:
    """``casim batch experiments/sobol_index.toml --workers 2`` then ``casim analyze`` on it."""
    experiment = load_experiment(SOBOL)[0]
    say(f"Sobol: casim batch {SOBOL.relative_to(ROOT)} --workers {WORKERS} (10 parameters, "
        f"N={experiment.design.samples}), then casim analyze ...")
    with tempfile.TemporaryDirectory(prefix="casim-bench-") as tmp:
        out = Path(tmp) / "sobol"
        started = time.perf_counter()
        checked_run([*casim_command(), "batch", str(SOBOL), "--workers", str(WORKERS), "--out", str(out)])
        batch_s = time.perf_counter() - started
        runs = read_json(out / "manifest.json")["runs"]
        check_batch_folder(out, runs)
        checked_run([*casim_command(), "analyze", str(out)])
        total = time.perf_counter() - started
        if not (out / "analysis" / "sensitivity.csv").is_file():
            raise RuntimeError("casim analyze wrote no sensitivity.csv")
    say(f"    {total:.1f} s (batch {batch_s:.1f} s, analyze {total - batch_s:.1f} s) for {runs} runs")
    return {"runs": runs, "parameters": len(experiment.parameters), "samples": experiment.design.samples,
            "batch_s": batch_s, "analyze_s": total - batch_s, "wall_s": total, "runs_per_s": rate(runs, batch_s)}


# ------------------------------------------------------------------------ report


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} (with uncommitted changes)" if changed else commit


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git_commit": git_commit(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "cpu_model": cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: metadata.version(name) for name in ("casim", "mesa", "numpy", "pandas", "pyarrow", "SALib")},
    }


def evaluate(results: dict) -> list[dict]:
    """Each target: the measured value, the target and whether it is met."""
    a = results["a_mesa_batch_run"]["runs_per_s"]
    memory = results["memory"]
    return [
        {"name": "(b)/(a) speed-up", "value": results["b_engine"]["runs_per_s"] / a, "target": f">= {TARGET_SPEEDUP:g}",
         "met": results["b_engine"]["runs_per_s"] / a >= TARGET_SPEEDUP},
        {"name": "(c) 10,000-run batch, s", "value": results["c_casim_batch"]["wall_s"],
         "target": f"< {TARGET_BATCH_10K_S:g}", "met": results["c_casim_batch"]["wall_s"] < TARGET_BATCH_10K_S},
        {"name": "Sobol batch + analyze, s", "value": results["sobol"]["wall_s"], "target": f"< {TARGET_SOBOL_S:g}",
         "met": results["sobol"]["wall_s"] < TARGET_SOBOL_S},
        {"name": "memory 100k/10k, largest process", "value": memory["ratio_largest_process"],
         "target": f"<= {TARGET_MEMORY_RATIO:g}", "met": memory["ratio_largest_process"] <= TARGET_MEMORY_RATIO},
        {"name": "memory 100k/10k, process tree", "value": memory["ratio_tree_sum"],
         "target": f"<= {TARGET_MEMORY_RATIO:g}", "met": memory["ratio_tree_sum"] <= TARGET_MEMORY_RATIO},
        {"name": "(d) sim.run / simulation throughput", "value": results["d_tidy_table"]["throughput_ratio"],
         "target": ">= 0.7 (median)", "met": results["d_tidy_table"]["throughput_ratio"] >= 0.7},
        {"name": "(d) sim.run peak memory / table size", "value": results["d_tidy_table"]["memory_over_table"],
         "target": "<= 2", "met": results["d_tidy_table"]["memory_over_table"] <= 2},
    ]


def per_s(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:,.0f}"


def yes_no(met: bool) -> str:
    return "yes" if met else "**NO**"


def markdown(results: dict, targets: list[dict], machine: dict) -> str:
    a, b, b2, c = (results[k] for k in ("a_mesa_batch_run", "b_engine", "b_run_batch_in_process", "c_casim_batch"))
    sobol, memory, d = results["sobol"], results["memory"], results["d_tidy_table"]
    met = {t["name"]: t["met"] for t in targets}
    speedup = {key: row["runs_per_s"] / a["runs_per_s"] for key, row in (("b", b), ("b2", b2), ("c", c))}
    lines = [
        "# casim benchmark results",
        "",
        f"Measured side by side in one run of `benchmarks/run.py` on {machine['date']}, commit {machine['git_commit']}.",
        (f"Machine: {machine['cpu_count']} CPUs ({machine['cpus_usable']} usable), {machine['cpu_model']}, "
         f"{machine['memory_gb']} GB; {machine['platform']}; load average at start {machine['load_average_at_start']}."),
        f"Python {machine['python']}; " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + ".",
        "Every run is a full 1991-2050 run of the baseline scenario.",
        "",
        "## Runs per second",
        "",
        "| Benchmark | Runs | Wall time (s) | Runs/s | Speed-up vs (a) | Target | Target met |",
        "|---|---:|---:|---:|---:|---|---|",
        (f"| (a) `mesa.batch_run` of `sim.CentralAsia`, 1 process | {a['runs']:,} | {a['wall_s']:.1f} | "
         f"{per_s(a['runs_per_s'])} | 1× | | |"),
        (f"| (b) ensemble engine (`sim.model.engine.simulate`), 1 process, blocks of {b['block']:,} | {b['runs']:,} | "
         f"{b['wall_s']:.1f} | {per_s(b['runs_per_s'])} | {speedup['b']:,.0f}× | ≥ {TARGET_SPEEDUP:g}× (a) | "
         f"{yes_no(met['(b)/(a) speed-up'])} |"),
        (f"| (b) the same through `run_batch(workers=1)` in-process, with Parquet output | {b2['runs']:,} | "
         f"{b2['wall_s']:.1f} | {per_s(b2['runs_per_s'])} | {speedup['b2']:,.0f}× | | |"),
        (f"| (c) `casim batch runs_10k.toml --workers {c['workers']}`, subprocess incl. start-up | {c['runs']:,} | "
         f"{c['wall_s']:.1f} | {per_s(c['runs_per_s'])} | {speedup['c']:,.0f}× | 10,000 runs < "
         f"{TARGET_BATCH_10K_S:g} s | {yes_no(met['(c) 10,000-run batch, s'])} |"),
        (f"| Sobol: `casim batch sobol_index.toml --workers {WORKERS}` ({sobol['parameters']} parameters, "
         f"N={sobol['samples']:,}) + `casim analyze` | {sobol['runs']:,} | {sobol['wall_s']:.1f} (batch "
         f"{sobol['batch_s']:.1f} + analyze {sobol['analyze_s']:.1f}) | {per_s(sobol['runs_per_s'])} (batch) | | "
         f"< {TARGET_SOBOL_S:g} s | {yes_no(met['Sobol batch + analyze, s'])} |"),
        "",
        "## The tidy table: `sim.run` against the simulation alone",
        "",
        ("| Runs (every variable) | Fresh processes | Simulation (s) | `sim.run` (s) | Throughput ratio, median "
         "(lowest-highest; second call) | Table (MB) | Peak memory added, largest (MB) | Targets (first call) | "
         "Targets met |"),
        "|---:|---:|---:|---:|---:|---:|---:|---|---|",
        (f"| {d['runs']:,} | {d['processes']} | {d['simulate_s']:.2f} | {d['run_s']:.2f} | "
         f"{d['throughput_ratio']:.0%} ({d['throughput_ratio_min']:.0%}-{d['throughput_ratio_max']:.0%}; "
         f"{d['throughput_ratio_warm']:.0%}) | {d['table_mb']:.0f} | "
         f"{max(p['rss_peak_mb'] - p['rss_before_mb'] for p in d['probes']):.0f} ({d['memory_over_table']:.2f}x the "
         f"table) | median ratio ≥ 70%, memory ≤ 2x the table | "
         f"{yes_no(met['(d) sim.run / simulation throughput'] and met['(d) sim.run peak memory / table size'])} |"),
        "",
        (f"Each of the {d['processes']} probes is a fresh Python process that times the simulation of "
         f"{d['runs']:,} runs (`simulate_plan`) and then `sim.run` of the same runs (simulation and table); "
         "the first call's ratio varies between processes with the cost of mapping the table's memory, so "
         "the target is judged on the median. Times are medians over the probes."),
        "",
        f"## Peak memory of `casim batch --workers {WORKERS}`",
        "",
        ("| Batch | Runs | Wall time (s) | Peak RSS, largest process (MB) | Peak RSS, sum over process tree (MB) | "
         "Target | Target met |"),
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for key, label in (("10k", "runs_10k.toml"), ("100k", "runs_100k.toml")):
        row = memory[key]
        lines.append(f"| {label} | {row['runs']:,} | {row['wall_s']:.1f} | {row['peak_rss_largest_process_mb']:.0f} | "
                     f"{row['peak_rss_tree_sum_mb']:.0f} | | |")
    both_met = met["memory 100k/10k, largest process"] and met["memory 100k/10k, process tree"]
    lines += [
        (f"| ratio 100k / 10k | 10× | | {memory['ratio_largest_process']:.2f} | {memory['ratio_tree_sum']:.2f} | "
         f"≤ {TARGET_MEMORY_RATIO:g} (does not grow) | {yes_no(both_met)} |"),
        "",
        ("Largest process: `getrusage(RUSAGE_CHILDREN).ru_maxrss` of a wrapper around `casim batch` "
         "(`benchmarks/peak_rss.py`). Process tree: the largest sum of the RSS of `casim batch` and all its "
         f"descendants (forkserver, workers), sampled every {SAMPLE_INTERVAL_S:g} s with psutil; pages shared "
         "between forked processes are counted once per process."),
        "",
        "Peak RSS of single processes by role (psutil samples, MB): " + "; ".join(
            f"{key}: " + ", ".join(f"{role} {value:.0f}" for role, value in memory[key]["peak_rss_by_role_mb"].items())
            for key in ("10k", "100k")) + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mesa-runs", type=int, default=20, metavar="N", help="runs of (a) mesa.batch_run (default 20)")
    parser.add_argument("--engine-runs", type=int, default=10_000, metavar="N",
                        help="runs of (b) the ensemble engine (default 10000)")
    args = parser.parse_args(argv)

    machine = machine_info()
    say(f"casim benchmarks on {machine['cpu_count']} CPUs, Python {machine['python']}, mesa "
        f"{machine['versions']['mesa']}, numpy {machine['versions']['numpy']}, commit {machine['git_commit']}")
    started = time.perf_counter()
    results = {
        "a_mesa_batch_run": bench_mesa(args.mesa_runs),
        "b_engine": bench_engine(args.engine_runs),
        "b_run_batch_in_process": bench_run_batch_in_process(RUNS_10K),
        "c_casim_batch": bench_casim_batch(RUNS_10K),
        "memory": {"10k": bench_memory(RUNS_10K), "100k": bench_memory(RUNS_100K)},
        "sobol": bench_sobol(),
        "d_tidy_table": bench_tidy_table(),
    }
    memory = results["memory"]
    memory["ratio_largest_process"] = (memory["100k"]["peak_rss_largest_process_mb"]
                                       / memory["10k"]["peak_rss_largest_process_mb"])
    memory["ratio_tree_sum"] = memory["100k"]["peak_rss_tree_sum_mb"] / memory["10k"]["peak_rss_tree_sum_mb"]
    targets = evaluate(results)
    say(f"done in {time.perf_counter() - started:.0f} s\n")

    table = markdown(results, targets, machine)
    print(table)
    write_atomic(RESULTS_MD, lambda tmp: tmp.write_text(table, encoding="utf-8"))
    document = {"machine": machine, "results": results, "targets": targets,
                "all_targets_met": all(t["met"] for t in targets)}
    write_atomic(RESULTS_JSON, lambda tmp: tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8"))
    say(f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_JSON.relative_to(ROOT)}")
    missed = [t["name"] for t in targets if not t["met"]]
    say("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
