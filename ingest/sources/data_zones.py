"""Scottish Government data zone lookup: data zone -> multi-member ward -> council area.

Where the data comes from
-------------------------
- Publisher: Scottish Government, statistics.gov.scot "Data Zone Lookup"
  (https://statistics.gov.scot/data/data-zone-lookup), a CSV named
  ``DataZone2011lookup_YYYY-MM-DD.csv`` (the date is the release), and, for the 2022 data
  zones, ``DataZone2022lookup_YYYY-MM-DD.csv``.
- Licence: Open Government Licence v3.0.
- Geography: every data zone of Scotland (6,976 of 2011; 7,392 of 2022) with the intermediate
  zone, multi-member ward, council area and other areas it lies in. Data zones do not nest in
  wards: the lookup puts each data zone wholly in one ward (a best fit), so ward figures built
  through it are best-fit figures, as English ones built through ONS's LSOA -> ward lookup.

Headers
-------
Columns come in ``<area>_Code`` / ``<area>_Name`` pairs. This reader needs the data zone code
(``DZ2011_Code`` or ``DZ22_Code``), ``MMWard_Code``, ``MMWard_Name``, ``LA_Code`` and
``LA_Name``; it reads them by those exact names. Every other ``<area>_Code``/``<area>_Name``
column (intermediate zone, constituencies, health board, country...) is known and not used. A
column of any other shape is an error, so a renamed needed column cannot pass unnoticed.
Some releases are saved in Windows-1252 (names with accents and apostrophes); both encodings
read.

SIMD 2020v2 is published on **2011** data zones, so a build pairs it with the 2011 lookup;
:func:`read_data_zone_lookup` records the vintage in ``attrs["data_zone_vintage"]``.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pandas as pd

from ingest._errors import IngestError
from ingest._tables import (
    raise_bad_cells,
    read_csv_file,
    require_unique,
)

SOURCE = "data_zones"
#: Raise for bad cells of a column, naming the file, header, line and value.
_bad = partial(raise_bad_cells, source=SOURCE)

#: Data zone code header -> data zone vintage.
DATA_ZONE_HEADERS = {"DZ2011_Code": 2011, "DZ22_Code": 2022}
_NEEDED = {
    "MMWard_Code": "ward_code",
    "MMWard_Name": "ward_name",
    "LA_Code": "la_code",
    "LA_Name": "la_name",
}
_CODES = {
    "data_zone_code": (r"S01\d{6}", "a data zone code: 'S01' and 6 digits"),
    "ward_code": (r"S13\d{6}", "a multi-member ward code: 'S13' and 6 digits"),
    "la_code": (r"S12\d{6}", "a council area code: 'S12' and 6 digits"),
}
_OTHER_AREA = re.compile(r"[A-Za-z][A-Za-z0-9]*_(Code|Name)")


def read_data_zone_lookup(path: str | Path) -> pd.DataFrame:
    """Read the Scottish Government data zone lookup as data zone -> ward -> council area.

    Parameters
    ----------
    path : str or Path
        ``DataZone2011lookup_YYYY-MM-DD.csv`` (or the 2022 data zone lookup) as downloaded.

    Returns
    -------
    pandas.DataFrame
        One row per data zone: ``data_zone_code``, ``ward_code`` and ``ward_name``
        (multi-member ward), ``la_code`` and ``la_name`` (council area). ``attrs``:
        ``data_zone_vintage`` (2011 or 2022), ``source_file``, ``release`` (the file name's
        date when it has one), ``notes``.

    Raises
    ------
    IngestError
        No data zone code column, a needed column missing, a column that is not an
        ``<area>_Code``/``<area>_Name`` pair, a malformed code, or a data zone on two rows.
    """
    path = Path(path)
    raw = read_csv_file(path, source=SOURCE)
    found = [h for h in DATA_ZONE_HEADERS if h in raw.columns]
    if len(found) != 1:
        raise IngestError(
            f"{SOURCE}: {path.name} needs exactly one data zone code column, one of "
            f"{list(DATA_ZONE_HEADERS)}; found {found or 'none'} among {list(raw.columns)}."
        )
    missing = [h for h in _NEEDED if h not in raw.columns]
    if missing:
        raise IngestError(
            f"{SOURCE}: {path.name} lacks column(s) {missing}; a data zone lookup names each "
            f"data zone's multi-member ward and council area ({list(_NEEDED)})."
        )
    strange = [h for h in raw.columns if not _OTHER_AREA.fullmatch(h)]
    if strange:
        raise IngestError(
            f"{SOURCE}: {path.name} has column(s) {strange} that are not '<area>_Code' or "
            "'<area>_Name'; this is not the Scottish Government's data zone lookup layout."
        )
    if raw.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no rows.")
    columns = {found[0]: "data_zone_code", **_NEEDED}
    publisher = {name: header for header, name in columns.items()}
    frame = raw[list(columns)].rename(columns=columns)
    frame.attrs = raw.attrs
    out = frame.apply(lambda cells: cells.str.strip())
    for column, (pattern, expected) in _CODES.items():
        bad = ~out[column].str.fullmatch(pattern)
        if bad.any():
            _bad(frame, bad, column, publisher, path, expected)
    require_unique(out, "data_zone_code", path=path, source=SOURCE)
    vintage = DATA_ZONE_HEADERS[found[0]]
    date = re.search(r"\d{4}-\d{2}-\d{2}", path.name)
    out.attrs = {
        "data_zone_vintage": vintage,
        "source_file": path.name,
        "release": date.group(0) if date else "undated",
        "notes": f"{len(out):,} data zones ({vintage}) in {out['ward_code'].nunique():,} "
        f"multi-member wards of {out['la_code'].nunique():,} council area(s); each data zone "
        "wholly in one ward (best fit).",
    }
    return out
