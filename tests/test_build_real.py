"""Trafford (E08000009) built from the real public files in ../shared/data."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ingest import build, census, ofcom_fixed, store
from ingest._errors import IngestError

TRAFFORD = "E08000009"
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def trafford(trafford_store):
    return trafford_store


def test_trafford_has_its_21_wards_of_2022(trafford):
    wards = store.read_wards(TRAFFORD, store=trafford)
    manifest = store.read_manifest(TRAFFORD, store=trafford)
    assert len(wards) == 21
    assert wards["ward_code"].str.startswith("E0500").all()  # 2022 codes, not 2023's E05015...
    assert "Altrincham" in set(wards["ward_name"])
    assert manifest["ward_vintage"] == "2022"
    assert (wards["la_name"] == "Trafford").all()


def test_residents_are_conserved_from_the_census(trafford, shared_data):
    people = census.read_census_age(
        shared_data / "census2021_rm121_age" / "Census 2021 - Population.csv"
    )
    lookup = pd.read_csv(shared_data / "lookups_trafford" / "lsoa_to_ward_best-fit_lookup.csv")
    here = people[people["lsoa_code"].isin(lookup["lsoa21cd"])]
    wards = store.read_wards(TRAFFORD, store=trafford)
    assert len(here) == 139
    assert wards["residents"].sum() == here["residents"].sum()
    assert wards["residents_65_plus"].sum() == here["residents_65_plus"].sum()
    assert wards["lsoas"].sum() == 139


def test_split_lsoa_inherits_its_2011_parent_rank(trafford):
    notes = " ".join(store.read_manifest(TRAFFORD, store=trafford)["notes"])
    assert "E01034000 takes E01006185" in notes
    assert "E01034001 takes E01006185" in notes
    wards = store.read_wards(TRAFFORD, store=trafford)
    assert wards["imd_average_rank"].between(1, 32_844).all()
    assert not wards.filter(like="pct_").isna().any().any()


def test_fixed_broadband_is_la_context_from_the_2025_file(trafford, shared_data):
    la = ofcom_fixed.read_fixed_la(
        shared_data / "ofcom_fixed_laua" / "202507_fixed_laua_coverage_r01.csv"
    ).set_index("la_code")
    wards = store.read_wards(TRAFFORD, store=trafford)
    manifest = store.read_manifest(TRAFFORD, store=trafford)
    assert manifest["fixed_broadband_level"] == "local authority"
    assert "premises" not in wards  # no OA-level Ofcom file for Trafford: nothing by ward
    expected = 100 - la.loc[TRAFFORD, "pct_premises_gigabit"]
    assert (wards["la_pct_premises_without_gigabit"] == expected).all()
    series = store.read_table(TRAFFORD, "la_fixed_coverage", store=trafford)
    assert series["release"].tolist() == ["2016", "2018", "2019", "202105", "202507"]
    assert series.set_index("release").loc["202507", "premises"] == la.loc[TRAFFORD, "premises"]


def test_manifest_names_every_file_with_checksum(trafford):
    manifest = store.read_manifest(TRAFFORD, store=trafford)
    roles = {s["role"] for s in manifest["sources"]}
    assert roles == {
        "lsoa_ward_lookup", "wards", "census_age", "lsoas", "iod", "ofcom_fixed_la",
        "ofcom_mobile_la", "postcodes",
    }  # fmt: skip
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"])


def test_every_trafford_postcode_is_placed_in_a_2022_ward(trafford, shared_data):
    table = store.read_table(TRAFFORD, "postcodes", store=trafford)
    directory = pd.read_csv(shared_data / "postcodes_trafford" / "trafford_postcodes.csv")
    assert len(table) == len(directory) == 11_264
    # the directory's wards are 2023's; the build's are 2022's, so every postcode is placed
    # by its centroid, and none is left out
    assert set(table["ward_method"]) == {"spatial"}
    wards = store.read_wards(TRAFFORD, store=trafford)
    assert set(table["ward_code"]) == set(wards["ward_code"])
    assert table.set_index("postcode").loc["M15 4AB", "ward_code"] == "E05000825"  # Clifford


def test_the_app_opens_trafford(trafford, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(trafford))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("Trafford: 21 wards" in s.value for s in at.subheader)
    assert not at.warning  # real data: no synthetic banner


def test_unknown_authority_is_refused_clearly(shared_data, tmp_path):
    with pytest.raises(IngestError, match="no LSOA to ward lookup covering E09000001"):
        build.build_place("E09000001", shared_data, store_dir=tmp_path, verbose=False)


@pytest.mark.parametrize(("query", "code"), [("trafford", TRAFFORD), ("e08000009", TRAFFORD)])
def test_build_finds_the_authority_by_name_in_the_folders_lookups(shared_data, query, code):
    assert build.resolve_la_in_folder(query, shared_data) == code


def test_an_unknown_name_is_refused_with_close_names(shared_data):
    with pytest.raises(IngestError, match=r"no local authority is called 'Trafforde'.*Trafford"):
        build.resolve_la_in_folder("Trafforde", shared_data)


def test_comparisons_are_recomputed_from_counts_of_the_real_files(trafford, shared_data):
    table = store.read_table(TRAFFORD, "comparisons", store=trafford)
    value = table.set_index(["area", "measure"])["value"]
    la = ofcom_fixed.read_fixed_la(
        shared_data / "ofcom_fixed_laua" / "202507_fixed_laua_coverage_r01.csv"
    )
    england = la[la["la_code"].str.startswith("E")]
    expected = 100 * (1 - england["premises_gigabit"].sum() / england["premises"].sum())
    assert value["England", "pct_premises_without_gigabit"] == pytest.approx(expected)
    assert value["United Kingdom", "pct_premises_below_uso"] == pytest.approx(
        100 * la["premises_below_uso"].sum() / la["premises"].sum()
    )
    people = census.read_census_age(
        shared_data / "census2021_rm121_age" / "Census 2021 - Population.csv"
    )
    english = people[people["lsoa_code"].str.startswith("E")]
    assert value["England", "pct_residents_65_plus"] == pytest.approx(
        100 * english["residents_65_plus"].sum() / english["residents"].sum()
    )
    wards = store.read_wards(TRAFFORD, store=trafford)
    assert value["Trafford", "pct_residents_65_plus"] == pytest.approx(
        100 * wards["residents_65_plus"].sum() / wards["residents"].sum()
    )
    # Trafford's broadband is known for the whole authority only: from its row of the LA file
    trafford_row = la.set_index("la_code").loc[TRAFFORD]
    assert value["Trafford", "pct_premises_below_uso"] == pytest.approx(
        100 * trafford_row["premises_below_uso"] / trafford_row["premises"]
    )
