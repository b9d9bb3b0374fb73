"""Deprivation readers: IoD (England), WIMD (Wales), SIMD (Scotland)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ingest._errors import IngestError
from ingest.sources.iod import RELEASES as IOD_RELEASES
from ingest.sources.iod import read_iod
from ingest.sources.simd import read_simd
from ingest.sources.wimd import read_wimd

IOD2019 = "iod2019"
FILE1 = "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
FILE2 = "File_2_-_IoD2019_Domains_of_Deprivation_excel_export.csv"
FILE6 = "File_6_-_IoD2019_Population_Denominators_excel_export.csv"
WIMD = "wimd2019/wimd-2019-index-and-domain-scores.csv"
SIMD_RANKS = "simd2020v2/SIMD+2020v2+-+ranks.csv"
SIMD_INDICATORS = "simd2020v2/SIMD+2020v2+-+indicators.csv"

MEASURES = [
    "imd",
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "barriers",
    "living_environment",
]


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig"
) -> Path:
    """Write like Excel does: BOM, CRLF, commas quoted, no final newline."""
    lines = []
    for row in [header, *rows]:
        lines.append(",".join(f'"{v}"' if "," in v else v for v in row))
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


# --- IoD: real files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def file1(shared_data: Path) -> pd.DataFrame:
    return read_iod(shared_data / IOD2019 / FILE1)


@pytest.fixture(scope="module")
def file2(shared_data: Path) -> pd.DataFrame:
    return read_iod(shared_data / IOD2019 / FILE2)


def test_iod_file2_counts_and_values(file2):
    assert file2.attrs["release"] == "IoD2019 File 2"
    assert file2.attrs["lsoa_vintage"] == 2011
    assert file2.attrs["source_file"] == FILE2
    assert len(file2) == 32_844
    assert (file2["la_code"] == "E08000009").sum() == 138
    assert list(file2.columns) == ["lsoa_code", "lsoa_name", "la_code", "la_name"] + [
        f"{m}_{p}" for m in MEASURES for p in ("rank", "decile")
    ]
    row = file2.set_index("lsoa_code").loc["E01006112"]
    assert row["lsoa_name"] == "Trafford 001D"
    assert row[["imd_rank", "imd_decile", "income_rank", "income_decile"]].tolist() == [
        3436,
        2,
        1857,
        1,
    ]
    assert row[["barriers_rank", "living_environment_decile"]].tolist() == [17789, 5]
    assert file2["imd_rank"].dtype == np.int64


def test_iod_deciles_follow_ceil_rule_and_ranks_have_ties(file2):
    for measure in MEASURES:
        rank = file2[f"{measure}_rank"]
        assert rank.between(1, 32_844).all()
        assert (file2[f"{measure}_decile"] == np.ceil(rank * 10 / 32_844)).all(), measure
    # MHCLG's ranks are not a permutation: a few LSOAs share a rank.
    assert file2["imd_rank"].duplicated().sum() == 26


def test_iod_file6_reads_thousands_separators(shared_data):
    pop = read_iod(shared_data / IOD2019 / FILE6)
    assert pop.attrs["release"] == "IoD2019 File 6"
    assert len(pop) == 32_844
    columns = [
        "population_total",
        "population_0_15",
        "population_16_59",
        "population_60_plus",
        "population_working_age",
    ]
    assert list(pop.columns) == ["lsoa_code", "lsoa_name", "la_code", "la_name", *columns]
    by_code = pop.set_index("lsoa_code")[columns]
    assert by_code.loc["E01000001"].tolist() == [1296, 175, 656, 465, 715]  # "1,296"
    assert by_code.loc["E01006112"].tolist() == [1864, 520, 1118, 226, 1101]
    assert by_code.loc["E01033768"].tolist() == [1281, 91, 1066, 124, 1077]  # last line, no EOL
    assert (by_code.dtypes == np.int64).all()


def test_iod_file1_workbook_agrees_with_file2_for_every_lsoa(file1, file2):
    assert file1.attrs["release"] == "IoD2019 File 1"
    assert file1.attrs["source_file"] == FILE1
    assert list(file1.columns) == [
        "lsoa_code",
        "lsoa_name",
        "la_code",
        "la_name",
        "imd_rank",
        "imd_decile",
    ]
    both = file1.merge(file2, on="lsoa_code", how="outer", suffixes=("_1", "_2"), indicator=True)
    assert (both["_merge"] == "both").all()
    assert len(both) == 32_844
    for column in ("imd_rank", "imd_decile", "la_code", "lsoa_name"):
        assert (both[f"{column}_1"] == both[f"{column}_2"]).all(), column


# --- IoD: synthetic files in every known layout ----------------------------------------------


def iod_release(name: str):
    return next(r for r in IOD_RELEASES if r.name == name)


def iod_value(canonical: str | None, code: str, rank: int = 100) -> str:
    """A plausible cell for a canonical column (rank 100 is in decile 1)."""
    if canonical is None:
        return "1"
    if canonical == "lsoa_code":
        return code
    if canonical == "la_code":
        return "E08000009"
    if canonical.endswith("_name"):
        return "Trafford 001D" if canonical == "lsoa_name" else "Trafford"
    if canonical.endswith("_rank"):
        return str(rank)
    if canonical.endswith("_decile"):
        return "1"
    if canonical.endswith("_score"):
        return "-0.25"
    return "1,296"


def iod_file(
    tmp_path: Path, release_name: str, *, overrides: dict[str, list[str]] | None = None
) -> Path:
    """Two-row CSV in the layout of ``release_name``; ``overrides`` sets a header's cells."""
    release = iod_release(release_name)
    header = list(release.columns)
    rows = [
        [iod_value(release.columns[h], code) for h in header] for code in ("E01006112", "E01006113")
    ]
    for head, cells in (overrides or {}).items():
        for row, cell in zip(rows, cells, strict=True):
            row[header.index(head)] = cell
    return write_csv(tmp_path / "iod.csv", header, rows)


