"""Outreach planning: which wards a set of venues reaches on foot, and which high-risk wards none.

Pure functions: frames in, frames out, no file or network I/O. Venues are the frame
:func:`ingest.sources.venues.read_venues` returns (``name``, ``lon``/``lat`` WGS84); wards are
the ward store's GeoDataFrame (EPSG:27700, ``ward_code``, ``ward_name``, ``residents``,
``residents_65_plus``); postcodes are the place's postcode directory (``postcode``,
``lon``/``lat`` WGS84 centroids, ``ward_code``).

How reach is measured (:func:`ward_reach`)
------------------------------------------
- A venue's catchment is the disc of radius :data:`WALKING_CATCHMENT_M` around it: a
  straight-line ("as the crow flies") distance, not a distance along streets.
- Residents are not located individually, so a ward's **postcode centroids stand in for its
  residents**: the share of the ward's postcodes within the radius of some venue is the share
  reached. Postcodes are not weighted by residents (a postcode of 5 homes counts the same as
  one of 60); a postcode holds about 15 premises on average, so over a ward's hundreds of
  postcodes this is a fair proxy, but not a count of people.
- A ward with at least :data:`REACHED_SHARE` of its postcodes within the radius is *reached*.
- A ward with no located postcode falls back to the share of its **area** inside the union of
  the catchments (``reach_method == "area"``); area is a weaker proxy (fields and parks count
  as much as streets), so the method is stated on every row.
- Each ward also has a ``reach_status`` in plain words (:data:`REACH_STATUSES`): "reached" as
  above; "partly reached" when it is not, but some of its postcodes (or area) are within the
  radius or a venue lies inside it; "not reached" when neither. ``reached`` (True/False) is
  kept beside it, so "partly reached" wards count as not reached in :func:`reach_totals`.

Counts that are not known (a ward whose ``residents`` or ``residents_65_plus`` is NaN, e.g.
Scottish builds without residents aged 65+) are never counted as 0: :func:`reach_totals` and
:func:`residents_within_reach` give no total where one is missing, and say how many wards
lacked the count.
"""

from __future__ import annotations

import math
import operator
from typing import Any, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._checks import require_columns
from geo.crs import ANALYSIS_CRS
from geo.postcodes import postcode_points

#: Walking catchment of a venue, metres, straight line. 800 m is about 10 minutes' walk at
#: 4.8 km/h (3 mph), the "10-minute walk" or 800 m "pedshed" of UK planning practice: Manual
#: for Streets (DfT, 2007, para 4.4.1) describes walkable neighbourhoods as having facilities
#: "within 10 minutes' (up to about 800 m) walking distance". It is a radius, not a route:
#: streets, rivers, railways and main roads make real walks longer, and older or disabled
#: residents walk slower (at 3 km/h, 800 m takes 16 minutes), so it overstates reach.
WALKING_CATCHMENT_M = 800.0
#: Share of a ward's postcodes (or, without postcodes, of its area) that must lie within a
#: venue's catchment for the ward to count as reached: a majority, so a venue just inside one
#: corner of a ward does not mark the whole ward as served.
REACHED_SHARE = 0.5
#: The values of ``reach_status`` (:func:`ward_reach`), from best to worst.
REACH_STATUSES = ("reached", "partly reached", "not reached")
#: Columns of :func:`ward_reach`.
REACH_COLUMNS = (
    "ward_code",
    "reach_method",
    "n_postcodes",
    "n_postcodes_reached",
    "share_reached",
    "venues_inside",
    "reached",
    "reach_status",
    "nearest_venue",
    "nearest_venue_m",
)
#: Columns of :func:`unreached_priorities`.
PRIORITY_COLUMNS = (
    "ward_code",
    "ward_name",
    "residents",
    "residents_65_plus",
    "risk",
    "reach_status",
    "reach_note",
    "venues_inside",
    "share_reached",
    "reach_method",
    "nearest_venue",
    "nearest_venue_m",
)
#: A council officer's heading, with its unit, for each of :data:`PRIORITY_COLUMNS`, in the
#: same order: one set of headings for the app's table and any export. The values stay as
#: :func:`unreached_priorities` returns them: ``share_reached`` is a share from 0 to 1 (a
#: "percent" display format multiplies it by 100), ``nearest_venue_m`` metres. ``risk`` is
#: headed as the digital exclusion risk index of :func:`geo.index.compute_index` (0 to 10).
PRIORITY_LABELS: dict[str, str] = {
    "ward_code": "Ward code (ONS)",
    "ward_name": "Ward",
    "residents": "Residents (people)",
    "residents_65_plus": "Residents aged 65+ (people)",
    "risk": "Risk index (0-10)",
    "reach_status": "Reach",
    "reach_note": "Reach, in words",
    "venues_inside": "Venues inside the ward (count)",
    "share_reached": "Within reach (% of postcodes, or of area)",
    "reach_method": "Measured by (postcodes or area)",
    "nearest_venue": "Nearest venue",
    "nearest_venue_m": "Nearest venue (m, straight line)",
}
#: Columns of :func:`ward_reach` repeated in :func:`unreached_priorities`.
_REACH_SHOWN = (
    "reach_status",
    "venues_inside",
    "share_reached",
    "reach_method",
    "nearest_venue",
    "nearest_venue_m",
)
#: Counts that :func:`reach_totals` and :func:`residents_within_reach` add up (people).
_PEOPLE = ("residents", "residents_65_plus")


