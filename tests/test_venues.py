import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest._errors import IngestError
from ingest.sources import venues as venues_module
from ingest.sources.venues import (
    HEADER_ALIASES,
    MAX_NAME_CHARS,
    MAX_VENUE_BYTES,
    MAX_VENUE_ROWS,
    TEMPLATE_COLUMNS,
    TEMPLATE_CSV,
    VENUE_COLUMNS,
    column_of,
    is_formula_like,
    read_venues,
)

HOSTILE = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture
def pcs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "postcode": ["M15 4AB", "WA14 2UE", "M1 1AA"],
            "lon": [-2.26046, -2.35, np.nan],
            "lat": [53.465578, 53.39, np.nan],
            "ward_code": ["W1", "W2", "W1"],
        }
    )


def csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def test_postcode_rows_are_normalised_and_located(pcs):
    out = read_venues(
        csv("Name,Postcode,Type", "Central Library,m154ab,library", "Hall,WA14  2ue,"),
        postcodes=pcs,
    )
    assert list(out.columns) == list(VENUE_COLUMNS)
    assert out.index.name == "row"
    assert out.index.tolist() == [2, 3]
    assert out["postcode"].tolist() == ["M15 4AB", "WA14 2UE"]
    assert out["kind"].tolist() == ["library", ""]
    assert out["lon"].tolist() == [-2.26046, -2.35]
    assert out["lat"].tolist() == [53.465578, 53.39]
    assert set(out["located_by"]) == {"postcode"}
    assert out.attrs["rejected"].empty
    assert out.attrs["source_file"] == "venues.csv"


def test_coordinate_rows_need_no_directory():
    out = read_venues(csv("venue,latitude,longitude", "Hub, 53.48 ,-2.24"), postcodes=None)
    assert out[["lat", "lon"]].values.tolist() == [[53.48, -2.24]]
    assert out["located_by"].tolist() == ["coordinates"]
    assert out["postcode"].tolist() == [""]


def test_coordinates_win_over_a_postcode_when_both_are_given(pcs):
    out = read_venues(csv("name,postcode,lat,lon", "Hub,M15 4AB,53.48,-2.24"), postcodes=pcs)
    assert out.iloc[0][["postcode", "lat", "located_by"]].tolist() == [
        "M15 4AB",
        53.48,
        "coordinates",
    ]


@pytest.mark.parametrize(
    "header",
    [
        "name,postcode",
        "NAME,POSTCODE",
        "Venue,Post Code",
        "venue_name,post_code",
        " Venue-Name , postcode ",
    ],
)
def test_headers_match_aliases_in_any_case(header, pcs):
    out = read_venues(csv(header, "Hub,M15 4AB"), postcodes=pcs)
    assert out["name"].tolist() == ["Hub"]


@pytest.mark.parametrize("header", ["lat,lng", "Latitude,Long", "LAT,LONGITUDE"])
def test_coordinate_aliases(header):
    out = read_venues(csv(f"name,{header}", "Hub,53.48,-2.24"), postcodes=None)
    assert out["lon"].tolist() == [-2.24]


def test_unknown_columns_are_ignored_and_listed(pcs):
    out = read_venues(
        csv("name,postcode,Opening hours,address", "Hub,M15 4AB,9-5,1 High St"), postcodes=pcs
    )
    assert out.attrs["ignored_columns"] == ["Opening hours"]
    assert out["address"].tolist() == ["1 High St"]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"\xef\xbb\xbfname,postcode\nCaf\xc3\xa9,M15 4AB\n", "utf-8 with BOM"),
        (b"name,postcode\nCaf\xc3\xa9,M15 4AB\n", "utf-8"),
        (b"name,postcode\r\nCaf\xe9,M15 4AB\r\n", "cp1252 from Excel"),
    ],
)
def test_bom_and_cp1252_names(data, encoding, pcs):
    out = read_venues(data, postcodes=pcs)
    assert out["name"].tolist() == ["Café"], encoding


def test_undecodable_and_binary_files_are_refused(pcs):
    with pytest.raises(IngestError, match=r"up\.csv is neither UTF-8 nor Windows-1252.*0x81"):
        read_venues(b"name,postcode\n\x81,M15 4AB\n", name="up.csv", postcodes=pcs)
    with pytest.raises(IngestError, match=r"NUL bytes.*CSV UTF-8"):
        read_venues("name,postcode\n".encode("utf-16"), postcodes=pcs)


def test_hostile_name_is_kept_verbatim_as_text(pcs):
    out = read_venues(csv("name,postcode", f"  {HOSTILE}  ,M15 4AB"), postcodes=pcs)
    assert out["name"].tolist() == [HOSTILE]
    assert out.attrs["formula_like"] == []


