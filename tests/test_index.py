"""The digital exclusion risk index, not-spots, people reached and ward-versus-LA shares."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geo.index import (
    COMPONENTS,
    DEFAULT_SPEC,
    DERI_SPEC,
    FIXED_NOT_SPOT_PCT,
    MOBILE_NOT_SPOT_PCT,
    PRESETS,
    ComponentSpec,
    EmptyIndexError,
    IndexSpec,
    PeopleReached,
    _one_weight_changes,
    classify_index,
    compute_index,
    not_spots,
    people_reached,
    rank_sensitivity,
    scale_0_10,
)
from geo.indicators import INDICATORS
from ingest import demo, store

TRAFFORD = "E08000009"


def spec_of(**components: tuple[dict[str, int], int]) -> IndexSpec:
    """An IndexSpec from ``component=(indicator weights, component weight)``; others left out."""
    return IndexSpec(**{name: ComponentSpec(*components.get(name, ({}, 0))) for name in COMPONENTS})


# --- scaling -------------------------------------------------------------------------------


def test_scaling_by_hand():
    values = pd.Series([2.0, 4.0, 6.0, 8.0, 0.0, np.nan], index=list("abcdef"))
    # (v - 2) / (6 - 2) * 10: 2 -> 0, 4 -> 5, 6 -> 10; 8 and 0 lie outside the frame: clipped.
    worse_up = scale_0_10(values, higher_is_worse=True, lower=2, upper=6)
    assert worse_up.tolist()[:5] == [0.0, 5.0, 10.0, 10.0, 0.0]
    assert math.isnan(worse_up["f"])
    # A rank (1 = most deprived): the low end is the worst, 10 - the above.
    worse_down = scale_0_10(values, higher_is_worse=False, lower=2, upper=6)
    assert worse_down.tolist()[:5] == [10.0, 5.0, 0.0, 0.0, 10.0]
    assert worse_down.index.equals(values.index)


@pytest.mark.parametrize("higher_is_worse", [True, False])
def test_a_constant_indicator_scores_0_for_every_ward_whatever_its_direction(higher_is_worse):
    out = scale_0_10(pd.Series([3.0, np.nan]), higher_is_worse=higher_is_worse, lower=3, upper=3)
    assert out.iloc[0] == 0.0
    assert math.isnan(out.iloc[1])


def test_scaling_refuses_an_upside_down_range():
    with pytest.raises(ValueError, match=r"lower \(5\) must not exceed upper \(1\)"):
        scale_0_10(pd.Series([1.0]), higher_is_worse=True, lower=5, upper=1)


# --- specification -------------------------------------------------------------------------


def test_default_spec_uses_the_ward_store_columns_with_catalogue_directions():
    names = {n for part in DEFAULT_SPEC.components.values() for n in part.indicators}
    assert names == {
        "pct_premises_below_uso", "pct_premises_without_superfast",
        "pct_premises_without_gigabit", "pct_premises_no_gigabit_no_plan",
        "pct_premises_mobile_not_spot", "pct_premises_in_mobile_not_spot_postcodes",
        "pct_residents_65_plus", "pct_residents_75_plus", "pct_residents_disabled",
        "pct_residents_no_qualifications", "pct_residents_poor_english",
        "pct_households_one_person_66_plus", "pct_households_deprived_2_plus",
        "imd_average_score", "imd_average_rank", "income_average_rank", "health_average_rank",
        "pct_residents_most_deprived_decile", "pct_residents_66_plus_pension_credit",
    }  # fmt: skip
    ranks = {n for n in names if not INDICATORS[n].higher_is_worse}
    assert ranks == {"imd_average_rank", "income_average_rank", "health_average_rank"}


def test_default_weights_count_overlapping_measures_less():
    # separate risk factors 5; one-person 66+ households (already among the 65+) and households
    # deprived in 2+ dimensions (re-counting education and disability) 3.
    assert DEFAULT_SPEC.demography.indicators == {
        "pct_residents_65_plus": 5, "pct_residents_75_plus": 5, "pct_residents_disabled": 5,
        "pct_residents_no_qualifications": 5, "pct_residents_poor_english": 5,
        "pct_households_one_person_66_plus": 3, "pct_households_deprived_2_plus": 3,
    }  # fmt: skip
    assert DEFAULT_SPEC.deprivation.indicators["imd_average_score"] == 5
    # Pension Credit re-counts the income deprivation of older people the IMD already holds
    assert DEFAULT_SPEC.deprivation.indicators["pct_residents_66_plus_pension_credit"] == 3
    assert [c.weight for c in DEFAULT_SPEC.components.values()] == [5, 5, 5]
    assert DEFAULT_SPEC.notes == ()


@pytest.mark.parametrize(
    ("indicators", "message"),
    [
        ({"la_pct_premises_below_uso": 5}, "local-authority context"),
        ({"la_made_up_share": 5}, "local-authority context"),
        ({"pct_made_up": 5}, "not in geo.indicators.INDICATORS"),
        ({"pct_residents_65_plus": 11}, "must be 0 to 10; found 11"),
        ({"pct_residents_65_plus": -1}, "must be 0 to 10; found -1"),
        ({"pct_residents_65_plus": 2.5}, "whole number"),
        ({"pct_residents_65_plus": True}, "whole number"),
    ],
)
def test_a_component_refuses_bad_inputs(indicators, message):
    with pytest.raises(ValueError, match=message):
        ComponentSpec(indicators)


def test_an_indicator_cannot_count_in_two_components():
    twice = ({"pct_residents_65_plus": 1}, 1)
    with pytest.raises(ValueError, match="'pct_residents_65_plus' is in both demography and"):
        spec_of(demography=twice, deprivation=twice)


def test_with_weight_changes_one_weight_only():
    spec = DEFAULT_SPEC.with_weight("demography", 9, indicator="pct_residents_75_plus")
    changed = {n: w for n, w in spec.demography.indicators.items() if n != "pct_residents_75_plus"}
    unchanged = DEFAULT_SPEC.demography.indicators
    assert changed == {n: w for n, w in unchanged.items() if n != "pct_residents_75_plus"}
    assert spec.demography.indicators["pct_residents_75_plus"] == 9
    assert DEFAULT_SPEC.demography.indicators["pct_residents_75_plus"] == 5
    assert DERI_SPEC.with_weight("demography", 1).notes == DERI_SPEC.notes
    assert DEFAULT_SPEC.with_weight("deprivation", 0).deprivation.weight == 0
    with pytest.raises(ValueError, match="not in the demography component"):
        DEFAULT_SPEC.with_weight("demography", 1, indicator="imd_average_rank")


# --- the index by hand ----------------------------------------------------------------------

HAND = pd.DataFrame(
    {
        "ward_name": ["Ashby", "Bolton Vale", "Carrow"],
        "pct_residents_65_plus": [10.0, 20.0, 30.0],
        "pct_residents_75_plus": [5.0, 15.0, 10.0],
        "imd_average_rank": [100.0, 300.0, 500.0],
    },
    index=["A", "B", "C"],
)
HAND_SPEC = spec_of(
    infrastructure=({"pct_premises_below_uso": 4}, 5),  # no such column: drops out
    demography=({"pct_residents_65_plus": 3, "pct_residents_75_plus": 1}, 2),
    deprivation=({"imd_average_rank": 5}, 3),
)


def test_the_index_by_hand():
    out = compute_index(HAND, HAND_SPEC)
    # 65+ over 10..30: A 0, B 5, C 10.  75+ over 5..15: A 0, B 10, C 5.
    # IMD rank over 100..500, 1 = most deprived so reversed: A 10, B 5, C 0.
    assert out["score_pct_residents_65_plus"].tolist() == [0, 5, 10]
    assert out["score_pct_residents_75_plus"].tolist() == [0, 10, 5]
    assert out["score_imd_average_rank"].tolist() == [10, 5, 0]
    # Demography, weights 3 and 1, divided by 3 + 1:
    #   A (3*0 + 1*0)/4 = 0;  B (3*5 + 1*10)/4 = 6.25;  C (3*10 + 1*5)/4 = 8.75.
    assert out["component_demography"].tolist() == [0, 6.25, 8.75]
    assert out["component_deprivation"].tolist() == [10, 5, 0]
    # Index: demography weight 2, deprivation 3 over 2 + 3 (infrastructure has no data):
    #   A (2*0 + 3*10)/5 = 6;  B (2*6.25 + 3*5)/5 = 5.5;  C (2*8.75 + 3*0)/5 = 3.5.
    assert out["risk_index"].tolist() == [6, 5.5, 3.5]
    assert out["risk_rank"].tolist() == [1, 2, 3]
    assert "component_infrastructure" not in out
    assert out.index.equals(HAND.index)
    assert out.attrs["used_indicators"] == [
        "pct_residents_65_plus", "pct_residents_75_plus", "imd_average_rank",
    ]  # fmt: skip
    assert out.attrs["component_weights"] == {"demography": 2, "deprivation": 3}
    assert out.attrs["frame_size"] == 3
    notes = " | ".join(out.attrs["notes"])
    assert "pct_premises_below_uso left out of infrastructure: no ward has a value" in notes
    assert "infrastructure component left out" in notes


def test_deri_partial_sum_normalisation_is_not_repeated():
    # Both age indicators score 10 in ward X. Normalising by the weights used gives
    # (2*10 + 3*10) / (2 + 3) = 10. A partial sum of weights, as in DERI v1.4, gives
    # (2*10 + 3*10) / 2 = 25 (over 10) or 2*10 / 5 = 4 (below the worst score).
    wards = pd.DataFrame(
        {"pct_residents_65_plus": [30.0, 10.0], "pct_residents_75_plus": [15.0, 5.0]},
        index=["X", "Y"],
    )
    spec = spec_of(demography=({"pct_residents_65_plus": 2, "pct_residents_75_plus": 3}, 7))
    out = compute_index(wards, spec)
    assert out.loc["X", "component_demography"] == 10
    assert out.loc["X", "risk_index"] == 10
    assert out.loc["Y", "risk_index"] == 0


def test_a_ward_missing_one_value_is_scored_on_the_others_and_named():
    wards = HAND.assign(pct_residents_75_plus=[5.0, np.nan, 10.0])
    out = compute_index(wards, HAND_SPEC)
    # 75+ now over 5..10: A 0, C 10. B has 65+ only: its demography is its 65+ score, 5.
    assert out.loc["B", "component_demography"] == 5
    assert out.loc["C", "component_demography"] == (3 * 10 + 1 * 10) / 4
    assert any(
        note.startswith("no pct_residents_75_plus for Bolton Vale") for note in out.attrs["notes"]
    )


def test_a_ward_with_no_value_in_a_component_is_scored_on_the_other_components():
    wards = HAND.assign(imd_average_rank=[100.0, 300.0, np.nan])
    out = compute_index(wards, HAND_SPEC)
    assert out.loc["C", "risk_index"] == out.loc["C", "component_demography"] == 8.75
    assert any(n.startswith("no deprivation score for Carrow") for n in out.attrs["notes"])


def test_a_ward_with_no_value_at_all_has_no_index_and_no_rank():
    wards = HAND.assign(
        pct_residents_65_plus=[10.0, 20.0, np.nan],
        pct_residents_75_plus=[5.0, 15.0, np.nan],
        imd_average_rank=[100.0, 300.0, np.nan],
    )
    out = compute_index(wards, HAND_SPEC)
    assert math.isnan(out.loc["C", "risk_index"])
    assert out["risk_rank"].isna().tolist() == [False, False, True]
    assert "no risk index for Carrow: no usable value" in out.attrs["notes"]


def test_a_wider_frame_sets_the_scale_and_clips_outside_it():
    frame = pd.DataFrame({"pct_residents_65_plus": [0.0, 40.0]})
    wards = pd.DataFrame({"pct_residents_65_plus": [10.0, 50.0]})
    spec = spec_of(demography=({"pct_residents_65_plus": 1}, 1))
    out = compute_index(wards, spec, frame=frame)
    # over 0..40: 10 -> 2.5; 50 is beyond the frame's worst: 10.
    assert out["risk_index"].tolist() == [2.5, 10]
    assert out.attrs["frame_size"] == 2


def test_an_indicator_constant_over_the_frame_scores_0_with_a_note():
    wards = HAND.assign(pct_residents_75_plus=7.0)
    out = compute_index(wards, HAND_SPEC)
    assert (out["score_pct_residents_75_plus"] == 0).all()
    assert (
        "pct_residents_75_plus is 7 on every ward of the frame: scores 0 for all"
        in (out.attrs["notes"])
    )


def test_an_all_empty_column_is_left_out_with_a_note():
    out = compute_index(HAND.assign(pct_residents_75_plus=np.nan), HAND_SPEC)
    assert "score_pct_residents_75_plus" not in out
    assert (
        "pct_residents_75_plus left out of demography: no ward has a value" in (out.attrs["notes"])
    )


def test_la_context_is_named_when_the_ward_figure_is_missing():
    wards = HAND.assign(la_pct_premises_below_uso=0.4)
    notes = " ".join(compute_index(wards, HAND_SPEC).attrs["notes"])
    assert "only la_pct_premises_below_uso, the local authority's figure on every ward" in notes


# --- nations -------------------------------------------------------------------------------

ENGLAND_AND_WALES = ["E08000009", "W06000015", "W06000015"]


def test_wards_of_two_nations_are_not_compared_on_their_own_deprivation_indices():
    wards = HAND.assign(la_code=ENGLAND_AND_WALES)
    out = compute_index(wards, HAND_SPEC)
    # IMD rank is left out, so deprivation drops out and the index is the demography
    # component alone (see test_the_index_by_hand): A 0, B 6.25, C 8.75.
    assert "score_imd_average_rank" not in out
    assert out["risk_index"].tolist() == [0, 6.25, 8.75]
    assert out["risk_rank"].tolist() == [3, 2, 1]
    notes = " | ".join(out.attrs["notes"])
    assert (
        "imd_average_rank left out: the wards scored and the reference frame are in England "
        "and Wales, whose deprivation indices are built differently" in notes
    )
    assert "deprivation component left out" in notes
    assert out.attrs["used_indicators"] == ["pct_residents_65_plus", "pct_residents_75_plus"]


def test_one_nation_s_wards_against_a_frame_of_two_nations_leave_its_index_out_too():
    wards = HAND.assign(la_code="E08000009")
    welsh = pd.DataFrame({"la_code": ["W06000015"], "imd_average_rank": [200.0]}, index=["W"])
    frame = pd.concat([wards, welsh])
    out = compute_index(wards, HAND_SPEC, frame=frame)
    assert "score_imd_average_rank" not in out
    assert any(n.startswith("imd_average_rank left out: ") for n in out.attrs["notes"])


@pytest.mark.parametrize("la_code", ["W06000015", "S12000033", "E08000009"])
def test_wards_of_one_nation_are_ranked_on_its_index(la_code):
    out = compute_index(HAND.assign(la_code=la_code), HAND_SPEC)
    assert out["risk_index"].tolist() == [6, 5.5, 3.5]  # as test_the_index_by_hand
    assert not any("deprivation indices" in n for n in out.attrs["notes"])


def test_every_nation_relative_figure_is_left_out_and_named_once_while_the_census_stays():
    names = [
        "imd_average_score", "imd_average_rank", "income_average_rank", "health_average_rank",
        "pct_residents_most_deprived_decile", "pct_residents_most_deprived_quintile",
    ]  # fmt: skip
    wards = pd.DataFrame({name: [1.0, 2.0, 3.0] for name in names}, index=list("ABC")).assign(
        la_code=["S12000033", "E08000009", "W06000015"],
        pct_households_deprived_2_plus=[1.0, 5.0, 3.0],
    )
    spec = spec_of(
        demography=({"pct_households_deprived_2_plus": 1}, 1),
        deprivation=({name: 1 for name in names}, 1),
    )
    out = compute_index(wards, spec)
    # household deprivation (Census 2021, one definition) over 1..5: A 0, B 10, C 5.
    assert out["risk_index"].tolist() == [0, 10, 5]
    apart = [n for n in out.attrs["notes"] if "deprivation indices are built differently" in n]
    assert apart == [
        f"{', '.join(names)} left out: the wards scored and the reference frame are in England"
        ", Scotland and Wales, whose deprivation indices are built differently, so ranks, "
        "scores and shares of the most deprived neighbourhoods on one nation's index cannot be "
        "compared with another's; score one nation's wards against a frame of that nation to "
        "use them"
    ]


# --- one measure of one thing ----------------------------------------------------------------

SCORED = pd.DataFrame(
    {"imd_average_score": [40.0, 5.0, 20.0], "imd_average_rank": [9000.0, 1000.0, 5000.0]},
    index=["P", "Q", "R"],
)


def test_the_imd_score_replaces_its_rank_so_the_index_counts_once():
    spec = spec_of(deprivation=({"imd_average_score": 5, "imd_average_rank": 5}, 1))
    out = compute_index(SCORED, spec)
    # score over 5..40, higher worse: P 10, Q 0, R (20 - 5) / 35 * 10 = 4.2857. (The ranks
    # here contradict the scores on purpose: had they counted, P would not be 10.)
    assert out["risk_index"].tolist() == pytest.approx([10, 0, 150 / 35])
    assert "score_imd_average_rank" not in out
    assert (
        "imd_average_rank left out of deprivation: imd_average_score is the same deprivation "
        "index as a score, which keeps how far apart neighbourhoods are and is used"
    ) in out.attrs["notes"]


def test_the_imd_rank_is_used_when_the_score_is_missing_or_weighted_0():
    both = {"imd_average_score": 5, "imd_average_rank": 5}
    no_score = compute_index(
        SCORED.assign(imd_average_score=np.nan), spec_of(deprivation=(both, 1))
    )
    # rank over 1000..9000, 1 = most deprived: P 0, Q 10, R 5.
    assert no_score["risk_index"].tolist() == [0, 10, 5]
    assert (
        "imd_average_score left out of deprivation: no ward has a value"
        in (no_score.attrs["notes"])
    )
    zero = spec_of(deprivation=({"imd_average_score": 0, "imd_average_rank": 5}, 1))
    assert compute_index(SCORED, zero)["risk_index"].tolist() == [0, 10, 5]


# --- the new demography and presets ----------------------------------------------------------

DEMOGRAPHY = pd.DataFrame(
    {
        "pct_residents_65_plus": [10.0, 20.0, 30.0],
        "pct_residents_75_plus": [5.0, 10.0, 15.0],
        "pct_residents_disabled": [30.0, 20.0, 10.0],
        "pct_residents_no_qualifications": [30.0, 10.0, 20.0],
        "pct_residents_poor_english": [0.0, 8.0, 4.0],
        "pct_households_one_person_66_plus": [10.0, 20.0, 30.0],
        "pct_households_deprived_2_plus": [8.0, 2.0, 2.0],
    },
    index=["X", "Y", "Z"],
)
DEMOGRAPHY_SPEC = spec_of(demography=(DEFAULT_SPEC.demography.indicators, 5))


def test_the_default_demography_by_hand():
    out = compute_index(DEMOGRAPHY, DEMOGRAPHY_SPEC)
    # Scores (X, Y, Z): 65+ 0 5 10; 75+ 0 5 10; disabled 10 5 0; no qualifications 10 0 5;
    # poor English 0 10 5; one-person 66+ 0 5 10; deprived 2+ 10 0 0. Weights 5 5 5 5 5 3 3
    # (sum 31): X (5*20 + 3*10) / 31 = 130/31; Y (5*25 + 3*5) / 31 = 140/31;
    # Z (5*30 + 3*10) / 31 = 180/31.
    assert out["risk_index"].tolist() == pytest.approx([130 / 31, 140 / 31, 180 / 31])
    assert out["risk_rank"].tolist() == [3, 2, 1]
    assert out["score_pct_households_deprived_2_plus"].tolist() == [10, 0, 0]


def test_the_app_s_demo_without_census_topics_still_scores_on_age():
    wards = DEMOGRAPHY[["pct_residents_65_plus", "pct_residents_75_plus"]]
    out = compute_index(wards, DEMOGRAPHY_SPEC)
    assert out["risk_index"].tolist() == [0, 5, 10]
    notes = out.attrs["notes"]
    assert "pct_residents_disabled left out of demography: no ward has a value" in notes
    assert "pct_households_deprived_2_plus left out of demography: no ward has a value" in notes


#: Wards with only some of DERI's indicators: no pct_premises_below_uso, no disability, no score.
SOME_OF_DERI = pd.DataFrame(
    {
        "la_code": "E08000009",
        "pct_premises_without_superfast": [2.0, 4.0, 10.0],
        "pct_residents_65_plus": [10.0, 30.0, 20.0],
        "pct_residents_75_plus": [4.0, 12.0, 8.0],
        "pct_residents_no_qualifications": [30.0, 10.0, 20.0],
        "imd_average_rank": [1000.0, 9000.0, 5000.0],
    },
    index=["P", "Q", "R"],
)


def test_the_deri_preset_by_hand_on_wards_with_some_of_its_indicators():
    out = compute_index(SOME_OF_DERI, DERI_SPEC)
    # Broadband (3): superfast alone over 2..10: P 0, Q 2.5, R 10.
    # Demography (3): 65+ (5) 0 10 5 and 75+ (5) 0 10 5: P 0, Q 10, R 5.
    # Deprivation (3): no qualifications (4) 10 0 5, IMD rank (2) reversed 10 0 5:
    #   P (40 + 20) / 6 = 10, Q 0, R (20 + 10) / 6 = 5.
    # Index (3, 3, 3): P 10/3, Q 12.5/3, R 20/3.
    assert out["component_infrastructure"].tolist() == [0, 2.5, 10]
    assert out["component_demography"].tolist() == [0, 10, 5]
    assert out["component_deprivation"].tolist() == [10, 0, 5]
    assert out["risk_index"].tolist() == pytest.approx([10 / 3, 12.5 / 3, 20 / 3])
    assert out["risk_rank"].tolist() == [3, 2, 1]
    notes = out.attrs["notes"]
    assert notes[: len(DERI_SPEC.notes)] == list(DERI_SPEC.notes)
    assert "social grade DE (2 of demography's 14)" in notes[1]
    assert "Pension Credit" in notes[1]
    for name, component in [
        ("pct_premises_below_uso", "infrastructure"),
        ("pct_residents_disabled", "demography"),
        ("imd_average_score", "deprivation"),
    ]:
        assert f"{name} left out of {component}: no ward has a value" in notes


def test_the_deri_preset_scores_the_imd_score_when_the_wards_have_it():
    out = compute_index(SOME_OF_DERI.assign(imd_average_score=[40.0, 5.0, 20.0]), DERI_SPEC)
    # score over 5..40: P 10, Q 0, R 15/35*10 = 30/7. Deprivation R (4*5 + 2*30/7) / 6.
    assert out["component_deprivation"].tolist() == pytest.approx([10, 0, (20 + 60 / 7) / 6])
    assert "score_imd_average_rank" not in out


def test_the_deri_weights_are_its_published_defaults():
    assert DERI_SPEC.infrastructure.indicators == {
        "pct_premises_below_uso": 3, "pct_premises_without_superfast": 3,
    }  # fmt: skip
    assert DERI_SPEC.demography.indicators == {
        "pct_residents_65_plus": 5, "pct_residents_75_plus": 5, "pct_residents_disabled": 2,
    }  # fmt: skip
    assert DERI_SPEC.deprivation.indicators == {
        "pct_residents_no_qualifications": 4, "imd_average_score": 2, "imd_average_rank": 2,
        "pct_residents_66_plus_pension_credit": 2,
    }  # fmt: skip
    assert [c.weight for c in DERI_SPEC.components.values()] == [3, 3, 3]
    assert {key: preset.spec for key, preset in PRESETS.items()} == {
        "default": DEFAULT_SPEC, "deri": DERI_SPEC,
    }  # fmt: skip


def test_ties_share_the_best_rank():
    wards = pd.DataFrame({"pct_residents_65_plus": [30.0, 30.0, 10.0]})
    spec = spec_of(demography=({"pct_residents_65_plus": 1}, 1))
    assert compute_index(wards, spec)["risk_rank"].tolist() == [1, 1, 3]


@pytest.mark.parametrize(
    "spec",
    [
        spec_of(demography=({"pct_residents_65_plus": 0}, 5)),
        spec_of(demography=({"pct_residents_65_plus": 5}, 0)),
        spec_of(infrastructure=({"pct_premises_below_uso": 5}, 5)),  # column absent
    ],
)
def test_nothing_to_score_is_an_error(spec):
    with pytest.raises(EmptyIndexError, match="no indicator can be scored"):
        compute_index(HAND, spec)


# --- invariants -----------------------------------------------------------------------------

NAMES = [n for part in DEFAULT_SPEC.components.values() for n in part.indicators]
N_WARDS = 5


def _value(name: str) -> st.SearchStrategy[float]:
    top = 32_844.0 if INDICATORS[name].unit == "rank" else 100.0
    return st.floats(0, top, allow_nan=False)


@st.composite
def ward_tables(draw, *, gaps: bool = True) -> pd.DataFrame:
    columns = {}
    for name in NAMES:
        value = _value(name)
        cell = st.one_of(st.just(np.nan), value) if gaps else value
        columns[name] = draw(st.lists(cell, min_size=N_WARDS, max_size=N_WARDS))
    return pd.DataFrame(columns, index=[f"W{i}" for i in range(N_WARDS)])


@st.composite
def specs(draw) -> IndexSpec:
    weight = st.integers(0, 10)
    return IndexSpec(
        **{
            component: ComponentSpec(
                {name: draw(weight) for name in part.indicators}, weight=draw(weight)
            )
            for component, part in DEFAULT_SPEC.components.items()
        }
    )


def _scorable(wards: pd.DataFrame, spec: IndexSpec) -> bool:
    return any(
        part.weight > 0 and weight > 0 and wards[name].notna().any()
        for part in spec.components.values()
        for name, weight in part.indicators.items()
    )


@settings(max_examples=60, deadline=None)
@given(wards=ward_tables(), spec=specs())
def test_index_is_within_0_to_10_for_any_weights_and_values(wards, spec):
    if not _scorable(wards, spec):
        with pytest.raises(EmptyIndexError):
            compute_index(wards, spec)
        return
    out = compute_index(wards, spec)
    scores = out.filter(regex="^(score_|component_|risk_index)")
    assert ((scores >= 0) & (scores <= 10) | scores.isna()).all().all()
    ranked = out["risk_rank"].dropna()
    assert ranked.between(1, len(wards)).all()


@settings(max_examples=40, deadline=None)
@given(wards=ward_tables(), spec=specs(), data=st.data())
def test_a_zero_weight_removes_an_indicator_s_influence(wards, spec, data):
    component = data.draw(st.sampled_from(COMPONENTS))
    name = data.draw(st.sampled_from(sorted(spec.components[component].indicators)))
    spec = spec.with_weight(component, 0, indicator=name)
    assume(_scorable(wards, spec))
    values = data.draw(st.lists(_value(name), min_size=N_WARDS, max_size=N_WARDS))
    other = wards.assign(**{name: values})
    pd.testing.assert_series_equal(
        compute_index(wards, spec)["risk_index"], compute_index(other, spec)["risk_index"]
    )


@settings(max_examples=60, deadline=None)
@given(
    wards=ward_tables(gaps=False),
    spec=specs(),
    data=st.data(),
    worse_by=st.floats(0, 50_000, allow_nan=False),
)
def test_making_a_ward_worse_never_lowers_its_index(wards, spec, data, worse_by):
    component = data.draw(st.sampled_from(COMPONENTS))
    name = data.draw(st.sampled_from(sorted(spec.components[component].indicators)))
    spec = spec.with_weight(component, data.draw(st.integers(1, 10)), indicator=name)
    spec = spec.with_weight(component, data.draw(st.integers(1, 10)))
    ward = data.draw(st.sampled_from(list(wards.index)))
    worse = wards.copy()
    worse.loc[ward, name] += worse_by if INDICATORS[name].higher_is_worse else -worse_by
    before = compute_index(wards, spec, frame=wards).loc[ward, "risk_index"]
    after = compute_index(worse, spec, frame=wards).loc[ward, "risk_index"]
    assert after >= before


# --- classes --------------------------------------------------------------------------------


def test_quantiles_put_the_same_number_of_wards_in_each_class():
    index = pd.Series(np.arange(10, dtype=float), index=[f"W{i}" for i in range(10)])
    classes = classify_index(index, method="quantiles", k=5)
    assert classes.ward_class.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert classes.labels[0] == "0.0 to 1.8"
    assert classes.notes == []


def test_natural_breaks_split_where_the_index_jumps():
    index = pd.Series([1.0, 1.2, 1.1, 8.0, 8.5, np.nan])
    classes = classify_index(index, method="natural_breaks", k=2)
    assert classes.ward_class.tolist()[:5] == [1, 1, 1, 2, 2]
    assert classes.ward_class.isna().tolist()[5]
    assert classes.labels == ["1.0 to 1.2", "1.2 to 8.5"]


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks"])
def test_ties_give_fewer_classes_with_a_note_not_a_warning(method):
    index = pd.Series([0.0, 0.0, 0.0, 0.0, 5.0, 10.0])
    classes = classify_index(index, method=method, k=5)
    assert len(classes.labels) < 5
    assert classes.ward_class.max() == len(classes.labels)
    assert "too few distinct values" in classes.notes[0]


def test_one_value_is_one_class_and_bad_methods_are_refused():
    assert classify_index(pd.Series([3.0, 3.0]), method="quantiles").labels == ["3.0 to 3.0"]
    with pytest.raises(ValueError, match="method must be one of"):
        classify_index(pd.Series([1.0]), method="equal_interval")


# --- sensitivity ----------------------------------------------------------------------------

SMALL_SPEC = spec_of(
    demography=({"pct_residents_65_plus": 5, "pct_residents_75_plus": 5}, 5),
    deprivation=({"imd_average_rank": 5}, 5),
)


@settings(max_examples=15, deadline=None)
@given(wards=ward_tables(), step=st.integers(1, 10))
def test_the_base_rank_lies_between_the_best_and_worst(wards, step):
    assume(_scorable(wards, SMALL_SPEC))
    out = rank_sensitivity(wards, SMALL_SPEC, step=step)
    ranked = out.dropna(subset=["risk_rank"])
    assert (ranked["rank_best"] <= ranked["risk_rank"]).all()
    assert (ranked["risk_rank"] <= ranked["rank_worst"]).all()
    assert (ranked["rank_range"] == ranked["rank_worst"] - ranked["rank_best"]).all()


def test_a_ward_worst_on_everything_stays_first_whatever_one_weight_does():
    values = {
        name: [1.0, 2.0, 3.0, 9.0] if INDICATORS[name].higher_is_worse else [900, 800, 700, 1]
        for name in NAMES
    }
    wards = pd.DataFrame(values, index=["W1", "W2", "W3", "WORST"])
    out = rank_sensitivity(wards)  # every weight 5
    assert out.loc["WORST", ["risk_rank", "rank_best", "rank_worst", "rank_range"]].tolist() == [
        1, 1, 1, 0,
    ]  # fmt: skip
    assert pd.isna(out.loc["WORST", "most_sensitive_to"])
    assert len(out.attrs["changes"]) == 2 * (3 + len(NAMES))


def test_sensitivity_names_the_weight_that_moves_a_ward_most():
    # O is old and not deprived, D deprived and young, M neither.
    wards = pd.DataFrame(
        {"pct_residents_65_plus": [30.0, 10.0, 12.0], "imd_average_rank": [900, 100, 800]},
        index=["O", "D", "M"],
    )
    spec = spec_of(
        demography=({"pct_residents_65_plus": 5}, 5), deprivation=({"imd_average_rank": 5}, 5)
    )
    out = rank_sensitivity(wards, spec, step=2)
    # O and D tie first (index 5 each): a heavier demography puts O alone first.
    assert out["risk_rank"].tolist() == [1, 1, 3]
    assert out.loc["D", "rank_worst"] == 2
    assert out.loc["D", "most_sensitive_to"] == "weight of demography component from 5 to 7"
    assert out.loc["M", "rank_range"] == 0


def test_sensitivity_covers_the_new_demography_weights_by_hand():
    out = rank_sensitivity(DEMOGRAPHY, DEMOGRAPHY_SPEC, step=2)
    # Base sums (see test_the_default_demography_by_hand): X 130, Y 140, Z 180 (over 31).
    # 65+ from 5 to 3 takes 2*0, 2*5, 2*10 off: X 130, Y 130, Z 160: X ties Y for 2nd.
    # No qualifications from 5 to 7 adds 2*10, 0, 2*5: X 150, Y 140, Z 190: Y falls to 3rd.
    # Z has the most of every change tried, so it stays 1st.
    assert out["risk_rank"].tolist() == [3, 2, 1]
    assert out["rank_best"].tolist() == [2, 2, 1]
    assert out["rank_worst"].tolist() == [3, 3, 1]
    assert out.loc["X", "most_sensitive_to"] == (
        "weight of pct_residents_65_plus (demography) from 5 to 3"
    )
    assert out.loc["Y", "most_sensitive_to"] == (
        "weight of pct_residents_no_qualifications (demography) from 5 to 7"
    )
    assert pd.isna(out.loc["Z", "most_sensitive_to"])
    changes = out.attrs["changes"]
    # each weight up and down, and the two empty components' weights from 0 to 2
    assert len(changes) == 2 * (1 + 7) + 2
    assert "weight of pct_households_one_person_66_plus (demography) from 3 to 1" in changes
    assert "weight of pct_households_deprived_2_plus (demography) from 3 to 5" in changes
    for name in DEMOGRAPHY:
        assert any(f"weight of {name} (demography)" in change for change in changes)


def assert_sensitivity_is_afresh(
    out: pd.DataFrame, wards: pd.DataFrame, spec: IndexSpec, frame: pd.DataFrame | None = None
) -> None:
    """``out`` is what compute_index run afresh for every one-weight change (step 2) gives."""
    base = compute_index(wards, spec, frame=frame)
    ranks, skipped = {}, []
    for label, changed in _one_weight_changes(spec, 2):
        try:
            ranks[label] = compute_index(wards, changed, frame=frame)["risk_rank"]
        except EmptyIndexError:
            skipped.append(label)
    assert out.attrs == {
        "step": 2, "changes": list(ranks), "skipped": skipped, "notes": base.attrs["notes"],
    }  # fmt: skip
    pd.testing.assert_series_equal(out["risk_rank"], base["risk_rank"])
    for ward, rank in base["risk_rank"].items():
        row = out.loc[ward]
        if pd.isna(rank):
            assert row[["rank_best", "rank_worst", "rank_range"]].isna().all(), ward
            assert pd.isna(row["most_sensitive_to"]), ward
            continue
        # a change that leaves the ward with no index gives it no rank to compare
        moved = {label: r[ward] for label, r in ranks.items() if pd.notna(r[ward])}
        reached = [rank, *moved.values()]
        assert (row["rank_best"], row["rank_worst"]) == (min(reached), max(reached)), ward
        assert row["rank_range"] == max(reached) - min(reached), ward
        shifts = {label: abs(r - rank) for label, r in moved.items()}
        most = max(shifts.values(), default=0)
        expected = next((label for label, s in shifts.items() if s == most), None) if most else None
        assert (None if pd.isna(row["most_sensitive_to"]) else row["most_sensitive_to"]) == (
            expected
        ), ward


#: Six wards with gaps: F has no value at all, B no 65+, pct_residents_disabled none.
GAPPY = pd.DataFrame(
    {
        "ward_name": ["Ashby", "Bolton Vale", "Carrow", "Dunmore", "Elm", "Fenwick"],
        "la_code": "E08000009",
        "pct_premises_below_uso": [0.0, 4.0, np.nan, 1.0, 9.0, np.nan],
        "pct_premises_without_superfast": [2.0, 30.0, 11.0, np.nan, 5.0, np.nan],
        "pct_residents_65_plus": [10.0, np.nan, 30.0, 22.0, 18.0, np.nan],
        "pct_residents_75_plus": [4.0, 9.0, 15.0, 3.0, 8.0, np.nan],
        "pct_residents_disabled": np.nan,
        "pct_residents_poor_english": [7.0, 7.0, 7.0, 7.0, 7.0, np.nan],
        "imd_average_score": [40.0, 5.0, np.nan, 25.0, 12.0, np.nan],
        "imd_average_rank": [900.0, 8000.0, 3000.0, 2000.0, 6000.0, np.nan],
        "income_average_rank": [1500.0, np.nan, 2500.0, 9000.0, 400.0, np.nan],
    },
    index=list("ABCDEF"),
)
GAPPY_SPEC = spec_of(
    infrastructure=({"pct_premises_below_uso": 5, "pct_premises_without_superfast": 3}, 0),
    demography=(
        {
            "pct_residents_65_plus": 5,
            "pct_residents_75_plus": 0,  # raised to 2 by one change: scored only then
            "pct_residents_disabled": 2,
            "pct_residents_poor_english": 4,
        },
        5,
    ),
    deprivation=({"imd_average_score": 2, "imd_average_rank": 5, "income_average_rank": 3}, 4),
)


@pytest.mark.parametrize("nations", ["one", "two"])
def test_sensitivity_is_compute_index_afresh_for_every_change_with_gaps_and_zero_weights(
    nations,
):
    # Each change takes new weighted means of indicators scaled once: an infrastructure
    # weighed 0 (raised to 2), a 75+ weighed 0 (raised to 2), an IMD score weighed 2 (lowered
    # to 0, so the IMD rank is scored in its place), a figure with no value and one the same
    # everywhere; with a Welsh ward in the frame the deprivation indices are left out.
    welsh = pd.DataFrame({"la_code": ["W06000015"], "imd_average_rank": [100.0]}, index=["W"])
    frame = pd.concat([GAPPY, welsh]) if nations == "two" else None
    out = rank_sensitivity(GAPPY, GAPPY_SPEC, frame=frame)
    assert_sensitivity_is_afresh(out, GAPPY, GAPPY_SPEC, frame)
    assert pd.isna(out.loc["F", "risk_rank"])
    assert (out["rank_range"] > 0).any()
    assert {
        "weight of infrastructure component from 0 to 2",
        "weight of pct_residents_75_plus (demography) from 0 to 2",
        "weight of imd_average_score (deprivation) from 2 to 0",
    } <= set(out.attrs["changes"])


def test_a_change_that_leaves_no_weight_is_skipped():
    spec = spec_of(demography=({"pct_residents_65_plus": 2}, 2))
    out = rank_sensitivity(HAND, spec, step=2)
    assert out.attrs["skipped"] == [
        "weight of demography component from 2 to 0",
        "weight of pct_residents_65_plus (demography) from 2 to 0",
    ]
    with pytest.raises(ValueError, match="step must be at least 1"):
        rank_sensitivity(HAND, spec, step=0)


# --- people reached -------------------------------------------------------------------------

PEOPLE = pd.DataFrame(
    {
        "residents": [1000, 2000, 3000],
        "residents_65_plus": [100, 500, 900],
        "premises_below_uso": [3, 0, 40],
    },
    index=["A", "B", "C"],
)


def test_people_reached_are_the_sums_over_the_priority_wards():
    reached = people_reached(PEOPLE, pd.Series([True, False, True], index=PEOPLE.index))
    assert reached == PeopleReached(
        wards=2, residents=4000, residents_65_plus=1000, premises_below_uso=43
    )
    assert isinstance(reached.residents, int)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), min_size=3, max_size=3))
def test_priority_and_the_rest_add_up_to_the_authority(flags):
    priority = pd.Series(flags, index=PEOPLE.index)
    inside, outside = people_reached(PEOPLE, priority), people_reached(PEOPLE, ~priority)
    for name in ("residents", "residents_65_plus", "premises_below_uso"):
        assert getattr(inside, name) + getattr(outside, name) == PEOPLE[name].sum()
    assert inside.wards + outside.wards == 3


def test_premises_are_none_without_ward_level_broadband():
    priority = pd.Series(True, index=PEOPLE.index)
    without = PEOPLE.drop(columns="premises_below_uso")
    assert people_reached(without, priority).premises_below_uso is None
    gaps = PEOPLE.assign(premises_below_uso=[3.0, np.nan, 40.0])
    assert people_reached(gaps, priority).premises_below_uso is None
    known = pd.Series([True, False, True], index=PEOPLE.index)
    assert people_reached(gaps, known).premises_below_uso == 43


@pytest.mark.parametrize(
    ("priority", "message"),
    [
        (pd.Series([1, 0, 1], index=["A", "B", "C"]), "True/False"),
        (pd.Series([True, None, True], index=["A", "B", "C"], dtype="boolean"), "True/False"),
        (pd.Series([True, False], index=["A", "B"]), "one entry per ward"),
    ],
)
def test_people_reached_refuses_an_unclear_priority(priority, message):
    with pytest.raises(ValueError, match=message):
        people_reached(PEOPLE, priority)


# --- not-spots ------------------------------------------------------------------------------


def test_not_spots_at_and_around_the_thresholds():
    wards = pd.DataFrame(
        {"pct_premises_below_uso": [0.5, 1.0, 4.0], "la_pct_premises_no_4g_indoor": 1.0}
    )
    out = not_spots(wards, fixed_threshold_pct=1.0, mobile_threshold_pct=1.0)
    assert out["fixed_not_spot"].tolist() == [False, True, True]
    assert out["mobile_not_spot"].tolist() == [True, True, True]  # >= threshold
    assert out["double_not_spot"].tolist() == [False, True, True]
    assert out.attrs["thresholds_pct"] == {"fixed_not_spot": 1.0, "mobile_not_spot": 1.0}
    assert out.attrs["level"]["mobile_not_spot"] == "local authority"
    assert out.attrs["level"]["fixed_not_spot"] == "ward"
    assert "the same on every ward" in out.attrs["notes"][0]
    assert (FIXED_NOT_SPOT_PCT, MOBILE_NOT_SPOT_PCT) == (1.0, 1.0)


def test_unknown_is_na_never_false():
    wards = pd.DataFrame(
        {
            "ward_name": ["Ashby", "Bolton Vale", "Carrow"],
            "pct_premises_below_uso": [0.0, 9.0, np.nan],
        }
    )
    out = not_spots(wards)
    assert all(str(out[c].dtype) == "boolean" for c in out)
    assert out["fixed_not_spot"].tolist() == [False, True, pd.NA]
    assert out["mobile_not_spot"].isna().all()
    # Not fixed is enough to know it is not double; fixed and unknown mobile stays unknown.
    assert out["double_not_spot"].tolist() == [False, pd.NA, pd.NA]
    notes = " ".join(out.attrs["notes"])
    assert "fixed_not_spot unknown for Carrow: no pct_premises_below_uso" in notes
    assert "mobile_not_spot unknown: the ward table has no la_pct_premises_no_4g_indoor" in notes


def test_not_spot_thresholds_are_percentages():
    with pytest.raises(ValueError, match="fixed_threshold_pct must be 0 to 100"):
        not_spots(PEOPLE, fixed_threshold_pct=150)


# --- real stores ----------------------------------------------------------------------------


@pytest.fixture
def trafford_wards(trafford_store):
    return store.read_wards(TRAFFORD, store=trafford_store)


def test_trafford_is_ranked_in_full_without_fixed_broadband(trafford_wards):
    out = compute_index(trafford_wards)
    assert len(out) == 21
    assert out["risk_index"].notna().all()
    assert sorted(out["risk_rank"]) == list(range(1, 22))
    assert out.filter(like="component_").columns.tolist() == [
        "component_demography", "component_deprivation",
    ]  # fmt: skip
    assert (
        "infrastructure component left out: no usable indicator weighted above 0"
        in (out.attrs["notes"])
    )
    assert not any(c.startswith("score_la_") for c in out)
    spots = not_spots(trafford_wards)
    assert spots["fixed_not_spot"].isna().all()  # only LA context: unknown by ward
    assert spots["mobile_not_spot"].notna().all()


def test_the_demo_place_uses_all_three_components(demo_store):
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    out = compute_index(wards)
    assert len(out) == 28
    assert list(out.attrs["component_weights"]) == list(COMPONENTS)
    assert out["risk_index"].between(0, 10).all()
    priority = out["risk_rank"] <= 5
    reached = people_reached(wards, priority)
    rest = people_reached(wards, ~priority)
    assert reached.premises_below_uso + rest.premises_below_uso == wards["premises_below_uso"].sum()
    assert reached.residents + rest.residents == wards["residents"].sum()


def test_the_authoritys_mobile_figure_does_not_settle_a_ward_whose_fixed_is_not_known():
    # Mobile known per authority only (2% of its premises, under the 5% threshold): a ward with
    # no fixed figure is not known to be outside a double not-spot; a ward that is not a fixed
    # not-spot is known to be outside one.
    wards = pd.DataFrame(
        {
            "pct_premises_below_uso": [np.nan, 0.2, 9.0],
            "la_pct_premises_no_4g_indoor": [2.0, 2.0, 2.0],
        }
    )
    out = not_spots(wards, mobile_threshold_pct=5.0)
    assert out["mobile_not_spot"].tolist() == [False, False, False]
    assert out["double_not_spot"].tolist() == [pd.NA, False, False]
    # By ward (not-spot postcodes), a ward that is not a mobile not-spot is not a double one.
    by_ward = wards.assign(pct_premises_in_mobile_not_spot_postcodes=[0.0, 0.0, 0.0])
    assert not_spots(by_ward)["double_not_spot"].tolist() == [False, False, False]


@pytest.mark.parametrize("preset", ["default", "deri"])
@pytest.mark.parametrize("gaps", [False, True])
def test_sensitivity_on_the_demo_is_compute_index_afresh_for_every_change(demo_store, preset, gaps):
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    if gaps:
        wards["pct_residents_75_plus"] = np.nan  # a figure with no value: its changes move nothing
        wards.loc[3, "pct_residents_65_plus"] = np.nan  # and a ward missing one value
    out = rank_sensitivity(wards, PRESETS[preset].spec)
    assert_sensitivity_is_afresh(out, wards, PRESETS[preset].spec)
    assert (out["rank_range"] > 0).any()
