import math

import pandas as pd
import pytest

from geo.indicators import (
    CENSUS_TOPICS,
    INDICATORS,
    SOURCE_ROLES,
    area_shares,
    census_topic_indicators,
    fixed_broadband_indicators,
    la_fixed_context,
    population_indicators,
    releases_behind,
)


def test_fixed_percentages_are_recomputed_from_counts():
    counts = pd.DataFrame(
        {
            "premises": [200, 0],
            "premises_below_uso": [10, 0],
            "premises_sfbb": [150, 0],
            "premises_gigabit": [50, 0],
        },
        index=["W1", "EMPTY"],
    )
    out = fixed_broadband_indicators(counts)
    assert out.loc["W1"].to_dict() == pytest.approx(
        {
            "premises_without_superfast": 50,
            "premises_without_gigabit": 150,
            "pct_premises_below_uso": 5.0,
            "pct_premises_without_superfast": 25.0,
            "pct_premises_without_gigabit": 75.0,
        }
    )
    # A ward with no premises has no rate, not 0% (which would read as "all covered").
    assert out.loc["EMPTY", "pct_premises_below_uso"] != out.loc["EMPTY", "pct_premises_below_uso"]


def test_population_shares():
    people = pd.DataFrame(
        {
            "residents": [1000],
            "residents_65_plus": [250],
            "residents_75_plus": [120],
            "residents_most_deprived_decile": [100],
            "residents_most_deprived_quintile": [300],
        }
    )
    out = population_indicators(people)
    assert out.iloc[0].to_dict() == {
        "pct_residents_65_plus": 25.0,
        "pct_residents_75_plus": 12.0,
        "pct_residents_most_deprived_decile": 10.0,
        "pct_residents_most_deprived_quintile": 30.0,
    }


def test_la_context_uses_what_the_release_publishes():
    row = pd.Series({"pct_premises_below_uso": 0.4, "pct_premises_sfbb": 97.6})
    assert la_fixed_context(row) == {
        "la_pct_premises_below_uso": 0.4,
        "la_pct_premises_without_superfast": pytest.approx(2.4),
    }


def test_every_indicator_names_unit_level_and_source():
    for name, indicator in INDICATORS.items():
        assert indicator.name == name
        assert indicator.unit in {"%", "premises", "people", "households", "postcodes", "rank",
                                  "score"}  # fmt: skip
        assert indicator.source
    assert INDICATORS["la_pct_premises_no_4g_indoor"].level == "local authority"


def test_area_shares_sum_counts_before_dividing():
    rows = pd.DataFrame(
        {
            "premises": [100, 900],
            "premises_sfbb": [50, 900],
            "residents": [10, 0],
            "residents_65_plus": [5, 0],
        }
    )
    shares = area_shares(rows)
    # the mean of the two wards' shares (25%) would be wrong: 50 of 1,000 premises lack SFBB
    assert shares == {"pct_premises_without_superfast": 5.0, "pct_residents_65_plus": 50.0}
    assert area_shares(rows.iloc[1:]) == {"pct_premises_without_superfast": 0.0}


# --- Census 2021 topic summaries -------------------------------------------------------------

#: Two wards of hand-made counts, each beside its own base; ward B has an empty household base.
TOPIC_COUNTS = pd.DataFrame(
    {
        "residents_disabled": [180, 40],
        "residents_disabled_base": [1000, 400],
        "residents_no_qualifications": [150, 30],
        "residents_no_qualifications_base": [800, 300],
        "residents_poor_english": [19, 0],
        "residents_poor_english_base": [950, 380],
        "households_one_person_66_plus": [60, 0],
        "households_one_person_66_plus_base": [480, 0],
        "households_deprived_2_plus": [24, 0],
        "households_deprived_2_plus_base": [480, 0],
    },
    index=["A", "B"],
)


def test_each_census_share_is_its_count_over_its_own_base():
    out = census_topic_indicators(TOPIC_COUNTS)
    # A: 180/1000 = 18%, 150/800 = 18.75%, 19/950 = 2%, 60/480 = 12.5%, 24/480 = 5%.
    assert out.loc["A"].to_dict() == pytest.approx(
        {
            "pct_residents_disabled": 18.0,
            "pct_residents_no_qualifications": 18.75,
            "pct_residents_poor_english": 2.0,
            "pct_households_one_person_66_plus": 12.5,
            "pct_households_deprived_2_plus": 5.0,
        }
    )
    # B: 40/400 = 10%, 30/300 = 10%, 0/380 = 0% (known: nobody); no households: not known.
    assert out.loc["B", "pct_residents_disabled"] == 10.0
    assert out.loc["B", "pct_residents_poor_english"] == 0.0
    assert math.isnan(out.loc["B", "pct_households_one_person_66_plus"])
    assert math.isnan(out.loc["B", "pct_households_deprived_2_plus"])
    assert out.index.equals(TOPIC_COUNTS.index)


