"""BDUK "Premises in BDUK plans" for the whole country, counted by area through DuckDB.

Where the data comes from
-------------------------
The national release of :mod:`ingest.sources.bduk`: one CSV per local authority district of England
and Wales (about 330 files, zipped by region, about 30 million premises in all), same
publisher, licence and layout (:data:`RELEASES`, :data:`ingest.sources.bduk.HEADER_2025`). Unzip the
regions' files into one folder, or pass the files.

What it does
------------
:func:`plans_by_area_national` returns what :func:`geo.gigabit.plans_by_area` returns for the
:func:`ingest.sources.bduk.read_bduk_premises` frames of every file put together, to the premises,
without holding them: DuckDB reads the files in parallel, keeps the dozen columns the counts
and the checks need, and sums premises by area, plan status, recognised or not and reason not
placed. The rules are those of :mod:`geo.gigabit`, written in SQL: the plan status order is
:data:`geo.gigabit.PLAN_STATUSES`, the status text is :data:`ingest.sources.bduk.STATUSES`, the
postcode shape is the reader's, and the reasons a premises is not placed are
:data:`geo.gigabit.NOT_PLACED_REASONS`. Cells are tidied as the reader tidies them (stripped of
what Python calls white space; flags in any letter case; postcodes upper-cased, white space
removed, one space before the last three characters).

Every check of the reader is made in the same pass, in SQL: the header must be exactly a known
release (read from each file's first line, before any data), every UPRN a whole number of 1 to
12 digits that is also its ``struprn``, every local authority code an English or Welsh
district's, every status one of :data:`ingest.sources.bduk.STATUSES`, every flag ``true`` or
``false``, and no UPRN may appear twice in all the files together. A file that fails is then
read alone by :func:`ingest.sources.bduk.read_bduk_premises`, so the refusal is the reader's own
message (file, column, line, value, what was expected). A file DuckDB cannot read as UTF-8
(saved by Excel as Windows-1252) is decoded as the reader decodes it
(:func:`ingest._tables.read_text`) into a temporary UTF-8 copy, at the cost of one more pass.

Where the two may differ: DuckDB skips a wholly blank line, which the reader refuses as a
premises without a UPRN (no premises is lost or added either way); and a letter that
upper-cases to two (``ß`` to ``SS``) upper-cases to one in DuckDB, so a postcode holding one
could be found not of UK shape here and absent from the directory there (not placed both ways).

Why DuckDB
----------
Measured on a generated national set (``bench/bduk_national.py``: 30,000,000 rows in 318
files, 5.1 GB) on 2 vCPUs, see BENCHMARKS.md: DuckDB reads, checks and counts it in about 1.5
times what pyarrow takes only to parse it, with a peak under 1.7 GB. The other engine asked
for, dask, runs pandas on each file: the reader's own checks and tidying cost about 1.1 s per
186,000 rows in pandas, so about 90 s for the country on two worker processes, and even a
pared-down version without them (pyarrow's parser, numpy counts) about 0.34 s per 186,000
rows. DuckDB is an optional dependency (the ``scale`` and ``test`` extras), imported only when
:func:`plans_by_area_national` runs.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from geo.gigabit import NOT_PLACED_REASONS, PLAN_STATUSES, STATUS_COUNTS, PlacedPlans
from ingest._errors import IngestError
from ingest._tables import Release, match_release, read_text
from ingest.sources import bduk

if TYPE_CHECKING:
    import duckdb

SOURCE = bduk.SOURCE
#: The layouts read: those of the one-authority reader.
RELEASES: tuple[Release, ...] = bduk.RELEASES

#: Characters Python's ``str.strip()`` and ``\s`` remove (``str.isspace()``), as an RE2 class.
_SPACE = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}]"
)
#: The reader's postcode shape in RE2: Python's ``\d`` is any Unicode decimal digit.
_POSTCODE_RE2 = bduk._POSTCODE.pattern.replace(r"\d", r"\p{Nd}")
#: The reader's local authority code shape in RE2.
_LA_CODE_RE2 = bduk._LA_CODE.replace(r"\d", r"\p{Nd}")
#: The subsidy status that makes a premises "under review" (:mod:`geo.gigabit`, step 5).
_UNDER_REVIEW = next(text for text, name in bduk.STATUSES.items() if name == "under_review")
#: The flag (our name) that puts a premises in each of the first plan statuses, in the order
#: tested (:mod:`geo.gigabit`); then "under_review" (its subsidy status), then none of these.
_STATUS_FLAG = {
    "gigabit_now": "current_gigabit",
    "project_gigabit": "in_gis_contract",
    "voucher_project": "in_voucher_project",
    "commercial_plan": "future_gigabit",
}
if [*_STATUS_FLAG, "under_review", "no_gigabit_no_plan"] != list(PLAN_STATUSES):
    raise ImportError(
        "ingest.sources.bduk_national: geo.gigabit.PLAN_STATUSES changed; update it here"
    )
#: Each subsidy status as written -> its code in SQL (its position in ingest.sources.bduk.STATUSES).
_STATUS_CODE = {text: str(code) for code, text in enumerate(bduk.STATUSES)}
#: Columns (our names) read from each file.
_READ = ("uprn", "struprn", "postcode", "la_code", "subsidy_status", *bduk.FLAGS)
#: Bytes read from the start of each file to find its header and whether rows follow.
_HEAD_BYTES = 1 << 16


def _literal(text: str) -> str:
    """Return ``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _stripped(cell: str) -> str:
    """Return SQL for ``cell`` stripped as Python strips it (NULL, an empty cell, gives '')."""
    return f"regexp_replace(coalesce({cell}, ''), '^{_SPACE}+|{_SPACE}+$', '', 'g')"


