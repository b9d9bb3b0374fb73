"""A deterministic, synthetic demo place, written as files shaped exactly like the real sources.

Nothing here is real. The generator draws a fictional local authority ("Demoshire", code
``E08999999``) of nested output areas, LSOAs and wards in British National Grid, then writes
the same files a council would download: ONS boundaries and lookups, an Ofcom Connected
Nations fixed output-area file and mobile local-authority file, an English IoD 2019 File 2, a
Census 2021 RM121 Nomis table, a postcode directory extract and a council's list of outreach
venues. The store is then built from
these files by the same parsers and joins as real data (:mod:`ingest.build`), so the demo
exercises the whole pipeline.

Same ``seed``, same bytes: every draw comes from one ``numpy.random.Generator`` in a fixed
order, and files are written with fixed formatting.
"""

from __future__ import annotations

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

from ingest import census, iod, ofcom_fixed, ofcom_mobile, ons_geography
from ingest._tables import Release
from ingest.settings import ANALYSIS_CRS, WEB_CRS

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

#: File names the demo writes; the same names the publishers use where they have one.
FILES = {
    "wards": "Wards_May_2022_Boundaries_UK_BGC_demo.geojson",
    "output_areas": "Output_Areas_2021_EW_BGC_demo.geojson",
    "lsoa_ward_lookup": "LSOA21_WD22_LAD22_EW_LU_best_fit_demo.csv",
    "ofcom_fixed_oa": "202601_fixed_oa_coverage_r1.csv",
    "ofcom_fixed_la": "202507_fixed_laua_coverage_r01.csv",
    "ofcom_mobile_la": "202507_mobile_coverage_laua_r01.csv",
    "iod": "File_2_-_IoD2019_Domains_of_Deprivation.csv",
    "census_age": "Census 2021 - Population.csv",
    "postcodes": "demoshire_postcodes.csv",
    "venues": "demoshire_outreach_venues.csv",
}
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


def _mobile_la_row(rng: np.random.Generator, premises: int, release: Release) -> pd.DataFrame:
    """One LA row of Ofcom mobile coverage: each family of operator counts sums to 100 %."""
    row: dict[str, str] = {
        "la_code": DEMO_LA_CODE,
        "la_name": DEMO_LA_NAME,
        "premises": str(premises),
        "landmass_pixels": str(int(math.pi * (_RADIUS_M / 100) ** 2)),
        "ab_road_segments": str(int(rng.integers(800, 1200))),
        "a_road_motorway_segments": str(int(rng.integers(300, 500))),
    }
    for family, columns in _mobile_families(release).items():
        if family.startswith("pct_motorways_"):
            continue  # Demoshire has no motorway: the whole family is blank (not applicable)
        worse = 3.0 if "landmass" in family or "5g" in family else 1.0
        weights = np.array([0.5 * worse, 1.0 * worse, 2.5, 8.0, 30.0][: len(columns)])
        shares = rng.dirichlet(weights * 4)
        cents = np.floor(shares * 10_000).astype(int)
        cents[-1] += 10_000 - cents.sum()
        for column, value in zip(columns, cents, strict=True):
            row[column] = "" if value == 0 else f"{value / 100:g}"
    return pd.DataFrame([row])


def _iod_table(rng: np.random.Generator, lsoas: pd.DataFrame) -> pd.DataFrame:
    """IoD 2019 File 2 rows: national ranks (1 = most deprived of 32,844) and deciles."""
    national = 32_844
    table = {
        "lsoa_code": lsoas["lsoa_code"],
        "lsoa_name": lsoas["lsoa_name"],
        "la_code": DEMO_LA_CODE,
        "la_name": DEMO_LA_NAME,
    }
    for domain in iod.DOMAINS:
        noise = 0.0 if domain == "imd" else rng.normal(0, 0.1, len(lsoas))
        level = np.clip(lsoas["deprivation"].to_numpy() + noise, 0, 1)
        rank = np.clip(np.round((1 - level) * (national - 1)) + 1, 1, national).astype(int)
        table[f"{domain}_rank"] = rank.astype(str)
        table[f"{domain}_decile"] = np.ceil(rank * 10 / national).astype(int).astype(str)
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
    LSOA; about :data:`_PREMISES_PER_POSTCODE` premises per postcode.
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
        _mobile_la_row(rng, int(place.oas["premises"].sum()), mobile),
        bom=False, crlf=True, final_newline=True,
    )  # fmt: skip
    _write_csv(
        paths["iod"],
        iod.FILE_2_RELEASE,
        _iod_table(rng, place.lsoas),
        bom=True, crlf=True, final_newline=False,
    )  # fmt: skip
    per_lsoa = place.oas.groupby("lsoa_code")["premises"].sum()
    residents = np.round(
        per_lsoa.reindex(place.lsoas["lsoa_code"]).to_numpy() * rng.normal(2.3, 0.15, len(per_lsoa))
    ).astype(int)
    paths["census_age"].write_bytes(_census_text(rng, place.lsoas, residents).encode())
    postcodes = _postcodes(np.random.default_rng(seed + 2), place)
    _write_csv(
        paths["postcodes"], ons_geography.POSTCODES_DATALAB, postcodes,
        bom=False, crlf=False, final_newline=True,
    )  # fmt: skip
    venues = _venues(np.random.default_rng(seed + 3), postcodes)
    paths["venues"].write_text(venues.to_csv(index=False, lineterminator="\r\n"), "utf-8")
    (folder / "SYNTHETIC_DEMO_DATA.txt").write_text(
        f"Every file in this folder is {SYNTHETIC_LABEL}.\n"
        f"Generated by digital-inclusion-map (ingest.demo, seed {seed}) in the real formats of\n"
        "ONS, Ofcom, MHCLG and Nomis so that the demo runs through the real parsers.\n"
    )
    return paths
