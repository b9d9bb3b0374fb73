"""Find the source files in a folder by what is inside them, not by their names.

Councils save downloads under whatever name the browser or a colleague chose
(``2018_data.csv``, ``Census 2021 - Population.csv``), so every file is recognised from its
header row against the readers' own release maps: the same maps that will read it. A file that
matches nothing is listed as unrecognised (never guessed at), so the build can say what it
skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pyogrio

from ingest.sources import (
    bduk,
    census,
    census_topics,
    data_zones,
    dwp_statxplore,
    iod,
    ofcom_fixed,
    ofcom_mobile,
    ofcom_notspots,
    simd,
    venues,
    wimd,
)

#: Roles a file can play in a build.
ROLES = (
    "wards",
    "output_areas",
    "lsoas",
    "lsoa_ward_lookup",
    "data_zone_ward_lookup",
    "oa_lsoa_lookup",
    "ward_la_lookup",
    "ward_constituency_lookup",
    "ofcom_fixed_oa",
    "ofcom_fixed_la",
    "ofcom_fixed_postcode",
    "ofcom_mobile_la",
    "ofcom_mobile_constituency",
    "ofcom_mobile_not_spots",
    "bduk_premises",
    "iod",
    "wimd",
    "simd",
    "census_age",
    *census_topics.ROLES,
    "dwp_pension_credit",
    "dwp_universal_credit",
    "postcodes",
    "venues",
)

_TABLE_RELEASES = (
    ("ofcom_fixed_oa", ofcom_fixed.OA_RELEASES),
    ("ofcom_fixed_la", ofcom_fixed.LA_RELEASES),
    ("ofcom_fixed_postcode", ofcom_fixed.POSTCODE_RELEASES),
    ("ofcom_mobile_la", ofcom_mobile.LA_RELEASES),
    ("ofcom_mobile_constituency", ofcom_mobile.PCON_RELEASES),
    ("bduk_premises", bduk.RELEASES),
    ("iod", iod.RELEASES),
    ("wimd", wimd.RELEASES),
    ("simd", simd.RELEASES),
    ("dwp_pension_credit", dwp_statxplore.PENSION_CREDIT_RELEASES),
    ("dwp_universal_credit", dwp_statxplore.UNIVERSAL_CREDIT_RELEASES),
)
#: Files the tool itself writes beside the sources (the record of ``python -m ingest download``;
#: ``python -m ingest dwp`` writes ``*.provenance.json`` records too).
_NOT_SOURCES = {"download_manifest.json", "permission.json"}
_GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp"}
_CODE_LEVEL = {
    "E05": "wards", "W05": "wards", "S13": "wards", "N08": "wards",
    "E00": "output_areas", "W00": "output_areas",
    "E01": "lsoas", "W01": "lsoas",
}  # fmt: skip


@dataclass
class Inventory:
    """Files found in a folder, by role, and those recognised as nothing.

    Attributes
    ----------
    files : dict of str to list of Path
        Role -> matching files, sorted by path.
    unrecognised : list of Path
        Data files whose headers match no known source.
    """

    files: dict[str, list[Path]] = field(default_factory=dict)
    unrecognised: list[Path] = field(default_factory=list)

    def get(self, role: str) -> list[Path]:
        """Files for ``role`` (empty list when there are none)."""
        return self.files.get(role, [])


def _written_here(path: Path) -> bool:
    """Whether a file is the tool's own record beside the sources (never a source)."""
    return path.name in _NOT_SOURCES or path.name.endswith(dwp_statxplore.PROVENANCE_SUFFIX)


def _first_lines(path: Path, n: int = 12) -> list[list[str]]:
    with path.open("rb") as handle:
        raw = handle.read(64 * 1024)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    return [[cell.strip() for cell in row] for row in rows[:n]]


