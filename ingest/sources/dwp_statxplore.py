"""DWP Stat-Xplore: Pension Credit claimants and people on Universal Credit by LSOA 2021.

Where the data comes from
-------------------------
- Publisher: Department for Work and Pensions, through Stat-Xplore's Open Data API
  (:data:`DEFAULT_API_URL`, or ``DIM_STATXPLORE_URL`` when set: a council proxy, or a test
  server on 127.0.0.1). Licence: Open Government Licence v3.0 (:data:`ATTRIBUTION`).
- Key: free. Register at https://stat-xplore.dwp.gov.uk, open the account page (the menu at
  the top right, "Account"), copy the API key (a long hex string, used as it is) into the
  environment variable :data:`KEY_VARIABLE` (``STATXPLORE_API_KEY``). It travels in the
  :data:`KEY_HEADER` request header only: it is never written to a file, a log or a message.
- Level: **LSOA 2021**, asked for the LSOAs of one authority only (a recode of the geography
  field to those LSOAs), for one month: the month asked, or the newest the database holds.

How a table is asked for
------------------------
``POST {base}/table`` with a JSON query ``{"database", "measures": [...], "recodes": {field:
{"map": [[value], ...], "total": false}}, "dimensions": [[field], ...]}``. Each LSOA is its
own group of the recode, so the answer has one row per LSOA asked; the month is a one-group
recode of the date field. Two calls: one table of the measure by month only (small) to list
the months and take their value identifiers from the answer itself, then the LSOA table of
the chosen month. The answer is ``{"database", "measures": [{"uri", "label"}], "fields":
[{"uri", "label", "items": [{"labels": [...], "uris": [...]}]}], "cubes": {measure:
{"values": nested lists, one level per field, in the order of "fields"}}}``; an item's code
is the last ``:`` part of its ``uris`` (an LSOA's item is labelled with its name, not its
code).

Where each identifier was confirmed (public code; no key was available to ask the API):

- endpoint ``/webapi/rest/v1/table``, POST, ``APIKey`` header, JSON body:
  ``houseofcommonslibrary/statxplorer`` ``R/request.R``;
  ``PolicyEngine/policyengine-uk-data`` ``policyengine_uk_data/assets/sources/dwp_stat_xplore.py``.
- answer shape (``measures[].label``, ``fields[].items[].labels/uris``, ``cubes``, an item's
  code as the last part of its uri, ``values`` nested in field order):
  ``houseofcommonslibrary/statxplorer`` ``R/extract.R``; ``PolicyEngine/policyengine-uk-data``
  ``policyengine_uk_data/assets/sources/STAT_XPLORE_FINDINGS.md`` (``cubes`` keyed by the
  measure's uri); the recode shape (``map`` of one-value groups, ``total``):
  ``houseofcommonslibrary/statxplorer`` ``tests/testthat/data/example_c_query.json`` and
  ``traffordDataLab/covid-19_data`` ``social/pre-processing/universal_credit_msoa.R``.
- Pension Credit: database ``str:database:PC_New`` and measure
  ``str:count:PC_New:V_F_PC_CASELOAD_New``: ``PolicyEngine/policyengine-uk-data``
  ``.../dwp_stat_xplore.py``; geography field ``str:field:PC_New:V_F_PC_CASELOAD_New:COA_CODE``
  and date field ``str:field:PC_New:F_PC_QTR_New:DATE_NAME`` (quarterly): ``thomascrines/statx``
  ``R/sampleRequestBodies.R``. **Unconfirmed**: the LSOA 2021 valueset
  ``V_C_MASTERGEOG21_LSOA_TO_MSOA`` of that field. It is Universal Credit's (below); the only
  public Pension Credit query found names the 2011 geography (``V_C_MASTERGEOG11_...``).
- Universal Credit (people on UC): database ``str:database:UC_Monthly``, measure
  ``str:count:UC_Monthly:V_F_UC_CASELOAD_FULL``, geography field
  ``str:field:UC_Monthly:V_F_UC_CASELOAD_FULL:COA_CODE``, date field
  ``str:field:UC_Monthly:F_UC_DATE:DATE_NAME``: ``traffordDataLab/covid-19_data``
  ``social/pre-processing/universal_credit_msoa.R`` (and PolicyEngine's module for the
  database and measure); the LSOA 2021 valueset ``V_C_MASTERGEOG21_LSOA_TO_MSOA``: a public
  Python pipeline that asks UC by LSOA 2021 (the search index did not name its repository), so
  it is marked unconfirmed too.

Every identifier is a field of :class:`Query` and can be replaced (:meth:`Query.replace`;
``python -m ingest dwp --database/--measure/--lsoa-field/--lsoa-valueset/--date-field``). A
query Stat-Xplore refuses raises an :class:`~ingest._errors.IngestError` naming the
identifiers sent and how to read the right ones from Stat-Xplore's own export of a table
(:data:`FIND_IDENTIFIERS`).

What the figures are
--------------------
Pension Credit claimants (:data:`PENSION_CREDIT`) count **claimants**: a couple on Pension
Credit is one claimant (one award), so they are benefit units, neither people nor households.
People on Universal Credit (:data:`UNIVERSAL_CREDIT`) count people, each partner of a joint
claim once. Stat-Xplore protects claimants by **introduced random error**: every cell may be
randomly adjusted by a small amount, which cells were changed is not said, and totals need not
equal the sum of their cells (Stat-Xplore's "Data Confidentiality" page,
https://stat-xplore.dwp.gov.uk/webapi/metadata/Data%20Confidentiality.html). Small LSOA counts
are therefore the least reliable; a ward's sum of LSOAs is reliable to a few claimants.

The base for a share of Pension Credit: **residents aged 66 and over** (Census 2021), not the
IoD's "older population aged 60 and over". Pension Credit is claimed from State Pension age,
66 since October 2020, so everyone who could claim it in the months Stat-Xplore holds is 66+;
a base from 60 counts residents aged 60 to 65 who cannot claim and would lower every ward's
share unevenly (more where the 60-65s are many). Say "claimants per 100 residents aged 66+":
a claimant may stand for a couple, and the Census is of March 2021, not the claim month.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from ingest._errors import IngestError
from ingest._http import ApiRefusedError, DownloadError, call_api, env_key, env_url
from ingest._tables import Release, raise_bad_cells, read_release_csv, require_unique, to_number

SOURCE = "dwp_statxplore"
AREA_VINTAGE = 2021
#: Environment variable holding the user's Stat-Xplore API key.
KEY_VARIABLE = "STATXPLORE_API_KEY"
#: Environment variable that replaces :data:`DEFAULT_API_URL` (a proxy, a test server).
URL_VARIABLE = "DIM_STATXPLORE_URL"
#: Base address of Stat-Xplore's Open Data API.
DEFAULT_API_URL = "https://stat-xplore.dwp.gov.uk/webapi/rest/v1"
#: Header that carries the key.
KEY_HEADER = "APIKey"
#: Path of the table endpoint under the base address.
TABLE_PATH = "/table"
#: Shown beside every figure from Stat-Xplore.
ATTRIBUTION = (
    "Source: Department for Work and Pensions, Stat-Xplore. Contains public sector information "
    "licensed under the Open Government Licence v3.0."
)
#: Where a user gets a key, said whenever one is missing or refused.
HOW_TO_GET_A_KEY = (
    "register free at https://stat-xplore.dwp.gov.uk, open 'Account' from the menu at the top "
    "right, copy the API key and set it in the environment: export "
    f"{KEY_VARIABLE}=<your key> (Windows: set {KEY_VARIABLE}=<your key>)"
)
#: How to read the right identifiers from Stat-Xplore itself.
FIND_IDENTIFIERS = (
    "To find the right identifiers: sign in to https://stat-xplore.dwp.gov.uk, open the "
    "table (e.g. 'Pension Credit' > the caseload), put the LSOA level of the geography on the "
    "rows and the month on the columns, then download the table as 'Open Data API Query "
    "(.json)': its 'database', 'measures', 'dimensions' and 'recodes' hold the identifiers. "
    "Pass them with --database, --measure, --lsoa-field, --date-field, and --lsoa-valueset (an "
    "LSOA value's uri without its last ':<code>' part)."
)
#: File name of a fetched table (``.csv``) and of its provenance record (``.provenance.json``).
FILE_NAME = "dwp_{name}_{month}_{la_code}"
#: Ending of a provenance record: the tool's own file, never a source to discover.
PROVENANCE_SUFFIX = ".provenance.json"

_LSOA_CODE = re.compile(r"[EW]01\d{6}")
_LA_CODE = re.compile(r"[EWSN]\d{8}")
_MONTH = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Query:
    """One Stat-Xplore count by LSOA 2021 and month: what is asked, and what it is called here.

    Attributes
    ----------
    name : str
        Short name, in file names and the CLI: ``"pension_credit"``.
    title : str
        What the table is, for a release label: ``"DWP Pension Credit"``.
    column : str
        Our name of the count: ``"pension_credit_claimants"``.
    counted : str
        What one unit of the count is, in a council officer's words.
    database, measure : str
        Stat-Xplore identifiers of the database and of its count measure.
    lsoa_field : str
        The geography field.
    lsoa_valueset : str
        An LSOA 2021 value's uri without its last ``:<code>`` part.
    date_field : str
        The month field.
    unconfirmed : tuple of str
        Attributes above that no public source confirmed (named when Stat-Xplore refuses).
    """

    name: str
    title: str
    column: str
    counted: str
    database: str
    measure: str
    lsoa_field: str
    lsoa_valueset: str
    date_field: str
    unconfirmed: tuple[str, ...] = ()

    #: The attributes that are Stat-Xplore identifiers (and may be replaced).
    IDENTIFIERS = ("database", "measure", "lsoa_field", "lsoa_valueset", "date_field")

    def lsoa_value(self, code: str) -> str:
        """Return the uri of one LSOA's value (``<lsoa_valueset>:<code>``)."""
        return f"{self.lsoa_valueset}:{code}"

    def replace(self, **identifiers: str | None) -> Query:
        """Return this query with some identifiers replaced (``None`` keeps the current one).

        Raises
        ------
        IngestError
            A name that is not one of :attr:`IDENTIFIERS`, or an empty identifier.
        """
        given = {k: v.strip() for k, v in identifiers.items() if v is not None}
        unknown = sorted(set(given) - set(self.IDENTIFIERS))
        if unknown:
            raise IngestError(
                f"{SOURCE}: {unknown} are not Stat-Xplore identifiers of a query; expected "
                f"some of {list(self.IDENTIFIERS)}."
            )
        empty = sorted(k for k, v in given.items() if not v)
        if empty:
            raise IngestError(f"{SOURCE}: the identifier(s) {empty} are empty.")
        changed = {k: v for k, v in given.items() if v != getattr(self, k)}
        return dataclasses.replace(
            self, **changed, unconfirmed=tuple(u for u in self.unconfirmed if u not in changed)
        )

    @property
    def release(self) -> Release:
        """Header map of the CSV :func:`fetch_counts` writes."""
        return Release(
            self.title,
            {"lsoa_code": "lsoa_code", self.column: self.column, "month": "month"},
            f"{self.title} by LSOA 2021, fetched from Stat-Xplore's Open Data API.",
        )