@pytest.mark.parametrize(
    ("release", "vintage", "expected", "absent"),
    [
        ("IoD2019 File 7", 2011, ["imd_score", "idaopi_rank", "population_16_59"], []),
        (
            "IoD2025 File 7",
            2021,
            ["imd_score", "income_score", "idaci_decile", "population_working_age"],
            ["population_16_59"],
        ),
        ("IoD2025 File 1", 2021, ["imd_rank", "imd_decile"], ["income_rank"]),
        ("IoD2025 File 2", 2021, ["living_environment_rank", "crime_decile"], ["imd_score"]),
        ("IoD2025 File 6", 2021, ["population_16_59", "population_total"], ["imd_rank"]),
    ],
)
def test_iod_layouts_by_header(tmp_path, release, vintage, expected, absent):
    frame = read_iod(iod_file(tmp_path, release))
    assert frame.attrs["release"] == release
    assert frame.attrs["lsoa_vintage"] == vintage
    assert frame["lsoa_code"].tolist() == ["E01006112", "E01006113"]
    assert set(expected) <= set(frame.columns)
    assert not set(absent) & set(frame.columns)
    assert not any(c.startswith(("children", "adult", "indoors")) for c in frame.columns)
    if "imd_score" in frame:
        assert frame["crime_score"].tolist() == [-0.25, -0.25]
    if "population_total" in frame:
        assert frame["population_total"].tolist() == [1296, 1296]


def test_iod2025_file7_keeps_the_publishers_truncated_header():
    headers = iod_release("IoD2025 File 7").headers
    assert len(headers) == 56  # IoD2019 File 7 has 57: it also has a 16-59 population
    assert "Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSO" in (
        headers
    )


INCOME_RANK = "Income Rank (where 1 is most deprived)"
INCOME_DECILE = "Income Decile (where 1 is most deprived 10% of LSOAs)"