def _lookup(cell: str, values: dict[str, str], *, any_case: bool = False) -> str:
    """Return SQL for the value of ``cell`` in ``values`` (text -> SQL); NULL when none.

    A cell as written in ``values`` takes the fast path (string equality); any other is
    stripped (and lower-cased if ``any_case``) as the reader does, then looked up again.
    """
    whens = " ".join(f"WHEN {_literal(text)} THEN {value}" for text, value in values.items())
    tidy = f"lower({_stripped(cell)})" if any_case else _stripped(cell)
    return f"CASE {cell} {whens} ELSE CASE {tidy} {whens} END END"


def _flag(cell: str) -> str:
    """Return SQL for a flag cell as a boolean: NULL unless true/false, in any case."""
    return _lookup(cell, {"true": "true", "false": "false"}, any_case=True)


def _uprn(cell: str, number: str) -> str:
    """Return SQL for a UPRN cell as BIGINT: NULL unless 1 to 12 digits, not all 0.

    ``number`` is ``TRY_CAST(cell AS BIGINT)``. The fast path: the cell is the number's own
    decimal form (no sign, point, exponent or leading zero, which DuckDB's cast accepts).
    """
    text = _stripped(cell)
    slow = (
        f"CASE WHEN regexp_full_match({text}, '[0-9]{{1,12}}') AND NOT "
        f"regexp_full_match({text}, '0+') THEN CAST({text} AS BIGINT) END"
    )
    return (
        f"CASE WHEN {number} BETWEEN 1 AND 999999999999 AND CAST({number} AS VARCHAR) = {cell} "
        f"THEN {number} ELSE {slow} END"
    )


def _struprn_bad(cell: str, uprn_cell: str, uprn: str) -> str:
    """Return SQL true when ``struprn`` is not the UPRN: 1 to 12 digits (spaces allowed)."""
    text = _stripped(cell)
    slow = f"regexp_full_match({text}, '[0-9]{{1,12}}') AND CAST({text} AS BIGINT) = {uprn}"
    return f"CASE WHEN {cell} = {uprn_cell} THEN false ELSE NOT coalesce({slow}, false) END"


def _la_code_bad(cell: str) -> str:
    """Return SQL true when a local authority code is not an English or Welsh district's."""
    shape = _literal(_LA_CODE_RE2)
    return (
        f"CASE WHEN regexp_full_match({cell}, {shape}) THEN false "
        f"ELSE NOT regexp_full_match({_stripped(cell)}, {shape}) END"
    )


