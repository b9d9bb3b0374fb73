"""Census 2021 risk groups by output area or LSOA 2021: five Nomis bulk topic summaries.

Where the data comes from
-------------------------
- Publisher: Office for National Statistics, Census 2021 (21 March 2021) topic summaries,
  published on Nomis as one bulk zip per table (``census2021-tsNNN.zip`` on
  https://www.nomisweb.co.uk/sources/census_2021_bulk), one CSV per geography level inside
  (``census2021-tsNNN-oa.csv``, ``-lsoa.csv``, ``-msoa.csv``, ``-ltla.csv``, ...).
- Licence: Open Government Licence v3.0 ("Source: Office for National Statistics licensed
  under the Open Government Licence v3.0").
- Geography: output areas (188,880) or Lower-layer Super Output Areas (35,672) of **2021**,
  England (``E00``/``E01``) and Wales (``W00``/``W01``); both nations publish the same tables.
  Scotland's Census 2022 (Scotland's Census, National Records of Scotland) publishes
  different tables on its own 2022 output areas and 2011 data zones (no TS038 equivalent on
  2021 LSOAs, for one) and is not read here; nor is Northern Ireland's.

Tables read (:data:`TOPICS`), each with one count and its denominator (base):

- TS038 disability: residents disabled under the Equality Act, of all usual residents;
- TS067 highest level of qualification: residents with no qualifications, of residents 16+;
- TS029 proficiency in English: residents whose main language is not English (English or
  Welsh in Wales) who cannot speak English well or at all, of residents aged 3+;
- TS003 household composition: one-person households aged 66 and over, of all households;
- TS011 households by deprivation dimensions: households deprived in 2, 3 or 4 of the four
  dimensions (employment, education, health and disability, housing), of all households.

Layout (tidy, unlike the Nomis web download that :mod:`ingest.sources.census` reads): one header
``date,geography,geography code,<Topic>: <Category>,...`` and one row per area; ``date`` is
``2021``, ``geography`` the area's name, ``geography code`` its code. Some tables add
``; measures: Value`` to every category header (TS003 and TS011 do; TS029, TS038 and TS067
do not); headers are matched with that suffix stripped, so both forms read identically, and
``attrs["notes"]`` says which was seen. Every category column is mapped by name (the order of
columns is never used), and an unknown header is an error naming it.

Where each header was confirmed:

- TS038: the verbatim header of the real national LSOA file in ``../shared/data``
  (``census2021_ts038_disability/census2021-ts038-lsoa.csv``, a byte copy from
  ``shanwilkinson2/neighbourhood_info``, commit ``0ef879c``).
- TS067, TS029, TS003, TS011: ``DrPaulWilliamson/Census_2021_Topic_Summary_Tables``,
  ``Data/TS_Cell_Metadata.csv`` (commit ``4425721``), an inventory of every bulk topic
  summary's cells (``Cell_Label_ONS_Prefix`` + ``: `` + ``Cell_Label_ONS``, suffix included);
  the same headers, suffixes and category sets in a second public listing of the bulk files'
  columns and types (its repository not named by the search index), and the count and base
  headers of each table in several public scripts that read the ``-oa`` and ``-lsoa`` files.
  The TS038 headers of both listings agree with the real file.

Cells are perturbed by ONS disclosure control (targeted record swapping and cell key
perturbation), so small counts are the least reliable, and the same table at two levels need
not add up (OAs summed to an LSOA may differ from the LSOA file). Within one row, though,
every published table adds up exactly: categories sum to their subtotal and to the total on
every row of the five real national LSOA files checked (TS007A, TS037, TS038, TS039, TS040 of
``shanwilkinson2/neighbourhood_info``, 35,672 rows each), so the reader enforces each table's
sums exactly, and refuses a count above its base. OA files were not available to check; they
are built the same way and held to the same rule.

Codes are checked for their shape and level, not their vintage: the reader cannot know every
2021 code, so a 2011 code with a 2021 shape passes here and the build cross-checks every code
against its 2021 lookup. What the reader does refuse: ``date`` other than 2021, a Census 2011
layout (its ``Rural Urban`` column), and a national LSOA or OA file with the 2011 number of
areas (34,753 LSOAs, 181,408 OAs of England and Wales) or more areas than 2021 has.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ingest._errors import IngestError
from ingest._tables import (
    Release,
    match_release,
    read_csv_file,
    require_unique,
    to_number,
)
from ingest.sources import census

SOURCE = "census_topics"
AREA_VINTAGE = 2021
#: Suffix some Nomis bulk tables add to every category header.
MEASURES_SUFFIX = "; measures: Value"
#: Page listing every Nomis bulk download of Census 2021 (open it in a browser).
BULK_PAGE = "https://www.nomisweb.co.uk/sources/census_2021_bulk"
_BULK_ZIP = "https://www.nomisweb.co.uk/output/census/2021/census2021-{table}.zip"
#: The three columns every bulk file starts with, verbatim.
AREA_HEADERS = ("date", "geography", "geography code")

Level = Literal["oa", "lsoa"]
#: Areas of England and Wales in Census 2021, by level (the most a national file can hold).
AREAS_2021: dict[str, int] = {"oa": 188_880, "lsoa": 35_672}
#: The same levels of Census 2011: a national file of this size is on 2011 areas.
AREAS_2011: dict[str, int] = {"oa": 181_408, "lsoa": 34_753}
_LEVEL_OF_DIGITS: dict[str, Level] = {"00": "oa", "01": "lsoa"}
_LEVEL_NAMES = {"oa": "output areas", "lsoa": "LSOAs"}
#: Other levels of the bulk zips, by the digits after a code's nation letter.
_OTHER_LEVELS = {
    "02": "MSOA (the -msoa member)",
    "06": "local authority (the -ltla or -utla member)",
    "07": "local authority district (the -ltla member)",
    "08": "local authority (the -ltla or -utla member)",
    "09": "local authority (the -ltla or -utla member)",
    "10": "county (the -utla member)",
    "11": "metropolitan county",
    "12": "region (the -rgn member)",
    "92": "country (the -ctry member)",
    "04": "England and Wales (the -ctry member)",
}


@dataclass(frozen=True)
class Topic:
    """One Census 2021 topic summary read here: what it counts, of whom, and where it is.

    Attributes
    ----------
    table : str
        ONS table id, e.g. ``"TS038"``.
    role : str
        Role of its files in a build (:mod:`ingest.discover`), e.g. ``"census_disability"``.
    title : str
        ONS title of the table.
    count, base : str
        Names of the count column and of its denominator in :func:`read_census_topic`'s frame.
    count_label, base_label : str
        What the count and the base are, in a council officer's words.
    release : Release
        Publisher header (``; measures: Value`` stripped) -> canonical name, for every column.
    sums : tuple of (str, tuple of str)
        ``(total, parts)``: canonical columns whose parts add up exactly to the total.
    count_parts : tuple of str
        Canonical category columns summed into ``count`` (one column when it is published).
    """

    table: str
    role: str
    title: str
    count: str
    base: str
    count_label: str
    base_label: str
    release: Release
    sums: tuple[tuple[str, tuple[str, ...]], ...]
    count_parts: tuple[str, ...]

    @property
    def zip_url(self) -> str:
        """Address of the table's Nomis bulk zip."""
        return _BULK_ZIP.format(table=self.table.lower())

    @property
    def oa_member(self) -> str:
        """Name of the output-area CSV inside the zip."""
        return f"census2021-{self.table.lower()}-oa.csv"

    @property
    def lsoa_member(self) -> str:
        """Name of the LSOA CSV inside the zip."""
        return f"census2021-{self.table.lower()}-lsoa.csv"

    @property
    def prefix(self) -> str:
        """Topic prefix shared by the table's category headers, e.g. ``"Disability"``."""
        return next(h for h in self.release.columns if h not in AREA_HEADERS).split(":")[0]


