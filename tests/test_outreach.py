import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely import box

from geo.outreach import (
    PRIORITY_COLUMNS,
    PRIORITY_LABELS,
    REACH_COLUMNS,
    REACHED_SHARE,
    WALKING_CATCHMENT_M,
    catchments,
    champions_needed,
    reach_totals,
    residents_within_reach,
    unreached_priorities,
    venue_points,
    ward_reach,
)
from geo.postcodes import postcode_points
from ingest import store
from ingest.demo import DEMO_LA_CODE
from ingest.sources.venues import read_venues

CRS = "EPSG:27700"
#: South-west corner of the synthetic wards: a point in Trafford, British National Grid metres.
X0, Y0 = 378_000.0, 392_000.0

# Three 1 km square wards side by side: W1 [0, 1000], W2 [1000, 2000], W3 [2000, 3000] (x, m).
# Postcode centroids relative to (X0, Y0); W3 has none, so it is measured by area.
POSTCODES = {
    "T1 1AA": ("W1", 100, 500),  # V1 is here: 0 m
    "T1 1AB": ("W1", 500, 500),  # 400 m from V1
    "T1 1AD": ("W1", 950, 500),  # 850 m from V1: outside
    "T1 1AE": ("W1", 100, 950),  # 450 m from V1
    "T2 1AA": ("W2", 1100, 500),  # 1000 m from V1, 1400 m from V2
    "T2 1AB": ("W2", 1500, 500),  # 1000 m from V2
    "T2 1AD": ("W2", 1900, 500),  # 600 m from V2
}
# V2 at W3's centre: W3's corners are 707 m away, so its catchment covers W3 entirely.
VENUES = {"V1": (100, 500), "V2": (2500, 500)}


def lonlat(points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    x, y = [p[0] for p in points], [p[1] for p in points]
    xy = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=CRS).to_crs(4326)
    return xy.x.to_numpy(), xy.y.to_numpy()


def venues_at(layout: dict[str, tuple[float, float]]) -> pd.DataFrame:
    lon, lat = lonlat([(X0 + dx, Y0 + dy) for dx, dy in layout.values()])
    return pd.DataFrame({"name": list(layout), "lon": lon, "lat": lat})


@pytest.fixture
def wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "ward_code": ["W1", "W2", "W3"],
            "ward_name": ["One", "Two", "Three"],
            "residents": [1000, 2500, 400],
            "residents_65_plus": [200, 600, 150],
        },
        geometry=[box(X0 + x, Y0, X0 + x + 1000, Y0 + 1000) for x in (0, 1000, 2000)],
        crs=CRS,
        index=[10, 20, 30],
    )


@pytest.fixture
def pcs() -> pd.DataFrame:
    lon, lat = lonlat([(X0 + dx, Y0 + dy) for _, dx, dy in POSTCODES.values()])
    frame = pd.DataFrame(
        {
            "postcode": list(POSTCODES),
            "lon": lon,
            "lat": lat,
            "ward_code": [w for w, _, _ in POSTCODES.values()],
        }
    )
    extra = pd.DataFrame(
        {
            "postcode": ["T1 9ZZ", "X9 9ZZ"],
            "lon": [np.nan, -2.3],
            "lat": [np.nan, 53.4],
            "ward_code": ["W1", "E05999999"],  # no grid reference; another council's ward
        }
    )
    return pd.concat([frame, extra], ignore_index=True)


def test_venue_points_are_british_national_grid_with_index_kept():
    frame = venues_at(VENUES).set_axis([7, 8])
    points = venue_points(frame)
    assert points.crs.to_epsg() == 27700
    assert points.index.tolist() == [7, 8]
    # The round trip through WGS84 moves a point by about a millimetre.
    assert points.geometry.x.tolist() == pytest.approx([X0 + 100, X0 + 2500], abs=0.01)
    assert points.geometry.y.tolist() == pytest.approx([Y0 + 500, Y0 + 500], abs=0.01)