def _compact(cell: str) -> str:
    """Return SQL for a postcode upper-cased, white space removed (the reader's first step)."""
    return f"regexp_replace(upper(coalesce({cell}, '')), '{_SPACE}+', '', 'g')"


def _tidy(compact: str) -> str:
    """Return SQL for the directory form of a compact postcode; NULL when not of UK shape."""
    return (
        f"CASE WHEN regexp_full_match({compact}, {_literal(_POSTCODE_RE2)}) "
        f"THEN {compact}[:-4] || ' ' || {compact}[-3:] END"
    )


def _plan_status(status: str) -> str:
    """Return SQL for the plan status code (position in geo.gigabit.PLAN_STATUSES)."""
    tests = [*_STATUS_FLAG.values(), f"{status} = {_STATUS_CODE[_UNDER_REVIEW]}"]
    whens = " ".join(f"WHEN {test} THEN {code}" for code, test in enumerate(tests))
    return f"CASE {whens} ELSE {len(tests)} END"


def _csv_files(files: str | Path | Iterable[str | Path]) -> list[Path]:
    """Return the files to read: those given, or every ``.csv`` under a folder, by name."""
    if isinstance(files, str | Path):
        folder = Path(files)
        paths = sorted(folder.rglob("*.csv")) if folder.is_dir() else [folder]
    else:
        paths = [Path(f) for f in files]
    if not paths:
        raise IngestError(
            f"{SOURCE}: no CSV files given (or none under {files}); expected BDUK's 'Premises "
            "in BDUK plans' files, one per local authority district."
        )
    return paths


def _refuse(path: Path, why: str) -> None:
    """Raise the one-authority reader's error for ``path``, or ``why`` if the reader accepts it."""
    bduk.read_bduk_premises(path)  # raises the reader's own message (file, column, line, value)
    raise IngestError(f"{SOURCE}: {path.name}: {why}.")


def _header(path: Path) -> tuple[str, ...]:
    """Return the header of ``path`` (names stripped): a known release, with rows after it."""
    if not path.is_file() or path.stat().st_size == 0:
        _refuse(path, "the file is missing or empty")
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    first, *rest = re.split(r"\r\n|\r|\n", text, maxsplit=1)
    header = tuple(name.strip() for name in next(csv.reader([first])))
    match_release(header, RELEASES, path=path, source=SOURCE)
    if len(head) < _HEAD_BYTES and not "".join(rest).strip():
        _refuse(path, "the file has a header but no premises rows")
    return header


def _directory(postcode_area: pd.Series, areas: pd.Index) -> tuple[pa.Table, pa.Table]:
    """Return the directory (postcode, area code) and the areas (code, position) as tables.

    Both go to DuckDB as Arrow, so the directory's text is not copied into Python strings.
    """
    if postcode_area.index.has_duplicates:
        repeated = postcode_area.index[postcode_area.index.duplicated()].unique().tolist()
        raise ValueError(
            f"postcode_area: postcode(s) {repeated[:3]} appear more than once; expected one "
            "area per postcode."
        )
    frame = pd.DataFrame({"postcode": postcode_area.index.array, "code": postcode_area.array})
    positions = pd.DataFrame({"code": areas.array, "position": np.arange(len(areas))})
    return (
        pa.Table.from_pandas(frame, preserve_index=False),
        pa.Table.from_pandas(positions, preserve_index=False),
    )


@dataclass(frozen=True)
class _Source:
    """How DuckDB reads one file: its header, the bytes read and whether in parallel."""

    header: tuple[str, ...]
    #: The file itself, or its UTF-8 copy when it is not UTF-8.
    read: Path
    #: DuckDB reads a file in parallel unless a short row and a line break in a cell meet.
    parallel: bool = True


