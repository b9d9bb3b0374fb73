import csv
import io
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from ingest._errors import IngestError
from ingest.discover import discover
from ingest.sources.ofcom_fixed import (
    COUNT_COLUMNS,
    LA_2016,
    LA_2017,
    LA_2018,
    LA_2019,
    LA_2020,
    LA_202105,
    LA_202507,
    LA_RELEASES,
    OA_202601,
    OA_RELEASES,
    PERCENT_COLUMNS,
    POSTCODE_202601,
    POSTCODE_RELEASES,
    SPEED_COLUMNS,
    read_fixed_la,
    read_fixed_oa,
    read_fixed_postcode,
    title_case,
)

LA_DIR = "ofcom_fixed_laua"
SMALL_DIR = "ofcom_fixed_small_area_excerpts"
LA_FILES = {
    "2016": "2016_data.csv",
    "2018": "2018_data.csv",
    "2019": "2019_data.csv",
    "202105": "202105_fixed_laua_coverage_r01.csv",
    "202507": "202507_fixed_laua_coverage_r01.csv",
}
OA_FILE = "202601_fixed_oa_coverage_r1.csv"
OA_RES_FILE = "202601_fixed_oa_res_coverage_r1.csv"
PC_FILE = "202601_fixed_pc_coverage_r2_CR.csv"
PC_RES_FILE = "202601_fixed_pc_coverage_res_r1_CR.csv"
TRAFFORD = "E08000009"
HULL = "E06000010"
#: Connected Nations 2017's LA header, verbatim from Kim22345/CFG-Data-Project-, "Project
#: Notebook and Data Files/2017_data.csv" (commit ca619446): not in ../shared/data.
HEADER_2017 = (
    "laua,laua_name,SFBB availability (% premises),UFBB availability (% premises),"
    "FTTP availability (% premises),% of premises unable to receive 2Mbit/s,"
    "% of premises unable to receive 5Mbit/s,% of premises unable to receive 10Mbit/s,"
    "% of premises unable to receive 30Mbit/s,Median download speed (Mbit/s),"
    "Average download speed (Mbit/s),Minimum download speed (Mbit/s),"
    "Maximum download speed (Mbit/s),Average download speed (Mbit/s) for lines  < 10Mbit/s,"
    "Average download speed (Mbit/s) for Basic BB lines,"
    "Average download speed (Mbit/s) for SFBB lines,"
    "Average download speed (Mbit/s) for UFBB lines,Median upload speed (Mbit/s),"
    "Average upload speed (Mbit/s),Minimum upload speed (Mbit/s),"
    "Maximum upload speed (Mbit/s),Average upload speed (Mbit/s) for lines <10Mbit/s,"
    "Average upload speed (Mbit/s) for Basic BB lines,"
    "Average upload speed (Mbit/s) for SFBB lines,"
    "Average upload speed (Mbit/s) for UFBB lines,"
    "Number of connections < 2 Mbit/s  (number of lines),"
    "Number of connections 2<5 Mbit/s  (number of lines),"
    "Number of connections 5<10 Mbit/s  (number of lines),"
    "Number of connections 10<30 Mbit/s  (number of lines),"
    "Number of connections >= 30 Mbit/s  (number of lines),"
    "Number of connections >= 300 Mbit/s  (number of lines),Average data usage (GB),"
    "Average data usage (GB) for lines <10Mbit/s,Average data usage (GB) for Basic BB lines,"
    "Average data usage (GB) for SFBB lines,Average data usage (GB) for UFBB lines"
)
#: Three rows of that file, verbatim (Adur, Hull, Trafford).
ROWS_2017 = (
    "E07000223,Adur,29,70,0,0,0,0,1,50,63.8,0.2,350,6.5,13.9,95.2,301.4,5,5.9,0,20,0.9,1.3,"
    "8.8,19.9,148,672,2232,6381,14536,72,178.7,107.4,154.8,192.8,450",
    'E06000010,"Kingston upon Hull, City of",1,45,45,0,2,22,54,13.1,41.6,0.1,1000,6.4,10,'
    "112.1,575.8,1,5.1,0.1,1000,0.9,0.9,14.1,254.7,639,5760,19117,22193,21124,41,140.9,104.8,"
    "117.4,192.6,564.6",
    "E08000009,Trafford,63,35,1,0,0,1,2,40,51.9,0.2,350,5.9,12.1,81.1,304.2,5,6.1,0,20,0.8,1.3,"
    "9.7,19.6,1112,4445,10008,21009,48909,107,184.1,115.6,154.1,205.8,343.2",
)
#: Three rows of the same uploader's 2020_data.csv (the 2019 header, SFBB % of 30 Mbit/s or
#: more), verbatim: Aberdeen City, Adur, Trafford.
ROWS_2020 = (
    "S12000033,ABERDEEN CITY,125621,125416,93.9,30.0,22.1,0.0,0.2,0.7,5.9,1.0,96.8,0.0,0.0,"
    "117966,37638,27823,53,223,896,7450,1197,121662,0,0,80328,37638,53,170,673,6554,63.9,30.0,"
    "0.0,0.1,0.5,5.2",
    "E07000223,ADUR,29784,29771,99.1,81.7,0.6,0.0,0.0,0.1,0.9,0.1,99.5,0.0,0.0,29507,24319,186,"
    "0,11,28,264,43,29630,0,0,5188,24319,0,11,17,236,17.4,81.7,0.0,0.0,0.1,0.8",
    "E08000009,TRAFFORD,107494,107184,97.8,66.3,2.2,0.0,0.2,0.3,1.9,0.7,98.9,1.5,0.0,105138,"
    "71264,2386,52,245,357,2046,725,106351,1658,0,33874,71264,52,193,112,1689,31.5,66.3,0.0,0.2,"
    "0.1,1.6",
)
SFBB_PCT = "SFBB availability (% premises)"


