"""Fetch, from the official publishers, every source file one local authority's build needs.

``python -m ingest download --la trafford`` fills a folder that ``python -m ingest build --la
E08000009 --sources <folder>`` then reads with no network. Everything fetched is listed in the
module-level :data:`CATALOGUE`: who publishes it, the page a council officer can open in a
browser, the address the tool asks, the name the file is saved as, its licence, its release,
and whether that address was confirmed from public material (``confirmed``, with the
``evidence``). An address that could not be confirmed is never guessed: its entry has no
``path`` and its page to check, and asking for it ends with the manual instructions.

How each kind of source is fetched (all HTTP through :mod:`ingest._http`):

- ``arcgis_features`` / ``arcgis_table``: the ONS Open Geography Portal's ArcGIS REST
  FeatureServer ``query`` endpoint, filtered with ``where`` (``LAD24CD='<code>'``, or
  ``<CODE> IN (...)`` in batches of :data:`IN_BATCH` codes taken from a lookup fetched before),
  ``outFields=*``, ``outSR=4326``, ordered by the area code and paged with ``resultOffset`` /
  ``resultRecordCount`` for as long as the answer says ``exceededTransferLimit`` (ONS caps the
  records per answer, at 1,000 or 2,000 depending on the service). Features are merged into one
  GeoJSON FeatureCollection (``f=geojson``); table rows (``f=json``, no geometry) into a CSV
  with the service's own column names. Both are written atomically, and every area code asked
  for must come back.
- ``zip``: Ofcom's Connected Nations zips are saved under ``archives/`` and only the named
  members (e.g. the all-premises output-area CSV, not the residential one) are extracted, under
  their original file names, refusing archives with absolute or ``..`` member paths and members
  larger than :data:`MAX_MEMBER_BYTES`.
- ``file``: one download (the MHCLG workbook).
- ``nomis_csv``: the Nomis API, one CSV per batch of LSOA codes, merged under one header.

Output areas are filtered through the lookups, never spatially: the LSOA 2021 -> ward best-fit
lookup gives the authority's LSOAs (``LAD24CD='<code>'``), the OA 2021 -> LSOA 2021 -> LAD
lookup gives their output areas (``LSOA21CD IN (...)``), and the boundary services are asked
for exactly those codes (``OA21CD IN (...)``, ``LSOA21CD IN (...)``). This also works for
authorities created after the 2022 codes of the OA lookup (e.g. Cumberland, 2023).

A second call makes no request for a file already complete (present, and matching the sha256
that ``download_manifest.json`` recorded for it). The manifest lists, for every file, the
address, the time it was fetched, its sha256 and size, and the release.

Licences: every source here is published under the Open Government Licence v3.0; the
attribution each publisher asks for is in its catalogue entry.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal
from urllib.parse import urlsplit

import pandas as pd
import requests
from rich.console import Console

from ingest._errors import IngestError
from ingest._http import DownloadError, download, fetch_json, sha256_file
from ingest.sources import census_topics

__all__ = [
    "CATALOGUE",
    "DEFAULT_RELEASES",
    "LA_NAMES",
    "MANIFEST_NAME",
    "PUBLISHER_BASES",
    "Source",
    "arcgis_query",
    "download_sources",
    "extract_members",
    "fetch_la_names",
    "is_la_code",
    "resolve_la",
    "select_sources",
]

logger = logging.getLogger(__name__)

#: Name of the record of downloads kept in the destination folder.
MANIFEST_NAME = "download_manifest.json"
#: Sub-folder of the destination where publishers' zips are kept (the build skips zips).
ARCHIVE_DIR = "archives"
#: Records asked per ArcGIS request; ONS services return fewer (their cap) and say so.
ARCGIS_PAGE_SIZE = 1000
#: Codes per ``IN (...)`` clause or Nomis geography list: keeps each address under ~2 kB.
IN_BATCH = 50
#: Largest member extracted from a zip, in bytes (the Ofcom OA file is about 40 MB).
MAX_MEMBER_BYTES = 2 * 1024**3
#: Pages of one ArcGIS query before giving up (a server that never stops paging).
MAX_PAGES = 10_000

OGL = "Open Government Licence v3.0"
_ONS_OS = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right"
)
_ONS = "Source: Office for National Statistics licensed under the Open Government Licence v3.0"
_OFCOM = "Contains Ofcom data © Ofcom, licensed under the Open Government Licence v3.0"
_MHCLG = "Contains public sector information licensed under the Open Government Licence v3.0"
_ONS_PORTAL = "Office for National Statistics, Open Geography Portal"
_GEOPORTAL = "https://geoportal.statistics.gov.uk/datasets/ons::"
_OFCOM_SITEASSETS = (
    "/siteassets/resources/documents/research-and-data/multi-sector/infrastructure-research"
)
_OFCOM_2025_PAGE = (
    "https://www.ofcom.org.uk/phones-and-broadband/coverage-and-speeds/"
    "connected-nations-20252/data-downloads-2025"
)
_OFCOM_2026_PAGE = (
    "https://www.ofcom.org.uk/phones-and-broadband/coverage-and-speeds/"
    "connected-nations-update-spring-2026"
)
_IOD2019_PAGE = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
_IOD2025_PAGE = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"

#: Root address of each publisher; ``base_urls`` of :func:`download_sources` replaces them
#: (tests point them at a local server, a council at an approved mirror).
PUBLISHER_BASES: dict[str, str] = {
    "ons_arcgis": "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services",
    "ofcom": "https://www.ofcom.org.uk",
    "gov_uk_assets": "https://assets.publishing.service.gov.uk",
    "nomis": "https://www.nomisweb.co.uk",
    "statistics_gov_scot": "https://statistics.gov.scot",
}

Kind = Literal["file", "zip", "arcgis_features", "arcgis_table", "nomis_csv"]

_LA_CODE = re.compile(r"[ENSW]\d{8}")
_AREA_CODE = re.compile(r"[ENSW]\d{8}")


@dataclass(frozen=True)
class Source:
    """One entry of the catalogue: a file (or filtered query) and where it comes from.

    Attributes
    ----------
    group : str
        What it is, e.g. ``"wards"``, ``"ofcom_fixed"``; one release of a group is fetched.
    release : str
        The publisher's release, e.g. ``"202601"`` (Ofcom data as at January 2026).
    title : str
        The publisher's title of the dataset.
    publisher : str
        Who publishes it.
    kind : {"file", "zip", "arcgis_features", "arcgis_table", "nomis_csv"}
        How it is fetched (see the module docstring).
    base : str
        Key of :data:`PUBLISHER_BASES`.
    path : str or None
        Address under the base: file path, or query endpoint. None when not confirmed.
    files : tuple of (str, str)
        ``(role, file name)`` saved in the folder; for a zip, the members to extract.
    landing_page : str
        Page to open in a browser to download it by hand.
    licence, attribution : str
        Licence, and the acknowledgement the publisher asks for.
    confirmed : bool
        Whether the address was confirmed from public material (see ``evidence``).
    evidence : str
        Where the address was confirmed, or what to check when it was not.
    filter_field : str, optional
        Attribute compared with the local authority code, or with ``codes_from``'s codes.
    codes_from : (str, str), optional
        ``(role, column)`` of an earlier file of this download giving the codes to ask for.
    params : tuple of (str, str)
        Fixed query parameters (Nomis, ArcGIS ``outFields`` for tables).
    default : bool
        Fetched unless asked otherwise; False: only when its group is named in ``releases``.
    when : (str, str), optional
        ``(group, release)`` this source is needed with (the LSOA 2011 files serve IoD 2019).
    always_for : str
        Nations for which it is needed whatever ``when`` says (Wales: WIMD 2019 is on 2011
        LSOAs too).
    nations : str
        First letters of the nations' area codes it serves (``"E"`` England, ``"W"`` Wales,
        ``"S"`` Scotland): Scotland has data zones and SIMD instead of LSOAs, census and IoD.
    notes : str
        Anything the user should know.
    """

    group: str
    release: str
    title: str
    publisher: str
    kind: Kind
    base: str
    path: str | None
    files: tuple[tuple[str, str], ...]
    landing_page: str
    licence: str
    attribution: str
    confirmed: bool
    evidence: str
    filter_field: str | None = None
    codes_from: tuple[str, str] | None = None
    params: tuple[tuple[str, str], ...] = ()
    default: bool = True
    when: tuple[str, str] | None = None
    always_for: str = ""
    nations: str = "EW"
    notes: str = ""

    def url(self, base_urls: Mapping[str, str] | None = None) -> str:
        """Full address, with the publisher's base replaced by ``base_urls[self.base]``."""
        if self.path is None:
            raise IngestError(
                f"download: no confirmed address for {self.title} ({self.release}); open "
                f"{self.landing_page} in a browser."
            )
        base = (base_urls or {}).get(self.base, PUBLISHER_BASES[self.base])
        return base.rstrip("/") + "/" + self.path.lstrip("/")

    @property
    def roles(self) -> tuple[str, ...]:
        """Roles of the files this source fills."""
        return tuple(role for role, _ in self.files)

    @property
    def archive_name(self) -> str:
        """File name of a zip, from the last part of its address (query string dropped)."""
        return PurePosixPath(urlsplit(self.path or "").path).name


