"""BDUK for the whole country: many files counted by DuckDB equal the reader plus geo.gigabit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from bduk_fixtures import premises_rows, write_csv, write_premises
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import gigabit
from ingest._errors import IngestError
from ingest.sources import bduk

duckdb = pytest.importorskip("duckdb")
from ingest.sources import bduk_national  # noqa: E402  (after the skip: it needs duckdb to run)

ROOT = Path(__file__).resolve().parents[1]
TRAFFORD = ["M15 4AB", "M15 4AD", "WA14 2UE", "M33 7XX"]
COVENTRY = ["CV1 1AA", "CV1 2BB", "CV3 4CD"]
#: Postcodes as a file may hold them: blank, malformed, untidy, of no directory.
UNTIDY = ["", "   ", "NOT A PC", "m154ab", " wa14 2ue ", "ZZ9 9ZZ", "M15\t4AD", "M15\u00a04AB",
          "m15 4ab"]  # fmt: skip
#: Postcode -> ward: M33 7XX is in the directory but no ward; W5 has no premises; "m15 4ab" is
#: not a directory postcode's form, so a premises written so is placed by its tidy form.
DIRECTORY = pd.Series(
    {"M15 4AB": "W1", "M15 4AD": "W1", "WA14 2UE": "W2", "M33 7XX": None, "CV1 1AA": "W3",
     "CV1 2BB": "W3", "CV3 4CD": "W4", "XX1 1XX": "W5", "m15 4ab": "W4"},
    name="ward_code", dtype="string",
)  # fmt: skip


def untidy(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Write some cells as a spreadsheet might: flags in capitals or spaced, statuses spaced."""
    for i, row in enumerate(rows):
        if i % 3 == 0:
            row["current_gigabit"] = row["current_gigabit"].upper()
        if i % 5 == 1:
            row["bduk_gis"] = f" {row['bduk_gis'].title()} "
        if i % 7 == 2:
            row["subsidy_control_status"] = f"{row['subsidy_control_status']} "
        if i % 11 == 3:
            row["subsidy_control_status"] = "Gigabit Grey/Black"
        if i % 13 == 4:
            row["uprn"] = f" {row['uprn']}"
    return rows


@pytest.fixture
def files(tmp_path) -> list[Path]:
    """Three authorities' files: plain; BOM and CRLF; Windows-1252, columns in another order."""
    trafford = untidy(premises_rows(TRAFFORD, la_code="E08000009", la_name="Trafford",
                                    seed=1, extra_postcodes=UNTIDY))  # fmt: skip
    coventry = premises_rows(
        COVENTRY, la_code="E08000026", la_name="Coventry", seed=2, first_uprn=200_000_000_001,
        extra_postcodes=["CV99 9ZZ", ""],
    )  # fmt: skip
    hull = premises_rows(
        ["XX2 2XX", "CV1 1AA"], la_code="E06000010", la_name="Kingston upon Hull, City of",
        seed=3, first_uprn=300_000_001,
    )  # fmt: skip
    hull[0]["lot_name"] = "Lot 7\nEast Riding"  # a line break inside a quoted cell
    hull[1]["postcode"] = "CV1\u00a01AA"  # a no-break space: byte A0 in Windows-1252
    for row in hull:
        row["region_ons"] = "Yorkshire and The Humber \u2013 East"  # an en dash: Windows-1252
    first = write_premises(tmp_path / "E08000009.csv", trafford)
    second = write_premises(tmp_path / "E08000026.csv", coventry, bom=True, crlf=True)
    header = [*reversed(bduk.HEADER_2025)]
    third = write_csv(tmp_path / "E06000010.csv", hull, header)
    third.write_bytes(third.read_text(encoding="utf-8").encode("cp1252"))
    return [first, second, third]


def by_reader(files: list[Path], directory: pd.Series, **options) -> gigabit.PlacedPlans:
    """What the one-authority path gives for all the files together."""
    premises = pd.concat([bduk.read_bduk_premises(f) for f in files], ignore_index=True)
    return gigabit.plans_by_area(premises, directory, **options)


