"""Streamlit front door: pick a place and an indicator, see the ward map, table and ward card.

Thin by design. Every widget's value goes into one :class:`evidence.ViewState` (it starts from
the link's query string, so a link reproduces the view); the evidence pack of that view
(:meth:`evidence.Place.pack`, cached per view) is what the page shows, and the downloads are
made from the same pack, so what is exported is what is on the screen.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from dataclasses import replace

import matplotlib.pyplot as plt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import evidence
from evidence.charts import png_bytes
from evidence.figures import LOCAL, EvidencePack
from evidence.view import (
    FRAMES,
    OUTLINES,
    RANGES,
    STORE_VENUES,
    ViewState,
    default_priority_count,
    preset_weights,
    weight_slots,
)
from geo import api_coverage, gigabit, index, outreach
from geo.indicators import INDICATORS, Indicator, in_words, ward_card
from geo.maps import choropleth, classify, format_value, to_web
from geo.postcodes import find_postcode
from geo.trends import fixed_trend
from ingest import settings, store
from ingest._errors import IngestError
from ingest.sources import ofcom_api
from ingest.sources.venues import TEMPLATE_CSV, read_venues
from ingest.web_assets import local_leaflet

st.set_page_config(page_title="Digital inclusion map", layout="wide")

#: Columns of a ward's trend across Ofcom output-area releases, and their headings.
WARD_TREND_COLUMNS = {
    "period": "Data month",
    "pct_gigabit": "Gigabit-capable (%)",
    "pct_superfast": "Superfast (%)",
    "pct_below_uso": "Below the USO (%)",
    "source_file": "File",
}

#: Columns of the constituency table (BDUK premises of this authority in each constituency).
CONSTITUENCY_COLUMNS = {
    "constituency_name": "Constituency",
    "bduk_premises": "Premises of this authority in it",
    "premises_no_gigabit_no_plan": "No gigabit and no plan",
    "pct_premises_no_gigabit_no_plan": "No gigabit and no plan (%)",
    "premises_project_gigabit": "In a Project Gigabit contract",
    "premises_under_review": "Under review",
    "pct_premises_no_4g_indoor": "No indoor 4G from any operator, whole constituency (%, Ofcom)",
}

#: Streamlit number format of each indicator unit (values stay numbers, so tables sort right).
UNIT_FORMATS = {"%": "%.1f%%", "score": "%.1f", "rank": "%d"}

#: Widget keys of the view's fields other than the weights, which have one key per slider.
KEYS = {
    "indicator": "indicator",
    "preset": "preset",
    "frame": "frame",
    "fixed_threshold_pct": "fixed_threshold",
    "mobile_threshold_pct": "mobile_threshold",
    "priority_wards": "top",
    "ward": "ward",
    "outline": "outline",
    "radius_m": "radius",
    "residents_per_champion": "per_champion",
    "wards_listed": "listed",
}


@st.cache_resource(show_spinner=False)
def place_of(la_code: str, store_path: str, built_at: str) -> evidence.Place:
    # built_at is part of the cache key so a rebuilt place is read again.
    return evidence.read_place(la_code, store_dir=store_path)


@st.cache_resource(show_spinner=False)
def map_geometry_of(la_code: str, store_path: str, built_at: str):
    # in WGS84, rounded, once per build: the map draws it as it is.
    return to_web(store.read_map_wards(la_code, store=store_path)).geometry


@st.cache_data(show_spinner=False)
def table_of(la_code: str, name: str, store_path: str, built_at: str) -> pd.DataFrame:
    return store.read_table(la_code, name, store=store_path)


@st.cache_resource(show_spinner=False)
def every_ward(store_path: str, built: tuple[str, ...]):
    # built (every place's build time) is part of the cache key.
    return store.read_every_ward(store_path)


@st.cache_data(show_spinner=False, max_entries=16)
def venues_of(content: bytes, name: str, digest: str, _postcodes: pd.DataFrame):
    # keyed on the file's checksum and the place (digest): parsed once per file, not per rerun.
    return read_venues(content, name=name, postcodes=_postcodes)


@st.cache_resource(show_spinner=False, max_entries=64)
def figures_of(view: ViewState, built_at: str, _place, _frame, _venues) -> EvidencePack:
    # keyed on the view and the build; the tables are the build's.
    return _place.pack(view, frame_wards=_frame, venues=_venues)


def pack_of(view: ViewState, place: evidence.Place, frame, venues) -> EvidencePack:
    """The evidence pack of the view, its figures computed once per choice that moves one.

    The ward in view and the outline move no figure (only the map and the pack's first page
    that names them), so a ward click reuses the figures of the same view without them.
    """
    figures = figures_of(
        replace(view, ward=None, outline="none"), place.manifest["built_at"], place, frame, venues
    )
    return replace(figures, view=view)


@st.cache_data(show_spinner=False, max_entries=8)
def trend_png(la_code: str, built_at: str, _place: evidence.Place) -> bytes:
    # drawn once per build (about 1 s with matplotlib), not on every rerun.
    figure = evidence.trend_chart(_place.trend)
    try:
        return png_bytes(figure, dpi=110)
    finally:
        plt.close(figure)


@st.cache_resource(show_spinner=False, max_entries=32)
def classes_of(key: tuple, _values: pd.Series, _indicator: Indicator):
    # keyed on the place, its build, the indicator and, for the risk index, weights and frame.
    return classify(_values, _indicator)


@st.cache_data(show_spinner="Testing how robust the ranks are...")
def sensitivity_of(
    la_code: str, built_at: str, spec: index.IndexSpec, frame_choice: str, _wards, _frame
):
    # keyed on the place, its build, the weights and the frame; the frames are not hashed.
    return index.rank_sensitivity(_wards, spec, frame=_frame)


def markdown_text(text: str) -> str:
    """Text from a file or a store shown in Markdown as itself: no link, image or emphasis."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", str(text))


