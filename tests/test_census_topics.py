"""ingest.sources.census_topics: five Census 2021 topic summaries from their Nomis bulk CSVs."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest._errors import IngestError
from ingest.discover import discover
from ingest.sources import census_topics
from ingest.sources.census_topics import MEASURES_SUFFIX, ROLES, TOPICS, read_census_topic

REAL_TS038 = "census2021_ts038_disability/census2021-ts038-lsoa.csv"
SUFFIX = "; measures: Value"

#: Verbatim headers as published, written out here (not taken from the module under test).
TS038_HEADER = [
    "date",
    "geography",
    "geography code",
    "Disability: Total: All usual residents",
    "Disability: Disabled under the Equality Act",
    "Disability: Disabled under the Equality Act: Day-to-day activities limited a lot",
    "Disability: Disabled under the Equality Act: Day-to-day activities limited a little",
    "Disability: Not disabled under the Equality Act",
    "Disability: Not disabled under the Equality Act: Has long term physical or mental health "
    "condition but day-to-day activities are not limited",
    "Disability: Not disabled under the Equality Act: No long term physical or mental health "
    "conditions",
]
TS067_HEADER = [
    "date",
    "geography",
    "geography code",
    "Highest level of qualification: Total: All usual residents aged 16 years and over",
    "Highest level of qualification: No qualifications",
    "Highest level of qualification: Level 1 and entry level qualifications",
    "Highest level of qualification: Level 2 qualifications",
    "Highest level of qualification: Apprenticeship",
    "Highest level of qualification: Level 3 qualifications",
    "Highest level of qualification: Level 4 qualifications and above",
    "Highest level of qualification: Other qualifications",
]
_NE = "Proficiency in English language: Main language is not English (English or Welsh in Wales)"
TS029_HEADER = [
    "date",
    "geography",
    "geography code",
    "Proficiency in English language: Total: All usual residents aged 3 years and over",
    "Proficiency in English language: Main language is English (English or Welsh in Wales)",
    _NE,
    f"{_NE}: Can speak English very well",
    f"{_NE}: Can speak English well",
    f"{_NE}: Cannot speak English well",
    f"{_NE}: Cannot speak English",
]
_HC = "Household composition"
TS003_HEADER = [
    "date",
    "geography",
    "geography code",
    *(
        f"{_HC}: {c}{SUFFIX}"
        for c in (
            "Total",
            "One person household",
            "One person household: Aged 66 years and over",
            "One person household: Other",
            "Single family household",
            "Single family household: All aged 66 years and over",
            "Single family household: Married or civil partnership couple",
            "Single family household: Married or civil partnership couple: No children",
            "Single family household: Married or civil partnership couple: Dependent children",
            "Single family household: Married or civil partnership couple: All children "
            "non-dependent",
            "Single family household: Cohabiting couple family",
            "Single family household: Cohabiting couple family: No children",
            "Single family household: Cohabiting couple family: With dependent children",
            "Single family household: Cohabiting couple family: All children non-dependent",
            "Single family household: Lone parent family",
            "Single family household: Lone parent family: With dependent children",
            "Single family household: Lone parent family: All children non-dependent",
            "Single family household: Other single family household",
            "Single family household: Other single family household: Other family composition",
            "Other household types",
            "Other household types: With dependent children",
            "Other household types: Other, including all full-time students and all aged 66 "
            "years and over",
        )
    ),
]
TS011_HEADER = [
    "date",
    "geography",
    "geography code",
    *(
        f"Household deprivation: {c}{SUFFIX}"
        for c in (
            "Total: All households",
            "Household is not deprived in any dimension",
            "Household is deprived in one dimension",
            "Household is deprived in two dimensions",
            "Household is deprived in three dimensions",
            "Household is deprived in four dimensions",
        )
    ),
]

#: Rows that add up, counted by hand: (table, header, rows, expected count, expected base).
SYNTHETIC = {
    "TS067": (
        TS067_HEADER,
        [
            "2021,Trafford 001A,E00029766,240,30,25,35,12,40,90,8",
            "2021,Wrecsam 001A,W00002801,180,45,20,30,10,25,40,10",
        ],
        [30, 45],
        [240, 180],
    ),
    "TS029": (
        TS029_HEADER,
        [
            "2021,Trafford 001A,E01006187,1500,1300,200,90,60,40,10",
            "2021,Trafford 001B,E01006188,1400,1390,10,6,3,1,0",
        ],
        [50, 1],
        [1500, 1400],
    ),
    "TS003": (
        TS003_HEADER,
        [
            "2021,Trafford 001A,E01006187,700,230,110,120,430,60,200,80,90,30,90,50,30,10,"
            "70,45,25,10,10,40,15,25",
            "2021,Trafford 001B,E01006188,500,100,60,40,380,40,200,100,70,30,80,40,30,10,"
            "50,30,20,10,10,20,20,0",
        ],
        [110, 60],
        [700, 500],
    ),
    "TS011": (
        TS011_HEADER,
        [
            "2021,Trafford 001A,E01006187,700,300,250,100,40,10",
            '2021,"Bridgend 001A",W01000001,600,350,200,45,5,0',
        ],
        [150, 50],
        [700, 600],
    ),
}


def write(path: Path, header: list[str], rows: list[str]) -> Path:
    line = ",".join(f'"{h}"' if "," in h else h for h in header)
    path.write_text("\n".join([line, *rows]) + "\n", encoding="utf-8")
    return path


def real_rows(shared_data: Path, n: int) -> tuple[list[str], list[str]]:
    """The real TS038 file's header and first ``n`` data lines, as text."""
    with (shared_data / REAL_TS038).open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")
        return header, [handle.readline().rstrip("\n") for _ in range(n)]


