"""The ABC-SMC sampler on toy problems with a known posterior."""

import dataclasses
import itertools

import numpy as np
import pytest

from sim.inference.abc_smc import Result, Sampler, Settings, weighted_quantile

N_OBS = 10  # observations of a normal mean with unit variance: the sample mean has sd 1/sqrt(10)


def _mean_model(theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Sample means of N_OBS draws from N(theta, 1), one per parameter set (B, d)."""
    rng = np.random.default_rng(seeds[0] & 0xFFFFFFFF)
    return theta + rng.standard_normal(theta.shape) / np.sqrt(N_OBS)


def _sampler(observed: np.ndarray, settings: Settings, dims: int = 1) -> Sampler:
    def distance(summaries):
        return np.sqrt(((summaries - observed) ** 2).sum(axis=1))

    return Sampler(np.full(dims, -10.0), np.full(dims, 10.0), _mean_model, distance, settings)


def _weighted_mean_sd(generation):
    mean = np.average(generation.sample.theta, axis=0, weights=generation.weights)
    sd = np.sqrt(np.average((generation.sample.theta - mean) ** 2, axis=0, weights=generation.weights))
    return mean, sd


def test_recovers_the_posterior_of_a_normal_mean():
    # A flat prior on [-10, 10] and a normal likelihood: the posterior is N(mean, 1/N_OBS).
    observed = np.array([1.3, -0.4])
    settings = Settings(population=1000, prior_draws=10000, block=5000, max_generations=12, seed=3)
    result = _sampler(observed, settings, dims=2).run()
    mean, sd = _weighted_mean_sd(result.posterior)
    np.testing.assert_allclose(mean, observed, atol=0.06)
    np.testing.assert_allclose(sd, 1 / np.sqrt(N_OBS), rtol=0.15)
    epsilons = [g.epsilon for g in result.generations if not g.sweep]
    assert all(b < a for a, b in itertools.pairwise(epsilons))
    assert result.posterior.sweep and result.posterior.epsilon == epsilons[-1]
    assert result.posterior.weights.sum() == pytest.approx(1.0) and result.stopped


def test_credible_intervals_cover_the_truth_as_often_as_they_claim():
    # Simulation-based calibration (Talts et al. 2018): truths from the prior, one data set
    # each; the 50% and 90% central intervals should cover the truth that often.
    rng = np.random.default_rng(0)
    settings = Settings(population=300, prior_draws=3000, block=3000, max_generations=8)
    covered = {0.5: [], 0.9: []}
    for k in range(120):
        truth = rng.uniform(-8, 8, size=1)
        observed = _mean_model(truth[None], np.array([k + 1]))[0]
        posterior = _sampler(observed, Settings(**{**settings.__dict__, "seed": k})).run().posterior
        theta = posterior.sample.theta[:, 0]
        for level, hits in covered.items():
            low = weighted_quantile(theta, posterior.weights, (1 - level) / 2)
            high = weighted_quantile(theta, posterior.weights, (1 + level) / 2)
            hits.append(low <= truth[0] <= high)
    for level, hits in covered.items():
        assert abs(np.mean(hits) - level) <= 0.10, f"{level:.0%} intervals cover {np.mean(hits):.0%} of 120 truths"


def test_same_seed_same_result_and_resuming_changes_nothing():
    observed = np.array([0.5])
    settings = Settings(population=200, prior_draws=2000, block=1000, max_generations=5, seed=9)
    whole = _sampler(observed, settings).run()
    again = _sampler(observed, settings).run()
    np.testing.assert_array_equal(whole.posterior.sample.theta, again.posterior.sample.theta)
    # Stop after generation 2 (as a killed run would), then resume from what was saved.
    partial = Result(whole.prior, whole.prior_distances, whole.generations[:2])
    resumed = _sampler(observed, settings).run(partial)
    np.testing.assert_array_equal(resumed.posterior.sample.theta, whole.posterior.sample.theta)
    np.testing.assert_array_equal(resumed.posterior.weights, whole.posterior.weights)


def test_stops_when_acceptance_would_fall_too_low():
    # A model whose distance never falls below 1 for most draws: the sampler stops with a reason.
    def distance(summaries):
        return 1.0 + np.abs(summaries[:, 0])

    sampler = Sampler(np.array([-1.0]), np.array([1.0]), lambda theta, seeds: theta, distance,
                      Settings(population=100, prior_draws=1000, block=500, min_acceptance=0.2, seed=1))
    result = sampler.run()
    assert result.stopped
    assert all(np.all(g.distances <= g.epsilon) for g in result.generations)


def test_patience_stops_only_after_that_many_low_generations_in_a_row():
    # One generation's dip below min_acceptance ends the sampler at patience 1; at patience 2 it
    # goes on, and stops after the second low generation in a row.
    observed = np.array([0.5])
    settings = Settings(population=200, prior_draws=2000, block=1000, max_generations=8, seed=3)
    generations = _sampler(observed, settings).run().generations[:3]
    low, high = dataclasses.replace(generations[1], acceptance=0.005), generations[2]
    dip = [generations[0], low]
    stop, why = _sampler(observed, settings).next_generation(dip, 0)
    assert stop is None and "below min_acceptance" in why
    patient = Settings(**{**settings.__dict__, "patience": 2})
    going_on, why = _sampler(observed, patient).next_generation(dip, 0)
    assert going_on is not None and going_on.index == 3 and why == ""
    recovered = [generations[0], low, dataclasses.replace(high, acceptance=0.5)]
    assert _sampler(observed, patient).next_generation(recovered, 0)[0] is not None
    two_low = [generations[0], low, dataclasses.replace(high, acceptance=0.004)]
    stop, why = _sampler(observed, patient).next_generation(two_low, 0)
    assert stop is None and "generation 3" in why


def test_closing_sweep_moves_the_last_generation_at_its_tolerance():
    observed = np.array([0.5, -0.2])
    settings = Settings(population=300, prior_draws=3000, block=3000, max_generations=6, seed=4)
    result = _sampler(observed, settings, dims=2).run()
    sweep, last = result.generations[-1], result.generations[-2]
    assert sweep.sweep and not last.sweep and result.stopped
    assert sweep.epsilon == last.epsilon and np.all(sweep.distances <= sweep.epsilon)
    assert sweep.unique > last.unique  # copies of resampled particles are moved apart
    # Without the sweep the last generation is the posterior, and the generations before are the same.
    without = _sampler(observed, Settings(**{**settings.__dict__, "sweep_share": 0.0}), dims=2).run()
    assert not without.posterior.sweep
    np.testing.assert_array_equal(without.posterior.sample.theta, last.sample.theta)


def test_a_finished_result_resumes_as_it_is():
    observed = np.array([0.1])
    settings = Settings(population=200, prior_draws=2000, block=1000, max_generations=4, seed=2)
    whole = _sampler(observed, settings).run()
    again = _sampler(observed, settings).run(Result(whole.prior, whole.prior_distances, list(whole.generations),
                                                    whole.stopped))
    assert len(again.generations) == len(whole.generations) and again.stopped == whole.stopped


def test_no_sweep_when_its_budget_is_less_than_one_round():
    settings = Settings(population=200, prior_draws=2000, block=1000, max_generations=3, sweep_runs=199, seed=5)
    result = _sampler(np.array([0.3]), settings).run()
    assert not result.posterior.sweep and result.stopped == "reached max_generations = 3"


def test_sweep_share_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="sweep_share"):
        Settings(sweep_share=1.5)