@pytest.mark.parametrize(
    ("release", "overrides", "message"),
    [
        (
            "IoD2019 File 2",
            {INCOME_RANK: ["100", "x"]},
            r"iod\.csv, column 'Income Rank \(where 1 is most deprived\)', line 3: found 'x'",
        ),
        (
            "IoD2019 File 2",
            {INCOME_RANK: ["2.5", "100"]},
            r"line 2: found '2\.5'; expected a whole",
        ),
        (
            "IoD2019 File 2",
            {INCOME_RANK: ["0", "100"]},
            r"line 2: found '0'; expected a whole-number rank from 1",
        ),
        (
            "IoD2019 File 2",
            {INCOME_RANK: ["100", "32845"]},
            r"found '32845'; expected .* to 32,844",
        ),
        (
            "IoD2025 File 2",
            {INCOME_RANK: ["100", "33756"]},
            r"found '33756'; expected .* to 33,755",
        ),
        ("IoD2019 File 2", {INCOME_DECILE: ["1", "11"]}, r"found '11'; expected a decile from 1"),
        (
            "IoD2019 File 2",
            {INCOME_DECILE: ["1", "7"]},
            r"line 3: found decile 7 for rank 100 .* another measure",
        ),
        (
            "IoD2019 File 2",
            {"LSOA code (2011)": ["E01006112", "E01006112"]},
            r"\['E01006112'\] appear on more than one row",
        ),
        (
            "IoD2019 File 2",
            {"LSOA code (2011)": ["E01006112", "W01000001"]},
            r"'LSOA code \(2011\)', line 3: found 'W01000001'; expected an English LSOA code",
        ),
        (
            "IoD2019 File 6",
            {"Local Authority District code (2019)": ["S12000033", "E08000009"]},
            r"line 2: found 'S12000033'; expected an English local authority district code",
        ),
        (
            "IoD2019 File 6",
            {"Total population: mid 2015 (excluding prisoners)": ["1,296", "n/a"]},
            r"'Total population: mid 2015 \(excluding prisoners\)', line 3: found 'n/a'",
        ),
    ],
)
def test_iod_bad_values_name_file_column_line_and_value(tmp_path, release, overrides, message):
    with pytest.raises(IngestError, match=message):
        read_iod(iod_file(tmp_path, release, overrides=overrides))


def test_iod2025_accepts_ranks_up_to_33755(tmp_path):
    overrides = {INCOME_RANK: ["1", "33755"], INCOME_DECILE: ["1", "10"]}
    frame = read_iod(iod_file(tmp_path, "IoD2025 File 2", overrides=overrides))
    assert frame["income_rank"].tolist() == [1, 33755]
    assert frame.attrs["notes"].endswith("2 of 33,755 LSOAs in this file.")


def test_iod_unknown_header_names_closest_release(tmp_path):
    path = iod_file(tmp_path, "IoD2019 File 2")
    path.write_text(path.read_text(encoding="utf-8-sig").replace("Crime Rank", "Crime rank"))
    with pytest.raises(IngestError) as err:
        read_iod(path)
    message = str(err.value)
    assert "does not match any known release" in message
    assert "Closest is 'IoD2019 File 2'" in message
    assert "Crime rank (where 1 is most deprived)" in message


def test_iod_reads_windows_1252_text(tmp_path):
    path = iod_file(tmp_path, "IoD2019 File 1")
    text = path.read_text(encoding="utf-8-sig").replace("Trafford 001D", "Café 001D")
    path.write_bytes(text.encode("cp1252"))
    assert read_iod(path)["lsoa_name"].tolist() == ["Café 001D", "Café 001D"]


