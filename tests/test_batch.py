"""Batches: chunk rows, design parity with single runs, executors, resume, kills and the CLI.

The experiments here run short scenarios (the baseline and no_opening_2016 cut at 2030
through ``extends``), written next to the experiment file, so a whole batch takes well
under a second in this process.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.experiments.batch import RUNS_DIR, SERIES_DIR, BatchReport, plan, read_runs, read_series, run_batch, run_chunk
from sim.experiments.design import design_points
from sim.experiments.experiment import ExperimentError, load_experiment
from sim.inputs.randomness import replicate_seeds
from sim.model.engine import simulate
from sim.model.outcomes import VariableRef, window_mean

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - the Dask tests skip themselves
    WorkerPlugin = object

PARAMETERS = {"trust_learning_rate": (0.1, 0.5), "border_open_bias": (0.0, 0.6), "incident_rate_per_1000km": (0.5, 2.0)}
OUTCOMES = {"index_2030": ("region.integration_index", "year = 2030"),
            "kgz_uzb_open": ("dyad.KGZ-UZB.border_openness", "years = [2019, 2024]"),
            "uzb_trust": ("country.UZB.trust", "years = [2025, 2030]")}
SERIES = ["region.integration_index", "dyad.KGZ-UZB.border_openness"]
SERIES_COLUMNS = ["scenario", "point", "replicate", "year", "variable", "value"]
SCENARIOS = {"short.toml": 'name = "short"\nextends = "baseline"\nend_year = 2030\n',
             "short_closed.toml": 'name = "short_closed"\nextends = "no_opening_2016"\nend_year = 2030\n'}
TIMEOUT_S = 120


def experiment_text(name: str, *, scenarios=("short.toml", "short_closed.toml"), samples=6, replicates=2, seed=3,
                    chunk_runs=5) -> str:
    ranges = "".join(f"{p} = [{low}, {high}]\n" for p, (low, high) in PARAMETERS.items())
    outcomes = "".join(f'{o} = {{ variable = "{v}", {window} }}\n' for o, (v, window) in OUTCOMES.items())
    return (f'name = "{name}"\nscenarios = {json.dumps(list(scenarios))}\nreplicates = {replicates}\n'
            f"seed = {seed}\nchunk_runs = {chunk_runs}\nseries = {json.dumps(SERIES)}\n\n"
            f'[design]\nmethod = "latin"\nsamples = {samples}\n\n[parameters]\n{ranges}\n[outcomes]\n{outcomes}')


def write_experiment(folder: Path, name: str, **settings) -> Path:
    for filename, text in SCENARIOS.items():
        (folder / filename).write_text(text, encoding="utf-8")
    path = folder / f"{name}.toml"
    path.write_text(experiment_text(name, **settings), encoding="utf-8")
    return path


def batch(path: Path, out: Path, **options) -> BatchReport:
    experiment, scenarios = load_experiment(path)
    return run_batch(path, experiment, scenarios, out, progress=False, **options)


def sorted_series(out: Path) -> pd.DataFrame:
    return read_series(out).sort_values(["scenario", "point", "replicate", "variable", "year"], ignore_index=True)


def assert_same_batch(out: Path, expected: Path) -> None:
    pd.testing.assert_frame_equal(read_runs(out), read_runs(expected))
    pd.testing.assert_frame_equal(sorted_series(out), sorted_series(expected))


def within(seconds: float, function, *args, **kwargs):
    """``function(*args, **kwargs)`` in a daemon thread; fail the test if it takes longer than ``seconds``."""
    box = {}

    def target():
        try:
            box["value"] = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{getattr(function, '__name__', function)} did not finish within {seconds} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def part_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("part-*.parquet"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny experiment (2 scenarios x 6 points x 2 replicates in 6 chunks) and its in-process batch."""
    folder = tmp_path_factory.mktemp("tiny")
    path = write_experiment(folder, "tiny")
    experiment, scenarios = load_experiment(path)
    out = folder / "reference"
    report = run_batch(path, experiment, scenarios, out, workers=1, progress=False)
    return SimpleNamespace(folder=folder, path=path, experiment=experiment, scenarios=scenarios, out=out,
                           report=report, points=design_points(experiment))


# ---------------------------------------------------------------------- chunks


