"""Westminster parliamentary constituencies of wards: the ONS ward to constituency lookup.

Where the data comes from
-------------------------
- Publisher: Office for National Statistics, Open Geography Portal
  (https://geoportal.statistics.gov.uk), e.g. "Ward to Westminster Parliamentary Constituency
  to LAD to UTLA (July 2024) Lookup in UK" (ArcGIS service ``WD24_PCON24_LAD24_UTLA24_UK_LU``)
  and its predecessors "Ward to Westminster Parliamentary Constituency to Local Authority
  District (December 2018) Lookup in the United Kingdom", "... to Upper Tier Local Authority
  (December 2020 / December 2022) Lookup in the United Kingdom".
- Licence: Open Government Licence v3.0. Attribution: "Source: Office for National
  Statistics licensed under the Open Government Licence v3.0".
- Level: **ward**, each with its constituency and local authority district.

Layout
------
Headers are matched by ONS column family and year
(:func:`ingest.sources.ons_geography.read_lookup`):
``WDyyCD``, ``WDyyNM``, ``PCONyyCD``, ``PCONyyNM``, ``LADyyCD``, ``LADyyNM``, optionally
``UTLAyyCD``/``UTLAyyNM`` (dropped) and row ids (``FID``, ``ObjectId``; dropped), any letter
case, with or without a BOM. What public material confirms: the July 2024 service's fields
``WD24CD, WD24NM, PCON24CD, PCON24NM, LAD24CD, LAD24NM`` (public code querying it by those
names) and ``UTLA24CD, UTLA24NM`` (public code asking it for them); the December 2018 CSV's
``WD18CD, WD18NM, PCON18CD, PCON18NM, LAD18CD, LAD18NM`` (no UTLA) and the 2019-2022 CSVs'
``UTLAyyCD``/``UTLAyyNM`` besides, the 2018 and 2022 CSVs starting with a BOM. The order of
the columns and the exact row-id name of each CSV download were not confirmed; neither
matters here.

Split wards
-----------
These lookups are **not best fit**: a ward that constituency boundaries cut is listed once per
constituency it touches (Kirkburton, Kirklees, is on three rows of the 2018-2022 lookups; the
July 2024 lookup has about 8,800 rows for about 8,400 wards), with no share of its premises or
people. Summing ward figures to constituencies through such rows counts a split ward in each
of its constituencies, so :func:`read_ward_constituencies` refuses a ward on two rows and names
it, unless ``keep_split=True`` asks for every row (the split wards listed in
``attrs["split_wards"]``, for figures that label them instead of summing them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ingest._errors import IngestError
from ingest.sources.ons_geography import CODE_PREFIXES, read_lookup

SOURCE = "constituencies"

#: Columns of :func:`read_ward_constituencies`, in order.
COLUMNS = (
    "ward_code",
    "ward_name",
    "constituency_code",
    "constituency_name",
    "la_code",
    "la_name",
)


def _split_wards(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Ward code -> its constituency codes, for every ward on more than one row."""
    repeated = frame[frame["ward_code"].duplicated(keep=False)]
    return {
        str(ward): sorted(set(rows["constituency_code"]))
        for ward, rows in repeated.groupby("ward_code", sort=True)
    }


