"""The function interface for exploratory-modelling tools (``sim.api``)."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import sim
from sim.api import SCALAR_OUTCOMES, SERIES_OUTCOMES, ema_model, evaluate
from sim.inputs.parameters import parameter_specs
from sim.inputs.scenario import load_scenario

BASELINE_YEARS = np.arange(1991, 2051)


@pytest.fixture(scope="module")
def outcomes():
    """``evaluate()`` with every default."""
    return evaluate()


def _region_series(table, variable: str) -> np.ndarray:
    """A region variable from the tidy table, as years x replicates."""
    rows = table[(table["scope"] == "region") & (table["variable"] == variable)]
    return rows.pivot(index="year", columns="replicate", values="value").to_numpy()


def test_defaults_give_every_outcome(outcomes):
    assert set(outcomes) == {*SCALAR_OUTCOMES, "years", *SERIES_OUTCOMES}
    np.testing.assert_array_equal(outcomes["years"], BASELINE_YEARS)
    for name in SCALAR_OUTCOMES:
        assert isinstance(outcomes[name], float), name
        assert 0.0 <= outcomes[name] <= 1.0, name  # every scalar outcome is an index or a share
    for name in SERIES_OUTCOMES:
        series = outcomes[name]
        assert series.shape == BASELINE_YEARS.shape, name
        assert np.all((series >= 0.0) & (series <= 1.0)), name


def test_same_arguments_same_outcomes(outcomes):
    again = evaluate()
    for name, value in outcomes.items():
        np.testing.assert_array_equal(again[name], value, err_msg=name)


def test_a_stronger_open_border_bias_opens_borders():
    closed = evaluate(border_open_bias=0.0)
    opened = evaluate(border_open_bias=0.6)
    assert opened["border_openness"].mean() > closed["border_openness"].mean()
    assert opened["kgz_uzb_border_openness_2019_2024"] > closed["kgz_uzb_border_openness_2019_2024"]


def test_one_replicate_is_the_engine_run_for_that_seed():
    table = sim.run("baseline", replicates=1, seed=7)
    np.testing.assert_array_equal(evaluate(seed=7)["integration_index"],
                                  _region_series(table, "integration_index")[:, 0])


def test_outcomes_are_means_over_replicates():
    table = sim.run("baseline", replicates=3, seed=4)
    outcomes = evaluate(seed=4, replicates=3)
    np.testing.assert_allclose(outcomes["trade_share"], _region_series(table, "trade_share").mean(axis=1), rtol=1e-12)
    last_index = _region_series(table, "integration_index")[-1]
    assert outcomes["integration_index_2050"] == pytest.approx(last_index.mean(), rel=1e-12)


def test_outcomes_after_a_short_scenario_end_are_nan(short_scenario_path):
    outcomes = evaluate(scenario=short_scenario_path)
    end_year = load_scenario(short_scenario_path).end_year
    np.testing.assert_array_equal(outcomes["years"], np.arange(1991, end_year + 1))
    for name in SERIES_OUTCOMES:
        assert len(outcomes[name]) == len(outcomes["years"]), name
    for name, summary in SCALAR_OUTCOMES.items():
        assert np.isnan(outcomes[name]) == (summary.window[1] > end_year), name


def test_unknown_parameter_is_named_with_the_allowed_ones():
    with pytest.raises(TypeError, match="unknown parameter.*no_such_parameter; allowed: .*trust_learning_rate") as info:
        evaluate(no_such_parameter=1.0)
    assert "\n" not in str(info.value)


def test_value_outside_its_range_is_refused():
    with pytest.raises(ValueError, match=r"border_open_bias=1.5 outside its range \[-1.0, 1.0\]"):
        evaluate(border_open_bias=1.5)
    with pytest.raises(ValueError, match="replicates = 0"):
        evaluate(replicates=0)


def test_ema_model_without_the_workbench_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install casim\[analysis\]"):
        ema_model()


@pytest.fixture(scope="module")
def ema_workbench():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed")
        return pytest.importorskip("ema_workbench")


def test_ema_workbench_runs_the_model(ema_workbench):
    uncertain = ["trust_learning_rate", "border_open_bias"]
    model = ema_model(uncertain)
    experiments, outcomes = ema_workbench.perform_experiments(
        model, scenarios=4, evaluator=ema_workbench.SequentialEvaluator(model)
    )
    assert len(experiments) == 4
    specs = parameter_specs()
    for name in uncertain:
        assert experiments[name].between(specs[name].min, specs[name].max).all(), name
    assert set(outcomes) == {*SCALAR_OUTCOMES, "TIME", *SERIES_OUTCOMES}
    for name in SCALAR_OUTCOMES:
        assert outcomes[name].shape == (4,), name
    for name in ("TIME", *SERIES_OUTCOMES):
        assert outcomes[name].shape == (4, len(BASELINE_YEARS)), name
    assert all(np.isfinite(values).all() for values in outcomes.values())
    np.testing.assert_array_equal(outcomes["TIME"][0], BASELINE_YEARS)


def test_ema_model_refuses_an_unknown_parameter(ema_workbench):
    with pytest.raises(ValueError, match="unknown parameter.*no_such_parameter"):
        ema_model(["trust_learning_rate", "no_such_parameter"])
