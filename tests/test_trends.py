import csv

import numpy as np
import pandas as pd
import pytest

from geo.trends import (
    MEASURES,
    RELEASE_PERIODS,
    SFBB_DERIVED,
    fixed_trend,
    period_label,
    release_period,
    totals_from_wards,
    trend_summary,
)
from ingest.sources.ofcom_fixed import LA_RELEASES, read_fixed_la

TRAFFORD = "E08000009"
LA_FILES = {
    "2016": "2016_data.csv",
    "2018": "2018_data.csv",
    "2019": "2019_data.csv",
    "202105": "202105_fixed_laua_coverage_r01.csv",
    "202507": "202507_fixed_laua_coverage_r01.csv",
}


def _raw_row(path, code):
    """Trafford's row of an Ofcom file, read with the csv module only (not through ingest)."""
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (row.get("laua") or row.get("laua_code")) == code:
                return {k: v.strip() for k, v in row.items()}
    raise AssertionError(f"{code} not in {path}")


def _expected(release, row):
    """Inclusive shares (%) straight from the publisher's columns, NaN where not published."""
    if release == "2016":  # percentages only; SFBB counted 30-300 Mbit/s only that year
        superfast = min(
            100.0,
            float(row["SFBB availability (% premises)"])
            + float(row["UFBB availability (% premises)"]),
        )
        return {"pct_superfast": superfast, "pct_gigabit": np.nan, "pct_below_uso": np.nan}
    premises = float(row["All Premises"])
    sfbb = float(row["Number of premises with SFBB availability"])
    if release == "2018":  # the number is 30-300 only too: add the >= 300 premises
        sfbb += float(row["Number of premises with UFBB availability"])
    gigabit = row.get("Number of premises with Gigabit availability")
    return {
        "pct_superfast": 100 * sfbb / premises,
        "pct_gigabit": np.nan if gigabit is None else 100 * float(gigabit) / premises,
        "pct_below_uso": 100 * float(row["Number of premises below the USO"]) / premises,
    }


@pytest.fixture(scope="module")
def trafford_releases(shared_data):
    folder = shared_data / "ofcom_fixed_laua"
    rows = []
    for release, name in LA_FILES.items():
        table = read_fixed_la(folder / name)
        assert table.attrs["release"] == release
        row = table[table["la_code"] == TRAFFORD]
        basis = table.attrs["release_basis"]
        rows.append(row.assign(release=release, release_basis=basis, source_file=name))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.shared_data
def test_trafford_trend_matches_the_ofcom_files(trafford_releases, shared_data):
    trend = fixed_trend(trafford_releases).set_index("release")
    assert list(trend.index) == list(LA_FILES)
    for release, name in LA_FILES.items():
        row = _raw_row(shared_data / "ofcom_fixed_laua" / name, TRAFFORD)
        for measure, value in _expected(release, row).items():
            got = trend.loc[release, measure]
            if np.isnan(value):
                assert np.isnan(got), (release, measure)  # not published: NaN, never 0
            else:
                assert got == pytest.approx(value, abs=1e-9), (release, measure)


@pytest.mark.shared_data
def test_trafford_trend_agrees_with_published_percentages(trafford_releases, shared_data):
    """Shares from counts round to Ofcom's own one-decimal percentages where they are inclusive."""
    trend = fixed_trend(trafford_releases).set_index("release")
    published = {
        "pct_superfast": "SFBB availability (% premises)",
        "pct_gigabit": "Gigabit availability (% premises)",
        "pct_below_uso": "% of premises below the USO",
    }
    for release in ("202105", "202507"):
        row = _raw_row(shared_data / "ofcom_fixed_laua" / LA_FILES[release], TRAFFORD)
        for measure, header in published.items():
            assert trend.loc[release, measure] == pytest.approx(float(row[header]), abs=0.05)
    assert trend.loc["202507", "pct_gigabit"] == pytest.approx(93.3, abs=0.05)
    for release in ("2018", "2019"):
        row = _raw_row(shared_data / "ofcom_fixed_laua" / LA_FILES[release], TRAFFORD)
        uso = float(row["% of premises below the USO"])
        assert trend.loc[release, "pct_below_uso"] == pytest.approx(uso, abs=0.05)
        exclusive = float(row["SFBB availability (% premises)"])  # 30-300 Mbit/s only
        assert trend.loc[release, "pct_superfast"] > exclusive + 60


@pytest.mark.shared_data
def test_definition_change_is_flagged_not_mixed(trafford_releases):
    trend = fixed_trend(trafford_releases).set_index("release")
    assert trend["superfast_derived"].to_dict() == {
        "2016": True,
        "2018": True,
        "2019": True,
        "202105": False,
        "202507": False,
    }
    assert (trend.loc[["2016", "2018", "2019"], "definition_note"].str.len() > 0).all()
    assert (trend.loc[["202105", "202507"], "definition_note"] == "").all()
    assert trend["period"].tolist() == ["201606", "201809", "201909", "202105", "202507"]
    assert trend.loc["2016", "basis"] == "published %"
    assert (trend.loc[["2018", "2019", "202105", "202507"], "basis"] == "counts").all()


