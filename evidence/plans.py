"""Gigabit plans and mobile not-spots of an evidence pack, from BDUK premises. Pure: no I/O.

A place built with BDUK's "Premises in BDUK plans" holds, per ward, its premises by plan
status (:data:`geo.gigabit.STATUS_COUNTS`: gigabit now, Project Gigabit contract, voucher
project, commercial plan, under review, **no gigabit and no plan**), and the store tables of
:class:`evidence.figures.PlanTables` (constituencies, contracts, changes between releases). A
place built without one has none of them: every figure here then says why it is not known
(:data:`NO_BDUK`), never 0.

The PDF (:mod:`evidence.pdf`) and the CSV files (:mod:`evidence.pack`) lay these tables out:
:func:`constituency_table`, :func:`no_plan_wards` and :func:`change_table` return the raw
columns; :func:`plan_exports` the same tables with plain headings and units, for CSV.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evidence.figures import EXPORT_COLUMNS, EXPORT_DECIMALS, EvidencePack, format_pct
from geo import thresholds, trends
from geo.gigabit import CHANGE_COLUMNS, COUNT_COLUMNS, DOUBLE_NOT_SPOT_METHOD

NO_BDUK = "not known: no BDUK file in the build"
NO_LOOKUP = "not known: no ward to Westminster constituency lookup in the build"
ONE_RELEASE = "not known: only one BDUK release in the build"
NO_NOT_SPOTS = "not known: no Ofcom mobile not-spot postcode list in the build"
NO_SPEED = "not known: no Ofcom postcode speed data for the not-spot postcodes"

#: Tables of :func:`plan_exports`, the files of the pack they become ``<code>_<name>.csv``.
PLAN_EXPORTS = ("constituencies", "wards_no_gigabit_no_plan", "bduk_changes")

#: Rows of the PDF's top-wards and change tables.
TOP_WARDS = 10

_NO_PLAN = "premises_no_gigabit_no_plan"

#: Headings of the constituency CSV (the counts as in :data:`EXPORT_COLUMNS`).
CONSTITUENCY_COLUMNS: dict[str, str] = {
    "constituency_code": "Westminster constituency code",
    "constituency_name": "Westminster constituency",
    "counted": "Premises counted",
    **{name: EXPORT_COLUMNS[name] for name in COUNT_COLUMNS},
    "pct_premises_no_gigabit_no_plan": EXPORT_COLUMNS["pct_premises_no_gigabit_no_plan"],
    "pct_premises_gigabit_now": EXPORT_COLUMNS["pct_premises_gigabit_now"],
    "pct_premises_project_gigabit": EXPORT_COLUMNS["pct_premises_project_gigabit"],
    "pct_premises_no_4g_indoor": (
        "Premises with no indoor 4G from any operator, whole constituency (Ofcom, %)"
    ),
}

#: Headings of the CSV of wards by premises with no gigabit and no plan.
NO_PLAN_COLUMNS: dict[str, str] = {
    "ward_code": EXPORT_COLUMNS["ward_code"],
    "ward_name": EXPORT_COLUMNS["ward_name"],
    "constituency_name": EXPORT_COLUMNS["constituency_name"],
    _NO_PLAN: EXPORT_COLUMNS[_NO_PLAN],
    "pct_premises_no_gigabit_no_plan": EXPORT_COLUMNS["pct_premises_no_gigabit_no_plan"],
    "bduk_premises": EXPORT_COLUMNS["bduk_premises"],
    "premises_project_gigabit": EXPORT_COLUMNS["premises_project_gigabit"],
    "contracts": "Project Gigabit contracts in the ward (supplier, final coverage, premises)",
    "suppliers": "Project Gigabit suppliers",
    "final_coverage_dates": "Project Gigabit final coverage dates (as BDUK writes them)",
}

#: Headings of the CSV of changes between two BDUK releases.
CHANGE_EXPORT_COLUMNS: dict[str, str] = {
    "ward_code": EXPORT_COLUMNS["ward_code"],
    "ward_name": EXPORT_COLUMNS["ward_name"],
    "release_before": "Earlier BDUK release (YYYY-MM)",
    "release_now": "Newer BDUK release (YYYY-MM)",
    "premises_before": "BDUK premises, earlier release (number)",
    "premises_now": "BDUK premises, newer release (number)",
    "gigabit_before": "Gigabit-capable, earlier release (premises)",
    "gigabit_now": "Gigabit-capable, newer release (premises)",
    "no_plan_before": "No gigabit and no plan, earlier release (premises)",
    "no_plan_now": "No gigabit and no plan, newer release (premises)",
    "gained_gigabit": "Gained gigabit between the releases (premises)",
    "left_no_plan": "Left 'no gigabit and no plan' (premises in both releases)",
    "joined_no_plan": "Joined 'no gigabit and no plan' (premises in both releases)",
    "new_premises": "New in the newer release (premises)",
    "removed_premises": "Gone since the earlier release (premises)",
}


def has_bduk(pack: EvidencePack) -> bool:
    """Tell whether the place was built with a BDUK premises file (ward plan counts present)."""
    return _NO_PLAN in pack.wards and "bduk_premises" in pack.wards


def month_label(month: str | None) -> str:
    """Return a ``"YYYY-MM"`` release month as ``"Jul 2025"``, or say it is not named.

    Examples
    --------
    >>> month_label("2025-07"), month_label(None)
    ('Jul 2025', 'month not named')
    """
    return trends.period_label(month.replace("-", "")) if month else "month not named"


def _bduk(pack: EvidencePack) -> dict[str, Any]:
    return pack.manifest.get("bduk") or {}


def missing(pack: EvidencePack) -> dict[str, str]:
    """Say why each plan table the place lacks is not known.

    Returns
    -------
    dict of str to str
        Table (a key of :func:`plan_exports`) -> the reason (:data:`NO_BDUK`,
        :data:`NO_LOOKUP` or :data:`ONE_RELEASE`), for each table the place does not have;
        empty when it has them all.
    """
    if not has_bduk(pack):
        return dict.fromkeys(PLAN_EXPORTS, NO_BDUK)
    out = {}
    if pack.plans.constituencies is None:
        out["constituencies"] = NO_LOOKUP
    if pack.plans.changes is None:
        out["bduk_changes"] = ONE_RELEASE
    return out


def no_plan_headline(pack: EvidencePack) -> str:
    """Return the authority's premises with no gigabit and no plan, summed over its wards.

    Returns
    -------
    str
        e.g. ``"1,204 premises (5.1%) with no gigabit and no plan"``: the share is of the BDUK
        recognised premises placed in the authority's wards; :data:`NO_BDUK` without a BDUK
        file.
    """
    if not has_bduk(pack):
        return f"Premises with no gigabit and no plan: {NO_BDUK}"
    part = int(pack.wards[_NO_PLAN].sum())
    whole = int(pack.wards["bduk_premises"].sum())
    share = f" ({format_pct(100 * part / whole)})" if whole else ""
    return f"{part:,} premises{share} with no gigabit and no plan"


def plans_source(pack: EvidencePack) -> str:
    """Return the source line of the gigabit plan figures: file, release month, licence."""
    if not has_bduk(pack):
        return f"Source: {NO_BDUK}."
    bduk = _bduk(pack)
    whole = int(pack.wards["bduk_premises"].sum())
    text = (
        f"Source: Building Digital UK (BDUK), 'Premises in BDUK plans', "
        f"{bduk.get('file', 'file not named')}, release {month_label(bduk.get('release_month'))}"
        "; Open Government Licence v3.0. Premises placed in wards by their postcode; the share "
        f"is of the {whole:,} BDUK recognised premises placed in the authority's wards."
    )
    not_placed = {k: int(v) for k, v in bduk.get("not_placed", {}).items() if int(v)}
    if "rows" in bduk:
        text += f" {bduk['rows']:,} rows read, {bduk.get('placed', 0):,} placed in the wards"
        if not_placed:
            reasons = ", ".join(f"{n:,} {reason}" for reason, n in not_placed.items())
            text += f"; not placed ({sum(not_placed.values()):,}): {reasons}"
        text += "."
    return text


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_float_dtype(out[name]):
            out[name] = out[name].round(EXPORT_DECIMALS)
    return out


def constituency_table(pack: EvidencePack) -> pd.DataFrame | None:
    """Return the authority's premises by plan status in each Westminster constituency.

    Returns
    -------
    pandas.DataFrame or None
        The store's ``constituency_plans`` rows, most premises with no gigabit and no plan
        first, with ``counted`` saying the counts are the authority's premises only (a
        constituency may reach beyond the authority); None when the place has no such table
        (see :func:`missing`).
    """
    table = pack.plans.constituencies
    if table is None or not has_bduk(pack):
        return None
    out = table.sort_values([_NO_PLAN, "constituency_name"], ascending=[False, True])
    out = out.assign(counted=f"{pack.la_name}'s premises in the constituency only")
    return out[[c for c in CONSTITUENCY_COLUMNS if c in out]].reset_index(drop=True)


def _joined(values: pd.Series) -> str:
    return "; ".join(dict.fromkeys(values.astype(str)))


def _contracts_by_ward(contracts: pd.DataFrame) -> pd.DataFrame:
    """Each ward's contracts (with supplier, date and premises), suppliers and dates, as text."""
    rows = contracts.sort_values(["ward_code", "premises"], ascending=[True, False])
    described = rows.assign(
        contracts=rows["contract"].astype(str)
        + " ("
        + rows["supplier"].astype(str)
        + ", final coverage "
        + rows["final_coverage_date"].astype(str)
        + ", "
        + rows["premises"].map("{:,}".format)
        + " premises)"
    )
    grouped = described.groupby("ward_code")
    return pd.DataFrame(
        {
            "contracts": grouped["contracts"].agg(_joined),
            "suppliers": grouped["supplier"].agg(_joined),
            "final_coverage_dates": grouped["final_coverage_date"].agg(
                lambda v: _joined(v.sort_values())
            ),
        }
    )