#: Pension Credit claimants (see the module notes for where each identifier was confirmed).
PENSION_CREDIT = Query(
    name="pension_credit",
    title="DWP Pension Credit",
    column="pension_credit_claimants",
    counted="Pension Credit claimants (a couple is one claimant): benefit units, not people",
    database="str:database:PC_New",
    measure="str:count:PC_New:V_F_PC_CASELOAD_New",
    lsoa_field="str:field:PC_New:V_F_PC_CASELOAD_New:COA_CODE",
    lsoa_valueset="str:value:PC_New:V_F_PC_CASELOAD_New:COA_CODE:V_C_MASTERGEOG21_LSOA_TO_MSOA",
    date_field="str:field:PC_New:F_PC_QTR_New:DATE_NAME",
    unconfirmed=("lsoa_valueset",),
)
#: People on Universal Credit (see the module notes).
UNIVERSAL_CREDIT = Query(
    name="universal_credit",
    title="DWP Universal Credit",
    column="universal_credit_people",
    counted="people on Universal Credit (each partner of a joint claim counted)",
    database="str:database:UC_Monthly",
    measure="str:count:UC_Monthly:V_F_UC_CASELOAD_FULL",
    lsoa_field="str:field:UC_Monthly:V_F_UC_CASELOAD_FULL:COA_CODE",
    lsoa_valueset=(
        "str:value:UC_Monthly:V_F_UC_CASELOAD_FULL:COA_CODE:V_C_MASTERGEOG21_LSOA_TO_MSOA"
    ),
    date_field="str:field:UC_Monthly:F_UC_DATE:DATE_NAME",
    unconfirmed=("lsoa_valueset",),
)
#: Every query, by name.
QUERIES: dict[str, Query] = {q.name: q for q in (PENSION_CREDIT, UNIVERSAL_CREDIT)}
#: Header maps of the CSVs written, for :mod:`ingest.discover`.
PENSION_CREDIT_RELEASES = (PENSION_CREDIT.release,)
UNIVERSAL_CREDIT_RELEASES = (UNIVERSAL_CREDIT.release,)


