"""Ookla tiles to wards: quadkey maths, aggregation, conservation, reader errors, dask path."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import box

from geo import premises
from geo.premises import OUTSIDE_WARDS
from ingest._errors import IngestError
from ingest.sources import ookla

ZOOM = premises.OOKLA_ZOOM
#: Tile row of the synthetic tiles: about 51.5 degrees N (London).
ROW = 21_792


def reference_quadkey(x: int, y: int, zoom: int) -> str:
    """Bing Maps' TileXYToQuadKey, one tile at a time: the oracle for the vectorised code."""
    digits = []
    for level in range(zoom, 0, -1):
        mask = 1 << (level - 1)
        digits.append(str((1 if x & mask else 0) + (2 if y & mask else 0)))
    return "".join(digits)


def tile_box(x: int, y: int = ROW, *, to: int | None = None) -> box:
    """The polygon (EPSG:4326) of tiles ``x`` to ``to`` (inclusive) in row ``y``."""
    west, south, _, north = premises.tile_bounds([x], [y])
    _, _, east, _ = premises.tile_bounds([x if to is None else to], [y])
    return box(west[0], south[0], east[0], north[0])


def tiles_frame(xs, download, upload, tests, devices, y: int = ROW) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quadkey": premises.tile_to_quadkey(xs, np.full(len(xs), y)),
            "download_kbps": np.asarray(download, dtype=np.int64),
            "upload_kbps": np.asarray(upload, dtype=np.int64),
            "tests": np.asarray(tests, dtype=np.int64),
            "devices": np.asarray(devices, dtype=np.int64),
        }
    )


@pytest.fixture
def two_wards() -> gpd.GeoDataFrame:
    """W1 holds tiles 100-101 of the row, W2 tile 102; tile 103 is in no ward."""
    return gpd.GeoDataFrame(
        {"ward_code": ["W2", "W1"]},
        geometry=[tile_box(32_102), tile_box(32_100, to=32_101)],
        crs="EPSG:4326",
    )


@pytest.fixture
def five_tiles() -> pd.DataFrame:
    return tiles_frame(
        [32_100, 32_101, 32_102, 32_103, 32_103 - 2_000],
        download=[8_000, 20_000, 50_000, 9_999, 70_000],
        upload=[1_000, 2_000, 10_000, 500, 7_000],
        tests=[2, 3, 10, 4, 1],
        devices=[1, 2, 6, 4, 1],
    )


# --- quadkey maths ---------------------------------------------------------------------------


def test_bing_maps_example_quadkey():
    # Bing Maps Tile System documentation: tile (3, 5) at level 3 has quadkey "213".
    x, y = premises.quadkey_to_tile(["213"], zoom=3)
    assert (x.tolist(), y.tolist()) == ([3], [5])
    assert premises.tile_to_quadkey([3], [5], zoom=3).tolist() == ["213"]


def test_a_published_ookla_tile_has_the_polygon_and_centre_ookla_gives():
    # One row of an Ookla 2023+ tile file as printed by ogrinfo: quadkey 0230131221113313,
    # tile POLYGON((-114.614868164062 34.8273320619816, -114.609375 34.8273320619816,
    # -114.609375 34.822822727237, ...)), tile_x -114.6121, tile_y 34.8251.
    x, y = premises.quadkey_to_tile(["0230131221113313"])
    west, south, east, north = (v[0] for v in premises.tile_bounds(x, y))
    assert west == pytest.approx(-114.614868164062, abs=1e-9)
    assert east == pytest.approx(-114.609375, abs=1e-9)
    assert north == pytest.approx(34.8273320619816, abs=1e-9)
    assert south == pytest.approx(34.822822727237, abs=1e-9)
    lon, lat = premises.tile_centres(["0230131221113313"])
    assert (round(lon[0], 4), round(lat[0], 4)) == (-114.6121, 34.8251)


def test_charing_cross_at_zoom_16_and_back():
    # By hand: x = floor((180 - 0.1276) / 360 * 2**16) = 32744;
    # y = floor((1 - asinh(tan(51.5072 deg)) / pi) / 2 * 2**16) = 21792.
    x, y = premises.lonlat_to_tile([-0.1276], [51.5072])
    assert (x[0], y[0]) == (32_744, 21_792)
    quadkey = premises.tile_to_quadkey(x, y)[0]
    assert quadkey == reference_quadkey(32_744, 21_792, ZOOM) == "0313131311301000"
    west, south, east, north = (v[0] for v in premises.tile_bounds(x, y))
    assert west <= -0.1276 < east and south <= 51.5072 < north
    lon, lat = premises.tile_centres([quadkey])
    assert west < lon[0] < east and south < lat[0] < north


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2**ZOOM - 1), st.integers(0, 2**ZOOM - 1)),
        min_size=1,
        max_size=30,
    )
)
def test_quadkeys_match_the_one_tile_at_a_time_reference(tiles):
    xs, ys = (np.array(v) for v in zip(*tiles, strict=True))
    quadkeys = premises.tile_to_quadkey(xs, ys)
    assert quadkeys.tolist() == [reference_quadkey(x, y, ZOOM) for x, y in tiles]
    back_x, back_y = premises.quadkey_to_tile(pd.Series(quadkeys))
    assert back_x.tolist() == xs.tolist() and back_y.tolist() == ys.tolist()


