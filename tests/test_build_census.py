"""Census 2021 risk groups in the build: the output-area route, on the demo place."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from ingest import build, demo, store
from ingest.sources import ons_geography
from tests.test_census_topics import TS038_HEADER


@pytest.fixture(scope="module")
def oa_build(tmp_path_factory, demo_sources):
    """The demo built with TS038 by output area instead of by LSOA."""
    folder = tmp_path_factory.mktemp("oa_sources")
    for path in demo_sources.values():
        if path.is_file() and path.name != "census2021-ts038-lsoa.csv":
            shutil.copy(path, folder / path.name)
    oas = ons_geography.read_areas(demo_sources["output_areas"], level="oa")
    rng = np.random.default_rng(3)
    a_lot, a_little = rng.integers(5, 40, len(oas)), rng.integers(5, 40, len(oas))
    limited_no, healthy = rng.integers(5, 30, len(oas)), rng.integers(150, 300, len(oas))
    disabled, not_disabled = a_lot + a_little, limited_no + healthy
    rows = pd.DataFrame(
        [
            ["2021", f"Demo {code}", code, d + n, d, lot, little, n, ln, h]
            for code, d, lot, little, n, ln, h in zip(
                oas["oa_code"], disabled, a_lot, a_little, not_disabled, limited_no, healthy,
                strict=True,
            )
        ],
        columns=TS038_HEADER,
    )  # fmt: skip
    rows.to_csv(folder / "census2021-ts038-oa.csv", index=False)
    out = tmp_path_factory.mktemp("oa_store")
    build.build_place(demo.DEMO_LA_CODE, folder, store_dir=out, verbose=False, synthetic=True)
    return out, oas.assign(disabled=disabled, everyone=disabled + not_disabled)


def test_output_areas_are_summed_to_the_ward_holding_their_point(oa_build):
    out, oas = oa_build
    wards = store.read_wards(demo.DEMO_LA_CODE, store=out)
    points = gpd.GeoDataFrame(
        oas[["disabled", "everyone"]], geometry=oas.representative_point(), crs=oas.crs
    )
    placed = gpd.sjoin(points, wards[["ward_code", "geometry"]], predicate="within")
    expected = placed.groupby("ward_code")[["disabled", "everyone"]].sum()
    got = wards.set_index("ward_code")[["residents_disabled", "residents_disabled_base"]]
    assert got["residents_disabled"].to_dict() == expected["disabled"].to_dict()
    assert got["residents_disabled_base"].to_dict() == expected["everyone"].to_dict()
    assert got["residents_disabled"].sum() == oas["disabled"].sum()  # nothing lost
    manifest = store.read_manifest(demo.DEMO_LA_CODE, store=out)
    assert manifest["methods"]["residents_disabled"].startswith(
        "TS038: census2021-ts038-oa.csv: output areas placed in wards by their representative point"
    )
    # the LSOA tables still go through the LSOAs
    assert manifest["methods"]["residents_no_qualifications"].startswith(
        "TS067: census2021-ts067-lsoa.csv: LSOAs"
    )


def test_an_oa_file_of_part_of_the_place_is_refused(tmp_path, demo_sources):
    folder = tmp_path / "src"
    shutil.copytree(demo_sources["wards"].parent, folder)
    oas = ons_geography.read_areas(demo_sources["output_areas"], level="oa")
    (folder / "census2021-ts038-lsoa.csv").unlink()
    pd.DataFrame(
        [["2021", "x", code, 10, 4, 2, 2, 6, 1, 5] for code in oas["oa_code"].iloc[:-3]],
        columns=TS038_HEADER,
    ).to_csv(folder / "census2021-ts038-oa.csv", index=False)
    with pytest.raises(build.IngestError, match=r"census2021-ts038-oa.csv has no row for 3 output"):
        build.build_place(demo.DEMO_LA_CODE, folder, store_dir=tmp_path / "st", verbose=False)


def test_lsoa_codes_of_2011_in_a_2021_table_are_named(tmp_path, demo_sources):
    folder = tmp_path / "src"
    shutil.copytree(demo_sources["wards"].parent, folder)
    ts038 = folder / "census2021-ts038-lsoa.csv"
    table = pd.read_csv(ts038, dtype=str)
    first = table.loc[0, "geography code"]
    table.loc[0, "geography code"] = "E01006185"  # a Trafford LSOA of 2011, split in 2021
    table.to_csv(ts038, index=False)
    with pytest.raises(
        build.IngestError,
        match=rf"ts038-lsoa.csv has no row for 1 LSOA\(s\) .*{first}.*LSOA codes of 2011",
    ):
        build.build_place(demo.DEMO_LA_CODE, folder, store_dir=tmp_path / "st", verbose=False)


def test_pension_credit_reaches_wards_per_100_residents_aged_66_plus(demo_store, demo_sources):
    claims = pd.read_csv(demo_sources["dwp_pension_credit"])
    age = pd.read_csv(demo_sources["census_age"], skiprows=7, nrows=len(claims) + 1)
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    assert wards["pension_credit_claimants"].sum() == claims["pension_credit_claimants"].sum()
    older = age.iloc[1:, 2:].astype(int).sum(axis=1) - age.iloc[1:, 2].astype(int)
    assert wards["residents_66_plus"].sum() == older.sum()  # 65+ bands less the 65s
    ward = wards.iloc[0]
    assert ward["pct_residents_66_plus_pension_credit"] == pytest.approx(
        100 * ward["pension_credit_claimants"] / ward["residents_66_plus"]
    )
    manifest = store.read_manifest(demo.DEMO_LA_CODE, store=demo_store)
    assert "Pension Credit: chose dwp_pension_credit_202505" in " ".join(manifest["notes"])


def test_a_pension_credit_file_missing_lsoas_is_refused(tmp_path, demo_sources):
    folder = tmp_path / "src"
    shutil.copytree(demo_sources["wards"].parent, folder)
    path = folder / demo_sources["dwp_pension_credit"].name
    pd.read_csv(path, dtype=str).iloc[:-2].to_csv(path, index=False)
    with pytest.raises(build.IngestError, match=r"no Pension Credit row for 2 LSOA\(s\)"):
        build.build_place(demo.DEMO_LA_CODE, folder, store_dir=tmp_path / "st", verbose=False)


def test_without_a_dwp_file_pension_credit_is_not_known(trafford_store):
    wards = store.read_wards("E08000009", store=trafford_store)
    assert "pct_residents_66_plus_pension_credit" not in wards
    notes = " ".join(store.read_manifest("E08000009", store=trafford_store)["notes"])
    assert "Pension Credit is not known by ward" in notes