@pytest.fixture(scope="module")
def la(shared_data) -> dict[str, pd.DataFrame]:
    return {name: read_fixed_la(shared_data / LA_DIR / file) for name, file in LA_FILES.items()}


def row_of(frame: pd.DataFrame, code: str) -> pd.Series:
    key = frame.columns[0]
    return frame.set_index(key).loc[code]


# --- header maps are the published headers -------------------------------------------------


@pytest.mark.parametrize(
    ("release", "folder", "file"),
    [(r, LA_DIR, LA_FILES[r.name]) for r in LA_RELEASES if r.name in LA_FILES]
    + [(OA_202601, SMALL_DIR, OA_FILE), (OA_202601, SMALL_DIR, OA_RES_FILE)]
    + [(POSTCODE_202601, SMALL_DIR, PC_FILE), (POSTCODE_202601, SMALL_DIR, PC_RES_FILE)],
    ids=lambda v: getattr(v, "name", None) or str(v),
)
def test_header_map_is_the_published_header_in_order(shared_data, release, folder, file):
    with open(shared_data / folder / file, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert list(release.columns) == header


def test_header_maps_of_the_releases_not_in_shared_data(shared_data):
    assert ",".join(LA_2017.columns) == HEADER_2017
    # the 2020 file has the 2019 file's 38 columns, in the same order
    with open(shared_data / LA_DIR / LA_FILES["2019"], encoding="utf-8", newline="") as f:
        assert list(LA_2020.columns) == next(csv.reader(f))
    # 2017 is the 2016 table keyed 'laua', FTTP for NGA
    assert set(LA_2017.columns) ^ set(LA_2016.columns) == {
        "laua",
        "laua_code",
        "FTTP availability (% premises)",
        "NGA availability (% premises)",
    }


def test_release_lists():
    assert [r.name for r in LA_RELEASES] == [
        "2016",
        "2017",
        "2018",
        "2019",
        "2020",
        "202105",
        "202507",
    ]
    # 2019 and 2020: the same columns in the same order, SFBB % read differently.
    assert list(LA_2019.columns) == list(LA_2020.columns)
    assert (LA_2019.columns[SFBB_PCT], LA_2020.columns[SFBB_PCT]) == (None, "pct_premises_sfbb")
    assert [r.name for r in OA_RELEASES] == ["202601"]
    assert [r.name for r in POSTCODE_RELEASES] == ["202601"]
    # 202105 and 202507: the same names, the speed-band blocks in another order.
    assert LA_202105.headers == LA_202507.headers
    assert list(LA_202105.columns) != list(LA_202507.columns)
    assert LA_2018.columns["Number of premises with SFBB availability"] == "premises_speed_30_300"


# --- real local-authority files ------------------------------------------------------------


#: How each real file's release is known: Ofcom's YYYYMM_ prefix, else its header; 2019 shares
#: its header with 2020, so its values decide.
BASIS = {
    "2016": "header",
    "2018": "header",
    "2019": "content",
    "202105": "file name",
    "202507": "file name",
}


@pytest.mark.parametrize(
    ("release", "rows"),
    [("2016", 391), ("2018", 391), ("2019", 382), ("202105", 374), ("202507", 361)],
)
def test_la_rows_keys_and_attrs(la, release, rows):
    frame = la[release]
    assert len(frame) == rows
    assert frame["la_code"].is_unique
    assert frame["la_code"].str.fullmatch(r"[ENSW]\d{8}").all()
    assert frame.columns[:3].tolist() == ["la_code", "la_name", "la_name_published"]
    assert frame.attrs["release"] == release
    assert frame.attrs["layout"] == release
    assert frame.attrs["release_basis"] == BASIS[release]
    assert frame.attrs["release_note"] in frame.attrs["notes"]
    assert frame.attrs["source_file"] == LA_FILES[release]
    assert frame.attrs["premises_scope"] == "all"
    assert frame.attrs["notes"]
    assert row_of(frame, TRAFFORD)["la_name"] == "Trafford"
    for column in frame.columns:
        if column in COUNT_COLUMNS:
            assert frame[column].dtype == np.int64, column
        elif column.startswith("pct_"):
            assert frame[column].dtype == np.float64, column
            assert frame[column].between(0, 100).all(), column


def test_trafford_2025(la):
    trafford = row_of(la["202507"], TRAFFORD)
    assert trafford["premises"] == 111_023
    assert trafford["matched_premises"] == 110_979
    assert trafford["premises_gigabit"] == 103_581
    assert trafford["pct_premises_gigabit"] == 93.3
    assert trafford["premises_sfbb"] == 109_967
    assert trafford["pct_premises_sfbb"] == 99.0
    assert trafford["premises_full_fibre"] == 101_292
    assert trafford["pct_premises_full_fibre"] == 91.2
    assert trafford["premises_below_uso"] == 4
    assert trafford["pct_premises_below_uso"] == 0.0
    assert trafford["premises_speed_30_300"] == 5_508
    assert trafford["pct_premises_speed_30_300"] == 5.0  # written "5"


def test_sfbb_2018_both_columns_exclusive_made_inclusive(la):
    trafford = row_of(la["2018"], TRAFFORD)
    # published: SFBB 33.9 % (35,027), UFBB 64.2 % (66,263) of 103,179 premises
    assert trafford["pct_premises_speed_30_300"] == 33.9
    assert trafford["premises_speed_30_300"] == 35_027
    assert trafford["pct_premises_ufbb"] == 64.2
    assert trafford["premises_ufbb"] == 66_263
    assert trafford["premises_sfbb"] == 35_027 + 66_263
    assert trafford["pct_premises_sfbb"] == round(100 * (35_027 + 66_263) / 103_179, 1) == 98.2
    hull = row_of(la["2018"], HULL)  # KCOM full fibre: published "SFBB" is 1.3 %
    assert hull["pct_premises_speed_30_300"] == 1.3
    assert hull["pct_premises_sfbb"] == 80.2
    assert "30-to-under-300" in la["2018"].attrs["notes"]
    assert "premises_sfbb derived" in la["2018"].attrs["notes"]


def test_sfbb_2019_number_inclusive_percentage_recomputed(la):
    trafford = row_of(la["2019"], TRAFFORD)
    assert trafford["premises"] == 107_154
    assert trafford["premises_sfbb"] == 104_593
    assert trafford["pct_premises_sfbb"] == 97.6  # the file's SFBB % says 32.4 (exclusive)
    assert trafford["pct_premises_speed_30_300"] == 32.4
    assert "recomputed" in la["2019"].attrs["notes"]


@pytest.mark.parametrize("release", ["2018", "2019", "202105", "202507"])
def test_sfbb_is_inclusive_in_every_release_with_counts(la, release):
    frame = la[release]
    assert (frame["premises_sfbb"] == frame["premises_speed_30_300"] + frame["premises_ufbb"]).all()
    assert (frame["premises_sfbb"] <= frame["premises"] - frame["premises_below_30mbit"]).all()
    recomputed = 100 * frame["premises_sfbb"] / frame["premises"]
    assert (frame["pct_premises_sfbb"] - recomputed).abs().max() <= 0.05 + 1e-9


def test_2016_percentages_and_speeds_no_counts(la):
    frame = la["2016"]
    assert not [c for c in frame.columns if c in COUNT_COLUMNS]
    assert set(frame.columns) == {
        "la_code",
        "la_name",
        "la_name_published",
        "pct_premises_sfbb",
        "pct_premises_ufbb",
        "pct_premises_below_2mbit",
        "pct_premises_below_5mbit",
        "pct_premises_below_10mbit",
        "pct_premises_below_30mbit",
        "pct_premises_nga",
        "pct_premises_speed_30_300",
        *SPEED_COLUMNS,
    }
    trafford = row_of(frame, TRAFFORD)
    assert trafford[list(SPEED_COLUMNS)].tolist() == [26.9, 43.7, 1.3, 4.2]
    assert trafford["pct_premises_sfbb"] == 96.0
    hull = row_of(frame, HULL)  # published "SFBB" 1, UFBB 31, unable to get 30 Mbit/s 68
    assert hull["pct_premises_speed_30_300"] == 1.0
    assert hull["pct_premises_sfbb"] == 32.0
    assert "laua_code" in frame.attrs["notes"]


def test_202105_and_202507_parse_to_identical_columns(la):
    assert la["202105"].columns.tolist() == la["202507"].columns.tolist()
    a = row_of(la["202105"], TRAFFORD)
    assert a["premises_speed_30_300"] == 33_545
    assert a["pct_premises_speed_30_300"] == 31.1
    assert a["pct_premises_sfbb"] == 97.9  # published inclusive from 2021


@pytest.mark.parametrize(
    ("release", "absent"),
    [
        ("2018", {"premises_ufbb_100", "premises_gigabit", "premises_speed_0_2"}),
        ("2019", {"premises_ufbb_100", "premises_gigabit"}),
        ("202105", {"premises_fwa_sfbb", "pct_premises_fwa_sfbb"}),
        ("202507", {"premises_fwa_sfbb", "pct_premises_fwa_sfbb"}),
    ],
)
def test_absent_means_absent(la, release, absent):
    frame = la[release]
    assert not absent & set(frame.columns)
    assert not frame.isna().any().any()


def test_upper_case_names_title_cased_and_published_text_kept(la):
    frame = la["2019"].set_index("la_code")
    assert frame.loc[TRAFFORD, "la_name_published"] == "TRAFFORD"
    assert frame.loc[HULL, "la_name"] == "Kingston upon Hull, City of"
    assert frame.loc[HULL, "la_name_published"] == "KINGSTON UPON HULL, CITY OF"
    assert frame.loc["S12000013", "la_name"] == "Na h-Eileanan Siar"
    assert "title-cased" in la["2019"].attrs["notes"]
    folkestone = row_of(la["2018"], "E07000112")  # the one upper-case name in 2018
    assert folkestone["la_name"] == "Folkestone and Hythe"
    assert folkestone["la_name_published"] == "FOLKESTONE AND HYTHE"
    assert "title-cased" not in la["202507"].attrs["notes"]


def test_title_case_reproduces_every_title_case_name_ofcom_published(la):
    published = pd.concat([la[r]["la_name_published"] for r in ("2016", "2018", "202507")])
    names = pd.Series(sorted(set(published[published != published.str.upper()])))
    assert len(names) > 400
    assert title_case(names.str.upper()).tolist() == names.tolist()
    # and every upper-case name of 2019/2021 then matches the title-case name of 2025
    for release in ("2019", "202105"):
        both = la[release].merge(la["202507"], on="la_code")
        assert (both["la_name_x"] == both["la_name_y"]).all()


# --- real small-area excerpts --------------------------------------------------------------


def test_oa_excerpt(shared_data):
    oa = read_fixed_oa(shared_data / SMALL_DIR / OA_FILE)
    assert oa["oa_code"].tolist() == ["E00005233", "E00174805", "E00178816"]
    row = row_of(oa, "E00005233")
    assert row["premises"] == 509
    assert row["premises_gigabit"] == 371
    assert row["pct_premises_gigabit"] == 72.9
    assert row["premises_sfbb"] == 509
    assert row["pct_premises_sfbb"] == 100.0
    assert row["premises_below_uso"] == 0
    assert row["premises_speed_30_300"] == 138
    assert not {"premises_full_fibre", "pct_premises_full_fibre", "premises_fwa_sfbb"} & set(
        oa.columns
    )
    assert len(oa.columns) == 1 + 2 + 11 + 6 + 11 + 6
    assert (oa[[c for c in oa.columns if c in COUNT_COLUMNS]].dtypes == np.int64).all()
    assert oa.attrs["release"] == "202601"
    assert oa.attrs["premises_scope"] == "all"
    assert "below the USO" in oa.attrs["notes"]
    assert "premises_below_uso" in oa.attrs["notes"]


def test_oa_residential_excerpt(shared_data):
    oa = read_fixed_oa(shared_data / SMALL_DIR / OA_RES_FILE)
    row = row_of(oa, "E00005233")
    assert (row["premises"], row["premises_gigabit"], row["pct_premises_gigabit"]) == (
        447,
        363,
        81.2,
    )
    assert oa.attrs["premises_scope"] == "residential"
    assert "Residential premises only" in oa.attrs["notes"]


@pytest.mark.parametrize(("file", "rows"), [(PC_FILE, 3), (PC_RES_FILE, 2)])
def test_postcode_excerpts(shared_data, file, rows):
    pc = read_fixed_postcode(shared_data / SMALL_DIR / file)
    assert len(pc) == rows
    assert pc.columns[:3].tolist() == ["postcode", "postcode_space", "postcode_area"]
    assert not [c for c in pc.columns if c in COUNT_COLUMNS]
    assert set(pc.columns[3:]) <= set(PERCENT_COLUMNS)
    assert len(pc.columns) == 20
    row = row_of(pc, "CR05BX")
    assert (row["postcode_space"], row["postcode_area"]) == ("CR0 5BX", "CR")
    assert row["pct_premises_gigabit"] == 100.0
    assert row["pct_premises_speed_300_plus"] == 100.0
    assert row["pct_premises_below_uso"] == 0.0
    assert pc.attrs["release"] == "202601"
    assert pc.attrs["premises_scope"] == ("residential" if "_res_" in file else "all")
    if rows == 3:
        assert row_of(pc, "CR05LP")[["pct_premises_gigabit", "pct_premises_sfbb"]].tolist() == [
            0.0,
            100.0,
        ]


@pytest.mark.parametrize(
    ("reader", "folder", "file", "hint"),
    [
        (read_fixed_oa, SMALL_DIR, PC_FILE, "is an Ofcom postcode file .*read_fixed_postcode"),
        (read_fixed_la, SMALL_DIR, OA_FILE, "is an Ofcom output-area file, .*read_fixed_oa"),
        (read_fixed_postcode, LA_DIR, LA_FILES["2019"], "local-authority file, .*read_fixed_la"),
    ],
)
def test_wrong_level_says_which_reader(shared_data, reader, folder, file, hint):
    with pytest.raises(IngestError, match=hint):
        reader(shared_data / folder / file)


@pytest.mark.parametrize(("encoding", "newline"), [("cp1252", "\r\n"), ("utf-8-sig", "\n")])
def test_cp1252_bom_and_crlf_copies_parse(shared_data, tmp_path, encoding, newline):
    original = shared_data / LA_DIR / LA_FILES["202507"]
    text = original.read_text(encoding="utf-8").replace("\r\n", "\n")
    assert text.count("Isle of Anglesey") == 1
    copy = tmp_path / original.name
    copy.write_bytes(
        text.replace("Isle of Anglesey", "Ynys Môn").replace("\n", newline).encode(encoding)
    )
    if encoding == "cp1252":
        with pytest.raises(UnicodeDecodeError):
            copy.read_bytes().decode("utf-8")
    parsed = read_fixed_la(copy)
    assert row_of(parsed, "W06000001")["la_name"] == "Ynys Môn"
    expected = read_fixed_la(original)
    pd.testing.assert_frame_equal(
        parsed.drop(columns=["la_name", "la_name_published"]),
        expected.drop(columns=["la_name", "la_name_published"]),
    )


@pytest.mark.parametrize(
    ("name", "release"),
    [
        ("202607_fixed_oa_coverage_r1.csv", "202607"),  # a later file in the same layout
        ("trafford_oa_extract.csv", "202601"),  # no YYYYMM_ prefix: the layout's name
    ],
)
def test_release_comes_from_the_file_name_prefix(shared_data, tmp_path, name, release):
    copy = tmp_path / name
    shutil.copy(shared_data / SMALL_DIR / OA_FILE, copy)
    oa = read_fixed_oa(copy)
    assert (oa.attrs["release"], oa.attrs["layout"], oa.attrs["source_file"]) == (
        release,
        "202601",
        name,
    )


# --- synthetic files: formats and every error ----------------------------------------------

#: A consistent area of 100 premises: counts, and percentages equal to the counts.
COUNTS = {
    "premises": 100,
    "matched_premises": 100,
    "premises_sfbb": 90,
    "premises_ufbb_100": 60,
    "premises_ufbb": 50,
    "premises_gigabit": 40,
    "premises_full_fibre": 30,
    "premises_below_2mbit": 1,
    "premises_below_5mbit": 2,
    "premises_below_10mbit": 4,
    "premises_below_30mbit": 10,
    "premises_below_uso": 3,
    "premises_nga": 95,
    "premises_fwa_decent": 5,
    "premises_fwa_sfbb": 0,
    "premises_speed_0_2": 1,
    "premises_speed_2_5": 1,
    "premises_speed_5_10": 2,
    "premises_speed_10_30": 6,
    "premises_speed_30_300": 40,
    "premises_speed_300_plus": 50,
}
KEYS = {
    "oa_code": "E00000001",
    "la_code": TRAFFORD,
    "la_name": "Trafford",
    "postcode": "CR05BX",
    "postcode_space": "CR0 5BX",
    "postcode_area": "CR",
}


def row(**cells: str) -> dict[str, str]:
    values = {**KEYS, **{k: str(v) for k, v in COUNTS.items()}}
    values.update({f"pct_{k}": str(v) for k, v in COUNTS.items()})
    values.update(cells)
    return values


def write(path, release, rows, *, rename=None):
    """Write ``rows`` (canonical names) under ``release``'s headers; ``rename`` edits headers."""
    headers = list(release.columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([(rename or {}).get(h, h) for h in headers])
    writer.writerows([[r.get(release.columns[h] or "", "") for h in headers] for r in rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_synthetic_oa_round_trip_and_number_formats(tmp_path):
    rows = [
        row(),
        row(oa_code="W00000002", pct_premises_gigabit="40.0", pct_premises_fwa_sfbb="0.0"),
        row(oa_code="S00000003", premises="1,296", matched_premises="1,296"),
    ]
    oa = read_fixed_oa(write(tmp_path / "oa.csv", OA_202601, rows))
    assert oa["pct_premises_gigabit"].tolist() == [40.0, 40.0, 40.0]
    assert oa["premises"].tolist() == [100, 100, 1296]
    assert oa["premises"].dtype == np.int64


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [row(), row(oa_code="E00000002", premises_gigabit="n/a")],
            r"column 'Number of premises with Gigabit availability', line 3: found 'n/a'; "
            r"expected a whole number",
            id="non-numeric",
        ),
        pytest.param(
            [row(premises_nga="2.5")],
            r"column 'Number of premises with NGA', line 2: found '2.5'",
            id="fractional-count",
        ),
        pytest.param(
            [row(premises_below_uso="-1")],
            r"'Number of premises unable to receive decent broadband from fixed or FWA', "
            r"line 2: found '-1'",
            id="negative-count",
        ),
        pytest.param(
            [row(premises_nga="")],
            r"column 'Number of premises with NGA', line 2: found ''.*blank",
            id="blank",
        ),
        pytest.param(
            [row(), row(oa_code="E00000002", pct_premises_gigabit="100.1")],
            r"column 'Gigabit availability \(% premises\)', line 3: found '100.1'; "
            r"expected a percentage between 0 and 100",
            id="percent-over-100",
        ),
        pytest.param(
            [row(), row(oa_code="E00000002", premises_gigabit="101")],
            r"column 'Number of premises with Gigabit availability', line 3 "
            r"\(oa_code E00000002\): found 101; expected no more premises than "
            r"'All Premises' \(100\)",
            id="count-over-premises",
        ),
        pytest.param(
            [row(matched_premises="120")],
            r"column 'All Matched Premises', line 2 \(oa_code E00000001\): found 120; "
            r"expected no more matched premises than 'All Premises' \(100\)",
            id="matched-over-premises",
        ),
        pytest.param(
            [row(), row(pct_premises_gigabit="41")],
            r"column 'oa_code': code\(s\) \['E00000001'\] appear on more than one row",
            id="duplicated-code",
        ),
        pytest.param(
            [row(oa_code="E01000001")],
            r"column 'output_area', line 2: found 'E01000001'; expected a 2021 output area code",
            id="lsoa-code-in-oa-file",
        ),
    ],
)
def test_oa_errors_name_file_column_line_and_value(tmp_path, rows, expected):
    path = write(tmp_path / "bad_oa.csv", OA_202601, rows)
    with pytest.raises(IngestError, match=expected) as err:
        read_fixed_oa(path)
    assert str(err.value).startswith("ofcom_fixed: bad_oa.csv")


def test_unknown_header_names_file_column_and_closest_release(tmp_path):
    path = write(tmp_path / "renamed.csv", OA_202601, [row()], rename={"All Premises": "Premises"})
    with pytest.raises(IngestError) as err:
        read_fixed_oa(path)
    message = str(err.value)
    assert "renamed.csv does not match any known release" in message
    assert "Closest is '202601'" in message
    assert "missing column(s) ['All Premises']" in message
    assert "unknown column(s) ['Premises']" in message


@pytest.mark.parametrize(
    ("release", "cells", "expected"),
    [
        pytest.param(
            LA_2018,
            {"premises_ufbb": "55"},
            r"column 'Number of premises with SFBB availability' \+ 'Number of premises with "
            r"UFBB availability', line 2 \(la_code E08000009\): found 95; expected SFBB \+ UFBB "
            r"premises no more than All Premises minus .* \(90\)",
            id="2018-sfbb-plus-ufbb-over-limit",
        ),
        pytest.param(
            LA_202507,
            {"la_code": "E10000001"},
            r"column 'laua', line 2: found 'E10000001'; expected a 9-character local authority",
            id="county-code",
        ),
        pytest.param(
            LA_202507,
            {"pct_premises_sfbb": "x"},
            r"column 'SFBB availability \(% premises\)', line 2: found 'x'",
            id="non-numeric-percent",
        ),
    ],
)
def test_la_errors(tmp_path, release, cells, expected):
    path = write(tmp_path / "la.csv", release, [row(**cells)])
    with pytest.raises(IngestError, match=expected):
        read_fixed_la(path)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"postcode_space": "CR05BX"}, r"column 'postcode_space', line 2: found 'CR05BX'"),
        ({"postcode": "CR05BY"}, r"column 'postcode', line 2: found 'CR05BY'; expected the post"),
        ({"postcode_area": "SE"}, r"column 'postcode area', line 2: found 'SE'; expected the"),
        ({"pct_premises_below_uso": "101"}, r"decent broadband from fixed or FWA', line 2"),
    ],
)
def test_postcode_errors(tmp_path, cells, expected):
    path = write(tmp_path / "pc.csv", POSTCODE_202601, [row(**cells)])
    with pytest.raises(IngestError, match=expected):
        read_fixed_postcode(path)


