"""Leaders and their dispositions toward the neighbours: sourced, uncertain inputs.

A leader's disposition (0 closed .. 1 open: openness of economy and borders to the
neighbours, readiness for dialogue with them) is coded from the evidence of the first
years in office, by one rule for every leader (``docs/dispositions.md``), into a central
value and a range in ``sim/data/leader_dispositions.csv``. A scenario names a leader's row
or gives its own value or range (:class:`sim.inputs.scenario.LeaderChange`).

Each run draws every disposition from a triangular distribution on [low, high] with its
mode at the central value, unless it asks for central values or its posterior draw infers
it (below). The draw of one leader depends only on the run's disposition key and on the
leader's name (a hash), so two scenarios that share a key draw the same value for the same
leader (paired comparisons), and adding a leader to a scenario shifts no other leader's draw.

The past is one history, played by one Karimov: the calibration infers the dispositions of
the leaders in office in the years its patterns cover together with the parameters, each
as a quantile of his coded distribution (a column ``disposition:UZB:Karimov`` of the
posterior, uniform on [0, 1] in the prior, so the prior is the coded triangle). A run whose
posterior draw holds a leader's quantile takes his disposition from it instead of from the
key (:func:`split_quantiles`); later and hypothetical leaders are still drawn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import numpy as np

from sim.inputs.geography import STATES, read_table
from sim.inputs.randomness import RandomStreams

# The random stream of disposition draws (the yearly streams are 0-3, sim.model.dynamics).
STREAM_DISPOSITION = 4
# Posterior columns of inferred dispositions: this prefix and the leader's key.
QUANTILE_PREFIX = "disposition:"
FIRST_YEAR = 1991
# The four indicators of the coding rule (docs/dispositions.md, Section 1.3).
INDICATORS = ("doctrine", "trade_regime", "visa_regime", "statements")


@dataclass(frozen=True)
class Disposition:
    """A disposition as a distribution: triangular on [low, high] with mode ``central``.

    Attributes:
        key: what the draw is keyed on, e.g. ``"UZB:Mirziyoyev"``; a scenario's own value
            is keyed on the country, year and values.
    """

    key: str
    central: float
    low: float
    high: float

    @property
    def element(self) -> int:
        """A 63-bit id of the key: the counter of this leader's draw."""
        return int.from_bytes(hashlib.sha256(self.key.encode()).digest()[:8], "little") >> 1

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The inverse distribution function at ``u`` in (0, 1)."""
        low, mode, high = self.low, self.central, self.high
        if high <= low:
            return np.full_like(u, mode)
        cut = (mode - low) / (high - low)
        rising = low + np.sqrt(u * (high - low) * (mode - low))
        falling = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
        return np.where(u < cut, rising, falling)


@dataclass(frozen=True)
class Indicator:
    """One scored indicator: the evidence, its score (None if missing) and its quality."""

    evidence: str
    score: float | None
    quality: str  # "direct", "indirect" or "missing"


@dataclass(frozen=True)
class Leader:
    """One row of ``sim/data/leader_dispositions.csv``."""

    country: str
    leader: str
    full_name: str
    took_office: str
    first_full_year: int
    disposition: Disposition
    indicators: dict[str, Indicator]
    sources: str


def _round(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def coded_disposition(indicators: list[Indicator]) -> tuple[float, float, float]:
    """Central value, low and high by the coding rule (docs/dispositions.md, 1.5-1.6).

    The central value is the mean of the scored indicators; the half-width is the spread of
    the scores plus 0.05 per indirect and 0.10 per missing indicator, at least 0.10.
    """
    scores = np.array([i.score for i in indicators if i.score is not None])
    central = float(scores.mean())
    indirect = sum(i.quality == "indirect" for i in indicators)
    missing = sum(i.quality == "missing" for i in indicators)
    half_width = max(0.10, float(scores.std()) + 0.05 * indirect + 0.10 * missing)
    return _round(central), _round(max(0.0, central - half_width)), _round(min(1.0, central + half_width))


@cache
def leader_table() -> dict[str, Leader]:
    """Every coded leader, by ``"COUNTRY:Name"`` (e.g. ``"UZB:Mirziyoyev"``)."""
    leaders = {}
    for row in read_table("leader_dispositions").itertuples(index=False):
        key = f"{row.country}:{row.leader}"
        indicators = {}
        for name in INDICATORS:
            score = getattr(row, f"{name}_score")
            indicators[name] = Indicator(getattr(row, name), None if np.isnan(score) else float(score),
                                         getattr(row, f"{name}_quality"))
        leaders[key] = Leader(
            country=row.country,
            leader=row.leader,
            full_name=row.full_name,
            took_office=str(row.took_office),
            first_full_year=int(row.first_full_year),
            disposition=Disposition(key, float(row.central), float(row.low), float(row.high)),
            indicators=indicators,
            sources=row.sources,
        )
    return leaders


def leader(country: str, name: str) -> Leader:
    """The coded leader ``name`` of ``country``; ``KeyError`` names the allowed ones."""
    table = leader_table()
    if f"{country}:{name}" not in table:
        allowed = ", ".join(row.leader for row in table.values() if row.country == country)
        raise KeyError(f"no coded leader {name!r} of {country}; allowed: {allowed}")
    return table[f"{country}:{name}"]


def leaders_in_1991() -> dict[str, Leader]:
    """The leader in office in each state in 1991 (first full year 1991)."""
    found = {row.country: row for row in leader_table().values() if row.first_full_year == FIRST_YEAR}
    missing = [code for code in STATES if code not in found]
    if missing:
        raise ValueError(f"sim/data/leader_dispositions.csv: no leader with first_full_year 1991 for {missing}")
    return found


def quantile_column(key: str) -> str:
    """The posterior column of a leader's inferred quantile, e.g. ``disposition:UZB:Karimov``."""
    return QUANTILE_PREFIX + key


