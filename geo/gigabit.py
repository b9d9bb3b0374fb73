"""Premises-level gigabit plans (BDUK) and mobile not-spot postcodes, summed to wards. Pure.

Every premises of BDUK's "Premises in BDUK plans" (:func:`ingest.sources.bduk.read_bduk_premises`)
falls in exactly one **plan status** (:data:`PLAN_STATUSES`), tested in this order:

1. ``gigabit_now``: a gigabit-capable connection is available now (``current_gigabit``);
2. ``project_gigabit``: otherwise, inside a Project Gigabit (Gigabit Infrastructure Subsidy)
   contract (``bduk_gis``);
3. ``voucher_project``: otherwise, in a Gigabit Broadband Voucher project (``bduk_vouchers``);
4. ``commercial_plan``: otherwise, gigabit is planned (``future_gigabit``): a supplier's
   commercial plan reported to BDUK's Open Market Review;
5. ``under_review``: otherwise, BDUK is still assessing suppliers' plans there (status
   *Gigabit Under Review*);
6. ``no_gigabit_no_plan``: none of these: no gigabit now, no commercial plan, no BDUK
   contract or voucher project, and not under review. The premises Project Gigabit lobbying
   is about.

Only BDUK *recognised* premises are counted (``bduk_recognised_premises``); the other rows are
counted apart, so that rows read = recognised + not recognised, and every row is either placed
in an area or counted as not placed with its reason (:data:`NOT_PLACED_REASONS`).

Premises reach an area through their postcode: ``postcode_area`` maps each postcode of the
directory to a ward (or a constituency). A premises whose postcode is blank, malformed, absent
from the directory or in no area is **not placed**, and counted so, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import thresholds
from geo._checks import require_columns

#: Plan status of a premises -> what it means, in the order tested (see module docstring).
PLAN_STATUSES: dict[str, str] = {
    "gigabit_now": "gigabit-capable now",
    "project_gigabit": "in a Project Gigabit contract",
    "voucher_project": "in a gigabit voucher project",
    "commercial_plan": "in a commercial gigabit plan",
    "under_review": "under review by BDUK",
    "no_gigabit_no_plan": "no gigabit and no plan",
}

#: Count column of each plan status in a ward or constituency table.
STATUS_COUNTS: dict[str, str] = {status: f"premises_{status}" for status in PLAN_STATUSES}

#: Columns of :func:`plans_by_area`, all numbers of premises.
COUNT_COLUMNS: tuple[str, ...] = (
    "bduk_premises",
    *STATUS_COUNTS.values(),
    "bduk_premises_not_recognised",
)

#: Why a premises is not placed in an area.
NOT_PLACED_REASONS: dict[str, str] = {
    "no postcode": "no postcode in BDUK's file",
    "not a UK postcode": "postcode in BDUK's file is not a UK postcode",
    "not in the directory": "postcode not in the postcode directory of the place",
    "in no area": "postcode in the directory but in none of the areas",
}

_PREMISES_COLUMNS = (
    "uprn",
    "postcode",
    "postcode_problem",
    "recognised",
    "current_gigabit",
    "future_gigabit",
    "in_gis_contract",
    "in_voucher_project",
    "subsidy_status",
)


def plan_status(premises: pd.DataFrame) -> pd.Series:
    """Return the plan status of each premises (see the module docstring for the order).

    Parameters
    ----------
    premises : pandas.DataFrame
        :func:`ingest.sources.bduk.read_bduk_premises` rows (flags ``current_gigabit``,
        ``in_gis_contract``, ``in_voucher_project``, ``future_gigabit`` and
        ``subsidy_status``).

    Returns
    -------
    pandas.Series
        Categorical of :data:`PLAN_STATUSES` keys, same index.

    Examples
    --------
    >>> rows = pd.DataFrame({"current_gigabit": [True, False], "in_gis_contract": [False] * 2,
    ...                      "in_voucher_project": [False] * 2, "future_gigabit": [False] * 2,
    ...                      "subsidy_status": ["grey", "white"]})
    >>> plan_status(rows).tolist()
    ['gigabit_now', 'no_gigabit_no_plan']
    """
    require_columns(premises, list(_PREMISES_COLUMNS[4:]), argument="premises")
    conditions = [
        premises["current_gigabit"].to_numpy(bool),
        premises["in_gis_contract"].to_numpy(bool),
        premises["in_voucher_project"].to_numpy(bool),
        premises["future_gigabit"].to_numpy(bool),
        (premises["subsidy_status"] == "under_review").to_numpy(bool),
    ]
    codes = np.select(conditions, np.arange(5), default=5)
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=list(PLAN_STATUSES)),
        index=premises.index,
        name="plan_status",
    )


def _area_of(premises: pd.DataFrame, postcode_area: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Area of each premises (NA when not placed) and the reason it is not placed (else NA)."""
    if postcode_area.index.has_duplicates:
        repeated = postcode_area.index[postcode_area.index.duplicated()].unique().tolist()
        raise ValueError(
            f"postcode_area: postcode(s) {repeated[:3]} appear more than once; expected one "
            "area per postcode."
        )
    postcode = premises["postcode"].astype("string")
    area = postcode.map(postcode_area).astype("string")
    reason = premises["postcode_problem"].astype("string").copy()
    usable = reason.isna() & postcode.notna()
    reason[usable & ~postcode.isin(postcode_area.index)] = "not in the directory"
    reason[usable & postcode.isin(postcode_area.index) & area.isna()] = "in no area"
    reason[reason.isna() & area.isna()] = "no postcode"
    return area.where(reason.isna()), reason


