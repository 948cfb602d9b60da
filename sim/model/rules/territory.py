"""Territory: threat perception, border regimes, incidents and clashes, delimitation.

Usenov (2024) dates the territorial factor to 1999-2000: armed incursions from Afghanistan
into KGZ through TJK securitised the borders, delimitation began, and with it disputes over
land, water and energy facilities. A state closes its side of a border when its leader
and its alarm (security shocks, armed clashes) want it (the UZB-KGZ border, 2010-2017, "on
Tashkent's initiative"); otherwise it keeps it passable, and routine incidents bring only
checks and queues. Undelimited, densely
settled stretches (the Fergana valley and its enclaves) give frequent low-level incidents
and, rarely, armed clashes, as on the KGZ-TJK border in 2021 and 2022. Treaties settled the
easy stretches (steppe, desert, mountains) early in the 2000s; the hard remainder
(enclaves, settled valleys, water infrastructure) waited for leaders on both sides who
wanted it, or for the pressure of clashes (the KGZ-TJK treaty of March 2025).
"""

from __future__ import annotations

import numpy as np

from sim.inputs.geography import Geography
from sim.inputs.parameters import Parameters, per_dyad


def mutual(matrix: np.ndarray) -> np.ndarray:
    """The mean of both sides' values, i's of j and j's of i (R, 5, 5), symmetric."""
    return 0.5 * (matrix + np.swapaxes(matrix, 1, 2))


def incident_pressure(incidents: np.ndarray) -> np.ndarray:
    """A year's low-level incidents as a pressure in [0, 1): ``n / (1 + n)``.

    The first incident of a year counts half, a steady stream fully: low-level incidents
    become a routine that sustains checks and mistrust, while what is severe about a year
    is carried by its armed clashes.
    """
    return incidents / (1.0 + incidents)


def vigilance(disposition: np.ndarray) -> np.ndarray:
    """How strongly each state's leader perceives threat (R, 5, 1): ``2 (1 - d)``.

    1 at a disposition of 0.5, 2 for the most closed leader, 0 for the most open.
    """
    return 2.0 * (1.0 - disposition[:, :, None])


