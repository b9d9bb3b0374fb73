"""Digital exclusion risk index by ward, not-spots, people reached and ward-versus-authority shares.

The index follows the shape of GMCA's Digital Exclusion Risk Index (DERI): three components
(infrastructure, demography, deprivation), each a weighted mean of indicators scaled 0 to 10
(10 = worst), combined by a weighted mean into a 0 to 10 score. It differs where DERI was found
wanting:

- weights are normalised by the sum of the weights actually used, so a component whose
  indicators all score 10 scores 10 (DERI v1.4 divided its age terms by a partial sum);
- local-authority context (``la_`` columns, the same value on every ward) is never an input;
- the reference frame (the wards whose minimum and maximum define 0 and 10) is an explicit
  argument, not a hidden setting;
- :func:`rank_sensitivity` shows how far each ward's rank moves when one weight changes;
- wards of two nations are never compared on their nations' own deprivation indices, which are
  built differently: those indicators are left out, with a note.

:data:`DEFAULT_SPEC` holds this tool's weights and :data:`DERI_SPEC` DERI's published ones, both
in :data:`PRESETS`. Everything dropped or estimated is written into the result's
``attrs["notes"]``. No I/O.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from numbers import Integral
from typing import Literal

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd

from geo.indicators import INDICATORS, NATIONS, Indicator
from geo.thresholds import FIXED_NOT_SPOT_PCT, MOBILE_NOT_SPOT_PCT

#: The three components, in the order they are shown.
COMPONENTS = ("infrastructure", "demography", "deprivation")

#: Largest weight of an indicator or a component; 0 leaves it out.
MAX_WEIGHT = 10

#: Prefix of local-authority context columns (the authority's own figure on every ward).
LA_CONTEXT_PREFIX = "la_"

#: How the index is shown beside the store's indicators (it is computed, not stored).
RISK_INDEX = Indicator(
    "risk_index",
    "Digital exclusion risk index (0 = lowest, 10 = highest risk among the wards compared)",
    "score",
    "ward",
    True,
    "Computed from the ward indicators by geo.index (see METHODOLOGY.md)",
)

#: Column of the ward store behind each not-spot flag. Mobile: the ward's share of premises in
#: Ofcom's not-spot postcodes where the store has it, else the authority's share with no indoor
#: 4G (local-authority context, the same on every ward).
_FIXED_SHARE = "pct_premises_below_uso"
_MOBILE_API_SHARE = "pct_premises_mobile_not_spot"
_MOBILE_WARD_SHARE = "pct_premises_in_mobile_not_spot_postcodes"
_MOBILE_SHARE = "la_pct_premises_no_4g_indoor"

#: Mobile measures in order of preference (premises-level from Ofcom's API, then Ofcom's
#: not-spot postcode lists): the index scores the first the wards have, so mobile coverage
#: is weighed once.
MOBILE_PREFERENCE = (_MOBILE_API_SHARE, _MOBILE_WARD_SHARE)
#: The nation's index of multiple deprivation as a score, then as a rank: one index, so the
#: index scores the first the wards have and weighs it once. The score comes first: it keeps
#: how far apart neighbourhoods are (the most deprived have much higher scores, where ranks
#: space every neighbourhood evenly), and it is what DERI scores.
IMD_PREFERENCE = ("imd_average_score", "imd_average_rank")
#: Measures of one thing, best first, each with what makes the better one better: of those
#: weighted above 0, the index scores the first the wards and the frame have.
PREFERENCES: dict[tuple[str, ...], str] = {
    MOBILE_PREFERENCE: "measures mobile coverage better (premises-level)",
    IMD_PREFERENCE: "is the same deprivation index as a score, which keeps how far apart "
    "neighbourhoods are",
}
#: Level of the mobile not-spot flag when it comes from Ofcom's API, premises by premises.
API_LEVEL = "ward (premises, Ofcom API)"
#: Level said for each mobile measure of :func:`not_spots`.
_MOBILE_LEVEL = {
    _MOBILE_API_SHARE: API_LEVEL,
    _MOBILE_WARD_SHARE: "ward",
    _MOBILE_SHARE: "local authority",
}

#: Counts summed by :func:`people_reached`.
_REACH_COUNTS = ("residents", "residents_65_plus", "premises_below_uso")


class EmptyIndexError(ValueError):
    """No indicator carries weight: every weight is 0 or every weighted indicator is missing."""


def _check_weight(weight: object, what: str) -> None:
    if isinstance(weight, bool) or not isinstance(weight, Integral):
        raise ValueError(f"{what} must be a whole number 0 to {MAX_WEIGHT}; found {weight!r}")
    if not 0 <= weight <= MAX_WEIGHT:
        raise ValueError(f"{what} must be 0 to {MAX_WEIGHT}; found {weight}")


def _check_indicator(name: str) -> None:
    if name.startswith(LA_CONTEXT_PREFIX):
        raise ValueError(
            f"{name!r} is local-authority context (the same value on every ward), so it cannot "
            "tell wards apart and is never an index input; use a ward-level column."
        )
    if name not in INDICATORS:
        raise ValueError(
            f"{name!r} is not in geo.indicators.INDICATORS, which gives each input its "
            "direction (whether higher is worse); add it there first."
        )
    if INDICATORS[name].level != "ward":
        raise ValueError(f"{name!r} is {INDICATORS[name].level} level; the index needs ward level")


@dataclass(frozen=True)
class ComponentSpec:
    """One component of the index: its indicators' weights and its own weight.

    Attributes
    ----------
    indicators : mapping of str to int
        Weight 0 to 10 of each ward column (0 leaves it out). Each name must be a ward-level
        entry of :data:`geo.indicators.INDICATORS`, which gives its direction.
    weight : int, default 5
        Weight 0 to 10 of the component in the index (0 leaves it out).
    """

    indicators: Mapping[str, int]
    weight: int = 5

    def __post_init__(self) -> None:
        for name, weight in self.indicators.items():
            _check_indicator(name)
            _check_weight(weight, f"weight of {name!r}")
        _check_weight(self.weight, "component weight")
        object.__setattr__(self, "indicators", dict(self.indicators))

    def __hash__(self) -> int:
        return hash((tuple(self.indicators.items()), self.weight))


@dataclass(frozen=True)
class IndexSpec:
    """What goes into the index, and with what weight.

    Attributes
    ----------
    infrastructure, demography, deprivation : ComponentSpec
        The three components. An indicator may belong to one component only.
    notes : tuple of str, default ()
        What the weights stand for and what they leave out (e.g. a published index's
        indicators with no figure here), copied to the head of every result's notes.

    Examples
    --------
    >>> spec = DEFAULT_SPEC.with_weight("demography", 8, indicator="pct_residents_75_plus")
    >>> spec.demography.indicators["pct_residents_75_plus"]
    8
    """

    infrastructure: ComponentSpec
    demography: ComponentSpec
    deprivation: ComponentSpec
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for component, part in self.components.items():
            for name in part.indicators:
                if name in seen:
                    raise ValueError(
                        f"{name!r} is in both {seen[name]} and {component}; it would count twice"
                    )
                seen[name] = component

    @property
    def components(self) -> dict[str, ComponentSpec]:
        """The components by name, in :data:`COMPONENTS` order."""
        return {name: getattr(self, name) for name in COMPONENTS}

    def with_weight(
        self, component: str, weight: int, *, indicator: str | None = None
    ) -> IndexSpec:
        """Return a copy with one weight changed.

        Parameters
        ----------
        component : str
            One of :data:`COMPONENTS`.
        weight : int
            New weight, 0 to 10.
        indicator : str, optional
            Change this indicator's weight within ``component``; by default the component's
            own weight.

        Returns
        -------
        IndexSpec
        """
        if component not in COMPONENTS:
            raise ValueError(f"unknown component {component!r}; expected one of {COMPONENTS}")
        part = self.components[component]
        if indicator is None:
            return replace(self, **{component: replace(part, weight=weight)})
        if indicator not in part.indicators:
            raise ValueError(f"{indicator!r} is not in the {component} component")
        changed = replace(part, indicators={**part.indicators, indicator: weight})
        return replace(self, **{component: changed})


#: This tool's weights. A measure of a separate risk factor weighs 5, the middle of 0 to 10, so
#: none is favoured until the council decides; a measure that largely re-counts people another
#: input already counts weighs 3, so they are not counted twice over:
#:
#: - infrastructure: every measure 5 (the two mobile measures are one, see
#:   :data:`MOBILE_PREFERENCE`);
#: - residents 65+ and 75+: 5 each; the 75+ are also in 65+, so the oldest, the least often
#:   online, count more;
#: - disabled, no qualifications, cannot speak English well: 5 each, three barriers (health,
#:   skills, language) that age does not measure;
#: - one-person households 66+: 3; its people are already among the 65+, and what it adds is
#:   living alone, with no one at home to help;
#: - households deprived in 2+ dimensions: 3; its dimensions re-count education (no
#:   qualifications) and health and disability (disabled), and overlap the deprivation
#:   component;
#: - deprivation: every measure 5; the IMD score replaces the IMD rank when the wards have it
#:   (:data:`IMD_PREFERENCE`), so the index of multiple deprivation is weighed once.
#:
#: Every component weighs 5.
DEFAULT_SPEC = IndexSpec(
    infrastructure=ComponentSpec(
        {
            "pct_premises_below_uso": 5,
            "pct_premises_without_superfast": 5,
            "pct_premises_without_gigabit": 5,
            "pct_premises_no_gigabit_no_plan": 5,
            "pct_premises_mobile_not_spot": 5,
            "pct_premises_in_mobile_not_spot_postcodes": 5,
        }
    ),
    demography=ComponentSpec(
        {
            "pct_residents_65_plus": 5,
            "pct_residents_75_plus": 5,
            "pct_residents_disabled": 5,
            "pct_residents_no_qualifications": 5,
            "pct_residents_poor_english": 5,
            "pct_households_one_person_66_plus": 3,
            "pct_households_deprived_2_plus": 3,
        }
    ),
    deprivation=ComponentSpec(
        {
            "imd_average_score": 5,
            "imd_average_rank": 5,
            "income_average_rank": 5,
            "health_average_rank": 5,
            "pct_residents_most_deprived_decile": 5,
            "pct_residents_66_plus_pension_credit": 3,
        }
    ),
)

#: Where GMCA publishes DERI's method and weights.
DERI_SOURCE = "https://github.com/GreaterManchesterODA/Digital-Exclusion-Risk-Index"

#: The default weights of GMCA's Digital Exclusion Risk Index (DERI) v1.6, its newest release
#: (November 2022): v1.2's weights (``Version 1.2/Update notes_v1.2.md`` of
#: :data:`DERI_SOURCE`) with v1.4's demography (``Version 1.4/Update notes_v1.4.md``), which
#: v1.5 and v1.6 left unchanged. Each DERI indicator is scored by its equivalent here:
#:
#: - broadband, weight 3: homes unable to receive 10 Mbit/s (3) as ``pct_premises_below_uso``
#:   (which also counts premises under 1 Mbit/s up), homes unable to receive 30 Mbit/s (3) as
#:   ``pct_premises_without_superfast``; average download speed (3) has no figure here;
#: - demography, weight 3: 65+ (5), 75+ (5), day-to-day activities limited (2, Census 2011) as
#:   ``pct_residents_disabled`` (Census 2021's measure of it); social grade DE (2) has no
#:   figure here;
#: - deprivation, weight 3: no qualifications (4), IMD score (2, mySociety's composite GB IMD)
#:   as the nation's own ``imd_average_score``, or ``imd_average_rank`` (2) when the wards have
#:   no score (:data:`IMD_PREFERENCE`); Guaranteed Pension Credit claimants per 1,000 aged 65+
#:   (2) as ``pct_residents_66_plus_pension_credit`` (every Pension Credit claim per 100 aged
#:   66+, where a DWP Stat-Xplore file is among the sources); the unemployment rate (2, DWP's
#:   alternative claimant count) has no figure here.
#:
#: The indicators with no figure here are left out and the others' weights renormalised, as
#: for any missing indicator; the spec's notes say so on every result.
DERI_SPEC = IndexSpec(
    infrastructure=ComponentSpec(
        {"pct_premises_below_uso": 3, "pct_premises_without_superfast": 3}, weight=3
    ),
    demography=ComponentSpec(
        {"pct_residents_65_plus": 5, "pct_residents_75_plus": 5, "pct_residents_disabled": 2},
        weight=3,
    ),
    deprivation=ComponentSpec(
        {
            "pct_residents_no_qualifications": 4,
            "imd_average_score": 2,
            "imd_average_rank": 2,
            "pct_residents_66_plus_pension_credit": 2,
        },
        weight=3,
    ),
    notes=(
        f"DERI-comparable weights: the defaults of GMCA's Digital Exclusion Risk Index v1.6 "
        f"({DERI_SOURCE}, update notes of v1.2 and v1.4), scored by ward",
        "DERI indicators with no open figure here are left out and the other weights "
        "renormalised: average download speed (3 of broadband's 9), social grade DE (2 of "
        "demography's 14) and the alternative claimant count unemployment rate (2 of "
        "deprivation's 10); Guaranteed Pension Credit per 1,000 aged 65+ is scored by every "
        "Pension Credit claim per 100 aged 66+ (DWP Stat-Xplore), where the sources have it",
        "DERI's IMD score is mySociety's composite GB index; here it is the nation's own "
        "imd_average_score, or imd_average_rank when the wards have no score",
    ),
)


@dataclass(frozen=True)
class Preset:
    """A named set of weights to start from.

    Attributes
    ----------
    label : str
        Plain words for a chooser.
    spec : IndexSpec
        The weights.
    """

    label: str
    spec: IndexSpec


#: The weightings offered, by key.
PRESETS: dict[str, Preset] = {
    "default": Preset("This tool's weights", DEFAULT_SPEC),
    "deri": Preset("Comparable with GMCA's Digital Exclusion Risk Index (DERI v1.6)", DERI_SPEC),
}


def scale_0_10(
    values: pd.Series, *, higher_is_worse: bool, lower: float, upper: float
) -> pd.Series:
    """Min-max scale values to 0 to 10, where 10 is the worst end of the range.

    Parameters
    ----------
    values : pandas.Series
        One value per ward, in the indicator's unit (% or rank).
    higher_is_worse : bool
        Direction: when False (e.g. deprivation ranks, 1 = most deprived) ``lower`` scores 10.
    lower, upper : float
        Range of the reference frame, in the same unit. Values outside it are clipped to 0 or
        10. When ``lower == upper`` no ward is worse than another and every value scores 0.

    Returns
    -------
    pandas.Series
        Scores 0 to 10 (float), same index; NaN stays NaN.

    Examples
    --------
    >>> scale_0_10(pd.Series([2.0, 4.0, 6.0]), higher_is_worse=True, lower=2, upper=6).tolist()
    [0.0, 5.0, 10.0]
    """
    if not lower <= upper:
        raise ValueError(f"lower ({lower}) must not exceed upper ({upper})")
    values = values.astype(float)
    if lower == upper:
        return values.where(values.isna(), 0.0)
    share = ((values - lower) / (upper - lower)).clip(0, 1)
    return 10 * (share if higher_is_worse else 1 - share)


def _weighted_mean(scores: np.ndarray, weights: Sequence[int]) -> np.ndarray:
    """Weighted mean of each ward over the inputs it has, weights renormalised per ward.

    ``scores`` holds one row per input and one column per ward; ``weights`` one per row. A
    ward with no input has NaN.
    """
    w = np.asarray(weights, dtype=float)[:, np.newaxis]
    known = ~np.isnan(scores)
    total = (known * w).sum(axis=0)
    return (np.where(known, scores, 0.0) * w).sum(axis=0) / np.where(total > 0, total, np.nan)


def _ward_names(wards: pd.DataFrame, mask: pd.Series | np.ndarray) -> str:
    """Names of the wards where ``mask`` holds (``ward_name`` if present, else the index)."""
    names = wards.loc[mask, "ward_name"] if "ward_name" in wards else wards.index[np.asarray(mask)]
    return ", ".join(str(n) for n in names)


def unusable(name: str, wards: pd.DataFrame, frame: pd.DataFrame) -> str | None:
    """Say why indicator ``name`` has nothing to score in ``wards``, or return None when it has.

    Parameters
    ----------
    name : str
        A ward column of :data:`geo.indicators.INDICATORS`.
    wards, frame : pandas.DataFrame
        The wards scored and the wards they are scored against.
    """
    if name not in wards or wards[name].isna().all():
        context = LA_CONTEXT_PREFIX + name
        if context in wards:
            return (
                f"no ward-level figure (only {context}, the local authority's figure on every "
                "ward, which cannot tell wards apart)"
            )
        return "no ward has a value"
    if name not in frame or frame[name].isna().all():
        return "no value in the reference frame"
    return None


def _weighted(spec: IndexSpec) -> list[str]:
    """List the indicators weighted above 0 in components weighted above 0, in spec order."""
    return [
        name
        for part in spec.components.values()
        if part.weight > 0
        for name, weight in part.indicators.items()
        if weight > 0
    ]


def not_scored(names: Sequence[str], wards: pd.DataFrame, frame: pd.DataFrame) -> dict[str, str]:
    """Say why each of ``names`` (indicators that could be used) is not scored, by name.

    An indicator is not scored when it has no value, or when a better measure of the same
    thing among ``names`` is scored (:data:`PREFERENCES`).
    """
    return _preferred({name: unusable(name, wards, frame) for name in names})


def _preferred(reasons: Mapping[str, str | None]) -> dict[str, str]:
    """Why each indicator is not scored, from why each has nothing to score (None: it has).

    Adds, for each indicator with a value, the better measure of the same thing among
    ``reasons`` that is scored in its place (:data:`PREFERENCES`).
    """
    reasons = dict(reasons)
    for order, why in PREFERENCES.items():
        scored = [name for name in order if name in reasons and reasons[name] is None]
        for name in scored[1:]:
            reasons[name] = f"{scored[0]} {why} and is used"
    return {name: reason for name, reason in reasons.items() if reason is not None}


def _nations(*tables: pd.DataFrame) -> list[str]:
    """Nations of the wards of ``tables``, by the first letter of ``la_code`` (none without it)."""
    letters = {
        letter
        for table in tables
        if "la_code" in table
        for letter in table["la_code"].dropna().astype(str).str[0]
    }
    return sorted(NATIONS.get(letter, letter) for letter in letters)


def _one_nation_only(names: Sequence[str], nations: Sequence[str]) -> tuple[list[str], list[str]]:
    """Pick the indicators of ``names`` on one nation's own index, when the wards span nations.

    Returns
    -------
    apart : list of str
        Indicators to leave out (none when the wards are of one nation, or of unknown nation).
    notes : list of str
        The note naming them and why.
    """
    if len(nations) < 2:
        return [], []
    apart = [name for name in names if not INDICATORS[name].comparable_across_nations]
    if not apart:
        return [], []
    return apart, [
        f"{', '.join(apart)} left out: the wards scored and the reference frame are in "
        f"{', '.join(nations[:-1])} and {nations[-1]}, whose deprivation indices are built "
        "differently, so ranks, scores and shares of the most deprived neighbourhoods on one "
        "nation's index cannot be compared with another's; score one nation's wards against a "
        "frame of that nation to use them"
    ]


def compute_index(
    wards: pd.DataFrame, spec: IndexSpec = DEFAULT_SPEC, *, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Digital exclusion risk index of each ward, 0 (lowest risk) to 10 (highest).

    1. Each indicator is scaled 0 to 10 over the reference ``frame`` (:func:`scale_0_10`).
    2. A component score is the weighted mean of its scaled indicators, divided by the sum of
       the weights of the indicators used (per ward: a ward missing one value is scored on the
       others, renormalised).
    3. The index is the weighted mean of the component scores, normalised the same way.

    An indicator absent from ``wards`` (or with no value on any ward) is left out, and so is a
    component left with no usable indicator, each with a note in ``attrs["notes"]``. A weight of
    0 leaves its indicator or component out, as asked, without a note. Of measures of the same
    thing (:data:`PREFERENCES`) only the best the wards have is scored, with a note. When the
    wards and the frame together are of more than one nation (by the first letter of
    ``la_code``), indicators measured on a nation's own deprivation index (ranks, scores,
    shares of its most deprived neighbourhoods; ``comparable_across_nations`` false in
    :data:`geo.indicators.INDICATORS`) are left out, with a note naming them: those indices are
    built differently and cannot be compared. The spec's own ``notes`` come first.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows of the ward store (one local authority, or any set of wards).
    spec : IndexSpec, default DEFAULT_SPEC
        Indicators and weights.
    frame : pandas.DataFrame, optional
        Reference wards whose minimum and maximum of each indicator score 0 and 10, e.g. every
        ward in the store. Default: ``wards`` itself (scores relative to the authority).

    Returns
    -------
    pandas.DataFrame
        Index of ``wards``; ``score_<indicator>`` per used indicator and ``component_<name>``
        per used component (0 to 10), ``risk_index`` (0 to 10, NaN for a ward with no usable
        value) and ``risk_rank`` (1 = highest risk, ties share the best rank). ``attrs``:
        ``notes`` (list of str), ``used_indicators`` (list of str), ``component_weights``
        (dict of used component to weight) and ``frame_size`` (wards in the frame).

    Raises
    ------
    EmptyIndexError
        No indicator with weight above 0 in a component with weight above 0 is usable.

    Examples
    --------
    >>> wards = pd.DataFrame({"pct_residents_65_plus": [10.0, 30.0], "imd_average_rank": [9, 1]})
    >>> compute_index(wards)["risk_index"].tolist()  # the second is older and more deprived
    [0.0, 10.0]
    """
    wards = _plain(wards)
    frame = wards if frame is None else _plain(frame)
    scored = _score(wards, frame, _weighted(spec))
    combined = _combine(scored, spec)
    risk = pd.Series(combined.risk, index=wards.index)
    result = pd.concat(
        [
            pd.DataFrame({name: scored.scores[name] for name in combined.used}).add_prefix(
                "score_"
            ),
            pd.DataFrame(
                {
                    component: pd.Series(values, index=wards.index)
                    for component, values in combined.components.items()
                }
            ).add_prefix("component_"),
            risk.rename("risk_index"),
            _risk_rank(risk).astype("Int64").rename("risk_rank"),
        ],
        axis=1,
    )
    result.attrs = {
        "notes": combined.notes,
        "used_indicators": combined.used,
        "component_weights": combined.component_weights,
        "frame_size": len(frame),
    }
    return result