def test_header_only_file_is_refused(tmp_path):
    path = write(tmp_path / "empty.csv", OA_202601, [])
    with pytest.raises(IngestError, match=re.escape("empty.csv has a header but no rows")):
        read_fixed_oa(path)


@pytest.mark.parametrize(("area", "duplicated"), [("CW", "CV"), ("MK", "ME")])
def test_january_2026_r1_of_the_reissued_areas_is_refused(shared_data, tmp_path, area, duplicated):
    first = tmp_path / f"202601_fixed_pc_coverage_r1_{area}.csv"
    shutil.copy(shared_data / SMALL_DIR / PC_FILE, first)
    with pytest.raises(IngestError, match=rf"{first.name}.*duplicated area {duplicated}.*r2"):
        read_fixed_postcode(first)


def test_revision_and_area_come_from_the_file_name(shared_data, tmp_path):
    reissue = read_fixed_postcode(shared_data / SMALL_DIR / PC_FILE)
    assert (reissue.attrs["revision"], reissue.attrs["area"]) == (2, "CR")
    first = tmp_path / "202601_fixed_pc_coverage_r1_CR.csv"
    shutil.copy(shared_data / SMALL_DIR / PC_FILE, first)
    assert read_fixed_postcode(first).attrs["revision"] == 1  # other areas' r1 still read


