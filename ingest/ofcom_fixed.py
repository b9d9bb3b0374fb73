"""Ofcom Connected Nations fixed broadband coverage by output area, local authority and postcode.

Source
------
Ofcom, *Connected Nations* open data, "fixed broadband coverage" files, published with each
Connected Nations report and its spring/summer updates on Ofcom's Connected Nations pages (for
2025: https://www.ofcom.org.uk/phones-and-broadband/coverage-and-speeds/connected-nations-2025/data-downloads-2025):

- local authority: ``YYYYMM_fixed_laua_coverage_r01.csv`` (one row per LAD code in ``laua``;
  ``laua_code`` in 2016, when coverage and line performance shared one table);
- output area (2021 OAs): ``YYYYMM_fixed_oa_coverage_r1.csv`` (all premises) and
  ``YYYYMM_fixed_oa_res_coverage_r1.csv`` (residential premises only);
- postcode, one file per postcode area: ``postcode_files/YYYYMM_fixed_pc_coverage_r2_<AREA>.csv``
  and ``..._pc_coverage_res_r1_<AREA>.csv`` (percentages only, no premises counts).

Licence: Open Government Licence v3.0. Attribution: "Contains Ofcom data © Ofcom".

What the reader does
--------------------
Every known layout is a :class:`~ingest._tables.Release` below: its verbatim headers, in the
publisher's column order, mapped to one canonical schema (the vocabulary :data:`HEADER_NAMES`,
plus per-release overrides where a header changed meaning). Headers are matched by name, never
by position; an unknown header is an :class:`~ingest._errors.IngestError` naming the closest
release.

Canonical columns (a release lacks what it does not publish; nothing is invented):

- counts of premises, ``int64``: ``premises`` (All Premises), ``matched_premises``,
  ``premises_sfbb`` (>= 30 Mbit/s, *inclusive* of ultrafast), ``premises_ufbb_100`` (>= 100),
  ``premises_ufbb`` (>= 300), ``premises_gigabit``, ``premises_full_fibre``,
  ``premises_below_{2,5,10,30}mbit``, ``premises_below_uso`` (below the 10 down / 1 up
  universal-service standard, "unable to receive decent broadband from fixed or FWA" from 2026),
  ``premises_nga``, ``premises_fwa_decent``, ``premises_fwa_sfbb`` and the download-speed
  bands ``premises_speed_{0_2,2_5,5_10,10_30,30_300,300_plus}`` (Mbit/s, lower bound included);
- percentages of all premises (0-100, float): the same names prefixed ``pct_``;
- 2016 line speeds (float, Mbit/s): ``median_download_mbit``, ``average_download_mbit``,
  ``median_upload_mbit``, ``average_upload_mbit``.

"SFBB availability" counted only 30-to-under-300 Mbit/s premises in 2016 and 2018 (both
columns) and in the 2019 percentage column. Those exclusive figures are kept as the
``speed_30_300`` band, and an inclusive ``premises_sfbb`` / ``pct_premises_sfbb`` is derived
(see each release's ``notes``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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

SOURCE = "ofcom_fixed"

#: Count columns, in the canonical order of every returned frame.
COUNT_COLUMNS: tuple[str, ...] = (
    "premises",
    "matched_premises",
    "premises_sfbb",
    "premises_ufbb_100",
    "premises_ufbb",
    "premises_gigabit",
    "premises_full_fibre",
    "premises_below_2mbit",
    "premises_below_5mbit",
    "premises_below_10mbit",
    "premises_below_30mbit",
    "premises_below_uso",
    "premises_nga",
    "premises_fwa_decent",
    "premises_fwa_sfbb",
    "premises_speed_0_2",
    "premises_speed_2_5",
    "premises_speed_5_10",
    "premises_speed_10_30",
    "premises_speed_30_300",
    "premises_speed_300_plus",
)

#: Percentage columns (% of all premises), in canonical order.
PERCENT_COLUMNS: tuple[str, ...] = tuple(f"pct_{name}" for name in COUNT_COLUMNS[2:])

#: 2016 line-speed columns kept (Mbit/s).
SPEED_COLUMNS: tuple[str, ...] = (
    "median_download_mbit",
    "average_download_mbit",
    "median_upload_mbit",
    "average_upload_mbit",
)

#: Key columns of each geography level.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "oa": ("oa_code",),
    "la": ("la_code", "la_name", "la_name_published"),
    "postcode": ("postcode", "postcode_space", "postcode_area"),
}

#: Ofcom header -> canonical name, for every header whose meaning has not changed between the
#: releases that use it. ``None``: known and not used. Releases override where meaning differs.
HEADER_NAMES: dict[str, str | None] = {
    # keys
    "laua_code": "la_code",
    "laua": "la_code",
    "laua_name": "la_name",
    "output_area": "oa_code",
    "postcode": "postcode",
    "postcode_space": "postcode_space",
    "postcode area": "postcode_area",
    # denominators
    "All Premises": "premises",
    "All Matched Premises": "matched_premises",
    # availability, % of premises
    "SFBB availability (% premises)": "pct_premises_sfbb",
    "UFBB (100Mbit/s) availability (% premises)": "pct_premises_ufbb_100",
    "UFBB availability (% premises)": "pct_premises_ufbb",
    "Full Fibre availability (% premises)": "pct_premises_full_fibre",
    "Gigabit availability (% premises)": "pct_premises_gigabit",
    "NGA availability (% premises)": "pct_premises_nga",
    "% of premises unable to receive 2Mbit/s": "pct_premises_below_2mbit",
    "% of premises unable to receive 5Mbit/s": "pct_premises_below_5mbit",
    "% of premises unable to receive 10Mbit/s": "pct_premises_below_10mbit",
    "% of premises unable to receive 30Mbit/s": "pct_premises_below_30mbit",
    "% of premises below the USO": "pct_premises_below_uso",
    "% of premises unable to receive decent broadband from fixed or FWA": "pct_premises_below_uso",
    "% of premises with NGA": "pct_premises_nga",
    "% of premises able to receive decent broadband from FWA": "pct_premises_fwa_decent",
    "% of premises able to receive SFBB from FWA": "pct_premises_fwa_sfbb",
    # availability, numbers of premises
    "Number of premises with SFBB availability": "premises_sfbb",
    "Number of premises with UFBB (100Mbit/s) availability": "premises_ufbb_100",
    "Number of premises with UFBB availability": "premises_ufbb",
    "Number of premises with Full Fibre availability": "premises_full_fibre",
    "Number of premises with Gigabit availability": "premises_gigabit",
    "Number of premises unable to receive 2Mbit/s": "premises_below_2mbit",
    "Number of premises unable to receive 5Mbit/s": "premises_below_5mbit",
    "Number of premises unable to receive 10Mbit/s": "premises_below_10mbit",
    "Number of premises unable to receive 30Mbit/s": "premises_below_30mbit",
    "Number of premises below the USO": "premises_below_uso",
    "Number of premises unable to receive decent broadband from fixed or FWA": (
        "premises_below_uso"
    ),
    "Number of premises with NGA": "premises_nga",
    "Number of premises able to receive decent broadband from FWA": "premises_fwa_decent",
    "Number of premises able to receive SFBB from FWA": "premises_fwa_sfbb",
    # download-speed bands (the speed a premises can get; the bands partition matched premises)
    "Number of premises with 0<2Mbit/s download speed": "premises_speed_0_2",
    "Number of premises with 2<5Mbit/s download speed": "premises_speed_2_5",
    "Number of premises with 5<10Mbit/s download speed": "premises_speed_5_10",
    "Number of premises with 10<30Mbit/s download speed": "premises_speed_10_30",
    "Number of premises with 30<300Mbit/s download speed": "premises_speed_30_300",
    "Number of premises with >=300Mbit/s download speed": "premises_speed_300_plus",
    "% of premises with 0<2Mbit/s download speed": "pct_premises_speed_0_2",
    "% of premises with 2<5Mbit/s download speed": "pct_premises_speed_2_5",
    "% of premises with 5<10Mbit/s download speed": "pct_premises_speed_5_10",
    "% of premises with 10<30Mbit/s download speed": "pct_premises_speed_10_30",
    "% of premises with 30<300Mbit/s download speed": "pct_premises_speed_30_300",
    "% of premises with >=300Mbit/s download speed": "pct_premises_speed_300_plus",
    # 2016 line performance (of connected lines, not premises): speeds kept, the rest unused
    "Median download speed (Mbit/s)": "median_download_mbit",
    "Average download speed (Mbit/s)": "average_download_mbit",
    "Minimum download speed (Mbit/s)": None,
    "Maximum download speed (Mbit/s)": None,
    "Average download speed (Mbit/s) for lines  < 10Mbit/s": None,
    "Average download speed (Mbit/s) for Basic BB lines": None,
    "Average download speed (Mbit/s) for SFBB lines": None,
    "Average download speed (Mbit/s) for UFBB lines": None,
    "Median upload speed (Mbit/s)": "median_upload_mbit",
    "Average upload speed (Mbit/s)": "average_upload_mbit",
    "Minimum upload speed (Mbit/s)": None,
    "Maximum upload speed (Mbit/s)": None,
    "Average upload speed (Mbit/s) for lines <10Mbit/s": None,
    "Average upload speed (Mbit/s) for Basic BB lines": None,
    "Average upload speed (Mbit/s) for SFBB lines": None,
    "Average upload speed (Mbit/s) for UFBB lines": None,
    "Number of connections < 2 Mbit/s  (number of lines)": None,
    "Number of connections 2<5 Mbit/s  (number of lines)": None,
    "Number of connections 5<10 Mbit/s  (number of lines)": None,
    "Number of connections 10<30 Mbit/s  (number of lines)": None,
    "Number of connections >= 30 Mbit/s  (number of lines)": None,
    "Number of connections >= 300 Mbit/s  (number of lines)": None,
    "Average data usage (GB)": None,
    "Average data usage (GB) for lines <10Mbit/s": None,
    "Average data usage (GB) for Basic BB lines": None,
    "Average data usage (GB) for SFBB lines": None,
    "Average data usage (GB) for UFBB lines": None,
}


def _columns(headers: str, **overrides: str | None) -> dict[str, str | None]:
    """Header map of one release from its verbatim comma-separated header line.

    ``overrides`` are keyed by the canonical name the vocabulary would give (a header's meaning
    changed in that release), e.g. ``pct_premises_sfbb="pct_premises_speed_30_300"``.
    """
    out: dict[str, str | None] = {}
    for header in headers.split(","):
        name = HEADER_NAMES[header]
        out[header] = overrides.get(name, name) if name is not None else None
    return out


_AVAILABILITY_2018 = (
    "All Premises,All Matched Premises,SFBB availability (% premises),"
    "UFBB availability (% premises),Full Fibre availability (% premises),"
    "% of premises unable to receive 2Mbit/s,% of premises unable to receive 5Mbit/s,"
    "% of premises unable to receive 10Mbit/s,% of premises unable to receive 30Mbit/s,"
    "% of premises below the USO,% of premises with NGA,"
    "% of premises able to receive decent broadband from FWA,"
    "% of premises able to receive SFBB from FWA,Number of premises with SFBB availability,"
    "Number of premises with UFBB availability,Number of premises with Full Fibre availability,"
    "Number of premises unable to receive 2Mbit/s,Number of premises unable to receive 5Mbit/s,"
    "Number of premises unable to receive 10Mbit/s,Number of premises unable to receive 30Mbit/s,"
    "Number of premises below the USO,Number of premises with NGA,"
    "Number of premises able to receive decent broadband from FWA,"
    "Number of premises able to receive SFBB from FWA"
)
_AVAILABILITY_2021 = (
    "All Premises,All Matched Premises,SFBB availability (% premises),"
    "UFBB (100Mbit/s) availability (% premises),UFBB availability (% premises),"
    "Full Fibre availability (% premises),Gigabit availability (% premises),"
    "% of premises unable to receive 2Mbit/s,% of premises unable to receive 5Mbit/s,"
    "% of premises unable to receive 10Mbit/s,% of premises unable to receive 30Mbit/s,"
    "% of premises below the USO,% of premises with NGA,"
    "% of premises able to receive decent broadband from FWA,"
    "Number of premises with SFBB availability,"
    "Number of premises with UFBB (100Mbit/s) availability,"
    "Number of premises with UFBB availability,Number of premises with Full Fibre availability,"
    "Number of premises with Gigabit availability,Number of premises unable to receive 2Mbit/s,"
    "Number of premises unable to receive 5Mbit/s,Number of premises unable to receive 10Mbit/s,"
    "Number of premises unable to receive 30Mbit/s,Number of premises below the USO,"
    "Number of premises with NGA,Number of premises able to receive decent broadband from FWA"
)
_AVAILABILITY_2026 = (
    "All Premises,All Matched Premises,SFBB availability (% premises),"
    "UFBB (100Mbit/s) availability (% premises),UFBB availability (% premises),"
    "Gigabit availability (% premises),% of premises unable to receive 2Mbit/s,"
    "% of premises unable to receive 5Mbit/s,% of premises unable to receive 10Mbit/s,"
    "% of premises unable to receive 30Mbit/s,"
    "% of premises unable to receive decent broadband from fixed or FWA,"
    "% of premises with NGA,% of premises able to receive decent broadband from FWA,"
    "Number of premises with SFBB availability,"
    "Number of premises with UFBB (100Mbit/s) availability,"
    "Number of premises with UFBB availability,Number of premises with Gigabit availability,"
    "Number of premises unable to receive 2Mbit/s,Number of premises unable to receive 5Mbit/s,"
    "Number of premises unable to receive 10Mbit/s,Number of premises unable to receive 30Mbit/s,"
    "Number of premises unable to receive decent broadband from fixed or FWA,"
    "Number of premises with NGA,Number of premises able to receive decent broadband from FWA"
)
_BANDS = ("30<300", ">=300", "0<2", "2<5", "5<10", "10<30")
_BAND_NUMBERS = ",".join(f"Number of premises with {b}Mbit/s download speed" for b in _BANDS)
_BAND_PERCENTS = ",".join(f"% of premises with {b}Mbit/s download speed" for b in _BANDS)

_USO_RENAME_NOTE = (
    "'... unable to receive decent broadband from fixed or FWA' replaces the LA files' "
    "'... below the USO' (the same standard: 10 Mbit/s down and 1 Mbit/s up, from fixed or fixed "
    "wireless access) and is read as {names}."
)

#: Connected Nations 2016 LA file: coverage and line performance in one table, no counts.
LA_2016 = Release(
    name="2016",
    columns=_columns(
        "laua_code,laua_name,SFBB availability (% premises),UFBB availability (% premises),"
        "NGA availability (% premises),% of premises unable to receive 2Mbit/s,"
        "% of premises unable to receive 5Mbit/s,% of premises unable to receive 10Mbit/s,"
        "% of premises unable to receive 30Mbit/s,Median download speed (Mbit/s),"
        "Average download speed (Mbit/s),Minimum download speed (Mbit/s),"
        "Maximum download speed (Mbit/s),Average download speed (Mbit/s) for lines  < 10Mbit/s,"
        "Average download speed (Mbit/s) for Basic BB lines,"
        "Average download speed (Mbit/s) for SFBB lines,"
        "Average download speed (Mbit/s) for UFBB lines,Median upload speed (Mbit/s),"
        "Average upload speed (Mbit/s),Minimum upload speed (Mbit/s),"
        "Maximum upload speed (Mbit/s),Average upload speed (Mbit/s) for lines <10Mbit/s,"
        "Average upload speed (Mbit/s) for Basic BB lines,"
        "Average upload speed (Mbit/s) for SFBB lines,"
        "Average upload speed (Mbit/s) for UFBB lines,"
        "Number of connections < 2 Mbit/s  (number of lines),"
        "Number of connections 2<5 Mbit/s  (number of lines),"
        "Number of connections 5<10 Mbit/s  (number of lines),"
        "Number of connections 10<30 Mbit/s  (number of lines),"
        "Number of connections >= 30 Mbit/s  (number of lines),"
        "Number of connections >= 300 Mbit/s  (number of lines),Average data usage (GB),"
        "Average data usage (GB) for lines <10Mbit/s,Average data usage (GB) for Basic BB lines,"
        "Average data usage (GB) for SFBB lines,Average data usage (GB) for UFBB lines",
        pct_premises_sfbb="pct_premises_speed_30_300",
    ),
    notes=(
        "Connected Nations 2016 LA file: key 'laua_code'; percentages only (whole numbers), no "
        "premises counts; line-performance columns: median/average download and upload speeds "
        "kept (Mbit/s), the rest (min/max, per-technology averages, numbers of lines, data "
        "usage) not used. 'SFBB availability' counts 30-to-under-300 Mbit/s premises only "
        "(it + UFBB + unable-to-receive-30 = 100 +/- 1 in every LA; Hull: 1 + 31 + 68): read as "
        "pct_premises_speed_30_300; inclusive pct_premises_sfbb derived as SFBB % + UFBB % "
        "(sum of two whole-number percentages, +/- 1 point, capped at 100)."
    ),
)

#: Connected Nations 2018 LA file: first with premises counts; exclusive SFBB.
LA_2018 = Release(
    name="2018",
    columns=_columns(
        "laua,laua_name," + _AVAILABILITY_2018,
        pct_premises_sfbb="pct_premises_speed_30_300",
        premises_sfbb="premises_speed_30_300",
    ),
    notes=(
        "Connected Nations 2018 LA file. Both 'SFBB availability (% premises)' and 'Number of "
        "premises with SFBB availability' count only 30-to-under-300 Mbit/s premises: read as "
        "pct_premises_speed_30_300 / premises_speed_30_300. Inclusive premises_sfbb derived as "
        "SFBB number + UFBB (>= 300) number (checked: never more than All Premises minus those "
        "unable to receive 30 Mbit/s); pct_premises_sfbb recomputed as 100 x premises_sfbb / "
        "premises, rounded to 1 dp."
    ),
)

#: Connected Nations 2019 LA file: adds speed bands; SFBB % exclusive, SFBB number inclusive.
LA_2019 = Release(
    name="2019",
    columns=_columns(
        "laua,laua_name," + _AVAILABILITY_2018 + "," + _BAND_NUMBERS + "," + _BAND_PERCENTS,
        pct_premises_sfbb=None,
    ),
    notes=(
        "Connected Nations 2019 LA file. 'SFBB availability (% premises)' is the exclusive "
        "30-to-under-300 Mbit/s share (it equals '% of premises with 30<300Mbit/s download "
        "speed', kept as pct_premises_speed_30_300) and is not used; 'Number of premises with "
        "SFBB availability' is inclusive (>= 30 Mbit/s) and kept as premises_sfbb; "
        "pct_premises_sfbb recomputed as 100 x premises_sfbb / premises, rounded to 1 dp."
    ),
)

#: Connected Nations update, data as at May 2021: adds 100 Mbit/s UFBB and gigabit.
LA_202105 = Release(
    name="202105",
    columns=_columns(
        "laua,laua_name," + _AVAILABILITY_2021 + "," + _BAND_NUMBERS + "," + _BAND_PERCENTS
    ),
    notes=(
        "Connected Nations update, May 2021 LA file (r01): adds UFBB (100 Mbit/s) and Gigabit, "
        "drops SFBB from FWA. SFBB % and number both inclusive (>= 30 Mbit/s), used as "
        "published."
    ),
)

#: Connected Nations 2025, data as at July 2025: 202105's names, speed-band blocks reordered.
LA_202507 = Release(
    name="202507",
    columns=_columns(
        "laua,laua_name," + _AVAILABILITY_2021 + "," + _BAND_PERCENTS + "," + _BAND_NUMBERS
    ),
    notes=(
        "Connected Nations 2025 LA file (July 2025, r01): the same 40 column names as 202105, "
        "the speed-band '% ...' block now before the 'Number ...' block (mapped by name). SFBB "
        "% and number inclusive, used as published."
    ),
)

#: Every known LA layout, oldest first.
LA_RELEASES: list[Release] = [LA_2016, LA_2018, LA_2019, LA_202105, LA_202507]

#: Connected Nations update Spring 2026 (data January 2026), output areas (2021 OAs).
OA_202601 = Release(
    name="202601",
    columns=_columns(
        "output_area," + _AVAILABILITY_2026 + "," + _BAND_PERCENTS + "," + _BAND_NUMBERS
    ),
    notes=(
        "Connected Nations update Spring 2026 OA file (January 2026, 2021 output areas): no Full "
        "Fibre and no SFBB-from-FWA columns. "
        + _USO_RENAME_NOTE.format(names="pct_premises_below_uso / premises_below_uso")
        + " SFBB % and number inclusive, used as published."
    ),
)

#: Every known OA layout, oldest first (the last is the current one).
OA_RELEASES: list[Release] = [OA_202601]

#: Connected Nations update Spring 2026 postcode files (one per postcode area).
POSTCODE_202601 = Release(
    name="202601",
    columns=_columns(
        "postcode,postcode_space,postcode area,"
        + _BAND_PERCENTS
        + ",SFBB availability (% premises),UFBB (100Mbit/s) availability (% premises),"
        "UFBB availability (% premises),% of premises unable to receive 2Mbit/s,"
        "% of premises unable to receive 5Mbit/s,% of premises unable to receive 10Mbit/s,"
        "% of premises unable to receive 30Mbit/s,Gigabit availability (% premises),"
        "% of premises unable to receive decent broadband from fixed or FWA,"
        "% of premises with NGA,% of premises able to receive decent broadband from FWA"
    ),
    notes=(
        "Connected Nations update Spring 2026 postcode file (January 2026): percentages only, "
        "no premises counts (so postcode rows cannot be summed to wards without premises "
        "counts from elsewhere); speed-band columns come first. "
        + _USO_RENAME_NOTE.format(names="pct_premises_below_uso")
    ),
)

#: Every known postcode layout, oldest first.
POSTCODE_RELEASES: list[Release] = [POSTCODE_202601]

_LEVELS: dict[str, tuple[str, list[Release], str]] = {
    "oa": ("an Ofcom output-area file", OA_RELEASES, "read_fixed_oa"),
    "la": ("an Ofcom local-authority file", LA_RELEASES, "read_fixed_la"),
    "postcode": (
        "an Ofcom postcode file (percentages only, no premises counts)",
        POSTCODE_RELEASES,
        "read_fixed_postcode",
    ),
}

#: Area code shapes: OA 2021 codes, LAD codes of the kinds Ofcom's LA files hold.
OA_CODE_PATTERN = r"[EWSN]00\d{6}"
LA_CODE_PATTERN = r"(?:E0[6-9]|W06|S12|N09)\d{6}"
#: A postcode with its single space (``CR0 5BX``), as in ``postcode_space``.
POSTCODE_PATTERN = r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}"

#: Words left lower case when an UPPER CASE LA name is title-cased (checked against every
#: title-case name Ofcom published in 2016, 2018 and 2025).
LOWER_CASE_WORDS = frozenset({"and", "of", "on", "upon", "in", "under", "with", "h", "nan"})

_RELEASE_PREFIX = re.compile(r"^(20\d{4})_")


def read_fixed_oa(path: str | Path) -> pd.DataFrame:
    """Read an Ofcom fixed broadband coverage file by output area.

    Parameters
    ----------
    path : str or Path
        e.g. ``202601_fixed_oa_coverage_r1.csv`` (all premises) or
        ``202601_fixed_oa_res_coverage_r1.csv`` (residential premises).

    Returns
    -------
    pandas.DataFrame
        One row per 2021 output area: ``oa_code``, then the count columns (numbers of premises,
        ``int64``) and percentage columns (% of premises, 0-100) the release publishes; see the
        module docstring. ``attrs``: ``release`` (e.g. ``"202601"``, from the file name's
        ``YYYYMM_`` prefix, else the layout), ``layout`` (matched :data:`OA_RELEASES` name),
        ``source_file``, ``premises_scope`` (``"all"`` or ``"residential"``), ``notes``.

    Raises
    ------
    IngestError
        Unknown header (the message names the closest release), a bad cell, an out-of-range
        percentage, a count above All Premises, a malformed or repeated OA code.

    Example
    -------
    >>> oa = read_fixed_oa("202601_fixed_oa_coverage_r1.csv")  # doctest: +SKIP
    >>> oa.set_index("oa_code").loc["E00005233", ["premises", "premises_gigabit"]].tolist()
    ... # doctest: +SKIP
    [509, 371]
    """
    return _read(path, "oa")


def read_fixed_la(path: str | Path) -> pd.DataFrame:
    """Read an Ofcom fixed broadband coverage file by local authority.

    Parameters
    ----------
    path : str or Path
        e.g. ``202507_fixed_laua_coverage_r01.csv``; the 2016, 2018, 2019, 202105 and 202507
        layouts are known (:data:`LA_RELEASES`).

    Returns
    -------
    pandas.DataFrame
        One row per local authority district: ``la_code`` (ONS LAD code of the vintage Ofcom
        used), ``la_name`` (the publisher's name, stripped; names Ofcom wrote in UPPER CASE, as
        in 2019 and 2021, are title-cased), ``la_name_published`` (the publisher's text,
        stripped), then the count, percentage and (2016) speed columns the release publishes.
        ``premises_sfbb`` / ``pct_premises_sfbb`` are always >= 30 Mbit/s inclusive. ``attrs``:
        ``release``, ``layout``, ``source_file``, ``premises_scope``, ``notes``.

    Raises
    ------
    IngestError
        As :func:`read_fixed_oa`, for LA codes.

    Example
    -------
    >>> la = read_fixed_la("202507_fixed_laua_coverage_r01.csv")  # doctest: +SKIP
    >>> la.set_index("la_code").loc["E08000009", "pct_premises_gigabit"]  # doctest: +SKIP
    93.3
    """
    return _read(path, "la")


def read_fixed_postcode(path: str | Path) -> pd.DataFrame:
    """Read an Ofcom fixed broadband coverage file by postcode (one postcode area).

    Parameters
    ----------
    path : str or Path
        e.g. ``202601_fixed_pc_coverage_r2_CR.csv`` or ``202601_fixed_pc_coverage_res_r1_CR.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per postcode: ``postcode`` (no space, ``CR05BX``), ``postcode_space``
        (``CR0 5BX``), ``postcode_area`` (``CR``), then percentage columns only (% of the
        postcode's premises, 0-100): Ofcom publishes no premises counts by postcode.
        ``attrs`` as :func:`read_fixed_oa`.

    Raises
    ------
    IngestError
        As :func:`read_fixed_oa`; also when ``postcode``, ``postcode_space`` and
        ``postcode_area`` disagree, and for the January 2026 r1 files of areas CW and MK
        (they repeat CV and ME; Ofcom's r2 reissue replaces them). ``attrs`` add
        ``revision`` (1 for ``r1``/``r01``, 2 for ``r2``) and ``area``, from the file name.

    Example
    -------
    >>> pc = read_fixed_postcode("202601_fixed_pc_coverage_r2_CR.csv")  # doctest: +SKIP
    >>> pc.set_index("postcode").loc["CR05BX", "pct_premises_gigabit"]  # doctest: +SKIP
    100.0
    """
    path = Path(path)
    reissue = _POSTCODE_FILE.fullmatch(path.name)
    first_issue = reissue and (reissue["month"], reissue["revision"]) == ("202601", "1")
    if first_issue and reissue["area"].upper() in REISSUED_AREAS:
        raise IngestError(
            f"{SOURCE}: {path.name} is Ofcom's first issue (r1) of the January 2026 postcode "
            f"file of area {reissue['area'].upper()}, which duplicated area "
            f"{REISSUED_AREAS[reissue['area'].upper()]}; Ofcom reissued it as r2 on "
            f"2026-07-07 (202601_fixed_pc_coverage_r2_{reissue['area'].upper()}.csv inside "
            "the zip). Use the r2 file."
        )
    table = _read(path, "postcode")
    table.attrs["revision"] = int(reissue["revision"]) if reissue else 1
    table.attrs["area"] = reissue["area"].upper() if reissue else None
    return table


#: Postcode areas whose January 2026 r1 files repeated another area's rows (Ofcom reissued
#: the set as r2 on 2026-07-07): area -> the area it duplicated.
REISSUED_AREAS = {"CW": "CV", "MK": "ME"}
_POSTCODE_FILE = re.compile(
    r"(?P<month>\d{6})_fixed_pc_coverage(?:_res)?_r(?P<revision>\d+)_(?P<area>[A-Za-z]{1,2})\.csv",
    re.IGNORECASE,
)


def _read(path: str | Path, level: str) -> pd.DataFrame:
    path = Path(path)
    raw = read_csv_file(path, source=SOURCE)
    release = _match(raw.columns, level, path=path)
    if raw.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no rows.")
    frame = apply_release(raw, release)
    header_of = {name: header for header, name in release.columns.items() if name is not None}
    notes = [release.notes]

    if level == "oa":
        keys = _oa_keys(frame, path, header_of)
    elif level == "la":
        keys = _la_keys(frame, path, header_of, notes)
    else:
        keys = _postcode_keys(frame, path, header_of)
    require_unique(keys, KEY_COLUMNS[level][0], path=path, source=SOURCE)

    values = {}
    for name in frame.columns.difference(keys.columns, sort=False):
        kind = (
            "percent" if name.startswith("pct_") else "float" if name in SPEED_COLUMNS else "count"
        )
        values[name] = to_number(
            frame, name, path=path, source=SOURCE, kind=kind, header=header_of[name]
        )
        if kind == "float":
            _refuse(
                values[name] < 0,
                values[name],
                frame,
                path,
                header_of[name],
                "a speed of 0 Mbit/s or more",
                keys=keys,
            )
    numbers = pd.DataFrame(values, index=frame.index)
    _check_counts(numbers, frame, path, header_of, keys)
    _inclusive_sfbb(numbers, release.name, frame, path, header_of, keys)

    order = [*COUNT_COLUMNS, *PERCENT_COLUMNS, *SPEED_COLUMNS]
    out = pd.concat(
        [keys[list(KEY_COLUMNS[level])], numbers[[c for c in order if c in numbers]]], axis=1
    )
    scope = "residential" if "_res_" in path.name.lower() else "all"
    if scope == "residential":
        notes.append(
            "Residential premises only (file name has '_res_'): counts and percentages are of "
            "residential premises."
        )
    prefix = _RELEASE_PREFIX.match(path.name)
    out.attrs = {
        "release": prefix.group(1) if prefix else release.name,
        "layout": release.name,
        "source_file": path.name,
        "premises_scope": scope,
        "notes": " ".join(notes),
    }
    return out


def _match(columns: Iterable[str], level: str, *, path: Path) -> Release:
    """Return the release of ``level`` with exactly these headers (by order if two share names).

    When the headers are those of another level, say which reader to use instead.
    """
    found = [str(c) for c in columns]
    _, releases, _ = _LEVELS[level]
    same = [r for r in releases if r.headers == frozenset(found)]
    if same:
        in_order = [r for r in same if list(r.columns) == found]
        return (in_order or same)[-1]
    for other, (what, other_releases, reader) in _LEVELS.items():
        if other != level and any(r.headers == frozenset(found) for r in other_releases):
            raise IngestError(
                f"{SOURCE}: {path.name} is {what}, not {_LEVELS[level][0]}; read it with "
                f"ingest.ofcom_fixed.{reader}()."
            )
    return match_release(found, releases, path=path, source=SOURCE)


def _refuse(
    bad: pd.Series,
    found: pd.Series,
    frame: pd.DataFrame,
    path: Path,
    header: str | tuple[str, ...],
    expected: str,
    *,
    keys: pd.DataFrame | None = None,
) -> None:
    """Raise for the first ``bad`` row: file, column(s), line, area code, value, expectation."""
    if not bad.any():
        return
    position = int(np.flatnonzero(bad.to_numpy())[0])
    line = frame.attrs.get("first_line", 2) + position
    where = ""
    if keys is not None:
        key = keys.columns[0]
        where = f" ({key} {keys[key].iloc[position]})"
    value = found.iloc[position]
    if isinstance(value, (int, np.integer)):
        shown = f"{value:,}"
    elif isinstance(value, (float, np.floating)):
        shown = f"{value:g}"
    else:
        shown = repr(value)
    column = " + ".join(repr(h) for h in ((header,) if isinstance(header, str) else header))
    raise IngestError(
        f"{SOURCE}: {path.name}, column {column}, line {line}{where}: found {shown}; "
        f"expected {expected}. {int(bad.sum())} row(s) fail this check."
    )


def _oa_keys(frame: pd.DataFrame, path: Path, header_of: Mapping[str, str]) -> pd.DataFrame:
    codes = frame["oa_code"].str.strip()
    _refuse(
        ~codes.str.fullmatch(OA_CODE_PATTERN),
        codes,
        frame,
        path,
        header_of["oa_code"],
        "a 2021 output area code such as 'E00005233' (E, W, S or N, then '00' and 6 digits)",
    )
    return pd.DataFrame({"oa_code": codes})


def _la_keys(
    frame: pd.DataFrame, path: Path, header_of: Mapping[str, str], notes: list[str]
) -> pd.DataFrame:
    codes = frame["la_code"].str.strip()
    _refuse(
        ~codes.str.fullmatch(LA_CODE_PATTERN),
        codes,
        frame,
        path,
        header_of["la_code"],
        "a 9-character local authority code such as 'E08000009' (E06, E07, E08, E09, W06, "
        "S12 or N09, then 6 digits)",
    )
    published = frame["la_name"].str.strip()
    upper = published.str.contains(r"[A-Z]") & (published == published.str.upper())
    names = published.where(~upper, title_case(published))
    if upper.any():
        notes.append(
            f"{int(upper.sum())} laua_name value(s) in UPPER CASE title-cased in la_name "
            f"(e.g. {published[upper].iloc[0]!r} -> {names[upper].iloc[0]!r}); "
            "la_name_published keeps the publisher's text."
        )
    return pd.DataFrame({"la_code": codes, "la_name": names, "la_name_published": published})


def _postcode_keys(frame: pd.DataFrame, path: Path, header_of: Mapping[str, str]) -> pd.DataFrame:
    spaced = frame["postcode_space"].str.strip()
    _refuse(
        ~spaced.str.fullmatch(POSTCODE_PATTERN),
        spaced,
        frame,
        path,
        header_of["postcode_space"],
        "a postcode with one space such as 'CR0 5BX'",
    )
    compact = frame["postcode"].str.strip()
    _refuse(
        compact != spaced.str.replace(" ", "", regex=False),
        compact,
        frame,
        path,
        header_of["postcode"],
        "the postcode of 'postcode_space' without its space (e.g. 'CR05BX')",
    )
    area = frame["postcode_area"].str.strip()
    _refuse(
        area != spaced.str.extract(r"^([A-Z]+)", expand=False),
        area,
        frame,
        path,
        header_of["postcode_area"],
        "the postcode's leading letters (e.g. 'CR' for 'CR0 5BX')",
    )
    return pd.DataFrame({"postcode": compact, "postcode_space": spaced, "postcode_area": area})


def title_case(names: pd.Series) -> pd.Series:
    """Title-case UPPER CASE local authority names the way Ofcom writes them in Title Case.

    Each word (after a space or hyphen) gets a capital first letter and lower case after it,
    except the words in :data:`LOWER_CASE_WORDS` after the first word. Checked against every
    Title Case name in Ofcom's 2016, 2018 and 2025 LA files.

    Parameters
    ----------
    names : pandas.Series
        Names as text.

    Returns
    -------
    pandas.Series
        Title-cased names, same index.

    Example
    -------
    >>> title_case(pd.Series(["KINGSTON UPON HULL, CITY OF", "NA H-EILEANAN SIAR"])).tolist()
    ['Kingston upon Hull, City of', 'Na h-Eileanan Siar']
    """
    small = "|".join(sorted(LOWER_CASE_WORDS))
    capitalised = names.str.lower().str.replace(
        r"(^|[ \-])([a-z])", lambda m: m.group(1) + m.group(2).upper(), regex=True
    )
    return capitalised.str.replace(
        rf"(?<=[ \-])(?:{small})(?=[ \-,]|$)",
        lambda m: m.group(0).lower(),
        regex=True,
        flags=re.IGNORECASE,
    )


def _check_counts(
    numbers: pd.DataFrame,
    frame: pd.DataFrame,
    path: Path,
    header_of: Mapping[str, str],
    keys: pd.DataFrame,
) -> None:
    """No count (matched premises included) may exceed All Premises on its row."""
    if "premises" not in numbers:
        return
    premises = numbers["premises"]
    for name in COUNT_COLUMNS[1:]:
        if name not in numbers:
            continue
        over = numbers[name] > premises
        if over.any():
            what = "matched premises" if name == "matched_premises" else "premises"
            _refuse(
                over,
                numbers[name],
                frame,
                path,
                header_of[name],
                f"no more {what} than 'All Premises' ({premises[over].iloc[0]:,}) on that row",
                keys=keys,
            )


def _inclusive_sfbb(
    numbers: pd.DataFrame,
    layout: str,
    frame: pd.DataFrame,
    path: Path,
    header_of: Mapping[str, str],
    keys: pd.DataFrame,
) -> None:
    """Add inclusive (>= 30 Mbit/s) ``premises_sfbb`` / ``pct_premises_sfbb`` where derived."""
    if layout == "2016":
        total = numbers["pct_premises_speed_30_300"] + numbers["pct_premises_ufbb"]
        numbers["pct_premises_sfbb"] = total.clip(upper=100.0)
        return
    if layout == "2018":
        sfbb = numbers["premises_speed_30_300"] + numbers["premises_ufbb"]
        limit = numbers["premises"] - numbers["premises_below_30mbit"]
        over = sfbb > limit
        if over.any():
            _refuse(
                over,
                sfbb,
                frame,
                path,
                (header_of["premises_speed_30_300"], header_of["premises_ufbb"]),
                "SFBB + UFBB premises no more than All Premises minus the premises unable "
                f"to receive 30Mbit/s ({limit[over].iloc[0]:,}): in the 2018 layout SFBB "
                "excludes UFBB, so the two cannot overlap (is this really a 2018 file?)",
                keys=keys,
            )
        numbers["premises_sfbb"] = sfbb
    if layout in ("2018", "2019"):
        premises = numbers["premises"]
        share = 100.0 * numbers["premises_sfbb"] / premises.where(premises > 0)
        numbers["pct_premises_sfbb"] = share.round(1)