def no_plan_wards(pack: EvidencePack) -> pd.DataFrame | None:
    """Return the authority's wards, most premises with no gigabit and no plan first.

    Returns
    -------
    pandas.DataFrame or None
        ``ward_code``, ``ward_name``, ``constituency_name`` (when known), the count and share
        (% of BDUK premises) with no gigabit and no plan, ``bduk_premises``,
        ``premises_project_gigabit``, and the ward's Project Gigabit ``contracts`` (each with
        its supplier, final coverage date and premises in the ward), ``suppliers`` and
        ``final_coverage_dates`` as text ("none" for a ward with no contract;
        :data:`NO_BDUK` when the store has no contract table). None without a BDUK file.
    """
    if not has_bduk(pack):
        return None
    wards = pd.DataFrame(pack.wards.drop(columns=pack.wards.geometry.name))
    columns = [c for c in NO_PLAN_COLUMNS if c in wards]
    out = wards.sort_values([_NO_PLAN, "ward_name"], ascending=[False, True])[columns]
    text = ("contracts", "suppliers", "final_coverage_dates")
    if pack.plans.contracts is None:
        out = out.assign(**dict.fromkeys(text, NO_BDUK))
    else:
        joined = _contracts_by_ward(pack.plans.contracts)
        out = out.join(joined, on="ward_code")
        out[list(text)] = out[list(text)].fillna("none")
    return out.reset_index(drop=True)