def api_url() -> str:
    """Return the API's base address: ``DIM_STATXPLORE_URL``, else :data:`DEFAULT_API_URL`."""
    return env_url(URL_VARIABLE, DEFAULT_API_URL)


def api_key() -> str:
    """Return the key from ``STATXPLORE_API_KEY``.

    Raises
    ------
    IngestError
        No key is set, with how to get one.
    """
    return env_key(KEY_VARIABLE, source="dwp", how_to_get=HOW_TO_GET_A_KEY)


def month_label(month: str) -> str:
    """Write ``YYYYMM`` as ``Mon YYYY``.

    Examples
    --------
    >>> month_label("202505")
    'May 2025'
    """
    return f"{calendar.month_abbr[int(month[4:])]} {month[:4]}"


# --------------------------------------------------------------------------------------------
# Asking
# --------------------------------------------------------------------------------------------


def _ask(
    query: Query,
    body: Mapping[str, Any],
    *,
    key: str,
    base_url: str,
    sleep: Callable[[float], object] | None,
    retries: int | None,
    backoff: float | None,
) -> dict[str, Any]:
    """POST one table query; return the decoded answer, or raise saying what to do."""
    url = base_url + TABLE_PATH
    try:
        got = call_api(
            url, headers={KEY_HEADER: key}, query=body, retries=retries, backoff=backoff,
            sleep=sleep,
        )  # fmt: skip
    except ApiRefusedError as exc:
        raise IngestError(
            f"dwp: Stat-Xplore refused the API key (HTTP {exc.status}) at {url}: it is "
            f"wrong or has expired. To get one, {HOW_TO_GET_A_KEY}."
        ) from None
    except DownloadError as exc:
        if exc.last_failure.startswith("HTTP 4"):
            status, _, said = exc.last_failure.partition(" (")
            _refused(query, status, said.partition("the server said: ")[2].removesuffix(")"))
        raise IngestError(
            f"dwp: no answer from Stat-Xplore at {url} after {exc.attempts} attempt(s): "
            f"{exc.last_failure}. Try again later; a council network may need HTTPS_PROXY."
        ) from None
    if got.status == 404:
        _refused(query, "HTTP 404", json.dumps(got.body)[:300] if got.body else "")
    if not isinstance(got.body, dict):
        raise IngestError(
            f"dwp: Stat-Xplore's answer at {url} is a JSON {type(got.body).__name__}; expected "
            "an object with 'fields' and 'cubes'."
        )
    return got.body