@pytest.fixture
def excerpt(shared_data: Path, tmp_path: Path):
    """Write a variant of the real file's first rows: ``excerpt(header=..., rows=...)``."""
    header, rows = real_rows(shared_data, 6)

    def make(*, edit_header=None, edit_rows=None, name="census2021-ts038-lsoa.csv") -> Path:
        h = edit_header(list(header)) if edit_header else header
        r = edit_rows(list(rows)) if edit_rows else rows
        return write(tmp_path / name, h, r)

    return make


def set_cell(rows: list[str], row: int, column: int, value: str) -> list[str]:
    cells = rows[row].split(",")
    cells[column] = value
    rows[row] = ",".join(cells)
    return rows


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------


def test_registry_is_the_contract_with_the_build():
    assert list(TOPICS) == ["TS038", "TS067", "TS029", "TS003", "TS011"]
    assert ROLES == (
        "census_disability",
        "census_qualifications",
        "census_english",
        "census_households",
        "census_household_deprivation",
    )
    columns = {t.table: (t.count, t.base) for t in TOPICS.values()}
    assert columns == {
        "TS038": ("residents_disabled", "residents_disabled_base"),
        "TS067": ("residents_no_qualifications", "residents_no_qualifications_base"),
        "TS029": ("residents_poor_english", "residents_poor_english_base"),
        "TS003": ("households_one_person_66_plus", "households_one_person_66_plus_base"),
        "TS011": ("households_deprived_2_plus", "households_deprived_2_plus_base"),
    }
    ts003 = TOPICS["TS003"]
    assert ts003.zip_url == "https://www.nomisweb.co.uk/output/census/2021/census2021-ts003.zip"
    assert (ts003.oa_member, ts003.lsoa_member) == (
        "census2021-ts003-oa.csv",
        "census2021-ts003-lsoa.csv",
    )
    for topic in TOPICS.values():
        assert topic.count_label and topic.base_label and topic.title
        named = [n for n in topic.release.columns.values() if n is not None]
        assert len(named) == len(set(named))
        assert {topic.base, *topic.count_parts} <= set(named)


@pytest.mark.parametrize(
    ("table", "header"),
    [
        ("TS038", TS038_HEADER),
        ("TS067", TS067_HEADER),
        ("TS029", TS029_HEADER),
        ("TS003", TS003_HEADER),
        ("TS011", TS011_HEADER),
    ],
)
def test_the_module_maps_every_verbatim_header(table, header):
    stripped = {h.removesuffix(SUFFIX) for h in header}
    assert TOPICS[table].release.headers == stripped


