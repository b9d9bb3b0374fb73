import io
import json
from pathlib import Path

import pandas as pd
import pytest
from app_tables import labelled
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from geo.indicators import INDICATORS
from ingest import demo, store

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_app_shows_the_ward_count_of_the_store(app, demo_store):
    n = len(store.read_wards(demo.DEMO_LA_CODE, store=demo_store))
    assert any(f"{n} wards" in s.value for s in app.subheader)


def test_app_labels_the_demo_as_synthetic(app):
    assert any("Synthetic demo data" in w.value for w in app.warning)


def test_every_indicator_renders(app, demo_store):
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    assert set(INDICATORS) <= set(wards.columns)  # the demo carries every indicator
    for name in INDICATORS:
        app.sidebar.selectbox[1].set_value(name).run()
        assert not app.exception, (name, app.exception)
        assert any(c.startswith(INDICATORS[name].label) for c in labelled(app.dataframe[0]))


def test_empty_store_explains_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "make run" in at.error[0].value


def test_a_link_reproduces_the_view(demo_store, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(
        {"la": demo.DEMO_LA_CODE, "indicator": "pct_residents_65_plus", "ward": "E05999003"}
    )
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="indicator").value == "pct_residents_65_plus"
    assert any(m.value.startswith("#### Brook Green (E05999003)") for m in at.markdown)
    at.selectbox(key="ward").set_value("E05999010").run()
    assert at.query_params["ward"] == "E05999010"
    assert at.query_params["indicator"] == "pct_residents_65_plus"


def test_a_link_with_unknown_values_falls_back_to_defaults(demo_store, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"la": "<script>", "indicator": "nope", "ward": "E05000000"})
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="la").value == demo.DEMO_LA_CODE
    assert at.selectbox(key="ward").value is None


def test_postcode_search_selects_its_ward(app, demo_store):
    postcodes = store.read_table(demo.DEMO_LA_CODE, "postcodes", store=demo_store)
    row = postcodes.iloc[100]
    app.sidebar.text_input(key="postcode").set_value(row["postcode"].lower().replace(" ", ""))
    app.run()
    assert app.selectbox(key="ward").value == row["ward_code"]
    name = (
        store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
        .set_index("ward_code")
        .loc[row["ward_code"], "ward_name"]
    )
    said = " ".join(c.value for c in app.sidebar.caption)
    assert f"{row['postcode']} is in {name} ward, selected on the map" in said
    app.sidebar.text_input(key="postcode").set_value("M15 4AB").run()  # not in Demoshire
    assert "is not a postcode of this place" in " ".join(c.value for c in app.sidebar.caption)
    app.sidebar.text_input(key="postcode").set_value("not a postcode").run()
    assert "is not a UK postcode" in " ".join(c.value for c in app.sidebar.caption)
    assert not app.exception


def test_ward_card_lists_every_indicator_with_its_release(app):
    app.selectbox(key="ward").set_value("E05999001").run()
    card = app.dataframe[1].value
    assert len(card) == len(INDICATORS)
    row = card.set_index("Indicator").loc[INDICATORS["pct_premises_below_uso"].label]
    assert "202601_fixed_oa_coverage_r1.csv (202601)" in row["Data"]
    assert row["Measured for"] == "ward"
    # beside the ward: its authority, and the nation and UK from the Ofcom LA file
    assert list(card.columns[2:6]) == ["Ward", demo.DEMO_LA_NAME, "England", "United Kingdom"]
    assert row[demo.DEMO_LA_NAME].endswith("%")


def uploader(at):
    return next(u for u in at.get("file_uploader") if u.key == "venues_file")


def test_the_outreach_planner_uses_the_places_own_venues(app, demo_store):
    venues = store.read_table(demo.DEMO_LA_CODE, "venues", store=demo_store)
    summary = next(m.value for m in app.markdown if " venues (" in m.value)
    assert summary.startswith(f"{len(venues)} venues (the place's own list): about")
    assert "champions" in summary