@dataclass(frozen=True)
class PlacedPlans:
    """Premises counts by area, and the premises that could not be placed.

    Attributes
    ----------
    counts : pandas.DataFrame
        Indexed by area code (every area of ``areas``, zeros where none), columns
        :data:`COUNT_COLUMNS` (int64, numbers of premises).
    not_placed : pandas.Series
        Rows not placed in any area, by reason (:data:`NOT_PLACED_REASONS` keys, int64;
        every reason present, 0 when none).
    rows : int
        Rows read: ``counts`` summed over recognised and not recognised premises, plus
        ``not_placed``, equals it.
    """

    counts: pd.DataFrame
    not_placed: pd.Series
    rows: int


def plans_by_area(
    premises: pd.DataFrame, postcode_area: pd.Series, *, areas: pd.Index | None = None
) -> PlacedPlans:
    """Count each area's premises by plan status, through their postcodes. Conserves rows.

    Parameters
    ----------
    premises : pandas.DataFrame
        :func:`ingest.sources.bduk.read_bduk_premises` rows of one authority.
    postcode_area : pandas.Series
        Area code (ward or constituency) indexed by postcode in the one-space form
        (``"M15 4AB"``), one entry per directory postcode; NA for a postcode in no area.
    areas : pandas.Index, optional
        Every area to report, so an area with no premises shows 0; default the areas named
        in ``postcode_area``.

    Returns
    -------
    PlacedPlans
        Counts are numbers of premises; ``rows`` = all rows of ``premises``.

    Raises
    ------
    ValueError
        A missing column, or a postcode twice in ``postcode_area``.

    Examples
    --------
    >>> rows = pd.DataFrame({"uprn": [1, 2, 3], "postcode": ["M1 1AA", "M1 1AA", None],
    ...     "postcode_problem": [None, None, "no postcode"], "recognised": [True] * 3,
    ...     "current_gigabit": [True, False, False], "future_gigabit": [False] * 3,
    ...     "in_gis_contract": [False] * 3, "in_voucher_project": [False] * 3,
    ...     "subsidy_status": ["grey", "white", "white"]})
    >>> placed = plans_by_area(rows, pd.Series({"M1 1AA": "W1"}))
    >>> placed.counts.loc["W1", ["premises_gigabit_now", "premises_no_gigabit_no_plan"]].tolist()
    [1, 1]
    >>> int(placed.not_placed["no postcode"]), placed.rows
    (1, 3)
    """
    require_columns(premises, list(_PREMISES_COLUMNS), argument="premises")
    area, reason = _area_of(premises, postcode_area)
    areas = pd.Index(postcode_area.dropna().unique()) if areas is None else areas
    placed = area.notna().to_numpy()
    recognised = premises["recognised"].to_numpy(bool)
    status = plan_status(premises)
    table = pd.DataFrame(
        {"area": area.to_numpy(), "status": status.to_numpy(), "recognised": recognised}
    )[placed]
    counts = pd.crosstab(
        table.loc[table["recognised"], "area"],
        table.loc[table["recognised"], "status"],
        dropna=False,
    ).reindex(index=areas, columns=list(PLAN_STATUSES), fill_value=0)
    counts = counts.rename(columns=STATUS_COUNTS).astype("int64")
    counts.insert(0, "bduk_premises", counts.sum(axis=1).astype("int64"))
    others = table.loc[~table["recognised"], "area"].value_counts()
    counts["bduk_premises_not_recognised"] = others.reindex(areas, fill_value=0).astype("int64")
    counts.index.name = postcode_area.name or "area_code"
    not_placed = (
        reason.value_counts().reindex(list(NOT_PLACED_REASONS), fill_value=0).astype("int64")
    )
    rows = len(premises)
    counted = int(counts[["bduk_premises", "bduk_premises_not_recognised"]].to_numpy().sum())
    if counted + int(not_placed.sum()) != rows:
        missing = set(area[placed].dropna()) - set(areas)
        raise ValueError(
            f"{len(missing)} area(s) of postcode_area are not in areas ({sorted(missing)[:3]}); "
            "their premises would be lost. Pass every area."
        )
    return PlacedPlans(counts=counts, not_placed=not_placed, rows=rows)


