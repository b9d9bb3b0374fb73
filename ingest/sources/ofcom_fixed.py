"""Ofcom Connected Nations fixed broadband coverage by output area, local authority and postcode.

Source
------
Ofcom, *Connected Nations* open data, "fixed broadband coverage" files, published with each
Connected Nations report and its spring/summer updates on Ofcom's Connected Nations pages (for
2025: https://www.ofcom.org.uk/phones-and-broadband/coverage-and-speeds/connected-nations-2025/data-downloads-2025):

- local authority: ``YYYYMM_fixed_laua_coverage_r01.csv`` (one row per LAD code in ``laua``;
  ``laua_code`` in 2016; in 2016 and 2017 coverage and line performance shared one table);
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
  ``median_upload_mbit``, ``average_upload_mbit`` (2017 publishes them too; not read).

"SFBB availability" counted only 30-to-under-300 Mbit/s premises in 2016, 2017 and 2018 (both
columns in 2018) and in the 2019 percentage column. Those exclusive figures are kept as the
``speed_30_300`` band, and an inclusive ``premises_sfbb`` / ``pct_premises_sfbb`` is derived
(see each release's ``notes``), so superfast means 30 Mbit/s or more in every release read.

Which release a file is
-----------------------
``attrs["release"]`` is the file name's ``YYYYMM_`` prefix (Ofcom's own names) when there is
one, else the layout's name, and ``attrs["release_basis"]`` says which evidence gave it:
``"file name"``, ``"header"`` (one layout has these columns, or these columns in this order) or
``"content"``; ``attrs["release_note"]`` says in words what was inferred from what.

Ofcom's 2019 LA file and a 2020 one share the same 38 columns but not their meaning: in 2019
``SFBB availability (% premises)`` is the 30-to-under-300 Mbit/s share, in 2020 the share of
30 Mbit/s or more. Both files carry, on every row, the counts to recompute either share (the
``30<300Mbit/s`` band and the inclusive SFBB number, over All Premises), so each row's
published one-decimal percentage is set beside the two: a rounded percentage is within 0.05 of
its share, and where the two shares differ by more than 0.1 (every LA with premises of 300
Mbit/s or more) it can match only one. A file is the 2019 layout when every such row matches
the band, the 2020 one when every such row matches the SFBB number; a row matching neither,
or rows that disagree, are errors naming the file, the column and the line. Checked on the
real files: ``2019_data.csv`` (Ofcom's ``201909_fixed_laua_coverage_r01.csv``) matches the band
in all 381 telling rows of 382, and the uploader's ``2020_data.csv`` of
``Kim22345/CFG-Data-Project-`` (``Project Notebook and Data Files/2020_data.csv``, commit
``ca619446``) matches the SFBB number in all 381. With a ``YYYYMM_`` prefix, a month before
:data:`FIRST_INCLUSIVE_MONTH` says 2019's meaning and a later one 2020's, and values saying the
other are an error; without one, values that tell nothing (no row with 300 Mbit/s premises)
are an error asking for the month in the name, never a guess.

Which 2020 file that is cannot be read from it: its LA codes are the 2019 set (382 LAs, the
four Buckinghamshire districts merged in April 2020 still apart) and its premises lie between
the 201909 and 202009 files, and Ofcom's Connected Nations 2020 file
(``202009_fixed_laua_coverage_r01.csv``) has the 40 columns of 202105 instead (its header and
rows are printed in ``part_1_fixed_broadband_data_cleaning.ipynb`` of
``istaykov/ofcom_broadband``), so it is most probably the Spring 2020 update, data as at
January 2020.

The 2017 layout
---------------
Connected Nations 2017's LA file (:data:`LA_2017`) is read with its verbatim 36-column header,
confirmed from a copy of the published file: ``Kim22345/CFG-Data-Project-``, path
``Project Notebook and Data Files/2017_data.csv`` at commit ``ca619446`` (repository HEAD
``eaad507b``; the same header in ``2017_data.csv`` at commit ``dce21845``), 391 rows, renamed
by the uploader, so the data month is not in its name. It is the 2016 table with ``laua`` for
``laua_code`` and ``FTTP availability (% premises)`` for ``NGA availability (% premises)``; its
line-performance figures (UK line-weighted average download 44.3 Mbit/s, 24 % of lines under
10 Mbit/s) match the House of Commons Library's reading of Ofcom's May 2017 data (44.6 Mbit/s,
24 %).
"""