def assert_same(ours: gigabit.PlacedPlans, theirs: gigabit.PlacedPlans) -> None:
    pd.testing.assert_frame_equal(ours.counts, theirs.counts, check_exact=True)
    pd.testing.assert_series_equal(ours.not_placed, theirs.not_placed, check_exact=True)
    assert ours.rows == theirs.rows


def test_equals_the_reader_and_plans_by_area_on_every_kind_of_row(files):
    ours = bduk_national.plans_by_area_national(files, DIRECTORY)
    assert_same(ours, by_reader(files, DIRECTORY))
    # every status, placed and not, every reason a premises is not placed
    assert (ours.counts.drop(columns="bduk_premises_not_recognised").sum() > 0).all()
    assert (ours.not_placed > 0).all()
    assert ours.counts["bduk_premises_not_recognised"].sum() > 0
    assert ours.counts.loc["W5"].eq(0).all()
    placed = ours.counts[["bduk_premises", "bduk_premises_not_recognised"]].to_numpy().sum()
    assert (
        placed + ours.not_placed.sum()
        == ours.rows
        == sum(len(bduk.read_bduk_premises(f)) for f in files)
    )


def test_a_folder_is_every_csv_under_it_and_areas_can_be_given(files):
    areas = pd.Index(["W0", "W1", "W2", "W3", "W4", "W5"])
    ours = bduk_national.plans_by_area_national(files[0].parent, DIRECTORY, areas=areas, threads=1)
    assert_same(ours, by_reader(sorted(files), DIRECTORY, areas=areas))
    assert ours.counts.index.tolist() == areas.tolist()
    assert ours.counts.loc["W0"].eq(0).all()


def test_an_area_left_out_of_areas_is_refused_not_lost(files):
    with pytest.raises(ValueError, match=r"area\(s\) of postcode_area are not in areas"):
        bduk_national.plans_by_area_national(files, DIRECTORY, areas=pd.Index(["W1"]))


def test_a_postcode_twice_in_the_directory_is_refused(files):
    twice = pd.concat([DIRECTORY, pd.Series({"M15 4AB": "W2"})])
    with pytest.raises(ValueError, match=r"postcode\(s\) \['M15 4AB'\] appear more than once"):
        bduk_national.plans_by_area_national(files, twice)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("subsidy_control_status", "Gigabit Purple", r"'subsidy_control_status'.*'Gigabit Purple'"),
        ("current_gigabit", "yes", r"'current_gigabit', line 3: found 'yes'; expected 'true'"),
        ("bduk_hubs", "1", r"'bduk_hubs', line 3: found '1'"),
        ("uprn", "12AB", r"'uprn', line 3: found '12AB'"),
        ("uprn", "1234567890123", r"'uprn'.*1 to 12 digits"),
        ("uprn", "0000", r"'uprn'.*1 to 12 digits"),
        ("struprn", "999", r"'struprn'.*same UPRN"),
        ("local_authority_district_ons_code", "S1200004", r"'local_author.*'S1200004'.*Welsh"),
    ],
)
def test_a_bad_cell_is_refused_with_the_readers_message_for_its_file(files, column, value, message):
    rows = pd.read_csv(files[0], dtype=str, keep_default_na=False).to_dict("records")
    rows[1][column] = value
    write_premises(files[0], rows)
    with pytest.raises(IngestError, match=rf"bduk: E08000009\.csv, column {message}"):
        bduk_national.plans_by_area_national(files, DIRECTORY)


def test_a_uprn_in_two_files_is_refused_naming_both(tmp_path):
    a = premises_rows(["M15 4AB"], la_code="E08000009", la_name="Trafford", seed=4)
    b = premises_rows(["CV1 1AA"], la_code="E08000026", la_name="Coventry", seed=5)
    paths = [write_premises(tmp_path / "a.csv", a), write_premises(tmp_path / "b.csv", b)]
    with pytest.raises(IngestError, match=r"UPRN 100000000001 appears in both a\.csv and b\.csv"):
        bduk_national.plans_by_area_national(paths, DIRECTORY)


