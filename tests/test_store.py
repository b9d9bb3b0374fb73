import json

import geopandas as gpd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely import box

from geo import maps
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


def kilometre_wards():
    """Three 1 km wards in England (metre-sized boxes would vanish at 5 decimals of a degree)."""
    return wards(3).set_geometry(wards(3).scale(1000, 1000, origin=(0, 0)).translate(4e5, 3e5))


def test_map_geometry_round_trip(tmp_path):
    table = kilometre_wards()
    shapes = maps.simplify_for_map(table)
    store.write_place(table, manifest(), store=tmp_path, map_geometry=shapes.geometry)
    assert_geodataframe_equal(store.read_map_wards("E08000001", store=tmp_path), shapes)
    # analysis keeps the full geometry, EPSG:27700
    assert_geodataframe_equal(store.read_wards("E08000001", store=tmp_path), table)


def test_place_without_map_geometry_is_simplified_on_read(tmp_path):
    table = kilometre_wards()
    store.write_place(table, manifest(), store=tmp_path)
    assert not (tmp_path / "E08000001" / store.MAP_FILE).exists()
    assert_geodataframe_equal(
        store.read_map_wards("E08000001", store=tmp_path), maps.simplify_for_map(table)
    )


def test_misaligned_map_geometry_is_refused(tmp_path):
    table = kilometre_wards()
    shapes = maps.simplify_for_map(table).geometry.iloc[:2]
    with pytest.raises(IngestError, match="not indexed like its 3 wards"):
        store.write_place(table, manifest(), store=tmp_path, map_geometry=shapes)
    assert not (tmp_path / "E08000001").exists()


def test_built_places_store_map_geometry(demo_store):
    from ingest import demo

    mapped = store.read_map_wards(demo.DEMO_LA_CODE, store=demo_store)
    assert (demo_store / demo.DEMO_LA_CODE / store.MAP_FILE).is_file()
    assert mapped.crs.to_epsg() == 4326
    full = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    assert mapped["ward_code"].tolist() == full["ward_code"].tolist()
    manifest_ = store.read_manifest(demo.DEMO_LA_CODE, store=demo_store)
    assert manifest_["map_tolerance_m"] == maps.MAP_TOLERANCE_M
    assert manifest_["store_version"] == store.STORE_VERSION
