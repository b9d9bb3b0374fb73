"""BDUK "Premises in BDUK plans": the reader (real layout) and geo.gigabit (plans by area)."""

import math

import numpy as np
import pandas as pd
import pytest
from bduk_fixtures import KINDS, premises_rows, write_premises
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import gigabit
from ingest._errors import IngestError
from ingest._tables import release_month
from ingest.sources import bduk

POSTCODES = ["M15 4AB", "M15 4AD", "WA14 2UE"]


@pytest.fixture
def rows():
    return premises_rows(POSTCODES, la_code="E08000009", la_name="Trafford", seed=3)


def test_header_is_the_verbatim_one_of_the_issue():
    assert ",".join(bduk.HEADER_2025) == (
        "uprn,struprn,bduk_recognised_premises,country,postcode,lot_id,lot_name,"
        "subsidy_control_status,current_gigabit,future_gigabit,local_authority_district_ons_code,"
        "local_authority_district_ons,region_ons_code,region_ons,bduk_gis,bduk_gis_contract_scope,"
        "bduk_gis_final_coverage_date,bduk_gis_contract_name,bduk_gis_supplier,bduk_vouchers,"
        "bduk_vouchers_contract_name,bduk_vouchers_supplier,bduk_superfast,"
        "bduk_superfast_contract_name,bduk_superfast_supplier,bduk_hubs,bduk_hubs_contract_name,"
        "bduk_hubs_supplier"
    )


@pytest.mark.parametrize(("bom", "crlf"), [(False, False), (True, False), (True, True)])
def test_reads_the_real_layout_with_or_without_bom(tmp_path, rows, bom, crlf):
    path = write_premises(tmp_path / "premises_in_bduk_plans_2025-07.csv", rows, bom=bom, crlf=crlf)
    premises = bduk.read_bduk_premises(path)
    assert len(premises) == len(rows)
    assert premises["uprn"].dtype == "int64"
    assert premises["uprn"].iloc[0] == 100_000_000_001  # 12 digits: beyond int32
    assert set(premises["postcode"]) <= set(POSTCODES)
    assert premises["subsidy_status"].isin(["white", "grey", "black", "under_review"]).all()
    assert premises.attrs["release_month"] == "2025-07"
    assert premises["current_gigabit"].sum() == sum(r["current_gigabit"] == "true" for r in rows)
    gis = premises[premises["in_gis_contract"]]
    assert (gis["gis_supplier"] == "Example Fibre Ltd").all()
    assert premises.loc[~premises["in_gis_contract"], "gis_supplier"].isna().all()


def test_flags_saved_by_a_spreadsheet_in_capitals_read_the_same(tmp_path, rows):
    plain = bduk.read_bduk_premises(write_premises(tmp_path / "a.csv", rows))
    shouted = [{k: v.upper() if v in ("true", "false") else v for k, v in r.items()} for r in rows]
    loud = bduk.read_bduk_premises(write_premises(tmp_path / "b.csv", shouted))
    pd.testing.assert_frame_equal(plain, loud, check_like=True)


def test_postcodes_are_tidied_and_unusable_ones_kept_with_a_reason(tmp_path, rows):
    rows[0]["postcode"], rows[1]["postcode"], rows[2]["postcode"] = "m154ab", "", "NOT A PC"
    premises = bduk.read_bduk_premises(write_premises(tmp_path / "p.csv", rows))
    assert len(premises) == len(rows)  # nothing dropped
    assert premises["postcode"].iloc[0] == "M15 4AB"
    assert premises["postcode_problem"].iloc[:3].tolist() == [pd.NA, "no postcode",
                                                              "not a UK postcode"]  # fmt: skip
    assert premises["postcode"].iloc[1:3].isna().all()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("subsidy_control_status", "Gigabit Purple", r"subsidy_control_status.*'Gigabit Purple'"),
        ("current_gigabit", "yes", r"current_gigabit.*'yes'; expected 'true' or 'false'"),
        ("uprn", "12AB", r"'uprn', line 2: found '12AB'"),
        ("uprn", "1234567890123", r"1 to 12 digits"),
        ("struprn", "999", r"'struprn'.*same UPRN"),
        ("local_authority_district_ons_code", "S12000041", r"English or Welsh"),
    ],
)
def test_bad_cells_are_refused_naming_file_column_and_line(tmp_path, rows, column, value, message):
    rows[0][column] = value
    with pytest.raises(IngestError, match=rf"bduk: bad\.csv.*{message}"):
        bduk.read_bduk_premises(write_premises(tmp_path / "bad.csv", rows))