def start_from_link(places: list[str]) -> None:
    """Once per session, start the widgets on the link's view; note what it asked that cannot be."""
    if "link" in st.session_state:
        return
    view, refused = ViewState.from_query(st.query_params.to_dict(), places=places)
    st.session_state["link"] = view
    st.session_state["link_refused"] = refused
    st.session_state["la"] = view.la_code
    for name, key in KEYS.items():
        value = getattr(view, name)
        if value is not None and value != getattr(ViewState(view.la_code), name):
            st.session_state[key] = value
    for (component, name), weight in zip(weight_slots(view.preset), view.weights, strict=False):
        st.session_state[weight_key(view.preset, component, name)] = weight


def weight_key(preset: str, component: str, name: str | None) -> str:
    """Session key of one weight slider of a weighting."""
    return f"w:{preset}:{component}" + (f":{name}" if name else "")


def start_widgets(wards: pd.DataFrame) -> None:
    """Give every widget of the view a value before any is drawn (its default when unset).

    The page reads the whole view before it draws the map, so widgets drawn further down (the
    ward card, the priority wards, the outreach settings) are read from the session first.
    """
    first = ViewState(la_code)  # the view's own defaults, but for what depends on the place
    defaults = {key: getattr(first, name) for name, key in KEYS.items()} | {
        "indicator": index.RISK_INDEX.name,
        "top": default_priority_count(len(wards)),
        "listed": min(first.wards_listed, len(wards)),
    }
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
    if st.session_state["top"] > len(wards):  # another place was chosen
        st.session_state["top"] = defaults["top"]
    if st.session_state["listed"] > len(wards):
        st.session_state["listed"] = defaults["listed"]
    if st.session_state["ward"] not in set(wards["ward_code"]):
        st.session_state["ward"] = None
    preset = st.session_state["preset"]
    for (component, name), weight in zip(weight_slots(preset), preset_weights(preset), strict=True):
        st.session_state.setdefault(weight_key(preset, component, name), weight)


def venue_choice(postcodes: pd.DataFrame, own: pd.DataFrame | None) -> tuple[str, pd.DataFrame]:
    """The view's venues: the uploaded file (parsed once per file) or the place's own list."""
    upload = st.session_state.get("venues_file")
    if upload is None:
        return STORE_VENUES, pd.DataFrame() if own is None else own
    content = upload.getvalue()
    digest = hashlib.sha256(content).hexdigest()[:12]
    try:
        venues = venues_of(content, upload.name, digest + la_code, postcodes)
    except IngestError as exc:
        st.session_state["venues_error"] = str(exc)
        return f"upload:{upload.name}:{digest}", pd.DataFrame()
    st.session_state.pop("venues_error", None)
    return f"upload:{upload.name}:{digest}", venues


