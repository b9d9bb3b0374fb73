"""Streamlit front door: pick a place and an indicator, see the ward map, table and ward card.

Thin by design: it reads the store through ingest.store and calls geo/ for everything else.
The view (place, indicator, selected ward) is kept in the URL query string, so a link
reproduces it.
"""

from __future__ import annotations

import html
import os

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import evidence
from geo import api_coverage, gigabit, index, outreach
from geo.indicators import INDICATORS, ward_card
from geo.maps import choropleth, classify, format_value
from geo.postcodes import find_postcode
from geo.trends import fixed_trend
from ingest import settings, store
from ingest._errors import IngestError
from ingest.sources import ofcom_api
from ingest.sources.venues import read_venues
from ingest.web_assets import local_leaflet

st.set_page_config(page_title="Digital inclusion map", layout="wide")

#: Column headings of the outreach planner's table of unreached wards.
OUTREACH_COLUMNS = {
    "ward_code": "Code",
    "ward_name": "Ward",
    "residents": "Residents",
    "residents_65_plus": "Residents 65+",
    "risk": "Risk index",
    "share_reached": "Postcodes within reach",
    "reach_method": "Measured by",
    "nearest_venue": "Nearest venue",
    "nearest_venue_m": "Distance (m)",
}

#: Columns of a ward's trend across Ofcom output-area releases, and their headings.
WARD_TREND_COLUMNS = {
    "period": "Data month",
    "pct_gigabit": "Gigabit-capable",
    "pct_superfast": "Superfast",
    "pct_below_uso": "Below the USO",
    "source_file": "File",
}