def test_an_uploaded_venue_list_replaces_it_and_hostile_names_stay_text(app, demo_store):
    postcodes = store.read_table(demo.DEMO_LA_CODE, "postcodes", store=demo_store)
    hostile = "<script>alert(1)</script>"
    rows = [f'"{hostile}",{postcodes["postcode"].iloc[0]}', "Hall,NOT A POSTCODE"]
    csv = ("name,postcode\n" + "\n".join(rows) + "\n").encode()
    uploader(app).set_value(("venues.csv", csv, "text/csv"))
    app.run()
    assert not app.exception
    assert any(
        m.value.startswith("1 venues (uploaded file venues.csv): about") for m in app.markdown
    )
    assert "1 row(s) not located" in " ".join(c.value for c in app.caption)
    shown = labelled(app.dataframe[-1])
    assert set(shown["Nearest venue"]) == {hostile}  # shown verbatim, as text in a table
    # the name never reaches markdown or HTML unescaped
    assert not any(hostile in m.value for m in app.markdown)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"name,phone\nLibrary,0161\n", "no postcode column"),
        (b"x" * 1_000_001, "1,000,000"),
        (b"\xff\xfe\x00n\x00a", "NUL bytes"),
    ],
)
def test_a_bad_venue_file_is_refused_with_the_reason(app, content, message):
    uploader(app).set_value(("venues.csv", content, "text/csv"))
    app.run()
    assert not app.exception
    assert app.error[0].value == "This venue file cannot be used:"
    assert message in app.text[-1].value


def test_moving_a_weight_reranks_the_wards_and_goes_into_the_link(app, demo_store):
    from geo import index

    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    app.sidebar.selectbox(key="indicator").set_value("risk_index").run()
    app.slider(key="w:default:infrastructure").set_value(0).run()
    assert not app.exception
    spec = index.DEFAULT_SPEC.with_weight("infrastructure", 0)
    expected = index.compute_index(wards, spec)
    table = labelled(app.dataframe[0]).set_index("Code")["Risk rank (1 = highest)"]
    assert table.to_dict() == dict(zip(wards["ward_code"], expected["risk_rank"], strict=True))
    assert app.query_params["weights"].startswith("0,")
    said = " ".join(m.value for m in app.markdown)
    assert "Parts used: demography (weight 5), deprivation (weight 5)." in said


def test_a_link_with_weights_sets_the_sliders(demo_store, monkeypatch):
    from geo import index

    keys = [
        (component, name)
        for component, part in index.DEFAULT_SPEC.components.items()
        for name in (None, *part.indicators)
    ]
    values = [7, *range(1, len(keys) - 1), 0]
    values = [v % (index.MAX_WEIGHT + 1) for v in values]
    monkeypatch.setenv("DIM_STORE", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"weights": ",".join(map(str, values)), "frame": "store"})
    at.run()
    assert not at.exception
    assert at.slider(key="w:default:infrastructure").value == 7
    last_component, last_name = keys[-1]
    assert at.slider(key=f"w:default:{last_component}:{last_name}").value == 0
    assert at.sidebar.radio(key="frame").value == "store"
    assert not at.sidebar.warning


def test_a_link_whose_weights_do_not_fit_says_so(demo_store, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"weights": "7,1,2,3,4,5,5,6,7,8,9,10,1,2,0"})  # an older link
    at.run()
    assert not at.exception
    assert "The link's weights (15 values) do not fit" in at.sidebar.warning[0].value
    assert at.slider(key="w:default:infrastructure").value == 5


def test_the_deri_weighting_starts_from_its_published_weights(app, demo_store):
    from geo import index

    app.sidebar.selectbox(key="indicator").set_value("risk_index").run()
    app.sidebar.selectbox(key="preset").set_value("deri").run()
    assert not app.exception
    assert app.slider(key="w:deri:demography:pct_residents_disabled").value == 2
    assert app.slider(key="w:deri:deprivation:pct_residents_no_qualifications").value == 4
    assert app.query_params["preset"] == "deri"
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    expected = index.compute_index(wards, index.DERI_SPEC)
    table = labelled(app.dataframe[0]).set_index("Code")["Risk rank (1 = highest)"]
    assert table.to_dict() == dict(zip(wards["ward_code"], expected["risk_rank"], strict=True))
    app.sidebar.selectbox(key="preset").set_value("default").run()


