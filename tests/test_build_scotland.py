"""A Scottish council area through the build: real SIMD 2020v2, UK wards and Ofcom files.

../shared/data holds no data zone -> ward lookup, so the test writes one for Angus
(S12000041) in the Scottish Government's layout (``DataZone2011lookup_<date>.csv``, saved in
Windows-1252 as some releases are). Its data zones are Angus's real ones from SIMD; their
assignment to Angus's real multi-member wards is **synthetic**: whole intermediate zones dealt
round the wards in turn. Everything else is read from the real files.
"""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.index import DEFAULT_SPEC, compute_index
from ingest import build, discover, store
from ingest._errors import IngestError
from ingest.sources import data_zones, ofcom_fixed, ofcom_mobile, ons_geography, simd

ANGUS = "S12000041"
APP = str(Path(__file__).resolve().parents[1] / "app.py")
SIMD_RANKS = "simd2020v2/SIMD+2020v2+-+ranks.csv"
UK_WARDS = "ons_wards_dec2022_uk_bsc/Wards_December_2022_Boundaries_UK_BSC.gpkg"
WARD_LAD = "ons_ward_lad_lookups/Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"  # noqa: E501
REAL_FILES = (
    SIMD_RANKS,
    "simd2020v2/SIMD+2020v2+-+indicators.csv",
    UK_WARDS,
    WARD_LAD,
    "ofcom_fixed_laua/202507_fixed_laua_coverage_r01.csv",
    "ofcom_fixed_laua/2019_data.csv",
    "ofcom_mobile_laua/202507_mobile_coverage_laua_r01_extract.csv",
)


def write_lookup(path: Path, zones: pd.DataFrame, *, code_header: str = "DZ2011_Code") -> Path:
    """Write ``zones`` (data_zone_code, ward_code, ward_name, la_code) in the published layout."""
    pd.DataFrame(
        {
            code_header: zones["data_zone_code"],
            "DZ2011_Name": zones["data_zone_code"].str.replace("S01", "Zone ", regex=False),
            "MMWard_Code": zones["ward_code"],
            "MMWard_Name": zones["ward_name"],
            "LA_Code": zones["la_code"],
            "LA_Name": "Angus",
            "Country_Code": "S92000003",
            "Country_Name": "Scotland",
        }
    ).to_csv(path, index=False, encoding="cp1252")
    return path


def sources_without_lookup(sources: Path, folder: Path) -> Path:
    """``folder`` holding links to every file of ``sources`` but its data zone lookup."""
    folder.mkdir()
    for path in sources.iterdir():
        if "DataZone" not in path.name:
            (folder / path.name).symlink_to(path.resolve())
    return folder


@pytest.fixture(scope="module")
def angus_zones(shared_data) -> pd.DataFrame:
    """Angus's real data zones, dealt to its real wards by intermediate zone (synthetic)."""
    ranks = simd.read_simd(shared_data / SIMD_RANKS)
    zones = ranks[ranks["council_area"] == "Angus"].sort_values("data_zone_code")
    lookup = ons_geography.read_lookup(shared_data / WARD_LAD)
    wards = lookup[lookup["la_code"] == ANGUS].sort_values("ward_code").reset_index(drop=True)
    intermediate = {name: i for i, name in enumerate(sorted(zones["intermediate_zone"].unique()))}
    turn = zones["intermediate_zone"].map(intermediate) % len(wards)
    return pd.DataFrame(
        {
            "data_zone_code": zones["data_zone_code"].to_numpy(),
            "ward_code": wards["ward_code"].to_numpy()[turn],
            "ward_name": wards["ward_name"].to_numpy()[turn],
            "la_code": ANGUS,
        }
    ).assign(
        population=zones["population_total"].to_numpy(), decile=zones["simd_decile"].to_numpy()
    )