@pytest.mark.shared_data
def test_releases_not_named_by_their_file_are_labelled_inferred(trafford_releases):
    trend = fixed_trend(trafford_releases).set_index("release")
    assert trend["release_basis"].to_dict() == {
        "2016": "header",
        "2018": "header",
        "2019": "content",
        "202105": "file name",
        "202507": "file name",
    }
    assert trend["release_label"].tolist() == [
        "Jun 2016 (inferred)",
        "Sep 2018 (inferred)",
        "Sep 2019 (inferred)",
        "May 2021",
        "Jul 2025",
    ]
    assert trend.loc["2019", "period_source"].startswith(
        "Release inferred from the file's values (no YYYYMM_ prefix in its name); "
    )
    assert trend.loc["2016", "period_source"].startswith("Release inferred from the file's header")
    assert trend.loc["202507", "period_source"] == "release name (Ofcom's YYYYMM file-name prefix)"


def test_every_ingest_release_has_a_period_and_its_sfbb_definition():
    for release in LA_RELEASES:
        period, source = release_period(release.name)
        assert len(period) == 6 and source
        exclusive = "30-to-under-300" in release.notes
        assert (release.name in SFBB_DERIVED) == exclusive, release.name


@pytest.mark.parametrize(
    ("release", "period"), [("202507", "202507"), ("2016", "201606"), ("2018", "201809")]
)
def test_release_period(release, period):
    assert release_period(release)[0] == period


@pytest.mark.parametrize("release", ["2015", "202513", "latest", ""])
def test_unknown_release_period_raises(release):
    with pytest.raises(ValueError, match="RELEASE_PERIODS"):
        release_period(release)


def test_period_label():
    assert period_label("201606") == "Jun 2016"
    # every release named by year has a month; all but 2020 published 30-300 Mbit/s only
    assert set(RELEASE_PERIODS) == set(SFBB_DERIVED) | {"2020"}


def test_counts_win_over_published_percentages_and_missing_is_nan():
    coverage = pd.DataFrame(
        {
            "release": ["202507", "202105"],
            "premises": [200, np.nan],
            "premises_gigabit": [50, np.nan],
            "pct_premises_gigabit": [99.0, 40.0],
            "pct_premises_sfbb": [90.0, 80.0],
        }
    )
    trend = fixed_trend(coverage)
    assert trend["release"].tolist() == ["202105", "202507"]  # oldest first
    assert trend["pct_gigabit"].tolist() == [40.0, 25.0]
    assert trend["pct_superfast"].tolist() == [80.0, 90.0]
    assert trend["pct_below_uso"].isna().all()
    assert trend["basis"].tolist() == ["published %", "counts"]


def test_zero_premises_gives_nan_not_division_error():
    trend = fixed_trend(
        pd.DataFrame({"release": ["202507"], "premises": [0], "premises_gigabit": [0]})
    )
    assert np.isnan(trend.loc[0, "pct_gigabit"])


def test_trend_per_ward_keeps_areas_apart():
    coverage = pd.DataFrame(
        {
            "ward_code": ["W2", "W1", "W1"],
            "release": ["202507", "202507", "202105"],
            "premises": [10, 20, 20],
            "premises_gigabit": [10, 5, 0],
        }
    )
    trend = fixed_trend(coverage, area="ward_code")
    assert trend[["ward_code", "period"]].values.tolist() == [
        ["W1", "202105"],
        ["W1", "202507"],
        ["W2", "202507"],
    ]
    assert trend["pct_gigabit"].tolist() == [0.0, 25.0, 100.0]


def test_fixed_trend_needs_a_release_column():
    with pytest.raises(ValueError, match="'release'"):
        fixed_trend(pd.DataFrame({"premises": [1]}))


def test_trend_summary_changes_and_notes():
    coverage = pd.DataFrame(
        {
            "release": ["2018", "202105", "202507"],
            "premises": [100, 100, 100],
            "premises_sfbb": [90, 95, 99],
            "premises_gigabit": [np.nan, 20, 60],
            "premises_below_uso": [3, 2, 1],
        }
    )
    summary = trend_summary(fixed_trend(coverage))
    assert list(summary.index) == list(MEASURES)
    assert summary.loc["pct_gigabit", "first_period"] == "202105"
    assert summary.loc["pct_gigabit", "change_pp"] == pytest.approx(40.0)
    assert summary.loc["pct_superfast", "change_pp"] == pytest.approx(9.0)
    assert "derived" in summary.loc["pct_superfast", "note"]
    assert summary.loc["pct_below_uso", "releases"] == 3


