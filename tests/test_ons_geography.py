import shutil
import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from ingest._errors import IngestError
from ingest.sources.ons_geography import (
    read_areas,
    read_lookup,
    read_postcodes,
    read_wards,
)

UK_BSC = "ons_wards_dec2022_uk_bsc/Wards_December_2022_Boundaries_UK_BSC.gpkg"
TRAFFORD = "E08000009"
UK_INVALID = [
    "E05004190",
    "E05004200",
    "E05004205",
    "E05010278",
    "E05012462",
    "E05013430",
    "S13002883",
    "S13002884",
    "S13002912",
]
WARDS_2022 = [
    "wards_trafford/2022_trafford_ward_full_resolution.geojson",
    "wards_trafford/2022_trafford_ward_generalised.geojson",
]
WARDS_2023 = [
    "wards_trafford/2023_trafford_ward_full_resolution.geojson",
    "wards_trafford/2023_trafford_ward_generalised.geojson",
]
LOOKUPS = "ons_ward_lad_lookups/"
LOOKUP_2011_2022 = (
    LOOKUPS + "Wards_and_Local_Authorities_(2011)_to_Wards_and_Local_Authorities_(2022)_"
    "Lookup_in_England_and_Wales.csv"
)


@pytest.fixture(scope="module")
def uk_wards(shared_data) -> gpd.GeoDataFrame:
    return read_wards(shared_data / UK_BSC)


@pytest.fixture(scope="module")
def trafford_postcodes(shared_data) -> pd.DataFrame:
    return read_postcodes(shared_data / "postcodes_trafford/trafford_postcodes.csv")