def change_table(pack: EvidencePack) -> pd.DataFrame | None:
    """Return what changed in each ward between the two BDUK releases, biggest fall first.

    Returns
    -------
    pandas.DataFrame or None
        ``ward_code``, ``ward_name``, ``release_before``, ``release_now`` and
        :data:`geo.gigabit.CHANGE_COLUMNS` (premises), wards whose premises with no gigabit
        and no plan fell most first; None without two releases (see :func:`missing`).
    """
    changes = pack.plans.changes
    if changes is None or not has_bduk(pack):
        return None
    names = pack.wards.set_index("ward_code")["ward_name"]
    out = changes.assign(
        ward_name=changes["ward_code"].map(names),
        _fall=changes["no_plan_before"] - changes["no_plan_now"],
    )
    out = out.sort_values(["_fall", "ward_name"], ascending=[False, True])
    return out[[c for c in CHANGE_EXPORT_COLUMNS if c in out]].reset_index(drop=True)


def change_summary(pack: EvidencePack) -> str:
    """Say in one sentence what changed for the authority between the two BDUK releases."""
    table = change_table(pack)
    if table is None:
        return f"What changed since the last BDUK release: {missing(pack)['bduk_changes']}."
    total = table[list(CHANGE_COLUMNS)].sum()
    before = month_label(str(table["release_before"].iloc[0]))
    now = month_label(str(table["release_now"].iloc[0]))
    return (
        f"Between BDUK's {before} and {now} releases, premises with no gigabit and no plan went "
        f"from {total['no_plan_before']:,} to {total['no_plan_now']:,}: "
        f"{total['left_no_plan']:,} premises left that status and {total['joined_no_plan']:,} "
        f"joined it; {total['gained_gigabit']:,} premises gained gigabit. "
        f"{total['new_premises']:,} premises are new in the {now} file and "
        f"{total['removed_premises']:,} are gone from it. Premises are matched by UPRN and "
        "placed where the newer release puts them."
    )