def _scan(sources: list[_Source]) -> str:
    """Return SQL for every file's rows: ``file`` (its index) and :data:`_READ` (our names)."""
    listed = "[" + ", ".join(_literal(str(s.read)) for s in sources) + "]"
    groups: dict[tuple[tuple[str, ...], bool], list[Path]] = {}
    for source in sources:
        groups.setdefault((source.header, source.parallel), []).append(source.read)
    parts = []
    for (header, parallel), paths in groups.items():
        release = match_release(header, RELEASES, path=paths[0], source=SOURCE)
        publisher = {name: raw for raw, name in release.columns.items() if name is not None}
        columns = "{" + ", ".join(f"{_literal(raw)}: 'VARCHAR'" for raw in header) + "}"
        files = "[" + ", ".join(_literal(str(p)) for p in paths) + "]"
        cells = ", ".join(f'"{publisher[name]}" AS {name}' for name in _READ)
        parts.append(
            f"SELECT CAST(list_position({listed}, filename) - 1 AS INTEGER) AS file, {cells} "
            f"FROM read_csv({files}, columns = {columns}, header = true, auto_detect = false, "
            """delim = ',', quote = '"', escape = '"', null_padding = true, filename = true, """
            f"parallel = {str(parallel).lower()})"
        )
    return " UNION ALL ".join(parts)


def _checks() -> dict[str, str]:
    """Return each check of the reader, in its order: column (our name) -> SQL true if bad."""
    checks = {
        "uprn": "uprn IS NULL",
        "struprn": _struprn_bad("struprn", "uprn_text", "uprn"),
        "la_code": _la_code_bad("la_code"),
        "subsidy_status": "status IS NULL",
    }
    return checks | {flag: f"{flag} IS NULL" for flag in bduk.FLAGS}


def _premises_sql(scan: str) -> str:
    """Return SQL for one row per premises: uprn, file, first failed check, plan, area, reason.

    Reasons index :data:`geo.gigabit.NOT_PLACED_REASONS` (NULL: placed). A postcode written
    as a directory postcode in its tidy form is placed by one join; only the others (a few
    in a hundred) are tidied by regular expressions and looked up again.
    """
    flags = ", ".join(f"{_flag(flag)} AS {flag}" for flag in bduk.FLAGS)
    failed = " ".join(f"WHEN {test} THEN {i}" for i, test in enumerate(_checks().values()))
    return f"""
        WITH raw AS ({scan}),
        cells AS (
            SELECT file, uprn AS uprn_text, TRY_CAST(uprn AS BIGINT) AS number, struprn,
                la_code, postcode, {_lookup("subsidy_status", _STATUS_CODE)} AS status, {flags}
            FROM raw
        ),
        checked AS (
            SELECT *, {_uprn("uprn_text", "number")} AS uprn FROM cells
        ),
        looked_up AS (
            SELECT checked.*, directory.area AS listed_area,
                coalesce(directory.tidy, false) AS listed
            FROM checked LEFT JOIN directory ON directory.postcode = checked.postcode
        ),
        compacted AS (
            SELECT *, CASE WHEN NOT listed THEN {_compact("postcode")} END AS compact
            FROM looked_up
        ),
        tidied AS (
            SELECT *, {_tidy("compact")} AS tidied FROM compacted
        )
        SELECT uprn, file, CAST(CASE {failed} END AS UTINYINT) AS failed,
            CAST({_plan_status("status")} AS UTINYINT) AS plan,
            recognised, CASE WHEN listed THEN listed_area ELSE directory.area END AS area,
            CASE WHEN listed THEN CASE WHEN listed_area IS NULL THEN 3 END
                WHEN compact = '' THEN 0 WHEN tidied IS NULL THEN 1
                WHEN directory.postcode IS NULL THEN 2 WHEN directory.area IS NULL THEN 3
            END::UTINYINT AS reason
        FROM tidied LEFT JOIN directory ON directory.postcode = tidied.tidied
    """


