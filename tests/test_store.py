import json

import geopandas as gpd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely import box

from ingest import store
from ingest._errors import IngestError


def wards(n=3):
    return gpd.GeoDataFrame(
        {"ward_code": [f"E05{i:06d}" for i in range(n)], "premises": list(range(n))},
        geometry=[box(i, 0, i + 1, 1) for i in range(n)],
        crs="EPSG:27700",
    )


def manifest(**extra):
    return {"la_code": "E08000001", "la_name": "Testville", "built_at": "2026-01-01", **extra}


def test_round_trip(tmp_path):
    store.write_place(wards(), manifest(), store=tmp_path)
    assert_geodataframe_equal(store.read_wards("E08000001", store=tmp_path), wards())
    assert store.read_manifest("E08000001", store=tmp_path)["wards"] == 3
    assert [p["la_code"] for p in store.list_places(tmp_path)] == ["E08000001"]


def test_rebuild_replaces_the_place_whole(tmp_path):
    store.write_place(wards(3), manifest(), store=tmp_path)
    store.write_place(wards(5), manifest(), store=tmp_path)
    assert len(store.read_wards("E08000001", store=tmp_path)) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["E08000001"]


def test_failed_write_keeps_the_previous_place(tmp_path):
    store.write_place(wards(3), manifest(), store=tmp_path)
    with pytest.raises(TypeError):
        store.write_place(wards(4), manifest(unserialisable=object()), store=tmp_path)
    assert len(store.read_wards("E08000001", store=tmp_path)) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["E08000001"]
    assert json.loads((tmp_path / "E08000001" / "manifest.json").read_text())["wards"] == 3


def test_duplicated_wards_are_refused(tmp_path):
    dup = wards(2)
    dup["ward_code"] = "E05000001"
    with pytest.raises(IngestError, match="duplicated ward codes"):
        store.write_place(dup, manifest(), store=tmp_path)


def test_missing_place_says_how_to_build_it(tmp_path):
    with pytest.raises(IngestError, match="python -m ingest build --la E09000001"):
        store.read_wards("E09000001", store=tmp_path)
