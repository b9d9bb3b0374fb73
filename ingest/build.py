"""Build one local authority's ward store from source files on disk.

Reads each source through its own module, joins small areas to wards with :mod:`geo.joins`,
computes indicators with :mod:`geo.indicators` and writes the store with :mod:`ingest.store`.
Totals are checked at every step: premises of the local authority's output areas and residents
of its LSOAs are the same in the ward table as in the source files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from rich.console import Console

from geo import indicators, joins
from ingest import census, iod, ofcom_fixed, ofcom_mobile, ons_geography, store
from ingest._errors import IngestError
from ingest._http import sha256_file

OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class Source:
    """A role in the build, the files that can fill it, and who publishes them."""

    role: str
    patterns: tuple[str, ...]
    publisher: str
    attribution: str


SOURCES = {
    s.role: s
    for s in (
        Source("wards", ("Wards_*Boundaries*.geojson", "Wards_*Boundaries*.gpkg"),
               "Office for National Statistics, Open Geography Portal",
               "Contains OS data © Crown copyright and database right"),
        Source("output_areas", ("Output_Areas_2021*.geojson", "Output_Areas_2021*.gpkg"),
               "Office for National Statistics, Open Geography Portal",
               "Contains OS data © Crown copyright and database right"),
        Source("lsoa_ward_lookup", ("LSOA21_WD*_LU*.csv",),
               "Office for National Statistics, Open Geography Portal",
               "Contains public sector information licensed under the " + OGL),
        Source("ofcom_fixed_oa", ("*_fixed_oa_coverage_r*.csv",),
               "Ofcom, Connected Nations", "Contains Ofcom data © Ofcom"),
        Source("ofcom_mobile_la", ("*_mobile_coverage_laua_r*.csv",),
               "Ofcom, Connected Nations", "Contains Ofcom data © Ofcom"),
        Source("iod_domains", ("File_2_-_IoD2019_Domains_of_Deprivation*.csv",),
               "Ministry of Housing, Communities and Local Government",
               "Contains public sector information licensed under the " + OGL),
        Source("census_age", ("Census 2021 - Population.csv", "*RM121*.csv"),
               "Office for National Statistics, Census 2021 (Nomis)",
               "Source: Office for National Statistics licensed under the " + OGL),
    )
}  # fmt: skip


def find_sources(folder: Path) -> dict[str, Path]:
    """Find one file for each source role in ``folder`` (searched recursively).

    Parameters
    ----------
    folder : Path
        Folder of downloaded or hand-copied source files.

    Returns
    -------
    dict of str to Path
        Role -> file.

    Raises
    ------
    IngestError
        When a role has no file, or more than one candidate (say which to use by removing or
        renaming the others).
    """
    folder = Path(folder)
    found: dict[str, Path] = {}
    for role, source in SOURCES.items():
        hits = sorted({p for pattern in source.patterns for p in folder.rglob(pattern)})
        if role == "ofcom_fixed_oa":
            hits = [p for p in hits if "_res_" not in p.name]  # residential-only variant
        if len(hits) != 1:
            state = "no file" if not hits else f"{len(hits)} files ({[p.name for p in hits]})"
            raise IngestError(
                f"build: {state} for {role!r} in {folder}; expected exactly one file matching "
                f"{list(source.patterns)} ({source.publisher})."
            )
        found[role] = hits[0]
    return found


def _release(attrs: Mapping[str, Any]) -> str:
    """Release of a table, or the boundary vintages for ONS geography (ward 2022, LSOA 2021)."""
    if "vintages" in attrs:
        names = {"ward": "ward", "la": "LA"}
        return ", ".join(
            f"{names.get(level, level.upper())} {year}" for level, year in attrs["vintages"].items()
        )
    if "ward_vintage" in attrs:
        return f"wards {attrs['ward_vintage']}"
    if "level" in attrs:
        return f"{attrs['level'].upper()} {attrs.get('vintage', '')}".strip()
    return attrs.get("release", "")


def _describe(role: str, path: Path, frame: pd.DataFrame, used: int) -> dict[str, Any]:
    source = SOURCES[role]
    return {
        "role": role,
        "file": path.name,
        "release": _release(frame.attrs),
        "notes": frame.attrs.get("notes", ""),
        "rows_read": len(frame),
        "rows_used": int(used),
        "sha256": sha256_file(path),
        "publisher": source.publisher,
        "attribution": source.attribution,
        "licence": OGL,
    }


@contextmanager
def _about(path: Path) -> Iterator[None]:
    """Turn a join's unmatched-area error into an IngestError that names the source file."""
    try:
        yield
    except joins.UnmatchedAreasError as exc:
        raise IngestError(f"build: {path.name}: {exc}; check the boundary vintage") from exc