def test_a_missing_census_count_is_not_known_and_an_absent_one_is_not_made_up():
    counts = TOPIC_COUNTS[["residents_disabled", "residents_disabled_base"]].astype("Int64")
    counts.loc["B", "residents_disabled"] = pd.NA
    out = census_topic_indicators(counts)
    assert list(out.columns) == ["pct_residents_disabled"]
    assert out["pct_residents_disabled"].iloc[0] == 18.0
    assert math.isnan(out["pct_residents_disabled"].iloc[1])
    assert census_topic_indicators(pd.DataFrame({"residents": [5]})).empty


def test_a_census_count_without_its_base_is_refused():
    with pytest.raises(ValueError, match=r"no base column \['residents_poor_english_base'\]"):
        census_topic_indicators(pd.DataFrame({"residents_poor_english": [3]}))


def test_area_shares_of_census_topics_are_summed_counts_over_summed_bases():
    shares = area_shares(TOPIC_COUNTS)
    # (180 + 40) / (1000 + 400) = 220/1400; (150 + 30) / (800 + 300) = 180/1100;
    # 19/1330; 60/480 = 12.5 and 24/480 = 5 (B has no households, so A alone).
    assert shares == pytest.approx(
        {
            "pct_residents_disabled": 100 * 220 / 1400,
            "pct_residents_no_qualifications": 100 * 180 / 1100,
            "pct_residents_poor_english": 100 * 19 / 1330,
            "pct_households_one_person_66_plus": 12.5,
            "pct_households_deprived_2_plus": 5.0,
        }
    )
    # the mean of the wards' shares would be wrong: (18 + 10) / 2 = 14, not 15.71
    assert shares["pct_residents_disabled"] != pytest.approx(14.0)
    # an area of no households has no household share: left out (not known), never 0
    assert "pct_households_deprived_2_plus" not in area_shares(TOPIC_COUNTS.loc[["B"]])


def test_census_topics_are_catalogued_with_their_base_source_and_direction():
    for topic in CENSUS_TOPICS:
        share, count = INDICATORS[topic.share], INDICATORS[topic.count]
        assert (share.unit, share.level, share.higher_is_worse) == ("%", "ward", True)
        assert count.unit == ("households" if topic.count.startswith("households") else "people")
        assert topic.table in share.source
        assert SOURCE_ROLES[share.source] == (topic.role, "lsoa_ward_lookup")
        assert share.comparable_across_nations
    assert INDICATORS["pct_residents_no_qualifications"].label.startswith(
        "Residents aged 16 and over"
    )
    assert {t.role for t in CENSUS_TOPICS} == {
        "census_disability", "census_qualifications", "census_english", "census_households",
        "census_household_deprivation",
    }  # fmt: skip


def test_a_census_share_names_only_its_own_table_s_file():
    sources = [
        {"role": "census_disability", "file": "ts038.csv", "release": "Census 2021 TS038"},
        {"role": "census_english", "file": "ts029.csv", "release": "Census 2021 TS029"},
        {"role": "lsoa_ward_lookup", "file": "lookup.csv", "release": "May 2022 wards"},
    ]
    assert releases_behind(INDICATORS["pct_residents_disabled"], sources) == [
        "ts038.csv (Census 2021 TS038)", "lookup.csv (May 2022 wards)",
    ]  # fmt: skip


def test_deprivation_figures_say_they_belong_to_one_nation_s_index():
    apart = {name for name, i in INDICATORS.items() if not i.comparable_across_nations}
    assert apart == {
        "imd_average_rank", "income_average_rank", "health_average_rank", "imd_average_score",
        "pct_residents_most_deprived_decile", "pct_residents_most_deprived_quintile",
    }  # fmt: skip
    score = INDICATORS["imd_average_score"]
    assert (score.unit, score.higher_is_worse) == ("score", True)
    assert "IoD 2019" not in score.source and "2019" not in score.source
    sources = [{"role": "iod", "file": "File_2_IoD2025.xlsx", "release": "IoD 2025"}]
    assert releases_behind(score, sources) == ["File_2_IoD2025.xlsx (IoD 2025)"]
