"""Lobbying outputs of the evidence pack: gigabit plans, constituencies, changes, slide maps.

Every expectation is counted by hand from the tiny store below (three wards, two
constituencies), never recomputed by the code under test.
"""

import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import box

from evidence import EvidenceError, build_pack, map_image, render_pdf, write_pack, zip_bytes
from evidence.__main__ import main
from evidence.plans import NO_BDUK, NO_LOOKUP, NO_NOT_SPOTS, NO_SPEED, ONE_RELEASE
from evidence.view import ViewState
from ingest import store

LA = "E08999990"
HYPERLINK = '=HYPERLINK("http://x.example","click")'
BDUK_FILE = "E08999990_premises_in_bduk_plans_2025-07.csv"
OS = "Contains OS data © Crown copyright and database right"
OFCOM = "Contains Ofcom data © Ofcom"
BDUK = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(Building Digital UK)"
)
SOURCES = [
    {"role": "wards", "file": "Wards_2024.geojson", "release": "ward 2024", "attribution": OS},
    {"role": "ofcom_fixed_oa", "file": "202507_fixed_oa.csv", "release": "202507",
     "attribution": OFCOM},
    {"role": "bduk_premises", "file": BDUK_FILE, "release": "BDUK premises in plans (2025 layout)",
     "attribution": f"{BDUK}; premises base: {OS}"},
]  # fmt: skip
for source in SOURCES:
    source.update(publisher=source["role"], licence="Open Government Licence v3.0")

PLAN_FILES = {"constituencies.csv", "wards_no_gigabit_no_plan.csv", "bduk_changes.csv"}
MAP_FILES = {
    f"map_{name}.{fmt}"
    for name in ("no_gigabit_no_plan", "pct_premises_without_gigabit")
    for fmt in ("png", "svg")
}
BASE_FILES = {"evidence.pdf", "wards.csv", "wards.geojson", "wards.gpkg", "trend.csv"}


def _wards(*, bduk: bool) -> gpd.GeoDataFrame:
    wards = gpd.GeoDataFrame(
        {
            "ward_code": ["E05900001", "E05900002", "E05900003"],
            "ward_name": ["Alder", "Birch", "Cedar"],
            "la_code": LA,
            "la_name": "Tinyshire",
            "residents": [1000, 2000, 3000],
            "residents_65_plus": [100, 300, 600],
            "pct_residents_65_plus": [10.0, 15.0, 20.0],
            "premises": [520, 790, 1250],  # Ofcom's count, not BDUK's
            "premises_below_uso": [10, 0, 60],
            "pct_premises_below_uso": [2.0, 0.0, 5.0],
            "premises_without_gigabit": [100, 80, 600],
            "pct_premises_without_gigabit": [20.0, 10.0, 50.0],
            "la_pct_premises_no_4g_indoor": 2.0,
        },
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(0, 1000, 2000, 2000)],
        crs="EPSG:27700",
    )
    if not bduk:
        return wards
    counts = {
        "bduk_premises": [500, 800, 1200],
        "premises_gigabit_now": [300, 700, 500],
        "premises_project_gigabit": [100, 40, 200],
        "premises_voucher_project": [0, 10, 0],
        "premises_commercial_plan": [50, 30, 100],
        "premises_under_review": [10, 0, 40],
        "premises_no_gigabit_no_plan": [40, 20, 360],
        "bduk_premises_not_recognised": [5, 0, 7],
        "mobile_not_spot_postcodes": [2, 0, 5],
    }
    for name, values in counts.items():
        wards[name] = pd.array(values, dtype="int64")
    wards["pct_premises_no_gigabit_no_plan"] = [8.0, 2.5, 30.0]
    wards["pct_premises_gigabit_now"] = [60.0, 87.5, 500 / 12]
    wards["premises_in_mobile_not_spot_postcodes"] = pd.array([30, 0, 90], dtype="Int64")
    wards["premises_double_not_spot_min"] = pd.array([1, 0, pd.NA], dtype="Int64")
    wards["premises_double_not_spot_max"] = pd.array([4, 0, pd.NA], dtype="Int64")
    wards["pct_premises_in_mobile_not_spot_postcodes"] = [6.0, 0.0, 7.5]
    wards["constituency_code"] = ["E14900001", "E14900001", "E14900002"]
    wards["constituency_name"] = ["Tiny North", "Tiny North", "Tiny South"]
    return wards


