"""Generated bad inputs (a fuzz suite) for scenarios, experiments, patterns, calibrations,
parameter tables, results folders and command-line options.

Every case starts from valid inputs and breaks one thing: a number of any input model set to
NaN, an infinity, a string, a boolean, a list or a value out of range; a name that would
leave ``results/``; an unknown key at every level; a byte that is not UTF-8; a broken
reference; an unusable output path; a bad option. Each must give exit code 2 and exactly one
line on stderr that names the file (or the option) and the field and says what is allowed,
with no traceback and no warning, and nothing may be written: neither the ``--out`` folder
nor ``results/`` nor anything else in the working folder. Hypothesis adds random cases of the
same kinds. The cases run in this process (``sim.cli.main``), so the suite takes seconds.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import re
import string
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiments.experiment import load_experiment
from sim.inference.calibration import load_calibration
from sim.inference.patterns import load_patterns
from sim.inputs.scenario import load_scenario

DELETE = object()  # a mutation that removes the key
# Words by which a message says what is allowed (or what is missing).
GUIDANCE = re.compile(r"allowed|should|must|give|need|required|at least|at most|no such|not valid TOML|not UTF-8|"
                      r"cannot|unknown|not a |exists for|choose|outside|invalid choice|expected|missing|nothing answers|"
                      r"another casim command|is after|is before|makes a cycle|must differ|exactly one|rerun|unrecognized|"
                      r"write it as|documented range|shipped ones|is more than")


# ------------------------------------------------------------------ valid inputs to break

SCENARIO = {
    "name": "fuzz",
    "end_year": 1999,
    "replicates": 1,
    "seed": 1,
    "drivers": {"river_flow": {"syr": 0.9}},
    "leader_changes": [{"year": 1993, "country": "UZB", "disposition": 0.4}],
    "interventions": [
        {"year": 1992, "end_year": 1994, "target": "irrigation_demand", "ramp": 1.2},
        {"year": 1993, "target": "river_flow.amu", "set": 0.9},
        {"year": 1993, "target": "power_demand", "scale": 1.1},
    ],
    "index_weights": {"trade": 1.0, "mobility": 2.0},
    "assumptions": {"parameters": {"trust_learning_rate": {"value": 0.2, "note": "faster learning"}},
                    "dispositions": [{"year": 1995, "country": "KGZ", "disposition": 0.6, "note": "held"}]},
}
SMALL_SCENARIO = {"name": "s", "end_year": 1999, "replicates": 1}
EXPERIMENT = {
    "name": "fuzzexp",
    "scenarios": ["s.toml"],
    "replicates": 1,
    "seed": 1,
    "chunk_runs": 10,
    "series": ["dyad.KGZ-UZB.border_openness"],
    "design": {"method": "latin", "samples": 4, "levels": 4, "seed": 2},
    "parameters": {"trust_learning_rate": [0.1, 0.5]},
    "outcomes": {"index": {"variable": "region.integration_index", "year": 1995},
                 "open": {"variable": "dyad.KGZ-UZB.border_openness", "years": [1993, 1995]}},
    "analysis": {"discover": [{"outcome": "index", "below": 0.5, "threshold": 0.8}]},
}
PATTERNS = {
    "calibration_cutoff": 1996,
    "counterfactual": "no_opening_2016",
    "patterns": [
        {"id": "low_trust", "factor": "leaders_trust", "statement": "s", "variable": "region.trust", "kind": "below",
         "window": [1993, 1995], "value": 0.9, "tolerance": 0.01, "source": "test"},
        {"id": "trust_rises", "factor": "leaders_trust", "statement": "s", "variable": "region.trust",
         "kind": "rises", "window": [1996, 1997], "reference": [1991, 1992], "scale": 0.1, "source": "test"},
        {"id": "open_peak", "factor": "territory", "statement": "s", "variable": "dyad.KGZ-UZB.border_openness",
         "kind": "peak", "window": [1994, 1995], "span": [1991, 1999], "scale": 0.1, "source": "test"},
    ],
}
CALIBRATION = {
    "name": "fuzzcal",
    "scenario": "s.toml",
    "patterns": "p.toml",
    "seed": 1,
    "chunk_runs": 10,
    "smc": {"population": 10, "prior_draws": 20, "block": 20, "max_generations": 2},
    "priors": {"trust_learning_rate": {"low": 0.1, "high": 0.5, "source": "a source outside casim (test)"}},
    "coverage": {"truths": 2, "smc": {"population": 10, "prior_draws": 20}},
}
PARAMETERS_CSV = "name,value\ntrust_learning_rate,0.2\n"
POSTERIOR_CSV = "draw,weight,trust_learning_rate,distance\n0,0.5,0.2,0.1\n1,0.5,0.3,0.2\n"

# Values that no number field takes, and out-of-range values by field.
NOT_NUMBERS = {"nan": math.nan, "inf": math.inf, "minus_inf": -math.inf, "string": "0.5", "bool": True,
               "list": [0.5], "table": {"a": 1}}
NOT_INTEGERS = {"fraction": 1.5, "nan": math.nan, "string": "7", "bool": True, "list": [1]}
# A file that is not a regular one, like /dev/null, but one a failing test could not harm.
SPECIAL = "fifo"
UNSAFE_NAMES = [".", "..", "...", ".hidden", "a/b", "/abs", "", "a b", "ü", "a\\b", "-/x", "../up"]


# ------------------------------------------------------------------ TOML and cases


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, the rest as is."""
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '"\\\x7f' else c for c in text) + '"'


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{_string(k)} = {_value(v)}" for k, v in value.items()) + " }"