# --- the 2019 and 2020 files share a header: the release from the name, else the values -----


def lines_of(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_lines(path, lines: list[list[str]]):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def as_2020(lines: list[list[str]]) -> list[list[str]]:
    """The 2019 file with its SFBB % written as Ofcom did from 2020: 30 Mbit/s or more."""
    header, *body = lines
    at = {h: i for i, h in enumerate(header)}
    out = [header]
    for cells in body:
        cells = list(cells)
        share = 100 * int(cells[at["Number of premises with SFBB availability"]])
        cells[at[SFBB_PCT]] = f"{share / int(cells[at['All Premises']]):.1f}"
        out.append(cells)
    return out


@pytest.fixture(scope="module")
def lines_2019(shared_data) -> list[list[str]]:
    return lines_of(shared_data / LA_DIR / LA_FILES["2019"])


def test_real_2019_file_is_told_from_2020_by_its_values(la):
    frame = la["2019"]
    assert (frame.attrs["release"], frame.attrs["release_basis"]) == ("2019", "content")
    note = frame.attrs["release_note"]
    assert "inferred from the file's content" in note
    assert "'Number of premises with 30<300Mbit/s download speed'" in note
    assert "all 381 row(s)" in note  # every LA with 300 Mbit/s premises (Orkney has none)
    assert "30-to-under-300 Mbit/s share" in note


def test_synthetic_2020_file_in_the_2019_header_is_read_as_2020(la, lines_2019, tmp_path):
    path = write_lines(tmp_path / "copy.csv", as_2020(lines_2019))
    frame = read_fixed_la(path)
    assert frame.attrs["release"] == frame.attrs["layout"] == "2020"
    assert frame.attrs["release_basis"] == "content"
    assert "'Number of premises with SFBB availability'" in frame.attrs["release_note"]
    trafford = row_of(frame, TRAFFORD)
    assert trafford["pct_premises_sfbb"] == 97.6  # as written, 30 Mbit/s or more
    assert trafford["pct_premises_speed_30_300"] == 32.4
    # the same superfast share either way: 30 Mbit/s or more, in every row
    pd.testing.assert_frame_equal(frame, la["2019"], check_like=True)


def test_real_2020_rows_are_read_as_2020(lines_2019, tmp_path):
    path = tmp_path / "2020_data.csv"
    path.write_text(",".join(lines_2019[0]) + "\n" + "\n".join(ROWS_2020) + "\n")
    frame = read_fixed_la(path)
    assert (frame.attrs["release"], frame.attrs["release_basis"]) == ("2020", "content")
    assert "all 3 row(s)" in frame.attrs["release_note"]
    trafford = row_of(frame, TRAFFORD)
    assert trafford["pct_premises_sfbb"] == 97.8  # published, = 105,138 / 107,494
    assert trafford["premises_sfbb"] == 105_138 == 33_874 + 71_264


@pytest.mark.parametrize(
    ("name", "meaning", "layout"),
    [("201909_fixed_laua_coverage_r01.csv", "2019", "2019"), ("202001_laua.csv", "2020", "2020")],
)
def test_file_name_month_names_the_release_and_the_values_agree(
    lines_2019, tmp_path, name, meaning, layout
):
    lines = lines_2019 if meaning == "2019" else as_2020(lines_2019)
    frame = read_fixed_la(write_lines(tmp_path / name, lines))
    assert frame.attrs["release"] == name[:6]
    assert (frame.attrs["release_basis"], frame.attrs["layout"]) == ("file name", layout)
    assert "its content agrees" in frame.attrs["release_note"]
    assert row_of(frame, TRAFFORD)["pct_premises_sfbb"] == 97.6


@pytest.mark.parametrize(
    ("name", "meaning", "expected"),
    [
        pytest.param(
            "202005_fixed_laua_coverage_r01.csv",
            "2019",
            r"202005_fixed_laua_coverage_r01.csv, column 'SFBB availability \(% premises\)', "
            r"line 2 \(la_code S12000033\): found 73.3; expected 93.4, the 30 Mbit/s-or-more "
            r"share.*as the file name's month 202005 says; but its values are the "
            r"30-to-under-300 Mbit/s share",
            id="name-2020-values-2019",
        ),
        pytest.param(
            "201909_fixed_laua_coverage_r01.csv",
            "2020",
            r"201909_fixed_laua_coverage_r01.csv, column 'SFBB availability \(% premises\)', "
            r"line 2 \(la_code S12000033\): found 93.4; expected 73.3, the 30-to-under-300 "
            r"Mbit/s share.*month 201909 says; but its values are the 30 Mbit/s-or-more share",
            id="name-2019-values-2020",
        ),
    ],
)
def test_file_name_and_values_in_conflict_are_refused(
    lines_2019, tmp_path, name, meaning, expected
):
    lines = lines_2019 if meaning == "2019" else as_2020(lines_2019)
    with pytest.raises(IngestError, match=expected):
        read_fixed_la(write_lines(tmp_path / name, lines))


def no_ultrafast(lines: list[list[str]]) -> list[list[str]]:
    """Rows whose 30-300 and 30-or-more shares are the same (no 300 Mbit/s premises)."""
    at = lines[0].index("Number of premises with >=300Mbit/s download speed")
    return [lines[0], *(r for r in lines[1:] if r[at] == "0")]


def test_values_that_cannot_tell_2019_from_2020_are_refused_without_a_month(lines_2019, tmp_path):
    lines = no_ultrafast(lines_2019)
    assert len(lines) == 2  # Orkney
    with pytest.raises(
        IngestError,
        match=r"orkney.csv has the 38 columns of both Ofcom's 2019 and 2020 LA files, and its "
        r"values cannot tell them apart.*e.g. 201909_orkney.csv",
    ):
        read_fixed_la(write_lines(tmp_path / "orkney.csv", lines))
    named = read_fixed_la(write_lines(tmp_path / "201909_orkney.csv", lines))
    assert (named.attrs["release"], named.attrs["release_basis"]) == ("201909", "file name")
    assert "its content cannot confirm it" in named.attrs["release_note"]


def edit(lines: list[list[str]], code: str, header: str, value: str) -> list[list[str]]:
    out = [list(r) for r in lines]
    row = next(r for r in out[1:] if r[0] == code)
    row[out[0].index(header)] = value
    return out


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        pytest.param(
            SFBB_PCT,
            "97.6",
            r"bad.csv, column 'SFBB availability \(% premises\)', line 343 \(la_code "
            r"E08000009\): found 97.6; expected the 30-to-under-300 Mbit/s share.*as in 380 "
            r"other row\(s\); this row has the 30 Mbit/s-or-more share.*one file cannot mean both",
            id="one-row-of-the-other-meaning",
        ),
        pytest.param(
            SFBB_PCT,
            "50",
            r"bad.csv, column 'SFBB availability \(% premises\)', line 343 \(la_code "
            r"E08000009\): found 50; expected one of two shares recomputed from the row's counts",
            id="neither-meaning",
        ),
        pytest.param(
            SFBB_PCT,
            "n/a",
            r"bad.csv, column 'SFBB availability \(% premises\)', line 343: found 'n/a'; "
            r"expected a percentage",
            id="not-a-number",
        ),
        pytest.param(
            "Number of premises with SFBB availability",
            "104000",
            r"bad.csv, column 'Number of premises with SFBB availability', line 343 \(la_code "
            r"E08000009\): found 104,000; expected the 30<300 and >=300 Mbit/s band numbers "
            r"together \(104,593\)",
            id="sfbb-number-not-the-bands",
        ),
    ],
)
def test_bad_sfbb_values_in_the_shared_header_are_refused(
    lines_2019, tmp_path, header, value, expected
):
    path = write_lines(tmp_path / "bad.csv", edit(lines_2019, TRAFFORD, header, value))
    with pytest.raises(IngestError, match=expected):
        read_fixed_la(path)