def _tables() -> dict[str, pd.DataFrame]:
    constituencies = pd.DataFrame(
        {
            "constituency_code": ["E14900001", "E14900002"],
            "constituency_name": ["Tiny North", "Tiny South"],
            "bduk_premises": [1300, 1200],
            "premises_gigabit_now": [1000, 500],
            "premises_project_gigabit": [140, 200],
            "premises_voucher_project": [10, 0],
            "premises_commercial_plan": [80, 100],
            "premises_under_review": [10, 40],
            "premises_no_gigabit_no_plan": [60, 360],
            "bduk_premises_not_recognised": [5, 7],
            "pct_premises_no_gigabit_no_plan": [60 / 13, 30.0],
            "pct_premises_no_4g_indoor": [1.5, 4.25],
        }
    )
    contracts = pd.DataFrame(
        {
            "ward_code": ["E05900001", "E05900001", "E05900002", "E05900003"],
            "contract": ["Lot 9 North", "Lot 9 South", "Lot 11", "Lot 10"],
            "supplier": ["FibreCo", "AirNet", HYPERLINK, "FibreCo"],
            "final_coverage_date": ["2027-03-31", "2026-12-31", "2026-06-30", "2028-01-31"],
            "contract_scope": "not given",
            "premises": [60, 40, 40, 200],
        }
    )
    changes = pd.DataFrame(
        {
            "ward_code": ["E05900001", "E05900002", "E05900003"],
            "premises_before": [495, 800, 1190],
            "premises_now": [500, 800, 1200],
            "gigabit_before": [250, 690, 480],
            "gigabit_now": [300, 700, 500],
            "no_plan_before": [70, 20, 355],
            "no_plan_now": [40, 20, 360],
            "gained_gigabit": [50, 10, 20],
            "left_no_plan": [30, 0, 5],
            "joined_no_plan": [0, 0, 10],
            "new_premises": [5, 0, 10],
            "removed_premises": [0, 0, 0],
            "release_before": "2025-03",
            "release_now": "2025-07",
        }
    )
    return {
        "constituency_plans": constituencies,
        "bduk_contracts": contracts,
        "bduk_changes": changes,
    }


def _manifest(*, bduk: bool, synthetic: bool = False) -> dict:
    manifest = {
        "la_code": LA,
        "la_name": "Tinyshire",
        "built_at": "2025-08-01T10:00:00+00:00",
        "ward_vintage": "2024",
        "synthetic": synthetic,
        "sources": SOURCES if bduk else SOURCES[:2],
        "notes": [],
        "bduk": {},
    }
    if bduk:
        manifest["bduk"] = {
            "file": BDUK_FILE,
            "release_month": "2025-07",
            "rows": 2520,
            "placed": 2512,
            "not_placed": {"no postcode": 3, "not in the directory": 5, "in no area": 0},
        }
    return manifest


def _store(root: Path, *, bduk: bool = True, tables: tuple[str, ...] | None = None, **kw) -> Path:
    chosen = _tables() if bduk else {}
    if tables is not None:
        chosen = {name: chosen[name] for name in tables}
    store.write_place(_wards(bduk=bduk), _manifest(bduk=bduk, **kw), store=root, tables=chosen)
    return root


@pytest.fixture(scope="module")
def plan_store(tmp_path_factory) -> Path:
    return _store(tmp_path_factory.mktemp("plans"))


@pytest.fixture(scope="module")
def plan_pack(plan_store):
    return build_pack(LA, store_dir=plan_store)


@pytest.fixture(scope="module")
def plan_files(plan_pack, tmp_path_factory) -> dict[str, Path]:
    paths = write_pack(plan_pack, tmp_path_factory.mktemp("pack"))
    return {p.name.removeprefix(f"{LA}_"): p for p in paths}