def view_from_widgets(la_code: str, venues: str) -> ViewState:
    """Read the whole view from the widgets' session values."""
    state = st.session_state
    preset = state["preset"]
    return ViewState(
        la_code,
        indicator=state["indicator"],
        preset=preset,
        weights=tuple(state[weight_key(preset, c, n)] for c, n in weight_slots(preset)),
        frame=state["frame"],
        fixed_threshold_pct=float(state["fixed_threshold"]),
        mobile_threshold_pct=float(state["mobile_threshold"]),
        priority_wards=int(state["top"]),
        ward=state["ward"],
        outline=state["outline"],
        radius_m=float(state["radius"]),
        residents_per_champion=int(state["per_champion"]),
        wards_listed=int(state["listed"]),
        venues=venues,
    )


def weights_sidebar(preset: str, wards: pd.DataFrame, frame: pd.DataFrame) -> None:
    """Sliders for every weight of the weighting ``preset``.

    A weight that can change nothing here (its figure is not known by ward, or a better
    measure of the same thing is used) is shown disabled, with the reason.
    """
    spec = index.PRESETS[preset].spec
    for component, part in spec.components.items():
        reasons = index.not_scored(list(part.indicators), wards, frame)
        st.markdown(f"**{component.capitalize()}**")
        idle = len(reasons) == len(part.indicators)
        st.slider(
            f"Weight of {component}", 0, index.MAX_WEIGHT, key=weight_key(preset, component, None),
            disabled=idle,
            help=f"No figure of {component} is known by ward here, so this weight changes "
            "nothing." if idle else None,
        )  # fmt: skip
        for name in part.indicators:
            why = reasons.get(name)
            st.slider(
                INDICATORS[name].label, 0, index.MAX_WEIGHT,
                key=weight_key(preset, component, name), disabled=why is not None,
                help=None if why is None else f"Changes nothing here: {in_words(why)}.",
            )  # fmt: skip
            if why is not None:
                st.caption(f"Not used: {in_words(why)}.")


def select_clicked_ward() -> None:
    """Map click: select the ward whose polygon was clicked."""
    drawing = (st.session_state.get("map") or {}).get("last_active_drawing") or {}
    code = drawing.get("properties", {}).get("ward_code")
    if code:
        st.session_state["ward"] = code


def select_postcode_ward() -> None:
    """Postcode search: select the ward of the postcode typed, or say why not."""
    query = st.session_state.get("postcode", "").strip()
    st.session_state.pop("postcode_message", None)
    if not query:
        return
    postcodes = st.session_state["postcode_table"]
    try:
        row = find_postcode(query, postcodes)
    except ValueError as exc:
        st.session_state["postcode_message"] = str(exc)
        return
    if row is None or pd.isna(row["ward_code"]):
        st.session_state["postcode_message"] = f"{query.upper()} is not a postcode of this place."
        return
    st.session_state["ward"] = row["ward_code"]
    name = st.session_state["ward_names"].get(row["ward_code"], row["ward_code"])
    st.session_state["postcode_message"] = (
        f"{row['postcode']} is in {name} ward, selected on the map and in the ward card."
    )
    st.session_state.pop("live_lookup", None)
    if os.environ.get(ofcom_api.KEY_VARIABLE):
        try:
            premises, status = ofcom_api.live_lookup(row["postcode"], key=ofcom_api.api_key())
        except IngestError as exc:
            st.session_state["live_lookup"] = (row["postcode"], None, str(exc))
            return
        st.session_state["live_lookup"] = (row["postcode"], premises, status)


def live_lookup_panel() -> None:
    """Show what Ofcom's API says of the postcode searched (with a key set), with attribution."""
    if "live_lookup" not in st.session_state:
        return
    postcode, premises, status = st.session_state["live_lookup"]
    st.sidebar.markdown(f"**{html.escape(postcode)}: Ofcom's coverage, premises by premises**")
    if premises is None:
        st.sidebar.caption(f"Ofcom's API could not be asked: {html.escape(status)}")
        return
    if premises.empty:
        st.sidebar.caption(f"Ofcom's API knows no premises here ({status}).")
        return
    st.sidebar.caption(
        f"{len(premises):,} premises. Good coverage (Ofcom's rating 3 or more), premises:"
    )
    st.sidebar.dataframe(api_coverage.postcode_summary(premises), width="stretch")
    st.sidebar.dataframe(
        pd.Series(api_coverage.speed_summary(premises), name="Premises"), width="stretch"
    )
    st.sidebar.caption(f"{ofcom_api.ATTRIBUTION} Answers are kept at most 30 days; no address.")


