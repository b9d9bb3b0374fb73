import codecs

import pytest

from ingest._errors import IngestError
from ingest.sources.constituencies import COLUMNS, read_ward_constituencies
from ingest.sources.ons_geography import read_lookup

HEADER_2024 = "WD24CD,WD24NM,PCON24CD,PCON24NM,LAD24CD,LAD24NM,UTLA24CD,UTLA24NM,ObjectId"
TRAFFORD = "E08000009,Trafford,E08000009,Trafford"
ROWS_2024 = [
    f"E05015247,Altrincham,E14001065,Altrincham and Sale West,{TRAFFORD},1",
    f"E05015264,Urmston,E14001519,Stretford and Urmston,{TRAFFORD},2",
    'E05000650,Abbey,E14001009,"Cities of London, Westminster",E09000033,Westminster,'
    "E13000001,Inner London,3",
]
#: Kirkburton (Kirklees) on three rows: ONS lists a split ward once per constituency.
KIRKBURTON = [
    "E05008562,Kirkburton,E14000645,Colne Valley,E08000034,Kirklees,E11000006,West Yorkshire,4",
    "E05008562,Kirkburton,E14000666,Dewsbury,E08000034,Kirklees,E11000006,West Yorkshire,5",
    "E05008562,Kirkburton,E14000756,Huddersfield,E08000034,Kirklees,E11000006,West Yorkshire,6",
]


def write(path, header, rows, *, bom=False, crlf=False):
    end = "\r\n" if crlf else "\n"
    text = end.join([header, *rows]) + end
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8"))
    return path


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_july_2024_layout(tmp_path, bom, crlf):
    path = write(
        tmp_path / "WD24_PCON24_LAD24_UTLA24_UK_LU.csv", HEADER_2024, ROWS_2024, bom=bom, crlf=crlf
    )
    lookup = read_ward_constituencies(path)
    assert lookup.columns.tolist() == list(COLUMNS)
    assert lookup["ward_code"].tolist() == ["E05015247", "E05015264", "E05000650"]
    assert lookup["constituency_code"].tolist() == ["E14001065", "E14001519", "E14001009"]
    assert lookup.loc[2, "constituency_name"] == "Cities of London, Westminster"
    assert lookup["la_name"].tolist() == ["Trafford", "Trafford", "Westminster"]
    assert lookup.attrs["vintages"] == {"ward": "2024", "constituency": "2024", "la": "2024"}
    assert lookup.attrs["split_wards"] == {}
    assert lookup.attrs["source_file"] == path.name
    assert "constituencies 2024" in lookup.attrs["notes"]


def test_older_layouts_lower_case_and_fid(tmp_path):
    # December 2018: no UTLA; a FID row id; the Data Lab's lower-case spelling.
    header = "fid,wd18cd,wd18nm,pcon18cd,pcon18nm,lad18cd,lad18nm"
    rows = ["1,E05000819,Altrincham,E14000532,Altrincham and Sale West,E08000009,Trafford"]
    lookup = read_ward_constituencies(write(tmp_path / "2018.csv", header, rows, bom=True))
    assert lookup.loc[0, "constituency_code"] == "E14000532"
    assert lookup.attrs["vintages"] == {"ward": "2018", "constituency": "2018", "la": "2018"}


def test_rows_repeated_exactly_are_dropped_and_counted(tmp_path):
    header = HEADER_2024.removesuffix(",ObjectId")
    rows = [r.rsplit(",", 1)[0] for r in ROWS_2024]
    lookup = read_ward_constituencies(write(tmp_path / "dup.csv", header, [*rows, rows[0]]))
    assert len(lookup) == 3
    assert lookup.attrs["duplicate_rows_dropped"] == 1


def test_a_split_ward_is_refused_naming_it(tmp_path):
    path = write(tmp_path / "split.csv", HEADER_2024, ROWS_2024 + KIRKBURTON)
    with pytest.raises(IngestError, match="1 ward\\(s\\) appear on more than one row") as info:
        read_ward_constituencies(path)
    message = str(info.value)
    assert "E05008562 in ['E14000645', 'E14000666', 'E14000756']" in message
    assert "keep_split=True" in message