def _arcgis(service: str) -> str:
    return f"{service}/FeatureServer/0/query"


def _census_topic(topic: census_topics.Topic) -> Source:
    """Catalogue entry of one Census 2021 topic summary: its Nomis bulk zip, OA and LSOA CSVs."""
    return Source(
        group=topic.role,
        release=topic.table,
        title=(
            f"Census 2021 {topic.table} - {topic.title}, output areas and LSOAs 2021 (Nomis "
            "bulk download)"
        ),
        publisher="Office for National Statistics, Census 2021 (Nomis)",
        kind="zip",
        base="nomis",
        path=urlsplit(topic.zip_url).path,
        files=((topic.role, topic.oa_member), (f"{topic.role}_lsoa", topic.lsoa_member)),
        landing_page=census_topics.BULK_PAGE,
        licence=OGL,
        attribution=_ONS,
        confirmed=True,
        evidence=(
            "zip address /output/census/2021/census2021-tsNNN.zip and its members "
            "census2021-tsNNN-oa.csv, -lsoa.csv (also -msoa, -ltla, -utla, -rgn, -ctry) in "
            "public code and listings of the Nomis bulk files; the TS038 LSOA member is in "
            "../shared/data"
        ),
        notes=(
            f"{topic.count_label.capitalize()}, of {topic.base_label}. The zip is national "
            "(every level); only the output-area and LSOA CSVs are extracted (the build fits "
            "output areas to wards first) and the build keeps the authority's areas."
        ),
    )