def is_quantile_column(name: str) -> bool:
    """Whether ``name`` is the quantile column of a coded leader."""
    return name.startswith(QUANTILE_PREFIX) and name.removeprefix(QUANTILE_PREFIX) in leader_table()


def split_quantiles(values: Mapping[str, float | np.ndarray]) -> tuple[dict, dict[str, float | np.ndarray]]:
    """Parameter values and leaders' quantiles apart: ``({name: value}, {leader key: quantile})``.

    Raises:
        ValueError: a quantile of a leader who is not coded, or outside [0, 1].
    """
    parameters = {name: v for name, v in values.items() if not name.startswith(QUANTILE_PREFIX)}
    quantiles = {name.removeprefix(QUANTILE_PREFIX): v for name, v in values.items() if name.startswith(QUANTILE_PREFIX)}
    for key, quantile in quantiles.items():
        if key not in leader_table():
            raise ValueError(f"{QUANTILE_PREFIX}{key}: no coded leader {key!r}; allowed: "
                             f"{QUANTILE_PREFIX}COUNTRY:Leader for a row of sim/data/leader_dispositions.csv")
        if not np.all((np.asarray(quantile) >= 0.0) & (np.asarray(quantile) <= 1.0)):
            raise ValueError(f"{QUANTILE_PREFIX}{key} = {quantile}: a quantile of the coded range; allowed: 0 to 1")
    return parameters, quantiles


def draw(dispositions: list[Disposition], keys: np.ndarray, central: bool = False,
         quantiles: Mapping[str, float | np.ndarray] | None = None) -> np.ndarray:
    """Each run's value of every disposition (R, len(dispositions)).

    Args:
        dispositions: the distributions to draw from.
        keys: one disposition key per run (R,); runs with the same key draw the same values.
        central: take the central value of every leader without a quantile instead of drawing.
        quantiles: inferred quantiles by leader key (floats or (R,) arrays, from a posterior
            draw): these leaders take the value at their quantile. They are part of the draw,
            fitted jointly with its parameters, so central values do not replace them.
    """
    keys = np.asarray(keys)
    quantiles = quantiles or {}
    uniforms = None if central else RandomStreams(keys).uniform_at(
        STREAM_DISPOSITION, np.array([d.element for d in dispositions]))
    columns = []
    for k, d in enumerate(dispositions):
        if d.key in quantiles:
            columns.append(d.quantile(np.broadcast_to(np.asarray(quantiles[d.key], dtype=float), keys.shape)))
        elif central:
            columns.append(np.full(len(keys), d.central))
        else:
            columns.append(d.quantile(uniforms[:, k]))
    return np.stack(columns, axis=1).astype(float)
