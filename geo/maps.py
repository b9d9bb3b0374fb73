"""Ward choropleths for the app: map geometry, classes, colours and a small folium map. No I/O.

A risk (:attr:`~geo.indicators.Indicator.is_risk`) is coloured on the viridis scale
(perceptually uniform and readable with the common forms of colour blindness): darker means
*worse*, whatever the direction of the measure, so the worst wards stand out. A measure that is
not a risk (all residents, all premises) is coloured on one hue of blue, light to dark: darker
means *more*, never worse.

The map sent to the browser is kept small (see ``BENCHMARKS.md``):

- ward boundaries are simplified once, at ingest, as one coverage so that neighbours never gap
  or overlap (:func:`simplify_for_map`), and rounded to 5 decimals of a degree (about 1 m);
- coordinates travel as integer steps on that 1e-5 degree grid, turned back into GeoJSON by a
  few lines of script in the page: about half the bytes of the same GeoJSON as text;
- each ward carries only what the tooltip shows, its code and its class number; the colour of
  each class is written once, so a new weighting or indicator changes a few bytes per ward.
"""

from __future__ import annotations

import html
import json
import warnings
from dataclasses import dataclass

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pyproj
import shapely
from folium.template import Template

from geo.crs import ANALYSIS_CRS, WEB_CRS
from geo.indicators import Indicator

#: Viridis in five steps, light (better) to dark (worse): the colours of a risk.
PALETTE = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
#: Blues in five steps, light (low) to dark (high): the colours of a measure that is not a risk.
#: ColorBrewer's sequential "Blues" in 6 classes (colorbrewer2.org, Cynthia Brewer; single hue,
#: colour-blind safe) less its lightest, near-white step, which the wards' white borders and the
#: basemap would hide.
NEUTRAL_PALETTE = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#bdbdbd"
#: The web map CRS as one object, so that wards already reprojected are known by identity.
_WEB = pyproj.CRS.from_user_input(WEB_CRS)

#: Tolerance of the ward map's coverage simplification, in metres (EPSG:27700). About one
#: screen pixel at zoom 12 (23 m at 53°N), where a whole district fills the map; ONS's
#: generalised (BGC, 20 m) boundaries pass through unchanged, full-resolution ones lose ~80 %
#: of their vertices.
MAP_TOLERANCE_M = 20.0
#: Decimals of a degree kept in map coordinates (EPSG:4326): 5 is about 1 m.
MAP_DECIMALS = 5
#: Above this many ward values, Fisher-Jenks breaks are found on this many order statistics
#: (the median of each of this many equal groups) instead of every value: mapclassify's exact
#: algorithm is quadratic in pure Python, 0.15 s for 300 values, over 2 minutes for the UK's
#: 8,482 wards. No authority has this many wards, so one authority's classes are exact; on the
#: UK the fit (goodness of variance fit) is within 0.0002 of exact (BENCHMARKS.md).
FISHER_JENKS_SAMPLE = 300
#: Margin left around a selected ward when the map zooms to it, in screen pixels on each side:
#: about a sixth of the app's 520-pixel-high map, enough to show some of every neighbour.
SELECTED_MARGIN_PX = 80


@dataclass(frozen=True)
class Classes:
    """Class breaks of one indicator over a set of wards.

    Attributes
    ----------
    labels : list of str
        Plain-words range of each class, from the lowest values to the highest (e.g.
        ``"1.0% to 2.0%"``); never "better" or "worse".
    colours : list of str
        Hex colour of each class, in the order of ``labels``.
    ward_colour : pandas.Series
        Colour of each ward (index of the input), grey where the value is missing.
    legend_title : str
        What the shading means, for the legend: ``"darker = worse"`` for a risk,
        ``"darker = more <unit>"`` (a count) or ``"darker = higher"`` for a measure that is not.
    """

    labels: list[str]
    colours: list[str]
    ward_colour: pd.Series
    legend_title: str


def format_value(value: float, indicator: Indicator) -> str:
    """Format one value with its unit, e.g. ``"12.3%"``, ``"1,204 premises"``, ``"7.5"``."""
    if pd.isna(value):
        return "no data"
    if indicator.unit == "%":
        return f"{value:.1f}%"
    if indicator.unit == "score":
        return f"{value:.1f}"
    return f"{value:,.0f} {indicator.unit}" if indicator.unit != "rank" else f"{value:,.0f}"


