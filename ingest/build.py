"""Build one local authority's ward store from the source files in a folder.

The folder is inventoried by content (:mod:`ingest.discover`); the build then chooses files
that agree with each other, reads each through its own module, joins small areas to wards with
:mod:`geo.joins`, computes indicators with :mod:`geo.indicators` and writes the store with
:mod:`ingest.store`. Every choice (which ward file, which release, what was skipped and why) is
written into the manifest so the evidence can be traced.

Geography levels, never mixed silently:

- fixed broadband by **ward**, summed from Ofcom output-area premises counts, when an Ofcom
  output-area file covers the place; otherwise the local authority's own Ofcom figures are
  attached to every ward as **local-authority context** (``la_`` columns) and labelled so;
- mobile coverage is published per local authority only: always ``la_`` context;
- residents, age and deprivation by ward from LSOAs through the ONS best-fit lookup, with
  LSOA 2011 figures (IoD 2019) carried to 2021 LSOAs by :func:`geo.joins.area_lineage`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from rich.console import Console

from geo import api_coverage, gigabit, indicators, joins, maps, postcodes
from ingest import store
from ingest._errors import IngestError
from ingest._http import sha256_file
from ingest.discover import Inventory, discover
from ingest.download import is_la_code, resolve_la
from ingest.sources import (
    bduk,
    census,
    census_topics,
    constituencies,
    data_zones,
    dwp_statxplore,
    iod,
    ofcom_api,
    ofcom_fixed,
    ofcom_mobile,
    ofcom_notspots,
    ons_geography,
    simd,
    venues,
    wimd,
)

OGL = "Open Government Licence v3.0"
_OGL_PSI = "Contains public sector information licensed under the " + OGL
_OS = "Contains OS data © Crown copyright and database right"
_OFCOM = "Contains Ofcom data © Ofcom"
_BDUK = f"{_OGL_PSI} (Building Digital UK)"

#: Publisher and attribution of each role (what an evidence pack must credit).
PUBLISHERS: dict[str, tuple[str, str]] = {
    "wards": ("Office for National Statistics, Open Geography Portal", _OS),
    "output_areas": ("Office for National Statistics, Open Geography Portal", _OS),
    "lsoas": ("Office for National Statistics, Open Geography Portal", _OS),
    "lsoa_ward_lookup": ("Office for National Statistics, Open Geography Portal", _OGL_PSI),
    "ofcom_fixed_oa": ("Ofcom, Connected Nations", _OFCOM),
    "ofcom_fixed_la": ("Ofcom, Connected Nations", _OFCOM),
    "ofcom_mobile_la": ("Ofcom, Connected Nations", _OFCOM),
    "ofcom_fixed_postcode": ("Ofcom, Connected Nations", _OFCOM),
    "ofcom_mobile_not_spots": ("Ofcom, mobile not-spot postcodes", _OFCOM),
    "ofcom_mobile_constituency": ("Ofcom, Connected Nations", _OFCOM),
    "bduk_premises": ("Building Digital UK (BDUK), Premises in BDUK plans", _BDUK),
    "ward_constituency_lookup": ("Office for National Statistics, Open Geography Portal", _OGL_PSI),
    "iod": ("Ministry of Housing, Communities and Local Government", _OGL_PSI),
    "wimd": ("Welsh Government", _OGL_PSI),
    "simd": ("Scottish Government", _OGL_PSI),
    "data_zone_ward_lookup": ("Scottish Government, statistics.gov.scot", _OGL_PSI),
    "census_age": ("Office for National Statistics, Census 2021 (Nomis)", _OGL_PSI),
    "dwp_pension_credit": ("Department for Work and Pensions, Stat-Xplore", _OGL_PSI),
    **{
        role: ("Office for National Statistics, Census 2021 (Nomis bulk)", _OGL_PSI)
        for role in census_topics.ROLES
    },
    "postcodes": ("Office for National Statistics, Postcode Directory", _OS),
    "venues": ("the council (outreach venues)", "Supplied by the council"),
}

#: Preference between several boundary files of the same wards: the generalised (BGC) cut
#: draws fast and looks right at ward scale; full resolution (BFC) is heavier; the
#: super-generalised (BSC, 200 m) national file is a last resort.
_RESOLUTION_ORDER = (("generalised", "bgc"), ("full", "bfc"), ("super", "bsc"))


@dataclass
class _Build:
    """What one build has read so far, for the manifest."""

    la_code: str
    console: Console
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    releases: dict[str, str] = field(default_factory=dict)
    _read: dict[tuple[str, Path], Any] = field(default_factory=dict)

    def read(self, reader: Callable[[Path], Any], path: Path) -> Any:
        """Read ``path`` with ``reader`` once per build (several steps read the same files)."""
        key = (reader.__qualname__, path)
        if key not in self._read:
            self._read[key] = reader(path)
        return self._read[key]

    def used(self, role: str, path: Path, frame: pd.DataFrame, rows: int) -> None:
        publisher, attribution = PUBLISHERS[role]
        self.sources.append(
            {
                "role": role,
                "file": path.name,
                "release": _release(frame.attrs),
                "notes": frame.attrs.get("notes", ""),
                "rows_read": len(frame),
                "rows_used": int(rows),
                "sha256": sha256_file(path),
                "publisher": publisher,
                "attribution": attribution,
                "licence": OGL,
            }
        )

    def compare(self, level: str, area: str, shares: dict[str, float], source: str) -> None:
        """Keep an area's shares (local authority, nation, UK) to compare wards against."""
        self.comparisons += [
            {"level": level, "area": area, "measure": measure, "value": value, "source": source}
            for measure, value in shares.items()
        ]

    def compare_nation(self, areas: pd.DataFrame, key: str, path: Path) -> None:
        """Keep the shares of this authority's nation, from the small areas coded ``key``."""
        nation = areas[areas[key].str.startswith(self.la_code[0])]
        self.compare(
            "nation",
            indicators.NATIONS[self.la_code[0]],
            indicators.area_shares(nation),
            f"{path.name} ({areas.attrs['release']})",
        )

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.console.log(text)


def _release(attrs: dict[str, Any]) -> str:
    """Release of a table, or the boundary vintages for ONS geography (ward 2022, LSOA 2021)."""
    if attrs.get("vintages"):
        names = {"ward": "ward", "la": "LA"}
        return ", ".join(
            f"{names.get(level, level.upper())} {year}" for level, year in attrs["vintages"].items()
        )
    if "ward_vintage" in attrs:
        return f"wards {attrs['ward_vintage']}"
    if "level" in attrs:
        return f"{attrs['level'].upper()} {attrs.get('vintage', '')}".strip()
    return attrs.get("release", "")


@contextmanager
def _about(path: Path) -> Iterator[None]:
    """Turn a join's unmatched-area error into an IngestError that names the source file."""
    try:
        yield
    except joins.UnmatchedAreasError as exc:
        raise IngestError(f"build: {path.name}: {exc}; check the boundary vintage") from exc


def _one(inventory: Inventory, role: str, what: str) -> Path:
    files = inventory.get(role)
    if len(files) != 1:
        found = [str(p) for p in files] or "none"
        raise IngestError(f"build: need exactly one {what} file; found {found}")
    return files[0]


def _lookup(inventory: Inventory, b: _Build) -> tuple[pd.DataFrame, Path]:
    """Return the LSOA -> ward best-fit lookup rows of this LA."""
    for path in inventory.get("lsoa_ward_lookup"):
        lookup = ons_geography.read_lookup(path)
        here = lookup[lookup["la_code"] == b.la_code]
        if not here.empty:
            b.used("lsoa_ward_lookup", path, lookup, len(here))
            return here, path
    raise IngestError(
        f"build: no LSOA to ward lookup covering {b.la_code} among "
        f"{[p.name for p in inventory.get('lsoa_ward_lookup')] or 'no lookup files'}; download "
        "ONS 'LSOA (2021) to Electoral Ward to LAD Best Fit Lookup' for this authority."
    )


