"""ingest.discover: files recognised by their header row, never by their names."""

import codecs

import pytest

from ingest.discover import ROLES, discover
from ingest.sources import bduk, census, census_topics, dwp_statxplore, ofcom_mobile

MOBILE_ROW_CELLS = 159  # the 161 columns less the two area columns


def write(path, lines, *, bom=False, crlf=False):
    end = "\r\n" if crlf else "\n"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + (end.join(lines) + end).encode())
    return path


def mobile_lines(releases):
    header = list(releases[0].columns)
    return [",".join(header), ",".join(["E14001065", "Somewhere"] + ["1"] * MOBILE_ROW_CELLS)]


@pytest.fixture
def folder(tmp_path):
    """One file of each new role and of the existing roles they could be mistaken for."""
    write(
        tmp_path / "Trafford.csv",
        [",".join(bduk.HEADER_2025), ",".join(["100000000001"] * 2 + ["x"] * 26)],
        bom=True,
    )
    write(tmp_path / "spots.csv", ["postcode", "M15 4AB", "M154AD"])
    nested = tmp_path / "not-spots-2025-07"
    nested.mkdir()
    write(nested / "list.csv", [" Postcode ", "WA14 2UE"], bom=True, crlf=True)
    write(
        tmp_path / "WD24_PCON24_LAD24_UTLA24_UK_LU.csv",
        [
            "WD24CD,WD24NM,PCON24CD,PCON24NM,LAD24CD,LAD24NM,UTLA24CD,UTLA24NM,ObjectId",
            "E05015247,Altrincham,E14001065,Altrincham and Sale West,E08000009,Trafford,"
            "E08000009,Trafford,1",
        ],
        bom=True,
        crlf=True,
    )
    write(
        tmp_path / "ward_lad.csv",
        ["WD23CD,WD23NM,LAD23CD,LAD23NM,ObjectId", "E05015247,Altrincham,E08000009,Trafford,1"],
    )
    write(tmp_path / "pcon.csv", mobile_lines(ofcom_mobile.PCON_RELEASES))
    write(tmp_path / "laua.csv", mobile_lines(ofcom_mobile.LA_RELEASES))
    write(tmp_path / "venues.csv", ["Name,Postcode", "Sale Library,M33 7ZF"])
    write(
        tmp_path / "directory.csv", ["postcode,ward_code,lsoa_code", "M15 4AB,E05000001,E01000001"]
    )
    write(tmp_path / "premises_per_postcode.csv", ["postcode,premises", "M15 4AB,3"])
    write(tmp_path / "twice.csv", ["postcode,Postcode", "M15 4AB,M15 4AB"])
    return tmp_path


def test_each_new_role_is_recognised_and_old_ones_are_kept(folder):
    inventory = discover(folder)
    found = {role: sorted(p.name for p in paths) for role, paths in inventory.files.items()}
    assert found == {
        "bduk_premises": ["Trafford.csv"],
        "ofcom_mobile_not_spots": ["list.csv", "spots.csv"],
        "ward_constituency_lookup": ["WD24_PCON24_LAD24_UTLA24_UK_LU.csv"],
        "ward_la_lookup": ["ward_lad.csv"],
        "ofcom_mobile_constituency": ["pcon.csv"],
        "ofcom_mobile_la": ["laua.csv"],
        "venues": ["venues.csv"],
        "postcodes": ["directory.csv"],
    }
    # one postcode column and something else is neither a not-spot list nor a venue list
    assert sorted(p.name for p in inventory.unrecognised) == [
        "premises_per_postcode.csv",
        "twice.csv",
    ]


def test_every_role_found_is_declared():
    assert {
        "bduk_premises",
        "ofcom_mobile_not_spots",
        "ward_constituency_lookup",
        "ofcom_mobile_constituency",
    } <= set(ROLES)
    assert len(ROLES) == len(set(ROLES))


def test_a_bduk_header_with_a_column_renamed_is_not_recognised(tmp_path):
    header = [h if h != "struprn" else "str_uprn" for h in bduk.HEADER_2025]
    write(tmp_path / "old.csv", [",".join(header), ",".join(["1"] * len(header))])
    assert [p.name for p in discover(tmp_path).unrecognised] == ["old.csv"]


