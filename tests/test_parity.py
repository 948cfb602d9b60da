"""The Mesa model and the ensemble engine give the same trajectory for the same seed."""

from __future__ import annotations

import inspect
import warnings

import mesa
import numpy as np
import pytest

import sim
from sim.inputs.geography import STATES
from sim.inputs.randomness import replicate_seeds
from sim.inputs.scenario import load_scenario
from sim.model.engine import simulate

SEEDS = (1, 20240611)
REGION = ("integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop", "trust",
          "political", "conflict_incidents", "clashes", "water_shortfall", "energy_deficit", "summit")


def _run_model(seed, **parameters):
    model = sim.CentralAsia(scenario="baseline", rng=seed, **parameters)
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="module", params=SEEDS)
def pair(request):
    seed = request.param
    model = _run_model(seed)
    trajectory = simulate(load_scenario("baseline"), np.array([seed]))
    return seed, model, trajectory


def test_model_steps_to_the_scenario_end(pair):
    _, model, trajectory = pair
    scenario = load_scenario("baseline")
    assert model.year == scenario.end_year
    assert not model.running
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["year"].tolist() == list(trajectory.years)


def test_integration_index_identical_to_engine(pair):
    _, model, trajectory = pair
    frame = model.datacollector.get_model_vars_dataframe()
    mesa_series = frame["integration_index"].to_numpy()
    engine_series = trajectory.series["region"]["integration_index"][:, 0]
    assert mesa_series.shape == engine_series.shape
    assert np.array_equal(mesa_series, engine_series)
    assert np.max(np.abs(mesa_series - engine_series)) == 0.0


@pytest.mark.parametrize("variable", REGION)
def test_every_region_variable_identical_to_engine(pair, variable):
    _, model, trajectory = pair
    frame = model.datacollector.get_model_vars_dataframe()
    np.testing.assert_array_equal(frame[variable].to_numpy(), trajectory.series["region"][variable][:, 0])


def test_model_equals_its_replicate_inside_a_block():
    """The table's seed and draw columns are the model's rng and draw, and a replicate inside
    a block of replicates (over the posterior) gives exactly what the model gives alone."""
    table = sim.run("baseline", replicates=3, seed=9)
    rows = table[(table["replicate"] == 1) & (table["scope"] == "region")]
    model = _run_model(int(rows["seed"].iloc[0]), draw=int(rows["draw"].iloc[0]))
    frame = model.datacollector.get_model_vars_dataframe()
    for variable in REGION:
        values = rows[rows["variable"] == variable].sort_values("year")["value"].to_numpy()
        np.testing.assert_array_equal(frame[variable].to_numpy(), values, err_msg=variable)


def test_state_agents_read_the_world_arrays(pair):
    _, model, _ = pair
    world = model.world
    uzb, kgz = STATES.index("UZB"), STATES.index("KGZ")
    states = model.states
    assert set(states) == set(STATES)
    assert all(isinstance(agent, sim.State) for agent in states.values())
    assert states["UZB"].border_openness["KGZ"] == world.border_openness[0, uzb, kgz]
    assert states["KGZ"].border_openness["UZB"] == world.border_openness[0, kgz, uzb]
    for code, agent in states.items():
        k = STATES.index(code)
        assert agent.water_shortfall == world.water_shortfall[0, k]
        assert agent.energy_deficit == world.energy_deficit[0, k]
        assert agent.gdp_busd == world.gdp_busd[0, k]
        for other, value in agent.trust.items():
            assert value == world.trust[0, k, STATES.index(other)]
        for other, value in agent.delimited_share.items():
            assert value == world.delimited[0, k, STATES.index(other)]
        for other, value in agent.clashes.items():
            assert value == world.clashes[0, k, STATES.index(other)]
        for other, value in agent.threat_perception.items():
            assert value == world.securitisation[0, k, STATES.index(other)]
        for other, value in agent.alarm.items():
            assert value == world.alarm[0, k, STATES.index(other)]
        assert set(agent.border_openness) == {STATES[j] for j in np.flatnonzero(model.geography.adjacent[k])}
    # Reservoirs: the upstream states hold Toktogul (KGZ) and Nurek (TJK).
    assert states["KGZ"].reservoir_storage_km3 == world.storage_km3[0, 0]
    assert states["TJK"].reservoir_storage_km3 == world.storage_km3[0, 1]
    assert states["UZB"].reservoir_storage_km3 == 0.0
    assert states["KGZ"].basin_position["syr"] == "upstream"
    assert states["UZB"].basin_position["syr"] == "downstream"