def build_place(
    la_code: str,
    sources: Mapping[str, Path],
    *,
    store_dir: Path,
    synthetic: bool = False,
    verbose: bool = True,
) -> Path:
    """Build and write the ward store of one local authority.

    Parameters
    ----------
    la_code : str
        ONS local authority district code, e.g. ``"E08000009"`` (Trafford).
    sources : mapping of str to Path
        Role -> file, as from :func:`find_sources`.
    store_dir : Path
        Store root.
    synthetic : bool, default False
        Marks the place as synthetic demo data in the manifest (shown by the app and exports).
    verbose : bool, default True
        Print progress.

    Returns
    -------
    Path
        The written place folder.
    """
    console = Console(quiet=not verbose, stderr=True)
    described = []

    wards = ons_geography.read_wards(sources["wards"], la_code=la_code)
    described.append(_describe("wards", sources["wards"], wards, len(wards)))
    console.log(f"{len(wards)} wards of {la_code}")

    oas = ons_geography.read_areas(sources["output_areas"], level="oa")
    oa_ward = joins.assign_to_wards(oas, wards, area_code="oa_code")
    described.append(_describe("output_areas", sources["output_areas"], oas, len(oa_ward)))
    fixed = ofcom_fixed.read_fixed_oa(sources["ofcom_fixed_oa"])
    fixed_here = fixed[fixed["oa_code"].isin(oa_ward.index)]
    missing = sorted(set(oa_ward.index) - set(fixed_here["oa_code"]))
    if missing:
        raise IngestError(
            f"build: {sources['ofcom_fixed_oa'].name} has no row for {len(missing)} output "
            f"area(s) of {la_code} ({missing[:5]}); is it the OA file of the same OA vintage?"
        )
    count_columns = [
        c for c in fixed_here.columns if c.startswith("premises") or c == "matched_premises"
    ]
    with _about(sources["ofcom_fixed_oa"]):
        fixed_wards = joins.sum_to_wards(fixed_here, oa_ward, key="oa_code", columns=count_columns)
    described.append(_describe("ofcom_fixed_oa", sources["ofcom_fixed_oa"], fixed, len(fixed_here)))
    console.log(f"{int(fixed_here['premises'].sum()):,} premises in {len(fixed_here)} output areas")

    lookup = ons_geography.read_lookup(sources["lsoa_ward_lookup"])
    lsoa_ward = lookup[lookup["ward_code"].isin(wards["ward_code"])].set_index("lsoa_code")[
        "ward_code"
    ]
    described.append(
        _describe("lsoa_ward_lookup", sources["lsoa_ward_lookup"], lookup, len(lsoa_ward))
    )
    people = census.read_census_age(sources["census_age"])
    people_here = people[people["lsoa_code"].isin(lsoa_ward.index)]
    described.append(_describe("census_age", sources["census_age"], people, len(people_here)))
    deprivation = iod.read_iod(sources["iod_domains"])
    merged = people_here.merge(
        deprivation[["lsoa_code", "imd_rank", "imd_decile", "income_rank", "health_rank"]],
        on="lsoa_code", how="left", validate="one_to_one",
    )  # fmt: skip
    no_iod = merged.loc[merged["imd_rank"].isna(), "lsoa_code"].tolist()
    if no_iod:
        raise IngestError(
            f"build: {sources['iod_domains'].name} has no rank for {len(no_iod)} LSOA(s) of "
            f"{la_code} ({no_iod[:5]}); IoD 2019 uses 2011 LSOAs: reconcile the vintages first."
        )
    described.append(_describe("iod_domains", sources["iod_domains"], deprivation, len(merged)))
    merged["residents_most_deprived_decile"] = merged["residents"].where(
        merged["imd_decile"] == 1, 0
    )
    with _about(sources["lsoa_ward_lookup"]):
        people_wards = joins.sum_to_wards(
            merged, lsoa_ward, key="lsoa_code",
            columns=["residents", "residents_65_plus", "residents_75_plus",
                     "residents_most_deprived_decile"],
        ).drop(columns="n_areas")  # fmt: skip
    ranks = joins.population_weighted_to_wards(
        merged, lsoa_ward, key="lsoa_code", weight="residents",
        values=["imd_rank", "income_rank", "health_rank"],
    ).rename(columns=lambda c: c.replace("_rank", "_average_rank"))  # fmt: skip

    mobile = ofcom_mobile.read_mobile_la(sources["ofcom_mobile_la"])
    mobile_here = mobile[mobile["la_code"] == la_code]
    if len(mobile_here) != 1:
        raise IngestError(
            f"build: {sources['ofcom_mobile_la'].name} has no row for {la_code}; is it the "
            "release for the same local authority boundaries?"
        )
    described.append(_describe("ofcom_mobile_la", sources["ofcom_mobile_la"], mobile, 1))
    row = mobile_here.iloc[0]

    table = pd.concat(
        [
            fixed_wards.rename(columns={"n_areas": "output_areas"}),
            indicators.fixed_broadband_indicators(fixed_wards),
            people_wards,
            indicators.population_indicators(people_wards),
            ranks,
        ],
        axis=1,
    )
    table["la_pct_premises_no_4g_indoor"] = row["pct_premises_4g_indoor_0_operators"]
    table["la_pct_landmass_no_4g_outdoor"] = row["pct_landmass_4g_outdoor_0_operators"]
    ward_table = gpd.GeoDataFrame(
        wards.set_index("ward_code").join(table, how="left").reset_index(), crs=wards.crs
    )
    empty = ward_table.loc[ward_table["premises"].isna(), "ward_code"].tolist()
    if empty:
        raise IngestError(f"build: ward(s) {empty} of {la_code} contain no output area")
    la_name = str(wards["la_name"].iloc[0]) if "la_name" in wards else la_code
    manifest = {
        "la_code": la_code,
        "la_name": la_name,
        "synthetic": synthetic,
        "ward_vintage": wards.attrs.get("ward_vintage", ""),
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "software": f"digital-inclusion-map {version('digital-inclusion-map')}",
        "totals": {
            "premises": int(fixed_here["premises"].sum()),
            "residents": int(people_here["residents"].sum()),
        },
        "sources": described,
    }
    place = store.write_place(ward_table, manifest, store=store_dir)
    console.log(f"wrote {place}")
    return place