def _release(table: str, prefix: str, categories: Mapping[str, str], notes: str) -> Release:
    """Release of one bulk table: the three area columns, then ``<prefix>: <category>``."""
    return Release(
        f"Census 2021 {table}",
        {
            "date": "date",
            "geography": "area_name",
            "geography code": "area_code",
            **{f"{prefix}: {category}": name for category, name in categories.items()},
        },
        notes,
    )


_TS038 = Topic(
    table="TS038",
    role="census_disability",
    title="Disability",
    count="residents_disabled",
    base="residents_disabled_base",
    count_label=(
        "residents disabled under the Equality Act (a long-term physical or mental health "
        "condition that limits their day-to-day activities a little or a lot)"
    ),
    base_label="all usual residents",
    release=_release(
        "TS038",
        "Disability",
        {
            "Total: All usual residents": "residents_disabled_base",
            "Disabled under the Equality Act": "residents_disabled",
            "Disabled under the Equality Act: Day-to-day activities limited a lot": (
                "disabled_limited_a_lot"
            ),
            "Disabled under the Equality Act: Day-to-day activities limited a little": (
                "disabled_limited_a_little"
            ),
            "Not disabled under the Equality Act": "not_disabled",
            "Not disabled under the Equality Act: Has long term physical or mental health "
            "condition but day-to-day activities are not limited": "not_disabled_not_limited",
            "Not disabled under the Equality Act: No long term physical or mental health "
            "conditions": "not_disabled_no_condition",
        },
        "TS038 'Disability', usual residents: disabled under the Equality Act means "
        "day-to-day activities limited a little or a lot by a long-term condition (counts, "
        "not age-standardised).",
    ),
    sums=(
        ("residents_disabled_base", ("residents_disabled", "not_disabled")),
        ("residents_disabled", ("disabled_limited_a_lot", "disabled_limited_a_little")),
        ("not_disabled", ("not_disabled_not_limited", "not_disabled_no_condition")),
    ),
    count_parts=("residents_disabled",),
)
_QUALIFICATIONS = {
    "No qualifications": "residents_no_qualifications",
    "Level 1 and entry level qualifications": "level_1",
    "Level 2 qualifications": "level_2",
    "Apprenticeship": "apprenticeship",
    "Level 3 qualifications": "level_3",
    "Level 4 qualifications and above": "level_4_plus",
    "Other qualifications": "other_qualifications",
}
_TS067 = Topic(
    table="TS067",
    role="census_qualifications",
    title="Highest level of qualification",
    count="residents_no_qualifications",
    base="residents_no_qualifications_base",
    count_label="residents aged 16 and over with no qualifications",
    base_label="all usual residents aged 16 and over",
    release=_release(
        "TS067",
        "Highest level of qualification",
        {
            "Total: All usual residents aged 16 years and over": (
                "residents_no_qualifications_base"
            ),
            **_QUALIFICATIONS,
        },
        "TS067 'Highest level of qualification', usual residents aged 16 and over.",
    ),
    sums=(("residents_no_qualifications_base", tuple(_QUALIFICATIONS.values())),),
    count_parts=("residents_no_qualifications",),
)
_NOT_ENGLISH = "Main language is not English (English or Welsh in Wales)"
_TS029 = Topic(
    table="TS029",
    role="census_english",
    title="Proficiency in English",
    count="residents_poor_english",
    base="residents_poor_english_base",
    count_label=(
        "residents aged 3 and over whose main language is not English (or Welsh, in Wales) "
        "and who cannot speak English well or at all"
    ),
    base_label="all usual residents aged 3 and over",
    release=_release(
        "TS029",
        "Proficiency in English language",
        {
            "Total: All usual residents aged 3 years and over": "residents_poor_english_base",
            "Main language is English (English or Welsh in Wales)": "main_language_english",
            _NOT_ENGLISH: "main_language_not_english",
            f"{_NOT_ENGLISH}: Can speak English very well": "speaks_english_very_well",
            f"{_NOT_ENGLISH}: Can speak English well": "speaks_english_well",
            f"{_NOT_ENGLISH}: Cannot speak English well": "cannot_speak_english_well",
            f"{_NOT_ENGLISH}: Cannot speak English": "cannot_speak_english",
        },
        "TS029 'Proficiency in English', usual residents aged 3 and over; residents_poor_"
        "english = 'Cannot speak English well' + 'Cannot speak English'.",
    ),
    sums=(
        ("residents_poor_english_base", ("main_language_english", "main_language_not_english")),
        (
            "main_language_not_english",
            (
                "speaks_english_very_well",
                "speaks_english_well",
                "cannot_speak_english_well",
                "cannot_speak_english",
            ),
        ),
    ),
    count_parts=("cannot_speak_english_well", "cannot_speak_english"),
)
_FAMILY = "Single family household"
_MARRIED = f"{_FAMILY}: Married or civil partnership couple"
_COHABITING = f"{_FAMILY}: Cohabiting couple family"
_LONE_PARENT = f"{_FAMILY}: Lone parent family"
_OTHER_FAMILY = f"{_FAMILY}: Other single family household"
_TS003 = Topic(
    table="TS003",
    role="census_households",
    title="Household composition",
    count="households_one_person_66_plus",
    base="households_one_person_66_plus_base",
    count_label="one-person households aged 66 and over (people of 66 or more living alone)",
    base_label="all households",
    release=_release(
        "TS003",
        "Household composition",
        {
            "Total": "households_one_person_66_plus_base",
            "One person household": "one_person",
            "One person household: Aged 66 years and over": "households_one_person_66_plus",
            "One person household: Other": "one_person_other",
            _FAMILY: "single_family",
            f"{_FAMILY}: All aged 66 years and over": "family_all_66_plus",
            _MARRIED: "married",
            f"{_MARRIED}: No children": "married_no_children",
            f"{_MARRIED}: Dependent children": "married_dependent_children",
            f"{_MARRIED}: All children non-dependent": "married_non_dependent_children",
            _COHABITING: "cohabiting",
            f"{_COHABITING}: No children": "cohabiting_no_children",
            f"{_COHABITING}: With dependent children": "cohabiting_dependent_children",
            f"{_COHABITING}: All children non-dependent": "cohabiting_non_dependent_children",
            _LONE_PARENT: "lone_parent",
            f"{_LONE_PARENT}: With dependent children": "lone_parent_dependent_children",
            f"{_LONE_PARENT}: All children non-dependent": "lone_parent_non_dependent_children",
            _OTHER_FAMILY: "other_family",
            f"{_OTHER_FAMILY}: Other family composition": "other_family_composition",
            "Other household types": "other_types",
            "Other household types: With dependent children": "other_dependent_children",
            "Other household types: Other, including all full-time students and all aged 66 "
            "years and over": "other_students_or_all_66_plus",
        },
        "TS003 'Household composition', households; one-person households aged 66 and over "
        "are people of 66 or more living alone (households of several people all aged 66+ "
        "are not counted).",
    ),
    sums=(
        ("households_one_person_66_plus_base", ("one_person", "single_family", "other_types")),
        ("one_person", ("households_one_person_66_plus", "one_person_other")),
        (
            "single_family",
            ("family_all_66_plus", "married", "cohabiting", "lone_parent", "other_family"),
        ),
        (
            "married",
            (
                "married_no_children",
                "married_dependent_children",
                "married_non_dependent_children",
            ),
        ),
        (
            "cohabiting",
            (
                "cohabiting_no_children",
                "cohabiting_dependent_children",
                "cohabiting_non_dependent_children",
            ),
        ),
        ("lone_parent", ("lone_parent_dependent_children", "lone_parent_non_dependent_children")),
        ("other_family", ("other_family_composition",)),
        ("other_types", ("other_dependent_children", "other_students_or_all_66_plus")),
    ),
    count_parts=("households_one_person_66_plus",),
)
_DIMENSIONS = {
    "Household is not deprived in any dimension": "deprived_0",
    "Household is deprived in one dimension": "deprived_1",
    "Household is deprived in two dimensions": "deprived_2",
    "Household is deprived in three dimensions": "deprived_3",
    "Household is deprived in four dimensions": "deprived_4",
}
_TS011 = Topic(
    table="TS011",
    role="census_household_deprivation",
    title="Households by deprivation dimensions",
    count="households_deprived_2_plus",
    base="households_deprived_2_plus_base",
    count_label=(
        "households deprived in two or more of the four dimensions (employment, education, "
        "health and disability, housing)"
    ),
    base_label="all households",
    release=_release(
        "TS011",
        "Household deprivation",
        {"Total: All households": "households_deprived_2_plus_base", **_DIMENSIONS},
        "TS011 'Households by deprivation dimensions', households; households_deprived_2_plus "
        "= deprived in two + three + four dimensions (ONS's four household dimensions, not the "
        "Indices of Deprivation).",
    ),
    sums=(("households_deprived_2_plus_base", tuple(_DIMENSIONS.values())),),
    count_parts=("deprived_2", "deprived_3", "deprived_4"),
)