def test_venue_points_refuse_missing_coordinates():
    frame = pd.DataFrame({"name": ["Hub"], "lon": [np.nan], "lat": [53.0]})
    with pytest.raises(ValueError, match=r"1 venue\(s\) have no lon/lat in degrees.*'Hub'"):
        venue_points(frame)


def test_catchments_are_discs_of_the_radius_keeping_names():
    discs = catchments(venue_points(venues_at(VENUES)))
    assert discs["name"].tolist() == ["V1", "V2"]
    assert discs.area.to_numpy() == pytest.approx(np.pi * WALKING_CATCHMENT_M**2, rel=2e-3)
    assert discs.geometry.iloc[0].contains(shapely.Point(X0 + 100 + 790, Y0 + 500))
    with pytest.raises(ValueError, match="radius_m is 0"):
        catchments(venue_points(venues_at(VENUES)), radius_m=0)
    with pytest.raises(ValueError, match="projected CRS in metres"):
        catchments(venue_points(venues_at(VENUES)).to_crs(4326))


def test_reach_shares_are_hand_computed(wards, pcs):
    reach = ward_reach(wards, pcs, venue_points(venues_at(VENUES)))
    assert list(reach.columns) == list(REACH_COLUMNS)
    assert reach.index.tolist() == [10, 20, 30]
    assert reach["reach_method"].tolist() == ["postcodes", "postcodes", "area"]
    assert reach["n_postcodes"].tolist() == [4, 3, 0]
    assert reach["n_postcodes_reached"].tolist() == [3, 1, 0]
    assert reach["share_reached"].tolist() == pytest.approx([0.75, 1 / 3, 1.0])
    assert reach["reached"].tolist() == [True, False, True]
    assert reach["venues_inside"].tolist() == [1, 0, 1]  # V1 in W1, V2 in W3
    # W2: a third of its postcodes within reach, no venue inside.
    assert reach["reach_status"].tolist() == ["reached", "partly reached", "reached"]
    assert reach["nearest_venue"].tolist() == ["V1", "V2", "V2"]
    # W1 from its postcode at V1; W2 from T2 1AD (600 m); W3 from its centre (the venue).
    assert reach["nearest_venue_m"].tolist() == pytest.approx([0.0, 600.0, 0.0], abs=1e-3)
    assert reach.attrs["postcodes_outside_wards"] == 1
    assert reach.attrs["postcodes_without_location"] == 1
    assert reach.attrs["radius_m"] == WALKING_CATCHMENT_M
    assert reach.attrs["reached_share"] == REACHED_SHARE
    assert "not weighted" in reach.attrs["notes"]


def test_the_radius_and_share_are_options(wards, pcs):
    points = venue_points(venues_at(VENUES))
    wide = ward_reach(wards, pcs, points, radius_m=1200.0)
    # At 1.2 km V1 reaches all of W1 and T2 1AA (1000 m), V2 reaches T2 1AB (1000 m).
    assert wide["n_postcodes_reached"].tolist() == [4, 3, 0]
    assert wide["reached"].tolist() == [True, True, True]
    strict = ward_reach(wards, pcs, points, reached_share=0.8)
    assert strict["reached"].tolist() == [False, False, True]  # W1 0.75; W3 by area 1.0


def test_a_venue_far_away_reaches_nothing(wards, pcs):
    far = venue_points(venues_at({"Far": (50_000, 50_000)}))
    reach = ward_reach(wards, pcs, far)
    assert reach["share_reached"].tolist() == [0.0, 0.0, 0.0]
    assert not reach["reached"].any()
    assert reach["reach_status"].tolist() == ["not reached"] * 3
    assert reach["venues_inside"].tolist() == [0, 0, 0]
    assert reach["nearest_venue"].tolist() == ["Far"] * 3
    assert (reach["nearest_venue_m"] > 60_000).all()