def test_plan_splits_scenarios_points_and_replicates_into_chunks(tiny):
    chunks = plan(tiny.experiment, tiny.scenarios, tiny.points)
    assert [c.runs for c in chunks] == [5, 5, 2, 5, 5, 2]
    assert [c.index for c in chunks] == list(range(6))
    assert [c.scenario.name for c in chunks] == ["short"] * 3 + ["short_closed"] * 3
    assert [c.name for c in chunks][:2] == ["part-00000.parquet", "part-00001.parquet"]
    seeds = replicate_seeds(tiny.experiment.seed, tiny.experiment.replicates)
    for scenario_chunks in (chunks[:3], chunks[3:]):
        points = np.concatenate([c.points for c in scenario_chunks])
        replicates = np.concatenate([c.replicates for c in scenario_chunks])
        assert list(zip(points, replicates)) == [(p, r) for p in range(6) for r in range(2)]
        # Common random numbers: replicate k has the same seed at every point and in every scenario.
        np.testing.assert_array_equal(np.concatenate([c.seeds for c in scenario_chunks]), seeds[replicates])
    for chunk in chunks:
        for name in PARAMETERS:
            np.testing.assert_array_equal(chunk.parameters[name], tiny.points[name].to_numpy()[chunk.points])


def test_run_chunk_gives_one_row_per_run_and_a_long_series_table(tiny):
    chunk = plan(tiny.experiment, tiny.scenarios, tiny.points)[0]
    result = run_chunk(chunk)
    runs = result.runs
    assert list(runs.columns) == ["scenario", "point", "replicate", "seed", "draw", *PARAMETERS, *OUTCOMES]
    assert len(runs) == chunk.runs == 5
    assert (runs["scenario"] == "short").all()
    np.testing.assert_array_equal(runs["point"], chunk.points)
    np.testing.assert_array_equal(runs["replicate"], chunk.replicates)
    np.testing.assert_array_equal(runs["seed"], chunk.seeds)
    for name in PARAMETERS:
        np.testing.assert_array_equal(runs[name], chunk.parameters[name])
    assert runs[list(OUTCOMES)].notna().all().all()
    assert runs["index_2030"].nunique() > 1

    series = result.series
    years = list(range(1991, 2031))
    assert list(series.columns) == SERIES_COLUMNS
    assert len(series) == chunk.runs * len(years) * len(SERIES)
    assert sorted(series["variable"].unique()) == sorted(SERIES)
    counts = series.groupby(["point", "replicate", "variable"]).size()
    assert len(counts) == chunk.runs * len(SERIES) and (counts == len(years)).all()
    assert sorted(series["year"].unique()) == years
    # The 2030 value of the index series is the index_2030 outcome.
    last = series[(series["variable"] == "region.integration_index") & (series["year"] == 2030)]
    merged = runs.merge(last, on=["scenario", "point", "replicate"])
    np.testing.assert_array_equal(merged["value"], merged["index_2030"])


def test_a_chunk_gives_each_run_what_a_single_run_with_scalar_parameters_gives(tiny):
    chunk = plan(tiny.experiment, tiny.scenarios, tiny.points)[4]  # short_closed, points 2-4
    parameters = chunk.run_parameters()
    assert len(set(parameters["trust_learning_rate"])) > 1
    result = run_chunk(chunk)
    refs = {name: VariableRef.parse(text) for name, (text, _) in OUTCOMES.items()}
    windows = {name: summary.window for name, summary in tiny.experiment.outcomes.items()}
    series_refs = [VariableRef.parse(text) for text in SERIES]
    needed = {(ref.scope, ref.variable) for ref in [*refs.values(), *series_refs]}
    for i in range(chunk.runs):
        alone = simulate(chunk.scenario, chunk.seeds[i:i + 1],
                         {name: float(values[i]) for name, values in parameters.items()}, record=needed,
                         disposition_keys=chunk.disposition_keys[i:i + 1])
        row = result.runs.iloc[i]
        for name, ref in refs.items():
            assert row[name] == window_mean(alone, ref, *windows[name])[0], (i, name)
        for ref in series_refs:
            mine = result.series[(result.series["variable"] == str(ref)) & (result.series["point"] == row["point"])
                                 & (result.series["replicate"] == row["replicate"])].sort_values("year")
            np.testing.assert_array_equal(mine["value"].to_numpy(), ref.values(alone)[:, 0])


# ------------------------------------------------------------------- executors