def _plain(wards: pd.DataFrame) -> pd.DataFrame:
    """Return the ward table as a plain DataFrame without geometry (its columns read faster)."""
    if isinstance(wards, gpd.GeoDataFrame):
        return pd.DataFrame(wards.drop(columns=wards.geometry.name))
    return wards


@dataclass(frozen=True)
class _Scored:
    """Indicators scaled 0 to 10 over a frame: what of the index does not depend on weights.

    Attributes
    ----------
    wards : pandas.DataFrame
        The wards scored.
    nations : list of str
        Nations of the wards and the frame (:func:`_nations`).
    reasons : dict of str to str or None
        Why each indicator asked for, bar those :func:`_one_nation_only` leaves out, has
        nothing to score (:func:`unusable`); None when it has.
    scores : dict of str to pandas.Series
        :func:`scale_0_10` of each indicator that has something to score.
    matrix : numpy.ndarray
        The same scores, one row per indicator in ``scores`` order, one column per ward.
    rows : dict of str to int
        Row of each indicator in ``matrix``.
    constant : dict of str to float
        The value of each scored indicator that is the same on every ward of the frame.
    gaps : dict of str to str
        Names of the wards with no value of each scored indicator that some wards lack.
    """

    wards: pd.DataFrame
    nations: list[str]
    reasons: dict[str, str | None]
    scores: dict[str, pd.Series]
    matrix: np.ndarray
    rows: dict[str, int]
    constant: dict[str, float]
    gaps: dict[str, str]


