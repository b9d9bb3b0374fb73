"""The outreach plan of a view: which wards the venues reach, who lives beyond them. Pure.

:func:`plan_outreach` runs :mod:`geo.outreach` with the view's venues, catchment and champion
capacity; the app shows the plan it returns and the evidence pack prints and exports the same
plan, so the figures of both are one.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from evidence.view import STORE_VENUES, ViewState
from geo import outreach


@dataclass(frozen=True)
class OutreachPlan:
    """Reach of a set of venues over an authority's wards, at the view's settings.

    Attributes
    ----------
    venues : int
        Venues located.
    venue_source : str
        Where the venues come from, in plain words.
    radius_m : float
        Catchment radius, metres (straight line).
    residents_per_champion : int
        Residents one champion is planned to reach.
    reach : pandas.DataFrame
        :func:`geo.outreach.ward_reach` of every ward.
    unreached : pandas.DataFrame
        :func:`geo.outreach.unreached_priorities`: the view's ``wards_listed`` wards no
        venue reaches, highest risk first.
    residents_within, residents_65_plus_within : int or None
        Residents (people) estimated to live within a catchment
        (:func:`geo.outreach.residents_within_reach`); None when a ward's count is not known.
    residents_outside : int or None
        The authority's residents less those within; None when either is not known.
    wards_reached : int
        Wards with most of their postcodes within reach.
    champions : int or None
        Champions needed to reach ``residents_outside`` at ``residents_per_champion``.
    wards_not_known : int
        Wards whose residents are not known (what makes a total None).
    """

    venues: int
    venue_source: str
    radius_m: float
    residents_per_champion: int
    reach: pd.DataFrame
    unreached: pd.DataFrame
    residents_within: int | None
    residents_65_plus_within: int | None
    residents_outside: int | None
    wards_reached: int
    champions: int | None
    wards_not_known: int

    def summary(self, wards: int) -> str:
        """Say the plan in one paragraph (Markdown bold marks the key numbers).

        Parameters
        ----------
        wards : int
            Wards of the authority.
        """
        if self.residents_outside is None or self.champions is None:
            return (
                f"{self.venues} venues ({self.venue_source}): {self.wards_reached} of {wards} "
                f"wards have most of their postcodes within {self.radius_m:,.0f} m of one. "
                f"Residents within reach are not known: {self.wards_not_known} ward(s) have no "
                "resident count."
            )
        return (
            f"{self.venues} venues ({self.venue_source}): about "
            f"**{self.residents_within:,} residents** ({_known(self.residents_65_plus_within)} "
            f"aged 65+) live within {self.radius_m:,.0f} m of one, and "
            f"**{self.residents_outside:,}** do not. {self.wards_reached} of {wards} wards have "
            f"most of their postcodes within reach. Reaching the rest at "
            f"{self.residents_per_champion:,} residents per champion takes "
            f"**{self.champions} champions**."
        )


def _known(count: int | None) -> str:
    return "not known" if count is None else f"{count:,}"


def venue_source(view: ViewState) -> str:
    """Say where the view's venues come from: the store's list or the uploaded file."""
    if view.venues == STORE_VENUES:
        return "the place's own list"
    name = view.venues.removeprefix("upload:").rsplit(":", 1)[0]
    return f"uploaded file {name}"


def reach_of(
    wards: gpd.GeoDataFrame, postcodes: pd.DataFrame, venues: pd.DataFrame, radius_m: float
) -> pd.DataFrame:
    """Return :func:`geo.outreach.ward_reach` of ``venues`` (WGS84 ``lon``/``lat``) at a radius."""
    return outreach.ward_reach(wards, postcodes, outreach.venue_points(venues), radius_m=radius_m)


def plan_outreach(
    wards: gpd.GeoDataFrame,
    postcodes: pd.DataFrame,
    venues: pd.DataFrame,
    view: ViewState,
    *,
    reach: pd.DataFrame | None = None,
) -> OutreachPlan | None:
    """Plan outreach from ``venues`` at the view's catchment; None without any venue.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Every ward of the authority (EPSG:27700) with ``residents``, ``residents_65_plus``
        and ``risk_index`` (the view's).
    postcodes : pandas.DataFrame
        The place's postcode directory (``store.read_table(la, "postcodes")``).
    venues : pandas.DataFrame
        Venues with ``name``, ``lon``, ``lat`` (:func:`ingest.sources.venues.read_venues`).
    view : ViewState
        Gives ``radius_m``, ``residents_per_champion``, ``wards_listed`` and ``venues``.
    reach : pandas.DataFrame, optional
        :func:`reach_of` these venues at the view's radius, when already computed.

    Returns
    -------
    OutreachPlan or None
    """
    if venues.empty:
        return None
    if reach is None:
        reach = reach_of(wards, postcodes, venues, view.radius_m)
    within = outreach.residents_within_reach(wards, reach)
    residents = wards["residents"]
    outside = (
        None
        if within["residents"] is None or residents.isna().any()
        else int(residents.sum()) - within["residents"]
    )
    return OutreachPlan(
        venues=len(venues),
        venue_source=venue_source(view),
        radius_m=view.radius_m,
        residents_per_champion=view.residents_per_champion,
        reach=reach,
        unreached=outreach.unreached_priorities(
            wards, reach, wards["risk_index"], top=view.wards_listed
        ),
        residents_within=within["residents"],
        residents_65_plus_within=within["residents_65_plus"],
        residents_outside=outside,
        wards_reached=int(reach["reached"].sum()),
        champions=None
        if outside is None
        else outreach.champions_needed(outside, residents_per_champion=view.residents_per_champion),
        wards_not_known=within["wards_not_known"]["residents"],
    )
