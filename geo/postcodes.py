"""Postcodes: centroids as points, the ward of each postcode, search, and coverage per ward.

Pure functions: frames in, frames out, no file or network I/O. The postcode directory is the
frame :func:`ingest.sources.ons_geography.read_postcodes` returns (``postcode`` in the one-space
form ``"M15 4AB"``, ``ward_code``, ``lon``/``lat`` WGS84 centroids, NaN where ONSPD has no grid
reference); Ofcom's postcode coverage is the frame of
:func:`ingest.sources.ofcom_fixed.read_fixed_postcode`.

How a postcode gets its ward (:func:`postcodes_to_wards`)
---------------------------------------------------------
1. ``"lookup"``: the directory's own ``ward_code``, when it is a ward of ``wards`` (or when no
   ``wards`` are given). ONSPD places each postcode with its full-resolution grid reference, so
   its code beats any point-in-polygon test against generalised boundaries.
2. ``"spatial"``: otherwise the centroid, in EPSG:27700, ``within`` a ward polygon.
3. ``"nearest"``: a centroid in no polygon but within :data:`NEAREST_TOLERANCE_M` of one (on a
   shared edge, where ``within`` holds for neither ward; just off a coastline or an edge moved
   by generalisation) takes the nearest ward; ties go to the smaller ward code.
4. ``"unmatched"``: anything else (no coordinates, or farther than the tolerance from every
   ward) is never dropped silently: :class:`geo.joins.UnmatchedAreasError` lists it, or with
   ``unmatched="report"`` it is returned with ``ward_code`` NaN.

Vintage mismatch is detected by codes: a directory ward code that is not a ward code of
``wards`` belongs to another vintage (or another council). ONS issues a new GSS code whenever a
ward's boundary changes (Code History Database policy), so a code present in both names the
same area in both and its postcodes keep the directory's ward; postcodes of the other codes are
placed spatially. Trafford, re-warded in May 2023, shares no code between its 2022 and 2023
wards, so a 2025 directory against 2022 wards is placed entirely by geometry.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._checks import require_columns
from geo.joins import UnmatchedAreasError

if TYPE_CHECKING:
    from pyproj import CRS

#: Largest gap, in metres, between a postcode centroid and a ward polygon that still assigns
#: the postcode to that ward (method ``"nearest"``). ONS's generalised (BGC) boundaries are
#: simplified to 20 m, so an edge can move by about that much; 50 m covers it with margin and
#: catches centroids a few metres off a coastline-clipped (BFC) boundary, while staying far
#: below the size of any ward, so a postcode of the next council is not pulled in.
NEAREST_TOLERANCE_M = 50.0

#: A full UK postcode in the directory form: outward code, one space, inward code.
POSTCODE_PATTERN = r"(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) \d[A-Z]{2}"
_POSTCODE = re.compile(POSTCODE_PATTERN)
_OUTWARD = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?")

Method = Literal["lookup", "spatial", "nearest", "unmatched"]


def _require_unique(values: pd.Series, *, argument: str) -> None:
    if values.is_unique:
        return
    repeated = values[values.duplicated()].unique().tolist()
    if repeated:
        raise ValueError(
            f"{argument}: {len(repeated)} postcode(s) appear more than once (e.g. "
            f"{repeated[:3]}); expected one row per postcode. Drop the repeats first."
        )


def _compact(values: pd.Series) -> pd.Series:
    """Postcodes without any whitespace, upper case (``"m15 4ab"`` -> ``"M154AB"``)."""
    return values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)


# --- points ---------------------------------------------------------------------------------


def postcode_points(postcodes: pd.DataFrame, *, crs: str | CRS = "EPSG:27700") -> gpd.GeoDataFrame:
    """Turn postcode centroids (WGS84 longitude/latitude) into points in ``crs``.

    Parameters
    ----------
    postcodes : pandas.DataFrame
        One row per postcode with ``postcode``, ``lon`` and ``lat`` (degrees, WGS84), as
        :func:`ingest.sources.ons_geography.read_postcodes` returns; ``lon``/``lat`` NaN where the
        directory has no grid reference. Other columns are carried over.
    crs : str or pyproj.CRS, default "EPSG:27700"
        CRS of the returned points (British National Grid, metres, for analysis).

    Returns
    -------
    geopandas.GeoDataFrame
        The rows that have both coordinates, input index and columns kept, with point
        ``geometry`` in ``crs``. ``attrs["no_location"]``: list of the postcodes left out
        because ``lon`` or ``lat`` is missing (never dropped unreported).

    Raises
    ------
    ValueError
        When a column is missing or the coordinates are not degrees (e.g. British National
        Grid eastings and northings given as ``lon``/``lat``).

    Examples
    --------
    >>> pcs = pd.DataFrame({"postcode": ["M15 4AB", "M1 1AA"], "lon": [-2.26046, None],
    ...                     "lat": [53.465578, None]})
    >>> points = postcode_points(pcs)
    >>> len(points), points.crs.to_epsg(), points.attrs["no_location"]
    (1, 27700, ['M1 1AA'])
    """
    require_columns(postcodes, ["postcode", "lon", "lat"], argument="postcodes")
    lon = pd.to_numeric(postcodes["lon"], errors="raise").astype(float)
    lat = pd.to_numeric(postcodes["lat"], errors="raise").astype(float)
    located = lon.notna() & lat.notna()
    wrong = located & ~(lon.between(-180, 180) & lat.between(-90, 90))
    if wrong.any():
        first = wrong.idxmax()
        raise ValueError(
            f"postcodes: {int(wrong.sum())} row(s) have lon/lat outside -180..180 / -90..90 "
            f"degrees (e.g. {postcodes.loc[first, 'postcode']}: lon {lon[first]}, lat "
            f"{lat[first]}); expected WGS84 degrees. Are these eastings/northings?"
        )
    kept = postcodes.loc[located]
    points = gpd.GeoDataFrame(
        kept,
        geometry=gpd.points_from_xy(lon[located], lat[located], crs="EPSG:4326"),
    ).to_crs(crs)
    points.attrs = {"no_location": postcodes.loc[~located, "postcode"].astype(str).tolist()}
    return points


# --- postcode -> ward -----------------------------------------------------------------------


def _locate(points: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, tolerance_m: float) -> pd.DataFrame:
    """Ward, method and distance of each point (index kept); method "unmatched" beyond tolerance."""
    polygons = wards[["ward_code", "geometry"]].reset_index(drop=True)
    located = pd.DataFrame(
        {"ward_code": pd.Series(np.nan, index=points.index, dtype=object)},
    )
    located["method"] = "unmatched"
    located["distance_m"] = np.nan
    if points.empty:
        return located
    left = gpd.GeoDataFrame(geometry=points.geometry.to_numpy(), crs=points.crs)
    left["_row"] = np.arange(len(points))
    inside = gpd.sjoin(left, polygons, predicate="within", how="inner")
    # Overlapping wards (bad data) could hold a point twice: keep the smaller code.
    inside = inside.sort_values(["_row", "ward_code"]).drop_duplicates("_row")
    rows = inside["_row"].to_numpy()
    located.iloc[rows, 0] = inside["ward_code"].to_numpy()
    located.iloc[rows, 1] = "spatial"
    located.iloc[rows, 2] = 0.0

    rest = left[~left["_row"].isin(rows)]
    if not rest.empty:
        near = gpd.sjoin_nearest(rest, polygons, how="inner", distance_col="distance_m")
        near = near.sort_values(["_row", "distance_m", "ward_code"]).drop_duplicates("_row")
        close = near["distance_m"].to_numpy() <= tolerance_m
        rows = near["_row"].to_numpy()
        located.iloc[rows[close], 0] = near["ward_code"].to_numpy()[close]
        located.iloc[rows[close], 1] = "nearest"
        located.iloc[rows, 2] = near["distance_m"].to_numpy()
    return located


def postcodes_to_wards(
    postcodes: pd.DataFrame,
    wards: gpd.GeoDataFrame | None = None,
    *,
    tolerance_m: float = NEAREST_TOLERANCE_M,
    unmatched: Literal["raise", "report"] = "raise",
) -> pd.DataFrame:
    """Return the electoral ward of each postcode, saying how it was found.

    See the module docstring for the order of methods and how a ward vintage mismatch is
    detected: a postcode keeps the directory's ``ward_code`` when that code is a ward of
    ``wards`` (or when ``wards`` is None); otherwise its centroid is placed in the ward
    polygons (``within``, then the nearest ward within ``tolerance_m``).

    Parameters
    ----------
    postcodes : pandas.DataFrame
        One row per postcode: ``postcode``, and ``ward_code`` (directory ward, optional when
        ``wards`` are given) and/or ``lon``, ``lat`` (WGS84 centroid, NaN if unknown).
    wards : geopandas.GeoDataFrame, optional
        Ward polygons with ``ward_code``, in a projected CRS in metres (EPSG:27700, as
        :func:`ingest.sources.ons_geography.read_wards` returns). None: use the directory codes
        only.
    tolerance_m : float, default :data:`NEAREST_TOLERANCE_M` (50 m)
        Largest distance from a centroid to a ward polygon for the ``"nearest"`` method.
    unmatched : {"raise", "report"}, default "raise"
        What to do with postcodes that match no ward: raise
        :class:`~geo.joins.UnmatchedAreasError` listing them, or return them with
        ``ward_code`` NaN and ``method`` ``"unmatched"``.

    Returns
    -------
    pandas.DataFrame
        Input index and order, one row per input postcode: ``postcode``, ``ward_code``,
        ``method`` (``"lookup"``, ``"spatial"``, ``"nearest"`` or ``"unmatched"``) and
        ``distance_m`` (metres from the centroid to the ward: 0 for ``"spatial"``, the gap
        for ``"nearest"``, the gap to the nearest ward for ``"unmatched"``; NaN for
        ``"lookup"`` and postcodes without coordinates). ``attrs``: ``tolerance_m``,
        ``ward_vintage`` (``wards.attrs["ward_vintage"]`` if any), ``vintage_mismatch``
        (True when a directory ward code is not in ``wards``), ``codes_not_in_wards``
        (those codes), ``no_location`` (postcodes that needed geometry but have no
        coordinates) and ``methods`` (count per method).

    Raises
    ------
    UnmatchedAreasError
        With ``unmatched="raise"``, when any postcode matches no ward (``codes``: them).
    ValueError
        Missing columns, repeated postcodes, or ``wards`` without a projected CRS.

    Examples
    --------
    >>> from shapely import box
    >>> wards = gpd.GeoDataFrame({"ward_code": ["W1"]}, geometry=[box(380000, 395000,
    ...                          386000, 399000)], crs="EPSG:27700")
    >>> pcs = pd.DataFrame({"postcode": ["M15 4AB"], "lon": [-2.26046], "lat": [53.465578]})
    >>> postcodes_to_wards(pcs, wards)[["ward_code", "method"]].values.tolist()
    [['W1', 'spatial']]
    """
    if unmatched not in ("raise", "report"):
        raise ValueError(f"unmatched={unmatched!r}; expected 'raise' or 'report'.")
    require_columns(postcodes, ["postcode"], argument="postcodes")
    _require_unique(postcodes["postcode"], argument="postcodes")
    if wards is None:
        require_columns(
            postcodes,
            ["ward_code"],
            argument="postcodes",
            hint=" Without wards the directory's own ward_code is needed; or pass wards.",
        )
    else:
        require_columns(wards, ["ward_code", "geometry"], argument="wards")
        if wards.crs is None or not wards.crs.is_projected:
            raise ValueError(
                f"wards have CRS {wards.crs}; expected a projected CRS in metres such as "
                "EPSG:27700 (wards.to_crs('EPSG:27700')), so that distances are metres."
            )

    out = pd.DataFrame(
        {
            "postcode": postcodes["postcode"],
            "ward_code": pd.Series(np.nan, index=postcodes.index, dtype=object),
            "method": "unmatched",
            "distance_m": np.nan,
        },
        index=postcodes.index,
    )
    directory = (
        postcodes["ward_code"].astype("string").str.strip().replace("", pd.NA)
        if "ward_code" in postcodes.columns
        else pd.Series(pd.NA, index=postcodes.index, dtype="string")
    )
    known = set(wards["ward_code"]) if wards is not None else None
    foreign = sorted(set(directory.dropna().unique()) - known) if known is not None else []
    lookup = directory.notna() if known is None else directory.isin(known).fillna(False)
    lookup = lookup.astype(bool)
    out.loc[lookup, "ward_code"] = directory[lookup].astype(object)
    out.loc[lookup, "method"] = "lookup"

    no_location: list[str] = []
    if wards is not None and not lookup.all():
        need = postcodes.loc[~lookup]
        if {"lon", "lat"} <= set(need.columns):
            points = postcode_points(need[["postcode", "lon", "lat"]], crs=wards.crs)
            no_location = points.attrs["no_location"]
            out.loc[points.index, ["ward_code", "method", "distance_m"]] = _locate(
                points, wards, tolerance_m
            )
        else:
            no_location = need["postcode"].astype(str).tolist()

    out.attrs = {
        "tolerance_m": tolerance_m,
        "ward_vintage": wards.attrs.get("ward_vintage") if wards is not None else None,
        "vintage_mismatch": bool(foreign),
        "codes_not_in_wards": foreign,
        "no_location": no_location,
        "methods": out["method"].value_counts().to_dict(),
    }
    lost = out["method"] == "unmatched"
    if lost.any() and unmatched == "raise":
        n_far = int((lost & out["distance_m"].notna()).sum())
        n_blind = int(lost.sum()) - n_far
        reasons = []
        if n_blind and wards is None:
            reasons.append(f"{n_blind} with no ward_code in the directory; pass wards")
        elif n_blind:
            reasons.append(f"{n_blind} with no coordinates")
        if n_far:
            reasons.append(f"{n_far} more than {tolerance_m:g} m from every ward")
        raise UnmatchedAreasError(
            f"postcode(s) ({'; '.join(reasons)}; pass unmatched='report' to keep them, or "
            "give only the wards' council's postcodes)",
            out.loc[lost, "postcode"].astype(str).tolist(),
        )
    return out


# --- search ---------------------------------------------------------------------------------


def normalise_postcode(query: str) -> str:
    """Return a typed postcode in the directory form: upper case, one space before the last 3.

    Parameters
    ----------
    query : str
        What a user typed: ``"m15 4ab"``, ``"M154AB"``, ``"  M15   4AB "``.

    Returns
    -------
    str
        e.g. ``"M15 4AB"``.

    Raises
    ------
    ValueError
        When the text is not shaped like a full UK postcode; the message says what is wrong.

    Examples
    --------
    >>> normalise_postcode(" m154ab ")
    'M15 4AB'
    """
    if not isinstance(query, str):
        raise ValueError(f"postcode {query!r} is a {type(query).__name__}; expected text.")
    compact = re.sub(r"\s+", "", query).upper()
    example = "such as 'M15 4AB' or 'WA14 2UE'"
    if not compact:
        raise ValueError(f"No postcode given: type a full postcode {example}.")
    if not compact.isalnum() or not compact.isascii():
        raise ValueError(
            f"{query.strip()!r} is not a postcode: use only letters, digits and spaces, {example}."
        )
    if _OUTWARD.fullmatch(compact):
        raise ValueError(
            f"{query.strip()!r} is only the first half of a postcode (the district); add the "
            f"last three characters, a digit and two letters, {example}."
        )
    spaced = f"{compact[:-3]} {compact[-3:]}"
    if not _POSTCODE.fullmatch(spaced):
        raise ValueError(
            f"{query.strip()!r} is not a UK postcode: expected 1-2 letters, a digit, an "
            f"optional letter or digit, then a digit and two letters, {example}."
        )
    return spaced


def find_postcode(query: str, postcodes: pd.DataFrame) -> pd.Series | None:
    """Find what a user typed in the postcode directory.

    Parameters
    ----------
    query : str
        Postcode as typed, any case and spacing (``"m15 4ab"``, ``"M154AB"``).
    postcodes : pandas.DataFrame
        Directory with ``postcode`` in the one-space form (``"M15 4AB"``), as
        :func:`ingest.sources.ons_geography.read_postcodes` returns.

    Returns
    -------
    pandas.Series or None
        The directory row of the postcode (its index label as ``name``), or None when the
        postcode is well formed but not in the directory (another council, or terminated).

    Raises
    ------
    ValueError
        When ``query`` is not shaped like a UK postcode (see :func:`normalise_postcode`).

    Examples
    --------
    >>> pcs = pd.DataFrame({"postcode": ["M15 4AB"], "ward_code": ["E05015247"]})
    >>> find_postcode("m154ab", pcs)["ward_code"]
    'E05015247'
    >>> find_postcode("M1 1AA", pcs) is None
    True
    """
    require_columns(postcodes, ["postcode"], argument="postcodes")
    wanted = normalise_postcode(query)
    hits = np.flatnonzero(postcodes["postcode"].to_numpy() == wanted)
    if hits.size == 0:
        return None
    return postcodes.iloc[int(hits[0])]


# --- coverage -------------------------------------------------------------------------------

#: Columns of :func:`postcode_coverage_by_ward`. Every figure counts or summarises *postcodes*,
#: never premises.
COVERAGE_COLUMNS: tuple[str, ...] = (
    "n_postcodes",
    "n_postcodes_with_data",
    "n_postcodes_any_below_uso",
    "postcode_median_pct_gigabit",
    "postcode_min_pct_gigabit",
    "postcode_max_pct_gigabit",
)


def postcode_coverage_by_ward(coverage: pd.DataFrame, postcode_wards: pd.DataFrame) -> pd.DataFrame:
    """Summarise Ofcom postcode coverage per ward, in numbers of **postcodes**, not premises.

    Ofcom's postcode files give percentages of each postcode's premises and no premises
    counts, so they cannot be summed or premises-weighted: a postcode of 2 premises and one of
    80 count the same here. Use these figures to say "12 of the ward's 340 postcodes have
    premises below the USO", never as a number or share of premises (the output-area files,
    which carry counts, give those).

    Parameters
    ----------
    coverage : pandas.DataFrame
        :func:`ingest.sources.ofcom_fixed.read_fixed_postcode` frame (one or several postcode areas
        concatenated): ``postcode_space`` (or ``postcode``), ``pct_premises_below_uso`` (from
        2026 "unable to receive decent broadband from fixed or FWA") and
        ``pct_premises_gigabit``, in % of the postcode's premises.
    postcode_wards : pandas.DataFrame
        :func:`postcodes_to_wards` output: ``postcode`` and ``ward_code``. Postcodes are
        matched ignoring case and spaces. Rows with no ward are left out and counted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ward_code`` (every ward of ``postcode_wards``), columns
        :data:`COVERAGE_COLUMNS`: ``n_postcodes`` (postcodes assigned to the ward),
        ``n_postcodes_with_data`` (of those, in ``coverage``), ``n_postcodes_any_below_uso``
        (postcodes where ``pct_premises_below_uso > 0``, i.e. at least one premises below
        the USO) and the median, minimum and maximum over the ward's postcodes of
        ``pct_premises_gigabit`` (NaN with no data). ``attrs``: ``unit`` ("postcodes, not
        premises"), ``coverage_postcodes_outside`` (coverage rows of no listed ward),
        ``postcodes_without_ward``, ``premises_scope``, ``source_file``, ``notes``.

    Raises
    ------
    ValueError
        Missing columns or a postcode repeated in either frame.

    Examples
    --------
    >>> cov = pd.DataFrame({"postcode_space": ["CR0 5BX", "CR0 5LP"],
    ...                     "pct_premises_below_uso": [0.0, 12.5],
    ...                     "pct_premises_gigabit": [100.0, 0.0]})
    >>> pw = pd.DataFrame({"postcode": ["CR0 5BX", "CR0 5LP"], "ward_code": ["W1", "W1"]})
    >>> int(postcode_coverage_by_ward(cov, pw).loc["W1", "n_postcodes_any_below_uso"])
    1
    """
    key = "postcode_space" if "postcode_space" in coverage.columns else "postcode"
    require_columns(
        coverage,
        [key, "pct_premises_below_uso", "pct_premises_gigabit"],
        argument="coverage",
        hint=" Read it with ingest.sources.ofcom_fixed.read_fixed_postcode().",
    )
    require_columns(
        postcode_wards,
        ["postcode", "ward_code"],
        argument="postcode_wards",
        hint=" Make it with geo.postcodes.postcodes_to_wards().",
    )
    cov_key = _compact(coverage[key])
    map_key = _compact(postcode_wards["postcode"])
    _require_unique(cov_key, argument="coverage")
    _require_unique(map_key, argument="postcode_wards")

    assigned = postcode_wards["ward_code"].notna()
    ward_of = pd.Series(
        postcode_wards.loc[assigned, "ward_code"].to_numpy(),
        index=map_key[assigned].to_numpy(),
    )
    values = pd.DataFrame(
        {
            "ward_code": cov_key.map(ward_of).to_numpy(),
            "below_uso": pd.to_numeric(coverage["pct_premises_below_uso"]).to_numpy() > 0,
            "gigabit": pd.to_numeric(coverage["pct_premises_gigabit"]).to_numpy(dtype=float),
        }
    )
    outside = int(values["ward_code"].isna().sum())
    values = values.dropna(subset=["ward_code"])
    groups = values.groupby("ward_code")
    out = pd.DataFrame(
        {"n_postcodes": ward_of.value_counts()},
    ).rename_axis("ward_code")
    out["n_postcodes_with_data"] = groups.size()
    out["n_postcodes_any_below_uso"] = groups["below_uso"].sum()
    out[["n_postcodes_with_data", "n_postcodes_any_below_uso"]] = (
        out[["n_postcodes_with_data", "n_postcodes_any_below_uso"]].fillna(0).astype("int64")
    )
    out["postcode_median_pct_gigabit"] = groups["gigabit"].median()
    out["postcode_min_pct_gigabit"] = groups["gigabit"].min()
    out["postcode_max_pct_gigabit"] = groups["gigabit"].max()
    out = out.sort_index()[list(COVERAGE_COLUMNS)]
    out.attrs = {
        "unit": "postcodes, not premises",
        "coverage_postcodes_outside": outside,
        "postcodes_without_ward": int((~assigned).sum()),
        "premises_scope": coverage.attrs.get("premises_scope"),
        "source_file": coverage.attrs.get("source_file"),
        "notes": (
            "Counts are numbers of postcodes. Ofcom's postcode files carry percentages only, "
            "so they are not summed to premises; each postcode counts once whatever its size."
        ),
    }
    return out