def plans_by_area_national(
    files: str | Path | Iterable[str | Path],
    postcode_area: pd.Series,
    *,
    areas: pd.Index | None = None,
    threads: int | None = None,
) -> PlacedPlans:
    """Count every area's premises by plan status from many BDUK files at once. Conserves rows.

    The result is :func:`geo.gigabit.plans_by_area` of all the files' premises together
    (:func:`ingest.sources.bduk.read_bduk_premises` of each, concatenated), computed by DuckDB
    without holding the files' rows in memory.

    Parameters
    ----------
    files : str, Path or iterable of them
        BDUK "Premises in BDUK plans" CSVs (one per local authority district), or a folder:
        every ``.csv`` under it, in name order.
    postcode_area : pandas.Series
        Area code (ward or constituency) indexed by postcode in the one-space form
        (``"M15 4AB"``), one entry per directory postcode; NA for a postcode in no area.
    areas : pandas.Index, optional
        Every area to report, so an area with no premises shows 0; default the areas named
        in ``postcode_area``.
    threads : int, optional
        Threads DuckDB may use; default one per core.

    Returns
    -------
    geo.gigabit.PlacedPlans
        Counts are numbers of premises by area; ``not_placed`` by reason; ``rows`` = all the
        files' premises rows.

    Raises
    ------
    IngestError
        A file that is missing, empty, not a known release or not a well-formed CSV; a bad
        cell (UPRN, ``struprn``, local authority code, subsidy status, flag): the reader's
        message for that file; a UPRN on two rows, of one file or of two.
    ValueError
        A postcode twice in ``postcode_area``, or an area of it missing from ``areas``.

    Examples
    --------
    >>> placed = plans_by_area_national("bduk_2025-07/", directory)  # doctest: +SKIP
    >>> int(placed.counts["premises_no_gigabit_no_plan"].sum())  # doctest: +SKIP
    1040211
    """
    import duckdb  # the scale extra; imported here so the rest of the project does not need it

    paths = _csv_files(files)
    sources = [_Source(_header(path), path) for path in paths]
    named = pd.Index(postcode_area.dropna().unique())
    areas = named if areas is None else areas
    given, positions = _directory(postcode_area, named)
    with (
        tempfile.TemporaryDirectory(prefix="bduk_national_") as scratch,
        duckdb.connect(config={"threads": threads} if threads else {}) as con,
    ):
        con.execute(f"SET temp_directory = {_literal(scratch)}")
        # The order of rows does not matter to the counts; and DuckDB cannot know how many
        # rows the files hold, so it would build its hash tables on them, not the directory.
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET disabled_optimizers = 'build_side_probe_side'")
        con.register("given", given)
        con.register("positions", positions)
        listed = f"coalesce({_tidy(_compact('postcode'))} = postcode, false)"
        con.execute(
            "CREATE TEMP TABLE directory AS SELECT CAST(postcode AS VARCHAR) AS postcode, "
            f"CAST(position AS INTEGER) AS area, {listed} AS tidy "
            "FROM given LEFT JOIN positions USING (code)"
        )
        while True:
            try:
                con.execute(f"CREATE TEMP TABLE premises AS {_premises_sql(_scan(sources))}")
                break
            except duckdb.Error as error:
                sources = _after_error(error, paths, sources, Path(scratch))
        _refuse_failed(con, paths)
        _refuse_repeats(con, paths)
        groups = con.execute(
            "SELECT area, plan, recognised, reason, count(*) AS premises FROM premises GROUP BY ALL"
        ).df()
    return _placed(groups, named, areas, postcode_area.name)


def _after_error(
    error: Exception, paths: list[Path], sources: list[_Source], scratch: Path
) -> list[_Source]:
    """Return how to read the files again after DuckDB's ``error``, or refuse the file at fault.

    A file that is not UTF-8 is decoded as the reader decodes it, into a UTF-8 copy in
    ``scratch``; one whose short rows (trailing cells left out, which the reader reads as
    blank) meet a line break inside a quoted cell is read without DuckDB's parallel scan; any
    other error in a file is refused with the reader's message for it. An error of no file
    is raised as it is.
    """
    message = str(error)
    found = re.search(r"^\s*file = (.+?)\s*$", message, flags=re.MULTILINE)
    where = {str(source.read): i for i, source in enumerate(sources)}
    if found is None or found.group(1) not in where:
        raise error
    index = where[found.group(1)]
    source, path = sources[index], paths[index]
    if "Invalid unicode" in message and source.read == path:
        copy = scratch / f"{index}.csv"
        copy.write_text(read_text(path, source=SOURCE), encoding="utf-8")
        source = replace(source, read=copy)
    elif "null_padding" in message and source.parallel:
        source = replace(source, parallel=False)
    else:
        _refuse(path, f"not a well-formed CSV ({message.splitlines()[0]})")
    return [*sources[:index], source, *sources[index + 1 :]]