def test_bad_quadkeys_are_found_whatever_the_container():
    good = "0313131311301000"
    values = [good, good[:-1], good + "0", "0313131311301004", "03131313113010a0", None, "é" * 8]
    expected = [False, True, True, True, True, True, True]
    assert premises.bad_quadkeys(values).tolist() == expected
    assert premises.bad_quadkeys(pd.Series(values, dtype="str")).tolist() == expected
    assert premises.bad_quadkeys(pa.chunked_array([values[:3], values[3:]])).tolist() == expected
    assert premises.bad_quadkeys(np.array([313131311301000])).tolist() == [True]
    with pytest.raises(ValueError, match=r"2 quadkey.*0313131311301004 at position 1"):
        premises.quadkey_to_tile([good, "0313131311301004", good[:3]])


# --- aggregation to wards --------------------------------------------------------------------


def test_ward_sums_and_speeds_by_hand(two_wards, five_tiles):
    result = premises.speeds_by_ward(five_tiles, two_wards)
    w1, w2 = result.wards.loc["W1"], result.wards.loc["W2"]
    assert result.wards.index.tolist() == ["W1", "W2"]
    assert (w1.tiles, w1.tests, w1.devices) == (2, 5, 3)
    # (8,000 x 2 + 20,000 x 3) / 5 tests = 15,200 kbps; the first tile is below 10 Mbit/s.
    assert w1.mean_download_mbit == pytest.approx(15.2)
    assert w1.mean_upload_mbit == pytest.approx((1_000 * 2 + 2_000 * 3) / 5 / 1_000)
    assert (w1.tiles_below_uso, w1.tests_below_uso, w1.pct_tests_below_uso) == (1, 2, 40.0)
    assert (w2.tiles, w2.tests, w2.mean_download_mbit, w2.tests_below_uso) == (1, 10, 50.0, 0)
    outside = result.outside
    assert (outside.tiles, outside.tests, outside.devices) == (2, 5, 5)
    # 9,999 kbps is below the USO; (9,999 x 4 + 70,000) / 5 tests.
    assert outside.tests_below_uso == 4
    assert outside.mean_download_mbit == pytest.approx((9_999 * 4 + 70_000) / 5 / 1_000)