def write_gpkg(path, frame: gpd.GeoDataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns when crs is None
        frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def wards_frame(geometry=None, **columns) -> gpd.GeoDataFrame:
    data = {
        "WD22CD": ["E05000819", "E05000820"],
        "WD22NM": ["Altrincham", "Ashton upon Mersey"],
        "LAD22CD": [TRAFFORD, TRAFFORD],
        "LAD22NM": ["Trafford", "Trafford"],
    }
    data.update(columns)
    if geometry is None:
        geometry = [
            shapely.box(375000, 388000, 376000, 389000),
            shapely.box(376000, 388000, 377000, 389000),
        ]
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:27700")


# --- wards: real files --------------------------------------------------------------------


def test_uk_bsc_all_wards(uk_wards):
    # 8,483 features; E05014284 (Hunmanby & Sherburn, two disjoint parts, identical attributes)
    # is one ward drawn as two rows and is merged into one multipolygon.
    assert len(uk_wards) == 8482
    assert uk_wards.attrs["merged"] == ["E05014284"]
    assert uk_wards["ward_code"].is_unique
    assert uk_wards.columns.tolist() == ["ward_code", "ward_name", "la_code", "la_name", "geometry"]
    assert uk_wards.crs.to_epsg() == 27700
    assert isinstance(uk_wards.index, pd.RangeIndex)
    assert uk_wards.attrs["ward_vintage"] == "2022"
    assert uk_wards.attrs["ward_vintage_from"] == "header"
    assert uk_wards.attrs["la_vintage"] == "2022"
    assert uk_wards.attrs["source_crs"] == "EPSG:4326"


def test_uk_bsc_invalid_geometries_are_repaired_and_recorded(uk_wards):
    assert uk_wards.attrs["repaired"] == UK_INVALID
    assert uk_wards.is_valid.all()
    assert uk_wards.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    # the two rows of E05014284 are its Ryedale and Scarborough parts, side by side
    merged = uk_wards.set_index("ward_code").loc["E05014284", "geometry"]
    assert merged.area == pytest.approx(138.67e6, rel=1e-3)
    assert uk_wards.index[uk_wards.ward_code == "E05014284"][0] < 8000  # kept in file order


def test_uk_bsc_filtered_to_trafford(shared_data, uk_wards):
    trafford = read_wards(shared_data / UK_BSC, la_code=TRAFFORD)
    assert len(trafford) == 21
    assert (trafford["la_code"] == TRAFFORD).all()
    assert "Altrincham" in trafford["ward_name"].tolist()
    assert trafford.attrs["repaired"] == []
    assert set(trafford["ward_code"]) == set(
        uk_wards.loc[uk_wards.la_code == TRAFFORD, "ward_code"]
    )
    assert 100e6 < trafford.area.sum() < 112e6  # Trafford is about 106 km2


def test_la_code_not_in_file_explains_how_to_find_codes(shared_data):
    with pytest.raises(IngestError) as err:
        read_wards(shared_data / UK_BSC, la_code="E08000099")
    message = str(err.value)
    assert "no wards with LAD22CD = 'E08000099'" in message
    assert "Names and Codes" in message
    with pytest.raises(IngestError, match=r"'Trafford' is the name of E08000009"):
        read_wards(shared_data / UK_BSC, la_code="Trafford")


@pytest.mark.parametrize(
    ("relative", "vintage", "first_code"),
    [(f, "2022", "E05000819") for f in WARDS_2022] + [(f, "2023", "E05015239") for f in WARDS_2023],
)
def test_trafford_ward_files(shared_data, relative, vintage, first_code):
    wards = read_wards(shared_data / relative)
    assert len(wards) == 21
    assert wards.columns.tolist() == ["ward_code", "ward_name", "geometry"]
    assert wards.attrs["ward_vintage"] == vintage
    assert wards.attrs["ward_vintage_from"] == "file name"
    assert wards.crs.to_epsg() == 27700
    altrincham = wards.set_index("ward_name").loc["Altrincham", "ward_code"]
    assert altrincham == first_code
    assert 100e6 < wards.area.sum() < 112e6
    assert wards.is_valid.all()


def test_2022_and_2023_codes_differ_and_match_national_files(shared_data, uk_wards):
    w22 = read_wards(shared_data / WARDS_2022[1])
    w23 = read_wards(shared_data / WARDS_2023[1])
    assert set(w22.ward_code).isdisjoint(w23.ward_code)
    assert all(c.startswith("E05015") for c in w23.ward_code)
    assert set(w22.ward_code) == set(uk_wards.loc[uk_wards.la_code == TRAFFORD, "ward_code"])
    dec2023 = read_lookup(
        shared_data
        / LOOKUPS
        / "Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"
    )
    assert set(dec2023.loc[dec2023.la_code == TRAFFORD, "ward_code"]) == set(w23.ward_code)


def test_vintage_contradicted_by_codes_is_refused(shared_data, tmp_path):
    renamed = tmp_path / "2022_trafford_ward_generalised.geojson"
    shutil.copy(shared_data / WARDS_2023[1], renamed)
    with pytest.raises(IngestError, match=r"E05015239 first issued after 2022; the codes fit 2023"):
        read_wards(renamed)


def test_vintage_from_folder_argument_or_error(shared_data, tmp_path):
    bare = tmp_path / "trafford_ward_generalised.geojson"
    shutil.copy(shared_data / WARDS_2023[1], bare)
    with pytest.raises(IngestError, match=r"cannot be known.*Pass vintage="):
        read_wards(bare)
    assert read_wards(bare, vintage=2023).attrs["ward_vintage"] == "2023"
    assert read_wards(bare, vintage="2023").attrs["ward_vintage_from"] == "vintage argument"
    folder = tmp_path / "ward" / "2023"
    folder.mkdir(parents=True)
    shutil.copy(bare, folder / bare.name)
    assert read_wards(folder / bare.name).attrs["ward_vintage"] == "2023"


def test_vintage_argument_must_agree_with_header(shared_data):
    with pytest.raises(IngestError, match=r"vintage='2023' was given but .* say 2022"):
        read_wards(shared_data / UK_BSC, la_code=TRAFFORD, vintage="2023")


def test_data_lab_wards_cannot_be_filtered_by_la(shared_data):
    with pytest.raises(IngestError, match="no local-authority column"):
        read_wards(shared_data / WARDS_2022[1], la_code=TRAFFORD)


def test_lsoa_file_given_as_wards_is_refused(shared_data):
    with pytest.raises(IngestError, match=r"\(LSOA codes\).*Use read_areas"):
        read_wards(shared_data / "lsoa_trafford/2021_trafford_lsoa_generalised.geojson")


# --- wards: synthetic ---------------------------------------------------------------------


def test_unknown_column_is_refused(tmp_path):
    path = write_gpkg(tmp_path / "wards_2022.gpkg", wards_frame(Population=[1, 2]))
    with pytest.raises(IngestError, match=r"column\(s\) \['Population'\]"):
        read_wards(path)


def test_any_vintage_and_extra_ons_columns(tmp_path):
    frame = wards_frame().rename(
        columns={"WD22CD": "WD19CD", "WD22NM": "WD19NM", "LAD22CD": "LAD19CD", "LAD22NM": "LAD19NM"}
    )
    frame["WD19NMW"] = " "
    frame["OBJECTID"] = [1, 2]
    frame["Shape__Area"] = [1e6, 1e6]
    frame["BNG_E"] = [375500, 376500]
    wards = read_wards(write_gpkg(tmp_path / "w.gpkg", frame))
    assert wards.attrs["ward_vintage"] == "2019"
    assert wards.columns.tolist() == ["ward_code", "ward_name", "la_code", "la_name", "geometry"]


def test_header_vintage_is_not_second_guessed_by_codes(tmp_path):
    # synthetic codes (the demo place uses E05999xxx) under a WD22CD header are read as 2022
    frame = wards_frame(WD22CD=["E05999001", "E05999002"])
    assert read_wards(write_gpkg(tmp_path / "demo.gpkg", frame)).attrs["ward_vintage"] == "2022"


def test_la_code_absent_from_synthetic_file(tmp_path):
    path = write_gpkg(tmp_path / "w_2022.gpkg", wards_frame())
    with pytest.raises(IngestError, match="It holds 1 local authorities"):
        read_wards(path, la_code="E08000001")


def test_missing_crs_is_refused(tmp_path):
    path = write_gpkg(
        tmp_path / "nocrs_2022.gpkg", wards_frame().set_crs(None, allow_override=True)
    )
    with pytest.raises(IngestError, match="has no coordinate reference system"):
        read_wards(path)


def test_bng_coordinates_labelled_as_degrees_are_refused(tmp_path):
    frame = wards_frame().set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(IngestError, match="does not match the coordinates"):
        read_wards(write_gpkg(tmp_path / "wrong_2022.gpkg", frame))


def test_degrees_labelled_as_bng_are_refused(tmp_path):
    frame = wards_frame().to_crs("EPSG:4326").set_crs("EPSG:27700", allow_override=True)
    with pytest.raises(IngestError, match="look like longitude/latitude degrees"):
        read_wards(write_gpkg(tmp_path / "wrong_2022.gpkg", frame))


def test_empty_files_are_refused(tmp_path):
    empty = tmp_path / "empty_2022.geojson"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="is empty"):
        read_wards(empty)
    no_features = tmp_path / "none_2022.geojson"
    no_features.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(IngestError, match="has no features"):
        read_wards(no_features)
    with pytest.raises(IngestError, match="file not found"):
        read_wards(tmp_path / "absent.gpkg")


