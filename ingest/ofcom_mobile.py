"""Ofcom Connected Nations mobile coverage by local authority.

Source
------
Ofcom, *Connected Nations* open data, mobile coverage: the local-authority file
``202507_mobile_coverage_laua_r01.csv`` inside ``202507_mobile_coverage_r01.zip`` (data as at
July 2025, release r01), from the "data downloads" page of Ofcom's Connected Nations 2025
report (ofcom.org.uk: Phones and broadband > Coverage and speeds > Connected Nations).
Licence: Open Government Licence v3.0. Attribution: "Source: Ofcom Connected Nations 2025.
Contains public sector information licensed under the Open Government Licence v3.0."

One row per local authority (LAD code in ``laua``), 161 columns: the denominators
(``prem_count`` premises, ``pixel_count`` landmass pixels, ``ab_rd_count``, ``mway_count``,
``mway_ard_count`` road segments) and families of percentages ``{tech}_{measure}_{in|out}_{N}``
= share of the denominator with indoor/outdoor coverage from **exactly N** of the four mobile
network operators (EE, VMO2, Three, Vodafone). 2G families stop at N = 3; 5G families are
outdoor only.

What the reader does
--------------------
- headers are matched by name against :data:`RELEASE_202507`, built from explicit vocabularies
  (:data:`TECHS`, :data:`MEASURES`, :data:`FAMILIES_202507`); an unknown or renamed header is an
  :class:`~ingest._errors.IngestError`;
- inside a family that has any value a blank cell means 0 % (Ofcom leaves zeros blank); a family
  blank in every column means "not applicable" (e.g. motorway families of an LA with no
  motorway) and stays NaN;
- each non-blank family must sum to 100 ± :data:`FAMILY_SUM_TOLERANCE`, else the file is refused
  with the LA code and the family named.

These are **local-authority** figures: Ofcom publishes no mobile coverage below LA level in open
data, so never spread them over wards as if measured there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ingest._errors import IngestError
from ingest._tables import (
    Release,
    apply_release,
    match_release,
    read_csv_file,
    require_unique,
    to_number,
)
from ingest.ofcom_fixed import LA_CODE_PATTERN

SOURCE = "ofcom_mobile"

#: Ofcom technology label -> our label.
TECHS: dict[str, str] = {
    "2G": "2g",
    "3G": "3g",
    "4G": "4g",
    "Voice": "voice",
    "5G_high_confidence": "5g_high_confidence",
    "5G_very_high_confidence": "5g_very_high_confidence",
    "5G_SA_high_confidence": "5g_sa_high_confidence",
    "5G_SA_very_high_confidence": "5g_sa_very_high_confidence",
}

#: Ofcom measure label -> what the percentage is a share of.
MEASURES: dict[str, str] = {
    "prem": "premises",
    "geo": "landmass",
    "abrd": "ab_roads",
    "mway": "motorways",
    "mway_ard": "a_roads_motorways",
}

#: Ofcom ``in``/``out`` -> our label.
PLACES: dict[str, str] = {"in": "indoor", "out": "outdoor"}

#: Denominator columns of the 202507 file -> canonical names.
DENOMINATORS_202507: dict[str, str] = {
    "prem_count": "premises",
    "pixel_count": "landmass_pixels",
    "ab_rd_count": "ab_road_segments",
    "mway_count": "motorway_segments",
    "mway_ard_count": "a_road_motorway_segments",
}

#: Denominators that are blank where the LA has no such road (-> NaN); the others must be filled.
OPTIONAL_DENOMINATORS = frozenset(
    {"ab_road_segments", "motorway_segments", "a_road_motorway_segments"}
)

_CLASSIC_FAMILIES = (
    ("prem", "out"),
    ("prem", "in"),
    ("geo", "out"),
    ("abrd", "in"),
    ("mway", "in"),
    ("mway_ard", "in"),
)
_FIVE_G_FAMILIES = (("prem", "out"), ("geo", "out"))

#: Families of the 202507 file, in file order: (tech, measure, in|out, highest N).
FAMILIES_202507: tuple[tuple[str, str, str, int], ...] = tuple(
    (tech, measure, place, 3 if tech == "2G" else 4)
    for tech in TECHS
    for measure, place in (_FIVE_G_FAMILIES if tech.startswith("5G") else _CLASSIC_FAMILIES)
)

#: A family of "exactly N operators" shares must add up to 100 % within this many points
#: (Ofcom rounds each share to 2 dp).
FAMILY_SUM_TOLERANCE = 0.1


def family_header(tech: str, measure: str, place: str) -> str:
    """Return Ofcom's header stem of a family, e.g. ``"4G_prem_in"``."""
    return f"{tech}_{measure}_{place}"


def percent_column(tech: str, measure: str, place: str, operators: int) -> str:
    """Return our name for one Ofcom percentage column.

    Parameters
    ----------
    tech, measure, place : str
        Ofcom labels (keys of :data:`TECHS`, :data:`MEASURES`, :data:`PLACES`).
    operators : int
        Number of operators N.

    Returns
    -------
    str
        e.g. ``percent_column("4G", "prem", "in", 0) == "pct_premises_4g_indoor_0_operators"``.
    """
    return f"pct_{MEASURES[measure]}_{TECHS[tech]}_{PLACES[place]}_{operators}_operators"


