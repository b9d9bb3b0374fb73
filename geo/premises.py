"""Speed-test tiles summed to electoral wards, one partition at a time. Pure functions.

Ookla's open data gives, for each zoom-16 Web Mercator tile (about 360 m square at UK
latitudes) with tests in a quarter, the tile's quadkey, the mean download and upload speed of
its tests (kbps) and the number of tests and distinct devices. This module

- turns quadkeys into tile numbers and tile centres (numpy bit arithmetic on the quadkey's
  bytes, no loop over rows);
- places each tile in the ward holding its centre (point in polygon, in the wards' own CRS);
- sums each ward's tiles, tests and devices, its speeds times tests and the tests in tiles
  below the broadband USO (:func:`ward_sums`, one call per partition of rows);
- adds partitions' sums (:func:`combine_sums`) and only then turns them into test-weighted mean
  speeds in Mbit/s (:func:`ward_speeds`).

All sums are whole numbers (``int64``), so adding partitions in any order or grouping gives
exactly the same result: the single-machine path (partitions one after another) and the dask
path (:func:`ward_speeds_dask`, partitions on a cluster) agree to the last digit. Tiles whose
centre lies in no ward are summed on a row of their own, :data:`OUTSIDE_WARDS`, never dropped:
for every count, wards + outside = input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import CRS, Transformer

from geo._checks import require_columns
from geo.thresholds import KBPS_PER_MBIT, USO_DOWNLOAD_MBIT

if TYPE_CHECKING:
    import dask.dataframe as dd

#: Zoom level of Ookla's open data tiles (a quadkey of 16 digits).
OOKLA_ZOOM = 16

#: ``ward_code`` of the row that sums the tiles whose centre lies in no ward.
OUTSIDE_WARDS = "(outside every ward)"

#: Columns :func:`ward_sums` needs: quadkey (text), mean download and upload speed of the
#: tile's tests (kbps, whole numbers >= 0), tests and distinct devices (whole numbers >= 0).
TILE_COLUMNS = ["quadkey", "download_kbps", "upload_kbps", "tests", "devices"]

#: Columns of :func:`ward_sums` (all ``int64``). ``*_kbps_x_tests`` are the sums over tiles of
#: the tile's mean speed times its tests, i.e. the sum of the speeds of all tests (kbps).
SUM_COLUMNS = [
    "tiles",
    "tests",
    "devices",
    "download_kbps_x_tests",
    "upload_kbps_x_tests",
    "tiles_below_uso",
    "tests_below_uso",
]

#: Sums at or above this are refused: int64 would be close to overflowing (2**63).
_EXACT_LIMIT = 2**62

_WGS84 = CRS.from_epsg(4326)


class WardSpeeds(NamedTuple):
    """Speed tests summed to wards, and those outside every ward.

    Attributes
    ----------
    wards : pandas.DataFrame
        Indexed by ``ward_code``, one row per ward of the ward table (wards without tiles
        have 0 counts and NaN speeds): ``tiles``; ``tests``; ``devices`` (summed over tiles:
        Ookla counts distinct devices per tile, so a device tested in two tiles counts twice);
        ``mean_download_mbit`` and ``mean_upload_mbit`` (mean over all the ward's tests,
        Mbit/s); ``tiles_below_uso`` and ``tests_below_uso`` (tiles whose mean download is
        below the USO's 10 Mbit/s, and their tests); ``pct_tests_below_uso`` (% of tests).
    outside : pandas.Series
        The same figures for the tiles whose centre lies in no ward.
    """

    wards: pd.DataFrame
    outside: pd.Series


def _quadkey_array(quadkeys: Any) -> pa.LargeStringArray | None:
    """Quadkeys as one contiguous Arrow large-string array; None when they are not text."""
    if isinstance(quadkeys, pd.Series | pd.Index):
        quadkeys = quadkeys.array
    array = quadkeys if isinstance(quadkeys, pa.Array | pa.ChunkedArray) else None
    if array is None:
        try:
            array = pa.array(quadkeys, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    return array.cast(pa.large_string())


def _digit_matrix(array: pa.LargeStringArray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``zoom`` digit values (0-3 when valid) and which rows have ``zoom`` bytes."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
    offsets = offsets[array.offset : array.offset + len(array) + 1]
    right_length = (np.diff(offsets) == zoom) & array.is_valid().to_numpy(zero_copy_only=False)
    text = array.buffers()[2]
    data = np.frombuffer(text, dtype=np.uint8) if text is not None else np.empty(0, np.uint8)
    if right_length.all():  # the usual case: one reshape, no copy of the bytes
        rows = data[offsets[0] : offsets[-1]].reshape(len(array), zoom)
    else:
        starts = offsets[:-1][right_length]
        rows = np.zeros((len(array), zoom), dtype=np.uint8)
        rows[right_length] = data[starts[:, None] + np.arange(zoom)]
    # '0'..'3' become 0..3; any other byte (wraps below '0') becomes a value above 3.
    return rows - np.uint8(ord("0")), right_length


def bad_quadkeys(quadkeys: Any, *, zoom: int = OOKLA_ZOOM) -> np.ndarray:
    """Return which quadkeys are not ``zoom`` digits 0-3.

    Parameters
    ----------
    quadkeys : array-like of str
        Quadkeys (Series, numpy array, list or Arrow array); missing values are bad.
    zoom : int, default 16
        Expected zoom level, i.e. number of digits.

    Returns
    -------
    numpy.ndarray of bool
        True where the quadkey is bad (everywhere when the values are not text).

    Example
    -------
    >>> bad_quadkeys(["0313131311", "03131313112", "0313131314"], zoom=10).tolist()
    [False, True, True]
    """
    array = _quadkey_array(quadkeys)
    if array is None:
        return np.ones(len(quadkeys), dtype=bool)
    digits, right_length = _digit_matrix(array, zoom)
    return ~right_length | (digits > 3).any(axis=1)


def quadkey_to_tile(quadkeys: Any, *, zoom: int = OOKLA_ZOOM) -> tuple[np.ndarray, np.ndarray]:
    """Return the tile column and row (Bing Maps tile system) of each quadkey.

    Digit ``i`` of a quadkey holds bit ``zoom - 1 - i`` of the column (its 1 bit) and of the
    row (its 2 bit).

    Parameters
    ----------
    quadkeys : array-like of str
        Quadkeys of ``zoom`` digits 0-3.
    zoom : int, default 16
        Their zoom level.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Column ``x`` (0 at 180 degrees W) and row ``y`` (0 at the top, 85.05 degrees N),
        ``int64``.

    Raises
    ------
    ValueError
        A quadkey that is not ``zoom`` digits 0-3.

    Example
    -------
    >>> x, y = quadkey_to_tile(["213"], zoom=3)
    >>> int(x[0]), int(y[0])
    (3, 5)
    """
    array = _quadkey_array(quadkeys)
    if array is None:
        raise ValueError(f"quadkeys must be text of {zoom} digits 0-3")
    digits, right_length = _digit_matrix(array, zoom)
    bad = ~right_length | (digits > 3).any(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{int(bad.sum())} quadkey(s) are not {zoom} digits 0-3, e.g. {array[first]!s:.40} "
            f"at position {first}"
        )
    x = np.zeros(len(array), dtype=np.int64)
    y = np.zeros(len(array), dtype=np.int64)
    for column in range(zoom):  # one pass per digit, each over all rows
        digit = digits[:, column]
        x = (x << 1) | (digit & 1)
        y = (y << 1) | (digit >> 1)
    return x, y


def tile_to_quadkey(x: Any, y: Any, *, zoom: int = OOKLA_ZOOM) -> np.ndarray:
    """Return the quadkey of each tile (the inverse of :func:`quadkey_to_tile`).

    Parameters
    ----------
    x, y : array-like of int
        Tile column and row, 0 to ``2**zoom - 1``.
    zoom : int, default 16
        Zoom level.

    Returns
    -------
    numpy.ndarray of str
        Quadkeys of ``zoom`` digits.

    Example
    -------
    >>> tile_to_quadkey([3], [5], zoom=3).tolist()
    ['213']
    """
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    limit = 2**zoom
    if ((x < 0) | (x >= limit) | (y < 0) | (y >= limit)).any():
        raise ValueError(f"tile x and y must be 0 to {limit - 1} at zoom {zoom}")
    digits = np.empty((len(x), zoom), dtype=np.uint8)
    for column in range(zoom):  # one pass per digit, each over all tiles
        shift = zoom - 1 - column
        digits[:, column] = ((x >> shift) & 1) + 2 * ((y >> shift) & 1) + ord("0")
    return digits.view(f"S{zoom}").ravel().astype(str)


def _latitude_of_row_edge(y: np.ndarray, zoom: int) -> np.ndarray:
    """Latitude (degrees) of the top edge of tile row ``y``."""
    return np.degrees(np.arctan(np.sinh(np.pi * (1.0 - 2.0 * y / 2**zoom))))


def tile_bounds(
    x: Any, y: Any, *, zoom: int = OOKLA_ZOOM
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the west, south, east and north edges of each tile, degrees (EPSG:4326).

    Parameters
    ----------
    x, y : array-like of int
        Tile column and row.
    zoom : int, default 16
        Zoom level.

    Returns
    -------
    (west, south, east, north) : tuple of numpy.ndarray
        Longitudes and latitudes in degrees, as in the ``tile`` polygons Ookla publishes.

    Example
    -------
    >>> [round(float(v[0]), 6) for v in tile_bounds([0], [0], zoom=1)]
    [-180.0, 0.0, 0.0, 85.051129]
    """
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    size = 360.0 / 2**zoom
    west = x * size - 180.0
    return (
        west,
        _latitude_of_row_edge(y + 1, zoom),
        west + size,
        _latitude_of_row_edge(y, zoom),
    )


def tile_centres(quadkeys: Any, *, zoom: int = OOKLA_ZOOM) -> tuple[np.ndarray, np.ndarray]:
    """Return the centre of each quadkey's tile: longitude and latitude in degrees (EPSG:4326).

    The centre is the midpoint of the tile's edges in degrees, as Ookla's ``tile_x`` and
    ``tile_y`` columns.

    Parameters
    ----------
    quadkeys : array-like of str
        Quadkeys of ``zoom`` digits 0-3.
    zoom : int, default 16
        Their zoom level.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Longitude and latitude, degrees.

    Example
    -------
    >>> lon, lat = tile_centres(["0"], zoom=1)
    >>> float(lon[0]), round(float(lat[0]), 4)
    (-90.0, 42.5256)
    """
    west, south, east, north = tile_bounds(*quadkey_to_tile(quadkeys, zoom=zoom), zoom=zoom)
    return (west + east) / 2.0, (south + north) / 2.0


def lonlat_to_tile(lon: Any, lat: Any, *, zoom: int = OOKLA_ZOOM) -> tuple[np.ndarray, np.ndarray]:
    """Return the tile column and row holding each point.

    Parameters
    ----------
    lon, lat : array-like of float
        Longitude and latitude, degrees (EPSG:4326); latitude within +-85.0511.
    zoom : int, default 16
        Zoom level.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Tile column and row, ``int64``.

    Example
    -------
    >>> x, y = lonlat_to_tile([-0.1276], [51.5072], zoom=16)  # Charing Cross, London
    >>> tile_to_quadkey(x, y).tolist()
    ['0313131311301000']
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    top = float(_latitude_of_row_edge(np.array(0), zoom))
    if (np.abs(lat) > top).any() or (np.abs(lon) > 180).any():
        raise ValueError(f"points must lie within +-180 longitude and +-{top:.4f} latitude")
    n = 2**zoom
    x = np.floor((lon + 180.0) / 360.0 * n)
    y = np.floor((1.0 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2.0 * n)
    return np.clip(x, 0, n - 1).astype(np.int64), np.clip(y, 0, n - 1).astype(np.int64)


def place_in_wards(lon: np.ndarray, lat: np.ndarray, wards: gpd.GeoDataFrame) -> np.ndarray:
    """Return the row position in ``wards`` of the ward holding each point; -1 for none.

    Points are projected into the wards' CRS (any CRS; British National Grid, EPSG:27700, or
    WGS84) before the test. A point on the edge shared by two wards goes to the ward with the
    lower ``ward_code``, whatever the order of rows in ``wards``.

    No point geometries are made. The points are sorted once by band of y (bands as tall as
    the median ward) and by x within a band; each ward then tests, in each band its bounding
    box crosses, only the run of points between its west and east edges
    (:func:`shapely.intersects_xy` against the prepared polygon; preparing is a GEOS cache on
    the ward geometries that changes no value and speeds up the next call).

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Points, degrees (EPSG:4326).
    wards : geopandas.GeoDataFrame
        Wards with ``ward_code``, polygon geometry and a CRS.

    Returns
    -------
    numpy.ndarray of int64
        Position (0-based row) in ``wards``, or -1 for a point in no ward.

    Example
    -------
    >>> from shapely import box
    >>> wards = gpd.GeoDataFrame({"ward_code": ["W1"]}, geometry=[box(-1, 50, 0, 51)],
    ...                          crs="EPSG:4326")
    >>> place_in_wards(np.array([-0.5, 2.0]), np.array([50.5, 50.5]), wards).tolist()
    [0, -1]
    """
    require_columns(wards, ["ward_code"], argument="wards")
    if wards.crs is None:
        raise ValueError("wards has no CRS; set it (e.g. EPSG:27700) so points can be placed")
    if CRS.from_user_input(wards.crs).equals(_WGS84):
        x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    else:
        x, y = Transformer.from_crs(_WGS84, wards.crs, always_xy=True).transform(lon, lat)
    position = np.full(len(x), -1, dtype=np.int64)
    placeable = np.flatnonzero(np.isfinite(x) & np.isfinite(y))  # off the CRS's map: no ward
    polygons = wards.geometry.to_numpy()
    bounds = shapely.bounds(polygons)
    drawn = np.flatnonzero(np.isfinite(bounds).all(axis=1))  # not empty or missing
    if not len(placeable) or not len(drawn):
        return position
    x, y = x[placeable], y[placeable]
    shapely.prepare(polygons[drawn])
    west, south, east, north = bounds[drawn].T
    height = max(float(np.median(north - south)), 1e-9)
    left, bottom = min(x.min(), west.min()), min(y.min(), south.min())
    width = max(x.max(), east.max()) - left + 1.0  # > every x offset: bands never interleave
    key = np.floor((y - bottom) / height) * width + (x - left)
    by_key = np.argsort(key)
    key, xs, ys = key[by_key], x[by_key], y[by_key]
    # One (ward, band) pair for each band a ward's box crosses.
    first_band = np.floor((south - bottom) / height).astype(np.int64)
    bands = np.floor((north - bottom) / height).astype(np.int64) - first_band + 1
    ward_of = np.repeat(drawn, bands)
    band_of = np.repeat(first_band - np.cumsum(bands) + bands, bands) + np.arange(bands.sum())
    edge_west = band_of * width + (np.repeat(west, bands) - left)
    edge_east = band_of * width + (np.repeat(east, bands) - left)
    margin = 1e-12 * max(abs(key[-1]), width)  # rounding can only widen a run, never narrow it
    start = np.searchsorted(key, edge_west - margin, "left")
    stop = np.searchsorted(key, edge_east + margin, "right")
    busy = np.flatnonzero(stop > start)
    hits = [  # one pass per (ward, band), over the points of that run only
        start[k]
        + np.flatnonzero(
            shapely.intersects_xy(
                polygons[ward_of[k]], xs[start[k] : stop[k]], ys[start[k] : stop[k]]
            )
        )
        for k in busy
    ]
    found = np.fromiter(map(len, hits), dtype=np.int64, count=len(hits))
    point_at = placeable[by_key[np.concatenate([np.empty(0, dtype=np.int64), *hits])]]
    ward_at = np.repeat(ward_of[busy], found)
    rank = np.argsort(np.argsort(wards["ward_code"].to_numpy(), kind="stable"), kind="stable")
    order = np.lexsort((rank[ward_at], point_at))
    kept = np.unique(point_at[order], return_index=True)[1]
    position[point_at[order][kept]] = ward_at[order][kept]
    return position


def _whole_numbers(tiles: pd.DataFrame, column: str) -> np.ndarray:
    """Return a column of whole numbers >= 0 as int64; raise ValueError naming it if not."""
    values = tiles[column].to_numpy()
    if not np.issubdtype(values.dtype, np.integer):
        raise ValueError(
            f"tiles column {column!r} has dtype {values.dtype}; expected whole numbers >= 0 "
            "(read the tiles with ingest.sources.ookla)"
        )
    if (values < 0).any():
        raise ValueError(f"tiles column {column!r} has negative values; expected >= 0")
    return values.astype(np.int64, copy=False)


def _exact(total: int, what: str) -> None:
    if total >= _EXACT_LIMIT:
        raise ValueError(f"{what} could reach {total:,}, too large to sum exactly in int64")


def ward_sums(tiles: pd.DataFrame, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """Sum one partition of tiles to the wards holding their centres.

    The one function both the single-machine path and the dask path apply to each partition.

    Parameters
    ----------
    tiles : pandas.DataFrame
        Zoom-16 tiles with :data:`TILE_COLUMNS` (as read by ``ingest.sources.ookla``); other columns
        are ignored.
    wards : geopandas.GeoDataFrame
        Wards with ``ward_code``, polygons and a CRS (e.g. from
        ``ingest.sources.ons_geography.read_wards``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ward_code``: every ward code of ``wards`` in sorted order, then
        :data:`OUTSIDE_WARDS`; the :data:`SUM_COLUMNS`, ``int64``. Each column sums to the
        partition's total.

    Raises
    ------
    ValueError
        A missing column, a bad quadkey, a count that is not a whole number >= 0, or sums too
        large to add exactly.

    Example
    -------
    >>> from shapely import box
    >>> wards = gpd.GeoDataFrame({"ward_code": ["W1"]}, geometry=[box(-1, 51, -0.126, 52)],
    ...                          crs="EPSG:4326")
    >>> tiles = pd.DataFrame({"quadkey": ["0313131311301000", "0313131311301001"],
    ...                       "download_kbps": [8000, 30000], "upload_kbps": [900, 5000],
    ...                       "tests": [3, 4], "devices": [2, 1]})
    >>> ward_sums(tiles, wards)["tests"].to_dict()  # Charing Cross, then a tile to its east
    {'W1': 3, '(outside every ward)': 4}
    """
    require_columns(tiles, TILE_COLUMNS, argument="tiles")
    download, upload, tests, devices = (
        _whole_numbers(tiles, c) for c in ("download_kbps", "upload_kbps", "tests", "devices")
    )
    total_tests = int(tests.sum())
    for name, speeds in (("download_kbps", download), ("upload_kbps", upload)):
        _exact(int(speeds.max(initial=0)) * total_tests, f"sum of {name} x tests")
    codes = np.sort(wards["ward_code"].unique())
    position = place_in_wards(*tile_centres(tiles["quadkey"]), wards)
    code_of_ward = np.searchsorted(codes, wards["ward_code"].to_numpy())
    group = np.where(position >= 0, code_of_ward[position], len(codes))
    below = download < USO_DOWNLOAD_MBIT * KBPS_PER_MBIT
    values = pd.DataFrame(
        {
            "tiles": np.ones(len(tiles), dtype=np.int64),
            "tests": tests,
            "devices": devices,
            "download_kbps_x_tests": download * tests,
            "upload_kbps_x_tests": upload * tests,
            "tiles_below_uso": below.astype(np.int64),
            "tests_below_uso": np.where(below, tests, 0),
        }
    )
    sums = values.groupby(group).sum().reindex(range(len(codes) + 1), fill_value=0)
    sums.index = pd.Index([*codes, OUTSIDE_WARDS], name="ward_code")
    return sums


def combine_sums(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Add the :func:`ward_sums` of several partitions, exactly (whole numbers).

    Parameters
    ----------
    parts : iterable of pandas.DataFrame
        Outputs of :func:`ward_sums` for the same wards.

    Returns
    -------
    pandas.DataFrame
        Same shape as each part: the sums over all parts, ``int64``.

    Raises
    ------
    ValueError
        No parts, or sums too large to add exactly.
    """
    parts = list(parts)
    if not parts:
        raise ValueError("no partitions to combine")
    stacked = pd.concat(parts)
    rough = stacked.astype(float).groupby(level="ward_code", sort=False).sum()
    _exact(int(rough.to_numpy().max(initial=0)), "a ward's sum over all partitions")
    return stacked.groupby(level="ward_code", sort=False).sum()


def ward_speeds(sums: pd.DataFrame) -> WardSpeeds:
    """Turn summed tiles into each ward's test-weighted mean speeds (Mbit/s) and USO share.

    Parameters
    ----------
    sums : pandas.DataFrame
        Output of :func:`ward_sums` or :func:`combine_sums`.

    Returns
    -------
    WardSpeeds
        ``wards`` (one row per ward) and ``outside`` (tiles in no ward); see
        :class:`WardSpeeds`. Means are NaN where a ward has no tests.
    """
    require_columns(sums, SUM_COLUMNS, argument="sums")
    tests = sums["tests"].where(sums["tests"] > 0)
    table = sums[["tiles", "tests", "devices"]].assign(
        mean_download_mbit=sums["download_kbps_x_tests"] / tests / KBPS_PER_MBIT,
        mean_upload_mbit=sums["upload_kbps_x_tests"] / tests / KBPS_PER_MBIT,
        tiles_below_uso=sums["tiles_below_uso"],
        tests_below_uso=sums["tests_below_uso"],
        pct_tests_below_uso=100.0 * sums["tests_below_uso"] / tests,
    )
    return WardSpeeds(wards=table.drop(index=OUTSIDE_WARDS), outside=table.loc[OUTSIDE_WARDS])


def speeds_by_ward(tiles: pd.DataFrame, wards: gpd.GeoDataFrame) -> WardSpeeds:
    """Single-machine path for tiles that fit in memory: :func:`ward_sums` then speeds.

    Parameters
    ----------
    tiles : pandas.DataFrame
        Zoom-16 tiles with :data:`TILE_COLUMNS`.
    wards : geopandas.GeoDataFrame
        Wards with ``ward_code``, polygons and a CRS.

    Returns
    -------
    WardSpeeds
        Speeds by ward and the tiles outside every ward.
    """
    return ward_speeds(ward_sums(tiles, wards))


def ward_speeds_dask(tiles: dd.DataFrame, wards: gpd.GeoDataFrame) -> WardSpeeds:
    """Dask path: :func:`ward_sums` on every partition, then :func:`combine_sums` and speeds.

    Runs on the current dask scheduler (a ``distributed.Client`` if one is active). The wards
    are sent to each worker once, not once per partition.

    Parameters
    ----------
    tiles : dask.dataframe.DataFrame
        Zoom-16 tiles with :data:`TILE_COLUMNS` (e.g. ``ingest.sources.ookla.read_tiles_dask``).
    wards : geopandas.GeoDataFrame
        Wards with ``ward_code``, polygons and a CRS.

    Returns
    -------
    WardSpeeds
        Equal to :func:`speeds_by_ward` on the same rows, to the last digit.
    """
    import dask  # the scale extra; imported here so the rest of the project does not need it

    meta = ward_sums(tiles._meta, wards).iloc[:0]
    shared_wards = dask.delayed(wards)  # one copy per worker; a random key, no hashing
    partials = tiles.map_partitions(ward_sums, shared_wards, meta=meta)
    (summed,) = dask.compute(dask.delayed(combine_sums)(partials.to_delayed()))
    return ward_speeds(summed)
