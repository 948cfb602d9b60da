"""casim report: one self-contained HTML page for each kind of results folder."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

import sim.views.report
from sim.cli import main
from sim.io.input_files import InputError
from sim.io.output import git_commit
from sim.views.report import write_report

HEADINGS = ("What was run", "Key figures", "Headline numbers", "Validation status of this model version")
FIGURES = {"run": 4, "compare": 2, "batch": 1, "validate": 2, "calibrate": 3, "coverage": 1}
PNG = '<img src="data:image/png;base64,'


@pytest.fixture(scope="module")
def folders(tmp_path_factory, tiny_inputs) -> dict:
    """Small real results folders of every kind, written by the command line."""
    root = tmp_path_factory.mktemp("report")
    experiment = tiny_inputs.batch(root, "tiny_report", samples=2, chunk_runs=24)
    calibration = root / "calibration"
    calibration.mkdir()
    tiny_inputs.calibration(calibration, population=10, prior_draws=30, chunk_runs=16, free=("trust_learning_rate",),
                            generations=2, truths=2)
    out = {kind: root / kind for kind in FIGURES}
    commands = [
        ["run", str(root / "short.toml"), "--replicates", "3", "--out", str(out["run"])],
        ["compare", str(root / "short.toml"), str(root / "closed.toml"), "--replicates", "3", "--out",
         str(out["compare"])],
        ["batch", str(experiment), "--workers", "1", "--out", str(out["batch"])],
        ["analyze", str(out["batch"])],
        ["validate", "--replicates", "3", "--out", str(out["validate"])],
        ["calibrate", str(calibration / "calibration.toml"), "--workers", "1", "--out", str(out["calibrate"])],
        ["calibrate", str(calibration / "calibration.toml"), "--workers", "1", "--out", str(out["coverage"]),
         "--check-coverage"],
    ]
    for command in commands:
        assert main(command) == 0, command
    return out


def _digests(record: dict) -> list[str]:
    """The sha256 digests a reader needs to identify the inputs of a folder."""
    kind = record["kind"]
    if kind == "run":
        return [record["scenario"]["sha256"]]
    if kind == "compare":
        return [s["sha256"] for s in record["scenarios"]]
    if kind == "batch":
        return [record["experiment_sha256"], *[s["sha256"] for s in record["scenarios"]]]
    if kind == "validate":
        return [record["scenario_sha256"]]
    if kind == "coverage":
        return []
    return [record["calibration_sha256"], record["scenario_sha256"]]


def _assert_self_contained(page: str) -> None:
    for external in ('src="http', "src='http", 'href="http', "<script src", "<link", "url("):
        assert external not in page, external
    assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', page))


@pytest.mark.parametrize("kind", list(FIGURES))
def test_a_report_of_each_kind(folders, kind):
    folder = folders[kind]
    out = write_report(folder)
    assert out == folder / "report.html" and out.is_file()
    assert not list(folder.glob(".report.html.*"))  # written atomically, nothing left over
    page = out.read_text(encoding="utf-8")
    record = json.loads((folder / "manifest.json").read_text())
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in page, heading
    for digest in _digests(record):
        assert digest in page
    assert record["git_commit"] in page
    assert page.count(PNG) == FIGURES[kind]
    assert page.count("<figcaption>") == FIGURES[kind]
    assert "<table" in page
    _assert_self_contained(page)


@pytest.mark.parametrize("kind", ["compare", "batch"])
def test_a_scenario_that_rests_on_assumptions_is_flagged_in_manifest_and_report(folders, kind):
    """closed.toml assumes high tariffs and queues ([assumptions.parameters]): its manifest
    entry lists both with their notes, and the report opens with a warning naming them."""
    record = json.loads((folders[kind] / "manifest.json").read_text())
    assumed = {s["name"]: s["assumptions"] for s in record["scenarios"]}
    assert assumed["short"] == []
    assert len(assumed["closed"]) == 2 and "high tariffs (test)" in assumed["closed"][0]
    page = write_report(folders[kind]).read_text(encoding="utf-8")
    warning = page[page.index('<div class="warn">'):page.index("<h2>What was run</h2>")]
    assert "rest on assumptions" in warning and "closed" in warning and "short" not in warning
    assert "tariff_equivalent" in warning and "long queues (test)" in warning


def test_a_report_without_assumptions_has_no_warning_about_them(folders):
    page = write_report(folders["run"]).read_text(encoding="utf-8")
    assert "rest on assumptions" not in page


def test_the_report_of_an_analysis_folder_describes_its_batch(folders, tmp_path):
    page = write_report(folders["batch"] / "analysis", tmp_path / "analysis.html").read_text(encoding="utf-8")
    assert "casim batch: tiny_report" in page and page.count(PNG) == 1
    for table in ("Outcomes", "Most influential parameters", "Scenario differences", "Scenario discovery"):
        assert f"<h3>{table}" in page, table


def test_validation_status_from_a_validation_run_of_the_same_commit(folders, monkeypatch):
    monkeypatch.setattr(sim.views.report, "VALIDATION_DIR", folders["validate"])
    page = write_report(folders["run"]).read_text(encoding="utf-8")
    assert "Validation run of the same commit" in page and "patterns reproduced" in page
    monkeypatch.setattr(sim.views.report, "VALIDATION_DIR", folders["run"] / "nowhere")
    page = write_report(folders["run"]).read_text(encoding="utf-8")
    assert "No validation run for this commit" in page and "casim validate" in page


@pytest.mark.parametrize("text", [json.dumps({"kind": "validate", "status": "incomplete", "git_commit": git_commit()}),
                                  "{damaged"], ids=["unfinished", "damaged"])
def test_an_unfinished_or_damaged_validation_run_is_not_a_validation_status(folders, tmp_path, monkeypatch, text):
    (tmp_path / "manifest.json").write_text(text)
    monkeypatch.setattr(sim.views.report, "VALIDATION_DIR", tmp_path)
    page = sim.views.report.render(folders["run"])
    assert "No validation run for this commit" in page


def test_a_folder_made_by_another_commit_is_flagged(folders, tmp_path, monkeypatch):
    monkeypatch.setattr(sim.views.report, "VALIDATION_DIR", folders["validate"])  # made by this commit, not by 0123abcd
    copy = shutil.copytree(folders["run"], tmp_path / "old")
    record = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**record, "git_commit": "0123abcd"}))
    page = write_report(copy).read_text(encoding="utf-8")
    assert "made by commit <code>0123abcd</code>" in page and str(git_commit()) in page
    assert "No validation run for this commit" in page


def test_a_folder_that_is_not_a_results_folder_is_one_line(tmp_path):
    with pytest.raises(InputError, match="no manifest.json") as error:
        write_report(tmp_path)
    assert "\n" not in str(error.value)
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "dance"}))
    with pytest.raises(InputError, match="unknown kind 'dance'") as error:
        write_report(tmp_path)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "report.html").exists()


def test_the_calibration_report_shows_the_inferred_dispositions_in_their_own_units(folders):
    """A tiny calibration infers the leaders of its record; the report gives each one's coding
    and his disposition at the posterior's quantiles, inside his coded range."""
    from sim.inputs.posterior import inferred_dispositions

    page = write_report(folders["calibrate"]).read_text(encoding="utf-8")
    assert "<h3>Inferred dispositions</h3>" in page and "Karimov" in page
    leaders = inferred_dispositions(pd.read_csv(folders["calibrate"] / "contraction.csv"))
    assert "UZB:Karimov" in {f"{c}:{n}" for c, n in zip(leaders["country"], leaders["leader"])}
    assert (leaders["coded_low"] <= leaders["p05"]).all() and (leaders["p05"] <= leaders["median"]).all()
    assert (leaders["median"] <= leaders["p95"]).all() and (leaders["p95"] <= leaders["coded_high"]).all()