def contracts_by_area(premises: pd.DataFrame, postcode_area: pd.Series) -> pd.DataFrame:
    """Premises in each Project Gigabit contract, by area, with supplier and coverage date.

    Parameters
    ----------
    premises : pandas.DataFrame
        :func:`ingest.sources.bduk.read_bduk_premises` rows.
    postcode_area : pandas.Series
        Area code indexed by postcode, as for :func:`plans_by_area`.

    Returns
    -------
    pandas.DataFrame
        One row per area and contract (recognised premises placed in the area and in a
        contract): ``area_code``, ``contract``, ``supplier``, ``final_coverage_date`` (as
        BDUK writes it), ``contract_scope`` ("not given" where blank) and ``premises``
        (number); sorted by area, then most premises first.

    Examples
    --------
    >>> rows = pd.DataFrame({"postcode": ["M1 1AA"], "postcode_problem": [None],
    ...     "recognised": [True], "in_gis_contract": [True], "gis_contract_name": ["Lot 9"],
    ...     "gis_supplier": ["FibreCo"], "gis_final_coverage_date": ["2027-03-31"],
    ...     "gis_contract_scope": [None]})
    >>> contracts_by_area(rows, pd.Series({"M1 1AA": "W1"}))["premises"].tolist()
    [1]
    """
    area, _ = _area_of(premises, postcode_area)
    chosen = premises["in_gis_contract"].to_numpy(bool) & premises["recognised"].to_numpy(bool)
    chosen &= area.notna().to_numpy()
    given = {
        "contract": "gis_contract_name",
        "supplier": "gis_supplier",
        "final_coverage_date": "gis_final_coverage_date",
        "contract_scope": "gis_contract_scope",
    }
    rows = pd.DataFrame(
        {"area_code": area[chosen].to_numpy()}
        | {
            name: premises.loc[chosen, column].astype("string").fillna("not given").to_numpy()
            for name, column in given.items()
        }
    )
    out = rows.groupby(list(rows.columns), dropna=False).size().rename("premises").reset_index()
    out["premises"] = out["premises"].astype("int64")
    return out.sort_values(["area_code", "premises"], ascending=[True, False], ignore_index=True)


#: Columns of :func:`plan_changes`, numbers of premises.
CHANGE_COLUMNS: tuple[str, ...] = (
    "premises_before",
    "premises_now",
    "gigabit_before",
    "gigabit_now",
    "no_plan_before",
    "no_plan_now",
    "gained_gigabit",
    "left_no_plan",
    "joined_no_plan",
    "new_premises",
    "removed_premises",
)