def read_ward_constituencies(
    path: str | Path, *, la_code: str | None = None, keep_split: bool = False
) -> pd.DataFrame:
    r"""Read an ONS ward to Westminster constituency to local authority lookup.

    Parameters
    ----------
    path : str or Path
        CSV lookup as downloaded from the Open Geography Portal (any vintage).
    la_code : str, optional
        Keep only this local authority's wards (e.g. ``"E08000009"``), before the one row per
        ward check, so that a ward split elsewhere in the UK does not stop one authority.
    keep_split : bool, default False
        Keep every row of a ward that constituency boundaries split (one row per
        constituency it touches) instead of refusing the file. Such a ward's figures must
        then be labelled as split, never summed into each of its constituencies.

    Returns
    -------
    pandas.DataFrame
        One row per ward (per ward and constituency with ``keep_split``), file order:
        ``ward_code`` (E05/W05/S13/N08), ``ward_name``, ``constituency_code``
        (E14/W07/S14/N05), ``constituency_name``, ``la_code``, ``la_name``.

        ``attrs``: ``vintages`` (e.g. ``{"ward": "2024", "constituency": "2024", "la":
        "2024"}``), ``split_wards`` (ward code -> its constituency codes; empty unless
        ``keep_split``), ``duplicate_rows_dropped`` (rows repeated exactly),
        ``source_file``, ``notes``.

    Raises
    ------
    IngestError
        A column no ONS lookup family knows, or a lookup without the ward, constituency and
        LA code and name columns (or with other areas: this is not a ward to constituency
        lookup); a code of the wrong kind; a blank name; an ``la_code`` with no ward in the
        file; a ward on more than one row (split between constituencies, or between
        authorities) without ``keep_split``.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "WD24_PCON24_LAD24_UTLA24_UK_LU.csv"
    >>> _ = path.write_text(
    ...     "WD24CD,WD24NM,PCON24CD,PCON24NM,LAD24CD,LAD24NM,ObjectId\n"
    ...     "E05015247,Altrincham,E14001065,Altrincham and Sale West,E08000009,Trafford,1\n"
    ... )
    >>> lookup = read_ward_constituencies(path)
    >>> lookup.loc[0, "constituency_name"], lookup.attrs["vintages"]["constituency"]
    ('Altrincham and Sale West', '2024')
    """
    path = Path(path)
    frame = read_lookup(path)
    read = frame.attrs
    missing = [c for c in COLUMNS if c not in frame.columns]
    others = [c for c in frame.columns if c not in COLUMNS]
    if missing or others:
        raise IngestError(
            f"{SOURCE}: {path.name} is not a ward to Westminster constituency lookup: it "
            f"lacks {missing or 'nothing'} and has other areas {others or 'none'} (as read: "
            f"{read['release']}). Expected WDyyCD, WDyyNM, PCONyyCD, PCONyyNM, LADyyCD, "
            "LADyyNM, e.g. ONS's 'Ward to Westminster Parliamentary Constituency to LAD to "
            "UTLA (July 2024) Lookup in UK'."
        )
    notes = (
        f"ONS ward to Westminster constituency lookup, wards {read['vintages']['ward']}, "
        f"constituencies {read['vintages']['constituency']}."
    )
    if la_code is not None:
        if not re.fullmatch(r"[ENSW]\d{8}", la_code) or la_code[:3] not in CODE_PREFIXES["la"]:
            raise IngestError(
                f"{SOURCE}: la_code={la_code!r} is not a local authority district code such as "
                "'E08000009'."
            )
        here = frame["la_code"] == la_code
        if not here.any():
            raise IngestError(
                f"{SOURCE}: {path.name} has no ward of {la_code}; it holds "
                f"{frame['la_code'].nunique()} other authorities (e.g. "
                f"{sorted(frame['la_code'].unique())[:3]}). Is it the lookup of the ward "
                "vintage being built?"
            )
        frame = frame[here]
        notes += f" Kept the {int(here.sum())} row(s) of {la_code}."
    split = _split_wards(frame)
    if split and not keep_split:
        named = "; ".join(f"{ward} in {codes}" for ward, codes in list(split.items())[:5])
        raise IngestError(
            f"{SOURCE}: {path.name}: {len(split)} ward(s) appear on more than one row ({named}"
            f"{' ...' if len(split) > 5 else ''}). ONS lists a ward that constituency "
            "boundaries split once per constituency (and a ward split between authorities "
            "once per authority), without shares, so its premises and people would be counted "
            "in each. Read it with keep_split=True and label those wards as split, or use a "
            "best-fit lookup."
        )
    if split:
        notes += (
            f" {len(split)} ward(s) split between constituencies kept on one row per "
            "constituency: label them, never sum them into each constituency."
        )
    out = frame[list(COLUMNS)].reset_index(drop=True)
    out.attrs = {
        "vintages": {level: read["vintages"][level] for level in ("ward", "constituency", "la")},
        "split_wards": split,
        "duplicate_rows_dropped": read["duplicate_rows_dropped"],
        "source_file": path.name,
        "notes": notes,
    }
    return out