# --- the 2017 layout -----------------------------------------------------------------------


def write_2017(path, rows=ROWS_2017, *, header=HEADER_2017):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_2017_layout_percentages_inclusive_superfast_no_performance(tmp_path):
    frame = read_fixed_la(write_2017(tmp_path / "fixed_la_2017.csv"))
    assert frame.attrs["release"] == frame.attrs["layout"] == "2017"
    assert frame.attrs["release_basis"] == "header"
    assert "inferred from the header" in frame.attrs["release_note"]
    assert set(frame.columns) == {
        "la_code",
        "la_name",
        "la_name_published",
        "pct_premises_sfbb",
        "pct_premises_ufbb",
        "pct_premises_full_fibre",
        "pct_premises_below_2mbit",
        "pct_premises_below_5mbit",
        "pct_premises_below_10mbit",
        "pct_premises_below_30mbit",
        "pct_premises_speed_30_300",
    }  # no counts, no line speeds
    trafford = row_of(frame, TRAFFORD)
    assert trafford[["pct_premises_speed_30_300", "pct_premises_ufbb"]].tolist() == [63.0, 35.0]
    assert trafford["pct_premises_sfbb"] == 98.0  # 63 + 35: 30 Mbit/s or more
    assert trafford["pct_premises_full_fibre"] == 1.0  # 'FTTP availability'
    hull = row_of(frame, HULL)
    assert (hull["la_name"], hull["pct_premises_sfbb"]) == ("Kingston upon Hull, City of", 46.0)
    assert row_of(frame, "E07000223")["pct_premises_sfbb"] == 99.0
    assert "FTTP availability" in frame.attrs["notes"]


