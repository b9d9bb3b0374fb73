import pandas as pd
import pytest

from geo.indicators import (
    INDICATORS,
    area_shares,
    fixed_broadband_indicators,
    la_fixed_context,
    population_indicators,
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
        assert indicator.unit in {"%", "premises", "people", "postcodes", "rank"}
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