@pytest.fixture(scope="module")
def plan_text(plan_files) -> str:
    return _text(plan_files["evidence.pdf"].read_bytes())


def _text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def _csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)


def test_pack_holds_the_plan_tables_and_slide_maps(plan_files):
    assert set(plan_files) == BASE_FILES | PLAN_FILES | MAP_FILES | {"manifest.json"}
    manifest = json.loads(plan_files["manifest.json"].read_text())
    assert manifest["evidence_pack"]["not_written"] == {}
    assert f"{LA}_constituencies.csv" in manifest["evidence_pack"]["files"]


def test_constituency_csv_has_the_stores_counts(plan_files):
    table = _csv(plan_files["constituencies.csv"])
    assert table["Westminster constituency"].tolist() == ["Tiny South", "Tiny North"]
    assert table["BDUK premises: no gigabit and no plan (number)"].tolist() == [360, 60]
    assert table["BDUK premises: no gigabit and no plan (%)"].tolist() == [30.0, 4.62]
    assert table["BDUK recognised premises (number)"].tolist() == [1200, 1300]
    assert table["BDUK premises: in a Project Gigabit contract (number)"].tolist() == [200, 140]
    assert table["BDUK premises: in a commercial gigabit plan (number)"].tolist() == [100, 80]
    mobile = "Premises with no indoor 4G from any operator, whole constituency (Ofcom, %)"
    assert table[mobile].tolist() == [4.25, 1.5]
    assert set(table["Premises counted"]) == {"Tinyshire's premises in the constituency only"}


def test_no_plan_wards_csv_is_sorted_with_the_wards_contracts(plan_files):
    table = _csv(plan_files["wards_no_gigabit_no_plan.csv"])
    assert table["Ward name"].tolist() == ["Cedar", "Alder", "Birch"]
    assert table["BDUK premises: no gigabit and no plan (number)"].tolist() == [360, 40, 20]
    assert table["BDUK premises: no gigabit and no plan (%)"].tolist() == [30.0, 8.0, 2.5]
    assert table["BDUK recognised premises (number)"].tolist() == [1200, 500, 800]
    assert table["Westminster constituency (best fit of the ward)"].tolist() == [
        "Tiny South",
        "Tiny North",
        "Tiny North",
    ]
    alder = table.set_index("Ward name").loc["Alder"]
    assert alder["Project Gigabit contracts in the ward (supplier, final coverage, premises)"] == (
        "Lot 9 North (FibreCo, final coverage 2027-03-31, 60 premises); "
        "Lot 9 South (AirNet, final coverage 2026-12-31, 40 premises)"
    )
    assert alder["Project Gigabit suppliers"] == "FibreCo; AirNet"
    assert alder["Project Gigabit final coverage dates (as BDUK writes them)"] == (
        "2026-12-31; 2027-03-31"
    )


def test_a_supplier_written_as_a_formula_is_text_in_the_csv(plan_files):
    table = _csv(plan_files["wards_no_gigabit_no_plan.csv"]).set_index("Ward name")
    assert table.loc["Birch", "Project Gigabit suppliers"] == "'" + HYPERLINK
    text = plan_files["wards_no_gigabit_no_plan.csv"].read_text(encoding="utf-8-sig")
    assert not any(cell.startswith("=") for line in text.splitlines() for cell in line.split(","))


def test_changes_csv_has_the_stores_changes(plan_files):
    table = _csv(plan_files["bduk_changes.csv"])
    assert table["Ward name"].tolist() == ["Alder", "Birch", "Cedar"]  # biggest fall first
    assert table["No gigabit and no plan, earlier release (premises)"].tolist() == [70, 20, 355]
    assert table["No gigabit and no plan, newer release (premises)"].tolist() == [40, 20, 360]
    assert table["Gained gigabit between the releases (premises)"].tolist() == [50, 10, 20]
    assert set(table["Earlier BDUK release (YYYY-MM)"]) == {"2025-03"}