def test_not_spot_thresholds_and_outlines(app, demo_store):
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    app.slider(key="fixed_threshold").set_value(20.0).run()
    app.radio(key="outline").set_value("fixed_not_spot").run()
    assert not app.exception
    assert (wards["pct_premises_below_uso"] < 20).all()  # no ward reaches 20%
    # Premises in double not-spots are counted premises by premises (the demo's Ofcom API
    # answers), whatever the thresholds.
    metric = next(m for m in app.metric if m.label == "Premises in double not-spots")
    total = wards["premises_in_double_not_spots"].sum()
    assert total > 0 and metric.value.startswith(f"{total:,.0f} premises (95 % interval")


def test_the_ward_card_shows_the_rank_range(app):
    app.selectbox(key="ward").set_value("E05999001").run()
    text = next(m.value for m in app.markdown if m.value.startswith("Risk index **"))
    assert "when any one weight moves by 2" in text


def test_evidence_pack_buttons_are_offered(app):
    labels = [b.label for b in app.get("download_button")]
    assert labels == [
        "Venue list template (CSV)",
        "Evidence pack (PDF)",
        "Ward table (CSV, as in the pack)",
        "Evidence pack with data (zip: PDF, CSV, GeoJSON, GeoPackage)",
        "This map for a slide (PNG, with attribution)",
        "This map for a slide (SVG, with attribution)",
    ]


