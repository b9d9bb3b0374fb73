import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import box

from geo.joins import UnmatchedAreasError
from geo.postcodes import (
    COVERAGE_COLUMNS,
    NEAREST_TOLERANCE_M,
    find_postcode,
    normalise_postcode,
    postcode_coverage_by_ward,
    postcode_points,
    postcodes_to_wards,
)
from ingest.sources.ofcom_fixed import read_fixed_postcode
from ingest.sources.ons_geography import read_postcodes, read_wards

CRS = "EPSG:27700"
#: South-west corner of the synthetic wards: a point in Trafford, British National Grid metres.
X0, Y0 = 378_000.0, 392_000.0

# Where each synthetic postcode's centroid is, relative to (X0, Y0); wards are 1 km squares.
LAYOUT = {
    "T1 1AA": (500.0, 500.0),  # inside W1
    "T2 1AA": (1500.0, 500.0),  # inside W2
    "T3 1AA": (1000.0, 500.0),  # on the shared edge of W1 and W2
    "T4 1AA": (500.0, -20.0),  # 20 m south of W1: within the tolerance
    "T5 1AA": (500.0, -5000.0),  # 5 km away: no ward
}


def to_lonlat(xy: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    points = gpd.GeoSeries(gpd.points_from_xy(*zip(*xy, strict=True)), crs=CRS).to_crs(4326)
    return points.x.to_numpy(), points.y.to_numpy()


@pytest.fixture
def pcs() -> pd.DataFrame:
    lon, lat = to_lonlat([(X0 + dx, Y0 + dy) for dx, dy in LAYOUT.values()])
    frame = pd.DataFrame({"postcode": list(LAYOUT), "lon": lon, "lat": lat})
    no_location = pd.DataFrame({"postcode": ["T6 1AA"], "lon": [np.nan], "lat": [np.nan]})
    return pd.concat([frame, no_location], ignore_index=True)


@pytest.fixture
def wards(pcs) -> gpd.GeoDataFrame:
    # The shared edge runs exactly through T3's round-tripped centroid, so it is on the edge.
    edge = postcode_points(pcs).set_index("postcode").geometry["T3 1AA"].x
    return gpd.GeoDataFrame(
        {"ward_code": ["W1", "W2"]},
        geometry=[box(X0, Y0, edge, Y0 + 1000), box(edge, Y0, X0 + 2000, Y0 + 1000)],
        crs=CRS,
    )


# --- postcode_points ------------------------------------------------------------------------


def test_points_are_projected_and_postcodes_without_coordinates_are_listed(pcs):
    pcs.index = pd.Index(list("abcdef"))
    points = postcode_points(pcs)
    assert points.crs.to_epsg() == 27700
    assert list(points.index) == list("abcde")  # input index kept
    assert points.attrs["no_location"] == ["T6 1AA"]
    assert points.geometry["a"].x == pytest.approx(X0 + 500, abs=1e-3)
    assert points.geometry["a"].y == pytest.approx(Y0 + 500, abs=1e-3)
    assert {"postcode", "lon", "lat"} <= set(points.columns)


def test_points_refuse_eastings_given_as_degrees():
    frame = pd.DataFrame({"postcode": ["M15 4AB"], "lon": [383_600.0], "lat": [396_600.0]})
    with pytest.raises(ValueError, match="eastings/northings"):
        postcode_points(frame)


def test_points_name_the_missing_column():
    with pytest.raises(ValueError, match=r"no column\(s\) \['lat'\]"):
        postcode_points(pd.DataFrame({"postcode": ["M15 4AB"], "lon": [-2.26]}))


# --- postcodes_to_wards: spatial -------------------------------------------------------------


def test_inside_edge_near_far_and_unlocated(pcs, wards):
    out = postcodes_to_wards(pcs, wards, unmatched="report").set_index("postcode")
    assert out.loc["T1 1AA", ["ward_code", "method", "distance_m"]].tolist() == [
        "W1",
        "spatial",
        0.0,
    ]
    assert out.loc["T2 1AA", ["ward_code", "method"]].tolist() == ["W2", "spatial"]
    # On the shared edge "within" holds for neither ward: nearest, distance 0, smaller code.
    assert out.loc["T3 1AA", ["ward_code", "method"]].tolist() == ["W1", "nearest"]
    assert out.loc["T3 1AA", "distance_m"] == pytest.approx(0, abs=1e-6)
    assert out.loc["T4 1AA", ["ward_code", "method"]].tolist() == ["W1", "nearest"]
    assert out.loc["T4 1AA", "distance_m"] == pytest.approx(20, abs=0.01)
    assert out.loc["T5 1AA", "method"] == "unmatched"
    assert pd.isna(out.loc["T5 1AA", "ward_code"])
    assert out.loc["T5 1AA", "distance_m"] == pytest.approx(5000, abs=0.01)
    assert out.loc["T6 1AA", "method"] == "unmatched"
    assert pd.isna(out.loc["T6 1AA", "distance_m"])
    assert out.attrs["no_location"] == ["T6 1AA"]
    assert out.attrs["methods"] == {"spatial": 2, "nearest": 2, "unmatched": 2}
    assert out.attrs["tolerance_m"] == NEAREST_TOLERANCE_M == 50


def test_unmatched_postcodes_are_raised_not_dropped(pcs, wards):
    with pytest.raises(UnmatchedAreasError, match=r"^2 postcode.*1 with no coordinates.*1 more "
                       r"than 50 m from every ward.*T5 1AA, T6 1AA$") as err:  # fmt: skip
        postcodes_to_wards(pcs, wards)
    assert err.value.codes == ["T5 1AA", "T6 1AA"]


def test_tolerance_is_an_option(pcs, wards):
    out = postcodes_to_wards(pcs, wards, tolerance_m=10, unmatched="report")
    assert out.set_index("postcode").loc["T4 1AA", "method"] == "unmatched"


def test_output_keeps_input_index_and_order(pcs, wards):
    shuffled = pcs.iloc[[4, 0, 3, 1]].set_axis([40, 10, 30, 20])
    out = postcodes_to_wards(shuffled, wards, unmatched="report")
    assert list(out.index) == [40, 10, 30, 20]
    assert list(out.postcode) == list(shuffled.postcode)
    assert list(out.columns) == ["postcode", "ward_code", "method", "distance_m"]


# --- postcodes_to_wards: directory lookup and vintage ----------------------------------------


def test_directory_code_of_the_same_vintage_wins_over_geometry(pcs, wards):
    # T2 lies in W2 but the directory says W1 (full-resolution edge): the directory is kept.
    directory = pcs.assign(ward_code=["W1", "W1", "W2", "W1", "W2", "W1"])
    out = postcodes_to_wards(directory, wards)
    assert (out.method == "lookup").all()
    assert list(out.ward_code) == ["W1", "W1", "W2", "W1", "W2", "W1"]
    assert out.distance_m.isna().all()
    assert out.attrs["vintage_mismatch"] is False
    assert out.attrs["codes_not_in_wards"] == []


def test_codes_not_in_wards_are_another_vintage_and_placed_spatially(pcs, wards):
    directory = pcs.assign(ward_code=["OLD1", "W2", "OLD2", "OLD1", None, ""])
    out = postcodes_to_wards(directory, wards, unmatched="report").set_index("postcode")
    assert out.attrs["vintage_mismatch"] is True
    assert out.attrs["codes_not_in_wards"] == ["OLD1", "OLD2"]
    assert out.method.to_dict() == {
        "T1 1AA": "spatial",
        "T2 1AA": "lookup",
        "T3 1AA": "nearest",
        "T4 1AA": "nearest",
        "T5 1AA": "unmatched",  # blank directory code and far from every ward
        "T6 1AA": "unmatched",  # blank code and no coordinates
    }
    assert out.loc["T1 1AA", "ward_code"] == "W1"


def test_without_wards_the_directory_is_used_and_gaps_reported(pcs):
    directory = pcs.assign(ward_code=["W1", "W2", "W1", "W1", "W9", None])
    with pytest.raises(UnmatchedAreasError, match="no ward_code in the directory; pass wards"):
        postcodes_to_wards(directory)
    out = postcodes_to_wards(directory, unmatched="report")
    assert list(out.method) == ["lookup"] * 5 + ["unmatched"]
    assert list(out.ward_code[:5]) == ["W1", "W2", "W1", "W1", "W9"]
    assert out.attrs["ward_vintage"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p, w: (p, None), r"no column\(s\) \['ward_code'\].*pass wards"),
        (lambda p, w: (p, w.to_crs(4326)), "projected CRS in metres"),
        (lambda p, w: (p, w.set_crs(None, allow_override=True)), "projected CRS"),
        (lambda p, w: (pd.concat([p, p.iloc[:1]]), w), r"appear more than once.*T1 1AA"),
        (lambda p, w: (p.rename(columns={"postcode": "pcd"}), w), r"no column\(s\) \['postcode'"),
    ],
)
def test_bad_arguments_are_refused_up_front(pcs, wards, change, message):
    postcodes, ward_frame = change(pcs, wards)
    with pytest.raises(ValueError, match=message):
        postcodes_to_wards(postcodes, ward_frame, unmatched="report")


