"""Static maps and charts of an evidence pack, drawn with matplotlib (no browser, no pyplot).

Figures are :class:`matplotlib.figure.Figure` objects rendered by the Agg canvas, so nothing
touches a display or matplotlib's global state and Streamlit can show them with
``st.pyplot(fig)``. Maps are drawn in British National Grid (EPSG:27700, metres), so the
scale bar is exact and grid north is within a degree or two of true north across Great
Britain. Colours are those of the app (:data:`geo.maps.PALETTE`, darker = worse).

:func:`map_image` draws one indicator's ward map at slide size (16:9, 13.33 x 7.5 in) as PNG
or SVG, with its title, the authority, the data month and the sources' attributions on the
image itself, so a slide that reuses it carries them.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrow, Patch, Rectangle

from evidence.figures import EvidencePack, attributions, choose_indicator, source_label
from evidence.plans import month_label
from geo import index, trends
from geo.crs import ANALYSIS_CRS
from geo.indicators import SHARES, Indicator, releases_behind
from geo.maps import NO_DATA, PALETTE, classify

#: Not-spot class of a ward by (fixed flag, mobile flag), each "yes", "no" or "unknown": its
#: legend label and colour (darker = worse; grey where the class rests on an unknown flag).
NOT_SPOT_CLASSES: dict[tuple[str, str], tuple[str, str]] = {
    ("yes", "yes"): ("Double not-spot (fixed and mobile)", PALETTE[4]),
    ("yes", "no"): ("Fixed broadband not-spot", PALETTE[3]),
    ("yes", "unknown"): ("Fixed broadband not-spot; mobile not known", PALETTE[3]),
    ("no", "yes"): ("Mobile not-spot", PALETTE[2]),
    ("unknown", "yes"): ("Mobile not-spot; fixed not known by ward", PALETTE[2]),
    ("no", "no"): ("Neither", PALETTE[0]),
    ("no", "unknown"): ("Not a fixed not-spot; mobile not known", NO_DATA),
    ("unknown", "no"): ("Not a mobile not-spot; fixed not known by ward", NO_DATA),
    ("unknown", "unknown"): ("Not known", NO_DATA),
}

#: Lines of the trend chart: measure -> colour.
TREND_COLOURS = {"pct_superfast": PALETTE[2], "pct_gigabit": PALETTE[4], "pct_below_uso": "#b2182b"}

_MAP_SIZE_IN = (7.0, 6.4)
#: Slide maps: 16:9 at PowerPoint's widescreen size (13.33 x 7.5 in) and the PNG resolution,
#: 2000 x 1125 pixels.
SLIDE_SIZE_IN = (40 / 3, 7.5)
SLIDE_DPI = 150
#: Characters per line of the attribution printed on a slide map.
_ATTRIBUTION_WIDTH = 180
#: Above this many wards the labels are set smaller.
_CROWDED = 40
_HALO = [patheffects.withStroke(linewidth=1.6, foreground="white")]


def png_bytes(fig: Figure, *, dpi: int = 200) -> bytes:
    """Render a figure to PNG bytes with the Agg canvas (no timestamp: same figure, same bytes).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default 200
        Dots per inch.

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _nice_length(span_m: float) -> float:
    """Return a round scale-bar length (1, 2 or 5 x 10^n m) near a quarter of ``span_m``."""
    target = span_m / 4
    power = 10 ** np.floor(np.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def _furniture(ax: Axes, bounds: np.ndarray) -> None:
    """Draw a scale bar (bottom left) and a north arrow (top right) on a map in metres."""
    minx, miny, maxx, maxy = bounds
    width, height = maxx - minx, maxy - miny
    length = _nice_length(width)
    x0, y0 = minx + 0.03 * width, miny - 0.02 * height
    bar = height * 0.012
    for i in range(2):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 2, y0),
                length / 2,
                bar,
                facecolor="black" if i == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
            )
        )
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length / 2, y0 + bar * 1.8, label, ha="center", va="bottom", fontsize=7)
    ax.text(x0, y0 - bar * 0.8, "0", ha="center", va="top", fontsize=6)
    tip_x, tip_y = maxx - 0.03 * width, maxy
    ax.add_patch(
        FancyArrow(
            tip_x,
            tip_y - 0.09 * height,
            0,
            0.07 * height,
            width=0.012 * width,
            head_width=0.035 * width,
            head_length=0.03 * height,
            color="black",
            length_includes_head=True,
        )
    )
    ax.text(
        tip_x, tip_y + 0.005 * height, "N", ha="center", va="bottom", fontsize=9, fontweight="bold"
    )


