import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import box

from geo import joins
from geo.joins import (
    UnmatchedAreasError,
    area_lineage,
    assign_to_wards,
    population_weighted_to_wards,
    sum_to_wards,
)

CRS = "EPSG:27700"


@pytest.fixture
def wards():
    return gpd.GeoDataFrame(
        {"ward_code": ["W1", "W2"]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=CRS
    )


def test_areas_go_to_the_ward_holding_their_interior(wards):
    oas = gpd.GeoDataFrame(
        {"oa_code": ["A", "B", "C", "OUT"]},
        geometry=[box(0, 0, 5, 5), box(12, 2, 18, 8), box(8, 0, 11, 10), box(50, 50, 51, 51)],
        crs=CRS,
    )
    # C straddles the boundary, mostly in W1; OUT is outside every ward.
    assert assign_to_wards(oas, wards, area_code="oa_code").to_dict() == {
        "A": "W1",
        "B": "W2",
        "C": "W1",
    }


def test_crs_mismatch_is_refused(wards):
    oas = gpd.GeoDataFrame({"oa_code": ["A"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    with pytest.raises(ValueError, match="CRS differ"):
        assign_to_wards(oas, wards, area_code="oa_code")


def test_sum_refuses_to_lose_an_area():
    table = pd.DataFrame({"oa_code": ["A", "B", "LOST"], "premises": [5, 7, 9]})
    with pytest.raises(UnmatchedAreasError, match=r"1 area.*LOST") as err:
        sum_to_wards(table, pd.Series({"A": "W1", "B": "W1"}), key="oa_code", columns=["premises"])
    assert err.value.codes == ["LOST"]


def test_population_weighted_mean_is_hand_computed():
    table = pd.DataFrame(
        {"lsoa": ["a", "b", "c"], "residents": [100, 300, 50], "imd_rank": [1000, 2000, 5]}
    )
    out = population_weighted_to_wards(
        table, pd.Series({"a": "W1", "b": "W1", "c": "W2"}), key="lsoa", weight="residents",
        values=["imd_rank"],
    )  # fmt: skip
    assert out.loc["W1", "imd_rank"] == pytest.approx((100 * 1000 + 300 * 2000) / 400)
    assert out.loc["W2", "imd_rank"] == 5


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 10_000), st.integers(0, 10_000)),
        min_size=1,
        max_size=60,
    )
)
def test_sum_to_wards_conserves_every_total(rows):
    table = pd.DataFrame(
        {
            "oa_code": [f"OA{i}" for i in range(len(rows))],
            "premises": [r[1] for r in rows],
            "residents": [r[2] for r in rows],
        }
    )
    mapping = pd.Series({f"OA{i}": f"W{r[0]}" for i, r in enumerate(rows)})
    out = sum_to_wards(table, mapping, key="oa_code", columns=["premises", "residents"])
    assert out["premises"].sum() == table["premises"].sum()
    assert out["residents"].sum() == table["residents"].sum()
    assert out["n_areas"].sum() == len(table)
    assert set(out.index) == set(mapping)