def _refuse_failed(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> None:
    """Refuse the first file with a row that fails a check, with the reader's message."""
    row = con.execute(
        "SELECT file, min(failed) FROM premises WHERE failed IS NOT NULL GROUP BY file "
        "ORDER BY file LIMIT 1"
    ).fetchone()
    if row is not None:
        file, check = row
        _refuse(paths[file], f"a cell of column {list(_checks())[check]!r} is bad")


def _refuse_repeats(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> None:
    """Refuse a UPRN on two rows of all the files together: it would be counted twice.

    The UPRNs are sorted in numpy (8 bytes each, in place), much faster and smaller than
    DuckDB's hash aggregate over 30 million distinct keys; the files are looked up only for a
    repeat.
    """
    uprn = np.asarray(con.execute("SELECT uprn FROM premises").fetchnumpy()["uprn"])
    uprn.sort()
    repeated = np.unique(uprn[1:][uprn[1:] == uprn[:-1]])
    del uprn
    if not repeated.size:
        return
    first = int(repeated[0])
    files = [f for (f,) in con.execute(
        "SELECT DISTINCT file FROM premises WHERE uprn = ? ORDER BY file", [first]
    ).fetchall()]  # fmt: skip
    if len(files) == 1:
        _refuse(paths[files[0]], f"UPRN {first} appears on more than one row")
    shown = ", ".join(map(str, repeated[:3])) + (" ..." if repeated.size > 3 else "")
    raise IngestError(
        f"{SOURCE}: UPRN {first} appears in both {paths[files[0]].name} and "
        f"{paths[files[1]].name} ({repeated.size} UPRN(s) repeated across the files: {shown}); "
        "each premises must appear once or it would be counted twice. Are files of two "
        "releases, or a file and its copy, among those read?"
    )


def _placed(
    groups: pd.DataFrame, named: pd.Index, areas: pd.Index, name: str | None
) -> PlacedPlans:
    """:class:`geo.gigabit.PlacedPlans` from premises counted by area, plan, recognised, reason."""
    reasons = groups.loc[groups["reason"].notna()].groupby("reason")["premises"].sum()
    not_placed = pd.Series(
        reasons.reindex(range(len(NOT_PLACED_REASONS)), fill_value=0).to_numpy(np.int64),
        index=pd.Index(list(NOT_PLACED_REASONS), name="postcode_problem"),
        name="count",
    )
    placed = groups.loc[groups["reason"].isna()]
    code = named[placed["area"].to_numpy(np.int64)]
    recognised = placed["recognised"].to_numpy(bool)
    counts = (
        placed.loc[recognised]
        .groupby([code[recognised], placed.loc[recognised, "plan"]])["premises"]
        .sum()
        .unstack(fill_value=0)
        .reindex(index=areas, columns=range(len(PLAN_STATUSES)), fill_value=0)
        .astype("int64")
    )
    counts.columns = pd.Index(list(STATUS_COUNTS.values()), name="status")
    counts.insert(0, "bduk_premises", counts.sum(axis=1).astype("int64"))
    others = placed.loc[~recognised].groupby(code[~recognised])["premises"].sum()
    counts["bduk_premises_not_recognised"] = others.reindex(areas, fill_value=0).astype("int64")
    counts.index.name = name or "area_code"
    rows = int(groups["premises"].sum())
    counted = int(counts[["bduk_premises", "bduk_premises_not_recognised"]].to_numpy().sum())
    if counted + int(not_placed.sum()) != rows:
        missing = set(code) - set(areas)
        raise ValueError(
            f"{len(missing)} area(s) of postcode_area are not in areas ({sorted(missing)[:3]}); "
            "their premises would be lost. Pass every area."
        )
    return PlacedPlans(counts=counts, not_placed=not_placed, rows=rows)
