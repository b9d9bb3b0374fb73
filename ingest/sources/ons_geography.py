"""ONS geography: ward, output-area and LSOA boundaries, code lookups and postcodes.

Sources
-------
Office for National Statistics, Open Geography Portal (https://geoportal.statistics.gov.uk):

- ward boundaries, e.g. "Wards (December 2022) Boundaries UK BSC" (super generalised, 200 m),
  "Wards (May 2023) Boundaries UK BFC/BGC" (full / 20 m generalised), GeoPackage or GeoJSON;
- output area and LSOA boundaries, e.g. "Output Areas (December 2021) Boundaries EW BGC",
  "Lower Layer Super Output Areas (December 2021) Boundaries EW BGC", and their 2011 forms;
- lookups, e.g. "Output Area to LSOA to MSOA to Local Authority District (December 2021)
  Lookup in England and Wales", "LSOA (2021) to Electoral Ward (2022) to LTLA (2022) Best Fit
  Lookup in EW", "Ward to Local Authority District (December 2023) Lookup in the UK",
  "Wards and Local Authorities (2011) to Wards and Local Authorities (2022) Lookup in E&W",
  "Ward to Westminster Parliamentary Constituency to LAD to UTLA (July 2024) Lookup in UK"
  (read for constituencies by :mod:`ingest.sources.constituencies`);
- the ONS Postcode Directory (ONSPD) and National Statistics Postcode Lookup (NSPL).

The same files as cut to one council by Trafford Council's Data Lab
(https://github.com/traffordDataLab/spatial_data: ``area_code``/``area_name`` boundaries and
lower-case ``wd22cd``-style lookups) are read too.

Licence: Open Government Licence v3.0. Attribution for boundaries and postcodes: "Source: Office
for National Statistics licensed under the Open Government Licence v3.0. Contains OS data ©
Crown copyright and database right [year]"; postcodes add "Contains Royal Mail data © Royal Mail
copyright and database right [year]" and "Contains National Statistics data © Crown copyright
and database right [year]".

Conventions of this module
--------------------------
- Headers are matched by name with one case-insensitive regular expression per ONS column family,
  the two-digit year captured (``WD22CD`` -> ``ward_code``, vintage "2022"); a column that no
  family knows is an :class:`~ingest._errors.IngestError`, never a silent drop.
- Every boundary is returned in :data:`geo.crs.ANALYSIS_CRS` (EPSG:27700) with a fresh
  ``RangeIndex``; a file without a CRS, or whose coordinates do not fit its declared CRS, is
  refused.
- Invalid polygons are repaired with :func:`shapely.make_valid`, keeping only polygonal parts,
  and the repaired codes are listed in ``attrs["repaired"]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.crs import ANALYSIS_CRS
from ingest._errors import IngestError
from ingest._tables import (
    Release,
    apply_release,
    match_release,
    read_csv_file,
    require_unique,
    to_number,
)

SOURCE = "ons_geography"

Level = Literal["oa", "lsoa"]

# --- codes -----------------------------------------------------------------------------------

#: GSS code prefixes (entity codes) accepted for each geography level.
CODE_PREFIXES: dict[str, frozenset[str]] = {
    "oa": frozenset({"E00", "W00", "S00", "N00"}),
    "lsoa": frozenset({"E01", "W01", "S01"}),
    "msoa": frozenset({"E02", "W02", "S02"}),
    "ward": frozenset({"E05", "W05", "S13", "N08"}),
    "la": frozenset({"E06", "E07", "E08", "E09", "W06", "S12", "N09"}),
    "constituency": frozenset({"E14", "W07", "S14", "N05"}),
}

_KIND_OF_PREFIX = {
    prefix: level for level, prefixes in CODE_PREFIXES.items() for prefix in prefixes
}
_LEVEL_LABEL = {
    "oa": "output area",
    "lsoa": "LSOA",
    "msoa": "MSOA",
    "ward": "ward",
    "la": "local authority",
    "constituency": "Westminster constituency",
}
_CODE = re.compile(r"[A-Z]\d{8}")

#: Highest ward code of each prefix live in ONS's December lookups of that year (sources: Ward
#: to LAD (December 2019 / December 2020 V2 / December 2023) Lookups in the UK, Wards (December
#: 2022) Boundaries UK BSC, and the WD11CD column of the Wards 2011 to 2022 lookup). ONS issues
#: codes in sequence, so a ward file of vintage Y cannot hold a code above the ceiling of the
#: first tabulated year >= Y; this is how ward codes check (but cannot fix) a file's vintage.
WARD_CODE_CEILINGS: dict[int, dict[str, int]] = {
    2011: {"E05": 8936, "W05": 958},
    2019: {"E05": 12992, "W05": 1038, "S13": 3134, "N08": 1140},
    2020: {"E05": 13831, "W05": 1038, "S13": 3134, "N08": 1140},
    2022: {"E05": 14393, "W05": 1800, "S13": 3156, "N08": 1140},
    2023: {"E05": 15580, "W05": 1800, "S13": 3156, "N08": 1140},
}

# --- header families ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    """One family of publisher headers, e.g. ``WDyyCD`` for any two-digit year ``yy``."""

    pattern: re.Pattern[str]
    canonical: str | None
    level: str | None = None
    label: str = ""


def _family(regex: str, canonical: str | None, level: str | None = None) -> _Family:
    label = regex.replace(r"(\d\d)", "yy")
    return _Family(re.compile(regex, re.IGNORECASE), canonical, level, label)


def _names(names: str, canonical: str | None = None) -> tuple[_Family, ...]:
    """One family per literal header name (space separated) with the same meaning."""
    return tuple(_family(re.escape(name), canonical) for name in names.split())


#: ONS code/name columns, any vintage (``WD22CD``, ``wd22cd``, ``LTLA22NM``, ``LSOA21NMW`` ...).
_ONS_FAMILIES: tuple[_Family, ...] = (
    _family(r"OA(\d\d)CD", "oa_code", "oa"),
    _family(r"LSOA(\d\d)CD", "lsoa_code", "lsoa"),
    _family(r"LSOA(\d\d)NM", "lsoa_name", "lsoa"),
    _family(r"LSOA(\d\d)NMW", None, "lsoa"),
    _family(r"MSOA(\d\d)CD", "msoa_code", "msoa"),
    _family(r"MSOA(\d\d)NM", "msoa_name", "msoa"),
    _family(r"MSOA(\d\d)NMW", None, "msoa"),
    _family(r"WD(\d\d)CD", "ward_code", "ward"),
    _family(r"WD(\d\d)NM", "ward_name", "ward"),
    _family(r"WD(\d\d)NMW", None, "ward"),
    _family(r"LAD(\d\d)CD", "la_code", "la"),
    _family(r"LAD(\d\d)NM", "la_name", "la"),
    _family(r"LAD(\d\d)NMW", None, "la"),
    _family(r"LTLA(\d\d)CD", "la_code", "la"),
    _family(r"LTLA(\d\d)NM", "la_name", "la"),
    _family(r"LTLA(\d\d)NMW", None, "la"),
    _family(r"PCON(\d\d)CD", "constituency_code", "constituency"),
    _family(r"PCON(\d\d)NM", "constituency_name", "constituency"),
)
#: Row identifiers ONS adds to every download (known, not used).
_ROW_ID_FAMILIES = _names("FID OBJECTID GlobalID")
#: Extra attributes of ONS boundary files: centroid, area, perimeter (known, not used).
_BOUNDARY_EXTRA_FAMILIES = _names(
    "BNG_E BNG_N LONG LAT Shape__Area Shape__Length Shape_Area Shape_Leng "
    "st_areashape st_lengthshape st_areasha st_lengths"
)
#: Change indicator of ONS best-fit/exact lookups between census vintages (U, S, M, X).
_LOOKUP_EXTRA_FAMILIES = _names("CHGIND", "change_indicator")
#: Upper-tier local authority of ONS ward lookups (``UTLA24CD``, ``UTLA24NM``; known, not used).
_UTLA_FAMILIES = (_family(r"UTLA(\d\d)CD", None), _family(r"UTLA(\d\d)NM", None))
#: Trafford Data Lab boundary attributes (centroid and area, known, not used).
_DATALAB_EXTRA_FAMILIES = _names("lat lon area area_units")


@dataclass
class _HeaderMap:
    columns: dict[str, str | None]
    vintages: dict[str, str]
    raw_of: dict[str, str]


def _year(yy: str) -> str:
    return ("19" if int(yy) > 50 else "20") + yy


def _map_headers(
    columns: Iterable[str],
    families: Iterable[_Family],
    *,
    path: Path,
    what: str,
    two_vintages: bool = False,
) -> _HeaderMap:
    """Map each header to a canonical name through ``families``; unknown headers are errors.

    With ``two_vintages``, a level found with two years (``WD11CD`` and ``WD22CD``) keeps the
    plain canonical name for the newer year and gets a ``_{yyyy}`` suffix for the older one.
    """
    families = tuple(families)
    found: list[tuple[str, _Family, str | None]] = []
    unknown: list[str] = []
    for column in columns:
        for family in families:
            match = family.pattern.fullmatch(column)
            if match:
                found.append((column, family, _year(match.group(1)) if match.groups() else None))
                break
        else:
            unknown.append(column)
    if unknown:
        known = sorted({f.label for f in families})
        raise IngestError(
            f"{SOURCE}: {path.name} has column(s) {unknown} that no known {what} layout uses "
            f"(known: {known}, yy = two-digit year). If ONS has added a column, add its family "
            "to ingest/sources/ons_geography.py; if this is not an ONS "
            f"{what} file, it cannot be read here."
        )
    years: dict[str, set[str]] = {}
    for _, family, year in found:
        if family.level and year:
            years.setdefault(family.level, set()).add(year)
    for level, found_years in years.items():
        if len(found_years) > (2 if two_vintages else 1):
            raise IngestError(
                f"{SOURCE}: {path.name} has {_LEVEL_LABEL[level]} columns of several vintages "
                f"{sorted(found_years)}; expected one vintage per level in a {what} file."
            )
    mapping: dict[str, str | None] = {}
    vintages: dict[str, str] = {}
    for column, family, year in found:
        canonical = family.canonical
        if canonical is not None and family.level and year:
            older = min(years[family.level])
            if len(years[family.level]) == 2 and year == older:
                canonical = f"{canonical}_{year}"
                vintages[f"{family.level}_{year}"] = year
            else:
                vintages[family.level] = year
        mapping[column] = canonical
    targets = [c for c in mapping.values() if c is not None]
    repeated = sorted({c for c in targets if targets.count(c) > 1})
    if repeated:
        clash = {c: [raw for raw, name in mapping.items() if name == c] for c in repeated}
        raise IngestError(
            f"{SOURCE}: {path.name} has several columns for the same thing: {clash}; expected "
            "one column each."
        )
    return _HeaderMap(
        columns=mapping,
        vintages=vintages,
        raw_of={canonical: raw for raw, canonical in mapping.items() if canonical},
    )


# --- shared checks --------------------------------------------------------------------------


def _check_codes(
    frame: pd.DataFrame,
    column: str,
    level: str,
    *,
    path: Path,
    header: str,
    hint: str = "",
) -> None:
    """Raise unless every code in ``column`` is a GSS code of ``level``."""
    codes = frame[column].astype(str).str.strip()
    ok = codes.str.fullmatch(_CODE.pattern) & codes.str[:3].isin(CODE_PREFIXES[level])
    if ok.all():
        return
    bad = codes[~ok]
    example = bad.iloc[0]
    seen = _KIND_OF_PREFIX.get(example[:3])
    kind = f" ({_LEVEL_LABEL[seen]} codes)" if seen and seen != level else ""
    raise IngestError(
        f"{SOURCE}: {path.name}, column {header!r}: found {example!r}{kind}; expected "
        f"{_LEVEL_LABEL[level]} codes starting {sorted(CODE_PREFIXES[level])} followed by 8 "
        f"digits. {len(bad)} value(s) are not.{hint}"
    )


def _check_names(frame: pd.DataFrame, column: str, *, path: Path, header: str) -> None:
    blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
    if blank.any():
        raise IngestError(
            f"{SOURCE}: {path.name}, column {header!r}: {int(blank.sum())} blank name(s); "
            "every area must have a name."
        )


def _years_in_name(path: Path) -> list[str]:
    """Four-digit years in the file name, else in its folder name (``ward/2022/...``)."""
    pattern = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
    for text in (path.stem, path.parent.name):
        years = sorted(set(pattern.findall(text)))
        if years:
            return years
    return []


def _resolve_vintage(
    header_year: str | None, vintage: str | int | None, path: Path, *, what: str
) -> tuple[str, str]:
    """Return (vintage, how it was known): the argument, the header, or the file name."""
    if vintage is not None:
        given = str(vintage).strip()
        if not re.fullmatch(r"(?:19|20)\d\d", given):
            raise IngestError(
                f"{SOURCE}: vintage={vintage!r} for {path.name}; expected a year such as '2022'."
            )
        if header_year and header_year != given:
            raise IngestError(
                f"{SOURCE}: vintage={given!r} was given but {path.name}'s headers say "
                f"{header_year}; drop the vintage argument or check the file."
            )
        return given, "vintage argument"
    if header_year:
        return header_year, "header"
    years = _years_in_name(path)
    if len(years) == 1:
        return years[0], "file name"
    found = f"the years {years} in its name" if years else "no year in its name or folder"
    raise IngestError(
        f"{SOURCE}: the {what} vintage of {path.name} cannot be known: its headers carry no "
        f"year (such as WD22CD or LSOA21CD) and it has {found}. Pass vintage='2022' (the "
        "year of the boundaries), or keep the year in the file name."
    )


def _check_ward_vintage(codes: pd.Series, vintage: str, how: str, path: Path) -> None:
    """Raise when a ward code was issued after the vintage the file claims."""
    year = int(vintage)
    later = [y for y in sorted(WARD_CODE_CEILINGS) if y >= year]
    if not later:
        return
    ceiling = WARD_CODE_CEILINGS[later[0]]
    prefix = codes.str[:3]
    number = pd.to_numeric(codes.str[3:], errors="coerce")
    limit = prefix.map(ceiling)
    newer = limit.notna() & (number > limit)
    if newer.any():
        first = sorted(codes[newer])[0]
        fits = [
            y
            for y, c in sorted(WARD_CODE_CEILINGS.items())
            if ((prefix.map(c).notna() & (number <= prefix.map(c))) | prefix.map(c).isna()).all()
        ]
        since = f"; the codes fit {fits[0]} or later" if fits else ""
        raise IngestError(
            f"{SOURCE}: {path.name} is taken as {vintage} wards (from the {how}) but holds "
            f"ward code(s) such as {first} first issued after {later[0]}{since}. Pass the "
            "right vintage= or rename the file with the year of its boundaries."
        )


# --- vector files ---------------------------------------------------------------------------


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise IngestError(f"{SOURCE}: file not found: {path}")
    if path.stat().st_size == 0:
        raise IngestError(f"{SOURCE}: {path.name} is empty; expected a GeoPackage or GeoJSON.")
    try:
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            names = [str(name) for name in layers[:, 0]]
            raise IngestError(
                f"{SOURCE}: {path.name} has {len(names)} layers {names}; pass layer= to say "
                "which holds the boundaries."
            )
        frame = gpd.read_file(path, engine="pyogrio", layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise IngestError(
            f"{SOURCE}: {path.name} cannot be read as a vector file (GeoPackage, GeoJSON, "
            f"shapefile): {exc}"
        ) from exc
    if frame.empty:
        raise IngestError(f"{SOURCE}: {path.name} has no features; expected boundaries.")
    if "geometry" not in frame.columns or not isinstance(frame, gpd.GeoDataFrame):
        raise IngestError(f"{SOURCE}: {path.name} has no geometry; expected boundaries.")
    return frame


#: Generous British National Grid envelope (metres) holding Great Britain and Northern Ireland.
_BNG_ENVELOPE = (-250_000.0, -150_000.0, 900_000.0, 1_350_000.0)


def _require_crs(frame: gpd.GeoDataFrame, path: Path) -> None:
    if frame.crs is None:
        raise IngestError(
            f"{SOURCE}: {path.name} has no coordinate reference system (e.g. a shapefile "
            "without its .prj). ONS publishes boundaries in EPSG:27700 (British National Grid) "
            "or EPSG:4326; download the file again or set its CRS in GIS before loading."
        )


def _to_analysis_crs(frame: gpd.GeoDataFrame, code: str, path: Path) -> gpd.GeoDataFrame:
    """Reproject to EPSG:27700, refusing a missing CRS or coordinates that do not fit it."""
    _require_crs(frame, path)
    declared = frame.crs.to_string()
    bounds = frame.geometry.bounds
    if not frame.crs.is_geographic and (
        (bounds["minx"] >= -180).all()
        and (bounds["maxx"] <= 180).all()
        and (bounds["miny"] >= -90).all()
        and (bounds["maxy"] <= 90).all()
    ):
        raise IngestError(
            f"{SOURCE}: {path.name} declares the projected CRS {declared} but all its "
            "coordinates look like longitude/latitude degrees; the CRS is wrong (should it be "
            "EPSG:4326?)."
        )
    out = frame.to_crs(ANALYSIS_CRS)
    b = out.geometry.bounds
    xmin, ymin, xmax, ymax = _BNG_ENVELOPE
    inside = (
        np.isfinite(b.to_numpy()).all(axis=1)
        & (b["minx"] >= xmin).to_numpy()
        & (b["maxx"] <= xmax).to_numpy()
        & (b["miny"] >= ymin).to_numpy()
        & (b["maxy"] <= ymax).to_numpy()
    )
    if not inside.all():
        outside = out.loc[~inside, code].astype(str).tolist()
        raise IngestError(
            f"{SOURCE}: {path.name} declares CRS {declared}, but {len(outside)} area(s) (e.g. "
            f"{outside[:3]}) fall outside the UK once reprojected to {ANALYSIS_CRS}; "
            "the declared CRS does not match the coordinates (British National Grid metres "
            "labelled as degrees, or latitude/longitude swapped?)."
        )
    return out


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry | None:
    """Return a valid polygonal form of ``geometry``: make_valid, then drop lines and points."""
    fixed = shapely.make_valid(geometry)
    if fixed.geom_type in ("Polygon", "MultiPolygon"):
        return fixed
    parts = [
        part
        for part in shapely.get_parts(fixed)
        if part.geom_type in ("Polygon", "MultiPolygon") and not part.is_empty
    ]
    return shapely.union_all(parts) if parts else None


def _clean_geometries(
    frame: gpd.GeoDataFrame, code: str, path: Path
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Refuse missing or non-polygon geometries; repair invalid ones (codes returned)."""
    geometry = frame.geometry
    missing = geometry.isna() | geometry.is_empty
    if missing.any():
        raise IngestError(
            f"{SOURCE}: {path.name}: {int(missing.sum())} area(s) have no geometry (e.g. "
            f"{frame.loc[missing, code].tolist()[:3]}); every area needs its boundary."
        )
    kinds = geometry.geom_type
    wrong = ~kinds.isin(["Polygon", "MultiPolygon"])
    if wrong.any():
        raise IngestError(
            f"{SOURCE}: {path.name}: geometries must be polygons, found "
            f"{sorted(set(kinds[wrong]))} (e.g. {frame.loc[wrong, code].tolist()[:3]}); "
            "is this a centroid (point) file rather than boundaries?"
        )
    invalid = ~geometry.is_valid
    repaired: list[str] = []
    if invalid.any():
        frame = frame.copy()
        fixed = [_polygonal(g) for g in geometry[invalid]]
        lost = [c for c, g in zip(frame.loc[invalid, code], fixed, strict=True) if g is None]
        if lost:
            raise IngestError(
                f"{SOURCE}: {path.name}: the geometries of {lost} are invalid and have no "
                "polygonal part once repaired; fix them in GIS."
            )
        frame.loc[invalid, frame.geometry.name] = gpd.GeoSeries(
            fixed, index=frame.index[invalid], crs=frame.crs
        )
        repaired = frame.loc[invalid, code].astype(str).tolist()
    return frame, repaired