def test_a_uprn_twice_is_refused(tmp_path, rows):
    rows[1]["uprn"] = rows[1]["struprn"] = rows[0]["uprn"]
    with pytest.raises(IngestError, match="appear on more than one row"):
        bduk.read_bduk_premises(write_premises(tmp_path / "twice.csv", rows))


def test_an_older_layout_is_refused_saying_what_differs(tmp_path, rows):
    path = tmp_path / "old.csv"
    frame = pd.DataFrame(rows).drop(columns=["struprn"]).rename(columns={"bduk_hubs": "hubs"})
    frame.to_csv(path, index=False)
    with pytest.raises(IngestError, match=r"missing column\(s\) \['bduk_hubs', 'struprn'\]"):
        bduk.read_bduk_premises(path)


def test_a_file_of_another_authority_is_named(tmp_path):
    rows = premises_rows(["CV1 1AA"], la_code="E08000026", la_name="Coventry")
    premises = bduk.read_bduk_premises(write_premises(tmp_path / "coventry.csv", rows))
    with pytest.raises(IngestError, match=r"holds premises of E08000026 \(Coventry\), not of E08"):
        bduk.check_one_authority(premises, "E08000009", tmp_path / "coventry.csv")


@pytest.mark.parametrize(
    ("name", "month"),
    [
        ("premises_in_bduk_plans_2025-07.csv", "2025-07"),
        ("bduk_202503_trafford.csv", "2025-03"),
        ("january-2025-omr-and-premises-in-bduk-plans/E08000009.csv", "2025-01"),
        ("September_2024/premises.csv", "2024-09"),
        ("E08000009.csv", None),
    ],
)
def test_release_month_is_read_from_the_name_or_folder(name, month):
    assert release_month(name) == month


# --- geo.gigabit -----------------------------------------------------------------------------


def _premises(kinds, postcodes, recognised=None):
    names = ("subsidy_status", "current_gigabit", "future_gigabit", "in_gis_contract",
             "in_voucher_project")  # fmt: skip
    rows = [dict(zip(names, _flags(kind), strict=True)) for kind in kinds]
    frame = pd.DataFrame(rows)
    frame["uprn"] = np.arange(1, len(frame) + 1)
    frame["postcode"] = pd.array(postcodes, dtype="string")
    frame["postcode_problem"] = pd.array(
        [pd.NA if p else "no postcode" for p in postcodes], dtype="string"
    )
    frame["recognised"] = True if recognised is None else recognised
    return frame


def _flags(kind):
    status, *flags = KINDS[kind]
    return [bduk.STATUSES[status], *(f == "true" for f in flags)]


def test_each_kind_of_premises_gets_its_status_in_order():
    kinds = list(gigabit.PLAN_STATUSES)
    assert gigabit.plan_status(_premises(kinds, ["M1 1AA"] * 6)).tolist() == kinds


def test_gigabit_now_wins_over_a_contract_and_a_contract_over_review():
    frame = _premises(["project_gigabit", "under_review"], ["M1 1AA"] * 2)
    frame.loc[0, "current_gigabit"] = True
    frame.loc[1, "in_gis_contract"] = True
    assert gigabit.plan_status(frame).tolist() == ["gigabit_now", "project_gigabit"]


