from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.indicators import INDICATORS
from ingest import demo, store

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app(demo_store, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


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
        assert INDICATORS[name].label in app.dataframe[0].value.columns


def test_empty_store_explains_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "make run" in at.error[0].value
