"""Subjective factors: leaders' dispositions, personal disputes and trust.

Usenov (2024) names the subjective factor last and as decisive: mutual trust and disputes
between leaders kept relations strained until 2017; a new leader in UZB from late 2016
opened its economy and borders and sought dialogue with its neighbours. Trust follows the
leaders' dispositions and the partner's conduct (reciprocity, Abbink et al. 2010).
"""

from __future__ import annotations

import numpy as np

from sim.inputs.parameters import Parameters, per_dyad


def trust_anchor(disposition: np.ndarray, dispute: np.ndarray, border_side: np.ndarray,
                 adjacent: np.ndarray) -> np.ndarray:
    """What the leaders and the partner's conduct justify: i's anchor for trusting j (R, 5, 5).

    ``disposition`` is each run's leaders' dispositions (R, 5).

    Half from both leaders' dispositions, less their personal dispute; half from j's
    conduct toward i (how open j keeps its side of their border; for non-neighbours, j's
    disposition alone).
    """
    leaders = np.sqrt(disposition[:, :, None] * disposition[:, None, :]) * (1.0 - dispute)
    conduct = np.where(adjacent, np.swapaxes(border_side, 1, 2), disposition[:, None, :])
    return 0.5 * leaders + 0.5 * conduct


def update_trust(
    trust: np.ndarray,
    anchor: np.ndarray,
    losses: np.ndarray,
    summit_gain: np.ndarray,
    params: Parameters,
) -> np.ndarray:
    """Trust moves toward its anchor, plus summit gains, minus losses (incidents, blame).

    Args:
        trust: i's trust in j last year (R, 5, 5).
        anchor: from :func:`trust_anchor`.
        losses: non-negative trust losses from the other factors (R, 5, 5).
        summit_gain: non-negative gains from summits both attended (R, 5, 5).
    """
    drift = per_dyad(params.trust_learning_rate) * (anchor - trust)
    updated = trust + drift + summit_gain - losses
    n = trust.shape[1]
    updated = np.clip(updated, 0.0, 1.0)
    updated[:, np.arange(n), np.arange(n)] = 0.0
    return updated


def update_disputes(
    dispute: np.ndarray,
    incidents: np.ndarray,
    disposition: np.ndarray,
    leader_change: np.ndarray,
    params: Parameters,
) -> np.ndarray:
    """Personal disputes between leaders grow in years with incidents and end with the leader.

    Closed-minded leaders quarrel more; a new leader in either state ends most of the
    pair's dispute (``leader_change_reset``).
    """
    friction = (incidents > 0).astype(float)
    temper = 1.0 - np.minimum(disposition[:, :, None], disposition[:, None, :])
    grown = dispute * (1.0 - per_dyad(params.dispute_decay)) + per_dyad(params.dispute_gain) * friction * temper
    changed = np.maximum(leader_change[:, None], leader_change[None, :])[None]
    reset = 1.0 - per_dyad(params.leader_change_reset) * changed
    return np.clip(grown * reset, 0.0, 1.0)