def _require_metres(frame: gpd.GeoDataFrame, *, argument: str) -> None:
    if frame.crs is None or not frame.crs.is_projected:
        raise ValueError(
            f"{argument} have CRS {frame.crs}; expected a projected CRS in metres such as "
            f"{ANALYSIS_CRS} (.to_crs('{ANALYSIS_CRS}')), so that distances are metres."
        )


def _require_radius(radius_m: float) -> None:
    if not (np.isfinite(radius_m) and radius_m > 0):
        raise ValueError(f"radius_m is {radius_m!r}; expected a distance in metres above 0.")


def venue_points(venues: pd.DataFrame) -> gpd.GeoDataFrame:
    """Turn venues (WGS84 longitude/latitude) into points in British National Grid.

    Parameters
    ----------
    venues : pandas.DataFrame
        One row per venue with ``name``, ``lon`` and ``lat`` (degrees, WGS84), as
        :func:`ingest.sources.venues.read_venues` returns. Other columns are carried over.

    Returns
    -------
    geopandas.GeoDataFrame
        Input index and columns, point ``geometry`` in EPSG:27700 (metres); ``attrs`` empty.

    Raises
    ------
    ValueError
        A column is missing, or a venue has no coordinates or coordinates that are not degrees.

    Examples
    --------
    >>> v = pd.DataFrame({"name": ["Library"], "lon": [-2.26046], "lat": [53.465578]})
    >>> venue_points(v).crs.to_epsg()
    27700
    """
    require_columns(venues, ["name", "lon", "lat"], argument="venues")
    lon = pd.to_numeric(venues["lon"]).astype(float)
    lat = pd.to_numeric(venues["lat"]).astype(float)
    bad = ~(lon.between(-180, 180) & lat.between(-90, 90))
    if bad.any():
        first = bad.idxmax()
        raise ValueError(
            f"venues: {int(bad.sum())} venue(s) have no lon/lat in degrees (e.g. "
            f"{venues.loc[first, 'name']!r}: lon {lon[first]}, lat {lat[first]}); expected WGS84 "
            "degrees for every venue. Read venue files with ingest.sources.venues.read_venues()."
        )
    points = gpd.GeoDataFrame(
        venues, geometry=gpd.points_from_xy(lon, lat, crs="EPSG:4326")
    ).to_crs(ANALYSIS_CRS)
    points.attrs = {}
    return points


def catchments(
    venues: gpd.GeoDataFrame, *, radius_m: float = WALKING_CATCHMENT_M
) -> gpd.GeoDataFrame:
    """Return the walking catchment of each venue: a disc of ``radius_m`` around it.

    Parameters
    ----------
    venues : geopandas.GeoDataFrame
        Venue points in a projected CRS in metres (:func:`venue_points`).
    radius_m : float, default :data:`WALKING_CATCHMENT_M` (800 m)
        Straight-line radius in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Input index and columns (``name`` ...), ``geometry`` the disc (a 64-sided polygon,
        within 1 m of the circle at 800 m) in the venues' CRS.

    Examples
    --------
    >>> v = venue_points(pd.DataFrame({"name": ["L"], "lon": [-2.26], "lat": [53.47]}))
    >>> round(float(catchments(v, radius_m=100).area.iloc[0]) / (np.pi * 100**2), 3)
    0.998
    """
    _require_metres(venues, argument="venues")
    _require_radius(radius_m)
    return venues.assign(geometry=venues.buffer(radius_m))


