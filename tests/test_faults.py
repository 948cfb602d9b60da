"""Faults: file modes, one writer per folder, stale temporaries, unfinished folders and
worker processes after ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from sim.cli import main
from sim.io.output import LOCK_FILE, output_folder

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def _main_with_umask(umask: int, argv: list[str]) -> int:
    previous = os.umask(umask)
    try:
        return main(argv)
    finally:
        os.umask(previous)


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=["umask022", "umask027"])
def test_written_files_honour_the_umask(short_scenario_path, tmp_path, capsys, umask):
    out = tmp_path / "out"
    assert _main_with_umask(umask, ["run", str(short_scenario_path), "--replicates", "1", "--out", str(out)]) == 0
    modes = _modes(out)
    assert {"timeseries.parquet", "summary.csv", "manifest.json", "figures/index.png"} <= set(modes)
    assert modes == dict.fromkeys(modes, 0o666 & ~umask), modes


def test_batch_partitions_and_manifests_honour_the_umask(tiny_inputs, tmp_path, capsys):
    experiment = tiny_inputs.batch(tmp_path, "modes", samples=2, chunk_runs=12)
    out = tmp_path / "out"
    assert _main_with_umask(0o022, ["batch", str(experiment), "--workers", "1", "--out", str(out)]) == 0
    modes = _modes(out)
    assert {"manifest.json", "design.csv", "runs/part-00000.parquet", "series/part-00000.parquet"} <= set(modes)
    assert modes == dict.fromkeys(modes, 0o644), modes


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders (the fuzz suite uses /sys)")
def test_a_read_only_folder_is_refused_before_any_work(tiny_inputs, tmp_path, capsys):
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    tiny_inputs.calibration(calibration, draws=8, accept=3, chunk_runs=16, refine_replicates=2,
                            priors={"trust_learning_rate": (0.1, 0.5)})
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for option, argv in {"--out": ["--out", str(locked / "out")],
                             "--parameters-out": ["--out", str(tmp_path / "out"),
                                                  "--parameters-out", str(locked / "chosen.csv")]}.items():
            assert main(["calibrate", str(calibration / "calibration.toml"), "--workers", "1", *argv]) == 2
            line = _one_line(capsys.readouterr().err)
            assert line.startswith(f"casim: error: {option} {locked}") and "cannot write" in line, line
            assert not list(locked.iterdir()) and not (tmp_path / "out").exists()
    finally:
        locked.chmod(0o755)


# ------------------------------------------------------------------ one writer per folder


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_second_writer_of_a_folder_gets_one_line(short_scenario_path, tmp_path, capsys, command):
    out = tmp_path / "out"
    argv = {"run": ["run", str(short_scenario_path)], "validate": ["validate", "--replicates", "1"]}[command]
    with output_folder(out):
        assert main([*argv, "--out", str(out)]) == 2
        line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"casim: error: --out {out}: another casim command (process {os.getpid()})"), line
    assert [p.name for p in out.iterdir()] == [LOCK_FILE]


def test_a_lock_is_released_when_the_command_ends(short_scenario_path, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), output_folder(out):
        raise RuntimeError("the command failed")
    assert main(["run", str(short_scenario_path), "--replicates", "1", "--out", str(out)]) == 0


# ------------------------------------------------------------------ killed commands


def test_a_rerun_removes_stale_temporaries(short_scenario_path, tmp_path, capsys):
    out = tmp_path / "out"
    stale = [out / ".summary.csv.0badc0ffee.tmp", out / "figures" / ".index.png.0badc0ffee.tmp"]
    held = out / "analysis" / ".outcomes.csv.0badc0ffee.tmp"  # a folder another command holds
    for path in [*stale, held]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a file")
    (held.parent / LOCK_FILE).touch()
    assert main(["run", str(short_scenario_path), "--replicates", "1", "--out", str(out)]) == 0
    assert not any(path.exists() for path in stale)
    assert held.exists()


def test_a_folder_is_incomplete_until_its_command_ends_and_report_says_so(short_scenario_path, tmp_path, capsys,
                                                                          monkeypatch):
    out = tmp_path / "out"

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr("sim.cli.write_csv", killed)  # after the figures and the table
        assert main(["run", str(short_scenario_path), "--replicates", "1", "--out", str(out)]) == 130
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    assert list((out / "figures").glob("*.png"))
    capsys.readouterr()

    assert main(["report", str(out)]) == 0
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"casim: warning: {out}: the casim run command that wrote this folder did not finish")
    assert "did not finish" in (out / "report.html").read_text(encoding="utf-8")

    assert main(["run", str(short_scenario_path), "--replicates", "1", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    assert capsys.readouterr().err == ""
    assert "did not finish" not in (out / "report.html").read_text(encoding="utf-8")


def _wait_for(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert process is None or process.poll() is None, f"the command ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {TIMEOUT_S} s"
        time.sleep(0.01)


def test_a_run_killed_with_sigkill_is_marked_incomplete_and_a_rerun_completes_it(tmp_path, capsys):
    scenario = tmp_path / "long.toml"
    scenario.write_text('name = "long"\nreplicates = 4000\n', encoding="utf-8")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(out)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: (out / "manifest.json").is_file(), "manifest", process)
        process.kill()
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    assert main(["report", str(out)]) == 0
    assert "did not finish" in _one_line(capsys.readouterr().err)

    (out / ".timeseries.parquet.0badc0ffee.tmp").write_bytes(b"half a file")
    assert main(["run", str(scenario), "--replicates", "1", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert not list(out.rglob("*.tmp"))


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_worker_processes_end_with_a_batch_killed_with_sigkill(tmp_path):
    (tmp_path / "exp.toml").write_text(
        'name = "orphans"\nscenarios = ["baseline"]\nreplicates = 2\nchunk_runs = 20\n'
        '[design]\nmethod = "latin"\nsamples = 2000\n[parameters]\ntrust_learning_rate = [0.1, 0.5]\n'
        '[outcomes]\nindex_2030 = { variable = "region.integration_index", year = 2030 }\n', encoding="utf-8")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "sim", "batch", str(tmp_path / "exp.toml"), "--workers", "2",
                                "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = []
    try:
        # Running chunks: the forkserver, two workers and the resource tracker are up.
        _wait_for(lambda: any((out / "runs").glob("part-*.parquet")), "finished chunk", process)
        children = _descendants(process.pid)
        assert len(children) >= 4, children
        process.kill()
        assert process.wait(timeout=30) == -signal.SIGKILL
        deadline = time.monotonic() + 30
        while [child for child in children if _alive(child)] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [child for child in children if _alive(child)], "processes outlived casim batch"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        for child in children:
            if _alive(child):
                child.kill()