#: Not-spot layers that can be outlined on the map.
OUTLINES = {
    "none": "nothing",
    "fixed_not_spot": "fixed broadband not-spots",
    "mobile_not_spot": "mobile not-spots",
    "double_not_spot": "double not-spots (fixed and mobile)",
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

#: Which wards the index scores against (0 and 10 are their lowest and highest values).
FRAMES = {"authority": "this local authority", "store": "every ward in the store"}


@st.cache_resource(show_spinner=False)
def wards_of(la_code: str, store_path: str, built_at: str):
    # built_at is part of the cache key so a rebuilt place is read again.
    return store.read_wards(la_code, store=store_path)


@st.cache_resource(show_spinner=False)
def map_geometry_of(la_code: str, store_path: str, built_at: str):
    return store.read_map_wards(la_code, store=store_path).geometry


@st.cache_data(show_spinner=False)
def table_of(la_code: str, name: str, store_path: str, built_at: str) -> pd.DataFrame:
    # built_at is part of the cache key so a rebuilt place is read again.
    return store.read_table(la_code, name, store=store_path)


@st.cache_resource(show_spinner=False)
def every_ward(store_path: str, built: tuple[str, ...]):
    # built (every place's build time) is part of the cache key.
    return pd.concat(
        [store.read_wards(p["la_code"], store=store_path) for p in store.list_places(store_path)],
        ignore_index=True,
    )


@st.cache_data(show_spinner="Testing how robust the ranks are...")
def sensitivity_of(la_code: str, built_at: str, spec: index.IndexSpec, wider: bool, _wards, _frame):
    # keyed on the place, its build, the weights and the frame; the frames are not hashed.
    return index.rank_sensitivity(_wards, spec, frame=_frame)


def weights_from_url(preset: str) -> None:
    """Start the weight sliders on the URL's ``weights`` (every weight, in slider order)."""
    text = st.query_params.get("weights", "")
    keys = weight_keys(preset)
    values = text.split(",")
    valid = len(values) == len(keys) and all(
        v.isdigit() and int(v) <= index.MAX_WEIGHT for v in values
    )
    if "url:weights" not in st.session_state:
        if valid:
            st.session_state.update({k: int(v) for k, v in zip(keys, values, strict=True)})
        elif text:
            st.session_state["url:weights_refused"] = (
                f"The link's weights ({len(values)} values) do not fit the "
                f"{len(keys)} weights of '{index.PRESETS[preset].label}', so the sliders start "
                "from that weighting's own values."
            )
    st.session_state["url:weights"] = True


def weight_keys(preset: str) -> list[str]:
    """Session keys of a weighting's sliders: each component's weight, then its indicators'."""
    return [
        key
        for component, part in index.PRESETS[preset].spec.components.items()
        for key in (
            f"w:{preset}:{component}",
            *(f"w:{preset}:{component}:{name}" for name in part.indicators),
        )
    ]


def weights_sidebar(preset: str) -> index.IndexSpec:
    """Sliders for every weight of the weighting ``preset``; return the spec they make.

    Each weighting has its own sliders, so choosing another starts from its published values
    and choosing back finds the first as it was left.
    """
    start = index.PRESETS[preset].spec
    parts = {}
    for component, part in start.components.items():
        st.markdown(f"**{component.capitalize()}**")
        weight = st.slider(
            f"Weight of {component}", 0, index.MAX_WEIGHT, part.weight,
            key=f"w:{preset}:{component}",
        )  # fmt: skip
        parts[component] = index.ComponentSpec(
            {
                name: st.slider(
                    INDICATORS[name].label, 0, index.MAX_WEIGHT, default,
                    key=f"w:{preset}:{component}:{name}",
                )
                for name, default in part.indicators.items()
            },
            weight=weight,
        )  # fmt: skip
    return index.IndexSpec(**parts, notes=start.notes)


def known(count: int | None) -> str:
    """A count for a metric, or "not known" (e.g. no ward-level broadband in the store)."""
    return "not known" if count is None else f"{count:,}"


def from_url(key: str, allowed: list[str]) -> None:
    """Start a widget on the URL's value, once per session, when the value is allowed."""
    value = st.query_params.get(key)
    if f"url:{key}" not in st.session_state and value in allowed:
        st.session_state[key] = value
    st.session_state[f"url:{key}"] = True


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
    try:
        row = find_postcode(query, st.session_state["postcode_table"])
    except ValueError as exc:
        st.session_state["postcode_message"] = str(exc)
        return
    if row is None or pd.isna(row["ward_code"]):
        st.session_state["postcode_message"] = f"{query.upper()} is not a postcode of this place."
        return
    st.session_state["ward"] = row["ward_code"]
    st.session_state["postcode_message"] = f"{row['postcode']} is in the selected ward."
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
from_url("la", list(names))
la_code = st.sidebar.selectbox("Local authority", list(names), format_func=names.get, key="la")
manifest = next(p for p in available if p["la_code"] == la_code)
if manifest.get("store_version") != store.STORE_VERSION:
    st.error(
        f"{manifest['la_name']} was built by an older version of this software. Build it again: "
        f"`python -m ingest build --la {la_code} --sources <folder>` (or `make run` for the demo)."
    )
    st.stop()
wards = wards_of(la_code, store_path, manifest["built_at"])


def place_table(name: str) -> pd.DataFrame:
    """A further table of the chosen place (``store.read_table``), cached per build."""
    return table_of(la_code, name, store_path, manifest["built_at"])


choices = {index.RISK_INDEX.name: index.RISK_INDEX} | {
    name: i for name, i in INDICATORS.items() if name in wards.columns
}
from_url("indicator", list(choices))
indicator = choices[
    st.sidebar.selectbox(
        "Indicator", list(choices), format_func=lambda n: choices[n].label, key="indicator"
    )
]
from_url("preset", list(index.PRESETS))
preset = st.sidebar.selectbox(
    "Weights to start from",
    list(index.PRESETS),
    format_func=lambda k: index.PRESETS[k].label,
    key="preset",
    help="This tool's own weights, or the published weights of GMCA's Digital Exclusion Risk "
    "Index (DERI) for indicators with an open equivalent here (see METHODOLOGY.md).",
)
weights_from_url(preset)
if "url:weights_refused" in st.session_state:  # said once, on the page the link opened
    st.sidebar.warning(st.session_state.pop("url:weights_refused"))
with st.sidebar.expander("Risk index weights (0 leaves a figure out)"):
    spec = weights_sidebar(preset)
from_url("frame", list(FRAMES))
frame_choice = st.sidebar.radio(
    "Score wards against",
    list(FRAMES),
    format_func=FRAMES.get,
    key="frame",
    help="The lowest and highest values among these wards score 0 and 10 (see METHODOLOGY.md).",
)
frame_choice_label = FRAMES[frame_choice]
frame = wards if frame_choice == "authority" else every_ward(
    store_path, tuple(p["built_at"] for p in available)
)  # fmt: skip
with st.sidebar.expander("Not-spot thresholds"):
    fixed_threshold = st.slider(
        "Fixed not-spot: premises below the USO, at least (%)",
        0.0, 20.0, index.FIXED_NOT_SPOT_PCT, 0.5, key="fixed_threshold",
    )  # fmt: skip
    mobile_threshold = st.slider(
        "Mobile not-spot: premises with no good indoor data from any network, at least (% of "
        "the ward)"
        if "pct_premises_mobile_not_spot" in wards
        else "Mobile not-spot: premises in Ofcom's not-spot postcodes, at least (% of the ward)"
        if "pct_premises_in_mobile_not_spot_postcodes" in wards
        else "Mobile not-spot: premises with no indoor 4G, at least (% of the authority)",
        0.0, 20.0, index.MOBILE_NOT_SPOT_PCT, 0.5, key="mobile_threshold",
    )  # fmt: skip
st.session_state["postcode_table"] = place_table("postcodes")
st.sidebar.text_input(
    "Find a postcode",
    key="postcode",
    placeholder="e.g. M15 4AB",
    on_change=select_postcode_ward,
    disabled=st.session_state["postcode_table"].empty,
    help="Selects the ward the postcode lies in (postcode directory in the store).",
)
if "postcode_message" in st.session_state:
    st.sidebar.caption(st.session_state["postcode_message"])
live_lookup_panel()

if manifest.get("synthetic"):
    st.warning(
        "**Synthetic demo data.** Demoshire is a fictional place generated by this software to "
        "show how the map works; none of its figures describe a real area. To see a real "
        "council, run `python -m ingest download --la <name>` then "
        "`python -m ingest build --la <name> --sources <folder>`.",
        icon="⚠️",
    )

try:
    risk = index.compute_index(wards, spec, frame=frame)
except index.EmptyIndexError as exc:
    st.error(f"The risk index cannot be computed with these weights: {exc}")
    st.stop()
spots = index.not_spots(
    wards, fixed_threshold_pct=fixed_threshold, mobile_threshold_pct=mobile_threshold
)
wards = wards.assign(risk_index=risk["risk_index"], risk_rank=risk["risk_rank"])

st.subheader(
    f"{manifest['la_name']}: {len(wards)} wards (boundaries of {manifest['ward_vintage']})"
)
st.caption(
    f"{indicator.label}. Source: {indicator.source}. "
    + (
        "This is one figure for the whole local authority, shown on every ward as context."
        if indicator.level == "local authority"
        else "Measured for each ward."
    )
    + (
        f" {ofcom_api.ATTRIBUTION} Premises of "
        f"{known(int(wards['postcodes_checked_mobile'].sum()))} of "
        f"{known(int(wards['postcodes_live'].sum()))} postcodes checked; where a ward's "
        "postcodes were sampled, its figure is an estimate (95% interval in the ward card)."
        if indicator.name in api_coverage.INDICATOR_NAMES
        else ""
    )
)

outline = st.radio(
    "Outline on the map",
    list(OUTLINES),
    format_func=OUTLINES.get,
    horizontal=True,
    key="outline",
    help="Thresholds are in the sidebar. Mobile not-spots are measured for "
    f"{spots.attrs['level']['mobile_not_spot']}s.",
)
classes = classify(wards[indicator.name], indicator)
map_col, table_col = st.columns([3, 2])
with map_col:
    st_folium(
        choropleth(
            wards,
            indicator,
            classes=classes,
            tiles="OpenStreetMap",
            leaflet=local_leaflet(),
            geometry=map_geometry_of(la_code, store_path, manifest["built_at"]),
            outlined=None if outline == "none" else spots[outline],
            outline_label=OUTLINES[outline].capitalize(),
        ),
        key="map",
        height=520,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
        on_change=select_clicked_ward,
    )
    st.markdown(
        "  \n".join(
            f'<span style="color:{c}">■</span> {html.escape(label)}'
            for c, label in zip(classes.colours, classes.labels, strict=True)
        ),
        unsafe_allow_html=True,
    )
with table_col:
    columns = list(dict.fromkeys(["ward_code", "ward_name", indicator.name, "risk_rank"]))
    table = wards[columns].sort_values(indicator.name, ascending=not indicator.higher_is_worse)
    said = {}
    if (api_key := api_coverage.measure_key(indicator.name)) is not None:
        said["As estimated (95% interval where sampled)"] = [
            api_coverage.measure_text(row, api_key) for _, row in wards.loc[table.index].iterrows()
        ]
    st.dataframe(
        table.assign(
            **{indicator.name: [format_value(v, indicator) for v in table[indicator.name]]},
            **said,
        ).rename(
            columns={
                "ward_code": "Code",
                "ward_name": "Ward",
                indicator.name: indicator.label,
                "risk_rank": "Risk rank (1 = highest)",
            }
        ),
        hide_index=True,
        width="stretch",
    )

with st.expander("How the risk index was computed for these wards"):
    st.markdown(
        f"Scored against {risk.attrs['frame_size']} wards ({frame_choice_label}). Components "
        f"and weights used: {risk.attrs['component_weights']}. See METHODOLOGY.md."
    )
    for note in [*risk.attrs["notes"], *spots.attrs["notes"]]:
        st.text(note)

st.markdown("#### Priority wards and not-spots")
top = st.slider("Priority wards: the highest-risk", 1, len(wards), min(5, len(wards)), key="top")
reached = index.people_reached(wards, wards["risk_rank"] <= top)
double = index.people_reached(wards, spots["double_not_spot"].fillna(False).astype(bool))
cells = st.columns(4)
cells[0].metric("Residents in priority wards", known(reached.residents))
cells[1].metric("Residents 65+ in priority wards", known(reached.residents_65_plus))
cells[2].metric("Premises below the USO there", known(reached.premises_below_uso))
if "premises_in_double_not_spots" in wards:
    total = api_coverage.double_not_spot_total(wards)
    cells[3].metric(
        "Premises in double not-spots",
        api_coverage.estimate_text(
            total[0], total[1], total[2], events=total[3], estimate=total[4], unit="premises"
        ),
        help="Premises with no good indoor mobile data from any network and below the USO "
        "speed, on the same premises (Ofcom's API). Where wards were sampled, the range adds "
        "up each ward's 95% interval. " + ofcom_api.ATTRIBUTION,
    )
elif "premises_double_not_spot_max" in wards:
    cells[3].metric(
        "Premises in double not-spots",
        "not known"
        if (bounds := gigabit.double_not_spot_total(wards)) is None
        else f"{bounds[0]:,} to {bounds[1]:,}",
        help="Premises in Ofcom's mobile not-spot postcodes that are also below the USO speed "
        "(10 Mbit/s down or 1 up): Ofcom says only that some premises of a listed postcode lack "
        "reliable indoor signal, so the count is a range (see METHODOLOGY.md).",
    )
else:
    cells[3].metric(
        "Residents in double not-spots",
        known(double.residents) if spots["double_not_spot"].notna().all() else "not known",
        help=f"Fixed (ward) and mobile ({spots.attrs['level']['mobile_not_spot']}) not-spots "
        f"at the thresholds chosen: {spots.attrs['thresholds_pct']}",
    )

ward_names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
from_url("ward", list(ward_names))
ward_code = st.selectbox(
    "Ward card", list(ward_names), format_func=ward_names.get, key="ward", index=None,
    placeholder="Click a ward on the map, find a postcode, or choose a ward",
)  # fmt: skip
if ward_code is not None:
    ward = wards.set_index("ward_code").loc[ward_code]
    st.markdown(f"#### {html.escape(ward['ward_name'])} ({ward_code})")
    if pd.notna(ward.get("constituency_name")):
        st.caption(
            f"Westminster constituency: {html.escape(ward['constituency_name'])} (holding most "
            "of the ward's postcodes)"
        )
    sensitivity = sensitivity_of(
        la_code, manifest["built_at"], spec, frame_choice == "store", wards, frame
    )
    moved = sensitivity.loc[wards.index[wards["ward_code"] == ward_code][0]]
    st.markdown(
        f"Risk index **{format_value(ward['risk_index'], index.RISK_INDEX)}**, rank "
        f"**{ward['risk_rank']} of {len(wards)}**; between {moved['rank_best']} and "
        f"{moved['rank_worst']} when any one weight moves by 2"
        + (f" (most sensitive to {moved['most_sensitive_to']})." if moved["rank_range"] else ".")
    )
    card = ward_card(ward, place_table("comparisons"),
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

    releases = place_table("ward_fixed_coverage")
    here = releases[releases["ward_code"] == ward_code] if "ward_code" in releases else None
    if here is not None and here["release"].nunique() > 1:
        st.markdown("Fixed broadband in this ward across Ofcom releases (% of premises)")
        st.dataframe(
            fixed_trend(here, area="ward_code")[list(WARD_TREND_COLUMNS)].rename(
                columns=WARD_TREND_COLUMNS
            ),
            hide_index=True,
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
    constituencies = place_table("constituency_plans")
    if constituencies.empty:
        st.info("Not known: the build had no ward to constituency lookup for these wards.")
    else:
        st.dataframe(
            constituencies[[c for c in CONSTITUENCY_COLUMNS if c in constituencies]].rename(
                columns=CONSTITUENCY_COLUMNS
            ),
            hide_index=True,
            width="stretch",
        )

st.markdown("#### Outreach planner: which wards do no venues reach?")
upload = st.file_uploader(
    "Venues (CSV of name and postcode, or latitude and longitude); the place's own list is used "
    "when none is uploaded",
    type=["csv"],
    key="venues_file",
    max_upload_size=1,
)
venue_list = place_table("venues")
if upload is not None:
    try:
        venue_list = read_venues(
            upload.getvalue(), name=upload.name, postcodes=st.session_state["postcode_table"]
        )
    except IngestError as exc:
        st.error("This venue file cannot be used:")
        st.text(str(exc))
        venue_list = venue_list.iloc[0:0]
    else:
        if not venue_list.attrs["rejected"].empty:
            st.caption(f"{len(venue_list.attrs['rejected'])} row(s) not located, left out:")
            st.dataframe(venue_list.attrs["rejected"], hide_index=True)
if venue_list.empty:
    st.info("No venues: upload a CSV of venues to see which wards they reach.")
else:
    plan = st.columns(3)
    radius = plan[0].number_input(
        "Walking catchment (m, straight line)", 200, 3000, int(outreach.WALKING_CATCHMENT_M), 100,
        key="radius", help="800 m is about a 10-minute walk (see METHODOLOGY.md).",
    )  # fmt: skip
    per_champion = plan[1].number_input(
        "Residents per digital champion", 50, 100_000, 1_000, 50, key="per_champion"
    )
    shown_wards = plan[2].number_input("Unreached wards listed", 1, len(wards), 10, key="listed")
    reach = outreach.ward_reach(
        wards, st.session_state["postcode_table"], outreach.venue_points(venue_list),
        radius_m=radius,
    )  # fmt: skip
    unreached = outreach.unreached_priorities(
        wards, reach, wards["risk_index"], top=int(shown_wards)
    )
    totals = outreach.reach_totals(wards, reach)
    within = outreach.residents_within_reach(wards, reach)
    outside = int(wards["residents"].sum()) - within["residents"]
    st.markdown(
        f"{len(venue_list)} venues: about **{within['residents']:,} residents** "
        f"({within['residents_65_plus']:,} aged 65+) live within {radius:,} m of one, and "
        f"**{outside:,}** do not. {int(totals.loc['reached', 'wards'])} of {len(wards)} wards "
        f"have most of their postcodes within reach. Reaching the rest at {per_champion:,} "
        f"residents per champion takes "
        f"**{outreach.champions_needed(outside, residents_per_champion=per_champion)} "
        "champions**."
    )
    st.dataframe(
        unreached.rename(columns=OUTREACH_COLUMNS), hide_index=True, width="stretch",
        column_config={OUTREACH_COLUMNS["share_reached"]: st.column_config.NumberColumn(
            format="percent")},
    )  # fmt: skip

st.markdown("#### Change across Ofcom releases, and evidence to take away")
trend = evidence.place_trend(place_table("la_fixed_coverage"), wards, manifest)
if trend.empty:
    st.info("The store holds no Ofcom release for this place.")
else:
    st.pyplot(evidence.trend_chart(trend))
    st.caption(
        "Hollow markers: superfast shares derived for releases that published 30-300 Mbit/s "
        "only (2016-2019). Shares recomputed from premises counts where published."
    )


def pack() -> evidence.EvidencePack:
    """The evidence pack of this view: the place, indicator, weights, thresholds."""
    return evidence.build_pack(
        la_code, store_dir=store_path, indicator=indicator.name, spec=spec,
        fixed_threshold_pct=fixed_threshold, mobile_threshold_pct=mobile_threshold,
    )  # fmt: skip


downloads = st.columns(4)
downloads[0].download_button(
    "Evidence pack (PDF)", data=lambda: evidence.render_pdf(pack()),
    file_name=f"{la_code}_evidence.pdf", mime="application/pdf", on_click="ignore",
)  # fmt: skip
downloads[1].download_button(
    "Evidence pack with data (zip: PDF, CSV, GeoJSON, GeoPackage)",
    data=lambda: evidence.zip_bytes(pack()),
    file_name=f"{la_code}_evidence.zip", mime="application/zip", on_click="ignore",
)  # fmt: skip
for column, (fmt, mime) in zip(
    downloads[2:], (("png", "image/png"), ("svg", "image/svg+xml")), strict=True
):
    column.download_button(
        f"This map for a slide ({fmt.upper()}, with attribution)",
        data=lambda fmt=fmt: evidence.map_image(pack(), indicator.name, fmt=fmt),
        file_name=f"{la_code}_map_{indicator.name}.{fmt}", mime=mime, on_click="ignore",
    )  # fmt: skip

st.query_params.from_dict(
    {
        "la": la_code,
        "indicator": indicator.name,
        "frame": frame_choice,
        "preset": preset,
        "weights": ",".join(str(st.session_state[k]) for k in weight_keys(preset)),
    }
    | ({"ward": ward_code} if ward_code is not None else {})
)

source_lines = [
    f"- {s['publisher']}: {s['file']} ({s['release']}). {s['attribution']}."
    for s in manifest["sources"]
]
with st.expander("Sources and data dates"):
    st.markdown(
        ("Synthetic demo files in the real formats.\n\n" if manifest.get("synthetic") else "")
        + "\n".join(source_lines)
        + f"\n\nBuilt {manifest['built_at']}."
    )