def _refused(query: Query, status: str, reason: str) -> NoReturn:
    """Raise for a query Stat-Xplore refuses: name the identifiers sent and how to fix them."""
    sent = "; ".join(f"{name} {getattr(query, name)!r}" for name in Query.IDENTIFIERS)
    named = [n for n in Query.IDENTIFIERS if reason and getattr(query, n) in reason]
    unconfirmed = (
        f" Unconfirmed in ingest/sources/dwp_statxplore.py: {list(query.unconfirmed)}."
        if query.unconfirmed
        else ""
    )
    raise IngestError(
        f"dwp: Stat-Xplore refused the {query.title} query ({status}"
        + (f": {reason}" if reason else "")
        + ")"
        + (f"; it names {named}" if named else "")
        + f". Identifiers sent: {sent}.{unconfirmed} {FIND_IDENTIFIERS}"
    )


def _field_items(answer: Mapping[str, Any], fields: Sequence[str], source: str) -> list[list[dict]]:
    """Return the items of each asked field, in the answer's order of ``fields``."""
    found = answer.get("fields")
    if not isinstance(found, list) or len(found) != len(fields):
        raise IngestError(
            f"{source}: the answer has {len(found) if isinstance(found, list) else 'no'} "
            f"'fields'; expected {len(fields)} ({list(fields)}). Stat-Xplore may have changed "
            "its answers: see ingest/sources/dwp_statxplore.py."
        )
    uris = [f.get("uri") if isinstance(f, dict) else None for f in found]
    if all(uris) and uris != list(fields):
        raise IngestError(
            f"{source}: the answer's fields are {uris}; expected {list(fields)}, in that order."
        )
    items = []
    for field in found:
        listed = field.get("items") if isinstance(field, dict) else None
        if not isinstance(listed, list) or not all(isinstance(i, dict) for i in listed):
            raise IngestError(f"{source}: a field of the answer has no list of 'items'.")
        items.append(listed)
    return items


