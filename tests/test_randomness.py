"""Counter-based random streams (``sim/inputs/randomness.py``): the Poisson draw."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.inputs.randomness import RandomStreams


def _inversion_over_every_element(u: np.ndarray, mean: np.ndarray, max_count: int = 200) -> np.ndarray:
    """The textbook inversion of the Poisson CDF, one pass over all elements per count."""
    probability = np.exp(-mean)
    cumulative = probability.copy()
    count = np.zeros(mean.shape)
    for k in range(1, max_count + 1):
        below = u > cumulative
        if not below.any():
            break
        count += below
        probability = probability * mean / k
        cumulative = cumulative + probability
    return count


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**62), year=st.integers(1991, 2050),
       mean=arrays(float, (3, 4, 5), elements=st.floats(0.0, 60.0)))
def test_poisson_counts_equal_the_inversion_over_every_element(seed, year, mean):
    """Carrying only the open counts changes no draw (bit for bit)."""
    streams = RandomStreams(np.array([seed, seed + 1, seed + 2]))
    u = streams.uniform(year, 7, mean.shape[1:])
    np.testing.assert_array_equal(streams.poisson(year, 7, mean), _inversion_over_every_element(u, mean))


def test_poisson_counts_have_the_mean_and_variance_of_their_rate():
    streams = RandomStreams(np.arange(20_000))
    for rate in (0.3, 4.0, 25.0):
        counts = streams.poisson(2000, 3, np.full((20_000, 1), rate))
        assert abs(counts.mean() - rate) < 4 * np.sqrt(rate / 20_000)
        assert abs(counts.var() / rate - 1.0) < 0.05