def number_column(indicator: Indicator) -> st.column_config.NumberColumn:
    """A table column that shows a number with its unit and sorts as a number."""
    unit = indicator.unit
    return st.column_config.NumberColumn(
        f"{indicator.label}" + (f" ({unit})" if unit not in ("%", "score", "rank") else ""),
        format=UNIT_FORMATS.get(unit, "localized"),
    )


def not_known_text(pack: EvidencePack) -> list[str]:
    """What the index and not-spots cannot use here, in words, for beside the figures."""
    weighted = [c for c, part in pack.spec.components.items() if part.weight > 0]
    lines = [
        f"The {component} part of the risk index is not known by ward here, so the index is "
        "made of the other parts only."
        for component in weighted
        if component not in pack.component_weights
    ]
    if pack.wards["fixed_not_spot"].isna().all():
        lines.append(
            "Fixed broadband is not known by ward here (no Ofcom output-area file among the "
            "sources): fixed and double not-spots cannot be found ward by ward."
        )
    return lines


def outline_note(pack: EvidencePack, outline: str) -> str | None:
    """Why the chosen not-spot outline cannot be drawn, or None when it can."""
    if outline == "none":
        return None
    flags = pack.wards[outline]
    if flags.isna().all():
        return f"{OUTLINES[outline].capitalize()} cannot be outlined: not known by ward here."
    if not flags.fillna(False).astype(bool).any():
        return f"No ward is one of the {OUTLINES[outline]} at the thresholds chosen."
    return None


store_path = str(settings.store_dir())
available = store.list_places(store_path)
st.title("Digital inclusion map")
if not available:
    st.error(
        f"The store at {store_path} is empty. Run `make run` (builds the demo place) or "
        "`python -m ingest build --la <code> --sources <folder>`."
    )
    st.stop()

names = {p["la_code"]: p["la_name"] for p in available}
start_from_link(list(names))
la_code = st.sidebar.selectbox("Local authority", list(names), format_func=names.get, key="la")
manifest = next(p for p in available if p["la_code"] == la_code)
if manifest.get("store_version") != store.STORE_VERSION:
    st.error(
        f"{manifest['la_name']} was built by an older version of this software. Build it again: "
        f"`python -m ingest build --la {la_code} --sources <folder>` (or `make run` for the demo)."
    )
    st.stop()
built_at = manifest["built_at"]
place = place_of(la_code, store_path, built_at)
wards = place.wards
postcodes = place.postcodes if place.postcodes is not None else pd.DataFrame()
st.session_state["postcode_table"] = postcodes
st.session_state["ward_names"] = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
start_widgets(wards)
for refusal in st.session_state.pop("link_refused", []):  # said once, on the page it opened
    st.sidebar.warning(refusal)

choices = {index.RISK_INDEX.name: index.RISK_INDEX} | {
    name: i for name, i in INDICATORS.items() if name in wards.columns
}
if st.session_state["indicator"] not in choices:
    st.session_state["indicator"] = index.RISK_INDEX.name
st.sidebar.selectbox(
    "Indicator", list(choices), format_func=lambda n: choices[n].label, key="indicator"
)
st.sidebar.selectbox(
    "Weights to start from",
    list(index.PRESETS),
    format_func=lambda k: index.PRESETS[k].label,
    key="preset",
    help="This tool's own weights, or the published weights of GMCA's Digital Exclusion Risk "
    "Index (DERI) for indicators with an open equivalent here (see METHODOLOGY.md).",
)
start_widgets(wards)  # the weights of a weighting just chosen
st.sidebar.radio(
    "Score wards against",
    list(FRAMES),
    format_func=FRAMES.get,
    key="frame",
    help="The lowest and highest values among these wards score 0 and 10 (see METHODOLOGY.md).",
)
frame = (
    every_ward(store_path, tuple(p["built_at"] for p in available))
    if st.session_state["frame"] == "store"
    else wards
)
with st.sidebar.expander("Risk index weights (0 leaves a figure out)"):
    weights_sidebar(st.session_state["preset"], wards, frame)
