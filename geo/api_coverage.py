"""Premises-level coverage (Ofcom's Connected Nations API) summed to wards. Pure functions.

Ofcom's API answers, for one postcode, every premises (UPRN) with its mobile ratings per
operator and its maximum predicted fixed speeds (:mod:`ingest.sources.ofcom_api`). This module

- flags each premises (:data:`MEASURES`): no good indoor data from any network (Ofcom's
  mobile not-spot: every operator's indoor data rating below
  :data:`~geo.thresholds.MOBILE_COVERED_RATING`), the same at the stricter
  :data:`~geo.thresholds.MOBILE_COVERED_RATING_STRICT`, per operator, outdoors, for voice;
  below the USO speed, without superfast, without gigabit; and **double not-spots**: the same
  premises both a mobile not-spot and below the USO;
- counts them per postcode (:func:`postcode_counts`, one call per batch of rows; batches add
  with :func:`combine_counts`: whole numbers, so any order gives the same sums);
- sums postcodes to wards (:func:`ward_figures`). Premises of postcodes in no ward are summed
  on :data:`OUTSIDE_WARDS`, never dropped: wards + outside = premises checked.

Where only some of a ward's postcodes were asked (a sample), a ward's share is the ratio of
its sampled premises, and its 95 % interval comes from a cluster bootstrap: postcodes, not
premises, are resampled (premises of one postcode share a street and a mast), and the
interval is narrowed by the finite population correction ``sqrt(1 - m / M)`` (m of the ward's
M postcodes asked; 0 when all are). When the sample holds fewer than :data:`RARE_EVENTS`
premises with the condition, the bootstrap cannot see the tail (a sample with none gives
"0 to 0"), so the upper end is at least the Poisson 95 % upper limit of the sample count
(:data:`POISSON_UPPER_95`) scaled to the ward, and the figure is shown as "fewer than N"
(:func:`estimate_text`).
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from geo._checks import require_columns
from geo.thresholds import (
    GIGABIT_MBIT,
    MOBILE_COVERED_RATING,
    MOBILE_COVERED_RATING_STRICT,
    SUPERFAST_MBIT,
    USO_DOWNLOAD_MBIT,
    USO_UPLOAD_MBIT,
)

#: ``ward_code`` of the row that sums the premises of postcodes in no ward.
OUTSIDE_WARDS = "(outside every ward)"

#: Operator column prefixes of :mod:`ingest.sources.ofcom_api` and the networks' names.
OPERATORS = {"ee": "EE", "three": "Three", "o2": "O2", "vodafone": "Vodafone"}

#: Premises checked, by what was asked of them: ``mobile``, ``fixed`` (broadband) or ``both``.
CHECKED = {
    "mobile": "premises_checked_mobile",
    "fixed": "premises_checked_fixed",
    "both": "premises_checked_both",
}


@dataclass(frozen=True)
class Measure:
    """A condition of a premises, counted per postcode and shared per ward.

    Attributes
    ----------
    key : str
        Columns ``premises_<key>_checked`` (count) and ``pct_premises_<key>`` (share).
    label : str
        What it means, in a council officer's words.
    checked : {"mobile", "fixed", "both"}
        Premises it is a share of (:data:`CHECKED`).
    """

    key: str
    label: str
    checked: str

    @property
    def count(self) -> str:
        """Column of the premises checked that have the condition."""
        return f"premises_{self.key}_checked"

    @property
    def share(self) -> str:
        """Column of the share (%), with ``_low`` and ``_high`` beside it."""
        return f"pct_premises_{self.key}"


_GOOD = f"rating {MOBILE_COVERED_RATING} or more, as Ofcom counts coverage"
#: Every measure, in the order of the ward table.
MEASURES: tuple[Measure, ...] = (
    Measure(
        "mobile_not_spot",
        f"Premises with no good indoor mobile data from any network ({_GOOD})",
        "mobile",
    ),
    Measure(
        "mobile_not_spot_strict",
        "Premises with no enhanced indoor mobile data from any network (stricter: rating "
        f"{MOBILE_COVERED_RATING_STRICT})",
        "mobile",
    ),
    *(
        Measure(f"no_indoor_data_{op}", f"Premises with no good indoor data from {name}", "mobile")
        for op, name in OPERATORS.items()
    ),
    Measure("no_outdoor_data", "Premises with no good outdoor data from any network", "mobile"),
    Measure("no_indoor_voice", "Premises with no good indoor voice from any network", "mobile"),
    Measure(
        "below_uso_api",
        f"Premises below the USO speed (predicted under {USO_DOWNLOAD_MBIT} Mbit/s down or "
        f"{USO_UPLOAD_MBIT} up)",
        "fixed",
    ),
    Measure(
        "without_superfast_api",
        f"Premises without superfast broadband (predicted under {SUPERFAST_MBIT} Mbit/s)",
        "fixed",
    ),
    Measure(
        "without_gigabit_api",
        f"Premises without gigabit-capable broadband (predicted under {GIGABIT_MBIT} Mbit/s)",
        "fixed",
    ),
    Measure(
        "double_not_spot",
        "Premises in double not-spots (no good indoor mobile data from any network and below "
        "the USO speed, on the same premises)",
        "both",
    ),
)
MEASURE = {m.key: m for m in MEASURES}

#: Count columns of :func:`postcode_counts` (all ``int64``).
COUNT_COLUMNS = [*CHECKED.values(), *(m.count for m in MEASURES)]

#: Fewer premises with a condition than this in a ward's sample: shown as "fewer than N".
RARE_EVENTS = 5
#: Poisson (Garwood) 95 % one-sided upper limits of the mean for 0 to 4 events seen.
POISSON_UPPER_95 = (2.996, 4.744, 6.296, 7.754, 9.154)

_RATING = {
    service_place: [f"{op}_{service_place}" for op in OPERATORS]
    for service_place in ("data_indoor", "data_outdoor", "voice_indoor")
}
#: Premises columns :func:`postcode_counts` reads (mobile ratings and speeds may be NaN where
#: that endpoint has no answer for the premises).
PREMISES_COLUMNS = ["postcode", *(c for cols in _RATING.values() for c in cols),
                    "max_down_mbit", "max_up_mbit"]  # fmt: skip


def _values(premises: pd.DataFrame, column: str) -> np.ndarray:
    return premises[column].to_numpy(dtype=np.float64, na_value=np.nan)


def premises_flags(premises: pd.DataFrame) -> pd.DataFrame:
    """Flag each premises: what was checked, and each condition of :data:`MEASURES`.

    Parameters
    ----------
    premises : pandas.DataFrame
        One row per premises with :data:`PREMISES_COLUMNS`: mobile ratings 0 to 4 and
        maximum predicted speeds (Mbit/s, -1 where none is predicted: no service, so below
        every threshold); NaN where that endpoint has no answer.

    Returns
    -------
    pandas.DataFrame
        Same index; bool columns ``mobile``, ``fixed``, ``both`` (checked) and one per
        measure key (False where not checked).

    Examples
    --------
    >>> row = {f"{op}_{sp}": 4 for op in OPERATORS for sp in ("data_indoor", "data_outdoor",
    ...        "voice_indoor")}
    >>> indoor = {f"{op}_data_indoor": 3 for op in OPERATORS}  # good, not enhanced
    >>> one = pd.DataFrame([{**row, **indoor, "ee_data_indoor": 2, "postcode": "A",
    ...                      "max_down_mbit": 8.0, "max_up_mbit": 1.0}])
    >>> premises_flags(one)[["mobile_not_spot", "mobile_not_spot_strict", "double_not_spot"]]
       mobile_not_spot  mobile_not_spot_strict  double_not_spot
    0            False                    True            False
    """
    require_columns(premises, PREMISES_COLUMNS, argument="premises")
    best = {
        sp: np.fmax.reduce([_values(premises, c) for c in cols]) for sp, cols in _RATING.items()
    }
    indoor = {op: _values(premises, f"{op}_data_indoor") for op in OPERATORS}
    down, up = _values(premises, "max_down_mbit"), _values(premises, "max_up_mbit")
    mobile, fixed = ~np.isnan(best["data_indoor"]), ~np.isnan(down)
    below_uso = fixed & ((down < USO_DOWNLOAD_MBIT) | (up < USO_UPLOAD_MBIT))
    not_spot = mobile & (best["data_indoor"] < MOBILE_COVERED_RATING)
    flags = {
        "mobile": mobile,
        "fixed": fixed,
        "both": mobile & fixed,
        "mobile_not_spot": not_spot,
        "mobile_not_spot_strict": mobile & (best["data_indoor"] < MOBILE_COVERED_RATING_STRICT),
        **{
            f"no_indoor_data_{op}": mobile & (v < MOBILE_COVERED_RATING) for op, v in indoor.items()
        },
        "no_outdoor_data": mobile & (best["data_outdoor"] < MOBILE_COVERED_RATING),
        "no_indoor_voice": mobile & (best["voice_indoor"] < MOBILE_COVERED_RATING),
        "below_uso_api": below_uso,
        "without_superfast_api": fixed & (down < SUPERFAST_MBIT),
        "without_gigabit_api": fixed & (down < GIGABIT_MBIT),
        "double_not_spot": not_spot & below_uso,
    }
    return pd.DataFrame(flags, index=premises.index)


def postcode_counts(premises: pd.DataFrame) -> pd.DataFrame:
    """Count premises checked and with each condition, per postcode.

    Parameters
    ----------
    premises : pandas.DataFrame
        As for :func:`premises_flags` (any batch of rows).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``postcode`` (those of the batch, in first-seen order), :data:`COUNT_COLUMNS`
        as ``int64``.
    """
    flags = premises_flags(premises)
    codes, uniques = pd.factorize(premises["postcode"], sort=False)
    columns = {
        **{column: flags[name] for name, column in CHECKED.items()},
        **{m.count: flags[m.key] for m in MEASURES},
    }
    counted = {
        column: np.bincount(codes, weights=flag.to_numpy(), minlength=len(uniques)).astype(np.int64)
        for column, flag in columns.items()
    }
    return pd.DataFrame(counted, index=pd.Index(uniques, name="postcode"))


def combine_counts(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Add :func:`postcode_counts` of several batches (a postcode may be in several)."""
    frames = list(parts)
    if not frames:
        return pd.DataFrame(
            {c: pd.Series(dtype=np.int64) for c in COUNT_COLUMNS},
            index=pd.Index([], name="postcode"),
        )
    return pd.concat(frames).groupby(level=0, sort=False).sum().astype(np.int64)


