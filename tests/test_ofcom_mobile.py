import math

import pandas as pd
import pytest

from ingest._errors import IngestError
from ingest.sources.ofcom_mobile import (
    FAMILIES_202507,
    PCON_RELEASE_202507,
    RELEASE_202507,
    percent_column,
    read_mobile_constituency,
    read_mobile_la,
)

EXTRACT = "ofcom_mobile_laua/202507_mobile_coverage_laua_r01_extract.csv"
HEADERS = list(RELEASE_202507.columns)
PCON_HEADERS = list(PCON_RELEASE_202507.columns)


@pytest.fixture(scope="module")
def mobile(shared_data) -> pd.DataFrame:
    return read_mobile_la(shared_data / EXTRACT)


def synthetic_row(**cells: str) -> dict[str, str]:
    """A valid LA row: every family has 100 % at its top N except where overridden."""
    row = {h: "" for h in HEADERS}
    row.update(
        laua="E08000009",
        laua_name="Trafford",
        prem_count="110992",
        pixel_count="10600",
        ab_rd_count="1302",
        mway_count="180",
        mway_ard_count="887",
    )
    for tech, measure, place, top in FAMILIES_202507:
        row[f"{tech}_{measure}_{place}_{top}"] = "100"
    row.update(cells)
    return row


def write_csv(path, rows, headers=HEADERS):
    lines = [",".join(headers)]
    lines += [",".join(f'"{row[h]}"' if "," in row[h] else row[h] for h in headers) for row in rows]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


# --- real extract -------------------------------------------------------------------------


