"""Counter-based random numbers: a replicate's draws depend only on its own seed.

Each draw is a hash of (replicate seed, year, stream, element), so R replicates advance
together as numpy arrays while any single replicate can be rerun alone, by the Mesa model
or the ensemble engine, and get exactly the same numbers. The hash is SplitMix64
(Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators").
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_YEAR_KEY = np.uint64(0xD1B54A32D192ED03)
_STREAM_KEY = np.uint64(0xABC98388FB8FAC03)
_SEED_BITS = np.uint64((1 << 63) - 1)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def replicate_seeds(seed: int, replicates: int) -> np.ndarray:
    """Seeds for ``replicates`` replicates derived from one run seed (int64-safe)."""
    state = np.random.SeedSequence(seed).generate_state(replicates, dtype=np.uint64)
    return (state & _SEED_BITS).astype(np.int64)


class RandomStreams:
    """Uniform draws for a block of replicates, keyed by year and a named stream.

    Args:
        seeds: one integer seed per replicate, shape (R,).
    """

    def __init__(self, seeds: np.ndarray):
        self.seeds = np.asarray(seeds, dtype=np.int64).astype(np.uint64)

    def uniform(self, year: int, stream: int, shape: tuple[int, ...]) -> np.ndarray:
        """Uniform numbers in (0, 1) of shape (R, *shape) for one (year, stream)."""
        count = int(np.prod(shape)) if shape else 1
        values = self._to_unit(self._bits(year, stream, np.arange(count, dtype=np.uint64)))
        return values.reshape((len(self.seeds), *shape))

    def _bits(self, year: int, stream: int, counters: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            key = _splitmix64(
                self.seeds ^ (np.uint64(year) * _YEAR_KEY) ^ (np.uint64(stream + 1) * _STREAM_KEY)
            )
            return _splitmix64(key[:, None] + counters[None, :] * _GOLDEN)

    @staticmethod
    def _to_unit(bits: np.ndarray) -> np.ndarray:
        # 53 high bits give a double in [0, 1); the half-step keeps it off 0.
        return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)

    def uniform_at(self, stream: int, elements: np.ndarray) -> np.ndarray:
        """Uniform numbers in (0, 1) of shape (R, len(elements)) for named elements of a stream.

        Unlike :meth:`uniform`, the counter is a caller-given 63-bit element id (say, a hash
        of a leader's name), so adding or removing one element shifts no other's draw. The
        draw does not depend on the year.
        """
        return self._to_unit(self._bits(0, stream, np.asarray(elements, dtype=np.uint64)))

    def normal(self, year: int, stream: int, shape: tuple[int, ...]) -> np.ndarray:
        """Standard normal numbers by the Box-Muller transform."""
        u = self.uniform(year, stream, (2, *shape))
        return np.sqrt(-2.0 * np.log(u[:, 0])) * np.cos(2.0 * np.pi * u[:, 1])

    def poisson(self, year: int, stream: int, mean: np.ndarray, max_count: int = 200) -> np.ndarray:
        """Poisson counts with the given means (R, ...) by inversion of the CDF."""
        mean = np.asarray(mean, dtype=float)
        u = self.uniform(year, stream, mean.shape[1:]).reshape(-1)
        flat_mean = mean.reshape(-1)
        count = np.zeros(flat_mean.shape)
        # Only the elements whose count is still open are carried from one k to the next, so a
        # few large means do not cost a pass over every element; each element sees the same
        # arithmetic in the same order as a pass over all of them would give it.
        probability = np.exp(-flat_mean)
        cumulative = probability.copy()
        open_ = np.flatnonzero(u > cumulative)
        probability, cumulative, open_mean, open_u = probability[open_], cumulative[open_], flat_mean[open_], u[open_]
        for k in range(1, max_count + 1):
            if open_.size == 0:
                break
            count[open_] += 1.0
            probability = probability * open_mean / k
            cumulative = cumulative + probability
            still = open_u > cumulative
            open_, probability, cumulative = open_[still], probability[still], cumulative[still]
            open_mean, open_u = open_mean[still], open_u[still]
        return count.reshape(mean.shape)