def test_a_uprn_twice_in_one_file_is_refused_with_the_readers_message(files):
    rows = pd.read_csv(files[1], dtype=str, keep_default_na=False).to_dict("records")
    rows[2]["uprn"] = rows[2]["struprn"] = rows[0]["uprn"]
    write_premises(files[1], rows)
    with pytest.raises(IngestError, match=r"E08000026\.csv, column 'uprn'.*more than one row"):
        bduk_national.plans_by_area_national(files, DIRECTORY)


def test_an_old_release_is_refused_before_any_row_is_read(files):
    frame = pd.read_csv(files[2], dtype=str, keep_default_na=False, encoding="cp1252")
    frame.drop(columns=["struprn"]).to_csv(files[2], index=False)
    with pytest.raises(IngestError, match=r"E06000010\.csv does not match.*\['struprn'\]"):
        bduk_national.plans_by_area_national(files, DIRECTORY)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", r"E08000026\.csv is empty"),
        (",".join(bduk.HEADER_2025) + "\n", r"E08000026\.csv has a header but no premises rows"),
        (",".join(bduk.HEADER_2025) + "\n" + "1," * 28 + "1\n", r"E08000026\.csv is not a well"),
    ],
)
def test_an_empty_or_malformed_file_is_refused(files, content, message):
    files[1].write_text(content)
    with pytest.raises(IngestError, match=message):
        bduk_national.plans_by_area_national(files, DIRECTORY)


def test_no_files_is_refused(tmp_path):
    with pytest.raises(IngestError, match="no CSV files given"):
        bduk_national.plans_by_area_national(tmp_path, DIRECTORY)


def test_white_space_is_what_python_strips():
    import sys as system

    spaces = [chr(c) for c in range(system.maxunicode + 1) if chr(c).isspace()]
    others = ["a", "\u200b", "\ufeff", "\x00", "_", "\u00b7"]
    found = duckdb.execute(
        f"SELECT c, regexp_full_match(c, '{bduk_national._SPACE}') FROM unnest(?) AS t(c)",
        [spaces + others],
    ).fetchall()
    assert [c for c, space in found if space] == spaces


def test_the_module_imports_without_duckdb():
    code = "import sys; sys.modules['duckdb'] = None; import ingest.sources.bduk_national"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- property: conservation, and the same counts as the one-authority path -----------------

CELL_POSTCODES = st.sampled_from([*TRAFFORD, *COVENTRY, "XX1 1XX", *UNTIDY, "m33 7xx", "M1"])
FLAG = st.sampled_from(["true", "false", "TRUE", "False", " true"])
ROW = st.fixed_dictionaries(
    {
        "postcode": CELL_POSTCODES,
        "subsidy_control_status": st.sampled_from(list(bduk.STATUSES)),
        "bduk_recognised_premises": FLAG,
        "current_gigabit": FLAG,
        "future_gigabit": FLAG,
        "bduk_gis": FLAG,
        "bduk_vouchers": FLAG,
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.lists(st.lists(ROW, min_size=1, max_size=30), min_size=1, max_size=3))
def test_every_row_is_counted_once_as_the_reader_counts_it(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("national")
    paths, uprn = [], 1
    for i, cells in enumerate(files):
        rows = premises_rows(["M15 4AB"] * len(cells), la_code="E08000009", la_name="Trafford")
        rows = rows[: len(cells)]
        for row, cell in zip(rows, cells, strict=True):
            row.update(cell, uprn=str(uprn), struprn=str(uprn))
            uprn += 1
        paths.append(write_premises(folder / f"{i}.csv", rows))
    ours = bduk_national.plans_by_area_national(paths, DIRECTORY)
    counted = ours.counts[["bduk_premises", "bduk_premises_not_recognised"]].to_numpy().sum()
    assert counted + ours.not_placed.sum() == ours.rows == sum(map(len, files))
    assert_same(ours, by_reader(paths, DIRECTORY))