def test_2017_file_is_discovered_as_an_la_file(tmp_path):
    path = write_2017(tmp_path / "2017_data.csv")
    assert discover(tmp_path).get("ofcom_fixed_la") == [path]


def test_2017_layout_with_a_file_name_month(tmp_path):
    frame = read_fixed_la(write_2017(tmp_path / "201705_fixed_laua_r01.csv"))
    assert (frame.attrs["release"], frame.attrs["layout"]) == ("201705", "2017")
    assert frame.attrs["release_basis"] == "file name"


def bad_2017_row(column: str, value: str) -> str:
    cells = next(csv.reader([ROWS_2017[2]]))
    cells[HEADER_2017.split(",").index(column)] = value
    return ",".join(cells)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        pytest.param(
            "FTTP availability (% premises)",
            "x",
            r"la_2017.csv, column 'FTTP availability \(% premises\)', line 4: found 'x'; "
            r"expected a percentage between 0 and 100",
            id="not-a-number",
        ),
        pytest.param(
            "UFBB availability (% premises)",
            "101",
            r"la_2017.csv, column 'UFBB availability \(% premises\)', line 4: found '101'",
            id="percent-over-100",
        ),
        pytest.param(
            SFBB_PCT,
            "98",  # an inclusive share in a layout whose SFBB excludes UFBB
            r"la_2017.csv, column 'SFBB availability \(% premises\)' \+ 'UFBB availability "
            r"\(% premises\)' \+ '% of premises unable to receive 30Mbit/s', line 4 \(la_code "
            r"E08000009\): found 135; expected at most 101.*is this really a 2017 file\?",
            id="sfbb-overlapping-ufbb",
        ),
        pytest.param(
            "laua",
            "E10000001",
            r"la_2017.csv, column 'laua', line 4: found 'E10000001'; expected a 9-character",
            id="county-code",
        ),
    ],
)
def test_bad_values_in_the_2017_layout_are_refused(tmp_path, column, value, expected):
    rows = (*ROWS_2017[:2], bad_2017_row(column, value))
    with pytest.raises(IngestError, match=expected):
        read_fixed_la(write_2017(tmp_path / "la_2017.csv", rows))


def test_a_renamed_2017_header_names_the_closest_release(tmp_path):
    header = HEADER_2017.replace("FTTP availability", "Full Fibre availability")
    with pytest.raises(IngestError) as err:
        read_fixed_la(write_2017(tmp_path / "renamed_2017.csv", header=header))
    message = str(err.value)
    assert "renamed_2017.csv does not match any known release" in message
    assert "Closest is '2017'" in message
    assert "missing column(s) ['FTTP availability (% premises)']" in message
    assert "unknown column(s) ['Full Fibre availability (% premises)']" in message
