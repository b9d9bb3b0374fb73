"""Trafford built from ../shared/data plus premises-level files in the real layouts.

BDUK's "Premises in BDUK plans", an Ofcom not-spot postcode list, an Ofcom postcode coverage
file and an ONS ward to constituency lookup are written for Trafford's real postcodes
(tests/bduk_fixtures.py). Every ward and constituency figure is checked against a count made
here from the raw CSV rows, by plain Python, not by the code under test.
"""

import csv
import math
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from app_tables import labelled
from bduk_fixtures import premises_rows, write_constituency_lookup, write_postcode_coverage
from bduk_fixtures import write_premises as write_bduk
from streamlit.testing.v1 import AppTest

from geo import index
from ingest import build, store
from ingest._errors import IngestError

TRAFFORD = "E08000009"
NOT_IN_DIRECTORY = "ZZ99 9ZZ"
APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _link_shared(shared_data: Path, folder: Path) -> None:
    for path in shared_data.rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(shared_data)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)


def _directory(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "postcodes_trafford" / "trafford_postcodes.csv", dtype=str)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _no_plan(row: dict[str, str]) -> bool:
    flags = ("current_gigabit", "future_gigabit", "bduk_gis", "bduk_vouchers")
    return (
        row["bduk_recognised_premises"] == "true"
        and all(row[f] == "false" for f in flags)
        and row["subsidy_control_status"] != "Gigabit Under Review"
    )


@pytest.fixture(scope="module")
def sources(tmp_path_factory, shared_data):
    folder = tmp_path_factory.mktemp("trafford_premises")
    (folder / "premises_in_bduk_plans_2025-07").mkdir()
    _link_shared(shared_data, folder / "shared")
    directory = _directory(shared_data)
    postcodes = directory["postcode"].tolist()[::4]  # every fourth postcode: 2,816
    extra = ["", NOT_IN_DIRECTORY, "not a postcode"]
    write_bduk(
        folder / "premises_in_bduk_plans_2025-07" / "E08000009_Trafford.csv",
        premises_rows(postcodes, la_code=TRAFFORD, la_name="Trafford", seed=7,
                      extra_postcodes=extra),
        bom=True,
    )  # fmt: skip
    older = premises_rows(postcodes[:500], la_code=TRAFFORD, la_name="Trafford", seed=8)
    write_bduk(folder / "premises_in_bduk_plans_2025-03_E08000009.csv", older)
    listed = [*postcodes[:600:10], NOT_IN_DIRECTORY]
    (folder / "ofcom_mobile_not_spot_postcodes_2025-07.csv").write_text(
        "postcode\n" + "\n".join(listed) + "\n"
    )
    below = [0.0 if i % 3 else 100.0 * (i % 7) / 6 for i in range(len(postcodes))]
    write_postcode_coverage(
        folder / "202601_fixed_pc_coverage_r2_M.csv",
        shared_data / "ofcom_fixed_small_area_excerpts" / "202601_fixed_pc_coverage_r2_CR.csv",
        postcodes,
        below,
    )
    wards = directory.drop_duplicates("ward_code")[["ward_code", "ward_name"]]
    write_constituency_lookup(folder / "WD24_PCON24_LAD24_UK_LU.csv", wards, TRAFFORD, "Trafford")
    return folder


@pytest.fixture(scope="module")
def built(sources, tmp_path_factory):
    store_dir = tmp_path_factory.mktemp("trafford_premises_store")
    build.build_place(TRAFFORD, sources, store_dir=store_dir, verbose=False)
    return store_dir


def _ward_of_postcode(built) -> dict[str, str]:
    table = store.read_table(TRAFFORD, "postcodes", store=built)
    return dict(zip(table["postcode"], table["ward_code"], strict=True))