def toml(data: dict, prefix: str = "") -> str:
    """TOML for nested tables, arrays of tables and inline values (NaN and infinities too)."""
    plain = {k: v for k, v in data.items() if not isinstance(v, dict)
             and not (isinstance(v, list) and v and all(isinstance(i, dict) for i in v))}
    lines = [f"{_string(k)} = {_value(v)}" for k, v in plain.items()]
    for key, value in data.items():
        name = f"{prefix}{_string(key)}"
        if isinstance(value, dict):
            lines += ["", f"[{name}]", toml(value, f"{name}.")]
        elif key not in plain:
            for item in value:
                lines += ["", f"[[{name}]]", toml(item, f"{name}.")]
    return "\n".join(lines) + "\n"


def mutated(data: dict, path: tuple, value) -> dict:
    """A deep copy of ``data`` with ``path`` set to ``value`` (or removed: :data:`DELETE`)."""
    copied = copy.deepcopy(data)
    target = copied
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copied


def field_names(path: tuple) -> tuple[str, ...]:
    """The names a message about ``path`` must mention: its first and last named key."""
    names = [key for key in path if isinstance(key, str)]
    return tuple(dict.fromkeys([names[0], names[-1]]))


@dataclass
class Case:
    """One bad input: the files to write, the command line and what its error line must name."""

    id: str
    argv: list[str]
    files: dict[str, str | bytes]
    fragments: tuple[str, ...]
    folders: list[str] = field(default_factory=list)


def _files(**texts) -> dict[str, str | bytes]:
    return {name.replace("_toml", ".toml").replace("_csv", ".csv"): text for name, text in texts.items()}


def number_cases(kind: str, base: dict, floats: dict[tuple, object], integers: dict[tuple, object],
                 write) -> Iterator[Case]:
    """Every float and integer field set to each value it must refuse (and to one out of its range)."""
    for path, out_of_range in floats.items():  # None: the field has no range
        values = {**NOT_NUMBERS, **({"out_of_range": out_of_range} if out_of_range is not None else {})}
        for label, value in values.items():
            yield write(f"{kind}-{'.'.join(map(str, path))}-{label}", mutated(base, path, value), field_names(path))
    for path, out_of_range in integers.items():
        for label, value in {**NOT_INTEGERS, "out_of_range": out_of_range}.items():
            yield write(f"{kind}-{'.'.join(map(str, path))}-{label}", mutated(base, path, value), field_names(path))


def encoding_cases(kind: str, text: str, write_bytes) -> Iterator[Case]:
    """The file with a byte that is not UTF-8 at the start, inside a string, in a comment and at the end,
    and as Latin-1 and UTF-16 text."""
    data = text.encode()
    quote = data.index(b'"') + 1
    for label, broken in {"start": b"\xff" + data, "in_string": data[:quote] + b"\xe9" + data[quote:],
                          "comment": data + b"# caf\xe9\n", "end": data + b"\x80",
                          "latin1": ("# Zoë\n" + text).encode("latin-1"), "utf16": text.encode("utf-16")}.items():
        yield write_bytes(f"{kind}-not_utf8-{label}", broken, ("not UTF-8",))


# ------------------------------------------------------------------ scenarios


