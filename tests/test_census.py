"""Census 2021 RM121 (age) reader on the Nomis bulk-CSV layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest._errors import IngestError
from ingest.sources.census import read_census_age

REAL = "census2021_rm121_age/Census 2021 - Population.csv"

TITLE = "RM121 - Sex by age"
PREAMBLE = [
    "ONS Crown Copyright Reserved [from Nomis on 14 February 2024]",
    "Population :,All Usual residents",
    "Units      :,Persons",
    "Date       :,2021",
    "Sex        :,All persons",
]
HEADER = (
    "2021 super output area - lower layer,Total,Aged 65 years,Aged 66 to 69 years,"
    "Aged 70 to 74 years,Aged 75 to 79 years,Aged 80 to 84 years,Aged 85 years and over"
)
ROWS = [
    "E01006112 : Trafford 001D,2043,11,58,33,34,39,46",
    '"E01015301 : Bournemouth, Christchurch and Poole 003A",1500,10,20,30,40,50,60',
    "W01001898 : Merthyr Tydfil 008F,1469,23,77,75,79,35,38",
]
FOOTER = [
    ',"In order to protect against disclosure of personal information, records"',
    ",have been swapped between different geographic areas and counts perturbed",
]


def nomis(
    tmp_path: Path,
    *,
    title: str = TITLE,
    preamble: list[str] = PREAMBLE,
    header: str = HEADER,
    rows: list[str] = ROWS,
    footer: list[str] | None = FOOTER,
    newline: str = "\r\n",
) -> Path:
    """A Nomis bulk CSV: title, preamble, blank, header, blank, rows, 3 blanks, note."""
    lines = [title, *preamble, ",,,,,,,", header, ",,,,,,,", *rows]
    if footer is not None:
        lines += [",,,,,,,"] * 3 + footer
    path = tmp_path / "rm121.csv"
    path.write_bytes((newline.join(lines) + newline).encode())
    return path


def test_real_nomis_file(shared_data):
    age = read_census_age(shared_data / REAL)
    assert age.attrs == {
        "release": "Census 2021 RM121",
        "source_file": "Census 2021 - Population.csv",
        "lsoa_vintage": 2021,
        "downloaded_on": "2024-02-14",
        "notes": age.attrs["notes"],
    }
    assert len(age) == 35_672
    assert age["lsoa_code"].str[0].value_counts().to_dict() == {"E": 33_755, "W": 1_917}
    assert age["lsoa_name"].str.startswith("Trafford ").sum() == 139
    row = age.set_index("lsoa_code").loc["E01006112"]
    assert row["lsoa_name"] == "Trafford 001D"
    assert row[["residents", "residents_65_plus", "residents_75_plus"]].tolist() == [2043, 221, 119]
    assert row["residents_85_plus"] == 46
    bands = ["residents_65", "residents_66_69", "residents_70_74"]
    bands += ["residents_75_79", "residents_80_84", "residents_85_plus"]
    assert (age[bands].sum(axis=1) == age["residents_65_plus"]).all()
    assert (age[bands[3:]].sum(axis=1) == age["residents_75_plus"]).all()
    assert (age["residents_65_plus"] <= age["residents"]).all()
    # a quoted area field whose name holds a comma
    assert age.set_index("lsoa_code").loc["E01015301", "lsoa_name"] == (
        "Bournemouth, Christchurch and Poole 003A"
    )
    assert age.iloc[-1]["lsoa_code"] == "W01001898"  # last row before the footer


@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"newline": "\n"},
        {"footer": None},
        {"preamble": PREAMBLE[:2]},  # a shorter preamble: header found by content
        {"preamble": [*PREAMBLE, "Extra      :,line"]},
        {"preamble": PREAMBLE[1:]},  # no copyright line, so no download date
    ],
)
def test_layout_variants(tmp_path, variant):
    age = read_census_age(nomis(tmp_path, **variant))
    assert age["lsoa_code"].tolist() == ["E01006112", "E01015301", "W01001898"]
    assert age["lsoa_name"].tolist()[1] == "Bournemouth, Christchurch and Poole 003A"
    assert age["residents_65_plus"].tolist() == [221, 210, 327]
    assert age["residents_75_plus"].tolist() == [119, 150, 152]
    dated = "from Nomis on" in "".join(variant.get("preamble", PREAMBLE))
    assert age.attrs["downloaded_on"] == ("2024-02-14" if dated else None)


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ({"title": "TS007 - Age by single year of age"}, r"line 1: the title is 'TS007 .*RM121"),
        ({"title": "RM032 - Economic activity"}, r"the title is 'RM032 - Economic activity'"),
        (
            {"header": HEADER.replace("lower layer", "middle layer")},
            r"line 8: the areas are '2021 super output area - middle layer'; expected",
        ),
        (
            {"preamble": [*PREAMBLE[:4], "Sex        :,Females"]},
            r"line 6: sex is 'Females'; expected 'all persons'",
        ),
        ({"header": HEADER.replace(",Total,", ",All,")}, r"has no header row"),
        (
            {"header": HEADER + ",Aged 60 to 64 years", "rows": [r + ",9" for r in ROWS]},
            r"does not match any known release .* unknown column\(s\) \['Aged 60 to 64 years'\]",
        ),
        (
            {"rows": [ROWS[0], ",,,,,,,", *ROWS[1:]]},
            r"line 12: an area row follows the blank line that ends the data at line 11",
        ),
        (
            {"rows": [ROWS[0], ROWS[1].replace(" : ", " - ")]},
            r"line 11: found 'E01015301 - Bournemouth.*expected '<LSOA code> : <LSOA name>'",
        ),
        (
            {"rows": [ROWS[0], "S01006506 : Aberdeen,1,0,0,0,0,0,0"]},
            r"line 11: found 'S01006506 : Aberdeen'",
        ),
        ({"rows": [ROWS[0], ROWS[0]]}, r"\['E01006112'\] appear on more than one row"),
        (
            {"rows": [ROWS[0], ROWS[2].replace("1469", "x")]},
            r"rm121\.csv, column 'Total', line 11: found 'x'; expected a whole number",
        ),
        (
            {"rows": [ROWS[0], ROWS[2].replace("1469", "100")]},
            r"W01001898 has 327 residents aged 65\+ but a total of 100",
        ),
    ],
)
def test_errors(tmp_path, variant, message):
    with pytest.raises(IngestError, match=message):
        read_census_age(nomis(tmp_path, **variant))


API_HEADER = '"GEOGRAPHY_CODE","GEOGRAPHY_NAME","C2021_AGE_102","C2021_AGE_102_NAME","OBS_VALUE"'


def ts007(tmp_path: Path, people: dict[str, dict[int, int]], header: str = API_HEADER) -> Path:
    """A Nomis API CSV of TS007: one row per LSOA and age code, as download writes it."""
    lines = [header]
    for code, ages in people.items():
        for age, count in ages.items():
            lines.append(f'"{code}","Trafford {code[-3:]}",{age},"Aged {age - 1} years",{count}')
    path = tmp_path / "census2021_ts007_age_lsoa21.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ages(total: int, per_year: int) -> dict[int, int]:
    """Age code 0 (all residents) and codes 66..101 (aged 65 to 100+), ``per_year`` each."""
    return {0: total, **dict.fromkeys(range(66, 102), per_year)}


def test_nomis_api_layout_sums_single_years_into_the_same_bands(tmp_path):
    extra = {5: 30, 40: 20}  # ages below 65 are allowed and not used
    path = ts007(tmp_path, {"E01006112": {**ages(2000, 3), **extra}, "W01001898": ages(900, 1)})
    age = read_census_age(path)
    assert age.attrs["release"] == "Census 2021 TS007"
    assert age["lsoa_code"].tolist() == ["E01006112", "W01001898"]
    row = age.iloc[0]
    # 65 | 66-69 | 70-74 | 75-79 | 80-84 | 85-100+: 1, 4, 5, 5, 5 and 16 single years
    assert row[["residents_65", "residents_66_69", "residents_70_74"]].tolist() == [3, 12, 15]
    assert row[["residents_75_79", "residents_80_84", "residents_85_plus"]].tolist() == [15, 15, 48]
    assert row[["residents", "residents_65_plus", "residents_75_plus"]].tolist() == [2000, 108, 78]
    assert age.iloc[1]["residents_65_plus"] == 36


@pytest.mark.parametrize(
    ("people", "header", "message"),
    [
        ({"E01006112": {0: 10}}, API_HEADER, r"E01006112 has no row for age code\(s\) \[66, 67"),
        (
            {"E01006112": ages(100, 1), "E01006113": {k: v for k, v in ages(9, 0).items() if k}},
            API_HEADER,
            r"E01006113 has no row for age code\(s\) \[0\]",
        ),
        ({"E0100611": ages(100, 1)}, API_HEADER, r"'GEOGRAPHY_CODE', line 2: found 'E0100611'"),
        ({"E01006112": ages(10, 1)}, API_HEADER, r"65\+ but a total of 10"),
        ({"E01006112": ages(100, 1)}, API_HEADER.replace("OBS_VALUE", "VALUE"), "OBS_VALUE"),
    ],
)
def test_nomis_api_layout_errors(tmp_path, people, header, message):
    with pytest.raises(IngestError, match=message):
        read_census_age(ts007(tmp_path, people, header))


def test_nomis_api_layout_refuses_an_age_twice_and_a_non_count(tmp_path):
    path = ts007(tmp_path, {"E01006112": ages(100, 1)})
    text = path.read_text()
    path.write_text(text + '"E01006112","Trafford 112",70,"Aged 69 years",1\n')
    with pytest.raises(IngestError, match="E01006112 has age code 70 on 2 rows"):
        read_census_age(path)
    path.write_text(text.replace(",1\n", ",x\n", 1))
    with pytest.raises(IngestError, match="OBS_VALUE"):
        read_census_age(path)