#: Role of every real file in ../shared/data before these roles were added (paths relative).
REAL_ROLES = {
    "census2021_rm121_age/Census 2021 - Population.csv": "census_age",
    "census2021_ts038_disability/census2021-ts038-lsoa.csv": "census_disability",
    "iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx": "iod",
    "iod2019/File_2_-_IoD2019_Domains_of_Deprivation_excel_export.csv": "iod",
    "iod2019/File_6_-_IoD2019_Population_Denominators_excel_export.csv": "iod",
    "iod2025/File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators_trafford.csv": "iod",
    "lookups_trafford/lsoa_to_ward_best-fit_lookup.csv": "lsoa_ward_lookup",
    "lookups_trafford/statistical_lookup.csv": "oa_lsoa_lookup",
    "lookups_trafford/administrative_lookup.csv": "ward_la_lookup",
    "lsoa_trafford/2011_trafford_lsoa_generalised.geojson": "lsoas",
    "lsoa_trafford/2021_trafford_lsoa_generalised.geojson": "lsoas",
    "oa_trafford/2011_trafford_oa_generalised.geojson": "output_areas",
    "oa_trafford/2021_trafford_oa_generalised.geojson": "output_areas",
    "ofcom_fixed_laua/2016_data.csv": "ofcom_fixed_la",
    "ofcom_fixed_laua/2018_data.csv": "ofcom_fixed_la",
    "ofcom_fixed_laua/2019_data.csv": "ofcom_fixed_la",
    "ofcom_fixed_laua/202105_fixed_laua_coverage_r01.csv": "ofcom_fixed_la",
    "ofcom_fixed_laua/202507_fixed_laua_coverage_r01.csv": "ofcom_fixed_la",
    "ofcom_fixed_small_area_excerpts/202601_fixed_oa_coverage_r1.csv": "ofcom_fixed_oa",
    "ofcom_fixed_small_area_excerpts/202601_fixed_oa_res_coverage_r1.csv": "ofcom_fixed_oa",
    "ofcom_fixed_small_area_excerpts/202601_fixed_pc_coverage_r2_CR.csv": "ofcom_fixed_postcode",
    "ofcom_fixed_small_area_excerpts/202601_fixed_pc_coverage_res_r1_CR.csv": (
        "ofcom_fixed_postcode"
    ),
    "ofcom_mobile_laua/202507_mobile_coverage_laua_r01_extract.csv": "ofcom_mobile_la",
    "postcodes_trafford/trafford_postcodes.csv": "postcodes",
    "simd2020v2/SIMD+2020v2+-+indicators.csv": "simd",
    "simd2020v2/SIMD+2020v2+-+ranks.csv": "simd",
    "ons_ward_lad_lookups/Ward_to_Local_Authority_District_(December_2019)_Lookup_in_the_United_Kingdom.csv": "ward_la_lookup",  # noqa: E501
    "ons_ward_lad_lookups/Ward_to_Local_Authority_District_(December_2020)_Lookup_in_the_United_Kingdom_V2.csv": "ward_la_lookup",  # noqa: E501
    "ons_ward_lad_lookups/Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv": "ward_la_lookup",  # noqa: E501
    "ons_ward_lad_lookups/Wards_and_Local_Authorities_(2011)_to_Wards_and_Local_Authorities_(2022)_Lookup_in_England_and_Wales.csv": "ward_la_lookup",  # noqa: E501
    "ons_wards_dec2022_uk_bsc/Wards_December_2022_Boundaries_UK_BSC.gpkg": "wards",
    "wards_trafford/2022_trafford_ward_full_resolution.geojson": "wards",
    "wards_trafford/2022_trafford_ward_generalised.geojson": "wards",
    "wards_trafford/2023_trafford_ward_full_resolution.geojson": "wards",
    "wards_trafford/2023_trafford_ward_generalised.geojson": "wards",
    "wimd2019/wimd-2019-index-and-domain-scores.csv": "wimd",
}
#: Real files recognised as nothing, and still so.
REAL_UNRECOGNISED = {
    "postcodes_trafford/postcode_files_metadata.csv",
}


