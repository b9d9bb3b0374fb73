"""English Indices of Deprivation (IoD2019 on LSOA 2011; IoD2025 on LSOA 2021).

Where the data comes from
-------------------------
- Publisher: Ministry of Housing, Communities and Local Government (MHCLG).
- IoD2019: gov.uk statistics page "English indices of deprivation 2019", published
  26 September 2019. 32,844 Lower-layer Super Output Areas of **2011**, Local Authority
  District codes of **2019**; population denominators are mid-2015 estimates excluding
  prisoners.
- IoD2025: gov.uk statistics page "English indices of deprivation 2025", published
  30 October 2025. 33,755 LSOAs of **2021**, Local Authority District codes of **2024**;
  denominators are mid-2022 estimates.
- Licence: Open Government Licence v3.0.

Files read (CSV, or the publisher's ``.xlsx`` workbook; the layout is recognised by its header
set, never by the file name):

- File 1 "Index of Multiple Deprivation": IMD rank and decile.
- File 2 "Domains of deprivation": ranks and deciles of the IMD and its seven domains.
- File 6 "Population denominators".
- File 7 "All ranks, scores, deciles and population denominators".

Ranks are 1 = most deprived; deciles are 1 = most deprived 10% of LSOAs in England. MHCLG's
ranks contain a few ties (two LSOAs given the same rank), so ranks are validated as whole
numbers in 1..N, not as a permutation. In IoD2019 every decile equals ``ceil(10 * rank / N)``.

IoD2025 headers were confirmed from public code that reads the published files, not from the
files themselves (none was available offline): File 7 (all 55 headers, two independent
sources, including the publisher's truncated header "Children and Young People Sub-domain
Decile (where 1 is most deprived 10% of LSO"), File 1 (sheet ``IMD25``), File 2 (sheet
``IoD2025 Domains``; its domain headers are assumed to read as in File 7, as they did in 2019)
and File 6 (sheet ``ID 2025 Population Denominators``; the 16-59 column is known from one
source only). An unconfirmed header fails loudly, naming the column to add.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import openpyxl
import pandas as pd

from ingest._errors import IngestError
from ingest._tables import (
    Release,
    apply_release,
    match_release,
    read_csv_text,
    read_text,
    require_unique,
    to_number,
)

SOURCE = "iod"

# --- header blocks, verbatim as published ----------------------------------------------------

_AREAS_2019 = {
    "LSOA code (2011)": "lsoa_code",
    "LSOA name (2011)": "lsoa_name",
    "Local Authority District code (2019)": "la_code",
    "Local Authority District name (2019)": "la_name",
}
_AREAS_2025 = {
    "LSOA code (2021)": "lsoa_code",
    "LSOA name (2021)": "lsoa_name",
    "Local Authority District code (2024)": "la_code",
    "Local Authority District name (2024)": "la_name",
}
# File 1 of 2019 drops the "(where 1 is most deprived ...)" from its two headers.
_IMD_FILE1_2019 = {
    "Index of Multiple Deprivation (IMD) Rank": "imd_rank",
    "Index of Multiple Deprivation (IMD) Decile": "imd_decile",
}
_IMD = {
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": "imd_rank",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": (
        "imd_decile"
    ),
}
_DOMAIN_RANKS_DECILES = {
    "Income Rank (where 1 is most deprived)": "income_rank",
    "Income Decile (where 1 is most deprived 10% of LSOAs)": "income_decile",
    "Employment Rank (where 1 is most deprived)": "employment_rank",
    "Employment Decile (where 1 is most deprived 10% of LSOAs)": "employment_decile",
    "Education, Skills and Training Rank (where 1 is most deprived)": "education_rank",
    "Education, Skills and Training Decile (where 1 is most deprived 10% of LSOAs)": (
        "education_decile"
    ),
    "Health Deprivation and Disability Rank (where 1 is most deprived)": "health_rank",
    "Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs)": (
        "health_decile"
    ),
    "Crime Rank (where 1 is most deprived)": "crime_rank",
    "Crime Decile (where 1 is most deprived 10% of LSOAs)": "crime_decile",
    "Barriers to Housing and Services Rank (where 1 is most deprived)": "barriers_rank",
    "Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs)": (
        "barriers_decile"
    ),
    "Living Environment Rank (where 1 is most deprived)": "living_environment_rank",
    "Living Environment Decile (where 1 is most deprived 10% of LSOAs)": (
        "living_environment_decile"
    ),
}
_SCORES = {
    "Index of Multiple Deprivation (IMD) Score": "imd_score",
    "Income Score (rate)": "income_score",
    "Employment Score (rate)": "employment_score",
    "Education, Skills and Training Score": "education_score",
    "Health Deprivation and Disability Score": "health_score",
    "Crime Score": "crime_score",
    "Barriers to Housing and Services Score": "barriers_score",
    "Living Environment Score": "living_environment_score",
}
_SUPPLEMENTARY = {
    "Income Deprivation Affecting Children Index (IDACI) Score (rate)": "idaci_score",
    "Income Deprivation Affecting Children Index (IDACI) Rank (where 1 is most deprived)": (
        "idaci_rank"
    ),
    "Income Deprivation Affecting Children Index (IDACI) Decile "
    "(where 1 is most deprived 10% of LSOAs)": "idaci_decile",
    "Income Deprivation Affecting Older People (IDAOPI) Score (rate)": "idaopi_score",
    "Income Deprivation Affecting Older People (IDAOPI) Rank (where 1 is most deprived)": (
        "idaopi_rank"
    ),
    "Income Deprivation Affecting Older People (IDAOPI) Decile "
    "(where 1 is most deprived 10% of LSOAs)": "idaopi_decile",
}


def _unused_subdomains(children_decile_header: str) -> dict[str, None]:
    """Return the 18 sub-domain headers of File 7, all known and unused."""
    names = [
        "Children and Young People",
        "Adult Skills",
        "Geographical Barriers",
        "Wider Barriers",
        "Indoors",
        "Outdoors",
    ]
    headers: dict[str, None] = {}
    for name in names:
        headers[f"{name} Sub-domain Score"] = None
        headers[f"{name} Sub-domain Rank (where 1 is most deprived)"] = None
        headers[f"{name} Sub-domain Decile (where 1 is most deprived 10% of LSOAs)"] = None
    del headers[
        "Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSOAs)"
    ]
    headers[children_decile_header] = None
    return headers


_SUBDOMAINS_2019 = _unused_subdomains(
    "Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSOAs)"
)
# The published IoD2025 File 7 cuts this one header short at 80 characters.
_SUBDOMAINS_2025 = _unused_subdomains(
    "Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSO"
)
_POPULATION_2019 = {
    "Total population: mid 2015 (excluding prisoners)": "population_total",
    "Dependent Children aged 0-15: mid 2015 (excluding prisoners)": "population_0_15",
    "Population aged 16-59: mid 2015 (excluding prisoners)": "population_16_59",
    "Older population aged 60 and over: mid 2015 (excluding prisoners)": "population_60_plus",
    "Working age population 18-59/64: for use with Employment Deprivation Domain "
    "(excluding prisoners)": "population_working_age",
}
_POPULATION_2025 = {
    "Total population: mid 2022": "population_total",
    "Dependent Children aged 0-15: mid 2022": "population_0_15",
    "Older population aged 60 and over: mid 2022": "population_60_plus",
    "Working age population 18-66 (for use with Employment Deprivation Domain): mid 2022": (
        "population_working_age"
    ),
}
_POPULATION_2025_FILE6 = {
    **_POPULATION_2025,
    "Population aged 16-59: mid 2022": "population_16_59",
}

_NOTES_2019 = "IoD2019 on 32,844 LSOAs (2011) with Local Authority Districts of 2019."
_NOTES_2025 = (
    "IoD2025 on 33,755 LSOAs (2021) with Local Authority Districts of 2024. Headers taken from "
    "public code reading the published file, not from the file itself."
)
_POP_NOTES_2019 = (
    "Population denominators are ONS mid-2015 estimates excluding prisoners (not Census counts); "
    "working age is 18-59 for women and 18-64 for men."
)
_POP_NOTES_2025 = (
    "Population denominators are mid-2022 estimates; working age is 18-66 (IoD2019: 18-59/64), "
    "so population_working_age is not comparable between the two editions."
)

RELEASES: tuple[Release, ...] = (
    Release(
        "IoD2019 File 1",
        {**_AREAS_2019, **_IMD_FILE1_2019},
        f"{_NOTES_2019} IMD rank and decile only (workbook sheet 'IMD2019').",
    ),
    Release(
        "IoD2019 File 2",
        {**_AREAS_2019, **_IMD, **_DOMAIN_RANKS_DECILES},
        f"{_NOTES_2019} Ranks and deciles of the IMD and its seven domains; no scores.",
    ),
    Release(
        "IoD2019 File 6",
        {**_AREAS_2019, **_POPULATION_2019},
        f"{_NOTES_2019} {_POP_NOTES_2019}",
    ),
    Release(
        "IoD2019 File 7",
        {
            **_AREAS_2019,
            **_SCORES,
            **_IMD,
            **_DOMAIN_RANKS_DECILES,
            **_SUPPLEMENTARY,
            **_SUBDOMAINS_2019,
            **_POPULATION_2019,
        },
        f"{_NOTES_2019} All scores, ranks and deciles (sub-domains not kept). {_POP_NOTES_2019}",
    ),
    Release(
        "IoD2025 File 1",
        {**_AREAS_2025, **_IMD},
        f"{_NOTES_2025} IMD rank and decile only (workbook sheet 'IMD25').",
    ),
    Release(
        "IoD2025 File 2",
        {**_AREAS_2025, **_IMD, **_DOMAIN_RANKS_DECILES},
        f"{_NOTES_2025} Ranks and deciles of the IMD and its seven domains; no scores.",
    ),
    Release(
        "IoD2025 File 6",
        {**_AREAS_2025, **_POPULATION_2025_FILE6},
        f"{_NOTES_2025} {_POP_NOTES_2025} The 16-59 header is known from one source only.",
    ),
    Release(
        "IoD2025 File 7",
        {
            **_AREAS_2025,
            **_SCORES,
            **_IMD,
            **_DOMAIN_RANKS_DECILES,
            **_SUPPLEMENTARY,
            **_SUBDOMAINS_2025,
            **_POPULATION_2025,
        },
        f"{_NOTES_2025} All scores, ranks and deciles (sub-domains not kept); File 7 has no "
        f"16-59 population column. {_POP_NOTES_2025}",
    ),
)


#: The IoD2019 File 2 layout (ranks and deciles of the IMD and the seven domains).
FILE_2_RELEASE: Release = next(r for r in RELEASES if r.name == "IoD2019 File 2")
#: The IoD2025 File 7 layout (all scores, ranks, deciles and the mid-2022 denominators).
FILE_7_2025_RELEASE: Release = next(r for r in RELEASES if r.name == "IoD2025 File 7")

#: Prefixes of the rank/decile/score columns of the IMD and its seven domains.
DOMAINS: tuple[str, ...] = (
    "imd",
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "barriers",
    "living_environment",
)


@dataclass(frozen=True)
class _Edition:
    """What a whole edition of the indices covers."""

    lsoa_vintage: int
    n_lsoas: int


_EDITIONS = {"IoD2019": _Edition(2011, 32_844), "IoD2025": _Edition(2021, 33_755)}

#: Canonical columns in output order; a file carries only those it publishes.
COLUMNS: tuple[str, ...] = (
    "lsoa_code",
    "lsoa_name",
    "la_code",
    "la_name",
    *(
        f"{measure}_{part}"
        for measure in (*DOMAINS, "idaci", "idaopi")
        for part in ("rank", "decile", "score")
    ),
    "population_total",
    "population_0_15",
    "population_16_59",
    "population_60_plus",
    "population_working_age",
)

_LSOA_CODE = r"E01\d{6}"
_LA_CODE = r"E0[6-9]\d{6}"


def read_iod(path: str | Path) -> pd.DataFrame:
    """Read one English Indices of Deprivation file (IoD2019 or IoD2025) into canonical columns.

    Parameters
    ----------
    path : str or Path
        File 1, 2, 6 or 7 of IoD2019 or IoD2025, as the publisher's ``.xlsx`` workbook or as a
        CSV (the published File 7 CSV, or a workbook saved as CSV by Excel). The layout is
        recognised from the header row.

    Returns
    -------
    pandas.DataFrame
        One row per LSOA (2011 LSOAs for IoD2019, 2021 LSOAs for IoD2025): ``lsoa_code``,
        ``lsoa_name``, ``la_code``, ``la_name``, then whichever of these the file publishes:
        ``<measure>_rank`` (int, 1 = most deprived in England), ``<measure>_decile`` (int,
        1 = most deprived 10%), ``<measure>_score`` (float; rates 0-1 for income, employment,
        IDACI and IDAOPI) for the measures ``imd``, ``income``, ``employment``, ``education``,
        ``health``, ``crime``, ``barriers``, ``living_environment``, ``idaci``, ``idaopi``; and
        population denominators in persons ``population_total``, ``population_0_15``,
        ``population_16_59``, ``population_60_plus``, ``population_working_age``.
        ``attrs``: ``release`` (e.g. ``"IoD2019 File 2"``), ``source_file`` (file name),
        ``lsoa_vintage`` (2011 or 2021), ``notes``.

    Raises
    ------
    IngestError
        Unknown header set, no data rows, LSOA or LA code of the wrong shape, a code on two
        rows, a rank that is not a whole number in 1..N, a decile outside 1..10 or at odds with
        its rank, or a population that is not a whole number.

    Examples
    --------
    >>> imd = read_iod("File_2_-_IoD2019_Domains_of_Deprivation.csv")  # doctest: +SKIP
    >>> imd.loc[imd["la_code"] == "E08000009", ["lsoa_code", "imd_decile"]]  # doctest: +SKIP
    """
    path = Path(path)
    raw, release, where = _read_any(path)
    if raw.empty:
        raise IngestError(f"{SOURCE}: {where.name} has a header but no rows.")
    edition = _EDITIONS[release.name.split()[0]]
    frame = apply_release(raw, release)
    publisher = {name: header for header, name in release.columns.items() if name is not None}
    n = edition.n_lsoas

    if len(frame) > n:
        raise IngestError(
            f"{SOURCE}: {where.name} has {len(frame):,} rows; {release.name} covers "
            f"{n:,} LSOAs. Is this file a mix of editions or of several files?"
        )
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        header = publisher[column]
        if column in {"lsoa_code", "lsoa_name", "la_code", "la_name"}:
            out[column] = frame[column].str.strip()
        elif column.endswith("_score"):
            out[column] = to_number(
                frame, column, path=where, source=SOURCE, kind="float", header=header
            )
        else:
            out[column] = to_number(
                frame, column, path=where, source=SOURCE, kind="count", header=header
            )
            if column.endswith("_rank"):
                _check_range(
                    frame,
                    out[column],
                    column,
                    1,
                    n,
                    header=header,
                    path=where,
                    expected=f"a whole-number rank from 1 (most deprived) to {n:,}, the number "
                    f"of LSOAs ({edition.lsoa_vintage}) in {release.name.split()[0]}",
                )
            elif column.endswith("_decile"):
                _check_range(
                    frame,
                    out[column],
                    column,
                    1,
                    10,
                    header=header,
                    path=where,
                    expected="a decile from 1 (most deprived 10%) to 10",
                )

    _check_codes(
        frame,
        "lsoa_code",
        _LSOA_CODE,
        "an English LSOA code: 'E01' and 6 digits",
        header=publisher["lsoa_code"],
        path=where,
    )
    _check_codes(
        frame,
        "la_code",
        _LA_CODE,
        "an English local authority district code: 'E06', 'E07', 'E08' or 'E09' and 6 digits",
        header=publisher["la_code"],
        path=where,
    )
    require_unique(out, "lsoa_code", path=where, source=SOURCE)
    for column in out.columns:
        if column.endswith("_decile") and column.replace("_decile", "_rank") in out:
            _check_decile_matches_rank(
                frame, out, column.replace("_decile", "_rank"), column, n, publisher, where
            )

    out = out[[c for c in COLUMNS if c in out.columns]]
    out.attrs = {
        "release": release.name,
        "source_file": path.name,
        "lsoa_vintage": edition.lsoa_vintage,
        "notes": f"{release.notes} {len(out):,} of {n:,} LSOAs in this file.",
    }
    return out


def _read_any(path: Path) -> tuple[pd.DataFrame, Release, Path]:
    """Read a workbook or a CSV; return the text frame, its release and a name for messages."""
    if not path.is_file():
        raise IngestError(f"{SOURCE}: file not found: {path}")
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(
            f"{SOURCE}: {path.name} is an old-style Excel .xls workbook; open it in Excel or "
            "LibreOffice and save it as .xlsx or CSV."
        )
    if magic.startswith(b"PK\x03\x04"):
        return _read_workbook(path)
    text = read_text(path, source=SOURCE)
    frame = read_csv_text(text, path=path, source=SOURCE)
    return frame, match_release(frame.columns, RELEASES, path=path, source=SOURCE), path


def _read_workbook(path: Path) -> tuple[pd.DataFrame, Release, Path]:
    """Find the sheet whose first row is a known header set and read it as text cells."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors alike
        raise IngestError(f"{SOURCE}: {path.name} is not a readable .xlsx workbook: {exc}") from exc
    seen: dict[str, list[str]] = {}
    try:
        for sheet in book.worksheets:
            cells = list(next(sheet.iter_rows(max_row=1, values_only=True), ()))
            while cells and cells[-1] is None:
                cells.pop()
            header = ["" if v is None else str(v).strip() for v in cells]
            seen[sheet.title] = header
            release = next((r for r in RELEASES if r.headers == frozenset(header)), None)
            if release is not None and len(set(header)) == len(header):
                rows = sheet.iter_rows(min_row=2, max_col=len(header), values_only=True)
                frame = pd.DataFrame(list(rows), columns=header, dtype=object)
                title = sheet.title
                break
        else:
            _raise_no_known_sheet(seen, path)
    finally:
        book.close()

    frame = frame.where(frame.notna(), "").astype(str)
    filled = np.flatnonzero((frame != "").any(axis=1).to_numpy())
    frame = frame.iloc[: (filled[-1] + 1 if filled.size else 0)].reset_index(drop=True)
    frame.attrs["first_line"] = 2
    # Messages then read "<file> (sheet 'X'), column ..., line N", N being the sheet row.
    return frame, release, Path(f"{path.name} (sheet {title!r})")


