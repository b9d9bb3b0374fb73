"""BDUK "Premises in BDUK plans": every premises (UPRN) of England and Wales with its gigabit plans.

Where the data comes from
-------------------------
- Publisher: Building Digital UK (BDUK, Department for Science, Innovation and Technology),
  gov.uk transparency data "Premises in BDUK plans (England and Wales)", reissued with each
  Open Market Review about every four months (e.g. "January 2025 OMR and premises in BDUK
  plans", published 1 July 2025). Since that release: one CSV per local authority district,
  zipped by region.
- Licence: Open Government Licence v3.0. Attribution: "Contains public sector information
  licensed under the Open Government Licence v3.0 (Building Digital UK)". The premises base is
  OS AddressBase Premium: "Contains OS data © Crown copyright and database right".
- Level: **premises** (UPRN), with its postcode, local authority district and region.

Layout read (:data:`RELEASE_2025`, 28 columns, header verbatim)::

    uprn,struprn,bduk_recognised_premises,country,postcode,lot_id,lot_name,
    subsidy_control_status,current_gigabit,future_gigabit,local_authority_district_ons_code,
    local_authority_district_ons,region_ons_code,region_ons,bduk_gis,bduk_gis_contract_scope,
    bduk_gis_final_coverage_date,bduk_gis_contract_name,bduk_gis_supplier,bduk_vouchers,
    bduk_vouchers_contract_name,bduk_vouchers_supplier,bduk_superfast,
    bduk_superfast_contract_name,bduk_superfast_supplier,bduk_hubs,bduk_hubs_contract_name,
    bduk_hubs_supplier

Flags are written ``true``/``false``. ``subsidy_control_status`` is BDUK's subsidy control
classification of the premises (:data:`STATUSES`): *Gigabit White* (no gigabit network now
or planned commercially within three years: eligible for subsidy), *Gigabit Grey* (one
gigabit network present or planned), *Gigabit Black* (two or more), *Gigabit Under Review*
(suppliers' plans not yet assessed as credible). ``bduk_gis`` marks a premises inside a
Project Gigabit (Gigabit Infrastructure Subsidy) contract, with its supplier and final
coverage date.

What the reader does
--------------------
- the header must be exactly a known release (older releases differ: add their map to
  :data:`RELEASES`); anything else is refused, naming what was found;
- ``uprn`` is read as a 64-bit integer (UPRNs have up to 12 digits) and must appear once, and
  ``struprn`` must be the same number as text;
- flags must be ``true`` or ``false`` (any letter case, as a spreadsheet may have saved them);
  statuses must be one of :data:`STATUSES`;
- postcodes are tidied to the one-space directory form (``"M15 4AB"``); a blank or malformed
  postcode is kept (``postcode`` NA, ``postcode_problem`` says why) so the premises is
  counted as not placed in a ward, never dropped;
- the release is the month named in the file's name or its folder's name (``2025-07``,
  ``202507``, ``july-2025``, ``January 2025``): the file itself carries no date.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pandas as pd

from ingest._errors import IngestError
from ingest._tables import (
    Release,
    dated_attrs,
    raise_bad_cells,
    read_release_csv,
    require_unique,
)

SOURCE = "bduk"
#: Raise for bad cells of a column, naming the file, header, line and value.
_bad = partial(raise_bad_cells, source=SOURCE)

#: The columns of the July 2025 layout, in file order -> our names.
_COLUMNS_2025: dict[str, str | None] = {
    "uprn": "uprn",
    "struprn": "struprn",
    "bduk_recognised_premises": "recognised",
    "country": "country",
    "postcode": "postcode",
    "lot_id": "lot_id",
    "lot_name": "lot_name",
    "subsidy_control_status": "subsidy_status",
    "current_gigabit": "current_gigabit",
    "future_gigabit": "future_gigabit",
    "local_authority_district_ons_code": "la_code",
    "local_authority_district_ons": "la_name",
    "region_ons_code": "region_code",
    "region_ons": "region_name",
    "bduk_gis": "in_gis_contract",
    "bduk_gis_contract_scope": "gis_contract_scope",
    "bduk_gis_final_coverage_date": "gis_final_coverage_date",
    "bduk_gis_contract_name": "gis_contract_name",
    "bduk_gis_supplier": "gis_supplier",
    "bduk_vouchers": "in_voucher_project",
    "bduk_vouchers_contract_name": "voucher_contract_name",
    "bduk_vouchers_supplier": "voucher_supplier",
    "bduk_superfast": "in_superfast_contract",
    "bduk_superfast_contract_name": "superfast_contract_name",
    "bduk_superfast_supplier": "superfast_supplier",
    "bduk_hubs": "in_hubs_contract",
    "bduk_hubs_contract_name": "hubs_contract_name",
    "bduk_hubs_supplier": "hubs_supplier",
}

#: The layout of the per-authority CSVs since the July 2025 release.
RELEASE_2025 = Release(
    "BDUK premises in plans (2025 layout)",
    _COLUMNS_2025,
    "Premises in BDUK plans, one CSV per local authority district (layout of the July 2025 "
    "release, 28 columns). One row per premises (UPRN); flags true/false.",
)

#: Every known layout, oldest first; add an older or newer release's map here.
RELEASES: tuple[Release, ...] = (RELEASE_2025,)

#: The header of :data:`RELEASE_2025` in file order, as BDUK writes it.
HEADER_2025: tuple[str, ...] = tuple(_COLUMNS_2025)

#: BDUK's subsidy control statuses -> our names. "Gigabit Grey/Black" is how BDUK's guidance
#: names the grey and black classes together; it is accepted as a status of its own.
STATUSES: dict[str, str] = {
    "Gigabit White": "white",
    "Gigabit Grey": "grey",
    "Gigabit Black": "black",
    "Gigabit Grey/Black": "grey_or_black",
    "Gigabit Under Review": "under_review",
}

#: Flag columns (our names), each ``true``/``false`` in the file.
FLAGS = (
    "recognised",
    "current_gigabit",
    "future_gigabit",
    "in_gis_contract",
    "in_voucher_project",
    "in_superfast_contract",
    "in_hubs_contract",
)

#: Text columns kept as they are (stripped; blank -> NA): names, contracts, suppliers, dates.
_TEXT = (
    "country",
    "lot_id",
    "lot_name",
    "la_name",
    "region_code",
    "region_name",
    "gis_contract_scope",
    "gis_final_coverage_date",
    "gis_contract_name",
    "gis_supplier",
    "voucher_contract_name",
    "voucher_supplier",
    "superfast_contract_name",
    "superfast_supplier",
    "hubs_contract_name",
    "hubs_supplier",
)

_LA_CODE = r"[EW]0[6-9]\d{6}"
_POSTCODE = re.compile(r"(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}")


def _flags(frame: pd.DataFrame, column: str, publisher: dict[str, str], path: Path) -> pd.Series:
    cells = frame[column].str.strip().str.lower()
    bad = ~cells.isin(["true", "false"])
    if bad.any():
        _bad(frame, bad, column, publisher, path, "'true' or 'false'")
    return cells == "true"


def _postcodes(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Directory-form postcodes (NA where unusable) and why each unusable one is unusable."""
    compact = cells.str.upper().str.replace(r"\s+", "", regex=True)
    shaped = compact.str.fullmatch(_POSTCODE.pattern)
    spaced = compact.str[:-3] + " " + compact.str[-3:]
    problem = pd.Series(pd.NA, index=cells.index, dtype="string")
    problem[~shaped] = "not a UK postcode"
    problem[compact == ""] = "no postcode"
    return spaced.where(shaped).astype("string"), problem