# ---------------------------------------------------------------------------------------------
# The real TS038 file
# ---------------------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_real_ts038_national_lsoa_file(shared_data):
    path = shared_data / REAL_TS038
    frame = read_census_topic(path)

    assert len(frame) == 35_672
    assert list(frame.columns) == [
        "area_code",
        "area_name",
        "residents_disabled",
        "residents_disabled_base",
    ]
    assert frame["residents_disabled"].dtype == "int64"
    assert frame["residents_disabled_base"].dtype == "int64"
    trafford = frame.set_index("area_code").loc["E01006074"]
    assert trafford["area_name"] == "Trafford 025A"
    assert (trafford["residents_disabled_base"], trafford["residents_disabled"]) == (1641, 320)
    assert frame["area_code"].str.startswith("W01").sum() == 1_917  # Wales is read too

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = sum(int(r["Disability: Total: All usual residents"]) for r in rows)
    disabled = sum(int(r["Disability: Disabled under the Equality Act"]) for r in rows)
    assert frame["residents_disabled_base"].sum() == total
    assert frame["residents_disabled"].sum() == disabled

    attrs = frame.attrs
    assert attrs["release"] == "Census 2021 TS038"
    assert (attrs["table"], attrs["role"], attrs["level"]) == ("TS038", "census_disability", "lsoa")
    assert attrs["area_vintage"] == 2021
    assert attrs["source_file"] == "census2021-ts038-lsoa.csv"
    assert "perturbed" in attrs["notes"] and "without '; measures: Value'" in attrs["notes"]
    assert "35,672 LSOAs" in attrs["notes"]


@pytest.mark.shared_data
def test_real_ts038_adds_up_exactly_on_every_row(shared_data):
    """What the reader enforces, measured on the real file by hand (no tolerance needed)."""
    with (shared_data / REAL_TS038).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [list(map(int, r[3:])) for r in reader]
    assert len(rows) == 35_672
    for total, disabled, lot, little, not_disabled, limited_not, none in rows:
        assert disabled == lot + little
        assert not_disabled == limited_not + none
        assert total == disabled + not_disabled


@pytest.mark.shared_data
def test_real_ts038_is_recognised_by_discover(shared_data, tmp_path):
    (tmp_path / "renamed download.csv").write_bytes((shared_data / REAL_TS038).read_bytes())
    assert discover(tmp_path).files == {"census_disability": [tmp_path / "renamed download.csv"]}


# ---------------------------------------------------------------------------------------------
# The other tables, on synthetic files in their verbatim headers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", list(SYNTHETIC))
def test_each_table_reads_its_count_and_base(table, tmp_path):
    header, rows, count, base = SYNTHETIC[table]
    topic = TOPICS[table]
    frame = read_census_topic(write(tmp_path / topic.lsoa_member, header, rows))
    assert list(frame.columns) == ["area_code", "area_name", topic.count, topic.base]
    assert frame[topic.count].tolist() == count
    assert frame[topic.base].tolist() == base
    assert frame.attrs["table"] == table and frame.attrs["role"] == topic.role
    suffix = "with" if table in ("TS003", "TS011") else "without"
    assert f"{suffix} '{MEASURES_SUFFIX}'" in frame.attrs["notes"]
    assert discover(tmp_path).files == {topic.role: [tmp_path / topic.lsoa_member]}


def test_output_areas_of_england_and_wales(tmp_path):
    header, rows, _, _ = SYNTHETIC["TS067"]
    frame = read_census_topic(write(tmp_path / "census2021-ts067-oa.csv", header, rows))
    assert frame.attrs["level"] == "oa"
    assert frame["area_code"].tolist() == ["E00029766", "W00002801"]
    assert frame["area_name"].tolist() == ["Trafford 001A", "Wrecsam 001A"]


@pytest.mark.parametrize("table", list(SYNTHETIC))
def test_with_and_without_the_measures_suffix_read_the_same(table, tmp_path):
    header, rows, _, _ = SYNTHETIC[table]
    bare = [h.removesuffix(SUFFIX) for h in header]
    suffixed = [h if h in ("date", "geography", "geography code") else h + SUFFIX for h in bare]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = read_census_topic(write(tmp_path / "a" / "t.csv", bare, rows))
    two = read_census_topic(write(tmp_path / "b" / "t.csv", suffixed, rows))
    pd.testing.assert_frame_equal(one, two)
    assert f"without '{SUFFIX}'" in one.attrs["notes"]
    assert f"with '{SUFFIX}'" in two.attrs["notes"]
    assert set(discover(tmp_path).files) == {TOPICS[table].role}


@pytest.mark.shared_data
def test_real_layout_with_the_suffix_reads_the_same(excerpt, tmp_path):
    plain = read_census_topic(excerpt(name="plain.csv"))
    suffixed = read_census_topic(
        excerpt(edit_header=lambda h: h[:3] + [c + SUFFIX for c in h[3:]], name="suffixed.csv")
    )
    pd.testing.assert_frame_equal(plain, suffixed)


