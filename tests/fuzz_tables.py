"""Faults a council's copy of a publisher's CSV might have, for hypothesis fuzz tests.

A source file is a :class:`Table`: rows before the header (a Nomis preamble), the header, rows
between it and the data (a blank line), the data rows and rows after them (a footer).
:func:`mutate` applies one fault and returns the file's bytes and the words a good error
message must contain (the column and line of the fault, or the repeated code). Faults are
either harmless (the reader must give the same figures as for the untouched file) or harmful
(the reader must raise ``IngestError`` naming the file and those words).
"""

from __future__ import annotations

import csv
import io
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

from ingest._tables import Release

#: Faults that leave the figures as they were: the reader must give the same frame.
HARMLESS = (
    "shuffle_columns",
    "shuffle_rows",
    "bom",
    "crlf",
    "cp1252",
    "padded_cell",
    "thousands_separator",
)
#: Faults that make the file wrong: the reader must refuse it, naming the file.
HARMFUL = (
    "drop_column",
    "repeat_header",
    "rename_header",
    "empty",
    "header_only",
    "not_a_number",
    "negative_value",
    "percent_over_100",
    "repeat_area",
    "malformed_code",
    "wrong_kind_code",
)

#: Faults of one numeric cell.
CELL_FAULTS = ("not_a_number", "negative_value", "percent_over_100")
#: Faults that draw nothing (the same bytes every time): one case of each tests it.
FIXED = ("bom", "crlf", "cp1252", "empty", "header_only")

#: A non-ASCII name with a character Windows-1252 and UTF-8 encode differently (the en dash is
#: byte 0x96 in Windows-1252, a control character in Latin-1).
ACCENTED = " \u2013 Café Môn"