def _raise_no_known_sheet(seen: dict[str, list[str]], path: Path) -> NoReturn:
    """Raise for a workbook with no sheet of a known layout, naming the closest sheet."""
    if not seen:
        raise IngestError(f"{SOURCE}: {path.name} has no sheets.")
    best = min(seen, key=lambda s: min(len(r.headers ^ frozenset(seen[s])) for r in RELEASES))
    try:
        match_release(seen[best], RELEASES, path=path, source=SOURCE)
    except IngestError as exc:
        raise IngestError(
            f"{exc} No sheet starts with a known header row; sheets: {list(seen)}; the closest "
            f"is sheet {best!r}."
        ) from None
    raise IngestError(  # a sheet matched but repeats a header
        f"{SOURCE}: {path.name}, sheet {best!r} repeats a column header; each must appear once."
    )


def _first_bad(frame: pd.DataFrame, bad: pd.Series) -> tuple[int, int]:
    """Return the file line of the first bad cell and the number of bad cells."""
    position = int(np.flatnonzero(bad.to_numpy())[0])
    return frame.attrs.get("first_line", 2) + position, int(bad.sum())


def _check_codes(
    frame: pd.DataFrame, column: str, pattern: str, expected: str, *, header: str, path: Path
) -> None:
    """Raise when a code in ``column`` does not have the expected shape."""
    codes = frame[column].str.strip()
    bad = ~codes.str.fullmatch(pattern)
    if bad.any():
        line, count = _first_bad(frame, bad)
        raise IngestError(
            f"{SOURCE}: {path.name}, column {header!r}, line {line}: found "
            f"{codes[bad].iloc[0]!r}; expected {expected}. {count} cell(s) in this column are bad."
        )