def test_invalid_geometry_repaired_keeping_polygons(tmp_path):
    bowtie = Polygon([(375000, 388000), (376000, 389000), (376000, 388000), (375000, 389000)])
    assert not bowtie.is_valid
    frame = wards_frame(geometry=[bowtie, shapely.box(376000, 388000, 377000, 389000)])
    wards = read_wards(write_gpkg(tmp_path / "w_2022.gpkg", frame))
    assert wards.attrs["repaired"] == ["E05000819"]
    assert wards.is_valid.all()
    assert wards.geom_type.tolist() == ["MultiPolygon", "Polygon"]
    assert wards.area.iloc[0] == pytest.approx(500_000)


def test_points_are_refused(tmp_path):
    frame = wards_frame(geometry=[Point(375000, 388000), Point(376000, 388000)])
    with pytest.raises(IngestError, match=r"must be polygons, found \['Point'\]"):
        read_wards(write_gpkg(tmp_path / "w_2022.gpkg", frame))


def test_repeated_rows(tmp_path):
    same = wards_frame(WD22CD=["E05000819", "E05000819"], WD22NM=["Altrincham", "Altrincham"])
    wards = read_wards(write_gpkg(tmp_path / "same_2022.gpkg", same))
    assert len(wards) == 1
    assert wards.attrs["merged"] == ["E05000819"]
    assert wards.area.iloc[0] == pytest.approx(2e6)

    no_la = same.drop(columns=["LAD22CD", "LAD22NM"])
    no_la = no_la.rename(columns={"WD22CD": "area_code", "WD22NM": "area_name"})
    wards = read_wards(write_gpkg(tmp_path / "no_la_2022.gpkg", no_la))
    assert wards.columns.tolist() == ["ward_code", "ward_name", "geometry"]
    assert wards.attrs["merged"] == ["E05000819"]
    assert wards.geom_type.tolist() == ["Polygon"]

    clash = wards_frame(WD22CD=["E05000819", "E05000819"])
    with pytest.raises(IngestError, match="different names"):
        read_wards(write_gpkg(tmp_path / "clash_2022.gpkg", clash))

    split = wards_frame(
        WD22CD=["E05014284", "E05014284"],
        WD22NM=["Hunmanby (part Ryedale)", "Hunmanby (part Scarborough)"],
        LAD22CD=["E07000167", "E07000168"],
        LAD22NM=["Ryedale", "Scarborough"],
    )
    wards = read_wards(write_gpkg(tmp_path / "split_2022.gpkg", split))
    assert len(wards) == 2
    assert len(read_wards(tmp_path / "split_2022.gpkg", la_code="E07000168")) == 1