#: The tables read, by ONS table id.
TOPICS: dict[str, Topic] = {t.table: t for t in (_TS038, _TS067, _TS029, _TS003, _TS011)}
#: Roles of their files in a build, in the order of :data:`TOPICS`.
ROLES: tuple[str, ...] = tuple(t.role for t in TOPICS.values())
#: Header map of every table read (headers without the ``; measures: Value`` suffix).
RELEASES: tuple[Release, ...] = tuple(t.release for t in TOPICS.values())

_AREA_CODE = re.compile(r"[EW]0[01]\d{6}")
_CODE_SHAPE = re.compile(r"(?P<nation>[A-Z])(?P<digits>\d\d)\d{6}")


def strip_suffix(header: str) -> str:
    """Return a bulk header without Nomis's ``; measures: Value`` suffix (and outer spaces).

    Examples
    --------
    >>> strip_suffix("Household composition: Total; measures: Value")
    'Household composition: Total'
    >>> strip_suffix("Disability: Total: All usual residents")
    'Disability: Total: All usual residents'
    """
    return header.strip().removesuffix(MEASURES_SUFFIX).strip()


def match_topic(headers: Iterable[str]) -> Topic | None:
    """Return the table whose header set ``headers`` is (suffix stripped, any order), or None.

    Parameters
    ----------
    headers : iterable of str
        A file's header row.

    Returns
    -------
    Topic or None
        The matching entry of :data:`TOPICS`.

    Examples
    --------
    >>> match_topic(TOPICS["TS011"].release.columns).table
    'TS011'
    >>> match_topic(["date", "geography", "geography code", "Age: Total"]) is None
    True
    """
    stripped = [strip_suffix(h) for h in headers]
    found = frozenset(stripped)
    if len(found) != len(stripped):
        return None
    return next((t for t in TOPICS.values() if t.release.headers == found), None)