fixed_known = "pct_premises_below_uso" in wards and wards["pct_premises_below_uso"].notna().any()
with st.sidebar.expander("Not-spot thresholds"):
    st.slider(
        "Fixed not-spot: premises below the USO, at least (%)",
        *RANGES["fixed_threshold_pct"], step=0.5, key="fixed_threshold",
        disabled=not fixed_known,
        help=None if fixed_known else "Fixed broadband is not known by ward here.",
    )  # fmt: skip
    st.slider(
        "Mobile not-spot: premises with no good indoor data from any network, at least (% of "
        "the ward)"
        if "pct_premises_mobile_not_spot" in wards
        else "Mobile not-spot: premises in Ofcom's not-spot postcodes, at least (% of the ward)"
        if "pct_premises_in_mobile_not_spot_postcodes" in wards
        else "Mobile not-spot: premises with no indoor 4G, at least (% of the authority)",
        *RANGES["mobile_threshold_pct"], step=0.5, key="mobile_threshold",
    )  # fmt: skip
example = postcodes["postcode"].iloc[len(postcodes) // 2] if not postcodes.empty else ""
st.sidebar.text_input(
    "Find a postcode",
    key="postcode",
    placeholder=f"e.g. {example}" if example else "no postcode directory in the store",
    on_change=select_postcode_ward,
    disabled=postcodes.empty,
    help="Selects the ward the postcode lies in (postcode directory in the store).",
)
if "postcode_message" in st.session_state:
    st.sidebar.caption(st.session_state["postcode_message"])
live_lookup_panel()

venue_key, venue_list = venue_choice(postcodes, place.venues)
view = view_from_widgets(la_code, venue_key)
try:
    pack = pack_of(
        view, place, frame if view.frame == "store" else None,
        venue_list if venue_key != STORE_VENUES else None,
    )  # fmt: skip
except index.EmptyIndexError as exc:
    st.error(f"The risk index cannot be computed with these weights: {exc}")
    st.stop()
shown = pack.wards
indicator = choices[view.indicator]

if manifest.get("synthetic"):
    st.warning(
        "**Synthetic demo data.** Demoshire is a fictional place generated by this software to "
        "show how the map works; none of its figures describe a real area. To see a real "
        "council, run `python -m ingest download --la <name>` then "
        "`python -m ingest build --la <name> --sources <folder>`.",
        icon="⚠️",
    )
st.subheader(
    f"{markdown_text(manifest['la_name'])}: {len(shown)} wards "
    f"(boundaries of {manifest['ward_vintage']})"
)
values = shown[indicator.name]
level = (
    "This is one figure for the whole local authority, shown on every ward as context."
    if indicator.level == "local authority"
    else "Not known for any ward here."
    if values.isna().all()
    else f"Measured for each ward; not known for {int(values.isna().sum())} of {len(shown)}."
    if values.isna().any()
    else "Measured for each ward."
)
st.caption(
    f"{indicator.label}. Source: {indicator.source}. {level}"
    + (
        f" {ofcom_api.ATTRIBUTION} Premises of "
        f"{int(shown['postcodes_checked_mobile'].sum()):,} of "
        f"{int(shown['postcodes_live'].sum()):,} postcodes checked; where a ward's "
        "postcodes were sampled, its figure is an estimate (95% interval in the ward card)."
        if indicator.name in api_coverage.INDICATOR_NAMES
        else ""
    )
)
for line in not_known_text(pack):
    st.info(line)

st.radio(
    "Outline on the map",
    list(OUTLINES),
    format_func=OUTLINES.get,
    horizontal=True,
    key="outline",
    help="Thresholds are in the sidebar. Mobile not-spots are measured for "
    f"{pack.levels['mobile_not_spot']}s.",
)
classes = classes_of(
    (la_code, built_at, indicator.name)
    + ((view.spec, view.frame) if indicator is index.RISK_INDEX else ()),
    values,
    indicator,
)
map_col, table_col = st.columns([3, 2])
with map_col:
    st_folium(
        choropleth(
            shown,
            indicator,
            classes=classes,
            tiles="OpenStreetMap",
            leaflet=local_leaflet(),
            geometry=map_geometry_of(la_code, store_path, built_at),
            outlined=None if view.outline == "none" else shown[view.outline],
            outline_label=OUTLINES[view.outline].capitalize(),
            selected=view.ward,
            note=outline_note(pack, view.outline),
        ),
        key="map",
        height=520,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
        on_change=select_clicked_ward,
    )
    st.markdown(
        f"**{html.escape(classes.legend_title)}**  \n"
        + "  \n".join(
            f'<span style="color:{c}">■</span> {html.escape(label)}'
            for c, label in zip(classes.colours, classes.labels, strict=True)
        ),
        unsafe_allow_html=True,
    )
with table_col:
    columns = list(dict.fromkeys(["ward_name", indicator.name, "risk_rank", "ward_code"]))
    table = shown[columns].sort_values(indicator.name, ascending=not indicator.higher_is_worse)
    if (api_key := api_coverage.measure_key(indicator.name)) is not None:
        table = table.assign(
            said=[
                api_coverage.measure_text(r, api_key) for _, r in shown.loc[table.index].iterrows()
            ]
        )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "ward_name": "Ward",
            "ward_code": "Code",
            indicator.name: number_column(indicator),
            "risk_rank": st.column_config.NumberColumn("Risk rank (1 = highest)", format="%d"),
            "said": "As estimated (95% interval where sampled)",
        },
    )