# --- OA and LSOA boundaries ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "level", "count", "vintage", "columns"),
    [
        (
            "lsoa_trafford/2011_trafford_lsoa_generalised.geojson",
            "lsoa",
            138,
            "2011",
            ["lsoa_code", "lsoa_name"],
        ),
        (
            "lsoa_trafford/2021_trafford_lsoa_generalised.geojson",
            "lsoa",
            139,
            "2021",
            ["lsoa_code", "lsoa_name"],
        ),
        (
            "oa_trafford/2011_trafford_oa_generalised.geojson",
            "oa",
            731,
            "2011",
            ["oa_code", "la_code"],
        ),
        (
            "oa_trafford/2021_trafford_oa_generalised.geojson",
            "oa",
            738,
            "2021",
            ["oa_code", "la_code", "la_name"],
        ),
    ],
)
def test_areas(shared_data, relative, level, count, vintage, columns):
    areas = read_areas(shared_data / relative, level=level)
    assert len(areas) == count
    assert areas.columns.tolist() == [*columns, "geometry"]
    assert areas.attrs["vintage"] == vintage
    assert areas.attrs["level"] == level
    assert areas.crs.to_epsg() == 27700
    assert areas.is_valid.all()
    assert 100e6 < areas.area.sum() < 112e6
    if "la_code" in columns:
        assert (areas["la_code"] == TRAFFORD).all()


def test_area_quirks(shared_data):
    oa2011 = read_areas(
        shared_data / "oa_trafford/2011_trafford_oa_generalised.geojson", level="oa"
    )
    assert "holds LA codes, not names" in oa2011.attrs["notes"]
    lsoa2011 = read_areas(
        shared_data / "lsoa_trafford/2011_trafford_lsoa_generalised.geojson", level="lsoa"
    )
    lsoa2021 = read_areas(
        shared_data / "lsoa_trafford/2021_trafford_lsoa_generalised.geojson", level="lsoa"
    )
    assert "E01006185" in set(lsoa2011.lsoa_code) - set(lsoa2021.lsoa_code)
    assert {"E01034000", "E01034001"} <= set(lsoa2021.lsoa_code) - set(lsoa2011.lsoa_code)
    assert lsoa2021.set_index("lsoa_code").loc["E01006074", "lsoa_name"] == "Trafford 025A"