def read_bduk_premises(path: str | Path) -> pd.DataFrame:
    """Read one "Premises in BDUK plans" CSV: one row per premises (UPRN).

    Parameters
    ----------
    path : str or Path
        One local authority's CSV (e.g. Coventry's, about 186,000 rows), or any file with
        the same header.

    Returns
    -------
    pandas.DataFrame
        One row per premises, file order:

        - ``uprn`` (int64), ``postcode`` (string, ``"M15 4AB"`` form; NA when blank or
          malformed) and ``postcode_problem`` (string: ``"no postcode"``, ``"not a UK
          postcode"``; NA when the postcode is usable);
        - ``la_code``, ``la_name``, ``region_code``, ``region_name``, ``country``, ``lot_id``,
          ``lot_name`` (text);
        - ``subsidy_status`` (``"white"``, ``"grey"``, ``"black"``, ``"grey_or_black"``,
          ``"under_review"``; see :data:`STATUSES`);
        - flags (bool): ``recognised`` (a BDUK recognised premises), ``current_gigabit``,
          ``future_gigabit``, ``in_gis_contract`` (Project Gigabit contract),
          ``in_voucher_project``, ``in_superfast_contract``, ``in_hubs_contract``;
        - contract text (NA when blank): ``gis_contract_scope``, ``gis_final_coverage_date``,
          ``gis_contract_name``, ``gis_supplier``, ``voucher_contract_name``,
          ``voucher_supplier``, ``superfast_contract_name``, ``superfast_supplier``,
          ``hubs_contract_name``, ``hubs_supplier``.

        ``attrs``: ``release`` (layout name), ``release_month`` (``"YYYY-MM"`` from the file
        or folder name, or None), ``source_file``, ``notes``.

    Raises
    ------
    IngestError
        Unknown header set; a UPRN that is not a whole number of 1 to 12 digits, or that
        appears twice; a ``struprn`` that is not the same UPRN; a flag that is not
        ``true``/``false``; an unknown subsidy status; a local authority code that is not an
        English or Welsh district's.

    Examples
    --------
    >>> premises = read_bduk_premises("bduk_premises_2025-07/E08000009.csv")  # doctest: +SKIP
    >>> premises.attrs["release_month"]  # doctest: +SKIP
    '2025-07'
    """
    path = Path(path)
    frame, release, publisher = read_release_csv(path, RELEASES, source=SOURCE)
    if frame.empty:
        raise IngestError(f"{SOURCE}: {path.name} has a header but no premises rows.")

    text = frame["uprn"].str.strip()
    bad = ~text.str.fullmatch(r"\d{1,12}") | text.str.fullmatch(r"0+")
    if bad.any():
        _bad(frame, bad, "uprn", publisher, path, "a UPRN: a whole number of 1 to 12 digits")
    uprn = text.astype("int64")
    same = frame["struprn"].str.strip().str.fullmatch(r"\d{1,12}")
    bad = ~same | (pd.to_numeric(frame["struprn"].where(same), errors="coerce") != uprn)
    if bad.any():
        _bad(frame, bad, "struprn", publisher, path, "the same UPRN as the 'uprn' column")

    out = pd.DataFrame({"uprn": uprn})
    out["postcode"], out["postcode_problem"] = _postcodes(frame["postcode"].astype("string"))
    codes = frame["la_code"].str.strip()
    bad = ~codes.str.fullmatch(_LA_CODE)
    if bad.any():
        _bad(frame, bad, "la_code", publisher, path,
             "an English or Welsh local authority district code such as 'E08000009'")  # fmt: skip
    out["la_code"] = codes
    status = frame["subsidy_status"].str.strip()
    bad = ~status.isin(STATUSES)
    if bad.any():
        _bad(frame, bad, "subsidy_status", publisher, path, f"one of {sorted(STATUSES)}")
    out["subsidy_status"] = status.map(STATUSES)
    for column in FLAGS:
        out[column] = _flags(frame, column, publisher, path)
    for column in _TEXT:
        out[column] = frame[column].str.strip().replace("", pd.NA).astype("string")
    require_unique(out, "uprn", path=path, source=SOURCE)
    out.attrs = dated_attrs(release, path)
    return out