def test_unmatched_option_is_checked(pcs, wards):
    with pytest.raises(ValueError, match="'raise' or 'report'"):
        postcodes_to_wards(pcs, wards, unmatched="drop")


# --- nothing lost, nothing duplicated ---------------------------------------------------------

_KINDS = st.sampled_from(["inside", "edge", "near", "far", "nowhere", "lookup", "foreign"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(_KINDS, st.floats(1, 999), st.floats(1, 999)),
        min_size=1,
        max_size=40,
    )
)
def test_every_postcode_comes_out_exactly_once(rows):
    wards = gpd.GeoDataFrame(
        {"ward_code": ["W1", "W2", "W3"]},
        geometry=[
            box(X0, Y0, X0 + 1000, Y0 + 1000),
            box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000),
            box(X0, Y0 + 1000, X0 + 2000, Y0 + 2000),
        ],
        crs=CRS,
    )
    offsets = {
        "inside": lambda a, b: (a, b),
        "edge": lambda a, b: (1000.0, b),
        "near": lambda a, b: (a, -b / 25),  # up to 40 m south of W1/W2
        "far": lambda a, b: (-1000 - a, -1000 - b),
        "nowhere": lambda a, b: (np.nan, np.nan),
        "lookup": lambda a, b: (np.nan, np.nan),
        "foreign": lambda a, b: (a + 500, b + 500),
    }
    xy = [offsets[kind](a, b) for kind, a, b in rows]
    located = [i for i, (x, _) in enumerate(xy) if not np.isnan(x)]
    lon = np.full(len(rows), np.nan)
    lat = np.full(len(rows), np.nan)
    if located:
        lon[located], lat[located] = to_lonlat([(X0 + xy[i][0], Y0 + xy[i][1]) for i in located])
    codes = {"lookup": "W3", "foreign": "OLD"}
    postcodes = pd.DataFrame(
        {
            "postcode": [f"Q{i} 1AA" for i in range(len(rows))],
            "ward_code": [codes.get(kind) for kind, _, _ in rows],
            "lon": lon,
            "lat": lat,
        },
        index=pd.RangeIndex(len(rows)) * 7 + 3,
    )

    report = postcodes_to_wards(postcodes, wards, unmatched="report")
    assert list(report.postcode) == list(postcodes.postcode)  # each once, in order
    assert report.index.equals(postcodes.index)
    assert report.method.isin(["lookup", "spatial", "nearest", "unmatched"]).all()
    assert (report.ward_code.isna() == (report.method == "unmatched")).all()
    assert (report.distance_m[report.method == "nearest"] <= NEAREST_TOLERANCE_M).all()
    lost = sorted(report.loc[report.method == "unmatched", "postcode"])
    expected_lost = sorted(
        f"Q{i} 1AA" for i, (kind, _, _) in enumerate(rows) if kind in ("far", "nowhere")
    )
    assert lost == expected_lost
    try:
        raised = postcodes_to_wards(postcodes, wards)
    except UnmatchedAreasError as err:
        assert err.codes == lost
    else:
        assert lost == []
        pd.testing.assert_frame_equal(raised, report)


