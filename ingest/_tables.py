"""Shared plumbing for reading the publishers' CSV files strictly.

Every source module (``ofcom_fixed``, ``iod``, ``census`` ...) reads its files through these
functions so that all of them treat encodings, headers and numbers the same way:

- text is decoded as UTF-8 (a BOM is dropped) and, failing that, as Windows-1252, the encoding
  of files saved by Excel on a council PC;
- every cell is read as text first, so that nothing is guessed by a CSV sniffer; pyarrow's
  threaded reader parses a file where it reads it exactly as pandas' parser does (cells of
  plain text, quoted or not), and pandas' parser every other file (a quote inside a cell, rows
  of different lengths), so both give the same frame and the same errors;
- headers are matched *by name* against an explicit map for each known release, and an unknown
  header is an error, never a silent drop;
- numbers are converted column by column, and a bad cell is reported with file, column, line
  and the offending value.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv

from ingest._errors import IngestError

Blank = Literal["error", "zero", "nan"]


@dataclass(frozen=True)
class Release:
    """One published layout of a source file.

    Attributes
    ----------
    name : str
        Release label as the publisher names it, e.g. ``"202507"`` or ``"IoD2019 File 2"``.
    columns : Mapping[str, str | None]
        Publisher header -> our canonical name. ``None`` marks a column we know and do not use.
    notes : str
        What differs in this release and what the reader does about it (shown in errors and the
        store manifest).
    """

    name: str
    columns: Mapping[str, str | None]
    notes: str = ""

    @property
    def headers(self) -> frozenset[str]:
        """Publisher headers of this release."""
        return frozenset(self.columns)


def read_text(path: Path, *, source: str) -> str:
    """Return the decoded text of ``path``: UTF-8 (BOM dropped), else Windows-1252.

    Parameters
    ----------
    path : Path
        File to read.
    source : str
        Source module name used in error messages, e.g. ``"ofcom_fixed"``.

    Returns
    -------
    str
        The file's text with universal newlines (CRLF and CR both become LF).

    Raises
    ------
    IngestError
        Missing or empty file, or bytes that are neither UTF-8 nor Windows-1252.
    """
    path = Path(path)
    return _decode(_read_bytes(path, source=source), path=path, source=source)


def _read_bytes(path: Path, *, source: str) -> bytes:
    """Return the bytes of ``path``; a missing file or one of only white space is an error."""
    if not path.is_file():
        raise IngestError(f"{source}: file not found: {path}")
    raw = path.read_bytes()
    if not raw or raw.isspace():  # what ``not raw.strip()`` means, without copying the file
        raise IngestError(f"{source}: {path.name} is empty; expected a CSV with a header row.")
    return raw


def _decode(raw: bytes, *, path: Path, source: str) -> str:
    """Text of ``raw`` as :func:`read_text` returns it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252", errors="strict")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"{source}: {path.name} is neither UTF-8 nor Windows-1252 text (byte "
                f"{raw[exc.start]:#04x} at offset {exc.start}); is it a spreadsheet or a "
                "compressed file? Save it as CSV."
            ) from exc
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_csv_file(path: str | Path, *, source: str) -> pd.DataFrame:
    """Read a CSV file into a frame of strings: ``read_csv_text(read_text(path))``, faster.

    A file of UTF-8 with LF line ends and no BOM (as most publishers write them) is parsed
    from its bytes, without decoding it to text and encoding it again; any other file
    (Windows-1252, CR line ends, a BOM) is decoded by :func:`read_text` first.

    Parameters
    ----------
    path : str or Path
        File to read.
    source : str
        Source module name, for messages.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_csv_text`.

    Raises
    ------
    IngestError
        As :func:`read_text` and :func:`read_csv_text`.
    """
    path = Path(path)
    raw = _read_bytes(path, source=source)
    frame = None if b"\r" in raw else _parse_with_pyarrow(raw)
    if frame is not None:
        return _with_header(frame, path=path, source=source, skiprows=0)
    text = _decode(raw, path=path, source=source)
    del raw  # the text stands for it from here
    return read_csv_text(text, path=path, source=source)


def read_csv_text(
    text: str, *, path: Path, source: str, skiprows: int = 0, nrows: int | None = None
) -> pd.DataFrame:
    """Parse CSV ``text`` into a frame of strings, headers stripped of surrounding spaces.

    Parameters
    ----------
    text : str
        Decoded CSV text (see :func:`read_text`).
    path : Path
        File the text came from, for messages.
    source : str
        Source module name, for messages.
    skiprows : int, default 0
        Lines before the header (e.g. a Nomis preamble).
    nrows : int, optional
        Read at most this many data rows.

    Returns
    -------
    pandas.DataFrame
        All cells as ``str``; empty cells are ``""``. ``attrs["first_line"]`` is the 1-based file
        line number of the first data row, so messages can point at a line.
    """
    frame = _parse_text_with_pyarrow(text) if skiprows == 0 and nrows is None else None
    if frame is None:
        frame = _parse_with_pandas(text, path=path, source=source, skiprows=skiprows, nrows=nrows)
    return _with_header(frame, path=path, source=source, skiprows=skiprows)


