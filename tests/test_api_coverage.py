"""geo.api_coverage: premises flags at the threshold edges, postcode counts, ward sums,
sampled-ward intervals (and how often they hold the truth), conservation, estimate_text.

Every expected value is written or counted by hand here (or by a plain-Python oracle in the
property test), never taken from the function under test.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import api_coverage as ac
from geo.api_coverage import (
    COUNT_COLUMNS,
    MEASURES,
    OUTSIDE_WARDS,
    POISSON_UPPER_95,
    PREMISES_COLUMNS,
    RARE_EVENTS,
    estimate_text,
    postcode_counts,
    premises_flags,
    ward_figures,
)
from geo.thresholds import MOBILE_COVERED_RATING, MOBILE_COVERED_RATING_STRICT

OPS = ("ee", "three", "o2", "vodafone")
NAN = float("nan")
MOBILE_KEYS = [m.key for m in MEASURES if m.checked == "mobile"]
FIXED_KEYS = [m.key for m in MEASURES if m.checked == "fixed"]


def test_thresholds_are_the_ones_these_tests_were_written_for():
    # The hand-made rows below put ratings at 2, 3 and 4 to sit on Ofcom's edges.
    assert (MOBILE_COVERED_RATING, MOBILE_COVERED_RATING_STRICT) == (3, 4)
    assert len(COUNT_COLUMNS) == 3 + len(MEASURES) == 3 + 12


def _per_op(value) -> dict[str, float]:
    if isinstance(value, dict):
        return {op: float(value.get(op, NAN)) for op in OPS}
    return dict.fromkeys(OPS, float(value))


def prem(
    postcode: str = "A",
    *,
    indoor=4,
    outdoor=4,
    voice=4,
    down: float = 100.0,
    up: float = 20.0,
) -> dict:
    """One premises: ratings per operator (a number for all four, or a dict; NaN: no answer)."""
    row: dict = {"postcode": postcode}
    for place, value in (("data_indoor", indoor), ("data_outdoor", outdoor),
                         ("voice_indoor", voice)):  # fmt: skip
        for op, v in _per_op(value).items():
            row[f"{op}_{place}"] = v
    row["max_down_mbit"] = float(down)
    row["max_up_mbit"] = float(up)
    return row


def frame(rows: list[dict], index=None) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=PREMISES_COLUMNS, index=index)


def no_mobile(postcode: str = "A", **speeds) -> dict:
    return prem(postcode, indoor=NAN, outdoor=NAN, voice=NAN, **speeds)


def flags_of(**kwargs) -> pd.Series:
    return premises_flags(frame([prem(**kwargs)])).iloc[0]


# --------------------------------------------------------------------------- premises_flags


def test_good_indoor_data_from_one_operator_only_is_not_a_not_spot():
    f = flags_of(indoor={"ee": 0, "three": 0, "o2": 3, "vodafone": 0})
    assert not f["mobile_not_spot"]
    assert f["mobile_not_spot_strict"]  # 3 is good, not enhanced
    assert f["no_indoor_data_ee"] and f["no_indoor_data_three"] and f["no_indoor_data_vodafone"]
    assert not f["no_indoor_data_o2"]


def test_all_four_at_two_is_a_not_spot():
    f = flags_of(indoor=2)
    assert f["mobile_not_spot"] and f["mobile_not_spot_strict"]
    assert all(f[f"no_indoor_data_{op}"] for op in OPS)
    assert not f["no_outdoor_data"] and not f["no_indoor_voice"]


def test_all_four_at_three_is_a_strict_not_spot_but_not_ofcoms():
    f = flags_of(indoor=3)
    assert not f["mobile_not_spot"]
    assert f["mobile_not_spot_strict"]
    assert not any(f[f"no_indoor_data_{op}"] for op in OPS)


def test_enhanced_indoor_data_from_one_operator_is_no_strict_not_spot():
    f = flags_of(indoor={"ee": 2, "three": 2, "o2": 2, "vodafone": 4})
    assert not f["mobile_not_spot"] and not f["mobile_not_spot_strict"]
    assert [f[f"no_indoor_data_{op}"] for op in OPS] == [True, True, True, False]


def test_per_operator_flags_follow_their_own_column():
    f = flags_of(indoor={"ee": 0, "three": 3, "o2": 2, "vodafone": 4})
    assert f["no_indoor_data_ee"]
    assert not f["no_indoor_data_three"]
    assert f["no_indoor_data_o2"]
    assert not f["no_indoor_data_vodafone"]
    assert not f["mobile_not_spot"]


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        # (indoor, outdoor, voice) -> (not-spot, no outdoor data, no indoor voice)
        ((4, 2, 4), (False, True, False)),
        ((4, 4, 2), (False, False, True)),
        ((0, 4, 4), (True, False, False)),
        ((4, {"ee": 3, "three": 1, "o2": 1, "vodafone": 1}, {"o2": 3}), (False, False, False)),
        ((1, 1, 1), (True, True, True)),
    ],
)
def test_outdoor_and_voice_read_their_own_columns(ratings, expected):
    indoor, outdoor, voice = ratings
    if isinstance(voice, dict):  # only o2 answered for voice (others NaN): best is 3
        voice = {**dict.fromkeys(OPS, NAN), **voice}
    f = flags_of(indoor=indoor, outdoor=outdoor, voice=voice)
    assert (f["mobile_not_spot"], f["no_outdoor_data"], f["no_indoor_voice"]) == expected


@pytest.mark.parametrize(
    ("down", "up", "below_uso", "without_superfast", "without_gigabit"),
    [
        (10, 1, False, True, True),  # exactly the USO: decent
        (9.99, 1, True, True, True),
        (10, 0.9, True, True, True),  # upload too slow
        (10, 0.99, True, True, True),
        (-1, -1, True, True, True),  # none predicted: below every threshold
        (-1, 5, True, True, True),
        (29.99, 5, False, True, True),
        (30, 5, False, False, True),  # exactly superfast
        (999, 100, False, False, True),
        (1000, 100, False, False, False),  # exactly gigabit
        (1000, 0.5, True, False, False),
    ],
)
def test_speed_edges(down, up, below_uso, without_superfast, without_gigabit):
    f = flags_of(down=down, up=up)
    assert f["fixed"] and f["mobile"] and f["both"]
    assert bool(f["below_uso_api"]) is below_uso
    assert bool(f["without_superfast_api"]) is without_superfast
    assert bool(f["without_gigabit_api"]) is without_gigabit


def test_premises_without_mobile_answer_counts_in_no_mobile_measure():
    f = premises_flags(frame([no_mobile(down=-1, up=-1)])).iloc[0]
    assert not f["mobile"] and f["fixed"] and not f["both"]
    assert not any(f[k] for k in MOBILE_KEYS)
    assert f["below_uso_api"]
    assert not f["double_not_spot"]  # no mobile answer: not known to be a mobile not-spot


def test_premises_without_broadband_answer_counts_in_no_fixed_measure():
    f = flags_of(indoor=0, outdoor=0, voice=0, down=NAN, up=NAN)
    assert f["mobile"] and not f["fixed"] and not f["both"]
    assert not any(f[k] for k in FIXED_KEYS)
    assert f["mobile_not_spot"]
    assert not f["double_not_spot"]


def test_one_operator_unanswered_is_still_mobile_checked():
    # ee NaN, the others 2: the best answered is 2, a not-spot; others 3: not.
    f = flags_of(indoor={"three": 2, "o2": 2, "vodafone": 2})
    assert f["mobile"] and f["mobile_not_spot"]
    f = flags_of(indoor={"three": 3, "o2": 2, "vodafone": 2})
    assert f["mobile"] and not f["mobile_not_spot"]


def test_double_not_spot_only_when_the_same_premises_is_both():
    rows = [
        prem(indoor=2, down=5, up=0.5),  # not-spot and below USO: double
        prem(indoor=2, down=100, up=20),  # not-spot only
        prem(indoor=3, down=5, up=0.5),  # below USO only
        prem(indoor=2, down=NAN, up=NAN),  # not-spot, no broadband answer
        no_mobile(down=5, up=0.5),  # below USO, no mobile answer
        prem(indoor=2, down=10, up=0.9),  # not-spot, below USO by upload: double
    ]
    f = premises_flags(frame(rows))
    assert f["double_not_spot"].tolist() == [True, False, False, False, False, True]
    # two premises of one postcode, one a not-spot, the other below the USO: no double.
    counts = postcode_counts(frame([prem(indoor=2), prem(indoor=4, down=2, up=0.1)]))
    assert counts.loc["A", "premises_mobile_not_spot_checked"] == 1
    assert counts.loc["A", "premises_below_uso_api_checked"] == 1
    assert counts.loc["A", "premises_double_not_spot_checked"] == 0


def test_flags_keep_the_index_and_are_bool():
    f = premises_flags(frame([prem(), prem(indoor=0)], index=[17, 4]))
    assert f.index.tolist() == [17, 4]
    assert set(f.columns) == {"mobile", "fixed", "both", *(m.key for m in MEASURES)}
    assert all(dtype is np.dtype(bool) for dtype in f.dtypes)
    assert f["mobile_not_spot"].tolist() == [False, True]


def test_flags_refuse_a_missing_column():
    with pytest.raises(ValueError, match="max_up_mbit"):
        premises_flags(frame([prem()]).drop(columns="max_up_mbit"))


# --------------------------------------------------------------------------- postcode_counts

#: Eight premises of three postcodes, in an interleaved order (first seen: B, A, C).
HAND_ROWS = [
    # b1: no mobile answer; no broadband predicted
    no_mobile("B", down=-1, up=-1),
    # a1: good everything, 100 Mbit/s (not gigabit)
    prem("A"),
    # c1: neither endpoint answered
    no_mobile("C", down=NAN, up=NAN),
    # a2: indoor 2 everywhere, slow: not-spot, below USO, double
    prem("A", indoor=2, down=5, up=0.5),
    # b2: only EE indoors (enhanced); voice 2 everywhere; 50 Mbit/s
    prem("B", indoor={"ee": 4, "three": 0, "o2": 0, "vodafone": 0}, voice=2, down=50, up=10),
    # c2: indoor 2 everywhere; 20/2 Mbit/s (decent, not superfast)
    prem("C", indoor=2, down=20, up=2),
    # a3: indoor 3 (good, not enhanced), outdoor 2; no broadband answer
    prem("A", indoor=3, outdoor=2, down=NAN, up=NAN),
    # b3: everything 1; gigabit
    prem("B", indoor=1, outdoor=1, voice=1, down=1000, up=100),
]

#: Counted by hand from the comments above: postcode -> column -> premises.
HAND_COUNTS = {
    "B": {
        "premises_checked_mobile": 2, "premises_checked_fixed": 3, "premises_checked_both": 2,
        "premises_mobile_not_spot_checked": 1, "premises_mobile_not_spot_strict_checked": 1,
        "premises_no_indoor_data_ee_checked": 1, "premises_no_indoor_data_three_checked": 2,
        "premises_no_indoor_data_o2_checked": 2, "premises_no_indoor_data_vodafone_checked": 2,
        "premises_no_outdoor_data_checked": 1, "premises_no_indoor_voice_checked": 2,
        "premises_below_uso_api_checked": 1, "premises_without_superfast_api_checked": 1,
        "premises_without_gigabit_api_checked": 2, "premises_double_not_spot_checked": 0,
    },
    "A": {
        "premises_checked_mobile": 3, "premises_checked_fixed": 2, "premises_checked_both": 2,
        "premises_mobile_not_spot_checked": 1, "premises_mobile_not_spot_strict_checked": 2,
        "premises_no_indoor_data_ee_checked": 1, "premises_no_indoor_data_three_checked": 1,
        "premises_no_indoor_data_o2_checked": 1, "premises_no_indoor_data_vodafone_checked": 1,
        "premises_no_outdoor_data_checked": 1, "premises_no_indoor_voice_checked": 0,
        "premises_below_uso_api_checked": 1, "premises_without_superfast_api_checked": 1,
        "premises_without_gigabit_api_checked": 2, "premises_double_not_spot_checked": 1,
    },
    "C": {
        "premises_checked_mobile": 1, "premises_checked_fixed": 1, "premises_checked_both": 1,
        "premises_mobile_not_spot_checked": 1, "premises_mobile_not_spot_strict_checked": 1,
        "premises_no_indoor_data_ee_checked": 1, "premises_no_indoor_data_three_checked": 1,
        "premises_no_indoor_data_o2_checked": 1, "premises_no_indoor_data_vodafone_checked": 1,
        "premises_no_outdoor_data_checked": 0, "premises_no_indoor_voice_checked": 0,
        "premises_below_uso_api_checked": 0, "premises_without_superfast_api_checked": 1,
        "premises_without_gigabit_api_checked": 1, "premises_double_not_spot_checked": 0,
    },
}  # fmt: skip


def hand_table(postcodes=("B", "A", "C")) -> pd.DataFrame:
    table = pd.DataFrame([HAND_COUNTS[p] for p in postcodes], columns=COUNT_COLUMNS)
    table.index = pd.Index(list(postcodes), name="postcode")
    return table.astype(np.int64)


def assert_same_counts(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == COUNT_COLUMNS
    assert all(got.dtypes == np.int64)
    assert got.index.name == "postcode"
    assert got.index.tolist() == expected.index.tolist()
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_postcode_counts_match_the_hand_table():
    assert_same_counts(postcode_counts(frame(HAND_ROWS)), hand_table())


def test_combine_counts_of_batches_splitting_postcodes_equals_the_whole():
    batches = [HAND_ROWS[:3], HAND_ROWS[3:5], HAND_ROWS[5:]]  # A, B and C each split
    parts = [postcode_counts(frame(b)) for b in batches]
    combined = ac.combine_counts(parts)
    assert_same_counts(combined, hand_table())
    assert_same_counts(combined, postcode_counts(frame(HAND_ROWS)))
    # any order of the batches gives the same sums
    reordered = ac.combine_counts(reversed(parts))
    assert_same_counts(reordered.loc[["B", "A", "C"]], hand_table())


def test_combine_counts_of_nothing_is_an_empty_count_table():
    empty = ac.combine_counts([])
    assert list(empty.columns) == COUNT_COLUMNS and len(empty) == 0
    assert empty.index.name == "postcode"


# --------------------------------------------------------------------------- ward_figures

#: Postcode E lies in no ward: one premises double not-spot (everything 0, 2/0.2 Mbit/s) and
#: one good (100 Mbit/s: without gigabit).
E_ROWS = [prem("E", indoor=0, outdoor=0, voice=0, down=2, up=0.2), prem("E")]
E_COUNTS = {
    "premises_checked_mobile": 2, "premises_checked_fixed": 2, "premises_checked_both": 2,
    "premises_mobile_not_spot_checked": 1, "premises_mobile_not_spot_strict_checked": 1,
    "premises_no_indoor_data_ee_checked": 1, "premises_no_indoor_data_three_checked": 1,
    "premises_no_indoor_data_o2_checked": 1, "premises_no_indoor_data_vodafone_checked": 1,
    "premises_no_outdoor_data_checked": 1, "premises_no_indoor_voice_checked": 1,
    "premises_below_uso_api_checked": 1, "premises_without_superfast_api_checked": 1,
    "premises_without_gigabit_api_checked": 2, "premises_double_not_spot_checked": 1,
}  # fmt: skip


def small_place(residents_per_premises=None):
    """W1 = A + B, W2 = C + D (D checked, not found: no premises), E in no ward."""
    counts = postcode_counts(frame(HAND_ROWS + E_ROWS))
    postcode_ward = pd.Series({"A": "W1", "B": "W1", "C": "W2", "D": "W2", "E": NAN})
    every = pd.Index(["A", "B", "C", "D", "E"])
    return ward_figures(
        counts,
        postcode_ward,
        {"mobile": every, "fixed": every},
        areas=pd.Index(["W1", "W2"]),
        residents_per_premises=residents_per_premises,
        n_boot=50,
    )


def test_every_postcode_checked_gives_exact_counts_and_shares():
    result = small_place()
    wards = result.wards
    assert wards.index.tolist() == ["W1", "W2"] and wards.index.name == "ward_code"
    assert wards["postcodes_live"].tolist() == [2, 2]
    for name in ("mobile", "fixed", "both"):
        assert wards[f"postcodes_checked_{name}"].tolist() == [2, 2]  # D counts as checked
        assert wards[f"pct_postcodes_checked_{name}"].tolist() == [100.0, 100.0]
    for column in COUNT_COLUMNS:
        assert wards.loc["W1", column] == HAND_COUNTS["A"][column] + HAND_COUNTS["B"][column]
        assert wards.loc["W2", column] == HAND_COUNTS["C"][column]
    # shares of the premises checked, by hand (W1: 5 mobile, 5 fixed, 4 both; W2: 1, 1, 1)
    expected = {
        "mobile_not_spot": (100 * 2 / 5, 100.0),
        "mobile_not_spot_strict": (100 * 3 / 5, 100.0),
        "no_indoor_data_ee": (100 * 2 / 5, 100.0),
        "no_indoor_data_three": (100 * 3 / 5, 100.0),
        "no_outdoor_data": (100 * 2 / 5, 0.0),
        "no_indoor_voice": (100 * 2 / 5, 0.0),
        "below_uso_api": (100 * 2 / 5, 0.0),
        "without_superfast_api": (100 * 2 / 5, 100.0),
        "without_gigabit_api": (100 * 4 / 5, 100.0),
        "double_not_spot": (100 * 1 / 4, 0.0),
    }
    for key, (w1, w2) in expected.items():
        share = ac.MEASURE[key].share
        assert wards[share].tolist() == pytest.approx([w1, w2], abs=1e-12), key
        assert (wards[share + "_low"] == wards[share]).all(), key
        assert (wards[share + "_high"] == wards[share]).all(), key
    assert wards["premises_in_double_not_spots"].tolist() == [1.0, 0.0]
    assert wards["premises_in_double_not_spots_low"].tolist() == [1.0, 0.0]
    assert wards["premises_in_double_not_spots_high"].tolist() == [1.0, 0.0]
    assert wards["residents_in_double_not_spots"].isna().all()  # no residents per premises
    assert not ac.is_estimate(wards, "double_not_spot").any()
    assert ac.estimated_premises(wards).tolist() == [5.0, 1.0]


def test_outside_holds_the_unplaced_postcodes_premises():
    outside = small_place().outside
    assert outside.to_dict() == E_COUNTS
    assert outside.dtype == np.int64
    assert OUTSIDE_WARDS not in small_place().wards.index


def test_residents_are_premises_times_residents_per_premises():
    wards = small_place(pd.Series({"W2": 1.8, "W1": 2.5})).wards
    assert wards["residents_in_double_not_spots"].tolist() == pytest.approx([2.5, 0.0])
    assert wards["residents_in_double_not_spots_high"].tolist() == pytest.approx([2.5, 0.0])


def one_premises_counts(postcodes, *, not_spot=(), mobile=None, fixed=None) -> pd.DataFrame:
    """Counts of one premises per postcode; no answer from an endpoint not asked there."""
    rows = []
    for p in postcodes:
        row = prem(p, indoor=2 if p in not_spot else 4)
        if mobile is not None and p not in mobile:
            row.update({c: NAN for c in PREMISES_COLUMNS if c.split("_", 1)[0] in OPS})
        if fixed is not None and p not in fixed:
            row.update(max_down_mbit=NAN, max_up_mbit=NAN)
        rows.append(row)
    return postcode_counts(frame(rows))


def test_pct_postcodes_checked_by_hand_and_a_ward_without_postcodes():
    # W1 has 4 live postcodes (P1-P4), W2 has 2 (Q1, Q2), W3 none.
    postcode_ward = pd.Series(
        {"P1": "W1", "P2": "W1", "P3": "W1", "P4": "W1", "Q1": "W2", "Q2": "W2"}
    )
    mobile = pd.Index(["P1", "P2", "P3", "Q1"])
    fixed = pd.Index(["P1", "Q1", "Q2"])
    counts = one_premises_counts(mobile.union(fixed), mobile=mobile, fixed=fixed)
    wards = ward_figures(
        counts, postcode_ward, {"mobile": mobile, "fixed": fixed},
        areas=pd.Index(["W1", "W2", "W3"]), n_boot=50,
    ).wards  # fmt: skip
    assert wards["postcodes_live"].tolist() == [4, 2, 0]
    assert wards["postcodes_checked_mobile"].tolist() == [3, 1, 0]
    assert wards["postcodes_checked_fixed"].tolist() == [1, 2, 0]
    assert wards["postcodes_checked_both"].tolist() == [1, 1, 0]
    np.testing.assert_array_equal(wards["pct_postcodes_checked_mobile"], [75.0, 50.0, NAN])
    np.testing.assert_array_equal(wards["pct_postcodes_checked_fixed"], [25.0, 100.0, NAN])
    np.testing.assert_array_equal(wards["pct_postcodes_checked_both"], [25.0, 50.0, NAN])
    assert (wards.loc["W3", COUNT_COLUMNS] == 0).all()
    assert wards.loc["W3", [m.share for m in MEASURES]].isna().all()
    assert np.isnan(wards.loc["W3", "premises_in_double_not_spots"])
    assert wards["premises_checked_mobile"].tolist() == [3, 1, 0]
    assert wards["premises_checked_fixed"].tolist() == [1, 2, 0]
    assert wards["premises_checked_both"].tolist() == [1, 1, 0]
    # fixed shares of W2 are exact (both checked), mobile shares are estimates
    assert ac.is_estimate(wards, "mobile_not_spot").tolist() == [True, True, False]
    assert ac.is_estimate(wards, "below_uso_api").tolist() == [True, False, False]
    np.testing.assert_array_equal(ac.estimated_premises(wards), [4.0, 2.0, NAN])


def test_a_postcode_not_found_counts_as_checked_with_no_premises():
    postcode_ward = pd.Series({"X": "W", "Y": "W", "Z": "V", "U": "V"})
    counts = one_premises_counts(["X", "Z", "U"], not_spot={"X"})
    with_404 = ward_figures(
        counts, postcode_ward, {"mobile": pd.Index(["X", "Y", "Z", "U"]),
                                "fixed": pd.Index(["X", "Y", "Z", "U"])},
        areas=pd.Index(["W", "V"]), n_boot=50,
    ).wards  # fmt: skip
    assert with_404.loc["W", "postcodes_checked_mobile"] == 2
    assert with_404.loc["W", "pct_postcodes_checked_mobile"] == 100.0
    assert with_404.loc["W", "premises_checked_mobile"] == 1
    assert with_404.loc["W", "pct_premises_mobile_not_spot"] == 100.0  # 1 of 1, exact
    assert with_404.loc["W", "pct_premises_mobile_not_spot_low"] == 100.0
    assert not ac.is_estimate(with_404, "mobile_not_spot")["W"]
    # Y never asked: W is a sample, 1 of its 2 postcodes
    without = ward_figures(
        counts, postcode_ward, {"mobile": pd.Index(["X", "Z", "U"]),
                                "fixed": pd.Index(["X", "Z", "U"])},
        areas=pd.Index(["W", "V"]), n_boot=50,
    ).wards  # fmt: skip
    assert without.loc["W", "postcodes_checked_mobile"] == 1
    assert without.loc["W", "pct_postcodes_checked_mobile"] == 50.0
    assert ac.is_estimate(without, "mobile_not_spot")["W"]


def test_a_postcode_counted_but_not_checked_is_refused():
    counts = one_premises_counts(["X", "Z"])
    with pytest.raises(ValueError, match=r"no endpoint checked.*'Z'"):
        ward_figures(
            counts, pd.Series({"X": "W", "Z": "W"}),
            {"mobile": pd.Index(["X"]), "fixed": pd.Index(["X"])}, areas=pd.Index(["W"]),
        )  # fmt: skip


def test_counts_without_a_count_column_are_refused():
    counts = one_premises_counts(["X", "Z"]).drop(columns="premises_double_not_spot_checked")
    every = pd.Index(["X", "Z"])
    with pytest.raises(ValueError, match="premises_double_not_spot_checked"):
        ward_figures(counts, pd.Series({"X": "W", "Z": "W"}), {"mobile": every, "fixed": every},
                     areas=pd.Index(["W"]))  # fmt: skip


@pytest.mark.parametrize("case", ["one postcode asked", "one postcode asked of broadband"])
def test_a_single_checked_postcode(case):
    postcode_ward = pd.Series({"X": "W", "Y": "W", "Z": "W"})
    mobile = pd.Index(["X"] if case == "one postcode asked" else ["X", "Y", "Z"])
    counts = postcode_counts(
        frame([prem(p, indoor=2, down=5, up=0.5) if p == "X" else prem(p) for p in mobile])
    )
    wards = ward_figures(
        counts, postcode_ward, {"mobile": mobile, "fixed": pd.Index(["X"])},
        areas=pd.Index(["W"]), n_boot=50,
    ).wards  # fmt: skip
    assert wards.loc["W", "postcodes_checked_fixed"] == 1
    assert wards.loc["W", "pct_premises_below_uso_api"] == 100.0  # X: 1 of 1


def test_a_sampled_ward_with_no_broadband_premises_is_nan_without_warning():
    # W: 3 live postcodes; A answered mobile only (no broadband answer), B not found.
    counts = postcode_counts(frame([prem("A", indoor=2, down=NAN, up=NAN)]))
    checked = pd.Index(["A", "B"])
    wards = ward_figures(
        counts, pd.Series({"A": "W", "B": "W", "C": "W"}), {"mobile": checked, "fixed": checked},
        areas=pd.Index(["W"]), n_boot=50,
    ).wards  # fmt: skip
    assert wards.loc["W", "pct_premises_mobile_not_spot"] == 100.0
    ends = ["pct_premises_below_uso_api", "pct_premises_below_uso_api_high"]
    assert np.isnan(wards.loc["W", ends].astype(float)).all()


# --------------------------------------------------------------------------- sampled wards


def clustered_place(n_postcodes: int, seed: int) -> dict:
    """Premises of ``n_postcodes`` postcodes of one ward, conditions clustered by postcode.

    A quarter of postcodes are bad streets for mobile (most premises there not-spots), a
    different fifth bad for broadband; elsewhere either is rare. Returns the premises frame
    and, per postcode, the true numbers that went into it.
    """
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for i in range(n_postcodes):
        postcode = f"P{i:03d}"
        size = int(rng.integers(2, 25))
        p_spot = 0.7 if rng.random() < 0.25 else 0.03
        p_slow = 0.6 if rng.random() < 0.2 else 0.02
        spot = rng.random(size) < p_spot
        slow = rng.random(size) < p_slow
        for s, w in zip(spot, slow, strict=True):
            rows.append(prem(postcode, indoor=2 if s else 4,
                             down=5 if w else 80, up=0.5 if w else 20))  # fmt: skip
        truth.append((postcode, size, int(spot.sum()), int(slow.sum()),
                      int((spot & slow).sum())))  # fmt: skip
    table = pd.DataFrame(truth, columns=["postcode", "premises", "spot", "slow", "double"])
    return {"premises": frame(rows), "truth": table.set_index("postcode")}


def sampled(place: dict, chosen, *, n_boot: int = 300, seed: int = 0, counts=None):
    counts = postcode_counts(place["premises"]) if counts is None else counts
    chosen = pd.Index(chosen)
    postcode_ward = pd.Series("W", index=place["truth"].index)
    return ward_figures(
        counts.loc[chosen], postcode_ward, {"mobile": chosen, "fixed": chosen},
        areas=pd.Index(["W"]), n_boot=n_boot, seed=seed,
    ).wards.loc["W"]  # fmt: skip


@pytest.fixture(scope="module")
def forty() -> dict:
    return clustered_place(40, seed=7)


def test_a_sampled_ward_has_an_interval_round_its_share(forty):
    truth = forty["truth"]
    chosen = truth.index[::2]  # 20 of 40
    row = sampled(forty, chosen)
    picked = truth.loc[chosen]
    assert row["postcodes_checked_mobile"] == 20 and row["pct_postcodes_checked_mobile"] == 50.0
    assert row["premises_checked_mobile"] == picked["premises"].sum()
    for key, column in (("mobile_not_spot", "spot"), ("below_uso_api", "slow")):
        share = ac.MEASURE[key].share
        expected = 100 * picked[column].sum() / picked["premises"].sum()
        assert picked[column].sum() >= RARE_EVENTS  # the bootstrap, not the floor, sets it
        assert row[share] == pytest.approx(expected, rel=1e-12)
        assert row[share + "_low"] < row[share] < row[share + "_high"], key
    # double not-spots in the ward: the sample's count times 40 / 20
    doubles = picked["double"].sum()
    assert row["premises_in_double_not_spots"] == pytest.approx(doubles * 40 / 20)
    assert row["premises_in_double_not_spots_low"] <= row["premises_in_double_not_spots"]
    assert row["premises_in_double_not_spots"] <= row["premises_in_double_not_spots_high"]


def test_a_sampled_ward_is_deterministic_for_one_seed(forty):
    chosen = forty["truth"].index[::2]
    first, again = sampled(forty, chosen, seed=3), sampled(forty, chosen, seed=3)
    pd.testing.assert_series_equal(first, again)
    other = sampled(forty, chosen, seed=4)
    assert other["pct_premises_mobile_not_spot"] == first["pct_premises_mobile_not_spot"]
    ends = ["pct_premises_mobile_not_spot_low", "pct_premises_mobile_not_spot_high"]
    assert tuple(other[ends]) != tuple(first[ends])


def test_the_interval_narrows_when_more_postcodes_are_checked(forty):
    order = np.random.default_rng(11).permutation(forty["truth"].index)
    few, many = sampled(forty, order[:10]), sampled(forty, order[:35])
    for key in ("mobile_not_spot", "below_uso_api", "without_superfast_api"):
        share = ac.MEASURE[key].share
        wide = few[share + "_high"] - few[share + "_low"]
        narrow = many[share + "_high"] - many[share + "_low"]
        assert 0 < narrow < wide, key


def test_the_finite_population_correction_scales_the_interval(forty):
    # The same 35 postcodes, as 35 of the ward's 40 or as 35 of 40,000 live postcodes: one
    # ward name and seed draw the same resamples, so only sqrt(1 - m / M) differs.
    chosen = np.random.default_rng(5).permutation(forty["truth"].index)[:35]
    counts = postcode_counts(forty["premises"]).loc[chosen]
    whole = sampled(forty, chosen, counts=counts)
    vast = forty | {"truth": pd.DataFrame(index=[f"X{i}" for i in range(40_000)])}
    vast["truth"] = pd.concat([forty["truth"], vast["truth"]])
    tiny = sampled(vast, chosen, counts=counts)
    assert tiny["postcodes_live"] == 40_040 and whole["postcodes_live"] == 40
    for key in ("mobile_not_spot", "below_uso_api"):
        share = ac.MEASURE[key].share
        assert whole[share] == tiny[share]
        ratio = (whole[share + "_high"] - whole[share + "_low"]) / (
            tiny[share + "_high"] - tiny[share + "_low"]
        )
        assert ratio == pytest.approx(math.sqrt(1 - 35 / 40) / math.sqrt(1 - 35 / 40_040)), key


def test_rare_events_in_a_sample_are_floored_and_said_as_fewer_than(forty):
    truth = forty["truth"]
    chosen = truth.index[::2]
    rows = forty["premises"]
    rows = rows[rows["postcode"].isin(chosen)].copy()
    # no premises below the USO in the sample (so no double not-spots), and exactly two with
    # no good indoor voice, in one postcode
    rows[["max_down_mbit", "max_up_mbit"]] = [80.0, 20.0]
    first = rows.index[rows["postcode"] == chosen[3]][:2]
    rows.loc[first, [f"{op}_voice_indoor" for op in OPS]] = 1.0
    row = sampled(forty, chosen, counts=postcode_counts(rows))
    premises = truth.loc[chosen, "premises"].sum()
    for key, k in (("below_uso_api", 0), ("double_not_spot", 0), ("no_indoor_voice", 2)):
        share = ac.MEASURE[key].share
        assert row[ac.MEASURE[key].count] == k
        assert row[share] == pytest.approx(100 * k / premises)
        floor = 100 * POISSON_UPPER_95[k] / premises
        assert row[share + "_high"] >= floor - 1e-9, key
        assert row[share + "_low"] <= row[share]
        text = estimate_text(row[share], row[share + "_low"], row[share + "_high"],
                             events=k, estimate=True)  # fmt: skip
        assert text.startswith("fewer than "), text
        assert "0.0 to 0.0" not in text
        assert float(text.split()[2]) > 0
    # the ward's double not-spot premises: at least Poisson's 2.996 scaled by 40 / 20
    assert row["premises_in_double_not_spots"] == 0
    assert row["premises_in_double_not_spots_high"] >= POISSON_UPPER_95[0] * 40 / 20 - 1e-9
    text = estimate_text(row["premises_in_double_not_spots"],
                         row["premises_in_double_not_spots_low"],
                         row["premises_in_double_not_spots_high"], events=0, estimate=True,
                         unit="premises")  # fmt: skip
    assert text == "fewer than 6 premises"  # ceil(2.996 * 2) = 6


def test_the_interval_holds_the_true_ward_share_about_95_in_100():
    """100 seeded samples of 50 of a ward's 200 postcodes, 300 resamples each.

    With 100 draws, a 95 % interval should miss about 5 times; fewer than 86 hits would
    happen by chance with probability under 1 % if the coverage truly were 95 %, so 85 is a
    test that fails for a broken interval (e.g. one ignoring the clustering) but not by
    chance. 100 x 300 resamples of a one-ward place run in a few seconds.
    """
    place = clustered_place(200, seed=2024)
    truth = place["truth"]
    counts = postcode_counts(place["premises"])
    true_share = {
        "mobile_not_spot": 100 * truth["spot"].sum() / truth["premises"].sum(),
        "below_uso_api": 100 * truth["slow"].sum() / truth["premises"].sum(),
    }
    hits = dict.fromkeys(true_share, 0)
    draw = np.random.default_rng(99)
    for i in range(100):
        chosen = draw.choice(truth.index.to_numpy(), size=50, replace=False)
        row = sampled(place, chosen, n_boot=300, seed=i, counts=counts)
        for key, true in true_share.items():
            share = ac.MEASURE[key].share
            hits[key] += row[share + "_low"] <= true <= row[share + "_high"]
    assert all(h >= 85 for h in hits.values()), hits


# --------------------------------------------------------------------------- conservation

RATING = st.one_of(st.just(NAN), st.integers(0, 4).map(float))
SPEED = st.one_of(
    st.just(NAN), st.just(-1.0), st.sampled_from([0.5, 0.9, 1.0, 9.99, 10.0, 30.0, 999.0, 1000.0]),
    st.floats(0, 2000, allow_nan=False),
)  # fmt: skip
PREMISES = st.tuples(
    st.integers(0, 7),  # postcode of the pool
    st.booleans(),  # mobile answered at all
    st.lists(RATING, min_size=12, max_size=12),
    st.booleans(),  # broadband answered at all
    SPEED,
    SPEED,
)
WARD = st.sampled_from(["W1", "W2", "W3", None])


def oracle(row: dict) -> dict[str, bool]:
    """What a premises is, read by hand from Ofcom's rules (plain Python, one row)."""

    def best(place: str) -> float:
        answered = [row[f"{op}_{place}"] for op in OPS if not math.isnan(row[f"{op}_{place}"])]
        return max(answered) if answered else NAN

    indoor = best("data_indoor")
    mobile = not math.isnan(indoor)
    down, up = row["max_down_mbit"], row["max_up_mbit"]
    fixed = not math.isnan(down)
    spot = mobile and indoor < 3
    slow = fixed and (down < 10 or up < 1)
    out = {
        "premises_checked_mobile": mobile,
        "premises_checked_fixed": fixed,
        "premises_checked_both": mobile and fixed,
        "premises_mobile_not_spot_checked": spot,
        "premises_mobile_not_spot_strict_checked": mobile and indoor < 4,
        "premises_no_outdoor_data_checked": mobile and best("data_outdoor") < 3,
        "premises_no_indoor_voice_checked": mobile and best("voice_indoor") < 3,
        "premises_below_uso_api_checked": slow,
        "premises_without_superfast_api_checked": fixed and down < 30,
        "premises_without_gigabit_api_checked": fixed and down < 1000,
        "premises_double_not_spot_checked": spot and slow,
    }
    for op in OPS:
        out[f"premises_no_indoor_data_{op}_checked"] = mobile and row[f"{op}_data_indoor"] < 3
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    premises=st.lists(PREMISES, max_size=40),
    pool=st.integers(2, 8),
    wards=st.lists(WARD, min_size=8, max_size=8),
    unasked=st.lists(WARD, max_size=6),
    cuts=st.lists(st.integers(0, 40), max_size=4),
)
def test_wards_plus_outside_conserve_every_count(premises, pool, wards, unasked, cuts):
    rows = []
    for code, has_mobile, ratings, has_fixed, down, up in premises:
        row = {"postcode": f"P{code % pool}"}
        columns = [c for c in PREMISES_COLUMNS if c.split("_", 1)[0] in OPS]
        for column, rating in zip(columns, ratings, strict=True):
            row[column] = rating if has_mobile else NAN
        row["max_down_mbit"] = down if has_fixed else NAN
        row["max_up_mbit"] = (NAN if math.isnan(down) else up) if has_fixed else NAN
        rows.append(row)
    whole = frame(rows)
    # every postcode of the pool is asked (those without rows were not found); some live
    # postcodes are never asked, so their wards are samples
    postcode_ward = pd.Series(
        {**{f"P{i}": wards[i] for i in range(pool)}, **{f"U{i}": w for i, w in enumerate(unasked)}},
        dtype=object,
    )  # fmt: skip
    asked = pd.Index([f"P{i}" for i in range(pool)])
    edges = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    batches = [postcode_counts(whole.iloc[a:b]) for a, b in itertools.pairwise(edges)]
    combined = ac.combine_counts(batches)
    result = ward_figures(
        combined, postcode_ward, {"mobile": asked, "fixed": asked},
        areas=pd.Index(["W1", "W2", "W3"]), n_boot=20,
    )  # fmt: skip

    truth = [oracle(r) for r in rows]
    by_postcode = postcode_counts(whole)
    assert sorted(combined.index) == sorted(by_postcode.index)
    pd.testing.assert_frame_equal(combined.loc[by_postcode.index], by_postcode)
    for column in COUNT_COLUMNS:
        total = sum(t[column] for t in truth)
        assert by_postcode[column].sum() == total, column
        assert result.wards[column].sum() + result.outside[column] == total, column
        for ward in ("W1", "W2", "W3"):
            in_ward = sum(
                t[column] for t, r in zip(truth, rows, strict=True)
                if postcode_ward[r["postcode"]] == ward
            )  # fmt: skip
            assert result.wards.loc[ward, column] == in_ward, (ward, column)
    for measure in MEASURES:
        low, share, high = (result.wards[measure.share + e] for e in ("_low", "", "_high"))
        known = share.notna()
        assert (low[known] <= share[known] + 1e-9).all() and (
            share[known] <= high[known] + 1e-9
        ).all()