def scenario_cases() -> Iterator[Case]:
    argv = ["run", "fuzz.toml", "--out", "out"]

    def write(case_id, data, fragments, argv=argv, **files):
        return Case(case_id, argv, {"fuzz.toml": toml(data), **_files(**files)}, ("fuzz.toml", *fragments))

    def write_bytes(case_id, data, fragments):
        return Case(case_id, argv, {"fuzz.toml": data}, ("fuzz.toml", *fragments))

    floats = {("assumptions", "parameters", "trust_learning_rate", "value"): 7.0,
              ("assumptions", "dispositions", 0, "disposition"): 1.5, ("drivers", "river_flow", "syr"): 9.0,
              ("leader_changes", 0, "disposition"): 1.5, ("interventions", 0, "ramp"): 99.0,
              ("interventions", 1, "set"): 99.0, ("interventions", 2, "scale"): -1.0,
              ("index_weights", "trade"): -1.0, ("index_weights", "mobility"): -0.5}
    integers = {("end_year",): 2200, ("start_year",): 1900, ("replicates",): 0, ("seed",): -1,
                ("leader_changes", 0, "year"): 2070, ("interventions", 0, "year"): 1900,
                ("interventions", 1, "end_year"): 2070, ("assumptions", "dispositions", 0, "year"): 2070}
    yield from number_cases("scenario", SCENARIO, floats, integers, write)
    for path, value in {("name",): 1, ("description",): 2, ("extends",): 3, ("leader_changes", 0, "country"): "XYZ",
                        ("interventions", 0, "target"): 5, ("interventions", 0, "note"): 1,
                        ("leader_changes",): 5, ("interventions",): {"a": 1}, ("assumptions",): [1],
                        ("assumptions", "parameters"): [1], ("assumptions", "dispositions"): {"a": 1},
                        ("assumptions", "parameters", "trust_learning_rate"): 0.2,
                        ("assumptions", "parameters", "trust_learning_rate", "note"): 1,
                        ("assumptions", "dispositions", 0, "country"): "XYZ",
                        ("drivers", "river_flow"): 0.5, ("index_weights",): 1.0}.items():
        yield write(f"scenario-{'.'.join(map(str, path))}-wrong_type", mutated(SCENARIO, path, value),
                    field_names(path))
    for path, key in {(): "colour", ("leader_changes", 0): "colour", ("interventions", 0): "colour",
                      ("index_weights",): "security", ("drivers",): "border_openness",
                      ("drivers", "river_flow"): "naryn", ("assumptions",): "borders",
                      ("assumptions", "parameters", "trust_learning_rate"): "colour",
                      ("assumptions", "dispositions", 0): "colour"}.items():
        yield write(f"scenario-unknown-{'.'.join(map(str, (*path, key)))}", mutated(SCENARIO, (*path, key), 0.5),
                    (key,))
    for name in UNSAFE_NAMES:  # no --out: the default results/<name>/ must not escape
        yield write(f"scenario-name-{name!r}", mutated(SCENARIO, ("name",), name), ("name",), argv=["run", "fuzz.toml"])
    for target in ["river_flow.", "river_flow.nile", "trust", ".", "", "river_flow.syr.x", ".syr", "RIVER_FLOW"]:
        yield write(f"scenario-target-{target!r}", mutated(SCENARIO, ("interventions", 1, "target"), target),
                    ("interventions[1].target",))
    structure = {
        "two_operations": (("interventions", 0, "set"), 1.0, "interventions[0]"),
        "no_operation": (("interventions", 1, "set"), DELETE, "interventions[1]"),
        "ramp_without_end_year": (("interventions", 0, "end_year"), DELETE, "interventions[0]"),
        "end_before_year": (("interventions", 0, "end_year"), 1991, "interventions[0]"),
        "ramp_leaves_range": (("interventions", 0, "ramp"), 2.6, "interventions"),
        "no_name": (("name",), DELETE, "name"),
        "no_year": (("leader_changes", 0, "year"), DELETE, "leader_changes[0].year"),
        "weights_all_zero": (("index_weights",), {k: 0 for k in ("institutional", "trade", "mobility",
                                                                  "water_energy", "political")}, "index_weights"),
        "end_before_start": (("start_year",), 1999, "end_year"),
        "parameter_outside_assumptions": (("parameters",), {"trust_learning_rate": 0.2}, "parameters"),
        "parameter_unknown": (("assumptions", "parameters", "trust_speed"), {"value": 0.5, "note": "x"},
                              "trust_speed"),
        "assumed_parameter_without_note": (("assumptions", "parameters", "trust_learning_rate", "note"), DELETE,
                                           "assumptions.parameters.trust_learning_rate.note"),
        "assumed_parameter_blank_note": (("assumptions", "parameters", "trust_learning_rate", "note"), " ",
                                         "assumptions.parameters.trust_learning_rate.note"),
        "held_disposition_without_value": (("assumptions", "dispositions", 0, "disposition"), DELETE,
                                           "assumptions.dispositions[0]"),
        "held_disposition_range_reversed": (("assumptions", "dispositions", 0, "disposition_range"), [0.8, 0.2],
                                            "assumptions.dispositions[0]"),
        "disposition_as_driver": (("drivers", "leader_disposition"), {"UZB": 0.5}, "leader_disposition"),
        "disposition_as_intervention": (("interventions", 1, "target"), "leader_disposition.UZB",
                                        "leader_disposition"),
    }
    for label, (path, value, fragment) in structure.items():
        yield write(f"scenario-{label}", mutated(SCENARIO, path, value), (fragment,))
    yield from encoding_cases("scenario", toml(SCENARIO), write_bytes)
    for label, text in {"no_value": 'name = "x"\nreplicates = \n', "bad_header": "[[interventions]\n",
                        "two_strings": 'name = "x" "y"\n', "duplicate_key": 'name = "a"\nname = "b"\n',
                        "bom_then_junk": "\ufeffname = \n"}.items():
        yield Case(f"scenario-toml-{label}", argv, {"fuzz.toml": text}, ("fuzz.toml", "not valid TOML"))
    parent_text = toml(mutated(SCENARIO, ("name",), "parent"))
    extends = {
        "missing": ({"extends": "missing.toml"}, {}, ("fuzz.toml", "extends")),
        "dotdot": ({"extends": ".."}, {}, ("fuzz.toml", "extends")),
        "empty": ({"extends": ""}, {}, ("fuzz.toml", "extends")),
        "root": ({"extends": "/"}, {}, ("fuzz.toml", "extends")),
        "self": ({"extends": "fuzz.toml"}, {}, ("fuzz.toml", "extends", "cycle")),
        "cycle": ({"extends": "parent.toml"}, {"parent.toml": 'name = "parent"\nextends = "fuzz.toml"\n'},
                  ("parent.toml", "extends", "cycle")),
        "parent_not_utf8": ({"extends": "parent.toml"}, {"parent.toml": b"\xff" + parent_text.encode()},
                            ("parent.toml", "not UTF-8")),
        "parent_bad_toml": ({"extends": "parent.toml"}, {"parent.toml": "name = \n"}, ("parent.toml", "TOML")),
        "parent_nan": ({"extends": "parent.toml"},
                       {"parent.toml": toml(mutated(SCENARIO, ("interventions", 1, "set"), math.nan))},
                       ("parent.toml", "interventions[1].set")),
    }
    for label, (change, files, fragments) in extends.items():
        yield Case(f"scenario-extends-{label}", argv, {"fuzz.toml": toml({**SMALL_SCENARIO, **change}), **files},
                   fragments)
    second = ["compare", "s.toml", "fuzz.toml", "--out", "out"]
    for path in [("interventions", 1, "set"), ("index_weights", "trade")]:
        yield Case(f"compare-{'.'.join(map(str, path))}-nan", second,
                   {"s.toml": toml(SMALL_SCENARIO), "fuzz.toml": toml(mutated(SCENARIO, path, math.nan))},
                   ("fuzz.toml", *field_names(path)))


# ------------------------------------------------------------------ experiments


def experiment_files(data: dict | bytes, **extra) -> dict[str, str | bytes]:
    return {"exp.toml": data if isinstance(data, bytes) else toml(data), "s.toml": toml(SMALL_SCENARIO),
            **_files(**extra)}


