"""What an evidence pack says, assembled from a place's store tables. Pure: no I/O.

:func:`assemble` takes the ward table, manifest and Ofcom LA releases of one place (as
:mod:`evidence.pack` reads them) and returns an :class:`EvidencePack`: the ward table with the
risk index and not-spot flags of :mod:`geo.index`, the priority wards, the headline figures
with their comparisons, and the change across Ofcom releases of :mod:`geo.trends`. The PDF
(:mod:`evidence.pdf`) and the data files (:mod:`evidence.pack`) only lay these out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from evidence.outreach import OutreachPlan, plan_outreach
from evidence.view import ViewState, default_priority_count
from geo import api_coverage, index, trends
from geo.gigabit import PLAN_STATUSES, STATUS_COUNTS
from geo.indicators import CENSUS_TOPICS, INDICATORS, Indicator

#: Indicators a pack can map: the store's catalogue and the computed risk index.
MAPPABLE: dict[str, Indicator] = {index.RISK_INDEX.name: index.RISK_INDEX, **INDICATORS}

#: Indicator mapped when none is asked for: the first of these the ward table holds by ward
#: (the risk index is always there).
DEFAULT_INDICATORS = ("pct_premises_without_gigabit", "pct_premises_below_uso", "risk_index")

#: Area columns of the headline figures, and the ``level`` of each in the store's
#: ``comparisons`` table (built by :mod:`ingest.build` from summed Ofcom and Census counts). The
#: first is the authority, computed here from its wards or its Ofcom row.
AREAS: dict[str, str] = {
    "Local authority": "local authority",
    "Region": "region",
    "Nation": "nation",
    "United Kingdom": "United Kingdom",
}
LOCAL = "Local authority"
SELECTION = "Selected wards"
NOT_IN_STORE = "not in the store"

#: Ward table columns exported to CSV, GeoJSON and GeoPackage, with plain names and units.
#: Column of the export that says the API's double not-spot count as the app does.
API_SAID = "premises_in_double_not_spots_said"

#: What each Census 2021 topic summary's share is a share of.
_CENSUS_BASES = {
    "TS038": "all usual residents",
    "TS067": "usual residents aged 16 and over",
    "TS029": "usual residents aged 3 and over",
    "TS003": "all households",
    "TS011": "all households",
}

EXPORT_COLUMNS: dict[str, str] = {
    "ward_code": "Ward code",
    "ward_name": "Ward name",
    "la_code": "Local authority code",
    "la_name": "Local authority name",
    "constituency_code": "Westminster constituency code (best fit of the ward)",
    "constituency_name": "Westminster constituency (best fit of the ward)",
    "priority": "Priority ward (yes/no)",
    "risk_rank": "Risk rank (1 = highest risk in the authority)",
    "risk_index": "Risk index (0-10, 10 = highest risk)",
    "component_infrastructure": "Risk component: infrastructure (0-10)",
    "component_demography": "Risk component: demography (0-10)",
    "component_deprivation": "Risk component: deprivation (0-10)",
    "fixed_not_spot": "Fixed broadband not-spot (ward; yes/no/unknown)",
    "mobile_not_spot": "Mobile not-spot (local authority; yes/no/unknown)",
    "double_not_spot": "Double not-spot (yes/no/unknown)",
    "residents": "Residents (people)",
    "residents_65_plus": "Residents aged 65+ (people)",
    "pct_residents_65_plus": "Residents aged 65+ (%)",
    "residents_75_plus": "Residents aged 75+ (people)",
    "pct_residents_75_plus": "Residents aged 75+ (%)",
    "pct_residents_most_deprived_decile": "Residents in nation's most deprived 10% (%)",
    "pct_residents_most_deprived_quintile": "Residents in nation's most deprived 20% (%)",
    "imd_average_rank": "Average IMD rank (1 = most deprived)",
    "income_average_rank": "Average income deprivation rank (1 = most deprived)",
    "health_average_rank": "Average health deprivation rank (1 = most deprived)",
    "imd_average_score": "Average IMD score (higher = more deprived; IoD 2025)",
    "residents_decile_compared": "Residents of LSOAs unchanged since 2011, compared 2019-2025",
    "residents_decile_more_deprived": "Of those, in an LSOA now in a more deprived IMD decile",
    "residents_decile_less_deprived": "Of those, in an LSOA now in a less deprived IMD decile",
    **{
        name: f"{label} ({unit})"
        for t in CENSUS_TOPICS
        for name, label, unit in (
            (t.share, t.label, "%"),
            (t.count, t.count_label.removesuffix(" (number)"), "number"),
            (t.base, f"{t.table}: {_CENSUS_BASES[t.table]}, the base of the share", "number"),
        )
    },
    "premises": "Premises (number)",
    "premises_below_uso": "Premises below USO (number)",
    "pct_premises_below_uso": "Premises below USO (%)",
    "premises_without_superfast": "Premises without superfast (number)",
    "pct_premises_without_superfast": "Premises without superfast (%)",
    "premises_without_gigabit": "Premises without gigabit (number)",
    "pct_premises_without_gigabit": "Premises without gigabit (%)",
    "bduk_premises": "BDUK recognised premises (number)",
    **{count: f"BDUK premises: {PLAN_STATUSES[s]} (number)" for s, count in STATUS_COUNTS.items()},
    "pct_premises_no_gigabit_no_plan": f"BDUK premises: {PLAN_STATUSES['no_gigabit_no_plan']} (%)",
    "pct_premises_gigabit_now": f"BDUK premises: {PLAN_STATUSES['gigabit_now']} (%)",
    "pct_premises_project_gigabit": f"BDUK premises: {PLAN_STATUSES['project_gigabit']} (%)",
    "bduk_premises_not_recognised": "BDUK rows not recognised as premises (number)",
    "mobile_not_spot_postcodes": "Ofcom mobile not-spot postcodes (number)",
    "premises_in_mobile_not_spot_postcodes": "BDUK premises in mobile not-spot postcodes (number)",
    "pct_premises_in_mobile_not_spot_postcodes": "BDUK premises in mobile not-spot postcodes (%)",
    "premises_double_not_spot_min": (
        "Premises in double not-spots, at least (number; blank: not known)"
    ),
    "premises_double_not_spot_max": (
        "Premises in double not-spots, at most (number; blank: not known)"
    ),
    "mobile_not_spot_postcodes_no_speed_data": (
        "Mobile not-spot postcodes without Ofcom speed data (number)"
    ),
    "postcodes_live": "Live postcodes (number)",
    "postcodes_checked_mobile": "Postcodes checked with Ofcom's API, mobile (number)",
    "postcodes_checked_fixed": "Postcodes checked with Ofcom's API, broadband (number)",
    **{
        f"{m.share}{end}": f"Ofcom API: {m.label} ({what})"
        for m in api_coverage.MEASURES
        for end, what in (
            ("", "%"),
            ("_low", "%, 95% interval low"),
            ("_high", "%, 95% interval high"),
        )
    },
    **{m.count: f"Ofcom API: {m.label} (premises checked, number)" for m in api_coverage.MEASURES},
    **{
        f"{name}{end}": f"Ofcom API: {label} ({what})"
        for name, label in (
            ("premises_in_double_not_spots", "premises in double not-spots"),
            ("residents_in_double_not_spots", "residents in double not-spots (estimated)"),
        )
        for end, what in (
            ("", "number"),
            ("_low", "95% interval low"),
            ("_high", "95% interval high"),
        )
    },
    API_SAID: "Ofcom API: premises in double not-spots, as said (estimate with interval, or "
    "'fewer than N' for a sample with few)",
    "la_pct_premises_below_uso": "Local authority: premises below USO (%)",
    "la_pct_premises_without_superfast": "Local authority: premises without superfast (%)",
    "la_pct_premises_without_gigabit": "Local authority: premises without gigabit (%)",
    "la_pct_premises_no_4g_indoor": "Local authority: premises with no indoor 4G (%)",
    "la_pct_landmass_no_4g_outdoor": "Local authority: land with no outdoor 4G (%)",
}

#: Decimal places kept in the exported shares (%), scores and ranks.
EXPORT_DECIMALS = 2

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_pct(value: float) -> str:
    """Format a share (%) to one decimal, a small non-zero one as ``"under 0.1%"``.

    Examples
    --------
    >>> format_pct(12.34), format_pct(0.004), format_pct(0.0)
    ('12.3%', 'under 0.1%', '0.0%')
    """
    return "under 0.1%" if 0 < value < 0.05 else f"{value:.1f}%"


def source_label(source: str) -> str:
    """Shorten ``"<file> (<release>)"`` to the release, an Ofcom ``YYYYMM`` as its month."""
    found = re.search(r"\(([^()]*)\)$", source)
    release = found.group(1) if found else source
    try:
        return f"Ofcom {trends.period_label(trends.release_period(release)[0])}"
    except ValueError:
        return release


class EvidenceError(ValueError):
    """An evidence pack was asked for something the place does not have."""


def attributions(manifest: Mapping[str, Any]) -> list[str]:
    """Return the attributions the place's sources require, each once, in manifest order.

    A source's attribution of several parts (``"A; B"``) gives each part; a part already
    credited by another source is not repeated.

    Examples
    --------
    >>> attributions({"sources": [{"attribution": "Contains OS data"},
    ...     {"attribution": "Contains Ofcom data; Contains OS data"}]})
    ['Contains OS data', 'Contains Ofcom data']
    """
    parts = (
        part.strip()
        for source in manifest.get("sources", [])
        for part in str(source["attribution"]).split("; ")
    )
    return list(dict.fromkeys(part for part in parts if part))


@dataclass(frozen=True)
class PlanTables:
    """The store tables of a place built with a BDUK premises file; None where absent.

    A place built without a BDUK file (or by an older build) has none of them.

    Attributes
    ----------
    constituencies : pandas.DataFrame or None
        ``constituency_plans``: one row per Westminster constituency overlapping the authority
        (``constituency_code``, ``constituency_name``, premises counts by plan status of the
        authority's premises only, ``pct_premises_no_gigabit_no_plan`` and, with Ofcom's
        constituency file, ``pct_premises_no_4g_indoor`` of the whole constituency).
    contracts : pandas.DataFrame or None
        ``bduk_contracts``: ``ward_code``, ``contract``, ``supplier``, ``final_coverage_date``,
        ``contract_scope``, ``premises`` (number).
    changes : pandas.DataFrame or None
        ``bduk_changes``: ``ward_code``, :data:`geo.gigabit.CHANGE_COLUMNS` (premises),
        ``release_before``, ``release_now`` (``"YYYY-MM"``); only with two BDUK releases.
    """

    constituencies: pd.DataFrame | None = None
    contracts: pd.DataFrame | None = None
    changes: pd.DataFrame | None = None


#: Store table of each :class:`PlanTables` attribute.
PLAN_TABLES: dict[str, str] = {
    "constituencies": "constituency_plans",
    "contracts": "bduk_contracts",
    "changes": "bduk_changes",
}


@dataclass(frozen=True)
class Figure:
    """One headline number for one area.

    Attributes
    ----------
    count : int or None
        Premises or people; None when not known from the store (see ``note``).
    pct : float or None
        Share (%) of ``of``; for a nation or the UK the store holds the share only.
    of : str
        What the share is of, e.g. ``"premises"``.
    note : str
        Source and level of the number, or why it is missing.
    """

    count: int | None
    pct: float | None = None
    of: str = ""
    note: str = ""

    def text(self) -> str:
        """Return the number for a table cell, e.g. ``"1,204 (5.1% of premises)"``."""
        if self.pct is None or math.isnan(self.pct):
            return self.note if self.count is None else f"{self.count:,}"
        share = format_pct(self.pct)
        if self.count is None:
            return f"{share} of {self.of}"
        return f"{self.count:,} ({share} of {self.of})"

    @property
    def known(self) -> bool:
        """True when the store gives a number (a count, a share or both)."""
        return self.count is not None or not (self.pct is None or math.isnan(self.pct))


@dataclass(frozen=True)
class Headline:
    """One headline measure across the compared areas.

    Attributes
    ----------
    key : str
        Identifier (``"below_uso"``, ``"without_gigabit"``, ``"double_not_spot"``,
        ``"older_in_priority"``).
    label : str
        Plain-words name.
    figures : dict of str to Figure
        One per area column (see :data:`AREAS`).
    """

    key: str
    label: str
    figures: dict[str, Figure]


@dataclass
class EvidencePack:
    """Everything an evidence pack of one place shows.

    Attributes
    ----------
    la_code, la_name : str
        The local authority.
    manifest : dict
        The store manifest of the place (sources, releases, build notes).
    indicator : Indicator
        Indicator of the map.
    wards : geopandas.GeoDataFrame
        Every ward of the authority (EPSG:27700) with the store's columns, ``risk_index``,
        ``risk_rank``, ``component_*``, ``fixed_not_spot``, ``mobile_not_spot``,
        ``double_not_spot``, ``priority`` and ``selected`` (bool).
    selection : list of str
        Ward codes the pack is about; empty for the whole authority.
    headlines : list of Headline
        Headline figures by area.
    areas : list of str
        Area columns of the headlines.
    trend : pandas.DataFrame
        :func:`geo.trends.fixed_trend` of the authority's Ofcom releases.
    date : datetime.date
        Date of the pack (the store's build date unless given).
    view : ViewState
        What the user was looking at: weights, frame, thresholds, priority count, ward in
        view, outreach settings. Stated on the first page.
    reached : geo.index.PeopleReached
        Residents, residents 65+ and premises below the USO in the priority wards.
    outreach : OutreachPlan or None
        The outreach plan of the view's venues; None without venues or postcodes.
    frame_size : int
        Wards the risk index was scored against.
    component_weights : dict of str to int
        Weight of each component the index used (a component with no usable figure is left
        out).
    thresholds_pct : dict of str to float
        Not-spot thresholds (%) used, by flag (``fixed_not_spot``, ``mobile_not_spot``), as
        :func:`geo.index.not_spots` reports them.
    notes : list of str
        How figures were made and what was left out (risk index, not-spots).
    plans : PlanTables
        The BDUK tables of the store (constituencies, contracts, changes between releases).
    levels : dict of str to str
        Geography level of each not-spot flag, as :func:`geo.index.not_spots` reports it
        (``mobile_not_spot``: ``"ward"`` from not-spot postcodes, else ``"local
        authority"``).
    """

    la_code: str
    la_name: str
    manifest: dict[str, Any]
    indicator: Indicator
    wards: gpd.GeoDataFrame
    selection: list[str]
    headlines: list[Headline]
    areas: list[str]
    trend: pd.DataFrame
    date: dt.date
    view: ViewState
    reached: index.PeopleReached
    outreach: OutreachPlan | None
    frame_size: int
    component_weights: dict[str, int]
    thresholds_pct: dict[str, float]
    notes: list[str] = field(default_factory=list)
    plans: PlanTables = field(default_factory=PlanTables)
    levels: dict[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> index.IndexSpec:
        """Weights of the risk index (the view's)."""
        return self.view.spec

    @property
    def synthetic(self) -> bool:
        """True for the generated demo place: every figure is synthetic."""
        return bool(self.manifest.get("synthetic", False))

    @property
    def fixed_level(self) -> str:
        """Level of the fixed broadband figures: ``"ward"``, ``"ward (Ofcom API premises)"``.

        ``"local authority"`` when fixed broadband is not known by ward.
        """
        if "pct_premises_below_uso" not in self.wards:
            return "local authority"
        level = str(self.manifest.get("fixed_broadband_level", "ward"))
        return level if level.startswith("ward") else "ward"

    @property
    def scope(self) -> str:
        """Plain-words scope, e.g. ``"all 21 wards"`` or ``"3 selected wards of 21"``."""
        if not self.selection:
            return f"all {len(self.wards)} wards"
        return f"{len(self.selection)} selected ward(s) of {len(self.wards)}"


def choose_indicator(wards: pd.DataFrame, name: str | None) -> Indicator:
    """Return the indicator to map: ``name``, or the first of :data:`DEFAULT_INDICATORS` held.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward table of the place, with ``risk_index``.
    name : str or None
        A key of :data:`MAPPABLE`.

    Returns
    -------
    Indicator

    Raises
    ------
    EvidenceError
        ``name`` is unknown, or the place has no such column.
    """
    held = [n for n in MAPPABLE if n in wards]
    if name is None:
        name = next(n for n in DEFAULT_INDICATORS if n in wards)
    if name not in held:
        raise EvidenceError(
            f"unknown indicator {name!r} for this place; choose one of: {', '.join(held)}"
        )
    return MAPPABLE[name]


def check_selection(wards: pd.DataFrame, codes: Sequence[str] | None) -> list[str]:
    """Return the ward codes of a selection, checked; ``[]`` for the whole authority.

    Raises
    ------
    EvidenceError
        A code that is not a ward of the place.
    """
    chosen = list(dict.fromkeys(c.strip().upper() for c in codes or []))
    unknown = [c for c in chosen if c not in set(wards["ward_code"])]
    if unknown:
        raise EvidenceError(
            f"ward(s) {', '.join(unknown)} are not wards of this place; its wards are "
            f"{', '.join(sorted(wards['ward_code']))}"
        )
    return chosen


def priority_wards(ranks: pd.Series, *, selected: pd.Series, count: int | None = None) -> pd.Series:
    """Flag priority wards: the selected ones, or else the ``count`` wards most at risk.

    Parameters
    ----------
    ranks : pandas.Series
        ``risk_rank`` of each ward (1 = highest risk; NA when the ward has no index).
    selected : pandas.Series of bool
        Wards chosen by the user, indexed like ``ranks``; all False for none.
    count : int, optional
        How many wards are taken by rank when none is selected; default
        :func:`evidence.view.default_priority_count` of the ranked wards.

    Returns
    -------
    pandas.Series of bool
        Indexed like ``ranks``. Ties at the cut-off are all included.

    Examples
    --------
    >>> ranks = pd.Series([3, 1, 2, 4, 5], dtype="Int64")
    >>> priority_wards(ranks, selected=pd.Series([False] * 5)).tolist()
    [False, True, False, False, False]
    >>> priority_wards(ranks, selected=pd.Series([False] * 5), count=2).tolist()
    [False, True, True, False, False]
    """
    if selected.any():
        return selected.astype(bool)
    cut = default_priority_count(int(ranks.notna().sum())) if count is None else count
    return ranks.le(cut).fillna(False).astype(bool)


def _share_figure(part: float, whole: float, of: str, note: str) -> Figure:
    return Figure(int(part), 100 * part / whole if whole > 0 else None, of, note)


def _ward_sum(wards: pd.DataFrame, mask: pd.Series, part: str, note: str) -> Figure:
    """Sum a ward count over ``mask``, as a share of the premises summed over ``mask``."""
    rows = wards.loc[mask, [part, "premises"]]
    if rows.isna().any().any():
        return Figure(None, note=f"not known for every ward ({part} missing)")
    return _share_figure(float(rows[part].sum()), float(rows["premises"].sum()), "premises", note)


def _la_file_figure(la_fixed: pd.Series | None, part: str, *, negate: bool) -> Figure:
    """Return a share of premises from the authority's newest Ofcom LA file row."""
    if la_fixed is None:
        return Figure(None, note="no Ofcom local-authority file in the store")
    when = trends.period_label(trends.release_period(str(la_fixed["release"]))[0])
    if pd.isna(la_fixed.get(part)) or pd.isna(la_fixed.get("premises")):
        return Figure(None, note=f"not published in Ofcom's {when} local-authority file")
    premises = float(la_fixed["premises"])
    value = premises - float(la_fixed[part]) if negate else float(la_fixed[part])
    return _share_figure(value, premises, "premises", f"Ofcom {when} local-authority file")


def _compared(comparisons: pd.DataFrame | None, level: str, measure: str, of: str) -> Figure:
    """Return an area's share (%) from the store's ``comparisons`` table, or say it is absent."""
    if comparisons is None:
        return Figure(None, note=NOT_IN_STORE)
    rows = comparisons[(comparisons["level"] == level) & (comparisons["measure"] == measure)]
    if rows.empty or pd.isna(rows["value"].iloc[0]):
        return Figure(None, note=NOT_IN_STORE)
    row = rows.iloc[0]
    return Figure(None, float(row["value"]), of, f"{row['area']}, {source_label(row['source'])}")


#: Headline key -> (ward count column, Ofcom LA file count column, LA value is premises minus
#: that count, share in the ``comparisons`` table).
_PREMISES_HEADLINES: dict[str, tuple[str, str, bool, str]] = {
    "below_uso": ("premises_below_uso", "premises_below_uso", False, "pct_premises_below_uso"),
    "without_gigabit": (
        "premises_without_gigabit",
        "premises_gigabit",
        True,
        "pct_premises_without_gigabit",
    ),
}


def _premises_headline(
    key: str,
    label: str,
    wards: pd.DataFrame,
    *,
    selected: pd.Series,
    la_fixed: pd.Series | None,
    comparisons: pd.DataFrame | None,
    ward_source: str,
) -> Headline:
    """Count premises below the USO or without gigabit: by ward if known, else the LA file."""
    ward_part, la_part, negate, share = _PREMISES_HEADLINES[key]
    figures: dict[str, Figure] = {}
    if ward_part in wards:
        if selected.any():
            figures[SELECTION] = _ward_sum(wards, selected, ward_part, ward_source)
        everything = pd.Series(True, index=wards.index)
        figures[LOCAL] = _ward_sum(wards, everything, ward_part, ward_source)
    else:
        if selected.any():
            figures[SELECTION] = Figure(
                None, note="not known by ward: this place has local-authority figures only"
            )
        figures[LOCAL] = _la_file_figure(la_fixed, la_part, negate=negate)
    for area, level in AREAS.items():
        if area != LOCAL:
            figures[area] = _compared(comparisons, level, share, "premises")
    return Headline(key, label, figures)


def _double_not_spot_figure(wards: pd.DataFrame, mask: pd.Series, mobile_level: str) -> Figure:
    flags = wards.loc[mask, "double_not_spot"]
    fixed_unknown = wards.loc[mask, "fixed_not_spot"].isna().any()
    by_ward = mobile_level.startswith("ward")
    if flags.isna().any():
        if fixed_unknown:
            why = "fixed broadband is not known by ward here"
        elif by_ward:
            why = "no mobile not-spot figure for some wards"
        else:
            why = "no Ofcom mobile figure for the authority"
        return Figure(None, note=f"not known: {why}")
    residents = wards.loc[mask, "residents"].astype(float)
    if fixed_unknown:
        how = "wards with fixed broadband not known are not mobile not-spots"
    else:
        how = f"ward fixed flag and {mobile_level} mobile flag"
    return _share_figure(residents[flags.astype(bool)].sum(), residents.sum(), "residents", how)


def _older_in_priority(wards: pd.DataFrame, priority: pd.Series) -> Figure:
    reached = index.people_reached(wards, priority)
    if reached.residents_65_plus is None:
        return Figure(None, note="not known for every priority ward")
    return _share_figure(
        reached.residents_65_plus,
        float(wards["residents_65_plus"].sum()),
        "the authority's residents aged 65+",
        f"{reached.wards} priority ward(s), Census 2021",
    )


def headline_figures(
    wards: pd.DataFrame,
    *,
    selected: pd.Series,
    priority: pd.Series,
    la_fixed: pd.Series | None,
    comparisons: pd.DataFrame | None = None,
    ward_source: str = "",
    mobile_level: str = "local authority",
) -> list[Headline]:
    """Compute the four headline figures for the selection, authority, region and nation.

    Shares of the selection and the authority are recomputed from counts (sum of the
    numerators over the sum of all premises or residents), never the mean of ward percentages.
    Region, nation and UK shares are those the build recomputed the same way
    (``comparisons``); an area or measure it does not hold is :data:`NOT_IN_STORE`.

    Parameters
    ----------
    wards : pandas.DataFrame
        Every ward of one authority with the store's counts and the ``fixed_not_spot``,
        ``mobile_not_spot`` and ``double_not_spot`` flags of :func:`geo.index.not_spots`.
    selected : pandas.Series of bool
        Wards the pack is about (all False: the whole authority).
    priority : pandas.Series of bool
        Priority wards (:func:`priority_wards`).
    la_fixed : pandas.Series or None
        The authority's newest Ofcom LA release row (``release``, ``premises``,
        ``premises_below_uso``, ``premises_gigabit``): used when fixed broadband is not known
        by ward.
    comparisons : pandas.DataFrame, optional
        The store's ``comparisons`` table: ``level``, ``area``, ``measure`` (a share's name),
        ``value`` (%), ``source``.
    ward_source : str, optional
        Source of the ward premises counts, e.g. ``"Ofcom Jan 2026, output areas"``.
    mobile_level : str, default "local authority"
        Level of the mobile not-spot flag (``"ward"`` from not-spot postcodes), as
        :func:`geo.index.not_spots` reports it in ``attrs["level"]``.

    Returns
    -------
    list of Headline
        ``below_uso`` and ``without_gigabit`` (premises), ``double_not_spot`` (residents of
        wards that are fixed and mobile not-spots) and ``older_in_priority`` (residents aged 65
        and over in the priority wards, as a share of the authority's). Figures are keyed by
        area: :data:`SELECTION` (only with a selection), then the keys of :data:`AREAS`.
    """
    options = {
        "selected": selected,
        "la_fixed": la_fixed,
        "comparisons": comparisons,
        "ward_source": ward_source,
    }
    headlines = [
        _premises_headline(
            "below_uso",
            "Premises below the broadband USO (10 Mbit/s down, 1 up)",
            wards,
            **options,
        ),
        _premises_headline(
            "without_gigabit", "Premises without gigabit-capable broadband", wards, **options
        ),
    ]
    double: dict[str, Figure] = {}
    if selected.any():
        double[SELECTION] = _double_not_spot_figure(wards, selected, mobile_level)
    double[LOCAL] = _double_not_spot_figure(wards, pd.Series(True, index=wards.index), mobile_level)
    double.update({area: Figure(None, note=NOT_IN_STORE) for area in AREAS if area != LOCAL})
    headlines.append(Headline("double_not_spot", "Residents in double not-spots", double))

    scope = SELECTION if selected.any() else LOCAL
    local = Figure(None, note="n/a: priority wards are chosen within the authority")
    older = {scope: _older_in_priority(wards, priority)}
    older.update({area: local for area in AREAS if area != scope})
    headlines.append(Headline("older_in_priority", "Residents aged 65+ in priority wards", older))
    return headlines


def _ward_fixed_source(manifest: Mapping[str, Any]) -> str:
    releases = [s["release"] for s in manifest.get("sources", []) if s["role"] == "ofcom_fixed_oa"]
    if not releases:
        return "Ofcom, output areas summed to wards"
    when = trends.period_label(trends.release_period(max(releases))[0])
    return f"Ofcom {when}, output areas summed to wards"


def place_trend(
    la_fixed: pd.DataFrame, wards: pd.DataFrame, manifest: Mapping[str, Any]
) -> pd.DataFrame:
    """Return the authority's Ofcom fixed coverage per release, from its LA files and wards.

    Every LA-level release in the store is a row; when fixed broadband is known by ward, the
    output-area release behind it, summed over the authority's wards, is a row too (unless an
    LA file of the same release is already there).

    Parameters
    ----------
    la_fixed : pandas.DataFrame
        The store's ``la_fixed_coverage`` table (may be empty).
    wards : pandas.DataFrame
        Ward table of the place.
    manifest : mapping
        Store manifest (names the output-area release).

    Returns
    -------
    pandas.DataFrame
        :func:`geo.trends.fixed_trend` rows, oldest first, with ``source``.
    """
    parts = []
    if not la_fixed.empty:
        parts.append(la_fixed.assign(source="Ofcom local-authority file"))
    oa = [s for s in manifest.get("sources", []) if s["role"] == "ofcom_fixed_oa"]
    known = set(la_fixed["release"].astype(str)) if "release" in la_fixed else set()
    if oa and "premises_below_uso" in wards and oa[-1]["release"] not in known:
        totals = trends.totals_from_wards(
            wards, release=oa[-1]["release"], source="Ofcom output areas summed to wards"
        )
        parts.append(totals.assign(source_file=oa[-1]["file"]))
    if not parts:
        return trends.fixed_trend(pd.DataFrame({"release": pd.Series(dtype=str)}))
    return trends.fixed_trend(pd.concat(parts, ignore_index=True))


def assemble(
    wards: gpd.GeoDataFrame,
    manifest: dict[str, Any],
    la_fixed: pd.DataFrame,
    *,
    view: ViewState | None = None,
    frame_wards: pd.DataFrame | None = None,
    comparisons: pd.DataFrame | None = None,
    date: dt.date | None = None,
    plans: PlanTables | None = None,
    postcodes: pd.DataFrame | None = None,
    venues: pd.DataFrame | None = None,
    trend: pd.DataFrame | None = None,
    reach: pd.DataFrame | None = None,
) -> EvidencePack:
    """Compute everything an evidence pack shows for one place, as the view asks.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        The place's ward table (store, EPSG:27700), every ward of one authority.
    manifest : dict
        The place's store manifest.
    la_fixed : pandas.DataFrame
        The store's ``la_fixed_coverage`` (one row per Ofcom LA release; may be empty).
    view : ViewState, optional
        Indicator, weights, frame, thresholds, priority wards, selection, ward in view and
        outreach settings; default ``ViewState(<the place>)``. With a ``selection``, those
        wards are the pack's subject and its priority wards.
    frame_wards : pandas.DataFrame, optional
        Every ward the index scores against when ``view.frame`` is ``"store"``.
    comparisons : pandas.DataFrame, optional
        The store's ``comparisons`` table (nation and UK shares; see
        :func:`headline_figures`).
    date : datetime.date, optional
        Date printed on the pack; default the store's build date.
    plans : PlanTables, optional
        The store's BDUK tables; default none (a place built without a BDUK file).
    postcodes, venues : pandas.DataFrame, optional
        The place's postcode directory and the view's venues; with both, the pack holds the
        outreach plan (:func:`evidence.outreach.plan_outreach`).
    trend, reach : pandas.DataFrame, optional
        :func:`place_trend` of the place and :func:`geo.outreach.ward_reach` of the view's
        venues and catchment, when already computed (they move with no other choice).

    Returns
    -------
    EvidencePack

    Raises
    ------
    EvidenceError
        Unknown indicator or ward code, or a frame of every stored ward without them.
    """
    view = view or ViewState(manifest["la_code"])
    codes = check_selection(wards, view.selection)
    if view.ward is not None:
        check_selection(wards, [view.ward])
    if view.frame == "store" and frame_wards is None:
        raise EvidenceError("the view scores against every stored ward; pass frame_wards")
    wards = wards.reset_index(drop=True)
    risk = index.compute_index(
        wards, view.spec, frame=frame_wards if view.frame == "store" else None
    )
    flags = index.not_spots(
        wards,
        fixed_threshold_pct=view.fixed_threshold_pct,
        mobile_threshold_pct=view.mobile_threshold_pct,
    )
    selected = wards["ward_code"].isin(codes)
    priority = priority_wards(risk["risk_rank"], selected=selected, count=view.priority_wards)
    table = pd.concat([wards, risk.filter(regex="^(component_|risk_)"), flags], axis=1)
    table = gpd.GeoDataFrame(
        table.assign(priority=priority, selected=selected), geometry="geometry", crs=wards.crs
    )
    chosen = choose_indicator(table, view.indicator)
    newest = la_fixed.sort_values("release").iloc[-1] if not la_fixed.empty else None
    headlines = headline_figures(
        table,
        selected=selected,
        priority=priority,
        la_fixed=newest,
        comparisons=comparisons,
        ward_source=_ward_fixed_source(manifest),
        mobile_level=flags.attrs["level"]["mobile_not_spot"],
    )
    built = dt.datetime.fromisoformat(manifest["built_at"]).date()
    return EvidencePack(
        la_code=manifest["la_code"],
        la_name=manifest.get("la_name", manifest["la_code"]),
        manifest=manifest,
        indicator=chosen,
        wards=table,
        selection=codes,
        headlines=headlines,
        areas=list(headlines[0].figures),
        trend=place_trend(la_fixed, wards, manifest) if trend is None else trend,
        date=date or built,
        view=view,
        reached=index.people_reached(table, priority),
        outreach=None
        if postcodes is None or venues is None
        else plan_outreach(table, postcodes, venues, view, reach=reach),
        frame_size=int(risk.attrs["frame_size"]),
        component_weights=dict(risk.attrs["component_weights"]),
        thresholds_pct=flags.attrs["thresholds_pct"],
        notes=[*risk.attrs["notes"], *flags.attrs["notes"]],
        plans=plans or PlanTables(),
        levels=flags.attrs["level"],
    )


def _yes_no(flag: object) -> str:
    return "unknown" if pd.isna(flag) else ("yes" if flag else "no")


def export_table(pack: EvidencePack) -> gpd.GeoDataFrame:
    """Return the ward table as exported: plain names with units, rounded, highest risk first.

    Parameters
    ----------
    pack : EvidencePack

    Returns
    -------
    geopandas.GeoDataFrame
        One row per ward of the authority (EPSG:27700), columns of :data:`EXPORT_COLUMNS`
        the place has, renamed; shares (%) and scores rounded to :data:`EXPORT_DECIMALS`;
        flags as ``"yes"``/``"no"``/``"unknown"``.
    """
    wards = pack.wards.sort_values(["risk_rank", "ward_name"], na_position="last")
    if "premises_in_double_not_spots" in wards:
        wards = wards.assign(
            **{
                API_SAID: [
                    api_coverage.measure_text(row, "premises_in_double_not_spots")
                    for _, row in wards.iterrows()
                ]
            }
        )
    columns = [c for c in EXPORT_COLUMNS if c in wards]
    out = wards[columns].copy()
    for name in columns:
        if name in ("priority", "fixed_not_spot", "mobile_not_spot", "double_not_spot"):
            out[name] = out[name].map(_yes_no).astype(str)
        elif pd.api.types.is_float_dtype(out[name]):
            out[name] = out[name].round(EXPORT_DECIMALS)
    out = out.rename(columns=EXPORT_COLUMNS).reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry=wards.geometry.to_numpy(), crs=wards.crs)


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix with a single quote the text cells a spreadsheet would run as a formula.

    A cell whose text starts with one of :data:`FORMULA_STARTS` (``= + - @``, tab, carriage
    return) gets a leading ``'``, so Excel or LibreOffice shows it as text (OWASP "CSV
    injection"). Numbers are left as they are.

    Examples
    --------
    >>> formula_safe(pd.DataFrame({"name": ["=1+1", "Oak"], "n": [-1, 2]}))["name"].tolist()
    ["'=1+1", 'Oak']
    """
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_string_dtype(out[name]) or out[name].dtype == object:
            out[name] = out[name].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
            )
    return out


def priority_table(pack: EvidencePack) -> pd.DataFrame:
    """Return the priority wards, highest risk first, with the figures behind their priority.

    Returns
    -------
    pandas.DataFrame
        ``risk_rank``, ``ward_name``, ``ward_code``, ``risk_index`` (0-10), ``residents``,
        ``pct_residents_65_plus``, ``pct_residents_disabled`` (where the Census 2021 TS038
        table was among the sources), ``pct_residents_most_deprived_quintile`` and, when fixed
        broadband is known by ward, ``pct_premises_below_uso`` and
        ``pct_premises_without_gigabit`` (%), and ``double_not_spot``.
    """
    columns = [
        "risk_rank",
        "ward_name",
        "ward_code",
        "risk_index",
        "residents",
        "pct_residents_65_plus",
        "pct_residents_disabled",
        "pct_residents_most_deprived_quintile",
        "pct_premises_below_uso",
        "pct_premises_without_gigabit",
        "double_not_spot",
    ]
    chosen = pack.wards[pack.wards["priority"]]
    ranked = chosen.sort_values(["risk_rank", "ward_name"], na_position="last")
    return pd.DataFrame(ranked[[c for c in columns if c in ranked]]).reset_index(drop=True)
