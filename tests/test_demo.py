import hashlib

import geopandas as gpd
import pandas as pd
import pytest

from geo.joins import assign_to_wards
from ingest import build, demo, store
from ingest._tables import release_month
from ingest.discover import discover
from ingest.sources import bduk, census, ofcom_fixed, ons_geography

#: Roles the build read before the premises-level files (issue 13); the lead wires the others.
BUILT_ROLES = {
    "wards", "output_areas", "lsoa_ward_lookup", "ofcom_fixed_oa", "ofcom_fixed_la",
    "ofcom_mobile_la", "iod", "census_age", "postcodes", "venues",
}  # fmt: skip


def digests(folder):
    """SHA-256 of every file under ``folder`` (the API cache's too), by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path, demo_sources):
    again = demo.write_demo_sources(tmp_path / "again")
    first_folder = demo_sources["wards"].parent
    assert digests(tmp_path / "again") == digests(first_folder)
    assert set(again) == set(demo.FILES)


def test_another_seed_another_place(tmp_path, demo_sources):
    demo.write_demo_sources(tmp_path / "other", seed=demo.DEMO_SEED + 1)
    other = digests(tmp_path / "other")
    first = digests(demo_sources["wards"].parent)
    for role in (
        "ofcom_fixed_oa",
        "bduk_premises",
        "ofcom_mobile_not_spots",
        "ofcom_fixed_postcode",
    ):
        assert other[demo.FILES[role]] != first[demo.FILES[role]]


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
    assert {s["role"] for s in manifest["sources"]} >= BUILT_ROLES
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
    found = {path: role for role, paths in inventory.files.items() for path in paths}
    # both BDUK releases play one role, as both IoD editions do; the build tells them apart
    expected = {path: demo.SECOND_RELEASES.get(role, role) for role, path in demo_sources.items()}
    assert found == expected


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


@pytest.fixture(scope="module")
def bduk_releases(demo_sources):
    """Both demo BDUK releases read through the real reader: month -> premises."""
    return {
        month: bduk.read_bduk_premises(demo_sources[role])
        for role, month in demo.BDUK_MONTHS.items()
    }


@pytest.fixture(scope="module")
def directory(demo_sources):
    """The demo's postcode directory: postcode -> ward code."""
    table = ons_geography.read_postcodes(demo_sources["postcodes"])
    return table.set_index("postcode")["ward_code"]


@pytest.fixture(scope="module")
def ward_gigabit(demo_sources):
    """Premises and gigabit share (%) of each ward in the demo's Ofcom OA file."""
    oas = ofcom_fixed.read_fixed_oa(demo_sources["ofcom_fixed_oa"])
    ward_of = demo.generate_place().oas.set_index("oa_code")["ward_code"]
    wards = oas.groupby(oas["oa_code"].map(ward_of))[["premises", "premises_gigabit"]].sum()
    return wards.assign(pct_gigabit=100 * wards["premises_gigabit"] / wards["premises"])


def no_plan(premises):
    """Premises with no gigabit and no plan of any kind (BDUK's columns, spelt out here)."""
    planned = premises[["current_gigabit", "future_gigabit", "in_gis_contract",
                        "in_voucher_project"]].any(axis=1)  # fmt: skip
    return ~planned & (premises["subsidy_status"] != "under_review")


