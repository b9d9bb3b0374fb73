import tempfile
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import _tables
from ingest._errors import IngestError
from ingest._tables import (
    Release,
    match_release,
    read_csv_file,
    read_csv_text,
    read_text,
    to_number,
)

P = Path("example.csv")


def frame(values: list[str]) -> pd.DataFrame:
    return read_csv_text("v\n" + "\n".join(values) + "\n", path=P, source="t")


def test_read_text_handles_bom_crlf_and_cp1252(tmp_path):
    utf = tmp_path / "a.csv"
    utf.write_bytes("\ufeffname\r\nYnys Môn\r\n".encode())
    assert read_text(utf, source="t") == "name\nYnys Môn\n"
    win = tmp_path / "b.csv"
    win.write_bytes("name\r\nCaf\xe9\r\n".encode("cp1252"))
    assert read_text(win, source="t") == "name\nCafé\n"


def test_read_text_rejects_empty_and_missing(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("  \n")
    with pytest.raises(IngestError, match=r"empty\.csv is empty"):
        read_text(empty, source="t")
    with pytest.raises(IngestError, match="file not found"):
        read_text(tmp_path / "nope.csv", source="t")


def test_counts_accept_thousands_separators():
    assert to_number(frame(['"1,296"', "7"]), "v", path=P, source="t", kind="count").tolist() == [
        1296,
        7,
    ]


@pytest.mark.parametrize(
    ("values", "kind", "bad"),
    [
        (["1", "x"], "count", "'x'"),
        (["1", "-3"], "count", "'-3'"),
        (["1", "2.5"], "count", "'2.5'"),
        (["50", "100.1"], "percent", "'100.1'"),
        (["", "3"], "count", "''"),
    ],
)
def test_bad_values_name_file_column_line_and_value(values, kind, bad):
    with pytest.raises(IngestError) as err:
        to_number(frame(values), "v", path=P, source="t", kind=kind)
    message = str(err.value)
    assert "example.csv" in message
    assert "column 'v'" in message
    assert bad in message
    line = 2 + [v.strip('"') for v in values].index(bad.strip("'"))
    assert f"line {line}" in message


def test_blank_policies():
    f = frame(["", "12%"])
    assert to_number(f, "v", path=P, source="t", kind="percent", blank="zero").tolist() == [0, 12]
    assert to_number(f, "v", path=P, source="t", kind="percent", blank="nan").isna().tolist() == [
        True,
        False,
    ]


def test_match_release_names_missing_and_unknown_headers():
    releases = [Release("r1", {"a": "x", "b": "y"}), Release("r2", {"a": "x", "c": "z"})]
    assert match_release(["b", "a"], releases, path=P, source="t").name == "r1"
    with pytest.raises(IngestError, match=r"Closest is 'r1': missing column\(s\) \['b'\]; unknown"):
        match_release(["a", "B"], releases, path=P, source="t")


def test_duplicate_headers_are_refused():
    with pytest.raises(IngestError, match="repeats the column"):
        read_csv_text("a,a\n1,2\n", path=P, source="t")


def test_bytes_neither_utf8_nor_cp1252_are_a_clear_error(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"code,value\nE01,\x81\x8d\n")  # 0x81 is undefined in Windows-1252
    with pytest.raises(IngestError, match=r"odd.csv is neither UTF-8 nor Windows-1252.*0x81"):
        read_text(path, source="test")


#: Pieces of CSV text where two parsers could disagree: quotes, separators, line ends of every
#: kind, blank lines, spaces, a BOM, non-ASCII letters.
CSV_PIECES = st.sampled_from(
    ["a", "1", " ", ",", '"', '""', "\n", "\n\n", "\r", "\r\n", "é", "\ufeff", "x,y", '"1,296"']
)


def parse_both(text: str) -> tuple[pd.DataFrame | str, pd.DataFrame | str]:
    """``read_csv_text`` as it is, and with the pandas parser only (an error as its message)."""

    def read() -> pd.DataFrame | str:
        try:
            return read_csv_text(text, path=P, source="t")
        except IngestError as exc:
            return str(exc)

    fast = read()
    with mock.patch.object(_tables, "_parse_text_with_pyarrow", return_value=None):
        return fast, read()


def assert_same(fast: pd.DataFrame | str, slow: pd.DataFrame | str) -> None:
    assert type(fast) is type(slow), (fast, slow)
    if isinstance(slow, str):
        assert fast == slow
    else:
        pd.testing.assert_frame_equal(fast, slow)
        assert fast.attrs == slow.attrs


@settings(max_examples=600, deadline=None, database=None)
@given(st.lists(CSV_PIECES, max_size=25).map("".join))
def test_threaded_parser_reads_any_text_as_the_pandas_parser(text):
    assert_same(*parse_both(text))


@pytest.mark.parametrize(
    "text",
    [
        "code,name,premises\nE00000001,Ynys Môn,12\nE00000002,,7\n",
        'la,name,n\nE06000010,"Kingston upon Hull, City of","1,296"\n',
        'a\n"two\nlines"\n',
        "a,b\n\n1,2\n\n",
        "a,b\n",
    ],
)
def test_threaded_parser_takes_ordinary_files(text):
    assert _tables._parse_text_with_pyarrow(text) is not None
    assert_same(*parse_both(text))


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1\n",
        "a,b\n1,2,3\n",
        "\na,b\n",
        "\ufeffa,b\n1,2\n",
        "",
        'a,b\n1,"open\n',
        'a,b\n"say ""hi""",2\n',
        'a,b\n1,2"3\n',
    ],
)
def test_short_rows_odd_text_and_quotes_in_cells_go_to_the_pandas_parser(text):
    assert _tables._parse_text_with_pyarrow(text) is None
    assert_same(*parse_both(text))


def test_text_that_is_not_unicode_goes_to_the_pandas_parser():
    assert _tables._parse_text_with_pyarrow("a,b\n1,\ud800\n") is None  # a lone surrogate


#: Bytes a council's copy of a CSV might hold: the pieces above in UTF-8, Windows-1252 (0xe9
#: is "é"), a BOM, and sequences that are not UTF-8 (a lone continuation byte, an overlong
#: "/", a surrogate, a code point past U+10FFFF, a cut-short "€", 0x81 undefined in cp1252).
BYTE_PIECES = st.sampled_from(
    [b"a", b"1", b" ", b",", b'"', b"\n", b"\n\n", b"\r\n", b"\r", b"\xef\xbb\xbf", "é".encode(),
     b"\xe9", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x81"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(BYTE_PIECES, max_size=20).map(b"".join))
def test_file_reader_gives_what_decoding_then_parsing_gives(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "example.csv"
        path.write_bytes(raw)

        def read(how):
            try:
                return how()
            except IngestError as exc:
                return str(exc)

        fast = read(lambda: read_csv_file(path, source="t"))
        slow = read(lambda: read_csv_text(read_text(path, source="t"), path=path, source="t"))
    assert_same(fast, slow)


def test_file_reader_parses_plain_utf8_bytes_without_decoding(tmp_path, monkeypatch):
    path = tmp_path / "wards.csv"
    path.write_bytes("code,name\nW05000001,Ynys Môn\n".encode())
    monkeypatch.setattr(_tables, "_decode", mock.Mock(side_effect=AssertionError("decoded")))
    frame = read_csv_file(path, source="t")
    assert frame.to_dict("list") == {"code": ["W05000001"], "name": ["Ynys Môn"]}
    assert frame.attrs["first_line"] == 2