def test_no_venues_reach_nothing(wards, pcs):
    none = venue_points(venues_at(VENUES).iloc[:0])
    reach = ward_reach(wards, pcs, none)
    assert reach["share_reached"].tolist() == [0.0, 0.0, 0.0]
    assert not reach["reached"].any()
    assert reach["nearest_venue"].isna().all() and reach["nearest_venue_m"].isna().all()


def test_a_ward_without_postcodes_uses_the_share_of_its_area(wards, pcs):
    # A venue on W3's west edge with a 400 m radius: half a disc inside W3.
    edge = venue_points(venues_at({"Edge": (2000, 500)}))
    reach = ward_reach(wards, pcs, edge, radius_m=400.0)
    w3 = reach.loc[30]
    assert w3["reach_method"] == "area"
    assert w3["share_reached"] == pytest.approx(np.pi * 400**2 / 2 / 1e6, rel=2e-3)
    assert not w3["reached"]
    # From W3's representative point, its centre.
    assert w3["nearest_venue_m"] == pytest.approx(500.0, abs=0.01)


# One venue in W2's south-east corner with a 500 m radius. Distances from it (1950, 50):
# W1: T1 1AD (950, 500) is nearest, sqrt(1000² + 450²) = 1096.59 m: no postcode reached.
# W2: T2 1AD (1900, 500) at sqrt(50² + 450²) = 452.77 m is reached, T2 1AB (1500, 500) at
#     636.40 m and T2 1AA at 986.15 m are not: 1 of 3 postcodes (33%), but the venue is inside.
# W3 (by area): the part of the disc with x >= 2000 and y >= 0 (relative to the venue,
#     x >= 50, y >= -50) is the segment r² acos(50/r) - 50 sqrt(r² - 50²) = 342,783 m² less the
#     corner x >= 50, y <= -50 of 148,933 m²: 193,850 m², 19.4% of the 1 km² ward; its centre
#     (2500, 500) is hypot(550, 450) = 710.63 m away.
CORNER = {"Corner": (1950, 50)}


def test_a_venue_inside_but_few_postcodes_reached_is_partly_reached(wards, pcs):
    reach = ward_reach(wards, pcs, venue_points(venues_at(CORNER)), radius_m=500.0)
    assert reach["n_postcodes_reached"].tolist() == [0, 1, 0]
    assert reach["venues_inside"].tolist() == [0, 1, 0]
    assert reach["share_reached"].tolist() == pytest.approx([0.0, 1 / 3, 0.19385], rel=2e-3)
    assert not reach["reached"].any()
    assert reach["reach_status"].tolist() == ["not reached", "partly reached", "partly reached"]
    assert reach["nearest_venue_m"].tolist() == pytest.approx(
        [1096.586, 452.769, np.hypot(550, 450)], abs=0.01
    )
    assert "partly reached when fewer are" in reach.attrs["notes"]

    table = unreached_priorities(wards, reach, pd.Series([3.0, 2.0, 1.0], index=wards.index))
    notes = table.set_index("ward_code")["reach_note"].to_dict()
    assert notes == {
        "W1": "no venue within 500 m of its postcodes; nearest 1.1 km away",
        "W2": "1 venue inside; 33% of postcodes within 500 m",
        "W3": "no venue inside; 19% of its area within 500 m",
    }
    assert table.set_index("ward_code").loc["W2", ["reach_status", "venues_inside"]].tolist() == [
        "partly reached",
        1,
    ]


def test_a_ward_measured_by_area_and_not_reached_is_measured_from_its_centre(wards, pcs):
    # A venue 1.5 km west of W3's centre (2500, 500): its 800 m disc stops 700 m short of W3.
    # It reaches 2 of W1's 4 postcodes (50 and 500 m away) and 2 of W2's 3 (100, 500 m).
    reach = ward_reach(wards, pcs, venue_points(venues_at({"West": (1000, 500)})))
    assert reach.loc[30, ["share_reached", "venues_inside", "reach_status"]].tolist() == [
        0.0,
        0,
        "not reached",
    ]
    table = unreached_priorities(wards, reach, pd.Series(1.0, index=wards.index))
    assert table["reach_note"].tolist() == [
        "no venue within 800 m of the ward; nearest 1.5 km from its centre"
    ]


