"""Shared fixtures: static geography, default parameters and small scenario files.

The short scenarios are written out in full (no ``extends``), so the command-line tests do
not depend on the inheritance machinery, which ``test_scenarios.py`` tests on its own
(``extends`` paths are relative to the extending file).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.inputs.drivers import DRIVER_SPECS, FIRST_YEAR
from sim.inputs.geography import load_geography
from sim.inputs.parameters import Parameters, parameter_specs
from sim.inputs.scenario import SCENARIO_DIR, load_scenario

SHIPPED_SCENARIOS = sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


# ------------------------------------------------------------------ a tiny TOML writer


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(data: dict) -> str:
    """TOML for the shape of a scenario: scalars, tables (one or two levels), arrays of tables."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items() if not isinstance(value, (dict, list))]
    for key, value in data.items():
        if isinstance(value, dict):
            flat = {k: v for k, v in value.items() if not isinstance(v, dict)}
            if flat or not value:
                lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in flat.items()]
            for sub, entries in value.items():
                if isinstance(entries, dict):
                    lines += ["", f"[{key}.{sub}]"] + [f"{k} = {_toml_value(v)}" for k, v in entries.items()]
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                lines += ["", f"[[{key}]]"] + [f"{k} = {_toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def trimmed_baseline(name: str, end_year: int, *, uzb_2016_disposition: bool = True, **settings) -> dict:
    """The shipped baseline as one self-contained scenario that ends in ``end_year``.

    Events after ``end_year`` are dropped and periods are cut at ``end_year``; a ramp cut
    short ends at the value the baseline's ramp has in ``end_year``, so every driver path
    equals the baseline's up to ``end_year``.
    """
    full = load_scenario("baseline").driver_paths()
    raw = tomllib.loads((SCENARIO_DIR / "baseline.toml").read_text(encoding="utf-8"))
    raw.update(name=name, end_year=end_year, **settings)
    raw.pop("extends", None)
    changes = []
    for change in raw.get("leader_changes", []):
        if change["year"] > end_year:
            continue
        change = dict(change)
        # The 2016 change in UZB (first full year 2017 in the baseline).
        if change["country"] == "UZB" and change["year"] >= 2016 and not uzb_2016_disposition:
            change.pop("leader", None)
        changes.append(change)
    raw["leader_changes"] = changes
    interventions = []
    for item in raw.get("interventions", []):
        if item["year"] > end_year:
            continue
        item = dict(item)
        if item.get("end_year") is not None and item["end_year"] > end_year:
            item["end_year"] = end_year
            if "ramp" in item:
                name, _, entity = item["target"].partition(".")
                column = DRIVER_SPECS[name].entities.index(entity) if entity else 0
                item["ramp"] = float(full.paths[name][end_year - FIRST_YEAR, column])
        interventions.append(item)
    raw["interventions"] = interventions
    return raw


def write_scenario(folder: Path, data: dict | str, filename: str | None = None) -> Path:
    """Write a scenario (a dict or TOML text) to ``folder`` and return its path."""
    text = data if isinstance(data, str) else to_toml(data)
    if filename is None:
        filename = f"{data['name']}.toml" if isinstance(data, dict) else "scenario.toml"
    path = Path(folder) / filename
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def geo():
    """The static geography (cached by the package)."""
    return load_geography()


@pytest.fixture(scope="session")
def params():
    """Default parameters from ``sim/data/parameters.csv``."""
    return Parameters()


@pytest.fixture(scope="session")
def adjacent(geo) -> np.ndarray:
    return geo.adjacent


@pytest.fixture(scope="session")
def short_scenario_path(tmp_path_factory) -> Path:
    """The baseline's history to 2000 as a full, self-contained scenario (10 years).

    Shared by the session: tests read it and never change it.
    """
    folder = tmp_path_factory.mktemp("short")
    return write_scenario(folder, trimmed_baseline("short_baseline", 2000, replicates=2, seed=11))


@pytest.fixture(scope="session")
def short_pair_paths(tmp_path_factory) -> tuple[Path, Path]:
    """Two short scenarios to 2025 that differ only in UZB's 2016 change of disposition."""
    folder = tmp_path_factory.mktemp("pair")
    opening = write_scenario(folder, trimmed_baseline("short_opening", 2025, replicates=4, seed=5))
    closed = write_scenario(
        folder, trimmed_baseline("short_no_opening", 2025, uzb_2016_disposition=False, replicates=4, seed=5)
    )
    return opening, closed


@pytest.fixture
def write_toml(tmp_path):
    """``write_toml(text_or_dict, filename=None)`` writes a scenario into ``tmp_path``."""
    return lambda data, filename=None: write_scenario(tmp_path, data, filename)


@pytest.fixture
def baseline_like():
    """``baseline_like(name, end_year, **settings)``: the trimmed baseline as a dict."""
    return trimmed_baseline


# ------------------------------------------------------------------ tiny batches and calibrations

TINY_PATTERNS = """
calibration_cutoff = 1996

[[patterns]]
id = "trust_falls"
factor = "leaders_trust"
statement = "trust falls in the 1990s"
variable = "region.trust"
kind = "falls"
window = [1994, 1996]
reference = [1991, 1992]
tolerance = 0.01
source = "hand-made for the test"

[[patterns]]
id = "barter_deals"
factor = "water"
statement = "fuel-for-water deals in the mid-1990s"
variable = "region.water_energy_coop"
kind = "above"
window = [1994, 1996]
value = 0.3
source = "hand-made for the test"

[[patterns]]
id = "late_borders_open"
factor = "territory"
statement = "borders open at the end"
variable = "region.border_openness"
kind = "above"
window = [1999, 2000]
value = 0.5
source = "hand-made for the test"
"""


def write_tiny_batch(folder: Path, name: str, *, samples: int, chunk_runs: int) -> Path:
    """A Morris batch over two scenarios to 2030 (the baseline, and one that assumes high
    tariffs and queues), 2 replicates, keeping the 2030 index, its series and a PRIM question.

    Returns:
        The experiment file, ``folder / "exp.toml"``.
    """
    (folder / "short.toml").write_text('extends = "baseline"\nname = "short"\nend_year = 2030\n')
    (folder / "closed.toml").write_text(
        'extends = "short.toml"\nname = "closed"\n'
        '[assumptions.parameters]\ntariff_equivalent = { value = 0.9, note = "high tariffs (test)" }\n'
        'queue_friction = { value = 0.9, note = "long queues (test)" }\n')
    path = folder / "exp.toml"
    path.write_text(f"""
name = "{name}"
scenarios = ["short.toml", "closed.toml"]
replicates = 2
seed = 3
chunk_runs = {chunk_runs}
series = ["region.integration_index"]

[design]
method = "morris"
samples = {samples}

[parameters]
trust_learning_rate = [0.1, 0.5]
border_open_bias = [0.0, 0.6]

[outcomes]
index_2030 = {{ variable = "region.integration_index", year = 2030 }}

[[analysis.discover]]
outcome = "index_2030"
below = 0.4
""")
    return path


def write_tiny_calibration(folder: Path, *, population: int, prior_draws: int, chunk_runs: int,
                           free: tuple[str, ...], generations: int = 3, truths: int = 3) -> Path:
    """An ABC-SMC calibration of a scenario to 2000 against :data:`TINY_PATTERNS` (two
    in-sample, one out-of-sample) with only ``free`` parameters free (the others fixed at
    their documented defaults), and a coverage check of ``truths`` truths.

    Returns:
        The calibration file, ``folder / "calibration.toml"``.
    """
    (folder / "short.toml").write_text('name = "short"\nextends = "baseline"\nend_year = 2000\n')
    (folder / "patterns.toml").write_text(TINY_PATTERNS)
    fixed = [name for name, spec in parameter_specs().items() if spec.factor != "index" and name not in free]
    path = folder / "calibration.toml"
    path.write_text(f"""
name = "tiny"
scenario = "short.toml"
patterns = "patterns.toml"
seed = 11
chunk_runs = {chunk_runs}

[smc]
population = {population}
prior_draws = {prior_draws}
block = {prior_draws}
max_generations = {generations}
sweep_runs = {20 * population}

[coverage]
truths = {truths}
seed = 4

[coverage.smc]
population = {population}
prior_draws = {prior_draws}
block = {prior_draws}
max_generations = {generations}
sweep_runs = {20 * population}

[fixed]
""" + "".join(f'{name} = "a small test calibration"\n' for name in fixed))
    return path


@pytest.fixture(scope="session")
def tiny_inputs():
    """``tiny_inputs.batch(folder, name, ...)`` and ``tiny_inputs.calibration(folder, ...)``
    write the small input files the batch, analysis, calibration and report tests share."""
    return SimpleNamespace(batch=write_tiny_batch, calibration=write_tiny_calibration)


# ------------------------------------------------------------------ served data tables


@pytest.fixture
def serve_rows(monkeypatch):
    """``serve_rows(module, loader, rows)``: ``module.read_table`` serves ``rows`` as a table,
    and the cached ``loader`` is emptied now and after the test."""
    loaders = []

    def serve(module, loader, rows: list[dict]) -> None:
        monkeypatch.setattr(module, "read_table", lambda name: pd.DataFrame(rows))
        loader.cache_clear()
        loaders.append(loader)
    yield serve
    for loader in loaders:
        loader.cache_clear()