def _code(item: Mapping[str, Any], source: str) -> str:
    """Return the code of an item: the last ``:`` part of its first uri."""
    uris = item.get("uris")
    if not isinstance(uris, list) or not uris or not isinstance(uris[0], str):
        raise IngestError(
            f"{source}: item {item.get('labels')!r} of the answer has no 'uris'; expected the "
            "value's uri, whose last ':' part is its code."
        )
    return uris[0].rsplit(":", 1)[-1]


def _cube(
    answer: Mapping[str, Any], query: Query, shape: tuple[int, ...], source: str
) -> np.ndarray:
    """Return the measure's values as an array of ``shape`` (one axis per field)."""
    cubes = answer.get("cubes")
    cube = cubes.get(query.measure) if isinstance(cubes, dict) else None
    if not isinstance(cube, dict) or "values" not in cube:
        found = sorted(cubes) if isinstance(cubes, dict) else None
        raise IngestError(
            f"{source}: the answer has no cube of measure {query.measure!r} (cubes: {found})."
        )
    try:
        values = np.asarray(cube["values"], dtype=float)
    except (TypeError, ValueError):
        raise IngestError(f"{source}: the cube's values are not a table of numbers.") from None
    if values.shape != shape:
        raise IngestError(
            f"{source}: the cube's values have the shape {values.shape}; expected {shape} "
            "(the number of items of each field)."
        )
    return values


def _months(answer: Mapping[str, Any], query: Query, source: str) -> dict[str, str]:
    """Return ``YYYYMM`` -> the month value's uri, from the answer of the months table."""
    (items,) = _field_items(answer, [query.date_field], source)
    months = {}
    for item in items:
        code = _code(item, source)
        if not _MONTH.fullmatch(code):
            raise IngestError(
                f"{source}: month item {item.get('labels')!r} has the code {code!r}; expected "
                f"YYYYMM as the last part of its uri. Is {query.date_field!r} the date field?"
            )
        months[code] = item["uris"][0]
    if not months:
        raise IngestError(f"{source}: {query.database!r} lists no month.")
    return months


def _counts(
    answer: Mapping[str, Any], query: Query, codes: Sequence[str], source: str
) -> pd.DataFrame:
    """Return ``lsoa_code`` and the count, from the answer of the LSOA table (one month)."""
    lsoa_items, month_items = _field_items(answer, [query.lsoa_field, query.date_field], source)
    found = [_code(item, source) for item in lsoa_items]
    values = _cube(answer, query, (len(lsoa_items), len(month_items)), source)
    if len(month_items) != 1:
        raise IngestError(f"{source}: the answer has {len(month_items)} months; expected 1.")
    missing = sorted(set(codes) - set(found))
    extra = sorted(set(found) - set(codes))
    if missing or extra or len(found) != len(set(found)):
        raise IngestError(
            f"{source}: the answer's LSOAs are not those asked: {len(missing)} missing (e.g. "
            f"{missing[:3]}), {len(extra)} not asked (e.g. {extra[:3]}); expected each of the "
            f"{len(codes)} LSOAs once. Is {query.lsoa_valueset!r} the LSOA 2021 valueset?"
        )
    counts = values[:, 0]
    bad = ~np.isfinite(counts) | (counts < 0) | (counts % 1 != 0)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise IngestError(
            f"{source}: LSOA {found[at]} has the count {counts[at]!r}; expected a whole number "
            "of 0 or more."
        )
    return pd.DataFrame({"lsoa_code": found, query.column: counts.astype("int64")})


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