def test_header_map_is_the_published_header(shared_data):
    with open(shared_data / EXTRACT, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    assert header == HEADERS
    assert len(HEADERS) == 161
    assert RELEASE_202507.columns["4G_prem_in_0"] == "pct_premises_4g_indoor_0_operators"
    assert (
        RELEASE_202507.columns["5G_SA_very_high_confidence_geo_out_4"]
        == "pct_landmass_5g_sa_very_high_confidence_outdoor_4_operators"
    )
    assert RELEASE_202507.columns["2G_mway_ard_in_3"] == (
        "pct_a_roads_motorways_2g_indoor_3_operators"
    )


def test_real_extract_shape_and_attrs(mobile):
    assert len(mobile) == 20
    assert mobile.shape[1] == 161
    assert mobile.columns[:7].tolist() == [
        "la_code",
        "la_name",
        "premises",
        "landmass_pixels",
        "ab_road_segments",
        "motorway_segments",
        "a_road_motorway_segments",
    ]
    assert mobile.attrs["release"] == "202507"
    assert mobile.attrs["source_file"] == "202507_mobile_coverage_laua_r01_extract.csv"
    assert "blank" in mobile.attrs["notes"].lower()
    assert mobile["la_code"].is_unique
    assert "Armagh City, Banbridge and Craigavon" in mobile["la_name"].tolist()


def test_trafford_values_from_the_file(mobile):
    t = mobile.set_index("la_code").loc["E08000009"]
    assert t["la_name"] == "Trafford"
    assert t["premises"] == 110992
    assert t["landmass_pixels"] == 10600
    assert t["ab_road_segments"] == 1302
    assert t["motorway_segments"] == 180
    assert t["a_road_motorway_segments"] == 887
    # 4G_prem_in_0..4 = "", "0", "0.07", "1.21", "98.71": blank in a filled family -> 0 %
    assert [t[percent_column("4G", "prem", "in", n)] for n in range(5)] == [
        0.0,
        0.0,
        0.07,
        1.21,
        98.71,
    ]
    # 2G_prem_out_0..3 = "", "", "0.25", "99.75"
    assert [t[percent_column("2G", "prem", "out", n)] for n in range(4)] == [0, 0, 0.25, 99.75]
    assert t["pct_premises_voice_outdoor_4_operators"] == 100
    assert t["pct_motorways_4g_indoor_4_operators"] == 96.11
    assert t["pct_landmass_5g_very_high_confidence_outdoor_0_operators"] == 0.11
    assert t["pct_premises_5g_sa_very_high_confidence_outdoor_0_operators"] == 1.38
    # 5G SA _4 columns are blank while _0.._3 have values -> 0 %
    assert t["pct_premises_5g_sa_high_confidence_outdoor_4_operators"] == 0


def test_aberdeen_blank_not_spot_is_zero(mobile):
    aberdeen = mobile.set_index("la_code").loc["S12000033"]
    assert aberdeen["la_name"] == "Aberdeen City"
    assert aberdeen["pct_premises_2g_outdoor_0_operators"] == 0.0
    assert aberdeen["pct_premises_2g_outdoor_3_operators"] == 98.24


def test_motorway_family_all_blank_is_not_applicable(mobile):
    aberdeen = mobile.set_index("la_code").loc["S12000033"]
    assert math.isnan(aberdeen["motorway_segments"])
    for tech in ("2G", "3G", "4G", "Voice"):
        top = 3 if tech == "2G" else 4
        assert all(
            math.isnan(aberdeen[percent_column(tech, "mway", "in", n)]) for n in range(top + 1)
        )
    # while the A-road + motorway family, which Aberdeen has, is filled
    assert aberdeen["pct_a_roads_motorways_4g_indoor_4_operators"] > 0


def test_every_filled_family_sums_to_100(mobile):
    for tech, measure, place, top in FAMILIES_202507:
        cols = [percent_column(tech, measure, place, n) for n in range(top + 1)]
        family = mobile[cols]
        filled = family.notna().any(axis=1)
        assert (family[filled].sum(axis=1) - 100).abs().max() <= 0.1
        assert family[filled].notna().all(axis=None)


# --- synthetic ----------------------------------------------------------------------------


def test_synthetic_valid_file(tmp_path):
    rows = [synthetic_row(), synthetic_row(laua="E09000002", laua_name="Barking", mway_count="")]
    for n in range(5):
        rows[1][f"4G_mway_in_{n}"] = ""
    la = read_mobile_la(write_csv(tmp_path / "m.csv", rows))
    assert la["pct_premises_4g_indoor_4_operators"].tolist() == [100, 100]
    assert la["pct_premises_4g_indoor_0_operators"].tolist() == [0, 0]
    assert math.isnan(la.loc[1, "pct_motorways_4g_indoor_0_operators"])
    assert math.isnan(la.loc[1, "motorway_segments"])


def test_renamed_header_is_refused(tmp_path):
    headers = [h.replace("4G_prem_in_0", "4G_prem_indoor_0") for h in HEADERS]
    row = synthetic_row()
    row["4G_prem_indoor_0"] = row.pop("4G_prem_in_0")
    with pytest.raises(IngestError) as err:
        read_mobile_la(write_csv(tmp_path / "renamed.csv", [row], headers))
    message = str(err.value)
    assert "renamed.csv" in message
    assert "missing column(s) ['4G_prem_in_0']" in message
    assert "unknown column(s) ['4G_prem_indoor_0']" in message


def test_missing_column_is_refused(tmp_path):
    headers = [h for h in HEADERS if h != "3G_prem_out_4"]
    with pytest.raises(IngestError, match=r"missing column\(s\) \['3G_prem_out_4'\]"):
        read_mobile_la(write_csv(tmp_path / "short.csv", [synthetic_row()], headers))


def test_family_not_summing_to_100_names_file_la_and_family(tmp_path):
    row = synthetic_row(**{"4G_prem_in_3": "2.5", "4G_prem_in_4": "95"})
    with pytest.raises(IngestError) as err:
        first = synthetic_row(laua="E08000001", laua_name="Bolton")
        read_mobile_la(write_csv(tmp_path / "bad_sum.csv", [first, row]))
    message = str(err.value)
    assert "bad_sum.csv" in message
    assert "E08000009" in message
    assert "'4G_prem_in_*'" in message
    assert "97.50" in message
    assert "line 3" in message


def test_family_within_tolerance_is_accepted(tmp_path):
    row = synthetic_row(**{"4G_prem_in_3": "0.01", "4G_prem_in_4": "99.98"})
    la = read_mobile_la(write_csv(tmp_path / "ok.csv", [row]))
    assert la.loc[0, "pct_premises_4g_indoor_4_operators"] == 99.98


@pytest.mark.parametrize(
    ("cells", "column", "value"),
    [
        ({"4G_prem_in_4": "n/a"}, "4G_prem_in_4", "'n/a'"),
        ({"Voice_geo_out_4": "101"}, "Voice_geo_out_4", "'101'"),
        ({"prem_count": "12.5"}, "prem_count", "'12.5'"),
        ({"prem_count": ""}, "prem_count", "''"),
    ],
)
def test_bad_cells_are_refused(tmp_path, cells, column, value):
    with pytest.raises(IngestError) as err:
        read_mobile_la(write_csv(tmp_path / "cells.csv", [synthetic_row(**cells)]))
    message = str(err.value)
    assert "cells.csv" in message
    assert f"column {column!r}" in message
    assert value in message


def test_bad_and_repeated_la_codes(tmp_path):
    with pytest.raises(IngestError, match="expected a 9-character ONS local authority code"):
        read_mobile_la(write_csv(tmp_path / "code.csv", [synthetic_row(laua="Trafford")]))
    with pytest.raises(IngestError, match="appear on more than one row"):
        read_mobile_la(write_csv(tmp_path / "dup.csv", [synthetic_row(), synthetic_row()]))


def test_header_only_file_is_refused(tmp_path):
    with pytest.raises(IngestError, match="no rows"):
        read_mobile_la(write_csv(tmp_path / "empty.csv", []))


# --- constituency file: the same reader, other area columns -----------------------------------


def constituency_row(code="E14001065", name="Altrincham and Sale West", **cells):
    """A valid constituency row: the LA row with ``parl_const``/``parl_const_name``."""
    row = synthetic_row(**cells)
    del row["laua"], row["laua_name"]
    return {"parl_const": code, "parl_const_name": name, **row}


def test_constituency_header_is_the_la_header_with_its_area_columns():
    assert PCON_HEADERS[:2] == ["parl_const", "parl_const_name"]
    assert PCON_HEADERS[2:] == HEADERS[2:]
    assert len(PCON_HEADERS) == 161
    assert [PCON_RELEASE_202507.columns[h] for h in PCON_HEADERS[2:]] == [
        RELEASE_202507.columns[h] for h in HEADERS[2:]
    ]


def test_constituency_file_reads_like_the_la_file(tmp_path):
    rows = [
        constituency_row(),
        constituency_row(
            "W07000081", "Aberafan Maesteg", **{"4G_prem_in_0": "2.5", "4G_prem_in_4": "97.5"}
        ),
    ]
    pcon = read_mobile_constituency(write_csv(tmp_path / "p.csv", rows, PCON_HEADERS))
    la = read_mobile_la(write_csv(tmp_path / "l.csv", [synthetic_row()]))
    assert pcon.columns[:2].tolist() == ["constituency_code", "constituency_name"]
    assert pcon.columns[2:].tolist() == la.columns[2:].tolist()
    assert pcon["constituency_code"].tolist() == ["E14001065", "W07000081"]
    assert pcon["pct_premises_4g_indoor_0_operators"].tolist() == [0.0, 2.5]
    assert pcon["premises"].tolist() == [110992, 110992]
    assert pcon.attrs["release"] == "202507"
    assert "parl_const" in pcon.attrs["notes"] and "assumed" in pcon.attrs["notes"]


def test_an_la_file_is_not_a_constituency_file(tmp_path):
    path = write_csv(tmp_path / "la.csv", [synthetic_row()])
    with pytest.raises(IngestError) as err:
        read_mobile_constituency(path)
    message = str(err.value)
    assert "missing column(s) ['parl_const', 'parl_const_name']" in message
    assert "unknown column(s) ['laua', 'laua_name']" in message
    with pytest.raises(IngestError, match=r"missing column\(s\) \['laua', 'laua_name'\]"):
        read_mobile_la(write_csv(tmp_path / "p.csv", [constituency_row()], PCON_HEADERS))


def test_pcon_area_columns_are_not_assumed(tmp_path):
    headers = ["pcon", "pcon_name", *PCON_HEADERS[2:]]
    row = constituency_row()
    row["pcon"], row["pcon_name"] = row.pop("parl_const"), row.pop("parl_const_name")
    with pytest.raises(IngestError, match=r"unknown column\(s\) \['pcon', 'pcon_name'\]"):
        read_mobile_constituency(write_csv(tmp_path / "pcon.csv", [row], headers))


@pytest.mark.parametrize("code", ["E08000009", "E05015247", "Altrincham"])
def test_a_code_that_is_not_a_constituency_is_refused(tmp_path, code):
    path = write_csv(tmp_path / "code.csv", [constituency_row(code)], PCON_HEADERS)
    with pytest.raises(
        IngestError,
        match=f"column 'parl_const', line 2: found '{code}'; expected a 9-character ONS "
        "Westminster constituency code",
    ):
        read_mobile_constituency(path)


def test_constituency_family_sum_and_repeats(tmp_path):
    bad = constituency_row(**{"Voice_prem_in_4": "90"})
    with pytest.raises(IngestError, match=r"line 2, constituency E14001065 \(Altrincham"):
        read_mobile_constituency(write_csv(tmp_path / "sum.csv", [bad], PCON_HEADERS))
    twice = [constituency_row(), constituency_row()]
    with pytest.raises(IngestError, match=r"\['E14001065'\] appear on more than one row"):
        read_mobile_constituency(write_csv(tmp_path / "dup.csv", twice, PCON_HEADERS))


@pytest.mark.shared_data
def test_the_real_la_extract_is_refused_as_a_constituency_file(shared_data):
    with pytest.raises(IngestError, match=r"missing column\(s\) \['parl_const'"):
        read_mobile_constituency(shared_data / EXTRACT)
