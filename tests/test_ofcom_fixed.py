import csv
import io
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from ingest._errors import IngestError
from ingest.ofcom_fixed import (
    COUNT_COLUMNS,
    LA_2018,
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


@pytest.fixture(scope="module")
def la(shared_data) -> dict[str, pd.DataFrame]:
    return {name: read_fixed_la(shared_data / LA_DIR / file) for name, file in LA_FILES.items()}


def row_of(frame: pd.DataFrame, code: str) -> pd.Series:
    key = frame.columns[0]
    return frame.set_index(key).loc[code]


# --- header maps are the published headers -------------------------------------------------


@pytest.mark.parametrize(
    ("release", "folder", "file"),
    [(r, LA_DIR, LA_FILES[r.name]) for r in LA_RELEASES]
    + [(OA_202601, SMALL_DIR, OA_FILE), (OA_202601, SMALL_DIR, OA_RES_FILE)]
    + [(POSTCODE_202601, SMALL_DIR, PC_FILE), (POSTCODE_202601, SMALL_DIR, PC_RES_FILE)],
    ids=lambda v: getattr(v, "name", None) or str(v),
)
def test_header_map_is_the_published_header_in_order(shared_data, release, folder, file):
    with open(shared_data / folder / file, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert list(release.columns) == header


def test_release_lists():
    assert [r.name for r in LA_RELEASES] == ["2016", "2018", "2019", "202105", "202507"]
    assert [r.name for r in OA_RELEASES] == ["202601"]
    assert [r.name for r in POSTCODE_RELEASES] == ["202601"]
    # 202105 and 202507: the same names, the speed-band blocks in another order.
    assert LA_202105.headers == LA_202507.headers
    assert list(LA_202105.columns) != list(LA_202507.columns)
    assert LA_2018.columns["Number of premises with SFBB availability"] == "premises_speed_30_300"


# --- real local-authority files ------------------------------------------------------------


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
