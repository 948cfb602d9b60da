"""Patterns: evaluation on hand-made tables, the patterns file, and bad pattern files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.inference.patterns import (
    PatternError,
    PatternSet,
    check_all,
    load_patterns,
    margins,
    score_table,
    statistics,
    trajectory_from_table,
)
from sim.model.outcomes import VariableRef

YEARS = np.arange(2000, 2011)


def _table(values_by_seed: dict[int, list[float]], variable: str = "border_openness", scope: str = "dyad",
           entity: str = "KGZ-UZB") -> pd.DataFrame:
    """A tidy table with one variable: one yearly series per seed over 2000-2010."""
    rows = [{"scenario": "hand", "replicate": k, "seed": seed, "year": year, "scope": scope, "entity": entity,
             "variable": variable, "value": value}
            for k, (seed, series) in enumerate(values_by_seed.items()) for year, value in zip(YEARS, series)]
    return pd.DataFrame(rows)


def _patterns(*patterns: dict) -> PatternSet:
    defaults = {"factor": "territory", "statement": "a statement", "variable": "dyad.KGZ-UZB.border_openness",
                "source": "hand-made"}
    return PatternSet.model_validate({"patterns": [{**defaults, **p} for p in patterns]}, strict=False)


FLAT_LOW = [0.1] * 11
RISING = [0.1] * 6 + [0.9] * 5          # 2000-2005 low, 2006-2010 high
PEAKED = [0.1] * 5 + [0.9, 0.9] + [0.1] * 4  # high in 2005-2006 only


def test_below_and_above_pass_and_fail():
    trajectory = trajectory_from_table(_table({1: FLAT_LOW, 2: RISING}))
    patterns = _patterns(
        {"id": "low", "kind": "below", "window": [2000, 2004], "value": 0.2},
        {"id": "high", "kind": "above", "window": [2007, 2010], "value": 0.5},
        {"id": "low_every_year", "kind": "below", "window": [2000, 2010], "value": 0.5, "every_year": True},
    )
    passed = check_all(patterns, trajectory)
    # seed 1 is flat low: low passes, high fails; seed 2 rises: low and high pass.
    np.testing.assert_array_equal(passed, [[True, True], [False, True], [True, False]])


def test_every_year_fails_on_one_bad_year_where_the_mean_passes():
    series = [0.0] * 10 + [0.9]
    trajectory = trajectory_from_table(_table({1: series}))
    mean_only, each_year = check_all(_patterns(
        {"id": "mean", "kind": "below", "window": [2000, 2010], "value": 0.2},
        {"id": "each", "kind": "below", "window": [2000, 2010], "value": 0.2, "every_year": True},
    ), trajectory)
    assert mean_only[0] and not each_year[0]


def test_rises_and_falls_need_more_than_the_tolerance():
    trajectory = trajectory_from_table(_table({1: RISING, 2: FLAT_LOW}))
    passed = check_all(_patterns(
        {"id": "rises", "kind": "rises", "window": [2007, 2010], "reference": [2000, 2004], "tolerance": 0.3},
        {"id": "rises_too_much", "kind": "rises", "window": [2007, 2010], "reference": [2000, 2004],
         "tolerance": 0.85},
        {"id": "falls", "kind": "falls", "window": [2000, 2004], "reference": [2007, 2010], "tolerance": 0.3},
    ), trajectory)
    np.testing.assert_array_equal(passed, [[True, False], [False, False], [True, False]])


def test_peak_passes_only_when_the_window_stands_out():
    trajectory = trajectory_from_table(_table({1: PEAKED, 2: FLAT_LOW, 3: RISING}))
    (peak,) = check_all(_patterns(
        {"id": "peak", "kind": "peak", "window": [2005, 2006], "span": [2000, 2010], "tolerance": 0.2},
    ), trajectory)
    np.testing.assert_array_equal(peak, [True, False, False])


def test_tolerance_widens_a_threshold():
    trajectory = trajectory_from_table(_table({1: [0.25] * 11}))
    strict, tolerant = check_all(_patterns(
        {"id": "strict", "kind": "below", "window": [2000, 2010], "value": 0.2},
        {"id": "tolerant", "kind": "below", "window": [2000, 2010], "value": 0.2, "tolerance": 0.1},
    ), trajectory)
    assert not strict[0] and tolerant[0]


def test_region_and_country_variables_are_found():
    region = _table({1: RISING}, variable="trust", scope="region", entity="region")
    country = _table({1: FLAT_LOW}, variable="gdp", scope="country", entity="UZB")
    trajectory = trajectory_from_table(pd.concat([region, country]))
    rises, low = check_all(_patterns(
        {"id": "trust_rises", "variable": "region.trust", "kind": "rises", "window": [2007, 2010],
         "reference": [2000, 2004], "scale": 0.1},
        {"id": "gdp_low", "variable": "country.UZB.gdp", "kind": "below", "window": [2000, 2010], "value": 1.0},
    ), trajectory)
    assert rises[0] and low[0]


def test_margins_measure_how_far_a_statistic_lies_from_its_threshold():
    trajectory = trajectory_from_table(_table({1: FLAT_LOW, 2: RISING}))
    patterns = _patterns(
        {"id": "low", "kind": "below", "window": [2000, 2004], "value": 0.2},
        {"id": "rises", "kind": "rises", "window": [2007, 2010], "reference": [2000, 2004], "tolerance": 0.3},
        {"id": "every", "kind": "below", "window": [2000, 2010], "value": 0.5, "every_year": True},
    )
    statistic = statistics(patterns, trajectory)
    margin = margins(patterns, statistic)
    # The margin is signed distance past the threshold over the pattern's unit, and it is
    # positive exactly where the pattern holds.
    np.testing.assert_array_equal(margin > 0, check_all(patterns, trajectory))
    low, rises, _ = patterns.patterns
    assert low.unit == 0.2 and rises.unit == 0.3
    np.testing.assert_allclose(margin[0], (0.2 - statistic[0]) / 0.2)
    np.testing.assert_allclose(margin[1], (statistic[1] - 0.3) / 0.3)
    # every_year: the statistic is the worst year.
    values = VariableRef.parse("dyad.KGZ-UZB.border_openness").values(trajectory)
    np.testing.assert_allclose(statistic[2], values.max(axis=0))


def test_distance_shares_say_which_patterns_the_runs_miss_and_by_how_much():
    """Seed 1 misses ``high`` by 0.8 of its threshold (0.1 against 0.5), seed 2 holds both;
    ``low`` holds in both, so ``high`` makes up the whole distance; weights scale a share."""
    from sim.inference.summaries import PatternDistance, recorded_distance

    trajectory = trajectory_from_table(_table({1: FLAT_LOW, 2: RISING}))
    patterns = _patterns({"id": "low", "kind": "below", "window": [2000, 2004], "value": 0.2},
                         {"id": "high", "kind": "above", "window": [2007, 2010], "value": 0.5},
                         {"id": "late_low", "kind": "below", "window": [2007, 2010], "value": 0.5})
    stats = statistics(patterns, trajectory).T
    distance = recorded_distance(patterns, {"patterns_used": ["low", "high"], "pattern_weights": {"low": 1.0, "high": 0.5}})
    np.testing.assert_allclose(distance.shares(stats), [0.0, 1.0])
    np.testing.assert_allclose(distance.gaps(stats)[:, 1], [0.8, 0.0])
    # high (weight 0.5, gap 0.8 in seed 1) against late_low (weight 1, gap 0.8 in seed 2): one to two
    both = PatternDistance(patterns, np.array([1, 2]), np.array([0.5, 1.0]), np.ones(2, dtype=bool))
    np.testing.assert_allclose(both.shares(stats), [1 / 3, 2 / 3])
    # runs that hold every pattern in use: no share for any
    np.testing.assert_array_equal(distance.shares(stats[1:]), [0.0, 0.0])
    # a run without a statistic is left out of that pattern's share, not counted as a huge miss
    missing = stats.copy()
    missing[1, 0] = np.nan
    np.testing.assert_allclose(distance.shares(missing), [0.0, 1.0])
    # no calibration behind the parameters, or a pattern it used is gone: no distance
    assert recorded_distance(patterns, {}) is None
    assert recorded_distance(patterns, {"patterns_used": ["gone"], "pattern_weights": {"gone": 1.0}}) is None


def test_a_pattern_without_tolerance_or_value_needs_a_scale():
    with pytest.raises(ValueError, match="give scale"):
        _patterns({"id": "rises", "kind": "rises", "window": [2007, 2010], "reference": [2000, 2004]})


def test_a_pattern_outside_the_run_is_an_error():
    trajectory = trajectory_from_table(_table({1: FLAT_LOW}))
    with pytest.raises(ValueError, match="needs 2000-2015"):
        check_all(_patterns({"id": "late", "kind": "below", "window": [2000, 2015], "value": 1.0}), trajectory)


def test_score_table_counts_pass_rates_and_samples():
    patterns = _patterns(
        {"id": "early", "kind": "below", "window": [2000, 2004], "value": 0.2},
        {"id": "late", "kind": "above", "window": [2017, 2020], "value": 0.5},
    )
    passed = np.array([[True, True, True, False, True], [False, False, True, False, False]])
    table = score_table(patterns, passed).set_index("pattern")
    assert table.loc["early", "pass_rate"] == pytest.approx(0.8) and table.loc["early", "reproduced"]
    assert table.loc["late", "pass_rate"] == pytest.approx(0.2) and not table.loc["late", "reproduced"]
    assert table.loc["early", "sample"] == "in-sample" and table.loc["late", "sample"] == "out-of-sample"
    assert (table["replicates"] == 5).all()


def test_the_shipped_patterns_cover_every_blocking_factor():
    patterns = load_patterns()
    assert len(patterns.patterns) >= 20
    factors = {p.factor for p in patterns.patterns}
    assert {"water", "territory", "economy", "leaders_trust", "institutions"} <= factors
    assert all(p.source.strip() for p in patterns.patterns)
    in_sample = [p for p in patterns.patterns if patterns.in_sample(p)]
    assert 0 < len(in_sample) < len(patterns.patterns)
    assert any("opening" in p.tags for p in patterns.patterns)


@pytest.mark.parametrize("body, field", [
    ('[[patterns]]\nid = "x"\nfactor = "weather"\n', "patterns[0].factor"),
    (('[[patterns]]\nid = "x"\nfactor = "water"\nstatement = "s"\nvariable = "region.nope"\nkind = "below"\n'
     'window = [2000, 2001]\nvalue = 1\nsource = "s"\n'), "patterns[0].variable"),
    (('[[patterns]]\nid = "x"\nfactor = "water"\nstatement = "s"\nvariable = "region.trust"\nkind = "rises"\n'
     'window = [2000, 2001]\nsource = "s"\n'), "needs reference"),
    (('[[patterns]]\nid = "x"\nfactor = "water"\nstatement = "s"\nvariable = "region.trust"\nkind = "below"\n'
     'window = [2000, 2001]\nvalue = 1\nsource = "s"\ncolour = "red"\n'), "patterns[0].colour: unknown key"),
])
def test_a_bad_patterns_file_is_one_line_naming_the_field(tmp_path, body, field):
    path = tmp_path / "patterns.toml"
    path.write_text(body)
    with pytest.raises(PatternError) as info:
        load_patterns(path)
    message = str(info.value)
    assert len(message.splitlines()) == 1 and message.startswith(str(path)) and field in message
