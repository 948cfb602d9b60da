"""Batches: an experiment's runs in chunks, on local processes or a Dask cluster.

Each chunk is one block of runs advanced together by the ensemble engine
(:func:`sim.model.engine.simulate`), with one parameter set per run. Finished chunks stream to
disk as Parquet partitions (``runs/part-NNNNN.parquet``, and ``series/`` when time series
are kept), each written to a temporary name and renamed, so memory stays flat and a killed
batch loses no finished chunk. Rerunning the same batch into the same folder skips the
chunks already there. Local worker processes die with the process that started them.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.experiments.design import design_points, design_seed, problem
from sim.experiments.experiment import (
    PATTERN_PREFIX,
    STATISTIC_PREFIX,
    Experiment,
    ExperimentError,
    Summary,
    patterns_path,
    resolve_experiment,
    scenario_paths,
)
from sim.experiments.factors import apply_factors
from sim.inference.patterns import PatternSet, load_patterns, margins, statistics
from sim.inputs.posterior import ParameterSource, parameter_source
from sim.inputs.posterior import plan as posterior_plan
from sim.inputs.randomness import replicate_seeds
from sim.inputs.scenario import Scenario, scenario_record
from sim.io.input_files import InputError, read_text
from sim.io.output import code_digest, git_commit, manifest, read_json, write_csv, write_json, write_table
from sim.io.workers import die_with_parent
from sim.model.engine import simulate
from sim.model.outcomes import VariableRef

RUNS_DIR = "runs"
SERIES_DIR = "series"
# Chunks in flight per worker: enough to keep workers busy, few enough to keep memory flat.
IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class Chunk:
    """One block of runs of one scenario: design point, replicate and seed of each run."""

    index: int
    scenario: Scenario
    points: np.ndarray
    replicates: np.ndarray
    seeds: np.ndarray
    draws: np.ndarray
    disposition_keys: np.ndarray
    parameters: dict[str, np.ndarray]
    design: dict[str, np.ndarray]
    outcomes: dict[str, Summary]
    series: tuple[str, ...] = ()
    patterns: PatternSet | None = None
    # Posterior parameters: a table of values by draw (shared by the chunks of a batch; cut to
    # the chunk's own draws when it is sent to a worker, ``for_a_worker``), looked up by draw
    # when the chunk runs (``run_parameters``), so that a batch of a million runs never holds
    # every run's values at once.
    drawn_values: pd.DataFrame | None = None

    @property
    def runs(self) -> int:
        return len(self.seeds)

    def run_parameters(self) -> dict[str, np.ndarray]:
        """Every parameter of the chunk's runs: the drawn ones, then the design's and held ones."""
        if self.drawn_values is None:
            return self.parameters
        rows = self.drawn_values.loc[self.draws]
        return {**{name: rows[name].to_numpy() for name in self.drawn_values.columns}, **self.parameters}

    def for_a_worker(self) -> Chunk:
        """The chunk with only its own draws' values, to send to a worker process."""
        if self.drawn_values is None:
            return self
        return replace(self, drawn_values=self.drawn_values.loc[np.unique(self.draws)])

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}.parquet"


@dataclass
class ChunkResult:
    """A finished chunk: one row per run, and the kept time series in long form (or None)."""

    runs: pd.DataFrame
    series: pd.DataFrame | None = None


