"""The processed store: one folder per local authority, written by ingest, read by the app.

Layout::

    <store>/<LA code>/wards.parquet   GeoParquet, one row per ward, EPSG:27700
    <store>/<LA code>/manifest.json   every source file, release, rows, sha256, build time

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

from ingest._errors import IngestError

WARDS_FILE = "wards.parquet"
MANIFEST_FILE = "manifest.json"
#: Version of the store layout; bumped when columns or files change meaning.
STORE_VERSION = 1


def write_place(
    wards: gpd.GeoDataFrame,
    manifest: dict[str, Any],
    *,
    store: Path,
    tables: Mapping[str, pd.DataFrame] | None = None,
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

    Returns
    -------
    Path
        The place folder ``<store>/<la_code>``.
    """
    la_code = manifest["la_code"]
    if wards["ward_code"].duplicated().any():
        raise IngestError(f"store: duplicated ward codes for {la_code}; refusing to write")
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    final = store / la_code
    tmp = Path(tempfile.mkdtemp(prefix=f".{la_code}-", dir=store))
    try:
        wards.to_parquet(tmp / WARDS_FILE, index=False, compression="zstd")
        for name, table in (tables or {}).items():
            table.to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd")
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


def read_table(la_code: str, name: str, *, store: Path) -> pd.DataFrame:
    """Return a further table of one place (see ``tables`` in :func:`write_place`)."""
    path = Path(store) / la_code / f"{name}.parquet"
    if not path.is_file():
        raise IngestError(f"store: place {la_code!r} has no table {name!r}; rebuild it")
    return pd.read_parquet(path)