def test_formula_like_text_is_flagged_not_changed(pcs):
    out = read_venues(
        csv(
            "name,postcode,type",
            f'"{FORMULA}",M15 4AB,library',
            "Hall,M15 4AB,@SUM(A1)",
            "Plain,M15 4AB,hall",
        ),
        postcodes=pcs,
    )
    assert out.loc[2, "name"] == FORMULA
    assert out.attrs["formula_like"] == [2, 3]


FORMULA_CASES = [
    ("=1+1", True),
    ("+44", True),
    ("-x", True),
    ("@A1", True),
    ("\tx", True),
    ("\r=", True),
]
PLAIN_CASES = [("Library", False), ("", False), ("a=b", False)]


@pytest.mark.parametrize(("text", "expected"), [*FORMULA_CASES, *PLAIN_CASES])
def test_is_formula_like(text, expected):
    assert is_formula_like(text) is expected


def test_long_names_are_cut_and_listed(pcs):
    out = read_venues(csv("name,postcode", "x" * 500 + ",M15 4AB"), postcodes=pcs)
    assert out["name"].str.len().tolist() == [MAX_NAME_CHARS]
    assert out.attrs["truncated_names"] == [2]


def test_oversize_upload_is_refused_before_parsing(monkeypatch, pcs):
    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed an oversize file")

    monkeypatch.setattr(venues_module, "read_csv_text", must_not_parse)
    data = b"name,postcode\n" + b"x" * MAX_VENUE_BYTES
    with pytest.raises(IngestError, match=r"big\.csv is 1,000,014 bytes; the limit is 1,000,000"):
        read_venues(data, name="big.csv", postcodes=pcs)


def test_row_limit():
    rows = ["name,lat,lon"] + ["V,53.4,-2.2"] * MAX_VENUE_ROWS
    assert len(read_venues(csv(*rows), postcodes=None)) == MAX_VENUE_ROWS
    with pytest.raises(IngestError, match="more than 5,000 rows"):
        read_venues(csv(*rows, "V,53.4,-2.2"), postcodes=None)


def test_bad_rows_are_rejected_with_reasons_and_the_rest_kept(pcs):
    out = read_venues(
        csv(
            "name,postcode,lat,lon",
            "Good,M15 4AB,,",
            "Typo,M15 4A,,",
            "Elsewhere,SW1A 1AA,,",
            "No grid ref,M1 1AA,,",
            "Abroad,,48.85,2.35",
            "Swapped,,-2.2,53.4",
            "Grid,,392000,378000",
            "Half,,53.4,",
            "Text,,north,-2.2",
            ",M15 4AB,,",
            "Nowhere,,,",
            '"Multi, line",M15 4AB,,',
        ),
        postcodes=pcs,
    )
    assert out.index.tolist() == [2, 13]
    rejected = out.attrs["rejected"]
    assert list(rejected.columns) == ["row", "name", "reason"]
    reasons = dict(zip(rejected["row"], rejected["reason"], strict=True))
    assert sorted(reasons) == list(range(3, 13))
    assert "'M15 4A' is not a UK postcode" in reasons[3]
    assert "SW1A 1AA is not a postcode of this place" in reasons[4]
    assert "M1 1AA has no grid reference" in reasons[5]
    assert "outside the UK" in reasons[6]
    assert "swapped" in reasons[7]
    assert "eastings/northings are not accepted" in reasons[8]
    assert "only one of lat and lon" in reasons[9]
    assert "lat 'north' is not a number" in reasons[10]
    assert reasons[11] == "no name"
    assert reasons[12] == "neither a postcode nor lat and lon is given"


def test_row_numbers_follow_the_spreadsheet_with_multiline_cells_and_blank_rows(pcs):
    out = read_venues(
        csv("name,address,postcode", 'Hub,"1 High St\nTown",M15 4AB', ",,", "Hall,,M15 4ab"),
        postcodes=pcs,
    )
    assert out.index.tolist() == [2, 4]
    assert out.loc[2, "address"] == "1 High St\nTown"
    assert out.attrs["blank_rows"] == [3]


def test_postcodes_without_a_directory_are_rejected_with_the_reason():
    out = read_venues(csv("name,postcode,lat,lon", "A,M15 4AB,,", "B,,53.4,-2.2"), postcodes=None)
    assert out["name"].tolist() == ["B"]
    assert "no postcode directory" in out.attrs["rejected"].loc[0, "reason"]


