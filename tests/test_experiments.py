"""Experiment files: one-line validation errors, designs and the shipped experiments."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.design import design_points
from sim.experiments.experiment import EXPERIMENT_DIR, Experiment, ExperimentError, load_experiment
from sim.inputs.scenario import Scenario
from sim.io.input_files import InputError

# Files in experiments/ that are not batch experiments (inputs of other commands).
# the patterns file and the calibration files (casim calibrate) are not batch experiments
SHIPPED = sorted(path.name for path in EXPERIMENT_DIR.glob("*.toml")
                 if path.name != "patterns.toml" and not path.name.startswith("calibration"))

HEAD = 'name = "bad"\nscenarios = ["baseline"]\n'
OUTCOME = '[outcomes]\nindex_2030 = { variable = "region.integration_index", year = 2030 }\n'
LATIN = '[design]\nmethod = "latin"\nsamples = 4\n'
RANGE = "[parameters]\ntrust_learning_rate = [0.1, 0.5]\n"


def _write(tmp_path, text: str, filename: str = "experiment.toml"):
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    return path


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# ------------------------------------------------------------------------ bad files

# (case, experiment text, the field the message must name right after the file path,
#  further fragments it must contain)
BAD = [
    ("unknown top-level key", HEAD + "replicats = 3\n" + OUTCOME, "replicats", ["unknown key", "replicates"]),
    ("unknown design key", HEAD + LATIN + "level = 3\n" + RANGE + OUTCOME, "design.level", ["unknown key", "levels"]),
    ("wrong type", HEAD + 'replicates = "ten"\n' + OUTCOME, "replicates", ["integer", "'ten'"]),
    ("out of range", HEAD + "replicates = 0\n" + OUTCOME, "replicates", ["greater than or equal to 1"]),
    ("negative seed", HEAD + "seed = -1\n" + OUTCOME, "seed", ["greater than or equal to 0"]),
    ("chunk_runs zero", HEAD + "chunk_runs = 0\n" + OUTCOME, "chunk_runs", ["greater than or equal to 1"]),
    ("unknown method", HEAD + '[design]\nmethod = "halton"\n' + RANGE + OUTCOME, "design.method", ["latin"]),
    ("unknown parameter", HEAD + LATIN + "[parameters]\ntrust_rate = [0.1, 0.5]\n" + OUTCOME, "parameters",
     ["'trust_rate'", "parameters.csv"]),
    ("range outside documented", HEAD + LATIN + "[parameters]\ntrust_learning_rate = [0.1, 1.5]\n" + OUTCOME,
     "parameters", ["trust_learning_rate", "documented range [0.0, 1.0]"]),
    ("low == high", HEAD + LATIN + "[parameters]\ntrust_learning_rate = [0.5, 0.5]\n" + OUTCOME, "parameters",
     ["trust_learning_rate", "low < high"]),
    ("low > high", HEAD + LATIN + "[parameters]\ntrust_learning_rate = [0.5, 0.1]\n" + OUTCOME, "parameters",
     ["trust_learning_rate", "low < high"]),
    ("one bound", HEAD + LATIN + "[parameters]\ntrust_learning_rate = [0.5]\n" + OUTCOME, "parameters",
     ["low < high"]),
    ("sobol samples not a power of two", HEAD + '[design]\nmethod = "sobol"\nsamples = 100\n' + RANGE + OUTCOME,
     "design", ["samples = 100", "power of two"]),
    ("latin without samples", HEAD + '[design]\nmethod = "latin"\n' + RANGE + OUTCOME, "design",
     ["samples >= 1"]),
    ("parameters with method none", HEAD + RANGE + OUTCOME, "parameters", ["need a design", "grid"]),
    ("design without parameters", HEAD + LATIN + OUTCOME, "parameters", ["latin", "at least one parameter"]),
    ("a grid too large to build", HEAD + '[design]\nmethod = "grid"\nlevels = 1000\n[parameters]\n'
     'trust_learning_rate = [0.1, 0.5]\nborder_open_bias = [0.0, 0.6]\nincident_rate_per_1000km = [0.5, 2.0]\n'
     + OUTCOME, "design", ["1,000,000,000 points", "at most 10,000,000"]),
    ("unknown region variable", HEAD + '[outcomes]\nx = { variable = "region.nope", year = 2030 }\n',
     "outcomes.x.variable", ["'region.nope'", "integration_index"]),
    ("unknown dyad", HEAD + '[outcomes]\nx = { variable = "dyad.KAZ-XXX.trust", year = 2030 }\n',
     "outcomes.x.variable", ["'KAZ-XXX'", "KGZ-UZB"]),
    ("unknown scope", HEAD + '[outcomes]\nx = { variable = "planet.gdp", year = 2030 }\n',
     "outcomes.x.variable", ["scope", "region"]),
    ("country variable without entity", HEAD + '[outcomes]\nx = { variable = "country.gdp", year = 2030 }\n',
     "outcomes.x.variable", ["country.ENTITY.VARIABLE"]),
    ("both year and years",
     HEAD + '[outcomes]\nx = { variable = "region.integration_index", year = 2030, years = [2020, 2030] }\n',
     "outcomes.x", ["exactly one of year or years"]),
    ("neither year nor years", HEAD + '[outcomes]\nx = { variable = "region.integration_index" }\n',
     "outcomes.x", ["exactly one of year or years"]),
    ("years reversed", HEAD + '[outcomes]\nx = { variable = "region.integration_index", years = [2030, 2020] }\n',
     "outcomes.x", ["first year"]),
    ("year after the scenario", HEAD + '[outcomes]\nx = { variable = "region.integration_index", year = 2070 }\n',
     "outcomes.x", ["baseline", "1991-2050"]),
    ("years before the scenario",
     HEAD + '[outcomes]\nx = { variable = "region.integration_index", years = [1980, 2000] }\n',
     "outcomes.x", ["baseline", "1991-2050"]),
    ("outcome named like a run column", HEAD + '[outcomes]\nseed = { variable = "region.trust", year = 2030 }\n',
     "outcomes.seed", ["identifier"]),
    ("unknown series", HEAD + 'series = ["region.nope"]\n', "series", ["'region.nope'"]),
    ("no outcomes and no series", HEAD, "outcomes", ["at least one outcome, series or patterns file"]),
    ("discovery of an unknown outcome", HEAD + OUTCOME + '[[analysis.discover]]\noutcome = "index_2050"\nbelow = 0.3\n',
     "analysis.discover[0].outcome", ["'index_2050'", "index_2030"]),
    ("discovery with both sides",
     HEAD + OUTCOME + '[[analysis.discover]]\noutcome = "index_2030"\nbelow = 0.3\nabove = 0.1\n',
     "analysis.discover[0]", ["exactly one of below or above"]),
    ("no scenarios", 'name = "bad"\nscenarios = []\n' + OUTCOME, "scenarios", ["at least 1"]),
    ("bad name", 'name = "a b"\nscenarios = ["baseline"]\n' + OUTCOME, "name", ["cannot name a folder"]),
    ("the same scenario twice", 'name = "bad"\nscenarios = ["baseline", "baseline"]\n' + OUTCOME, "scenarios",
     ["must differ"]),
    ("not TOML", HEAD + "replicates = = 3\n", "not valid TOML", []),
]


@pytest.mark.parametrize(("text", "field", "fragments"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_experiment_errors_are_one_line_naming_file_and_field(tmp_path, text, field, fragments):
    path = _write(tmp_path, text)
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    message = str(info.value)
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)
    assert _one_line(message) == message
    assert message.startswith(f"{path}: {field}"), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_missing_experiment_file(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises(ExperimentError, match="no such experiment file") as info:
        load_experiment(path)
    assert str(info.value).startswith(str(path))


def test_an_unknown_scenario_names_the_experiment_file_and_field(tmp_path):
    path = _write(tmp_path, 'name = "bad"\nscenarios = ["nope"]\n' + OUTCOME)
    with pytest.raises(InputError) as info:
        load_experiment(path)
    message = str(info.value)
    assert _one_line(message) == message
    assert message.startswith(f"{path}: scenarios: no scenario 'nope'"), message
    assert "baseline" in message  # names what is allowed


def test_an_error_in_a_scenario_names_the_scenario_file(tmp_path):
    scenario = _write(tmp_path, 'name = "broken"\nextends = "baseline"\nend_year = 2030\nreplicats = 2\n',
                      "broken.toml")
    _write(tmp_path, 'name = "bad"\nscenarios = ["broken.toml"]\n' + OUTCOME)
    with pytest.raises(InputError) as info:
        load_experiment(tmp_path / "experiment.toml")
    message = str(info.value)
    assert _one_line(message) == message
    assert message.startswith(f"{scenario}: replicats"), message


def test_an_outcome_year_must_lie_in_every_scenario(tmp_path):
    _write(tmp_path, 'name = "short"\nextends = "baseline"\nend_year = 2020\n', "short.toml")
    path = _write(tmp_path, 'name = "bad"\nscenarios = ["baseline", "short.toml"]\n' + OUTCOME)
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert str(info.value).startswith(f"{path}: outcomes.index_2030"), str(info.value)
    assert "short" in str(info.value) and "1991-2020" in str(info.value)


@pytest.mark.parametrize("case", [case for case in BAD if case[0] in
                                  ("unknown top-level key", "sobol samples not a power of two", "unknown dyad",
                                   "year after the scenario", "no outcomes and no series")],
                         ids=lambda case: case[0])
def test_cli_batch_rejects_a_bad_experiment_before_writing(tmp_path, case):
    _, text, field, _ = case
    bad = _write(tmp_path, text)
    out = tmp_path / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["batch", str(bad), "--out", str(out)])
    assert code == 2
    line = _one_line(stderr.getvalue())
    assert line.startswith(f"casim: error: {bad}: {field}"), line
    assert stdout.getvalue() == ""
    assert not out.exists()


def test_cli_batch_rejects_an_unknown_scenario_before_writing(tmp_path):
    bad = _write(tmp_path, 'name = "bad"\nscenarios = ["nope"]\n' + OUTCOME)
    out = tmp_path / "out"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(["batch", str(bad), "--out", str(out)])
    assert code == 2
    assert "nope" in _one_line(stderr.getvalue())
    assert not out.exists()


def test_cli_batch_rejects_zero_workers_before_writing(tmp_path):
    good = _write(tmp_path, HEAD + OUTCOME)
    out = tmp_path / "out"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(["batch", str(good), "--out", str(out), "--workers", "0"])
    assert code == 2
    assert "--workers" in _one_line(stderr.getvalue())
    assert not out.exists()


# ---------------------------------------------------------------------- good files

THREE = {"trust_learning_rate": (0.1, 0.5), "border_open_bias": (-0.2, 0.6), "incident_rate_per_1000km": (0.5, 2.0)}


def _experiment_text(design: str, parameters: dict[str, tuple[float, float]]) -> str:
    ranges = "".join(f"{name} = [{low}, {high}]\n" for name, (low, high) in parameters.items())
    return (f'name = "good"\nscenarios = ["baseline"]\nreplicates = 3\nseed = 7\n'
            f"[design]\n{design}\n[parameters]\n{ranges}" + OUTCOME)


# (design TOML, parameters, expected number of points)
DESIGNS = [
    ('method = "grid"\nlevels = 3', THREE, 3**3),
    ('method = "grid"\nlevels = 5', dict(list(THREE.items())[:2]), 5**2),
    ('method = "latin"\nsamples = 37', THREE, 37),
    ('method = "sobol"\nsamples = 16', THREE, 16 * (3 + 2)),
    ('method = "sobol"\nsamples = 16\nsecond_order = true', THREE, 16 * (2 * 3 + 2)),
    ('method = "morris"\nsamples = 6\nlevels = 4', THREE, 6 * (3 + 1)),
    ('method = "latin"\nsamples = 10\nseed = 99', dict(list(THREE.items())[:1]), 10),
]


@pytest.mark.parametrize(("design", "parameters", "expected"), DESIGNS,
                         ids=[d.split('"')[1] + f"-{len(p)}-{n}" for d, p, n in DESIGNS])
def test_design_points_count_bounds_and_repeatability(tmp_path, design, parameters, expected):
    path = _write(tmp_path, _experiment_text(design, parameters))
    experiment, scenarios = load_experiment(path)
    assert isinstance(experiment, Experiment)
    assert [s.name for s in scenarios] == ["baseline"]
    points = design_points(experiment)
    assert len(points) == expected
    assert list(points.columns) == list(parameters)
    assert points.index.name == "point" and list(points.index) == list(range(expected))
    for name, (low, high) in parameters.items():
        assert points[name].between(low, high).all(), name
        assert points[name].nunique() > 1, name
    again, _ = load_experiment(path)
    pd.testing.assert_frame_equal(design_points(again), points)


def test_grid_points_are_every_combination_of_evenly_spaced_levels(tmp_path):
    two = dict(list(THREE.items())[:2])
    experiment, _ = load_experiment(_write(tmp_path, _experiment_text('method = "grid"\nlevels = 3', two)))
    points = design_points(experiment)
    expected = [(a, b) for a in np.linspace(0.1, 0.5, 3) for b in np.linspace(-0.2, 0.6, 3)]
    np.testing.assert_allclose(sorted(map(tuple, points.to_numpy())), sorted(expected), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.unique(points["trust_learning_rate"]), [0.1, 0.3, 0.5], rtol=0, atol=1e-12)


def test_design_none_has_one_point_and_no_parameters(tmp_path):
    experiment, _ = load_experiment(_write(tmp_path, HEAD + OUTCOME))
    assert experiment.design.method == "none"
    points = design_points(experiment)
    assert len(points) == 1 and list(points.columns) == []


def test_design_depends_on_its_seed(tmp_path):
    first, _ = load_experiment(_write(tmp_path, _experiment_text('method = "latin"\nsamples = 20', THREE), "a.toml"))
    other, _ = load_experiment(_write(tmp_path, _experiment_text('method = "latin"\nsamples = 20\nseed = 5', THREE),
                                      "b.toml"))
    assert not np.array_equal(design_points(first).to_numpy(), design_points(other).to_numpy())


def test_integers_accepted_as_parameter_bounds(tmp_path):
    experiment, _ = load_experiment(_write(tmp_path, HEAD + LATIN + "[parameters]\nincident_rate_per_1000km = [1, 3]\n"
                                           + OUTCOME))
    assert experiment.parameters == {"incident_rate_per_1000km": [1.0, 3.0]}


def test_scenarios_resolve_next_to_the_experiment_file(tmp_path):
    _write(tmp_path, 'name = "short"\nextends = "baseline"\nend_year = 2030\n', "short.toml")
    _, scenarios = load_experiment(_write(tmp_path, 'name = "good"\nscenarios = ["short.toml", "baseline"]\n' + OUTCOME))
    assert [(s.name, s.end_year) for s in scenarios] == [("short", 2030), ("baseline", 2050)]


def test_digest_changes_with_the_experiment(tmp_path):
    first, _ = load_experiment(_write(tmp_path, HEAD + OUTCOME, "a.toml"))
    same, _ = load_experiment(_write(tmp_path, "# a comment\n" + HEAD + OUTCOME, "b.toml"))
    other, _ = load_experiment(_write(tmp_path, HEAD + "seed = 3\n" + OUTCOME, "c.toml"))
    assert first.digest() == same.digest() != other.digest()


# -------------------------------------------------------------- shipped experiments


def test_an_experiment_is_shipped():
    assert "smoke.toml" in SHIPPED


@pytest.mark.parametrize("filename", SHIPPED)
def test_every_shipped_experiment_loads(filename):
    experiment, scenarios = load_experiment(EXPERIMENT_DIR / filename)
    assert all(isinstance(s, Scenario) for s in scenarios)
    assert len(scenarios) == len(experiment.scenarios)
    points = design_points(experiment)
    assert len(points) >= 1
    for name, (low, high) in experiment.parameters.items():
        assert points[name].between(low, high).all(), name
    by_name, _ = load_experiment(filename.removesuffix(".toml"))
    assert by_name == experiment