def fetch_counts(
    query: Query,
    la_code: str,
    lsoa_codes: Sequence[str],
    dest: Path,
    *,
    key: str,
    month: str | None = None,
    base_url: str | None = None,
    sleep: Callable[[float], object] | None = None,
    retries: int | None = None,
    backoff: float | None = None,
) -> Path:
    """Fetch one count by LSOA 2021 for one authority's LSOAs and month, as a tidy CSV.

    Parameters
    ----------
    query : Query
        :data:`PENSION_CREDIT`, :data:`UNIVERSAL_CREDIT`, or one with identifiers replaced.
    la_code : str
        ONS code of the authority, e.g. ``"E08000009"`` (in the file name and provenance).
    lsoa_codes : sequence of str
        Its LSOA 2021 codes (``E01``/``W01``); only these are asked.
    dest : Path
        Folder to write to (created if missing).
    key : str
        Stat-Xplore API key, sent in the :data:`KEY_HEADER` header only.
    month : str, optional
        ``YYYYMM``; default the newest month of the database.
    base_url : str, optional
        Default :func:`api_url`.
    sleep, retries, backoff
        As for :func:`ingest._http.call_api` (for tests).

    Returns
    -------
    Path
        ``dest/dwp_<name>_<YYYYMM>_<la_code>.csv`` with columns ``lsoa_code``,
        ``<query.column>`` and ``month`` (``YYYYMM``), one row per LSOA, and beside it
        ``...provenance.json`` (identifiers, month, fetch time, row counts; never the key).

    Raises
    ------
    IngestError
        A bad argument; the key refused (HTTP 401 or 403, at once, saying how to get one); a
        query refused (naming the identifiers and how to find the right ones); a month the
        database does not hold (listing the newest it does); an answer of another shape, of
        other LSOAs than asked, or with a count that is not a whole number of 0 or more.

    Examples
    --------
    >>> fetch_counts(PENSION_CREDIT, "E08000009", ["E01006118"], Path("sources"),
    ...              key=api_key())  # doctest: +SKIP
    PosixPath('sources/dwp_pension_credit_202505_E08000009.csv')
    """
    codes = _check_arguments(la_code, lsoa_codes, month, key)
    base = (base_url or api_url()).rstrip("/")
    ask = dict(key=key, base_url=base, sleep=sleep, retries=retries, backoff=backoff)
    source = f"dwp: {query.title} at {base}{TABLE_PATH}"
    months_body = {"database": query.database, "measures": [query.measure],
                   "dimensions": [[query.date_field]]}  # fmt: skip
    months = _months(_ask(query, months_body, **ask), query, source)
    chosen = month or max(months)
    if chosen not in months:
        newest = sorted(months, reverse=True)[:6]
        raise IngestError(
            f"dwp: {query.database!r} has no month {chosen} ({month_label(chosen)}); its newest "
            f"are {newest} (of {len(months)}). {query.title} is published "
            + ("quarterly." if "QTR" in query.date_field else "monthly.")
        )
    table_body = {
        "database": query.database,
        "measures": [query.measure],
        "recodes": {
            query.lsoa_field: {"map": [[query.lsoa_value(c)] for c in codes], "total": False},
            query.date_field: {"map": [[months[chosen]]], "total": False},
        },
        "dimensions": [[query.lsoa_field], [query.date_field]],
    }
    table = _counts(_ask(query, table_body, **ask), query, codes, source)
    table["month"] = chosen
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    stem = FILE_NAME.format(name=query.name, month=chosen, la_code=la_code)
    csv_path = dest / f"{stem}.csv"
    provenance = {
        "source": ATTRIBUTION,
        "api": base + TABLE_PATH,
        "table": query.title,
        "counted": query.counted,
        **{name: getattr(query, name) for name in Query.IDENTIFIERS},
        "unconfirmed_identifiers": list(query.unconfirmed),
        "month": chosen,
        "month_uri": months[chosen],
        "la_code": la_code,
        "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "lsoas_asked": len(codes),
        "rows_written": len(table),
        "total": int(table[query.column].sum()),
        "months_available": len(months),
    }
    _write_atomic(csv_path, table.to_csv(index=False).encode())
    _write_atomic(
        dest / f"{stem}{PROVENANCE_SUFFIX}", (json.dumps(provenance, indent=1) + "\n").encode()
    )
    return csv_path


