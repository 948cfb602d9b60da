"""Territory: delimitation, border incidents, securitisation and border regimes.

Usenov (2024) dates the territorial factor to 1999-2000: armed incursions from Afghanistan
into KGZ through TJK securitised the borders, delimitation began, and with it disputes over
land, water and energy facilities. Delimitation advances only with joint political will;
undelimited stretches through densely settled valleys (Fergana, enclaves) give incidents,
as on the KGZ-TJK border in 2021 and 2022. A state closes its side of a border when it
feels threatened and does not trust its neighbour (the UZB-KGZ border, 2010-2017).
"""

from __future__ import annotations

import numpy as np

from sim.geography import Geography
from sim.parameters import Parameters, per_dyad


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    return np.maximum(matrix, np.swapaxes(matrix, 1, 2))


def securitise(
    securitisation: np.ndarray,
    security_shock: np.ndarray,
    incidents: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Borders become security lines after shocks and incidents, and slowly relax (R, 5, 5).

    A shock in a state securitises all its borders; each incident securitises its border.
    """
    shock = np.maximum(security_shock[:, None], security_shock[None, :])[None]  # (1, 5, 5)
    added = per_dyad(params.securitisation_from_shock) * shock + per_dyad(params.incident_securitisation) * incidents
    relaxed = securitisation * (1.0 - per_dyad(params.securitisation_decay))
    return np.clip(np.maximum(relaxed, relaxed + added), 0.0, 1.0) * geo.adjacent


def border_side_choice(
    border_side: np.ndarray,
    disposition: np.ndarray,
    trust: np.ndarray,
    securitisation: np.ndarray,
    trade_dependence: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """How open each state keeps its side of each border next year (R, 5, 5).

    The wish to open starts from the inherited open regime (``border_open_bias``), grows
    with the leader's disposition (weighted by ``border_leader_weight`` against trust's 1:
    the KGZ-UZB border was closed 'on Tashkent's initiative', Usenov 2024), trust in the
    neighbour and the trade at stake, and falls with securitisation (raised by shocks and
    incidents), which a closed leader weighs more heavily than an open one. Each side also
    answers the neighbour's regime in kind (``border_reciprocity`` times how far the
    neighbour's side is above or below half open). The regime moves toward a logistic
    response to that wish at ``border_adjust_rate``.
    """
    leader = disposition[:, :, None]  # (R, 5): each run draws its leaders' dispositions
    wish = (
        per_dyad(params.border_open_bias)
        + per_dyad(params.border_reciprocity) * (np.swapaxes(border_side, 1, 2) - 0.5)
        + per_dyad(params.border_leader_weight) * (leader - 0.5)
        + (trust - 0.5)
        + trade_dependence
        - per_dyad(params.border_threat_weight) * securitisation * 2.0 * (1.0 - leader)
    )
    wanted = 1.0 / (1.0 + np.exp(-per_dyad(params.border_steepness) * wish))
    side = border_side + per_dyad(params.border_adjust_rate) * (wanted - border_side)
    return np.clip(side, 0.0, 1.0) * geo.adjacent


def delimitation_will(disposition: np.ndarray, trust: np.ndarray, params: Parameters) -> np.ndarray:
    """Each state's will to settle each border, mostly the leader's disposition (R, 5, 5).

    Weighted 0.7 disposition, 0.3 trust (assumed): settlements followed changes of leader.
    """
    raw = 0.7 * disposition[:, :, None] + 0.3 * trust
    threshold = per_dyad(params.delimitation_will_threshold)
    return np.clip((raw - threshold) / (1.0 - threshold), 0.0, 1.0)


def delimit(
    delimited: np.ndarray,
    will: np.ndarray,
    securitisation: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Delimitation advances on borders that have become an issue, with joint will (R, 5, 5).

    Joint will lies between the two sides' wills: at ``delimitation_initiative_weight`` 0
    it is the smaller (neither can delimit alone), at 1 the larger (a keen side carries a
    reluctant one with concessions). Usenov (2024) credits UZB's settlements with KAZ, TJK
    and, by 2023, KGZ to its new leader's course of dialogue with its neighbours.
    """
    partner = np.swapaxes(will, 1, 2)
    initiative = per_dyad(params.delimitation_initiative_weight)
    joint = (1.0 - initiative) * np.minimum(will, partner) + initiative * np.maximum(will, partner)
    salience = np.maximum(securitisation, (delimited > 0).astype(float))
    progress = per_dyad(params.delimitation_rate) * joint * salience * (1.0 - delimited)
    return np.clip(delimited + progress, 0.0, 1.0) * geo.adjacent


def incident_rate(
    delimited: np.ndarray,
    securitisation: np.ndarray,
    trust: np.ndarray,
    water_shortfall: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Expected incidents a year on each border (R, 5, 5), symmetric.

    Undelimited, densely settled border at low trust; the rate scales with
    0.2 + securitisation, so a border that has become a security line sees far more.
    Water shortage in the border valleys adds to the disputes.
    """
    mutual_trust = 0.5 * (trust + np.swapaxes(trust, 1, 2))
    stress = np.maximum(water_shortfall[:, :, None], water_shortfall[:, None, :])
    exposure = geo.border_km / 1000.0 * geo.populated_valley_share  # (5, 5)
    rate = (
        per_dyad(params.incident_rate_per_1000km)
        * exposure
        * (1.0 - delimited)
        * (0.2 + securitisation)
        * (1.0 - mutual_trust) ** 2
        * (1.0 + 2.0 * stress)
    )
    return _symmetric(rate)


def draw_incidents(rate: np.ndarray, poisson_draw) -> np.ndarray:
    """Incident counts drawn once per border and mirrored, so both sides see the same (R, 5, 5)."""
    upper = np.triu(np.ones(rate.shape[1:], dtype=bool), k=1)
    counts = poisson_draw(rate * upper)
    return counts + np.swapaxes(counts, 1, 2)


def incident_trust_loss(incidents: np.ndarray, params: Parameters) -> np.ndarray:
    """Trust each side loses in the other per incident on their border (R, 5, 5).

    (A neighbour's closed border weighs on trust through its conduct, see
    :func:`sim.rules.subjective.trust_anchor`.)
    """
    return per_dyad(params.incident_trust_loss) * incidents