def read_census_topic(path: str | Path) -> pd.DataFrame:
    """Read one Census 2021 topic summary of :data:`TOPICS` from its Nomis bulk CSV.

    Parameters
    ----------
    path : str or Path
        The ``census2021-tsNNN-oa.csv`` (output areas) or ``census2021-tsNNN-lsoa.csv``
        (LSOAs) member of a Nomis bulk zip of TS038, TS067, TS029, TS003 or TS011, national
        or cut to some areas, with or without ``; measures: Value`` after its category
        headers. The table is recognised from the header.

    Returns
    -------
    pandas.DataFrame
        One row per area, in file order: ``area_code`` (OA 2021 ``E00``/``W00`` or LSOA 2021
        ``E01``/``W01`` code), ``area_name``, then the table's count and base (int64; persons
        for TS038, TS067 and TS029, households for TS003 and TS011), e.g.
        ``residents_disabled`` and ``residents_disabled_base`` (see :data:`TOPICS`).
        ``attrs``: ``release`` (``"Census 2021 TS038"``), ``table`` (``"TS038"``), ``role``,
        ``level`` (``"oa"`` or ``"lsoa"``), ``area_vintage`` (2021), ``source_file``,
        ``notes`` (what the count and base are, the perturbation caveat, level, suffix seen).

    Raises
    ------
    IngestError
        Not a Nomis bulk table, or another table (naming the one found and those read);
        unknown or missing headers; no rows; ``date`` other than 2021 or a Census 2011
        layout; areas other than output areas or LSOAs (naming the member to use), of two
        levels, or a national file of the 2011 size; a count that is not a whole number of 0
        or more, a count above its base, or categories that do not add up exactly to their
        total (each naming column and line); an area code on two rows.

    Examples
    --------
    >>> frame = read_census_topic("census2021-ts038-lsoa.csv")  # doctest: +SKIP
    >>> frame.attrs["level"], list(frame.columns)  # doctest: +SKIP
    ('lsoa', ['area_code', 'area_name', 'residents_disabled', 'residents_disabled_base'])
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{SOURCE}: file not found: {path}")
    topic = _identify(_header_row(path), path)
    raw = read_csv_file(path, source=SOURCE)
    if raw.empty:
        raise IngestError(
            f"{SOURCE}: {path.name} has a header but no rows; expected one row per area of "
            f"{topic.table}. Extract the {topic.oa_member} or {topic.lsoa_member} member of "
            f"{topic.zip_url} again."
        )
    publisher = {topic.release.columns[strip_suffix(h)]: h for h in raw.columns}
    suffixed = sum(h.endswith(MEASURES_SUFFIX) for h in raw.columns)
    raw.columns = list(publisher)
    _check_date(raw, path)
    codes = raw["area_code"].str.strip()
    level = _check_level(codes, raw, topic, path)
    require_unique(raw.assign(**{"geography code": codes}), "geography code", path=path,
                   source=SOURCE)  # fmt: skip
    counts = pd.DataFrame(
        {
            name: to_number(
                raw, name, path=path, source=SOURCE, kind="count", header=publisher[name]
            )
            for name in publisher
            if name not in ("date", "area_name", "area_code")
        }
    )
    counts[topic.count] = counts[list(topic.count_parts)].sum(axis=1).astype("int64")
    _check_count_within_base(counts, codes, topic, publisher, raw, path)
    _check_sums(counts, codes, topic, publisher, raw, path)

    out = pd.DataFrame(
        {
            "area_code": codes,
            "area_name": raw["area_name"].str.strip(),
            topic.count: counts[topic.count],
            topic.base: counts[topic.base],
        }
    )
    categories = len(raw.columns) - len(AREA_HEADERS)
    seen = {0: "without", categories: "with"}.get(suffixed, f"{suffixed} of {categories} with")
    out.attrs = {
        "release": topic.release.name,
        "table": topic.table,
        "role": topic.role,
        "level": level,
        "area_vintage": AREA_VINTAGE,
        "source_file": path.name,
        "notes": (
            f"Census 2021 (21 March 2021) {topic.release.notes} "
            f"{topic.count}: {topic.count_label}; {topic.base}: {topic.base_label}. "
            f"{len(out):,} {_LEVEL_NAMES[level]} of 2021 in this file (of "
            f"{AREAS_2021[level]:,} in England and Wales); category headers {seen} "
            f"'{MEASURES_SUFFIX}'. Counts are perturbed by ONS disclosure control (record "
            "swapping, cell key perturbation): small counts are the least reliable, and "
            "areas summed to a ward may not equal the same table at a coarser level. Codes "
            "are checked for shape here; the build checks them against its 2021 lookup."
        ),
    }
    return out


def _header_row(path: Path) -> list[str]:
    """Return the first row of ``path`` alone, so a web download's title row is seen as such."""
    with path.open("rb") as handle:
        first = handle.read(64 * 1024).split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        text = first.decode("cp1252", errors="replace")
    return [cell.strip() for cell in next(csv.reader([text.rstrip("\r")]), [])]


