"""Ward choropleths for the app: classes, colours and a small folium map. No I/O.

Colours come from the viridis scale (perceptually uniform and readable with the common forms
of colour blindness); darker always means *worse* for the chosen indicator, so the worst wards
stand out whatever the direction of the measure.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely

from geo.indicators import Indicator
from ingest.settings import WEB_CRS

#: Viridis in five steps, light (better) to dark (worse).
PALETTE = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
NO_DATA = "#bdbdbd"


@dataclass(frozen=True)
class Classes:
    """Class breaks of one indicator over a set of wards.

    Attributes
    ----------
    labels : list of str
        Plain-words range of each class, in colour order (better to worse).
    colours : list of str
        Hex colour of each class.
    ward_colour : pandas.Series
        Colour of each ward (index of the input), grey where the value is missing.
    """

    labels: list[str]
    colours: list[str]
    ward_colour: pd.Series


def format_value(value: float, indicator: Indicator) -> str:
    """Format one value with its unit, e.g. ``"12.3%"``, ``"1,204 premises"``."""
    if pd.isna(value):
        return "no data"
    if indicator.unit == "%":
        return f"{value:.1f}%"
    return f"{value:,.0f} {indicator.unit}" if indicator.unit != "rank" else f"{value:,.0f}"


def classify(values: pd.Series, indicator: Indicator, *, k: int = 5) -> Classes:
    """Split ward values into at most ``k`` natural-breaks classes (Fisher-Jenks).

    Parameters
    ----------
    values : pandas.Series
        One value per ward, in the indicator's unit.
    indicator : Indicator
        Gives the direction: classes are ordered from better to worse.
    k : int, default 5
        Maximum number of classes (fewer when there are fewer distinct values).

    Returns
    -------
    Classes
    """
    known = values.dropna().astype(float)
    distinct = int(known.nunique())
    if distinct == 0:
        return Classes([], [], pd.Series(NO_DATA, index=values.index))
    if distinct == 1:
        bins = np.array([known.iloc[0]])
    else:
        with warnings.catch_warnings():
            # Without numba mapclassify falls back to pure Python, which is quick for the few
            # hundred wards of one authority; the warning is about speed, not results.
            warnings.filterwarnings("ignore", "Numba not installed", UserWarning)
            bins = mapclassify.FisherJenks(known.to_numpy(), k=min(k, distinct)).bins
    lower = np.concatenate([[known.min()], bins[:-1]])
    labels = [
        f"{format_value(lo, indicator)} to {format_value(hi, indicator)}"
        for lo, hi in zip(lower, bins, strict=True)
    ]
    order = np.searchsorted(bins, known.to_numpy(), side="left")
    palette = list(PALETTE[: len(bins)] if len(bins) > 1 else PALETTE[2:3])
    if not indicator.higher_is_worse:
        palette = palette[::-1]
    colours = pd.Series(NO_DATA, index=values.index)
    colours.loc[known.index] = [palette[i] for i in order]
    return Classes(labels, palette, colours)


def to_web(wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Wards in WGS84 with coordinates rounded to 5 decimals (about 1 m) for a small payload."""
    web = wards.to_crs(WEB_CRS)
    web["geometry"] = shapely.set_precision(web.geometry.to_numpy(), 1e-5, mode="keep_collapsed")
    return web


def choropleth(
    wards: gpd.GeoDataFrame,
    indicator: Indicator,
    *,
    classes: Classes,
    tiles: str | None,
    leaflet: tuple[str, str] | None = None,
) -> folium.Map:
    """Draw wards coloured by ``classes`` on a folium map, with a tooltip per ward.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Ward rows with ``ward_code``, ``ward_name`` and ``indicator.name`` (any CRS).
    indicator : Indicator
        Indicator shown.
    classes : Classes
        From :func:`classify` on the same rows.
    tiles : str or None
        Basemap name known to folium (``"OpenStreetMap"``), or None for no basemap.
    leaflet : (str, str), optional
        URLs of a locally served Leaflet script and stylesheet. The map then needs no CDN:
        only Leaflet itself is loaded (the ward layer and tooltips use nothing else).

    Returns
    -------
    folium.Map
    """
    web = to_web(wards[["ward_code", "ward_name", indicator.name, "geometry"]])
    web["ward_name"] = web["ward_name"].map(html.escape)  # tooltips render HTML
    web["value"] = [format_value(v, indicator) for v in web[indicator.name]]
    web["fill"] = classes.ward_colour.reindex(wards.index).to_numpy()
    minx, miny, maxx, maxy = web.total_bounds
    fmap = folium.Map(tiles=tiles, control_scale=True, prefer_canvas=False)
    if leaflet is not None:
        fmap.default_js = [("leaflet", leaflet[0])]
        fmap.default_css = [("leaflet_css", leaflet[1])]
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        web[["ward_code", "ward_name", "value", "fill", "geometry"]].to_json(drop_id=True),
        name=indicator.label,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#ffffff",
            "weight": 1,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["ward_name", "value"], aliases=["Ward", indicator.label], sticky=True
        ),
    ).add_to(fmap)
    return fmap
