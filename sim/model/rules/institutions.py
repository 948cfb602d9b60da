"""Institutions: the Central-Asia-only body and the heads-of-state summits.

The body's depth stands for the stages the articles describe: consultative meetings
(1993), the Single Economic Space (1994), the CAEC (1998), the CACO (2002); it was wound
up when its members' support moved to EurAsEC (2005 merger, "duplication of functions"),
and consultative meetings of the heads of state resumed in 2018 (Usenov 2024; seed 003).
Depth and summits are outcomes of each state's support, never set by a scenario.
"""

from __future__ import annotations

import numpy as np

from sim.inputs.parameters import Parameters, per_state


def willingness_to_meet(disposition: np.ndarray, trust: np.ndarray) -> np.ndarray:
    """Each leader's willingness to meet the others (R, 5), in [0, 1].

    The disposition, halved when the leader trusts none of the others (assumed weights).
    """
    n = trust.shape[1]
    return disposition * (0.5 + 0.5 * trust.sum(axis=2) / (n - 1))


def support(willingness: np.ndarray, outside_pull: np.ndarray, neutrality: np.ndarray) -> np.ndarray:
    """Each state's support for a deep Central-Asia-only body (R, 5), in [0, 1].

    Willingness to meet, less what outside blocs pull away (duplication of functions); a
    neutral state stays out of multilateral bodies.
    """
    return np.clip(willingness - outside_pull, 0.0, 1.0) * (1.0 - neutrality[None, :])


def summit_chance(state_support: np.ndarray, params: Parameters) -> np.ndarray:
    """Chance of a heads-of-state meeting of the five this year, logistic in mean support (R,).

    Support, not bare willingness to meet: while outside blocs duplicate the regional format
    the leaders meet within those blocs instead ("from then on integration ran only within
    the Eurasian space", Usenov 2024), and a neutral state stays away.
    """
    mean = state_support.mean(axis=1)
    return 1.0 / (1.0 + np.exp(-params.summit_steepness * (mean - params.summit_threshold)))


def participation(state_support: np.ndarray, params: Parameters) -> np.ndarray:
    """1 for states whose support clears the participation threshold (R, 5)."""
    return (state_support > per_state(params.participation_threshold)).astype(float)


def update_depth(depth: np.ndarray, state_support: np.ndarray, taking_part: np.ndarray, summit: np.ndarray,
                 params: Parameters) -> np.ndarray:
    """Depth deepens only in summit years, erodes when support falls short, and ends (R,).

    The supported depth is the mean support of participants times the share taking part:
    a deep body needs most states in it. Below ``dissolution_depth`` the body is wound up
    in a year without a summit, and must be rebuilt from summits.
    """
    n = state_support.shape[1]
    members = taking_part.sum(axis=1)
    member_support = np.divide((state_support * taking_part).sum(axis=1), members,
                               out=np.zeros_like(depth), where=members > 0)
    supported = member_support * members / n
    gap = supported - depth
    deepened = depth + params.deepening_rate * summit * np.maximum(gap, 0.0)
    eroded = deepened - params.erosion_rate * np.maximum(-gap, 0.0)
    wound_up = (eroded < params.dissolution_depth) & (summit == 0)
    return np.where(wound_up, 0.0, np.clip(eroded, 0.0, 1.0))
