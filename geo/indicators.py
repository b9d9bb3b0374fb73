"""Ward indicators: what each figure means, its unit, its geography level, and how it is made.

The catalogue :data:`INDICATORS` is the one place that says how an indicator is labelled in
the app and in exports, whether a higher value is worse, and whether it was measured for the
ward or is local-authority context attached to every ward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from geo import api_coverage, thresholds


@dataclass(frozen=True)
class Indicator:
    """How to show and read one ward column.

    Attributes
    ----------
    name : str
        Column name in the ward store.
    label : str
        Plain-words label for a council officer.
    unit : str
        ``"%"``, ``"premises"``, ``"people"``, ``"households"``, ``"postcodes"``, ``"rank"`` or
        ``"score"`` (the risk index, 0 to 10, or a published index score such as the IMD's).
    level : {"ward", "local authority"}
        ``"ward"`` when measured for the ward (or built from its small areas);
        ``"local authority"`` when it is the LA's figure shown on every ward as context.
    higher_is_worse : bool
        Direction for rankings and, when ``is_risk``, for colour scales.
    source : str
        Where the figure comes from.
    comparable_across_nations : bool, default True
        False for figures measured against one nation's own index (deprivation ranks and
        scores, shares of the nation's most deprived neighbourhoods): England's, Wales's and
        Scotland's indices are built differently, so such figures of wards in two nations
        cannot be compared.
    is_risk : bool, default True
        True when the figure says how many, or what share, are at risk of digital exclusion
        (premises below the USO speed, disabled residents, a deprivation rank), so one end of
        its scale is worse (``higher_is_worse``); False for a plain size or a check of the data
        (all residents, all premises, the share of postcodes checked), which maps show from low
        to high, never as better or worse.
    """

    name: str
    label: str
    unit: Literal["%", "premises", "people", "households", "postcodes", "rank", "score"]
    level: Literal["ward", "local authority"]
    higher_is_worse: bool
    source: str
    comparable_across_nations: bool = True
    is_risk: bool = True


_OFCOM_FIXED = "Ofcom Connected Nations, fixed coverage by output area, summed to wards"
_OFCOM_MOBILE = "Ofcom Connected Nations, mobile coverage by local authority (LA-level context)"
_OFCOM_FIXED_LA = "Ofcom Connected Nations, fixed coverage by local authority (LA-level context)"
_IOD = (
    "The nation's own index of multiple deprivation, in the release named with its file "
    "(England: English Indices of Deprivation, MHCLG; Wales: Welsh Index of Multiple "
    "Deprivation, Welsh Government; by LSOA, weighted by Census 2021 residents. Scotland: "
    "Scottish Index of Multiple Deprivation, Scottish Government; by data zone, weighted by "
    "the residents it publishes)"
)
_BDUK = (
    "Building Digital UK, Premises in BDUK plans (one row per premises), placed in wards by "
    "postcode through the ONS Postcode Directory"
)
_NOT_SPOTS = (
    "Ofcom mobile not-spot postcode list (postcodes where some premises lack reliable indoor "
    "signal from every network), with BDUK premises per postcode, placed in wards by postcode"
)
_DOUBLE = (
    "Ofcom mobile not-spot postcodes, Ofcom fixed coverage by postcode (USO speed) and BDUK "
    "premises per postcode: bounds by postcode, summed to wards (see METHODOLOGY.md)"
)
_OFCOM_API = (
    "Ofcom Connected Nations API (coverage by premises, asked postcode by postcode with "
    "Ofcom's permission), placed in wards by postcode; a sample's share has a 95% interval"
)
_CENSUS = (
    "Census 2021 age (ONS, Nomis), LSOAs summed to wards by best-fit lookup; Scotland: the "
    "residents SIMD 2020v2 publishes per data zone (no ages), summed to wards by the Scottish "
    "Government's data zone lookup"
)

_DWP = (
    "DWP Pension Credit claimants by LSOA (Stat-Xplore, asked with a user's key), per 100 "
    "residents aged 66 and over (Census 2021), LSOAs shared among wards as residents are"
)


@dataclass(frozen=True)
class CensusTopic:
    """One share from a Census 2021 topic summary, with the count and base it is made of.

    Attributes
    ----------
    share : str
        Ward column of the share (% of ``base``).
    count : str
        Ward column of the count (people or households, summed from small areas).
    base : str
        Ward column of the share's own denominator, summed the same way.
    table : str
        The topic summary, e.g. ``"TS038"``.
    role : str
        Manifest role of the topic summary's file.
    label : str
        Plain-words label of the share, saying what it is a share of.
    count_label : str
        Plain-words label of the count.
    """

    share: str
    count: str
    base: str
    table: str
    role: str
    label: str
    count_label: str

    @property
    def unit(self) -> Literal["people", "households"]:
        """``"households"`` for a count of households, else ``"people"``."""
        return "households" if self.count.startswith("households") else "people"

    @property
    def source(self) -> str:
        """Where the share comes from: the table, its publisher and how it reaches wards."""
        return (
            f"Census 2021 topic summary {self.table} (ONS, Nomis bulk download), 2021 output "
            "areas or LSOAs summed to wards (how, per figure, in the manifest's methods)"
        )


#: The Census 2021 topic summaries read into the ward table, one share each.
CENSUS_TOPICS = (
    CensusTopic(
        "pct_residents_disabled", "residents_disabled", "residents_disabled_base", "TS038",
        "census_disability",
        "Residents disabled under the Equality Act (day-to-day activities limited a little or "
        "a lot), of all usual residents",
        "Residents disabled under the Equality Act (number)",
    ),
    CensusTopic(
        "pct_residents_no_qualifications", "residents_no_qualifications",
        "residents_no_qualifications_base", "TS067", "census_qualifications",
        "Residents aged 16 and over with no qualifications",
        "Residents aged 16 and over with no qualifications (number)",
    ),
    CensusTopic(
        "pct_residents_poor_english", "residents_poor_english", "residents_poor_english_base",
        "TS029", "census_english",
        "Residents aged 3 and over who cannot speak English well or at all",
        "Residents aged 3 and over who cannot speak English well or at all (number)",
    ),
    CensusTopic(
        "pct_households_one_person_66_plus", "households_one_person_66_plus",
        "households_one_person_66_plus_base", "TS003", "census_households",
        "One-person households aged 66 and over (someone living alone), of all households",
        "One-person households aged 66 and over (number)",
    ),
    CensusTopic(
        "pct_households_deprived_2_plus", "households_deprived_2_plus",
        "households_deprived_2_plus_base", "TS011", "census_household_deprivation",
        "Households deprived in 2 or more of the 4 Census dimensions (employment, education, "
        "health and disability, housing), of all households",
        "Households deprived in 2 or more dimensions (number)",
    ),
)  # fmt: skip

#: Manifest roles (see :data:`ingest.build.PUBLISHERS`) of the files behind each source.
SOURCE_ROLES: dict[str, tuple[str, ...]] = {
    _OFCOM_FIXED: ("output_areas", "ofcom_fixed_oa"),
    _OFCOM_FIXED_LA: ("ofcom_fixed_la",),
    _OFCOM_MOBILE: ("ofcom_mobile_la",),
    _IOD: ("iod", "wimd", "simd", "lsoa_ward_lookup", "data_zone_ward_lookup"),
    _CENSUS: ("census_age", "simd", "lsoa_ward_lookup", "data_zone_ward_lookup"),
    _BDUK: ("bduk_premises", "postcodes"),
    _NOT_SPOTS: ("ofcom_mobile_not_spots", "bduk_premises", "postcodes"),
    _DOUBLE: ("ofcom_mobile_not_spots", "ofcom_fixed_postcode", "bduk_premises", "postcodes"),
    _OFCOM_API: ("ofcom_api", "postcodes"),
    **{topic.source: (topic.role, "lsoa_ward_lookup") for topic in CENSUS_TOPICS},
    _DWP: ("dwp_pension_credit", "census_age", "lsoa_ward_lookup"),
}

#: Indicators of Ofcom's API figures (:mod:`geo.api_coverage`), one per measure and the
#: estimated premises and residents in double not-spots.
_API_INDICATORS = (
    *(
        Indicator(m.share, m.label, "%", "ward", True, _OFCOM_API)
        for m in api_coverage.MEASURES
    ),
    Indicator(
        "premises_in_double_not_spots",
        "Premises in double not-spots, premises by premises (no good indoor mobile data from "
        "any network and below the USO speed)",
        "premises", "ward", True, _OFCOM_API,
    ),
    Indicator(
        "residents_in_double_not_spots",
        "Residents in double not-spots (estimated: premises times the ward's residents per "
        "premises)",
        "people", "ward", True, _OFCOM_API,
    ),
    Indicator(
        "pct_postcodes_checked_mobile",
        "Postcodes whose premises were checked for mobile coverage (Ofcom API)",
        "%", "ward", False, _OFCOM_API, is_risk=False,
    ),
)  # fmt: skip

#: Indicators of the Census 2021 topic summaries: each share, then its count.
_CENSUS_TOPIC_INDICATORS = tuple(
    indicator
    for t in CENSUS_TOPICS
    for indicator in (
        Indicator(t.share, t.label, "%", "ward", True, t.source),
        Indicator(t.count, t.count_label, t.unit, "ward", True, t.source),
    )
)

INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator(
            "pct_premises_below_uso",
            f"Premises below the USO speed (under {thresholds.USO_DOWNLOAD_MBIT} Mbit/s down or "
            f"{thresholds.USO_UPLOAD_MBIT} up from fixed lines or fixed wireless; a speed, not "
            "USO eligibility)",
            "%", "ward", True, _OFCOM_FIXED,
        ),
        Indicator(
            "pct_premises_without_superfast",
            f"Premises without superfast broadband ({thresholds.SUPERFAST_MBIT} Mbit/s)",
            "%", "ward", True, _OFCOM_FIXED,
        ),
        Indicator(
            "pct_premises_without_gigabit",
            f"Premises without gigabit-capable broadband ({thresholds.GIGABIT_MBIT} Mbit/s)",
            "%", "ward", True, _OFCOM_FIXED,
        ),
        Indicator("premises_below_uso", "Premises below the USO speed (number)", "premises",
                  "ward", True, _OFCOM_FIXED),
        Indicator(
            "pct_premises_no_gigabit_no_plan",
            "Premises with no gigabit and no plan (no gigabit now, no commercial plan, no "
            "Project Gigabit contract or voucher project, not under review)",
            "%", "ward", True, _BDUK,
        ),
        Indicator("premises_no_gigabit_no_plan", "Premises with no gigabit and no plan (number)",
                  "premises", "ward", True, _BDUK),
        Indicator("pct_premises_gigabit_now", "Premises gigabit-capable now (BDUK)", "%", "ward",
                  False, _BDUK),
        Indicator("pct_premises_project_gigabit", "Premises in a Project Gigabit contract", "%",
                  "ward", False, _BDUK),
        Indicator(
            "pct_premises_in_mobile_not_spot_postcodes",
            "Premises in mobile not-spot postcodes (where some premises lack reliable indoor "
            "signal from every network)",
            "%", "ward", True, _NOT_SPOTS,
        ),
        Indicator("mobile_not_spot_postcodes", "Mobile not-spot postcodes (number)", "postcodes",
                  "ward", True, _NOT_SPOTS),
        Indicator(
            "premises_double_not_spot_max",
            "Premises possibly in double not-spots (at most: in a mobile not-spot postcode and "
            "below the USO speed)",
            "premises", "ward", True, _DOUBLE,
        ),
        Indicator(
            "premises_double_not_spot_min",
            "Premises surely in double not-spots (at least)",
            "premises", "ward", True, _DOUBLE,
        ),
        Indicator("premises", "Premises (all)", "premises", "ward", False, _OFCOM_FIXED,
                  is_risk=False),
        Indicator("pct_residents_65_plus", "Residents aged 65 and over", "%", "ward", True,
                  _CENSUS),
        Indicator("pct_residents_75_plus", "Residents aged 75 and over", "%", "ward", True,
                  _CENSUS),
        Indicator("residents", "Usual residents", "people", "ward", False, _CENSUS,
                  is_risk=False),
        *_CENSUS_TOPIC_INDICATORS,
        Indicator(
            "pct_residents_66_plus_pension_credit",
            "Pension Credit claims per 100 residents aged 66 and over (a couple claims once; "
            "DWP counts, Census 2021 residents)",
            "%", "ward", True, _DWP,
        ),
        Indicator("pension_credit_claimants", "Pension Credit claimants (number)", "people",
                  "ward", True, _DWP),
        Indicator(
            "pct_residents_most_deprived_decile",
            "Residents in the nation's most deprived 10% of neighbourhoods",
            "%", "ward", True, _IOD, comparable_across_nations=False,
        ),
        Indicator(
            "pct_residents_most_deprived_quintile",
            "Residents in the nation's most deprived 20% of neighbourhoods",
            "%", "ward", True, _IOD, comparable_across_nations=False,
        ),
        Indicator(
            "imd_average_score",
            "Average deprivation score of residents' neighbourhoods (higher = more deprived, on "
            "the nation's own index)",
            "score", "ward", True, _IOD, comparable_across_nations=False,
        ),
        Indicator(
            "imd_average_rank",
            "Average deprivation rank of residents' neighbourhoods (1 = most deprived nationally)",
            "rank", "ward", False, _IOD, comparable_across_nations=False,
        ),
        Indicator(
            "income_average_rank",
            "Average income deprivation rank of residents' neighbourhoods (1 = most deprived)",
            "rank", "ward", False, _IOD, comparable_across_nations=False,
        ),
        Indicator(
            "health_average_rank",
            "Average health deprivation rank of residents' neighbourhoods (1 = most deprived)",
            "rank", "ward", False, _IOD, comparable_across_nations=False,
        ),
        Indicator(
            "la_pct_premises_below_uso",
            "Premises below the USO speed (whole local authority)",
            "%", "local authority", True, _OFCOM_FIXED_LA,
        ),
        Indicator(
            "la_pct_premises_without_superfast",
            "Premises without superfast broadband (whole local authority)",
            "%", "local authority", True, _OFCOM_FIXED_LA,
        ),
        Indicator(
            "la_pct_premises_without_gigabit",
            "Premises without gigabit-capable broadband (whole local authority)",
            "%", "local authority", True, _OFCOM_FIXED_LA,
        ),
        Indicator(
            "la_pct_premises_no_4g_indoor",
            "Premises with no indoor 4G from any operator (whole local authority)",
            "%", "local authority", True, _OFCOM_MOBILE,
        ),
        Indicator(
            "la_pct_landmass_no_4g_outdoor",
            "Land area with no outdoor 4G from any operator (whole local authority)",
            "%", "local authority", True, _OFCOM_MOBILE,
        ),
        *_API_INDICATORS,
    )
}  # fmt: skip


def releases_behind(indicator: Indicator, sources: list[dict[str, Any]]) -> list[str]:
    """Name the files and releases a figure was built from, for a ward card or an export.

    Parameters
    ----------
    indicator : Indicator
        The figure.
    sources : list of dict
        The ``sources`` of a place's manifest (``role``, ``file``, ``release`` each).

    Returns
    -------
    list of str
        ``"<file> (<release>)"`` for each source file of the indicator's roles, in manifest
        order; the LA-level Ofcom figure is the newest release only.

    Examples
    --------
    >>> sources = [{"role": "census_age", "file": "pop.csv", "release": "Census 2021 TS007"}]
    >>> releases_behind(INDICATORS["pct_residents_65_plus"], sources)
    ['pop.csv (Census 2021 TS007)']
    """
    roles = SOURCE_ROLES[indicator.source]
    used = [s for s in sources if s["role"] in roles]
    if roles == ("ofcom_fixed_la",) and used:
        used = [max(used, key=lambda s: s["release"])]
    return [f"{s['file']} ({s['release']})" for s in used]


#: Numerator and denominator counts of each share, so the share of any area (a ward, a local
#: authority, a nation) is recomputed from summed counts, never averaged from percentages.
SHARES: dict[str, tuple[str, str]] = {
    "pct_premises_below_uso": ("premises_below_uso", "premises"),
    "pct_premises_without_superfast": ("premises_without_superfast", "premises"),
    "pct_premises_without_gigabit": ("premises_without_gigabit", "premises"),
    "pct_residents_65_plus": ("residents_65_plus", "residents"),
    "pct_residents_75_plus": ("residents_75_plus", "residents"),
    "pct_residents_most_deprived_decile": ("residents_most_deprived_decile", "residents"),
    "pct_residents_most_deprived_quintile": ("residents_most_deprived_quintile", "residents"),
    "pct_premises_no_gigabit_no_plan": ("premises_no_gigabit_no_plan", "bduk_premises"),
    "pct_premises_gigabit_now": ("premises_gigabit_now", "bduk_premises"),
    "pct_premises_project_gigabit": ("premises_project_gigabit", "bduk_premises"),
    "pct_premises_in_mobile_not_spot_postcodes": (
        "premises_in_mobile_not_spot_postcodes",
        "bduk_premises",
    ),
    **{m.share: (m.count, api_coverage.CHECKED[m.checked]) for m in api_coverage.MEASURES},
    **{topic.share: (topic.count, topic.base) for topic in CENSUS_TOPICS},
    "pct_residents_66_plus_pension_credit": ("pension_credit_claimants", "residents_66_plus"),
}

#: Nation of an ONS area code, by its first letter.
NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}


def area_shares(counts: pd.DataFrame) -> dict[str, float]:
    """Shares (%) of the area made of all rows of ``counts``, from summed counts.

    Parameters
    ----------
    counts : pandas.DataFrame
        Rows of any geography (wards, LSOAs, local authorities) with count columns named as
        in :data:`SHARES`; ``premises_without_superfast`` and ``premises_without_gigabit`` are
        derived from ``premises_sfbb`` and ``premises_gigabit`` when absent (Ofcom's files).

    Returns
    -------
    dict of str to float
        Each share of :data:`SHARES` whose counts are present and whose denominator is
        positive, in % of that denominator (the area's premises, residents, households or a
        Census base); a share whose summed base is 0 is left out (not known, never 0).

    Examples
    --------
    >>> rows = pd.DataFrame({"premises": [100, 300], "premises_below_uso": [10, 0]})
    >>> area_shares(rows)
    {'pct_premises_below_uso': 2.5}
    """
    totals = counts.sum(numeric_only=True)
    for without, covered in (
        ("premises_without_superfast", "premises_sfbb"),
        ("premises_without_gigabit", "premises_gigabit"),
    ):
        if without not in totals and covered in totals and "premises" in totals:
            totals[without] = totals["premises"] - totals[covered]
    return {
        name: float(100 * totals[part] / totals[whole])
        for name, (part, whole) in SHARES.items()
        if part in totals and whole in totals and totals[whole] > 0
    }


def _pct(part: pd.Series, whole: pd.Series) -> pd.Series:
    """``100 * part / whole``; NaN where ``whole`` is 0 (no premises: no rate)."""
    return (100 * part / whole.where(whole > 0)).astype(float)


def ward_card(
    ward: pd.Series, comparisons: pd.DataFrame, sources: list[dict[str, Any]]
) -> pd.DataFrame:
    """Every indicator of one ward beside its local authority, nation and the UK.

    Parameters
    ----------
    ward : pandas.Series
        One ward row of the store (indicator columns by name).
    comparisons : pandas.DataFrame
        The place's ``comparisons`` table: ``level`` (``"local authority"``, ``"nation"``,
        ``"United Kingdom"``), ``area``, ``measure`` (an indicator name), ``value``.
    sources : list of dict
        The manifest's ``sources``, for the files and releases behind each figure.

    Returns
    -------
    pandas.DataFrame
        One row per indicator the ward has (catalogue order): ``indicator`` (name),
        ``label``, ``unit``, ``level`` (ward or local-authority context), ``ward`` (value),
        one column per compared area named as the area (e.g. ``"Trafford"``, ``"England"``,
        ``"United Kingdom"``; NaN where not known; a ``la_`` context figure is compared as the
        share it is), and ``data`` (files and releases).
    """
    areas = comparisons.pivot_table(index="measure", columns="area", values="value", sort=False)
    order = comparisons.drop_duplicates("area").set_index("area")["level"]
    rank = {"local authority": 0, "nation": 1, "United Kingdom": 2}
    columns = sorted(areas.columns, key=lambda area: rank.get(order[area], 3))
    rows = [
        {
            "indicator": i.name,
            "label": i.label,
            "unit": i.unit,
            "level": i.level,
            "ward": ward[i.name],
            **{area: areas[area].get(i.name.removeprefix("la_"), np.nan) for area in columns},
            "data": "; ".join(releases_behind(i, sources)),
        }
        for i in INDICATORS.values()
        if i.name in ward.index
    ]
    return pd.DataFrame(rows)


def _shares_of(counts: pd.DataFrame, whole: str) -> dict[str, pd.Series]:
    """Every share of :data:`SHARES` over ``whole`` whose numerator is a column of ``counts``."""
    return {
        name: _pct(counts[part], counts[whole])
        for name, (part, denominator) in SHARES.items()
        if denominator == whole and part in counts
    }


def fixed_broadband_indicators(counts: pd.DataFrame) -> pd.DataFrame:
    """Ward percentages of premises from summed Ofcom counts.

    Parameters
    ----------
    counts : pandas.DataFrame
        Ward rows with ``premises``, ``premises_below_uso``, ``premises_sfbb`` (>= 30 Mbit/s)
        and ``premises_gigabit`` (numbers of premises).

    Returns
    -------
    pandas.DataFrame
        Same index; ``premises_without_superfast``, ``premises_without_gigabit`` (numbers) and
        ``pct_premises_below_uso``, ``pct_premises_without_superfast``,
        ``pct_premises_without_gigabit`` (% of all premises in the ward).
    """
    numbers = counts.assign(
        premises_without_superfast=counts["premises"] - counts["premises_sfbb"],
        premises_without_gigabit=counts["premises"] - counts["premises_gigabit"],
    )
    return pd.DataFrame(
        {
            "premises_without_superfast": numbers["premises_without_superfast"],
            "premises_without_gigabit": numbers["premises_without_gigabit"],
            **_shares_of(numbers, "premises"),
        },
        index=counts.index,
    )


def plan_indicators(counts: pd.DataFrame) -> pd.DataFrame:
    """Shares (%) of BDUK recognised premises, from summed premises counts of any area.

    Parameters
    ----------
    counts : pandas.DataFrame
        Rows (wards, constituencies) with ``bduk_premises`` and any of the premises counts of
        :data:`SHARES` over it (``premises_no_gigabit_no_plan``, ``premises_gigabit_now``,
        ``premises_project_gigabit``, ``premises_in_mobile_not_spot_postcodes``).

    Returns
    -------
    pandas.DataFrame
        Same index; one ``pct_...`` column per count present (NaN where not known or where
        the area has no premises).

    Examples
    --------
    >>> plan_indicators(pd.DataFrame({"bduk_premises": [200], "premises_no_gigabit_no_plan": [50]}))
       pct_premises_no_gigabit_no_plan
    0                             25.0
    """
    return pd.DataFrame(_shares_of(counts, "bduk_premises"), index=counts.index)


def population_indicators(people: pd.DataFrame) -> pd.DataFrame:
    """Ward shares of residents from summed Census counts.

    Parameters
    ----------
    people : pandas.DataFrame
        Ward rows with ``residents``, ``residents_65_plus``, ``residents_75_plus``,
        ``residents_most_deprived_decile`` and ``residents_most_deprived_quintile`` (people),
        and where known ``pension_credit_claimants`` with ``residents_66_plus``.

    Returns
    -------
    pandas.DataFrame
        The same as shares (% of the ward's residents; Pension Credit claims per 100
        residents aged 66+), named ``pct_residents_...``.
    """
    shares = {**_shares_of(people, "residents"), **_shares_of(people, "residents_66_plus")}
    return pd.DataFrame(shares, index=people.index)


def census_topic_indicators(counts: pd.DataFrame) -> pd.DataFrame:
    """Shares (%) of the Census 2021 topic summaries, each from its own count and base.

    Parameters
    ----------
    counts : pandas.DataFrame
        Rows of any area (wards, LSOAs) with any of the counts of :data:`CENSUS_TOPICS`
        (people or households), each beside its base (``<count>_base``).

    Returns
    -------
    pandas.DataFrame
        Same index; one share per count present, in % of its base: NaN (not known, never 0)
        where the base is 0 or the count or base is missing.

    Raises
    ------
    ValueError
        A count is present without its base, which would leave its share unknown everywhere.

    Examples
    --------
    >>> rows = pd.DataFrame({"residents_disabled": [30, 0], "residents_disabled_base": [200, 0]})
    >>> census_topic_indicators(rows)["pct_residents_disabled"].tolist()
    [15.0, nan]
    """
    present = [t for t in CENSUS_TOPICS if t.count in counts]
    lacking = [t.base for t in present if t.base not in counts]
    if lacking:
        raise ValueError(
            f"census_topic_indicators: no base column {lacking} beside its count (found: "
            f"{list(counts.columns)}); every Census count needs its own denominator, summed "
            "from the same small areas."
        )
    return pd.DataFrame(
        {t.share: _pct(counts[t.count], counts[t.base]) for t in present}, index=counts.index
    )


def la_fixed_context(la_row: pd.Series) -> dict[str, float]:
    """Local-authority fixed broadband shares, to show on every ward as context.

    Parameters
    ----------
    la_row : pandas.Series
        One Ofcom LA-level release row for the authority (``pct_premises_below_uso``,
        ``pct_premises_sfbb``, ``pct_premises_gigabit``; older releases lack some).

    Returns
    -------
    dict of str to float
        ``la_pct_premises_below_uso``, ``la_pct_premises_without_superfast``,
        ``la_pct_premises_without_gigabit`` (% of the LA's premises), for those published.
    """
    context = {}
    if "pct_premises_below_uso" in la_row:
        context["la_pct_premises_below_uso"] = float(la_row["pct_premises_below_uso"])
    if "pct_premises_sfbb" in la_row:
        context["la_pct_premises_without_superfast"] = 100 - float(la_row["pct_premises_sfbb"])
    if "pct_premises_gigabit" in la_row:
        context["la_pct_premises_without_gigabit"] = 100 - float(la_row["pct_premises_gigabit"])
    return context


def in_words(text: str) -> str:
    """Put each ward column name in ``text`` as its label's short form, for a council officer.

    The short form is the label before its first bracket, in quotes (a local-authority
    figure's whole label, which says it is one).

    Examples
    --------
    >>> in_words("pct_residents_65_plus left out of demography: no ward has a value")
    '"Residents aged 65 and over" left out of demography: no ward has a value'
    """
    return _COLUMN_NAME.sub(lambda m: f'"{_short_label(m.group(0))}"', text)


def _short_label(name: str) -> str:
    """Return a label before its first bracket (a local-authority figure's whole label)."""
    label = INDICATORS[name].label
    return label if INDICATORS[name].level == "local authority" else label.split(" (")[0]


#: Any ward column name of :data:`INDICATORS` with an underscore (so not a plain word such as
#: "premises") as a whole word, longest first.
_COLUMN_NAME = re.compile(
    r"\b("
    + "|".join(sorted((re.escape(n) for n in INDICATORS if "_" in n), key=len, reverse=True))
    + r")\b"
)