def test_the_in_process_batch_writes_every_chunk(tiny):
    report = tiny.report
    assert (report.runs, report.chunks, report.skipped_chunks) == (24, 6, 0)
    names = [f"part-{k:05d}.parquet" for k in range(6)]
    assert part_names(tiny.out / RUNS_DIR) == names
    assert part_names(tiny.out / SERIES_DIR) == names
    runs = read_runs(tiny.out)
    assert len(runs) == 24
    assert runs.groupby("scenario").size().to_dict() == {"short": 12, "short_closed": 12}
    assert len(read_series(tiny.out)) == 24 * 40 * len(SERIES)
    manifest = json.loads((tiny.out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_done"] == 24


def test_local_processes_give_the_in_process_tables(tiny, tmp_path):
    report = within(TIMEOUT_S, batch, tiny.path, tmp_path / "local", workers=2)
    assert (report.chunks, report.skipped_chunks) == (6, 0)
    assert_same_batch(tmp_path / "local", tiny.out)


def test_dask_local_cluster_gives_the_in_process_tables(tiny, tmp_path):
    pytest.importorskip("distributed")
    report = within(TIMEOUT_S, batch, tiny.path, tmp_path / "dask", workers=2, scheduler="local")
    assert (report.chunks, report.skipped_chunks) == (6, 0)
    assert_same_batch(tmp_path / "dask", tiny.out)
    assert json.loads((tmp_path / "dask" / "manifest.json").read_text())["scheduler"] == "local"


# ---------------------------------------------------------------------- resume


def test_resume_recomputes_only_the_missing_chunks(tiny, tmp_path):
    out = tmp_path / "resume"
    shutil.copytree(tiny.out, out)
    for name in ("part-00001.parquet", "part-00004.parquet"):
        (out / RUNS_DIR / name).unlink()
    computed = []
    experiment, scenarios = load_experiment(tiny.path)
    report = run_batch(tiny.path, experiment, scenarios, out, progress=False, on_chunk=lambda c: computed.append(c.index))
    assert computed == [1, 4]
    assert (report.chunks, report.skipped_chunks, report.runs) == (6, 4, 24)
    assert_same_batch(out, tiny.out)

    computed.clear()
    report = run_batch(tiny.path, experiment, scenarios, out, progress=False, on_chunk=lambda c: computed.append(c.index))
    assert computed == [] and report.skipped_chunks == 6
    assert_same_batch(out, tiny.out)


def test_a_folder_of_another_experiment_is_refused_and_left_alone(tiny, tmp_path):
    out = tmp_path / "taken"
    shutil.copytree(tiny.out, out)
    (out / RUNS_DIR / "part-00002.parquet").unlink()
    before = snapshot(out)
    other = tiny.folder / "other.toml"
    other.write_text(tiny.path.read_text().replace("seed = 3", "seed = 4"), encoding="utf-8")
    with pytest.raises(ExperimentError, match="different experiment") as info:
        batch(other, out)
    assert str(info.value).startswith(f"{out}: ") and len(str(info.value).splitlines()) == 1
    assert snapshot(out) == before


# ------------------------------------------------------------------------ kills


def test_a_killed_batch_leaves_whole_partitions_and_resumes(tmp_path):
    path = write_experiment(tmp_path, "killed", scenarios=("short.toml",), samples=15, chunk_runs=1)
    out = tmp_path / "out"
    log = (tmp_path / "stdout.txt").open("w"), (tmp_path / "stderr.txt").open("w")
    process = subprocess.Popen([sys.executable, "-m", "sim", "batch", str(path), "--workers", "1", "--out", str(out)],
                               cwd=tmp_path, stdout=log[0], stderr=log[1])
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while len(part_names(out / RUNS_DIR)) < 2:
            assert process.poll() is None, (tmp_path / "stderr.txt").read_text()
            assert time.monotonic() < deadline, "the batch wrote no two chunks in time"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        for handle in log:
            handle.close()

    finished = part_names(out / RUNS_DIR)
    assert 2 <= len(finished) < 30, finished
    for folder in (out / RUNS_DIR, out / SERIES_DIR):
        for part in folder.glob("part-*.parquet"):
            pq.read_table(part)  # a whole file, never half of one
    assert set(finished) <= set(part_names(out / SERIES_DIR))  # series are written before the run rows
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"

    stale = out / RUNS_DIR / ".part-99999.parquet.killed.tmp"
    stale.write_bytes(b"half a file")
    stdout = io.StringIO()
    errors = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(errors):
        code = within(TIMEOUT_S, main, ["batch", str(path), "--workers", "1", "--out", str(out)])
    assert code == 0, errors.getvalue()
    assert f"{len(finished)} finished chunks skipped" in stdout.getvalue()
    assert not [p for p in out.rglob("*.tmp")], "stale temporaries were left"
    assert part_names(out / RUNS_DIR) == [f"part-{k:05d}.parquet" for k in range(30)]
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"

    batch(path, tmp_path / "uninterrupted")
    assert_same_batch(out, tmp_path / "uninterrupted")


class KillOnce(WorkerPlugin):
    """Kill the worker process the first time (across all workers) it starts a chunk task."""

    def __init__(self, marker: str, suffix: str):
        self.marker = marker
        self.suffix = suffix

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or not str(key).endswith(self.suffix):
            return
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        os._exit(1)


def test_dask_reruns_the_chunks_of_a_worker_that_dies(tiny, tmp_path):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    marker = tmp_path / "killed"
    out = tmp_path / "dask"
    cluster = client = None
    try:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        client.register_plugin(KillOnce(str(marker), "-chunk-1"), name="kill-once")
        report = within(TIMEOUT_S, batch, tiny.path, out, workers=2, scheduler=cluster.scheduler_address)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    assert marker.exists(), "no worker was killed"
    assert (report.chunks, report.skipped_chunks) == (6, 0)
    assert part_names(out / RUNS_DIR) == [f"part-{k:05d}.parquet" for k in range(6)]
    assert_same_batch(out, tiny.out)


# -------------------------------------------------------------------------- CLI


def test_cli_batch_writes_manifest_design_and_runs(tiny, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["batch", str(tiny.path), "--out", str(out), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "run/s" in captured.err
    assert "24 runs in 6 chunks" in captured.out and str(out) in captured.out

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "batch" and manifest["status"] == "complete"
    assert manifest["experiment_sha256"] == tiny.experiment.digest()
    assert manifest["scenario_sha256"] == {s.name: s.digest() for s in tiny.scenarios}
    assert manifest["replicate_seeds"] == replicate_seeds(3, 2).tolist()
    assert (manifest["runs"], manifest["runs_done"], manifest["chunks"]) == (24, 24, 6)
    assert manifest["design"]["method"] == "latin" and manifest["design"]["points"] == 6
    assert manifest["experiment"]["source"] == tiny.path.read_text()
    assert [s["name"] for s in manifest["scenarios"]] == ["short", "short_closed"]
    for package in ("python", "casim", "numpy", "pandas", "pyarrow", "SALib", "dask"):
        assert manifest["versions"].get(package), package
    assert "git_commit" in manifest

    design = pd.read_csv(out / "design.csv")
    assert list(design.columns) == ["point", *PARAMETERS]
    np.testing.assert_allclose(design[list(PARAMETERS)].to_numpy(), tiny.points.to_numpy(), rtol=1e-12)
    assert part_names(out / RUNS_DIR) == [f"part-{k:05d}.parquet" for k in range(6)]
    assert_same_batch(out, tiny.out)


def test_cli_batch_refuses_a_folder_of_another_experiment(tiny, tmp_path, capsys):
    out = tmp_path / "taken"
    shutil.copytree(tiny.out, out)
    before = snapshot(out)
    other = tmp_path / "other.toml"
    for filename, text in SCENARIOS.items():
        (tmp_path / filename).write_text(text, encoding="utf-8")
    other.write_text(tiny.path.read_text().replace("replicates = 2", "replicates = 3"), encoding="utf-8")
    assert main(["batch", str(other), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "different experiment" in err
    assert snapshot(out) == before


def test_a_chunk_sent_to_a_worker_carries_only_its_own_draws(tiny):
    """The batch shares one table of posterior values; a worker gets its chunk's rows only,
    and the runs' parameters are the same either way."""
    chunks = plan(tiny.experiment, tiny.scenarios, tiny.points)
    assert chunks[0].drawn_values is not None  # the runs draw from the shipped posterior
    assert all(c.drawn_values is chunks[0].drawn_values for c in chunks if c.drawn_values is not None)
    for chunk in chunks:
        sent = chunk.for_a_worker()
        if chunk.drawn_values is None:
            continue
        assert set(sent.drawn_values.index) == set(chunk.draws)
        mine, theirs = chunk.run_parameters(), sent.run_parameters()
        assert list(mine) == list(theirs)
        for name in mine:
            np.testing.assert_array_equal(mine[name], theirs[name])