def _nearest_venue(points: gpd.GeoSeries, venues: gpd.GeoDataFrame) -> pd.DataFrame:
    """Name of and distance (m) to the nearest venue of each point; ties go to the first name."""
    out = pd.DataFrame(
        {"venue": pd.Series(np.nan, index=points.index, dtype=object), "distance_m": np.nan}
    )
    if points.empty or venues.empty:
        return out
    left = gpd.GeoDataFrame({"_pos": np.arange(len(points))}, geometry=points.values)
    right = gpd.GeoDataFrame({"venue": venues["name"].to_numpy()}, geometry=venues.geometry.values)
    near = gpd.sjoin_nearest(left, right, how="inner", distance_col="distance_m")
    near = near.sort_values(["_pos", "distance_m", "venue"]).drop_duplicates("_pos")
    out.iloc[near["_pos"].to_numpy(), 0] = near["venue"].to_numpy()
    out.iloc[near["_pos"].to_numpy(), 1] = near["distance_m"].to_numpy()
    return out


def _venues_inside(wards: gpd.GeoSeries, venues: gpd.GeoSeries) -> np.ndarray:
    """Count the venue points inside or on the boundary of each ward polygon, in ward order."""
    _, ward_position = wards.sindex.query(venues.values, predicate="intersects")
    return np.bincount(ward_position, minlength=len(wards)).astype("int64")