def test_no_gigabit_no_plan_by_ward_equals_a_hand_count(built, sources):
    rows = _rows(sources / "premises_in_bduk_plans_2025-07" / "E08000009_Trafford.csv")
    ward_of = _ward_of_postcode(built)
    by_hand = Counter(
        ward_of[r["postcode"]] for r in rows if _no_plan(r) and r["postcode"] in ward_of
    )
    wards = store.read_wards(TRAFFORD, store=built).set_index("ward_code")
    assert wards["premises_no_gigabit_no_plan"].to_dict() == {w: by_hand[w] for w in wards.index}
    recognised = Counter(
        ward_of[r["postcode"]] for r in rows
        if r["bduk_recognised_premises"] == "true" and r["postcode"] in ward_of
    )  # fmt: skip
    assert wards["bduk_premises"].to_dict() == {w: recognised[w] for w in wards.index}
    share = 100 * wards["premises_no_gigabit_no_plan"] / wards["bduk_premises"]
    pd.testing.assert_series_equal(wards["pct_premises_no_gigabit_no_plan"], share,
                                   check_names=False)  # fmt: skip


def test_every_premises_row_is_placed_or_counted_as_not_placed(built, sources):
    rows = _rows(sources / "premises_in_bduk_plans_2025-07" / "E08000009_Trafford.csv")
    summary = store.read_manifest(TRAFFORD, store=built)["bduk"]
    assert summary["rows"] == len(rows)
    assert summary["not_placed"] == {
        "no postcode": 1, "not a UK postcode": 1, "not in the directory": 1, "in no area": 0,
    }  # fmt: skip
    wards = store.read_wards(TRAFFORD, store=built)
    placed = wards["bduk_premises"].sum() + wards["bduk_premises_not_recognised"].sum()
    assert placed == summary["placed"] == len(rows) - 3


def test_no_gigabit_no_plan_by_constituency_equals_a_hand_count(built, sources, shared_data):
    rows = _rows(sources / "premises_in_bduk_plans_2025-07" / "E08000009_Trafford.csv")
    lookup = {r["WD24CD"]: r["PCON24CD"] for r in _rows(sources / "WD24_PCON24_LAD24_UK_LU.csv")}
    directory = _directory(shared_data).set_index("postcode")["ward_code"].to_dict()
    by_hand = Counter(lookup[directory[r["postcode"]]] for r in rows
                      if _no_plan(r) and r["postcode"] in directory)  # fmt: skip
    table = store.read_table(TRAFFORD, "constituency_plans", store=built)
    assert dict(zip(table["constituency_code"], table["premises_no_gigabit_no_plan"],
                    strict=True)) == dict(by_hand)  # fmt: skip
    assert table["constituency_name"].str.endswith("(test fixture)").all()
    wards = store.read_wards(TRAFFORD, store=built)
    assert table["bduk_premises"].sum() == wards["bduk_premises"].sum()


def test_not_spot_postcodes_are_placed_in_wards(built, sources):
    listed = (sources / "ofcom_mobile_not_spot_postcodes_2025-07.csv").read_text().splitlines()[1:]
    ward_of = _ward_of_postcode(built)
    by_hand = Counter(ward_of[p] for p in listed if p in ward_of)
    wards = store.read_wards(TRAFFORD, store=built).set_index("ward_code")
    assert wards["mobile_not_spot_postcodes"].to_dict() == {w: by_hand[w] for w in wards.index}
    assert sum(by_hand.values()) == len(listed) - 1  # ZZ99 9ZZ is not Trafford's
    notes = " ".join(store.read_manifest(TRAFFORD, store=built)["notes"])
    assert "1 of them not in this place's directory" in notes


def test_double_not_spot_bounds_equal_a_hand_computation(built, sources):
    rows = _rows(sources / "premises_in_bduk_plans_2025-07" / "E08000009_Trafford.csv")
    per_postcode = Counter(r["postcode"] for r in rows if r["bduk_recognised_premises"] == "true")
    speeds = _rows(sources / "202601_fixed_pc_coverage_r2_M.csv")
    column = "% of premises unable to receive decent broadband from fixed or FWA"
    below = {r["postcode_space"]: float(r[column]) for r in speeds}
    listed = (sources / "ofcom_mobile_not_spot_postcodes_2025-07.csv").read_text().splitlines()[1:]
    ward_of = _ward_of_postcode(built)
    low, high = Counter(), Counter()
    for postcode in (p for p in listed if p in ward_of):
        n, u = per_postcode[postcode], per_postcode[postcode] * below[postcode] / 100
        low[ward_of[postcode]] += math.floor(max(0.0, u - n + 1) + 1e-9)
        high[ward_of[postcode]] += math.ceil(u - 1e-9)
    wards = store.read_wards(TRAFFORD, store=built).set_index("ward_code")
    assert wards["premises_double_not_spot_min"].to_dict() == {w: low[w] for w in wards.index}
    assert wards["premises_double_not_spot_max"].to_dict() == {w: high[w] for w in wards.index}
    assert sum(high.values()) > sum(low.values()) > 0