def test_keep_split_keeps_one_row_per_constituency_and_lists_them(tmp_path):
    path = write(tmp_path / "split.csv", HEADER_2024, ROWS_2024 + KIRKBURTON)
    lookup = read_ward_constituencies(path, keep_split=True)
    assert len(lookup) == 6
    assert (lookup["ward_code"] == "E05008562").sum() == 3
    assert lookup.attrs["split_wards"] == {"E05008562": ["E14000645", "E14000666", "E14000756"]}
    assert "label them" in lookup.attrs["notes"]


def test_la_code_keeps_one_authority_before_the_split_check(tmp_path):
    path = write(tmp_path / "uk.csv", HEADER_2024, ROWS_2024 + KIRKBURTON)
    trafford = read_ward_constituencies(path, la_code="E08000009")
    assert trafford["ward_name"].tolist() == ["Altrincham", "Urmston"]
    assert trafford.attrs["split_wards"] == {}
    assert "Kept the 2 row(s) of E08000009" in trafford.attrs["notes"]
    with pytest.raises(IngestError, match="E05008562"):
        read_ward_constituencies(path, la_code="E08000034")


@pytest.mark.parametrize(
    ("la_code", "match"),
    [
        ("E08000001", "has no ward of E08000001"),
        ("Trafford", "not a local authority district code"),
        ("E05015247", "not a local authority district code"),
    ],
)
def test_bad_la_code(tmp_path, la_code, match):
    path = write(tmp_path / "uk.csv", HEADER_2024, ROWS_2024)
    with pytest.raises(IngestError, match=match):
        read_ward_constituencies(path, la_code=la_code)


def test_a_ward_to_la_lookup_is_not_a_constituency_lookup(tmp_path):
    path = write(
        tmp_path / "wd_lad.csv",
        "WD23CD,WD23NM,LAD23CD,LAD23NM",
        ["E05015247,Altrincham,E08000009,Trafford"],
    )
    with pytest.raises(IngestError, match=r"lacks \['constituency_code', 'constituency_name'\]"):
        read_ward_constituencies(path)


def test_a_lookup_with_other_areas_is_refused(tmp_path):
    header = "LSOA21CD,WD24CD,WD24NM,PCON24CD,PCON24NM,LAD24CD,LAD24NM"
    rows = ["E01006112,E05015247,Altrincham,E14001065,Altrincham and Sale West,E08000009,Trafford"]
    with pytest.raises(IngestError, match=r"has other areas \['lsoa_code'\]"):
        read_ward_constituencies(write(tmp_path / "lsoa.csv", header, rows))


@pytest.mark.parametrize(
    ("row", "match"),
    [
        # a ward code in the constituency column
        (
            "E05015247,Altrincham,E05015264,Urmston,E08000009,Trafford,E08000009,Trafford,1",
            "'PCON24CD': found 'E05015264' \\(ward codes\\)",
        ),
        (
            "E05015247,Altrincham,E14001065,,E08000009,Trafford,E08000009,Trafford,1",
            "'PCON24NM': 1 blank name",
        ),
        (
            "E14001065,Altrincham,E14001065,A,E08000009,Trafford,E08000009,Trafford,1",
            "'WD24CD': found 'E14001065' \\(Westminster constituency codes\\)",
        ),
    ],
)
def test_bad_codes_and_names_are_refused(tmp_path, row, match):
    with pytest.raises(IngestError, match=match):
        read_ward_constituencies(write(tmp_path / "bad.csv", HEADER_2024, [row]))


def test_an_unknown_column_is_refused(tmp_path):
    header = HEADER_2024 + ",SPLIT"
    rows = [r + ",0" for r in ROWS_2024]
    with pytest.raises(
        IngestError, match=r"column\(s\) \['SPLIT'\] that no known lookup layout uses"
    ):
        read_ward_constituencies(write(tmp_path / "extra.csv", header, rows))


def test_read_lookup_keys_a_split_ward_on_its_constituency(tmp_path):
    lookup = read_lookup(write(tmp_path / "split.csv", HEADER_2024, KIRKBURTON))
    assert lookup.attrs["key"] == ["ward_code", "constituency_code", "la_code"]
    assert lookup.attrs["vintages"]["constituency"] == "2024"


@pytest.mark.shared_data
def test_real_ward_to_la_lookups_are_not_constituency_lookups(shared_data):
    for path in sorted((shared_data / "ons_ward_lad_lookups").glob("Ward_to_*.csv")):
        with pytest.raises(IngestError, match="is not a ward to Westminster constituency lookup"):
            read_ward_constituencies(path)