#: Every source the download knows, newest release of each group first. Roles are those of
#: :mod:`ingest.discover`, so the build recognises each file by its content.
CATALOGUE: tuple[Source, ...] = (
    # --- ONS geography (filtered to the local authority) ---------------------------------
    Source(
        group="lsoa_ward_lookup",
        release="LSOA 2021 to wards 2024 (best fit)",
        title="LSOA (2021) to Electoral Ward (2024) to LAD (2024) Best Fit Lookup in EW",
        publisher=_ONS_PORTAL,
        kind="arcgis_table",
        base="ons_arcgis",
        path=_arcgis("LSOA21_WD24_LAD24_EW_LU"),
        files=(("lsoa_ward_lookup", "LSOA21_WD24_LAD24_EW_LU.csv"),),
        landing_page=_GEOPORTAL
        + "lsoa-2021-to-electoral-ward-2024-to-lad-2024-best-fit-lookup-in-ew/about",
        licence=OGL,
        attribution=_ONS,
        confirmed=True,
        evidence=(
            "service name and fields LSOA21CD, WD24CD, WD24NM, LAD24CD, LAD24NM in public code "
            "querying it (e.g. where=LAD24CD IN (...)); landing page cited by several projects"
        ),
        filter_field="LAD24CD",
        notes="Ward vintage 2024, the same as the ward boundaries below (the build requires it).",
    ),
    Source(
        group="oa_lsoa_lookup",
        release="OA 2021 to LSOA 2021 to LAD 2022 (exact fit, v3)",
        title=(
            "Output Area (2021) to LSOA to MSOA to LAD (December 2021) Exact Fit Lookup in EW (V3)"
        ),
        publisher=_ONS_PORTAL,
        kind="arcgis_table",
        base="ons_arcgis",
        path=_arcgis("OA_LSOA_MSOA_EW_DEC_2021_LU_v3"),
        files=(("oa_lsoa_lookup", "OA21_LSOA21_MSOA21_LAD22_EW_LU.csv"),),
        landing_page=_GEOPORTAL
        + "output-area-2021-to-lsoa-to-msoa-to-lad-december-2021-exact-fit-lookup-in-ew-v3/about",
        licence=OGL,
        attribution=_ONS,
        confirmed=True,
        evidence="service name in several public scripts (paged, outFields=*); landing page cited",
        filter_field="LSOA21CD",
        codes_from=("lsoa_ward_lookup", "LSOA21CD"),
        notes="Asked for the authority's LSOAs, not LAD22CD, so 2023 authorities work too.",
    ),
    Source(
        group="wards",
        nations="EWS",
        release="December 2024",
        title="Wards (December 2024) Boundaries UK BGC",
        publisher=_ONS_PORTAL,
        kind="arcgis_features",
        base="ons_arcgis",
        path=_arcgis("Wards_December_2024_Boundaries_UK_BGC"),
        files=(("wards", "Wards_December_2024_Boundaries_UK_BGC.geojson"),),
        landing_page=_GEOPORTAL + "wards-december-2024-boundaries-uk-bgc-2/about",
        licence=OGL,
        attribution=_ONS_OS,
        confirmed=True,
        evidence=(
            "service name and fields WD24CD, WD24NM, LAD24CD, LAD24NM in public code paging it "
            "with f=geojson, resultOffset and properties.exceededTransferLimit"
        ),
        filter_field="LAD24CD",
    ),
    Source(
        group="ward_constituency_lookup",
        nations="EWS",
        release="July 2024",
        title=(
            "Ward to Westminster Parliamentary Constituency to LAD to UTLA (July 2024) Lookup in UK"
        ),
        publisher=_ONS_PORTAL,
        kind="arcgis_table",
        base="ons_arcgis",
        path=_arcgis("WD24_PCON24_LAD24_UTLA24_UK_LU"),
        files=(("ward_constituency_lookup", "WD24_PCON24_LAD24_UTLA24_UK_LU.csv"),),
        landing_page=_GEOPORTAL
        + "ward-to-westminster-parliamentary-constituency-to-lad-to-utla-july-2024-lookup-in-uk/"
        "about",
        licence=OGL,
        attribution=_ONS,
        confirmed=True,
        evidence=(
            "service name and fields WD24CD, WD24NM, PCON24CD, PCON24NM, LAD24CD, LAD24NM in "
            "public code querying it (outFields, where on WD24CD); UTLA24CD, UTLA24NM asked of it "
            "in another; landing page cited by several projects, one noting it caps answers at "
            "1,000 rows (paged on exceededTransferLimit, as here)"
        ),
        filter_field="LAD24CD",
        params=(("outFields", "WD24CD,WD24NM,PCON24CD,PCON24NM,LAD24CD,LAD24NM"),),
        notes=(
            "Wards 2024, as the ward boundaries above. Not best fit: a ward split by constituency "
            "boundaries is on one row per constituency (ingest.sources.constituencies refuses it "
            "unless told to keep and label it)."
        ),
    ),
    Source(
        group="output_areas",
        release="December 2021 (V2)",
        title="Output Areas (December 2021) Boundaries EW BGC (V2)",
        publisher=_ONS_PORTAL,
        kind="arcgis_features",
        base="ons_arcgis",
        path=_arcgis("Output_Areas_2021_EW_BGC_V2"),
        files=(("output_areas", "Output_Areas_2021_EW_BGC_V2.geojson"),),
        landing_page=_GEOPORTAL + "output-areas-december-2021-boundaries-ew-bgc-v2/about",
        licence=OGL,
        attribution=_ONS_OS,
        confirmed=True,
        evidence="service name and field OA21CD in many public scripts; landing page cited",
        filter_field="OA21CD",
        codes_from=("oa_lsoa_lookup", "OA21CD"),
        notes="Filtered through the OA lookup (OA21CD IN ...): the layer has no LAD field.",
    ),
    Source(
        group="lsoas_2021",
        release="December 2021 (V5)",
        title="Lower layer Super Output Areas (December 2021) Boundaries EW BGC (V5)",
        publisher=_ONS_PORTAL,
        kind="arcgis_features",
        base="ons_arcgis",
        path=_arcgis("Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BGC_V5"),
        files=(
            ("lsoas", "Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BGC_V5.geojson"),
        ),
        landing_page=_GEOPORTAL
        + "lower-layer-super-output-areas-december-2021-boundaries-ew-bgc-v5-2/about",
        licence=OGL,
        attribution=_ONS_OS,
        confirmed=True,
        evidence="service name and fields LSOA21CD, LSOA21NM in many public scripts",
        filter_field="LSOA21CD",
        codes_from=("lsoa_ward_lookup", "LSOA21CD"),
    ),
    Source(
        group="lsoa11_lsoa21_lookup",
        release="LSOA 2011 to LSOA 2021 to LAD 2022 (exact fit, v5)",
        title=(
            "LSOA (2011) to LSOA (2021) to Local Authority District (2022) Exact Fit Lookup for EW"
        ),
        publisher=_ONS_PORTAL,
        kind="arcgis_table",
        base="ons_arcgis",
        path=_arcgis("LSOA11_LSOA21_LAD22_EW_LU_v5"),
        files=(("lsoa11_lsoa21_lookup", "LSOA11_LSOA21_LAD22_EW_LU.csv"),),
        landing_page=(
            "https://www.data.gov.uk/dataset/03a52a27-36e7-4f33-a632-83282faea36f/"
            "lsoa-2011-to-lsoa-2021-to-local-authority-district-2022-exact-fit-lookup-for-ew-v3"
        ),
        licence=OGL,
        attribution=_ONS,
        confirmed=True,
        evidence="service name in two public projects' ONS clients; fields LSOA11CD, LSOA21CD",
        filter_field="LSOA21CD",
        codes_from=("lsoa_ward_lookup", "LSOA21CD"),
        when=("iod", "2019"),
        always_for="W",
        notes="Only to know which 2011 LSOAs to fetch for IoD 2019 (2011 LSOAs).",
    ),
    Source(
        group="lsoas_2011",
        release="December 2011 (V3)",
        title=(
            "Lower Layer Super Output Areas (December 2011) Boundaries Generalised Clipped EW (V3)"
        ),
        publisher=_ONS_PORTAL,
        kind="arcgis_features",
        base="ons_arcgis",
        path=_arcgis("LSOA_Dec_2011_Boundaries_Generalised_Clipped_BGC_EW_V3"),
        files=(("lsoas_2011", "LSOA_Dec_2011_Boundaries_Generalised_Clipped_BGC_EW_V3.geojson"),),
        landing_page=(
            "https://geoportal.statistics.gov.uk/ (search: Lower Layer Super Output Areas "
            "December 2011 Boundaries Generalised Clipped)"
        ),
        licence=OGL,
        attribution=_ONS_OS,
        confirmed=True,
        evidence="service name and fields LSOA11CD, LSOA11NM in several public scripts",
        filter_field="LSOA11CD",
        codes_from=("lsoa11_lsoa21_lookup", "LSOA11CD"),
        when=("iod", "2019"),
        always_for="W",
        notes="The build traces 2021 LSOAs to the 2011 LSOAs of IoD 2019 with both boundary sets.",
    ),
    # --- Ofcom Connected Nations ------------------------------------------------------------
    Source(
        group="ofcom_fixed",
        nations="EWS",
        release="202601",
        title=(
            "Connected Nations update Spring 2026: fixed broadband coverage and full fibre "
            "take-up (data as at January 2026)"
        ),
        publisher="Ofcom, Connected Nations",
        kind="zip",
        base="ofcom",
        path=(
            _OFCOM_SITEASSETS + "/connected-nations-spring-2026/"
            "202601_fixed_broadband_coverage_and_full_fibre_take-up-r1.zip?v=422620"
        ),
        files=(
            ("ofcom_fixed_oa", "202601_fixed_oa_coverage_r1.csv"),
            ("ofcom_fixed_la", "202601_fixed_laua_coverage_r1.csv"),
        ),
        landing_page=_OFCOM_2026_PAGE,
        licence=OGL,
        attribution=_OFCOM,
        confirmed=True,
        evidence=(
            "zip address (v=422620 is the 7 July 2026 reissue) in several public scripts; member "
            "names 202601_fixed_oa_coverage_r1.csv (Ofcom's guide, parser fixtures) and "
            "202601_fixed_laua_coverage_r1/202601_fixed_laua_coverage_r1.csv (public code)"
        ),
        notes=(
            "About 34 MB; only the two CSVs are extracted (not the residential or postcode files)."
        ),
    ),
    Source(
        group="ofcom_fixed",
        nations="EWS",
        release="202507",
        title="Connected Nations 2025: fixed broadband coverage (data as at July 2025)",
        publisher="Ofcom, Connected Nations",
        kind="zip",
        base="ofcom",
        path=_OFCOM_SITEASSETS
        + "/connected-nations-2025/202507_fixed_broadband_coverage_r01.zip?v=407830",
        files=(
            ("ofcom_fixed_oa", "202507_fixed_oa_coverage_r01.csv"),
            ("ofcom_fixed_la", "202507_fixed_laua_coverage_r01.csv"),
        ),
        landing_page=_OFCOM_2025_PAGE,
        licence=OGL,
        attribution=_OFCOM,
        confirmed=True,
        evidence=(
            "zip address probed with HTTP 200 in a public research note (2026-08-10); member "
            "names from public code and the LA file in ../shared/data"
        ),
        notes=(
            "ingest.sources.ofcom_fixed knows the 202507 LA layout but not (yet) the 202507 OA "
            "layout."
        ),
    ),
    Source(
        group="ofcom_mobile",
        nations="EWS",
        release="202601",
        title="Connected Nations update Spring 2026: mobile coverage (data as at January 2026)",
        publisher="Ofcom, Connected Nations",
        kind="zip",
        base="ofcom",
        path=_OFCOM_SITEASSETS
        + "/connected-nations-spring-2026/202601_mobile_coverage_r1.zip?v=417690",
        files=(("ofcom_mobile_la", "202601_mobile_coverage_laua_r01.csv"),),
        landing_page=_OFCOM_2026_PAGE,
        licence=OGL,
        attribution=_OFCOM,
        confirmed=True,
        evidence=(
            "zip address and member name in public code reading it; 202601_mobile_coverage_pcon_r01"
            ".csv of the same release in another project"
        ),
        notes=(
            "ingest.sources.ofcom_mobile knows the 202507 header; if 202601 differs the build "
            "skips it."
        ),
    ),
    Source(
        group="ofcom_mobile",
        nations="EWS",
        release="202507",
        title="Connected Nations 2025: mobile coverage (data as at July 2025)",
        publisher="Ofcom, Connected Nations",
        kind="zip",
        base="ofcom",
        path=_OFCOM_SITEASSETS + "/connected-nations-2025/202507_mobile_coverage_r01.zip?v=407840",
        files=(("ofcom_mobile_la", "202507_mobile_coverage_laua_r01.csv"),),
        landing_page=_OFCOM_2025_PAGE,
        licence=OGL,
        attribution=_OFCOM,
        confirmed=True,
        evidence=(
            "zip address in several public scripts (probed HTTP 200 in one); member "
            "202507_mobile_coverage_r01/202507_mobile_coverage_laua_r01.csv in public code"
        ),
    ),
    Source(
        group="ofcom_mobile_constituency",
        nations="EWS",
        release="202601",
        title=(
            "Connected Nations update Spring 2026: mobile coverage by Westminster constituency "
            "(data as at January 2026)"
        ),
        publisher="Ofcom, Connected Nations",
        kind="zip",
        base="ofcom",
        path=_OFCOM_SITEASSETS
        + "/connected-nations-spring-2026/202601_mobile_coverage_r1.zip?v=417690",
        files=(("ofcom_mobile_constituency", "202601_mobile_coverage_pcon_r01.csv"),),
        landing_page=_OFCOM_2026_PAGE,
        licence=OGL,
        attribution=_OFCOM,
        confirmed=True,
        evidence=(
            "the mobile zip above (its address confirmed); member name in public code reading "
            "it (columns parl_const_name, prem_count, {tech}_prem_out_N), and another project's "
            "notes that the mobile zip holds the pcon, laua and devcon files together"
        ),
        notes=(
            "The same zip as the LA mobile file (downloaded once, kept in archives/). "
            "ingest.sources.ofcom_mobile knows the 202507 layout (assumed the LA file's with "
            "parl_const, parl_const_name); if 202601 differs the build skips it."
        ),
    ),
    Source(
        group="ofcom_mobile_constituency",
        nations="EWS",
        release="202507",
        title="Connected Nations 2025: mobile coverage by Westminster constituency (July 2025)",
        publisher="Ofcom, Connected Nations",
        kind="zip",
        base="ofcom",
        path=_OFCOM_SITEASSETS + "/connected-nations-2025/202507_mobile_coverage_r01.zip?v=407840",
        files=(("ofcom_mobile_constituency", "202507_mobile_coverage_pcon_r01.csv"),),
        landing_page=_OFCOM_2025_PAGE,
        licence=OGL,
        attribution=_OFCOM,
        confirmed=True,
        evidence=(
            "the mobile zip above (its address confirmed); member name in public code naming "
            "the constituency files of the Connected Nations mobile zips"
        ),
    ),
    Source(
        group="ofcom_not_spots",
        nations="EWS",
        release="latest",
        title="Mobile 'not-spot' data: postcodes where some premises get no reliable indoor signal",
        publisher="Ofcom, Connected Nations and infrastructure research",
        kind="file",
        base="ofcom",
        path=None,
        files=(("ofcom_mobile_not_spots", "ofcom_mobile_not_spot_postcodes.csv"),),
        landing_page=(
            "https://www.ofcom.org.uk/research-and-data/multi-sector-research/infrastructure-research"
        ),
        licence=OGL,
        attribution=_OFCOM,
        confirmed=False,
        evidence=(
            "Ofcom's page says it publishes not-spot postcode lists from time to time; no file "
            "address or layout was found in public material. Save the list as a CSV whose one "
            "column is headed 'postcode' (the layout ingest.sources.ofcom_notspots reads), with "
            "the month of the list in the name (e.g. ofcom_mobile_not_spot_postcodes_2025-07.csv)."
        ),
        default=False,
        notes="Optional. Ask with --release ofcom_not_spots=latest for the instructions.",
    ),
    # --- BDUK premises in plans -------------------------------------------------------------
    Source(
        group="bduk_premises",
        release="January 2025 OMR",
        title=(
            "January 2025 OMR and premises in BDUK plans (England and Wales), published 1 July "
            "2025: one CSV per local authority district, zipped by region"
        ),
        publisher="Building Digital UK (Department for Science, Innovation and Technology)",
        kind="file",
        base="gov_uk_assets",
        path=None,
        files=(("bduk_premises", "premises_in_bduk_plans_january_2025_omr.csv"),),
        landing_page=(
            "https://www.gov.uk/government/publications/"
            "january-2025-omr-and-premises-in-bduk-plans-england-and-wales"
        ),
        licence=OGL,
        attribution=(
            "Contains public sector information licensed under the Open Government Licence v3.0 "
            "(Building Digital UK). Contains OS data © Crown copyright and database right"
        ),
        confirmed=False,
        evidence=(
            "the page (cited by several public projects) lists one zip per region behind opaque "
            "media addresses; none was found in public material. On it, download your region's "
            "zip and save your authority's CSV from it under the file name given (the month and "
            "year in the name are the release the build reports)."
        ),
        default=False,
        nations="EW",
        notes=(
            "Optional; about 186,000 rows for a city. Ask with --release "
            "'bduk_premises=January 2025 OMR' for the instructions. Later OMR pages (January "
            "2026, May 2026) exist; ingest.sources.bduk reads the 2025 layout only."
        ),
    ),
    # --- MHCLG English Indices of Deprivation ----------------------------------------------
    Source(
        group="iod",
        nations="E",
        release="2019",
        title="English indices of deprivation 2019, File 2: domains of deprivation",
        publisher="Ministry of Housing, Communities and Local Government",
        kind="file",
        base="gov_uk_assets",
        path=(
            "/government/uploads/system/uploads/attachment_data/file/833973/File_2_-_"
            "IoD2019_Domains_of_Deprivation.xlsx"
        ),
        files=(("iod", "File_2_-_IoD2019_Domains_of_Deprivation.xlsx"),),
        landing_page=_IOD2019_PAGE,
        licence=OGL,
        attribution=_MHCLG,
        confirmed=True,
        evidence="address in several public scripts that download it (read_excel of sheet 2)",
        notes="2011 LSOAs: the build traces them to 2021 LSOAs with the LSOA 2011 boundaries.",
    ),
    Source(
        group="iod",
        nations="E",
        release="2025",
        title="English indices of deprivation 2025, File 2: domains of deprivation (corrected v2)",
        publisher="Ministry of Housing, Communities and Local Government",
        kind="file",
        base="gov_uk_assets",
        path="/media/691decfae39a085bda43efcd/File_2_IoD2025_Domains_of_Deprivation.xlsx",
        files=(("iod", "File_2_IoD2025_Domains_of_Deprivation.xlsx"),),
        landing_page=_IOD2025_PAGE,
        licence=OGL,
        attribution=_MHCLG,
        confirmed=True,
        evidence="address in one public downloader ('English IoD 2025 domains, corrected v2')",
        notes="On 2021 LSOAs, like the census and lookups: no LSOA 2011 files needed.",
    ),
    Source(
        group="iod_all",
        nations="E",
        release="2019",
        title=(
            "English indices of deprivation 2019, File 7: all ranks, scores, deciles and "
            "population denominators"
        ),
        publisher="Ministry of Housing, Communities and Local Government",
        kind="file",
        base="gov_uk_assets",
        path=(
            "/government/uploads/system/uploads/attachment_data/file/845345/File_7_-_All_"
            "IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv"
        ),
        files=(
            (
                "iod",
                "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
            ),
        ),
        landing_page=_IOD2019_PAGE,
        licence=OGL,
        attribution=_MHCLG,
        confirmed=True,
        evidence="address in many public scripts reading it directly (read_csv / d3.csv)",
        default=False,
        notes="About 12 MB; optional (scores too). Ask with releases={'iod_all': '2019'}.",
    ),
    Source(
        group="iod_all",
        nations="E",
        release="2025",
        title=(
            "English indices of deprivation 2025, File 7: all ranks, scores, deciles and "
            "population denominators"
        ),
        publisher="Ministry of Housing, Communities and Local Government",
        kind="file",
        base="gov_uk_assets",
        path=(
            "/media/691ded56d140bbbaa59a2a7d/File_7_IoD2025_All_Ranks_Scores_Deciles_"
            "Population_Denominators.csv"
        ),
        files=(("iod", "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"),),
        landing_page=_IOD2025_PAGE,
        licence=OGL,
        attribution=_MHCLG,
        confirmed=True,
        evidence="address in two independent public projects",
        default=False,
    ),
    # --- Welsh and Scottish deprivation; Scottish data zones ------------------------------
    Source(
        group="wimd",
        nations="W",
        release="2019",
        title="Welsh Index of Multiple Deprivation 2019: index and domain scores by small area",
        publisher="Welsh Government",
        kind="file",
        base="gov_uk_assets",
        path=None,
        files=(("wimd", "wimd-2019-index-and-domain-scores.csv"),),
        landing_page="https://www.gov.wales/welsh-index-multiple-deprivation-full-index-update-ranks-2019",
        licence=OGL,
        attribution=_MHCLG,
        confirmed=False,
        evidence=(
            "the Welsh Government publishes the scores as an ODS workbook; no CSV address was "
            "found in public material. Save its data sheet as CSV under the file name given."
        ),
        notes="ingest.sources.wimd reads the CSV layout in ../shared/data (first header 'lsoa').",
    ),
    Source(
        group="simd",
        nations="S",
        release="2020v2",
        title="Scottish Index of Multiple Deprivation 2020v2: ranks",
        publisher="Scottish Government",
        kind="file",
        base="statistics_gov_scot",
        path=None,
        files=(("simd", "SIMD+2020v2+-+ranks.csv"),),
        landing_page="https://www.gov.scot/collections/scottish-index-of-multiple-deprivation-2020/",
        licence=OGL,
        attribution=_MHCLG,
        confirmed=False,
        evidence=(
            "the Scottish Government publishes 'SIMD 2020v2 - ranks' as an Excel workbook; no "
            "CSV address was found in public material. Save its ranks sheet as CSV under the "
            "file name given."
        ),
    ),
    Source(
        group="data_zone_lookup",
        nations="S",
        release="2024-12-16",
        title="Data Zone Lookup (2011 data zones to multi-member wards and council areas)",
        publisher="Scottish Government, statistics.gov.scot",
        kind="file",
        base="statistics_gov_scot",
        path=(
            "/downloads/file?id=50d30936-6de2-4ae0-a131-c2105aa74647%2F"
            "DataZone2011lookup_2024-12-16.csv"
        ),
        files=(("data_zone_ward_lookup", "DataZone2011lookup_2024-12-16.csv"),),
        landing_page="https://statistics.gov.scot/data/data-zone-lookup",
        licence=OGL,
        attribution=_MHCLG,
        confirmed=True,
        evidence=(
            "address in public code that downloads it; its file name and the columns "
            "DZ2011_Code, MMWard_Code, MMWard_Name, LA_Code, LA_Name in several public scripts"
        ),
        notes="Every Scottish data zone: the build keeps the council area's.",
    ),
    # --- Census 2021 (Nomis) ------------------------------------------------------------------
    Source(
        group="census_age",
        release="TS007",
        title="Census 2021 TS007 - Age by single year (usual residents), 2021 LSOAs",
        publisher="Office for National Statistics, Census 2021 (Nomis)",
        kind="nomis_csv",
        base="nomis",
        path="/api/v01/dataset/NM_2027_1.data.csv",
        files=(("census_age", "census2021_ts007_age_lsoa21.csv"),),
        landing_page="https://www.nomisweb.co.uk/datasets/c2021ts007",
        licence=OGL,
        attribution=_ONS,
        confirmed=True,
        evidence=(
            "NM_2027_1 = 'TS007 - Age by single year' in Nomis's dataset list; "
            "c2021_age_102 code 0 = all usual residents, code n = aged n-1 (public code); "
            "geography as a comma-separated list of GSS codes in public Nomis URLs"
        ),
        codes_from=("lsoa_ward_lookup", "LSOA21CD"),
        params=(
            ("date", "latest"),
            ("c2021_age_102", "0,66...101"),
            ("measures", "20100"),
            ("select", "GEOGRAPHY_CODE,GEOGRAPHY_NAME,C2021_AGE_102,C2021_AGE_102_NAME,OBS_VALUE"),
        ),
        notes=(
            "Query: /api/v01/dataset/NM_2027_1.data.csv?date=latest&geography=<50 LSOA21 codes>"
            "&c2021_age_102=0,66...101&measures=20100&select=GEOGRAPHY_CODE,GEOGRAPHY_NAME,"
            "C2021_AGE_102,C2021_AGE_102_NAME,OBS_VALUE: the total and each age 65 to 100+, "
            "one row per LSOA and age (tidy API layout, not the Nomis web download layout)."
        ),
    ),
    Source(
        group="census_age",
        release="RM121",
        title="Census 2021 RM121 - Sex by age, 2021 LSOAs (Nomis web download)",
        publisher="Office for National Statistics, Census 2021 (Nomis)",
        kind="nomis_csv",
        base="nomis",
        path=None,
        files=(("census_age", "Census 2021 - Population.csv"),),
        landing_page="https://www.nomisweb.co.uk/datasets/c2021rm121",
        licence=OGL,
        attribution=_ONS,
        confirmed=False,
        evidence=(
            "Nomis API dataset id of RM121 not confirmed from public material; the page is. "
            "On it: Query data, geography '2021 super output area - lower layer' of the "
            "authority, sex 'All persons', ages Total and 65 to 85+, download CSV."
        ),
        notes="The layout ingest.sources.census.read_census_age reads today.",
    ),
    # Census 2021 risk groups: one national bulk zip per topic summary (census_topics)
    *(_census_topic(topic) for topic in census_topics.TOPICS.values()),
)