def _data_zone_lookup(inventory: Inventory, b: _Build) -> tuple[pd.DataFrame, Path]:
    """Return the data zone -> multi-member ward rows of this Scottish council area."""
    for path in inventory.get("data_zone_ward_lookup"):
        lookup = data_zones.read_data_zone_lookup(path)
        here = lookup[lookup["la_code"] == b.la_code]
        if here.empty:
            continue
        if lookup.attrs["data_zone_vintage"] != simd.DATA_ZONE_VINTAGE:
            raise IngestError(
                f"build: {path.name} is a lookup of {lookup.attrs['data_zone_vintage']} data "
                f"zones; SIMD 2020v2 ranks {simd.DATA_ZONE_VINTAGE} data zones. Download the "
                f"Data Zone {simd.DATA_ZONE_VINTAGE} lookup from statistics.gov.scot."
            )
        b.used("data_zone_ward_lookup", path, lookup, len(here))
        return here, path
    raise IngestError(
        f"build: no data zone to ward lookup covering {b.la_code} among "
        f"{[p.name for p in inventory.get('data_zone_ward_lookup')] or 'no lookup files'}; "
        "download the Scottish Government's 'Data Zone Lookup' (DataZone2011lookup_<date>.csv) "
        "from https://statistics.gov.scot/data/data-zone-lookup."
    )


def _people_scotland(
    inventory: Inventory, lookup: pd.DataFrame, lookup_path: Path, b: _Build
) -> pd.DataFrame:
    """Residents and deprivation by ward from SIMD 2020v2 data zones and the data zone lookup.

    Residents are the population SIMD publishes for each data zone. SIMD carries no ages, so
    residents 65+ and 75+ are left out (a note says so), never filled.
    """
    tables = {path: simd.read_simd(path) for path in inventory.get("simd")}
    ranks = [(path, table) for path, table in tables.items() if "simd_rank" in table]
    if len(ranks) != 1:
        found = [path.name for path, _ in ranks] or "none"
        raise IngestError(f"build: need exactly one SIMD 2020v2 ranks file; found {found}.")
    path, table = ranks[0]
    zone_ward = lookup.set_index("data_zone_code")["ward_code"]
    why = f" named by {lookup_path.name}"
    here = _rows_of(table, "data_zone_code", zone_ward.index, path, b, "data zone(s)", why)
    b.used("simd", path, table, len(here))
    common = {"population_total": "residents", "simd_rank": "imd_rank", "simd_decile": "imd_decile"}
    nation = _with_deprived_residents(table.rename(columns=common))
    b.compare(
        "nation",
        "Scotland",
        indicators.area_shares(nation),
        f"{path.name} ({table.attrs['release']})",
    )
    b.note(
        "Scotland: residents are the population SIMD 2020v2 publishes for each data zone "
        "(National Records of Scotland small area estimates used by SIMD 2020); the most "
        "deprived 10% and 20% are Scotland's data zones by SIMD rank. SIMD has no ages, so "
        "residents 65+ and 75+ are not in this build."
    )
    shares = _best_fit(lookup, "data_zone_code", lookup_path, "data zone")
    b.methods["residents and deprivation"] = shares.attrs["method"]
    return _people_by_ward(
        here.rename(columns=common), shares, key="data_zone_code", counts=["residents"]
    ).rename(columns={"n_areas": "data_zones"})


def _rows_of(
    table: pd.DataFrame, key: str, codes: pd.Index, path: Path, b: _Build, what: str, why: str
) -> pd.DataFrame:
    """Rows of ``table`` whose ``key`` is one of ``codes``; every code must have its row."""
    here = table[table[key].isin(codes)]
    missing = sorted(set(codes) - set(here[key]))
    if missing:
        raise IngestError(
            f"build: {path.name} has no row for {len(missing)} {what} of {b.la_code} "
            f"({missing[:5]}){why}."
        )
    return here


def _resolution_rank(path: Path) -> int:
    name = path.name.lower()
    return next(
        (i for i, tokens in enumerate(_RESOLUTION_ORDER) if any(t in name for t in tokens)), 1
    )


def _best_fit(lookup: pd.DataFrame, key: str, path: Path, what: str) -> pd.DataFrame:
    """Turn a best-fit lookup into shares: each small area wholly in one ward."""
    shares = lookup[[key, "ward_code"]].assign(share=1.0)
    shares.attrs = {
        "method": f"each {what} wholly in its best-fit ward ({path.name})",
        "source": path,
    }
    return shares