with st.expander("How the risk index was computed for these wards"):
    used = ", ".join(f"{c} (weight {w})" for c, w in pack.component_weights.items())
    st.markdown(
        f"Scored against {pack.frame_size} wards ({FRAMES[view.frame]}). Parts used: "
        f"{used or 'none'}. See METHODOLOGY.md."
    )
    st.markdown("\n".join(f"- {markdown_text(in_words(note))}" for note in pack.notes))

st.markdown("#### Priority wards and not-spots")
st.slider("Priority wards: the highest-risk", 1, len(shown), key="top")
reached = pack.reached
cells = st.columns(4)
for cell, label, count, why in (
    (cells[0], "Residents in priority wards", reached.residents, "residents"),
    (cells[1], "Residents 65+ in priority wards", reached.residents_65_plus, "residents 65+"),
    (cells[2], "Premises below the USO there", reached.premises_below_uso, "fixed broadband"),
):
    cell.metric(label, "not known" if count is None else f"{count:,}")
    if count is None:
        cell.caption(f"Not known: {why} not known by ward for every priority ward here.")
if "premises_in_double_not_spots" in shown:
    total = api_coverage.double_not_spot_total(shown)
    cells[3].metric(
        "Premises in double not-spots",
        api_coverage.estimate_text(
            total[0], total[1], total[2], events=total[3], estimate=total[4], unit="premises"
        ),
        help="Premises with no good indoor mobile data from any network and below the USO "
        "speed, on the same premises (Ofcom's API). Where wards were sampled, the range adds "
        "up each ward's 95% interval. " + ofcom_api.ATTRIBUTION,
    )
elif "premises_double_not_spot_max" in shown:
    bounds = gigabit.double_not_spot_total(shown)
    cells[3].metric(
        "Premises in double not-spots",
        "not known" if bounds is None else f"{bounds[0]:,} to {bounds[1]:,}",
        help="Premises in Ofcom's mobile not-spot postcodes that are also below the USO speed "
        "(10 Mbit/s down or 1 up): Ofcom says only that some premises of a listed postcode lack "
        "reliable indoor signal, so the count is a range (see METHODOLOGY.md).",
    )
    if bounds is None:
        cells[3].caption("Not known: a ward lacks the premises counts of the range.")
else:
    double = next(h for h in pack.headlines if h.key == "double_not_spot").figures[LOCAL]
    cells[3].metric(
        "Residents in double not-spots",
        f"{double.count:,}" if double.count is not None else "not known",
        help=f"Fixed (ward) and mobile ({pack.levels['mobile_not_spot']}) not-spots at the "
        f"thresholds chosen: fixed {view.fixed_threshold_pct:g}%, mobile "
        f"{view.mobile_threshold_pct:g}%.",
    )
    cells[3].caption(
        double.note[:1].upper() + double.note[1:] + "."
        if double.count is None
        else f"From the {double.note}."
    )