def test_without_venues_every_ward_is_not_reached_and_says_why(wards, pcs):
    reach = ward_reach(wards, pcs, venue_points(venues_at({})), radius_m=1200.0)
    table = unreached_priorities(wards, reach, pd.Series(1.0, index=wards.index))
    assert set(table["reach_status"]) == {"not reached"}
    assert set(table["reach_note"]) == {"no venue within 1,200 m: no venues were given"}


def hand_reach(**columns: object) -> pd.DataFrame:
    """A one-ward reach frame (partly reached unless told, by postcodes), radius 800 m."""
    row = {
        "ward_code": "W1",
        "reached": False,
        "reach_status": "partly reached",
        "venues_inside": 0,
        "share_reached": 0.0,
        "reach_method": "postcodes",
        "nearest_venue": "Hall",
        "nearest_venue_m": 100.0,
    }
    reach = pd.DataFrame([row | columns])
    reach.attrs["radius_m"] = 800.0
    return reach


ONE_WARD = pd.DataFrame(
    {"ward_code": ["W1"], "ward_name": ["One"], "residents": [10], "residents_65_plus": [2]}
)


@pytest.mark.parametrize(
    ("columns", "note"),
    [
        # Shares are rounded down, so a ward just short of the majority never shows 50%.
        ({"share_reached": 0.4999}, "no venue inside; 49% of postcodes within 800 m"),
        ({"share_reached": 0.29}, "no venue inside; 29% of postcodes within 800 m"),  # 28.999..
        ({"share_reached": 0.004}, "no venue inside; under 1% of postcodes within 800 m"),
        ({"share_reached": np.nan, "venues_inside": 2, "reach_method": "area"},
         "2 venues inside; an unknown share of its area within 800 m"),
        ({"venues_inside": 1}, "1 venue inside; 0% of postcodes within 800 m"),
        # Distances are rounded up, so a ward not reached is never shown within the radius.
        ({"reach_status": "not reached", "nearest_venue_m": 800.2},
         "no venue within 800 m of its postcodes; nearest 801 m away"),
        ({"reach_status": "not reached", "nearest_venue_m": 999.5},
         "no venue within 800 m of its postcodes; nearest 1.0 km away"),
        ({"reach_status": "not reached", "nearest_venue_m": 2250.4},
         "no venue within 800 m of its postcodes; nearest 2.3 km away"),
        ({"reach_status": "not reached", "nearest_venue_m": 12_345.0},
         "no venue within 800 m of its postcodes; nearest 12.4 km away"),
    ],
)  # fmt: skip
def test_reach_notes_round_towards_the_cautious_side(columns, note):
    table = unreached_priorities(ONE_WARD, hand_reach(**columns), pd.Series([1.0]))
    assert table["reach_note"].tolist() == [note]


def test_priorities_need_the_radius_of_ward_reach():
    reach = hand_reach()
    reach.attrs = {}
    with pytest.raises(ValueError, match=r"reach has no attrs\['radius_m'\]"):
        unreached_priorities(ONE_WARD, reach, pd.Series([1.0]))


def test_every_priority_column_has_a_heading_with_its_unit():
    assert list(PRIORITY_LABELS) == list(PRIORITY_COLUMNS)
    assert len(set(PRIORITY_LABELS.values())) == len(PRIORITY_LABELS)
    assert PRIORITY_LABELS["nearest_venue_m"] == "Nearest venue (m, straight line)"
    assert "%" in PRIORITY_LABELS["share_reached"]
    assert "0-10" in PRIORITY_LABELS["risk"]


def test_ties_go_to_the_first_venue_name(wards, pcs):
    twins = venue_points(venues_at({"Zeta": (100, 500), "Alpha": (100, 500)}))
    assert ward_reach(wards, pcs, twins).loc[10, "nearest_venue"] == "Alpha"