def _labels(ax: Axes, wards: gpd.GeoDataFrame, *, scale: float) -> None:
    """Write ward names at a point inside each ward, wrapped, with a white halo."""
    size = scale * (5 if len(wards) <= _CROWDED else 4)
    points = wards.geometry.representative_point()
    for name, point in zip(wards["ward_name"], points, strict=True):
        ax.text(
            point.x,
            point.y,
            textwrap.fill(str(name), 14),
            ha="center",
            va="center",
            fontsize=size,
            path_effects=_HALO,
            linespacing=0.95,
            parse_math=False,
        )


def _ward_map(
    wards: gpd.GeoDataFrame, colours: pd.Series, *, highlight: pd.Series | None, slide: bool
) -> tuple[Figure, Axes]:
    """Draw wards filled with ``colours``, labelled, with a scale bar and a north arrow."""
    wards = wards.to_crs(ANALYSIS_CRS)
    fig = Figure(figsize=SLIDE_SIZE_IN if slide else _MAP_SIZE_IN, layout="constrained")
    ax = fig.add_subplot()
    wards.plot(
        ax=ax, color=colours.reindex(wards.index).to_numpy(), edgecolor="white", linewidth=0.6
    )
    if highlight is not None and highlight.any():
        wards[highlight.reindex(wards.index).to_numpy()].boundary.plot(
            ax=ax, color="black", linewidth=1.6
        )
    _labels(ax, wards, scale=1.5 if slide else 1.0)
    bounds = wards.total_bounds
    _furniture(ax, bounds)
    pad = 0.05 * (bounds[2] - bounds[0])
    ax.set_xlim(bounds[0] - pad, bounds[2] + pad)
    ax.set_ylim(bounds[1] - 3 * pad, bounds[3] + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _legend(ax: Axes, handles: list[Patch], title: str, *, beside: bool = False) -> None:
    """Put a two-column legend below the map, or a one-column one beside it (slides)."""
    place = {"loc": "center left", "bbox_to_anchor": (1.02, 0.5), "ncols": 1}
    ax.legend(
        handles=handles,
        **(place if beside else {"loc": "upper center", "bbox_to_anchor": (0.5, 0.0), "ncols": 2}),
        fontsize=10 if beside else 6.5,
        title=title,
        title_fontsize=11 if beside else 7,
        alignment="left",
        frameon=False,
    )


def legend_title(indicator: Indicator) -> str:
    """Return the plain-words legend title of an indicator, with its unit.

    Examples
    --------
    >>> from geo.indicators import INDICATORS
    >>> legend_title(INDICATORS["pct_residents_65_plus"])
    'Residents aged 65 and over (% of residents)'
    >>> legend_title(INDICATORS["imd_average_score"]).endswith("(score, higher = more deprived)")
    True
    """
    if indicator.unit == "%":
        whole = SHARES.get(indicator.name, ("", ""))[1]
        # a Census share's label already says its base ("aged 16 and over", "households")
        unit = (
            f"% of {whole.replace('bduk_premises', 'BDUK recognised premises')}"
            if whole and not whole.endswith("_base")
            else "%"
        )
    elif indicator.unit == "score":
        unit = (
            "score, 0 to 10"
            if indicator.name == index.RISK_INDEX.name
            else "score, higher = more deprived"
        )
    elif indicator.unit == "rank":
        unit = "rank"
    else:
        unit = f"number of {indicator.unit}"
    return f"{indicator.label.removesuffix(' (number)')} ({unit})"


@dataclass(frozen=True)
class SlideText:
    """Text printed on a slide map around the map itself.

    Attributes
    ----------
    title : str
        What the map shows, at the top.
    subtitle : str
        The authority and the data month, below the title.
    attribution : str
        The sources' attribution lines, at the foot of the image.
    stamp : str
        A warning in red under the subtitle (synthetic data); empty for none.
    """

    title: str
    subtitle: str
    attribution: str
    stamp: str = ""


def _slide_text(fig: Figure, text: SlideText) -> None:
    """Write the title, subtitle, stamp and attribution of a slide map, the map between."""
    height_pt = fig.get_figheight() * 72
    top = 1 - 12 / height_pt
    fig.text(0.01, top, text.title, va="top", fontsize=16, fontweight="bold")
    top -= (1.25 * 16 * (text.title.count("\n") + 1) + 4) / height_pt
    fig.text(0.01, top, text.subtitle, va="top", fontsize=11, color="#333333")
    top -= (1.25 * 11 * (text.subtitle.count("\n") + 1) + 4) / height_pt
    if text.stamp:
        fig.text(0.01, top, text.stamp, va="top", fontsize=11, fontweight="bold", color="#b2182b")
        top -= (1.25 * 11 + 4) / height_pt
    fig.text(0.01, 8 / height_pt, text.attribution, va="bottom", fontsize=8, color="#555555")
    bottom = (1.25 * 8 * (text.attribution.count("\n") + 1) + 14) / height_pt
    fig.get_layout_engine().set(rect=(0, bottom, 1, top - bottom))


def indicator_map(
    wards: gpd.GeoDataFrame,
    indicator: Indicator,
    *,
    highlight: pd.Series | None = None,
    slide: SlideText | None = None,
) -> Figure:
    """Map one indicator by ward, classed as in the app (Fisher-Jenks).

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Ward rows with ``ward_name``, ``indicator.name`` and geometry (any CRS; drawn in
        EPSG:27700).
    indicator : Indicator
        Indicator shown; a local-authority figure colours every ward the same.
    highlight : pandas.Series of bool, optional
        Wards outlined in black (e.g. a selection), indexed like ``wards``.
    slide : SlideText, optional
        Draw at slide size (:data:`SLIDE_SIZE_IN`), legend beside the map, with this text
        around it; default a map for an A4 page, legend below.

    Returns
    -------
    matplotlib.figure.Figure
    """
    classes = classify(wards[indicator.name], indicator)
    fig, ax = _ward_map(wards, classes.ward_colour, highlight=highlight, slide=slide is not None)
    handles = [
        Patch(facecolor=c, edgecolor="none", label=label)
        for c, label in zip(classes.colours, classes.labels, strict=True)
    ]
    if wards[indicator.name].isna().any():
        handles.append(Patch(facecolor=NO_DATA, edgecolor="none", label="no data"))
    if highlight is not None and highlight.any():
        handles.append(Patch(facecolor="none", edgecolor="black", label="selected wards"))
    lines = [legend_title(indicator)]
    if indicator.level == "local authority":
        lines.append("(one figure for the whole local authority, shown on every ward)")
    title = "\n".join(textwrap.fill(line, 40 if slide else 70) for line in lines)
    _legend(ax, handles, title, beside=slide is not None)
    if slide is not None:
        _slide_text(fig, slide)
    return fig


def _state(flag: object) -> str:
    return "unknown" if pd.isna(flag) else ("yes" if flag else "no")


def not_spot_class(flags: pd.DataFrame) -> pd.Series:
    """Return the not-spot class of each ward: a key of :data:`NOT_SPOT_CLASSES`.

    Parameters
    ----------
    flags : pandas.DataFrame
        ``fixed_not_spot`` and ``mobile_not_spot`` (nullable bool) of
        :func:`geo.index.not_spots`.

    Returns
    -------
    pandas.Series of tuple
        ``(fixed, mobile)``, each ``"yes"``, ``"no"`` or ``"unknown"``, indexed like ``flags``.
    """
    return pd.Series(
        list(
            zip(
                flags["fixed_not_spot"].map(_state),
                flags["mobile_not_spot"].map(_state),
                strict=True,
            )
        ),
        index=flags.index,
    )


def not_spot_map(
    wards: gpd.GeoDataFrame,
    *,
    highlight: pd.Series | None = None,
    mobile_level: str = "local authority",
) -> Figure:
    """Map fixed, mobile and double not-spots by ward.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Ward rows with ``ward_name``, the flags of :func:`geo.index.not_spots` and geometry.
    highlight : pandas.Series of bool, optional
        Wards outlined in black, indexed like ``wards``.
    mobile_level : str, default "local authority"
        Level of the mobile flag (``attrs["level"]`` of :func:`geo.index.not_spots`), said in
        the legend title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    classes = not_spot_class(wards)
    colours = classes.map(lambda key: NOT_SPOT_CLASSES[key][1])
    fig, ax = _ward_map(wards, colours, highlight=highlight, slide=False)
    counts = classes.value_counts()
    handles = [
        Patch(facecolor=colour, edgecolor="none", label=f"{label} ({counts[key]} wards)")
        for key, (label, colour) in NOT_SPOT_CLASSES.items()
        if key in counts
    ]
    title = "Not-spots by ward"
    if not mobile_level.startswith("ward"):
        title += " (mobile: the local authority's figure, the same on every ward)"
    _legend(ax, handles, title)
    return fig


def trend_chart(trend: pd.DataFrame) -> Figure:
    """Chart gigabit, superfast and below-USO shares of premises across Ofcom releases.

    Superfast values derived for the 2016-2019 definition (``superfast_derived``) are drawn
    as hollow markers and named so in the legend. A release whose identity was inferred from
    its file's header or values, not read from Ofcom's ``YYYYMM_`` file name
    (``release_inferred``), has "(inferred)" under its month on the axis, explained in a
    footnote.

    Parameters
    ----------
    trend : pandas.DataFrame
        Rows of one area from :func:`geo.trends.fixed_trend`.

    Returns
    -------
    matplotlib.figure.Figure
        Left: superfast and gigabit (% of premises, 0-100); right: below the USO (%).
    """
    fig = Figure(figsize=(7.0, 3.0), layout="constrained")
    coverage, uso = fig.subplots(1, 2, width_ratios=(3, 2))
    for ax, measures in ((coverage, ("pct_superfast", "pct_gigabit")), (uso, ("pct_below_uso",))):
        for measure in measures:
            known = trend[trend[measure].notna()]
            colour = TREND_COLOURS[measure]
            ax.plot(
                known["date"],
                known[measure],
                color=colour,
                marker="o",
                markersize=4,
                linewidth=1.4,
                label=trends.MEASURE_LABELS[measure],
            )
            derived = known[known["superfast_derived"]] if measure == "pct_superfast" else None
            if derived is not None and not derived.empty:
                ax.plot(
                    derived["date"],
                    derived[measure],
                    linestyle="none",
                    marker="o",
                    markersize=6,
                    markerfacecolor="white",
                    markeredgecolor=colour,
                    label="superfast derived (2016-2019 definition)",
                )
        ax.set_ylabel("% of premises", fontsize=7)
        ax.set_xticks(trend["date"], [label.replace(" ", "\n") for label in trend["release_label"]])
        ax.margins(x=0.08)
        ax.tick_params(labelsize=6.5)
        ax.grid(alpha=0.3, linewidth=0.5)
        ax.legend(fontsize=6, frameon=False, loc="best")
    coverage.set_ylim(0, 100)
    uso.set_ylim(bottom=0)
    coverage.set_title("Coverage", fontsize=8)
    uso.set_title("Below the USO", fontsize=8)
    if trend.empty:
        coverage.text(
            0.5, 0.5, "no Ofcom release in the store", ha="center", transform=coverage.transAxes
        )
    if trend["release_inferred"].any():
        fig.supxlabel(
            f"{trends.INFERRED_LABEL}: release identified from the file's header or values, "
            "not from Ofcom's YYYYMM file name",
            fontsize=6,
        )
    return fig


#: Manifest roles of geography files (boundaries, lookups, the postcode directory): they place
#: figures in wards but are not the data a map's data month is about.
_GEOGRAPHY_ROLES = frozenset(
    {
        "wards",
        "output_areas",
        "lsoas",
        "lsoa_ward_lookup",
        "data_zone_ward_lookup",
        "ward_constituency_lookup",
        "postcodes",
    }
)


def data_label(pack: EvidencePack, indicator: Indicator) -> str:
    """Return the releases an indicator of the pack is from, e.g. ``"Ofcom Jan 2026"``.

    Ofcom releases are given as their data month, BDUK's as the month its file is from;
    boundary and lookup files are left out. The risk index is computed, so its label is the
    store's build date.

    Parameters
    ----------
    pack : EvidencePack
    indicator : Indicator

    Returns
    -------
    str
    """
    sources = pack.manifest.get("sources", [])
    try:
        behind = releases_behind(indicator, sources)
    except KeyError:
        return f"computed from the store built {pack.manifest['built_at'][:10]}"
    named = {f"{s['file']} ({s['release']})": s["role"] for s in sources}
    month = month_label((pack.manifest.get("bduk") or {}).get("release_month"))
    labels = [
        f"BDUK {month}" if named.get(text) == "bduk_premises" else source_label(text)
        for text in behind
        if named.get(text) not in _GEOGRAPHY_ROLES
    ]
    return "; ".join(dict.fromkeys(labels)) or "release not recorded in the store"


def _lines(parts: list[str], width: int) -> str:
    """Join ``parts`` with ``"; "`` into lines of at most ``width`` characters, whole parts."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += "; " + part
        else:
            lines.append(part)
    return "\n".join(lines)


def slide_text(pack: EvidencePack, indicator: Indicator) -> SlideText:
    """Return the title, subtitle and attribution of a slide map of the pack."""
    level = (
        " One figure for the whole local authority, shown on every ward."
        if indicator.level == "local authority"
        else ""
    )
    return SlideText(
        title=textwrap.fill(indicator.label, 95),
        subtitle=f"{pack.la_name} ({pack.la_code}), by ward. Data: {data_label(pack, indicator)}."
        + level,
        attribution=_lines(attributions(pack.manifest), _ATTRIBUTION_WIDTH),
        stamp="SYNTHETIC DEMO DATA: a fictional place, not real figures" if pack.synthetic else "",
    )


def map_image(pack: EvidencePack, indicator_name: str, fmt: Literal["png", "svg"] = "png") -> bytes:
    """Draw the ward map of one indicator at slide size, as PNG or SVG bytes.

    The image is 16:9 (:data:`SLIDE_SIZE_IN`, 13.33 x 7.5 in): the wards classed as in the
    app, the legend title in plain words with the unit, the authority, the data month
    (:func:`data_label`) and the attributions of the place's sources printed on it. The PNG is
    :data:`SLIDE_DPI` (2000 x 1125 pixels); the SVG is vector with its text as text, so it
    stays searchable and editable on a slide. Both are the same bytes for the same pack.

    Parameters
    ----------
    pack : EvidencePack
    indicator_name : str
        A key of :data:`evidence.figures.MAPPABLE` the place has.
    fmt : {"png", "svg"}, default "png"

    Returns
    -------
    bytes

    Raises
    ------
    EvidenceError
        The place has no such indicator.
    ValueError
        ``fmt`` is neither ``"png"`` nor ``"svg"``.

    Examples
    --------
    >>> png = map_image(pack, "pct_premises_no_gigabit_no_plan")  # doctest: +SKIP
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"map_image: fmt must be 'png' or 'svg'; found {fmt!r}")
    indicator = choose_indicator(pack.wards, indicator_name)
    highlight = pack.wards["selected"] if pack.selection else None
    fig = indicator_map(
        pack.wards, indicator, highlight=highlight, slide=slide_text(pack, indicator)
    )
    if fmt == "png":
        return png_bytes(fig, dpi=SLIDE_DPI)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": pack.la_code}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