def ward_reach(
    wards: gpd.GeoDataFrame,
    postcodes: pd.DataFrame,
    venues: gpd.GeoDataFrame,
    *,
    radius_m: float = WALKING_CATCHMENT_M,
    reached_share: float = REACHED_SHARE,
) -> pd.DataFrame:
    """Measure, per ward, the share of its postcodes within walking distance of any venue.

    See the module docstring: postcode centroids stand in for residents (unweighted); a ward
    with no located postcode is measured by the share of its area inside the catchments. Each
    ward is "reached", "partly reached" or "not reached" (``reach_status``), and the venues
    inside it are counted.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        One row per ward, ``ward_code`` (unique) and polygons in a projected CRS in metres
        (EPSG:27700, as the ward store holds them).
    postcodes : pandas.DataFrame
        The place's postcode directory: ``postcode``, ``lon``/``lat`` (WGS84 centroid, NaN if
        unknown) and ``ward_code`` (``store.read_table(la, "postcodes")``). Postcodes of other
        wards, or without coordinates, are left out and counted in ``attrs``.
    venues : geopandas.GeoDataFrame
        Venue points with ``name`` (:func:`venue_points`); reprojected to the wards' CRS. No
        venues: nothing is reached.
    radius_m : float, default :data:`WALKING_CATCHMENT_M` (800 m)
        Straight-line walking radius, metres.
    reached_share : float, default :data:`REACHED_SHARE` (0.5)
        Share (0 to 1) of postcodes (or area) within the radius for a ward to be reached.

    Returns
    -------
    pandas.DataFrame
        Index of ``wards``, columns :data:`REACH_COLUMNS`: ``ward_code``; ``reach_method``
        (``"postcodes"``, or ``"area"`` for a ward without located postcodes);
        ``n_postcodes`` (located postcodes in the ward) and ``n_postcodes_reached`` (of those,
        within ``radius_m`` of a venue); ``share_reached`` (0 to 1: postcodes reached /
        postcodes, or catchment area / ward area); ``venues_inside`` (venues whose point lies
        inside the ward's polygon, or on its edge); ``reached`` (``share_reached >=
        reached_share``); ``reach_status``, one of :data:`REACH_STATUSES`: ``"reached"`` when
        ``reached``, else ``"partly reached"`` when ``share_reached > 0`` or ``venues_inside >
        0``, else ``"not reached"``; ``nearest_venue`` (name) and ``nearest_venue_m`` (metres,
        straight line) from the ward's nearest postcode, or from its representative point with
        the area method (NaN without venues). ``attrs``: ``radius_m`` (metres),
        ``reached_share`` (0 to 1), ``postcodes_outside_wards``, ``postcodes_without_location``
        (counts) and ``notes``.

    Raises
    ------
    ValueError
        Missing columns, repeated ward codes, wards or venues without a CRS in metres, a
        radius not above 0 or a share outside (0, 1].

    Examples
    --------
    >>> from shapely import box
    >>> wards = gpd.GeoDataFrame({"ward_code": ["W1"]}, geometry=[box(0, 0, 2000, 1000)],
    ...                          crs="EPSG:27700")
    >>> venues = gpd.GeoDataFrame({"name": ["Hall"]}, geometry=gpd.points_from_xy([0], [0]),
    ...                           crs="EPSG:27700")
    >>> pcs = pd.DataFrame({"postcode": ["A1 1AA"], "lon": [np.nan], "lat": [np.nan],
    ...                     "ward_code": ["W1"]})
    >>> reach = ward_reach(wards, pcs, venues)
    >>> reach[["reach_method", "venues_inside", "reach_status"]].values.tolist()
    [['area', 1, 'partly reached']]
    >>> float(reach["nearest_venue_m"].iloc[0])  # from the ward's centre (1000, 500)
    1118.033988749895
    """
    require_columns(wards, ["ward_code", "geometry"], argument="wards")
    require_columns(postcodes, ["postcode", "lon", "lat", "ward_code"], argument="postcodes")
    require_columns(venues, ["name", "geometry"], argument="venues")
    _require_metres(wards, argument="wards")
    _require_metres(venues, argument="venues")
    _require_radius(radius_m)
    if not 0 < reached_share <= 1:
        raise ValueError(f"reached_share is {reached_share!r}; expected a share in (0, 1].")
    repeated = wards["ward_code"][wards["ward_code"].duplicated()].unique().tolist()
    if repeated:
        raise ValueError(f"wards: ward code(s) {repeated[:3]} repeated; expected one row each.")
    venues = venues.to_crs(wards.crs)

    in_wards = postcodes["ward_code"].isin(wards["ward_code"])
    points = postcode_points(
        postcodes.loc[in_wards, ["postcode", "lon", "lat", "ward_code"]], crs=wards.crs
    )
    nearest = _nearest_venue(points.geometry, venues)
    nearest["ward_code"] = points["ward_code"]
    nearest["reached"] = nearest["distance_m"] <= radius_m
    closest = nearest.dropna(subset=["distance_m"]).sort_values(["distance_m", "venue"])
    closest = closest.drop_duplicates("ward_code").set_index("ward_code")
    by_ward = nearest.groupby("ward_code")

    out = pd.DataFrame({"ward_code": wards["ward_code"]}, index=wards.index)
    code = out["ward_code"]
    out["n_postcodes"] = code.map(by_ward.size()).fillna(0).astype("int64")
    out["n_postcodes_reached"] = code.map(by_ward["reached"].sum()).fillna(0).astype("int64")
    out["reach_method"] = np.where(out["n_postcodes"] > 0, "postcodes", "area")
    out["share_reached"] = out["n_postcodes_reached"] / out["n_postcodes"].where(
        out["n_postcodes"] > 0
    )
    out["nearest_venue"] = code.map(closest["venue"]).astype(object)
    out["nearest_venue_m"] = code.map(closest["distance_m"]).astype(float)

    by_area = out["reach_method"] == "area"
    if by_area.any():
        polygons = wards.geometry[by_area]
        union = catchments(venues, radius_m=radius_m).union_all() if len(venues) else None
        inside = polygons.intersection(union).area if union is not None else 0.0
        out.loc[by_area, "share_reached"] = inside / polygons.area
        centre = _nearest_venue(polygons.representative_point(), venues)
        out.loc[by_area, "nearest_venue"] = centre["venue"]
        out.loc[by_area, "nearest_venue_m"] = centre["distance_m"]
    out["venues_inside"] = _venues_inside(wards.geometry, venues.geometry)
    out["reached"] = out["share_reached"] >= reached_share
    reached, partly, not_reached = REACH_STATUSES
    some = (out["share_reached"] > 0) | (out["venues_inside"] > 0)
    out["reach_status"] = np.select([out["reached"], some], [reached, partly], not_reached)
    out = out[list(REACH_COLUMNS)]
    out.attrs = {
        "radius_m": float(radius_m),
        "reached_share": float(reached_share),
        "postcodes_outside_wards": int((~in_wards).sum()),
        "postcodes_without_location": len(points.attrs["no_location"]),
        "notes": (
            f"A ward is reached when at least {reached_share:.0%} of its postcodes lie within "
            f"{radius_m:g} m (straight line) of a venue, and partly reached when fewer are but "
            "some are, or a venue is inside it. Postcodes stand in for residents and are not "
            "weighted by how many people live in each. Wards with no located postcode are "
            "measured by the share of their area inside the catchments instead."
        ),
    }
    return out


