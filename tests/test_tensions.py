"""Pass rates by posterior draw (``sim/inference/tensions.py``, ``casim tensions``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.inference.tensions import by_pattern, chance_ceiling, draw_plan, tension_pairs
from sim.inputs.posterior import parameter_source


def _rates(rows: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=[f"{k}:{k}" for k in range(len(next(iter(rows.values()))))]).T


def test_two_failing_patterns_held_by_different_draws_are_a_pair_in_tension():
    rates = _rates({
        "floor": [1.0, 1.0, 0.9, 0.1, 0.0, 0.0],
        "ceiling": [0.0, 0.1, 0.2, 1.0, 0.9, 1.0],
        "unrelated": [0.5, 0.6, 0.5, 0.6, 0.5, 0.6],
        "always_held": [1.0, 1.0, 1.0, 0.9, 1.0, 1.0],
        "never_held": [0.0] * 6,
    })
    pairs = tension_pairs(rates)
    assert list(zip(pairs["pattern_a"], pairs["pattern_b"])) == [("floor", "ceiling")]
    assert pairs["correlation"].iloc[0] < -0.8 and pairs["draws_holding_both"].iloc[0] == 0.0


def test_by_pattern_gives_the_best_draw_and_the_share_of_draws_holding_it():
    rates = _rates({"a": [1.0, 0.85, 0.2, 0.0], "b": [0.0, 0.9, 0.9, 0.9]})
    table = by_pattern(rates).set_index("pattern")
    np.testing.assert_allclose(table["pass_rate"], [0.5125, 0.675])
    np.testing.assert_allclose(table["best_draw_pass_rate"], [1.0, 0.9])
    np.testing.assert_allclose(table["share_of_draws_holding"], [0.5, 0.75])
    # draw 1 holds both patterns, more than any other
    np.testing.assert_allclose(table["in_the_draw_holding_most"], [0.85, 0.9])


def test_the_chance_ceiling_counts_what_a_draw_reproduces_of_its_own_runs():
    """Draw 0: pattern a holds in all five runs, b in four. With a run where b holds as the
    record, b holds in 3 of the 4 other runs (below 0.8): 1 of 2 reproduced; with the run
    where b fails as the record, a alone is in it and reproduced. Mean (4 x 0.5 + 1) / 5.
    Draw 1: both hold in every run, so every record is reproduced in full."""
    held = np.array([[1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                     [1, 1, 0, 1, 1, 1, 1, 1, 1, 1]], dtype=bool)
    np.testing.assert_allclose(chance_ceiling(held, runs_per_draw=5), [0.6, 1.0])
    with pytest.raises(ValueError, match="runs_per_draw"):
        chance_ceiling(held, runs_per_draw=1)


def test_each_draw_runs_several_times_and_each_run_draws_its_own_dispositions():
    runs = draw_plan(parameter_source("posterior"), draws=5, runs_per_draw=4, seed=3)
    assert len(runs.seeds) == 20 and len(set(runs.seeds)) == 20
    assert np.array_equal(runs.disposition_keys, runs.seeds)
    assert all(len(set(runs.draws[k * 4:(k + 1) * 4])) == 1 for k in range(5))
    for values in runs.parameters.values():
        assert all(len(set(values[k * 4:(k + 1) * 4])) == 1 for k in range(5))


def test_casim_tensions_writes_its_tables_figure_and_manifest(tmp_path, capsys):
    out = tmp_path / "tensions"
    assert main(["tensions", "--draws", "4", "--runs-per-draw", "3", "--seed", "5", "--out", str(out)]) == 0
    rates = pd.read_csv(out / "by_draw.csv")
    assert rates.shape == (57, 5)  # the pattern column and one per draw
    assert ((rates.drop(columns="pattern") * 3).round(9) % 1 == 0).all().all()  # shares of three runs
    patterns = pd.read_csv(out / "patterns.csv")
    assert (patterns["best_draw_pass_rate"] >= patterns["pass_rate"] - 1e-12).all()
    record = json.loads((out / "manifest.json").read_text())
    assert record["status"] == "complete" and record["runs"] == 12
    ceiling = record["chance_ceiling"]
    assert 0.0 <= ceiling["p10"] <= ceiling["median"] <= ceiling["p90"] <= 1.0
    assert record["held_by_the_best_draw"] >= record["held_by_the_median_draw"]
    assert (out / "figures" / "tensions.png").is_file()
    assert "best draw holds" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "casim tensions: baseline" in page and "the draw that holds the most patterns" in page.lower()
    assert f"{ceiling['median']:.0%} of the patterns that hold in that record" in page


def test_casim_tensions_needs_a_posterior(tmp_path, capsys):
    out = tmp_path / "tensions"
    assert main(["tensions", "--parameters", "point", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--parameters" in err and "posterior" in err
    assert not out.exists()


def test_casim_tensions_refuses_more_runs_than_a_batch_allows(tmp_path, capsys):
    out = tmp_path / "tensions"
    assert main(["tensions", "--draws", "10000", "--runs-per-draw", "1000", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--draws" in err and "--runs-per-draw" in err and "at most" in err
    assert not out.exists()


def test_a_posterior_with_a_repeated_draw_id_is_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "posterior.csv"
    pd.DataFrame({"draw": [5, 5], "weight": [0.5, 0.5], "trust_initial": [0.2, 0.4]}).to_csv(path, index=False)
    out = tmp_path / "tensions"
    assert main(["tensions", "--parameters", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and "draw" in err and "unique" in err
    assert not out.exists()
