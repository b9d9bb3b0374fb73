import hashlib

import geopandas as gpd
import pandas as pd
import pytest

from geo.joins import assign_to_wards
from ingest import build, census, demo, ofcom_fixed, store
from ingest.discover import discover


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes(tmp_path, demo_sources):
    again = demo.write_demo_sources(tmp_path / "again")
    first_folder = demo_sources["wards"].parent
    assert digests(tmp_path / "again") == digests(first_folder)
    assert set(again) == set(demo.FILES)


def test_another_seed_another_place(tmp_path, demo_sources):
    demo.write_demo_sources(tmp_path / "other", seed=demo.DEMO_SEED + 1)
    other = digests(tmp_path / "other")
    first = digests(demo_sources["wards"].parent)
    assert other[demo.FILES["ofcom_fixed_oa"]] != first[demo.FILES["ofcom_fixed_oa"]]


def test_output_areas_nest_in_the_ward_they_were_drawn_in():
    place = demo.generate_place()
    assert 20 <= len(place.wards) <= 40
    assigned = assign_to_wards(place.oas, place.wards, area_code="oa_code")
    assert assigned.to_dict() == dict(
        zip(place.oas["oa_code"], place.oas["ward_code"], strict=True)
    )
    # Wards tile the place: no overlaps between neighbours.
    total = place.wards.geometry.area.sum()
    assert place.wards.geometry.union_all().area == pytest.approx(total, rel=1e-9)


def test_every_file_says_it_is_synthetic(demo_sources):
    folder = demo_sources["wards"].parent
    assert "synthetic" in (folder / "SYNTHETIC_DEMO_DATA.txt").read_text()
    assert "synthetic" in demo_sources["census_age"].read_text().lower()
    assert "(synthetic demo)" in demo_sources["ofcom_mobile_la"].read_text()


def test_build_conserves_premises_and_residents(demo_store, demo_sources):
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    manifest = store.read_manifest(demo.DEMO_LA_CODE, store=demo_store)
    fixed = ofcom_fixed.read_fixed_oa(demo_sources["ofcom_fixed_oa"])
    people = census.read_census_age(demo_sources["census_age"])
    assert wards["premises"].sum() == fixed["premises"].sum() == manifest["totals"]["premises"]
    assert wards["residents"].sum() == people["residents"].sum()
    assert wards["output_areas"].sum() == len(fixed)
    assert manifest["synthetic"] is True
    assert {s["role"] for s in manifest["sources"]} == set(demo.FILES)
    assert manifest["fixed_broadband_level"] == "ward"
    # The LA-level Ofcom row is the sum of the output areas, as in Ofcom's own files.
    la = store.read_table(demo.DEMO_LA_CODE, "la_fixed_coverage", store=demo_store)
    assert la["premises"].iloc[0] == fixed["premises"].sum()
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"])


def test_ward_indicators_have_no_gaps(demo_store):
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    from geo.indicators import INDICATORS

    assert not wards[list(INDICATORS)].isna().any().any()
    assert wards.crs.to_epsg() == 27700
    # Rates are recomputed from counts, never averaged.
    expected = 100 * wards["premises_below_uso"] / wards["premises"]
    pd.testing.assert_series_equal(wards["pct_premises_below_uso"], expected, check_names=False)


def test_demo_postcodes_are_in_their_output_area_ward(demo_store, demo_sources):
    table = store.read_table(demo.DEMO_LA_CODE, "postcodes", store=demo_store)
    assert table["postcode"].is_unique and len(table) > 4_000
    assert set(table["ward_method"]) == {"lookup"}
    points = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
    ).to_crs("EPSG:27700")
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    inside = gpd.sjoin(points, wards[["ward_code", "geometry"]], predicate="within")
    assert (inside["ward_code_left"] == inside["ward_code_right"]).mean() > 0.99


def test_discover_recognises_every_demo_file(demo_sources):
    inventory = discover(demo_sources["wards"].parent)
    assert inventory.unrecognised == []
    found = {role: paths[0] for role, paths in inventory.files.items()}
    assert found == demo_sources


def test_a_failed_rebuild_leaves_the_previous_store_intact(tmp_path, demo_sources, demo_store):
    import shutil

    from ingest._errors import IngestError

    store_dir = tmp_path / "store"
    shutil.copytree(demo_store, store_dir)
    before = (store_dir / demo.DEMO_LA_CODE / "manifest.json").read_bytes()
    broken = tmp_path / "broken"
    shutil.copytree(demo_sources["wards"].parent, broken)
    (broken / demo.FILES["census_age"]).write_text("RM121 - Sex by age\nnot,a,table\n")
    with pytest.raises(IngestError):
        build.build_place(demo.DEMO_LA_CODE, broken, store_dir=store_dir, verbose=False)
    assert (store_dir / demo.DEMO_LA_CODE / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in store_dir.iterdir()) == [demo.DEMO_LA_CODE]


def test_every_output_area_release_is_summed_to_wards_for_trends(tmp_path, demo_sources):
    import csv
    import io
    import shutil

    from geo.trends import fixed_trend

    folder = tmp_path / "sources"
    shutil.copytree(demo_sources["wards"].parent, folder)
    newest = folder / demo.FILES["ofcom_fixed_oa"]
    rows = list(csv.reader(io.StringIO(newest.read_text())))
    count = rows[0].index("Number of premises with Gigabit availability")
    share = rows[0].index("Gigabit availability (% premises)")
    for row in rows[1:]:  # an older release: half the gigabit premises
        row[count] = str(int(row[count]) // 2)
        row[share] = f"{100 * int(row[count]) / int(row[1]):.1f}"
    older = io.StringIO()
    csv.writer(older, lineterminator="\n").writerows(rows)
    (folder / "202507_fixed_oa_coverage_r1.csv").write_text(older.getvalue())

    built = tmp_path / "store"
    build.build_place(demo.DEMO_LA_CODE, folder, store_dir=built, verbose=False)
    wards = store.read_wards(demo.DEMO_LA_CODE, store=built)
    by_release = store.read_table(demo.DEMO_LA_CODE, "ward_fixed_coverage", store=built)
    assert sorted(by_release["release"].unique()) == ["202507", "202601"]
    # the ward table holds the newest release; each release conserves the premises
    newest_rows = by_release[by_release["release"] == "202601"].set_index("ward_code")
    assert (newest_rows.loc[wards["ward_code"], "premises_gigabit"].to_numpy()
            == wards["premises_gigabit"].to_numpy()).all()  # fmt: skip
    expected = sum(int(r[count]) for r in rows[1:])
    assert by_release.loc[by_release["release"] == "202507", "premises_gigabit"].sum() == expected
    trend = fixed_trend(by_release, area="ward_code")
    one = trend[trend["ward_code"] == wards["ward_code"].iloc[0]]
    assert one["period"].tolist() == ["202507", "202601"]
    assert one["pct_gigabit"].iloc[0] < one["pct_gigabit"].iloc[1]