def _tables_read() -> str:
    return ", ".join(f"{t.table} ({t.title})" for t in TOPICS.values())


def _identify(headers: list[str], path: Path) -> Topic:
    """Return the table of a header row, or raise saying what the file is instead."""
    name = path.name
    stripped = {strip_suffix(h) for h in headers}
    topic = match_topic(headers)
    if topic is not None:
        return topic
    if not any(headers):
        raise IngestError(
            f"{SOURCE}: {name} has no header on line 1; expected a Nomis bulk topic summary "
            f"starting 'date,geography,geography code' ({_tables_read()})."
        )
    if census.API_RELEASE.headers & stripped or headers[0].startswith("RM121"):
        raise IngestError(
            f"{SOURCE}: {name} is the Census 2021 age table of a Nomis download or API "
            f"query (first cell {headers[0]!r}), the role census_age that ingest.sources.census "
            f"reads, not a bulk topic summary; this reader reads {_tables_read()}. Download "
            f"those tables' bulk zips from {BULK_PAGE}."
        )
    if not set(AREA_HEADERS) <= stripped:
        raise IngestError(
            f"{SOURCE}: {name}, line 1: found the columns {headers[:4]}...; expected a Nomis "
            f"bulk topic summary starting 'date,geography,geography code' ({_tables_read()}). "
            "A Nomis web download (title line, then a preamble) is another layout: take the "
            f"census2021-tsNNN-oa.csv or -lsoa.csv member of the bulk zip from {BULK_PAGE}."
        )
    if "Rural Urban" in stripped:
        raise IngestError(
            f"{SOURCE}: {name} has the column 'Rural Urban' of a Census 2011 Nomis bulk "
            f"table (KS, QS, LC...) on 2011 areas; this reader reads the Census 2021 topic "
            f"summaries {_tables_read()} on 2021 areas. Download them from {BULK_PAGE}."
        )
    categories = sorted(stripped - set(AREA_HEADERS))
    prefix = categories[0].split(":")[0] if categories else ""
    same = next((t for t in TOPICS.values() if t.prefix == prefix), None)
    if same is not None:
        match_release(stripped, [same.release], path=path, source=SOURCE)
    raise IngestError(
        f"{SOURCE}: {name} is a Nomis bulk table of {prefix!r} (e.g. column "
        f"{categories[0] if categories else None!r}), not one of the tables read here: "
        f"{_tables_read()}. Give it the census2021-tsNNN-oa.csv or -lsoa.csv member of "
        f"one of those tables' zips ({BULK_PAGE})."
    )