def _score(wards: pd.DataFrame, frame: pd.DataFrame, names: Sequence[str]) -> _Scored:
    """Scale each of ``names`` 0 to 10 over ``frame``, once for any weights (:class:`_Scored`)."""
    nations = _nations(wards, frame)
    apart, _ = _one_nation_only(names, nations)
    reasons = {name: unusable(name, wards, frame) for name in names if name not in apart}
    scores: dict[str, pd.Series] = {}
    constant: dict[str, float] = {}
    gaps: dict[str, str] = {}
    for name, reason in reasons.items():
        if reason is not None:
            continue
        lower, upper = float(frame[name].min()), float(frame[name].max())
        if lower == upper:
            constant[name] = lower
        direction = INDICATORS[name].higher_is_worse
        scores[name] = scale_0_10(wards[name], higher_is_worse=direction, lower=lower, upper=upper)
        missing = wards[name].isna()
        if missing.any():
            gaps[name] = _ward_names(wards, missing)
    matrix = np.array([score.to_numpy() for score in scores.values()]).reshape(
        len(scores), len(wards)
    )
    rows = {name: row for row, name in enumerate(scores)}
    return _Scored(wards, nations, reasons, scores, matrix, rows, constant, gaps)


@dataclass(frozen=True)
class _Combined:
    """The index of one weighting, from :class:`_Scored` indicators.

    Attributes
    ----------
    used : list of str
        Indicators used, in spec order.
    components : dict of str to numpy.ndarray
        Score of each used component, by ward.
    component_weights : dict of str to int
        Weight of each used component.
    risk : numpy.ndarray
        The risk index, by ward (NaN where no value is usable).
    notes : list of str
        As :func:`compute_index` gives them.
    """

    used: list[str]
    components: dict[str, np.ndarray]
    component_weights: dict[str, int]
    risk: np.ndarray
    notes: list[str]