def _check_range(
    frame: pd.DataFrame,
    values: pd.Series,
    column: str,
    low: int,
    high: int,
    *,
    header: str,
    path: Path,
    expected: str,
) -> None:
    """Raise when a converted value lies outside ``low..high``."""
    bad = (values < low) | (values > high)
    if bad.any():
        line, count = _first_bad(frame, bad)
        raise IngestError(
            f"{SOURCE}: {path.name}, column {header!r}, line {line}: found "
            f"{frame[column][bad].iloc[0]!r}; expected {expected}. {count} cell(s) in this "
            "column are bad."
        )


def _check_decile_matches_rank(
    frame: pd.DataFrame,
    out: pd.DataFrame,
    rank: str,
    decile: str,
    n: int,
    publisher: dict[str, str],
    path: Path,
) -> None:
    """Raise when a decile is more than one off ``ceil(10 * rank / n)``.

    The published deciles follow that rule exactly in IoD2019; one decile of slack allows for a
    different boundary rule in a later edition while still catching a decile column that
    belongs to another measure.
    """
    expected = np.ceil(out[rank] * 10 / n)
    bad = (out[decile] - expected).abs() > 1
    if bad.any():
        line, count = _first_bad(frame, bad)
        first = bad.idxmax()
        raise IngestError(
            f"{SOURCE}: {path.name}, column {publisher[decile]!r}, line {line}: found decile "
            f"{out[decile][first]} for rank {out[rank][first]} in {publisher[rank]!r}; expected "
            f"about {math.ceil(out[rank][first] * 10 / n)} (ceil(10 x rank / {n:,})). Is the "
            f"decile column from another measure? {count} row(s) disagree."
        )