def _natural_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of at most ``k`` Fisher-Jenks classes of ``values`` (not empty).

    Beyond :data:`FISHER_JENKS_SAMPLE` values, the breaks are those of the median of each of
    that many equal groups of the sorted values (deterministic, unlike
    ``mapclassify.FisherJenksSampled``'s random sample), and the top break is the maximum so
    every value has a class. The extremes are left out of the sample: one value standing for a
    whole group would pull the breaks towards a long tail. Values beyond the sample's largest
    (fewer than 1 in 600) join the top class.
    """
    sample = values
    if values.size > FISHER_JENKS_SAMPLE:
        groups = np.arange(FISHER_JENKS_SAMPLE) + 0.5
        sample = np.sort(values)[(groups * values.size / FISHER_JENKS_SAMPLE).astype(int)]
    distinct = np.unique(sample).size
    if distinct == 1:
        return values.max(keepdims=True)
    with warnings.catch_warnings():
        # Without numba mapclassify falls back to pure Python, quick for the values it is given
        # here; the warning is about speed, not results.
        warnings.filterwarnings("ignore", "Numba not installed", UserWarning)
        bins = mapclassify.FisherJenks(sample, k=min(k, distinct)).bins
    return np.append(bins[:-1], values.max())


def classify(values: pd.Series, indicator: Indicator, *, k: int = 5) -> Classes:
    """Split ward values into at most ``k`` natural-breaks classes (Fisher-Jenks).

    Parameters
    ----------
    values : pandas.Series
        One value per ward, in the indicator's unit.
    indicator : Indicator
        Gives the colours: for a risk, viridis from better (light) to worse (dark), by
        ``higher_is_worse``; otherwise :data:`NEUTRAL_PALETTE` from low (light) to high (dark).
    k : int, default 5
        Maximum number of classes (fewer when there are fewer distinct values).

    Returns
    -------
    Classes
        Classes from the lowest values to the highest. Breaks are exact Fisher-Jenks up to
        :data:`FISHER_JENKS_SAMPLE` known values (any one authority); above that, those of that
        many order statistics (national maps), so 8,482 wards classify in about 0.15 s.

    Example
    -------
    >>> from geo.indicators import INDICATORS
    >>> classify(pd.Series([1.0, 2.0, 9.0]), INDICATORS["pct_residents_65_plus"], k=2).labels
    ['1.0% to 2.0%', '2.0% to 9.0%']
    """
    if indicator.is_risk:
        scale, title = PALETTE, "darker = worse"
    elif indicator.unit in ("premises", "people", "households", "postcodes"):
        scale, title = NEUTRAL_PALETTE, f"darker = more {indicator.unit}"
    else:
        scale, title = NEUTRAL_PALETTE, "darker = higher"
    known = values.dropna().astype(float)
    if known.empty:
        return Classes([], [], pd.Series(NO_DATA, index=values.index), title)
    bins = _natural_breaks(known.to_numpy(), k)
    lower = np.concatenate([[known.min()], bins[:-1]])
    labels = [
        f"{format_value(lo, indicator)} to {format_value(hi, indicator)}"
        for lo, hi in zip(lower, bins, strict=True)
    ]
    order = np.searchsorted(bins, known.to_numpy(), side="left")
    palette = list(scale[: len(bins)] if len(bins) > 1 else scale[2:3])
    if indicator.is_risk and not indicator.higher_is_worse:
        palette = palette[::-1]
    colours = pd.Series(NO_DATA, index=values.index)
    colours.loc[known.index] = [palette[i] for i in order]
    return Classes(labels, palette, colours, title)


def to_web(wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Wards in WGS84 with coordinates rounded to 5 decimals (about 1 m) for a small payload.

    Wards that came out of this function are not reprojected again (their CRS is the very
    object it gives): comparing CRSs costs about 50 ms in each new thread, and a Streamlit
    rerun is one.
    """
    web = (
        wards.copy() if wards.crs is _WEB else wards.to_crs(_WEB).set_crs(_WEB, allow_override=True)
    )
    web["geometry"] = shapely.set_precision(
        web.geometry.to_numpy(), 10.0**-MAP_DECIMALS, mode="keep_collapsed"
    )
    return web


def simplify_for_map(
    wards: gpd.GeoDataFrame, *, tolerance_m: float = MAP_TOLERANCE_M
) -> gpd.GeoDataFrame:
    """Simplify ward boundaries for the web map as one coverage, so neighbours stay flush.

    Shared edges are simplified once (``GeoSeries.simplify_coverage``, in EPSG:27700), so
    neighbouring wards neither gap nor overlap, as they would with a per-ward
    ``simplify(preserve_topology=True)``; then the wards are put in EPSG:4326 and rounded by
    :func:`to_web`. Meant to run once per build; the full-resolution geometry stays the one
    for analysis.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Ward polygons forming a coverage (one authority, or the whole UK), any CRS.
    tolerance_m : float, default MAP_TOLERANCE_M
        Roughly the largest distance, in metres, by which a simplified boundary departs from
        the original (20 m: about a screen pixel at district scale).

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows, index and columns; geometry simplified, EPSG:4326, 5 decimals.

    Raises
    ------
    ValueError
        The wards have no CRS, or the tolerance is negative.

    Example
    -------
    >>> from shapely import box
    >>> wards = gpd.GeoDataFrame(geometry=[box(0, 0, 500, 500), box(500, 0, 900, 500)],
    ...                          crs="EPSG:27700")
    >>> simplify_for_map(wards, tolerance_m=20).crs.to_epsg()
    4326
    """
    if wards.crs is None:
        raise ValueError("simplify_for_map: the wards have no CRS; set it (e.g. EPSG:27700)")
    if tolerance_m < 0:
        raise ValueError(f"simplify_for_map: tolerance_m must be >= 0 metres (got {tolerance_m})")
    grid = wards.to_crs(ANALYSIS_CRS)
    grid["geometry"] = grid.geometry.simplify_coverage(tolerance_m)
    return to_web(grid)


def _lat_lng_bounds(bounds: tuple[float, ...] | np.ndarray) -> list[list[float]]:
    """Leaflet's ``[[south, west], [north, east]]`` (degrees) of shapely's x, y bounds."""
    minx, miny, maxx, maxy = bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _json_ints(values: np.ndarray) -> str:
    return "[" + ",".join(map(str, values.tolist())) + "]"


def _packed_geometry(geometry: np.ndarray) -> str:
    """Polygons as JSON members: integer coordinate steps and the counts that nest them.

    ``deltas`` holds x, y differences from the previous vertex on the 10**-MAP_DECIMALS grid
    (the first from 0, 0); ``vertices`` the vertices of each ring, ``rings`` the rings of each
    polygon, ``polygons`` the polygons of each ward.
    """
    kind, coords, offsets = shapely.to_ragged_array(geometry)
    if kind == shapely.GeometryType.POLYGON:
        offsets = (*offsets, np.arange(len(geometry) + 1))
    ring_ends, polygon_ends, ward_ends = offsets
    grid = np.rint(coords * 10**MAP_DECIMALS).astype(np.int64)
    deltas = np.diff(grid, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return (
        f'"scale":{10**MAP_DECIMALS},"deltas":{_json_ints(deltas.ravel())},'
        f'"vertices":{_json_ints(np.diff(ring_ends))},"rings":{_json_ints(np.diff(polygon_ends))},'
        f'"polygons":{_json_ints(np.diff(ward_ends))}'
    )


class _Text(folium.Element):
    """Text put into the page as it is, not read as a Jinja template."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs: object) -> str:
        """Return the text."""
        return self.text


class WardLayer(folium.MacroElement):
    """Ward polygons with a tooltip, coloured by class, decoded in the browser.

    Made by :func:`choropleth`: the geometry, packed as integer steps, is rebuilt into GeoJSON
    features for ``L.geoJson``, whose style looks each ward's colour up by its class.

    Parameters
    ----------
    web : geopandas.GeoDataFrame
        Wards in EPSG:4326 with ``ward_code`` and ``ward_name`` (plain text).
    values : list of str
        Formatted value of each ward, for the tooltip.
    ward_class : numpy.ndarray
        Class number of each ward, an index into ``colours``.
    colours : list of str
        Hex colour of each class.
    label : str
        Indicator label, for the tooltip.
    outlined : numpy.ndarray, optional
        True for wards to outline (thick dashed black border, CSS class ``not-spot``).
    outline_label : str, default ""
        What an outline means, added to the tooltip of outlined wards.
    selected : int, optional
        Position of the ward to draw last, on top, with a thick solid dark border (CSS class
        ``selected-ward``), in place of any not-spot outline.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (d) {
            var x = 0, y = 0, c = 0, r = 0, p = 0, features = [];
            for (var w = 0; w < d.polygons.length; w++) {
                var polygons = [];
                for (var a = 0; a < d.polygons[w]; a++, p++) {
                    var rings = [];
                    for (var b = 0; b < d.rings[p]; b++, r++) {
                        var ring = [];
                        for (var v = 0; v < d.vertices[r]; v++) {
                            x += d.deltas[c++];
                            y += d.deltas[c++];
                            ring.push([x / d.scale, y / d.scale]);
                        }
                        rings.push(ring);
                    }
                    polygons.push(rings);
                }
                features.push({
                    type: "Feature",
                    properties: {ward_code: d.code[w], ward_name: d.name[w], index: w,
                                 value: d.value[w], "class": d["class"][w]},
                    geometry: {type: "MultiPolygon", coordinates: polygons}
                });
            }
            if (d.selected !== null) {  // drawn last, so its border is on top of its neighbours'
                features.push(features.splice(d.selected, 1)[0]);
            }
            var layer = L.geoJson({type: "FeatureCollection", features: features}, {
                style: function (f) {
                    if (f.properties.index === d.selected) {
                        return {fillColor: d.colours[f.properties["class"]], color: "#212121",
                                weight: 5, opacity: 1, fillOpacity: 0.75,
                                className: "selected-ward"};
                    }
                    if (d.outlined[f.properties.index]) {
                        return {fillColor: d.colours[f.properties["class"]], color: "#000000",
                                weight: 3, dashArray: "6 4", fillOpacity: 0.75,
                                className: "not-spot"};
                    }
                    return {fillColor: d.colours[f.properties["class"]], color: "#ffffff",
                            weight: 1, fillOpacity: 0.75};
                },
                onEachFeature: function (f, l) {
                    l.on({
                        mouseover: function (e) {
                            e.target.setStyle({weight: Math.max(3, e.target.options.weight),
                                               color: "#000000"});
                        },
                        mouseout: function (e) { layer.resetStyle(e.target); }
                    });
                }
            });
            layer.bindTooltip(function (l) {
                var p = l.feature.properties;
                return '<div style="white-space: normal; width: 16em"><b>Ward</b> ' +
                    p.ward_name + "<br><b>" + d.label + "</b> " + p.value +
                    (d.outlined[p.index] ? "<br><b>" + d.outline_label + "</b>" : "") +
                    "</div>";
            }, {sticky: true});
            return layer;
        })({{ this.data }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        web: gpd.GeoDataFrame,
        *,
        values: list[str],
        ward_class: np.ndarray,
        colours: list[str],
        label: str,
        outlined: np.ndarray | None = None,
        outline_label: str = "",
        selected: int | None = None,
    ):
        super().__init__()
        self._name = "WardLayer"
        text = {
            "code": web["ward_code"].tolist(),
            "name": [html.escape(name) for name in web["ward_name"]],  # tooltips render HTML
            "value": values,
            "class": ward_class.tolist(),
            "colours": colours,
            "label": html.escape(label),
            "outlined": (np.zeros(len(web), bool) if outlined is None else outlined).tolist(),
            "outline_label": html.escape(outline_label),
            "selected": selected,
        }
        data = (
            "{"
            + _packed_geometry(web.geometry.to_numpy())
            + ","
            + json.dumps(text, ensure_ascii=False, separators=(",", ":"))[1:]
        )
        # Inside <script>: no character may close the element or open markup.
        self.data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        self.bounds = _lat_lng_bounds(web.total_bounds)

    def render(self, **kwargs: object) -> None:
        """Add the layer's script to the page as text.

        ``MacroElement.render`` would compile the script, megabytes of coordinates for a
        national map, as a Jinja template (0.2 s per render). Streamlit-folium renders the
        ``script`` macro itself and is unaffected.
        """
        script = self._template.module.script(self, kwargs)
        self.get_root().script.add_child(_Text(script), name=self.get_name())

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self.bounds


class MapNote(folium.MacroElement):
    """A box of plain text at the top right of the map: a Leaflet control, nothing else loaded.

    Parameters
    ----------
    text : str
        Plain text (HTML in it is shown as typed, never read as markup).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var note = L.control({position: "topright"});
            note.onAdd = function () {
                var div = L.DomUtil.create("div", "map-note");
                div.style.cssText = "background: #ffffff; color: #212121; padding: 6px 8px; " +
                    "max-width: 20em; font: 13px/1.4 sans-serif; border-radius: 4px; " +
                    "box-shadow: 0 1px 4px rgba(0, 0, 0, 0.4)";
                div.innerHTML = {{ this.text }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            note.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "MapNote"
        # Escaped, a JSON string has no "<" to close the page's <script> element.
        self.text = json.dumps(html.escape(text), ensure_ascii=False)


def choropleth(
    wards: gpd.GeoDataFrame,
    indicator: Indicator,
    *,
    classes: Classes,
    tiles: str | None,
    leaflet: tuple[str, str] | None = None,
    geometry: gpd.GeoSeries | None = None,
    outlined: pd.Series | None = None,
    outline_label: str = "",
    selected: str | None = None,
    note: str | None = None,
) -> folium.Map:
    """Draw wards coloured by ``classes`` on a folium map, with a tooltip per ward.

    The map draws the geometry it is given, only rounded to 5 decimals: give it the map
    geometry simplified at build time (:func:`ingest.store.read_map_wards`, or
    :func:`simplify_for_map`), either as the wards' own or as ``geometry``.

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
    geometry : geopandas.GeoSeries, optional
        Geometry to draw instead of the wards' own, by the wards' index (any CRS), e.g.
        ``read_map_wards(...).geometry`` beside the full-detail ward table the app analyses.
    outlined : pandas.Series of bool, optional
        Wards to outline with a thick dashed border (e.g. not-spots), by the wards' index;
        missing or NA is not outlined.
    outline_label : str, default ""
        What the outline means, shown in the outlined wards' tooltips.
    selected : str, optional
        Code (``ward_code``) of a ward to draw on top with a thick solid dark border (CSS
        class ``selected-ward``, in place of its not-spot outline if any) and to zoom to,
        :data:`SELECTED_MARGIN_PX` pixels from the map's edges.
    note : str, optional
        Plain text shown in a white box at the top right of the map (:class:`MapNote`), e.g.
        why a layer cannot be drawn.

    Returns
    -------
    folium.Map
        One :class:`WardLayer` on a basemap, fitted to the selected ward or else to all the
        wards. One authority's map is tens of kilobytes; the UK's 8,482 super-generalised
        wards about 2.3 MB.

    Raises
    ------
    ValueError
        ``geometry`` lacks some of the wards' index labels, or no ward has the code
        ``selected``.
    """
    shapes = wards.geometry
    if geometry is not None:
        missing = wards.index.difference(geometry.index)
        if not missing.empty:
            raise ValueError(
                f"choropleth: geometry has no row for {len(missing)} ward(s) (index "
                f"{missing[:5].tolist()}); pass the map geometry of the same ward table"
            )
        shapes = geometry.reindex(wards.index)
    position = None
    if selected is not None:
        matches = np.flatnonzero(wards["ward_code"].to_numpy() == selected)
        if matches.size == 0:
            raise ValueError(
                f"choropleth: no ward has the selected code {selected!r}; pass the ward_code of "
                "one of the wards drawn, or None"
            )
        position = int(matches[0])
    columns = wards[["ward_code", "ward_name", indicator.name]]
    web = to_web(gpd.GeoDataFrame(columns, geometry=shapes.values))
    colours = [*classes.colours, NO_DATA]
    ward_class = classes.ward_colour.reindex(wards.index).map(
        {colour: i for i, colour in enumerate(colours)}
    )
    layer = WardLayer(
        web,
        values=[format_value(v, indicator) for v in web[indicator.name]],
        ward_class=ward_class.to_numpy(),
        colours=colours,
        label=indicator.label,
        outlined=None
        if outlined is None
        else outlined.reindex(wards.index).fillna(False).astype(bool).to_numpy(),
        outline_label=outline_label,
        selected=position,
    )
    fmap = folium.Map(tiles=tiles, control_scale=True, prefer_canvas=False)
    if leaflet is not None:
        fmap.default_js = [("leaflet", leaflet[0])]
        fmap.default_css = [("leaflet_css", leaflet[1])]
    if position is None:
        fmap.fit_bounds(layer.bounds)
    else:
        margin = (SELECTED_MARGIN_PX, SELECTED_MARGIN_PX)
        fmap.fit_bounds(_lat_lng_bounds(web.geometry.iloc[position].bounds), padding=margin)
    layer.add_to(fmap)
    if note is not None:
        MapNote(note).add_to(fmap)
    return fmap
