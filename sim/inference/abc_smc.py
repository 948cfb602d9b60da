"""Sequential Monte Carlo ABC that simulates each population as whole blocks of runs.

The replenishment ABC-SMC of Drovandi and Pettitt (2011), an adaptive sequential Monte Carlo
sampler in the sense of Del Moral, Doucet and Jasra (2012):

1. Generation 0 is a sample of the prior (a Latin hypercube); the ``population`` draws
   nearest the data form generation 1, each with the same weight (rejection ABC).
2. Generation t's tolerance is the ``quantile`` of generation t-1's distances. The particles
   within it are kept; as many as were dropped are resampled from the kept ones and moved by
   ABC Markov chain Monte Carlo (Marjoram et al. 2003): a random-walk proposal, reflected at
   the prior's bounds, is simulated and accepted when its distance is within the tolerance.
   Rounds of moves go on until 95% of these particles have moved at least once (or the
   generation's run budget, their number over ``min_acceptance``, is spent). The population
   then targets the ABC posterior at the new tolerance with equal weights, so the weights
   never degenerate, as importance weights do in tens of dimensions.
3. It stops when the tolerance reaches ``target_epsilon``, when it cannot fall (the
   population's distances are tied), after ``patience`` generations in a row whose moves'
   acceptance rate fell below ``min_acceptance`` (one such generation can be a dip the next
   recovers from), after ``max_generations``, or when the next generation could exceed
   ``max_runs`` in all.
4. A closing sweep moves every particle of the last generation, kept and replenished alike,
   by rounds of the same ABC-MCMC at its tolerance, until ``sweep_share`` of them have moved
   at least once or it has spent ``sweep_runs`` runs (a budget of its own: ``max_runs``
   caps the generations): the move step of Del Moral et al. (2012), applied to the whole
   population. Each generation moves only the particles it replenished, so copies of
   resampled particles that never moved (most of them late, when few moves are accepted)
   pile up over the generations; the sweep leaves the target, the ABC posterior at the last
   tolerance, unchanged and removes most of those copies. Its population is the posterior.

The step of the random walk is a scale times each parameter's spread over the kept
particles, in coordinates scaled to the prior's box, one coordinate at a time, so that the
reflected proposal is symmetric and the Metropolis-Hastings ratio for a uniform prior is
the indicator of the tolerance. The scale adapts as in Fearnhead and Taylor (2013): the
first round of moves tries four scales around the last generation's, and the rest use,
among those accepted at least half as often as the best, the one with the largest expected
squared jump (acceptance times squared step). A stochastic model accepts a move only as
often as chance and the dispositions allow, even a tiny one, so a rule that shrank the step
toward a target acceptance rate would stop the particles from moving at all.

The model is a black box ``simulate(theta, seeds) -> summaries`` over a block of parameter
sets (B, k) and run seeds (B,), and ``distance(summaries) -> (B,)``: the ensemble engine runs
a block of thousands of parameter sets at once, which a sampler that proposes one particle at
a time cannot use (docs/ODD.md, Section 7.8). Every random number comes from the settings'
seed, the generation and the round, so a run is reproducible and resumes identically from any
finished generation.

References:
    Drovandi, C.C., Pettitt, A.N. (2011) Estimation of parameters for macroparasite
    population evolution using approximate Bayesian computation. Biometrics 67(1), 225-233.
    Del Moral, P., Doucet, A., Jasra, A. (2012) An adaptive sequential Monte Carlo method
    for approximate Bayesian computation. Statistics and Computing 22(5), 1009-1020.
    Marjoram, P., Molitor, J., Plagnol, V., Tavare, S. (2003) Markov chain Monte Carlo
    without likelihoods. PNAS 100(26), 15324-15328.
    Fearnhead, P., Taylor, B.M. (2013) An adaptive sequential Monte Carlo sampler.
    Bayesian Analysis 8(2), 411-438.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import qmc

Simulate = Callable[[np.ndarray, np.ndarray], np.ndarray]
Distance = Callable[[np.ndarray], np.ndarray]
_SEED_BITS = (1 << 63) - 1
_MOVED_SHARE = 0.95  # rounds of moves go on until this share of the replenished particles has moved
_TRIAL_SCALES = (0.25, 0.5, 1.0, 2.0)  # tried in the first round, as multiples of the last scale
_SCALE_LIMITS = (0.02, 3.0)
_MIN_SPREAD = 1e-3  # the step's floor, in prior-box units, for a parameter that collapsed
_SWEEP_STREAM = 10_000  # added to the sweep's index in its random streams, apart from any generation's


@dataclass(frozen=True)
class Settings:
    """How the sampler runs (see the module docstring)."""

    population: int = 2000
    prior_draws: int = 20000
    quantile: float = 0.5
    block: int = 4000
    target_epsilon: float = 0.0
    min_acceptance: float = 0.01
    patience: int = 1  # generations in a row below min_acceptance before the sampler stops
    max_generations: int = 30
    max_runs: int = 10_000_000
    scale: float = 1.0
    sweep_share: float = 0.95
    sweep_runs: int = 1_000_000  # the sweep's own budget, apart from max_runs
    seed: int = 0

    def __post_init__(self):
        if not 1 <= self.population <= self.prior_draws:
            raise ValueError(f"population = {self.population}: give 1 <= population <= prior_draws ({self.prior_draws})")
        if not 0.0 < self.quantile < 1.0:
            raise ValueError(f"quantile = {self.quantile}: give a number strictly between 0 and 1")
        if not 0.0 <= self.sweep_share <= 1.0:
            raise ValueError(f"sweep_share = {self.sweep_share}: give a number from 0 (no closing sweep) to 1")


@dataclass
class Sample:
    """Simulated parameter sets: ``theta`` (n, k), run ``seeds`` (n,), ``summaries`` (n, m)."""

    theta: np.ndarray
    seeds: np.ndarray
    summaries: np.ndarray


@dataclass
class Generation:
    """One population of accepted particles.

    Attributes:
        index: 1 for the first population (from the prior sample), then 2, 3...
        epsilon: the tolerance every particle met.
        sample: the particles, their run seeds and summaries.
        distances: each particle's distance (N,).
        weights: normalised importance weights (N,).
        runs: simulations this generation took (the prior sample's size for generation 1).
        sweep: True for the closing sweep, which moves the last generation at its tolerance.
    """

    index: int
    epsilon: float
    sample: Sample
    distances: np.ndarray
    weights: np.ndarray
    runs: int
    acceptance: float
    scale: float
    sweep: bool = False

    @property
    def unique(self) -> int:
        """Distinct particles (replenished ones that never moved are copies)."""
        return len(np.unique(self.sample.seeds))


@dataclass
class Result:
    """What a sampler run produced: the prior sample, every generation, why it stopped."""

    prior: Sample
    prior_distances: np.ndarray
    generations: list[Generation] = field(default_factory=list)
    stopped: str = ""

    @property
    def posterior(self) -> Generation:
        return self.generations[-1]

    @property
    def runs(self) -> int:
        return len(self.prior.theta) + sum(g.runs for g in self.generations[1:])


def run_seeds(seed: int, generation: int, block: int, size: int) -> np.ndarray:
    """The run seeds of one block of one generation (int64, never repeated across blocks)."""
    state = np.random.SeedSequence([seed, generation, block]).generate_state(size, dtype=np.uint64)
    return (state & np.uint64(_SEED_BITS)).astype(np.int64)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under normalised ``weights``."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][min(np.searchsorted(cumulative, q * cumulative[-1]), len(values) - 1)])


class Sampler:
    """ABC-SMC over a box of uniform priors.

    Args:
        low, high: the prior's bounds per parameter (k,), low < high.
        simulate: summaries of a block of runs, ``simulate(theta (B, k), seeds (B,)) -> (B, m)``.
        distance: distance of each run's summaries to the data, ``distance((B, m)) -> (B,)``.
        settings: see :class:`Settings`.
    """

    def __init__(self, low: np.ndarray, high: np.ndarray, simulate: Simulate, distance: Distance, settings: Settings):
        self.low, self.high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
        if np.any(self.high <= self.low):
            raise ValueError("every prior needs low < high")
        self.simulate, self.distance, self.settings = simulate, distance, settings

    # ---------------------------------------------------------------- generations

    def prior_sample(self) -> Sample:
        """Generation 0: a Latin hypercube of ``prior_draws`` points of the prior, simulated."""
        settings = self.settings
        unit = qmc.LatinHypercube(d=len(self.low), seed=np.random.default_rng([settings.seed, 0])).random(
            settings.prior_draws)
        theta = self.low + unit * (self.high - self.low)
        seeds = run_seeds(settings.seed, 0, 0, settings.prior_draws)
        return Sample(theta, seeds, self._simulate(theta, seeds))

    def _simulate(self, theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        """Summaries of ``theta`` run with ``seeds``, simulated in blocks of ``block`` runs."""
        block = self.settings.block
        return np.concatenate([self.simulate(theta[i : i + block], seeds[i : i + block])
                               for i in range(0, len(theta), block)])

    def first_generation(self, prior: Sample, distances: np.ndarray) -> Generation:
        """The ``population`` prior draws nearest the data, equally weighted."""
        n = self.settings.population
        keep = np.argsort(distances, kind="stable")[:n]
        chosen = Sample(prior.theta[keep], prior.seeds[keep], prior.summaries[keep])
        return Generation(1, float(distances[keep].max()), chosen, distances[keep], np.full(n, 1.0 / n),
                          len(distances), n / len(distances), self.settings.scale)

    def _propose(self, theta: np.ndarray, step: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random-walk step in prior-box units, reflected back into the box."""
        unit = (theta - self.low) / (self.high - self.low) + rng.standard_normal(theta.shape) * step
        unit = np.abs(unit) % 2.0
        return self.low + np.where(unit > 1.0, 2.0 - unit, unit) * (self.high - self.low)

    def _move(self, state, epsilon, step, rng, generation, round_):
        """One round of ABC-MCMC moves of every particle in ``state`` (theta, seeds,
        summaries, distances) with steps ``step`` (n, k); returns the new state and which moved."""
        theta, seeds, summaries, distances = state
        proposal = self._propose(theta, step, rng)
        proposal_seeds = run_seeds(self.settings.seed, generation, round_, len(theta))
        proposal_summaries = self._simulate(proposal, proposal_seeds)
        proposal_distances = self.distance(proposal_summaries)
        moved = proposal_distances <= epsilon
        state = (np.where(moved[:, None], proposal, theta), np.where(moved, proposal_seeds, seeds),
                 np.where(moved[:, None], proposal_summaries, summaries), np.where(moved, proposal_distances, distances))
        return state, moved

    def next_generation(self, generations: list[Generation], runs_so_far: int) -> tuple[Generation | None, str]:
        """The generation after the last of ``generations``, or None and why the sampler stops instead."""
        settings = self.settings
        previous = generations[-1]
        recent = generations[-settings.patience:]
        if previous.index >= settings.max_generations:
            return None, f"reached max_generations = {settings.max_generations}"
        if previous.epsilon <= settings.target_epsilon:
            return None, f"the tolerance reached target_epsilon = {settings.target_epsilon}"
        if len(recent) == settings.patience and all(g.index > 1 and g.acceptance < settings.min_acceptance
                                                    for g in recent):
            in_a_row = f" ({settings.patience} generations in a row)" if settings.patience > 1 else ""
            return None, (f"the moves' acceptance rate of generation {previous.index} was {previous.acceptance:.4f}, "
                          f"below min_acceptance = {settings.min_acceptance}{in_a_row}")
        epsilon = max(float(np.quantile(previous.distances, settings.quantile)), settings.target_epsilon)
        alive = previous.distances <= epsilon
        dropped = int((~alive).sum())
        if dropped == 0:
            return None, f"the tolerance cannot fall below {previous.epsilon:.4g} (the distances are tied)"
        index = previous.index + 1
        rng = np.random.default_rng([settings.seed, index])
        kept = previous.sample
        spread = np.maximum(((kept.theta[alive] - self.low) / (self.high - self.low)).std(axis=0), _MIN_SPREAD)
        parents = np.flatnonzero(alive)[rng.integers(0, int(alive.sum()), size=dropped)]
        state = (kept.theta[parents], kept.seeds[parents], kept.summaries[parents], previous.distances[parents])
        budget = settings.max_runs - runs_so_far
        if dropped > budget:
            return None, f"the next generation could exceed max_runs = {settings.max_runs}"
        limit = min(int(dropped / settings.min_acceptance), budget)
        moves = self._moves(state, epsilon, spread, previous.scale, rng, index, limit, _MOVED_SHARE, True)
        if moves is None:
            return None, f"no move was accepted at tolerance {epsilon:.4g}"
        (theta, seeds, summaries, distances), runs, accepted, scale = moves
        sample = Sample(np.concatenate([kept.theta[alive], theta]), np.concatenate([kept.seeds[alive], seeds]),
                        np.concatenate([kept.summaries[alive], summaries]))
        n = len(sample.seeds)
        return Generation(index, epsilon, sample, np.concatenate([previous.distances[alive], distances]),
                          np.full(n, 1.0 / n), runs, accepted / runs, scale), ""

    def _moves(self, state, epsilon, spread, last_scale, rng, stream, limit, share, need_a_move):
        """Rounds of ABC-MCMC moves of every particle in ``state`` at tolerance ``epsilon``.

        The first round tries the trial scales around ``last_scale`` (one per particle) and
        keeps the best for the rest (module docstring); rounds go on until ``share`` of the
        particles have moved at least once or the next round would pass ``limit`` runs.
        ``stream`` keys the run seeds (with the round).

        Returns:
            The moved state, the runs spent, the moves accepted and the scale kept. When the
            first round accepted no move: None if ``need_a_move`` (a generation's tolerance
            that no move reaches), else the rounds go on at ``last_scale``.
        """
        n = len(state[0])
        trial = np.clip(last_scale * np.array(_TRIAL_SCALES), *_SCALE_LIMITS)
        which = np.arange(n) % len(trial)
        before = state[0]
        state, moved = self._move(state, epsilon, trial[which, None] * spread, rng, stream, 0)
        jump = (((state[0] - before) / (self.high - self.low) / spread) ** 2).sum(axis=1)
        rates = np.array([moved[which == k].mean() if np.any(which == k) else 0.0 for k in range(len(trial))])
        jumps = np.array([jump[which == k].mean() if np.any(which == k) else 0.0 for k in range(len(trial))])
        if rates.max() == 0.0 and need_a_move:
            return None
        eligible = rates >= 0.5 * rates.max()
        scale = float(trial[np.flatnonzero(eligible)[np.argmax(jumps[eligible])]]) if rates.max() > 0 else last_scale
        ever_moved, accepted, runs = moved.copy(), int(moved.sum()), n
        while ever_moved.mean() < share and runs + n <= limit:
            state, moved = self._move(state, epsilon, scale * spread, rng, stream, runs // n)
            ever_moved |= moved
            accepted += int(moved.sum())
            runs += n
        return state, runs, accepted, scale

    def sweeps(self, last: Generation) -> bool:
        """Whether a closing sweep follows ``last``: switched on (``sweep_share`` > 0) and
        ``sweep_runs`` enough for one round."""
        return self.settings.sweep_share > 0.0 and self.settings.sweep_runs >= len(last.sample.seeds)

    def closing_sweep(self, last: Generation) -> Generation:
        """Every particle of ``last`` moved at its tolerance (module docstring, step 4);
        call only where :meth:`sweeps` is true."""
        settings = self.settings
        n = len(last.sample.seeds)
        index = last.index + 1
        stream = _SWEEP_STREAM + index
        rng = np.random.default_rng([settings.seed, stream])
        spread = np.maximum(((last.sample.theta - self.low) / (self.high - self.low)).std(axis=0), _MIN_SPREAD)
        state = (last.sample.theta, last.sample.seeds, last.sample.summaries, last.distances)
        (theta, seeds, summaries, distances), runs, accepted, scale = self._moves(
            state, last.epsilon, spread, last.scale, rng, stream, settings.sweep_runs, settings.sweep_share, False)
        return Generation(index, last.epsilon, Sample(theta, seeds, summaries), distances, np.full(n, 1.0 / n), runs,
                          accepted / runs, scale, sweep=True)

    def run(self, result: Result | None = None, on_generation: Callable[[Result], None] | None = None,
            on_sweep: Callable[[Result], None] | None = None) -> Result:
        """Run to the end, or continue ``result`` (a prior sample and finished generations).

        ``on_generation`` is called with the result after the prior sample and after each
        generation and the closing sweep (e.g. to save it, so that a stopped calibration
        resumes there); ``on_sweep`` when the generations have stopped and the sweep begins
        (e.g. to say so: it can take as long as several generations). A result that ends
        with its sweep is finished and comes back as it is.
        """
        if result is None:
            prior = self.prior_sample()
            result = Result(prior, self.distance(prior.summaries))
            if on_generation is not None:
                on_generation(result)
        if not result.generations:
            result.generations.append(self.first_generation(result.prior, result.prior_distances))
            if on_generation is not None:
                on_generation(result)
        while not result.posterior.sweep:
            generation, why = self.next_generation(result.generations, result.runs)
            if generation is None:
                result.stopped = why
                if not self.sweeps(result.posterior):
                    return result
                if on_sweep is not None:
                    on_sweep(result)
                generation = self.closing_sweep(result.posterior)
            result.generations.append(generation)
            if on_generation is not None:
                on_generation(result)
        return result