def _aligned(reach: pd.DataFrame, wards: pd.DataFrame) -> None:
    if not reach.index.equals(wards.index) or not reach["ward_code"].equals(wards["ward_code"]):
        raise ValueError(
            "reach is not aligned with wards (different index or ward codes); expected "
            "ward_reach(wards, ...) of these same wards."
        )


def _distance_words(metres: float) -> str:
    """Write a distance rounded up ("850 m" below 1 km, else "2.4 km"): never nearer."""
    whole = math.ceil(round(metres, 2))  # to the centimetre first: reprojection noise
    return f"{whole} m" if whole < 1000 else f"{math.ceil(whole / 100) / 10:,.1f} km"


def _share_words(share: float) -> str:
    """Write a share (0 to 1) as a whole percent rounded down ("44%", "under 1%"): never more."""
    if not np.isfinite(share):
        return "an unknown share"
    if 0 < share < 0.01:
        return "under 1%"
    return f"{math.floor(round(share * 100, 6))}%"  # 0.29 * 100 is 28.999...


def _reach_note(row: dict[str, Any], radius: str) -> str:
    """Say in plain words why a ward is partly or not reached (:func:`unreached_priorities`)."""
    by_area = row["reach_method"] == "area"
    if row["reach_status"] == "not reached":
        if pd.isna(row["nearest_venue_m"]):
            return f"no venue within {radius}: no venues were given"
        nearest = _distance_words(float(row["nearest_venue_m"]))
        if by_area:
            return f"no venue within {radius} of the ward; nearest {nearest} from its centre"
        return f"no venue within {radius} of its postcodes; nearest {nearest} away"
    count = int(row["venues_inside"])
    inside = "no venue inside" if count == 0 else f"{count} venue{'s' * (count > 1)} inside"
    share = _share_words(float(row["share_reached"]))
    return f"{inside}; {share} of {'its area' if by_area else 'postcodes'} within {radius}"