class ApiWards(NamedTuple):
    """Premises-level coverage summed to wards, and what lies outside every ward.

    Attributes
    ----------
    wards : pandas.DataFrame
        Indexed by ``ward_code``, one row per ward asked for: ``postcodes_live``;
        ``postcodes_checked_<mobile|fixed|both>`` and ``pct_postcodes_checked_<...>``;
        :data:`COUNT_COLUMNS` (premises of the checked postcodes: exact counts); per measure,
        ``pct_premises_<key>`` with ``_low`` and ``_high`` (95 % interval; equal to the share
        where every postcode was checked; NaN where none was); and the ward's estimated
        ``premises_in_double_not_spots`` and ``residents_in_double_not_spots``, each with
        ``_low`` and ``_high``.
    outside : pandas.Series
        :data:`COUNT_COLUMNS` of the checked postcodes in no ward.
    """

    wards: pd.DataFrame
    outside: pd.Series


def _interval(
    x: np.ndarray,
    n: np.ndarray,
    m: int,
    total_postcodes: int,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cluster bootstrap of the ratios ``sum(x) / sum(n)`` and the totals ``M * mean(x)``.

    ``x`` and ``n`` are (m postcodes, k measures). Returns the low and high ends of each
    share (fraction) and each total (premises), before the rare-event floor.
    """
    draws = rng.integers(0, m, size=(n_boot, m))
    xs, ns = x[draws].sum(axis=1), n[draws].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(ns > 0, xs / ns, np.nan)
        share = x.sum(axis=0) / n.sum(axis=0)
    total = x.sum(axis=0) * total_postcodes / m
    fpc = math.sqrt(1 - m / total_postcodes)
    with warnings.catch_warnings():  # a measure with no premises checked: NaN, said so later
        warnings.simplefilter("ignore", RuntimeWarning)
        r_lo, r_hi = np.nanquantile(ratio, [0.025, 0.975], axis=0)
    t_lo, t_hi = np.quantile(xs * total_postcodes / m, [0.025, 0.975], axis=0)
    return (
        np.clip(share - (share - r_lo) * fpc, 0, 1),
        np.clip(share + (r_hi - share) * fpc, 0, 1),
        np.maximum(total - (total - t_lo) * fpc, 0),
        total + (t_hi - total) * fpc,
    )


def _rng(seed: int, ward: str) -> np.random.Generator:
    """One generator per ward, so a ward's interval does not depend on the other wards."""
    return np.random.default_rng([seed, zlib.crc32(ward.encode())])


def ward_figures(
    counts: pd.DataFrame,
    postcode_ward: pd.Series,
    checked: Mapping[str, pd.Index],
    *,
    areas: pd.Index,
    residents_per_premises: pd.Series | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> ApiWards:
    """Sum checked postcodes to wards; estimate each ward's shares with 95 % intervals.

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`postcode_counts` (combined) of the found answers, indexed by postcode.
    postcode_ward : pandas.Series
        Ward of every live postcode of the place (index: postcodes as in ``counts``; NaN:
        placed in no ward). It sets each ward's ``postcodes_live``.
    checked : mapping
        ``"mobile"`` and ``"fixed"``: postcodes with a settled answer (found or not found) of
        that endpoint; a postcode not found counts as checked with no premises.
    areas : pandas.Index
        Ward codes of the result (wards without postcodes get 0 counts and NaN shares).
    residents_per_premises : pandas.Series, optional
        Residents per premises of each ward, to estimate residents in double not-spots.
    n_boot : int, default 1000
        Bootstrap resamples for sampled wards.
    seed : int, default 0

    Returns
    -------
    ApiWards

    Raises
    ------
    ValueError
        ``counts`` holds a postcode not in ``checked``, or lacks a count column.
    """
    require_columns(counts, COUNT_COLUMNS, argument="counts")
    sets = {
        "mobile": pd.Index(checked.get("mobile", [])),
        "fixed": pd.Index(checked.get("fixed", [])),
    }
    sets["both"] = sets["mobile"].intersection(sets["fixed"])
    union = sets["mobile"].union(sets["fixed"])
    stray = counts.index.difference(union)
    if len(stray):
        raise ValueError(f"counts has postcodes no endpoint checked, e.g. {stray[0]!r}")
    full = counts.reindex(union, fill_value=0).astype(np.int64)
    # A postcode of a ward not asked for is outside every ward asked for: summed there.
    ward_of = postcode_ward.reindex(full.index)
    ward_of = ward_of.where(ward_of.isin(areas))
    outside = full[ward_of.isna().to_numpy()].sum().astype(np.int64)
    placed = full[ward_of.notna().to_numpy()]
    wards = placed.groupby(ward_of.dropna()).sum().reindex(areas, fill_value=0).astype(np.int64)
    wards.index.name = "ward_code"
    live = postcode_ward.dropna().value_counts().reindex(areas, fill_value=0)
    wards.insert(0, "postcodes_live", live.astype(np.int64))
    for name, index in sets.items():
        per_ward = ward_of.reindex(index).value_counts().reindex(areas, fill_value=0)
        wards[f"postcodes_checked_{name}"] = per_ward.astype(np.int64)
        wards[f"pct_postcodes_checked_{name}"] = 100 * per_ward / live.where(live > 0)

    shares = {m.key: np.full((len(areas), 3), np.nan) for m in MEASURES}
    double = np.full((len(areas), 3), np.nan)
    total_postcodes = live.to_numpy(np.float64)
    for name, index in sets.items():
        measures = [m for m in MEASURES if m.checked == name]
        rows = full.loc[index]
        x_all = rows[[m.count for m in measures]].to_numpy(np.float64)
        n_all = rows[CHECKED[name]].to_numpy(np.float64)
        keys = ward_of.reindex(index).to_numpy()
        # Every ward at once: exact sums of its checked postcodes (the whole answer where
        # every postcode was checked); sampled wards get their intervals below, one by one.
        events = pd.DataFrame(x_all).groupby(keys).sum().reindex(areas).to_numpy()
        denominator = pd.Series(n_all).groupby(keys).sum().reindex(areas).to_numpy()[:, None]
        checked_here = wards[f"postcodes_checked_{name}"].to_numpy(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(denominator > 0, events / denominator, np.nan)
            scale = (total_postcodes / checked_here)[:, None]
            total = np.where(checked_here[:, None] > 0, events * scale, np.nan)
        low, high, t_low, t_high = share.copy(), share.copy(), total.copy(), total.copy()
        positions = pd.Series(np.arange(len(keys))).groupby(keys).indices
        for row in np.flatnonzero((checked_here > 0) & (checked_here < total_postcodes)):
            ward, m, big_m = areas[row], int(checked_here[row]), int(total_postcodes[row])
            at = positions[ward]
            x = x_all[at]
            n = np.repeat(n_all[at, None], len(measures), axis=1)
            lo, hi, tlo, thi = _interval(x, n, m, big_m, n_boot, _rng(seed, str(ward)))
            seen = events[row]
            rare = seen < RARE_EVENTS
            upper = np.array(POISSON_UPPER_95)[np.minimum(seen, RARE_EVENTS - 1).astype(int)]
            with np.errstate(invalid="ignore", divide="ignore"):
                floor = np.where(denominator[row] > 0, upper / denominator[row], np.nan)
            low[row], t_low[row] = lo, tlo
            high[row] = np.where(rare, np.fmax(hi, np.minimum(floor, 1)), hi)
            t_high[row] = np.where(rare, np.fmax(thi, upper * big_m / m), thi)
        for i, measure in enumerate(measures):
            shares[measure.key] = 100 * np.column_stack([share[:, i], low[:, i], high[:, i]])
            if measure.key == "double_not_spot":
                double = np.column_stack([total[:, i], t_low[:, i], t_high[:, i]])
    for measure in MEASURES:
        for i, suffix in enumerate(_ENDS):
            wards[measure.share + suffix] = shares[measure.key][:, i]
    for i, suffix in enumerate(_ENDS):
        wards["premises_in_double_not_spots" + suffix] = double[:, i]
    return ApiWards(with_residents(wards, residents_per_premises), outside)


_ENDS = ("", "_low", "_high")


def estimated_premises(wards: pd.DataFrame) -> pd.Series:
    """Each ward's premises estimated from its checked postcodes (broadband answers).

    Premises of the checked postcodes times live postcodes over checked postcodes; exact
    where every postcode was checked, NaN where none was.
    """
    checked = wards["postcodes_checked_fixed"]
    return wards[CHECKED["fixed"]] * wards["postcodes_live"] / checked.where(checked > 0)


def with_residents(wards: pd.DataFrame, residents_per_premises: pd.Series | None) -> pd.DataFrame:
    """Add ``residents_in_double_not_spots`` (and ``_low``, ``_high``) to :func:`ward_figures`.

    Residents are the ward's premises in double not-spots times its residents per premises
    (NaN without ``residents_per_premises``): an estimate, since premises include businesses
    and households differ in size.
    """
    per_premises = (
        residents_per_premises.reindex(wards.index).to_numpy(np.float64)
        if residents_per_premises is not None
        else np.full(len(wards), np.nan)
    )
    return wards.assign(
        **{
            "residents_in_double_not_spots" + end: wards["premises_in_double_not_spots" + end]
            * per_premises
            for end in _ENDS
        }
    )


def is_estimate(wards: pd.DataFrame, measure: str) -> pd.Series:
    """Wards where a measure is a sample estimate (some of their postcodes not checked)."""
    name = MEASURE[measure].checked
    return wards[f"postcodes_checked_{name}"] < wards["postcodes_live"]


def estimate_text(
    value: float,
    low: float,
    high: float,
    *,
    events: int,
    estimate: bool,
    unit: str = "%",
    decimals: int = 1,
) -> str:
    """Say a figure with its uncertainty: exact, "x (95 % interval a to b)" or "fewer than N".

    Parameters
    ----------
    value, low, high : float
        The figure and its 95 % interval (NaN: not known).
    events : int
        Premises with the condition among those checked.
    estimate : bool
        True where only a sample of the ward's postcodes was checked.
    unit : str, default "%"
        ``"%"`` or a count's noun (``"premises"``, ``"residents"``).
    decimals : int, default 1
        Decimals of a share; counts are whole numbers.

    Examples
    --------
    >>> estimate_text(2.0, 2.0, 2.0, events=3, estimate=False)
    '2.0 %'
    >>> estimate_text(0.0, 0.0, 1.9, events=0, estimate=True)
    'fewer than 1.9 %'
    >>> estimate_text(40.2, 31.5, 48.0, events=60, estimate=True, unit="premises")
    '40 premises (95 % interval 32 to 48)'
    """
    if value is None or pd.isna(value):
        return "not known"
    places = decimals if unit == "%" else 0

    def said(v: float, *, ceil: bool = False) -> str:
        if ceil:  # an upper bound is rounded up, never below itself
            v = math.ceil(round(v * 10**places, 9)) / 10**places
        return f"{v:,.{places}f}"

    tail = " %" if unit == "%" else f" {unit}"
    if not estimate:
        return said(value) + tail
    if events < RARE_EVENTS:
        return f"fewer than {said(high, ceil=True)}{tail}"
    return f"{said(value)}{tail} (95 % interval {said(low)} to {said(high)})"


def postcode_summary(premises: pd.DataFrame) -> pd.DataFrame:
    """Count what one postcode's premises get from each network (the app's live lookup).

    Parameters
    ----------
    premises : pandas.DataFrame
        One postcode's premises (:func:`ingest.sources.ofcom_api.live_lookup`): the ratings
        ``{operator}_{data,voice}_{indoor,outdoor}`` (NaN where not answered).

    Returns
    -------
    pandas.DataFrame
        One row per network, then "Any network" and "No network": premises with good
        coverage (rating 3 or more) for indoor data, outdoor data, indoor voice and outdoor
        voice.

    Examples
    --------
    >>> cols = {f"{op}_{s}": [3, 1] for op in OPERATORS
    ...         for s in ("data_indoor", "data_outdoor", "voice_indoor", "voice_outdoor")}
    >>> postcode_summary(pd.DataFrame(cols)).loc["No network"].tolist()
    [1, 1, 1, 1]
    """
    uses = {
        "Indoor data": "data_indoor",
        "Outdoor data": "data_outdoor",
        "Indoor voice": "voice_indoor",
        "Outdoor voice": "voice_outdoor",
    }
    rows = {}
    good = {
        use: np.stack(
            [_values(premises, f"{op}_{col}") >= MOBILE_COVERED_RATING for op in OPERATORS]
        )
        for use, col in uses.items()
    }
    for i, name in enumerate(OPERATORS.values()):
        rows[name] = {use: int(g[i].sum()) for use, g in good.items()}
    rows["Any network"] = {use: int(g.any(axis=0).sum()) for use, g in good.items()}
    rows["No network"] = {use: int((~g.any(axis=0)).sum()) for use, g in good.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def speed_summary(premises: pd.DataFrame) -> dict[str, int]:
    """Premises of a postcode by maximum predicted fixed speed (live lookup)."""
    down, up = _values(premises, "max_down_mbit"), _values(premises, "max_up_mbit")
    known = ~np.isnan(down)
    return {
        "Premises with a predicted speed": int(known.sum()),
        f"Below the USO ({USO_DOWNLOAD_MBIT}/{USO_UPLOAD_MBIT} Mbit/s)": int(
            (known & ((down < USO_DOWNLOAD_MBIT) | (up < USO_UPLOAD_MBIT))).sum()
        ),
        f"Superfast ({SUPERFAST_MBIT} Mbit/s or more)": int((down >= SUPERFAST_MBIT).sum()),
        f"Gigabit-capable ({GIGABIT_MBIT} Mbit/s)": int((down >= GIGABIT_MBIT).sum()),
    }


def double_not_spot_total(
    wards: pd.DataFrame, column: str = "premises_in_double_not_spots"
) -> tuple[float, float, float, int, bool]:
    """Sum premises (or residents) in double not-spots over wards, with a cautious range.

    Parameters
    ----------
    wards : pandas.DataFrame
        :func:`ward_figures` rows.
    column : str
        ``"premises_in_double_not_spots"`` or ``"residents_in_double_not_spots"``.

    Returns
    -------
    tuple
        Value, low and high (sums of the wards' 95 % interval ends: wider than a 95 % interval
        of the total, so a cautious range), premises in double not-spots among those checked,
        and whether any ward is a sample estimate.
    """
    events = int(wards[MEASURE["double_not_spot"].count].sum())
    estimate = bool(is_estimate(wards, "double_not_spot").any())
    values = [float(wards[column + end].sum(min_count=1)) for end in _ENDS]
    return values[0], values[1], values[2], events, estimate


def measure_text(ward: pd.Series, key: str) -> str:
    """One ward's figure for a measure (or the double not-spot counts), said with its interval.

    Parameters
    ----------
    ward : pandas.Series
        One row of :func:`ward_figures` (the ward store's row).
    key : str
        A :data:`MEASURES` key, or ``"premises_in_double_not_spots"`` /
        ``"residents_in_double_not_spots"``.
    """
    measure = MEASURE.get(key, MEASURE["double_not_spot"])
    name = measure.share if key in MEASURE else key
    unit = "%" if key in MEASURE else key.split("_")[0]
    checked = f"postcodes_checked_{measure.checked}"
    if ward.get(checked, 0) == 0 or name not in ward:
        return "not known (no postcode of the ward checked)"
    return estimate_text(
        ward[name],
        ward[name + "_low"],
        ward[name + "_high"],
        events=int(ward[measure.count]),
        estimate=bool(ward[checked] < ward["postcodes_live"]),
        unit=unit,
    )


#: Ward store columns shown as indicators that come from Ofcom's API.
INDICATOR_NAMES = frozenset(
    [*(m.share for m in MEASURES), "premises_in_double_not_spots",
     "residents_in_double_not_spots", "pct_postcodes_checked_mobile"]
)  # fmt: skip


def measure_key(column: str) -> str | None:
    """Return the :func:`measure_text` key of a ward column (None: it has no interval)."""
    shares = {m.share: m.key for m in MEASURES}
    if column in shares:
        return shares[column]
    return column if column.endswith("_in_double_not_spots") else None
