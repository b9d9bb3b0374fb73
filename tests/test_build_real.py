"""Trafford (E08000009) built from the real public files in ../shared/data."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ingest import build, store
from ingest._errors import IngestError
from ingest.sources import census, ofcom_fixed

TRAFFORD = "E08000009"
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def trafford(trafford_store):
    return trafford_store


IOD_2025 = "iod2025/File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators_trafford.csv"


@pytest.fixture(scope="module")
def trafford_2019(tmp_path_factory, shared_data):
    """Trafford built on IoD 2019, asked for instead of the newest edition."""
    folder = tmp_path_factory.mktemp("trafford_2019")
    build.build_place(
        TRAFFORD, shared_data, store_dir=folder, verbose=False, releases={"iod": "2019"}
    )
    return folder


def _census(shared_data):
    return census.read_census_age(
        shared_data / "census2021_rm121_age" / "Census 2021 - Population.csv"
    ).set_index("lsoa_code")


def _postcodes(shared_data):
    return pd.read_csv(shared_data / "postcodes_trafford" / "trafford_postcodes.csv")


def test_trafford_is_built_on_todays_2023_wards(trafford):
    wards = store.read_wards(TRAFFORD, store=trafford)
    manifest = store.read_manifest(TRAFFORD, store=trafford)
    assert len(wards) == 21
    assert wards["ward_code"].str.startswith("E05015").all()  # May 2023 codes, not 2022's
    assert {"Altrincham", "Gorse Hill & Cornbrook"} <= set(wards["ward_name"])
    assert manifest["ward_vintage"] == "2023"
    assert (wards["la_name"] == "Trafford").all()
    notes = " ".join(manifest["notes"])
    assert "built on the 2023 boundaries (today's wards)" in notes
    assert "lsoa_to_ward_best-fit_lookup.csv (wards 2022)" in notes
    method = manifest["methods"]["residents, ages and deprivation"]
    assert "live postcodes in trafford_postcodes.csv" in method
    assert "56 of 139 LSOAs span more than one ward" in method


def test_residents_are_conserved_from_the_census(trafford, shared_data):
    here = _census(shared_data).loc[_postcodes(shared_data)["lsoa_code"].unique()]
    wards = store.read_wards(TRAFFORD, store=trafford)
    assert len(here) == 139
    assert wards["residents"].sum() == here["residents"].sum() == 235_044
    assert wards["residents_65_plus"].sum() == here["residents_65_plus"].sum()
    assert wards["residents_75_plus"].sum() == here["residents_75_plus"].sum()


def test_wards_match_a_hand_count_of_postcodes_and_census_rows(trafford, shared_data):
    """A ward made of whole LSOAs holds their residents; a split LSOA is shared by postcodes."""
    directory = _postcodes(shared_data)
    people = _census(shared_data)
    wards_of = directory.groupby("lsoa_code")["ward_code"].unique()
    whole = wards_of[wards_of.map(len) == 1].map(lambda w: w[0])
    split = wards_of[wards_of.map(len) > 1]
    wards = store.read_wards(TRAFFORD, store=trafford).set_index("ward_code")
    # every LSOA of a ward lies wholly in it: its residents are the plain sum of those rows
    whole_wards = [w for w in wards.index if not any(w in ws for ws in split)]
    assert whole_wards, "Trafford has a ward made only of whole LSOAs"
    for ward in whole_wards:
        lsoas = whole[whole == ward].index
        assert wards.loc[ward, "residents"] == people.loc[lsoas, "residents"].sum()
    # every ward: its postcodes' share of each LSOA, within one resident per split LSOA
    counts = directory.groupby(["lsoa_code", "ward_code"]).size()
    share = counts / counts.groupby(level="lsoa_code").transform("sum")
    exact = (
        (share * people["residents"].reindex(share.index, level="lsoa_code"))
        .groupby(level="ward_code")
        .sum()
    )
    pieces = counts.reset_index()[["lsoa_code", "ward_code"]]
    split_in = pieces[pieces["lsoa_code"].isin(split.index)]["ward_code"].value_counts()
    for ward, value in exact.items():
        assert abs(wards.loc[ward, "residents"] - value) <= split_in.get(ward, 0)


def test_iod_2025_is_chosen_over_2019_and_the_choice_is_recorded(trafford, shared_data):
    manifest = store.read_manifest(TRAFFORD, store=trafford)
    assert manifest["deprivation_release"] == "IoD2025 File 7"
    notes = " ".join(manifest["notes"])
    assert "chose File_7_IoD2025" in notes and "the newest" in notes
    assert "passed over ['File_2_-_IoD2019_Domains_of_Deprivation_excel_export.csv" in notes
    wards = store.read_wards(TRAFFORD, store=trafford).set_index("ward_code")
    assert wards["imd_average_rank"].between(1, 33_755).all()
    # population-weighted average score, by hand from the raw File 7 rows, for whole wards
    iod = pd.read_csv(shared_data / IOD_2025).set_index("LSOA code (2021)")
    people = _census(shared_data)
    directory = _postcodes(shared_data)
    wards_of = directory.groupby("lsoa_code")["ward_code"].unique()
    for ward in wards.index:
        lsoas = wards_of[wards_of.map(lambda ws, w=ward: w in ws)].index
        if all(len(wards_of[lsoa]) == 1 for lsoa in lsoas):
            weights = people.loc[lsoas, "residents"]
            score = iod.loc[lsoas, "Index of Multiple Deprivation (IMD) Score"]
            expected = (score * weights).sum() / weights.sum()
            assert wards.loc[ward, "imd_average_score"] == pytest.approx(expected)


def test_decile_moves_compare_only_lsoas_unchanged_since_2011(trafford, shared_data):
    wards = store.read_wards(TRAFFORD, store=trafford)
    people = _census(shared_data)
    new = pd.read_csv(shared_data / IOD_2025).set_index("LSOA code (2021)")
    old = pd.read_csv(
        shared_data / "iod2019" / "File_2_-_IoD2019_Domains_of_Deprivation_excel_export.csv"
    ).set_index("LSOA code (2011)")
    decile = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
    same = new.index.intersection(old.index)
    assert len(same) == 137  # E01034000 and E01034001 are new in 2021
    worse = same[new.loc[same, decile] < old.loc[same, decile]]
    better = same[new.loc[same, decile] > old.loc[same, decile]]
    assert wards["residents_decile_compared"].sum() == people.loc[same, "residents"].sum()
    assert wards["residents_decile_more_deprived"].sum() == people.loc[worse, "residents"].sum()
    assert wards["residents_decile_less_deprived"].sum() == people.loc[better, "residents"].sum()
    notes = " ".join(store.read_manifest(TRAFFORD, store=trafford)["notes"])
    assert f"{len(worse)} moved to a more deprived decile" in notes
    assert "not a measured change in deprivation" in notes


def test_split_lsoa_inherits_its_2011_parent_rank_when_iod_2019_is_asked_for(trafford_2019):
    manifest = store.read_manifest(TRAFFORD, store=trafford_2019)
    notes = " ".join(manifest["notes"])
    assert manifest["deprivation_release"] == "IoD2019 File 2"
    assert "asked for with --release iod=2019" in notes
    assert "E01034000 takes E01006185" in notes
    assert "E01034001 takes E01006185" in notes
    wards = store.read_wards(TRAFFORD, store=trafford_2019)
    assert wards["imd_average_rank"].between(1, 32_844).all()
    assert "imd_average_score" not in wards  # File 2 publishes no scores
    assert not wards.filter(like="pct_").isna().any().any()


def test_an_edition_not_among_the_sources_is_refused(shared_data, tmp_path):
    with pytest.raises(IngestError, match=r"--release iod=2015 was asked for.*IoD2025 File 7"):
        build.build_place(
            TRAFFORD, shared_data, store_dir=tmp_path, verbose=False, releases={"iod": "2015"}
        )


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
        "lsoa_ward_lookup",
        "wards",
        "census_age",
        "census_disability",
        "iod",
        "ofcom_fixed_la",
        "ofcom_mobile_la",
        "postcodes",
    }  # IoD 2025 is on 2021 LSOAs: no LSOA boundaries are needed
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"])


def test_every_trafford_postcode_is_placed_in_its_own_2023_ward(trafford, shared_data):
    table = store.read_table(TRAFFORD, "postcodes", store=trafford)
    directory = pd.read_csv(shared_data / "postcodes_trafford" / "trafford_postcodes.csv")
    assert len(table) == len(directory) == 11_264
    # the directory's wards are 2023's, as the build's: each postcode keeps its own ward
    assert set(table["ward_method"]) == {"lookup"}
    wards = store.read_wards(TRAFFORD, store=trafford)
    assert set(table["ward_code"]) == set(wards["ward_code"])
    assert table.set_index("postcode").loc["M15 4AB", "ward_code"] == "E05015247"  # Gorse Hill


def test_the_app_opens_trafford(trafford, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(trafford))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("Trafford: 21 wards (boundaries of 2023)" in s.value for s in at.subheader)
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


def test_disability_by_ward_from_the_real_ts038_file(trafford, shared_data):
    ts038 = pd.read_csv(
        shared_data / "census2021_ts038_disability" / "census2021-ts038-lsoa.csv"
    ).set_index("geography code")
    disabled = ts038["Disability: Disabled under the Equality Act"]
    everyone = ts038["Disability: Total: All usual residents"]
    directory = _postcodes(shared_data)
    lsoas = directory["lsoa_code"].unique()
    wards = store.read_wards(TRAFFORD, store=trafford).set_index("ward_code")
    assert wards["residents_disabled"].sum() == disabled[lsoas].sum()
    assert wards["residents_disabled_base"].sum() == everyone[lsoas].sum()
    wards_of = directory.groupby("lsoa_code")["ward_code"].unique()
    for ward in wards.index:
        mine = wards_of[wards_of.map(lambda ws, w=ward: w in ws)].index
        if all(len(wards_of[lsoa]) == 1 for lsoa in mine):
            expected = 100 * disabled[mine].sum() / everyone[mine].sum()
            assert wards.loc[ward, "pct_residents_disabled"] == pytest.approx(expected)
    manifest = store.read_manifest(TRAFFORD, store=trafford)
    assert manifest["methods"]["residents_disabled"].startswith(
        "TS038: census2021-ts038-lsoa.csv: LSOAs, each LSOA shared among the wards"
    )
    assert "census2021-ts038-lsoa.csv" not in manifest["unrecognised_files"]
    assert "TS067 (residents aged 16 and over with no qualifications)" in " ".join(
        manifest["notes"]
    )
    # the other risk groups are not in ../shared/data: not known, never 0
    assert "residents_no_qualifications" not in wards


def test_an_lsoa_with_no_postcode_is_shared_among_todays_wards_by_area(shared_data, tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    for path in shared_data.glob("*/*"):
        if path.parent.name != "postcodes_trafford" and path.suffix != ".md":
            (folder / path.parent.name).mkdir(exist_ok=True)
            (folder / path.parent.name / path.name).symlink_to(path)
    directory = _postcodes(shared_data)
    gone = "E01006074"  # Trafford 025A
    directory[directory["lsoa_code"] != gone].to_csv(folder / "postcodes.csv", index=False)
    build.build_place(TRAFFORD, folder, store_dir=tmp_path / "store", verbose=False)
    manifest = store.read_manifest(TRAFFORD, store=tmp_path / "store")
    method = manifest["methods"]["residents, ages and deprivation"]
    assert f"1 LSOA(s) with no postcode shared by area (['{gone}'])" in method
    wards = store.read_wards(TRAFFORD, store=tmp_path / "store")
    assert (
        wards["residents"].sum()
        == _census(shared_data)["residents"][directory["lsoa_code"].unique()].sum()
    )  # still every resident, once