def _ward_plan(
    inventory: Inventory, lookup: pd.DataFrame, lookup_path: Path, b: _Build
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Choose today's wards and how LSOAs are shared among them.

    The wards are the newest boundaries among the sources that hold every ward the postcode
    directory names for this authority. When they are newer than the LSOA to ward best-fit
    lookup (Trafford was re-warded in May 2023; the lookup is of 2022 wards), each LSOA is
    shared among the new wards by its live postcodes (:func:`geo.joins.point_shares`), or by
    area where an LSOA has no postcode. Otherwise the lookup's wards are used, each LSOA wholly
    in its best-fit ward.

    Returns
    -------
    tuple
        The ward boundaries and the LSOA shares (``lsoa_code``, ``ward_code``, ``share``);
        ``shares.attrs["method"]`` says how they were made, ``attrs["source"]`` the file.
    """
    vintage = lookup.attrs["vintages"]["ward"]
    directory = _directory(inventory, b)
    codes = set() if directory is None else set(directory["ward_code"].dropna())
    if codes:
        held = sorted(
            {
                wards.attrs["ward_vintage"]
                for wards in (b.read(ons_geography.read_wards, p) for p in inventory.get("wards"))
                if codes <= set(wards["ward_code"])
            }
        )
        newer = [v for v in held if int(v) > int(vintage)]
        if newer:
            wards = _wards(inventory, codes, newer[-1], b)
            shares = _postcode_shares(inventory, directory, lookup, wards, b)
            b.note(
                f"wards: built on the {newer[-1]} boundaries (today's wards), newer than the "
                f"LSOA to ward lookup {lookup_path.name} (wards {vintage}); "
                f"{shares.attrs['method']}"
            )
            return wards, shares
        if not held:
            b.note(
                f"wards: the postcode directory names {len(codes)} wards of {b.la_code} that no "
                f"boundary file holds; built on the lookup's {vintage} wards. Add the boundaries "
                "of the directory's wards to build on today's wards."
            )
    wards = _wards(inventory, set(lookup["ward_code"]), vintage, b)
    return wards, _best_fit(lookup, "lsoa_code", lookup_path, "LSOA")


def _directory(inventory: Inventory, b: _Build) -> pd.DataFrame | None:
    """Return the authority's rows of the first postcode directory that has any, or None."""
    for path in inventory.get("postcodes"):
        directory = b.read(ons_geography.read_postcodes, path)
        here = directory[directory["la_code"] == b.la_code]
        if not here.empty:
            return here.assign(source_file=path.name)
    return None


def _postcode_shares(
    inventory: Inventory,
    directory: pd.DataFrame,
    lookup: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    b: _Build,
) -> pd.DataFrame:
    """Share of each LSOA of the authority in each ward, by live postcodes; by area if none."""
    lsoas = set(lookup["lsoa_code"])
    shares = joins.point_shares(directory[directory["lsoa_code"].isin(lsoas)], key="lsoa_code")
    without = sorted(lsoas - set(shares["lsoa_code"]))
    source = directory["source_file"].iloc[0]
    method = (
        f"each LSOA shared among the wards by its live postcodes in {source} "
        f"({int(shares['points'].sum()):,} postcodes; "
        f"{int((shares.groupby('lsoa_code').size() > 1).sum())} of {len(lsoas)} LSOAs span "
        "more than one ward); counts split in whole numbers (largest remainder), so every "
        "LSOA's residents add up exactly"
    )
    if without:
        boundaries = [
            areas
            for areas in (ons_geography.read_areas(p, level="lsoa") for p in inventory.get("lsoas"))
            if areas.attrs.get("vintage") == "2021"
        ]
        if not boundaries:
            raise IngestError(
                f"build: {len(without)} LSOA(s) of {b.la_code} have no live postcode in "
                f"{source} ({without[:5]}), so they cannot be shared among the "
                f"{wards.attrs['ward_vintage']} wards; add LSOA 2021 boundaries to the sources "
                "to share them by area."
            )
        areas = boundaries[0][boundaries[0]["lsoa_code"].isin(without)]
        by_area = joins.overlap_shares(areas, wards, key="lsoa_code")
        shares = pd.concat([shares, by_area], ignore_index=True)
        method += f"; {len(without)} LSOA(s) with no postcode shared by area ({without[:5]})"
    shares.attrs = {"method": method, "source": Path(source)}
    return shares


def _wards(
    inventory: Inventory, codes: set[str], vintage: str | None, b: _Build
) -> gpd.GeoDataFrame:
    """Return the ward boundaries of ``vintage`` (any, when None) holding every ward in ``codes``.

    A lookup that names no ward vintage (Scotland's data zone lookup) is matched by its codes
    alone: the file must hold every one of them.
    """
    rejected = []
    for path in sorted(
        inventory.get("wards"), key=lambda p: (_resolution_rank(p), p.stat().st_size)
    ):
        wards = b.read(ons_geography.read_wards, path)
        if vintage is not None and wards.attrs.get("ward_vintage") != vintage:
            rejected.append(f"{path.name}: wards {wards.attrs.get('ward_vintage')}")
            continue
        here = wards[wards["ward_code"].isin(codes)]
        if set(here["ward_code"]) != codes:
            rejected.append(f"{path.name}: lacks {len(codes - set(here['ward_code']))} ward(s)")
            continue
        here = here.reset_index(drop=True)
        here.attrs = wards.attrs
        b.used("wards", path, here, len(here))
        if rejected:
            b.note(f"ward boundaries: chose {path.name}; passed over {rejected}")
        return here
    raise IngestError(
        f"build: no ward boundary file{f' of {vintage}' if vintage else ''} holds the "
        f"{len(codes)} wards of {b.la_code} "
        f"named by the lookup; candidates: {rejected or 'none'}."
    )


def _oa_wards(
    inventory: Inventory, wards: gpd.GeoDataFrame, b: _Build
) -> tuple[pd.Series, gpd.GeoDataFrame, Path] | None:
    """Ward of each 2021 output area (its representative point), or None without boundaries."""
    for path in inventory.get("output_areas"):
        areas = b.read(_read_oas, path)
        if areas.attrs.get("vintage") == "2021":
            return joins.assign_to_wards(areas, wards, area_code="oa_code"), areas, path
    return None


def _read_oas(path: Path) -> gpd.GeoDataFrame:
    return ons_geography.read_areas(path, level="oa")


def _census_topics(
    inventory: Inventory, shares: pd.DataFrame, wards: gpd.GeoDataFrame, b: _Build
) -> pd.DataFrame | None:
    """Census 2021 risk groups by ward (disability, qualifications, English, ...).

    Each topic's count and its base are summed to wards: from the output-area file where one
    covers the place and 2021 output-area boundaries place each output area in a ward (a finer
    fit than LSOAs), else from the LSOA file shared among wards as the residents are
    (``shares``). A topic with no file is left out, and the build says so.
    """
    lsoas = pd.Index(shares["lsoa_code"].unique())
    placed = None
    parts, missing = [], []
    for topic in census_topics.TOPICS.values():
        tables = [(p, census_topics.read_census_topic(p)) for p in inventory.get(topic.role)]
        if not tables:
            missing.append(f"{topic.table} ({topic.count_label})")
            continue
        columns = [topic.count, topic.base]
        oa = [(p, t) for p, t in tables if t.attrs["level"] == "oa"]
        if oa and placed is None:
            placed = _oa_wards(inventory, wards, b)
        oa = [
            (p, t)
            for p, t in oa
            if placed is not None and t["area_code"].isin(placed[0].index).any()
        ]
        if oa:
            path, table = oa[0]
            oa_ward = placed[0]
            here = _rows_of(table, "area_code", oa_ward.index, path, b, "output area(s)", "")
            with _about(path):
                summed = joins.sum_to_wards(here, oa_ward, key="area_code", columns=columns)
            method = (
                f"{path.name}: output areas placed in wards by their representative point "
                f"({placed[2].name})"
            )
        else:
            lsoa = [(p, t) for p, t in tables if t.attrs["level"] == "lsoa"]
            if not lsoa:
                missing.append(f"{topic.table} (no output-area or LSOA file of this place)")
                continue
            path, table = lsoa[0]
            here = _rows_of(
                table, "area_code", lsoas, path, b, "LSOA(s)",
                "; a 2021 table must use 2021 LSOAs (are these LSOA codes of 2011?)",
            )  # fmt: skip
            with _about(path):
                pieces = joins.split_to_wards(
                    here.rename(columns={"area_code": "lsoa_code"}),
                    shares,
                    key="lsoa_code",
                    counts=columns,
                )
                summed = joins.sum_to_wards(
                    pieces, pieces.set_index("piece")["ward_code"], key="piece", columns=columns
                )
            method = f"{path.name}: LSOAs, {shares.attrs['method']}"
        b.used(topic.role, path, table, len(here))
        b.methods[topic.count] = f"{topic.table}: {method}"
        b.compare_nation(table, "area_code", path)
        parts.append(summed[columns])
    if missing:
        b.note(
            "Census 2021 risk groups not in the sources, so not known by ward: "
            + "; ".join(missing)
            + ". Fetch them with python -m ingest download (Nomis bulk files)."
        )
    if not parts:
        return None
    counts = pd.concat(parts, axis=1)
    return pd.concat([counts, indicators.census_topic_indicators(counts)], axis=1)


def _fixed_by_ward(
    inventory: Inventory, wards: gpd.GeoDataFrame, b: _Build
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Sum Ofcom output-area premises counts to wards, for every release covering the LA.

    Returns the newest release's ward sums (None when no OA file covers the LA: fixed
    broadband is then LA context only) and every covering release's ward sums, one row per
    ward and release (``release`` from the file name), for trends by ward.
    """
    oa_files = [p for p in inventory.get("ofcom_fixed_oa") if "_res_" not in p.name]
    none = (None, pd.DataFrame())
    if not oa_files:
        b.note("no Ofcom output-area file: fixed broadband shown as local-authority context")
        return none
    placed = _oa_wards(inventory, wards, b)
    if placed is None:
        b.note(
            "no 2021 output-area boundaries: Ofcom output-area figures cannot be placed in wards"
        )
        return none
    oa_ward, oas, oa_path = placed
    releases: dict[str, pd.DataFrame] = {}
    for path in sorted(oa_files, key=lambda p: p.name, reverse=True):  # newest first (YYYYMM_)
        fixed = ofcom_fixed.read_fixed_oa(path)
        release = fixed.attrs["release"]
        here = fixed[fixed["oa_code"].isin(oa_ward.index)]
        if here.empty:
            b.note(f"{path.name} has no output area of {b.la_code}; skipped")
            continue
        if release in releases:
            b.note(f"{path.name}: release {release} already read from another file; skipped")
            continue
        missing = sorted(set(oa_ward.index) - set(here["oa_code"]))
        if missing:
            raise IngestError(
                f"build: {path.name} covers only part of {b.la_code}: no row for {len(missing)} "
                f"output area(s) ({missing[:5]}); is it an extract? Use the complete file."
            )
        if not releases:
            b.used("output_areas", oa_path, oas, len(oa_ward))
        b.used("ofcom_fixed_oa", path, fixed, len(here))
        columns = [c for c in here.columns if c.startswith("premises") or c == "matched_premises"]
        with _about(path):
            summed = joins.sum_to_wards(here, oa_ward, key="oa_code", columns=columns)
        b.console.log(f"{release}: {int(here['premises'].sum()):,} premises in {len(here)} OAs")
        releases[release] = summed.rename(columns={"n_areas": "output_areas"}).assign(
            release=release, source_file=path.name
        )
    if not releases:
        b.note(
            "no Ofcom output-area file covers this place: fixed broadband is local-authority "
            "context"
        )
        return none
    newest = next(iter(releases.values())).drop(columns=["release", "source_file"])
    by_release = pd.concat(releases.values()).rename_axis("ward_code").reset_index()
    return newest, by_release.sort_values(["release", "ward_code"], ignore_index=True)


def _fixed_la(inventory: Inventory, b: _Build) -> pd.DataFrame:
    """Every Ofcom LA-level release's row for this LA, oldest first.

    The newest release also gives the nation's and the UK's shares, from summed premises.
    """
    rows, tables = [], []
    for path in inventory.get("ofcom_fixed_la"):
        table = ofcom_fixed.read_fixed_la(path)
        row = table[table["la_code"] == b.la_code]
        if row.empty:
            b.note(f"{path.name} ({table.attrs['release']}) has no row for {b.la_code}")
            continue
        b.used("ofcom_fixed_la", path, table, 1)
        rows.append(
            row.assign(
                release=table.attrs["release"],
                release_basis=table.attrs["release_basis"],
                source_file=path.name,
            )
        )
        tables.append((table.attrs["release"], path.name, table))
    if not rows:
        return pd.DataFrame()
    release, name, newest = max(tables, key=lambda t: t[0])
    nation = newest[newest["la_code"].str.startswith(b.la_code[0])]
    source = f"{name} ({release})"
    b.compare("nation", indicators.NATIONS[b.la_code[0]], indicators.area_shares(nation), source)
    b.compare("United Kingdom", "United Kingdom", indicators.area_shares(newest), source)
    return pd.concat(rows, ignore_index=True).sort_values("release", ignore_index=True)


def _people(
    inventory: Inventory, lookup: pd.DataFrame, shares: pd.DataFrame, b: _Build
) -> pd.DataFrame:
    """Residents, age and deprivation by ward, from LSOA 2021 tables shared among the wards."""
    lsoas = pd.Index(lookup["lsoa_code"])
    census_path = _one(inventory, "census_age", "Census 2021 age (RM121)")
    people = census.read_census_age(census_path)
    here = _rows_of(
        people,
        "lsoa_code",
        lsoas,
        census_path,
        b,
        "LSOA(s)",
        f" named by {lookup.attrs['source_file']}; the lookup and the census must both use "
        "2021 LSOAs",
    )
    b.used("census_age", census_path, people, len(here))
    b.compare_nation(people, "lsoa_code", census_path)

    deprivation, iod_path, other = _deprivation(inventory, b)
    vintage = deprivation.attrs["lsoa_vintage"]
    lineage = pd.Series(here["lsoa_code"].to_numpy(), index=here["lsoa_code"].to_numpy())
    if vintage != census.LSOA_VINTAGE:
        lineage = _lineage(inventory, here["lsoa_code"], set(deprivation["lsoa_code"]), b)
    values = [c for c in _DEPRIVATION_VALUES if c in deprivation]
    merged = here.assign(parent=here["lsoa_code"].map(lineage)).join(
        deprivation.set_index("lsoa_code")[values], on="parent"
    )
    no_rank = merged.loc[merged["imd_rank"].isna(), "lsoa_code"].tolist()
    if no_rank:
        raise IngestError(
            f"build: {iod_path.name} has no rank for {len(no_rank)} LSOA(s) of {b.la_code} "
            f"({no_rank[:5]}), even after tracing 2021 LSOAs to {vintage} ones."
        )
    role = "iod" if b.la_code.startswith("E") else "wimd"
    b.used(role, iod_path, deprivation, merged["parent"].nunique())
    b.methods["residents, ages and deprivation"] = shares.attrs["method"]
    merged, moves = _decile_moves(merged, deprivation, other, b)
    merged, pension = _pension_credit(inventory, merged, b)
    if pension:
        b.methods["pension_credit_claimants"] = shares.attrs["method"]
    return _people_by_ward(
        merged,
        shares,
        key="lsoa_code",
        counts=["residents", "residents_65_plus", "residents_75_plus", *moves, *pension],
    ).rename(columns={"n_areas": "lsoas"})


def _pension_credit(
    inventory: Inventory, lsoas: pd.DataFrame, b: _Build
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Add DWP Pension Credit claimants and residents aged 66+ (its base) to the LSOA rows.

    The newest month among the DWP files that cover every LSOA of the authority is used.
    Residents aged 66+ are the Census's 65+ less those aged 65: State Pension age, from which
    Pension Credit is claimed, has been 66 since October 2020. Returns the rows and the names
    of the two counts (none without a DWP file, which the build notes).
    """
    tables = [
        (p, dwp_statxplore.read_pension_credit(p)) for p in inventory.get("dwp_pension_credit")
    ]
    codes = set(lsoas["lsoa_code"])
    here = [(p, t) for p, t in tables if codes & set(t["lsoa_code"])]
    if not here:
        b.note(
            "no DWP Pension Credit file of this place (python -m ingest dwp, with a free "
            "Stat-Xplore key): Pension Credit is not known by ward"
        )
        return lsoas, ()
    whole = [(p, t) for p, t in here if codes <= set(t["lsoa_code"])]
    if not whole:
        path, table = here[0]
        missing = sorted(codes - set(table["lsoa_code"]))
        raise IngestError(
            f"build: {path.name} has no Pension Credit row for {len(missing)} LSOA(s) of "
            f"{b.la_code} ({missing[:5]}); fetch the authority's LSOAs again with "
            "python -m ingest dwp."
        )
    path, table = max(whole, key=lambda item: item[1].attrs["month"])
    passed = [p.name for p, _ in whole if p != path]
    b.note(
        f"Pension Credit: chose {path.name} ({table.attrs['release']}), the newest"
        + (f"; passed over {passed}" if passed else "")
    )
    b.used("dwp_pension_credit", path, table, len(codes))
    claimants = table.set_index("lsoa_code")["pension_credit_claimants"]
    rows = lsoas.assign(
        pension_credit_claimants=lsoas["lsoa_code"].map(claimants).astype("int64"),
        residents_66_plus=lsoas["residents_65_plus"] - lsoas["residents_65"],
    )
    return rows, ("pension_credit_claimants", "residents_66_plus")


#: Residents of LSOAs unchanged since 2011 whose IMD decile moved between IoD 2019 and 2025.
DECILE_MOVES = (
    "residents_decile_compared",
    "residents_decile_more_deprived",
    "residents_decile_less_deprived",
)


def _decile_moves(
    merged: pd.DataFrame, deprivation: pd.DataFrame, other: pd.DataFrame | None, b: _Build
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Residents of LSOAs whose IMD decile moved between IoD 2019 and IoD 2025.

    Only LSOAs whose code is in both editions are compared: ONS kept a code only where the
    LSOA was unchanged between 2011 and 2021. A decile is the LSOA's place among England's
    LSOAs; the indicators changed between editions, so a move is a change of relative place,
    not a measured change in deprivation. Returns the table with the three counts of
    :data:`DECILE_MOVES` (when both editions are among the sources) and their names.
    """
    if other is None:
        return merged, ()
    editions = {
        deprivation.attrs["release"].split()[0]: deprivation,
        other.attrs["release"].split()[0]: other,
    }
    if set(editions) != {"IoD2019", "IoD2025"}:
        return merged, ()
    before = merged["lsoa_code"].map(editions["IoD2019"].set_index("lsoa_code")["imd_decile"])
    after = merged["lsoa_code"].map(editions["IoD2025"].set_index("lsoa_code")["imd_decile"])
    compared = before.notna() & after.notna()
    residents = merged["residents"]
    merged = merged.assign(
        residents_decile_compared=residents.where(compared, 0),
        residents_decile_more_deprived=residents.where(compared & (after < before), 0),
        residents_decile_less_deprived=residents.where(compared & (after > before), 0),
    )
    b.note(
        f"IMD decile moves, IoD 2019 to IoD 2025: {int(compared.sum())} of {len(merged)} LSOAs "
        "unchanged since 2011 compared; "
        f"{int((compared & (after < before)).sum())} moved to a more deprived decile, "
        f"{int((compared & (after > before)).sum())} to a less deprived one. The indicators "
        "changed between editions: a move is a change of place among England's LSOAs, not a "
        "measured change in deprivation."
    )
    return merged, DECILE_MOVES


def _average_name(column: str) -> str:
    """Name of a ward's population-weighted average of an LSOA rank or score column."""
    return column.replace("_rank", "_average_rank").replace("_score", "_average_score")


#: LSOA deprivation values averaged to wards by residents, when the index publishes them.
_DEPRIVATION_VALUES = ("imd_rank", "imd_decile", "income_rank", "health_rank", "imd_score")


def _with_deprived_residents(areas: pd.DataFrame) -> pd.DataFrame:
    """Add the residents of small areas in the nation's most deprived 10% and 20% (people)."""
    return areas.assign(
        residents_most_deprived_decile=areas["residents"].where(areas["imd_decile"] == 1, 0),
        residents_most_deprived_quintile=areas["residents"].where(areas["imd_decile"] <= 2, 0),
    )


def _people_by_ward(
    areas: pd.DataFrame, shares: pd.DataFrame, *, key: str, counts: list[str]
) -> pd.DataFrame:
    """Share small-area residents among wards and average the deprivation by population.

    ``areas`` holds one row per small area (LSOA or data zone) with ``counts``, the nation's
    ``imd_decile`` (1 = most deprived 10% of the nation's small areas) and ``imd_rank``,
    ``income_rank``, ``health_rank`` (and ``imd_score`` where published); ``shares`` gives
    each area's share of each ward (:func:`_ward_plan`). Counts are split in whole numbers,
    so the wards' residents add up to the areas' exactly; averages weigh each piece of an area
    by its residents.
    """
    with _about(shares.attrs["source"]):
        pieces = _with_deprived_residents(
            joins.split_to_wards(areas, shares, key=key, counts=counts)
        )
    piece_ward = pieces.set_index("piece")["ward_code"]
    summed = joins.sum_to_wards(
        pieces,
        piece_ward,
        key="piece",
        columns=[*counts, "residents_most_deprived_decile", "residents_most_deprived_quintile"],
    )
    values = [c for c in ("imd_rank", "income_rank", "health_rank", "imd_score") if c in pieces]
    averages = joins.population_weighted_to_wards(
        pieces, piece_ward, key="piece", weight="residents", values=values
    ).rename(columns=_average_name)
    return pd.concat([summed, indicators.population_indicators(summed), averages], axis=1)


def _deprivation(inventory: Inventory, b: _Build) -> tuple[pd.DataFrame, Path, pd.DataFrame | None]:
    """Return the nation's index of multiple deprivation by LSOA, on common column names.

    ``imd_rank``/``imd_decile`` are the nation's own index (IoD for England, WIMD for Wales;
    1 = most deprived in that nation); ``income_rank``/``health_rank`` its domains. WIMD
    publishes domain scores only: the ranks are derived here (highest score = rank 1).
    """
    if b.la_code.startswith("E"):
        return _newest_iod(inventory, b)
    path = _one(inventory, "wimd", "Welsh Index of Multiple Deprivation")
    table = wimd.read_wimd(path)
    ranks = {
        f"{domain}_rank": table[f"{domain}_score"].rank(ascending=False, method="min")
        for domain in ("income", "health")
    }
    out = table.assign(imd_rank=table["wimd_rank"], imd_decile=table["wimd_decile"], **ranks)
    out.attrs = {**table.attrs, "notes": table.attrs["notes"] + " Income and health ranks "
                 "derived from the domain scores (highest score = rank 1)."}  # fmt: skip
    return out, path, None


def _newest_iod(inventory: Inventory, b: _Build) -> tuple[pd.DataFrame, Path, pd.DataFrame | None]:
    """Return the newest English IoD edition with IMD, income and health ranks (File 2 or 7).

    IoD 2025 wins over IoD 2019 unless the build was asked for an edition
    (``--release iod=2019``); within an edition File 7, which adds the scores, wins over File 2.
    The choice and what was passed over are noted, and the IMD deciles of LSOAs unchanged
    since 2011 are kept from the other edition for the decile moves (:func:`_decile_moves`).
    """
    needed = {"imd_rank", "imd_decile", "income_rank", "health_rank"}
    found = [(path, iod.read_iod(path)) for path in inventory.get("iod")]
    usable = [(path, table) for path, table in found if needed <= set(table.columns)]
    if not usable:
        names = [p.name for p, _ in found] or "no IoD files"
        raise IngestError(
            "build: no English IoD file with IMD, income and health ranks (File 2 or File 7) "
            f"among {names}."
        )
    edition = lambda item: item[1].attrs["release"].split()[0]  # noqa: E731  "IoD2025"
    asked = b.releases.get("iod")
    if asked is not None:
        chosen = [item for item in usable if edition(item) == f"IoD{asked}"]
        if not chosen:
            names = [f"{p.name} ({t.attrs['release']})" for p, t in usable]
            raise IngestError(
                f"build: --release iod={asked} was asked for, but the IoD files with ranks are "
                f"{names}."
            )
    else:
        chosen = usable
    path, table = max(chosen, key=lambda item: (edition(item), "imd_score" in item[1]))
    passed = [f"{p.name} ({t.attrs['release']})" for p, t in usable if p != path]
    why = f"asked for with --release iod={asked}" if asked else "the newest"
    b.note(
        f"deprivation: chose {path.name} ({table.attrs['release']}), {why}"
        + (f"; passed over {passed}" if passed else "")
    )
    others = [t for p, t in usable if edition((p, t)) != edition((path, table))]
    return table, path, max(others, key=lambda t: t.attrs["release"], default=None)


def _lineage(inventory: Inventory, codes: pd.Series, old_codes: set[str], b: _Build) -> pd.Series:
    """2021 LSOA -> the LSOA of the deprivation index's vintage, with a report of changes."""
    if set(codes) <= old_codes:
        return pd.Series(codes.to_numpy(), index=codes.to_numpy())
    boundaries = {}
    for path in inventory.get("lsoas"):
        areas = ons_geography.read_areas(path, level="lsoa")
        boundaries[areas.attrs["vintage"]] = (areas, path)
    if not {"2011", "2021"} <= set(boundaries):
        changed = sorted(set(codes) - old_codes)
        raise IngestError(
            f"build: {len(changed)} LSOA(s) of {b.la_code} are new in 2021 ({changed[:5]}) and "
            "the deprivation index uses 2011 LSOAs; add LSOA 2011 and 2021 boundaries to the "
            "sources so the new LSOAs can be traced to the ones they were drawn from."
        )
    new, new_path = boundaries["2021"]
    old, old_path = boundaries["2011"]
    lineage = joins.area_lineage(new[new["lsoa_code"].isin(codes)], old)
    b.used("lsoas", new_path, new, len(lineage))
    b.used("lsoas", old_path, old, lineage["old_code"].nunique())
    inherited = lineage[lineage["change"] == "inherited"]
    b.note(
        f"LSOA 2011 -> 2021: {int((lineage['change'] == 'unchanged').sum())} unchanged; "
        + ", ".join(f"{new} takes {old}" for new, old in inherited["old_code"].items())
    )
    return lineage["old_code"]


def _postcodes(inventory: Inventory, wards: gpd.GeoDataFrame, b: _Build) -> pd.DataFrame:
    """Return the authority's postcodes with centroid and ward, for postcode search and venues.

    The directory's own ward is kept where it names a ward of this build's vintage; otherwise
    the centroid is placed in the ward polygons (:func:`geo.postcodes.postcodes_to_wards`).
    """
    for path in inventory.get("postcodes"):
        directory = b.read(ons_geography.read_postcodes, path)
        here = directory[directory["la_code"] == b.la_code].reset_index(drop=True)
        if here.empty:
            b.note(f"{path.name} has no postcode of {b.la_code}; skipped")
            continue
        placed = postcodes.postcodes_to_wards(here, wards, unmatched="report")
        b.used("postcodes", path, directory, len(here))
        b.note(f"{len(here):,} postcodes of {path.name} placed in wards: {placed.attrs['methods']}")
        return here[["postcode", "lon", "lat"]].assign(
            ward_code=placed["ward_code"],
            ward_method=placed["method"],
            directory_ward_code=here["ward_code"],
        )
    b.note("no postcode directory: postcode search and venue postcodes are unavailable")
    return pd.DataFrame(columns=[*_POSTCODE_COLUMNS])


#: Columns of the store's ``postcodes`` table: the directory's own ward code is kept beside the
#: build's, because constituency lookups are of the directory's (current) wards.
_POSTCODE_COLUMNS = ("postcode", "lon", "lat", "ward_code", "ward_method", "directory_ward_code")


def _venues(inventory: Inventory, postcode_table: pd.DataFrame, b: _Build) -> pd.DataFrame:
    """Return the council's outreach venues found in the folder, located by postcode or lat/lon.

    Rows that cannot be located are left out with a note naming them (row and reason).
    """
    found = []
    for path in inventory.get("venues"):
        table = venues.read_venues(path.read_bytes(), name=path.name, postcodes=postcode_table)
        rejected = table.attrs["rejected"]
        if not rejected.empty:
            b.note(
                f"{path.name}: {len(rejected)} venue(s) not located: "
                + "; ".join(f"row {r.row} {r.name!r}: {r.reason}" for r in rejected.itertuples())
            )
        b.used("venues", path, table, len(table))
        table.attrs = {}  # its "rejected" frame would stop pd.concat comparing attrs
        found.append(table.reset_index(drop=True).assign(source_file=path.name))
    if not found:
        return pd.DataFrame(columns=[*venues.VENUE_COLUMNS, "source_file"])
    return pd.concat(found, ignore_index=True)


@dataclass(frozen=True)
class _Premises:
    """What the premises-level open sources (BDUK, Ofcom not-spot lists) give one build.

    Attributes
    ----------
    ward_columns : pandas.DataFrame
        Indexed by ward code: premises counts by plan status and their shares, not-spot
        postcodes and the premises in them, double not-spot bounds, best-fit constituency.
    tables : dict of str to pandas.DataFrame
        ``constituency_plans``, ``bduk_contracts`` and, with two releases, ``bduk_changes``.
    summary : dict
        The manifest's ``bduk`` entry (file, release month, rows, placed, not placed).
    """

    ward_columns: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]


def _month_order(found: list[tuple[str | None, Path, pd.DataFrame]], what: str, b: _Build) -> None:
    """Sort releases newest first; refuse releases that cannot be told apart."""
    months = [month for month, _, _ in found]
    if len(found) > 1 and None in months:
        undated = [path.name for month, path, _ in found if month is None]
        raise IngestError(
            f"build: {len(found)} {what} files cover {b.la_code} and {undated} name no month, so "
            "the newest cannot be told; rename each file with its release month, e.g. "
            "'..._2025-07.csv'."
        )
    repeated = sorted({m for m in months if m is not None and months.count(m) > 1})
    if repeated:
        raise IngestError(
            f"build: two {what} files of {b.la_code} are both of {repeated}: "
            f"{[p.name for m, p, _ in found if m in repeated]}; keep one of each release, or its "
            "premises would be counted twice."
        )
    found.sort(key=lambda item: item[0] or "", reverse=True)
    if len(found) > 1:
        b.note(
            f"{what}: chose {found[0][1].name} ({found[0][0]}), the newest; passed over "
            + ", ".join(f"{path.name} ({month})" for month, path, _ in found[1:])
        )


def _bduk_releases(inventory: Inventory, b: _Build) -> list[tuple[str | None, Path, pd.DataFrame]]:
    """Every BDUK premises file of this authority, newest release first."""
    found = []
    for path in inventory.get("bduk_premises"):
        table = bduk.read_bduk_premises(path)
        try:
            here = bduk.check_one_authority(table, b.la_code, path)
        except IngestError as exc:
            b.note(f"{exc} Skipped.")
            continue
        if len(here) < len(table):
            b.note(
                f"{path.name}: {len(table) - len(here):,} of its {len(table):,} premises are of "
                "other authorities and are not counted here"
            )
        found.append((table.attrs["release_month"], path, here))
    _month_order(found, "BDUK premises", b)
    return found


def _not_spot_list(inventory: Inventory, b: _Build) -> pd.DataFrame | None:
    """Return the newest Ofcom mobile not-spot postcode list among the sources, or None."""
    found = []
    for path in inventory.get("ofcom_mobile_not_spots"):
        table = ofcom_notspots.read_not_spot_postcodes(path)
        found.append((table.attrs["release_month"], path, table))
    if not found:
        return None
    _month_order(found, "Ofcom mobile not-spot list", b)
    return found[0][2].assign(_path=str(found[0][1]))


def _postcode_below_uso(inventory: Inventory, codes: pd.Index, b: _Build) -> pd.Series | None:
    """Ofcom's % of premises below the USO speed by postcode, newest all-premises release."""
    tables = {p: ofcom_fixed.read_fixed_postcode(p) for p in inventory.get("ofcom_fixed_postcode")}
    tables = {p: t for p, t in tables.items() if t.attrs["premises_scope"] == "all"}
    if not tables:
        return None
    newest = max(t.attrs["release"] for t in tables.values())
    chosen = {p: t for p, t in tables.items() if t.attrs["release"] == newest}
    reissue = {}
    for path, table in chosen.items():
        key = table.attrs.get("area") or path.name
        if key not in reissue or table.attrs["revision"] > chosen[reissue[key]].attrs["revision"]:
            reissue[key] = path
    passed = sorted(p.name for p in chosen if p not in reissue.values())
    if passed:
        b.note(f"Ofcom postcode files: chose the newest reissue of each area; passed over {passed}")
    chosen = {p: chosen[p] for p in reissue.values()}
    rows = pd.concat(chosen.values(), ignore_index=True)
    here = rows[rows["postcode_space"].isin(codes)]
    if here.empty:
        return None
    if here["postcode_space"].duplicated().any():
        raise IngestError(
            f"build: Ofcom postcode files {[p.name for p in chosen]} repeat postcodes of "
            f"{b.la_code}; keep one file per postcode area."
        )
    for path, table in chosen.items():
        used = int(table["postcode_space"].isin(codes).sum())
        if used:
            b.used("ofcom_fixed_postcode", path, table, used)
    return here.set_index("postcode_space")["pct_premises_below_uso"]


def _constituency_of_postcodes(
    inventory: Inventory, postcode_table: pd.DataFrame, b: _Build
) -> tuple[pd.Series, pd.DataFrame] | None:
    """Constituency of each postcode through its directory ward, and the lookup rows used."""
    for path in inventory.get("ward_constituency_lookup"):
        try:
            lookup = constituencies.read_ward_constituencies(
                path, la_code=b.la_code, keep_split=True
            )
        except IngestError as exc:
            b.note(f"{path.name}: {exc} Skipped.")
            continue
        split = lookup.attrs["split_wards"]
        whole = lookup[~lookup["ward_code"].isin(split)].set_index("ward_code")
        directory = postcode_table.set_index("postcode")["directory_ward_code"]
        if not directory.isin(lookup["ward_code"]).any():
            b.note(
                f"{path.name} (wards {lookup.attrs['vintages'].get('ward')}) names none of the "
                "postcode directory's wards; constituencies left out"
            )
            continue
        b.used("ward_constituency_lookup", path, lookup, len(lookup))
        if split:
            b.note(
                f"{path.name}: ward(s) {sorted(split)} are split between constituencies; their "
                "premises are in no constituency total (counted as 'in no area')"
            )
        return directory.map(whole["constituency_code"]), lookup
    return None


def _constituency_plans(
    premises: pd.DataFrame,
    postcode_table: pd.DataFrame,
    inventory: Inventory,
    b: _Build,
) -> tuple[pd.DataFrame, pd.Series]:
    """Premises by plan status per constituency, Ofcom's constituency mobile figure beside."""
    found = _constituency_of_postcodes(inventory, postcode_table, b)
    if found is None:
        b.note("no ward to constituency lookup for the directory's wards: no constituency table")
        return pd.DataFrame(), pd.Series(dtype="string")
    postcode_pcon, lookup = found
    names = lookup.drop_duplicates("constituency_code").set_index("constituency_code")
    placed = gigabit.plans_by_area(
        premises, postcode_pcon.rename("constituency_code"), areas=pd.Index(names.index)
    )
    table = pd.concat([placed.counts, indicators.plan_indicators(placed.counts)], axis=1)
    table.insert(0, "constituency_name", names["constituency_name"])
    for path in inventory.get("ofcom_mobile_constituency"):
        mobile = ofcom_mobile.read_mobile_constituency(path).set_index("constituency_code")
        here = mobile.reindex(table.index)["pct_premises_4g_indoor_0_operators"]
        if here.notna().any():
            b.used("ofcom_mobile_constituency", path, mobile, int(here.notna().sum()))
            table["pct_premises_no_4g_indoor"] = here
            break
    b.note(
        f"constituencies: {len(table)}; {int(placed.not_placed.sum()):,} premises in none "
        f"({placed.not_placed[placed.not_placed > 0].to_dict()})"
    )
    by_ward = postcode_table.assign(constituency_code=postcode_pcon.to_numpy()).dropna(
        subset=["ward_code", "constituency_code"]
    )
    main = by_ward.groupby("ward_code")["constituency_code"].agg(
        lambda c: c.value_counts().index[0]
    )
    return table.rename_axis("constituency_code").reset_index(), main


def _premises_level(
    inventory: Inventory, postcode_table: pd.DataFrame, wards: gpd.GeoDataFrame, b: _Build
) -> _Premises | None:
    """Ward figures from BDUK premises and Ofcom not-spot postcodes, placed by postcode.

    Premises reach wards through the postcode directory's postcodes placed in this build's
    wards; every BDUK row is counted in a ward or as not placed with its reason. None when
    the sources hold neither a BDUK file nor a not-spot list for the place.
    """
    releases = _bduk_releases(inventory, b)
    listed = _not_spot_list(inventory, b)
    if not releases and listed is None:
        b.note("no BDUK premises file and no Ofcom not-spot list: no premises-level figures")
        return None
    if postcode_table.empty:
        raise IngestError(
            "build: BDUK premises and not-spot postcodes are placed in wards through the ONS "
            "postcode directory, and the sources hold none for this place; add it."
        )
    postcode_ward = postcode_table.set_index("postcode")["ward_code"].rename("ward_code")
    ward_codes = pd.Index(wards["ward_code"])
    columns: list[pd.DataFrame] = []
    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {}
    per_postcode = None
    if releases:
        month, path, premises = releases[0]
        placed = gigabit.plans_by_area(premises, postcode_ward, areas=ward_codes)
        b.used("bduk_premises", path, premises, placed.rows - int(placed.not_placed.sum()))
        counted = placed.counts[["bduk_premises", "bduk_premises_not_recognised"]]
        summary = {
            "file": path.name,
            "release_month": month,
            "rows": placed.rows,
            "placed": int(counted.to_numpy().sum()),
            "not_placed": placed.not_placed.to_dict(),
        }
        b.note(
            f"BDUK {path.name} ({month or 'month not named'}): {placed.rows:,} premises, "
            f"{summary['placed']:,} placed in wards by postcode, not placed: "
            f"{placed.not_placed[placed.not_placed > 0].to_dict() or 'none'}"
        )
        columns.append(placed.counts)
        tables["bduk_contracts"] = gigabit.contracts_by_area(premises, postcode_ward).rename(
            columns={"area_code": "ward_code"}
        )
        if len(releases) > 1:
            before_month, _, before = releases[1]
            changes = gigabit.plan_changes(before, premises, postcode_ward, areas=ward_codes)
            tables["bduk_changes"] = (
                changes.rename_axis("ward_code")
                .reset_index()
                .assign(release_before=before_month, release_now=month)
            )
        pcon, main = _constituency_plans(premises, postcode_table, inventory, b)
        tables["constituency_plans"] = pcon
        if not pcon.empty:
            names = pcon.set_index("constituency_code")["constituency_name"]
            columns.append(
                pd.DataFrame({"constituency_code": main, "constituency_name": main.map(names)})
            )
        recognised = premises[premises["recognised"].to_numpy(bool)]
        per_postcode = recognised["postcode"].value_counts()
    if listed is not None:
        path = Path(listed["_path"].iloc[0])
        spots = gigabit.not_spot_premises(
            listed["postcode"],
            postcode_ward,
            premises_per_postcode=per_postcode,
            pct_below_uso=_postcode_below_uso(inventory, pd.Index(postcode_ward.index), b),
            areas=ward_codes,
        )
        b.used("ofcom_mobile_not_spots", path, listed, len(listed) - spots.attrs["not_placed"])
        b.note(
            f"{path.name}: {len(listed):,} not-spot postcodes, {spots.attrs['not_placed']:,} of "
            f"them not in this place's directory. Double not-spots: {spots.attrs['method']}"
        )
        columns.append(spots)
    frame = pd.concat(columns, axis=1)
    if "bduk_premises" in frame:
        frame = pd.concat([frame, indicators.plan_indicators(frame)], axis=1)
    return _Premises(frame, tables, summary)


#: Ward columns of the fixed broadband indicators filled from Ofcom's API when the sources hold
#: no output-area file (Ofcom's open file comes first: it counts every premises).
_FIXED_FROM_API = {
    "pct_premises_below_uso": "below_uso_api",
    "pct_premises_without_superfast": "without_superfast_api",
    "pct_premises_without_gigabit": "without_gigabit_api",
}


def _api_premises(
    postcode_table: pd.DataFrame, table: pd.DataFrame, folder: Path, *, fixed_known: bool, b: _Build
) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """Ward figures from the place's Ofcom API cache (a permitted bulk fetch), or None.

    Returns the ward columns (:func:`geo.api_coverage.ward_figures`, plus the fixed broadband
    shares when ``fixed_known`` is False) and the manifest's ``ofcom_api`` entry.
    """
    if postcode_table.empty:
        return None
    codes = postcode_table["postcode"].map(ofcom_api.api_postcode)
    answers = ofcom_api.read_place(folder, codes.tolist())
    if answers is None:
        b.note(
            "no Ofcom API answers for this place: mobile coverage below the authority needs a "
            "permitted bulk fetch (python -m ingest ofcom-api; see README)"
        )
        return None
    premises = answers.premises.reindex(
        columns=["postcode", "uprn", *ofcom_api.MOBILE_FIELDS.values(),
                 *ofcom_api.BROADBAND_FIELDS.values()]
    )  # fmt: skip
    settled = answers.status[answers.status["status"] != ofcom_api.FAILED]
    checked = {
        ("fixed" if endpoint == "broadband" else endpoint): pd.Index(rows["postcode"])
        for endpoint, rows in settled.groupby("endpoint")
    }
    postcode_ward = pd.Series(postcode_table["ward_code"].to_numpy(), index=codes.to_numpy())
    areas = pd.Index(table.index)
    figures = api_coverage.ward_figures(
        api_coverage.postcode_counts(premises), postcode_ward, checked, areas=areas
    )
    wards = figures.wards
    known_premises = table["premises"] if fixed_known else api_coverage.estimated_premises(wards)
    wards = api_coverage.with_residents(
        wards, table["residents"] / known_premises.where(known_premises > 0)
    )
    summary = {
        **answers.summary,
        "premises_read": len(premises),
        "premises_in_wards": {
            name: int(wards[column].sum()) for name, column in api_coverage.CHECKED.items()
        },
        "premises_not_placed": {
            name: int(figures.outside[column]) for name, column in api_coverage.CHECKED.items()
        },
    }
    if not fixed_known and "fixed" in checked:
        complete = wards["postcodes_checked_fixed"] >= wards["postcodes_live"]
        for share, key in _FIXED_FROM_API.items():
            wards[share] = wards[f"pct_premises_{key}"]
        wards["premises_below_uso"] = wards["premises_below_uso_api_checked"].where(complete)
        wards["premises"] = wards[api_coverage.CHECKED["fixed"]].where(complete)
    done = summary["by_endpoint"]
    b.sources.append(
        {
            "role": "ofcom_api",
            "file": f"Ofcom API cache ({folder.name})",
            "release": ", ".join(summary["db_names"]) or "DBName not given",
            "notes": f"fetched {summary['fetched_from']} to {summary['fetched_to']}",
            "rows_read": len(premises),
            "rows_used": int(wards[api_coverage.CHECKED["mobile"]].sum()),
            "sha256": summary["sha256"],
            "publisher": "Ofcom, Connected Nations API",
            "attribution": ofcom_api.ATTRIBUTION,
            "licence": f"Ofcom API terms of use; permission {summary['permission']}",
        }
    )
    b.note(
        f"Ofcom API ({summary['permission']}; {', '.join(summary['db_names']) or 'no DBName'}; "
        f"fetched {summary['fetched_from']} to {summary['fetched_to']}): "
        + "; ".join(
            f"{e} {c['found']:,} found, {c['not found']:,} not found, {c['failed']:,} failed of "
            f"{len(codes):,} postcodes"
            for e, c in done.items()
        )
        + f". Premises placed in wards: {summary['premises_in_wards']}, not placed: "
        f"{summary['premises_not_placed']}; listed under two postcodes (counted once): "
        f"{summary['premises_in_two_postcodes']}"
    )
    return wards, summary


def _api_folder(la_code: str, folder: Path, api_cache: Path | None) -> Path:
    """Return the place's Ofcom API cache: given, among the sources, or in the download cache."""
    if api_cache is not None:
        return ofcom_api.place_cache(la_code, api_cache)
    beside = ofcom_api.place_cache(la_code, Path(folder) / "ofcom_api")
    return beside if beside.is_dir() else ofcom_api.place_cache(la_code)


def _mobile(inventory: Inventory, b: _Build) -> dict[str, float]:
    """Return the LA's Ofcom mobile figures used as context (no 4G from any operator)."""
    for path in inventory.get("ofcom_mobile_la"):
        table = ofcom_mobile.read_mobile_la(path)
        row = table[table["la_code"] == b.la_code]
        if not row.empty:
            b.used("ofcom_mobile_la", path, table, 1)
            return {
                "la_pct_premises_no_4g_indoor": float(
                    row["pct_premises_4g_indoor_0_operators"].iloc[0]
                ),
                "la_pct_landmass_no_4g_outdoor": float(
                    row["pct_landmass_4g_outdoor_0_operators"].iloc[0]
                ),
            }
    b.note(f"no Ofcom mobile file has a row for {b.la_code}: mobile indicators left out")
    return {}


def resolve_la_in_folder(query: str, folder: Path) -> str:
    """Return the ONS code of the local authority ``query`` names, from the folder's lookups.

    Parameters
    ----------
    query : str
        A code (``"E08000009"``, returned as it is, upper-cased) or a name (``"trafford"``),
        matched as :func:`ingest.download.resolve_la` does against the LSOA -> ward and
        ward -> LAD lookups in ``folder``.
    folder : Path
        Folder of source files.

    Returns
    -------
    str
        Local authority district code.

    Raises
    ------
    IngestError
        No lookup in the folder, or the name is unknown or ambiguous there.
    """
    text = query.strip()
    if is_la_code(text):
        return text.upper()
    inventory = discover(folder)
    paths = inventory.get("ward_la_lookup") + inventory.get("lsoa_ward_lookup")
    tables = [ons_geography.read_lookup(path) for path in paths]
    names = [t[["la_code", "la_name"]] for t in tables if {"la_code", "la_name"} <= set(t)]
    if not names:
        raise IngestError(
            f"build: {query!r} is not an ONS code and {folder} holds no lookup with local "
            "authority names to find it by; give the code (e.g. E08000009)."
        )
    return resolve_la(text, pd.concat(names, ignore_index=True))[0]


def build_place(
    la_code: str,
    folder: Path,
    *,
    store_dir: Path,
    synthetic: bool = False,
    verbose: bool = True,
    api_cache: Path | None = None,
    releases: dict[str, str] | None = None,
) -> Path:
    """Build and write the ward store of one local authority from the files in ``folder``.

    Parameters
    ----------
    la_code : str
        ONS local authority district code, e.g. ``"E08000009"`` (Trafford).
    folder : Path
        Folder of source files (searched recursively; see :func:`ingest.discover.discover`).
    store_dir : Path
        Store root.
    synthetic : bool, default False
        Marks the place as synthetic demo data in the manifest (shown by the app and exports).
    verbose : bool, default True
        Print progress.
    api_cache : Path, optional
        Folder of Ofcom API caches, one per authority: the place's answers are used when a
        permitted bulk fetch left some there. Default: ``ofcom_api`` among the sources if it
        holds this place, else ``<cache>/ofcom_api`` (where ``python -m ingest ofcom-api``
        writes).
    releases : dict of str to str, optional
        Source group -> release to use instead of the newest, e.g. ``{"iod": "2019"}``.

    Returns
    -------
    Path
        The written place folder.
    """
    if la_code.startswith("N"):
        raise IngestError(
            f"build: {la_code} is a Northern Ireland district. Its deprivation measure (NIMDM "
            "2017, by super output area) and the super output area to ward lookup are not read "
            "yet."
        )
    b = _Build(la_code, Console(quiet=not verbose, stderr=True), releases=dict(releases or {}))
    unknown = set(b.releases) - {"iod"}
    if unknown:
        raise IngestError(
            f"build: --release {sorted(unknown)}: only the deprivation index can be chosen "
            "(iod=2019 or iod=2025); other sources always use their newest release."
        )
    inventory = discover(folder)
    if la_code.startswith("S"):
        lookup, lookup_path = _data_zone_lookup(inventory, b)
        wards = _wards(inventory, set(lookup["ward_code"]), None, b)
        people = _people_scotland(inventory, lookup, lookup_path, b)
    else:
        lookup, lookup_path = _lookup(inventory, b)
        wards, shares = _ward_plan(inventory, lookup, lookup_path, b)
        people = _people(inventory, lookup, shares, b)
    vintage = wards.attrs["ward_vintage"]
    b.console.log(f"{len(wards)} wards of {la_code} ({vintage} boundaries)")

    parts = [people]
    if la_code.startswith("S"):
        b.note(
            "Scotland: the Census 2021 risk groups (England and Wales tables TS038, TS067, "
            "TS029, TS003, TS011) have no equivalent read here; Scotland's Census 2022 "
            "publishes its own tables on 2011 data zones, so disability, qualifications, "
            "English, older people living alone and household deprivation are not known by "
            "ward."
        )
    else:
        topics = _census_topics(inventory, shares, wards, b)
        if topics is not None:
            parts.append(topics)
    fixed, ward_fixed = _fixed_by_ward(inventory, wards, b)
    if fixed is not None:
        parts += [fixed, indicators.fixed_broadband_indicators(fixed)]
    table = pd.concat(parts, axis=1)
    la_fixed = _fixed_la(inventory, b)
    if not la_fixed.empty:
        for name, value in indicators.la_fixed_context(la_fixed.iloc[-1]).items():
            table[name] = value
    for name, value in _mobile(inventory, b).items():
        table[name] = value

    postcode_table = _postcodes(inventory, wards, b)
    premises = _premises_level(inventory, postcode_table, wards, b)
    if premises is not None:
        table = table.join(premises.ward_columns, how="outer")
    api = _api_premises(
        postcode_table, table, _api_folder(la_code, folder, api_cache),
        fixed_known=fixed is not None, b=b,
    )  # fmt: skip
    if api is not None:
        table = table.drop(columns=table.columns.intersection(api[0].columns)).join(api[0])
    api_summary = api[1] if api is not None else {}

    la_name = str(lookup["la_name"].iloc[0]) if "la_name" in lookup else la_code
    wards = wards.assign(la_code=la_code, la_name=la_name)
    ward_table = gpd.GeoDataFrame(
        wards.set_index("ward_code").join(table, how="left").reset_index(), crs=wards.crs
    )
    b.compare("local authority", la_name, indicators.area_shares(ward_table), "sum of the wards")
    if fixed is None and not la_fixed.empty:
        newest = la_fixed.iloc[[-1]]
        b.compare(
            "local authority",
            la_name,
            indicators.area_shares(newest),
            f"{newest['source_file'].iloc[0]} ({newest['release'].iloc[0]})",
        )
    manifest = {
        "la_code": la_code,
        "la_name": la_name,
        "synthetic": synthetic,
        "ward_vintage": vintage,
        "deprivation_release": next(
            (src["release"] for src in b.sources if src["role"] in {"iod", "wimd", "simd"}), None
        ),
        "methods": b.methods,
        "fixed_broadband_level": (
            "ward"
            if fixed is not None
            else "ward (Ofcom API premises)"
            if api_summary.get("by_endpoint", {}).get("broadband", {}).get("found")
            else "local authority"
        ),
        "mobile_level": (
            "ward (Ofcom API premises)"
            if api_summary.get("by_endpoint", {}).get("mobile", {}).get("found")
            else "ward (not-spot postcodes)"
            if premises is not None and "mobile_not_spot_postcodes" in premises.ward_columns
            else "local authority"
        ),
        "ofcom_api": api_summary,
        "bduk": premises.summary if premises is not None else {},
        "map_tolerance_m": maps.MAP_TOLERANCE_M,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "software": f"digital-inclusion-map {version('digital-inclusion-map')}",
        "totals": {
            "residents": int(ward_table["residents"].sum()),
            **({"premises": int(fixed["premises"].sum())} if fixed is not None else {}),
            **(
                {"bduk_rows": premises.summary["rows"]}
                if premises is not None and premises.summary
                else {}
            ),
        },
        "notes": b.notes,
        "unrecognised_files": [p.name for p in inventory.unrecognised],
        "sources": b.sources,
    }
    place = store.write_place(
        ward_table,
        manifest,
        store=store_dir,
        tables={
            "la_fixed_coverage": la_fixed,
            "ward_fixed_coverage": ward_fixed,
            "postcodes": postcode_table,
            "venues": _venues(inventory, postcode_table, b),
            "comparisons": pd.DataFrame(
                b.comparisons, columns=["level", "area", "measure", "value", "source"]
            ),
            **(premises.tables if premises is not None else {}),
        },
        map_geometry=maps.simplify_for_map(ward_table).geometry,
    )
    b.console.log(f"wrote {place}")
    return place