def test_agent_views_follow_the_world_after_a_step():
    model = sim.CentralAsia(scenario="baseline", rng=3)
    model.step()
    before = model.states["UZB"].trust["KGZ"]
    model.step()
    after = model.states["UZB"].trust["KGZ"]
    assert after == model.world.trust[0, STATES.index("UZB"), STATES.index("KGZ")]
    assert model.year == 1992
    assert np.isfinite(before) and np.isfinite(after)


def _batch_run(parameters: dict, seeds: list[int]) -> list[dict]:
    kwargs = {}
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa >= 3.4
        kwargs["rng"] = seeds
    else:  # Mesa 3.3: seeds go in as a model parameter
        parameters = {**parameters, "rng": seeds}
    return mesa.batch_run(
        sim.CentralAsia, parameters=parameters, max_steps=70, number_processes=1, display_progress=False, **kwargs
    )


def test_batch_run_works():
    seeds = [1, 2]
    results = _batch_run({"scenario": "baseline", "trust_learning_rate": [0.2, 0.3]}, seeds)
    assert len(results) == 4
    combinations = {(row["rng"], row["trust_learning_rate"]) for row in results}
    assert combinations == {(s, t) for s in seeds for t in (0.2, 0.3)}
    scenario = load_scenario("baseline")
    for row in results:
        value = row["integration_index"]
        assert np.isfinite(value) and 0.0 <= value <= 1.0
        # The value batch_run reports is the engine's for that seed, parameter and year.
        engine = simulate(scenario, np.array([row["rng"]]), {"trust_learning_rate": row["trust_learning_rate"]})
        assert value == engine.series["region"]["integration_index"][row["year"] - scenario.start_year, 0]


def test_many_replicates_same_distribution_as_mesa():
    """Mesa models stepped by batch_run and one engine block: the same distribution of outcomes.

    With the same seeds the samples are identical; with other seeds (a second sample of the
    same model) a two-sample Kolmogorov-Smirnov test does not tell them apart.
    """
    from scipy.stats import ks_2samp

    scenario = load_scenario("baseline")
    seeds = replicate_seeds(7, 24).tolist()
    rows = _batch_run({"scenario": "baseline"}, seeds)
    final = scenario.end_year - scenario.start_year  # batch_run reports the last step by default
    mesa_final = np.array([row["integration_index"] for row in rows if row["year"] == scenario.end_year])
    engine_final = simulate(scenario, np.array(seeds)).series["region"]["integration_index"][final]
    np.testing.assert_array_equal(np.sort(mesa_final), np.sort(engine_final))
    other = simulate(scenario, replicate_seeds(8, 200)).series["region"]["integration_index"][final]
    assert ks_2samp(mesa_final, other).pvalue > 0.01


def test_parameter_overrides_reach_the_model():
    slow = sim.CentralAsia(scenario="baseline", rng=1, trust_learning_rate=0.0)
    assert slow.params.trust_learning_rate == 0.0
    with pytest.raises(TypeError, match="unknown parameter"):
        sim.CentralAsia(scenario="baseline", rng=1, no_such_parameter=1.0)


def test_running_the_model_emits_no_deprecation_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        model = sim.CentralAsia(scenario="baseline", rng=5)
        model.run_model()
        frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == load_scenario("baseline").end_year - 1991 + 1
    assert frame["integration_index"].notna().all()