def securitise(
    securitisation: np.ndarray,
    security_shock: np.ndarray,
    incidents: np.ndarray,
    clashes: np.ndarray,
    disposition: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Each state's threat perception of each of its borders (R, 5, 5); row = the state.

    Each event holds the perception at a level while it lasts, and without events it
    relaxes at ``securitisation_decay`` a year; neither years of a shock nor years of
    incidents add up. A security shock in either state: ``securitisation_from_shock`` times
    the shock and each leader's vigilance. Low-level incidents: ``incident_securitisation``
    times their pressure and the vigilance, which brings checks and queues, not closure. An
    armed clash: ``clash_securitisation`` on both sides, whatever the leaders think.
    """
    shock = np.maximum(security_shock[:, None], security_shock[None, :])[None]  # (1, 5, 5)
    alert = vigilance(disposition)
    relaxed = securitisation * (1.0 - per_dyad(params.securitisation_decay))
    shocked = alert * per_dyad(params.securitisation_from_shock) * shock
    routine = alert * per_dyad(params.incident_securitisation) * incident_pressure(incidents)
    armed = per_dyad(params.clash_securitisation) * (clashes > 0)
    level = np.maximum(np.maximum(relaxed, armed), np.maximum(shocked, routine))
    return np.clip(level, 0.0, 1.0) * geo.adjacent


def alarm(
    previous: np.ndarray,
    security_shock: np.ndarray,
    clashes: np.ndarray,
    disposition: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Each state's alarm over each of its borders (R, 5, 5): the threat perception that closes it.

    The part of :func:`securitise` that security shocks and armed clashes raise, without the
    routine of low-level incidents, which brings checks and queues but not closure: the
    KGZ-TJK crossings stayed open through 9-32 incidents a year in the 2010s and closed
    after the clashes of 2021 (24.kg, 12 Mar 2025), and Uzbekistan closed its border with
    Kyrgyzstan after the violence in Osh of June 2010 (Usenov 2024). It relaxes at the same
    ``securitisation_decay``.
    """
    no_incidents = np.zeros_like(clashes)
    return securitise(previous, security_shock, no_incidents, clashes, disposition, geo, params)


def border_side_choice(
    border_side: np.ndarray,
    disposition: np.ndarray,
    trust: np.ndarray,
    own_alarm: np.ndarray,
    trade_dependence: np.ndarray,
    forgiveness_draw: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """How open each state keeps its side of each border next year (R, 5, 5).

    The wish to open starts from the inherited open regime (``border_open_bias``), grows
    with the leader's disposition (weighted by ``border_leader_weight`` against trust's 1),
    trust in the neighbour and the trade at stake, and falls with the state's own alarm over
    the border (:func:`alarm`, weighted by ``border_threat_weight``). Each side answers the neighbour's
    regime of last year in kind (``border_reciprocity`` times how far it was above or below
    half open), but forgives: with probability ``border_forgiveness`` it answers a closed
    side as if it were open (generous tit-for-tat, Nowak and Sigmund 1992), so a closure
    that only reciprocity keeps ends without a change of leader. The regime moves toward a
    logistic response to that wish at ``border_adjust_rate``.

    Args:
        own_alarm: each state's alarm over each of its borders (R, 5, 5), row = the state.
        forgiveness_draw: uniforms in (0, 1), one per ordered pair (R, 5, 5).
    """
    leader = disposition[:, :, None]  # (R, 5): each run draws its leaders' dispositions
    forgives = forgiveness_draw < per_dyad(params.border_forgiveness)
    answered = np.where(forgives, 1.0, np.swapaxes(border_side, 1, 2))
    wish = (
        per_dyad(params.border_open_bias)
        + per_dyad(params.border_reciprocity) * (answered - 0.5)
        + per_dyad(params.border_leader_weight) * (leader - 0.5)
        + (trust - 0.5)
        + trade_dependence
        - per_dyad(params.border_threat_weight) * own_alarm
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
    delimited_hard: np.ndarray,
    will: np.ndarray,
    securitisation: np.ndarray,
    ripeness: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> tuple[np.ndarray, np.ndarray]:
    """Delimitation by difficulty: the easy stretches quickly, the hard ones slowly (R, 5, 5).

    A border is taken up once it has become an issue: either state feels threatened on any
    of its borders (a state that secures its borders seeks a legal line on all of them, as
    Kazakhstan did with Turkmenistan in 2001), or delimitation has begun.

    Joint will lies between the two sides' (``delimitation_initiative_weight``: 0 the
    smaller, 1 the larger: a keen side carries a reluctant one with concessions, as UZB did
    with its land swaps after 2017).

    Easy stretches (steppe, desert, mountains): a state wants them fixed when its leader is
    willing or when it feels threatened (a securitising state wants a line to guard: KAZ,
    TKM and UZB settled theirs in 2000-2002); a year of full joint will settles
    ``delimitation_rate`` of them.

    Hard stretches (enclaves, settled valleys, water infrastructure) need concessions that
    the border villages and the public resist, so the leaders' will alone, no threat, to
    which a recent clash adds the pressure to settle (``ripeness``, Zartman 2000); they move
    only where the joint will clears ``hard_delimitation_threshold``, and a year of full
    joint will settles ``hard_delimitation_rate`` of them. Where the two sides dispute which
    Soviet-era maps are the legal basis (``geo.contested_basis``: KGZ-TJK, whose talks
    stalled over Tajikistan's 1924-1927 maps against Kyrgyzstan's 1955-1959 and 1989 ones,
    Asia-Plus 26 Nov 2014 and 18 Jul 2016; KGZ-UZB, Goble 2013), the bar is raised by
    ``contested_basis_bar`` of the way to full will: setting a basis aside takes a keen
    leader or the pressure of a clash.

    Returns:
        The delimited share of each border and the settled share of its hard stretches.
    """
    hard = geo.hard_share
    easy = 1.0 - hard
    threatened = securitisation.max(axis=2)  # each state's highest threat perception (R, 5)
    issue = np.maximum(threatened[:, :, None], threatened[:, None, :])
    salience = np.maximum(issue, (delimited > 0).astype(float))

    initiative = per_dyad(params.delimitation_initiative_weight)

    def joint(wills: np.ndarray) -> np.ndarray:
        partner = np.swapaxes(wills, 1, 2)
        return (1.0 - initiative) * np.minimum(wills, partner) + initiative * np.maximum(wills, partner)

    joint_easy = joint(np.maximum(will, securitisation))
    settled_easy = np.divide(delimited - hard * delimited_hard, easy, out=np.ones_like(delimited), where=easy > 0)
    settled_easy = np.minimum(settled_easy + per_dyad(params.delimitation_rate) * joint_easy * salience, 1.0)

    threshold = per_dyad(params.hard_delimitation_threshold)
    # a disputed legal basis (whose maps count) must be set aside before any village moves
    bar = threshold + (1.0 - threshold) * per_dyad(params.contested_basis_bar) * geo.contested_basis
    joint_hard = np.clip((joint(np.clip(will + ripeness, 0.0, 1.0)) - bar) / (1.0 - bar), 0.0, 1.0)
    settled_hard = np.minimum(delimited_hard + per_dyad(params.hard_delimitation_rate) * joint_hard * salience, 1.0)
    settled_hard = settled_hard * geo.adjacent
    return (easy * settled_easy + hard * settled_hard) * geo.adjacent, settled_hard


def incident_rate(
    delimited_hard: np.ndarray,
    border_side: np.ndarray,
    trust: np.ndarray,
    water_stress: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Expected low-level incidents a year on each border (R, 5, 5), symmetric.

    On the undelimited hard stretches (densely settled, enclaves, water intakes), at low
    trust; water stress in the border valleys (the shortfall, more beyond the severe
    threshold, :func:`sim.model.rules.water.scarcity_stress`) adds to the disputes. They come from
    contact across the line (herders, farmers, traders, roads through enclaves), so a
    closed border has fewer: half as many when both sides are shut, since the enclaves
    and the fields along the line remain.
    """
    stress = np.maximum(water_stress[:, :, None], water_stress[:, None, :])
    exposure = geo.border_km / 1000.0 * geo.hard_share * (1.0 - delimited_hard)
    contact = 0.5 + 0.5 * mutual(border_side)
    return (
        per_dyad(params.incident_rate_per_1000km)
        * exposure
        * contact
        * (1.0 - mutual(trust)) ** 2
        * (1.0 + 2.0 * stress)
    )


def escalation_chance(securitisation: np.ndarray, trust: np.ndarray, dispute: np.ndarray, ripeness: np.ndarray,
                      params: Parameters) -> np.ndarray:
    """Probability that an incident escalates to an armed clash (R, 5, 5), symmetric.

    Higher where both sides' posts are militarised (their mean securitisation), trust is
    low and the leaders are in a personal dispute (their rhetoric): the 2021 clash grew
    from stone-throwing at a disputed water intake (Golovnoi) into fighting between army
    units. Lower while the pressure to settle after a clash lasts: both sides then seek a
    negotiated way out and agree ceasefires (Zartman 2000), so clashes come in short runs.
    """
    chance = (per_dyad(params.clash_escalation) * mutual(securitisation) * (1.0 - mutual(trust)) * (1.0 + dispute)
              * (1.0 - ripeness))
    return np.clip(chance, 0.0, 1.0)


def draw_border_events(mean: np.ndarray, poisson_draw) -> np.ndarray:
    """Event counts drawn once per border and mirrored, so both sides see the same (R, 5, 5)."""
    upper = np.triu(np.ones(mean.shape[1:], dtype=bool), k=1)
    counts = poisson_draw(mean * upper)
    return counts + np.swapaxes(counts, 1, 2)


def ripen(ripeness: np.ndarray, clashes: np.ndarray, params: Parameters) -> np.ndarray:
    """The pressure to settle a border after armed clashes (R, 5, 5), symmetric.

    A year with a clash raises it to ``ripeness_from_clash`` (a mutually hurting stalemate,
    Zartman 2000); it fades at ``ripeness_decay`` a year after the last clash.
    """
    faded = ripeness * (1.0 - per_dyad(params.ripeness_decay))
    return np.maximum(faded, per_dyad(params.ripeness_from_clash) * (clashes > 0))


def border_trust_loss(incidents: np.ndarray, clashes: np.ndarray, trust: np.ndarray, params: Parameters) -> np.ndarray:
    """Trust each side loses in the other for a year's incidents and clashes (R, 5, 5).

    A share of the trust there is: a year of steady incidents costs up to
    ``incident_trust_loss`` of it, each clash ``clash_trust_loss`` of what is left. So
    incidents every year wear trust down to a level set by the leaders and the
    neighbour's conduct, not to zero, from which no border would reopen. (A neighbour's
    closed border weighs on trust through its conduct, see
    :func:`sim.model.rules.subjective.trust_anchor`.)
    """
    kept = ((1.0 - per_dyad(params.incident_trust_loss) * incident_pressure(incidents))
            * (1.0 - per_dyad(params.clash_trust_loss)) ** clashes)
    return trust * (1.0 - kept)