from __future__ import annotations

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
    "FTTP availability (% premises)": "pct_premises_full_fibre",
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

_UNABLE = (
    "% of premises unable to receive 2Mbit/s,% of premises unable to receive 5Mbit/s,"
    "% of premises unable to receive 10Mbit/s,% of premises unable to receive 30Mbit/s"
)
#: Line-performance columns of the 2016 and 2017 LA files (of connected lines, not premises).
_LINE_PERFORMANCE = (
    "Median download speed (Mbit/s),Average download speed (Mbit/s),"
    "Minimum download speed (Mbit/s),Maximum download speed (Mbit/s),"
    "Average download speed (Mbit/s) for lines  < 10Mbit/s,"
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
    "Average data usage (GB) for SFBB lines,Average data usage (GB) for UFBB lines"
)

#: Connected Nations 2016 LA file: coverage and line performance in one table, no counts.
LA_2016 = Release(
    name="2016",
    columns=_columns(
        "laua_code,laua_name,SFBB availability (% premises),UFBB availability (% premises),"
        "NGA availability (% premises)," + _UNABLE + "," + _LINE_PERFORMANCE,
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

#: Connected Nations 2017 LA file: 2016's table with key 'laua' and FTTP for NGA (see notes).
LA_2017 = Release(
    name="2017",
    columns=_columns(
        "laua,laua_name,SFBB availability (% premises),UFBB availability (% premises),"
        "FTTP availability (% premises)," + _UNABLE + "," + _LINE_PERFORMANCE,
        pct_premises_sfbb="pct_premises_speed_30_300",
        median_download_mbit=None,
        average_download_mbit=None,
        median_upload_mbit=None,
        average_upload_mbit=None,
    ),
    notes=(
        "Connected Nations 2017 LA file: coverage and line performance in one table, key "
        "'laua'; percentages only (whole numbers), no premises counts. 'FTTP availability' is "
        "read as pct_premises_full_fibre (Ofcom's 'Full Fibre' from 2018); no NGA column. The "
        "line-performance columns (speeds of connected lines, numbers of lines, data usage) "
        "are not used. 'SFBB availability' counts 30-to-under-300 Mbit/s premises only (it + "
        "UFBB + unable-to-receive-30 is at most 101 in every LA; Hull: 1 + 45 + 54): read as "
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

_HEADER_2019 = "laua,laua_name," + _AVAILABILITY_2018 + "," + _BAND_NUMBERS + "," + _BAND_PERCENTS

#: Connected Nations 2019 LA file: adds speed bands; SFBB % exclusive, SFBB number inclusive.
LA_2019 = Release(
    name="2019",
    columns=_columns(_HEADER_2019, pct_premises_sfbb=None),
    notes=(
        "Connected Nations 2019 LA file. 'SFBB availability (% premises)' is the exclusive "
        "30-to-under-300 Mbit/s share (it equals '% of premises with 30<300Mbit/s download "
        "speed', kept as pct_premises_speed_30_300) and is not used; 'Number of premises with "
        "SFBB availability' is inclusive (>= 30 Mbit/s; checked: it equals the 30<300 and "
        ">=300 Mbit/s band numbers together) and kept as premises_sfbb; pct_premises_sfbb "
        "recomputed as 100 x premises_sfbb / premises, rounded to 1 dp."
    ),
)

#: Connected Nations update, data as at January 2020 (probably): 2019's 38 columns, SFBB % 30+.
LA_2020 = Release(
    name="2020",
    columns=_columns(_HEADER_2019),
    notes=(
        "Ofcom LA file of 2020 in the 38 columns of the 2019 file (probably the Spring 2020 "
        "update, data as at January 2020; Connected Nations 2020, September 2020, has the 40 "
        "columns of 202105). 'SFBB availability (% premises)' and 'Number of premises with "
        "SFBB availability' both count 30 Mbit/s or more (checked: the number equals the "
        "30<300 and >=300 Mbit/s band numbers together), used as published."
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
LA_RELEASES: list[Release] = [
    LA_2016,
    LA_2017,
    LA_2018,
    LA_2019,
    LA_2020,
    LA_202105,
    LA_202507,
]

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
        e.g. ``202507_fixed_laua_coverage_r01.csv``; the 2016, 2017, 2018, 2019, 2020, 202105
        and 202507 layouts are known (:data:`LA_RELEASES`).

    Returns
    -------
    pandas.DataFrame
        One row per local authority district: ``la_code`` (ONS LAD code of the vintage Ofcom
        used), ``la_name`` (the publisher's name, stripped; names Ofcom wrote in UPPER CASE, as
        in 2019 and 2021, are title-cased), ``la_name_published`` (the publisher's text,
        stripped), then the count, percentage and (2016) speed columns the release publishes.
        ``premises_sfbb`` / ``pct_premises_sfbb`` are always >= 30 Mbit/s inclusive. ``attrs``:
        ``release``, ``release_basis`` (``"file name"``, ``"header"`` or ``"content"``),
        ``release_note``, ``layout``, ``source_file``, ``premises_scope``, ``notes``; see the
        module docstring for how the 2019 and 2020 files, which share a header, are told
        apart.

    Raises
    ------
    IngestError
        As :func:`read_fixed_oa`, for LA codes; also when a 2019/2020-header file's values
        contradict its file name's month, or tell neither release apart without one, or when
        a layout's exclusive SFBB overlaps UFBB.

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
    candidates = _match(raw.columns, level, path=path)
    if raw.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no rows.")
    identity = _identify(candidates, raw, path, _LEVELS[level][1])
    release = identity.layout
    frame = apply_release(raw, release)
    header_of = {name: header for header, name in release.columns.items() if name is not None}
    notes = [release.notes, identity.note]

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
    out.attrs = {
        "release": identity.release,
        "release_basis": identity.basis,
        "release_note": identity.note,
        "layout": release.name,
        "source_file": path.name,
        "premises_scope": scope,
        "notes": " ".join(notes),
    }
    return out


def _match(columns: Iterable[str], level: str, *, path: Path) -> list[Release]:
    """Return the releases of ``level`` with exactly these headers, in this order if any.

    Several are returned when releases share the headers (2019 and 2020) or the names only
    (202105 and 202507, in a file whose columns are in neither's order); :func:`_identify`
    chooses. When the headers are those of another level, say which reader to use instead.
    """
    found = [str(c) for c in columns]
    _, releases, _ = _LEVELS[level]
    same = [r for r in releases if r.headers == frozenset(found)]
    if same:
        return [r for r in same if list(r.columns) == found] or same
    for other, (what, other_releases, reader) in _LEVELS.items():
        if other != level and any(r.headers == frozenset(found) for r in other_releases):
            raise IngestError(
                f"{SOURCE}: {path.name} is {what}, not {_LEVELS[level][0]}; read it with "
                f"ingest.sources.ofcom_fixed.{reader}()."
            )
    return [match_release(found, releases, path=path, source=SOURCE)]


@dataclass(frozen=True)
class _Identity:
    """Which release a file is, and how that is known.

    Attributes
    ----------
    layout : Release
        Header map the file is read with.
    release : str
        Release name: the file name's ``YYYYMM_`` prefix, else the layout's name.
    basis : {"file name", "content", "header"}
        What the release was read from.
    note : str
        What was inferred from what (for ``attrs["release_note"]`` and the notes).
    """

    layout: Release
    release: str
    basis: str
    note: str


def _identify(
    candidates: list[Release], raw: pd.DataFrame, path: Path, releases: list[Release]
) -> _Identity:
    """Choose the release of a file from its name and, where headers are shared, its values.

    The file name's ``YYYYMM_`` prefix (Ofcom's own names) gives the release when present;
    otherwise the header does, when one layout has it. The 2019 and 2020 LA layouts share their
    38 columns and differ in what 'SFBB availability (% premises)' counts, so for them the
    values decide (:func:`_sfbb_meaning`), checked against the file name's month when there is
    one.
    """
    prefix = _RELEASE_PREFIX.match(path.name)
    month = prefix.group(1) if prefix else None
    alike = all(dict(c.columns) == dict(candidates[-1].columns) for c in candidates)
    if not alike:
        return _identify_2019_or_2020(raw, path, month)
    layout = candidates[-1]
    if month:
        note = f"Release {month} from the file name's YYYYMM_ prefix (layout {layout.name})."
        return _Identity(layout, month, "file name", note)
    shared = [r.name for r in releases if r is not layout and r.headers == layout.headers]
    if not shared:
        how = "only that layout has these columns"
    elif len(candidates) == 1:
        how = f"it shares its column names with {', '.join(shared)} but not their order"
    else:
        how = (
            f"its column names are those of {', '.join(shared)} too, in neither's order; these "
            f"layouts read alike, and the newest, {layout.name}, is named"
        )
    note = (
        f"Release {layout.name} inferred from the header, not the file name (no YYYYMM_ "
        f"prefix): {how}."
    )
    return _Identity(layout, layout.name, "header", note)


#: Data month from which the 38-column LA layout's 'SFBB availability (% premises)' counts
#: 30 Mbit/s or more: 201909 counts 30 to under 300 Mbit/s only, the 2020 file 30 or more.
FIRST_INCLUSIVE_MONTH = "202001"

#: What 'SFBB availability (% premises)' counts -> the layout that reads it that way.
_SFBB_MEANINGS = {"30-300": LA_2019, "30+": LA_2020}
_SFBB_PCT = "SFBB availability (% premises)"
_SFBB_NUMBER = "Number of premises with SFBB availability"
_BAND_30_300 = "Number of premises with 30<300Mbit/s download speed"
#: Half a step of Ofcom's one-decimal percentages, plus a float margin.
_ROUNDING = 0.05 + 1e-9
_MEANING_WORDS = {
    "30-300": (
        "the 30-to-under-300 Mbit/s share, 100 x 'Number of premises with 30<300Mbit/s "
        "download speed' / 'All Premises' (Connected Nations 2019)"
    ),
    "30+": (
        "the 30 Mbit/s-or-more share, 100 x 'Number of premises with SFBB availability' / "
        "'All Premises' (the 2020 file)"
    ),
}

_MEANING_SHORT = {
    "30-300": "the 30-to-under-300 Mbit/s share, as in Connected Nations 2019",
    "30+": "the 30 Mbit/s-or-more share, as in the 2020 file",
}


def _identify_2019_or_2020(raw: pd.DataFrame, path: Path, month: str | None) -> _Identity:
    """Tell Ofcom's 2019 LA file from the 2020 one (the same 38 columns) by name and values."""
    meaning, evidence, shares = _sfbb_meaning(raw, path)
    if month is None:
        if meaning is None:
            raise IngestError(
                f"{SOURCE}: {path.name} has the 38 columns of both Ofcom's 2019 and 2020 LA "
                f"files, and its values cannot tell them apart: {evidence}. Put the release "
                "month in front of its name as Ofcom does, e.g. "
                f"201909_{path.name} or 202001_{path.name}."
            )
        layout = _SFBB_MEANINGS[meaning]
        note = (
            f"Release {layout.name} inferred from the file's content, not its header (Ofcom's "
            "2019 and 2020 LA files share these 38 columns) nor its name (no YYYYMM_ prefix): "
            f"{evidence}, so its SFBB % is {_MEANING_SHORT[meaning]}."
        )
        return _Identity(layout, layout.name, "content", note)
    expected = "30-300" if month < FIRST_INCLUSIVE_MONTH else "30+"
    if meaning not in (None, expected):
        telling = shares["telling"]
        _refuse(
            telling,
            shares["published"],
            raw,
            path,
            _SFBB_PCT,
            f"{shares[expected][telling].iloc[0]:.1f}, {_MEANING_WORDS[expected]}, as the file "
            f"name's month {month} says; but its values are {_MEANING_WORDS[meaning]} "
            f"({evidence}). Check the file's name against its release",
            keys=pd.DataFrame({"la_code": raw["laua"].str.strip()}),
        )
    layout = _SFBB_MEANINGS[expected]
    agrees = "its content agrees" if meaning else "its content cannot confirm it"
    note = (
        f"Release {month} from the file name's YYYYMM_ prefix (layout {layout.name}: SFBB % is "
        f"{_MEANING_SHORT[expected]}); {agrees}: {evidence}."
    )
    return _Identity(layout, month, "file name", note)


def _sfbb_meaning(raw: pd.DataFrame, path: Path) -> tuple[str | None, str, dict[str, pd.Series]]:
    """Read what a 38-column LA file's 'SFBB availability (% premises)' counts, from its values.

    Each row's published SFBB % is set beside two shares recomputed from the row's own
    counts: the 30-to-under-300 Mbit/s band and the (inclusive) SFBB number, each over All
    Premises. A one-decimal percentage is within 0.05 of the share it rounds; where the two
    shares differ by more than 0.1 it can match only one of them, so those rows tell the two
    meanings apart. In Ofcom's 2019 file all 382 rows match the band, 381 of them telling
    (Orkney has no premises of 300 Mbit/s or more); in the 2020 file all 382 match the SFBB
    number, 381 telling.

    Returns
    -------
    (str or None, str, dict of str to pandas.Series)
        ``"30-300"``, ``"30+"``, or None when no row tells; the evidence in words; the
        published and recomputed shares and the telling rows (for messages).

    Raises
    ------
    IngestError
        A telling row matching neither share, or telling rows that disagree.
    """

    def number(header: str, kind: Literal["count", "percent"]) -> pd.Series:
        return to_number(raw, header, path=path, source=SOURCE, kind=kind).astype(float)

    premises = number("All Premises", "count")
    shares = {
        "published": number(_SFBB_PCT, "percent"),
        "30-300": 100 * number(_BAND_30_300, "count") / premises.where(premises > 0),
        "30+": 100 * number(_SFBB_NUMBER, "count") / premises.where(premises > 0),
    }
    telling = (shares["30+"] - shares["30-300"]).abs() > 2 * _ROUNDING
    shares["telling"] = telling
    fits = {
        m: telling & ((shares["published"] - shares[m]).abs() <= _ROUNDING) for m in _SFBB_MEANINGS
    }
    keys = pd.DataFrame({"la_code": raw["laua"].str.strip()})
    _refuse(
        telling & ~fits["30-300"] & ~fits["30+"],
        shares["published"],
        raw,
        path,
        _SFBB_PCT,
        "one of two shares recomputed from the row's counts, to rounding: "
        + " or ".join(_MEANING_WORDS.values()),
        keys=keys,
    )
    counts = {m: int(f.sum()) for m, f in fits.items()}
    if all(counts.values()):
        usual = max(counts, key=lambda m: counts[m])
        odd = next(m for m in _SFBB_MEANINGS if m != usual)
        _refuse(
            fits[odd],
            shares["published"],
            raw,
            path,
            _SFBB_PCT,
            f"{_MEANING_WORDS[usual]}, as in {counts[usual]} other row(s); this row has "
            f"{_MEANING_WORDS[odd]}, and one file cannot mean both",
            keys=keys,
        )
    total = int(telling.sum())
    if not total:
        return (
            None,
            (
                "in no row do the 30-to-under-300 Mbit/s and the 30 Mbit/s-or-more shares differ "
                "by more than rounding"
            ),
            shares,
        )
    meaning = next(m for m, n in counts.items() if n)
    header = _BAND_30_300 if meaning == "30-300" else _SFBB_NUMBER
    evidence = (
        f"'{_SFBB_PCT}' equals 100 x '{header}' / 'All Premises' to rounding in all {total} "
        "row(s) where the 30-to-under-300 Mbit/s and the 30 Mbit/s-or-more shares differ"
    )
    return meaning, evidence, shares


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
    """Make ``premises_sfbb`` / ``pct_premises_sfbb`` inclusive (>= 30 Mbit/s) in every layout.

    Where a layout's SFBB counted 30 to under 300 Mbit/s only, the check that it did (it and
    UFBB cannot overlap) comes first, so a file that already counts 30 or more is refused
    rather than counted twice; where a layout's SFBB number is taken as inclusive, it is
    checked to equal the 30<300 and >=300 Mbit/s bands together.
    """
    if layout in ("2016", "2017"):
        parts = (
            numbers["pct_premises_speed_30_300"]
            + numbers["pct_premises_ufbb"]
            + numbers["pct_premises_below_30mbit"]
        )
        _refuse(
            parts > 101,
            parts,
            frame,
            path,
            (
                header_of["pct_premises_speed_30_300"],
                header_of["pct_premises_ufbb"],
                header_of["pct_premises_below_30mbit"],
            ),
            "at most 101 (100 and the rounding of three whole-number percentages): in the "
            f"{layout} layout SFBB excludes UFBB, so SFBB, UFBB and the premises unable to "
            f"receive 30Mbit/s cannot overlap (is this really a {layout} file?)",
            keys=keys,
        )
        total = numbers["pct_premises_speed_30_300"] + numbers["pct_premises_ufbb"]
        numbers["pct_premises_sfbb"] = total.clip(upper=100.0)
        return
    if layout in ("2019", "2020"):
        bands = numbers["premises_speed_30_300"] + numbers["premises_speed_300_plus"]
        mismatch = numbers["premises_sfbb"] != bands
        if mismatch.any():
            _refuse(
                mismatch,
                numbers["premises_sfbb"],
                frame,
                path,
                header_of["premises_sfbb"],
                f"the 30<300 and >=300 Mbit/s band numbers together ({bands[mismatch].iloc[0]:,}):"
                f" the {layout} layout's SFBB number is read as premises with 30 Mbit/s or more",
                keys=keys,
            )
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