@pytest.fixture(scope="module")
def angus_sources(shared_data, angus_zones, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scotland_sources")
    for real in REAL_FILES:
        (folder / Path(real).name).symlink_to(shared_data / real)
    write_lookup(folder / "DataZone2011lookup_2024-12-16.csv", angus_zones)
    return folder


@pytest.fixture(scope="module")
def angus(angus_sources, tmp_path_factory) -> Path:
    store_dir = tmp_path_factory.mktemp("scotland_store")
    build.build_place(ANGUS, angus_sources, store_dir=store_dir, verbose=False)
    return store_dir


def test_data_zone_lookup_reads_the_published_layout(tmp_path, angus_zones):
    path = write_lookup(tmp_path / "DataZone2011lookup_2024-12-16.csv", angus_zones)
    path.write_bytes(path.read_bytes().replace(b"Angus", b"Angus \x96 test"))  # cp1252 en dash
    lookup = data_zones.read_data_zone_lookup(path)
    assert list(lookup.columns) == [
        "data_zone_code",
        "ward_code",
        "ward_name",
        "la_code",
        "la_name",
    ]
    assert len(lookup) == len(angus_zones)
    assert lookup["la_name"].iloc[0] == "Angus \u2013 test"
    assert lookup.attrs["data_zone_vintage"] == 2011
    assert lookup.attrs["release"] == "2024-12-16"


def test_data_zone_lookup_is_recognised_by_its_headers(angus_sources):
    found = discover.discover(angus_sources)
    assert [p.name for p in found.get("data_zone_ward_lookup")] == [
        "DataZone2011lookup_2024-12-16.csv"
    ]
    assert len(found.get("simd")) == 2
    assert found.get("ward_la_lookup")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="MMWard_Code"), r"lacks column\(s\) \['MMWard_Code'\]"),
        (lambda f: f.drop(columns="DZ2011_Code"), "needs exactly one data zone code column"),
        (lambda f: f.assign(Notes="x"), r"column\(s\) \['Notes'\] that are not"),
        (
            lambda f: f.assign(MMWard_Code=f["MMWard_Code"].where(f.index != 3, "E05000001")),
            "column 'MMWard_Code', line 5: found 'E05000001'; expected a multi-member ward",
        ),
        (lambda f: pd.concat([f, f.iloc[[0]]]), "appear on more than one row"),
        (lambda f: f.iloc[0:0], "has a header but no rows"),
    ],
)
def test_data_zone_lookup_refuses_bad_files(tmp_path, angus_zones, change, message):
    path = write_lookup(tmp_path / "lookup.csv", angus_zones)
    change(pd.read_csv(path, encoding="cp1252", dtype=str)).to_csv(path, index=False)
    with pytest.raises(IngestError, match=message) as error:
        data_zones.read_data_zone_lookup(path)
    assert "lookup.csv" in str(error.value)


def test_scotland_conserves_simd_residents_by_ward(angus, angus_zones):
    wards = store.read_wards(ANGUS, store=angus)
    assert sorted(wards["ward_code"]) == sorted(angus_zones["ward_code"].unique())
    assert wards["residents"].sum() == angus_zones["population"].sum()
    by_ward = angus_zones.groupby("ward_code")["population"].sum()
    assert (wards.set_index("ward_code")["residents"] == by_ward).all()
    most_deprived = angus_zones.loc[angus_zones["decile"] == 1, "population"].sum()
    assert wards["residents_most_deprived_decile"].sum() == most_deprived
    assert wards["data_zones"].sum() == len(angus_zones)
    assert wards["imd_average_rank"].between(1, simd.N_DATA_ZONES).all()
    assert not {"residents_65_plus", "pct_residents_65_plus"} & set(wards.columns)