def write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_iod_workbook_sheet_found_by_header_and_errors_name_the_sheet(tmp_path):
    release = iod_release("IoD2025 File 1")
    header = list(release.columns)
    good = ["E01006112", "Trafford 001D", "E08000009", "Trafford", 3436, 2]
    path = write_workbook(
        tmp_path / "imd25.xlsx",
        {"Notes": [], "IMD25": [header, good, [*good[:4], 33756, 10], [None] * 6]},
    )
    with pytest.raises(IngestError, match=r"imd25\.xlsx \(sheet 'IMD25'\), column .*, line 3"):
        read_iod(path)
    path = write_workbook(tmp_path / "imd25.xlsx", {"Notes": [], "IMD25": [header, good]})
    frame = read_iod(path)
    assert frame.attrs["release"] == "IoD2025 File 1"
    assert frame.to_dict("records") == [dict(zip(release.columns.values(), good, strict=True))]


def test_iod_workbook_without_a_known_sheet(tmp_path):
    path = write_workbook(tmp_path / "other.xlsx", {"Notes": [["hello"]], "Data": [["a", "b"]]})
    with pytest.raises(
        IngestError, match=r"No sheet starts with a known header row; sheets: \['Notes', 'Data'\]"
    ):
        read_iod(path)


def test_iod_refuses_old_xls(tmp_path):
    path = tmp_path / "imd.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(IngestError, match=r"old-style Excel \.xls"):
        read_iod(path)


# --- WIMD ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wimd(shared_data: Path) -> pd.DataFrame:
    return read_wimd(shared_data / WIMD)


def test_wimd_real_file(wimd):
    assert wimd.attrs["release"] == "WIMD 2019 scores"
    assert wimd.attrs["lsoa_vintage"] == 2011
    assert "derived" in wimd.attrs["notes"]
    assert len(wimd) == 1_909
    assert list(wimd.columns) == [
        "lsoa_code",
        "lsoa_name",
        "la_name",  # published header "Local Authority Name " has a trailing space
        "wimd_score",
        "wimd_rank",
        "wimd_decile",
        "income_score",
        "employment_score",
        "health_score",
        "education_score",
        "access_score",
        "housing_score",
        "community_safety_score",
        "physical_environment_score",
    ]
    top = wimd.set_index("lsoa_code").loc["W01000240"]
    assert (top["lsoa_name"], top["la_name"]) == ("Rhyl West 2", "Denbighshire")
    assert (top["wimd_score"], top["wimd_rank"], top["wimd_decile"]) == (86.6, 1, 1)
    assert top["income_score"] == 100.0
    assert wimd["la_name"].nunique() == 22
    assert "Llangors, Bwlch & Grwyney" in set(wimd["lsoa_name"])


def test_wimd_ties_share_the_best_rank(wimd):
    score, rank = wimd["wimd_score"], wimd["wimd_rank"]
    higher = score.map(lambda s: (score > s).sum())  # 1,909 x 1,909: fine in a test
    assert (rank == higher + 1).all()
    assert wimd.groupby("wimd_score")["wimd_rank"].nunique().eq(1).all()
    assert score.duplicated(keep=False).sum() == 1_777
    assert (wimd["wimd_decile"] == np.ceil(rank * 10 / 1_909)).all()
    assert wimd["wimd_decile"].value_counts().sort_index().index.tolist() == list(range(1, 11))


WIMD_HEADER = [
    "lsoa",
    "LSOA Name",
    "Local Authority Name ",
    "WIMD 2019",
    "Income",
    "Employment",
    "Health",
    "Education",
    "Access to Services",
    "Housing",
    "Community Safety",
    "Physical Environment",
]


def wimd_rows(n: int = 1_909) -> list[list[str]]:
    return [
        [f"W01{i:06d}", f"Area {i}", "Isle of Anglesey"] + [f"{100 - i * 0.05:.2f}"] * 9
        for i in range(1, n + 1)
    ]