def _line(frame: pd.DataFrame, position: int) -> int:
    return int(frame.attrs.get("first_line", 2)) + position


def _check_date(raw: pd.DataFrame, path: Path) -> None:
    """Raise when a row's ``date`` is not 2021 (a Census 2011 table, or a mixed file)."""
    dates = raw["date"].str.strip()
    bad = (dates != str(AREA_VINTAGE)).to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, column 'date', line {_line(raw, position)}: found "
            f"{dates.iloc[position]!r}; expected 2021 (Census 2021). {int(bad.sum())} row(s) "
            "are of another date. Census 2011 tables are on 2011 areas and are not read: "
            f"download the Census 2021 table from {BULK_PAGE}."
        )


def _check_level(codes: pd.Series, raw: pd.DataFrame, topic: Topic, path: Path) -> Level:
    """Return the level of the area codes; raise for another level, a mix, or 2011's size."""
    name = path.name
    first = codes.iloc[0]
    shape = _CODE_SHAPE.fullmatch(first)
    members = f"the {topic.oa_member} or {topic.lsoa_member} member of {topic.zip_url}"
    where = f"{SOURCE}: {name}, column 'geography code', line {_line(raw, 0)}: found {first!r}"
    if shape is None or shape["nation"] not in "EWK":
        scotland = shape is not None and shape["nation"] == "S"
        raise IngestError(
            f"{where}; expected an output area (E00/W00) or LSOA (E01/W01) code of 2021. "
            + (
                "Scotland's Census 2022 publishes different tables and is not read. "
                if scotland
                else ""
            )
            + f"Use {members}."
        )
    level = _LEVEL_OF_DIGITS.get(shape["digits"]) if shape["nation"] != "K" else None
    if level is None:
        what = _OTHER_LEVELS.get(shape["digits"], "another geography")
        raise IngestError(
            f"{where}, the code of a {what}; the build fits output areas or LSOAs to wards. "
            f"Use {members} (output areas fit wards best)."
        )
    bad = ~codes.str.fullmatch(rf"[EW]{shape['digits']}\d{{6}}").to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise IngestError(
            f"{SOURCE}: {name}, column 'geography code', line {_line(raw, position)}: found "
            f"{codes.iloc[position]!r}; expected a 2021 {level.upper()} code like line "
            f"{_line(raw, 0)}'s {first!r} ({'E' + shape['digits']} or {'W' + shape['digits']} "
            f"and 6 digits). {int(bad.sum())} code(s) are of another level or malformed: are "
            "two members of the zip joined?"
        )
    n, areas = len(codes), _LEVEL_NAMES[level]
    if n == AREAS_2011[level]:
        raise IngestError(
            f"{SOURCE}: {name} has {n:,} {areas}, the number of Census 2011 {areas} of England "
            f"and Wales (2021 has {AREAS_2021[level]:,}); it looks like a 2011 table. Use "
            f"{members}."
        )
    if n > AREAS_2021[level]:
        raise IngestError(
            f"{SOURCE}: {name} has {n:,} rows, more than the {AREAS_2021[level]:,} {areas} of "
            "England and Wales in 2021; is it several files joined? Use " + members + "."
        )
    return level