def experiment_cases() -> Iterator[Case]:
    argv = ["batch", "exp.toml", "--workers", "1", "--out", "out"]

    def write(case_id, data, fragments, argv=argv, file="exp.toml", **extra):
        return Case(case_id, argv, experiment_files(data, **extra), (file, *fragments))

    def write_bytes(case_id, data, fragments):
        return Case(case_id, argv, experiment_files(data), ("exp.toml", *fragments))

    floats = {("parameters", "trust_learning_rate", 0): -0.5, ("parameters", "trust_learning_rate", 1): 2.0,
              ("analysis", "discover", 0, "below"): None,
              ("analysis", "discover", 0, "threshold"): 1.5}
    integers = {("replicates",): 0, ("seed",): -1, ("chunk_runs",): 0, ("design", "samples"): -4,
                ("design", "levels"): 1, ("design", "seed"): 2**32, ("outcomes", "index", "year"): 2030,
                ("outcomes", "open", "years", 0): 1980}
    yield from number_cases("experiment", EXPERIMENT, floats, integers, write)
    variables = ["region.nope", "nope.x", "dyad.KAZ-TJK.border_openness", "dyad.KGZ-TKM.delimited_share",
                 "dyad.TJK-TKM.conflict_incidents", "dyad.KAZ-TJK.border_queues", "dyad.KAZ-UZB.water_energy_coop",
                 "dyad.TKM-UZB.water_energy_coop", "country.XYZ.gdp", "dyad.UZB-KGZ.trust", "region", "",
                 "country.UZB", "region.trust.extra"]
    for variable in variables:
        yield write(f"experiment-outcome-{variable!r}", mutated(EXPERIMENT, ("outcomes", "open", "variable"),
                                                                 variable), ("outcomes", "variable"))
        yield write(f"experiment-series-{variable!r}", mutated(EXPERIMENT, ("series",), [variable]), ("series",))
    for name in UNSAFE_NAMES:
        yield write(f"experiment-name-{name!r}", mutated(EXPERIMENT, ("name",), name), ("name",),
                    argv=["batch", "exp.toml", "--workers", "1"])
    structure = {
        "scenario_missing": (("scenarios",), ["bad"], "scenarios"),
        "scenario_missing_with_suffix": (("scenarios",), ["bad.toml"], "scenarios"),
        "scenario_up": (("scenarios",), ["../nope"], "scenarios"),
        "no_scenarios": (("scenarios",), [], "scenarios"),
        "same_scenario_twice": (("scenarios",), ["s.toml", "s"], "scenarios"),
        "scenarios_not_a_list": (("scenarios",), "s.toml", "scenarios"),
        "scenario_not_a_string": (("scenarios",), [1], "scenarios"),
        "patterns_missing": (("patterns",), "nope.toml", "patterns"),
        "patterns_folder": (("patterns",), "sub/nope.toml", "patterns"),
        "method_unknown": (("design", "method"), "nope", "design.method"),
        "sobol_not_power_of_two": (("design",), {"method": "sobol", "samples": 3}, "design"),
        "latin_no_samples": (("design", "samples"), 0, "design"),
        "ranges_without_design": (("design",), {"method": "none"}, "parameters"),
        "range_reversed": (("parameters", "trust_learning_rate"), [0.5, 0.1], "parameters"),
        "range_one_bound": (("parameters", "trust_learning_rate"), [0.5], "parameters"),
        "range_unknown": (("parameters", "trust_speed"), [0.1, 0.2], "parameters"),
        "year_and_years": (("outcomes", "index", "years"), [1993, 1995], "outcomes"),
        "neither_year_nor_years": (("outcomes", "index", "year"), DELETE, "outcomes"),
        "years_reversed": (("outcomes", "open", "years"), [1995, 1993], "outcomes"),
        "outcome_named_seed": (("outcomes", "seed"), {"variable": "region.trust", "year": 1995}, "outcomes"),
        "outcome_named_pass": (("outcomes", "pass_x"), {"variable": "region.trust", "year": 1995}, "outcomes"),
        "discover_both_sides": (("analysis", "discover", 0, "above"), 0.2, "analysis.discover[0]"),
        "discover_no_side": (("analysis", "discover", 0, "below"), DELETE, "analysis.discover[0]"),
        "discover_unknown_outcome": (("analysis", "discover", 0, "outcome"), "nope", "analysis.discover[0]"),
        "nothing_kept": (("outcomes",), {}, "outcomes"),
    }
    for label, (path, value, fragment) in structure.items():
        data = mutated(EXPERIMENT, path, value)
        if label == "nothing_kept":
            data = mutated(mutated(data, ("series",), DELETE), ("analysis",), DELETE)
        yield write(f"experiment-{label}", data, (fragment,))
    for path, key in {(): "colour", ("design",): "colour", ("outcomes", "index"): "colour", ("analysis",): "colour",
                      ("analysis", "discover", 0): "colour"}.items():
        yield write(f"experiment-unknown-{'.'.join(map(str, (*path, key)))}", mutated(EXPERIMENT, (*path, key), 1),
                    (key,))
    yield from encoding_cases("experiment", toml(EXPERIMENT), write_bytes)
    with_patterns = mutated(EXPERIMENT, ("patterns",), "p.toml")
    yield write("experiment-patterns-window-before-1991", with_patterns, ("patterns[0].window",), file="p.toml",
                p_toml=toml(mutated(PATTERNS, ("patterns", 0, "window"), [1980, 1995])))
    yield write("experiment-patterns-after-the-scenario", with_patterns, ("patterns", "1991-2020"),
                p_toml=toml(mutated(PATTERNS, ("patterns", 1, "window"), [2019, 2020])))
    yield write("experiment-scenario-not-utf8", EXPERIMENT, ("not UTF-8",), file="s.toml",
                s_toml=b"\xff" + toml(SMALL_SCENARIO).encode())
    yield write("experiment-scenario-nan", EXPERIMENT, ("index_weights.trade",), file="s.toml",
                s_toml=toml({**SMALL_SCENARIO, "index_weights": {"trade": math.nan}}))
    for label, value in {"zero": "0", "negative": "-1", "word": "abc", "fraction": "1.5", "empty": ""}.items():
        yield write(f"experiment-option-workers-{label}", EXPERIMENT, ("--workers",), file="",
                    argv=["batch", "exp.toml", "--workers", value, "--out", "out"])
    for label, value in {"no_port": "not-an-address", "nobody_there": "tcp://127.0.0.1:1", "inproc": "inproc://x",
                         "port_too_big": "tcp://127.0.0.1:99999", "empty": ""}.items():
        yield write(f"experiment-option-scheduler-{label}", EXPERIMENT, ("--scheduler",), file="",
                    argv=["batch", "exp.toml", "--scheduler", value, "--out", "out"])
    yield from out_cases("experiment", ["batch", "exp.toml", "--workers", "1"], experiment_files(EXPERIMENT))