def test_wimd_reads_windows_1252_and_ranks_synthetic_scores(tmp_path):
    rows = wimd_rows()
    rows[0][2] = "Ynys Môn"
    frame = read_wimd(write_csv(tmp_path / "w.csv", WIMD_HEADER, rows, encoding="cp1252"))
    assert frame["la_name"].iloc[0] == "Ynys Môn"
    assert frame["wimd_rank"].iloc[:3].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows.pop(), r"has 1,908 LSOAs; .* needs? every one"),
        (
            lambda rows: rows[4].__setitem__(3, "100.5"),
            r"'WIMD 2019', line 6: found '100\.5'; expected a score from 0 to 100",
        ),
        (lambda rows: rows[4].__setitem__(5, "high"), r"'Employment', line 6: found 'high'"),
        (
            lambda rows: rows[1].__setitem__(0, "E01000001"),
            r"'lsoa', line 3: found 'E01000001'; expected a Welsh LSOA code",
        ),
        (
            lambda rows: rows[1].__setitem__(0, "W01000001"),
            r"\['W01000001'\] appear on more than one row",
        ),
    ],
)
def test_wimd_errors(tmp_path, edit, message):
    rows = wimd_rows()
    edit(rows)
    with pytest.raises(IngestError, match=message):
        read_wimd(write_csv(tmp_path / "w.csv", WIMD_HEADER, rows))


def test_wimd_unknown_header(tmp_path):
    header = [*WIMD_HEADER[:-1], "Physical environment"]
    with pytest.raises(IngestError, match=r"wimd: w\.csv does not match any known release"):
        read_wimd(write_csv(tmp_path / "w.csv", header, wimd_rows()))


# --- SIMD ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simd_ranks(shared_data: Path) -> pd.DataFrame:
    return read_simd(shared_data / SIMD_RANKS)


def test_simd_ranks_real_file(simd_ranks):
    ranks = simd_ranks
    assert ranks.attrs["release"] == "SIMD 2020v2 ranks"
    assert ranks.attrs["area_type"] == "data zone"
    assert len(ranks) == 6_976
    assert sorted(ranks["simd_rank"]) == list(range(1, 6_977))
    first = ranks.set_index("data_zone_code").loc["S01006506"]
    assert (first["intermediate_zone"], first["council_area"]) == ("Culter", "Aberdeen City")
    assert first[["population_total", "population_working_age", "simd_rank"]].tolist() == [
        894,
        580,
        4691,
    ]
    assert first["simd_decile"] == 7  # ceil(10 x 4691 / 6976)
    assert first[["income_rank", "employment_rank", "housing_rank"]].tolist() == [3936, 3220, 3248]
    # Mixed SIMD2020v2_/SIMD2020_ prefixes all mapped; ties carry a mean rank.
    assert ranks.set_index("data_zone_code").loc["S01013481", "income_rank"] == 5955.5
    sizes = ranks["simd_decile"].value_counts().sort_index().tolist()
    assert sizes == [697, 698, 697, 698, 698, 697, 698, 697, 698, 698]
    assert (ranks["population_total"] == 0).sum() == 3


def test_simd_indicators_real_file(shared_data, simd_ranks):
    ind = read_simd(shared_data / SIMD_INDICATORS)
    assert ind.attrs["release"] == "SIMD 2020v2 indicators"
    assert len(ind) == 6_976
    by_code = ind.set_index("data_zone_code")
    assert by_code.loc["S01006506", "pct_premises_without_superfast"] == 11.0  # "11%"
    assert by_code.loc["S01006507", "pct_premises_without_superfast"] == 1.0
    assert by_code.loc["S01006506", ["income_deprived_pct", "income_deprived_count"]].tolist() == [
        8,
        71,
    ]
    assert by_code.loc["S01006506", "overcrowded_pct"] == 10.0
    assert by_code.loc["S01006506", "drive_post_office_minutes"] == 1.6
    # "*" = suppressed
    assert ind["pct_premises_without_superfast"].isna().sum() == 2
    assert ind["crime_count"].isna().sum() == 500
    assert ind["pct_premises_without_superfast"].between(0, 100).sum() == 6_974
    assert "ALCOHOL" not in ind.columns and "alcohol" not in ind.columns
    assert set(ind["data_zone_code"]) == set(simd_ranks["data_zone_code"])


