"""A deterministic, synthetic demo place, written as files shaped exactly like the real sources.

Nothing here is real. The generator draws a fictional local authority ("Demoshire", code
``E08999999``) of nested output areas, LSOAs and wards in British National Grid, then writes
the same files a council would download: ONS boundaries and lookups, an Ofcom Connected
Nations fixed output-area file and mobile local-authority file, an English IoD 2019 File 2, a
Census 2021 RM121 Nomis table, a postcode directory extract and a council's list of outreach
venues. The store is then built from
these files by the same parsers and joins as real data (:mod:`ingest.build`), so the demo
exercises the whole pipeline.

Premises-level files (issue 13), drawn from the same output areas so that they agree with the
OA file: two BDUK "Premises in BDUK plans" releases (March and July 2025, one row per
premises, UPRNs ``9999...``; a few premises with a blank postcode or one the directory lacks,
so "not placed" is exercised), an Ofcom postcode fixed coverage file for the ``DM`` postcode
area (its percentages, weighted by the premises of each postcode, give back the OA figures),
an Ofcom mobile not-spot postcode list (four neighbouring wards of the poorly served edge,
and a few postcodes elsewhere), an ONS ward to Westminster constituency lookup (three
synthetic constituencies) and Ofcom's mobile coverage file for those constituencies.

Census 2021 risk groups (issue 15): the LSOA CSVs of the Nomis bulk topic summaries TS038
(disability), TS067 (qualifications), TS029 (proficiency in English), TS003 (household
composition) and TS011 (household deprivation), in Nomis's bulk layout (TS003 and TS011 with
``; measures: Value`` after every category header, as Nomis publishes them, the other three
without). Their people are drawn around the RM121 residents of each LSOA (TS038's total near
the RM121 total, as two perturbed Census tables are), their households from the residents,
and every category adds up exactly to its subtotal and total, as in ONS's tables.

Same ``seed``, same bytes: every draw comes from ``numpy.random.Generator`` streams seeded
from ``seed`` (one per group of files, so adding a file changes none of the others), drawn
in a fixed order, and files are written with fixed formatting.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from geo.crs import ANALYSIS_CRS, WEB_CRS
from ingest._tables import Release
from ingest.sources import (
    bduk,
    census,
    census_topics,
    iod,
    ofcom_api,
    ofcom_fixed,
    ofcom_mobile,
    ons_geography,
)

DEMO_LA_CODE = "E08999999"
DEMO_LA_NAME = "Demoshire (synthetic demo)"
DEMO_SEED = 20261123
#: Stated in every file and in the store manifest: these figures describe no real place.
SYNTHETIC_LABEL = "synthetic demo data: a fictional place, not real figures"

_CENTRE = (396_000.0, 302_000.0)  # an arbitrary point in England, metres (EPSG:27700)
_RADIUS_M = 9_000.0
_WARD_NAMES = (
    "Abbey Fields", "Ashcombe", "Brook Green", "Bramley Heath", "Castle Hill", "Cherry Tree",
    "Dale End", "Deepdene", "Elm Park", "Fairwater", "Fenwick", "Greystones", "Hollins",
    "Kingsmead", "Larkfield", "Long Moor", "Marsh Lane", "Millbrook", "Northgate", "Oakwood",
    "Priory", "Quarry Bank", "Riverside", "Saltings", "Southfields", "Thornbury", "Upper Vale",
    "Westcliffe", "Whitmore", "Yew Tree",
)  # fmt: skip

#: Month (YYYYMM) of the demo's DWP Pension Credit file, in the layout ``python -m ingest dwp``
#: writes.
PENSION_CREDIT_MONTH = "202505"
#: File names the demo writes; the same names the publishers use where they have one.
FILES = {
    "wards": "Wards_May_2022_Boundaries_UK_BGC_demo.geojson",
    "output_areas": "Output_Areas_2021_EW_BGC_demo.geojson",
    "lsoa_ward_lookup": "LSOA21_WD22_LAD22_EW_LU_best_fit_demo.csv",
    "ofcom_fixed_oa": "202601_fixed_oa_coverage_r1.csv",
    "ofcom_fixed_la": "202507_fixed_laua_coverage_r01.csv",
    "ofcom_mobile_la": "202507_mobile_coverage_laua_r01.csv",
    "iod": "File_2_-_IoD2019_Domains_of_Deprivation.csv",
    "iod_2025": "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
    "census_age": "Census 2021 - Population.csv",
    "postcodes": "demoshire_postcodes.csv",
    "venues": "demoshire_outreach_venues.csv",
    "bduk_premises_previous": "bduk_premises_in_plans_2025-03_demoshire.csv",
    "bduk_premises": "bduk_premises_in_plans_2025-07_demoshire.csv",
    "ofcom_mobile_not_spots": "ofcom_mobile_not_spot_postcodes_2025-07_demoshire.csv",
    "ofcom_fixed_postcode": "202601_fixed_pc_coverage_r2_DM.csv",
    "ward_constituency_lookup": "WD22_PCON22_LAD22_UK_LU_demo.csv",
    "ofcom_mobile_constituency": "202507_mobile_coverage_pcon_r01.csv",
    **{topic.role: topic.lsoa_member for topic in census_topics.TOPICS.values()},
    "dwp_pension_credit": f"dwp_pension_credit_{PENSION_CREDIT_MONTH}_{DEMO_LA_CODE}.csv",
}
#: Files of :data:`FILES` that are a second release of another key's source, and their role.
SECOND_RELEASES = {"bduk_premises_previous": "bduk_premises", "iod_2025": "iod"}
#: Folder of the demo sources that holds its synthetic Ofcom API cache (one per authority).
API_CACHE = "ofcom_api"
#: The two BDUK releases the demo writes, oldest first: role -> release month (BDUK's files
#: carry no date, so the month is in the file name, as :func:`ingest._tables.release_month` reads).
BDUK_MONTHS = {"bduk_premises_previous": "2025-03", "bduk_premises": "2025-07"}
#: Synthetic Westminster constituencies the demo's wards are grouped into (E14 is the ONS
#: prefix of English constituencies; these codes are unused).
CONSTITUENCY_CODES = ("E14999991", "E14999992", "E14999993")
#: Letters Royal Mail uses in the last two characters of a postcode (the inward unit).
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
#: Premises per postcode, roughly the UK average (about 30 million premises, 1.7 million
#: live postcodes).
_PREMISES_PER_POSTCODE = 16


@dataclass(frozen=True)
class DemoPlace:
    """The generated place before it is written: geometry and per-area attributes.

    Attributes
    ----------
    wards : geopandas.GeoDataFrame
        ``ward_code``, ``ward_name``, geometry (EPSG:27700).
    lsoas : pandas.DataFrame
        ``lsoa_code``, ``lsoa_name``, ``ward_code``, ``deprivation`` (0-1, 1 = most deprived),
        ``older`` (0-1 propensity for residents aged 65+).
    oas : geopandas.GeoDataFrame
        ``oa_code``, ``lsoa_code``, ``ward_code``, ``remoteness`` (0 = centre), ``premises``,
        geometry (EPSG:27700).
    """

    wards: gpd.GeoDataFrame
    lsoas: pd.DataFrame
    oas: gpd.GeoDataFrame


def _la_outline(rng: np.random.Generator) -> Polygon:
    theta = np.linspace(0, 2 * math.pi, 96, endpoint=False)
    phase = rng.uniform(0, 2 * math.pi, size=3)
    radius = _RADIUS_M * (
        1
        + 0.16 * np.sin(2 * theta + phase[0])
        + 0.09 * np.sin(3 * theta + phase[1])
        + 0.05 * np.sin(5 * theta + phase[2])
    )
    x = _CENTRE[0] + radius * np.cos(theta)
    y = _CENTRE[1] + radius * np.sin(theta)
    return Polygon(np.column_stack([x, y]).round(1))


def _spread_points(rng: np.random.Generator, within: Polygon, n: int) -> np.ndarray:
    """``n`` points inside ``within``, kept apart (best of 12 candidates, Mitchell's algorithm)."""
    minx, miny, maxx, maxy = within.bounds
    chosen: list[tuple[float, float]] = []
    while len(chosen) < n:
        candidates = rng.uniform((minx, miny), (maxx, maxy), size=(12, 2))
        inside = candidates[shapely.contains_xy(within, candidates[:, 0], candidates[:, 1])]
        if len(inside) == 0:
            continue
        if not chosen:
            chosen.append(tuple(inside[0]))
            continue
        taken = np.array(chosen)
        gaps = np.linalg.norm(inside[:, None, :] - taken[None, :, :], axis=2).min(axis=1)
        chosen.append(tuple(inside[int(np.argmax(gaps))]))
    return np.array(chosen)


def _cells(points: np.ndarray, within: Polygon) -> list[Polygon]:
    """Voronoi cells of ``points`` clipped to ``within``, in the order of ``points``."""
    regions = shapely.voronoi_polygons(
        shapely.MultiPoint(points), extend_to=within.buffer(1_000)
    ).geoms
    by_point = []
    for x, y in points:
        cell = next(r for r in regions if r.contains(shapely.Point(x, y)))
        clipped = shapely.set_precision(cell.intersection(within), 0.1)
        by_point.append(clipped)
    return by_point


def generate_place(seed: int = DEMO_SEED, *, n_wards: int = 28) -> DemoPlace:
    """Draw the demo place: nested output areas, LSOAs and wards with their attributes.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives the same place.
    n_wards : int, default 28
        Number of wards (20-40 is a typical English district).

    Returns
    -------
    DemoPlace
        Geometry in EPSG:27700 and the latent attributes the source files are drawn from.
    """
    rng = np.random.default_rng(seed)
    outline = _la_outline(rng)
    ward_points = _spread_points(rng, outline, n_wards)
    order = np.lexsort((ward_points[:, 0], -ward_points[:, 1]))  # north to south, then west-east
    ward_points = ward_points[order]
    ward_cells = _cells(ward_points, outline)
    names = sorted(rng.choice(_WARD_NAMES, size=n_wards, replace=False))
    deprived_centres = rng.uniform(-0.6, 0.6, size=(2, 2)) * _RADIUS_M + np.array(_CENTRE)

    ward_rows, lsoa_rows, oa_rows = [], [], []
    for w, (cell, name) in enumerate(zip(ward_cells, names, strict=True), start=1):
        ward_code = f"E05{999000 + w:06d}"
        ward_rows.append({"ward_code": ward_code, "ward_name": name, "geometry": cell})
        for lsoa_cell in _cells(_spread_points(rng, cell, int(rng.integers(3, 6))), cell):
            lsoa_no = len(lsoa_rows) + 1
            lsoa_code = f"E01{999000 + lsoa_no:06d}"
            centre = lsoa_cell.representative_point()
            remoteness = math.dist((centre.x, centre.y), _CENTRE) / _RADIUS_M
            closeness = min(math.dist((centre.x, centre.y), c) for c in deprived_centres)
            pocket = np.exp(-((closeness / 3_000) ** 2))  # two deprived pockets
            deprivation = float(np.clip(0.2 + 0.8 * pocket + rng.normal(0, 0.15), 0, 1))
            lsoa_rows.append(
                {
                    "lsoa_code": lsoa_code,
                    "lsoa_name": f"Demoshire {w:03d}{chr(64 + lsoa_no % 26 + 1)}",
                    "ward_code": ward_code,
                    "deprivation": deprivation,
                    "older": float(np.clip(0.35 * remoteness + rng.normal(0.2, 0.08), 0, 1)),
                }
            )
            for oa_cell in _cells(
                _spread_points(rng, lsoa_cell, int(rng.integers(4, 7))), lsoa_cell
            ):
                point = oa_cell.representative_point()
                oa_rows.append(
                    {
                        "oa_code": f"E00{999000 + len(oa_rows) + 1:06d}",
                        "lsoa_code": lsoa_code,
                        "ward_code": ward_code,
                        "remoteness": math.dist((point.x, point.y), _CENTRE) / _RADIUS_M,
                        "premises": int(rng.integers(95, 210)),
                        "geometry": oa_cell,
                    }
                )
    return DemoPlace(
        wards=gpd.GeoDataFrame(ward_rows, crs=ANALYSIS_CRS),
        lsoas=pd.DataFrame(lsoa_rows),
        oas=gpd.GeoDataFrame(oa_rows, crs=ANALYSIS_CRS),
    )


def _publisher_names(release: Release) -> dict[str, str]:
    """Canonical name -> publisher header for ``release`` (columns mapped to None are absent)."""
    return {name: raw for raw, name in release.columns.items() if name is not None}


def _fmt_pct(value: float) -> str:
    """Ofcom small-area style: one decimal, whole numbers without ``.0`` (``100``, ``72.9``)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _write_csv(
    path: Path, release: Release, rows: pd.DataFrame, *, bom: bool, crlf: bool, final_newline: bool
) -> None:
    """Write ``rows`` under the release's headers, in the publisher's column order.

    ``rows`` uses canonical names and holds text; columns the demo has no value for are blank.
    """
    names = _publisher_names(release)
    headers = list(release.columns)
    canonical = {raw: name for name, raw in names.items()}
    table = pd.DataFrame(
        {raw: rows[canonical[raw]] if canonical.get(raw) in rows else "" for raw in headers}
    )
    text = table.to_csv(index=False, lineterminator="\r\n" if crlf else "\n")
    if not final_newline:
        text = text.rstrip("\r\n")
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))


def _fixed_oa_counts(rng: np.random.Generator, oas: pd.DataFrame) -> pd.DataFrame:
    """Ofcom fixed coverage counts by output area, consistent by construction.

    The six speed bands partition each area's premises; the cumulative "unable to receive"
    counts, superfast, ultrafast and gigabit are built from them, so no count exceeds premises.
    """
    premises = oas["premises"].to_numpy()
    far = np.clip(oas["remoteness"].to_numpy(), 0, 1.3)
    slow = np.clip(0.002 + 0.22 * far**3, 0, 0.5)  # share of premises under 30 Mbit/s
    fast = np.clip(0.85 - 0.7 * far + rng.normal(0, 0.06, len(oas)), 0.02, 0.98)  # >= 300
    shares = np.column_stack(
        [
            slow * 0.15,
            slow * 0.2,
            slow * 0.25,
            slow * 0.4,
            (1 - slow) * (1 - fast),
            (1 - slow) * fast,
        ]
    )
    bands = np.array(
        [rng.multinomial(n, p / p.sum()) for n, p in zip(premises, shares, strict=True)]
    )
    b0_2, b2_5, b5_10, b10_30, b30_300, b300 = bands.T
    below_10 = b0_2 + b2_5 + b5_10
    fwa_decent = rng.binomial(premises, np.clip(0.6 - 0.3 * far, 0.05, 0.9))
    counts = {
        "premises": premises,
        "matched_premises": premises,
        "premises_sfbb": b30_300 + b300,
        "premises_ufbb_100": b300 + rng.binomial(b30_300, 0.35),
        "premises_ufbb": b300,
        "premises_gigabit": rng.binomial(b300, 0.97),
        "premises_below_2mbit": b0_2,
        "premises_below_5mbit": b0_2 + b2_5,
        "premises_below_10mbit": below_10,
        "premises_below_30mbit": below_10 + b10_30,
        "premises_below_uso": below_10 - rng.binomial(below_10, 0.3),
        "premises_nga": b30_300 + b300 + rng.binomial(b10_30, 0.6),
        "premises_fwa_decent": fwa_decent,
        "premises_speed_0_2": b0_2,
        "premises_speed_2_5": b2_5,
        "premises_speed_5_10": b5_10,
        "premises_speed_10_30": b10_30,
        "premises_speed_30_300": b30_300,
        "premises_speed_300_plus": b300,
    }
    return pd.DataFrame(counts, index=oas["oa_code"].to_numpy())


def _as_published(counts: pd.DataFrame, key: dict[str, object]) -> pd.DataFrame:
    """Format counts as Ofcom prints them: integers, and shares of premises to one decimal."""
    table = dict(key)
    for name, values in counts.items():
        table[name] = values.astype(str).to_numpy()
        if name not in ("premises", "matched_premises"):
            shares = 100 * values.to_numpy() / counts["premises"].to_numpy()
            table[f"pct_{name}"] = [_fmt_pct(v) for v in shares]
    return pd.DataFrame(table)


def _fixed_la_row(rng: np.random.Generator, counts: pd.DataFrame) -> pd.DataFrame:
    """Sum the output areas into the LA-level Ofcom row, adding full fibre (LA files only)."""
    total = counts.sum().to_frame().T
    total["premises_full_fibre"] = rng.binomial(total["premises_gigabit"], 0.9)
    return _as_published(total, {"la_code": [DEMO_LA_CODE], "la_name": [DEMO_LA_NAME]})


def _mobile_families(release: Release) -> dict[str, list[str]]:
    """Canonical mobile columns grouped by family (``pct_premises_4g_indoor``: [..._0 ... _4])."""
    families: dict[str, list[str]] = {}
    for name in _publisher_names(release):
        if name.startswith("pct_"):
            families.setdefault(name.rsplit("_", 2)[0], []).append(name)
    return families


def _mobile_row(
    rng: np.random.Generator,
    area: Mapping[str, str],
    premises: int,
    release: Release,
    *,
    share: float = 1.0,
    hardship: float = 1.0,
) -> pd.DataFrame:
    """One area's row of Ofcom mobile coverage: each family of operator counts sums to 100 %.

    ``area`` holds the area's code and name (canonical names of ``release``); ``share`` is
    its share of the place's land (pixels and road segments); ``hardship`` scales the weight
    of coverage by no or one operator (1 for the place as a whole).
    """
    row: dict[str, str] = {
        **area,
        "premises": str(premises),
        "landmass_pixels": str(int(share * math.pi * (_RADIUS_M / 100) ** 2)),
        "ab_road_segments": str(int(share * rng.integers(800, 1200))),
        "a_road_motorway_segments": str(int(share * rng.integers(300, 500))),
    }
    for family, columns in _mobile_families(release).items():
        if family.startswith("pct_motorways_"):
            continue  # Demoshire has no motorway: the whole family is blank (not applicable)
        worse = hardship * (3.0 if "landmass" in family or "5g" in family else 1.0)
        weights = np.array([0.5 * worse, 1.0 * worse, 2.5, 8.0, 30.0][: len(columns)])
        shares = rng.dirichlet(weights * 4)
        cents = np.floor(shares * 10_000).astype(int)
        cents[-1] += 10_000 - cents.sum()
        for column, value in zip(columns, cents, strict=True):
            row[column] = "" if value == 0 else f"{value / 100:g}"
    return pd.DataFrame([row])


def _iod_table(
    rng: np.random.Generator, lsoas: pd.DataFrame, *, national: int = 32_844, scores: bool = False
) -> pd.DataFrame:
    """IoD rows: national ranks (1 = most deprived of ``national``), deciles, and scores.

    IoD 2019 File 2 (the default) has ranks and deciles of the IMD and its seven domains.
    With ``scores`` (IoD 2025 File 7, 33,755 LSOAs) the LSOAs drift a little from their 2019
    place, so some change decile, and each measure has a score (higher = more deprived;
    income, employment, IDACI and IDAOPI as rates 0 to 1) and the mid-2022 denominators.
    """
    table = {
        "lsoa_code": lsoas["lsoa_code"],
        "lsoa_name": lsoas["lsoa_name"],
        "la_code": DEMO_LA_CODE,
        "la_name": DEMO_LA_NAME,
    }
    drift = rng.normal(0, 0.05, len(lsoas)) if scores else 0.0
    rates = {"income", "employment", "idaci", "idaopi"}
    for domain in (*iod.DOMAINS, "idaci", "idaopi") if scores else iod.DOMAINS:
        noise = 0.0 if domain == "imd" else rng.normal(0, 0.1, len(lsoas))
        level = np.clip(lsoas["deprivation"].to_numpy() + drift + noise, 0, 1)
        rank = np.clip(np.round((1 - level) * (national - 1)) + 1, 1, national).astype(int)
        table[f"{domain}_rank"] = rank.astype(str)
        table[f"{domain}_decile"] = np.ceil(rank * 10 / national).astype(int).astype(str)
        if scores:
            score = (
                0.5 * level if domain in rates else 60 * level if domain == "imd" else 4 * level - 2
            )
            table[f"{domain}_score"] = np.round(score, 3).astype(str)
    if scores:
        total = rng.integers(1_200, 2_400, len(lsoas))
        table["population_total"] = total.astype(str)
        table["population_0_15"] = (total * 0.18).astype(int).astype(str)
        table["population_60_plus"] = (total * 0.24).astype(int).astype(str)
        table["population_working_age"] = (total * 0.6).astype(int).astype(str)
    return pd.DataFrame(table)


def _census_text(rng: np.random.Generator, lsoas: pd.DataFrame, residents: np.ndarray) -> str:
    """Census 2021 RM121 in the Nomis bulk layout: preamble, header, rows, disclosure note."""
    bands = census.AGE_65_PLUS_BANDS
    lines = [
        "RM121 - Sex by age",
        "ONS Crown Copyright Reserved [synthetic demo data, not from Nomis]",
        "Population :,All Usual residents",
        "Units      :,Persons",
        "Date       :,2021",
        "Sex        :,All persons",
        "",
        ",".join([census.AREA_HEADER, census.TOTAL_HEADER, *bands]),
        "",
    ]
    for code, name, total, older in zip(
        lsoas["lsoa_code"], lsoas["lsoa_name"], residents, lsoas["older"], strict=True
    ):
        over_65 = rng.multinomial(
            int(total * (0.08 + 0.3 * older)), [0.05, 0.2, 0.25, 0.2, 0.15, 0.15]
        )
        lines.append(",".join([f"{code} : {name}", str(total), *map(str, over_65)]))
    lines += ["", "", "", ",This is synthetic demo data generated by digital-inclusion-map.", ""]
    width = len(bands) + 2
    padded = [
        line + "," * (width - 1 - line.count(",")) if line.count(",") < width - 1 else line
        for line in lines
    ]
    return "\r\n".join(padded) + "\r\n"


#: Census 2021 topic summaries Nomis publishes with ``; measures: Value`` after each category.
_SUFFIXED_TOPICS = ("TS003", "TS011")


def _leaves(topic: census_topics.Topic) -> list[str]:
    """Canonical category columns of ``topic`` that are no subtotal, in the publisher's order."""
    skip = {"date", "area_name", "area_code", *(total for total, _ in topic.sums)}
    return [name for name in topic.release.columns.values() if name not in skip]


def _draw(rng: np.random.Generator, totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each total into categories (multinomial, one row of ``weights`` per total)."""
    weights = np.broadcast_to(weights, (len(totals), weights.shape[-1]))
    return np.array(
        [rng.multinomial(n, w / w.sum()) for n, w in zip(totals, weights, strict=True)]
    ).reshape(len(totals), -1)


def _census_topic_leaves(
    rng: np.random.Generator, lsoas: pd.DataFrame, age: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Draw, per LSOA, each topic summary's categories that are no subtotal (:func:`_leaves`).

    ``age`` is the demo's RM121 table as :func:`ingest.sources.census.read_census_age` reads it, in
    the order of ``lsoas``. Persons are split from its residents (TS038's total near them, as
    two perturbed Census tables are), households from residents per household, one-person
    households aged 66+ from residents aged 66+. Shares follow England and Wales's (17.5%
    disabled, 18.2% of adults with no qualifications, 1.8% with poor English, 12.9% of
    households one person aged 66+, 18.3% deprived in two or more dimensions), higher where
    the LSOA is more deprived or older.
    """
    n = len(lsoas)
    poor = lsoas["deprivation"].to_numpy()
    residents = age["residents"].to_numpy()
    aged_66 = (age["residents_65_plus"] - age["residents_65"]).to_numpy()
    older = age["residents_65_plus"].to_numpy() / residents

    everyone = residents + rng.integers(-3, 4, n)
    disabled = rng.binomial(everyone, np.clip(0.09 + 0.12 * poor + 0.3 * older, 0.05, 0.5))
    a_lot = rng.binomial(disabled, 0.43)
    not_disabled = everyone - disabled
    not_limited = rng.binomial(not_disabled, 0.08)
    disability = np.column_stack([a_lot, disabled - a_lot, not_limited, not_disabled - not_limited])

    adults = rng.binomial(everyone, np.clip(0.77 + 0.1 * older, 0, 0.95))
    none = np.clip(0.08 + 0.22 * poor + 0.12 * older, 0.02, 0.6)
    level_4 = np.clip(0.42 - 0.3 * poor, 0.08, 1)
    fixed = np.ones(n)
    qualifications = _draw(
        rng,
        adults,
        np.column_stack([none, 0.1 * fixed, 0.14 * fixed, 0.055 * fixed, 0.17 * fixed, level_4,
                         0.03 * fixed]),
    )  # fmt: skip

    aged_3 = rng.binomial(everyone, 0.965)
    not_english = rng.binomial(aged_3, np.clip(0.03 + 0.12 * poor, 0, 0.5))
    english = np.column_stack(
        [aged_3 - not_english, _draw(rng, not_english, np.array([0.44, 0.36, 0.17, 0.03]))]
    )

    households = np.round(residents / rng.normal(2.35, 0.1, n)).astype(int)
    alone_66 = rng.binomial(aged_66, 0.3)
    couple_66 = rng.binomial((aged_66 - alone_66) // 2, 0.6)
    lone_parents = np.zeros((n, 12))
    lone_parents[:, 8] = 0.05 * poor  # more lone parents with dependent children where poorer
    rest = _draw(
        rng,
        households - alone_66 - couple_66,
        np.array([0.17, 0.10, 0.14, 0.056, 0.063, 0.045, 0.007, 0.07, 0.042, 0.008, 0.026, 0.042])
        + lone_parents,
    )  # one person other; married x3; cohabiting x3; lone parent x2; other family; other x2
    composition = np.column_stack([alone_66, rest[:, 0], couple_66, rest[:, 1:]])

    dimensions = np.column_stack(
        [0.55 - 0.35 * poor, 0.32 * fixed, 0.10 + 0.2 * poor, 0.025 + 0.1 * poor,
         0.002 + 0.01 * poor]
    )  # fmt: skip
    return {
        "TS038": disability,
        "TS067": qualifications,
        "TS029": english,
        "TS003": composition,
        "TS011": _draw(rng, households, dimensions),
    }


def _pension_credit_csv(rng: np.random.Generator, lsoas: pd.DataFrame, age: pd.DataFrame) -> str:
    """DWP Pension Credit claimants by LSOA, as ``python -m ingest dwp`` writes them.

    About 12% of residents aged 66+ claim (a couple once), more where the LSOA is deprived.
    """
    older = (age.loc[lsoas["lsoa_code"], "residents_65_plus"] - age.loc[lsoas["lsoa_code"],
             "residents_65"]).to_numpy()  # fmt: skip
    rate = np.clip(0.05 + 0.2 * lsoas["deprivation"].to_numpy(), 0.02, 0.4)
    claimants = rng.binomial(older, rate)
    table = pd.DataFrame(
        {
            "lsoa_code": lsoas["lsoa_code"],
            "pension_credit_claimants": claimants,
            "month": PENSION_CREDIT_MONTH,
        }
    )
    return table.to_csv(index=False)


def _census_topic_csv(topic: census_topics.Topic, leaves: np.ndarray, lsoas: pd.DataFrame) -> str:
    """One topic summary in Nomis's bulk layout, its subtotals added up from ``leaves``."""
    counts = pd.DataFrame(leaves, columns=_leaves(topic))
    for total, parts in reversed(topic.sums):  # subtotals first, then the totals they make
        counts[total] = counts[list(parts)].sum(axis=1)
    suffix = census_topics.MEASURES_SUFFIX if topic.table in _SUFFIXED_TOPICS else ""
    table = {
        "date": np.full(len(lsoas), census_topics.AREA_VINTAGE),
        "geography": lsoas["lsoa_name"].to_numpy(),
        "geography code": lsoas["lsoa_code"].to_numpy(),
    }
    for header, name in topic.release.columns.items():
        if header not in census_topics.AREA_HEADERS:
            table[header + suffix] = counts[name].to_numpy()
    return pd.DataFrame(table).to_csv(index=False, lineterminator="\n")


def _feature_collection(gdf: gpd.GeoDataFrame, properties: Mapping[str, str]) -> str:
    """GeoJSON (EPSG:4326, 6 decimals) with ONS property names; deterministic text."""
    web = gdf.to_crs(WEB_CRS)
    geoms = shapely.transform(web.geometry.to_numpy(), lambda xy: np.round(xy, 6))
    features = [
        {
            "type": "Feature",
            "properties": {ons: row[ours] for ours, ons in properties.items()},
            "geometry": shapely.geometry.mapping(geom),
        }
        for (_, row), geom in zip(web.iterrows(), geoms, strict=True)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


def _postcodes(rng: np.random.Generator, place: DemoPlace) -> pd.DataFrame:
    """Postcode centroids in each output area, in the Trafford Data Lab ONSPD extract layout.

    Outward codes ``DM1`` ... (``DM`` is no real postcode area), one per ward; one sector per
    LSOA; about :data:`_PREMISES_PER_POSTCODE` premises per postcode. The table also holds
    each postcode's ``oa_code`` (not written: the extract has no OA column), from which the
    premises-level files are drawn.
    """
    rows = []
    lsoa_names = place.lsoas.set_index("lsoa_code")["lsoa_name"]
    ward_names = place.wards.set_index("ward_code")["ward_name"]
    sectors: dict[str, int] = {}
    units: dict[tuple[str, int], int] = {}
    for oa in place.oas.itertuples():
        outward = f"DM{int(oa.ward_code[-3:])}"
        sector = sectors.setdefault(oa.lsoa_code, sum(k[0] == outward for k in units) % 10)
        units.setdefault((outward, sector), 0)
        minx, miny, maxx, maxy = oa.geometry.bounds
        for _ in range(max(1, oa.premises // _PREMISES_PER_POSTCODE)):
            x, y = rng.uniform((minx, miny), (maxx, maxy))
            while not shapely.contains_xy(oa.geometry, x, y):
                x, y = rng.uniform((minx, miny), (maxx, maxy))
            n = units[(outward, sector)]
            units[(outward, sector)] += 1
            unit = _UNIT_LETTERS[n // len(_UNIT_LETTERS)] + _UNIT_LETTERS[n % len(_UNIT_LETTERS)]
            rows.append(
                {
                    "postcode": f"{outward} {sector}{unit}",
                    "oa_code": oa.oa_code,
                    "ward_code": oa.ward_code,
                    "ward_name": ward_names[oa.ward_code],
                    "lsoa_code": oa.lsoa_code,
                    "lsoa_name": lsoa_names[oa.lsoa_code],
                    "la_code": DEMO_LA_CODE,
                    "la_name": DEMO_LA_NAME,
                    "x": x,
                    "y": y,
                }
            )
    table = pd.DataFrame(rows)
    points = gpd.GeoSeries(gpd.points_from_xy(table["x"], table["y"]), crs=ANALYSIS_CRS)
    web = points.to_crs(WEB_CRS)
    return table.drop(columns=["x", "y"]).assign(
        lon=[f"{v:.6f}" for v in web.x], lat=[f"{v:.6f}" for v in web.y]
    )


def _venues(rng: np.random.Generator, postcodes: pd.DataFrame) -> pd.DataFrame:
    """Draw a council's list of outreach venues: a library or community centre in some wards."""
    chosen = (
        postcodes.groupby("ward_code")
        .sample(n=1, random_state=rng)
        .sample(frac=0.4, random_state=rng)
    )
    kinds = rng.choice(["Library", "Community Centre"], size=len(chosen))
    return pd.DataFrame(
        {
            "Venue name": [f"{w} {k}" for w, k in zip(chosen["ward_name"], kinds, strict=True)],
            "Type": [k.lower() for k in kinds],
            "Postcode": chosen["postcode"].to_numpy(),
        }
    ).sort_values("Venue name")


@dataclass(frozen=True)
class _Contract:
    """A synthetic BDUK contract.

    For Project Gigabit, with its scope and final coverage date (``YYYY-MM-DD``, as BDUK
    writes them).
    """

    name: str
    supplier: str
    scope: str = ""
    final_coverage_date: str = ""


#: Project Gigabit contracts: the first in both BDUK releases, the second awarded between them.
_GIS_CONTRACTS = (
    _Contract("Project Gigabit Lot 99 Demoshire (synthetic)",
              "Demo Fibre Networks Ltd (synthetic)", "Initial", "2027-03-31"),
    _Contract("Project Gigabit Demoshire Fringe (synthetic)",
              "Example Gigabit plc (synthetic)", "Deferred", "2028-09-30"),
)  # fmt: skip
#: Gigabit voucher projects, one postcode each.
_VOUCHERS = (
    _Contract("Voucher project DV-0001 (synthetic)", "Fellside Community Fibre (synthetic)"),
    _Contract("Voucher project DV-0002 (synthetic)", "Fellside Community Fibre (synthetic)"),
    _Contract("Voucher project DV-0003 (synthetic)", "Dale Wireless Ltd (synthetic)"),
)  # fmt: skip
_SUPERFAST = _Contract("Superfast Demoshire (synthetic)", "Demo Openline Ltd (synthetic)")
_HUBS = _Contract("Gigabit Hubs Demoshire (synthetic)", _GIS_CONTRACTS[0].supplier)
#: Columns every row of the demo's BDUK files shares (canonical names of
#: :mod:`ingest.sources.bduk`).
_BDUK_CONSTANTS = {
    "country": "England",
    "lot_id": "99",
    "lot_name": "Demoshire and District (synthetic)",
    "la_code": DEMO_LA_CODE,
    "la_name": DEMO_LA_NAME,
    "region_code": "E12999999",
    "region_name": "Demo Region (synthetic demo)",
}
_BDUK_STATUS = {v: k for k, v in bduk.STATUSES.items()}
#: Synthetic UPRNs: 12 digits starting 9999 (BDUK's files hold UPRNs of up to 12 digits).
_UPRN_BASE = 999_900_000_000
_NEW_UPRN_BASE = 999_950_000_000
#: Premises written with no postcode, and with a postcode the directory lacks (not placed).
_NO_POSTCODE, _UNKNOWN_POSTCODE = 4, 3


def _rank_within(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Rank of each item within its group by ascending ``key`` (0 = first)."""
    order = np.lexsort((key, groups))
    in_order = groups[order]
    rank = np.empty(len(key), dtype=int)
    rank[order] = np.arange(len(key)) - np.searchsorted(in_order, in_order)
    return rank


def _premises(
    rng: np.random.Generator, postcodes: pd.DataFrame, oas: pd.DataFrame, fixed: pd.DataFrame
) -> pd.DataFrame:
    """One row per premises: its postcode, output area and the Ofcom measures it has.

    Each output area's premises (All Premises of the OA file) are shared among its postcodes:
    one each, the rest multinomially (Dirichlet weights), so postcodes hold from 1 to a few
    dozen premises, about :data:`_PREMISES_PER_POSTCODE` on average. Within an area premises
    are ranked best-connected first by a draw per postcode plus a little noise (coverage
    clusters by street), and each count of the OA file goes to the best ranks (availability),
    the worst (unable to receive) or a run of ranks (speed bands): the premises of an area sum
    back to the OA file's counts exactly.

    Returns
    -------
    pandas.DataFrame
        ``postcode_no`` (row of ``postcodes``), ``oa_code``, ``ward_code``, ``remoteness``,
        and one bool column per count column of ``fixed`` but ``premises`` and
        ``matched_premises``.
    """
    per_postcode = np.empty(len(postcodes), dtype=int)
    for oa_code, rows in postcodes.groupby("oa_code", sort=False).indices.items():
        weights = rng.dirichlet(np.full(len(rows), 1.5))
        per_postcode[rows] = 1 + rng.multinomial(fixed.at[oa_code, "premises"] - len(rows), weights)
    postcode_no = np.repeat(np.arange(len(postcodes)), per_postcode)
    oa_code = postcodes["oa_code"].to_numpy()[postcode_no]
    area = fixed.index.get_indexer(oa_code)
    street = rng.uniform(size=len(postcodes))[postcode_no]
    rank = _rank_within(area, street + rng.normal(0, 0.15, len(area)))

    def count(name: str) -> np.ndarray:
        return fixed[name].to_numpy()[area]

    attributes = oas.set_index("oa_code").loc[oa_code]
    out = {
        "postcode_no": postcode_no,
        "oa_code": oa_code,
        "ward_code": attributes["ward_code"].to_numpy(),
        "remoteness": attributes["remoteness"].to_numpy(),
    }
    edge = np.zeros(len(area), dtype=int)
    for band in ("300_plus", "30_300", "10_30", "5_10", "2_5", "0_2"):  # fastest first
        width = count(f"premises_speed_{band}")
        out[f"premises_speed_{band}"] = (rank >= edge) & (rank < edge + width)
        edge = edge + width
    for name in ("sfbb", "ufbb_100", "ufbb", "gigabit", "nga"):
        out[f"premises_{name}"] = rank < count(f"premises_{name}")
    premises = count("premises")
    for name in ("below_2mbit", "below_5mbit", "below_10mbit", "below_30mbit", "below_uso"):
        out[f"premises_{name}"] = rank >= premises - count(f"premises_{name}")
    # Fixed wireless reaches premises regardless of their line; those below the USO speed
    # (no decent broadband from fixed or FWA) come last.
    fwa_rank = _rank_within(area, rng.uniform(size=len(area)) + out["premises_below_uso"])
    out["premises_fwa_decent"] = fwa_rank < count("premises_fwa_decent")
    return pd.DataFrame(out)


def _bduk_plans(
    rng: np.random.Generator, premises: pd.DataFrame, postcodes: pd.DataFrame
) -> pd.DataFrame:
    """Draw each premises' BDUK status in both releases, spatially coherent with Ofcom's.

    July 2025 (``_07``): gigabit now is Ofcom's gigabit premises. Other premises are *Under
    Review* by whole postcodes (5 %), else in a commercial plan (``future_gigabit``) with a
    chance that rises with the output area's gigabit share (5 % + 0.9 x share, at most 85 %),
    else *Gigabit White*. White postcodes fall in the first Project Gigabit contract (35 % of
    postcodes far out, 8 % nearer the centre) or the second (25 % of the rest beyond the
    inner ring), or in one of the voucher projects (a postcode each); the rest have no
    gigabit and no plan, so that share is highest where the OA file's gigabit coverage is
    worst.

    March 2025 (``_03``): the same premises but for 0.4 % of the gigabit ones (new builds);
    7 % of gigabit postcodes did not have it yet (then in a commercial plan, or far out in the
    first contract); 11 % of postcodes without gigabit were under review (5 % still are);
    the second contract did not exist (its premises were White with no plan).

    Returns
    -------
    pandas.DataFrame
        Per premises: ``uprn``, ``postcode`` (as written: blank or absent from the directory
        for a few), ``recognised``, ``superfast``, ``hubs``, ``new`` (absent in March), and
        per release suffix ``current``, ``future``, ``status`` (BDUK text), ``contract``
        (index into :data:`_GIS_CONTRACTS`, -1 for none), ``voucher`` (index into
        :data:`_VOUCHERS`, -1 for none).
    """
    n = len(premises)
    postcode_no = premises["postcode_no"].to_numpy()

    def by_postcode() -> np.ndarray:
        return rng.uniform(size=len(postcodes))[postcode_no]

    review, gained, first, second, superfast = (by_postcode() for _ in range(5))
    gigabit = premises["premises_gigabit"].to_numpy()
    share = premises.groupby("oa_code")["premises_gigabit"].transform("mean").to_numpy()
    far = premises["remoteness"].to_numpy()
    rural = far > 0.7

    under_review = ~gigabit & (review < 0.05)
    commercial = (
        ~gigabit & ~under_review & (rng.uniform(size=n) < np.clip(0.05 + 0.9 * share, 0, 0.85))
    )
    white = ~gigabit & ~under_review & ~commercial
    contract = np.full(n, -1)
    contract[white & (first < np.where(rural, 0.35, 0.08))] = 0
    contract[white & (contract < 0) & (far > 0.55) & (second < 0.25)] = 1
    open_white = white & (contract < 0)
    voucher = np.full(n, -1)
    chosen = rng.choice(np.unique(postcode_no[open_white & rural]), len(_VOUCHERS), replace=False)
    for project, postcode_no_of_project in enumerate(chosen):
        voucher[open_white & (postcode_no == postcode_no_of_project)] = project

    built = gigabit & (gained < 0.07)
    contract[built & rural] = 0  # built under the first contract between the releases
    new = gigabit & ~built & (rng.uniform(size=n) < 0.004)
    review_03 = ~gigabit & (review < 0.11)
    contract_03 = np.where((contract == 0) & ~review_03, 0, -1)
    future_03 = (commercial & ~review_03) | (built & ~rural)
    current_03 = gigabit & ~built

    def status(current: np.ndarray, future: np.ndarray, reviewed: np.ndarray) -> np.ndarray:
        return np.select(
            [current | future, reviewed],
            [_BDUK_STATUS["grey_or_black"], _BDUK_STATUS["under_review"]],
            _BDUK_STATUS["white"],
        )

    uprn = _UPRN_BASE + np.cumsum(rng.integers(1, 40, n))
    uprn[new] = _NEW_UPRN_BASE + np.cumsum(rng.integers(1, 40, int(new.sum())))
    postcode = postcodes["postcode"].to_numpy()[postcode_no].astype(object)
    unplaced = rng.choice(np.flatnonzero(~new), _NO_POSTCODE + _UNKNOWN_POSTCODE, replace=False)
    postcode[unplaced[:_NO_POSTCODE]] = ""
    unknown = unplaced[_NO_POSTCODE:]
    postcode[unknown] = [p[:-2] + "ZZ" for p in postcode[unknown]]  # units stop far before ZZ
    hubs = np.zeros(n, dtype=bool)
    hubs[rng.choice(np.flatnonzero((contract == 0) & ~built), 4, replace=False)] = True
    slow_band = premises["premises_speed_10_30"] | premises["premises_speed_30_300"]
    return pd.DataFrame(
        {
            "uprn": uprn,
            "postcode": postcode,
            "recognised": rng.uniform(size=n) < 0.985,
            "superfast": rural & slow_band.to_numpy() & (superfast < 0.6),
            "hubs": hubs,
            "new": new,
            "current_07": gigabit,
            "future_07": commercial,
            "status_07": status(gigabit, commercial, under_review),
            "contract_07": contract,
            "voucher_07": voucher,
            "current_03": current_03,
            "future_03": future_03,
            "status_03": status(current_03, future_03, review_03),
            "contract_03": contract_03,
            "voucher_03": np.where(review_03, -1, voucher),
        }
    )


def _named(index: np.ndarray, contracts: tuple[_Contract, ...], field: str) -> np.ndarray:
    """``field`` of ``contracts[index]`` per premises; blank where ``index`` is -1."""
    return np.array([getattr(c, field) for c in contracts] + [""], dtype=object)[index]


def _bduk_release(plans: pd.DataFrame, month: str) -> pd.DataFrame:
    """Return the rows of one BDUK release as text, under :mod:`ingest.sources.bduk`'s names."""
    suffix = month[-2:]
    rows = plans[~plans["new"]] if suffix == "03" else plans
    rows = rows.sort_values("uprn")

    def flag(values: pd.Series) -> np.ndarray:
        return np.where(values.to_numpy(bool), "true", "false")

    def when(values: pd.Series, text: str) -> np.ndarray:
        return np.where(values.to_numpy(bool), text, "")

    contract = rows[f"contract_{suffix}"].to_numpy()
    voucher = rows[f"voucher_{suffix}"].to_numpy()
    table = {
        "uprn": rows["uprn"].astype(str).to_numpy(),
        "struprn": rows["uprn"].astype(str).to_numpy(),
        "recognised": flag(rows["recognised"]),
        "postcode": rows["postcode"].to_numpy(),
        "subsidy_status": rows[f"status_{suffix}"].to_numpy(),
        "current_gigabit": flag(rows[f"current_{suffix}"]),
        "future_gigabit": flag(rows[f"future_{suffix}"]),
        "in_gis_contract": np.where(contract >= 0, "true", "false"),
        "gis_contract_scope": _named(contract, _GIS_CONTRACTS, "scope"),
        "gis_final_coverage_date": _named(contract, _GIS_CONTRACTS, "final_coverage_date"),
        "gis_contract_name": _named(contract, _GIS_CONTRACTS, "name"),
        "gis_supplier": _named(contract, _GIS_CONTRACTS, "supplier"),
        "in_voucher_project": np.where(voucher >= 0, "true", "false"),
        "voucher_contract_name": _named(voucher, _VOUCHERS, "name"),
        "voucher_supplier": _named(voucher, _VOUCHERS, "supplier"),
        "in_superfast_contract": flag(rows["superfast"]),
        "superfast_contract_name": when(rows["superfast"], _SUPERFAST.name),
        "superfast_supplier": when(rows["superfast"], _SUPERFAST.supplier),
        "in_hubs_contract": flag(rows["hubs"]),
        "hubs_contract_name": when(rows["hubs"], _HUBS.name),
        "hubs_supplier": when(rows["hubs"], _HUBS.supplier),
    }
    return pd.DataFrame(table).assign(**_BDUK_CONSTANTS)


def _fixed_postcode_table(premises: pd.DataFrame, postcodes: pd.DataFrame) -> pd.DataFrame:
    """Ofcom's postcode file rows: % of each postcode's premises, one decimal (``100.0``)."""
    measures = [c for c in premises.columns if c.startswith("premises_")]
    shares = 100 * premises.groupby("postcode_no")[measures].mean()
    spaced = postcodes["postcode"].to_numpy()[shares.index]
    table = {
        "postcode": [p.replace(" ", "") for p in spaced],
        "postcode_space": spaced,
        "postcode_area": [p[:2] for p in spaced],
    }
    for name in measures:
        table[f"pct_{name}"] = [f"{v:.1f}" for v in shares[name]]
    return pd.DataFrame(table).sort_values("postcode")


def _not_spots(
    rng: np.random.Generator, postcodes: pd.DataFrame, place: DemoPlace, fixed: pd.DataFrame
) -> pd.DataFrame:
    """Mobile not-spot postcodes: clustered in four neighbouring wards, plus a few elsewhere.

    The cluster is the ward with the worst gigabit coverage in the OA file and its three
    nearest wards (hills on the rural edge, where fixed lines are also poor, so some premises
    are in double not-spots); within them a postcode is a not-spot with a chance that rises
    with its output area's distance from the centre. Six more are scattered in other wards.
    """
    per_ward = fixed.groupby(place.oas.set_index("oa_code")["ward_code"]).sum()
    worst = (per_ward["premises_gigabit"] / per_ward["premises"]).idxmin()
    centres = place.wards.set_index("ward_code").geometry.centroid
    cluster = centres.distance(centres[worst]).nsmallest(4).index
    far = place.oas.set_index("oa_code")["remoteness"].reindex(postcodes["oa_code"]).to_numpy()
    inside = postcodes["ward_code"].isin(cluster).to_numpy()
    chance = np.where(inside, np.clip(0.45 * (far - 0.4), 0.05, 0.45), 0.0)
    chosen = rng.uniform(size=len(postcodes)) < chance
    chosen[rng.choice(np.flatnonzero(~inside), 6, replace=False)] = True
    return pd.DataFrame({"postcode": sorted(postcodes["postcode"][chosen])})


#: Ofcom's database builds named by the demo's synthetic API answers (``DBName``).
DEMO_API_DB_NAME = "MobileAvailability-202607010000-SYNTHETIC-DEMO"
#: When the demo's synthetic answers say they were fetched (fixed: the same seed, same bytes).
DEMO_API_FETCHED_AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
#: Wards of the demo whose postcodes were only sampled (a share of them), to show estimates.
DEMO_API_SAMPLED_WARDS = 4
DEMO_API_SAMPLE_SHARE = 0.3
#: The demo's record in place of Ofcom's permission: its answers are not Ofcom's information.
DEMO_API_PERMISSION = "synthetic demo: not Ofcom's information, no permission needed"


def _speeds(rng: np.random.Generator, premises: pd.DataFrame) -> dict[str, np.ndarray]:
    """Maximum predicted speeds (Mbit/s) agreeing with each premises' OA-file flags."""
    n = len(premises)
    down = np.select(
        [
            premises["premises_gigabit"],
            premises["premises_ufbb"],
            premises["premises_sfbb"],
            premises["premises_below_uso"],
        ],
        [
            np.full(n, 1000.0),
            np.round(rng.uniform(300, 900, n)),
            np.round(rng.uniform(30, 299, n)),
            np.where(rng.uniform(size=n) < 0.2, -1.0, np.round(rng.uniform(1, 9.9, n), 1)),
        ],
        np.round(rng.uniform(10, 29.9, n), 1),
    )
    up = np.where(down < 0, -1.0, np.maximum(np.round(down / 8, 1), 1.0))
    speeds = {"MaxPredictedDown": down, "MaxPredictedUp": up}
    for tier, floor in (("Bb", 0), ("Sfbb", 30), ("Ufbb", 300)):
        has = down >= max(floor, 0.1)
        speeds[f"Max{tier}PredictedDown"] = np.where(has, down, -1.0)
        speeds[f"Max{tier}PredictedUp"] = np.where(has, up, -1.0)
    return speeds


def _ratings(
    rng: np.random.Generator, premises: pd.DataFrame, listed: np.ndarray
) -> dict[str, np.ndarray]:
    """Mobile ratings 0-4 per operator: worse with remoteness, worst in not-spot postcodes.

    Most premises of a listed not-spot postcode get no indoor data above amber from any
    operator (Ofcom lists a postcode when some of its premises do); outdoors is a step
    better than indoors, and 2G/3G alone (``No4g``) two steps worse.
    """
    n = len(premises)
    street = rng.normal(0, 0.4, premises["postcode_no"].max() + 1)[premises["postcode_no"]]
    base = 4.4 - 1.5 * premises["remoteness"].to_numpy() ** 2 + street
    dark = listed & (rng.uniform(size=n) < 0.7)
    ratings = {}
    for op in ("EE", "H3", "TF", "VO"):
        indoor = np.clip(np.round(base + rng.normal(0, 0.6, n)), 0, 4)
        indoor = np.where(dark, np.minimum(indoor, rng.integers(0, 3, n)), indoor)
        for service, extra in (("Data", 0.0), ("Voice", 0.5)):
            inside = np.clip(np.round(indoor + extra * rng.uniform(size=n)), 0, 4)
            for place, value in (("Indoor", inside), ("Outdoor", np.minimum(inside + 1, 4))):
                ratings[f"{op}{service}{place}"] = value.astype(int)
                ratings[f"{op}{service}{place}No4g"] = np.maximum(value - 2, 0).astype(int)
    return ratings


def _api_answers(
    rng: np.random.Generator,
    premises: pd.DataFrame,
    uprn: np.ndarray,
    postcodes: pd.DataFrame,
    not_spots: pd.DataFrame,
    folder: Path,
) -> None:
    """Write a synthetic cache of Ofcom API answers, as a permitted bulk fetch leaves one.

    Every postcode is answered by both endpoints in the API's own JSON shape (addresses
    already dropped, as the cache keeps them), except in :data:`DEMO_API_SAMPLED_WARDS` wards
    where only :data:`DEMO_API_SAMPLE_SHARE` of the postcodes were asked: their figures are
    estimates with intervals, as after a ``--sample-per-ward`` run.
    """
    codes = postcodes["postcode"].map(ofcom_api.api_postcode).to_numpy()
    listed = np.isin(
        postcodes["postcode"].to_numpy()[premises["postcode_no"]], not_spots["postcode"]
    )
    fields = {
        **_ratings(rng, premises, listed),
        **_speeds(rng, premises),
    }
    wards = sorted(postcodes["ward_code"].unique())
    sampled_wards = rng.choice(wards, DEMO_API_SAMPLED_WARDS, replace=False)
    asked = ~postcodes["ward_code"].isin(sampled_wards).to_numpy() | (
        rng.uniform(size=len(postcodes)) < DEMO_API_SAMPLE_SHARE
    )
    cache = ofcom_api.AnswerCache(folder, ofcom_api.MAX_CACHE_DAYS, expires=False)
    ofcom_api.record_permission(
        folder, DEMO_API_PERMISSION, synthetic=True, recorded_at=DEMO_API_FETCHED_AT
    )
    records = {
        endpoint: pd.DataFrame(
            {"UPRN": uprn, "PostCode": codes[premises["postcode_no"].to_numpy()],
             **{f: fields[f].astype(int if endpoint == "mobile" else float) for f in names}}
        ).to_dict("records")
        for endpoint, names in (("mobile", ofcom_api.MOBILE_FIELDS),
                                ("broadband", ofcom_api.BROADBAND_FIELDS))
    }  # fmt: skip
    groups = pd.Series(np.arange(len(premises))).groupby(premises["postcode_no"].to_numpy())
    for number, members in groups:
        if not asked[number]:
            continue
        code = codes[number]
        for endpoint, rows in records.items():
            items = [rows[i] for i in members.to_numpy()]
            body = (
                {"PostCode": code, "Availability": items, "DBName": DEMO_API_DB_NAME}
                if endpoint == "mobile"
                else {"PostCode": code, "Count": len(items), "Availability": items}
            )
            cache.put(
                ofcom_api.CachedAnswer(
                    code, endpoint, DEMO_API_FETCHED_AT, ofcom_api.FOUND, body,
                    ofcom_api.db_name(body),
                )
            )  # fmt: skip


_COMPASS = ("East", "North East", "North", "North West", "West", "South West", "South",
            "South East")  # fmt: skip


def _constituencies(rng: np.random.Generator, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """Group the wards into :data:`CONSTITUENCY_CODES`: equal runs of wards around the centre.

    Wards are ordered by the bearing of their centroid from the centre, starting at a random
    bearing, and cut into as many runs as there are constituencies; each is named after the
    compass point of its wards' mean centroid ("Demoshire North (synthetic)").
    """
    centres = wards.geometry.centroid
    dx, dy = centres.x - _CENTRE[0], centres.y - _CENTRE[1]
    bearing = (np.arctan2(dy, dx) - rng.uniform(0, 2 * math.pi)) % (2 * math.pi)
    runs = np.array_split(np.argsort(bearing.to_numpy()), len(CONSTITUENCY_CODES))
    code = np.empty(len(wards), dtype=object)
    name = np.empty(len(wards), dtype=object)
    for pcon, members in zip(CONSTITUENCY_CODES, runs, strict=True):
        angle = math.atan2(dy.iloc[members].mean(), dx.iloc[members].mean())
        point = _COMPASS[round(angle / (math.pi / 4)) % len(_COMPASS)]
        code[members] = pcon
        name[members] = f"Demoshire {point} (synthetic)"
    return pd.DataFrame(
        {
            "ward_code": wards["ward_code"],
            "ward_name": wards["ward_name"],
            "pcon_code": code,
            "pcon_name": name,
            "la_code": DEMO_LA_CODE,
            "la_name": DEMO_LA_NAME,
        }
    ).sort_values("ward_code")


def _mobile_constituency_rows(
    rng: np.random.Generator,
    lookup: pd.DataFrame,
    place: DemoPlace,
    postcodes: pd.DataFrame,
    not_spots: pd.DataFrame,
    release: Release,
) -> pd.DataFrame:
    """Ofcom mobile rows of the synthetic constituencies, coherent with the not-spot list.

    Premises are those of the constituency's output areas (so the rows sum to the place's);
    coverage by no or one operator weighs more the larger the share of its postcodes listed
    as not-spots (``hardship`` 1 + 20 x that share).
    """
    constituency_of = lookup.set_index("ward_code")["pcon_code"]
    oa_constituency = place.oas["ward_code"].map(constituency_of)
    listed = postcodes["postcode"].isin(not_spots["postcode"])
    listed_share = listed.groupby(postcodes["ward_code"].map(constituency_of)).mean()
    land = place.oas.geometry.area
    rows = [
        _mobile_row(
            rng,
            {"constituency_code": code, "constituency_name": name},
            int(place.oas.loc[oa_constituency == code, "premises"].sum()),
            release,
            share=float(land[oa_constituency == code].sum() / land.sum()),
            hardship=1 + 20 * float(listed_share[code]),
        )
        for code, name in lookup.groupby("pcon_code")["pcon_name"].first().items()
    ]
    return pd.concat(rows, ignore_index=True)


def _lookup_csv(rows: pd.DataFrame, headers: Mapping[str, str]) -> str:
    return (
        rows[list(headers)].rename(columns=dict(headers)).to_csv(index=False, lineterminator="\n")
    )


def write_demo_sources(folder: Path, seed: int = DEMO_SEED) -> dict[str, Path]:
    """Generate the demo place and write its source files into ``folder``.

    Parameters
    ----------
    folder : Path
        Output folder (created if needed). Existing demo files are overwritten.
    seed : int
        Seed; the same seed writes the same bytes.

    Returns
    -------
    dict of str to Path
        Role (keys of :data:`FILES`) -> written file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    place = generate_place(seed)
    rng = np.random.default_rng(seed + 1)
    paths = {role: folder / name for role, name in FILES.items()}

    wards = place.wards.assign(la_code=DEMO_LA_CODE, la_name=DEMO_LA_NAME)
    paths["wards"].write_text(
        _feature_collection(
            wards, {"ward_code": "WD22CD", "ward_name": "WD22NM", "la_code": "LAD22CD",
                    "la_name": "LAD22NM"},
        )
    )  # fmt: skip
    oas = place.oas.merge(place.lsoas[["lsoa_code", "lsoa_name"]], on="lsoa_code")
    paths["output_areas"].write_text(
        _feature_collection(oas, {"oa_code": "OA21CD", "lsoa_code": "LSOA21CD",
                                  "lsoa_name": "LSOA21NM"})
    )  # fmt: skip
    best_fit = place.lsoas.merge(wards[["ward_code", "ward_name"]], on="ward_code")
    paths["lsoa_ward_lookup"].write_text(
        _lookup_csv(
            best_fit.assign(la_code=DEMO_LA_CODE, la_name=DEMO_LA_NAME),
            {"lsoa_code": "LSOA21CD", "lsoa_name": "LSOA21NM", "ward_code": "WD22CD",
             "ward_name": "WD22NM", "la_code": "LAD22CD", "la_name": "LAD22NM"},
        )
    )  # fmt: skip

    fixed = _fixed_oa_counts(rng, place.oas)
    _write_csv(
        paths["ofcom_fixed_oa"],
        ofcom_fixed.OA_RELEASES[-1],
        _as_published(fixed, {"oa_code": fixed.index}),
        bom=False, crlf=False, final_newline=True,
    )  # fmt: skip
    _write_csv(
        paths["ofcom_fixed_la"],
        ofcom_fixed.LA_RELEASES[-1],
        _fixed_la_row(rng, fixed),
        bom=False, crlf=True, final_newline=True,
    )  # fmt: skip
    mobile = ofcom_mobile.LA_RELEASES[-1]
    _write_csv(
        paths["ofcom_mobile_la"],
        mobile,
        _mobile_row(rng, {"la_code": DEMO_LA_CODE, "la_name": DEMO_LA_NAME},
                    int(place.oas["premises"].sum()), mobile),
        bom=False, crlf=True, final_newline=True,
    )  # fmt: skip
    _write_csv(
        paths["iod"],
        iod.FILE_2_RELEASE,
        _iod_table(rng, place.lsoas),
        bom=True, crlf=True, final_newline=False,
    )  # fmt: skip
    _write_csv(
        paths["iod_2025"],
        iod.FILE_7_2025_RELEASE,
        _iod_table(np.random.default_rng(seed + 11), place.lsoas, national=33_755, scores=True),
        bom=False, crlf=True, final_newline=True,
    )  # fmt: skip
    per_lsoa = place.oas.groupby("lsoa_code")["premises"].sum()
    residents = np.round(
        per_lsoa.reindex(place.lsoas["lsoa_code"]).to_numpy() * rng.normal(2.3, 0.15, len(per_lsoa))
    ).astype(int)
    paths["census_age"].write_bytes(_census_text(rng, place.lsoas, residents).encode())
    age = census.read_census_age(paths["census_age"]).set_index("lsoa_code")
    leaves = _census_topic_leaves(
        np.random.default_rng(seed + 10), place.lsoas, age.loc[place.lsoas["lsoa_code"]]
    )
    for table, topic in census_topics.TOPICS.items():
        paths[topic.role].write_text(_census_topic_csv(topic, leaves[table], place.lsoas))
    paths["dwp_pension_credit"].write_text(
        _pension_credit_csv(np.random.default_rng(seed + 12), place.lsoas, age)
    )
    postcodes = _postcodes(np.random.default_rng(seed + 2), place)
    _write_csv(
        paths["postcodes"], ons_geography.POSTCODES_DATALAB, postcodes,
        bom=False, crlf=False, final_newline=True,
    )  # fmt: skip
    venues = _venues(np.random.default_rng(seed + 3), postcodes)
    paths["venues"].write_text(venues.to_csv(index=False, lineterminator="\r\n"), "utf-8")

    premises = _premises(np.random.default_rng(seed + 4), postcodes, place.oas, fixed)
    plans = _bduk_plans(np.random.default_rng(seed + 5), premises, postcodes)
    for role, month in BDUK_MONTHS.items():
        _write_csv(
            paths[role], bduk.RELEASE_2025, _bduk_release(plans, month),
            bom=month == "2025-03", crlf=False, final_newline=True,
        )  # fmt: skip
    _write_csv(
        paths["ofcom_fixed_postcode"],
        ofcom_fixed.POSTCODE_RELEASES[-1],
        _fixed_postcode_table(premises, postcodes),
        bom=False, crlf=False, final_newline=True,
    )  # fmt: skip
    not_spots = _not_spots(np.random.default_rng(seed + 6), postcodes, place, fixed)
    paths["ofcom_mobile_not_spots"].write_text(not_spots.to_csv(index=False, lineterminator="\n"))
    _api_answers(
        np.random.default_rng(seed + 9), premises, plans["uprn"].to_numpy(), postcodes,
        not_spots, ofcom_api.place_cache(DEMO_LA_CODE, folder / API_CACHE),
    )  # fmt: skip
    constituencies = _constituencies(np.random.default_rng(seed + 7), place.wards)
    paths["ward_constituency_lookup"].write_text(
        _lookup_csv(
            constituencies,
            {"ward_code": "WD22CD", "ward_name": "WD22NM", "pcon_code": "PCON22CD",
             "pcon_name": "PCON22NM", "la_code": "LAD22CD", "la_name": "LAD22NM"},
        )
    )  # fmt: skip
    mobile_pcon = ofcom_mobile.PCON_RELEASES[-1]
    _write_csv(
        paths["ofcom_mobile_constituency"],
        mobile_pcon,
        _mobile_constituency_rows(
            np.random.default_rng(seed + 8), constituencies, place, postcodes, not_spots,
            mobile_pcon,
        ),
        bom=False, crlf=True, final_newline=True,
    )  # fmt: skip
    (folder / "SYNTHETIC_DEMO_DATA.txt").write_text(
        f"Every file in this folder is {SYNTHETIC_LABEL}.\n"
        f"Generated by digital-inclusion-map (ingest.demo, seed {seed}) in the real formats of\n"
        "ONS, Ofcom, BDUK, MHCLG and Nomis so that the demo runs through the real parsers.\n"
    )
    return paths