def plan_changes(
    before: pd.DataFrame, now: pd.DataFrame, postcode_area: pd.Series, *, areas: pd.Index
) -> pd.DataFrame:
    """Count what changed by area between two BDUK releases, premises by premises (UPRN).

    Premises are placed by their postcode in each release (a premises present in both counts
    where the newer release puts it; a removed one where the older did). Only recognised
    premises are counted.

    Parameters
    ----------
    before, now : pandas.DataFrame
        :func:`ingest.sources.bduk.read_bduk_premises` rows of the older and the newer release.
    postcode_area : pandas.Series
        Area code indexed by postcode, as for :func:`plans_by_area`.
    areas : pandas.Index
        Every area to report.

    Returns
    -------
    pandas.DataFrame
        Indexed by area; :data:`CHANGE_COLUMNS`: recognised premises, gigabit-capable and
        with no gigabit and no plan in each release; ``gained_gigabit`` (not gigabit-capable
        before, gigabit-capable now), ``left_no_plan`` / ``joined_no_plan`` (premises in both
        releases that left or joined "no gigabit and no plan"), ``new_premises`` and
        ``removed_premises`` (UPRNs in one release only). Premises not placed are left out
        (see :func:`plans_by_area` for their count).
    """
    sides = {}
    for name, table in (("before", before), ("now", now)):
        kept = table[table["recognised"].to_numpy(bool)]
        area, _ = _area_of(kept, postcode_area)
        sides[name] = pd.DataFrame(
            {"area": area.to_numpy(), "status": plan_status(kept).to_numpy()},
            index=pd.Index(kept["uprn"].to_numpy(), name="uprn"),
        )
    both = sides["before"].join(sides["now"], how="outer", suffixes=("_before", "_now"))
    both["area"] = both["area_now"].fillna(both["area_before"])
    was, is_ = both["status_before"], both["status_now"]
    in_both = was.notna() & is_.notna()
    flags = pd.DataFrame(
        {
            "gained_gigabit": in_both & (was != "gigabit_now") & (is_ == "gigabit_now"),
            "left_no_plan": in_both & (was == "no_gigabit_no_plan") & (is_ != was),
            "joined_no_plan": in_both & (is_ == "no_gigabit_no_plan") & (is_ != was),
            "new_premises": was.isna(),
            "removed_premises": is_.isna(),
        }
    )
    out = pd.DataFrame(index=areas)
    for side in ("before", "now"):
        frame = sides[side]
        out[f"premises_{side}"] = frame["area"].value_counts()
        out[f"gigabit_{side}"] = frame.loc[frame["status"] == "gigabit_now", "area"].value_counts()
        out[f"no_plan_{side}"] = frame.loc[
            frame["status"] == "no_gigabit_no_plan", "area"
        ].value_counts()
    out = out.join(flags.groupby(both["area"].to_numpy()).sum())
    return out[list(CHANGE_COLUMNS)].fillna(0).astype("int64")


#: How :func:`not_spot_premises` bounds the premises in double not-spots, in words for exports.
DOUBLE_NOT_SPOT_METHOD = (
    "Ofcom lists postcodes where some premises cannot get a reliable indoor signal from any "
    "mobile network; it does not say how many. For a listed postcode with n premises (BDUK "
    "recognised premises) of which u are below the USO speed (u = n x Ofcom's share of the "
    f"postcode's premises unable to get {thresholds.USO_DOWNLOAD_MBIT} Mbit/s down and "
    f"{thresholds.USO_UPLOAD_MBIT} up from fixed lines or fixed wireless), between "
    "max(0, u - n + 1) (at least one premises lacks mobile) and u (every premises lacks it) "
    "premises are in a double not-spot: no reliable indoor mobile and below the USO speed. "
    "The bounds are summed over the listed postcodes, rounded outwards to whole premises; "
    "a listed postcode with no speed data counts 0 to n."
)

#: Columns of :func:`not_spot_premises`.
NOT_SPOT_COLUMNS: tuple[str, ...] = (
    "mobile_not_spot_postcodes",
    "premises_in_mobile_not_spot_postcodes",
    "premises_double_not_spot_min",
    "premises_double_not_spot_max",
    "mobile_not_spot_postcodes_no_speed_data",
)