# ------------------------------------------------------------------ patterns


def patterns_files(data: dict | bytes) -> dict[str, str | bytes]:
    return {"p.toml": data if isinstance(data, bytes) else toml(data)}


def patterns_cases() -> Iterator[Case]:
    argv = ["validate", "--patterns", "p.toml", "--replicates", "1", "--out", "out"]

    def write(case_id, data, fragments):
        return Case(case_id, argv, patterns_files(data), ("p.toml", *fragments))

    def write_bytes(case_id, data, fragments):
        return Case(case_id, argv, patterns_files(data), ("p.toml", *fragments))

    floats = {("patterns", 0, "value"): None, ("patterns", 0, "tolerance"): -1.0}
    integers = {("patterns", 0, "window", 0): 1980, ("patterns", 0, "window", 1): 2150,
                ("patterns", 1, "reference", 0): 1900, ("patterns", 2, "span", 1): 2101, ("calibration_cutoff",): 1900}
    yield from number_cases("patterns", PATTERNS, floats, integers, write)
    structure = {
        "window_reversed": (("patterns", 0, "window"), [1995, 1993], "patterns[0]"),
        "window_one_year": (("patterns", 0, "window"), [1993], "patterns[0].window"),
        "window_three_years": (("patterns", 0, "window"), [1993, 1994, 1995], "patterns[0].window"),
        "window_2090_2150": (("patterns", 0, "window"), [2090, 2150], "patterns[0].window[1]"),
        "kind_unknown": (("patterns", 0, "kind"), "nope", "patterns[0].kind"),
        "factor_unknown": (("patterns", 0, "factor"), "nope", "patterns[0].factor"),
        "id_unsafe": (("patterns", 0, "id"), "Bad-Id", "patterns[0].id"),
        "id_repeated": (("patterns", 1, "id"), "low_trust", "patterns"),
        "statement_empty": (("patterns", 0, "statement"), "", "patterns[0].statement"),
        "source_missing": (("patterns", 0, "source"), DELETE, "patterns[0].source"),
        "variable_unknown": (("patterns", 0, "variable"), "region.nope", "patterns[0].variable"),
        "variable_no_border": (("patterns", 2, "variable"), "dyad.KAZ-TJK.border_openness", "patterns[2].variable"),
        "below_without_value": (("patterns", 0, "value"), DELETE, "patterns[0]"),
        "rises_without_reference": (("patterns", 1, "reference"), DELETE, "patterns[1]"),
        "span_without_window": (("patterns", 2, "span"), [1991, 1993], "patterns[2]"),
        "no_patterns": (("patterns",), [], "patterns"),
        "counterfactual_missing": (("counterfactual",), "nope", "counterfactual"),
        "counterfactual_up": (("counterfactual",), "../nope", "counterfactual"),
        "counterfactual_empty": (("counterfactual",), "", "counterfactual"),
        "unknown_key": (("patterns", 0, "colour"), "red", "colour"),
        "unknown_top_key": (("colour",), "red", "colour"),
    }
    for label, (path, value, fragment) in structure.items():
        yield write(f"patterns-{label}", mutated(PATTERNS, path, value), (fragment,))
    yield from encoding_cases("patterns", toml(PATTERNS), write_bytes)


# ------------------------------------------------------------------ calibrations


def calibration_files(data: dict | bytes, **extra) -> dict[str, str | bytes]:
    return {"c.toml": data if isinstance(data, bytes) else toml(data), "s.toml": toml(SMALL_SCENARIO),
            "p.toml": toml(PATTERNS), **_files(**extra)}