def test_venues_are_reprojected_to_the_wards(wards, pcs):
    points = venue_points(venues_at(VENUES))
    expected = ward_reach(wards, pcs, points)
    pd.testing.assert_frame_equal(
        ward_reach(wards, pcs, points.to_crs(3857)), expected, check_exact=False, atol=1e-3
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"radius_m": -1.0}, "radius_m is -1.0"), ({"reached_share": 0.0}, "reached_share is 0.0")],
)
def test_bad_options_are_refused(wards, pcs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ward_reach(wards, pcs, venue_points(venues_at(VENUES)), **kwargs)


def test_wards_must_be_in_metres_and_unique(wards, pcs):
    points = venue_points(venues_at(VENUES))
    with pytest.raises(ValueError, match="wards have CRS"):
        ward_reach(wards.to_crs(4326), pcs, points)
    with pytest.raises(ValueError, match=r"ward code\(s\) \['W1'\] repeated"):
        ward_reach(pd.concat([wards, wards.iloc[:1]]), pcs, points)
    with pytest.raises(ValueError, match=r"postcodes has no column\(s\) \['ward_code'\]"):
        ward_reach(wards, pcs.drop(columns="ward_code"), points)


def test_unreached_priorities_are_ordered_by_risk(wards, pcs):
    reach = ward_reach(wards, pcs, venue_points(venues_at({"Far": (50_000, 50_000)})))
    risk = pd.Series([4.0, 9.5, np.nan], index=wards.index)
    table = unreached_priorities(wards, reach, risk)
    assert list(table.columns) == list(PRIORITY_COLUMNS)
    assert table["ward_code"].tolist() == ["W2", "W1", "W3"]  # NaN risk last
    assert table.loc[20, ["residents", "residents_65_plus", "risk"]].tolist() == [2500, 600, 9.5]
    assert unreached_priorities(wards, reach, risk, top=1).index.tolist() == [20]
    assert unreached_priorities(wards, reach, risk, top=0).empty


def test_equal_risk_puts_more_residents_first(wards, pcs):
    reach = ward_reach(wards, pcs, venue_points(venues_at({"Far": (50_000, 50_000)})))
    table = unreached_priorities(wards, reach, pd.Series(5.0, index=wards.index))
    assert table["ward_code"].tolist() == ["W2", "W1", "W3"]


def test_reached_wards_are_not_priorities(wards, pcs):
    reach = ward_reach(wards, pcs, venue_points(venues_at(VENUES)))
    table = unreached_priorities(wards, reach, pd.Series([9.0, 1.0, 9.0], index=wards.index))
    assert table["ward_code"].tolist() == ["W2"]
    assert table.iloc[0][["share_reached", "nearest_venue", "nearest_venue_m"]].tolist() == [
        pytest.approx(1 / 3),
        "V2",
        pytest.approx(600.0, abs=1e-3),
    ]
    assert table.iloc[0][["reach_status", "venues_inside", "reach_note"]].tolist() == [
        "partly reached",
        0,
        "no venue inside; 33% of postcodes within 800 m",
    ]


def test_priorities_refuse_misaligned_inputs(wards, pcs):
    reach = ward_reach(wards, pcs, venue_points(venues_at(VENUES)))
    with pytest.raises(ValueError, match="risk has index"):
        unreached_priorities(wards, reach, pd.Series([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="reach is not aligned"):
        unreached_priorities(wards, reach.iloc[::-1], pd.Series(1.0, index=wards.index))
    with pytest.raises(ValueError, match="top is -1"):
        unreached_priorities(wards, reach, pd.Series(1.0, index=wards.index), top=-1)


@pytest.mark.parametrize(
    "layout", [{}, {"V1": VENUES["V1"]}, VENUES, {"Far": (50_000, 50_000)}], ids=str
)
def test_residents_are_conserved(wards, pcs, layout):
    reach = ward_reach(wards, pcs, venue_points(venues_at(layout)))
    totals = reach_totals(wards, reach)
    assert totals.index.tolist() == ["reached", "not reached"]
    assert totals.sum().tolist() == [3, 3900, 950]
    unreached = unreached_priorities(wards, reach, pd.Series(1.0, index=wards.index))
    assert unreached["residents"].sum() == totals.loc["not reached", "residents"]
    assert unreached["residents_65_plus"].sum() == totals.loc["not reached", "residents_65_plus"]


@pytest.mark.parametrize("dtype", ["float64", "Int64"])
def test_a_count_not_known_is_not_counted_as_zero(dtype):
    wards = pd.DataFrame(
        {
            "ward_code": ["W1", "W2", "W3"],
            "residents": pd.array([100, None, 300], dtype=dtype),
            "residents_65_plus": pd.array([10, 50, 40], dtype=dtype),
        }
    )
    reach = pd.DataFrame(
        {
            "ward_code": wards["ward_code"],
            "reached": [True, False, False],
            "share_reached": [1.0, 0.5, 0.25],
        }
    )
    totals = reach_totals(wards, reach)
    assert totals.to_dict("index") == {
        "reached": {"wards": 1, "residents": 100, "residents_65_plus": 10},
        "not reached": {"wards": 2, "residents": None, "residents_65_plus": 90},
    }
    assert totals.loc["not reached", "residents"] is pd.NA
    assert totals.attrs["wards_not_known"] == {"residents": 1, "residents_65_plus": 0}
    # 65+: 10 * 1 + 50 * 0.5 + 40 * 0.25 = 45.
    assert residents_within_reach(wards, reach) == {
        "residents": None,
        "residents_65_plus": 45,
        "wards_not_known": {"residents": 1, "residents_65_plus": 0},
    }


def test_a_share_not_known_leaves_the_residents_within_reach_unknown():
    wards = pd.DataFrame({"ward_code": ["W1", "W2"], "residents": [100, 200]}).assign(
        residents_65_plus=[10, 20]
    )
    reach = pd.DataFrame({"ward_code": ["W1", "W2"], "share_reached": [1.0, np.nan]})
    assert residents_within_reach(wards, reach) == {
        "residents": None,
        "residents_65_plus": None,
        "wards_not_known": {"residents": 1, "residents_65_plus": 1},
    }


def test_known_counts_are_whole_people():
    wards = pd.DataFrame({"ward_code": ["W1", "W2"], "residents": [100.4, 200.4]}).assign(
        residents_65_plus=[10.0, 20.0]
    )
    reach = pd.DataFrame({"ward_code": ["W1", "W2"], "reached": [False, False]})
    totals = reach_totals(wards, reach)
    assert totals.loc["not reached", ["residents", "residents_65_plus"]].tolist() == [301, 30]
    assert totals.loc["reached"].tolist() == [0, 0, 0]
    assert totals.attrs["wards_not_known"] == {"residents": 0, "residents_65_plus": 0}


@pytest.mark.parametrize(
    ("residents", "per", "expected"),
    [
        (0, 100, 0),
        (1, 100, 1),
        (100, 100, 1),
        (101, 100, 2),
        (2_001, 1_000, 3),
        (np.int64(5), 2, 3),
    ],
)
def test_champions_needed_rounds_up(residents, per, expected):
    assert champions_needed(residents, residents_per_champion=per) == expected


@pytest.mark.parametrize(
    ("residents", "per", "message"),
    [
        (10, 0, "residents_per_champion is 0"),
        (10, -5, "residents_per_champion is -5"),
        (-1, 10, "residents is -1"),
    ],
)
def test_champions_needed_refuses_bad_targets(residents, per, message):
    with pytest.raises(ValueError, match=message):
        champions_needed(residents, residents_per_champion=per)


# --- the demo place, through the venue reader -----------------------------------------------


def cover(points: gpd.GeoSeries, radius_m: float) -> list[int]:
    """Positions of points chosen greedily so that every point is within radius_m of one."""
    chosen: list[int] = []
    for i, point in enumerate(points):
        if not chosen or points.iloc[chosen].distance(point).min() > radius_m:
            chosen.append(i)
    return chosen


def test_demo_venues_reach_their_wards(demo_store):
    wards = store.read_wards(DEMO_LA_CODE, store=demo_store)
    pcs = store.read_table(DEMO_LA_CODE, "postcodes", store=demo_store)
    points = postcode_points(pcs)
    codes = wards["ward_code"].iloc[[0, 9, 19]].tolist()
    central = []
    for code in codes:
        mine = points[points["ward_code"] == code]
        middle = mine.geometry.union_all().centroid
        central.append(mine.loc[mine.distance(middle).idxmin(), "postcode"])
    lines = ["Venue,Post Code"] + [f"Hub {i},{pc.lower()}" for i, pc in enumerate(central)]
    venues = read_venues("\n".join(lines).encode(), postcodes=pcs)
    assert venues["located_by"].tolist() == ["postcode"] * 3

    reach = ward_reach(wards, pcs, venue_points(venues)).set_index("ward_code")
    one_each = reach.loc[codes]
    # One venue per ward: its own postcode is reached, at 0 m, but an 800 m disc (2 km²) is
    # smaller than half of any demo ward (4 to 16 km²), so no ward is reached by the majority rule.
    assert one_each["nearest_venue"].tolist() == ["Hub 0", "Hub 1", "Hub 2"]
    assert one_each["nearest_venue_m"].tolist() == pytest.approx([0, 0, 0], abs=1e-6)
    assert (one_each["share_reached"] > 0).all()

    # A few venues in each of the three wards, placed at postcodes, reach all three.
    placed = [
        pc
        for code in codes
        for pc in points[points["ward_code"] == code]["postcode"].iloc[
            cover(points[points["ward_code"] == code].geometry, 0.9 * WALKING_CATCHMENT_M)
        ]
    ]
    lines = ["name,postcode"] + [f"Venue {i},{pc}" for i, pc in enumerate(placed)]
    venues = read_venues("\n".join(lines).encode(), postcodes=pcs)
    reach = ward_reach(wards, pcs, venue_points(venues))
    reached = reach.set_index("ward_code")["reached"]
    assert reached[codes].all()
    assert reach.set_index("ward_code").loc[codes, "share_reached"].tolist() == [1.0, 1.0, 1.0]

    risk = wards["pct_residents_65_plus"]
    priorities = unreached_priorities(wards, reach, risk, top=5)
    assert not set(priorities["ward_code"]) & set(codes)
    assert priorities["risk"].is_monotonic_decreasing
    totals = reach_totals(wards, reach)
    assert totals["residents"].sum() == wards["residents"].sum()
    assert totals["residents_65_plus"].sum() == wards["residents_65_plus"].sum()
    unreached = totals.loc["not reached", "residents"]
    assert champions_needed(unreached, residents_per_champion=1000) == -(-unreached // 1000)


@given(
    shares=st.lists(st.floats(0, 1), min_size=1, max_size=20),
    people=st.lists(st.integers(0, 20_000), min_size=20, max_size=20),
)
def test_residents_within_reach_is_between_none_and_all(shares, people):
    n = len(shares)
    wards = pd.DataFrame(
        {
            "ward_code": [f"W{i}" for i in range(n)],
            "residents": people[:n],
            "residents_65_plus": [p // 5 for p in people[:n]],
        }
    )
    reach = pd.DataFrame({"ward_code": wards["ward_code"], "share_reached": shares})
    within = residents_within_reach(wards, reach)
    assert 0 <= within["residents"] <= wards["residents"].sum()
    assert 0 <= within["residents_65_plus"] <= wards["residents_65_plus"].sum()
    everyone = residents_within_reach(wards, reach.assign(share_reached=1.0))
    assert everyone["residents"] == wards["residents"].sum()