def _finish(frame: gpd.GeoDataFrame, order: list[str]) -> gpd.GeoDataFrame:
    columns = [c for c in order if c in frame.columns] + ["geometry"]
    out = frame[columns].reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)


def _strip_text(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    for column in columns:
        if column in frame.columns:
            frame[column] = frame[column].astype(str).str.strip()


# --- wards ----------------------------------------------------------------------------------

_WARD_FAMILIES: tuple[_Family, ...] = (
    *(f for f in _ONS_FAMILIES if f.level in ("ward", "la")),
    *_ROW_ID_FAMILIES,
    *_BOUNDARY_EXTRA_FAMILIES,
    _family(r"area_code", "ward_code"),
    _family(r"area_name", "ward_name"),
    *_DATALAB_EXTRA_FAMILIES,
)


def read_wards(
    path: str | Path,
    *,
    la_code: str | None = None,
    vintage: str | int | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read electoral ward boundaries of any vintage, in EPSG:27700.

    Accepts ONS ward boundary files (``WDyyCD``, ``WDyyNM``, optional ``LADyyCD``/``LADyyNM``;
    Welsh names, centroid, area and row-id columns are known and dropped), as GeoPackage,
    GeoJSON or shapefile, and the Trafford Data Lab form (``area_code``, ``area_name``,
    ``lat``/``lon``, ``area``, ``area_units``).

    The ward vintage (``attrs["ward_vintage"]``) comes from, in order: the ``vintage``
    argument; the year in the headers (``WD22CD`` -> "2022"); a single four-digit year in the
    file name or, failing that, its folder (``2023_trafford_ward_generalised.geojson``,
    ``ward/2023/...``). Ward codes cannot name a vintage (a code lives across many years) but
    they can contradict one taken from the name or argument: ONS issues codes in sequence, so a
    code above the highest code live at that year (:data:`WARD_CODE_CEILINGS`) is refused.
    With no year anywhere, pass ``vintage=``.

    Invalid polygons (self-intersections of generalised boundaries) are repaired with
    :func:`shapely.make_valid` in EPSG:27700, keeping only the polygonal parts; their codes are
    listed in ``attrs["repaired"]``. Rows repeating the same ward code, name and LA (a ward
    drawn in several rows) are merged into one row, geometry their union, listed in
    ``attrs["merged"]``;
    a ward split between two LAs (ONS's "(part X)" rows) stays one row per LA.

    Parameters
    ----------
    path : str or Path
        Boundary file.
    la_code : str, optional
        Keep only this local authority's wards (e.g. ``"E08000009"`` for Trafford). Needs an
        ``LADyyCD`` column in the file.
    vintage : str or int, optional
        Year of the ward boundaries, when neither headers nor file name give it.
    layer : str, optional
        Layer of a multi-layer GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per ward (per ward and LA for split wards), EPSG:27700, ``RangeIndex``:
        ``ward_code``, ``ward_name``, ``la_code`` and ``la_name`` (when the file has them),
        ``geometry`` (Polygon or MultiPolygon, metres). ``attrs``: ``ward_vintage``,
        ``ward_vintage_from``, ``la_vintage`` (when present), ``source_file``, ``source_crs``,
        ``repaired`` (list of codes), ``merged`` (list of codes).

    Raises
    ------
    IngestError
        Unknown column, blank or malformed codes, no or wrong CRS, non-polygon geometry, an
        unknown vintage, or an ``la_code`` with no wards in the file.

    Example
    -------
    >>> wards = read_wards("Wards_December_2022_Boundaries_UK_BSC.gpkg", la_code="E08000009")
    ... # doctest: +SKIP
    >>> len(wards), wards.crs.to_epsg(), wards.attrs["ward_vintage"]  # doctest: +SKIP
    (21, 27700, '2022')
    """
    path = Path(path)
    raw = _read_vector(path, layer)
    attributes = [c for c in raw.columns if c != raw.geometry.name]
    headers = _map_headers(attributes, _WARD_FAMILIES, path=path, what="ward boundary")
    if "ward_code" not in headers.raw_of or "ward_name" not in headers.raw_of:
        raise IngestError(
            f"{SOURCE}: {path.name} has no ward code and name columns (found {attributes}); "
            "expected WDyyCD and WDyyNM (ONS) or area_code and area_name (Data Lab)."
        )
    release = Release(
        name=f"ward boundaries ({', '.join(sorted(headers.raw_of.values()))})",
        columns={**headers.columns, raw.geometry.name: "geometry"},
    )
    frame = apply_release(raw, release)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=raw.crs)
    _strip_text(frame, ["ward_code", "ward_name", "la_code", "la_name"])

    hint = (
        " Is this an LSOA or output-area file? Use read_areas()."
        if "area_code" in headers.raw_of.values()
        else ""
    )
    _check_codes(
        frame, "ward_code", "ward", path=path, header=headers.raw_of["ward_code"], hint=hint
    )
    _check_names(frame, "ward_name", path=path, header=headers.raw_of["ward_name"])
    if "la_code" in frame.columns:
        _check_codes(frame, "la_code", "la", path=path, header=headers.raw_of["la_code"])

    ward_vintage, how = _resolve_vintage(headers.vintages.get("ward"), vintage, path, what="ward")
    if how != "header":  # ONS's own header year is authoritative
        _check_ward_vintage(frame["ward_code"], ward_vintage, how, path)

    _require_crs(frame, path)
    if la_code is not None:
        frame = _filter_la(frame, la_code, headers, path)

    frame = _to_analysis_crs(frame, "ward_code", path)
    frame, repaired = _clean_geometries(frame, "ward_code", path)
    frame, merged = _merge_repeated_wards(frame, path)
    key = ["ward_code", "la_code"] if "la_code" in frame.columns else ["ward_code"]
    _require_unique_key(frame, key, path)

    out = _finish(frame, ["ward_code", "ward_name", "la_code", "la_name"])
    out.attrs = {
        "ward_vintage": ward_vintage,
        "ward_vintage_from": how,
        **({"la_vintage": headers.vintages["la"]} if "la" in headers.vintages else {}),
        "source_file": path.name,
        "source_crs": raw.crs.to_string() if raw.crs else None,
        "repaired": repaired,
        "merged": merged,
    }
    return out


def _filter_la(
    frame: gpd.GeoDataFrame, la_code: str, headers: _HeaderMap, path: Path
) -> gpd.GeoDataFrame:
    if "la_code" not in frame.columns:
        raise IngestError(
            f"{SOURCE}: {path.name} has no local-authority column (LADyyCD), so it cannot be "
            f"filtered by la_code={la_code!r}. Files cut to one council (such as the Trafford "
            "Data Lab ones) already hold only its wards: call without la_code."
        )
    wanted = str(la_code).strip().upper()
    keep = frame["la_code"] == wanted
    if keep.any():
        return frame[keep]
    header = headers.raw_of["la_code"]
    suggestion = ""
    if "la_name" in frame.columns:
        named = frame.loc[
            frame["la_name"].str.casefold() == str(la_code).strip().casefold(), "la_code"
        ]
        if not named.empty:
            suggestion = f" {la_code!r} is the name of {named.iloc[0]}: pass that code."
    examples = (
        frame[["la_code", "la_name"]].drop_duplicates().head(3).astype(str).agg(" ".join, axis=1)
        if "la_name" in frame.columns
        else frame["la_code"].drop_duplicates().head(3)
    )
    raise IngestError(
        f"{SOURCE}: {path.name} has no wards with {header} = {wanted!r}.{suggestion} It holds "
        f"{frame['la_code'].nunique()} local authorities, e.g. {list(examples)}. LA codes are "
        "9 characters (E06/E07/E08/E09 England, W06 Wales, S12 Scotland, N09 Northern "
        f"Ireland); find a council's code in the {header} column of this file or in ONS's "
        "'Local Authority Districts (<month year>) Names and Codes in the UK' on the Open "
        "Geography Portal, for the same year as the wards."
    )


def _merge_repeated_wards(
    frame: gpd.GeoDataFrame, path: Path
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Union rows that repeat the same ward code, name and LA (one ward in several rows)."""
    key = ["ward_code", "la_code"] if "la_code" in frame.columns else ["ward_code"]
    repeated = frame.duplicated(key, keep=False)
    if not repeated.any():
        return frame, []
    attributes = [c for c in frame.columns if c != "geometry"]
    conflicting = frame[repeated].groupby(key)[attributes].nunique().gt(1).any(axis=1)
    if conflicting.any():
        codes = [k if isinstance(k, str) else k[0] for k in conflicting[conflicting].index]
        raise IngestError(
            f"{SOURCE}: {path.name}: ward code(s) {codes[:5]} appear on several rows with "
            "different names; each ward must appear once per local authority."
        )
    merged_codes = sorted(set(frame.loc[repeated, "ward_code"]))
    unions = (
        frame[repeated]
        .groupby(key, sort=False)["geometry"]
        .agg(lambda pieces: shapely.union_all(pieces.to_numpy()))
    )
    first = ~frame.duplicated(key, keep="first")
    out = frame[first].copy()
    merged_rows = repeated[first]
    keys = pd.MultiIndex.from_frame(out.loc[merged_rows, key]) if len(key) > 1 else None
    out.loc[merged_rows, "geometry"] = gpd.GeoSeries(
        unions.loc[keys if keys is not None else out.loc[merged_rows, key[0]]].to_numpy(),
        index=out.index[merged_rows],
        crs=frame.crs,
    )
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs), merged_codes


def _require_unique_key(frame: pd.DataFrame, key: list[str], path: Path) -> None:
    if len(key) == 1:
        require_unique(frame, key[0], path=path, source=SOURCE)
        return
    dupes = frame[frame.duplicated(key, keep=False)]
    if not dupes.empty:
        pairs = dupes[key].drop_duplicates().head(5).to_records(index=False).tolist()
        raise IngestError(
            f"{SOURCE}: {path.name}: {key} combination(s) {pairs} appear on more than one row; "
            "each must appear once or areas would be counted twice."
        )


# --- output areas and LSOAs ------------------------------------------------------------------

_AREA_FAMILIES: tuple[_Family, ...] = (
    *(f for f in _ONS_FAMILIES if f.level in ("oa", "lsoa", "msoa", "la")),
    *_ROW_ID_FAMILIES,
    *_BOUNDARY_EXTRA_FAMILIES,
    _family(r"la_code", "la_code"),
    _family(r"la_name", "la_name"),
    *_DATALAB_EXTRA_FAMILIES,
)


def read_areas(
    path: str | Path,
    *,
    level: Level,
    vintage: str | int | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read output-area or LSOA boundaries (2011 or 2021), in EPSG:27700.

    Accepts ONS files (``OAyyCD``; ``LSOAyyCD``, ``LSOAyyNM``; optional ``LADyyCD``/``LADyyNM``,
    ``MSOAyy*``; Welsh names, centroid, area and row ids dropped) and the Trafford Data Lab form
    (``area_code``, ``area_name`` for LSOAs; ``area_code``, ``la_code``, ``la_name`` for OAs).
    In the Data Lab's 2011 OA file the column called ``la_name`` holds the LA **code**
    (``"E08000009"``); when there is no ``la_code`` column and every ``la_name`` is a code, it
    is returned as ``la_code`` (noted in ``attrs["notes"]``).

    The vintage (``attrs["vintage"]``) comes from the ``vintage`` argument, the header year
    (``LSOA21CD`` -> "2021") or a single year in the file or folder name; otherwise pass
    ``vintage=``. Invalid polygons are repaired as in :func:`read_wards`.

    Parameters
    ----------
    path : str or Path
        Boundary file (GeoPackage, GeoJSON, shapefile).
    level : {"oa", "lsoa"}
        Output areas or Lower layer Super Output Areas; codes must match (E00/W00... for OAs,
        E01/W01... for LSOAs).
    vintage : str or int, optional
        Census year of the boundaries ("2011" or "2021"), when not in headers or name.
    layer : str, optional
        Layer of a multi-layer GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700, ``RangeIndex``. ``level="oa"``: ``oa_code`` then, when present,
        ``lsoa_code``, ``lsoa_name``, ``la_code``, ``la_name``. ``level="lsoa"``: ``lsoa_code``,
        ``lsoa_name`` (when present), ``la_code``, ``la_name`` (when present). Then
        ``geometry``. ``attrs``: ``level``, ``vintage``, ``vintage_from``, ``source_file``,
        ``source_crs``, ``repaired``, ``notes``.

    Example
    -------
    >>> lsoas = read_areas("2021_trafford_lsoa_generalised.geojson", level="lsoa")
    ... # doctest: +SKIP
    >>> len(lsoas), lsoas.attrs["vintage"]  # doctest: +SKIP
    (139, '2021')
    """
    if level not in ("oa", "lsoa"):
        raise IngestError(f"{SOURCE}: level={level!r}; expected 'oa' or 'lsoa'.")
    path = Path(path)
    raw = _read_vector(path, layer)
    attributes = [c for c in raw.columns if c != raw.geometry.name]
    other = "lsoa" if level == "oa" else "oa"
    hint = f" Read it with level={other!r}."
    if "area_code" in attributes:  # Data Lab form: say early if the level is wrong
        _check_codes(raw, "area_code", level, path=path, header="area_code", hint=hint)
    families = (
        *_AREA_FAMILIES,
        _family(r"area_code", f"{level}_code"),
        *((_family(r"area_name", "lsoa_name"),) if level == "lsoa" else ()),
    )
    headers = _map_headers(attributes, families, path=path, what=f"{level.upper()} boundary")
    code = f"{level}_code"
    if code not in headers.raw_of:
        expected = "OAyyCD" if level == "oa" else "LSOAyyCD"
        raise IngestError(
            f"{SOURCE}: {path.name} has no {level.upper()} code column (found {attributes}); "
            f"expected {expected} (ONS) or area_code (Data Lab)."
        )
    if level == "lsoa" and "oa_code" in headers.raw_of:
        raise IngestError(
            f"{SOURCE}: {path.name} has output-area codes ({headers.raw_of['oa_code']}); "
            "read it with level='oa'."
        )
    release = Release(
        name=f"{level} boundaries ({', '.join(sorted(headers.raw_of.values()))})",
        columns={**headers.columns, raw.geometry.name: "geometry"},
    )
    frame = gpd.GeoDataFrame(apply_release(raw, release), geometry="geometry", crs=raw.crs)
    _strip_text(frame, ["oa_code", "lsoa_code", "lsoa_name", "msoa_code", "la_code", "la_name"])

    notes = ""
    if (
        "la_code" not in frame.columns
        and "la_name" in frame.columns
        and frame["la_name"].str.fullmatch(_CODE.pattern).all()
    ):
        frame = frame.rename(columns={"la_name": "la_code"})
        headers.raw_of["la_code"] = headers.raw_of.pop("la_name")
        notes = (
            f"column {headers.raw_of['la_code']!r} holds LA codes, not names (Trafford Data "
            "Lab 2011 OA file); returned as la_code."
        )

    _check_codes(frame, code, level, path=path, header=headers.raw_of[code], hint=hint)
    if level == "oa" and "lsoa_code" in frame.columns:
        _check_codes(frame, "lsoa_code", "lsoa", path=path, header=headers.raw_of["lsoa_code"])
    if "la_code" in frame.columns:
        _check_codes(frame, "la_code", "la", path=path, header=headers.raw_of["la_code"])
    if "lsoa_name" in frame.columns:
        _check_names(frame, "lsoa_name", path=path, header=headers.raw_of["lsoa_name"])
    require_unique(frame, code, path=path, source=SOURCE)

    found_vintage, how = _resolve_vintage(
        headers.vintages.get(level), vintage, path, what=level.upper()
    )
    frame = _to_analysis_crs(frame, code, path)
    frame, repaired = _clean_geometries(frame, code, path)
    order = [code, "lsoa_code", "lsoa_name", "msoa_code", "msoa_name", "la_code", "la_name"]
    out = _finish(frame, list(dict.fromkeys(order)))
    out.attrs = {
        "level": level,
        "vintage": found_vintage,
        "vintage_from": how,
        "source_file": path.name,
        "source_crs": raw.crs.to_string() if raw.crs else None,
        "repaired": repaired,
        "notes": notes,
    }
    return out


# --- lookups --------------------------------------------------------------------------------

_LOOKUP_FAMILIES: tuple[_Family, ...] = (
    *_ONS_FAMILIES,
    *_ROW_ID_FAMILIES,
    *_LOOKUP_EXTRA_FAMILIES,
    *_UTLA_FAMILIES,
)
_LEVEL_ORDER = ("oa", "lsoa", "msoa", "ward", "constituency", "la")


def read_lookup(path: str | Path) -> pd.DataFrame:
    """Read an ONS geography lookup (OA/LSOA/MSOA/ward/constituency/LA, any vintage).

    Headers are matched per ONS column family, case-insensitively, so the upper-case ONS
    downloads (``OA21CD``, ``LSOA21CD``, ``WD22CD``, ``LAD22CD``, ``LTLA22CD``...) and the
    lower-case Trafford Data Lab cuts (``oa21cd``, ``wd22cd``...) read the same. Welsh names
    (``..NMW``) and row ids (``FID``, ``ObjectId``) are known and dropped; any other column is an
    error. ``LTLA`` (lower-tier LA) is read as ``la``; Westminster constituencies (``PCONyyCD``,
    ``PCONyyNM``) as ``constituency_code``, ``constituency_name``; upper-tier LAs (``UTLAyyCD``,
    ``UTLAyyNM``) are known and dropped.

    A lookup between two vintages of the same level (e.g. "Wards and Local Authorities (2011)
    to Wards and Local Authorities (2022)", ``WD11CD ... WD22CD``) gives the newer vintage the
    plain names and the older one a year suffix: ``ward_code_2011``, ``ward_name_2011``,
    ``la_code_2011``, ``la_name_2011``, ``ward_code``, ``ward_name``, ``la_code``,
    ``la_name``. Such lookups are **many-to-many** (one row per overlap of an old and a new
    area, no weights): ``attrs["many_to_many"]`` is True and a join through them duplicates
    rows, so aggregate with care.

    Rows repeated exactly (apart from the dropped row id) are dropped and counted in
    ``attrs["duplicate_rows_dropped"]``; then the key (finest code, plus LA code since ONS
    splits a few wards between LAs, plus constituency code since ONS lists a ward split by
    constituency boundaries once per constituency) must be unique.

    Parameters
    ----------
    path : str or Path
        CSV lookup as downloaded (UTF-8 with or without BOM).

    Returns
    -------
    pandas.DataFrame
        Whichever of ``oa_code``, ``lsoa_code``, ``lsoa_name``, ``msoa_code``, ``msoa_name``,
        ``ward_code``, ``ward_name``, ``constituency_code``, ``constituency_name``,
        ``la_code``, ``la_name`` (and ``change_indicator``, year-suffixed older vintages) the
        file has, in file order. ``attrs``: ``vintages``
        (e.g. ``{"oa": "2021", "lsoa": "2021", "msoa": "2021", "la": "2022"}``;
        ``{"ward_2011": "2011", "la_2011": "2011", "ward": "2022", "la": "2022"}``),
        ``many_to_many``, ``key``, ``duplicate_rows_dropped``, ``source_file``.

    Example
    -------
    >>> lookup = read_lookup("lsoa_to_ward_best-fit_lookup.csv")  # doctest: +SKIP
    >>> lookup.attrs["vintages"]  # doctest: +SKIP
    {'lsoa': '2021', 'ward': '2022', 'la': '2022'}
    """
    path = Path(path)
    raw = read_csv_file(path, source=SOURCE)
    headers = _map_headers(
        raw.columns, _LOOKUP_FAMILIES, path=path, what="lookup", two_vintages=True
    )
    codes = [c for c in headers.raw_of if c.endswith("_code") or "_code_" in c]
    if len(codes) < 2:
        raise IngestError(
            f"{SOURCE}: {path.name} has {len(codes)} area code column(s) ({list(raw.columns)}); "
            "a lookup links at least two (e.g. WD22CD and LAD22CD)."
        )
    if raw.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no rows.")
    release = Release(name=f"lookup ({', '.join(headers.raw_of)})", columns=headers.columns)
    frame = apply_release(raw, release)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    for column in codes:
        level = column.split("_code")[0]
        _check_codes(frame, column, level, path=path, header=headers.raw_of[column])
    for column in frame.columns:
        if "_name" in column:
            _check_names(frame, column, path=path, header=headers.raw_of[column])

    before = len(frame)
    frame = frame.drop_duplicates(ignore_index=True)
    dropped = before - len(frame)

    many_to_many = any("_code_" in c for c in codes)
    key = _lookup_key(codes, many_to_many)
    _require_unique_key(frame, key, path)
    frame.attrs = {
        "vintages": headers.vintages,
        "many_to_many": many_to_many,
        "key": key,
        "duplicate_rows_dropped": dropped,
        "source_file": path.name,
        "release": release.name,
    }
    return frame


def _lookup_key(codes: list[str], many_to_many: bool) -> list[str]:
    """Columns that identify a row: the finest code (of each vintage), plus the LA code(s)."""
    if many_to_many:
        old = [c for c in codes if "_code_" in c]
        new = [c for c in codes if c.endswith("_code")]
        key = []
        for group in (old, new):
            finest = min(group, key=lambda c: _LEVEL_ORDER.index(c.split("_code")[0]))
            key.append(finest)
            key += [c for c in group if c.startswith("la_code") and c != finest]
        return key
    finest = min(codes, key=lambda c: _LEVEL_ORDER.index(c.split("_code")[0]))
    return [finest] + [c for c in ("constituency_code", "la_code") if c in codes and c != finest]


# --- postcodes ------------------------------------------------------------------------------

#: Trafford Data Lab's ONSPD extract (``postcodes/trafford_postcodes.csv``).
POSTCODES_DATALAB = Release(
    name="Trafford Data Lab ONSPD extract",
    columns={
        "postcode": "postcode",
        "ward_code": "ward_code",
        "ward_name": "ward_name",
        "msoa_code": None,
        "msoa_hcl_name": None,
        "lsoa_code": "lsoa_code",
        "lsoa_name": None,
        "locality": None,
        "la_code": "la_code",
        "la_name": None,
        "lon": "lon",
        "lat": "lat",
    },
    notes=(
        "Live postcodes of one council with selected ONSPD fields renamed by the Data Lab; "
        "LSOAs are 2021 LSOAs and wards the ONSPD edition's current wards."
    ),
)

#: Columns used from the raw ONSPD (``osward``, ``oslaua``) or NSPL (``ward``, ``laua``) CSV;
#: every other column of those ~50-column files (other geographies) is ignored, and listed in
#: ``attrs["ignored_columns"]``.
_RAW_POSTCODE_LAYOUTS = {
    "ONSPD": {"pcds": "postcode", "osward": "ward_code", "oslaua": "la_code"},
    "NSPL": {"pcds": "postcode", "ward": "ward_code", "laua": "la_code"},
}
_POSTCODE = re.compile(r"(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) \d[A-Z]{2}")
#: ONSPD/NSPL give postcodes without a grid reference latitude 99.999999, longitude 0.
_NO_LOCATION_LAT = 99.999999


def read_postcodes(path: str | Path, *, include_terminated: bool = False) -> pd.DataFrame:
    """Read postcode -> ward / LSOA / LA assignments with postcode centroids.

    Two forms are read:

    - the Trafford Data Lab ONSPD extract (``postcode, ward_code, ward_name, msoa_code,
      msoa_hcl_name, lsoa_code, lsoa_name, locality, la_code, la_name, lon, lat``);
    - the raw ONS Postcode Directory CSV (``pcds``, ``osward``, ``oslaua``, ``lsoa21`` or
      ``lsoa11``, ``lat``, ``long``, ``doterm`` ...) or NSPL CSV (``ward``, ``laua`` instead of
      ``osward``, ``oslaua``). Only those columns are used; the other geographies are ignored
      (listed in ``attrs["ignored_columns"]``). ``lsoa21`` is preferred to ``lsoa11``.
      Terminated postcodes (``doterm`` set) are dropped unless ``include_terminated`` and
      counted in ``attrs["terminated_dropped"]``; postcodes without a grid reference
      (latitude 99.999999) get NaN coordinates, counted in ``attrs["no_location"]``. The raw
      files have no ward names, so ``ward_name`` is absent.

    Parameters
    ----------
    path : str or Path
        CSV file.
    include_terminated : bool, default False
        Keep terminated postcodes of a raw ONSPD/NSPL file.

    Returns
    -------
    pandas.DataFrame
        One row per postcode: ``postcode`` (upper case, one space: ``"M15 4AB"``),
        ``ward_code``, ``ward_name`` (Data Lab form only), ``lsoa_code``, ``la_code``, ``lon``,
        ``lat`` (WGS84 degrees of the postcode centroid). ``attrs``: ``release`` (form),
        ``vintages`` (``{"lsoa": "2021"}`` for raw files), ``source_file``, ``notes``.

    Example
    -------
    >>> pcs = read_postcodes("trafford_postcodes.csv")  # doctest: +SKIP
    >>> pcs.loc[pcs.postcode == "M15 4AB", "ward_code"].item()  # doctest: +SKIP
    'E05015247'
    """
    path = Path(path)
    raw = read_csv_file(path, source=SOURCE)
    layout = next(
        (name for name, cols in _RAW_POSTCODE_LAYOUTS.items() if set(cols) <= set(raw.columns)),
        None,
    )
    vintages: dict[str, str] = {}
    attrs: dict[str, object] = {}
    if layout is None:
        release = match_release(raw.columns, [POSTCODES_DATALAB], path=path, source=SOURCE)
        notes = release.notes
    else:
        release, vintages, attrs = _raw_postcode_release(raw, layout, path)
        notes = (
            f"Raw {layout} CSV; columns {[k for k, v in release.columns.items() if v]} used, "
            "the other geographies ignored."
        )
    if raw.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no rows.")
    frame = apply_release(raw, release)
    header_of = {c: h for h, c in release.columns.items() if c}

    postcode = frame["postcode"].str.upper()
    # Tidy only what is not already in the one-space form (most of a national directory is).
    odd = ~postcode.str.fullmatch(_POSTCODE.pattern).to_numpy(dtype=bool)
    bad = np.zeros(len(postcode), dtype=bool)
    if odd.any():
        tidied = postcode[odd].str.split().str.join(" ")
        no_space = ~tidied.str.contains(" ") & tidied.str.len().between(5, 7)
        tidied = tidied.where(~no_space, tidied.str[:-3] + " " + tidied.str[-3:])
        bad[odd] = ~tidied.str.fullmatch(_POSTCODE.pattern).to_numpy(dtype=bool)
        postcode[odd] = tidied
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, column {header_of['postcode']!r}, line "
            f"{frame.attrs['first_line'] + position}: found {frame['postcode'].iloc[position]!r}; "
            f"expected a UK postcode such as 'M15 4AB'. {int(bad.sum())} value(s) are not."
        )
    frame["postcode"] = postcode.astype("str")
    for column in ("ward_code", "ward_name", "lsoa_code", "la_code"):
        if column in frame.columns:
            frame[column] = frame[column].str.strip()
    for column in ("ward_code", "la_code"):
        _check_code_shape(frame, column, path=path, header=header_of[column], blank_ok=False)
    _check_code_shape(frame, "lsoa_code", path=path, header=header_of["lsoa_code"], blank_ok=True)
    frame["lsoa_code"] = frame["lsoa_code"].where(frame["lsoa_code"] != "", None)

    lat = to_number(frame, "lat", path=path, source=SOURCE, kind="float", header=header_of["lat"])
    lon = to_number(frame, "lon", path=path, source=SOURCE, kind="float", header=header_of["lon"])
    if layout is not None:
        no_location = (lat - _NO_LOCATION_LAT).abs() < 1e-6
        attrs["no_location"] = int(no_location.sum())
        lat = lat.mask(no_location)
        lon = lon.mask(no_location)
    outside = lat.notna() & ~(lat.between(49.0, 61.5) & lon.between(-9.0, 2.5))
    if outside.any():
        position = int(np.flatnonzero(outside.to_numpy())[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, line {frame.attrs['first_line'] + position}: postcode "
            f"{frame['postcode'].iloc[position]} has lat {lat.iloc[position]}, lon "
            f"{lon.iloc[position]}, outside the UK; are the lat and lon columns swapped?"
        )
    frame["lat"] = lat
    frame["lon"] = lon
    require_unique(frame, "postcode", path=path, source=SOURCE)

    if layout is not None and "doterm" in raw.columns:
        live = (raw["doterm"].str.strip() == "").to_numpy()
        attrs["terminated_dropped"] = 0 if include_terminated else int((~live).sum())
        if not include_terminated:
            frame = frame[live]
            if frame.empty:
                raise IngestError(
                    f"{SOURCE}: {path.name} holds only terminated postcodes; pass "
                    "include_terminated=True to keep them."
                )

    columns = ["postcode", "ward_code", "ward_name", "lsoa_code", "la_code", "lon", "lat"]
    out = frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)
    out.attrs = {
        "release": release.name,
        "vintages": vintages,
        "source_file": path.name,
        "notes": notes,
        **attrs,
    }
    return out


def _raw_postcode_release(
    raw: pd.DataFrame, layout: str, path: Path
) -> tuple[Release, dict[str, str], dict[str, object]]:
    columns: dict[str, str | None] = {c: None for c in raw.columns}
    columns.update(_RAW_POSTCODE_LAYOUTS[layout])
    lsoa = next((c for c in ("lsoa21", "lsoa11") if c in raw.columns), None)
    missing = [c for c in ("lat", "long") if c not in raw.columns] + ([] if lsoa else ["lsoa21"])
    if missing:
        raise IngestError(
            f"{SOURCE}: {path.name} looks like a raw {layout} file but has no column(s) "
            f"{missing}; expected pcds, the ward and LA columns, lsoa21 (or lsoa11), lat, long."
        )
    columns.update({lsoa: "lsoa_code", "long": "lon", "lat": "lat"})
    ignored = [c for c, v in columns.items() if v is None]
    return (
        Release(name=layout, columns=columns),
        {"lsoa": _year(lsoa[-2:])},
        {"ignored_columns": ignored},
    )


def _check_code_shape(
    frame: pd.DataFrame, column: str, *, path: Path, header: str, blank_ok: bool
) -> None:
    codes = frame[column].fillna("")
    bad = ~codes.str.fullmatch(_CODE.pattern)
    if blank_ok:
        bad &= codes != ""
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, column {header!r}, line "
            f"{frame.attrs.get('first_line', 2) + position}: found {codes.iloc[position]!r}; "
            "expected a 9-character ONS code such as 'E05015247'."
        )