SIMD_RANK_HEADER = [
    "Data_Zone",
    "Intermediate_Zone",
    "Council_area",
    "Total_population",
    "Working_age_population",
    "SIMD2020v2_Rank",
    "SIMD2020v2_Income_Domain_Rank",
    "SIMD2020_Employment_Domain_Rank",
    "SIMD2020_Health_Domain_Rank",
    "SIMD2020_Education_Domain_Rank",
    "SIMD2020_Access_Domain_Rank",
    "SIMD2020_Crime_Domain_Rank",
    "SIMD2020_Housing_Domain_Rank",
]


def simd_rank_rows() -> list[list[str]]:
    return [
        ["S01006506", "Culter", "Aberdeen City", "894", "580", "4691"] + ["3936"] * 7,
        ["S01006507", "Culter", "Aberdeen City", "793", "470", "4862"] + ["4829.5"] * 7,
    ]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("SIMD2020v2_Rank", "*", r"'SIMD2020v2_Rank', line 3: found '\*'"),
        ("SIMD2020v2_Rank", "6977", r"found '6977'; expected a rank from 1 .* to 6,976"),
        ("SIMD2020v2_Rank", "12.5", r"'SIMD2020v2_Rank', line 3: found '12\.5'; expected a whole"),
        (
            "SIMD2020_Crime_Domain_Rank",
            "12.25",
            r"found '12\.25'; expected a rank in whole or half",
        ),
        ("SIMD2020_Crime_Domain_Rank", "0", r"'SIMD2020_Crime_Domain_Rank', line 3: found '0'"),
        ("Data_Zone", "S02001234", r"'Data_Zone', line 3: found 'S02001234'; expected a data zone"),
        ("Data_Zone", "S01006506", r"\['S01006506'\] appear on more than one row"),
        ("Total_population", "1,2x", r"'Total_population', line 3: found '1,2x'"),
    ],
)
def test_simd_rank_errors(tmp_path, column, value, message):
    rows = simd_rank_rows()
    rows[1][SIMD_RANK_HEADER.index(column)] = value
    with pytest.raises(IngestError, match=message):
        read_simd(write_csv(tmp_path / "s.csv", SIMD_RANK_HEADER, rows))


def test_simd_indicator_errors(tmp_path, shared_data):
    text = (shared_data / SIMD_INDICATORS).read_text(encoding="utf-8-sig").splitlines()
    header = next(csv.reader([text[0]]))
    rows = [next(csv.reader([line])) for line in text[1:4]]
    broadband = header.index("Broadband")
    for value, message in [
        ("101%", r"'Broadband', line 3: found '101%'; expected a percentage"),
        ("", r"'Broadband', line 3: found ''; expected a number or '\*'"),
        ("n/a", r"'Broadband', line 3: found 'n/a'"),
    ]:
        bad = [list(r) for r in rows]
        bad[1][broadband] = value
        with pytest.raises(IngestError, match=message):
            read_simd(write_csv(tmp_path / "i.csv", header, bad))
    drive = header.index("drive_GP")
    bad = [list(r) for r in rows]
    bad[2][drive] = "-1"
    with pytest.raises(IngestError, match=r"'drive_GP', line 4: found '-1'; expected a value of 0"):
        read_simd(write_csv(tmp_path / "i.csv", header, bad))


def test_simd_unknown_header(tmp_path):
    header = [h.replace("SIMD2020_Health", "SIMD2020v2_Health") for h in SIMD_RANK_HEADER]
    with pytest.raises(IngestError, match=r"Closest is 'SIMD 2020v2 ranks'"):
        read_simd(write_csv(tmp_path / "s.csv", header, simd_rank_rows()))