def test_all_rows_bad_raises_naming_file_and_rows(pcs):
    with pytest.raises(
        IngestError, match=r"list\.csv: none of its 2 venue row\(s\).*row 2: .*row 3"
    ):
        read_venues(csv("name,postcode", "A,nope", "B,SW1A 1AA"), name="list.csv", postcodes=pcs)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"v\.csv is empty; expected a CSV with a header row"),
        (b" \r\n\n", r"v\.csv is empty"),
        (b"name,postcode\n", r"v\.csv has a header row but no venues"),
        (b"name,postcode\n,\n,\n", r"v\.csv has a header row but no venues"),
        (
            b"title,postcode\nHub,M15 4AB\n",
            r"no venue name column \(found: \['title', 'postcode'\]\)",
        ),
        (b"name,town\nHub,Sale\n", "no postcode column and no latitude/longitude columns"),
        (b"name,lat\nHub,53\n", "latitude column but no lon column"),
        (b"name,lon\nHub,-2\n", "longitude column but no lat column"),
        (b"name,name\nHub,Hub\n", r"repeats the column\(s\) \['name'\]"),
        (b"Name,Venue,postcode\nA,B,M15 4AB\n", r"\['Name', 'Venue'\] all give the venue's name"),
        (b"Post code,postcode,name\nA,B,C\n", r"\['Post code', 'postcode'\] all give"),
        (b'name,postcode\n"Hub,M15 4AB\n', r"v\.csv is not a well-formed CSV"),
        (b"name,postcode\nHub,M15 4AB,extra\n", r"v\.csv is not a well-formed CSV"),
    ],
)
def test_file_level_errors_name_the_file_and_what_is_expected(data, message, pcs):
    with pytest.raises(IngestError, match=message):
        read_venues(data, name="v.csv", postcodes=pcs)


def test_a_directory_without_coordinates_is_a_programming_error():
    with pytest.raises(ValueError, match=r"postcodes has no column\(s\) \['lon', 'lat'\]"):
        read_venues(csv("name,postcode", "Hub,M15 4AB"), postcodes=pd.DataFrame({"postcode": []}))


def test_the_file_name_is_reduced_to_its_base_name(pcs):
    with pytest.raises(IngestError, match=r"^venues: evil\.csv is empty"):
        read_venues(b"", name="../../etc/evil.csv", postcodes=pcs)


_CELLS = st.text(alphabet=st.sampled_from(list('aZ,;"\n\r\t =+-@é€\x81\x00 0123456789.M')))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=300),
        _CELLS.map(lambda t: ("name,postcode,lat,lon\n" + t).encode("utf-8")),
        _CELLS.map(lambda t: ("Venue,Post code\nHub,M15 4AB\n" + t).encode("cp1252", "replace")),
    )
)
def test_arbitrary_bytes_raise_only_ingest_errors(data):
    postcodes = pd.DataFrame({"postcode": ["M15 4AB"], "lon": [-2.26], "lat": [53.47]})
    try:
        out = read_venues(data, postcodes=postcodes)
    except IngestError:
        return
    assert list(out.columns) == list(VENUE_COLUMNS)
    assert not out.empty
    assert out["lon"].between(-8.7, 1.8).all() and out["lat"].between(49.8, 60.9).all()


@pytest.fixture
def template_postcodes() -> pd.DataFrame:
    """The store's postcodes table (its columns) holding the template's example postcodes."""
    return pd.DataFrame(
        {
            "postcode": ["M2 5PD", "M15 4AB"],
            "lon": [-2.2445, -2.26046],
            "lat": [53.4781, 53.465578],
            "ward_code": ["W1", "W2"],
            "ward_method": ["directory", "directory"],
            "directory_ward_code": ["W1", "W2"],
        }
    )


def test_the_template_is_read_as_it_is(template_postcodes):
    out = read_venues(TEMPLATE_CSV, name="venues_template.csv", postcodes=template_postcodes)
    assert out.index.tolist() == [2, 3, 4]
    assert out["name"].str.startswith("Example: ").all()
    assert out["located_by"].tolist() == ["postcode", "postcode", "coordinates"]
    assert out["postcode"].tolist() == ["M2 5PD", "M15 4AB", ""]
    assert out[["lat", "lon"]].values.tolist() == [
        [53.4781, -2.2445],
        [53.465578, -2.26046],
        [53.481, -2.2369],
    ]
    assert out["address"].tolist()[0] == "St Peter's Square, Manchester"  # quoted comma
    assert (out["kind"] != "").all()
    assert out.attrs["rejected"].empty
    assert out.attrs["ignored_columns"] == []
    assert out.attrs["formula_like"] == [] and out.attrs["blank_rows"] == []
    assert out.attrs["source_file"] == "venues_template.csv"


def test_the_template_has_every_column_the_reader_reads_and_explains_it():
    header = TEMPLATE_CSV.decode("ascii").splitlines()[0].split(",")
    assert header == list(TEMPLATE_COLUMNS)
    assert sorted(column_of(h) for h in header) == sorted(HEADER_ALIASES)
    assert all(TEMPLATE_COLUMNS.values())  # each column explained
    assert TEMPLATE_CSV.count(b"\r\n") == 4  # the header and three examples


def test_the_templates_postcode_examples_need_the_councils_postcodes():
    out = read_venues(TEMPLATE_CSV, name="venues_template.csv", postcodes=None)
    assert out["name"].tolist() == ["Example: Pop-up digital help"]
    assert out.attrs["rejected"]["row"].tolist() == [2, 3]