def _release_202507() -> Release:
    columns: dict[str, str | None] = {"laua": "la_code", "laua_name": "la_name"}
    columns.update(DENOMINATORS_202507)
    for tech, measure, place, top in FAMILIES_202507:
        for n in range(top + 1):
            header = f"{family_header(tech, measure, place)}_{n}"
            columns[header] = percent_column(tech, measure, place, n)
    return Release(
        name="202507",
        columns=columns,
        notes=(
            "Connected Nations July 2025 mobile LA file (r01), 161 columns. Blank cells inside a "
            "family with values read as 0 %; a family blank in every column (e.g. motorways in "
            "an LA without one) is not applicable and left NaN. 2G stops at 3 operators; 5G is "
            "outdoor only; 3G '_4' columns are blank (3G switch-off)."
        ),
    )


#: The July 2025 layout (``202507_mobile_coverage_laua_r01.csv``).
RELEASE_202507 = _release_202507()

#: Every known layout of the LA file, oldest first; add a new release's map here when Ofcom
#: renames columns.
LA_RELEASES: tuple[Release, ...] = (RELEASE_202507,)

_FAMILIES: dict[str, tuple[tuple[str, str, str, int], ...]] = {"202507": FAMILIES_202507}


def read_mobile_la(path: str | Path) -> pd.DataFrame:
    """Read Ofcom's mobile coverage by local authority file.

    Parameters
    ----------
    path : str or Path
        ``202507_mobile_coverage_laua_r01.csv`` (or an extract of it with the same header).

    Returns
    -------
    pandas.DataFrame
        One row per local authority (LAD code), columns:

        - ``la_code``, ``la_name``;
        - ``premises`` (count), ``landmass_pixels`` (count of Ofcom's landmass pixels);
        - ``ab_road_segments``, ``motorway_segments``, ``a_road_motorway_segments`` (counts of
          road segments; NaN where the LA has no such road);
        - ``pct_{measure}_{tech}_{indoor|outdoor}_{N}_operators``: percentage (0-100) of the
          measure's denominator covered by exactly N operators, e.g.
          ``pct_premises_4g_indoor_0_operators`` = % of premises with no indoor 4G. NaN where
          the whole family is blank (not applicable).

        ``attrs``: ``release`` ("202507"), ``source_file`` (file name), ``notes``.

    Raises
    ------
    IngestError
        Unknown or renamed header, a code that is not a local authority's (an LSOA or ward code
        is refused), a non-numeric or out-of-range cell, a repeated LA code, or a family whose
        shares do not add up to 100 ± 0.1.

    Example
    -------
    >>> la = read_mobile_la("202507_mobile_coverage_laua_r01.csv")  # doctest: +SKIP
    >>> la.set_index("la_code").loc["E08000009", "pct_premises_4g_indoor_0_operators"]
    ... # doctest: +SKIP
    0.0
    """
    path = Path(path)
    raw = read_csv_file(path, source=SOURCE)
    release = match_release(raw.columns, LA_RELEASES, path=path, source=SOURCE)
    if raw.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no rows.")
    frame = apply_release(raw, release)
    header_of = {canonical: header for header, canonical in release.columns.items() if canonical}

    frame["la_code"] = frame["la_code"].str.strip()
    frame["la_name"] = frame["la_name"].str.strip()
    bad_code = ~frame["la_code"].str.fullmatch(LA_CODE_PATTERN)
    if bad_code.any():
        position = int(np.flatnonzero(bad_code.to_numpy())[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, column 'laua', line {frame.attrs['first_line'] + position}: "
            f"found {frame['la_code'].iloc[position]!r}; expected a 9-character ONS local "
            "authority code such as 'E08000009' (E06, E07, E08, E09, W06, S12 or N09, then 6 "
            "digits)."
        )
    require_unique(frame, "la_code", path=path, source=SOURCE)

    parts: list[pd.DataFrame] = [frame[["la_code", "la_name"]]]
    parts.append(
        pd.DataFrame(
            {
                canonical: to_number(
                    frame,
                    canonical,
                    path=path,
                    source=SOURCE,
                    kind="count",
                    blank="nan" if canonical in OPTIONAL_DENOMINATORS else "error",
                    header=header_of[canonical],
                )
                for canonical in DENOMINATORS_202507.values()
            }
        )
    )
    for tech, measure, place, top in _FAMILIES[release.name]:
        columns = [percent_column(tech, measure, place, n) for n in range(top + 1)]
        values = pd.DataFrame(
            {
                column: to_number(
                    frame,
                    column,
                    path=path,
                    source=SOURCE,
                    kind="percent",
                    blank="nan",
                    header=header_of[column],
                )
                for column in columns
            }
        )
        applicable = values.notna().any(axis=1)
        values.loc[applicable] = values.loc[applicable].fillna(0.0)
        _check_family_sums(values, applicable, frame, path, family_header(tech, measure, place))
        parts.append(values)

    out = pd.concat(parts, axis=1)
    out.attrs = {"release": release.name, "source_file": path.name, "notes": release.notes}
    return out


def _check_family_sums(
    values: pd.DataFrame, applicable: pd.Series, frame: pd.DataFrame, path: Path, family: str
) -> None:
    """Raise when a non-blank family does not add up to 100 ± the tolerance."""
    totals = values.sum(axis=1)
    bad = applicable & ((totals - 100.0).abs() > FAMILY_SUM_TOLERANCE)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, line {frame.attrs['first_line'] + position}, LA "
            f"{frame['la_code'].iloc[position]} ({frame['la_name'].iloc[position]}): family "
            f"'{family}_*' sums to {totals.iloc[position]:.2f}; the shares covered by exactly "
            f"0..N operators must add up to 100 ± {FAMILY_SUM_TOLERANCE}. Check that no column "
            f"of the family was edited or shifted. {int(bad.sum())} LA(s) fail this family."
        )