def test_ten_sessions_at_once_keep_their_own_view_and_never_write_the_store(
    demo_store, monkeypatch
):
    import hashlib
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    monkeypatch.setenv("DIM_STORE", str(demo_store))
    # A Streamlit server compiles app.py under its one ScriptCache lock; each AppTest has a
    # cache of its own, and CPython 3.11.7's compiler fails when two threads compile at once
    # ("AST constructor recursion depth mismatch", CPython issue 106905). Share one lock
    # between the sessions, as a server's sessions do.
    shared_lock = threading.Lock()
    own_init = ScriptCache.__init__

    def one_lock(cache: ScriptCache) -> None:
        own_init(cache)
        cache._lock = shared_lock

    monkeypatch.setattr(ScriptCache, "__init__", one_lock)
    place = demo_store / demo.DEMO_LA_CODE

    def digest() -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in place.iterdir()}

    before = digest()
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)["ward_code"].tolist()
    names = list(INDICATORS)

    def session(i: int) -> tuple[str, str, str | None]:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update({"indicator": names[i % len(names)], "ward": wards[i]})
        at.run()
        assert not at.exception, at.exception
        return (
            at.sidebar.selectbox(key="indicator").value,
            at.selectbox(key="ward").value,
            at.query_params.get("ward"),
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        seen = list(pool.map(session, range(10)))
    assert seen == [(names[i % len(names)], wards[i], wards[i]) for i in range(10)]
    assert digest() == before


def test_the_ward_card_shows_the_wards_trend_when_several_releases_are_stored(
    demo_store, tmp_path, monkeypatch
):
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(demo_store, copy)
    table = store.read_table(demo.DEMO_LA_CODE, "ward_fixed_coverage", store=copy)
    older = table.assign(release="202507", premises_gigabit=table["premises_gigabit"] // 2)
    pd.concat([older, table]).to_parquet(copy / demo.DEMO_LA_CODE / "ward_fixed_coverage.parquet")
    monkeypatch.setenv("DIM_STORE", str(copy))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["ward"] = "E05999001"
    at.run()
    assert not at.exception
    assert any(m.value.startswith("Fixed broadband in this ward across") for m in at.markdown)
    trend = next(t for t in map(labelled, at.dataframe) if "Data month" in t.columns)
    assert trend["Data month"].tolist() == ["202507", "202601"]


def test_the_ward_table_keeps_numbers_numeric_and_sorts_them_as_numbers(app):
    app.sidebar.selectbox(key="indicator").set_value("residents").run()
    table = app.dataframe[0].value
    assert pd.api.types.is_numeric_dtype(table["residents"])  # formatted by column_config
    order = sorted(table["residents"], reverse=INDICATORS["residents"].higher_is_worse)
    assert table["residents"].tolist() == order
    assert table["residents"].max() >= 10_000 > table["residents"].min()  # 5 and 4 digits
    config = json.loads(app.dataframe[0].proto.columns)
    assert config["residents"]["type_config"]["format"] == "localized"


def test_the_postcode_placeholder_is_a_postcode_of_the_place_and_finds_its_ward(app, demo_store):
    postcodes = store.read_table(demo.DEMO_LA_CODE, "postcodes", store=demo_store)
    box = app.sidebar.text_input(key="postcode")
    example = box.placeholder.removeprefix("e.g. ")
    row = postcodes.set_index("postcode").loc[example]
    box.set_value(example).run()
    assert app.selectbox(key="ward").value == row["ward_code"]
    assert any(
        m.value.startswith(f"#### {_name(demo_store, row['ward_code'])}") for m in app.markdown
    )


def _name(demo_store, code: str) -> str:
    return (
        store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
        .set_index("ward_code")
        .loc[code, "ward_name"]
    )


def test_the_pack_of_the_link_states_the_figures_on_the_screen(app, demo_store):
    from evidence import build_pack, render_pdf, ward_csv
    from evidence.view import ViewState
    from geo import index

    app.slider(key="top").set_value(8).run()
    app.slider(key="w:default:demography").set_value(9).run()
    shown = {m.label: m.value for m in app.metric}
    view, refused = ViewState.from_query(dict(app.query_params), places=[demo.DEMO_LA_CODE])
    assert refused == [] and view.priority_wards == 8 and view.custom_weights
    pack = build_pack(demo.DEMO_LA_CODE, store_dir=demo_store, view=view)
    # the figures by hand from the ward table: the 8 highest-ranked wards with these weights
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    ranks = index.compute_index(wards, index.DEFAULT_SPEC.with_weight("demography", 9))
    top8 = wards[ranks["risk_rank"] <= 8]
    assert shown["Residents in priority wards"] == f"{int(top8['residents'].sum()):,}"
    assert shown["Residents 65+ in priority wards"] == f"{int(top8['residents_65_plus'].sum()):,}"
    pages = PdfReader(io.BytesIO(render_pdf(pack))).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Priority wards: the 8 with the highest risk index." in text
    assert (
        f"They hold {shown['Residents in priority wards']} residents, "
        f"{shown['Residents 65+ in priority wards']} of them aged 65 or over." in text
    )
    csv = pd.read_csv(io.BytesIO(ward_csv(pack)), encoding="utf-8-sig")
    assert set(csv.loc[csv["Priority ward (yes/no)"] == "yes", "Ward code"]) == set(
        top8["ward_code"]
    )


@pytest.fixture
def trafford_app(trafford_store, monkeypatch):
    """The app on real Trafford: no ward-level fixed broadband (no output-area file)."""
    monkeypatch.setenv("DIM_STORE", str(trafford_store))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def test_on_trafford_what_is_not_known_by_ward_is_said_beside_the_figures(trafford_app):
    at = trafford_app
    said = [i.value for i in at.info]
    assert any(s.startswith("The infrastructure part of the risk index is not known") for s in said)
    assert any(s.startswith("Fixed broadband is not known by ward here") for s in said)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Premises below the USO there"] == "not known"
    assert metrics["Residents in double not-spots"] == "not known"  # never 0
    captions = [c.value for c in at.caption]
    assert "Not known: fixed broadband is not known by ward here." in captions
    assert "Parts used: demography (weight 5), deprivation (weight 5)." in " ".join(
        m.value for m in at.markdown
    )


def test_on_trafford_weights_that_change_nothing_are_disabled_with_the_reason(trafford_app):
    at = trafford_app
    assert at.slider(key="w:default:infrastructure").proto.disabled
    below_uso = at.slider(key="w:default:infrastructure:pct_premises_below_uso")
    assert below_uso.proto.disabled
    assert "the local authority's figure on every ward" in below_uso.proto.help
    assert not at.slider(key="w:default:demography:pct_residents_65_plus").proto.disabled
    assert at.slider(key="fixed_threshold").proto.disabled


def test_on_trafford_an_outline_that_cannot_be_drawn_says_so_on_the_map(trafford_app):
    at = trafford_app
    at.radio(key="outline").set_value("fixed_not_spot").run()
    page = at.get("component_instance")[0].proto.json_args
    assert "Fixed broadband not-spots cannot be outlined: not known by ward here." in page


def test_on_trafford_an_la_figure_is_said_to_be_one(trafford_app):
    at = trafford_app
    at.sidebar.selectbox(key="indicator").set_value("la_pct_premises_below_uso").run()
    caption = at.caption[0].value
    assert "one figure for the whole local authority, shown on every ward as context" in caption
    assert "Measured for each ward" not in caption