def test_lineage_gives_split_parts_their_parent():
    old = gpd.GeoDataFrame(
        {"lsoa_code": ["A", "P"]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=CRS
    )
    new = gpd.GeoDataFrame(
        {"lsoa_code": ["A", "P1", "P2", "X"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 15, 10), box(15, 0, 20, 10), box(90, 90, 91, 91)],
        crs=CRS,
    )
    lineage = area_lineage(new, old)
    assert lineage["old_code"].dropna().to_dict() == {"A": "A", "P1": "P", "P2": "P"}
    assert lineage["change"].to_dict() == {
        "A": "unchanged",
        "P1": "inherited",
        "P2": "inherited",
        "X": "unmatched",
    }


def test_lineage_of_trafford_lsoas_2011_to_2021(shared_data):
    from ingest.sources.ons_geography import read_areas

    old = read_areas(
        shared_data / "lsoa_trafford/2011_trafford_lsoa_generalised.geojson", level="lsoa"
    )
    new = read_areas(
        shared_data / "lsoa_trafford/2021_trafford_lsoa_generalised.geojson", level="lsoa"
    )
    lineage = area_lineage(new, old)
    changed = lineage[lineage["change"] != "unchanged"]
    assert changed["old_code"].to_dict() == {"E01034000": "E01006185", "E01034001": "E01006185"}
    assert (lineage["change"] == "unchanged").sum() == 137


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 6),
    st.integers(2, 6),
    st.lists(st.integers(0, 3), min_size=36, max_size=36),
    st.lists(st.integers(0, 500), min_size=36, max_size=36),
)
def test_premises_are_conserved_through_geometry(nx, ny, ward_of_cell, premises):
    """Output areas on a grid, wards any grouping of them: no premises lost or counted twice."""
    cells = [(i, j) for i in range(nx) for j in range(ny)]
    oas = gpd.GeoDataFrame(
        {"oa_code": [f"OA{i}_{j}" for i, j in cells], "premises": premises[: len(cells)]},
        geometry=[box(i, j, i + 1, j + 1) for i, j in cells],
        crs=CRS,
    )
    groups = pd.Series([f"W{w}" for w in ward_of_cell[: len(cells)]], index=oas.index)
    wards = (
        gpd.GeoDataFrame(
            geometry=oas.geometry.groupby(groups).agg(lambda g: g.union_all()), crs=CRS
        )
        .rename_axis("ward_code")
        .reset_index()
    )
    mapping = assign_to_wards(oas, wards, area_code="oa_code")
    out = sum_to_wards(oas, mapping, key="oa_code", columns=["premises"])
    assert out["premises"].sum() == oas["premises"].sum()
    assert (mapping == groups.set_axis(oas["oa_code"])).all()


def test_split_to_wards_shares_whole_numbers_by_largest_remainder():
    areas = pd.DataFrame({"lsoa_code": ["L1", "L2"], "residents": [10, 7], "imd_rank": [5, 9]})
    shares = pd.DataFrame(
        {
            "lsoa_code": ["L1", "L1", "L1", "L2"],
            "ward_code": ["A", "B", "C", "C"],
            "share": [0.45, 0.35, 0.2, 1.0],
        }
    )
    pieces = joins.split_to_wards(areas, shares, key="lsoa_code", counts=["residents"])
    # 4.5, 3.5, 2.0: floors 4, 3, 2 leave 1, which goes to the largest remainder (A, then B)
    assert pieces[["lsoa_code", "ward_code", "residents", "imd_rank"]].values.tolist() == [
        ["L1", "A", 5, 5],
        ["L1", "B", 3, 5],
        ["L1", "C", 2, 5],
        ["L2", "C", 7, 9],
    ]


def test_split_to_wards_refuses_an_area_with_no_share():
    areas = pd.DataFrame({"lsoa_code": ["L1", "L9"], "residents": [1, 2]})
    shares = pd.DataFrame({"lsoa_code": ["L1"], "ward_code": ["A"], "share": [1.0]})
    with pytest.raises(joins.UnmatchedAreasError, match=r"1 area.*L9"):
        joins.split_to_wards(areas, shares, key="lsoa_code", counts=["residents"])


@given(
    st.lists(
        st.tuples(st.integers(0, 5000), st.lists(st.integers(1, 60), min_size=1, max_size=5)),
        min_size=1,
        max_size=8,
    )
)
def test_split_to_wards_conserves_every_area_exactly(areas_and_postcodes):
    rows, share_rows = [], []
    for i, (residents, postcodes) in enumerate(areas_and_postcodes):
        rows.append({"lsoa_code": f"L{i}", "residents": residents})
        share_rows += [
            {"lsoa_code": f"L{i}", "ward_code": f"W{j}", "share": n / sum(postcodes)}
            for j, n in enumerate(postcodes)
        ]
    areas, shares = pd.DataFrame(rows), pd.DataFrame(share_rows)
    pieces = joins.split_to_wards(areas, shares, key="lsoa_code", counts=["residents"])
    by_area = pieces.groupby("lsoa_code")["residents"].sum()
    assert by_area.to_dict() == areas.set_index("lsoa_code")["residents"].to_dict()
    exact = pieces["residents"] - pieces["lsoa_code"].map(by_area) * pieces["share"]
    assert (exact.abs() < 1).all()  # each piece within one of its exact share
