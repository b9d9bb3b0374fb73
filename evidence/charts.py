"""Static maps and charts of an evidence pack, drawn with matplotlib (no browser, no pyplot).

Figures are :class:`matplotlib.figure.Figure` objects rendered by the Agg canvas, so nothing
touches a display or matplotlib's global state and Streamlit can show them with
``st.pyplot(fig)``. Maps are drawn in British National Grid (EPSG:27700, metres), so the
scale bar is exact and grid north is within a degree or two of true north across Great
Britain. Colours are those of the app (:data:`geo.maps.PALETTE`, darker = worse).
"""

from __future__ import annotations

import io
import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrow, Patch, Rectangle

from geo import trends
from geo.indicators import Indicator
from geo.maps import NO_DATA, PALETTE, classify
from ingest.settings import ANALYSIS_CRS

#: Not-spot class of a ward by (fixed flag, mobile flag), each "yes", "no" or "unknown": its
#: legend label and colour (darker = worse; grey where the class rests on an unknown flag).
NOT_SPOT_CLASSES: dict[tuple[str, str], tuple[str, str]] = {
    ("yes", "yes"): ("Double not-spot (fixed and mobile)", PALETTE[4]),
    ("yes", "no"): ("Fixed broadband not-spot", PALETTE[3]),
    ("yes", "unknown"): ("Fixed broadband not-spot; mobile not known", PALETTE[3]),
    ("no", "yes"): ("Mobile not-spot (local-authority figure)", PALETTE[2]),
    ("unknown", "yes"): ("Mobile not-spot (local-authority figure); fixed not known", PALETTE[2]),
    ("no", "no"): ("Neither", PALETTE[0]),
    ("no", "unknown"): ("Not a fixed not-spot; mobile not known", NO_DATA),
    ("unknown", "no"): ("Not a mobile not-spot; fixed not known by ward", NO_DATA),
    ("unknown", "unknown"): ("Not known", NO_DATA),
}

#: Lines of the trend chart: measure -> colour.
TREND_COLOURS = {"pct_superfast": PALETTE[2], "pct_gigabit": PALETTE[4], "pct_below_uso": "#b2182b"}

_MAP_SIZE_IN = (7.0, 6.4)
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


def _labels(ax: Axes, wards: gpd.GeoDataFrame) -> None:
    """Write ward names at a point inside each ward, wrapped, with a white halo."""
    size = 5 if len(wards) <= _CROWDED else 4
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
    wards: gpd.GeoDataFrame, colours: pd.Series, *, highlight: pd.Series | None
) -> tuple[Figure, Axes]:
    """Draw wards filled with ``colours``, labelled, with a scale bar and a north arrow."""
    wards = wards.to_crs(ANALYSIS_CRS)
    fig = Figure(figsize=_MAP_SIZE_IN, layout="constrained")
    ax = fig.add_subplot()
    wards.plot(
        ax=ax, color=colours.reindex(wards.index).to_numpy(), edgecolor="white", linewidth=0.6
    )
    if highlight is not None and highlight.any():
        wards[highlight.reindex(wards.index).to_numpy()].boundary.plot(
            ax=ax, color="black", linewidth=1.6
        )
    _labels(ax, wards)
    bounds = wards.total_bounds
    _furniture(ax, bounds)
    pad = 0.05 * (bounds[2] - bounds[0])
    ax.set_xlim(bounds[0] - pad, bounds[2] + pad)
    ax.set_ylim(bounds[1] - 3 * pad, bounds[3] + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _legend(ax: Axes, handles: list[Patch], title: str) -> None:
    """Put a two-column legend below the map."""
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=2,
        fontsize=6.5,
        title=title,
        title_fontsize=7,
        frameon=False,
    )


def indicator_map(
    wards: gpd.GeoDataFrame, indicator: Indicator, *, highlight: pd.Series | None = None
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    classes = classify(wards[indicator.name], indicator)
    fig, ax = _ward_map(wards, classes.ward_colour, highlight=highlight)
    handles = [
        Patch(facecolor=c, edgecolor="none", label=label)
        for c, label in zip(classes.colours, classes.labels, strict=True)
    ]
    if wards[indicator.name].isna().any():
        handles.append(Patch(facecolor=NO_DATA, edgecolor="none", label="no data"))
    if highlight is not None and highlight.any():
        handles.append(Patch(facecolor="none", edgecolor="black", label="selected wards"))
    title = textwrap.fill(indicator.label, 70)
    if indicator.level == "local authority":
        title += "\n(one figure for the whole local authority, shown on every ward)"
    _legend(ax, handles, title)
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


def not_spot_map(wards: gpd.GeoDataFrame, *, highlight: pd.Series | None = None) -> Figure:
    """Map fixed, mobile and double not-spots by ward.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Ward rows with ``ward_name``, the flags of :func:`geo.index.not_spots` and geometry.
    highlight : pandas.Series of bool, optional
        Wards outlined in black, indexed like ``wards``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    classes = not_spot_class(wards)
    colours = classes.map(lambda key: NOT_SPOT_CLASSES[key][1])
    fig, ax = _ward_map(wards, colours, highlight=highlight)
    counts = classes.value_counts()
    handles = [
        Patch(facecolor=colour, edgecolor="none", label=f"{label} ({counts[key]} wards)")
        for key, (label, colour) in NOT_SPOT_CLASSES.items()
        if key in counts
    ]
    _legend(ax, handles, "Not-spots by ward")
    return fig


def trend_chart(trend: pd.DataFrame) -> Figure:
    """Chart gigabit, superfast and below-USO shares of premises across Ofcom releases.

    Superfast values derived for the 2016-2019 definition (``superfast_derived``) are drawn
    as hollow markers and named so in the legend.

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
        ax.set_xticks(
            trend["date"], [trends.period_label(p).replace(" ", "\n") for p in trend["period"]]
        )
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
    return fig
