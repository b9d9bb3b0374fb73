"""Ofcom Connected Nations mobile coverage by local authority and by Westminster constituency.

Source
------
Ofcom, *Connected Nations* open data, mobile coverage: the local-authority file
``202507_mobile_coverage_laua_r01.csv`` and the Westminster constituency file
``202507_mobile_coverage_pcon_r01.csv``, both inside ``202507_mobile_coverage_r01.zip`` (data
as at July 2025, release r01), from the "data downloads" page of Ofcom's Connected Nations
2025 report (ofcom.org.uk: Phones and broadband > Coverage and speeds > Connected Nations).
Licence: Open Government Licence v3.0. Attribution: "Source: Ofcom Connected Nations 2025.
Contains public sector information licensed under the Open Government Licence v3.0."

One row per area, 161 columns: two area columns (local authority: LAD code ``laua`` and
``laua_name``; constituency: ``parl_const`` and ``parl_const_name``), then the denominators
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

Both files are read by one code path (:func:`read_mobile_la`, :func:`read_mobile_constituency`)
through the same header map, differing only in the area columns (:class:`AreaLevel`). The LA
header is verbatim from the real file (``../shared/data``). For the constituency file, its name
(``<yyyymm>_mobile_coverage_pcon_r01.csv``, for 202409, 202507 and 202601) and its area columns
``parl_const``/``parl_const_name`` (with ``prem_count`` and the ``{tech}_prem_out_N``,
``_prem_in_N``, ``_geo_out_N`` families) are confirmed by public code reading it; that its other
159 columns are exactly the LA file's is an **assumption**: a file that differs is refused,
naming the columns it lacks and those it has besides.

These are **local-authority** or **constituency** figures: Ofcom publishes no mobile coverage
below them in open data (its not-spot postcode lists, :mod:`ingest.sources.ofcom_notspots`,
aside), so never spread them over wards as if measured there.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from ingest.sources.ofcom_fixed import LA_CODE_PATTERN

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


@dataclass(frozen=True)
class AreaLevel:
    """The kind of area a mobile coverage file has one row for.

    Attributes
    ----------
    label : str
        What the area is, in words (for messages).
    code, name : str
        Our names of its code and name columns.
    code_pattern : str
        Regular expression a code must match in full.
    expected : str
        A good code, in words (for messages).
    """

    label: str
    code: str
    name: str
    code_pattern: str
    expected: str


#: Local authority districts (Ofcom's ``laua``, ``laua_name``).
LA = AreaLevel(
    "local authority",
    "la_code",
    "la_name",
    LA_CODE_PATTERN,
    "a 9-character ONS local authority code such as 'E08000009' (E06, E07, E08, E09, W06, S12 "
    "or N09, then 6 digits)",
)
#: Westminster parliamentary constituencies (Ofcom's ``parl_const``, ``parl_const_name``).
CONSTITUENCY = AreaLevel(
    "constituency",
    "constituency_code",
    "constituency_name",
    r"(?:E14|W07|S14|N05)\d{6}",
    "a 9-character ONS Westminster constituency code such as 'E14001065' (E14, W07, S14 or "
    "N05, then 6 digits)",
)


def _release_202507(area: dict[str, str | None], notes: str) -> Release:
    columns: dict[str, str | None] = dict(area)
    columns.update(DENOMINATORS_202507)
    for tech, measure, place, top in FAMILIES_202507:
        for n in range(top + 1):
            header = f"{family_header(tech, measure, place)}_{n}"
            columns[header] = percent_column(tech, measure, place, n)
    return Release(
        name="202507",
        columns=columns,
        notes=notes
        + " Blank cells inside a family with values read as 0 %; a family blank in every "
        "column (e.g. motorways in an area without one) is not applicable and left NaN. 2G "
        "stops at 3 operators; 5G is outdoor only; 3G '_4' columns are blank (3G switch-off).",
    )


#: The July 2025 layout (``202507_mobile_coverage_laua_r01.csv``).
RELEASE_202507 = _release_202507(
    {"laua": "la_code", "laua_name": "la_name"},
    "Connected Nations July 2025 mobile LA file (r01), 161 columns.",
)
#: The July 2025 constituency file (``202507_mobile_coverage_pcon_r01.csv``): the LA layout
#: with the constituency's area columns (assumed; see the module docstring).
PCON_RELEASE_202507 = _release_202507(
    {"parl_const": "constituency_code", "parl_const_name": "constituency_name"},
    "Connected Nations July 2025 mobile file by Westminster constituency (r01): area columns "
    "parl_const, parl_const_name as public code reading the file names them; the other 159 "
    "columns assumed to be the LA file's.",
)

#: Every known layout of the LA file, oldest first; add a new release's map here when Ofcom
#: renames columns.
LA_RELEASES: tuple[Release, ...] = (RELEASE_202507,)
#: Every known layout of the constituency file, oldest first.
PCON_RELEASES: tuple[Release, ...] = (PCON_RELEASE_202507,)

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

    Examples
    --------
    >>> la = read_mobile_la("202507_mobile_coverage_laua_r01.csv")  # doctest: +SKIP
    >>> la.set_index("la_code").loc["E08000009", "pct_premises_4g_indoor_0_operators"]
    ... # doctest: +SKIP
    0.0
    """
    return _read_mobile(Path(path), LA_RELEASES, LA)