def test_bduk_files_are_in_the_real_layout_and_named_by_release(demo_sources, bduk_releases):
    for role, month in demo.BDUK_MONTHS.items():
        path = demo_sources[role]
        header = path.read_text(encoding="utf-8-sig").split("\n", 1)[0]
        assert header == ",".join(bduk.HEADER_2025)
        assert release_month(path) == month == bduk_releases[month].attrs["release_month"]
        body = path.read_text(encoding="utf-8-sig").splitlines()[1:]
        assert {line.split(",")[2] for line in body} == {"true", "false"}  # flags as BDUK
    # one release with a BOM and one without, as downloads come
    assert demo_sources["bduk_premises_previous"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert not demo_sources["bduk_premises"].read_bytes().startswith(b"\xef\xbb\xbf")
    for premises in bduk_releases.values():
        assert set(premises["la_code"]) == {demo.DEMO_LA_CODE}
        uprn = premises["uprn"].astype(str)
        assert uprn.str.fullmatch(r"9999\d{8}").all() and premises["uprn"].is_monotonic_increasing
        assert set(premises["subsidy_status"]) == {"white", "grey_or_black", "under_review"}
        assert premises["recognised"].mean() > 0.97
        assert (
            premises[["gis_contract_name", "gis_supplier"]]
            .notna()
            .all(axis=1)
            .eq(premises["in_gis_contract"])
            .all()
        )


def test_bduk_premises_are_the_ofcom_premises_placed_or_counted_unplaced(
    bduk_releases, directory, ward_gigabit
):
    premises = bduk_releases["2025-07"]
    assert len(premises) == ward_gigabit["premises"].sum()
    assert premises["current_gigabit"].sum() == ward_gigabit["premises_gigabit"].sum()
    placed = premises["postcode"].isin(directory.index)
    no_postcode = premises["postcode_problem"] == "no postcode"
    unknown = premises["postcode"].notna() & ~placed
    assert (no_postcode.sum(), unknown.sum()) == (4, 3)
    assert placed.sum() + no_postcode.sum() + unknown.sum() == len(premises)
    by_ward = premises.loc[placed, "postcode"].map(directory).value_counts()
    shortfall = ward_gigabit["premises"] - by_ward.reindex(ward_gigabit.index, fill_value=0)
    assert shortfall.min() >= 0 and shortfall.sum() == 7
    per_postcode = premises.loc[placed].groupby("postcode").size()
    assert per_postcode.index.size == directory.index.size  # every postcode has premises
    assert 14 <= per_postcode.mean() <= 19 and per_postcode.max() >= 3 * per_postcode.mean()


def test_no_plan_premises_are_where_ofcom_shows_poor_gigabit(bduk_releases, directory,
                                                             ward_gigabit):  # fmt: skip
    premises = bduk_releases["2025-07"]
    ward = premises["postcode"].map(directory)
    share = no_plan(premises).groupby(ward).mean().reindex(ward_gigabit.index)
    order = ward_gigabit["pct_gigabit"].sort_values().index
    worst, best = share[order[:7]].mean(), share[order[-7:]].mean()
    assert worst > best + 0.08
    assert share.corr(ward_gigabit["pct_gigabit"], method="spearman") < -0.5
    # Project Gigabit reaches the poorly served wards, not the well served ones
    gis = premises["in_gis_contract"].groupby(ward).mean().reindex(ward_gigabit.index)
    assert gis[order[:7]].mean() > 3 * gis[order[-7:]].mean()


def test_the_two_bduk_releases_differ_as_a_what_changed_table_needs(bduk_releases):
    march, july = (bduk_releases[m].set_index("uprn") for m in ("2025-03", "2025-07"))
    assert march.index.isin(july.index).all()
    new = july.index.difference(march.index)
    assert 20 <= len(new) <= 500 and july.loc[new, "current_gigabit"].all()
    both = march.index
    gained = ~march["current_gigabit"] & july.loc[both, "current_gigabit"]
    into_contract = no_plan(march) & july.loc[both, "in_gis_contract"]
    out_of_review = (march["subsidy_status"] == "under_review") & (
        july.loc[both, "subsidy_status"] != "under_review"
    )
    assert gained.sum() > 500 and into_contract.sum() > 500 and out_of_review.sum() > 500
    assert not (march["current_gigabit"] & ~july.loc[both, "current_gigabit"]).any()
    contracts = {m: set(bduk_releases[m]["gis_contract_name"].dropna()) for m in bduk_releases}
    assert contracts["2025-03"] < contracts["2025-07"] and len(contracts["2025-07"]) == 2
    dates = set(bduk_releases["2025-07"]["gis_final_coverage_date"].dropna())
    assert dates == {"2027-03-31", "2028-09-30"}
    vouchers = bduk_releases["2025-07"]["voucher_contract_name"].dropna()
    assert vouchers.nunique() == 3


def test_fixed_postcode_file_reads_and_sums_back_to_the_output_area_figures(
    demo_sources, bduk_releases, directory, ward_gigabit
):
    table = ofcom_fixed.read_fixed_postcode(demo_sources["ofcom_fixed_postcode"])
    assert set(table["postcode_space"]) == set(directory.index) and table["postcode"].is_unique
    assert set(table["postcode_area"]) == {"DM"}
    cells = pd.read_csv(demo_sources["ofcom_fixed_postcode"], dtype=str).iloc[:, 3:]
    assert cells.stack().str.fullmatch(r"\d{1,3}\.\d").all()  # one decimal: 100.0, not 100
    # weighted by the premises of each postcode, wards get the OA file's gigabit share
    premises = bduk_releases["2025-07"]
    weights = premises["postcode"].value_counts().reindex(table["postcode_space"]).to_numpy()
    ward = table["postcode_space"].map(directory).to_numpy()
    gigabit = (table["pct_premises_gigabit"] * weights).groupby(ward).sum()
    estimate = gigabit / pd.Series(weights).groupby(ward).sum()
    assert (estimate - ward_gigabit["pct_gigabit"]).abs().max() < 0.15


def test_fixed_postcode_file_has_the_real_header(demo_sources, shared_data):
    real = shared_data / "ofcom_fixed_small_area_excerpts" / "202601_fixed_pc_coverage_r2_CR.csv"
    first_line = lambda path: path.read_text().split("\n", 1)[0]  # noqa: E731
    assert first_line(demo_sources["ofcom_fixed_postcode"]) == first_line(real)


def test_not_spot_postcodes_cluster_where_fixed_lines_are_also_poor(
    demo_sources, directory, ward_gigabit
):
    path = demo_sources["ofcom_mobile_not_spots"]
    assert path.read_text().split("\n", 1)[0] == "postcode"
    notspots = pytest.importorskip("ingest.sources.ofcom_notspots")
    listed = notspots.read_not_spot_postcodes(path)
    assert listed.attrs["release_month"] == "2025-07"
    assert listed["postcode"].isin(directory.index).all()
    wards = listed["postcode"].map(directory).value_counts()
    assert len(wards) > 4 and wards.iloc[:4].sum() >= 0.95 * len(listed)
    assert (ward_gigabit.loc[wards.index[:4], "pct_gigabit"]
            < ward_gigabit["pct_gigabit"].median()).all()  # fmt: skip
    fixed = ofcom_fixed.read_fixed_postcode(demo_sources["ofcom_fixed_postcode"])
    slow = fixed.set_index("postcode_space").loc[listed["postcode"], "pct_premises_below_10mbit"]
    assert (slow > 0).sum() >= 20  # double not-spots: no mobile signal, below 10 Mbit/s


def test_constituency_lookup_groups_the_wards_into_contiguous_constituencies(demo_sources):
    path = demo_sources["ward_constituency_lookup"]
    assert path.read_text().split("\n", 1)[0] == "WD22CD,WD22NM,PCON22CD,PCON22NM,LAD22CD,LAD22NM"
    try:
        from ingest.sources import constituencies
    except ImportError:  # its reader is being written (issue 13): read the plain CSV
        lookup = pd.read_csv(path, dtype=str).rename(
            columns={
                "WD22CD": "ward_code",
                "PCON22CD": "constituency_code",
                "PCON22NM": "constituency_name",
            }
        )
    else:
        lookup = constituencies.read_ward_constituencies(path, la_code=demo.DEMO_LA_CODE)
        assert lookup.attrs["vintages"] == {"ward": "2022", "constituency": "2022", "la": "2022"}
    place = demo.generate_place()
    assert sorted(lookup["ward_code"]) == sorted(place.wards["ward_code"])
    names = lookup.groupby("constituency_code")["constituency_name"].unique()
    assert set(names.index) == set(demo.CONSTITUENCY_CODES)
    assert all(len(n) == 1 and "(synthetic)" in n[0] for n in names)
    assert lookup["constituency_name"].nunique() == len(demo.CONSTITUENCY_CODES)
    sizes = lookup["constituency_code"].value_counts()
    assert sizes.max() - sizes.min() <= 1
    joined = place.wards.merge(lookup[["ward_code", "constituency_code"]], on="ward_code")
    shapes = joined.dissolve("constituency_code").geometry.buffer(1)  # touching wards share an edge
    assert (shapes.geom_type == "Polygon").all()


def test_mobile_constituency_file_reads_and_sums_to_the_place(demo_sources, directory):
    from ingest.sources import ofcom_mobile

    rows = ofcom_mobile.read_mobile_constituency(demo_sources["ofcom_mobile_constituency"])
    assert sorted(rows["constituency_code"]) == list(demo.CONSTITUENCY_CODES)
    la = ofcom_mobile.read_mobile_la(demo_sources["ofcom_mobile_la"])
    assert rows["premises"].sum() == la["premises"].iloc[0]
    assert abs(rows["landmass_pixels"].sum() - la["landmass_pixels"].iloc[0]) <= 3
    lookup = pd.read_csv(demo_sources["ward_constituency_lookup"], dtype=str)
    constituency_of = lookup.set_index("WD22CD")["PCON22CD"]
    listed = pd.read_csv(demo_sources["ofcom_mobile_not_spots"])["postcode"]
    most_listed = listed.map(directory).map(constituency_of).value_counts().index[0]
    worst = rows.set_index("constituency_code")["pct_premises_4g_indoor_0_operators"].idxmax()
    assert worst == most_listed