def unreached_priorities(
    wards: pd.DataFrame, reach: pd.DataFrame, risk: pd.Series, *, top: int | None = None
) -> pd.DataFrame:
    """List the wards no venue reaches, highest risk first, with the residents affected.

    "Partly reached" wards are listed too (they are not reached), with what does reach them.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows with ``ward_code``, ``ward_name``, ``residents`` and ``residents_65_plus``
        (people).
    reach : pandas.DataFrame
        :func:`ward_reach` of these wards (same index), with its ``attrs["radius_m"]``.
    risk : pandas.Series
        A number per ward, higher = worse (e.g. ``compute_index(wards)["risk_index"]``, 0 to
        10), indexed like ``wards``. NaN sorts last.
    top : int, optional
        Keep only the first ``top`` wards; None keeps them all.

    Returns
    -------
    pandas.DataFrame
        The wards not reached (``reached`` False; index of ``wards``), ordered by ``risk``
        descending, then ``residents`` descending, then ``ward_code``; columns
        :data:`PRIORITY_COLUMNS` (headings for them: :data:`PRIORITY_LABELS`). Numbers are
        left as numbers for the display to format: ``residents`` and ``residents_65_plus``
        people, ``risk`` as given, ``venues_inside`` a count, ``share_reached`` 0 to 1 and
        ``nearest_venue_m`` metres (straight line), as in :func:`ward_reach`. ``reach_note``
        says in words why the ward is listed, with the radius of ``reach.attrs["radius_m"]``:
        for a partly reached ward, the venues inside and the share of postcodes (or of its
        area) within the radius, as a whole percent rounded down, e.g. ``"1 venue inside;
        45% of postcodes within 800 m"``; for a ward not reached, the distance to the nearest
        venue, rounded up (to the metre below 1 km, else to 0.1 km), e.g. ``"no venue within
        800 m of its postcodes; nearest 2.3 km away"``.

    Raises
    ------
    ValueError
        Missing columns, ``reach`` without ``attrs["radius_m"]``, ``reach`` or ``risk`` not
        aligned with ``wards``, non-numeric ``risk``, or ``top`` below 0.

    Examples
    --------
    >>> wards = pd.DataFrame({"ward_code": ["W1", "W2"], "ward_name": ["A", "B"],
    ...                       "residents": [100, 200], "residents_65_plus": [10, 50]})
    >>> reach = pd.DataFrame({"ward_code": ["W1", "W2"], "reached": [False, False],
    ...                       "reach_status": ["partly reached", "not reached"],
    ...                       "venues_inside": [1, 0], "share_reached": [0.45, 0.0],
    ...                       "reach_method": "postcodes", "nearest_venue": "Hall",
    ...                       "nearest_venue_m": [0.0, 2250.4]})
    >>> reach.attrs["radius_m"] = 800.0
    >>> table = unreached_priorities(wards, reach, pd.Series([2.0, 7.5]))
    >>> table[["ward_name", "reach_note"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['B', 'no venue within 800 m of its postcodes; nearest 2.3 km away'],
     ['A', '1 venue inside; 45% of postcodes within 800 m']]
    """
    require_columns(
        wards, ["ward_code", "ward_name", "residents", "residents_65_plus"], argument="wards"
    )
    require_columns(reach, ["ward_code", "reached", *_REACH_SHOWN], argument="reach")
    _aligned(reach, wards)
    if "radius_m" not in reach.attrs:
        raise ValueError(
            "reach has no attrs['radius_m'] (the walking radius, metres); expected "
            "ward_reach(wards, ...) of these same wards."
        )
    if not risk.index.equals(wards.index):
        raise ValueError(
            f"risk has index {list(risk.index[:5])}...; expected the wards' index "
            f"{list(wards.index[:5])}... (one value per ward, e.g. compute_index(wards))."
        )
    if top is not None and operator.index(top) < 0:
        raise ValueError(f"top is {top}; expected a number of wards, 0 or more, or None.")
    table = wards[["ward_code", "ward_name", "residents", "residents_65_plus"]].assign(
        risk=pd.to_numeric(risk).astype(float),
        **{c: reach[c] for c in _REACH_SHOWN},
    )
    table = table[~reach["reached"].astype(bool)].sort_values(
        ["risk", "residents", "ward_code"], ascending=[False, False, True], na_position="last"
    )
    if top is not None:
        table = table.head(top)
    radius = f"{reach.attrs['radius_m']:,g} m"
    table["reach_note"] = [_reach_note(row, radius) for row in table.to_dict("records")]
    return table[list(PRIORITY_COLUMNS)]


def reach_totals(wards: pd.DataFrame, reach: pd.DataFrame) -> pd.DataFrame:
    """Count wards, residents and residents aged 65+ in reached and unreached wards.

    Every ward is in exactly one row, so the two rows add up to the authority's totals;
    "partly reached" wards are in the "not reached" row. A count that is not known for a ward
    (NaN) is never taken as 0: the total of its row is NA instead.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows with ``ward_code``, ``residents`` and ``residents_65_plus`` (people; NaN
        where not known).
    reach : pandas.DataFrame
        :func:`ward_reach` of these wards.

    Returns
    -------
    pandas.DataFrame
        Index ``["reached", "not reached"]`` (by ``reach["reached"]``), columns ``wards``
        (count), ``residents`` and ``residents_65_plus`` (people, summed over the row's wards
        and rounded to whole people; NA when a ward of the row lacks the count), all of
        dtype ``Int64``. ``attrs["wards_not_known"]``: the number of wards lacking each count,
        ``{"residents": int, "residents_65_plus": int}``.

    Examples
    --------
    >>> wards = pd.DataFrame({"ward_code": ["W1", "W2"], "residents": [100, 200],
    ...                       "residents_65_plus": [10, np.nan]})
    >>> reach = pd.DataFrame({"ward_code": ["W1", "W2"], "reached": [True, False]})
    >>> totals = reach_totals(wards, reach)
    >>> totals["residents"].tolist(), totals["residents_65_plus"].tolist()
    ([100, 200], [10, <NA>])
    >>> totals.attrs["wards_not_known"]
    {'residents': 0, 'residents_65_plus': 1}
    """
    require_columns(wards, ["ward_code", *_PEOPLE], argument="wards")
    require_columns(reach, ["ward_code", "reached"], argument="reach")
    _aligned(reach, wards)
    rows = ["reached", "not reached"]
    status = pd.Series(np.where(reach["reached"].astype(bool), *rows), index=wards.index)
    people = wards[list(_PEOPLE)].astype(float)
    totals = people.groupby(status).sum().reindex(rows, fill_value=0.0).round().astype("Int64")
    totals = totals.mask(people.isna().groupby(status).any().reindex(rows, fill_value=False))
    totals.insert(0, "wards", status.value_counts().reindex(rows, fill_value=0).astype("Int64"))
    totals.attrs = {"wards_not_known": {c: int(people[c].isna().sum()) for c in _PEOPLE}}
    return totals


