"""The processed store: one folder per local authority, written by ingest, read by the app.

Layout::

    <store>/<LA code>/wards.parquet       GeoParquet, one row per ward, EPSG:27700, full detail
    <store>/<LA code>/map_wards.parquet   GeoParquet, ward code and map geometry, EPSG:4326
    <store>/<LA code>/manifest.json       every source file, release, rows, sha256, build time

The ward table keeps the boundaries as read, for analysis; the map geometry is the same wards
simplified once at build time as a coverage (:func:`geo.maps.simplify_for_map`), so the app
never simplifies and neighbouring wards stay flush.

A place is written into a temporary folder beside its final one and then renamed into place,
so a crash or a failed build never leaves a half-written store: readers see the old complete
place or the new complete place. The app only reads.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.maps import simplify_for_map
from ingest._errors import IngestError

WARDS_FILE = "wards.parquet"
MAP_FILE = "map_wards.parquet"
MANIFEST_FILE = "manifest.json"
#: Version of the store layout; bumped when columns or files change meaning.
STORE_VERSION = 4


def write_place(
    wards: gpd.GeoDataFrame,
    manifest: dict[str, Any],
    *,
    store: Path,
    tables: Mapping[str, pd.DataFrame] | None = None,
    map_geometry: gpd.GeoSeries | None = None,
) -> Path:
    """Write one place's wards and manifest, replacing any previous build atomically.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Ward rows (``ward_code`` unique) with indicators, EPSG:27700.
    manifest : dict
        JSON-serialisable description of the build; must hold ``la_code``.
    store : Path
        Store root folder.
    tables : mapping of str to pandas.DataFrame, optional
        Further plain tables of the place (e.g. ``la_fixed_coverage``: one row per Ofcom
        release), written as ``<name>.parquet``.
    map_geometry : geopandas.GeoSeries, optional
        The wards' geometry for the web map, same index as ``wards`` (from
        :func:`geo.maps.simplify_for_map`, EPSG:4326), written with the ward codes as
        ``map_wards.parquet`` and read by :func:`read_map_wards`.

    Returns
    -------
    Path
        The place folder ``<store>/<la_code>``.
    """
    la_code = manifest["la_code"]
    if wards["ward_code"].duplicated().any():
        raise IngestError(f"store: duplicated ward codes for {la_code}; refusing to write")
    if map_geometry is not None and not map_geometry.index.equals(wards.index):
        raise IngestError(
            f"store: the map geometry of {la_code} ({len(map_geometry)} rows) is not indexed like "
            f"its {len(wards)} wards; pass geo.maps.simplify_for_map(wards).geometry"
        )
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    final = store / la_code
    tmp = Path(tempfile.mkdtemp(prefix=f".{la_code}-", dir=store))
    try:
        wards.to_parquet(tmp / WARDS_FILE, index=False, compression="zstd")
        for name, table in (tables or {}).items():
            table.to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd")
        if map_geometry is not None:
            shapes = gpd.GeoDataFrame({"ward_code": wards["ward_code"]}, geometry=map_geometry)
            shapes.to_parquet(tmp / MAP_FILE, index=False, compression="zstd")
        body = {**manifest, "store_version": STORE_VERSION, "wards": len(wards)}
        (tmp / MANIFEST_FILE).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
        old = None
        if final.exists():
            old = store / f".{la_code}-old-{os.getpid()}"
            final.rename(old)
        tmp.rename(final)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def list_places(store: Path) -> list[dict[str, Any]]:
    """Manifests of every complete place in the store, demo first, then by name.

    Parameters
    ----------
    store : Path
        Store root folder.

    Returns
    -------
    list of dict
        One manifest per place (folders being written, whose names start with ``.``, are
        skipped).
    """
    store = Path(store)
    if not store.is_dir():
        return []
    places = [
        json.loads((p / MANIFEST_FILE).read_text())
        for p in sorted(store.iterdir())
        if not p.name.startswith(".") and (p / MANIFEST_FILE).is_file()
    ]
    return sorted(places, key=lambda m: (not m.get("synthetic", False), m.get("la_name", "")))


def read_manifest(la_code: str, *, store: Path) -> dict[str, Any]:
    """Return the manifest of one place."""
    path = Path(store) / la_code / MANIFEST_FILE
    if not path.is_file():
        raise IngestError(
            f"store: no place {la_code!r} in {store}; build it with "
            f"`python -m ingest build --la {la_code} --sources DIR` (or `python -m ingest demo`)."
        )
    return json.loads(path.read_text())


def read_wards(la_code: str, *, store: Path) -> gpd.GeoDataFrame:
    """Return the ward table of one place (EPSG:27700), as written by :func:`write_place`."""
    read_manifest(la_code, store=store)
    return gpd.read_parquet(Path(store) / la_code / WARDS_FILE)


def read_every_ward(store: Path) -> gpd.GeoDataFrame:
    """Return the ward tables of every place in the store, one after another (EPSG:27700).

    The frame a risk index is scored against when a user compares wards across the store.
    """
    return pd.concat(
        [read_wards(p["la_code"], store=store) for p in list_places(store)], ignore_index=True
    )


def read_map_wards(la_code: str, *, store: Path) -> gpd.GeoDataFrame:
    """Return the ward table of one place with its simplified map geometry, for the web map.

    Parameters
    ----------
    la_code : str
        ONS local authority district code.
    store : Path
        Store root folder.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows and columns of :func:`read_wards`, in its order; geometry simplified as a
        coverage, EPSG:4326, rounded to 5 decimals (about 1 m). A place written without map
        geometry (store version 1) is simplified here as a build would, with
        :data:`geo.maps.MAP_TOLERANCE_M`.

    Raises
    ------
    IngestError
        No such place, or its map geometry lacks some of its wards.

    Example
    -------
    >>> read_map_wards("E08000009", store=Path("data/store")).crs.to_epsg()  # doctest: +SKIP
    4326
    """
    wards = read_wards(la_code, store=store)
    path = Path(store) / la_code / MAP_FILE
    if not path.is_file():
        return simplify_for_map(wards)
    shapes = gpd.read_parquet(path).set_index("ward_code").geometry.reindex(wards["ward_code"])
    if shapes.isna().any():
        missing = shapes.index[shapes.isna()].tolist()
        raise IngestError(
            f"store: {path} has no map geometry for {len(missing)} ward(s) of {la_code} "
            f"({missing[:5]}); rebuild the place"
        )
    mapped = gpd.GeoDataFrame(wards.drop(columns=wards.geometry.name), geometry=shapes.values)
    return mapped[wards.columns]


def read_table(la_code: str, name: str, *, store: Path) -> pd.DataFrame:
    """Return a further table of one place (see ``tables`` in :func:`write_place`)."""
    path = Path(store) / la_code / f"{name}.parquet"
    if not path.is_file():
        raise IngestError(f"store: place {la_code!r} has no table {name!r}; rebuild it")
    return pd.read_parquet(path)