#: Release fetched for each group unless ``releases`` says otherwise.
DEFAULT_RELEASES: dict[str, str] = {
    "lsoa_ward_lookup": "LSOA 2021 to wards 2024 (best fit)",
    "oa_lsoa_lookup": "OA 2021 to LSOA 2021 to LAD 2022 (exact fit, v3)",
    "wards": "December 2024",
    "ward_constituency_lookup": "July 2024",
    "output_areas": "December 2021 (V2)",
    "lsoas_2021": "December 2021 (V5)",
    "lsoa11_lsoa21_lookup": "LSOA 2011 to LSOA 2021 to LAD 2022 (exact fit, v5)",
    "lsoas_2011": "December 2011 (V3)",
    "ofcom_fixed": "202601",
    "ofcom_mobile": "202601",
    "ofcom_mobile_constituency": "202601",
    "iod": "2025",
    "wimd": "2019",
    "simd": "2020v2",
    "data_zone_lookup": "2024-12-16",
    "census_age": "TS007",
    **{topic.role: topic.table for topic in census_topics.TOPICS.values()},
}

#: The list of local authority codes and names used to resolve a name typed by the user.
LA_NAMES = Source(
    group="la_names",
    release="December 2024",
    title="Local Authority Districts (December 2024) Boundaries UK BGC (codes and names only)",
    publisher=_ONS_PORTAL,
    kind="arcgis_table",
    base="ons_arcgis",
    path=_arcgis("Local_Authority_Districts_December_2024_Boundaries_UK_BGC"),
    files=(("la_names", "Local_Authority_Districts_December_2024.csv"),),
    landing_page=(
        "https://geoportal.statistics.gov.uk/ (search: Local Authority Districts December 2024)"
    ),
    licence=OGL,
    attribution=_ONS,
    confirmed=True,
    evidence="public code asks it for outFields=LAD24CD,LAD24NM&returnGeometry=false&f=json",
    params=(("outFields", "LAD24CD,LAD24NM"),),
)