ward_names = st.session_state["ward_names"]
st.selectbox(
    "Ward card", list(ward_names), format_func=ward_names.get, key="ward",
    placeholder="Click a ward on the map, find a postcode, or choose a ward",
)  # fmt: skip
if view.ward is not None:
    ward = shown.set_index("ward_code").loc[view.ward]
    st.markdown(f"#### {markdown_text(ward['ward_name'])} ({view.ward})")
    if pd.notna(ward.get("constituency_name")):
        st.caption(
            f"Westminster constituency: {markdown_text(ward['constituency_name'])} (holding "
            "most of the ward's postcodes)"
        )
    sensitivity = sensitivity_of(la_code, built_at, view.spec, view.frame, wards, frame)
    moved = sensitivity.loc[wards.index[wards["ward_code"] == view.ward][0]]
    st.markdown(
        f"Risk index **{format_value(ward['risk_index'], index.RISK_INDEX)}**, rank "
        f"**{ward['risk_rank']} of {len(shown)}**; between {moved['rank_best']} and "
        f"{moved['rank_worst']} when any one weight moves by 2"
        + (
            f" (most sensitive to {in_words(moved['most_sensitive_to'])})."
            if moved["rank_range"]
            else "."
        )
    )
    card = ward_card(ward, place.comparisons if place.comparisons is not None else
                     pd.DataFrame(columns=["level", "area", "measure", "value"]),
                     manifest["sources"])  # fmt: skip
    figures = card.columns[card.columns.get_loc("ward") : card.columns.get_loc("data")]
    for column in figures:
        card[column] = [
            format_value(value, INDICATORS[name])
            for value, name in zip(card[column], card["indicator"], strict=True)
        ]
    st.dataframe(
        card.drop(columns=["indicator", "unit"]).rename(
            columns={"label": "Indicator", "level": "Measured for", "ward": "Ward", "data": "Data"}
        ),
        hide_index=True,
        width="stretch",
    )

    if "postcodes_checked_mobile" in ward:
        st.markdown("**Premises by premises (Ofcom's API)**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Figure": [m.label for m in api_coverage.MEASURES]
                    + ["Premises in double not-spots", "Residents in double not-spots"],
                    "Ward": [api_coverage.measure_text(ward, m.key) for m in api_coverage.MEASURES]
                    + [
                        api_coverage.measure_text(ward, "premises_in_double_not_spots"),
                        api_coverage.measure_text(ward, "residents_in_double_not_spots"),
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(
            f"{int(ward['postcodes_checked_mobile']):,} of {int(ward['postcodes_live']):,} "
            f"postcodes checked for mobile, {int(ward['postcodes_checked_fixed']):,} for "
            f"broadband. {ofcom_api.ATTRIBUTION}"
        )

    releases = table_of(la_code, "ward_fixed_coverage", store_path, built_at)
    here = releases[releases["ward_code"] == view.ward] if "ward_code" in releases else None
    if here is not None and here["release"].nunique() > 1:
        st.markdown("Fixed broadband in this ward across Ofcom releases (% of premises)")
        st.dataframe(
            fixed_trend(here, area="ward_code")[list(WARD_TREND_COLUMNS)],
            hide_index=True,
            column_config={
                c: st.column_config.NumberColumn(h, format="%.1f%%") if c.startswith("pct_") else h
                for c, h in WARD_TREND_COLUMNS.items()
            },
        )

if manifest.get("bduk"):
    st.markdown("#### Gigabit plans by Westminster constituency")
    bduk_info = manifest["bduk"]
    st.caption(
        f"Building Digital UK, Premises in BDUK plans: {html.escape(bduk_info['file'])} "
        f"({bduk_info['release_month'] or 'month not named'}); {bduk_info['rows']:,} premises, "
        f"{bduk_info['rows'] - bduk_info['placed']:,} not placed in a ward (no usable postcode). "
        "This authority's premises only."
    )
    constituencies = table_of(la_code, "constituency_plans", store_path, built_at)
    if constituencies.empty:
        st.info("Not known: the build had no ward to constituency lookup for these wards.")
    else:
        st.dataframe(
            constituencies[[c for c in CONSTITUENCY_COLUMNS if c in constituencies]],
            hide_index=True,
            width="stretch",
            column_config={
                c: st.column_config.NumberColumn(h, format="%.1f%%" if "pct_" in c else "localized")
                if c != "constituency_name" else h
                for c, h in CONSTITUENCY_COLUMNS.items()
            },
        )  # fmt: skip

st.markdown("#### Outreach planner: which wards do no venues reach?")
upload_col, template_col = st.columns([3, 1])
upload_col.file_uploader(
    "Venues (CSV of name and postcode, or latitude and longitude); the place's own list is used "
    "when none is uploaded",
    type=["csv"],
    key="venues_file",
    max_upload_size=1,
)
template_col.download_button(
    "Venue list template (CSV)", TEMPLATE_CSV, file_name="venues_template.csv", mime="text/csv",
    on_click="ignore", help="The columns the planner reads, with example rows to replace.",
)  # fmt: skip
if "venues_error" in st.session_state:
    st.error("This venue file cannot be used:")
    st.text(st.session_state["venues_error"])
elif venue_key != STORE_VENUES:
    if not venue_list.attrs["rejected"].empty:
        st.caption(f"{len(venue_list.attrs['rejected'])} row(s) not located, left out:")
        st.dataframe(venue_list.attrs["rejected"], hide_index=True)
    if venue_list["name"].astype(str).str.startswith("Example:").any():
        st.warning(
            "This file still holds the template's example rows (names starting 'Example:'): "
            "they are counted as venues. Replace them with your own venues."
        )
plan = pack.outreach
if plan is None:
    st.info(
        "No venues known for this place yet: download the template, list the libraries, "
        "community centres and other venues your champions can use, and upload it to see "
        "which wards they reach."
    )
else:
    settings_cols = st.columns(3)
    settings_cols[0].number_input(
        "Walking catchment (m, straight line)", *map(int, RANGES["radius_m"]), step=100,
        key="radius", help="800 m is about a 10-minute walk (see METHODOLOGY.md).",
    )  # fmt: skip
    settings_cols[1].number_input(
        "Residents per digital champion", *RANGES["residents_per_champion"], step=50,
        key="per_champion",
    )  # fmt: skip
    settings_cols[2].number_input("Unreached wards listed", 1, len(shown), key="listed")
    st.markdown(plan.summary(len(shown)))
    st.dataframe(
        plan.unreached,
        hide_index=True,
        width="stretch",
        column_config={
            **outreach.PRIORITY_LABELS,
            "residents": st.column_config.NumberColumn(
                outreach.PRIORITY_LABELS["residents"], format="localized"
            ),
            "residents_65_plus": st.column_config.NumberColumn(
                outreach.PRIORITY_LABELS["residents_65_plus"], format="localized"
            ),
            "risk": st.column_config.NumberColumn(outreach.PRIORITY_LABELS["risk"], format="%.1f"),
            "share_reached": st.column_config.NumberColumn(
                outreach.PRIORITY_LABELS["share_reached"], format="percent"
            ),
            "nearest_venue_m": st.column_config.NumberColumn(
                outreach.PRIORITY_LABELS["nearest_venue_m"], format="%,.0f"
            ),
        },
    )

st.markdown("#### Change across Ofcom releases, and evidence to take away")
if pack.trend.empty:
    st.info("The store holds no Ofcom release for this place.")
else:
    st.image(trend_png(la_code, built_at, place))
    st.caption(
        "Hollow markers: superfast shares derived for releases that published 30-300 Mbit/s "
        "only (2016-2019). Shares recomputed from premises counts where published."
    )

downloads = st.columns(5)
downloads[0].download_button(
    "Evidence pack (PDF)", data=lambda: evidence.render_pdf(pack),
    file_name=f"{la_code}_evidence.pdf", mime="application/pdf", on_click="ignore",
)  # fmt: skip
downloads[1].download_button(
    "Ward table (CSV, as in the pack)",
    data=lambda: evidence.ward_csv(pack),
    file_name=f"{la_code}_wards.csv", mime="text/csv", on_click="ignore",
)  # fmt: skip
downloads[2].download_button(
    "Evidence pack with data (zip: PDF, CSV, GeoJSON, GeoPackage)",
    data=lambda: evidence.zip_bytes(pack),
    file_name=f"{la_code}_evidence.zip", mime="application/zip", on_click="ignore",
)  # fmt: skip
for column, (fmt, mime) in zip(
    downloads[3:], (("png", "image/png"), ("svg", "image/svg+xml")), strict=True
):
    column.download_button(
        f"This map for a slide ({fmt.upper()}, with attribution)",
        data=lambda fmt=fmt: evidence.map_image(pack, indicator.name, fmt=fmt),
        file_name=f"{la_code}_map_{indicator.name}.{fmt}", mime=mime, on_click="ignore",
    )  # fmt: skip

st.query_params.from_dict(view.to_query())

source_lines = [
    f"- {markdown_text(s['publisher'])}: {markdown_text(s['file'])} "
    f"({markdown_text(s['release'])}). {markdown_text(s['attribution'])}."
    for s in manifest["sources"]
]
with st.expander("Sources and data dates"):
    st.markdown(
        ("Synthetic demo files in the real formats.\n\n" if manifest.get("synthetic") else "")
        + "\n".join(source_lines)
        + f"\n\nBuilt {manifest['built_at']}."
    )