def test_a_suffix_on_some_headers_only_is_said(tmp_path):
    header, rows, count, _ = SYNTHETIC["TS011"]
    some = [h.removesuffix(SUFFIX) if i % 2 else h for i, h in enumerate(header)]
    frame = read_census_topic(write(tmp_path / "t.csv", some, rows))
    assert frame["households_deprived_2_plus"].tolist() == count
    assert f"3 of 6 with '{SUFFIX}'" in frame.attrs["notes"]


def test_column_order_is_never_used(tmp_path):
    header, rows, count, _ = SYNTHETIC["TS011"]
    order = [0, 2, 1, 8, 7, 6, 5, 4, 3]
    shuffled = [",".join(r.replace('"', "").split(",")[i] for i in order) for r in rows]
    frame = read_census_topic(write(tmp_path / "t.csv", [header[i] for i in order], shuffled))
    assert frame["households_deprived_2_plus"].tolist() == count


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(*[st.integers(0, 5_000)] * 4),
        min_size=1,
        max_size=30,
    )
)
def test_column_sums_are_conserved(tmp_path, leaves):
    rows = []
    for i, (lot, little, not_limited, none) in enumerate(leaves):
        disabled, not_disabled = lot + little, not_limited + none
        total = disabled + not_disabled
        cells = [total, disabled, lot, little, not_disabled, not_limited, none]
        rows.append(f"2021,Area {i},E01{i:06d}," + ",".join(map(str, cells)))
    frame = read_census_topic(write(tmp_path / "t.csv", TS038_HEADER, rows))
    assert frame["residents_disabled"].sum() == sum(a + b for a, b, _, _ in leaves)
    assert frame["residents_disabled_base"].sum() == sum(map(sum, leaves))
    assert len(frame) == len(leaves)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def test_a_file_of_another_table_says_which_it_is(tmp_path):
    ts007a = [
        "date",
        "geography",
        "geography code",
        "Age: Total",
        "Age: Aged 4 years and under",
        "Age: Aged 5 to 9 years",
    ]
    path = write(tmp_path / "census2021-ts007a-lsoa.csv", ts007a, ["2021,X 001A,E01000001,9,4,5"])
    with pytest.raises(
        IngestError,
        match=r"census2021-ts007a-lsoa\.csv is a Nomis bulk table of "
        r"'Age'.*not one of the tables read here: TS038 \(Disability\)",
    ):
        read_census_topic(path)
    assert discover(tmp_path).unrecognised == [path]


def test_the_census_age_files_are_sent_to_ingest_census(tmp_path):
    api = write(
        tmp_path / "ts007.csv",
        ["GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "C2021_AGE_102", "C2021_AGE_102_NAME", "OBS_VALUE"],
        ["E01006187,Trafford 001A,0,Total,1500"],
    )
    rm121 = tmp_path / "Census 2021 - Population.csv"
    rm121.write_text(
        "RM121 - Sex by age,,,,,,,\nONS Crown Copyright Reserved,,,,,,,\n"
        "2021 super output area - lower layer,Total,Aged 65 years\n"
    )
    for path in (api, rm121):
        with pytest.raises(
            IngestError, match=r"census_age that ingest\.sources\.census reads.*TS038"
        ):
            read_census_topic(path)
    assert discover(tmp_path).files == {"census_age": [rm121, api]}


@pytest.mark.shared_data
def test_the_real_rm121_file_is_refused_naming_census_age(shared_data):
    with pytest.raises(IngestError, match=r"first cell 'RM121 - Sex by age'.*census_age"):
        read_census_topic(shared_data / "census2021_rm121_age/Census 2021 - Population.csv")


@pytest.mark.shared_data
def test_a_renamed_column_is_named(excerpt):
    path = excerpt(edit_header=lambda h: [*h[:4], "Disability: Disabled (Equality Act)", *h[5:]])
    with pytest.raises(
        IngestError,
        match=r"missing column\(s\) \['Disability: Disabled under the "
        r"Equality Act'\]; unknown column\(s\) \['Disability: Disabled \(Equality",
    ):
        read_census_topic(path)


def test_a_file_that_is_not_a_bulk_table(tmp_path):
    path = write(tmp_path / "x.csv", ["code", "name", "value"], ["E01000001,A,1"])
    with pytest.raises(IngestError, match=r"x\.csv, line 1: .*expected a Nomis bulk topic summary"):
        read_census_topic(path)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("E02000001", "MSOA"),
        ("W02000001", "MSOA"),
        ("E08000009", "local authority"),
        ("E06000023", "local authority"),
        ("E12000002", "region"),
        ("E92000001", "country"),
        ("K04000001", "England and Wales"),
        ("E05011382", "another geography"),
    ],
)
def test_another_level_is_refused_naming_the_member_to_use(excerpt, code, what):
    path = excerpt(edit_rows=lambda rows: [set_cell(rows, 0, 2, code)[0], *rows[1:]])
    with pytest.raises(
        IngestError,
        match=rf"line 2: found '{code}', the code of a {what}.*"
        r"census2021-ts038-oa\.csv or census2021-ts038-lsoa\.csv",
    ):
        read_census_topic(path)


