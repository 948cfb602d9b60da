"""Faults: file modes, one writer per folder, stale temporaries, unfinished folders and
worker processes after ``kill -9``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sim.cli import main


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_written_files_honour_the_umask(short_scenario_path, tmp_path, capsys, umask):
    out = tmp_path / "out"
    previous = os.umask(umask)
    try:
        assert main(["run", str(short_scenario_path), "--replicates", "1", "--out", str(out)]) == 0
    finally:
        os.umask(previous)
    modes = _modes(out)
    assert {"timeseries.parquet", "summary.csv", "manifest.json", "figures/index.png"} <= set(modes)
    assert modes == dict.fromkeys(modes, 0o666 & ~umask), modes