def test_scotland_carries_ofcom_context_and_says_what_is_missing(angus, shared_data):
    wards = store.read_wards(ANGUS, store=angus)
    manifest = store.read_manifest(ANGUS, store=angus)
    la = ofcom_fixed.read_fixed_la(
        shared_data / "ofcom_fixed_laua/202507_fixed_laua_coverage_r01.csv"
    ).set_index("la_code")
    assert (wards["la_pct_premises_below_uso"] == la.loc[ANGUS, "pct_premises_below_uso"]).all()
    mobile = ofcom_mobile.read_mobile_la(
        shared_data / "ofcom_mobile_laua/202507_mobile_coverage_laua_r01_extract.csv"
    ).set_index("la_code")
    no_4g = mobile.loc[ANGUS, "pct_premises_4g_indoor_0_operators"]
    assert (wards["la_pct_premises_no_4g_indoor"] == no_4g).all()
    assert manifest["ward_vintage"] == "2022"
    assert manifest["fixed_broadband_level"] == "local authority"
    assert manifest["la_name"] == "Angus"
    roles = {s["role"] for s in manifest["sources"]}
    assert {"simd", "data_zone_ward_lookup", "wards", "ofcom_fixed_la"} <= roles
    assert not {"iod", "wimd", "census_age"} & roles
    assert any("SIMD has no ages" in note for note in manifest["notes"])
    comparisons = store.read_table(ANGUS, "comparisons", store=angus)
    scotland = comparisons[(comparisons["area"] == "Scotland")].set_index("measure")["value"]
    # A tenth of Scotland's data zones, weighted by their residents: close to 10%.
    assert 8 < scotland["pct_residents_most_deprived_decile"] < 12


def test_scottish_wards_rank_without_age_and_say_so(angus):
    wards = store.read_wards(ANGUS, store=angus)
    scored = compute_index(wards, DEFAULT_SPEC)
    assert scored["risk_rank"].notna().all()
    assert any("pct_residents_65_plus" in note for note in scored.attrs["notes"])


def test_the_app_opens_the_scottish_store(angus, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(angus))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert any("Angus" in s.value for s in at.subheader)


def test_build_by_name_finds_the_council(angus_sources):
    assert build.resolve_la_in_folder("angus", angus_sources) == ANGUS


def test_a_2022_data_zone_lookup_is_refused_for_simd_2020(tmp_path, angus_sources, angus_zones):
    folder = sources_without_lookup(angus_sources, tmp_path / "sources")
    write_lookup(folder / "DataZone2022lookup_2025-01-01.csv", angus_zones, code_header="DZ22_Code")
    with pytest.raises(IngestError, match="lookup of 2022 data zones; SIMD 2020v2 ranks 2011"):
        build.build_place(ANGUS, folder, store_dir=tmp_path / "store", verbose=False)


def test_without_a_lookup_the_build_says_where_to_get_one(tmp_path, angus_sources):
    folder = sources_without_lookup(angus_sources, tmp_path / "sources")
    with pytest.raises(IngestError, match=r"statistics\.gov\.scot/data/data-zone-lookup"):
        build.build_place(ANGUS, folder, store_dir=tmp_path / "store", verbose=False)
    assert not (tmp_path / "store").exists()


def test_northern_ireland_is_refused_with_the_reason(tmp_path):
    with pytest.raises(IngestError, match="NIMDM"):
        build.build_place("N09000001", tmp_path, store_dir=tmp_path / "store", verbose=False)


def test_a_data_zone_missing_from_simd_stops_the_build(tmp_path, angus_sources, angus_zones):
    folder = sources_without_lookup(angus_sources, tmp_path / "sources")
    extra = angus_zones.iloc[[0]].assign(data_zone_code="S01999999")
    write_lookup(folder / "DataZone2011lookup_2024-12-16.csv", pd.concat([angus_zones, extra]))
    expected = r"no row for 1 data zone\(s\) of S12000041 \(\['S01999999'\]\) named by"
    with pytest.raises(IngestError, match=expected):
        build.build_place(ANGUS, folder, store_dir=tmp_path / "store", verbose=False)