@pytest.mark.shared_data
def test_scottish_areas_are_refused(excerpt):
    path = excerpt(edit_rows=lambda rows: set_cell(rows, 0, 2, "S01006506"))
    with pytest.raises(IngestError, match=r"Scotland's Census 2022 publishes different tables"):
        read_census_topic(path)


@pytest.mark.shared_data
def test_two_levels_in_one_file_are_refused(excerpt):
    path = excerpt(edit_rows=lambda rows: set_cell(rows, 3, 2, "E00000003"))
    with pytest.raises(
        IngestError,
        match=r"'geography code', line 5: found 'E00000003'; expected "
        r"a 2021 LSOA code like line 2's 'E01000001'",
    ):
        read_census_topic(path)


@pytest.mark.shared_data
def test_another_date_is_refused(excerpt):
    path = excerpt(edit_rows=lambda rows: set_cell(rows, 2, 0, "2011"))
    with pytest.raises(IngestError, match=r"column 'date', line 4: found '2011'; expected 2021"):
        read_census_topic(path)


def test_a_census_2011_table_is_refused(tmp_path):
    header = [
        "date",
        "geography",
        "geography code",
        "Rural Urban",
        "Disability: All categories: Long-term health problem or disability; measures: Value",
        "Disability: Day-to-day activities limited a lot; measures: Value",
        "Disability: Day-to-day activities limited a little; measures: Value",
        "Disability: Day-to-day activities not limited; measures: Value",
    ]
    path = write(tmp_path / "ks301ew.csv", header, ["2011,Trafford 001A,E01006187,Total,9,1,2,6"])
    with pytest.raises(IngestError, match=r"'Rural Urban' of a Census 2011 Nomis bulk table"):
        read_census_topic(path)


def national(tmp_path: Path, n: int, prefix: str = "E01") -> Path:
    rows = [f"2021,Area {i},{prefix}{i:06d},10,3,1,2,7,2,5" for i in range(n)]
    return write(tmp_path / "national.csv", TS038_HEADER, rows)


def test_a_national_file_of_2011_lsoas_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"34,753 LSOAs, the number of Census 2011 LSOAs"):
        read_census_topic(national(tmp_path, 34_753))


def test_a_national_file_of_2011_output_areas_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"181,408 output areas, the number of Census 2011"):
        read_census_topic(national(tmp_path, 181_408, "E00"))


def test_more_lsoas_than_2021_has_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"35,673 rows, more than the 35,672 LSOAs"):
        read_census_topic(national(tmp_path, 35_673))


def test_a_national_file_of_2021_lsoas_is_read(tmp_path):
    assert len(read_census_topic(national(tmp_path, 35_672))) == 35_672


@pytest.mark.shared_data
@pytest.mark.parametrize("value", ["-3", "n/a", "", "12.5"])
def test_a_bad_count_names_column_and_line(excerpt, value):
    path = excerpt(edit_rows=lambda rows: set_cell(rows, 4, 5, value))
    with pytest.raises(
        IngestError,
        match=r"column 'Disability: Disabled under the Equality Act: "
        r"Day-to-day activities limited a lot', line 6: found",
    ):
        read_census_topic(path)


@pytest.mark.shared_data
def test_parts_that_do_not_add_up_are_refused(excerpt):
    # first row: 1475 = 152 + 1323 and 152 = 36 + 116; one more 'limited a lot'
    path = excerpt(edit_rows=lambda rows: set_cell(rows, 0, 5, "37"))
    with pytest.raises(
        IngestError,
        match=r"column 'Disability: Disabled under the Equality Act', "
        r"line 2 \(E01000001\): found 152, but .* add up to 153; expected them to "
        r"add up exactly",
    ):
        read_census_topic(path)