def _combine(scored: _Scored, spec: IndexSpec) -> _Combined:
    """Weighted means of ``scored`` with the weights of ``spec``: steps 2 and 3 of the index.

    Every indicator ``spec`` weighs above 0 in a component weighed above 0 must have been
    passed to :func:`_score`.

    Raises
    ------
    EmptyIndexError
        No indicator with weight above 0 in a component with weight above 0 is usable.
    """
    weighted = _weighted(spec)
    apart, notes = _one_nation_only(weighted, scored.nations)
    notes = [*spec.notes, *notes]
    reasons = _preferred({name: scored.reasons[name] for name in weighted if name not in apart})
    used_names: list[str] = []
    components: dict[str, np.ndarray] = {}
    component_weights: dict[str, int] = {}
    for component, part in spec.components.items():
        if part.weight == 0:
            continue
        used: dict[str, int] = {}
        for name, weight in part.indicators.items():
            if weight == 0 or name in apart:
                continue
            if name in reasons:
                notes.append(f"{name} left out of {component}: {reasons[name]}")
                continue
            if name in scored.constant:
                notes.append(
                    f"{name} is {scored.constant[name]:g} on every ward of the frame: scores 0 "
                    "for all"
                )
            used[name] = weight
            if name in scored.gaps:
                notes.append(
                    f"no {name} for {scored.gaps[name]}: their {component} score uses the other "
                    "indicators they have"
                )
        if not used:
            notes.append(f"{component} component left out: no usable indicator weighted above 0")
            continue
        used_names.extend(used)
        rows = [scored.rows[name] for name in used]
        components[component] = _weighted_mean(scored.matrix[rows], list(used.values()))
        component_weights[component] = part.weight
        gaps = np.isnan(components[component])
        if gaps.any():
            notes.append(
                f"no {component} score for {_ward_names(scored.wards, gaps)}: their risk index "
                "uses the other components"
            )
    if not components:
        raise EmptyIndexError(
            "no indicator can be scored: every weight is 0 or every weighted indicator is "
            f"missing from the wards ({'; '.join(notes) or 'all weights 0'})"
        )
    risk = _weighted_mean(np.array(list(components.values())), list(component_weights.values()))
    if np.isnan(risk).any():
        notes.append(
            f"no risk index for {_ward_names(scored.wards, np.isnan(risk))}: no usable value"
        )
    return _Combined(used_names, components, component_weights, risk, notes)