# --------------------------------------------------------------------------------------------
# Choosing what to fetch
# --------------------------------------------------------------------------------------------


def select_sources(releases: Mapping[str, str] | None = None, *, nation: str = "E") -> list[Source]:
    """Return the catalogue entries to fetch, in dependency order.

    Parameters
    ----------
    releases : mapping of str to str, optional
        Group -> release, overriding :data:`DEFAULT_RELEASES` (e.g. ``{"ofcom_fixed":
        "202507", "iod": "2025"}``); naming an optional group (``"iod_all"``) adds it.
    nation : {"E", "W", "S"}, default "E"
        First letter of the local authority's code: only sources serving that nation.

    Returns
    -------
    list of Source
        One entry per group, in catalogue order (lookups before what they filter).

    Raises
    ------
    IngestError
        Unknown group or release (the message lists the known ones).

    Example
    -------
    >>> [s.release for s in select_sources({"iod": "2025"}) if s.group == "iod"]
    ['2025']
    """
    asked = dict(releases or {})
    groups: dict[str, list[Source]] = {}
    for source in CATALOGUE:
        groups.setdefault(source.group, []).append(source)
    for group, release in asked.items():
        if group not in groups:
            raise IngestError(f"download: unknown source group {group!r}; known: {sorted(groups)}.")
        known = [s.release for s in groups[group]]
        if release not in known:
            raise IngestError(f"download: {group!r} has no release {release!r}; known: {known}.")
    chosen = {**DEFAULT_RELEASES, **asked}
    selected = []
    for source in CATALOGUE:
        if chosen.get(source.group) != source.release or nation not in source.nations:
            continue
        if not source.default and source.group not in asked:
            continue
        if (
            source.when is not None
            and nation not in source.always_for
            and chosen.get(source.when[0]) != source.when[1]
        ):
            continue
        selected.append(source)
    return selected


# --------------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------------


def download_sources(
    la_code: str,
    dest: Path | str,
    *,
    base_urls: Mapping[str, str] | None = None,
    releases: Mapping[str, str] | None = None,
    only: Iterable[str] | None = None,
    verbose: bool = True,
    session: requests.Session | None = None,
) -> dict[str, Path]:
    """Fetch every source file one local authority's build needs into ``dest``.

    Parameters
    ----------
    la_code : str
        ONS local authority district code, e.g. ``"E08000009"`` (Trafford); see
        :func:`resolve_la` to turn a name into a code.
    dest : Path or str
        Folder to fill (created if missing); one folder per local authority.
    base_urls : mapping of str to str, optional
        Publisher key (:data:`PUBLISHER_BASES`) -> root address to use instead.
    releases : mapping of str to str, optional
        Group -> release, as :func:`select_sources`.
    only : iterable of str, optional
        Fetch only these groups (their prerequisites must already be in ``dest``).
    verbose : bool, default True
        Show progress on stderr.
    session : requests.Session, optional
        Session to use (and leave open), e.g. one with a council proxy's settings.

    Returns
    -------
    dict of str to Path
        Role (``"wards"``, ``"output_areas"``, ``"lsoas"``, ``"lsoa_ward_lookup"``,
        ``"ward_constituency_lookup"``, ``"oa_lsoa_lookup"``, ``"ofcom_fixed_oa"``,
        ``"ofcom_fixed_la"``, ``"ofcom_mobile_la"``, ``"ofcom_mobile_constituency"``,
        ``"iod"``, ``"census_age"``, each Census 2021 topic summary's output-area and LSOA
        CSVs (``"census_disability"`` and ``"census_disability_lsoa"``, ... of
        :data:`ingest.sources.census_topics.ROLES`), and with IoD 2019
        ``"lsoas_2011"``, ``"lsoa11_lsoa21_lookup"``) -> saved file. Role names are
        informative: the build recognises every file by its content (:mod:`ingest.discover`),
        where both LSOA boundary vintages are ``"lsoas"``.

    Raises
    ------
    DownloadError
        After trying every source, when any failed: for each, the source, the address, the
        page to open in a browser and the file name to save it as.
    IngestError
        A bad code, release or group, or ``dest`` holding another authority's files.

    Example
    -------
    >>> files = download_sources("E08000009", Path("sources/trafford"))  # doctest: +SKIP
    >>> files["wards"].name  # doctest: +SKIP
    'Wards_December_2024_Boundaries_UK_BGC.geojson'
    """
    la_code = _check_la_code(la_code)
    dest = Path(dest)
    sources = select_sources(releases, nation=la_code[0])
    if only is not None:
        wanted = set(only)
        unknown = wanted - {s.group for s in CATALOGUE}
        if unknown:
            raise IngestError(
                f"download: unknown source group(s) {sorted(unknown)}; "
                f"known: {sorted({s.group for s in CATALOGUE})}."
            )
        sources = [s for s in sources if s.group in wanted]
    dest.mkdir(parents=True, exist_ok=True)
    manifest = _Manifest(dest, la_code)
    console = Console(stderr=True, quiet=not verbose)
    own_session = session is None
    http = session if session is not None else requests.Session()
    run = _Run(la_code, dest, base_urls or {}, http, console, manifest, verbose)
    saved: dict[str, Path] = {}
    failures: list[tuple[Source, str]] = []
    failed_roles: set[str] = set()
    try:
        for source in sources:
            blocked = source.codes_from is not None and source.codes_from[0] in failed_roles
            if not source.confirmed:
                failures.append((source, "its address is not confirmed; fetch it by hand"))
            elif blocked:
                assert source.codes_from is not None
                failures.append((source, f"needs the {source.codes_from[0]} file, which failed"))
            else:
                try:
                    saved.update(run.fetch(source))
                    continue
                except DownloadError as exc:  # the address is listed in the report
                    plural = "" if exc.attempts == 1 else "s"
                    failures.append(
                        (source, f"{exc.last_failure} ({exc.attempts} attempt{plural})")
                    )
                except IngestError as exc:
                    failures.append((source, str(exc)))
            failed_roles.update(source.roles)
    finally:
        if own_session:
            http.close()
    if failures:
        raise _failure_report(failures, run)
    console.log(f"{len(saved)} file(s) for {la_code} in {dest}")
    return saved