def test_a_ward_without_tiles_is_listed_with_zero_tests(two_wards, five_tiles):
    far = gpd.GeoDataFrame({"ward_code": ["W3"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    wards = pd.concat([two_wards, far])
    result = premises.speeds_by_ward(five_tiles, wards)
    assert result.wards.loc["W3", "tests"] == 0
    assert np.isnan(result.wards.loc["W3", "mean_download_mbit"])


def test_wards_in_british_national_grid_hold_the_same_tiles(two_wards, five_tiles):
    in_4326 = premises.ward_sums(five_tiles, two_wards)
    in_27700 = premises.ward_sums(five_tiles, two_wards.to_crs("EPSG:27700"))
    pd.testing.assert_frame_equal(in_27700, in_4326)


def test_a_centre_on_a_shared_edge_goes_to_the_lower_ward_code():
    tiles = tiles_frame([32_100], download=[5_000], upload=[1_000], tests=[3], devices=[1])
    lon, lat = premises.tile_centres(tiles["quadkey"])
    left = box(lon[0] - 0.01, lat[0] - 0.01, lon[0], lat[0] + 0.01)
    right = box(lon[0], lat[0] - 0.01, lon[0] + 0.01, lat[0] + 0.01)
    for codes in (["WB", "WA"], ["WA", "WB"]):
        wards = gpd.GeoDataFrame({"ward_code": codes}, geometry=[left, right], crs="EPSG:4326")
        sums = premises.ward_sums(tiles, wards)
        assert sums["tests"].to_dict() == {"WA": 3, "WB": 0, OUTSIDE_WARDS: 0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t, w: (t.drop(columns="devices"), w), r"tiles has no column\(s\) \['devices'\]"),
        (lambda t, w: (t.assign(tests=t.tests.astype(float)), w), "'tests' has dtype float64"),
        (lambda t, w: (t.assign(devices=-t.devices), w), "'devices' has negative values"),
        (lambda t, w: (t.assign(quadkey=t.quadkey.str[:-1]), w), "5 quadkey.*not 16 digits"),
        (lambda t, w: (t, w.set_crs(None, allow_override=True)), "wards has no CRS"),
        (lambda t, w: (t.assign(download_kbps=2**40, tests=2**30), w), "too large to sum"),
    ],
)
def test_bad_arguments_are_refused(two_wards, five_tiles, change, message):
    tiles, wards = change(five_tiles, two_wards)
    with pytest.raises(ValueError, match=message):
        premises.ward_sums(tiles, wards)


def test_combining_no_partition_is_refused():
    with pytest.raises(ValueError, match="no partitions"):
        premises.combine_sums([])


counts = st.lists(
    st.tuples(
        st.integers(0, 60),  # tile column offset: 0-49 lie in the wards below, 50-60 outside
        st.integers(0, 2_000_000),  # download kbps
        st.integers(0, 200_000),  # upload kbps
        st.integers(1, 10_000),  # tests
    ),
    min_size=1,
    max_size=60,
    unique_by=lambda row: row[0],
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=counts, cuts=st.lists(st.integers(0, 60), max_size=4), edges=st.data())
def test_totals_are_conserved_and_partitions_add_up_exactly(rows, cuts, edges):
    xs, download, upload, tests = (np.array(v) for v in zip(*rows, strict=True))
    devices = np.minimum(tests, 7)
    tiles = tiles_frame(32_000 + xs, download, upload, tests, devices)
    # Wards: consecutive runs of tiles 0-49, cut at random places.
    bounds = sorted({0, 50, *edges.draw(st.lists(st.integers(1, 49), max_size=5))})
    wards = gpd.GeoDataFrame(
        {"ward_code": [f"W{i:02d}" for i in range(len(bounds) - 1)]},
        geometry=[tile_box(32_000 + a, to=32_000 + b - 1) for a, b in itertools.pairwise(bounds)],
        crs="EPSG:4326",
    )
    whole = premises.ward_sums(tiles, wards)
    assert whole.sum().to_dict() == {
        "tiles": len(tiles),
        "tests": int(tests.sum()),
        "devices": int(devices.sum()),
        "download_kbps_x_tests": int((download * tests).sum()),
        "upload_kbps_x_tests": int((upload * tests).sum()),
        "tiles_below_uso": int((download < 10_000).sum()),
        "tests_below_uso": int(tests[download < 10_000].sum()),
    }
    assert whole.loc[OUTSIDE_WARDS, "tests"] == tests[xs >= 50].sum()
    speeds = premises.ward_speeds(whole)
    assert speeds.wards["tests"].sum() + speeds.outside["tests"] == tests.sum()
    assert speeds.wards["devices"].sum() + speeds.outside["devices"] == devices.sum()

    starts = sorted({0, *(c for c in cuts if c < len(tiles))})
    parts = [tiles.iloc[a:b] for a, b in zip(starts, [*starts[1:], len(tiles)], strict=True)]
    combined = premises.combine_sums(premises.ward_sums(part, wards) for part in parts)
    pd.testing.assert_frame_equal(combined, whole)


# --- real ward boundaries --------------------------------------------------------------------


@pytest.mark.shared_data
def test_tiles_land_in_the_right_uk_nation_or_outside(shared_data):
    from ingest.sources import ons_geography

    wards = ons_geography.read_wards(
        shared_data / "ons_wards_dec2022_uk_bsc" / "Wards_December_2022_Boundaries_UK_BSC.gpkg"
    )
    places = {  # (lon, lat) of a landmark -> what its ward code or LA code must be
        "Trafford Town Hall": (-2.2878, 53.4609, "E08000009"),
        "Cardiff City Hall": (-3.1794, 51.4856, "W05"),
        "Edinburgh Castle": (-3.2008, 55.9486, "S13"),
        "Belfast City Hall": (-5.9301, 54.5964, "N08"),
        "Douglas, Isle of Man": (-4.4797, 54.1509, None),
        "North Sea": (2.5, 55.0, None),
    }
    lon, lat, expected = zip(*places.values(), strict=True)
    x, y = premises.lonlat_to_tile(lon, lat)
    tiles = tiles_frame(x, [20_000] * 6, [2_000] * 6, [1, 2, 4, 8, 16, 32], [1] * 6, y=y)
    position = premises.place_in_wards(*premises.tile_centres(tiles["quadkey"]), wards)
    for (name, want), at in zip(zip(places, expected, strict=True), position, strict=True):
        if want is None:
            assert at == -1, name
        elif want.startswith("E08"):
            assert wards["la_code"].iloc[at] == want, name
        else:
            assert wards["ward_code"].iloc[at].startswith(want), name
    sums = premises.ward_sums(tiles, wards)
    assert sums.loc[OUTSIDE_WARDS, "tests"] == 16 + 32
    assert sums["tests"].sum() == 63


# --- reader ----------------------------------------------------------------------------------

FIRST_LAYOUT = ["quadkey", "tile", "avg_d_kbps", "avg_u_kbps", "avg_lat_ms", "tests", "devices"]


def ookla_table(n: int, *, start: int = 32_000, newer: bool = False) -> pa.Table:
    """An Ookla fixed tile table of ``n`` tiles in one row, in the first or the 2023 layout."""
    xs = np.arange(start, start + n)
    west, south, east, north = premises.tile_bounds(xs, np.full(n, ROW))
    columns = {
        "quadkey": premises.tile_to_quadkey(xs, np.full(n, ROW)),
        "tile": [
            f"POLYGON(({w} {n_}, {e} {n_}, {e} {s}, {w} {s}, {w} {n_}))"
            for w, s, e, n_ in zip(west, south, east, north, strict=True)
        ],
        "avg_d_kbps": (np.arange(n) * 7_919) % 500_000,
        "avg_u_kbps": (np.arange(n) * 1_223) % 60_000,
        "avg_lat_ms": np.full(n, 12),
        "tests": np.arange(n) % 9 + 1,
        "devices": np.arange(n) % 3 + 1,
    }
    if newer:
        columns["tile_x"] = (west + east) / 2
        columns["tile_y"] = (south + north) / 2
        columns["avg_lat_down_ms"] = np.full(n, 80, dtype=np.int32)
        columns["avg_lat_up_ms"] = np.full(n, 90, dtype=np.int32)
    return pa.table(columns)


def write_parquet(table: pa.Table, path, row_group_size: int = 1_000):
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


@pytest.mark.parametrize("newer", [False, True])
def test_both_layouts_read_to_the_same_columns(tmp_path, newer):
    path = write_parquet(ookla_table(50, newer=newer), tmp_path / "tiles.parquet", 20)
    tiles = ookla.read_tiles(path)
    assert tiles.columns.tolist() == ookla.COLUMNS
    assert tiles.dtypes.iloc[1:].tolist() == [np.int64] * 4
    assert len(tiles) == 50 and tiles["tests"].sum() == ookla_table(50)["tests"].to_numpy().sum()
    assert tiles.attrs["release"].endswith("(2023 Q3 on)" if newer else "(2019 Q1 on)")
    assert [p.first_row for p in ookla.tile_pieces(path)] == [0, 20, 40]


def test_csv_reads_as_the_parquet(tmp_path):
    table = ookla_table(30, newer=True)
    parquet = ookla.read_tiles(write_parquet(table, tmp_path / "tiles.parquet"))
    table.to_pandas().to_csv(tmp_path / "tiles.csv", index=False)
    csv = ookla.read_tiles(tmp_path / "tiles.csv")
    pd.testing.assert_frame_equal(csv, parquet)


def test_an_unknown_header_is_refused_naming_file_and_column(tmp_path):
    table = ookla_table(5).rename_columns([*FIRST_LAYOUT[:2], "avg_d_mbps", *FIRST_LAYOUT[3:]])
    path = write_parquet(table, tmp_path / "2024-01-01_performance_fixed_tiles.parquet")
    with pytest.raises(IngestError, match=r"2024-01-01_performance_fixed_tiles\.parquet") as err:
        ookla.read_tiles(path)
    assert "missing column(s) ['avg_d_kbps']; unknown column(s) ['avg_d_mbps']" in str(err.value)


@pytest.mark.parametrize(
    ("column", "value", "found", "expected"),
    [
        ("quadkey", "0313131311301004", "'0313131311301004'", "16 digits 0-3"),
        ("quadkey", "031313131130100", "'031313131130100'", "16 digits 0-3"),
        ("tests", -3, "'-3'", "a whole number of 0 or more"),
        ("avg_d_kbps", -1, "'-1'", "a whole number of 0 or more"),
        ("avg_u_kbps", 1.5, "'1.5'", "a whole number of 0 or more"),
        ("devices", 99, "'99'", "no more devices than the tile's tests"),
    ],
)
def test_a_bad_cell_is_refused_naming_file_column_and_row(tmp_path, column, value, found, expected):
    frame = ookla_table(30).to_pandas()
    frame[column] = frame[column].astype(object)
    frame.loc[24, column] = value
    table = pa.Table.from_pandas(frame, preserve_index=False)
    path = write_parquet(table, tmp_path / "q1.parquet", row_group_size=10)
    message = rf"ookla: q1\.parquet, column '{column}', line 25: found {found}; expected"
    for read in (ookla.read_tiles, lambda p: ookla.read_tiles_dask(p).compute()):
        with pytest.raises(IngestError, match=message) as err:
            read(path)
        assert expected in str(err.value)
    frame.to_csv(tmp_path / "q1.csv", index=False)
    with pytest.raises(IngestError, match=rf"q1\.csv, column '{column}', line 26"):
        ookla.read_tiles(tmp_path / "q1.csv")


def test_a_blank_count_and_a_text_column_are_refused(tmp_path):
    table = ookla_table(10)
    tests = pa.array([None, *table["tests"].to_pylist()[1:]], type=pa.int64())
    blank = write_parquet(table.set_column(5, "tests", tests), tmp_path / "blank.parquet")
    with pytest.raises(IngestError, match=r"blank\.parquet, column 'tests', line 1: found nan;"):
        ookla.read_tiles(blank)
    text = table.set_column(5, "tests", pa.array([str(v) for v in table["tests"].to_pylist()]))
    with pytest.raises(IngestError, match=r"text\.parquet, column 'tests' holds str values"):
        ookla.read_tiles(write_parquet(text, tmp_path / "text.parquet"))


def test_a_repeated_quadkey_and_a_non_parquet_file_are_refused(tmp_path):
    twice = pa.concat_tables([ookla_table(3), ookla_table(3)])
    with pytest.raises(IngestError, match=r"column 'quadkey': code.*more than one row"):
        ookla.read_tiles(write_parquet(twice, tmp_path / "twice.parquet"))
    (tmp_path / "fake.parquet").write_text("quadkey,tests\n")
    with pytest.raises(IngestError, match=r"fake\.parquet is not a readable Parquet file"):
        ookla.read_tiles(tmp_path / "fake.parquet")
    (tmp_path / "tiles.zip").write_bytes(b"PK")
    with pytest.raises(IngestError, match="shapefile headers are cut"):
        ookla.read_tiles(tmp_path / "tiles.zip")
    with pytest.raises(IngestError, match="no Parquet file in"):
        ookla.tile_pieces(tmp_path / "nothing-*.parquet")
    (tmp_path / "empty").mkdir()
    write_parquet(ookla_table(0), tmp_path / "empty" / "e.parquet")
    with pytest.raises(IngestError, match=r"no rows in .*empty"):
        ookla.read_tiles_dask(tmp_path / "empty")


# --- dask ------------------------------------------------------------------------------------


@pytest.fixture
def local_cluster():
    """Two in-process dask workers, closed after the test."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_on_two_workers_equals_the_single_machine_path(tmp_path, local_cluster):
    quarters = tmp_path / "type=fixed"
    for quarter, start in enumerate((31_990, 32_005, 32_020)):  # tiles overlap across files
        folder = quarters / f"quarter={quarter + 1}"
        folder.mkdir(parents=True)
        write_parquet(ookla_table(40, start=start, newer=quarter > 0), folder / "t.parquet", 15)
    wards = gpd.GeoDataFrame(
        {"ward_code": ["W1", "W2"]},
        geometry=[tile_box(32_000, to=32_019), tile_box(32_020, to=32_039)],
        crs="EPSG:4326",
    ).to_crs("EPSG:27700")

    tiles = ookla.read_tiles_dask(quarters)
    assert tiles.npartitions == 9  # three files of three row groups
    on_dask = premises.ward_speeds_dask(tiles, wards)
    assert len(local_cluster.scheduler_info()["workers"]) == 2

    pieces = ookla.tile_pieces(quarters)
    single = premises.ward_speeds(
        premises.combine_sums(premises.ward_sums(ookla.read_piece(p), wards) for p in pieces)
    )
    pd.testing.assert_frame_equal(on_dask.wards, single.wards, check_exact=True)
    pd.testing.assert_series_equal(on_dask.outside, single.outside, check_exact=True)
    assert single.wards["tests"].sum() + single.outside["tests"] == 3 * sum(
        ookla_table(40)["tests"].to_pylist()
    )
    # In wards: tiles 32000-32029 of the first file, 32005-32039 and 32020-32039.
    assert single.outside["tiles"] == 120 - (30 + 35 + 20)
