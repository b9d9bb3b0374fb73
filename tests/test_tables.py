from pathlib import Path

import pandas as pd
import pytest

from ingest._errors import IngestError
from ingest._tables import Release, match_release, read_csv_text, read_text, to_number

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