def test_area_level_must_match_codes(shared_data):
    with pytest.raises(IngestError, match=r"\(LSOA codes\).*level='lsoa'"):
        read_areas(shared_data / "lsoa_trafford/2021_trafford_lsoa_generalised.geojson", level="oa")
    with pytest.raises(IngestError, match="expected 'oa' or 'lsoa'"):
        read_areas(
            shared_data / "lsoa_trafford/2021_trafford_lsoa_generalised.geojson", level="msoa"
        )


def test_ons_area_form(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "OA21CD": ["E00030771"],
            "LSOA21CD": ["E01006079"],
            "LSOA21NM": ["Trafford 025D"],
            "LSOA21NMW": [" "],
            "GlobalID": ["{x}"],
        },
        geometry=[shapely.box(375000, 388000, 375100, 388100)],
        crs="EPSG:27700",
    )
    areas = read_areas(write_gpkg(tmp_path / "oa.gpkg", frame), level="oa")
    assert areas.columns.tolist() == ["oa_code", "lsoa_code", "lsoa_name", "geometry"]
    assert areas.attrs["vintage"] == "2021"


# --- lookups ------------------------------------------------------------------------------


def test_trafford_lookups(shared_data):
    stat = read_lookup(shared_data / "lookups_trafford/statistical_lookup.csv")
    assert len(stat) == 738
    assert stat["oa_code"].nunique() == 738
    assert stat["lsoa_code"].nunique() == 139
    assert stat.columns.tolist() == [
        "oa_code",
        "lsoa_code",
        "lsoa_name",
        "msoa_code",
        "msoa_name",
        "la_code",
        "la_name",
    ]
    assert stat.attrs["vintages"] == {"oa": "2021", "lsoa": "2021", "msoa": "2021", "la": "2022"}

    best = read_lookup(shared_data / "lookups_trafford/lsoa_to_ward_best-fit_lookup.csv")
    assert len(best) == 139
    assert best["ward_code"].nunique() == 21
    assert best.attrs["vintages"] == {"lsoa": "2021", "ward": "2022", "la": "2022"}
    assert set(best.lsoa_code) == set(stat.lsoa_code)

    admin = read_lookup(shared_data / "lookups_trafford/administrative_lookup.csv")
    assert len(admin) == 21
    assert admin.columns.tolist() == ["ward_code", "ward_name", "la_code", "la_name"]
    wards = read_wards(shared_data / WARDS_2022[1])
    assert set(admin.ward_code) == set(best.ward_code) == set(wards.ward_code)


@pytest.mark.parametrize(
    ("name", "rows", "year"),
    [
        (
            "Ward_to_Local_Authority_District_(December_2019)_Lookup_in_the_United_Kingdom.csv",
            8887,
            "2019",
        ),
        (
            "Ward_to_Local_Authority_District_(December_2020)_Lookup_in_the_United_Kingdom_V2.csv",
            8887,
            "2020",
        ),
        (
            "Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv",
            8441,
            "2023",
        ),
    ],
)
def test_ward_lad_lookups(shared_data, name, rows, year):
    lookup = read_lookup(shared_data / LOOKUPS / name)
    assert len(lookup) == rows
    assert lookup.columns.tolist() == ["ward_code", "ward_name", "la_code", "la_name"]
    assert lookup.attrs["vintages"] == {"ward": year, "la": year}
    assert lookup.attrs["many_to_many"] is False
    assert lookup["ward_code"].is_unique
    assert not lookup.columns.str.contains("FID|ObjectId|NMW").any()


def test_ward_2011_to_2022_lookup(shared_data):
    lookup = read_lookup(shared_data / LOOKUP_2011_2022)
    assert lookup.columns.tolist() == [
        "ward_code_2011",
        "ward_name_2011",
        "la_code_2011",
        "la_name_2011",
        "ward_code",
        "ward_name",
        "la_code",
        "la_name",
    ]
    assert lookup.attrs["vintages"] == {
        "ward_2011": "2011",
        "la_2011": "2011",
        "ward": "2022",
        "la": "2022",
    }
    assert lookup.attrs["many_to_many"] is True
    # 13,564 rows, one of them an exact repeat (E05000292 -> E05013554, ObjectIds 11927/11928)
    assert lookup.attrs["duplicate_rows_dropped"] == 1
    assert len(lookup) == 13563
    assert lookup["ward_code_2011"].nunique() == 8588
    split = lookup[lookup.ward_code == "E05014284"]
    assert sorted(split.la_code) == ["E07000167", "E07000168"]