def _with_header(frame: pd.DataFrame, *, path: Path, source: str, skiprows: int) -> pd.DataFrame:
    """Make row 0 of a parsed frame its header (stripped, each name once); set first_line."""
    header = [str(c).strip() for c in frame.iloc[0]]
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = header
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise IngestError(
            f"{source}: {Path(path).name} repeats the column(s) {duplicated}; each header must "
            "appear once."
        )
    frame.attrs["first_line"] = skiprows + 2
    return frame


#: The dtype ``pandas.read_csv(dtype=str)`` gives text columns in the installed pandas
#: (pyarrow-backed ``str`` from pandas 3, ``object`` before).
_TEXT_DTYPE = pd.Series(dtype=str).dtype


def _parse_text_with_pyarrow(text: str) -> pd.DataFrame | None:
    """:func:`_parse_with_pyarrow` of ``text`` encoded as UTF-8 (None if it cannot be)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no file decodes to one
        return None
    return _parse_with_pyarrow(data)


def _parse_with_pyarrow(data: bytes) -> pd.DataFrame | None:
    """Parse UTF-8 CSV ``data`` as :func:`_parse_with_pandas` parses its text, in threads.

    Both read a blank line as a row of empty cells. Returns None, for the pandas parser to
    decide, where the two could differ: a row whose number of cells differs from the first
    row's, a blank first line, a leading BOM, bytes that are not UTF-8, a quote inside a cell
    or an odd number of quotes. So only quotes that open and close whole cells (``"Kingston
    upon Hull, City of"``, ``"1,296"``) are left to pyarrow: each cell takes two, and a cell
    left open at the end, which pandas refuses, takes one. Every cell is typed text, so
    nothing is inferred; a column that pyarrow would still infer (a header spanning lines)
    sends the file to pandas too.
    """
    if data[:1] in (b"", b"\n", b"\r") or data.startswith(codecs.BOM_UTF8):
        return None
    end = data.find(b"\n")
    width = data.count(b",", 0, end if end >= 0 else len(data)) + 1  # >= the header's cells
    try:
        table = pyarrow.csv.read_csv(
            pa.py_buffer(data),
            read_options=pyarrow.csv.ReadOptions(autogenerate_column_names=True),
            parse_options=pyarrow.csv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pyarrow.csv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(width)},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:  # rows of different lengths, bytes that are not UTF-8
        return None
    if not all(pa.types.is_large_string(field.type) for field in table.schema):
        return None
    quotes = data.count(b'"')
    if quotes and (
        quotes % 2  # a quoted cell left open at the end: pandas refuses the file
        or any(_has_quote(column) for column in table.columns)
    ):
        return None  # quotes inside cells, escaped or stray: the parsers may differ
    if pd.api.types.is_object_dtype(_TEXT_DTYPE):
        return table.to_pandas()
    return table.to_pandas(types_mapper=lambda _: _TEXT_DTYPE)


def _has_quote(column: pa.ChunkedArray) -> bool:
    """Whether a cell of a text column holds a double quote (its UTF-8 bytes are searched)."""
    return any(
        b'"' in memoryview(data).tobytes()
        for data in (chunk.buffers()[2] for chunk in column.chunks)
        if data is not None
    )


def _parse_with_pandas(
    text: str, *, path: Path, source: str, skiprows: int, nrows: int | None
) -> pd.DataFrame:
    """Parse ``text`` with the header row as row 0, every cell a string, blank lines kept."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            dtype=str,
            header=None,
            keep_default_na=False,
            na_filter=False,
            skiprows=skiprows,
            nrows=None if nrows is None else nrows + 1,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise IngestError(f"{source}: {Path(path).name} is not a well-formed CSV: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise IngestError(f"{source}: {Path(path).name} has no header row.") from exc


def match_release(
    columns: Iterable[str], releases: Iterable[Release], *, path: Path, source: str
) -> Release:
    """Return the release whose header set equals ``columns`` exactly (order is ignored).

    Parameters
    ----------
    columns : iterable of str
        Headers found in the file.
    releases : iterable of Release
        Known layouts of this source.
    path : Path
        File, for messages.
    source : str
        Source module name, for messages.

    Returns
    -------
    Release
        The one matching layout.

    Raises
    ------
    IngestError
        When no known release has exactly these headers; the message names the closest release,
        the headers it lacks and the headers it does not know.
    """
    found = frozenset(columns)
    candidates = list(releases)
    for release in candidates:
        if release.headers == found:
            return release
    closest = min(candidates, key=lambda r: len(r.headers ^ found))
    missing = sorted(closest.headers - found)
    unknown = sorted(found - closest.headers)
    raise IngestError(
        f"{source}: {Path(path).name} does not match any known release of this source. "
        f"Closest is {closest.name!r}: missing column(s) {missing}; unknown column(s) {unknown}. "
        f"Known releases: {[r.name for r in candidates]}. If the publisher has renamed a column, "
        "add the new release's header map to ingest/" + source + ".py."
    )


def apply_release(frame: pd.DataFrame, release: Release) -> pd.DataFrame:
    """Rename publisher headers to canonical names and drop columns mapped to ``None``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Frame as read, with publisher headers.
    release : Release
        Its matched layout.

    Returns
    -------
    pandas.DataFrame
        Only the canonical columns, in the order of ``release.columns``; attrs kept.
    """
    keep = {raw: name for raw, name in release.columns.items() if name is not None}
    out = frame[list(keep)].rename(columns=keep)
    out.attrs = {**frame.attrs, "release": release.name}
    return out


def _parse_numbers(cells: pd.Series) -> np.ndarray:
    """Parse text cells (missing = blank) as floats; a cell that is not a number becomes NaN.

    pyarrow parses a clean column about ten times faster than ``pandas.to_numeric``, straight
    from the text's Arrow buffers; a column with any unparsable cell takes the slower path,
    which marks each such cell NaN.
    """
    try:
        parsed = pc.cast(pa.array(cells, from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return parsed.to_numpy(zero_copy_only=False)


def to_number(
    frame: pd.DataFrame,
    column: str,
    *,
    path: Path,
    source: str,
    kind: Literal["count", "percent", "float"],
    blank: Blank = "error",
    header: str | None = None,
) -> pd.Series:
    """Convert one text column to numbers, strictly.

    Thousands separators inside a value (``"1,296"``) are accepted; anything else that is not a
    number is an error naming the file, the column, the line and the value.

    Parameters
    ----------
    frame : pandas.DataFrame
        Frame of strings from :func:`read_csv_text` (``attrs["first_line"]`` used for lines).
    column : str
        Column to convert.
    path : Path
        File, for messages.
    source : str
        Source module name, for messages.
    kind : {"count", "percent", "float"}
        ``count``: a whole number >= 0 (returned as ``int64`` unless blanks become NaN).
        ``percent``: a number in [0, 100] (a trailing ``%`` is accepted).
        ``float``: any finite number.
    blank : {"error", "zero", "nan"}, default "error"
        What an empty cell means.
    header : str, optional
        The publisher's header, when ``column`` is already a canonical name.

    Returns
    -------
    pandas.Series
        Numeric values with the frame's index.
    """
    shown = header or column
    raw = frame[column].astype(str)
    values = _parse_numbers(raw)  # most columns are plain numbers: no cleaning needed
    is_blank = np.zeros(len(raw), dtype=bool)
    if np.isnan(values).any():  # blanks, spaces, thousands separators, a trailing %
        raw = raw.str.strip()
        cleaned = raw.str.replace(",", "", regex=False)
        if kind == "percent":
            cleaned = cleaned.str.removesuffix("%")
        blank_cells = cleaned == ""
        is_blank = blank_cells.to_numpy(dtype=bool)
        values = _parse_numbers(cleaned.where(~blank_cells, None))
    expected = {
        "count": "a whole number of 0 or more",
        "percent": "a percentage between 0 and 100",
        "float": "a number",
    }[kind]
    with np.errstate(invalid="ignore"):  # NaN cells are blanks or already bad
        bad = ~is_blank & ~np.isfinite(values)
        if kind == "count":
            bad |= ~is_blank & ((values < 0) | (values % 1 != 0))
        elif kind == "percent":
            bad |= ~is_blank & ((values < 0) | (values > 100))
    if blank == "error":
        bad |= is_blank
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        line = frame.attrs.get("first_line", 2) + position
        raise IngestError(
            f"{source}: {Path(path).name}, column {shown!r}, line {line}: found "
            f"{raw.iloc[position]!r}; expected {expected}"
            + ("" if blank != "error" else " (blank cells are not allowed here)")
            + f". {int(bad.sum())} cell(s) in this column are bad."
        )
    if blank == "zero":
        values = np.where(np.isnan(values), 0.0, values)
    numbers = pd.Series(values, index=frame.index)
    if kind == "count" and not np.isnan(values).any():
        return numbers.astype("int64")
    return numbers


def require_unique(frame: pd.DataFrame, column: str, *, path: Path, source: str) -> None:
    """Raise when an area code appears on more than one row (it would be double-counted).

    Parameters
    ----------
    frame : pandas.DataFrame
        Parsed table.
    column : str
        Key column, e.g. ``"oa_code"``.
    path : Path
        File, for messages.
    source : str
        Source module name, for messages.
    """
    if frame[column].is_unique:  # one hash pass; finding the repeats takes two
        return
    dupes = frame[column][frame[column].duplicated()]
    if not dupes.empty:
        raise IngestError(
            f"{source}: {Path(path).name}, column {column!r}: code(s) "
            f"{sorted(set(dupes))[:5]} appear on more than one row; each area must appear once "
            "or its premises and people would be counted twice."
        )


def raise_bad_cells(
    frame: pd.DataFrame,
    bad: pd.Series,
    column: str,
    publisher: dict[str, str],
    path: Path,
    expected: str,
    *,
    source: str,
) -> NoReturn:
    """Raise naming the file, the publisher's column, the first bad line and its value.

    Parameters
    ----------
    frame : pandas.DataFrame
        Parsed table (``attrs["first_line"]``: file line of its first row, default 2).
    bad : pandas.Series of bool
        Cells of ``column`` that are wrong.
    column : str
        Canonical column name in ``frame``.
    publisher : dict of str to str
        Canonical column -> the publisher's header, for the message.
    path : Path
        File, for messages.
    expected : str
        What a good cell holds, in words.
    source : str
        Source module name, for messages.

    Raises
    ------
    IngestError
        Always.
    """
    position = int(np.flatnonzero(bad.to_numpy())[0])
    line = frame.attrs.get("first_line", 2) + position
    value = frame[column].iloc[position]
    found = repr(str(value)) if pd.notna(value) else "nan"  # "'-3'", not "np.int64(-3)"
    raise IngestError(
        f"{source}: {path.name}, column {publisher[column]!r}, line {line}: found {found}; "
        f"expected {expected}. {int(bad.sum())} cell(s) in this column are bad."
    )


def read_release_csv(
    path: Path, releases: Iterable[Release], *, source: str
) -> tuple[pd.DataFrame, Release, dict[str, str]]:
    """Read a one-header CSV of a known source: decode, parse, match its release, rename.

    Parameters
    ----------
    path : Path
        File to read.
    releases : iterable of Release
        Known layouts of the source.
    source : str
        Source module name, for messages.

    Returns
    -------
    (pandas.DataFrame, Release, dict of str to str)
        The table with canonical column names (text cells), its release, and canonical name
        -> publisher header (for messages that name the file's own column).
    """
    raw = read_csv_file(path, source=source)
    release = match_release(raw.columns, releases, path=path, source=source)
    publisher = {name: header for header, name in release.columns.items() if name is not None}
    return apply_release(raw, release), release, publisher


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAME = re.compile(r"(?<![a-z])(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")"
                         r"[\s_\-]*((?:19|20)\d\d)(?!\d)")  # fmt: skip
_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d\d)[\-_]?(0[1-9]|1[0-2])(?!\d)")


def release_month(path: str | Path) -> str | None:
    """Return the month (``"YYYY-MM"``) a file's name, or its folders' names, says it is from.

    Some publishers' CSVs carry no date (BDUK's premises files, Ofcom's not-spot lists), so
    the release is read from the names a download keeps: the file's own name first, then each
    folder above it (a zip unpacked into ``january-2025-omr-and-premises-in-bduk-plans/``).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str or None
        ``"YYYY-MM"``, or None when no name holds a month and year.

    Examples
    --------
    >>> release_month("premises_in_bduk_plans_2025-07/Trafford.csv")
    '2025-07'
    >>> release_month("January 2025 OMR/E08000009.csv")
    '2025-01'
    >>> release_month("E08000009.csv") is None
    True
    """
    path = Path(path)
    for part in (path.stem, *(p.name for p in path.parents)):
        text = part.lower()
        found = _MONTH_NAME.search(text)
        if found:
            return f"{found.group(2)}-{_MONTHS[found.group(1)]:02d}"
        found = _YEAR_MONTH.search(text)
        if found:
            return f"{found.group(1)}-{found.group(2)}"
    return None


def dated_attrs(release: Release, path: Path) -> dict[str, str | None]:
    """Return the ``attrs`` of a table whose date is only in its name.

    Parameters
    ----------
    release : Release
        The file's matched layout.
    path : Path
        The file.

    Returns
    -------
    dict
        ``release`` (layout name), ``release_month`` (:func:`release_month`, or None),
        ``source_file`` (file name) and ``notes`` (the layout's notes).

    Examples
    --------
    >>> attrs = dated_attrs(Release("layout", {"postcode": "postcode"}), Path("x_2025-07.csv"))
    >>> attrs["release_month"], attrs["source_file"]
    ('2025-07', 'x_2025-07.csv')
    """
    return {
        "release": release.name,
        "release_month": release_month(path),
        "source_file": path.name,
        "notes": release.notes,
    }