def fetch_pension_credit(
    la_code: str,
    lsoa_codes: Sequence[str],
    dest: Path,
    *,
    key: str,
    month: str | None = None,
    query: Query = PENSION_CREDIT,
    base_url: str | None = None,
    sleep: Callable[[float], object] | None = None,
    retries: int | None = None,
    backoff: float | None = None,
) -> Path:
    """Fetch Pension Credit claimants by LSOA 2021 of one authority: :func:`fetch_counts`.

    Parameters
    ----------
    la_code, lsoa_codes, dest, key, month, base_url, sleep, retries, backoff
        As for :func:`fetch_counts`.
    query : Query, default PENSION_CREDIT
        :data:`PENSION_CREDIT` with identifiers replaced, if Stat-Xplore's differ.

    Returns
    -------
    Path
        ``dest/dwp_pension_credit_<YYYYMM>_<la_code>.csv`` (``lsoa_code``,
        ``pension_credit_claimants``, ``month``) and its ``.provenance.json`` beside it.

    Examples
    --------
    >>> fetch_pension_credit("E08000009", ["E01006118"], Path("sources"),
    ...                      key=api_key())  # doctest: +SKIP
    PosixPath('sources/dwp_pension_credit_202505_E08000009.csv')
    """
    return fetch_counts(
        query, la_code, lsoa_codes, dest, key=key, month=month, base_url=base_url,
        sleep=sleep, retries=retries, backoff=backoff,
    )  # fmt: skip