def write_csv(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_lookup_unknown_column(tmp_path):
    path = write_csv(tmp_path / "l.csv", "WD22CD,WD22NM,LAD22CD,Region\nE05000819,A,E08000009,NW\n")
    with pytest.raises(IngestError, match=r"column\(s\) \['Region'\]"):
        read_lookup(path)


def test_lookup_bad_code_duplicate_key_and_empty(tmp_path):
    shifted = write_csv(tmp_path / "s.csv", "wd22cd,wd22nm,lad22cd\nE01006074,A,E08000009\n")
    with pytest.raises(IngestError, match=r"column 'wd22cd'.*\(LSOA codes\)"):
        read_lookup(shifted)
    dup = write_csv(
        tmp_path / "d.csv",
        "OA21CD,LSOA21CD,LAD22CD\nE00030771,E01006079,E08000009\nE00030771,E01006080,E08000009\n",
    )
    with pytest.raises(IngestError, match="appear on more than one row"):
        read_lookup(dup)
    repeated = write_csv(
        tmp_path / "r.csv",
        "FID,OA21CD,LSOA21CD\n1,E00030771,E01006079\n2,E00030771,E01006079\n",
    )
    assert read_lookup(repeated).attrs["duplicate_rows_dropped"] == 1
    empty = write_csv(tmp_path / "e.csv", "")
    with pytest.raises(IngestError, match="is empty"):
        read_lookup(empty)
    header_only = write_csv(tmp_path / "h.csv", "WD22CD,LAD22CD\n")
    with pytest.raises(IngestError, match="no rows"):
        read_lookup(header_only)


def test_lsoa_2011_to_2021_lookup_layout(tmp_path):
    path = write_csv(
        tmp_path / "lsoa.csv",
        "LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId\n"
        "E01006185,Trafford 001A,E01034000,Trafford 001G,S,E08000009,Trafford,,1\n"
        "E01006185,Trafford 001A,E01034001,Trafford 001H,S,E08000009,Trafford,,2\n",
    )
    lookup = read_lookup(path)
    assert lookup.columns.tolist() == [
        "lsoa_code_2011",
        "lsoa_name_2011",
        "lsoa_code",
        "lsoa_name",
        "change_indicator",
        "la_code",
        "la_name",
    ]
    assert lookup.attrs["many_to_many"] is True
    assert lookup.attrs["vintages"] == {"lsoa_2011": "2011", "lsoa": "2021", "la": "2022"}


# --- postcodes ----------------------------------------------------------------------------


def test_trafford_postcodes(shared_data, trafford_postcodes):
    pcs = trafford_postcodes
    assert len(pcs) == 11264
    assert pcs.columns.tolist() == [
        "postcode",
        "ward_code",
        "ward_name",
        "lsoa_code",
        "la_code",
        "lon",
        "lat",
    ]
    assert pcs["postcode"].is_unique
    assert pcs["ward_code"].nunique() == 21
    assert (pcs["la_code"] == TRAFFORD).all()
    row = pcs.set_index("postcode").loc["M15 4AB"]
    assert row["ward_code"] == "E05015247"
    assert row["ward_name"] == "Gorse Hill & Cornbrook"
    assert row["lsoa_code"] == "E01034001"
    assert row["lon"] == -2.26046
    assert row["lat"] == 53.465578
    # postcodes carry the 2023 wards, not the 2022 wards of the census lookups
    w23 = read_wards(shared_data / WARDS_2023[1])
    assert set(pcs.ward_code) == set(w23.ward_code)


def header(text: str) -> list[str]:
    return text.split(",")


# ONSPD (February 2023) and NSPL (May 2025) headers as ONS prints them
ONSPD_HEADER = header(
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,"
    "osgrdind,oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,"
    "park,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua11,buasd11,ru11ind,oac11,"
    "lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21"
)
NSPL_HEADER = header(
    "pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,oa21,cty,ced,laua,ward,"
    "nhser,ctry,rgn,pcon,ttwa,itl,park,lsoa21,msoa21,wz11,sicbl,bua24,ruc21,oac11,lat,long,lep1,"
    "lep2,pfa,imd,icb"
)


def raw_postcode_csv(path, header, rows):
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(row.get(h, "") for h in header))
    return write_csv(path, "\n".join(lines) + "\n")