# --- find_postcode ---------------------------------------------------------------------------


@pytest.fixture
def directory() -> pd.DataFrame:
    return pd.DataFrame(
        {"postcode": ["M15 4AB", "WA14 2UE", "M1 1AA"], "ward_code": ["A", "B", "C"]},
        index=[10, 11, 12],
    )


@pytest.mark.parametrize(
    ("query", "ward"),
    [
        ("M15 4AB", "A"),
        ("m15 4ab", "A"),
        ("M154AB", "A"),
        ("  m15   4Ab ", "A"),
        ("wa142ue", "B"),
        ("M1\t1AA", "C"),
    ],
)
def test_find_postcode_normalises_what_users_type(directory, query, ward):
    row = find_postcode(query, directory)
    assert row is not None
    assert row["ward_code"] == ward
    assert row.name == {"A": 10, "B": 11, "C": 12}[ward]


def test_find_postcode_not_in_directory_is_none(directory):
    assert find_postcode("SW1A 1AA", directory) is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "No postcode given"),
        ("   ", "No postcode given"),
        ("M15", "only the first half"),
        ("wa14", "only the first half"),
        ("M15-4AB", "only letters, digits and spaces"),
        ("hello", "not a UK postcode"),
        ("12345", "not a UK postcode"),
        ("M15 4A", "not a UK postcode"),
        ("M15 4ABC", "not a UK postcode"),
    ],
)
def test_find_postcode_explains_what_is_not_a_postcode(directory, query, message):
    with pytest.raises(ValueError, match=message):
        find_postcode(query, directory)