def test_counts_by_ward_by_hand():
    frame = _premises(
        ["no_gigabit_no_plan", "no_gigabit_no_plan", "gigabit_now", "under_review",
         "no_gigabit_no_plan", "no_gigabit_no_plan"],
        ["M1 1AA", "M1 1AB", "M1 1AB", "M1 1AB", "ZZ9 9ZZ", None],
        recognised=[True, True, True, False, True, True],
    )  # fmt: skip
    placed = gigabit.plans_by_area(
        frame, pd.Series({"M1 1AA": "W1", "M1 1AB": "W2", "M1 1AC": "W3"}, name="ward_code")
    )
    counts = placed.counts
    assert counts.index.tolist() == ["W1", "W2", "W3"]
    assert counts["premises_no_gigabit_no_plan"].tolist() == [1, 1, 0]
    assert counts["premises_gigabit_now"].tolist() == [0, 1, 0]
    assert counts["bduk_premises"].tolist() == [1, 2, 0]
    assert counts["bduk_premises_not_recognised"].tolist() == [0, 1, 0]
    assert placed.not_placed.to_dict() == {
        "no postcode": 1, "not a UK postcode": 0, "not in the directory": 1, "in no area": 0,
    }  # fmt: skip
    assert placed.rows == 6


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(gigabit.PLAN_STATUSES)),
            st.sampled_from(["M1 1AA", "M1 1AB", "M1 1AC", "ZZ1 1ZZ", None]),
            st.booleans(),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_every_row_is_in_a_ward_or_counted_as_not_placed(cases):
    kinds, postcodes, recognised = zip(*cases, strict=True)
    frame = _premises(list(kinds), list(postcodes), recognised=list(recognised))
    area = pd.Series({"M1 1AA": "W1", "M1 1AB": "W2", "M1 1AC": None})
    placed = gigabit.plans_by_area(frame, area, areas=pd.Index(["W1", "W2"]))
    counted = placed.counts[["bduk_premises", "bduk_premises_not_recognised"]].to_numpy().sum()
    assert counted + placed.not_placed.sum() == len(frame)
    statuses = placed.counts[list(gigabit.STATUS_COUNTS.values())].sum(axis=1)
    assert (statuses == placed.counts["bduk_premises"]).all()
    assert placed.not_placed["in no area"] == sum(p == "M1 1AC" for p in postcodes)


def test_an_area_left_out_of_areas_is_refused_not_lost():
    frame = _premises(["gigabit_now"], ["M1 1AB"])
    with pytest.raises(ValueError, match=r"not in areas \(\['W2'\]\)"):
        gigabit.plans_by_area(frame, pd.Series({"M1 1AB": "W2"}), areas=pd.Index(["W1"]))


def test_changes_between_releases_by_hand():
    before = _premises(["no_gigabit_no_plan", "no_gigabit_no_plan", "commercial_plan"],
                       ["M1 1AA", "M1 1AA", "M1 1AB"])  # fmt: skip
    now = _premises(["project_gigabit", "no_gigabit_no_plan", "gigabit_now", "gigabit_now"],
                    ["M1 1AA", "M1 1AA", "M1 1AB", "M1 1AB"])  # fmt: skip
    changes = gigabit.plan_changes(
        before, now, pd.Series({"M1 1AA": "W1", "M1 1AB": "W2"}), areas=pd.Index(["W1", "W2"])
    )
    assert changes.loc["W1"].to_dict() == {
        "premises_before": 2, "premises_now": 2, "gigabit_before": 0, "gigabit_now": 0,
        "no_plan_before": 2, "no_plan_now": 1, "gained_gigabit": 0, "left_no_plan": 1,
        "joined_no_plan": 0, "new_premises": 0, "removed_premises": 0,
    }  # fmt: skip
    assert changes.loc["W2", ["gained_gigabit", "new_premises", "premises_now"]].tolist() == [
        1, 1, 2,
    ]  # fmt: skip