def plan(experiment: Experiment, scenarios: list[Scenario], points: pd.DataFrame,
         patterns: PatternSet | None = None, source: ParameterSource | None = None) -> list[Chunk]:
    """Split scenarios x design points x replicates into chunks of ``chunk_runs`` runs.

    Replicate k has the same seed, posterior draw and disposition key at every design point
    and in every scenario (common random numbers), so differences between points and
    scenarios are paired. The design's parameters replace the drawn values of the same name;
    a scenario's assumed parameters (its ``[assumptions]`` table) replace the drawn ones too. With driver factors
    (:mod:`sim.experiments.factors`) every design point runs its own variant of each scenario, so a chunk
    then holds the runs of one point.
    """
    source = source or parameter_source(experiment.parameters_from)
    lazy = source.kind == "posterior"
    runs = posterior_plan(experiment.seed, experiment.replicates, 1, source, with_values=not lazy)
    factor_names = [name for name in points.columns if name in experiment.factors]
    parameter_names = [name for name in points.columns if name not in experiment.factors]
    drawn = {name: values for name, values in runs.parameters.items() if name not in parameter_names}
    drawn_names = [name for name in source.posterior.names if name not in parameter_names] if lazy else []
    tables: dict[tuple[str, ...], pd.DataFrame | None] = {}

    def drawn_table(variant: Scenario) -> pd.DataFrame | None:
        """The posterior's values of the parameters a variant draws, one table per set of names."""
        names = tuple(name for name in drawn_names if name not in variant.assumed_parameters)
        if names not in tables:
            tables[names] = source.posterior.draws.loc[:, list(names)] if names else None
        return tables[names]

    per_point = experiment.replicates
    chunks = []
    for scenario in scenarios:
        if factor_names:  # one segment (a scenario variant) per design point
            segments = [(apply_factors(scenario, experiment.factors, points.loc[p, factor_names].to_dict()),
                         k * per_point, (k + 1) * per_point) for k, p in enumerate(points.index)]
        else:
            segments = [(scenario, 0, len(points) * per_point)]
        for variant, first, last in segments:
            for start in range(first, last, experiment.chunk_runs):
                flat = np.arange(start, min(last, start + experiment.chunk_runs))
                point, replicate = np.divmod(flat, per_point)
                own = {name: np.broadcast_to(values, (per_point,))[replicate]
                       for name, values in drawn.items() if name not in variant.assumed_parameters}
                chunks.append(Chunk(
                    index=len(chunks),
                    scenario=variant,
                    points=point,
                    replicates=replicate,
                    seeds=runs.seeds[replicate],
                    draws=runs.draws[replicate],
                    disposition_keys=runs.disposition_keys[replicate],
                    parameters={**own, **{name: points[name].to_numpy()[point] for name in parameter_names}},
                    design={name: points[name].to_numpy()[point] for name in points.columns},
                    outcomes=dict(experiment.outcomes),
                    series=tuple(experiment.series),
                    patterns=patterns,
                    drawn_values=drawn_table(variant) if lazy else None,
                ))
    return chunks


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Simulate one chunk and reduce it to its outcomes (runs in a worker process)."""
    summaries = {name: VariableRef.parse(summary.variable) for name, summary in chunk.outcomes.items()}
    series = [VariableRef.parse(text) for text in chunk.series]
    needed = {(ref.scope, ref.variable) for ref in [*summaries.values(), *series]}
    if chunk.patterns is not None:
        needed |= chunk.patterns.recorded()
    trajectory = simulate(chunk.scenario, chunk.seeds, chunk.run_parameters(), record=needed,
                          disposition_keys=chunk.disposition_keys)
    pattern_list = getattr(chunk.patterns, "patterns", [])
    statistic = statistics(chunk.patterns, trajectory) if chunk.patterns is not None else []
    passed = margins(chunk.patterns, statistic) > 0.0 if chunk.patterns is not None else []
    runs = pd.DataFrame({
        "scenario": chunk.scenario.name,
        "point": chunk.points.astype("int64"),
        "replicate": chunk.replicates.astype("int32"),
        "seed": chunk.seeds,
        "draw": chunk.draws,
        **chunk.design,
        **{name: chunk.outcomes[name].value(trajectory) for name in summaries},
        **{PATTERN_PREFIX + p.id: held for p, held in zip(pattern_list, passed)},
        **{STATISTIC_PREFIX + p.id: values for p, values in zip(pattern_list, statistic)},
    })
    if not series:
        return ChunkResult(runs)
    n_years = len(trajectory.years)
    long = pd.concat([
        pd.DataFrame({
            "scenario": chunk.scenario.name,
            "point": np.tile(chunk.points, n_years).astype("int64"),
            "replicate": np.tile(chunk.replicates, n_years).astype("int32"),
            "year": np.repeat(trajectory.years, chunk.runs).astype("int16"),
            "variable": str(ref),
            "value": ref.values(trajectory).ravel(),
        })
        for ref in series
    ], ignore_index=True)
    return ChunkResult(runs, long)


# ------------------------------------------------------------------------ executors


def _run_in_process(chunks: list[Chunk]) -> Iterator[tuple[Chunk, ChunkResult]]:
    for chunk in chunks:
        yield chunk, run_chunk(chunk)


def _run_local(chunks: Iterable[Chunk], workers: int) -> Iterator[tuple[Chunk, ChunkResult]]:
    # forkserver: workers fork from a clean server that has imported casim once, which is
    # fast and safe with the threads pyarrow starts in this process.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.io._forkserver"])
    queue = iter(chunks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent) as pool:
        pending = {}
        while True:
            while len(pending) < workers * IN_FLIGHT_PER_WORKER and (chunk := next(queue, None)) is not None:
                pending[pool.submit(run_chunk, chunk)] = chunk
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()


def _run_dask(chunks: Iterable[Chunk], workers: int, scheduler: str, tag: str) -> Iterator[tuple[Chunk, ChunkResult]]:
    # Dask reruns the tasks of a worker that dies (up to distributed.scheduler.allowed-failures).
    from dask.distributed import Client, LocalCluster, as_completed

    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            cluster, client = None, Client(scheduler)
        except OSError as exc:
            raise InputError(f"--scheduler {scheduler}: {exc}") from None
    try:
        queue = iter(chunks)
        window = workers * IN_FLIGHT_PER_WORKER if cluster else max(1, len(client.nthreads())) * IN_FLIGHT_PER_WORKER

        def submit(chunk: Chunk):
            future = client.submit(run_chunk, chunk, key=f"casim-{tag}-chunk-{chunk.index}", pure=False)
            by_key[future.key] = chunk
            return future

        by_key: dict[str, Chunk] = {}
        running = as_completed([submit(c) for c in [next(queue, None) for _ in range(window)] if c is not None])
        for future in running:
            chunk = by_key.pop(future.key)
            result = future.result()
            future.release()
            yield chunk, result
            if (following := next(queue, None)) is not None:
                running.add(submit(following))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ------------------------------------------------------------------------ the batch


@dataclass
class BatchReport:
    """What a batch did."""

    out: Path
    runs: int
    chunks: int
    skipped_chunks: int
    wall_time_s: float
    runs_per_s: float


def check_scheduler(address: str) -> None:
    """Refuse a ``--scheduler`` that is neither ``local`` nor the address of a scheduler that
    answers, before anything is written.

    Raises:
        InputError: one line naming the option and what is allowed.
    """
    if address == "local":
        return
    from distributed.comm.addressing import get_address_host_port

    allowed = "allowed: local, or the address of a running Dask scheduler (tcp://host:8786)"
    try:
        host, port = get_address_host_port(address)
        socket.create_connection((host, port), timeout=10).close()
    except ValueError as exc:
        raise InputError(f"--scheduler {address}: {exc}; {allowed}") from None
    except (OSError, OverflowError) as exc:
        raise InputError(f"--scheduler {address}: nothing answers there ({getattr(exc, 'strerror', None) or exc}); "
                         f"{allowed}") from None


def experiment_source(path: Path, experiment: Experiment) -> ParameterSource:
    """Where the batch's runs take the parameters its design does not set (a file is found
    beside the experiment file)."""
    choice = experiment.parameters_from
    if choice in ("posterior", "point"):
        return parameter_source(choice)
    file = Path(path).parent / choice
    if not file.is_file():
        raise ExperimentError(f"{path}: parameters_from: no file {choice!r} beside the experiment file; allowed: "
                              "posterior, point or the path (relative to the experiment file) of a posterior or "
                              "name,value CSV")
    return parameter_source(str(file))


def batch_identity(reference: str | Path, experiment: Experiment, scenarios: list[Scenario],
                   points: pd.DataFrame | None = None) -> dict:
    """What a batch folder records to be resumed only by the same batch: hashes of the
    experiment, its scenarios, its patterns file, the posterior its runs draw from, the code
    and any explicit points."""
    path = resolve_experiment(reference).resolve()
    identity = {
        "parameters_from": experiment_source(path, experiment).record(),
        "experiment_sha256": experiment.digest(),
        "scenario_sha256": {scenario.name: scenario.digest() for scenario in scenarios},
        "git_commit": git_commit(),  # other code, other results: never resume across commits
        "code_sha256": code_digest(),  # nor across edits of a modified checkout
    }
    if experiment.patterns is not None:  # the runs hold one pass column per pattern
        identity["patterns_sha256"] = hashlib.sha256(patterns_path(path, experiment).read_bytes()).hexdigest()
    if points is not None:
        identity["points_sha256"] = hashlib.sha256(points.rename_axis("point").to_csv().encode()).hexdigest()
    return identity


def check_same_experiment(out: Path, identity: dict) -> None:
    """Refuse to resume a folder written by another batch (see :func:`batch_identity`).

    Raises:
        ExperimentError: one line naming the folder.
    """
    previous = out / "manifest.json"
    if not previous.is_file():
        return
    recorded = read_json(previous)
    if {key: recorded.get(key) for key in identity} != identity:
        raise ExperimentError(f"{out}: holds the results of a different experiment (or of changed scenarios, patterns or "
                              "code); choose another --out or delete the folder")


def run_batch(
    reference: str | Path,
    experiment: Experiment,
    scenarios: list[Scenario],
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    on_chunk: Callable[[Chunk], None] | None = None,
    points: pd.DataFrame | None = None,
) -> BatchReport:
    """Run (or resume) a batch and write it to ``out``.

    Args:
        reference: the experiment file (recorded in the manifest).
        experiment, scenarios: as returned by :func:`sim.experiments.experiment.load_experiment`.
        out: output folder; finished chunks already there are skipped. ``casim batch`` holds
            it for the whole batch (:func:`sim.io.output.output_folder`).
        workers: local worker processes (1 runs in this process), or Dask workers with
            ``scheduler="local"``.
        scheduler: None for local processes; ``"local"`` for a Dask LocalCluster; else the
            address of a running Dask scheduler (``tcp://host:8786``).
        progress: show a progress bar (runs done, runs/s, ETA) on stderr.
        on_chunk: called after each chunk is written.
        points: explicit parameter sets to run instead of the experiment's design (one row
            each, columns = parameter names), e.g. the candidates a calibration refines.
    """
    started = time.perf_counter()
    path = resolve_experiment(reference).resolve()
    scenario_files = scenario_paths(path, experiment)
    explicit = points is not None
    points = points.rename_axis("point") if explicit else design_points(experiment)
    patterns = load_patterns(patterns_path(path, experiment)) if experiment.patterns is not None else None
    source = experiment_source(path, experiment)
    chunks = plan(experiment, scenarios, points, patterns, source)
    identity = batch_identity(path, experiment, scenarios, points if explicit else None)
    check_same_experiment(out, identity)
    out.mkdir(parents=True, exist_ok=True)
    finished = {p.name for p in (out / RUNS_DIR).glob("part-*.parquet")}
    todo = [chunk for chunk in chunks if chunk.name not in finished]
    total_runs = sum(chunk.runs for chunk in chunks)

    def record(status: str, runs_done: int) -> None:
        write_json(manifest(
            kind="batch",
            status=status,
            **identity,
            experiment={"name": experiment.name, "file": str(path), "source": read_text(path, "experiment"),
                        "resolved": experiment.model_dump(mode="json")},
            scenarios=[scenario_record(file, scenario) for file, scenario in zip(scenario_files, scenarios)],
            design={"method": "explicit points" if explicit else experiment.design.method, "points": len(points),
                    "seed": design_seed(experiment), "problem": problem(experiment)},
            replicates=experiment.replicates,
            replicate_seed_rule="sim.inputs.randomness.replicate_seeds(seed, replicates)",
            # Listed up to a thousand; beyond that the rule above regenerates them.
            replicate_seeds=replicate_seeds(experiment.seed, min(experiment.replicates, 1000)).tolist(),
            runs=total_runs,
            runs_done=runs_done,
            chunks=len(chunks),
            chunk_runs=experiment.chunk_runs,
            workers=workers,
            scheduler=scheduler,
            wall_time_s=round(time.perf_counter() - started, 3),
            outputs=["design.csv", f"{RUNS_DIR}/part-*.parquet"] + ([f"{SERIES_DIR}/part-*.parquet"] if experiment.series else []),
        ), out / "manifest.json")

    write_csv(points.reset_index(), out / "design.csv")
    done_runs = total_runs - sum(chunk.runs for chunk in todo)
    record("incomplete", done_runs)
    if scheduler is not None:
        results = _run_dask((chunk.for_a_worker() for chunk in todo), workers, scheduler,
                            identity["experiment_sha256"][:8])
    elif workers > 1 and len(todo) > 1:
        results = _run_local((chunk.for_a_worker() for chunk in todo), min(workers, len(todo)))
    else:
        results = _run_in_process(todo)
    with tqdm(total=total_runs, initial=done_runs, unit="run", desc=experiment.name, disable=not progress,
              file=sys.stderr, mininterval=0.5) as bar:
        for chunk, result in results:
            if result.series is not None:
                write_table(result.series, out / SERIES_DIR / chunk.name)
            write_table(result.runs, out / RUNS_DIR / chunk.name)  # last: it marks the chunk finished
            done_runs += chunk.runs
            bar.update(chunk.runs)
            if on_chunk is not None:
                on_chunk(chunk)
    record("complete", done_runs)
    wall = time.perf_counter() - started
    ran = sum(chunk.runs for chunk in todo)
    return BatchReport(out, total_runs, len(chunks), len(chunks) - len(todo), round(wall, 3),
                       round(ran / wall, 1) if wall > 0 else 0.0)


def read_runs(out: Path) -> pd.DataFrame:
    """All finished run rows of a batch folder, in run order."""
    folder = Path(out) / RUNS_DIR
    if not any(folder.glob("part-*.parquet")):
        raise ExperimentError(f"{out}: no finished chunks in {RUNS_DIR}/; rerun casim batch with this --out")
    return _read_parts(folder, out).sort_values(["scenario", "point", "replicate"], ignore_index=True)


def read_series(out: Path) -> pd.DataFrame | None:
    """The kept time series of a batch folder in long form, or None if it kept none."""
    folder = Path(out) / SERIES_DIR
    return _read_parts(folder, out) if any(folder.glob("part-*.parquet")) else None


def check_parts(out: Path) -> None:
    """Raise :class:`ExperimentError` as one line if a chunk file of the batch cannot be read."""
    for folder in (Path(out) / RUNS_DIR, Path(out) / SERIES_DIR):
        for part in sorted(folder.glob("part-*.parquet")):
            try:
                pq.read_metadata(part)
            except (pa.ArrowException, OSError) as exc:
                raise ExperimentError(f"{out}: {folder.name}/{part.name}: cannot be read ({str(exc).splitlines()[0]}); "
                                      "allowed: delete it and rerun casim batch with this --out, which redoes its "
                                      "chunk") from None


def _read_parts(folder: Path, out: Path) -> pd.DataFrame:
    check_parts(out)
    return pd.read_parquet(folder)


def default_workers() -> int:
    """Local worker processes: one per core."""
    return os.cpu_count() or 1