def test_normalise_postcode_keeps_gir():
    assert normalise_postcode("gir0aa") == "GIR 0AA"


# --- postcode_coverage_by_ward ---------------------------------------------------------------


def test_coverage_counts_postcodes_per_ward():
    coverage = pd.DataFrame(
        {
            "postcode": ["A11AA", "A11AB", "A11AD", "A11AE", "Z99ZZ"],
            "postcode_space": ["A1 1AA", "A1 1AB", "A1 1AD", "A1 1AE", "Z9 9ZZ"],
            "pct_premises_below_uso": [0.0, 12.5, 100.0, 0.0, 50.0],
            "pct_premises_gigabit": [100.0, 40.0, 0.0, 90.0, 0.0],
        }
    )
    mapping = pd.DataFrame(
        {
            "postcode": ["a1 1aa", "A11AB", "A1 1AD", "A1 1AE", "A1 1AF", "A1 1AG"],
            "ward_code": ["W1", "W1", "W1", "W2", "W2", np.nan],
        }
    )
    out = postcode_coverage_by_ward(coverage, mapping)
    assert list(out.columns) == list(COVERAGE_COLUMNS)
    assert not any("premises" in c for c in out.columns)
    assert out.loc["W1"].tolist() == [3, 3, 2, 40.0, 0.0, 100.0]
    counts = ["n_postcodes", "n_postcodes_with_data", "n_postcodes_any_below_uso"]
    assert out.loc["W2", counts].tolist() == [2, 1, 0]
    assert out.loc["W2", "postcode_median_pct_gigabit"] == 90.0
    assert out["n_postcodes"].dtype == "int64"
    assert out.attrs["unit"] == "postcodes, not premises"
    assert out.attrs["coverage_postcodes_outside"] == 1  # Z9 9ZZ: another council
    assert out.attrs["postcodes_without_ward"] == 1


def test_coverage_ward_without_data_has_nan_summaries():
    coverage = pd.DataFrame(
        {"postcode_space": ["A1 1AA"], "pct_premises_below_uso": [0.0],
         "pct_premises_gigabit": [10.0]}
    )  # fmt: skip
    mapping = pd.DataFrame({"postcode": ["A1 1AA", "B1 1AA"], "ward_code": ["W1", "W2"]})
    out = postcode_coverage_by_ward(coverage, mapping)
    assert out.loc["W2", "n_postcodes_with_data"] == 0
    assert np.isnan(out.loc["W2", "postcode_median_pct_gigabit"])


@pytest.mark.parametrize(
    ("coverage", "mapping", "message"),
    [
        (
            pd.DataFrame({"postcode_space": ["A1 1AA"], "pct_premises_gigabit": [1.0]}),
            pd.DataFrame({"postcode": ["A1 1AA"], "ward_code": ["W1"]}),
            r"coverage has no column\(s\).*pct_premises_below_uso.*read_fixed_postcode",
        ),
        (
            pd.DataFrame(
                {"postcode_space": ["A1 1AA", "a11aa"], "pct_premises_below_uso": [0, 0],
                 "pct_premises_gigabit": [1.0, 2.0]}
            ),
            pd.DataFrame({"postcode": ["A1 1AA"], "ward_code": ["W1"]}),
            "coverage: 1 postcode.*more than once",
        ),
        (
            pd.DataFrame(
                {"postcode_space": ["A1 1AA"], "pct_premises_below_uso": [0],
                 "pct_premises_gigabit": [1.0]}
            ),
            pd.DataFrame({"postcode": ["A1 1AA"]}),
            r"postcode_wards has no column\(s\) \['ward_code'\].*postcodes_to_wards",
        ),
    ],
)  # fmt: skip
def test_coverage_refuses_bad_inputs(coverage, mapping, message):
    with pytest.raises(ValueError, match=message):
        postcode_coverage_by_ward(coverage, mapping)