def test_contracts_name_supplier_and_date_per_ward():
    frame = _premises(["project_gigabit"] * 3, ["M1 1AA", "M1 1AA", "M1 1AB"])
    frame["gis_contract_name"] = "Lot 29"
    frame["gis_supplier"] = "FibreCo"
    frame["gis_final_coverage_date"] = "2027-03-31"
    frame["gis_contract_scope"] = pd.NA
    table = gigabit.contracts_by_area(frame, pd.Series({"M1 1AA": "W1", "M1 1AB": "W2"}))
    assert table[["area_code", "supplier", "premises"]].values.tolist() == [
        ["W1", "FibreCo", 2], ["W2", "FibreCo", 1],
    ]  # fmt: skip
    assert (table["contract_scope"] == "not given").all()


def test_double_not_spot_bounds_by_hand():
    area = pd.Series({"A 1AA": "W1", "A 1AB": "W1", "A 1AC": "W2", "A 1AD": "W3"})
    out = gigabit.not_spot_premises(
        pd.Series(["A 1AA", "A 1AB", "A 1AC", "Z 9ZZ"]),
        area,
        premises_per_postcode=pd.Series({"A 1AA": 10, "A 1AB": 4, "A 1AC": 7}),
        pct_below_uso=pd.Series({"A 1AA": 25.0, "A 1AB": 100.0}),
        areas=pd.Index(["W1", "W2", "W3"]),
    )
    # A 1AA: u = 2.5 of 10 -> 0 to 3; A 1AB: u = 4 of 4 -> at least 1, at most 4.
    assert out.loc["W1", "premises_double_not_spot_min"] == 1
    assert out.loc["W1", "premises_double_not_spot_max"] == 7
    assert out.loc["W1", "premises_in_mobile_not_spot_postcodes"] == 14
    # A 1AC has no speed data and is the ward's only listed postcode: not known, not 0.
    assert out["premises_double_not_spot_max"].isna().tolist() == [False, True, False]
    assert out.loc["W2", "mobile_not_spot_postcodes_no_speed_data"] == 1
    assert out.loc["W3", "premises_double_not_spot_max"] == 0  # no listed postcode there
    assert out.attrs["not_placed"] == 1


def test_without_premises_counts_not_spot_premises_are_not_known():
    out = gigabit.not_spot_premises(
        pd.Series(["A 1AA"]), pd.Series({"A 1AA": "W1"}), premises_per_postcode=None,
        pct_below_uso=None, areas=pd.Index(["W1"]),
    )  # fmt: skip
    assert out.loc["W1", "mobile_not_spot_postcodes"] == 1
    assert out[["premises_in_mobile_not_spot_postcodes", "premises_double_not_spot_max"]].isna(
    ).all().all()  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 80), st.floats(0, 100)), min_size=1, max_size=20))
def test_double_bounds_hold_premises_by_premises(cases):
    codes = [f"A {i}AA" for i in range(len(cases))]
    out = gigabit.not_spot_premises(
        pd.Series(codes), pd.Series(dict.fromkeys(codes, "W1")),
        premises_per_postcode=pd.Series({c: n for c, (n, _) in zip(codes, cases, strict=True)}),
        pct_below_uso=pd.Series({c: s for c, (_, s) in zip(codes, cases, strict=True)}),
        areas=pd.Index(["W1"]),
    )  # fmt: skip
    low = sum(math.floor(max(0.0, n * s / 100 - n + 1) + 1e-9) for n, s in cases)
    high = sum(math.ceil(n * s / 100 - 1e-9) for n, s in cases)
    assert out.loc["W1", "premises_double_not_spot_min"] == low
    assert out.loc["W1", "premises_double_not_spot_max"] == high
    assert low <= high <= out.loc["W1", "premises_in_mobile_not_spot_postcodes"]