def test_the_index_and_the_not_spot_map_use_the_ward_figures(built):
    wards = store.read_wards(TRAFFORD, store=built)
    result = index.compute_index(wards)
    assert "pct_premises_no_gigabit_no_plan" in result.attrs["used_indicators"]
    assert "pct_premises_in_mobile_not_spot_postcodes" in result.attrs["used_indicators"]
    assert "component_infrastructure" in result
    spots = index.not_spots(wards)
    assert spots.attrs["level"]["mobile_not_spot"] == "ward"
    assert spots["mobile_not_spot"].nunique() == 2  # not one colour: some wards are, some not


def test_the_newest_release_is_chosen_and_the_changes_are_stored(built):
    manifest = store.read_manifest(TRAFFORD, store=built)
    assert manifest["bduk"]["release_month"] == "2025-07"
    assert any(
        "chose E08000009_Trafford.csv (2025-07), the newest; passed over "
        "premises_in_bduk_plans_2025-03_E08000009.csv (2025-03)" in n
        for n in manifest["notes"]
    )
    changes = store.read_table(TRAFFORD, "bduk_changes", store=built)
    assert set(changes[["release_before", "release_now"]].drop_duplicates().itertuples(
        index=False)) == {("2025-03", "2025-07")}  # fmt: skip
    assert changes["premises_now"].sum() == store.read_wards(
        TRAFFORD, store=built)["bduk_premises"].sum()  # fmt: skip
    roles = {s["role"] for s in manifest["sources"]}
    assert {"bduk_premises", "ofcom_mobile_not_spots", "ofcom_fixed_postcode",
            "ward_constituency_lookup"} <= roles  # fmt: skip


def test_two_undated_bduk_files_are_refused(shared_data, tmp_path):
    folder = tmp_path / "undated"
    _link_shared(shared_data, folder)
    rows = premises_rows(["M15 4AB"], la_code=TRAFFORD, la_name="Trafford")
    write_bduk(folder / "bduk_trafford.csv", rows)
    write_bduk(folder / "bduk_trafford_copy.csv", rows)
    with pytest.raises(IngestError, match=r"name no month, so the newest cannot be told"):
        build.build_place(TRAFFORD, folder, store_dir=tmp_path / "store", verbose=False)


def test_a_bduk_file_of_another_authority_is_skipped_with_a_note(shared_data, tmp_path):
    folder = tmp_path / "coventry"
    _link_shared(shared_data, folder)
    rows = premises_rows(["CV1 1AA"], la_code="E08000026", la_name="Coventry")
    write_bduk(folder / "premises_in_bduk_plans_2025-07_coventry.csv", rows)
    built = build.build_place(TRAFFORD, folder, store_dir=tmp_path / "store", verbose=False)
    manifest = store.read_manifest(TRAFFORD, store=built.parent)
    assert any("holds premises of E08000026 (Coventry), not of E08000009" in n
               for n in manifest["notes"])  # fmt: skip
    assert "bduk_premises" not in store.read_wards(TRAFFORD, store=built.parent)


def test_the_app_shows_traffords_ward_and_constituency_figures(built, monkeypatch):
    monkeypatch.setenv("DIM_STORE", str(built))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["indicator"] = "pct_premises_no_gigabit_no_plan"
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="indicator").value == "pct_premises_no_gigabit_no_plan"
    wards = store.read_wards(TRAFFORD, store=built)
    double = next(m for m in at.metric if m.label == "Premises in double not-spots")
    low, high = (int(wards[f"premises_double_not_spot_{b}"].sum()) for b in ("min", "max"))
    assert double.value == f"{low:,} to {high:,}"
    table = next(
        t for t in map(labelled, at.dataframe) if "Constituency" in t.columns
    )  # the constituency table, with this authority's premises in each
    pcon = store.read_table(TRAFFORD, "constituency_plans", store=built)
    assert table["No gigabit and no plan"].tolist() == pcon["premises_no_gigabit_no_plan"].tolist()