def read_mobile_constituency(path: str | Path) -> pd.DataFrame:
    """Read Ofcom's mobile coverage by Westminster parliamentary constituency file.

    Parameters
    ----------
    path : str or Path
        ``202507_mobile_coverage_pcon_r01.csv`` (or an extract of it with the same header):
        the LA file's layout with ``parl_const``, ``parl_const_name`` instead of ``laua``,
        ``laua_name`` (see the module docstring for what is assumed).

    Returns
    -------
    pandas.DataFrame
        One row per constituency: ``constituency_code`` (E14/W07/S14/N05),
        ``constituency_name``, then the same denominator and percentage columns as
        :func:`read_mobile_la`, for the constituency. ``attrs``: ``release`` ("202507"),
        ``source_file``, ``notes``.

    Raises
    ------
    IngestError
        As :func:`read_mobile_la`, for constituency codes.

    Examples
    --------
    >>> pcon = read_mobile_constituency("202507_mobile_coverage_pcon_r01.csv")  # doctest: +SKIP
    >>> pcon.set_index("constituency_code").loc["E14001065", "premises"]  # doctest: +SKIP
    """
    return _read_mobile(Path(path), PCON_RELEASES, CONSTITUENCY)


def _read_mobile(path: Path, releases: tuple[Release, ...], level: AreaLevel) -> pd.DataFrame:
    """Read a mobile coverage file with one row per area of ``level``."""
    raw = read_csv_file(path, source=SOURCE)
    release = match_release(raw.columns, releases, path=path, source=SOURCE)
    if raw.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no rows.")
    frame = apply_release(raw, release)
    header_of = {canonical: header for header, canonical in release.columns.items() if canonical}

    frame[level.code] = frame[level.code].str.strip()
    frame[level.name] = frame[level.name].str.strip()
    bad_code = ~frame[level.code].str.fullmatch(level.code_pattern)
    if bad_code.any():
        position = int(np.flatnonzero(bad_code.to_numpy())[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, column {header_of[level.code]!r}, line "
            f"{frame.attrs['first_line'] + position}: found {frame[level.code].iloc[position]!r}; "
            f"expected {level.expected}."
        )
    require_unique(frame, level.code, path=path, source=SOURCE)

    parts: list[pd.DataFrame] = [frame[[level.code, level.name]]]
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
        _check_family_sums(
            values, applicable, frame, path, family_header(tech, measure, place), level
        )
        parts.append(values)

    out = pd.concat(parts, axis=1)
    out.attrs = {"release": release.name, "source_file": path.name, "notes": release.notes}
    return out


def _check_family_sums(
    values: pd.DataFrame,
    applicable: pd.Series,
    frame: pd.DataFrame,
    path: Path,
    family: str,
    level: AreaLevel,
) -> None:
    """Raise when a non-blank family does not add up to 100 ± the tolerance."""
    totals = values.sum(axis=1)
    bad = applicable & ((totals - 100.0).abs() > FAMILY_SUM_TOLERANCE)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, line {frame.attrs['first_line'] + position}, "
            f"{level.label} {frame[level.code].iloc[position]} "
            f"({frame[level.name].iloc[position]}): family '{family}_*' sums to "
            f"{totals.iloc[position]:.2f}; the shares covered by exactly 0..N operators must "
            f"add up to 100 ± {FAMILY_SUM_TOLERANCE}. Check that no column of the family was "
            f"edited or shifted. {int(bad.sum())} area(s) fail this family."
        )