class WithinReach(TypedDict):
    """What :func:`residents_within_reach` returns.

    Attributes
    ----------
    residents, residents_65_plus : int or None
        People within reach, rounded to whole people; None when a ward's count (or share
        reached) is not known.
    wards_not_known : dict of str to int
        For ``"residents"`` and ``"residents_65_plus"``: how many wards lack that count or
        their share reached, which makes the total None (0 when the total is given).
    """

    residents: int | None
    residents_65_plus: int | None
    wards_not_known: dict[str, int]


def residents_within_reach(wards: pd.DataFrame, reach: pd.DataFrame) -> WithinReach:
    """Estimate the residents, and those aged 65+, living within the venues' catchments.

    Each ward's residents are multiplied by its share reached (of postcodes, or of area), so
    the estimate assumes residents are spread like postcodes within a ward. It never exceeds
    the authority's total, and a ward half inside a catchment counts half: finer than the
    reached / not reached split of :func:`reach_totals`. A ward whose count or share is not
    known (NaN) is never taken as 0: that total is None, and the wards are counted.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows with ``residents`` and ``residents_65_plus`` (people; NaN where not known).
    reach : pandas.DataFrame
        :func:`ward_reach` of these wards.

    Returns
    -------
    WithinReach
        A dict: ``residents`` and ``residents_65_plus`` within reach (rounded to whole people,
        or None), and ``wards_not_known`` (wards lacking each count, or its share reached).

    Examples
    --------
    >>> wards = pd.DataFrame({"ward_code": ["W1", "W2"], "residents": [100, 200],
    ...                       "residents_65_plus": [10, 50]})
    >>> reach = pd.DataFrame({"ward_code": ["W1", "W2"], "share_reached": [1.0, 0.25]})
    >>> residents_within_reach(wards, reach)  # doctest: +NORMALIZE_WHITESPACE
    {'residents': 150, 'residents_65_plus': 22,
     'wards_not_known': {'residents': 0, 'residents_65_plus': 0}}
    >>> residents_within_reach(wards.assign(residents=[100, np.nan]), reach)["residents"] is None
    True
    """
    require_columns(wards, list(_PEOPLE), argument="wards")
    require_columns(reach, ["ward_code", "share_reached"], argument="reach")
    _aligned(reach, wards)
    share = reach["share_reached"].astype(float)
    people = wards[list(_PEOPLE)].astype(float)
    not_known = {c: int((people[c].isna() | share.isna()).sum()) for c in _PEOPLE}
    within = {c: None if not_known[c] else round(float((people[c] * share).sum())) for c in _PEOPLE}
    return WithinReach(
        residents=within["residents"],
        residents_65_plus=within["residents_65_plus"],
        wards_not_known=not_known,
    )


def champions_needed(residents: int, *, residents_per_champion: int) -> int:
    """Return how many digital champions a target of one per ``residents_per_champion`` implies.

    Parameters
    ----------
    residents : int
        People to be covered, e.g. the residents of the unreached wards (0 or more).
    residents_per_champion : int
        Target number of residents per champion (above 0).

    Returns
    -------
    int
        ``ceil(residents / residents_per_champion)``: a part-covered group still needs one.

    Raises
    ------
    ValueError
        ``residents_per_champion`` not above 0, or ``residents`` below 0.

    Examples
    --------
    >>> champions_needed(2_001, residents_per_champion=1_000)
    3
    """
    people = operator.index(residents)
    per = operator.index(residents_per_champion)
    if per <= 0:
        raise ValueError(
            f"residents_per_champion is {per}; expected a number of residents above 0."
        )
    if people < 0:
        raise ValueError(f"residents is {people}; expected a number of people, 0 or more.")
    return -(-people // per)