def test_ward_csv_carries_the_new_columns_and_leaves_unknown_blank(plan_files):
    table = pd.read_csv(plan_files["wards.csv"], encoding="utf-8-sig")
    assert table["BDUK premises: no gigabit and no plan (number)"].sum() == 420
    assert table["BDUK premises: gigabit-capable now (number)"].sum() == 1500
    assert table["Ofcom mobile not-spot postcodes (number)"].sum() == 7
    at_most = table.set_index("Ward name")[
        "Premises in double not-spots, at most (number; blank: not known)"
    ]
    assert at_most["Alder"] == 4
    assert pd.isna(at_most["Cedar"])
    gpkg = gpd.read_file(plan_files["wards.gpkg"])
    assert gpkg["BDUK premises: no gigabit and no plan (number)"].sum() == 420


def test_pdf_has_the_gigabit_plans_headline_and_sources(plan_text):
    assert "Gigabit plans" in plan_text
    assert "420 premises (16.8%) with no gigabit and no plan" in plan_text  # 420 of 2,500
    squeezed = plan_text.replace(" ", "")
    assert BDUK_FILE in squeezed
    assert "release Jul 2025" in plan_text
    assert "Open Government Licence v3.0" in plan_text
    assert "not placed (8): 3 no postcode, 5 not in the directory" in plan_text
    assert "Tiny South" in plan_text and "Tiny North" in plan_text
    assert "went from 445 to 420: 35 premises left that status and 10 joined it" in plan_text
    assert "80 premises gained gigabit" in plan_text


def test_pdf_states_not_spot_premises_and_double_not_spot_bounds(plan_text):
    assert "7 of Ofcom's mobile not-spot postcodes" in plan_text
    assert "holding 120 premises, 4.8% of its BDUK premises" in plan_text
    assert "between 1 and 4 premises" in plan_text  # Cedar not known, left out
    assert "Not known in 1 ward(s)" in plan_text and "(Cedar)" in plan_text
    assert "between max(0, u - n + 1) (at least one premises lacks mobile) and u" in plan_text
    assert "a speed, not USO eligibility" in plan_text
    assert "by ward, from Ofcom's mobile not-spot postcodes" in plan_text


def test_a_store_without_bduk_says_not_known_never_zero(tmp_path):
    pack = build_pack(LA, store_dir=_store(tmp_path / "store", bduk=False))
    paths = {p.name.removeprefix(f"{LA}_") for p in write_pack(pack, tmp_path / "pack")}
    assert paths == BASE_FILES | {"map_pct_premises_without_gigabit.png"} | {
        "map_pct_premises_without_gigabit.svg",
        "manifest.json",
    }
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    assert manifest["evidence_pack"]["not_written"] == {
        f"{LA}_{name}": NO_BDUK for name in PLAN_FILES
    }
    text = _text((tmp_path / "pack" / f"{LA}_evidence.pdf").read_bytes())
    assert f"Premises with no gigabit and no plan: {NO_BDUK}" in text
    assert f"Premises by constituency: {NO_BDUK}" in text
    assert f"What changed since the last BDUK release: {NO_BDUK}" in text
    assert f"Mobile not-spot postcodes: {NO_NOT_SPOTS}" in text
    assert "0 premises" not in text
    assert "by ward, from Ofcom's mobile not-spot postcodes" not in text


def test_a_build_without_lookup_or_second_release_names_each_reason(tmp_path):
    pack = build_pack(LA, store_dir=_store(tmp_path, tables=("bduk_contracts",)))
    text = _text(render_pdf(pack))
    assert "420 premises (16.8%) with no gigabit and no plan" in text
    assert f"Premises by constituency: {NO_LOOKUP}" in text
    assert f"What changed since the last BDUK release: {ONE_RELEASE}" in text