def _risk_rank(risk: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Rank each ward by risk index (each column apart): 1 = highest, ties share the best rank."""
    return risk.rank(ascending=False, method="min")


@dataclass(frozen=True)
class RiskClasses:
    """Classes of the risk index over a set of wards.

    Attributes
    ----------
    ward_class : pandas.Series
        Class of each ward (``Int64``): 1 = lowest risk up to the number of classes; NA where
        the ward has no index.
    labels : list of str
        Range of each class, e.g. ``"2.1 to 4.0"``; ``labels[0]`` is class 1.
    notes : list of str
        Why there are fewer classes than asked, if there are.
    """

    ward_class: pd.Series
    labels: list[str]
    notes: list[str]


def classify_index(
    index: pd.Series, *, method: Literal["quantiles", "natural_breaks"], k: int = 5
) -> RiskClasses:
    """Group wards into at most ``k`` classes of the risk index.

    Parameters
    ----------
    index : pandas.Series
        ``risk_index`` of each ward (0 to 10).
    method : {"quantiles", "natural_breaks"}
        ``"quantiles"``: about the same number of wards per class (mapclassify ``Quantiles``);
        ``"natural_breaks"``: classes split where the values jump (``FisherJenks``).
    k : int, default 5
        Classes wanted; fewer when the index has fewer distinct values (said in ``notes``).

    Returns
    -------
    RiskClasses

    Examples
    --------
    >>> classify_index(pd.Series([1.0, 2.0, 8.0, 9.0]), method="quantiles", k=2).labels
    ['1.0 to 5.0', '5.0 to 9.0']
    """
    classifiers = {"quantiles": mapclassify.Quantiles, "natural_breaks": mapclassify.FisherJenks}
    if method not in classifiers:
        raise ValueError(f"method must be one of {list(classifiers)}; found {method!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1; found {k}")
    known = index.dropna().astype(float)
    ward_class = pd.Series(pd.NA, index=index.index, dtype="Int64")
    if known.empty:
        return RiskClasses(ward_class, [], ["no ward has a risk index"])
    distinct = int(known.nunique())
    if distinct == 1:
        bins = np.array([known.iloc[0]])
    else:
        with warnings.catch_warnings():
            # Without numba mapclassify runs in pure Python (quick for a few hundred wards);
            # Quantiles warns when ties merge classes, which the notes below report instead.
            warnings.filterwarnings("ignore", "Numba not installed", UserWarning)
            warnings.filterwarnings("ignore", "Not enough unique values", UserWarning)
            bins = classifiers[method](known.to_numpy(), k=min(k, distinct)).bins
    ward_class.loc[known.index] = np.searchsorted(bins, known.to_numpy(), side="left") + 1
    lower = np.concatenate([[known.min()], bins[:-1]])
    labels = [f"{lo:.1f} to {hi:.1f}" for lo, hi in zip(lower, bins, strict=True)]
    notes = []
    if len(bins) < k:
        notes.append(f"{len(bins)} classes, not {k}: the index has too few distinct values")
    return RiskClasses(ward_class, labels, notes)


def _one_weight_changes(spec: IndexSpec, step: int) -> Iterator[tuple[str, IndexSpec]]:
    """Each single weight moved by +step and -step (kept within 0 to 10), with a label."""
    for component, part in spec.components.items():
        weights = {None: part.weight, **part.indicators}
        for indicator, old in weights.items():
            what = f"{component} component" if indicator is None else f"{indicator} ({component})"
            for new in sorted({min(old + step, MAX_WEIGHT), max(old - step, 0)} - {old}):
                yield (
                    f"weight of {what} from {old} to {new}",
                    spec.with_weight(component, new, indicator=indicator),
                )


def rank_sensitivity(
    wards: pd.DataFrame,
    spec: IndexSpec = DEFAULT_SPEC,
    *,
    step: int = 2,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How far each ward's risk rank moves when one weight changes (one-at-a-time perturbation).

    Every weight of ``spec`` (each indicator's and each component's) is moved by ``+step`` and
    by ``-step``, kept within 0 to 10, one at a time with every other weight as it was, and
    the index is recomputed on the same ``frame``. A change that would leave no weight is
    skipped (listed in ``attrs["skipped"]``). Interactions between weights are not explored.
    The indicators are scaled once, for every change; each change only takes new weighted
    means, so the ranks are those of :func:`compute_index` with the changed weights.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows, as for :func:`compute_index`.
    spec : IndexSpec, default DEFAULT_SPEC
        The weights to perturb.
    step : int, default 2
        Size of each change, in weight points (1 to 10).
    frame : pandas.DataFrame, optional
        Reference frame, as for :func:`compute_index`.

    Returns
    -------
    pandas.DataFrame
        Index of ``wards``; ``risk_rank`` (with ``spec``), ``rank_best`` and ``rank_worst``
        (the highest and lowest rank numbers reached, ``risk_rank`` included; 1 = highest
        risk), ``rank_range`` (worst minus best) and ``most_sensitive_to`` (the change that
        moved the ward's rank most, the first such in spec order; NA when no change moved it).
        ``attrs``: ``step``, ``changes`` (labels tried), ``skipped``, ``notes`` (of the index).
    """
    _check_weight(step, "step")
    if step == 0:
        raise ValueError("step must be at least 1")
    wards = _plain(wards)
    frame = wards if frame is None else _plain(frame)
    changes = list(_one_weight_changes(spec, step))
    # every indicator any of the weightings can use (one weighed 0 here may be raised to step)
    names = [name for weights in (spec, *dict(changes).values()) for name in _weighted(weights)]
    scored = _score(wards, frame, list(dict.fromkeys(names)))
    base = _combine(scored, spec)
    risks: dict[str, np.ndarray] = {}
    skipped: list[str] = []
    for label, changed in changes:
        try:
            risks[label] = _combine(scored, changed).risk
        except EmptyIndexError:
            skipped.append(label)
    risk_rank = _risk_rank(pd.Series(base.risk, index=wards.index)).astype("Int64")
    moved = _risk_rank(pd.DataFrame(risks, index=wards.index))
    every = pd.concat([risk_rank.astype(float), moved], axis=1)
    shift = moved.sub(risk_rank.astype(float), axis=0).abs().fillna(0)
    result = pd.DataFrame(
        {
            "risk_rank": risk_rank,
            "rank_best": every.min(axis=1).astype("Int64"),
            "rank_worst": every.max(axis=1).astype("Int64"),
        },
        index=wards.index,
    )
    result["rank_range"] = result["rank_worst"] - result["rank_best"]
    result["most_sensitive_to"] = shift.idxmax(axis=1).where(shift.max(axis=1) > 0)
    result.loc[result["risk_rank"].isna(), ["rank_best", "rank_worst", "rank_range"]] = pd.NA
    result.attrs = {
        "step": step,
        "changes": list(risks),
        "skipped": skipped,
        "notes": base.notes,
    }
    return result


@dataclass(frozen=True)
class PeopleReached:
    """Who lives in a set of priority wards. Counts are None when not known for every ward.

    Attributes
    ----------
    wards : int
        Number of priority wards.
    residents : int or None
        Usual residents (Census 2021; in Scotland, the population SIMD publishes).
    residents_65_plus : int or None
        Residents aged 65 and over (Census 2021).
    premises_below_uso : int or None
        Premises below the broadband USO (Ofcom); None when the store has no ward-level fixed
        broadband (e.g. only local-authority context).
    """

    wards: int
    residents: int | None
    residents_65_plus: int | None
    premises_below_uso: int | None


def people_reached(wards: pd.DataFrame, priority: pd.Series) -> PeopleReached:
    """Residents, residents 65+ and premises below the USO in the priority wards.

    Totals are sums of the ward counts (which are themselves sums of small areas), so they add
    up exactly: the priority wards plus the others give the authority's total.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows with ``residents``, ``residents_65_plus`` and, when fixed broadband is known
        by ward, ``premises_below_uso`` (counts).
    priority : pandas.Series of bool
        True for each priority ward; indexed like ``wards`` (every ward, no NA).

    Returns
    -------
    PeopleReached

    Examples
    --------
    >>> w = pd.DataFrame({"residents": [100, 50], "residents_65_plus": [20, 5]})
    >>> people_reached(w, pd.Series([True, False])).residents
    100
    """
    if not pd.api.types.is_bool_dtype(priority) or priority.isna().any():
        raise ValueError(
            f"priority must be True/False for every ward; found dtype {priority.dtype}"
        )
    if priority.index.has_duplicates or set(priority.index) != set(wards.index):
        raise ValueError("priority must have exactly one entry per ward, indexed like wards")
    chosen = wards.loc[priority.reindex(wards.index).astype(bool)]
    counts = {
        name: int(chosen[name].sum()) if name in chosen and chosen[name].notna().all() else None
        for name in _REACH_COUNTS
    }
    return PeopleReached(wards=len(chosen), **counts)


def _at_or_above(
    wards: pd.DataFrame, column: str, threshold: float, what: str, notes: list[str]
) -> pd.Series:
    """``column >= threshold`` per ward as a nullable boolean; NA (with a note) where unknown."""
    if column not in wards:
        notes.append(f"{what} unknown: the ward table has no {column}")
        return pd.Series(pd.NA, index=wards.index, dtype="boolean")
    values = wards[column]
    flag = values.ge(threshold).astype("boolean").mask(values.isna())
    if values.isna().any():
        notes.append(f"{what} unknown for {_ward_names(wards, values.isna())}: no {column}")
    return flag


def not_spots(
    wards: pd.DataFrame,
    *,
    fixed_threshold_pct: float = FIXED_NOT_SPOT_PCT,
    mobile_threshold_pct: float = MOBILE_NOT_SPOT_PCT,
) -> pd.DataFrame:
    """Flag fixed broadband, mobile and double not-spots.

    - Fixed not-spot (**ward** level): the ward's ``pct_premises_below_uso`` is at least
      ``fixed_threshold_pct``.
    - Mobile not-spot: at **ward** level from premises when the store has Ofcom's API figures
      (``pct_premises_mobile_not_spot``: the share of the ward's premises with no good indoor
      data from any network); else at **ward** level when it has Ofcom's not-spot postcodes and
      BDUK premises (``pct_premises_in_mobile_not_spot_postcodes``, the share of the ward's
      premises in postcodes where some premises lack reliable indoor signal from every
      network) at least ``mobile_threshold_pct``; otherwise at **local-authority** level, the
      authority's ``la_pct_premises_no_4g_indoor``: the same on every ward of an authority,
      context, not a ward measurement.
    - Double not-spot: both. A ward not a fixed not-spot, or not a mobile not-spot by ward, is
      not one; where fixed broadband is not known by ward and mobile coverage is known per
      authority only, it is not known (NA).

    Unknown is never False: a missing input gives NA, with a note in ``attrs["notes"]``.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows of the ward store.
    fixed_threshold_pct : float, default FIXED_NOT_SPOT_PCT
        Share of the ward's premises below the USO (%) from which it is a fixed not-spot.
    mobile_threshold_pct : float, default MOBILE_NOT_SPOT_PCT
        Share of premises (%) from which a ward is a mobile not-spot: of the ward's premises
        in not-spot postcodes, or of the authority's premises with no indoor 4G.

    Returns
    -------
    pandas.DataFrame
        Index of ``wards``; ``fixed_not_spot``, ``mobile_not_spot``, ``double_not_spot``
        (nullable boolean). ``attrs``: ``thresholds_pct`` and ``level`` (per column) and
        ``notes``.

    Examples
    --------
    >>> w = pd.DataFrame({"pct_premises_below_uso": [0.5, 3.0]})
    >>> not_spots(w.assign(la_pct_premises_no_4g_indoor=2.0))["double_not_spot"].tolist()
    [False, True]
    """
    for name, value in (("fixed", fixed_threshold_pct), ("mobile", mobile_threshold_pct)):
        if not 0 <= value <= 100:
            raise ValueError(f"{name}_threshold_pct must be 0 to 100 (%); found {value}")
    mobile_share = next(
        (n for n in MOBILE_PREFERENCE if n in wards and wards[n].notna().any()), _MOBILE_SHARE
    )
    mobile_level = _MOBILE_LEVEL[mobile_share]
    notes = [
        {
            _MOBILE_API_SHARE: f"mobile_not_spot uses {_MOBILE_API_SHARE}: premises with no good "
            "indoor data from any network, premises by premises (Ofcom's API)",
            _MOBILE_WARD_SHARE: f"mobile_not_spot uses {_MOBILE_WARD_SHARE}: premises in "
            "Ofcom's not-spot postcodes",
            _MOBILE_SHARE: f"mobile_not_spot uses {_MOBILE_SHARE}: with no not-spot postcode "
            "list, mobile coverage is known per local authority only, so it is the same on "
            "every ward",
        }[mobile_share]
    ]
    fixed = _at_or_above(wards, _FIXED_SHARE, fixed_threshold_pct, "fixed_not_spot", notes)
    mobile = _at_or_above(wards, mobile_share, mobile_threshold_pct, "mobile_not_spot", notes)
    double = fixed & mobile
    if mobile_level == "local authority":
        # The authority's figure says nothing of one ward: a ward whose fixed broadband is not
        # known is not known to be outside a double not-spot either.
        double = double.mask(fixed.isna())
    result = pd.DataFrame(
        {"fixed_not_spot": fixed, "mobile_not_spot": mobile, "double_not_spot": double},
        index=wards.index,
    )
    result.attrs = {
        "thresholds_pct": {
            "fixed_not_spot": fixed_threshold_pct,
            "mobile_not_spot": mobile_threshold_pct,
        },
        "level": {
            "fixed_not_spot": "ward",
            "mobile_not_spot": mobile_level,
            "double_not_spot": f"ward (fixed) and {mobile_level} (mobile)",
        },
        "notes": notes,
    }
    return result