def _check_arguments(
    la_code: str, lsoa_codes: Sequence[str], month: str | None, key: str
) -> list[str]:
    """Validate the arguments of a fetch up front; return the LSOA codes, stripped, once each."""
    if not _LA_CODE.fullmatch(la_code):
        raise IngestError(f"dwp: {la_code!r} is not an ONS local authority code such as E08000009.")
    if month is not None and not _MONTH.fullmatch(month):
        raise IngestError(f"dwp: --month {month!r}: expected YYYYMM, e.g. 202505.")
    if not key.strip():
        raise IngestError(f"dwp: the API key is empty. To get one, {HOW_TO_GET_A_KEY}.")
    codes = list(dict.fromkeys(str(c).strip() for c in lsoa_codes))
    if not codes:
        raise IngestError(f"dwp: no LSOA of {la_code} to ask for.")
    bad = [c for c in codes if not _LSOA_CODE.fullmatch(c)]
    if bad:
        raise IngestError(
            f"dwp: {bad[:3]} are not LSOA 2021 codes (E01 or W01 and six digits); "
            f"{len(bad)} of the {len(codes)} codes given are bad."
        )
    return codes


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file whole or not at all."""
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_counts(path: str | Path, query: Query) -> pd.DataFrame:
    """Read a CSV written by :func:`fetch_counts` for ``query``, strictly.

    Parameters
    ----------
    path : str or Path
        ``dwp_<name>_<YYYYMM>_<la_code>.csv`` (any name: the header is what is read).
    query : Query
        What the file holds (its :attr:`Query.release` header).

    Returns
    -------
    pandas.DataFrame
        One row per LSOA: ``lsoa_code`` and ``<query.column>`` (int64). ``attrs``:
        ``release`` (``"DWP Pension Credit, May 2025"``), ``month`` (``"2025-05"``),
        ``source_file``, ``area_vintage`` (2021), ``notes``.

    Raises
    ------
    IngestError
        Naming the file, column and line: an unknown header, no rows, a code that is not an
        LSOA 2021 code, a count that is negative or not a whole number, a month that is not
        ``YYYYMM`` or differs between rows, a code on two rows; or an empty file.
    """
    path = Path(path)
    raw, _, publisher = read_release_csv(path, [query.release], source=SOURCE)
    if raw.empty:
        raise IngestError(
            f"{SOURCE}: {path.name} has a header but no rows; expected one row per LSOA. "
            "Fetch it again: python -m ingest dwp --la <code> --sources <folder>."
        )
    codes = raw["lsoa_code"].str.strip()
    bad = ~codes.str.fullmatch(_LSOA_CODE.pattern)
    if bad.any():
        raise_bad_cells(
            raw.assign(lsoa_code=codes), bad, "lsoa_code", publisher, path,
            "an LSOA 2021 code (E01 or W01 and six digits, e.g. E01006118)", source=SOURCE,
        )  # fmt: skip
    months = raw["month"].str.strip()
    bad = ~months.str.fullmatch(_MONTH.pattern) | (months != months.iloc[0])
    if bad.any():
        raise_bad_cells(
            raw.assign(month=months), bad, "month", publisher, path,
            f"the month YYYYMM of the first row ({months.iloc[0]!r}) on every row",
            source=SOURCE,
        )  # fmt: skip
    counts = to_number(raw, query.column, path=path, source=SOURCE, kind="count")
    out = pd.DataFrame({"lsoa_code": codes, query.column: counts})
    require_unique(out, "lsoa_code", path=path, source=SOURCE)
    month = months.iloc[0]
    out.attrs = {
        "release": f"{query.title}, {month_label(month)}",
        "month": f"{month[:4]}-{month[4:]}",
        "source_file": path.name,
        "area_vintage": AREA_VINTAGE,
        "notes": (
            f"{query.title} ({month_label(month)}), Stat-Xplore database {query.database}: "
            f"{query.column} are {query.counted}, for {len(out):,} LSOAs of 2021. DWP protects "
            "claimants by introduced random error: any cell may be randomly adjusted by a small "
            "amount and totals need not equal the sum of their cells, so small LSOA counts are "
            "the least reliable. "
            + (
                "Base for a share: residents aged 66 and over (Census 2021), State Pension age "
                "since October 2020, not the IoD's older population aged 60 and over; a "
                "claimant may stand for a couple, so say 'claimants per 100 residents aged 66+'."
                if query.name == PENSION_CREDIT.name
                else ""
            )
            + " Codes are checked for shape here; the build checks them against its 2021 lookup."
        ),
    }
    return out


def read_pension_credit(path: str | Path) -> pd.DataFrame:
    """Read a Pension Credit CSV of :func:`fetch_pension_credit`: :func:`read_counts`.

    Parameters
    ----------
    path : str or Path
        ``dwp_pension_credit_<YYYYMM>_<la_code>.csv``.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``pension_credit_claimants`` (int64), one row per LSOA 2021; ``attrs``
        ``release`` (``"DWP Pension Credit, May 2025"``), ``month``, ``source_file``,
        ``area_vintage`` (2021), ``notes`` (what is counted, disclosure control, the base).

    Raises
    ------
    IngestError
        As :func:`read_counts`.

    Examples
    --------
    >>> frame = read_pension_credit("dwp_pension_credit_202505_E08000009.csv")  # doctest: +SKIP
    >>> frame.attrs["release"]  # doctest: +SKIP
    'DWP Pension Credit, May 2025'
    """
    return read_counts(path, PENSION_CREDIT)


def read_universal_credit(path: str | Path) -> pd.DataFrame:
    """Read a Universal Credit CSV (``lsoa_code``, ``universal_credit_people``, ``month``).

    Parameters
    ----------
    path : str or Path
        ``dwp_universal_credit_<YYYYMM>_<la_code>.csv``.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_counts` for :data:`UNIVERSAL_CREDIT`.
    """
    return read_counts(path, UNIVERSAL_CREDIT)