@pytest.mark.shared_data
def test_real_files_keep_their_roles(shared_data):
    inventory = discover(shared_data)
    role_of = {
        path.relative_to(shared_data).as_posix(): role
        for role, paths in inventory.files.items()
        for path in paths
    }
    unrecognised = {path.relative_to(shared_data).as_posix() for path in inventory.unrecognised}
    present = {name for name in REAL_ROLES if (shared_data / name).is_file()}
    assert len(present) > 30, "the real data folder holds too few of the known files"
    assert {name: role_of.get(name) for name in present} == {n: REAL_ROLES[n] for n in present}
    assert {n for n in REAL_UNRECOGNISED if (shared_data / n).is_file()} <= unrecognised


# --- Census 2021 topic summaries (ingest.sources.census_topics) -----------------------------------


def test_the_census_topic_roles_are_declared():
    assert set(census_topics.ROLES) <= set(ROLES)
    assert ROLES.index("census_age") < ROLES.index("census_disability")


@pytest.mark.parametrize("suffix", ["", "; measures: Value"])
def test_each_census_topic_is_recognised_with_or_without_the_suffix(tmp_path, suffix):
    for topic in census_topics.TOPICS.values():
        header = [
            h if h in census_topics.AREA_HEADERS else h + suffix for h in topic.release.columns
        ]
        line = ",".join(f'"{h}"' if "," in h else h for h in header)
        write(tmp_path / f"{topic.table} saved by hand.csv", [line, "2021,A,E01000001"])
    found = {role: [p.name for p in paths] for role, paths in discover(tmp_path).files.items()}
    assert found == {
        t.role: [f"{t.table} saved by hand.csv"] for t in census_topics.TOPICS.values()
    }


def test_census_age_files_keep_their_role_beside_the_topics(tmp_path):
    write(
        tmp_path / "ts007.csv",
        [",".join(census.API_RELEASE.columns), "E01000001,A,0,Total,1500"],
    )
    write(tmp_path / "rm121.csv", ["RM121 - Sex by age,,,", "ONS Crown Copyright Reserved,,,"])
    write(
        tmp_path / "census2021-ts007a-lsoa.csv",
        ["date,geography,geography code,Age: Total,Age: Aged 4 years and under", "2021,A,E01,1,1"],
    )
    inventory = discover(tmp_path)
    assert {r: sorted(p.name for p in ps) for r, ps in inventory.files.items()} == {
        "census_age": ["rm121.csv", "ts007.csv"]
    }
    assert [p.name for p in inventory.unrecognised] == ["census2021-ts007a-lsoa.csv"]


def test_a_census_topic_with_a_column_renamed_is_not_recognised(tmp_path):
    topic = census_topics.TOPICS["TS038"]
    header = [h.replace("Equality Act", "EA") for h in topic.release.columns]
    write(tmp_path / "ts038.csv", [",".join(header), "2021,A,E01000001"])
    assert [p.name for p in discover(tmp_path).unrecognised] == ["ts038.csv"]


def test_dwp_statxplore_tables_are_recognised_and_their_records_skipped(tmp_path):
    assert {"dwp_pension_credit", "dwp_universal_credit"} <= set(ROLES)
    write(
        tmp_path / "pension credit saved by hand.csv",
        ["lsoa_code,pension_credit_claimants,month", "E01006118,12,202505"],
        bom=True,
        crlf=True,
    )
    write(
        tmp_path / "dwp_universal_credit_202505_E08000009.csv",
        ["month,universal_credit_people,lsoa_code", "202505,40,E01006118"],
    )
    record = "dwp_pension_credit_202505_E08000009" + dwp_statxplore.PROVENANCE_SUFFIX
    write(tmp_path / record, ['{"database": "str:database:PC_New", "month": "202505"}'])
    write(tmp_path / "claimants.csv", ["lsoa_code,claimants,month", "E01006118,12,202505"])
    inventory = discover(tmp_path)
    assert {r: [p.name for p in ps] for r, ps in inventory.files.items()} == {
        "dwp_pension_credit": ["pension credit saved by hand.csv"],
        "dwp_universal_credit": ["dwp_universal_credit_202505_E08000009.csv"],
    }
    assert [p.name for p in inventory.unrecognised] == ["claimants.csv"]