def onspd_row(pcds, doterm="", lat="53.465578", long="-2.26046", **more):
    ward = {"osward": "E05015247", "ward": "E05015247"}
    la = {"oslaua": TRAFFORD, "laua": TRAFFORD}
    return {
        "pcds": pcds,
        "doterm": doterm,
        "lsoa21": "E01034001",
        "lsoa11": "E01006185",
        "lat": lat,
        "long": long,
        **ward,
        **la,
        **more,
    }


@pytest.mark.parametrize("header", [ONSPD_HEADER, NSPL_HEADER], ids=["ONSPD", "NSPL"])
def test_raw_onspd_and_nspl(tmp_path, header):
    rows = [
        onspd_row("M15 4AB"),
        onspd_row("M15 4ZZ", doterm="201012"),
        onspd_row("M15 4AD", lat="99.999999", long="0.000000"),
    ]
    pcs = read_postcodes(raw_postcode_csv(tmp_path / "onspd.csv", header, rows))
    assert pcs.columns.tolist() == ["postcode", "ward_code", "lsoa_code", "la_code", "lon", "lat"]
    assert pcs.postcode.tolist() == ["M15 4AB", "M15 4AD"]
    assert pcs.lsoa_code.tolist() == ["E01034001", "E01034001"]
    assert pcs.attrs["terminated_dropped"] == 1
    assert pcs.attrs["no_location"] == 1
    assert pcs.attrs["vintages"] == {"lsoa": "2021"}
    assert pcs.loc[1, ["lat", "lon"]].isna().all()
    assert {"pcd", "oseast1m", "msoa21"} <= set(pcs.attrs["ignored_columns"])
    everything = read_postcodes(tmp_path / "onspd.csv", include_terminated=True)
    assert len(everything) == 3


def test_postcode_normalisation_and_errors(tmp_path):
    header = (
        "postcode,ward_code,ward_name,msoa_code,msoa_hcl_name,lsoa_code,lsoa_name,locality,"
        "la_code,la_name,lon,lat\n"
    )
    rest = (
        ",E05015247,Gorse Hill,E02001259,Old Trafford,E01034001,Trafford 001H,North,"
        "E08000009,Trafford"
    )
    ok = write_csv(
        tmp_path / "ok.csv", header + f"m15  4ab{rest},-2.26,53.46\nM154AD{rest},-2.26,53.46\n"
    )
    assert read_postcodes(ok).postcode.tolist() == ["M15 4AB", "M15 4AD"]
    bad = write_csv(
        tmp_path / "bad.csv", header + f"M15 4AB{rest},-2.26,53.46\nNOT A PC{rest},-2.26,53.46\n"
    )
    with pytest.raises(IngestError, match=r"line 3: found 'NOT A PC'"):
        read_postcodes(bad)
    swapped = write_csv(tmp_path / "swap.csv", header + f"M15 4AB{rest},53.46,-2.26\n")
    with pytest.raises(IngestError, match="lat and lon columns swapped"):
        read_postcodes(swapped)
    text = write_csv(tmp_path / "text.csv", header + f"M15 4AB{rest},west,53.46\n")
    with pytest.raises(IngestError, match=r"column 'lon', line 2: found 'west'"):
        read_postcodes(text)
    dup = write_csv(
        tmp_path / "dup.csv", header + f"M15 4AB{rest},-2.26,53.46\nM154AB{rest},-2.26,53.46\n"
    )
    with pytest.raises(IngestError, match="appear on more than one row"):
        read_postcodes(dup)
    other = write_csv(tmp_path / "other.csv", "postcode,ward\nM15 4AB,E05015247\n")
    with pytest.raises(IngestError, match="does not match any known release"):
        read_postcodes(other)