# --------------------------------------------------------------------------- estimate_text


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((2.0, 2.0, 2.0), {"events": 3, "estimate": False}, "2.0 %"),
        ((0.0, 0.0, 0.0), {"events": 0, "estimate": False}, "0.0 %"),  # exact: every postcode
        ((12.345, 12.345, 12.345), {"events": 9, "estimate": False, "decimals": 2}, "12.35 %"),
        ((1234.0, 1234.0, 1234.0), {"events": 1234, "estimate": False, "unit": "premises"},
         "1,234 premises"),
        ((12.34, 10.01, 15.55), {"events": 20, "estimate": True},
         "12.3 % (95 % interval 10.0 to 15.6)"),
        ((40.2, 31.5, 48.0), {"events": 60, "estimate": True, "unit": "premises"},
         "40 premises (95 % interval 32 to 48)"),
        ((7.0, 2.0, 14.0), {"events": RARE_EVENTS, "estimate": True},
         "7.0 % (95 % interval 2.0 to 14.0)"),
        ((0.0, 0.0, 1.9), {"events": 0, "estimate": True}, "fewer than 1.9 %"),
        ((3.0, 0.5, 7.5), {"events": RARE_EVENTS - 1, "estimate": True}, "fewer than 7.5 %"),
        ((3.2, 0.0, 7.01), {"events": 2, "estimate": True, "unit": "premises"},
         "fewer than 8 premises"),  # counts round up
        ((0.0, 0.0, 5.992), {"events": 0, "estimate": True, "unit": "residents"},
         "fewer than 6 residents"),
        ((10.0, 0.0, 15.0), {"events": 1, "estimate": True, "unit": "residents"},
         "fewer than 15 residents"),
        ((NAN, NAN, NAN), {"events": 0, "estimate": True}, "not known"),
        ((NAN, NAN, NAN), {"events": 0, "estimate": False, "unit": "premises"}, "not known"),
        ((None, None, None), {"events": 0, "estimate": True}, "not known"),
    ],
)  # fmt: skip
def test_estimate_text(args, kwargs, expected):
    assert estimate_text(*args, **kwargs) == expected


@pytest.mark.parametrize("high", [0.0499, 1.94])
def test_fewer_than_a_share_never_understates_its_upper_end(high):
    text = estimate_text(0.0, 0.0, high, events=0, estimate=True)
    shown = float(re.fullmatch(r"fewer than ([\d.]+) %", text).group(1))
    assert shown >= high, text


def test_premises_of_a_ward_not_asked_for_are_summed_outside():
    counts = one_premises_counts(["X", "Z"])
    every = pd.Index(["X", "Z"])
    result = ward_figures(
        counts, pd.Series({"X": "W", "Z": "V"}), {"mobile": every, "fixed": every},
        areas=pd.Index(["W"]),
    )  # fmt: skip
    assert result.wards.loc["W", "premises_checked_mobile"] == 1
    assert result.outside["premises_checked_mobile"] == 1  # Z's ward V was not asked for
