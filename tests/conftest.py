"""Shared fixtures: static geography, default parameters and small scenario files.

The short scenarios are written out in full (no ``extends``), so the command-line tests do
not depend on the inheritance machinery, which ``test_scenarios.py`` tests on its own
(``extends`` paths are relative to the extending file).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.drivers import DRIVER_SPECS, FIRST_YEAR
from sim.geography import load_geography
from sim.parameters import Parameters
from sim.scenario import SCENARIO_DIR, load_scenario

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
        if change["year"] == 2016 and change["country"] == "UZB" and not uzb_2016_disposition:
            change.pop("disposition", None)
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
