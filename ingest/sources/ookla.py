"""Speedtest by Ookla open data: fixed broadband speed tests by zoom-16 map tile.

Where the data comes from
-------------------------
- Publisher: Ookla, "Speedtest by Ookla Global Fixed and Mobile Network Performance Maps",
  on the Registry of Open Data on AWS (bucket ``ookla-open-data``), one file a quarter since
  2019 Q1, under ``parquet/performance/type=fixed/year=YYYY/quarter=Q/`` as
  ``YYYY-MM-01_performance_fixed_tiles.parquet`` (also as zipped shapefiles). Documented at
  https://github.com/teamookla/ookla-open-data.
- Licence: **Creative Commons Attribution-NonCommercial-ShareAlike 4.0 (CC BY-NC-SA 4.0)**, not
  the Open Government Licence of the other sources. Consequences: a council may use it for its
  own non-commercial work, crediting Ookla with the quarter analysed and the date accessed; a
  ward table or map made from it is an adaptation, so if it is published it must carry the
  same licence and may not be used commercially (a contractor cannot sell it). This project
  ships and downloads no Ookla data: a user reads files they obtained themselves, and keeps
  what is derived from them apart from the OGL outputs.
- Geography: Web Mercator tiles at zoom 16 (about 610 m square at the equator, about 360 m at
  UK latitudes), identified by a 16-digit ``quadkey``; the ``tile`` column repeats the tile as
  a WKT polygon in EPSG:4326 (the README calls it ``tiles``; the files name it ``tile``). Only
  tiles with at least one test in the quarter appear.
- Tests: taken with the Speedtest apps for Android and iOS with GPS-quality location;
  "fixed" means a non-cellular connection (Wi-Fi, Ethernet). These are tests people chose to
  run, not every premises: a tile's figures say nothing about premises where nobody tested.

Layouts (:data:`RELEASES`; headers matched by name, order ignored)
------------------------------------------------------------------
- first layout (2019 Q1 onward, as documented): ``quadkey``, ``tile``, ``avg_d_kbps``,
  ``avg_u_kbps``, ``avg_lat_ms``, ``tests``, ``devices``;
- from 2023 Q3 (earlier quarters, except 2019 Q1, re-published in it): adds ``tile_x`` and
  ``tile_y`` (the tile centre, degrees) and ``avg_lat_down_ms`` and ``avg_lat_up_ms``
  (latency under load).

Speeds are tile means over the tile's tests in kbps (1 Mbit/s = 1,000 kbps), published as
whole numbers; ``tests`` and ``devices`` (distinct devices) are counts. The latency columns,
``tile``, ``tile_x`` and ``tile_y`` are known and not read: the tile and its centre follow from
the quadkey (:mod:`geo.premises`). A CSV with exactly one layout's headers is read too.
Shapefile releases are not: their DBF truncates headers to 10 characters; use the Parquet.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo.premises import OOKLA_ZOOM, bad_quadkeys
from ingest._errors import IngestError
from ingest._tables import (
    Release,
    match_release,
    raise_bad_cells,
    read_release_csv,
    require_unique,
    to_number,
)

if TYPE_CHECKING:
    import dask.dataframe as dd

SOURCE = "ookla"
#: Raise for bad cells of a column, naming the file, header, line and value.
_bad = partial(raise_bad_cells, source=SOURCE)

_MEASURES: dict[str, str | None] = {
    "avg_d_kbps": "download_kbps",
    "avg_u_kbps": "upload_kbps",
    "avg_lat_ms": None,
    "tests": "tests",
    "devices": "devices",
}

#: Every known layout of the fixed (and mobile) tile files, oldest first.
RELEASES: tuple[Release, ...] = (
    Release(
        "first layout (2019 Q1 on)",
        {"quadkey": "quadkey", "tile": None, **_MEASURES},
        notes="Tile polygon as WKT in 'tile'; the tile centre is computed from the quadkey.",
    ),
    Release(
        "with tile centre and loaded latency (2023 Q3 on)",
        {
            "quadkey": "quadkey",
            "tile": None,
            "tile_x": None,
            "tile_y": None,
            **_MEASURES,
            "avg_lat_down_ms": None,
            "avg_lat_up_ms": None,
        },
        notes=(
            "Adds tile_x/tile_y (tile centre, degrees) and avg_lat_down_ms/avg_lat_up_ms "
            "(latency under load, ms); neither is read."
        ),
    ),
)

#: Output columns: quadkey (text), then whole numbers >= 0 (``int64``).
COLUMNS = ["quadkey", "download_kbps", "upload_kbps", "tests", "devices"]
_COUNTS = COLUMNS[1:]

_EXPECTED_QUADKEY = (
    f"a quadkey of {OOKLA_ZOOM} digits 0-3 (Ookla's tiles are zoom {OOKLA_ZOOM}), "
    "e.g. '0313131311301000'"
)


@dataclass(frozen=True)
class TilePiece:
    """One row group of one Parquet tile file: the unit of work of the partitioned readers.

    Attributes
    ----------
    path : Path
        The Parquet file.
    row_group : int
        Row group number in the file (0-based).
    first_row : int
        Rows of the file before this row group (so messages give the row in the file).
    release : str
        Name of the file's layout in :data:`RELEASES`.
    """

    path: Path
    row_group: int
    first_row: int
    release: str


def read_tiles(path: str | Path) -> pd.DataFrame:
    """Read one Ookla tile file (Parquet, or CSV with the same headers), checked.

    Parameters
    ----------
    path : str or Path
        e.g. ``2024-01-01_performance_fixed_tiles.parquet``.

    Returns
    -------
    pandas.DataFrame
        One row per zoom-16 tile: ``quadkey`` (16 digits 0-3), ``download_kbps`` and
        ``upload_kbps`` (mean speed of the tile's tests, kbps), ``tests``, ``devices``; the
        numbers ``int64``. ``attrs``: ``release`` (layout name), ``source_file``, ``notes``.

    Raises
    ------
    IngestError
        Unknown headers (naming the closest layout), a quadkey that is not 16 digits 0-3, a
        speed or count that is not a whole number >= 0, more devices than tests, or a
        quadkey on two rows. The message names the file, the column and the line (for
        Parquet, the row counting from 1).

    Example
    -------
    >>> tiles = read_tiles("2024-01-01_performance_fixed_tiles.parquet")  # doctest: +SKIP
    >>> tiles.columns.tolist()  # doctest: +SKIP
    ['quadkey', 'download_kbps', 'upload_kbps', 'tests', 'devices']
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{SOURCE}: file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        pieces = tile_pieces(path)
        release = _release(pieces[0].release)
        frame = pd.concat([read_piece(piece) for piece in pieces], ignore_index=True)
    elif suffix == ".csv":
        frame, release, publisher = read_release_csv(path, RELEASES, source=SOURCE)
        for column in _COUNTS:
            frame[column] = to_number(
                frame, column, path=path, source=SOURCE, kind="count", header=publisher[column]
            )
        frame = _checked(frame, path, publisher)
    else:
        raise IngestError(
            f"{SOURCE}: {path.name} is not a .parquet or .csv file; read Ookla's Parquet "
            "release (shapefile headers are cut to 10 characters)."
        )
    require_unique(frame, "quadkey", path=path, source=SOURCE)
    frame.attrs = {"release": release.name, "source_file": path.name, "notes": release.notes}
    return frame


def tile_pieces(source: str | Path | Iterable[str | Path]) -> list[TilePiece]:
    """List the row groups of Parquet tile files, checking every file's headers first.

    Parameters
    ----------
    source : str, Path or iterable of them
        A Parquet file, a folder (every ``*.parquet`` below it, e.g. Ookla's
        ``type=fixed/year=.../quarter=...`` tree), a glob pattern, or a list of files.

    Returns
    -------
    list of TilePiece
        One per row group, files in sorted order.

    Raises
    ------
    IngestError
        No Parquet file found, a file that is not Parquet, or a file whose headers match no
        layout of :data:`RELEASES`.
    """
    pieces = []
    rows = 0
    for path in _parquet_files(source):
        try:
            with pq.ParquetFile(path) as file:
                metadata = file.metadata
        except (pa.ArrowInvalid, OSError) as exc:
            raise IngestError(
                f"{SOURCE}: {path.name} is not a readable Parquet file: {exc}"
            ) from exc
        headers = metadata.schema.to_arrow_schema().names
        release = match_release(headers, RELEASES, path=path, source=SOURCE)
        first_row = 0
        for row_group in range(metadata.num_row_groups):
            pieces.append(TilePiece(path, row_group, first_row, release.name))
            first_row += metadata.row_group(row_group).num_rows
        rows += first_row
    if not rows:
        raise IngestError(f"{SOURCE}: no rows in {source}; the Parquet file(s) hold headers only.")
    return pieces


def read_piece(piece: TilePiece) -> pd.DataFrame:
    """Read and check one row group of a Parquet tile file.

    Parameters
    ----------
    piece : TilePiece
        From :func:`tile_pieces`.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_tiles` (without ``attrs``), for this row group's rows; the index is the
        row number in the file (0-based).

    Raises
    ------
    IngestError
        As :func:`read_tiles`, except that a quadkey repeated in another row group is not
        seen.
    """
    release = _release(piece.release)
    publisher = {name: header for header, name in release.columns.items() if name is not None}
    with pq.ParquetFile(piece.path) as file:
        table = file.read_row_group(piece.row_group, columns=[publisher[c] for c in COLUMNS])
    frame = table.rename_columns(COLUMNS).to_pandas()
    frame.index = pd.RangeIndex(piece.first_row, piece.first_row + len(frame))
    frame.attrs["first_line"] = piece.first_row + 1
    for column in _COUNTS:
        frame[column] = _whole_numbers(frame, column, piece.path, publisher)
    return _checked(frame, piece.path, publisher)


def read_tiles_dask(source: str | Path | Iterable[str | Path]) -> dd.DataFrame:
    """Read Parquet tile files as a dask dataframe, one partition per row group.

    Every file's headers are checked now (:func:`tile_pieces`); each partition is read and
    checked by :func:`read_piece` when computed. Needs the ``scale`` extra (dask).

    Parameters
    ----------
    source : str, Path or iterable of them
        As :func:`tile_pieces`.

    Returns
    -------
    dask.dataframe.DataFrame
        Columns as :func:`read_tiles`.
    """
    import dask.dataframe as dd  # the scale extra; imported here so the rest does not need it

    pieces = tile_pieces(source)
    meta = pd.DataFrame(
        {
            "quadkey": pd.Series([], dtype="str"),
            **{column: pd.Series([], dtype="int64") for column in _COUNTS},
        }
    )
    return dd.from_map(read_piece, pieces, meta=meta, label="ookla-tiles")


def _release(name: str) -> Release:
    return next(release for release in RELEASES if release.name == name)


def _parquet_files(source: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(source, str | Path):
        path = Path(source)
        if path.is_dir():
            files = sorted(path.rglob("*.parquet"))
        elif path.is_file():
            files = [path]
        else:
            files = sorted(Path(p) for p in glob.glob(str(source), recursive=True))
        where = str(source)
    else:
        files = [Path(p) for p in source]
        where = f"{len(files)} listed path(s)"
    missing = [p for p in files if not p.is_file()]
    if missing:
        raise IngestError(f"{SOURCE}: file not found: {missing[0]}")
    if not files:
        raise IngestError(
            f"{SOURCE}: no Parquet file in {where}; expected Ookla tile files such as "
            "2024-01-01_performance_fixed_tiles.parquet"
        )
    return files


def _whole_numbers(
    frame: pd.DataFrame, column: str, path: Path, publisher: dict[str, str]
) -> pd.Series:
    """Return a Parquet column of whole numbers >= 0 as int64 (floats only when whole)."""
    values = frame[column]
    if pd.api.types.is_integer_dtype(values.dtype):
        bad = values < 0
    elif pd.api.types.is_float_dtype(values.dtype):
        bad = values.isna() | (values < 0) | (values % 1 != 0)
    else:
        raise IngestError(
            f"{SOURCE}: {path.name}, column {publisher[column]!r} holds {values.dtype} values; "
            "expected whole numbers (Ookla publishes integers)."
        )
    if bad.any():
        _bad(frame, bad, column, publisher, path, "a whole number of 0 or more")
    return values.astype(np.int64)


def _checked(frame: pd.DataFrame, path: Path, publisher: dict[str, str]) -> pd.DataFrame:
    """Check quadkeys and devices <= tests; return the output columns."""
    bad = pd.Series(bad_quadkeys(frame["quadkey"], zoom=OOKLA_ZOOM), index=frame.index)
    if bad.any():
        _bad(frame, bad, "quadkey", publisher, path, _EXPECTED_QUADKEY)
    too_many = frame["devices"] > frame["tests"]
    if too_many.any():
        _bad(
            frame,
            too_many,
            "devices",
            publisher,
            path,
            f"no more devices than the tile's tests ({publisher['tests']!r}): each device "
            "counted ran at least one test",
        )
    return frame[COLUMNS]