def test_not_spots_without_premises_or_speed_data_are_not_known(tmp_path):
    wards = _wards(bduk=False).assign(mobile_not_spot_postcodes=[2, 0, 5])
    for name in ("premises_in_mobile_not_spot_postcodes", "premises_double_not_spot_min",
                 "premises_double_not_spot_max"):  # fmt: skip
        wards[name] = pd.array([pd.NA] * 3, dtype="Int64")
    store.write_place(wards, _manifest(bduk=False), store=tmp_path)
    text = _text(render_pdf(build_pack(LA, store_dir=tmp_path)))
    assert "7 of Ofcom's mobile not-spot postcodes are in the authority's wards" in text
    assert f"the premises in them are {NO_BDUK}" in text
    assert f"a speed, not USO eligibility): {NO_BDUK}." in text

    bduk = _wards(bduk=True)
    for name in ("premises_double_not_spot_min", "premises_double_not_spot_max"):
        bduk[name] = pd.array([pd.NA] * 3, dtype="Int64")
    store.write_place(bduk, _manifest(bduk=True), store=tmp_path / "speed", tables=_tables())
    text = _text(render_pdf(build_pack(LA, store_dir=tmp_path / "speed")))
    assert f"a speed, not USO eligibility): {NO_SPEED}." in text


@pytest.mark.parametrize(
    "name", ["pct_premises_no_gigabit_no_plan", "la_pct_premises_no_4g_indoor"]
)
def test_slide_map_png_is_16_by_9_at_150_dpi(plan_pack, name):
    png = map_image(plan_pack, name, "png")
    assert Image.open(io.BytesIO(png)).size == (2000, 1125)
    assert map_image(plan_pack, name, "png") == png


def test_slide_map_svg_is_vector_with_its_text_and_attribution(plan_pack):
    svg = map_image(plan_pack, "pct_premises_no_gigabit_no_plan", "svg")
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    assert not root.findall(".//{http://www.w3.org/2000/svg}image")  # no raster inside
    text = " ".join(
        "".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")
    )
    for attribution in (OS, OFCOM, BDUK):
        assert attribution in text
    assert "Tinyshire (E08999990), by ward. Data: BDUK Jul 2025." in text
    assert "% of BDUK recognised premises" in text
    assert "SYNTHETIC" not in text
    assert map_image(plan_pack, "pct_premises_no_gigabit_no_plan", "svg") == svg


def test_a_synthetic_places_slide_maps_say_so(tmp_path):
    pack = build_pack(LA, store_dir=_store(tmp_path, synthetic=True))
    svg = map_image(pack, "pct_premises_without_gigabit", "svg").decode()
    assert "SYNTHETIC DEMO DATA" in svg
    assert "Ofcom Jul 2025" in svg


def test_map_image_refuses_unknown_indicators_and_formats(plan_pack):
    with pytest.raises(EvidenceError, match="unknown indicator 'nonsense'"):
        map_image(plan_pack, "nonsense")
    with pytest.raises(ValueError, match="fmt must be 'png' or 'svg'; found 'jpg'"):
        map_image(plan_pack, "risk_index", "jpg")


def test_zip_and_command_write_the_same_plan_files(plan_store, plan_files, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes(build_pack(LA, store_dir=plan_store))))
    zipped = {Path(n).name: archive.read(n) for n in archive.namelist()}
    assert set(zipped) == {p.name for p in plan_files.values()}
    out = tmp_path / "cli"
    assert main(["--la", LA, "--store", str(plan_store), "--out", str(out), "--quiet"]) == 0
    for name in PLAN_FILES | MAP_FILES:
        written = (out / f"{LA}_{name}").read_bytes()
        assert written == zipped[f"{LA}_{name}"] == plan_files[name].read_bytes()


def test_the_current_indicator_map_is_written_once(plan_store, tmp_path):
    pack = build_pack(
        LA, store_dir=plan_store, view=ViewState(LA, indicator="pct_premises_no_gigabit_no_plan")
    )
    names = {p.name for p in write_pack(pack, tmp_path)}
    assert {n for n in names if "map_" in n} == {
        f"{LA}_map_no_gigabit_no_plan.png",
        f"{LA}_map_no_gigabit_no_plan.svg",
    }