def calibration_cases() -> Iterator[Case]:
    argv = ["calibrate", "c.toml", "--workers", "1", "--out", "out", "--posterior-out", "chosen.csv"]

    def write(case_id, data, fragments, argv=argv, file="c.toml", **extra):
        return Case(case_id, argv, calibration_files(data, **extra), (file, *fragments))

    def write_bytes(case_id, data, fragments):
        return Case(case_id, argv, calibration_files(data), ("c.toml", *fragments))

    floats = {("priors", "trust_learning_rate", "low"): -0.5, ("priors", "trust_learning_rate", "high"): 2.0,
              ("smc", "quantile"): 1.5, ("smc", "min_acceptance"): 0.0, ("smc", "scale"): 5.0}
    integers = {("smc", "population"): 1, ("smc", "prior_draws"): 0, ("smc", "block"): 0, ("seed",): -1,
                ("chunk_runs",): 0, ("smc", "max_generations"): 0, ("coverage", "truths"): 1}
    yield from number_cases("calibration", CALIBRATION, floats, integers, write)
    for name in UNSAFE_NAMES:
        yield write(f"calibration-name-{name!r}", mutated(CALIBRATION, ("name",), name), ("name",),
                    argv=["calibrate", "c.toml", "--workers", "1", "--posterior-out", "chosen.csv"])
    structure = {
        "population_above_prior_draws": (("smc", "population"), 50, "population"),
        "use_unknown": (("use",), "some", "use"),
        "patterns_missing": (("patterns",), "nope.toml", "patterns"),
        "scenario_missing": (("scenario",), "nope", "scenario"),
        "prior_without_source": (("priors", "trust_learning_rate"), {"low": 0.1, "high": 0.5}, "source"),
        "prior_outside_range": (("priors", "trust_learning_rate"),
                                {"low": 0.1, "high": 5.0, "source": "a source outside casim"}, "priors"),
        "prior_unknown": (("priors", "trust_speed"), {"low": 0.1, "high": 0.2, "source": "a source outside casim"},
                          "priors"),
        "fixed_unknown": (("fixed",), {"trust_speed": "screened"}, "fixed"),
        "fixed_without_reason": (("fixed",), {"trust_learning_rate": " "}, "fixed"),
        "unknown_key": (("colour",), "red", "colour"),
        "unknown_smc_key": (("smc", "colour"), "red", "colour"),
    }
    for label, (path, value, fragment) in structure.items():
        yield write(f"calibration-{label}", mutated(CALIBRATION, path, value), (fragment,))
    yield from encoding_cases("calibration", toml(CALIBRATION), write_bytes)
    yield write("calibration-patterns-window-before-1991", CALIBRATION, ("patterns[0].window",), file="p.toml",
                p_toml=toml(mutated(PATTERNS, ("patterns", 0, "window"), [1980, 1995])))
    yield write("calibration-patterns-nan", CALIBRATION, ("patterns[0].value",), file="p.toml",
                p_toml=toml(mutated(PATTERNS, ("patterns", 0, "value"), math.nan)))
    yield write("calibration-scenario-starts-late", CALIBRATION, ("start_year",), file="s.toml",
                s_toml=toml({**SMALL_SCENARIO, "start_year": 1995}))
    options = {
        "posterior_out_read_only": (["--posterior-out", "/sys/casim-fuzz.csv"], "--posterior-out"),
        "posterior_out_folder": (["--posterior-out", "."], "--posterior-out"),
        "posterior_out_special_file": (["--posterior-out", SPECIAL], "--posterior-out"),
        "posterior_out_under_a_file": (["--posterior-out", "c.toml/chosen.csv"], "--posterior-out"),
        "posterior_out_empty": (["--posterior-out", ""], "--posterior-out"),
        "posterior_out_too_long": (["--posterior-out", "x" * 300 + ".csv"], "--posterior-out"),
        "workers_zero": (["--workers", "0"], "--workers"),
        "scheduler_no_port": (["--scheduler", "not-an-address"], "--scheduler"),
        "scheduler_nobody_there": (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
    }
    for label, (extra, fragment) in options.items():
        yield write(f"calibration-option-{label}", CALIBRATION, (fragment,), file="",
                    argv=["calibrate", "c.toml", "--out", "out", "--posterior-out", "chosen.csv", *extra])
    yield from out_cases("calibration", ["calibrate", "c.toml", "--posterior-out", "chosen.csv"],
                         calibration_files(CALIBRATION))


# ------------------------------------------------------------------ validate's options and tables


def validate_cases() -> Iterator[Case]:
    argv = ["validate", "--replicates", "1", "--out", "out"]
    numbers = {"--seed": ["-1", "abc", "1.5", str(2**63), "", "nan"], "--replicates": ["0", "-3", "abc", "100001",
                                                                                    "1e3"]}
    for option, values in numbers.items():
        for value in values:
            yield Case(f"validate-option-{option}-{value!r}", ["validate", option, value, "--out", "out"], {},
                       (option,))
    parameters = {
        "word": "name,value\ntrust_learning_rate,abc\n", "nan": "name,value\ntrust_learning_rate,nan\n",
        "inf": "name,value\ntrust_learning_rate,inf\n", "out_of_range": "name,value\ntrust_learning_rate,7\n",
        "unknown": "name,value\ntrust_speed,0.2\n", "empty_value": "name,value\ntrust_learning_rate,\n",
        "no_value_column": "name\ntrust_learning_rate\n", "empty_file": "", "ragged": PARAMETERS_CSV + "a,b,c\n",
    }
    for label, text in parameters.items():
        yield Case(f"validate-parameters-{label}", [*argv, "--parameters", "chosen.csv"], {"chosen.csv": text},
                   ("chosen.csv",))
    yield Case("validate-parameters-not-utf8", [*argv, "--parameters", "chosen.csv"],
               {"chosen.csv": b"name,value\n\xfftrust_learning_rate,0.2\n"}, ("chosen.csv", "not UTF-8"))
    yield Case("validate-parameters-missing", [*argv, "--parameters", "nope.csv"], {}, ("nope.csv",))
    posterior = {
        "word": "draw,weight,trust_learning_rate\n0,1,abc\n",
        "nan": "draw,weight,trust_learning_rate\n0,1,nan\n",
        "out_of_range": "draw,weight,trust_learning_rate\n0,1,0.2\n1,1,7\n",
        "unknown": "draw,weight,trust_speed\n0,1,0.2\n", "no_sets": "draw,weight\n0,1\n",
        "negative_weight": "draw,weight,trust_learning_rate\n0,-1,0.2\n",
        "no_draw_column": "weight,trust_learning_rate\n1,0.2\n",
        "header_only": "draw,weight,trust_learning_rate\n",
    }
    for label, text in posterior.items():
        yield Case(f"validate-posterior-{label}", [*argv, "--parameters", "posterior.csv"], {"posterior.csv": text},
                   ("posterior.csv",))
    yield Case("validate-posterior-not-utf8", [*argv, "--parameters", "posterior.csv"],
               {"posterior.csv": POSTERIOR_CSV.encode() + b"2,0.\xb5,0.3,0.1\n"}, ("posterior.csv", "not UTF-8"))
    yield Case("validate-posterior-record-damaged", [*argv, "--parameters", "posterior.csv"],
               {"posterior.csv": POSTERIOR_CSV, "posterior.json": "[1, 2]"}, ("posterior.json", "JSON"))
    yield Case("validate-parameters-neither-keyword-nor-file", [*argv, "--parameters", "posterior_mode"], {},
               ("--parameters", "posterior_mode"))
    for option in ("--patterns", "--parameters"):
        yield Case(f"validate-option-{option}-empty", [*argv, option, ""], {}, (option,))
    yield Case("validate-patterns-missing", [*argv, "--patterns", "nope.toml"], {}, ("nope.toml",))
    yield Case("validate-scenario-missing", [*argv, "--scenario", "nope.toml"], {}, ("nope.toml",))
    yield Case("validate-scenario-nan", [*argv, "--scenario", "fuzz.toml"],
               {"fuzz.toml": toml(mutated(SCENARIO, ("interventions", 1, "set"), math.nan))},
               ("fuzz.toml", "interventions[1].set"))
    yield from out_cases("validate", ["validate", "--replicates", "1"], {})


# ------------------------------------------------------------------ output paths, results folders, the parser


def out_cases(kind: str, argv: list[str], files: dict[str, str | bytes]) -> Iterator[Case]:
    """``--out`` set to paths no command can write a folder at."""
    outs = {"empty": "", "special_file": SPECIAL, "a_file": "afile", "under_a_file": "afile/sub",
            "read_only": "/sys/casim-fuzz", "name_too_long": "x" * 300, "deep_name_too_long": "a/" + "y" * 256}
    for label, out in outs.items():
        yield Case(f"{kind}-out-{label}", [*argv, "--out", out], {**files, "afile": "not a folder\n"}, ("--out",))


MANIFESTS = {
    "not_json": "{kind: run", "not_utf8": b'{"kind": "\xff"}', "array": "[1, 2]", "string": '"run"',
    "kind_unknown": '{"kind": "nope"}', "empty": "",
}


def folder_cases() -> Iterator[Case]:
    for command in ("analyze", "report"):
        yield Case(f"{command}-no-folder", [command, "nowhere"], {}, ("nowhere", "manifest.json"))
        yield Case(f"{command}-no-manifest", [command, "folder"], {"folder/runs.txt": "x"}, ("folder",),
                   folders=["folder"])
        for label, text in MANIFESTS.items():
            yield Case(f"{command}-manifest-{label}", [command, "folder"], {"folder/manifest.json": text},
                       ("folder",))
    damaged = {
        "batch_unfinished": {"kind": "batch", "status": "incomplete"},
        "batch_without_experiment": {"kind": "batch", "status": "complete"},
        "batch_bad_experiment": {"kind": "batch", "status": "complete", "scenarios": [],
                                 "experiment": {"resolved": {"name": ".."}}},
        "of_a_run": {"kind": "run", "status": "complete"},
    }
    for label, record in damaged.items():
        yield Case(f"analyze-manifest-{label}", ["analyze", "folder"], {"folder/manifest.json": json.dumps(record)},
                   ("folder",))
    for label, record in {"run_without_fields": {"kind": "run"}, "calibrate_without_fields": {"kind": "calibrate"},
                          "analysis_of_nothing": {"kind": "analysis", "batch": "/nowhere"}}.items():
        yield Case(f"report-manifest-{label}", ["report", "folder"], {"folder/manifest.json": json.dumps(record)},
                   ("folder",))
    for label, out in {"special_file": SPECIAL, "folder": ".", "read_only": "/sys/casim-fuzz.html", "empty": ""}.items():
        yield Case(f"report-out-{label}", ["report", "folder", "--out", out], {"folder/manifest.json": "{}"},
                   ("--out",))
    finished = {"kind": "batch", "status": "complete", "experiment": {"resolved": EXPERIMENT},
                "scenarios": [{"name": "s"}]}
    for label, out in {"special_file": SPECIAL, "a_file": "afile", "empty": "", "read_only": "/sys/casim-fuzz"}.items():
        yield Case(f"analyze-out-{label}", ["analyze", "folder", "--out", out],
                   {"folder/manifest.json": json.dumps(finished), "afile": "x"}, ("--out",))


def parser_cases() -> Iterator[Case]:
    cases = {
        "no_command": ([], "command"), "unknown_command": (["nope"], "nope"), "run_without_file": (["run"], "scenario"),
        "unknown_option": (["run", "fuzz.toml", "--bogus"], "--bogus"),
        "replicates_word": (["run", "fuzz.toml", "--replicates", "abc"], "--replicates"),
        "replicates_zero": (["run", "fuzz.toml", "--replicates", "0"], "--replicates"),
        "seed_negative": (["run", "fuzz.toml", "--seed", "-1"], "--seed"),
        "seed_too_big": (["compare", "fuzz.toml", "fuzz.toml", "--seed", str(2**64)], "--seed"),
        "compare_one": (["compare", "fuzz.toml"], "two scenarios"),
        "port_word": (["app", "--port", "abc"], "--port"), "port_too_big": (["app", "--port", "70000"], "--port"),
        "out_missing_value": (["run", "fuzz.toml", "--out"], "--out"),
    }
    for label, (argv, fragment) in cases.items():
        yield Case(f"parser-{label}", argv, {"fuzz.toml": toml(SCENARIO)}, (fragment,))
    yield from out_cases("run", ["run", "fuzz.toml"], {"fuzz.toml": toml(SCENARIO)})
    yield from out_cases("compare", ["compare", "fuzz.toml", "s.toml"], {"fuzz.toml": toml(SCENARIO),
                                                                          "s.toml": toml(SMALL_SCENARIO)})


CASES = [*scenario_cases(), *experiment_cases(), *patterns_cases(), *calibration_cases(), *validate_cases(),
         *folder_cases(), *parser_cases()]


# ------------------------------------------------------------------ running a case


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


def run_in(folder: Path, argv: list[str], files: dict[str, str | bytes], folders=()) -> tuple[int, str, str, list]:
    """Write ``files`` into ``folder``, run ``casim argv`` there in this process; return the exit
    code, stdout, stderr and the warnings raised, and check that nothing was written."""
    for name in folders:
        (folder / name).mkdir(parents=True, exist_ok=True)
    if SPECIAL in argv:
        os.mkfifo(folder / SPECIAL)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = snapshot(folder)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.chdir(folder), warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        code = main(argv)
    assert snapshot(folder) == before, "something was written"
    assert not os.path.exists("/sys/casim-fuzz")
    return code, stdout.getvalue(), stderr.getvalue(), caught


def assert_one_clean_line(code: int, stdout: str, stderr: str, caught: list, fragments=()) -> str:
    assert code == 2, (code, stderr)
    assert "Traceback" not in stderr + stdout
    assert not caught, [str(w.message) for w in caught]
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("casim: error: "), line
    assert GUIDANCE.search(line), f"does not say what is allowed: {line}"
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def test_the_suite_generates_at_least_300_cases():
    assert len(CASES) >= 300
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_bad_input_gets_one_clean_line_and_nothing_is_written(case, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    code, stdout, stderr, caught = run_in(folder, case.argv, case.files, case.folders)
    assert_one_clean_line(code, stdout, stderr, caught, case.fragments)


def test_the_valid_inputs_the_cases_break_are_valid(tmp_path):
    files = {**experiment_files(EXPERIMENT), **calibration_files(CALIBRATION), "fuzz.toml": toml(SCENARIO),
             **patterns_files(PATTERNS)}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    load_scenario(tmp_path / "fuzz.toml")
    load_experiment(tmp_path / "exp.toml")
    load_patterns(tmp_path / "p.toml")
    load_calibration(tmp_path / "c.toml")


# ------------------------------------------------------------------ Hypothesis: random bad inputs

# Float fields with an upper bound (an index weight has none).
FLOAT_FIELDS = [("assumptions", "parameters", "trust_learning_rate", "value"),
                ("assumptions", "dispositions", 0, "disposition"), ("drivers", "river_flow", "syr"),
                ("leader_changes", 0, "disposition"), ("interventions", 0, "ramp"), ("interventions", 1, "set"),
                ("interventions", 2, "scale")]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=6)  # no lone surrogates
RANDOM = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow])


