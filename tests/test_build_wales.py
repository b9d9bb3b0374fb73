"""A Welsh authority through the build: real WIMD 2019, Census 2021 and Ofcom files.

Wales has no ward boundaries or lookups in ../shared/data, so the test draws six synthetic
wards for Torfaen (W06000020), whose 60 LSOAs kept their codes from 2011 to 2021.
"""

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from ingest import build, store
from ingest.sources import census, ofcom_fixed, wimd

TORFAEN = "W06000020"


@pytest.fixture(scope="module")
def torfaen(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("wales_sources")
    for real in (
        "wimd2019/wimd-2019-index-and-domain-scores.csv",
        "census2021_rm121_age/Census 2021 - Population.csv",
        "ofcom_fixed_laua/202507_fixed_laua_coverage_r01.csv",
    ):
        (folder / real.split("/")[1]).symlink_to(shared_data / real)
    scores = wimd.read_wimd(shared_data / "wimd2019/wimd-2019-index-and-domain-scores.csv")
    lsoas = scores[scores["la_name"] == "Torfaen"].sort_values("lsoa_code")
    wards = [f"W05{999001 + i % 6:06d}" for i in range(len(lsoas))]
    pd.DataFrame(
        {
            "LSOA21CD": lsoas["lsoa_code"],
            "LSOA21NM": lsoas["lsoa_name"],
            "WD22CD": wards,
            "WD22NM": [f"Test ward {w[-1]}" for w in wards],
            "LAD22CD": TORFAEN,
            "LAD22NM": "Torfaen",
        }
    ).to_csv(folder / "LSOA21_WD22_LAD22_EW_LU_test.csv", index=False)
    boundaries = gpd.GeoDataFrame(
        {
            "WD22CD": sorted(set(wards)),
            "WD22NM": [f"Test ward {w[-1]}" for w in sorted(set(wards))],
            "LAD22CD": TORFAEN,
            "LAD22NM": "Torfaen",
        },
        geometry=[box(-3.1 + 0.01 * i, 51.7, -3.09 + 0.01 * i, 51.71) for i in range(6)],
        crs="EPSG:4326",
    )
    (folder / "Wards_May_2022_Boundaries_test.geojson").write_text(boundaries.to_json(drop_id=True))
    store_dir = tmp_path_factory.mktemp("wales_store")
    build.build_place(TORFAEN, folder, store_dir=store_dir, verbose=False)
    return store_dir, lsoas


def test_wales_uses_wimd_and_conserves_residents(torfaen, shared_data):
    store_dir, lsoas = torfaen
    wards = store.read_wards(TORFAEN, store=store_dir)
    manifest = store.read_manifest(TORFAEN, store=store_dir)
    people = census.read_census_age(
        shared_data / "census2021_rm121_age" / "Census 2021 - Population.csv"
    )
    assert len(wards) == 6
    here = people[people["lsoa_code"].isin(lsoas["lsoa_code"])]
    assert wards["residents"].sum() == here["residents"].sum()
    assert wards["imd_average_rank"].between(1, wimd.N_LSOAS).all()
    roles = {s["role"] for s in manifest["sources"]}
    assert "wimd" in roles
    assert "iod" not in roles
    # Decile 1 residents come from WIMD's most deprived tenth of Welsh LSOAs.
    decile_1 = lsoas.loc[lsoas["wimd_decile"] == 1, "lsoa_code"]
    expected = here.loc[here["lsoa_code"].isin(decile_1), "residents"].sum()
    assert wards["residents_most_deprived_decile"].sum() == expected
    la = ofcom_fixed.read_fixed_la(
        shared_data / "ofcom_fixed_laua" / "202507_fixed_laua_coverage_r01.csv"
    ).set_index("la_code")
    assert (wards["la_pct_premises_below_uso"] == la.loc[TORFAEN, "pct_premises_below_uso"]).all()
    assert any("no Ofcom mobile file" in n for n in manifest["notes"])
    json.dumps(manifest)  # the manifest stays plain JSON
