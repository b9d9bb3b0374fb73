"""Census 2021 usual residents by age by LSOA 2021, from Nomis (RM121 download or TS007 API).

Where the data comes from
-------------------------
- Publisher: Office for National Statistics, Census 2021 table RM121 "Sex by age", released
  23 January 2023, downloaded from Nomis (nomisweb.co.uk, "RM121 - Sex by age") with the
  geography "2021 super output area - lower layer" and the age bands 65 and over selected.
- Licence: Open Government Licence v3.0 ("ONS Crown Copyright Reserved").
- Geography: 35,672 Lower-layer Super Output Areas of **2021**, England (33,755) and Wales
  (1,917).

Layout: a Nomis download is not a tidy table. It opens with a title line (``RM121 - Sex by
age``), a copyright line carrying the download date (``[from Nomis on 14 February 2024]``) and
``Key :,value`` lines (population, units, date, sex), each padded with commas; then the header
row, a blank line, one row per area, blank lines and a disclosure-control note. The area is one
field, ``"E01006112 : Trafford 001D"``, quoted when the name holds a comma. :func:`read_census_age`
finds the header row by its content, stops at the first blank line after the data and checks
that nothing but the note follows.

The Nomis API layout (what ``python -m ingest download`` fetches: table TS007 "Age by single
year", dataset ``NM_2027_1``) is tidy instead: a header ``GEOGRAPHY_CODE, GEOGRAPHY_NAME,
C2021_AGE_102, C2021_AGE_102_NAME, OBS_VALUE`` and one row per LSOA and age, where age code 0
is all usual residents and code *n* is "aged *n* - 1" (code 101: 100 and over). Both layouts
give the same columns.

Counts are perturbed by ONS statistical disclosure control (record swapping and cell key
perturbation); small counts are the least reliable.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

import numpy as np
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

SOURCE = "census"
LSOA_VINTAGE = 2021
#: Publisher headers of the Nomis download: area, total, and the six bands from 65.
AREA_HEADER = "2021 super output area - lower layer"
TOTAL_HEADER = "Total"
AGE_65_PLUS_BANDS: tuple[str, ...] = (
    "Aged 65 years",
    "Aged 66 to 69 years",
    "Aged 70 to 74 years",
    "Aged 75 to 79 years",
    "Aged 80 to 84 years",
    "Aged 85 years and over",
)
GEOGRAPHY = AREA_HEADER

_BANDS_65_PLUS = (
    "residents_65",
    "residents_66_69",
    "residents_70_74",
    "residents_75_79",
    "residents_80_84",
    "residents_85_plus",
)
_BANDS_75_PLUS = ("residents_75_79", "residents_80_84", "residents_85_plus")

RELEASES: tuple[Release, ...] = (
    Release(
        "Census 2021 RM121",
        {
            AREA_HEADER: "area",
            TOTAL_HEADER: "residents",
            **dict(zip(AGE_65_PLUS_BANDS, _BANDS_65_PLUS, strict=True)),
        },
        "Census 2021 (21 March 2021) usual residents, RM121 'Sex by age', all persons, by LSOA "
        "2021 in England and Wales; 'Total' is all usual residents and only the bands from 65 "
        "were selected, so residents_65_plus is the sum of the six bands. Counts are perturbed "
        "for disclosure control.",
    ),
)

# Header row: its first field names the geography, its second is "Total".
_HEADER = re.compile(r'^(?:"(?P<quoted>[^"]*)"|(?P<plain>[^,\n]*)),"?Total"?(?:,|$)', re.M)
_BLANK_LINE = re.compile(r"^[ ,]*$", re.M)
_AREA_ROW = re.compile(r'^"?[EW]01\d{6} : ', re.M)
_DOWNLOAD_DATE = re.compile(r"from Nomis on (\d{1,2} [A-Za-z]+ \d{4})")
_LSOA_CODE = r"[EW]01\d{6}"
# Preamble "Key :,value" lines that must hold these values (lower case), when present.
_REQUIRED_PREAMBLE = {"sex": "all persons", "units": "persons", "population": "all usual residents"}


#: Header of the Nomis API CSV of TS007 "Age by single year" (dataset NM_2027_1), as
#: ``python -m ingest download`` asks for it.
API_RELEASE = Release(
    "Census 2021 TS007",
    {
        "GEOGRAPHY_CODE": "lsoa_code",
        "GEOGRAPHY_NAME": "lsoa_name",
        "C2021_AGE_102": "age_code",
        "C2021_AGE_102_NAME": None,
        "OBS_VALUE": "count",
    },
    "Census 2021 (21 March 2021) usual residents, TS007 'Age by single year', by LSOA 2021 in "
    "England and Wales, from the Nomis API (dataset NM_2027_1): one row per LSOA and age; age "
    "code 0 is all usual residents and code n is aged n - 1 (101: 100 and over). Counts are "
    "perturbed for disclosure control.",
)
#: TS007 age codes summed into each of our columns.
_API_AGE_CODES: dict[str, tuple[int, ...]] = {
    "residents": (0,),
    "residents_65": (66,),
    "residents_66_69": tuple(range(67, 71)),
    "residents_70_74": tuple(range(71, 76)),
    "residents_75_79": tuple(range(76, 81)),
    "residents_80_84": tuple(range(81, 86)),
    "residents_85_plus": tuple(range(86, 102)),
}


def read_census_age(path: str | Path) -> pd.DataFrame:
    """Read Census 2021 residents and older residents by LSOA 2021 from a Nomis CSV.

    Two layouts are read: the Nomis web download of RM121 "Sex by age" (title, preamble,
    one row per LSOA) and the Nomis API CSV of TS007 "Age by single year" (tidy, one row per
    LSOA and age), which is what ``python -m ingest download`` fetches.

    Parameters
    ----------
    path : str or Path
        Nomis bulk CSV of RM121 for "2021 super output area - lower layer", all persons, with
        the columns Total and the six bands from "Aged 65 years" to "Aged 85 years and over";
        or a Nomis API CSV of TS007 with the total (age code 0) and every age from 65 (codes
        66 to 101).

    Returns
    -------
    pandas.DataFrame
        One row per LSOA (2021), in file order: ``lsoa_code``, ``lsoa_name``, ``residents``
        (all usual residents, persons), ``residents_65_plus`` (sum of the six bands),
        ``residents_75_plus`` (75-79 + 80-84 + 85+), then the six bands ``residents_65``,
        ``residents_66_69``, ``residents_70_74``, ``residents_75_79``, ``residents_80_84``,
        ``residents_85_plus`` (all int). ``attrs``: ``release`` (``"Census 2021 RM121"`` or
        ``"Census 2021 TS007"``), ``source_file``, ``lsoa_vintage`` (2021), ``downloaded_on``
        (ISO date from the RM121 preamble, or None), ``notes``.

    Raises
    ------
    IngestError
        RM121: title not an RM121 age table; sex, units or population other than all persons
        / all usual residents; no header row or a geography other than LSOA 2021; unknown
        columns; area rows after the blank line that ends the data; a malformed area field.
        TS007 (columns found by name, in any order): unknown columns; no rows; an LSOA and age
        on two rows; an LSOA missing the total or an age from 65. Both: a malformed code, a code
        on two rows, a count that is not a whole number, older residents exceeding the total.

    Examples
    --------
    >>> age = read_census_age("Census 2021 - Population.csv")  # doctest: +SKIP
    >>> (age["residents_65_plus"] / age["residents"]).describe()  # doctest: +SKIP
    """
    path = Path(path)
    text = read_text(path, source=SOURCE)
    first_line = next(csv.reader([text.split("\n", 1)[0]]), [])
    if API_RELEASE.headers & {field.strip() for field in first_line}:  # any column order
        out, release, downloaded_on = _read_api(text, path), API_RELEASE, None
    else:
        out, release, downloaded_on = _read_download(text, path)
    out["residents_65_plus"] = sum(out[c] for c in _BANDS_65_PLUS)
    out["residents_75_plus"] = sum(out[c] for c in _BANDS_75_PLUS)
    out = out[["lsoa_code", "lsoa_name", "residents", "residents_65_plus", "residents_75_plus",
               *_BANDS_65_PLUS]]  # fmt: skip
    over = out["residents_65_plus"] > out["residents"]
    if over.any():
        row = out[over].iloc[0]
        raise IngestError(
            f"{SOURCE}: {path.name}: {row['lsoa_code']} has {row['residents_65_plus']} "
            f"residents aged 65+ but a total of {row['residents']}; expected the total to be all "
            "usual residents. Were other ages selected as the total?"
        )
    require_unique(out, "lsoa_code", path=path, source=SOURCE)
    when = f" Downloaded from Nomis on {downloaded_on}." if downloaded_on else ""
    out.attrs = {
        "release": release.name,
        "source_file": path.name,
        "lsoa_vintage": LSOA_VINTAGE,
        "downloaded_on": downloaded_on,
        "notes": f"{release.notes}{when} {len(out):,} LSOAs in this file.",
    }
    return out


def _read_api(text: str, path: Path) -> pd.DataFrame:
    """Pivot the tidy Nomis API layout (one row per LSOA and age) to one row per LSOA."""
    raw = read_csv_text(text, path=path, source=SOURCE)
    match_release(raw.columns, [API_RELEASE], path=path, source=SOURCE)
    frame = apply_release(raw, API_RELEASE)
    if frame.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no rows.")
    for column in ("lsoa_code", "lsoa_name"):
        frame[column] = frame[column].str.strip()
    bad = ~frame["lsoa_code"].str.fullmatch(_LSOA_CODE)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, column 'GEOGRAPHY_CODE', line {position + 2}: found "
            f"{frame['lsoa_code'].iloc[position]!r}; expected an LSOA 2021 code ('E01' or 'W01' "
            "and 6 digits)."
        )
    for column, header in (("age_code", "C2021_AGE_102"), ("count", "OBS_VALUE")):
        frame[column] = to_number(
            frame, column, path=path, source=SOURCE, kind="count", header=header
        )
    twice = frame.duplicated(["lsoa_code", "age_code"], keep=False)
    if twice.any():
        row = frame[twice].iloc[0]
        raise IngestError(
            f"{SOURCE}: {path.name}: {row['lsoa_code']} has age code {row['age_code']} on "
            f"{int(twice.sum())} rows; expected one row per LSOA and age."
        )
    wide = frame.pivot(index="lsoa_code", columns="age_code", values="count")
    needed = sorted({code for codes in _API_AGE_CODES.values() for code in codes})
    absent = [code for code in needed if code not in wide.columns]
    gaps = wide.reindex(columns=needed).isna()
    if absent or gaps.any(axis=None):
        lsoa = gaps.any(axis=1).idxmax()
        missing = [code for code in needed if gaps.loc[lsoa, code]]
        raise IngestError(
            f"{SOURCE}: {path.name}, column 'C2021_AGE_102': {lsoa} has no row for age code(s) "
            f"{missing[:8]}; expected the total (code 0) and every age from 65 (codes 66 to 101) "
            "for every LSOA."
        )
    order = pd.unique(frame["lsoa_code"])
    out = pd.DataFrame(
        {"lsoa_code": order, "lsoa_name": frame.groupby("lsoa_code")["lsoa_name"].first()[order]}
    ).reset_index(drop=True)
    for column, codes in _API_AGE_CODES.items():
        out[column] = wide.loc[order, list(codes)].sum(axis=1).astype("int64").to_numpy()
    return out


def _read_download(text: str, path: Path) -> tuple[pd.DataFrame, Release, str | None]:
    """Read the Nomis web download of RM121: return the frame, its release, download date."""
    name = path.name
    title = next(csv.reader([text.split("\n", 1)[0]]), [""])
    title_text = title[0].strip() if title else ""
    if not re.match(r"RM121\b.*\bage\b", title_text, re.I):
        raise IngestError(
            f"{SOURCE}: {name}, line 1: the title is {title_text!r}; expected a Nomis Census 2021 "
            "table 'RM121 - Sex by age'. Download RM121 from Nomis as a CSV with its title."
        )

    header = _HEADER.search(text)
    if header is None:
        raise IngestError(
            f"{SOURCE}: {name} has no header row (a row whose second field is 'Total'); is this "
            "a Nomis RM121 download with the Total column selected?"
        )
    geography = (header["quoted"] if header["quoted"] is not None else header["plain"]).strip()
    header_line = text.count("\n", 0, header.start()) + 1
    if geography != GEOGRAPHY:
        raise IngestError(
            f"{SOURCE}: {name}, line {header_line}: the areas are {geography!r}; expected "
            f"{GEOGRAPHY!r} (LSOA 2021). Choose that geography type when downloading from Nomis."
        )
    preamble = text[: header.start()]
    _check_preamble(preamble, name)

    # The data: from the first non-blank line after the header to the next blank line.
    header_end = text.find("\n", header.start())
    header_end = len(text) if header_end < 0 else header_end
    start = header_end + 1
    while start < len(text):
        blank = _BLANK_LINE.match(text, start)
        if blank is None:
            break
        start = blank.end() + 1
    end_match = _BLANK_LINE.search(text, start)
    end = len(text) if end_match is None else end_match.start()
    footer = text[end:]
    stray = _AREA_ROW.search(footer)
    if stray is not None:
        stray_line = text.count("\n", 0, end + stray.start()) + 1
        end_line = text.count("\n", 0, end) + 1
        raise IngestError(
            f"{SOURCE}: {name}, line {stray_line}: an area row follows the blank line that ends "
            f"the data at line {end_line}; the file looks damaged (rows split by a blank line). "
            "Download it again."
        )

    block = text[header.start() : header_end + 1] + text[start:end]
    raw = read_csv_text(block, path=path, source=SOURCE)
    raw.attrs["first_line"] = text.count("\n", 0, start) + 1
    release = match_release(raw.columns, RELEASES, path=path, source=SOURCE)
    frame = apply_release(raw, release)
    publisher = {col: head for head, col in release.columns.items() if col is not None}

    parts = frame["area"].str.split(" : ", n=1, expand=True).reindex(columns=[0, 1])
    codes = parts[0].str.strip()
    bad = ~codes.str.fullmatch(_LSOA_CODE) | parts[1].isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            f"{SOURCE}: {name}, column {GEOGRAPHY!r}, line {raw.attrs['first_line'] + position}: "
            f"found {frame['area'].iloc[position]!r}; expected '<LSOA code> : <LSOA name>' with "
            f"a code of 'E01' or 'W01' and 6 digits. {int(bad.sum())} cell(s) in this column "
            "are bad."
        )
    out = pd.DataFrame({"lsoa_code": codes, "lsoa_name": parts[1].str.strip()})
    counts = {
        column: to_number(
            frame, column, path=path, source=SOURCE, kind="count", header=publisher[column]
        )
        for column in ("residents", *_BANDS_65_PLUS)
    }
    for column, values in counts.items():
        out[column] = values
    date = _DOWNLOAD_DATE.search(preamble)
    downloaded_on = None
    if date is not None:
        try:
            downloaded_on = datetime.strptime(date[1], "%d %B %Y").date().isoformat()
        except ValueError:
            downloaded_on = None
    return out, release, downloaded_on


def _check_preamble(preamble: str, name: str) -> None:
    """Raise when a ``Key :,value`` line selects something other than all usual residents."""
    for number, fields in enumerate(csv.reader(preamble.split("\n")), start=1):
        if len(fields) < 2 or ":" not in fields[0]:
            continue
        key = fields[0].split(":", 1)[0].strip().lower()
        value = fields[1].strip()
        wanted = _REQUIRED_PREAMBLE.get(key)
        if wanted is not None and value.lower() != wanted:
            raise IngestError(
                f"{SOURCE}: {name}, line {number}: {key} is {value!r}; expected {wanted!r}. "
                "Download RM121 again with all persons / all usual residents selected."
            )