def not_spot_premises(
    not_spots: pd.Series,
    postcode_area: pd.Series,
    *,
    premises_per_postcode: pd.Series | None,
    pct_below_uso: pd.Series | None,
    areas: pd.Index,
) -> pd.DataFrame:
    """Mobile not-spot postcodes by area, the premises in them, and double not-spot bounds.

    Ofcom lists postcodes where *some* premises cannot get a reliable indoor signal from any
    mobile network; it does not say how many. So for a listed postcode ``p`` with ``n``
    premises (BDUK recognised premises) and ``u = n * s / 100`` of them below the USO speed
    (``s``: Ofcom's % of the postcode's premises unable to get 10 Mbit/s down and 1 up from
    fixed lines or fixed wireless), the premises in a **double not-spot** (no reliable indoor
    mobile and below the USO speed) number between ``max(0, u - n + 1)`` (at least one
    premises lacks mobile) and ``u`` (every premises lacks it). The bounds are summed over
    the area's listed postcodes, rounded outwards to whole premises. A listed postcode with
    no speed data widens them to ``0`` and ``n`` and is counted in
    ``mobile_not_spot_postcodes_no_speed_data``.

    Parameters
    ----------
    not_spots : pandas.Series
        Listed postcodes (one-space form): the ``postcode`` column of
        :func:`ingest.sources.ofcom_notspots.read_not_spot_postcodes`.
    postcode_area : pandas.Series
        Area code indexed by postcode, as for :func:`plans_by_area`.
    premises_per_postcode : pandas.Series or None
        BDUK recognised premises indexed by postcode; None when no BDUK file is known: the
        premises figures are then NA (not known), never 0.
    pct_below_uso : pandas.Series or None
        Ofcom's % of premises below the USO speed, indexed by postcode (one-space form);
        None when no Ofcom postcode file covers the place.
    areas : pandas.Index
        Every area to report.

    Returns
    -------
    pandas.DataFrame
        Indexed by area, :data:`NOT_SPOT_COLUMNS`: listed postcodes (number, int64), premises
        in them and the double not-spot bounds (numbers of premises, ``Int64``; NA where not
        known: no premises counts, or no speed data for any listed postcode of the area),
        and the listed postcodes without speed data. ``attrs["not_placed"]``: listed
        postcodes in no area of the place (number) and ``attrs["method"]``: the method above.

    Examples
    --------
    >>> out = not_spot_premises(pd.Series(["M1 1AA"]), pd.Series({"M1 1AA": "W1"}),
    ...     premises_per_postcode=pd.Series({"M1 1AA": 10}),
    ...     pct_below_uso=pd.Series({"M1 1AA": 50.0}), areas=pd.Index(["W1"]))
    >>> out.loc["W1", ["premises_double_not_spot_min", "premises_double_not_spot_max"]].tolist()
    [0, 5]
    """
    listed = pd.Index(not_spots.astype(str).unique())
    area = pd.Series(listed.map(postcode_area), index=listed)
    placed = area.dropna()
    out = pd.DataFrame(index=areas)
    out["mobile_not_spot_postcodes"] = placed.value_counts().reindex(areas, fill_value=0)
    out["mobile_not_spot_postcodes"] = out["mobile_not_spot_postcodes"].astype("int64")
    if premises_per_postcode is None:
        for column in NOT_SPOT_COLUMNS[1:4]:
            out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["mobile_not_spot_postcodes_no_speed_data"] = out["mobile_not_spot_postcodes"]
    else:
        n = premises_per_postcode.reindex(placed.index).fillna(0).astype(float)
        share = (
            pct_below_uso.reindex(placed.index)
            if pct_below_uso is not None
            else pd.Series(np.nan, index=placed.index)
        )
        u = n * share / 100
        low = np.floor(np.maximum(0.0, u - n + 1) + 1e-9).where(share.notna(), 0.0)
        high = np.ceil(u - 1e-9).where(share.notna(), n)
        parts = (
            pd.DataFrame(
                {
                    "premises_in_mobile_not_spot_postcodes": n,
                    "premises_double_not_spot_min": low,
                    "premises_double_not_spot_max": high,
                    "with_data": share.notna(),
                    "no_data": share.isna(),
                }
            )
            .groupby(placed.to_numpy())
            .sum()
        )
        parts = parts.reindex(areas, fill_value=0)
        out["premises_in_mobile_not_spot_postcodes"] = parts[
            "premises_in_mobile_not_spot_postcodes"
        ].astype("Int64")
        known = parts["with_data"] > 0
        for column in ("premises_double_not_spot_min", "premises_double_not_spot_max"):
            out[column] = parts[column].astype("Int64").where(known | (parts["no_data"] == 0))
        out["mobile_not_spot_postcodes_no_speed_data"] = parts["no_data"].astype("int64")
    out.attrs = {
        "not_placed": int(area.isna().sum()),
        "method": DOUBLE_NOT_SPOT_METHOD,
    }
    return out


def double_not_spot_total(wards: pd.DataFrame) -> tuple[int, int] | None:
    """Premises in double not-spots over a set of wards, as (at least, at most).

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows with ``premises_double_not_spot_min`` and ``premises_double_not_spot_max``
        (numbers of premises, NA where not known), as :func:`not_spot_premises` gives them.

    Returns
    -------
    tuple of int or None
        The summed bounds; None when a ward's bounds are not known (a sum over an unknown is
        not known) or the columns are absent.

    Examples
    --------
    >>> w = pd.DataFrame({"premises_double_not_spot_min": [0, 2],
    ...                   "premises_double_not_spot_max": [5, 4]})
    >>> double_not_spot_total(w)
    (2, 9)
    """
    columns = ["premises_double_not_spot_min", "premises_double_not_spot_max"]
    if not set(columns) <= set(wards) or wards[columns].isna().any().any():
        return None
    low, high = (int(wards[c].sum()) for c in columns)
    return low, high