def not_spot_sentences(pack: EvidencePack) -> list[str]:
    """Say how many premises are in mobile not-spot postcodes and in double not-spots.

    Returns
    -------
    list of str
        The not-spot postcodes and the premises in them (summed over the wards), the double
        not-spot bounds ("between L and U premises") and :data:`DOUBLE_NOT_SPOT_METHOD`; each
        figure the store lacks said to be not known, with the reason.
    """
    wards = pack.wards
    if "mobile_not_spot_postcodes" not in wards:
        return [f"Mobile not-spot postcodes: {NO_NOT_SPOTS}."]
    postcodes = int(wards["mobile_not_spot_postcodes"].sum())
    premises = wards["premises_in_mobile_not_spot_postcodes"]
    text = f"{postcodes:,} of Ofcom's mobile not-spot postcodes are in the authority's wards"
    if premises.isna().any() or not has_bduk(pack):
        return [f"{text}; the premises in them are {NO_BDUK}.", _double_sentence(pack)]
    whole = int(wards["bduk_premises"].sum())
    share = (
        f", {format_pct(100 * int(premises.sum()) / whole)} of its BDUK premises" if whole else ""
    )
    return [
        f"{text}, holding {int(premises.sum()):,} premises{share}.",
        _double_sentence(pack),
        DOUBLE_NOT_SPOT_METHOD,
    ]


def _double_sentence(pack: EvidencePack) -> str:
    wards = pack.wards
    what = (
        "Premises in double not-spots (in a mobile not-spot postcode and below the USO speed, "
        f"under {thresholds.USO_DOWNLOAD_MBIT} Mbit/s down or {thresholds.USO_UPLOAD_MBIT} up; "
        "a speed, not USO eligibility)"
    )
    low, high = wards["premises_double_not_spot_min"], wards["premises_double_not_spot_max"]
    known = low.notna() & high.notna()
    if not known.any():
        why = NO_BDUK if wards["premises_in_mobile_not_spot_postcodes"].isna().all() else NO_SPEED
        return f"{what}: {why}."
    text = f"{what}: between {int(low[known].sum()):,} and {int(high[known].sum()):,} premises."
    if not known.all():
        names = ", ".join(wards.loc[~known, "ward_name"].astype(str))
        text += (
            f" Not known in {int((~known).sum())} ward(s) whose not-spot postcodes have no Ofcom "
            f"speed data ({names}); the bounds leave them out."
        )
    return text


def plan_exports(pack: EvidencePack) -> dict[str, pd.DataFrame]:
    """Return the plan tables the place has, with plain headings and units, for CSV.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"constituencies"``, ``"wards_no_gigabit_no_plan"`` and ``"bduk_changes"`` (each only
        when the place has it; see :func:`missing`), shares (%) rounded to
        :data:`evidence.figures.EXPORT_DECIMALS`.
    """
    tables = {
        "constituencies": (constituency_table(pack), CONSTITUENCY_COLUMNS),
        "wards_no_gigabit_no_plan": (no_plan_wards(pack), NO_PLAN_COLUMNS),
        "bduk_changes": (change_table(pack), CHANGE_EXPORT_COLUMNS),
    }
    return {
        name: _rounded(table).rename(columns=headings)
        for name, (table, headings) in tables.items()
        if table is not None
    }