@pytest.mark.shared_data
def test_a_total_that_is_not_the_sum_is_refused(excerpt):
    path = excerpt(edit_rows=lambda rows: set_cell(rows, 1, 3, "1386"))
    with pytest.raises(
        IngestError,
        match=r"column 'Disability: Total: All usual residents', line 3"
        r" \(E01000002\): found 1386, but .* add up to 1385",
    ):
        read_census_topic(path)


@pytest.mark.shared_data
def test_a_count_above_its_base_is_refused(excerpt):
    path = excerpt(edit_rows=lambda rows: set_cell(rows, 0, 4, "2000"))
    with pytest.raises(
        IngestError,
        match=r"line 2 \(E01000001\): residents_disabled is 2000, more "
        r"than 'Disability: Total: All usual residents' \(1475\)",
    ):
        read_census_topic(path)


def test_a_derived_count_above_its_base_names_its_parts(tmp_path):
    header = SYNTHETIC["TS011"][0]
    path = write(tmp_path / "t.csv", header, ["2021,A,E01000001,70,0,0,50,40,10"])
    with pytest.raises(
        IngestError,
        match=r"'Household deprivation: Household is deprived in two "
        r"dimensions; measures: Value' \+ .* households_deprived_2_plus is 100, "
        r"more than",
    ):
        read_census_topic(path)


@pytest.mark.shared_data
def test_a_duplicate_area_is_refused(excerpt):
    path = excerpt(edit_rows=lambda rows: [*rows, rows[2]])
    with pytest.raises(
        IngestError,
        match=r"column 'geography code': code\(s\) \['E01000003'\] "
        r"appear on more than one row",
    ):
        read_census_topic(path)


@pytest.mark.shared_data
def test_a_header_without_rows_is_refused(excerpt):
    path = excerpt(edit_rows=lambda rows: [])
    with pytest.raises(IngestError, match=r"has a header but no rows.*census2021-ts038-lsoa\.csv"):
        read_census_topic(path)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        read_census_topic(tmp_path / "nothing.csv")
    (tmp_path / "blank.csv").write_text("\n\n")
    with pytest.raises(IngestError, match=r"blank\.csv has no header on line 1"):
        read_census_topic(tmp_path / "blank.csv")


def test_strip_suffix_and_match_topic():
    assert census_topics.strip_suffix(" Age: Total; measures: Value ") == "Age: Total"
    assert census_topics.match_topic(TS011_HEADER) is TOPICS["TS011"]
    assert census_topics.match_topic([*TS011_HEADER, TS011_HEADER[-1]]) is None


# ---------------------------------------------------------------------------------------------
# The demo place ships the five tables
# ---------------------------------------------------------------------------------------------


def test_the_demo_writes_each_table_in_the_bulk_layout(demo_sources):
    from ingest import demo
    from ingest.sources import census

    age = census.read_census_age(demo_sources["census_age"]).set_index("lsoa_code")
    lookup = pd.read_csv(demo_sources["lsoa_ward_lookup"])
    suffixed = set()
    for topic in TOPICS.values():
        path = demo_sources[topic.role]
        assert path.name == demo.FILES[topic.role] == topic.lsoa_member
        frame = read_census_topic(path).set_index("area_code")
        assert frame.attrs["level"] == "lsoa"
        assert sorted(frame.index) == sorted(lookup["LSOA21CD"])  # the demo's 2021 LSOAs
        assert (frame[topic.count] > 0).all() and (frame[topic.count] < frame[topic.base]).all()
        header = next(csv.reader([path.read_text(encoding="utf-8").split("\n", 1)[0]]))
        if all(h.endswith(SUFFIX) for h in header[3:]):
            suffixed.add(topic.table)
    assert suffixed == {"TS003", "TS011"}  # as Nomis publishes them: both forms exercised

    disability = read_census_topic(demo_sources["census_disability"]).set_index("area_code")
    gap = disability["residents_disabled_base"] - age["residents"]
    assert gap.abs().max() <= 3  # near the RM121 total, as two perturbed tables are
    households = read_census_topic(demo_sources["census_households"]).set_index("area_code")
    aged_66 = age["residents_65_plus"] - age["residents_65"]
    assert (households["households_one_person_66_plus"] <= aged_66).all()
    deprivation = read_census_topic(demo_sources["census_household_deprivation"])
    assert deprivation["households_deprived_2_plus_base"].tolist() == (
        households["households_one_person_66_plus_base"].tolist()
    )
