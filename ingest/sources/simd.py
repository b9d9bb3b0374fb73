"""Scottish Index of Multiple Deprivation 2020 version 2 (SIMD 2020v2), by data zone 2011.

Where the data comes from
-------------------------
- Publisher: Scottish Government, gov.scot "Scottish Index of Multiple Deprivation 2020"
  (published 28 January 2020); version 2 (2020) corrected the income and employment domains.
- Licence: Open Government Licence v3.0.
- Geography: 6,976 data zones of **2011** (``S01`` codes), each with its intermediate zone and
  council area *names* (no codes). Data zones are Scotland's counterpart of LSOAs (500-1,000
  residents); Scotland has no LSOAs.
- Files read: the two publisher workbooks saved as CSV, "SIMD 2020v2 ranks"
  (``SIMD+2020v2+-+ranks.csv``) and "SIMD 2020v2 indicators" (``SIMD+2020v2+-+indicators.csv``).

Quirks handled
--------------
- The ranks file mixes header prefixes: ``SIMD2020v2_Rank``, ``SIMD2020v2_Income_Domain_Rank``
  but ``SIMD2020_Employment_Domain_Rank`` and so on. Each header is mapped by name.
- Domain ranks give tied data zones their mean rank, so they can end in ``.5`` (e.g.
  ``5955.5``); they are floats. The overall SIMD rank is a whole number, each used once.
- Three Glasgow data zones have no residents (population 0) and are still ranked.
- The indicators file writes some rates with a ``%`` sign (``13%``) and others as plain numbers;
  ``*`` marks a suppressed or unavailable value and becomes NaN; ``1,656`` has a thousands
  separator. The income and employment rates are whole percentages.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ingest._tables import (
    Release,
    raise_bad_cells,
    read_release_csv,
    require_unique,
    to_number,
)

SOURCE = "simd"
#: Raise for bad cells of a column, naming the file, header, line and value.
_bad = partial(raise_bad_cells, source=SOURCE)
N_DATA_ZONES = 6_976
DATA_ZONE_VINTAGE = 2011

_AREAS = {
    "Data_Zone": "data_zone_code",
    "Intermediate_Zone": "intermediate_zone",
    "Council_area": "council_area",
    "Total_population": "population_total",
    "Working_age_population": "population_working_age",
}

RANKS = Release(
    "SIMD 2020v2 ranks",
    {
        **_AREAS,
        "SIMD2020v2_Rank": "simd_rank",
        "SIMD2020v2_Income_Domain_Rank": "income_rank",
        "SIMD2020_Employment_Domain_Rank": "employment_rank",
        "SIMD2020_Health_Domain_Rank": "health_rank",
        "SIMD2020_Education_Domain_Rank": "education_rank",
        "SIMD2020_Access_Domain_Rank": "access_rank",
        "SIMD2020_Crime_Domain_Rank": "crime_rank",
        "SIMD2020_Housing_Domain_Rank": "housing_rank",
    },
    "SIMD 2020v2 ranks of 6,976 data zones (2011), 1 = most deprived; domain ranks give ties "
    "their mean rank (x.5).",
)

INDICATORS = Release(
    "SIMD 2020v2 indicators",
    {
        **_AREAS,
        "Income_rate": "income_deprived_pct",
        "Income_count": "income_deprived_count",
        "Employment_rate": "employment_deprived_pct",
        "Employment_count": "employment_deprived_count",
        # Health, education and crime detail: known, not used here.
        "CIF": None,
        "ALCOHOL": None,
        "DRUG": None,
        "SMR": None,
        "DEPRESS": None,
        "LBWT": None,
        "EMERG": None,
        "Attendance": None,
        "Attainment": None,
        "no_qualifications": None,
        "not_participating": None,
        "University": None,
        # Access domain: mean travel times in minutes.
        "drive_petrol": "drive_petrol_station_minutes",
        "drive_GP": "drive_gp_minutes",
        "drive_post": "drive_post_office_minutes",
        "drive_primary": "drive_primary_school_minutes",
        "drive_retail": "drive_retail_centre_minutes",
        "drive_secondary": "drive_secondary_school_minutes",
        "PT_GP": "public_transport_gp_minutes",
        "PT_post": "public_transport_post_office_minutes",
        "PT_retail": "public_transport_retail_centre_minutes",
        "Broadband": "pct_premises_without_superfast",
        "crime_count": "crime_count",
        "crime_rate": "crime_rate_per_10000",
        "overcrowded_count": "overcrowded_people_count",
        "nocentralheat_count": "no_central_heating_people_count",
        "overcrowded_rate": "overcrowded_pct",
        "nocentralheat_rate": "no_central_heating_pct",
    },
    "SIMD 2020v2 indicators of 6,976 data zones (2011). '*' (suppressed or not available) is "
    "NaN. income/employment_deprived_pct are whole percentages of the population / working-age "
    "population; pct_premises_without_superfast is the SIMD access-domain indicator: % of "
    "premises without superfast broadband (30 Mbit/s or more).",
)

RELEASES: tuple[Release, ...] = (RANKS, INDICATORS)

_Kind = Literal["count", "percent", "float"]

_INDICATOR_KINDS: dict[str, _Kind] = {
    "income_deprived_pct": "percent",
    "income_deprived_count": "count",
    "employment_deprived_pct": "percent",
    "employment_deprived_count": "count",
    "pct_premises_without_superfast": "percent",
    "crime_count": "count",
    "crime_rate_per_10000": "float",
    "overcrowded_people_count": "count",
    "no_central_heating_people_count": "count",
    "overcrowded_pct": "percent",
    "no_central_heating_pct": "percent",
}

_DECILE_NOTES = (
    "simd_decile is derived here from the published overall rank: ceil(10 x rank / 6,976), "
    "1 = most deprived 10% of Scotland's data zones (the rule MHCLG's published deciles follow; "
    "not checked against the Scottish Government's own decile lookup)."
)


def read_simd(path: str | Path) -> pd.DataFrame:
    """Read the SIMD 2020v2 ranks file or indicators file, recognised by its header row.

    Parameters
    ----------
    path : str or Path
        ``SIMD+2020v2+-+ranks.csv`` or ``SIMD+2020v2+-+indicators.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per data zone (2011): ``data_zone_code``, ``intermediate_zone`` and
        ``council_area`` (names), ``population_total`` and ``population_working_age``
        (persons). Then, from the ranks file: ``simd_rank`` (int, 1 = most deprived of
        6,976), ``simd_decile`` (int, derived, 1 = most deprived 10%) and domain ranks
        (float, ties at x.5) ``income_rank``, ``employment_rank``, ``health_rank``,
        ``education_rank``, ``access_rank``, ``crime_rank``, ``housing_rank``. From the
        indicators file: ``pct_premises_without_superfast`` (%), ``income_deprived_pct``,
        ``income_deprived_count``, ``employment_deprived_pct``, ``employment_deprived_count``,
        ``drive_*_minutes`` and ``public_transport_*_minutes`` (mean travel times to a GP, post
        office, retail centre, ...), ``crime_count``, ``crime_rate_per_10000``,
        ``overcrowded_people_count``, ``overcrowded_pct``, ``no_central_heating_people_count``,
        ``no_central_heating_pct``; suppressed values are NaN. ``attrs``: ``release``,
        ``source_file``, ``lsoa_vintage`` (2011, the data-zone vintage), ``area_type``
        (``"data zone"``), ``notes``.

    Raises
    ------
    IngestError
        Unknown header set, a code that is not ``S01`` and 6 digits, a code on two rows, a rank
        outside 1..6,976 (or, for the overall rank, not whole), a bad count or percentage.

    Examples
    --------
    >>> ranks = read_simd("SIMD+2020v2+-+ranks.csv")  # doctest: +SKIP
    >>> ranks.groupby("council_area")["simd_decile"].median()  # doctest: +SKIP
    """
    path = Path(path)
    frame, release, publisher = read_release_csv(path, RELEASES, source=SOURCE)

    out = pd.DataFrame(index=frame.index)
    for column in ("data_zone_code", "intermediate_zone", "council_area"):
        out[column] = frame[column].str.strip()
    bad = ~out["data_zone_code"].str.fullmatch(r"S01\d{6}")
    if bad.any():
        _bad(frame, bad, "data_zone_code", publisher, path, "a data zone code: 'S01' and 6 digits")
    for column in ("population_total", "population_working_age"):
        out[column] = _number(frame, column, publisher, path, kind="count")

    notes = release.notes
    if release is RANKS:
        rank = _number(frame, "simd_rank", publisher, path, kind="count")
        _check_rank(frame, rank, "simd_rank", publisher, path)
        out["simd_rank"] = rank
        out["simd_decile"] = np.ceil(rank * 10 / N_DATA_ZONES).astype("int64")
        for column in frame.columns[frame.columns.str.endswith("_rank")].drop("simd_rank"):
            values = _number(frame, column, publisher, path, kind="float")
            half = (values * 2) % 1 != 0
            if half.any():
                _bad(frame, half, column, publisher, path, "a rank in whole or half steps")
            _check_rank(frame, values, column, publisher, path)
            out[column] = values
        notes = f"{notes} {_DECILE_NOTES}"
    else:
        for column in frame.columns.drop(list(out.columns)):
            kind = _INDICATOR_KINDS.get(column, "float")
            out[column] = _number(frame, column, publisher, path, kind=kind, suppressed="*")
            if kind == "float" and (out[column] < 0).any():
                _bad(frame, out[column] < 0, column, publisher, path, "a value of 0 or more")

    require_unique(out, "data_zone_code", path=path, source=SOURCE)
    out.attrs = {
        "release": release.name,
        "source_file": path.name,
        "lsoa_vintage": DATA_ZONE_VINTAGE,
        "area_type": "data zone",
        "notes": f"{notes} {len(out):,} of {N_DATA_ZONES:,} data zones in this file.",
    }
    return out


def _number(
    frame: pd.DataFrame,
    column: str,
    publisher: dict[str, str],
    path: Path,
    *,
    kind: _Kind,
    suppressed: str | None = None,
) -> pd.Series:
    """Convert one column; cells equal to ``suppressed`` become NaN, blank cells stay errors."""
    if suppressed is None:
        return to_number(
            frame, column, path=path, source=SOURCE, kind=kind, header=publisher[column]
        )
    cells = frame[column].str.strip()
    blank = cells == ""
    if blank.any():
        _bad(frame, blank, column, publisher, path, f"a number or {suppressed!r}")
    masked = frame.assign(**{column: cells.where(cells != suppressed, "")})
    return to_number(
        masked, column, path=path, source=SOURCE, kind=kind, blank="nan", header=publisher[column]
    )


def _check_rank(
    frame: pd.DataFrame, values: pd.Series, column: str, publisher: dict[str, str], path: Path
) -> None:
    """Raise when a rank lies outside 1..6,976."""
    bad = (values < 1) | (values > N_DATA_ZONES)
    if bad.any():
        _bad(
            frame,
            bad,
            column,
            publisher,
            path,
            f"a rank from 1 (most deprived) to {N_DATA_ZONES:,}, the number of data zones",
        )