@dataclass(frozen=True)
class Table:
    """A CSV source file as rows of text, with what each column holds.

    Attributes
    ----------
    header, body : list
        Header and data rows (cells as text, exactly as the publisher wrote them).
    numbers : frozenset of str
        Headers of numeric columns (``not_a_number`` targets them).
    nonnegative : frozenset of str
        Numeric headers that can never be negative.
    percents : frozenset of str
        Headers of percentages (0-100).
    counts : frozenset of str
        Headers of whole-number counts (``thousands_separator`` targets them).
    key : int
        Column of the area code.
    fixed : int
        Leading columns a shuffle leaves in place (Nomis: the geography and "Total").
    wrong_code : str
        A code of another kind of area (e.g. a ward's in an LSOA column), which the key column
        must refuse.
    before, between, after : tuple of rows
        Preamble, rows between header and data, footer.
    """

    header: list[str]
    body: list[list[str]]
    numbers: frozenset[str] = frozenset()
    nonnegative: frozenset[str] = frozenset()
    percents: frozenset[str] = frozenset()
    counts: frozenset[str] = frozenset()
    key: int = 0
    fixed: int = 0
    wrong_code: str = "E05000819"
    before: tuple[tuple[str, ...], ...] = ()
    between: tuple[tuple[str, ...], ...] = ()
    after: tuple[tuple[str, ...], ...] = ()

    def line_of(self, row: int) -> int:
        """1-based file line of data row ``row``."""
        return len(self.before) + 1 + len(self.between) + row + 1

    def to_bytes(
        self,
        header: list[str] | None = None,
        body: list[list[str]] | None = None,
        *,
        newline: str = "\n",
        encoding: str = "utf-8",
        bom: bool = False,
    ) -> bytes:
        """The file as a CSV writer would save it (``header``/``body`` replace the table's)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=newline)
        writer.writerows(
            [
                *self.before,
                self.header if header is None else header,
                *self.between,
                *(self.body if body is None else body),
                *self.after,
            ]
        )
        return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)

    def columns(self, headers: Iterable[str]) -> list[int]:
        """Column positions of ``headers`` (those present)."""
        wanted = set(headers)
        return [i for i, h in enumerate(self.header) if h in wanted]

    def accented(self, column: str) -> Table:
        """The table with :data:`ACCENTED` added to the first row's ``column`` (a name).

        Real files are mostly ASCII, so without this a Windows-1252 copy would be the same
        bytes as the UTF-8 one and would test nothing.
        """
        body = [list(r) for r in self.body]
        body[0][self.header.index(column)] += ACCENTED
        return replace(self, body=body)


#: What a numeric column holds: a whole number >= 0, a percentage, a number >= 0, any number.
KINDS = ("count", "percent", "positive", "number")


def with_kinds(table: Table, kinds: dict[str, str]) -> Table:
    """``table`` with its numeric columns described by ``kinds`` (header -> one of KINDS)."""
    of = {kind: frozenset(h for h, k in kinds.items() if k == kind) for kind in KINDS}
    return replace(
        table,
        numbers=frozenset(kinds),
        nonnegative=of["count"] | of["percent"] | of["positive"],
        percents=of["percent"],
        counts=of["count"],
    )


def release_kinds(release: Release, kind: Callable[[str], str | None]) -> dict[str, str]:
    """Header -> kind of the columns of ``release`` the reader uses (``kind`` of canonical)."""
    kinds = {h: kind(c) for h, c in release.columns.items() if c is not None}
    return {h: k for h, k in kinds.items() if k is not None}


def read_table(
    path: Path, *, rows: int | None = None, encoding: str = "utf-8-sig", **layout
) -> Table:
    """Read a one-header CSV (its first ``rows`` data rows) as a :class:`Table`."""
    with path.open(encoding=encoding, newline="") as handle:
        table = list(itertools.islice(csv.reader(handle), None if rows is None else rows + 1))
    return Table(header=table[0], body=table[1:], **layout)


@dataclass(frozen=True)
class Fault:
    """A mutated file: its bytes and the words its error message must contain."""

    data: bytes
    names: tuple[str, ...] = ()


def _code(cell: str) -> str:
    """Area code of a key cell (Nomis writes ``"E01006112 : Trafford 001D"``)."""
    return cell.split(" : ", 1)[0]


def malformed_codes(code: str) -> st.SearchStrategy[str]:
    """Codes of no area at all, made from a good ``code``."""
    return st.sampled_from(["X" + code[1:], code[:-1], code + "7", code[:-1] + "?", ""])


def _header_fault(table: Table, how: str, draw) -> Fault:
    """A dropped, repeated or renamed header.

    The message must name the header at fault, except in the leading columns a reader finds by
    position (``fixed``): there it can only say that the header row was not found.
    """
    header, body = list(table.header), [list(r) for r in table.body]
    column = draw(st.integers(1 if how == "repeat_header" else 0, len(header) - 1))
    if how == "drop_column":
        name = header.pop(column)
        body = [r[:column] + r[column + 1 :] for r in body]
    elif how == "repeat_header":
        name = header[column] = header[column - 1]
    else:
        name = header[column] = header[column] + " (new)"
    return Fault(table.to_bytes(header, body), () if column < table.fixed else (name.strip(),))


def _cell_fault(table: Table, how: str, draw) -> Fault:
    """A bad value in one numeric cell: the message must name its column and line."""
    body = [list(r) for r in table.body]
    row = draw(st.integers(0, len(body) - 1))
    targets = {
        "not_a_number": table.numbers,
        "negative_value": table.nonnegative,
        "percent_over_100": table.percents,
    }[how]
    column = draw(st.sampled_from(table.columns(targets)))
    body[row][column] = {
        "not_a_number": lambda: draw(st.sampled_from(["n/a", "x", "1..2", "--", "1e", "#REF!"])),
        "negative_value": lambda: "-3",
        "percent_over_100": lambda: draw(st.sampled_from(["100.5", "101", "250%"])),
    }[how]()
    return Fault(table.to_bytes(body=body), (table.header[column], f"line {table.line_of(row)}"))


def _area_fault(table: Table, how: str, draw) -> Fault:
    """An area repeated, or given a code of no area of its kind: the message must name it."""
    body = [list(r) for r in table.body]
    row = draw(st.integers(0, len(body) - 1))
    cell = body[row][table.key]
    code = _code(cell)
    if how == "repeat_area":
        body.insert(draw(st.integers(0, len(body))), list(body[row]))
        return Fault(table.to_bytes(body=body), (code,))
    bad = table.wrong_code if how == "wrong_kind_code" else draw(malformed_codes(code))
    body[row][table.key] = bad + cell[len(code) :]
    return Fault(table.to_bytes(body=body), (table.header[table.key], bad))


def shuffler(draw) -> random.Random:
    """A seeded shuffler: one draw however long the list (a permutation draws per item)."""
    return random.Random(draw(st.integers(0, 2**32)))


def _harmless(table: Table, how: str, draw) -> Fault:
    """A change that leaves every figure as it was."""
    header, body = list(table.header), [list(r) for r in table.body]
    if how == "shuffle_columns":
        order = list(range(table.fixed, len(header)))
        shuffler(draw).shuffle(order)
        order = [*range(table.fixed), *order]
        header, body = [header[i] for i in order], [[r[i] for i in order] for r in body]
    elif how == "shuffle_rows":
        shuffler(draw).shuffle(body)
    elif how == "padded_cell":
        row, column = draw(st.integers(0, len(body) - 1)), draw(st.integers(0, len(header) - 1))
        body[row][column] = f" {body[row][column]} "
    elif how == "thousands_separator":
        row = draw(st.integers(0, len(body) - 1))
        big = [i for i in table.columns(table.counts) if body[row][i].strip().isdigit()]
        if big:
            column = draw(st.sampled_from(big))
            body[row][column] = f"{int(body[row][column]):,}"
    return Fault(
        table.to_bytes(
            header,
            body,
            newline="\r\n" if how == "crlf" else "\n",
            encoding="cp1252" if how == "cp1252" else "utf-8",
            bom=how == "bom",
        )
    )


def mutate(table: Table, how: str, draw: Callable) -> Fault:
    """Apply one fault of :data:`HARMLESS` or :data:`HARMFUL` to ``table``."""
    if how == "empty":
        return Fault(b"")
    if how == "header_only":
        return Fault(table.to_bytes(body=[]))
    if how in ("drop_column", "repeat_header", "rename_header"):
        return _header_fault(table, how, draw)
    if how in CELL_FAULTS:
        return _cell_fault(table, how, draw)
    if how in ("repeat_area", "malformed_code", "wrong_kind_code"):
        return _area_fault(table, how, draw)
    if how in HARMLESS:
        return _harmless(table, how, draw)
    raise ValueError(f"unknown fault {how!r}")


def same_rows(frame: pd.DataFrame, key: str | list[str]) -> pd.DataFrame:
    """``frame`` sorted by ``key`` with a fresh index, to compare files whose rows were shuffled."""
    return frame.sort_values(key, kind="stable").reset_index(drop=True)
