"""Joins from small areas (output areas, LSOAs) to electoral wards. Pure functions.

Counts (premises, residents) are *summed*, so a local authority's total is the same before and
after aggregation; every function here refuses to drop an area silently. Rates are never
averaged directly: they are recomputed from summed counts (:mod:`geo.indicators`) or weighted by
population.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd


class UnmatchedAreasError(ValueError):
    """Some small areas have no ward: their premises or people would be lost.

    Attributes
    ----------
    codes : list of str
        The unmatched area codes.
    """

    def __init__(self, what: str, codes: Sequence[str]):
        self.codes = sorted(codes)
        shown = ", ".join(self.codes[:8]) + (" ..." if len(self.codes) > 8 else "")
        super().__init__(f"{len(self.codes)} {what} match no ward: {shown}")


def assign_to_wards(
    areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, *, area_code: str
) -> pd.Series:
    """Return the ward of each small area: the ward containing its representative point.

    A representative point is always inside its polygon, so an output area nested in a ward is
    assigned exactly; one that straddles a boundary goes to the ward holding its interior point.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Small areas with a code column ``area_code``; any projected CRS equal to ``wards``'.
    wards : geopandas.GeoDataFrame
        Wards with ``ward_code`` and polygon geometry.
    area_code : str
        Name of the code column in ``areas`` (e.g. ``"oa_code"``).

    Returns
    -------
    pandas.Series
        Ward code indexed by area code (name ``ward_code``). Areas outside every ward are
        absent; callers pass the result to :func:`sum_to_wards`, which reports them.

    Examples
    --------
    >>> from shapely import box
    >>> wards = gpd.GeoDataFrame({"ward_code": ["W1"]}, geometry=[box(0, 0, 2, 2)])
    >>> oas = gpd.GeoDataFrame({"oa_code": ["A"]}, geometry=[box(0, 0, 1, 1)])
    >>> assign_to_wards(oas, wards, area_code="oa_code").to_dict()
    {'A': 'W1'}
    """
    if areas.crs != wards.crs:
        raise ValueError(f"CRS differ: areas {areas.crs}, wards {wards.crs}; reproject first")
    points = gpd.GeoDataFrame(
        {area_code: areas[area_code].to_numpy()},
        geometry=areas.geometry.representative_point().to_numpy(),
        crs=areas.crs,
    )
    hits = gpd.sjoin(points, wards[["ward_code", "geometry"]], predicate="intersects")
    # A point on a shared edge touches two wards: take the first code, deterministically.
    hits = hits.sort_values([area_code, "ward_code"]).drop_duplicates(area_code)
    return hits.set_index(area_code)["ward_code"]


def sum_to_wards(
    table: pd.DataFrame, area_to_ward: pd.Series, *, key: str, columns: Sequence[str]
) -> pd.DataFrame:
    """Sum count columns of small areas to wards, conserving totals.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per small area: ``key`` and the count columns (premises, residents).
    area_to_ward : pandas.Series
        Ward code indexed by area code (:func:`assign_to_wards` or a lookup).
    key : str
        Area code column of ``table``.
    columns : sequence of str
        Count columns to sum.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ward_code``, one column per count, plus ``n_areas`` (areas per ward).

    Raises
    ------
    UnmatchedAreasError
        When an area of ``table`` has no ward (its counts would be lost).
    """
    ward = table[key].map(area_to_ward)
    unmatched = table.loc[ward.isna(), key]
    if not unmatched.empty:
        raise UnmatchedAreasError(f"area(s) in column {key!r}", unmatched.tolist())
    summed = table[list(columns)].groupby(ward.rename("ward_code")).sum()
    summed["n_areas"] = ward.value_counts()
    before = table[list(columns)].sum()
    after = summed[list(columns)].sum()
    if not before.equals(after):  # pragma: no cover - a groupby that loses rows is a pandas bug
        raise AssertionError(f"totals not conserved: {before.to_dict()} != {after.to_dict()}")
    return summed


def population_weighted_to_wards(
    table: pd.DataFrame,
    area_to_ward: pd.Series,
    *,
    key: str,
    weight: str,
    values: Sequence[str],
) -> pd.DataFrame:
    """Population-weighted mean of area values (e.g. IMD ranks) for each ward.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per area: ``key``, the ``weight`` column (residents) and the ``values``.
    area_to_ward : pandas.Series
        Ward code indexed by area code.
    key : str
        Area code column.
    weight : str
        Weight column, e.g. ``"residents"``; weights must be >= 0.
    values : sequence of str
        Columns to average.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ward_code``; one column per value (weighted mean over the ward's areas).
    """
    ward = table[key].map(area_to_ward)
    unmatched = table.loc[ward.isna(), key]
    if not unmatched.empty:
        raise UnmatchedAreasError(f"area(s) in column {key!r}", unmatched.tolist())
    w = table[weight].astype(float)
    weighted = table[list(values)].mul(w, axis=0).groupby(ward.rename("ward_code")).sum()
    return weighted.div(w.groupby(ward.rename("ward_code")).sum(), axis=0)


def area_lineage(
    new: gpd.GeoDataFrame, old: gpd.GeoDataFrame, *, code: str = "lsoa_code"
) -> pd.DataFrame:
    """Trace each area of a newer vintage back to the older area it was drawn from.

    Used to give 2021 LSOAs the figures published for 2011 LSOAs (IoD 2019, WIMD 2019). A code
    present in both vintages is unchanged. A new code takes the old area that contains its
    representative point: after a split (2011 ``E01006185`` became 2021 ``E01034000`` and
    ``E01034001``) each part inherits its parent's value, which is how ONS's own LSOA11 to
    LSOA21 lookup treats splits.

    Parameters
    ----------
    new, old : geopandas.GeoDataFrame
        Areas of the newer and older vintage, each with ``code`` and polygons, same CRS.
    code : str, default "lsoa_code"
        Code column in both frames.

    Returns
    -------
    pandas.DataFrame
        Indexed by new code: ``old_code`` (NaN where the point falls in no old area) and
        ``change``: ``"unchanged"``, ``"inherited"`` (new code, value from its parent) or
        ``"unmatched"``.
    """
    if new.crs != old.crs:
        raise ValueError(f"CRS differ: new {new.crs}, old {old.crs}; reproject first")
    old_codes = set(old[code])
    same = new[new[code].isin(old_codes)]
    changed = new[~new[code].isin(old_codes)]
    parents = assign_to_wards(
        changed.assign(ward_code=None)[[code, "geometry"]],
        old[[code, "geometry"]].rename(columns={code: "ward_code"}),
        area_code=code,
    )
    lineage = pd.DataFrame(
        {
            "old_code": list(same[code]) + [parents.get(c) for c in changed[code]],
            "change": ["unchanged"] * len(same)
            + ["inherited" if c in parents else "unmatched" for c in changed[code]],
        },
        index=pd.Index(list(same[code]) + list(changed[code]), name=code),
    )
    return lineage


def point_shares(points: pd.DataFrame, *, key: str) -> pd.DataFrame:
    """Share of each small area's points (postcodes) that lie in each ward.

    Used to apportion small-area counts to wards drawn after the best-fit lookup was made:
    an LSOA with 30 of its 40 postcodes in ward A and 10 in ward B gives A 0.75 and B 0.25.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per point (e.g. a live postcode): ``key`` (its small area) and ``ward_code``.
    key : str
        Small-area code column of ``points`` (e.g. ``"lsoa_code"``).

    Returns
    -------
    pandas.DataFrame
        One row per area and ward: ``key``, ``ward_code``, ``points`` (how many) and ``share``
        (0 to 1; the shares of an area sum to 1), sorted by area and ward.

    Examples
    --------
    >>> pc = pd.DataFrame({"lsoa_code": ["L1", "L1", "L1", "L2"], "ward_code": list("AABB")})
    >>> point_shares(pc, key="lsoa_code")
      lsoa_code ward_code  points     share
    0        L1         A       2  0.666667
    1        L1         B       1  0.333333
    2        L2         B       1  1.000000
    """
    placed = points.dropna(subset=[key, "ward_code"])
    counts = placed.groupby([key, "ward_code"]).size().rename("points").reset_index()
    counts["share"] = counts["points"] / counts.groupby(key)["points"].transform("sum")
    return counts


def split_to_wards(
    table: pd.DataFrame, shares: pd.DataFrame, *, key: str, counts: Sequence[str]
) -> pd.DataFrame:
    """Split each small area over the wards it falls in, conserving every count exactly.

    Each count is shared out by ``shares`` in whole numbers by the largest-remainder method:
    an area's pieces add up to the area's count, so no resident or household is lost or
    counted twice. Other columns (ranks, scores) are copied to every piece.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per small area: ``key`` and the whole-number ``counts`` (people, households).
    shares : pandas.DataFrame
        ``key``, ``ward_code`` and ``share`` (each area's shares sum to 1), from
        :func:`point_shares`, or a best-fit lookup with share 1.
    key : str
        Small-area code column of both frames.
    counts : sequence of str
        Count columns to split.

    Returns
    -------
    pandas.DataFrame
        One row per piece (area and ward): the columns of ``table``, ``ward_code``, ``share``
        and ``piece`` (a number per row, to pass the pieces to :func:`sum_to_wards` and
        :func:`population_weighted_to_wards` as areas of their own, with
        ``pieces.set_index("piece")["ward_code"]`` as the area-to-ward map), counts replaced by
        the piece's whole-number part.

    Raises
    ------
    UnmatchedAreasError
        When an area of ``table`` has no share in any ward (its counts would be lost).

    Examples
    --------
    >>> areas = pd.DataFrame({"lsoa_code": ["L1"], "residents": [10]})
    >>> shares = pd.DataFrame(
    ...     {"lsoa_code": ["L1"] * 3, "ward_code": ["A", "B", "C"], "share": [1 / 3] * 3}
    ... )
    >>> split_to_wards(areas, shares, key="lsoa_code", counts=["residents"])["residents"].tolist()
    [4, 3, 3]
    """
    known = table[key].isin(shares[key])
    if not known.all():
        raise UnmatchedAreasError(f"area(s) in column {key!r}", table.loc[~known, key].tolist())
    pieces = table.merge(shares[[key, "ward_code", "share"]], on=key, how="left", sort=False)
    pieces = pieces.sort_values([key, "ward_code"], ignore_index=True)
    for column in counts:
        pieces[column] = _largest_remainder(pieces[column], pieces["share"], pieces[key])
    pieces["piece"] = np.arange(len(pieces))
    return pieces


def _largest_remainder(totals: pd.Series, share: pd.Series, area: pd.Series) -> pd.Series:
    """Whole-number parts of each area's total by share; the parts of an area add up exactly."""
    exact = totals.astype(float) * share
    floor = np.floor(exact + 1e-9)
    left = (totals.groupby(area).transform("first") - floor.groupby(area).transform("sum")).round()
    order = pd.DataFrame({"area": area, "fraction": exact - floor}).sort_values(
        ["area", "fraction"], ascending=[True, False], kind="stable"
    )
    rank = order.groupby("area").cumcount().reindex(totals.index)
    return (floor + (rank < left)).astype("int64")


def overlap_shares(areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, *, key: str) -> pd.DataFrame:
    """Share of each small area's land area in each ward: the last resort for apportioning.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Small areas with ``key`` and polygons; same projected CRS as ``wards`` (metres).
    wards : geopandas.GeoDataFrame
        Wards with ``ward_code`` and polygons.
    key : str
        Small-area code column.

    Returns
    -------
    pandas.DataFrame
        ``key``, ``ward_code``, ``share`` (of the area's land inside the wards; each area's
        shares sum to 1). Areas outside every ward are absent.

    Examples
    --------
    >>> from shapely import box
    >>> wards = gpd.GeoDataFrame(
    ...     {"ward_code": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)]
    ... )
    >>> lsoa = gpd.GeoDataFrame({"lsoa_code": ["L1"]}, geometry=[box(0.5, 0, 2, 1)])
    >>> overlap_shares(lsoa, wards, key="lsoa_code")["share"].round(3).tolist()
    [0.333, 0.667]
    """
    if areas.crs != wards.crs:
        raise ValueError(f"CRS differ: areas {areas.crs}, wards {wards.crs}; reproject first")
    pieces = gpd.overlay(areas[[key, "geometry"]], wards[["ward_code", "geometry"]])
    pieces = pieces.assign(land=pieces.geometry.area)[[key, "ward_code", "land"]]
    pieces = pieces[pieces["land"] > 0]
    pieces["share"] = pieces["land"] / pieces.groupby(key)["land"].transform("sum")
    return pieces[[key, "ward_code", "share"]].sort_values([key, "ward_code"], ignore_index=True)