def check_one_authority(premises: pd.DataFrame, la_code: str, path: Path) -> pd.DataFrame:
    """Return the premises of ``la_code``; refuse a file that holds another authority's.

    Parameters
    ----------
    premises : pandas.DataFrame
        :func:`read_bduk_premises` frame.
    la_code : str
        The authority being built.
    path : Path
        The file, for messages.

    Returns
    -------
    pandas.DataFrame
        The rows whose ``la_code`` is ``la_code`` (attrs kept).

    Raises
    ------
    IngestError
        When no row is of ``la_code``: the message names the authorities the file holds.

    Examples
    --------
    >>> rows = pd.DataFrame({"la_code": ["E08000009", "E08000026"], "la_name": ["T", "C"]})
    >>> len(check_one_authority(rows, "E08000009", Path("x.csv")))
    1
    """
    here = premises[premises["la_code"] == la_code]
    if here.empty:
        held = premises.groupby("la_code")["la_name"].first()
        named = ", ".join(f"{code} ({name})" for code, name in held.items())
        raise IngestError(
            f"{SOURCE}: {path.name} holds premises of {named}, not of {la_code}; download the "
            f"file of {la_code} from BDUK's 'Premises in BDUK plans' page."
        )
    out = here.copy()
    out.attrs = premises.attrs
    return out
