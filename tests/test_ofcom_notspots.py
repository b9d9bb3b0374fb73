import codecs

import pytest

from ingest._errors import IngestError
from ingest.sources.ofcom_notspots import RELEASE_MINIMAL, read_not_spot_postcodes


def write(path, text: str, *, bom: bool = False, crlf: bool = False):
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8"))
    return path


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_good_list_in_both_forms(tmp_path, bom, crlf):
    path = write(
        tmp_path / "ofcom_not_spots_2025-07.csv",
        "postcode\nM15 4AB\nm154ad\nWA14  2UE\n  sk8 1aa \nGIR0AA\n",
        bom=bom,
        crlf=crlf,
    )
    spots = read_not_spot_postcodes(path)
    assert spots["postcode"].tolist() == ["M15 4AB", "M15 4AD", "WA14 2UE", "SK8 1AA", "GIR 0AA"]
    assert spots.columns.tolist() == ["postcode"]
    assert spots["postcode"].dtype == "string"
    assert spots.attrs == {
        "release": RELEASE_MINIMAL.name,
        "release_month": "2025-07",
        "source_file": "ofcom_not_spots_2025-07.csv",
        "notes": RELEASE_MINIMAL.notes,
    }
    assert "upper bound" in spots.attrs["notes"]


@pytest.mark.parametrize("header", ["Postcode", " POSTCODE ", '"postcode"'])
def test_header_letter_case_and_spaces_are_ignored(tmp_path, header):
    spots = read_not_spot_postcodes(write(tmp_path / "l.csv", f"{header}\nM15 4AB\n"))
    assert spots["postcode"].tolist() == ["M15 4AB"]


def test_release_month_from_the_folder_or_none(tmp_path):
    folder = tmp_path / "not-spots-january-2025"
    folder.mkdir()
    assert (
        read_not_spot_postcodes(write(folder / "l.csv", "postcode\nM15 4AB\n")).attrs[
            "release_month"
        ]
        == "2025-01"
    )
    bare = read_not_spot_postcodes(write(tmp_path / "list.csv", "postcode\nM15 4AB\n"))
    assert bare.attrs["release_month"] is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("pcds\nM15 4AB\n", r"\['pcds'\]"),
        ("postcode,premises\nM15 4AB,3\n", r"\['postcode', 'premises'\]"),
        ("Postcode,ward_code,lsoa_code\nM15 4AB,E05000001,E01000001\n", "ward_code"),
    ],
)
def test_any_other_header_is_refused_naming_it_and_the_layout(tmp_path, text, found):
    with pytest.raises(IngestError, match=found) as info:
        read_not_spot_postcodes(write(tmp_path / "other.csv", text))
    message = str(info.value)
    assert "other.csv" in message
    assert "the one column 'postcode'" in message


def test_postcode_twice_in_the_header_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"'postcode' more than once"):
        read_not_spot_postcodes(write(tmp_path / "twice.csv", "postcode,Postcode\nM1 1AA,M1 1AA\n"))


@pytest.mark.parametrize(
    ("body", "line", "value"),
    [
        ("M15 4AB\nM15\n", 3, "'M15'"),  # only the district
        ("M15 4AB\nM15 4AB X\n", 3, "'M15 4AB X'"),
        ("M15-4AB\n", 2, "'M15-4AB'"),
        ("M15 4AB\n\nM15 4AD\n", 3, "''"),  # a blank line is a blank cell
        ("12345\n", 2, "'12345'"),
    ],
)
def test_a_malformed_or_blank_postcode_names_line_and_value(tmp_path, body, line, value):
    path = write(tmp_path / "bad.csv", "Postcode\n" + body)
    with pytest.raises(IngestError, match=f"column 'Postcode', line {line}: found {value}"):
        read_not_spot_postcodes(path)


def test_a_postcode_listed_twice_in_any_form_is_refused(tmp_path):
    path = write(tmp_path / "dup.csv", "postcode\nM15 4AB\nWA14 2UE\nm154ab\n")
    with pytest.raises(IngestError, match=r"\['M15 4AB'\] appear on more than one row"):
        read_not_spot_postcodes(path)


def test_a_header_without_postcodes_is_refused(tmp_path):
    with pytest.raises(IngestError, match="has a header but no postcodes"):
        read_not_spot_postcodes(write(tmp_path / "empty.csv", "postcode\n"))


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        read_not_spot_postcodes(tmp_path / "absent.csv")