def _lookup_role(headers: Iterable[str]) -> str | None:
    names = {h.lower() for h in headers}
    has = lambda pattern: any(re.fullmatch(pattern, h) for h in names)  # noqa: E731
    if has(r"lsoa\d\dcd") and has(r"wd\d\dcd"):
        return "lsoa_ward_lookup"
    if "mmward_code" in names and names & {h.lower() for h in data_zones.DATA_ZONE_HEADERS}:
        return "data_zone_ward_lookup"
    if {"postcode", "ward_code", "lsoa_code"} <= names or {"pcds", "osward"} <= names:
        return "postcodes"
    if has(r"oa\d\dcd") and has(r"lsoa\d\dcd"):
        return "oa_lsoa_lookup"
    if has(r"wd\d\dcd") and has(r"pcon\d\dcd"):  # it has LADyyCD too: told apart by PCON
        return "ward_constituency_lookup"
    if has(r"wd\d\dcd") and has(r"(lad|ltla)\d\dcd"):
        return "ward_la_lookup"
    return None


def _venues_role(headers: Iterable[str]) -> str | None:
    """Recognise a list of outreach venues: a name column and a postcode or coordinates."""
    found = {venues.column_of(h) for h in headers} - {None}
    located = "postcode" in found or {"lat", "lon"} <= found
    return "venues" if "name" in found and located else None


def _not_spots_role(headers: list[str]) -> str | None:
    """Recognise a not-spot postcode list: its one header, in any letter case."""
    lowered = [h.lower() for h in headers]
    known = any(release.headers == frozenset(lowered) for release in ofcom_notspots.RELEASES)
    return "ofcom_mobile_not_spots" if known and len(lowered) == len(set(lowered)) else None


def _csv_role(path: Path) -> str | None:
    rows = [r for r in _first_lines(path) if any(r)]
    if not rows:
        return None
    headers = frozenset(rows[0])
    if rows[0][0].startswith("RM121") or rows[0][0] == census.AREA_HEADER:
        return "census_age"
    if headers == census.API_RELEASE.headers:
        return "census_age"
    topic = census_topics.match_topic(rows[0])  # with or without '; measures: Value'
    if topic is not None:
        return topic.role
    for role, releases in _TABLE_RELEASES:
        if any(release.headers == headers for release in releases):
            return role
    return _not_spots_role(rows[0]) or _lookup_role(rows[0]) or _venues_role(rows[0])


def _xlsx_role(path: Path) -> str | None:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            headers = frozenset(str(c).strip() for c in first if c is not None)
            if any(release.headers == headers for release in iod.RELEASES):
                return "iod"
    finally:
        book.close()
    return None


def _geo_role(path: Path) -> str | None:
    try:
        first = pyogrio.read_dataframe(path, max_features=1, read_geometry=False)
    except pyogrio.errors.DataSourceError:
        return None
    for column in first.columns:
        if column.lower() in {"area_code"} or re.fullmatch(r"(?i)(wd|oa|lsoa)\d\dcd", column):
            code = str(first[column].iloc[0]) if len(first) else ""
            return _CODE_LEVEL.get(code[:3])
    return None


def discover(folder: Path) -> Inventory:
    """Classify every data file under ``folder`` (recursively) by its headers.

    Parameters
    ----------
    folder : Path
        Folder of downloaded or hand-copied source files, in any sub-folders.

    Returns
    -------
    Inventory
        Role -> files; files recognised as nothing are listed in ``unrecognised``.

    Examples
    --------
    >>> inventory = discover(Path("../shared/data"))  # doctest: +SKIP
    >>> [p.name for p in inventory.get("ofcom_fixed_la")]  # doctest: +SKIP
    ['2016_data.csv', '2018_data.csv', '2019_data.csv', '202105_fixed_laua_coverage_r01.csv', ...]
    """
    inventory = Inventory()
    for path in sorted(Path(folder).rglob("*")):
        suffix = path.suffix.lower()
        if not path.is_file() or path.name.startswith(".") or _written_here(path):
            continue
        if suffix == ".csv":
            role = _csv_role(path)
        elif suffix == ".xlsx":
            role = _xlsx_role(path)
        elif suffix in _GEO_SUFFIXES:
            role = _geo_role(path)
        else:
            continue
        if role is None:
            inventory.unrecognised.append(path)
        else:
            inventory.files.setdefault(role, []).append(path)
    return inventory
