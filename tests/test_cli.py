"""The ``casim`` command line: ``casim run`` and ``casim compare``."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.inputs.scenario import load_scenario

TIDY = ["scenario", "replicate", "seed", "draw", "year", "scope", "entity", "variable", "value"]
ROOT = Path(__file__).resolve().parent.parent


def _leftovers(folder: Path) -> list[str]:
    return [name for _, _, files in os.walk(folder) for name in files if name.endswith(".tmp")]


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# ------------------------------------------------------------------------------- run


def _main_captured(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` with its stdout and stderr captured (for module-scoped fixtures)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def run_output(short_scenario_path, tmp_path_factory):
    """One ``casim run`` shared by the tests that inspect its outputs."""
    out = tmp_path_factory.mktemp("cli") / "run"
    code, stdout, _ = _main_captured(["run", str(short_scenario_path), "--replicates", "2", "--out", str(out)])
    return code, out, stdout


def test_run_returns_zero_and_writes_the_outputs(run_output):
    code, out, stdout = run_output
    assert code == 0
    for name in ("timeseries.parquet", "summary.csv", "manifest.json"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert str(out) in stdout


def test_run_writes_a_readable_tidy_parquet_table(run_output, short_scenario_path):
    _, out, _ = run_output
    table = pd.read_parquet(out / "timeseries.parquet")
    assert list(table.columns) == TIDY
    assert set(table["scenario"].astype(str)) == {"short_baseline"}
    assert sorted(table["replicate"].unique()) == [0, 1]
    assert table["seed"].nunique() == 2
    assert sorted(table["year"].unique()) == list(range(1991, 2001))
    assert set(table["scope"].astype(str)) == {"region", "country", "dyad"}
    assert not table["value"].isna().any()


def test_run_writes_a_summary_across_replicates(run_output):
    _, out, _ = run_output
    summary = pd.read_csv(out / "summary.csv")
    for column in ("scenario", "year", "scope", "entity", "variable", "mean", "sd", "n_replicates"):
        assert column in summary.columns
    assert (summary["n_replicates"] == 2).all()
    index = summary[(summary["scope"] == "region") & (summary["variable"] == "integration_index")]
    assert len(index) == 10
    assert index["mean"].between(0.0, 1.0).all()


def test_run_writes_a_manifest(run_output, short_scenario_path):
    _, out, _ = run_output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "run"
    scenario = load_scenario(short_scenario_path, replicates=2)
    assert manifest["scenario"]["sha256"] == scenario.digest()
    assert manifest["scenario"]["name"] == "short_baseline"
    assert manifest["scenario"]["replicates"] == 2
    table = pd.read_parquet(out / "timeseries.parquet")
    listed = manifest["runs"]["replicates"]
    assert sorted(r["seed"] for r in listed) == sorted(int(s) for s in table["seed"].unique())
    assert {r["draw"] for r in listed} == set(table["draw"].unique())
    versions = manifest["versions"]
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    assert versions["mesa"]
    assert "numpy" in versions and "pandas" in versions
    assert "git_commit" in manifest
    assert isinstance(manifest["wall_time_s"], (int, float)) and manifest["wall_time_s"] >= 0
    assert str(short_scenario_path) in manifest["scenario"]["sources"]


def test_run_writes_figures(run_output):
    _, out, _ = run_output
    pngs = sorted((out / "figures").glob("*.png"))
    assert pngs
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_leaves_no_temporary_files(run_output):
    _, out, _ = run_output
    assert _leftovers(out) == []


@pytest.mark.parametrize("text", [
    'name = "bad"\nreplicates = "ten"\n',
    'name = "bad"\n[[interventions]]\nyear = 2070\ntarget = "river_flow"\nset = 0.8\n',
    'name = "bad"\nreplicates = \n',
], ids=["wrong_type", "year_outside_run", "invalid_toml"])
def test_run_bad_scenario_exits_2_with_one_line_and_writes_nothing(write_toml, tmp_path, capsys, text):
    path = write_toml(text, "bad.toml")
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    line = _one_line(captured.err)
    assert line.startswith("casim: error: ")
    assert str(path) in line
    assert not out.exists()
    assert captured.out == ""


def test_run_missing_scenario_exits_2(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(tmp_path / "missing.toml"), "--out", str(out)])
    assert code == 2
    assert "missing.toml" in _one_line(capsys.readouterr().err)
    assert not out.exists()


def test_run_unknown_scenario_name_lists_the_shipped_ones(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "baselin", "--out", str(out)])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert "baselin: no such scenario file" in line and "baseline, no_opening_2016" in line
    assert not out.exists()


def test_run_into_a_folder_of_other_results_is_refused_and_leaves_it_as_it_was(short_scenario_path, tmp_path, capsys):
    compared = tmp_path / "compared"
    compared.mkdir()
    (compared / "manifest.json").write_text(json.dumps({"kind": "compare", "status": "complete"}))
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    for folder, says in ((compared, "holds the results of casim compare"), (stray, "no casim command wrote")):
        before = sorted(p.name for p in folder.iterdir())
        assert main(["run", str(short_scenario_path), "--out", str(folder)]) == 2
        line = _one_line(capsys.readouterr().err)
        assert says in line and "allowed: a new or empty folder, or one written by casim run" in line
        assert sorted(p.name for p in folder.iterdir()) == before


def test_bad_replicates_override_exits_2(short_scenario_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(short_scenario_path), "--replicates", "0", "--out", str(out)])
    assert code == 2
    assert "replicates" in _one_line(capsys.readouterr().err)
    assert not out.exists()


# --------------------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def compare_output(short_pair_paths, tmp_path_factory):
    """One ``casim compare`` shared by the tests that inspect its outputs."""
    opening, closed = short_pair_paths
    out = tmp_path_factory.mktemp("cli") / "compare"
    code, stdout, _ = _main_captured(["compare", str(opening), str(closed), "--replicates", "8", "--seeds-per-draw", "2",
                                      "--variable", "integration_index", "--variable", "dyad.KGZ-UZB.border_openness",
                                      "--out", str(out)])
    return code, out, stdout


def test_compare_returns_zero_and_writes_comparison(compare_output):
    code, out, stdout = compare_output
    assert code == 0
    assert "short_no_opening (B) vs short_opening (A)" in stdout
    for name in ("comparison.csv", "timeseries.parquet", "summary.csv", "manifest.json"):
        assert (out / name).is_file(), name
    assert list((out / "figures").glob("*.png"))
    assert _leftovers(out) == []


def test_comparison_has_decade_rows_and_consistent_intervals(compare_output):
    _, out, _ = compare_output
    comparison = pd.read_csv(out / "comparison.csv")
    for column in ("variable", "a", "b", "decade", "mean_a", "mean_b", "mean_difference", "p05_difference",
                   "p95_difference", "probability_b_higher", "probability_no_difference",
                   "share_from_parameters_and_dispositions", "share_from_chance", "n_pairs", "n_draw_slots"):
        assert column in comparison.columns
    assert sorted(comparison["variable"].unique()) == ["dyad.KGZ-UZB.border_openness", "region.integration_index"]
    index = comparison[comparison["variable"] == "region.integration_index"]
    assert index["decade"].tolist() == ["1991-2000", "2001-2010", "2011-2020", "2021-2030"]
    assert (comparison["a"] == "short_opening").all() and (comparison["b"] == "short_no_opening").all()
    assert (comparison["n_pairs"] == 8).all() and (comparison["n_draw_slots"] == 4).all()
    tol = 1e-12
    assert (comparison["p05_difference"] <= comparison["mean_difference"] + tol).all()
    assert (comparison["mean_difference"] <= comparison["p95_difference"] + tol).all()
    assert comparison["probability_b_higher"].between(0.0, 1.0).all()
    shares = comparison[["share_from_parameters_and_dispositions", "share_from_chance"]].dropna()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    np.testing.assert_allclose(comparison["mean_b"] - comparison["mean_a"], comparison["mean_difference"],
                               atol=1e-12)


def test_comparison_is_paired_by_seed(compare_output):
    _, out, _ = compare_output
    comparison = pd.read_csv(out / "comparison.csv").set_index("decade")
    comparison = comparison[comparison["variable"] == "region.integration_index"]
    # The two scenarios are the same until UZB's new leader: pairs share seed, posterior draw
    # and dispositions, so they give no difference (and say so).
    for decade in ("1991-2000", "2001-2010"):
        assert comparison.loc[decade, "mean_difference"] == 0.0
        assert comparison.loc[decade, "probability_no_difference"] == 1.0
    # Without the 2016 opening the index is lower on average.
    assert comparison.loc["2021-2030", "mean_difference"] < 0.0
    table = pd.read_parquet(out / "timeseries.parquet")
    seeds = table.groupby("scenario", observed=True)["seed"].apply(lambda s: sorted(s.unique()))
    assert seeds["short_opening"] == seeds["short_no_opening"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "compare" and len(manifest["scenarios"]) == 2


def test_compare_needs_two_scenarios(short_scenario_path, tmp_path, capsys):
    code = main(["compare", str(short_scenario_path), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "two scenarios" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_compare_same_name_twice_exits_2(short_scenario_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["compare", str(short_scenario_path), str(short_scenario_path), "--out", str(out)])
    assert code == 2
    assert "casim: error:" in _one_line(capsys.readouterr().err)
    assert not out.exists()


def test_compare_of_scenarios_over_different_years_is_refused(write_toml, tmp_path, capsys):
    # pairs are compared year by year: other years on one side would be compared with nothing
    early = write_toml('name = "early"\nend_year = 1994\nreplicates = 2\n', "early.toml")
    later = write_toml('name = "later"\nstart_year = 1996\nend_year = 1999\nreplicates = 2\n', "later.toml")
    out = tmp_path / "out"
    code = main(["compare", str(early), str(later), "--out", str(out)])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert str(later) in line and "1996-1999" in line and "allowed: 1991-1994" in line
    assert not out.exists()


def test_headline_from_a_folder_without_results_exits_2(tmp_path, capsys):
    assert main(["headline", "--results", str(tmp_path / "nope")]) == 2
    assert "not a folder" in _one_line(capsys.readouterr().err)
    assert main(["headline", "--results", str(tmp_path)]) == 2
    assert "none of the headline's result tables" in _one_line(capsys.readouterr().err)


def test_compare_with_a_bad_second_scenario_writes_nothing(short_scenario_path, write_toml, tmp_path, capsys):
    bad = write_toml('name = "bad"\n[assumptions.parameters.trust_learning_rate]\nvalue = 7.0\nnote = "x"\n',
                     "bad.toml")
    out = tmp_path / "out"
    code = main(["compare", str(short_scenario_path), str(bad), "--out", str(out)])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert str(bad) in line and "trust_learning_rate" in line
    assert not out.exists()


# ------------------------------------------------------------------ the real program


def test_console_entry_point_reports_a_bad_file(write_toml, tmp_path):
    path = write_toml('name = "bad"\ncolour = "red"\n', "bad.toml")
    out = tmp_path / "out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False,
    )
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert line.startswith("casim: error: ")
    assert str(path) in line and "colour" in line
    assert not out.exists()