def test_trend_summary_of_one_release_has_no_change():
    summary = trend_summary(
        fixed_trend(pd.DataFrame({"release": ["202507"], "pct_premises_sfbb": [97.0]}))
    )
    assert np.isnan(summary.loc["pct_superfast", "change_pp"])
    assert summary.loc["pct_gigabit", "releases"] == 0
    assert summary.loc["pct_gigabit", "note"] == "not published in any release"


def test_totals_from_wards_sums_counts_and_keeps_unknown_unknown():
    wards = pd.DataFrame(
        {
            "la_code": ["A", "A", "B"],
            "premises": [10, 30, 5],
            "premises_gigabit": [5, 15, 1],
            "premises_below_uso": [1, np.nan, 0],
        }
    )
    totals = totals_from_wards(wards, release="202601", source="summed").set_index("la_code")
    assert totals.loc["A", "premises"] == 40
    assert totals.loc["A", "premises_gigabit"] == 20
    assert np.isnan(totals.loc["A", "premises_below_uso"])  # one ward unknown: total unknown
    assert totals.loc["B", "premises_below_uso"] == 0
    trend = fixed_trend(totals.reset_index()).set_index("la_code")
    assert trend.loc["A", "pct_gigabit"] == pytest.approx(50.0)
    assert trend.loc["A", "source"] == "summed"


def test_totals_from_wards_needs_premises():
    with pytest.raises(ValueError, match="premises"):
        totals_from_wards(pd.DataFrame({"la_code": ["A"]}), release="202601")


def test_without_a_recorded_basis_a_year_only_release_is_inferred():
    """Stores written before release_basis: a file name's month always names a YYYYMM release."""
    trend = fixed_trend(pd.DataFrame({"release": ["2019", "202507"], "premises": [1, 1]}))
    assert trend["release_basis"].tolist() == ["not recorded", "not recorded"]
    assert trend["release_inferred"].tolist() == [True, False]
    assert trend["release_label"].tolist() == ["Sep 2019 (inferred)", "Jul 2025"]
    assert trend.loc[0, "period_source"].startswith("Release inferred (named by year only")


def test_a_recorded_basis_wins_over_the_name():
    coverage = pd.DataFrame(
        {
            "release": ["202507", "201909"],
            "release_basis": ["header", "file name"],  # a renamed copy; a file named 201909_
            "premises": [1, 1],
        }
    )
    trend = fixed_trend(coverage).set_index("release")
    assert trend["release_inferred"].to_dict() == {"201909": False, "202507": True}
    assert trend.loc["202507", "release_label"] == "Jul 2025 (inferred)"


@pytest.mark.parametrize(
    ("release", "period", "derived"),
    [
        ("2017", "201705", "2017"),
        ("201909", "201909", "2019"),  # the 2019 layout under Ofcom's file name
        ("201705", "201705", "2017"),
        ("2020", "202001", ""),  # 2019's columns, SFBB % of 30 Mbit/s or more
        ("202001", "202001", ""),
    ],
)
def test_superfast_is_derived_for_every_release_before_2020(release, period, derived):
    trend = fixed_trend(pd.DataFrame({"release": [release], "pct_premises_sfbb": [90.0]}))
    assert trend.loc[0, "period"] == period
    assert trend.loc[0, "definition_note"] == SFBB_DERIVED.get(derived, "")
    assert bool(trend.loc[0, "superfast_derived"]) == bool(derived)


def test_2020_file_in_2019_columns_joins_the_trend_as_an_inferred_release(shared_data, tmp_path):
    """Ofcom's 2019 file with its SFBB % written as in 2020 (30 Mbit/s or more), read by ingest."""
    with open(shared_data / "ofcom_fixed_laua" / LA_FILES["2019"], newline="") as handle:
        header, *body = list(csv.reader(handle))
    at = {h: i for i, h in enumerate(header)}
    for cells in body:
        inclusive = 100 * int(cells[at["Number of premises with SFBB availability"]])
        cells[at["SFBB availability (% premises)"]] = (
            f"{inclusive / int(cells[at['All Premises']]):.1f}"
        )
    path = tmp_path / "2020_copy.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *body])
    table = read_fixed_la(path)
    row = table[table["la_code"] == TRAFFORD].assign(
        release=table.attrs["release"], release_basis=table.attrs["release_basis"]
    )
    trend = fixed_trend(row)
    assert trend.loc[0, ["release", "period", "release_label"]].tolist() == [
        "2020",
        "202001",
        "Jan 2020 (inferred)",
    ]
    assert trend.loc[0, "pct_superfast"] == pytest.approx(100 * 104_593 / 107_154)
    assert not trend.loc[0, "superfast_derived"]