def _run_random(argv: list[str], files: dict[str, str | bytes]) -> tuple[int, str, str, list]:
    with tempfile.TemporaryDirectory() as folder:
        return run_in(Path(folder), argv, files)


@RANDOM
@given(path=st.sampled_from(FLOAT_FIELDS),
       value=st.one_of(st.sampled_from([math.nan, math.inf, -math.inf]), st.floats(min_value=1e3, max_value=1e300),
                       st.floats(max_value=-1e-3, min_value=-1e300), TEXT, st.booleans()))
def test_random_bad_numbers_in_a_scenario(path, value):
    result = _run_random(["run", "fuzz.toml", "--out", "out"], {"fuzz.toml": toml(mutated(SCENARIO, path, value))})
    assert_one_clean_line(*result, ("fuzz.toml", *field_names(path)))


@RANDOM
@given(name=st.text(alphabet=string.printable + "é", max_size=12).filter(
    lambda n: not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", n) and "\r" not in n))
def test_random_unsafe_names_write_nothing(name):
    data = mutated(EXPERIMENT, ("name",), name)
    result = _run_random(["batch", "exp.toml", "--workers", "1"], experiment_files(data))
    assert_one_clean_line(*result, ("exp.toml", "name"))


@RANDOM
@given(position=st.floats(min_value=0.0, max_value=1.0), byte=st.sampled_from([*range(0x80, 0xC0), *range(0xF8, 0x100)]))
def test_random_bytes_that_are_not_utf8_in_a_patterns_file(position, byte):
    data = toml(PATTERNS).encode()
    at = round(position * len(data))
    result = _run_random(["validate", "--patterns", "p.toml", "--replicates", "1", "--out", "out"],
                         {"p.toml": data[:at] + bytes([byte]) + data[at:]})
    assert_one_clean_line(*result, ("p.toml", "not UTF-8"))


def _not_a_whole_number(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


NOT_WHOLE_NUMBERS = TEXT.filter(_not_a_whole_number)
BAD_OPTIONS = {
    "--seed": st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63), NOT_WHOLE_NUMBERS),
    "--replicates": st.one_of(st.integers(max_value=0), st.integers(min_value=100_001), NOT_WHOLE_NUMBERS),
    "--workers": st.one_of(st.integers(max_value=0), NOT_WHOLE_NUMBERS),
}


@RANDOM
@given(data=st.data())
def test_random_bad_numbers_on_the_command_line(data):
    option = data.draw(st.sampled_from(sorted(BAD_OPTIONS)))
    value = str(data.draw(BAD_OPTIONS[option]))
    command = ["calibrate", "c.toml", "--posterior-out", "chosen.csv"] if option == "--workers" else ["validate"]
    result = _run_random([*command, f"{option}={value}", "--out", "out"], calibration_files(CALIBRATION))
    assert_one_clean_line(*result, (option,))


# ------------------------------------------------------------------ what the suite must still accept


def test_a_byte_order_mark_is_accepted(tmp_path):
    (tmp_path / "s.toml").write_bytes(b"\xef\xbb\xbf" + toml(SMALL_SCENARIO).encode())
    assert load_scenario(tmp_path / "s.toml").name == "s"


def test_an_experiment_finds_a_scenario_by_its_name_beside_it(tmp_path):
    for name, text in experiment_files(mutated(EXPERIMENT, ("scenarios",), ["s"])).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    _, (scenario,) = load_experiment(tmp_path / "exp.toml")
    assert scenario.name == "s"