# --- real data --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trafford(shared_data):
    postcodes = read_postcodes(shared_data / "postcodes_trafford/trafford_postcodes.csv")
    wards_2023 = read_wards(shared_data / "wards_trafford/2023_trafford_ward_generalised.geojson")
    wards_2022 = read_wards(shared_data / "wards_trafford/2022_trafford_ward_generalised.geojson")
    return postcodes, wards_2023, wards_2022


@pytest.mark.shared_data
def test_trafford_spatial_join_agrees_with_the_directory(trafford):
    postcodes, wards_2023, _ = trafford
    assert len(postcodes) == 11_264
    spatial = postcodes_to_wards(postcodes.drop(columns="ward_code"), wards_2023)
    assert set(spatial.method) <= {"spatial", "nearest"}
    agree = spatial.ward_code == postcodes.ward_code
    # 11,262 of 11,264 (99.98%) on the 20 m generalised boundaries at the time of writing.
    assert agree.mean() >= 0.99
    # The disagreements are edge effects: each centroid lies within metres of the ward the
    # directory (placing it on full-resolution boundaries) gives it.
    points = postcode_points(postcodes)
    by_code = wards_2023.set_index("ward_code").geometry
    gaps = [
        points.geometry[i].distance(by_code[postcodes.ward_code[i]]) for i in agree[~agree].index
    ]
    assert max(gaps, default=0) < 20


@pytest.mark.shared_data
def test_trafford_lookup_of_the_same_vintage(trafford):
    postcodes, wards_2023, _ = trafford
    out = postcodes_to_wards(postcodes, wards_2023)
    assert out.attrs["methods"] == {"lookup": 11_264}
    assert out.attrs["vintage_mismatch"] is False
    assert out.attrs["ward_vintage"] == "2023"
    assert (out.ward_code == postcodes.ward_code).all()


@pytest.mark.shared_data
def test_trafford_2022_wards_are_detected_as_another_vintage(trafford):
    postcodes, wards_2023, wards_2022 = trafford
    out = postcodes_to_wards(postcodes, wards_2022)
    assert out.attrs["vintage_mismatch"] is True
    assert out.attrs["ward_vintage"] == "2022"
    assert out.attrs["codes_not_in_wards"] == sorted(wards_2023.ward_code)  # all 21 re-coded
    assert "lookup" not in set(out.method)
    assert out.ward_code.isin(set(wards_2022.ward_code)).all()


@pytest.mark.shared_data
def test_trafford_find_postcode(trafford):
    postcodes, _, _ = trafford
    row = find_postcode("m154ab", postcodes)
    assert row is not None
    assert row["ward_code"] == "E05015247"
    assert find_postcode("CR0 5BX", postcodes) is None  # Croydon


@pytest.mark.shared_data
def test_croydon_postcode_coverage_by_ward(shared_data):
    coverage = read_fixed_postcode(
        shared_data / "ofcom_fixed_small_area_excerpts/202601_fixed_pc_coverage_r2_CR.csv"
    )
    mapping = pd.DataFrame(
        {
            "postcode": ["CR0 5BX", "CR0 5BY", "CR0 5LP", "CR0 5ZZ"],
            "ward_code": ["WA", "WA", "WB", "WB"],
            "method": "spatial",
        }
    )
    out = postcode_coverage_by_ward(coverage, mapping)
    assert out.to_dict("index") == {
        "WA": {
            "n_postcodes": 2,
            "n_postcodes_with_data": 2,
            "n_postcodes_any_below_uso": 0,
            "postcode_median_pct_gigabit": 100.0,
            "postcode_min_pct_gigabit": 100.0,
            "postcode_max_pct_gigabit": 100.0,
        },
        "WB": {
            "n_postcodes": 2,
            "n_postcodes_with_data": 1,
            "n_postcodes_any_below_uso": 0,
            "postcode_median_pct_gigabit": 0.0,
            "postcode_min_pct_gigabit": 0.0,
            "postcode_max_pct_gigabit": 0.0,
        },
    }
    assert out.attrs["source_file"] == "202601_fixed_pc_coverage_r2_CR.csv"
    assert out.attrs["premises_scope"] == "all"
    assert out.attrs["coverage_postcodes_outside"] == 0