def _headers_of(columns: Iterable[str], publisher: Mapping[str, str]) -> str:
    return " + ".join(repr(publisher[c]) for c in columns)


def _check_count_within_base(
    counts: pd.DataFrame,
    codes: pd.Series,
    topic: Topic,
    publisher: Mapping[str, str],
    raw: pd.DataFrame,
    path: Path,
) -> None:
    """Raise when the count exceeds its base on a row (a column taken from another table)."""
    over = (counts[topic.count] > counts[topic.base]).to_numpy()
    if over.any():
        position = int(np.flatnonzero(over)[0])
        raise IngestError(
            f"{SOURCE}: {path.name}, column {_headers_of(topic.count_parts, publisher)}, line "
            f"{_line(raw, position)} ({codes.iloc[position]}): {topic.count} is "
            f"{counts[topic.count].iloc[position]}, more than {publisher[topic.base]!r} "
            f"({counts[topic.base].iloc[position]}); expected {topic.count_label} to be at "
            f"most {topic.base_label}. {int(over.sum())} row(s) are over; is the file edited?"
        )


def _check_sums(
    counts: pd.DataFrame,
    codes: pd.Series,
    topic: Topic,
    publisher: Mapping[str, str],
    raw: pd.DataFrame,
    path: Path,
) -> None:
    """Raise on the first row where categories do not add up exactly to their total."""
    for total, parts in topic.sums:
        added = counts[list(parts)].sum(axis=1)
        bad = (added != counts[total]).to_numpy()
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            raise IngestError(
                f"{SOURCE}: {path.name}, column {publisher[total]!r}, line "
                f"{_line(raw, position)} ({codes.iloc[position]}): found "
                f"{counts[total].iloc[position]}, but {_headers_of(parts, publisher)} add up "
                f"to {added.iloc[position]}; expected them to add up exactly, as on every row "
                "of ONS's published topic summaries (after disclosure control). "
                f"{int(bad.sum())} row(s) disagree; is the file edited, or are its columns "
                "from two tables?"
            )
