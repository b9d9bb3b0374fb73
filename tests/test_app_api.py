"""The app on a place with Ofcom API figures: layers by network, intervals, the live lookup."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from app_tables import labelled
from http_server import FixtureServer
from streamlit.testing.v1 import AppTest

from geo import api_coverage
from ingest import demo, store
from ingest.sources import ofcom_api

APP = str(Path(__file__).resolve().parents[1] / "app.py")
KEY = "app-test-key-91c2"


def test_mobile_layers_by_network_are_offered_and_say_their_source(app) -> None:
    for op, name in api_coverage.OPERATORS.items():
        app.sidebar.selectbox(key="indicator").set_value(f"pct_premises_no_indoor_data_{op}").run()
        assert not app.exception
        caption = " ".join(c.value for c in app.caption)
        assert name in labelled(app.dataframe[0]).columns[1]
        assert ofcom_api.ATTRIBUTION in caption
        assert "postcodes checked" in caption


def test_double_not_spots_are_counted_on_premises_with_their_range(app, demo_store) -> None:
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    metric = next(m for m in app.metric if m.label == "Premises in double not-spots")
    low = round(wards["premises_in_double_not_spots_low"].sum())
    high = round(wards["premises_in_double_not_spots_high"].sum())
    assert f"95 % interval {low:,} to {high:,}" in metric.value  # four demo wards are sampled


def test_a_sampled_ward_card_says_fewer_than_never_zero(app, demo_store) -> None:
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store).set_index("ward_code")
    sampled = wards[
        (wards["postcodes_checked_both"] < wards["postcodes_live"])
        & (wards["premises_double_not_spot_checked"] < api_coverage.RARE_EVENTS)
    ]
    assert not sampled.empty, "the demo should sample a ward with few double not-spots"
    app.selectbox(key="ward").set_value(sampled.index[0]).run()
    table = next(d.value for d in app.dataframe if "Figure" in d.value.columns)
    said = table.set_index("Figure").loc["Premises in double not-spots", "Ward"]
    assert said.startswith("fewer than ") and said.endswith(" premises")
    assert "0 premises (95 %" not in said


def test_live_lookup_shows_each_network_for_the_postcode(demo_store, monkeypatch, tmp_path):
    postcode = store.read_table(demo.DEMO_LA_CODE, "postcodes", store=demo_store)["postcode"][0]
    code = ofcom_api.api_postcode(postcode)
    premises = [
        {"UPRN": 100020416746 + i, "AddressShortDescription": f"{i} Hidden Lane", "PostCode": code,
         **dict.fromkeys(ofcom_api.MOBILE_FIELDS, 4 if i else 1)}
        for i in range(3)
    ]  # fmt: skip
    speeds = [
        {"UPRN": p["UPRN"], "PostCode": code, **dict.fromkeys(ofcom_api.BROADBAND_FIELDS, 50.0)}
        for p in premises
    ]
    with FixtureServer() as server:
        server.route(f"/mobile/coverage/{code}", json.dumps({"PostCode": code,
                     "Availability": premises, "DBName": "X"}).encode())  # fmt: skip
        server.route(f"/broadband/coverage/{code}", json.dumps(speeds).encode())  # array variant
        monkeypatch.setenv("DIM_STORE", str(demo_store))
        monkeypatch.setenv("DIM_CACHE", str(tmp_path))
        monkeypatch.setenv("OFCOM_API_KEY", KEY)
        monkeypatch.setenv("DIM_OFCOM_API_URL", server.url(""))
        at = AppTest.from_file(APP, default_timeout=60).run()
        at.sidebar.text_input(key="postcode").set_value(postcode).run()
        assert not at.exception, at.exception
        at.sidebar.text_input(key="postcode").set_value("").run()
        at.sidebar.text_input(key="postcode").set_value(postcode.lower()).run()
        assert server.count(f"/mobile/coverage/{code}") == 1  # the second answer is cached
    networks = at.sidebar.dataframe[0].value
    assert networks.loc["EE", "Indoor data"] == 2
    assert networks.loc["No network", "Indoor data"] == 1
    assert at.sidebar.dataframe[1].value.loc["Premises with a predicted speed", "Premises"] == 3
    shown = " ".join(str(e.value) for e in [*at.sidebar.caption, *at.sidebar.markdown])
    assert ofcom_api.ATTRIBUTION in shown
    assert "Hidden Lane" not in shown and KEY not in shown
    for path in tmp_path.rglob("*.json.gz"):
        text = gzip.decompress(path.read_bytes())
        assert b"Hidden Lane" not in text and KEY.encode() not in text