class _Run:
    """State of one :func:`download_sources` call."""

    def __init__(
        self,
        la_code: str,
        dest: Path,
        base_urls: Mapping[str, str],
        session: requests.Session,
        console: Console,
        manifest: _Manifest,
        verbose: bool,
    ) -> None:
        self.la_code = la_code
        self.dest = dest
        self.base_urls = base_urls
        self.session = session
        self.console = console
        self.manifest = manifest
        self.verbose = verbose

    def fetch(self, source: Source) -> dict[str, Path]:
        targets = {role: self.dest / name for role, name in source.files}
        if all(self.manifest.complete(path) for path in targets.values()):
            for path in targets.values():
                if self.manifest.entry(path) is None:
                    self.manifest.record(path, source, url=None, note="found in the folder")
            self.console.log(
                f"{source.group}: already here ({', '.join(p.name for p in targets.values())})"
            )
            return targets
        for path in targets.values():
            if path.exists():  # changed since it was recorded: fetched again from scratch
                path.unlink()
        if source.kind == "zip":
            self._zip(source, targets)
        elif source.kind == "file":
            ((_, path),) = targets.items()
            url = source.url(self.base_urls)
            download(url, path, session=self.session, verbose=self.verbose)
            self.manifest.record(path, source, url=url)
        elif source.kind in ("arcgis_features", "arcgis_table"):
            ((_, path),) = targets.items()
            self._arcgis(source, path)
        elif source.kind == "nomis_csv":
            ((_, path),) = targets.items()
            self._nomis(source, path)
        else:  # pragma: no cover - the catalogue is closed
            raise AssertionError(source.kind)
        return targets

    # -- zips ----------------------------------------------------------------------------

    def _zip(self, source: Source, targets: Mapping[str, Path]) -> None:
        url = source.url(self.base_urls)
        archive = self.dest / ARCHIVE_DIR / source.archive_name
        download(url, archive, session=self.session, verbose=self.verbose)
        self.manifest.record(archive, source, url=url)
        members = {path.name: path for path in targets.values()}
        try:
            found = extract_members(archive, members)
        except zipfile.BadZipFile as exc:
            archive.unlink(missing_ok=True)
            self.manifest.forget(archive)
            raise IngestError(
                f"download: {archive.name} from {url} is not a zip archive ({exc}); a proxy or "
                "login page may have answered instead. It was deleted; run again."
            ) from exc
        for name, member in found.items():
            self.manifest.record(
                members[name],
                source,
                url=url,
                archive=_relative(archive, self.dest),
                member=member,
            )
        self.console.log(f"{source.group}: {', '.join(found)} from {archive.name}")

    # -- ArcGIS ----------------------------------------------------------------------------

    def _arcgis(self, source: Source, path: Path) -> None:
        url = source.url(self.base_urls)
        assert source.filter_field is not None
        if source.codes_from is None:
            wheres = [f"{source.filter_field} = '{self.la_code}'"]
            asked: set[str] | None = None
            described = wheres[0]
        else:
            codes = self.codes(source)
            asked = set(codes)
            wheres = [
                f"{source.filter_field} IN ({_sql_list(batch)})"
                for batch in _batches(codes, IN_BATCH)
            ]
            role, column = source.codes_from
            described = (
                f"{source.filter_field} IN (<{len(codes)} codes of {column} in "
                f"{_file_for(role)}> in batches of {IN_BATCH})"
            )
        geometry = source.kind == "arcgis_features"
        records: list[dict[str, Any]] = []
        fields: list[str] = []
        requests_made = 0
        for where in wheres:
            page_fields, page_records, made = arcgis_query(
                url,
                where,
                geometry=geometry,
                order_by=source.filter_field,
                params=dict(source.params),
                session=self.session,
            )
            requests_made += made
            fields = fields or page_fields
            records.extend(page_records)
        if not records:
            raise IngestError(
                f"download: {source.title} returned nothing for {described} ({url}); is "
                f"{self.la_code} a current local authority code in England, Wales or Scotland?"
            )
        if asked is not None:
            got = {_code_of(r, source.filter_field, geometry=geometry) for r in records}
            missing = sorted(asked - got)
            if missing:
                raise IngestError(
                    f"download: {source.title} ({url}) returned {len(got & asked)} of the "
                    f"{len(asked)} areas asked for; missing {missing[:5]}."
                )
        if geometry:
            body = {"type": "FeatureCollection", "features": records}
            _write_atomic(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
        else:
            _write_atomic(path, _table_csv(fields, records))
        self.manifest.record(
            path,
            source,
            url=url,
            query=f"where={described}",
            requests=requests_made,
            records=len(records),
        )
        self.console.log(
            f"{source.group}: {len(records)} record(s) in {requests_made} request(s) -> {path.name}"
        )

    # -- Nomis -----------------------------------------------------------------------------

    def _nomis(self, source: Source, path: Path) -> None:
        url = source.url(self.base_urls)
        codes = self.codes(source)
        header: bytes | None = None
        rows: list[bytes] = []
        addresses = []
        with tempfile.TemporaryDirectory(dir=self.dest, prefix=".nomis-") as tmp:
            for number, batch in enumerate(_batches(codes, IN_BATCH)):
                params = [*source.params, ("geography", ",".join(batch))]
                address = requests.Request("GET", url, params=params).prepare().url or url
                addresses.append(address)
                part = download(
                    address,
                    Path(tmp) / f"batch{number}.csv",
                    session=self.session,
                    verbose=False,
                )
                first, _, rest = part.read_bytes().partition(b"\n")
                if header is None:
                    header = first
                elif first != header:
                    raise IngestError(
                        f"download: Nomis answered {address} with the header {first[:200]!r}, "
                        f"the first batch with {header[:200]!r}."
                    )
                rows.append(rest if rest.endswith(b"\n") or not rest else rest + b"\n")
        body = (header or b"") + b"\n" + b"".join(rows)
        found = _column_values(body, "GEOGRAPHY_CODE")
        missing = sorted(set(codes) - found)
        if missing:
            raise IngestError(
                f"download: Nomis ({url}) returned no rows for {len(missing)} of the "
                f"{len(codes)} LSOAs asked for ({missing[:5]}); are they 2021 LSOAs?"
            )
        _write_atomic(path, body)
        self.manifest.record(
            path,
            source,
            url=addresses[0] if len(addresses) == 1 else url,
            query=f"{dict(source.params)} + geography=<{len(codes)} LSOA21 codes in batches of "
            f"{IN_BATCH}>",
            requests=len(addresses),
        )
        self.console.log(f"{source.group}: {len(codes)} LSOAs in {len(addresses)} request(s)")

    # -- codes -----------------------------------------------------------------------------

    def codes(self, source: Source) -> list[str]:
        """Codes for ``source`` from the file of an earlier source, sorted and unique."""
        assert source.codes_from is not None
        role, column = source.codes_from
        path = self.dest / _file_for(role)
        if not path.is_file():
            raise IngestError(
                f"download: {source.title} is filtered with the codes in {path.name}, which is "
                f"not in {self.dest}; fetch the {role!r} group first."
            )
        values = _column_values(path.read_bytes(), column)
        bad = sorted(v for v in values if not _AREA_CODE.fullmatch(v))
        if bad or not values:
            raise IngestError(
                f"download: {path.name}, column {column!r}: expected ONS area codes, found "
                f"{bad[:5] or 'none'}."
            )
        return sorted(values)


def _file_for(role: str) -> str:
    """File name the catalogue saves ``role`` under (roles used as code sources are unique)."""
    return next(name for source in CATALOGUE for r, name in source.files if r == role)


def _failure_report(failures: Sequence[tuple[Source, str]], run: _Run) -> DownloadError:
    lines = [
        f"download: {len(failures)} source(s) for {run.la_code} could not be fetched (council "
        "networks often block scripted downloads; publishers sometimes move files). Fetch "
        "these by hand:"
    ]
    first_url = ""
    for source, why in failures:
        names = " and ".join(name for _, name in source.files)
        url = source.url(run.base_urls) if source.path else "(no confirmed address)"
        first_url = first_url or url
        if source.kind.startswith("arcgis"):
            what = (
                "download the dataset (GeoJSON for boundaries, CSV for lookups; the whole file "
                f"is fine) and save it in {run.dest} as {names}"
            )
        elif source.kind == "zip":
            what = f"download the zip and save its member(s) {names} in {run.dest}"
        else:
            what = f"download the file and save it in {run.dest} as {names}"
        lines.append(
            f"- {source.title} ({source.publisher}, release {source.release}): {why}\n"
            f"  address tried: {url}\n"
            f"  by hand: open {source.landing_page} in a browser, {what}"
        )
    lines.append(
        f"Then run `python -m ingest build --la {run.la_code} --sources {run.dest}` (files "
        "already fetched are kept; running the download again only fetches what is missing)."
    )
    return DownloadError("\n".join(lines), url=first_url, attempts=0, last_failure=failures[0][1])


# --------------------------------------------------------------------------------------------
# ArcGIS REST
# --------------------------------------------------------------------------------------------


def arcgis_query(
    url: str,
    where: str,
    *,
    geometry: bool,
    order_by: str | None = None,
    params: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> tuple[list[str], list[dict[str, Any]], int]:
    """Run an ArcGIS FeatureServer ``query`` to the end, following ``exceededTransferLimit``.

    Parameters
    ----------
    url : str
        The layer's ``.../FeatureServer/0/query`` address.
    where : str
        SQL filter, e.g. ``"LAD24CD = 'E08000009'"``.
    geometry : bool
        True: GeoJSON features (``f=geojson``, ``outSR=4326``); False: attribute rows
        (``f=json``, ``returnGeometry=false``).
    order_by : str, optional
        Field to order by, so that pages do not overlap.
    params : mapping, optional
        Extra parameters (e.g. ``outFields``), overriding the defaults.
    session : requests.Session, optional
        Session for :func:`ingest._http.fetch_json`.

    Returns
    -------
    (list of str, list of dict, int)
        Field names in the service's order (tables; empty for features), the GeoJSON features
        or attribute dicts, and the number of requests made.

    Raises
    ------
    DownloadError
        A request failed (after retries), or the API answered with an error.
    IngestError
        An answer that is not a page of features, or paging that does not advance.
    """
    base = {
        "where": where,
        "outFields": "*",
        "returnGeometry": "true" if geometry else "false",
        "f": "geojson" if geometry else "json",
        "resultRecordCount": str(ARCGIS_PAGE_SIZE),
    }
    if geometry:
        base["outSR"] = "4326"
    if order_by:
        base["orderByFields"] = order_by
    base.update(params or {})
    fields: list[str] = []
    records: list[dict[str, Any]] = []
    offset = 0
    for made in range(1, MAX_PAGES + 1):
        page = fetch_json(url, params={**base, "resultOffset": str(offset)}, session=session)
        features = page.get("features")
        if not isinstance(features, list):
            raise IngestError(
                f"download: {url} answered without a 'features' list (keys {sorted(page)}); "
                "is this an ArcGIS FeatureServer query address?"
            )
        if not geometry:
            if not fields:
                fields = [str(f.get("name")) for f in page.get("fields") or [] if f.get("name")]
            features = [f.get("attributes") or {} for f in features]
        records.extend(features)
        exceeded = page.get("exceededTransferLimit") or (page.get("properties") or {}).get(
            "exceededTransferLimit"
        )
        if not exceeded:
            return fields, records, made
        if not features:
            raise IngestError(
                f"download: {url} says more records remain after offset {offset} but sent none."
            )
        offset += len(features)
    raise IngestError(f"download: {url} still paging after {MAX_PAGES} requests; stopped.")


def _code_of(record: Mapping[str, Any], field: str, *, geometry: bool) -> str:
    values = (record.get("properties") or {}) if geometry else record
    for key, value in values.items():
        if key.lower() == field.lower():
            return str(value)
    return ""


def _table_csv(fields: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    columns = list(fields) or list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------
# Zips
# --------------------------------------------------------------------------------------------


def extract_members(
    archive: Path | str,
    members: Mapping[str, Path],
    *,
    max_bytes: int | None = None,
) -> dict[str, str]:
    """Extract named members of a zip, safely, each to its own destination.

    Members are found by file name wherever they sit in the archive (Ofcom puts some in
    folders), and inside zips nested one level deep.

    Parameters
    ----------
    archive : Path or str
        The zip.
    members : mapping of str to Path
        Member file name (e.g. ``"202601_fixed_oa_coverage_r1.csv"``) -> where to write it.
    max_bytes : int, optional
        Largest member accepted, in bytes; default :data:`MAX_MEMBER_BYTES`.

    Returns
    -------
    dict of str to str
        Member file name -> its path inside the archive.

    Raises
    ------
    IngestError
        The archive has a member with an absolute or ``..`` path (it is refused whole), a
        wanted member is missing or present twice, or larger than ``max_bytes``.
    zipfile.BadZipFile
        Not a zip.

    Example
    -------
    >>> name = "202601_mobile_coverage_laua_r01.csv"
    >>> extract_members("archives/202601_mobile_coverage_r1.zip", {name: Path(name)})
    ... # doctest: +SKIP
    {'202601_mobile_coverage_laua_r01.csv': '202601_mobile_coverage_r1/202601_mobile_...csv'}
    """
    archive = Path(archive)
    limit = MAX_MEMBER_BYTES if max_bytes is None else max_bytes
    found: dict[str, str] = {}
    with zipfile.ZipFile(archive) as outer:
        _check_names(outer, archive.name)
        wanted = {name.lower(): name for name in members}
        located = _locate(outer, wanted, archive.name)
        missing = [name for key, name in wanted.items() if key not in located]
        if missing:
            for info in outer.infolist():
                if info.filename.lower().endswith(".zip") and missing:
                    with outer.open(info) as raw, zipfile.ZipFile(raw) as inner:
                        label = f"{archive.name}:{info.filename}"
                        _check_names(inner, label)
                        inner_found = _locate(inner, {n.lower(): n for n in missing}, label)
                        for key, member in inner_found.items():
                            name = wanted[key]
                            _copy_member(inner, member, members[name], limit, label)
                            found[name] = f"{info.filename}/{member.filename}"
                        missing = [n for n in missing if n.lower() not in inner_found]
        if missing:
            names = [i.filename for i in outer.infolist() if not i.is_dir()]
            close = sorted(
                {c for m in missing for c in difflib.get_close_matches(m, names, n=5, cutoff=0.5)}
            )
            raise IngestError(
                f"download: {archive.name} has no member named {missing}; close: "
                f"{close or names[:10]}. The publisher may have renamed it: open the zip and "
                "save the file by hand."
            )
        for key, member in located.items():
            name = wanted[key]
            _copy_member(outer, member, members[name], limit, archive.name)
            found[name] = member.filename
    return found


def _check_names(zf: zipfile.ZipFile, label: str) -> None:
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts:
            raise IngestError(
                f"download: {label} holds a member named {info.filename!r}, which would be "
                "written outside the folder; the archive is refused (it is not what the "
                "publisher ships). Delete it and download it again."
            )


def _locate(
    zf: zipfile.ZipFile, wanted: Mapping[str, str], label: str
) -> dict[str, zipfile.ZipInfo]:
    located: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        key = PurePosixPath(info.filename.replace("\\", "/")).name.lower()
        if key in wanted:
            if key in located:
                raise IngestError(
                    f"download: {label} holds {wanted[key]} twice ({located[key].filename}, "
                    f"{info.filename}); extract the right one by hand."
                )
            located[key] = info
    return located


def _copy_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int, label: str
) -> None:
    if info.file_size > limit:
        raise IngestError(
            f"download: {label} member {info.filename} is {info.file_size:,} bytes, more than "
            f"the {limit:,} accepted; refused."
        )
    with zf.open(info) as src:
        _write_atomic_stream(target, src, limit=limit, label=f"{label} member {info.filename}")


# --------------------------------------------------------------------------------------------
# Local authorities
# --------------------------------------------------------------------------------------------


def fetch_la_names(
    *, base_urls: Mapping[str, str] | None = None, session: requests.Session | None = None
) -> pd.DataFrame:
    """Return every local authority district's code and name, from the ONS portal.

    Parameters
    ----------
    base_urls : mapping of str to str, optional
        As :func:`download_sources`.
    session : requests.Session, optional
        Session to use.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name`` (December 2024 districts, UK), for :func:`resolve_la`.

    Example
    -------
    >>> resolve_la("trafford", fetch_la_names())  # doctest: +SKIP
    ('E08000009', 'Trafford')
    """
    url = LA_NAMES.url(base_urls)
    _, rows, _ = arcgis_query(
        url,
        "1=1",
        geometry=False,
        order_by="LAD24CD",
        params=dict(LA_NAMES.params),
        session=session,
    )
    frame = pd.DataFrame(
        {
            "la_code": [str(r.get("LAD24CD", "")) for r in rows],
            "la_name": [str(r.get("LAD24NM", "")) for r in rows],
        }
    )
    if frame.empty:
        raise IngestError(f"download: {url} returned no local authorities.")
    return frame


def resolve_la(query: str, lookup: pd.DataFrame) -> tuple[str, str]:
    """Turn a local authority code or name into ``(code, name)``.

    A code is matched exactly (any case). A name is matched case-insensitively, ignoring
    punctuation and repeated spaces: an exact name first, then a unique prefix. ONS's
    inverted names are also matched the natural way round ("City of Bristol" for "Bristol,
    City of").

    Parameters
    ----------
    query : str
        ``"E08000009"``, ``"trafford"``, ``"Bristol"``...
    lookup : pandas.DataFrame
        Frame with ``la_code`` and ``la_name`` columns (one row per ward is fine), e.g. from
        :func:`ingest.sources.ons_geography.read_lookup` on a ward -> LAD lookup, or
        :func:`fetch_la_names`.

    Returns
    -------
    (str, str)
        The code and the name as the lookup writes it.

    Raises
    ------
    IngestError
        Unknown, or ambiguous (several authorities start so); the message lists the matches
        or the closest names.

    Example
    -------
    >>> table = pd.DataFrame({"la_code": ["E08000009"], "la_name": ["Trafford"]})
    >>> resolve_la("trafford", table)
    ('E08000009', 'Trafford')
    """
    missing = {"la_code", "la_name"} - set(lookup.columns)
    if missing:
        raise IngestError(
            f"resolve_la: the lookup has no column(s) {sorted(missing)} (found "
            f"{list(lookup.columns)}); pass a ward -> LAD lookup read by "
            "ingest.sources.ons_geography.read_lookup."
        )
    table = (
        lookup[["la_code", "la_name"]].dropna().astype(str).drop_duplicates().reset_index(drop=True)
    )
    text = " ".join(str(query).split())
    if not text:
        raise IngestError("resolve_la: give a local authority code (E08000009) or name.")
    if _LA_CODE.fullmatch(text.upper()):
        rows = table[table["la_code"].str.upper() == text.upper()]
        if not rows.empty:
            return str(rows["la_code"].iloc[0]), str(rows["la_name"].iloc[0])
        close = difflib.get_close_matches(text.upper(), table["la_code"].tolist(), n=5)
        raise IngestError(
            f"resolve_la: no local authority has the code {text!r} in this lookup"
            f"{'; close: ' + ', '.join(close) if close else ''}. Codes change when councils "
            "merge; check the code on the ONS Open Geography Portal."
        )
    key = _fold(text)
    aliases = [(alias, i) for i, name in enumerate(table["la_name"]) for alias in _aliases(name)]
    exact = sorted({i for alias, i in aliases if alias == key})
    hits = exact or sorted({i for alias, i in aliases if alias.startswith(key)})
    if len(hits) == 1:
        row = table.iloc[hits[0]]
        return str(row["la_code"]), str(row["la_name"])
    if hits:
        hits = sorted(hits, key=lambda i: table["la_name"][i])
        listed = ", ".join(f"{table['la_name'][i]} ({table['la_code'][i]})" for i in hits[:12])
        more = f" and {len(hits) - 12} more" if len(hits) > 12 else ""
        raise IngestError(
            f"resolve_la: {text!r} matches {len(hits)} local authorities: {listed}{more}; give "
            "more of the name, or the code."
        )
    names = table["la_name"].tolist()
    folded = {_fold(n): n for n in names}
    close = [folded[c] for c in difflib.get_close_matches(key, list(folded), n=5, cutoff=0.6)]
    close += [n for n in names if key in _fold(n) and n not in close][:5]
    raise IngestError(
        f"resolve_la: no local authority is called {text!r}"
        f"{'; close: ' + ', '.join(close) if close else ''}. Give the name as ONS writes it, "
        "or the code (E08000009)."
    )


def is_la_code(text: str) -> bool:
    """Whether ``text`` is shaped like an ONS local authority code (``E08000009``, any case)."""
    return _LA_CODE.fullmatch(text.strip().upper()) is not None


def _fold(text: str) -> str:
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[^\w\s-]", " ", text)
    return " ".join(text.split())


def _aliases(name: str) -> Iterator[str]:
    yield _fold(name)
    head, sep, tail = name.partition(",")
    if sep and tail.strip():
        yield _fold(f"{tail} {head}")  # "Bristol, City of" -> "city of bristol"


def _check_la_code(la_code: str) -> str:
    code = str(la_code).strip().upper()
    if not _LA_CODE.fullmatch(code):
        raise IngestError(
            f"download: {la_code!r} is not an ONS local authority code such as 'E08000009'; "
            "turn a name into a code with resolve_la."
        )
    return code


# --------------------------------------------------------------------------------------------
# Manifest and files
# --------------------------------------------------------------------------------------------


class _Manifest:
    """``download_manifest.json``: one entry per file, keyed by its path in the folder."""

    def __init__(self, dest: Path, la_code: str) -> None:
        self.dest = dest
        self.path = dest / MANIFEST_NAME
        self.data: dict[str, Any] = {"la_code": la_code, "files": {}}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise IngestError(
                    f"download: {self.path} is not valid JSON ({exc}); delete it to start "
                    "the record again."
                ) from exc
            if data.get("la_code") not in (None, la_code):
                raise IngestError(
                    f"download: {dest} holds the sources of {data.get('la_code')}, not "
                    f"{la_code}; download each local authority into its own folder."
                )
            self.data.update(data)
            self.data.setdefault("files", {})
        self.data["la_code"] = la_code
        self._hashes: dict[str, str] = {}

    def _key(self, path: Path) -> str:
        return _relative(path, self.dest)

    def entry(self, path: Path) -> dict[str, Any] | None:
        return self.data["files"].get(self._key(path))

    def complete(self, path: Path) -> bool:
        """Present, and the same bytes as recorded (when a record exists)."""
        if not path.is_file():
            return False
        entry = self.entry(path)
        if entry is None:
            return True
        found = self._sha(path)
        if found != entry.get("sha256"):
            logger.warning("%s changed since it was downloaded; fetching it again", path)
            return False
        return True

    def _sha(self, path: Path) -> str:
        key = f"{path}:{path.stat().st_mtime_ns}:{path.stat().st_size}"
        if key not in self._hashes:
            self._hashes[key] = sha256_file(path)
        return self._hashes[key]

    def record(self, path: Path, source: Source, *, url: str | None, **extra: Any) -> None:
        self.data["files"][self._key(path)] = {
            "group": source.group,
            "roles": [role for role, name in source.files if name == path.name],
            "title": source.title,
            "publisher": source.publisher,
            "release": source.release,
            "url": url,
            "landing_page": source.landing_page,
            "licence": source.licence,
            "attribution": source.attribution,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds") if url else None,
            "sha256": self._sha(path),
            "bytes": path.stat().st_size,
            **extra,
        }
        self.save()

    def forget(self, path: Path) -> None:
        self.data["files"].pop(self._key(path), None)
        self.save()

    def save(self) -> None:
        self.data["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        text = json.dumps(self.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        _write_atomic(self.path, text.encode("utf-8"))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _sql_list(codes: Iterable[str]) -> str:
    """``'E01000001','E01000002'``: codes are checked against the ONS code pattern first."""
    return ",".join(f"'{code}'" for code in codes)


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _column_values(body: bytes, column: str) -> set[str]:
    """Distinct non-blank values of ``column`` (any case) in CSV bytes (BOM allowed)."""
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    header = next(reader, [])
    index = next((i for i, h in enumerate(header) if h.strip().lower() == column.lower()), None)
    if index is None:
        raise IngestError(f"download: expected a column {column!r}, found {header[:12]}.")
    return {row[index].strip() for row in reader if len(row) > index and row[index].strip()}


def _write_atomic(path: Path, data: bytes) -> None:
    _write_atomic_stream(path, io.BytesIO(data), limit=None, label=path.name)


def _write_atomic_stream(path: Path, src: IO[bytes], *, limit: int | None, label: str) -> None:
    """Copy ``src`` to a hidden temporary file beside ``path``, then move it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            written = 0
            while chunk := src.read(1024 * 1024):
                written += len(chunk)
                if limit is not None and written > limit:
                    raise IngestError(
                        f"download: {label} is larger than the {limit:,} bytes accepted; refused."
                    )
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
