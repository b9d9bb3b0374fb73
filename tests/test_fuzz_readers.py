"""Fuzzed copies of the real source files: every fault ends in a clear error or the same figures.

Each reader gets slices of its real files from ``../shared/data`` (the ``shared_data``
fixture), read at test time, and hypothesis applies one fault a council's copy might have
(``fuzz_tables.HARMLESS`` / ``HARMFUL`` plus faults of the source's own layout). A harmless
fault must give exactly the frame of the untouched slice (so the same totals); a harmful one an
``IngestError`` naming the file and the column, line or code at fault; a documented repair
(a blank mobile family read as not applicable, a repeated lookup row dropped) must be seen to
happen. Any other exception fails the test. ``RAN`` counts the cases run per reader.
"""

from __future__ import annotations

import functools
import math
import re
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from fuzz_tables import (
    CELL_FAULTS,
    HARMFUL,
    HARMLESS,
    Fault,
    Table,
    malformed_codes,
    mutate,
    read_table,
    release_kinds,
    same_rows,
    shuffler,
    with_kinds,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from ingest._errors import IngestError
from ingest._tables import Release
from ingest.sources import census, iod, ofcom_fixed, ofcom_mobile, ons_geography, wimd

#: Cases run per reader (checked by the last test of this file).
RAN: Counter[str] = Counter()

# --- the readers' files ----------------------------------------------------------------------


def fixed_kind(canonical: str) -> str | None:
    if canonical.startswith("pct_"):
        return "percent"
    if canonical in ofcom_fixed.SPEED_COLUMNS:
        return "positive"
    return "count" if canonical in ofcom_fixed.COUNT_COLUMNS else None


def fixed_la_tables(folder: Path) -> list[Table]:
    tables = []
    for path in sorted((folder / "ofcom_fixed_laua").glob("*.csv")):
        table = read_table(path, rows=30, wrong_code="E05000819")
        release = next(r for r in ofcom_fixed.LA_RELEASES if r.headers == frozenset(table.header))
        tables.append(with_kinds(table, release_kinds(release, fixed_kind)).accented("laua_name"))
    return tables


def fixed_postcode_tables(folder: Path) -> list[Table]:
    kinds = release_kinds(ofcom_fixed.POSTCODE_202601, fixed_kind)
    return [
        with_kinds(read_table(path, wrong_code="CR0"), kinds)
        for path in sorted((folder / "ofcom_fixed_small_area_excerpts").glob("*_pc_*.csv"))
    ]


def mobile_tables(folder: Path) -> list[Table]:
    path = folder / "ofcom_mobile_laua/202507_mobile_coverage_laua_r01_extract.csv"
    counts = set(ofcom_mobile.DENOMINATORS_202507.values())
    kinds = release_kinds(
        ofcom_mobile.RELEASE_202507,
        lambda c: "percent" if c.startswith("pct_") else "count" if c in counts else None,
    )
    return [with_kinds(read_table(path), kinds).accented("laua_name")]


def iod_kind(canonical: str) -> str | None:
    if canonical.endswith("_score"):
        return "number"
    if canonical.endswith(("_rank", "_decile")) or canonical.startswith("population_"):
        return "count"
    return None


def iod_release(name: str) -> Release:
    return next(r for r in iod.RELEASES if r.name == name)


def iod_table(rows: list[list[str]], name: str) -> Table:
    table = Table(header=rows[0], body=rows[1:], wrong_code="E02001283")
    return with_kinds(table, release_kinds(iod_release(name), iod_kind)).accented(
        rows[0][1]  # the LSOA name
    )


def iod_csv_tables(folder: Path) -> list[Table]:
    """Slices of IoD2019 Files 2 and 6, and File 2 under the IoD2025 headers."""
    file2 = read_table(
        folder / "iod2019/File_2_-_IoD2019_Domains_of_Deprivation_excel_export.csv", rows=40
    )
    file6 = read_table(
        folder / "iod2019/File_6_-_IoD2019_Population_Denominators_excel_export.csv", rows=40
    )
    to_2025 = {
        header_2019: next(
            h for h, c in iod_release("IoD2025 File 2").columns.items() if c == canonical
        )
        for header_2019, canonical in iod_release("IoD2019 File 2").columns.items()
    }
    return [
        iod_table([file2.header, *file2.body], "IoD2019 File 2"),
        iod_table([file6.header, *file6.body], "IoD2019 File 6"),
        iod_table([[to_2025[h] for h in file2.header], *file2.body], "IoD2025 File 2"),
    ]


def iod_workbook_tables(folder: Path) -> list[Table]:
    """The first rows of the IoD2019 File 1 workbook's data sheet, as text cells."""
    book = openpyxl.load_workbook(
        folder / "iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        read_only=True,
        data_only=True,
    )
    try:
        sheet = book["IMD2019"]
        rows = [[str(v) for v in row] for row in sheet.iter_rows(max_row=41, values_only=True)]
    finally:
        book.close()
    return [iod_table(rows, "IoD2019 File 1")]


def wimd_tables(folder: Path) -> list[Table]:
    table = read_table(folder / "wimd2019/wimd-2019-index-and-domain-scores.csv")
    kinds = release_kinds(wimd.RELEASES[0], lambda c: "percent" if c.endswith("_score") else None)
    return [with_kinds(replace(table, wrong_code="W02000001"), kinds)]


def rm121_table(folder: Path, rows: int = 40) -> Table:
    """A Nomis RM121 download cut to its first ``rows`` areas, preamble and footer kept."""
    whole = read_table(folder / "census2021_rm121_age/Census 2021 - Population.csv")
    lines = [whole.header, *whole.body]
    at = next(i for i, r in enumerate(lines) if r[1:2] == ["Total"])
    start = at + 2
    end = next(i for i in range(start, len(lines)) if not "".join(lines[i]).strip())
    kinds = dict.fromkeys(lines[at][1:], "count")
    return with_kinds(
        Table(
            header=lines[at],
            body=lines[start : start + rows],
            before=tuple(map(tuple, lines[:at])),
            between=(tuple(lines[at + 1]),),
            after=tuple(map(tuple, lines[end:])),
            fixed=2,
            wrong_code="E02001283",
        ),
        kinds,
    ).accented(census.AREA_HEADER)


def census_tables(folder: Path) -> list[Table]:
    return [rm121_table(folder)]


def band_ages(label: str) -> range:
    """Ages of a Nomis band label: "Aged 66 to 69 years", "Aged 85 years and over" (to 100)."""
    numbers = [int(n) for n in re.findall(r"\d+", label)]
    return range(numbers[0], (100 if label.endswith("and over") else numbers[-1]) + 1)


def ts007_tables(folder: Path) -> list[Table]:
    """The RM121 slice's people by age band as Nomis API TS007 rows, one per single year.

    TS007 age code n is "aged n - 1" (code 0: everyone); each band's count is spread over its
    years, so reading the TS007 rows must give back the RM121 bands.
    """
    rm121 = rm121_table(folder, rows=8)
    body = []
    for row in rm121.body:
        code, name = row[0].split(" : ", 1)
        by_age = {0: int(row[1])}
        for label, count in zip(rm121.header[2:], map(int, row[2:]), strict=True):
            ages = band_ages(label)
            share, left = divmod(count, len(ages))
            by_age |= {age + 1: share + (left if age == ages[0] else 0) for age in ages}
        body += [[code, name, str(a), f"Aged {a - 1} years", str(n)] for a, n in by_age.items()]
    table = Table(header=list(census.API_RELEASE.columns), body=body, wrong_code="E02001283")
    return [with_kinds(table, {"C2021_AGE_102": "count", "OBS_VALUE": "count"})]


LOOKUPS = {
    "lookups_trafford/statistical_lookup.csv": "E01006079",
    "lookups_trafford/lsoa_to_ward_best-fit_lookup.csv": "E00030771",
    "lookups_trafford/administrative_lookup.csv": "E01006079",
    "ons_ward_lad_lookups/Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_"
    "United_Kingdom.csv": "E02001283",
    "ons_ward_lad_lookups/Wards_and_Local_Authorities_(2011)_to_Wards_and_Local_Authorities_"
    "(2022)_Lookup_in_England_and_Wales.csv": "E01006079",
}


def lookup_tables(folder: Path) -> list[Table]:
    tables = [read_table(folder / name, rows=60, wrong_code=w) for name, w in LOOKUPS.items()]
    return [t.accented(next(h for h in t.header if h.lower().endswith("nm"))) for t in tables]


# --- what each reader is fuzzed with -----------------------------------------------------------

#: Mobile: blank cells of a family (0 %), a whole family blank (not applicable), a blank share.
MOBILE_FAULTS = ("blank_zero_cell", "blank_family", "blank_nonzero_cell")
#: Nomis RM121: preamble and footer left out (harmless), other selections or damage (harmful).
RM121_FAULTS = ("no_footer", "no_key_lines", "other_sex", "other_title", "split_data")
#: IoD workbooks: the data sheet after a notes sheet, numbers as numbers, columns in any order
#: (harmless); a text in a number cell or a renamed header (harmful).
WORKBOOK_FAULTS = ("workbook", "workbook_not_a_number", "workbook_rename_header")
#: Lookups: a dropped column gives the lookup without it; a row repeated exactly is dropped and
#: counted; a row repeating a code with another mapping, or a blank name, is refused.
LOOKUP_FAULTS = ("drop_lookup_column", "repeat_row", "conflicting_row", "blank_name")
#: Faults of the generic set that a reader's files cannot have (no percentages, no numbers).
NO_PERCENT = tuple(f for f in HARMFUL if f != "percent_over_100")
NO_NUMBERS = tuple(f for f in HARMFUL if f not in CELL_FAULTS)


@dataclass(frozen=True)
class Reader:
    """A reader under fuzz: how to read, its tables, the faults tried, examples per fault.

    ``examples`` is for the generic faults; faults of the source's own layout get
    :data:`LAYOUT_EXAMPLES`.
    """

    read: Callable[[Path], pd.DataFrame]
    tables: Callable[[Path], list[Table]]
    faults: tuple[str, ...]
    examples: int = 4
    #: Whether the frame's column order is fixed (else it follows the file's).
    fixed_columns: bool = True


#: Examples of each fault of a source's own layout (mobile families, Nomis preamble ...).
LAYOUT_EXAMPLES = 3

READERS: dict[str, Reader] = {
    "ofcom_fixed_la": Reader(ofcom_fixed.read_fixed_la, fixed_la_tables, HARMLESS + HARMFUL),
    "ofcom_fixed_postcode": Reader(
        ofcom_fixed.read_fixed_postcode, fixed_postcode_tables, HARMLESS + HARMFUL
    ),
    "ofcom_mobile": Reader(
        ofcom_mobile.read_mobile_la, mobile_tables, HARMLESS + HARMFUL + MOBILE_FAULTS, examples=1
    ),
    "iod_csv": Reader(iod.read_iod, iod_csv_tables, HARMLESS + NO_PERCENT),
    "iod_workbook": Reader(
        iod.read_iod, iod_workbook_tables, ("shuffle_rows", "cp1252", *WORKBOOK_FAULTS)
    ),
    "wimd": Reader(wimd.read_wimd, wimd_tables, (*HARMLESS, *HARMFUL, "drop_row")),
    "census_rm121": Reader(
        census.read_census_age, census_tables, HARMLESS + NO_PERCENT + RM121_FAULTS
    ),
    "census_ts007": Reader(census.read_census_age, ts007_tables, HARMLESS + NO_PERCENT),
    "ons_lookup": Reader(
        ons_geography.read_lookup,
        lookup_tables,
        HARMLESS
        + tuple(f for f in NO_NUMBERS if f not in ("drop_column", "repeat_area"))
        + LOOKUP_FAULTS,
        fixed_columns=False,
    ),
}


@pytest.fixture(scope="module")
def expected(shared_data, tmp_path_factory) -> dict[str, list[tuple[Table, pd.DataFrame]]]:
    """Each reader's tables and what it reads from them untouched."""
    folder = tmp_path_factory.mktemp("untouched")
    out = {}
    for name, reader in READERS.items():
        out[name] = []
        for i, table in enumerate(reader.tables(shared_data)):
            path = folder / f"{name}_{i}.csv"
            path.write_bytes(table.to_bytes())
            out[name].append((table, reader.read(path)))
    return out


# --- faults of one source's layout ----------------------------------------------------------


def mobile_fault(table: Table, how: str, draw) -> tuple[Fault, dict]:
    """Blank cells of one family of one LA; return the fault, the row and the family's columns."""
    body = [list(r) for r in table.body]
    families = [
        (
            ofcom_mobile.family_header(tech, measure, place),
            [ofcom_mobile.percent_column(tech, measure, place, n) for n in range(top + 1)],
        )
        for tech, measure, place, top in ofcom_mobile.FAMILIES_202507
    ]
    filled = [
        (row, stem, columns)
        for row, cells in enumerate(body)
        for stem, columns in families
        if any(cells[table.header.index(f"{stem}_{n}")].strip() for n in range(len(columns)))
    ]
    row, stem, columns = draw(st.sampled_from(filled))
    positions = [table.header.index(f"{stem}_{n}") for n in range(len(columns))]
    values = {i: body[row][i].strip() for i in positions}
    if how == "blank_family":
        blanked = positions
    elif how == "blank_zero_cell":
        blanked = [i for i in positions if values[i] and float(values[i]) == 0][:1]
    else:  # a share of more than the tolerance left blank: the family no longer adds up
        blanked = [i for i in positions if values[i] and float(values[i]) > 0.5][:1]
    for i in blanked:
        body[row][i] = ""
    names = (body[row][0], f"'{stem}_*'", f"line {table.line_of(row)}")
    return Fault(table.to_bytes(body=body), names), {"row": row, "columns": columns}


def rm121_fault(table: Table, how: str, draw) -> Fault:
    before = [list(r) for r in table.before]
    body = [list(r) for r in table.body]
    after = list(table.after)
    keys = [i for i, r in enumerate(before) if ":" in r[0]]
    if how == "no_footer":
        after = [r for r in after if not "".join(r).strip()]
    elif how == "no_key_lines":
        before = [r for i, r in enumerate(before) if i not in keys]
    elif how == "other_sex":
        sex = next(i for i in keys if before[i][0].startswith("Sex"))
        before[sex][1] = draw(st.sampled_from(["Males", "Females"]))
        return Fault(replace(table, before=tuple(before)).to_bytes(), (f"line {sex + 1}", "sex"))
    elif how == "other_title":
        before[0][0] = draw(st.sampled_from(["RM032 - Economic activity", "TS007 - Age", ""]))
        return Fault(replace(table, before=tuple(before)).to_bytes(), ("line 1", "title"))
    elif how == "split_data":
        row = draw(st.integers(1, len(body) - 1))
        body.insert(row, [""] * len(table.header))
        return Fault(table.to_bytes(body=body), (f"line {table.line_of(row) + 1}",))
    return Fault(replace(table, before=tuple(before), after=tuple(after)).to_bytes())


def workbook_fault(table: Table, how: str, draw, path: Path) -> Fault:
    """Write ``table`` as a workbook (data sheet after a notes sheet), numbers as numbers."""
    header, body = list(table.header), [list(r) for r in table.body]
    names: tuple[str, ...] = ()
    if how == "workbook":  # columns in any order
        order = draw(st.permutations(range(len(header))))
        header, body = [header[i] for i in order], [[r[i] for i in order] for r in body]
    elif how == "workbook_not_a_number":
        row = draw(st.integers(0, len(body) - 1))
        i = draw(st.sampled_from(table.columns(table.numbers)))
        body[row][i] = draw(st.sampled_from(["n/a", "x", "#REF!"]))
        names = (header[i], f"line {row + 2}", "sheet 'IMD2019'")
    elif how == "workbook_rename_header":
        i = draw(st.integers(1, len(header) - 1))
        header[i] += " (new)"
        names = (header[i], "IMD2019")
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book["Notes"].append(["English indices of deprivation 2019"])
    sheet = book.create_sheet("IMD2019")
    sheet.append(header)
    for cells in body:
        sheet.append([int(c) if c.isdigit() else c for c in cells])
    book.save(path)
    return Fault(path.read_bytes(), names)


def lookup_fault(table: Table, how: str, draw) -> Fault:
    header, body = list(table.header), [list(r) for r in table.body]
    row = draw(st.integers(0, len(body) - 1))
    names = [i for i, h in enumerate(header) if h.lower().endswith("nm")]
    if how == "drop_lookup_column":
        i = draw(st.integers(0, len(header) - 1))
        del header[i]
        body = [r[:i] + r[i + 1 :] for r in body]
    elif how == "repeat_row":
        body.insert(draw(st.integers(0, len(body))), list(body[row]))
    elif how == "conflicting_row":  # the same codes again, under another name
        body.append(list(body[row]))
        body[-1][draw(st.sampled_from(names))] += " (renamed)"
        return Fault(table.to_bytes(body=body), (body[row][0],))
    else:  # a blank name
        i = draw(st.sampled_from(names))
        body[row][i] = draw(st.sampled_from(["", "  "]))
        return Fault(table.to_bytes(body=body), (header[i], "blank name"))
    return Fault(table.to_bytes(header, body))


# --- the fuzz test ---------------------------------------------------------------------------

#: Faults after which the reader must give the untouched file's frame.
SAME = (*HARMLESS, "blank_zero_cell", "no_footer", "no_key_lines", "workbook")
#: Faults with a documented repair, checked one by one.
REPAIRS = ("blank_family", "drop_lookup_column", "repeat_row")


def make_fault(table: Table, how: str, draw, path: Path) -> tuple[Fault, dict | None]:
    """The fault ``how`` of ``table``, and what a repair check needs to know about it."""
    if how in MOBILE_FAULTS:
        return mobile_fault(table, how, draw)
    if how in RM121_FAULTS:
        return rm121_fault(table, how, draw), None
    if how in WORKBOOK_FAULTS:
        return workbook_fault(table, how, draw, path), None
    if how in LOOKUP_FAULTS:
        return lookup_fault(table, how, draw), None
    if how == "drop_row":
        body = list(table.body)
        body.pop(draw(st.integers(0, len(body) - 1)))
        return Fault(table.to_bytes(body=body), (f"has {len(body):,} LSOAs",)), None
    return mutate(table, how, draw), None


def all_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return same_rows(frame, sorted(frame.columns))


def assert_same(got: pd.DataFrame, expected: pd.DataFrame, reader: Reader) -> None:
    """Same rows (in any order) and values; same column order where the reader fixes it."""
    assert_frame_equal(all_rows(got), all_rows(expected), check_like=not reader.fixed_columns)


CASES = [(name, how) for name, reader in READERS.items() for how in reader.faults]


@pytest.mark.parametrize(("name", "how"), CASES, ids=[f"{n}-{h}" for n, h in CASES])
def test_a_faulty_file_is_refused_clearly_or_read_with_the_same_figures(
    expected, tmp_path_factory, name, how
):
    reader = READERS[name]
    folder = tmp_path_factory.mktemp(name)

    generic = how in HARMLESS or how in HARMFUL

    @settings(
        max_examples=reader.examples if generic else LAYOUT_EXAMPLES, deadline=None, database=None
    )
    @given(data=st.data())
    def case(data):
        table, before = data.draw(st.sampled_from(expected[name]))
        path = folder / f"fuzz_{how}{'.xlsx' if how in WORKBOOK_FAULTS else '.csv'}"
        fault, details = make_fault(table, how, data.draw, path)
        path.write_bytes(fault.data)
        RAN[name] += 1
        if how not in SAME and how not in REPAIRS:
            with pytest.raises(IngestError) as error:
                reader.read(path)
            message = str(error.value)
            for word in (path.name, *fault.names):
                assert word in message, f"{word!r} not named in: {message}"
        elif how == "blank_family":
            check_blank_family(reader.read(path), before, details)
        elif how == "drop_lookup_column":
            check_dropped_lookup_column(reader, path, before)
        elif how == "repeat_row":
            got = reader.read(path)
            assert got.attrs["duplicate_rows_dropped"] == 1
            assert_same(got, before, reader)
        else:
            assert_same(reader.read(path), before, reader)

    case()


def check_blank_family(got: pd.DataFrame, before: pd.DataFrame, details: dict) -> None:
    """A family left blank on one row is not applicable there (NaN); all else is unchanged."""
    columns = details["columns"]
    assert got.loc[details["row"], columns].isna().all()
    repaired = before.copy()
    repaired.loc[details["row"], columns] = float("nan")
    assert_frame_equal(got, repaired)


def check_dropped_lookup_column(reader: Reader, path: Path, before: pd.DataFrame) -> None:
    """Without a column a lookup is refused, or read as the same lookup less that column.

    Rows that only the dropped column told apart become exact repeats: dropped and counted.
    """
    try:
        got = reader.read(path)
    except IngestError as error:
        assert path.name in str(error)
        return
    assert set(got.columns) <= set(before.columns)
    assert len(before.columns) - len(got.columns) <= 1
    assert_same(got, before[got.columns].drop_duplicates(), reader)
    assert got.attrs["duplicate_rows_dropped"] == len(before) - len(got)


# --- boundaries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundaries:
    """A real boundary file under fuzz: its features as published and how it is read."""

    frame: gpd.GeoDataFrame
    read: Callable[[Path], gpd.GeoDataFrame]
    code: str  # the publisher's code column
    name: str | None  # the publisher's name column, if any
    wrong_code: str  # a code of another kind of area
    suffix: str  # ".geojson" or ".gpkg", as published
    year: str  # the vintage, kept in file names (Data Lab headers carry no year)
    merges_repeats: bool  # wards: a ward drawn on two rows is merged; areas: refused


def boundary_sources(folder: Path) -> dict[str, Boundaries]:
    def datalab(relative: str, rows: int | None = None) -> gpd.GeoDataFrame:
        return gpd.read_file(folder / relative, engine="pyogrio", max_features=rows)

    ons = gpd.read_file(  # Trafford, and Maldon whose BSC file has three invalid wards
        folder / "ons_wards_dec2022_uk_bsc/Wards_December_2022_Boundaries_UK_BSC.gpkg",
        engine="pyogrio",
        where="LAD22CD IN ('E08000009', 'E07000074')",
    )
    lsoas = functools.partial(ons_geography.read_areas, level="lsoa")
    oas = functools.partial(ons_geography.read_areas, level="oa")
    wards = ons_geography.read_wards
    return {
        "wards_datalab": Boundaries(
            datalab("wards_trafford/2022_trafford_ward_generalised.geojson"),
            wards, "area_code", "area_name", "E01006112", ".geojson", "2022", True,
        ),
        "wards_ons": Boundaries(
            ons, wards, "WD22CD", "WD22NM", "E01006112", ".gpkg", "2022", True
        ),
        "lsoa_datalab": Boundaries(
            datalab("lsoa_trafford/2021_trafford_lsoa_generalised.geojson"),
            lsoas, "area_code", "area_name", "E00030771", ".geojson", "2021", False,
        ),
        "oa_datalab": Boundaries(
            datalab("oa_trafford/2021_trafford_oa_generalised.geojson", rows=120),
            oas, "area_code", None, "E01006112", ".geojson", "2021", False,
        ),
    }  # fmt: skip


def write_boundaries(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write ``frame`` as GeoJSON or GeoPackage (by suffix), a missing CRS included."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        frame.to_file(path, engine="pyogrio")


#: Faults after which the reader must give the same areas (same codes, names and shapes).
BOUNDARY_SAME = ("shuffle_rows", "shuffle_columns", "other_format", "reprojected")
#: Faults with a documented repair: an invalid ring mended by make_valid (``attrs["repaired"]``),
#: a ward drawn on two rows merged (``attrs["merged"]``; LSOA and OA files refuse it).
BOUNDARY_REPAIRS = ("spike", "swap_vertices", "repeat_feature")
#: Faults the reader must refuse, naming the file (and the area or column where it can).
BOUNDARY_HARMFUL = (
    "empty_geometry",
    "null_geometry",
    "point_geometry",
    "no_crs",
    "wrong_crs",
    "rename_code_column",
    "drop_code_column",
    "malformed_code",
    "wrong_kind_code",
    "same_code_other_name",
    "blank_name",
    "empty_file",
    "no_features",
)
#: Faults of one area, drawn at random (the others are of the whole file).
ONE_AREA = (
    "spike",
    "swap_vertices",
    "repeat_feature",
    "same_code_other_name",
    "blank_name",
    "empty_geometry",
    "null_geometry",
    "point_geometry",
    "malformed_code",
    "wrong_kind_code",
)
BOUNDARY_EXAMPLES = 2
BOUNDARY_CASES = [
    (source, how)
    for source in ("wards_datalab", "wards_ons", "lsoa_datalab", "oa_datalab")
    for how in BOUNDARY_SAME + BOUNDARY_REPAIRS + BOUNDARY_HARMFUL
    if not (source == "oa_datalab" and how in ("same_code_other_name", "blank_name"))
]


@pytest.fixture(scope="module")
def boundaries(shared_data, tmp_path_factory) -> dict[str, tuple[Boundaries, gpd.GeoDataFrame]]:
    """Each boundary source and what its reader makes of it untouched."""
    folder = tmp_path_factory.mktemp("untouched_boundaries")
    out = {}
    for name, source in boundary_sources(shared_data).items():
        path = folder / f"{source.year}_{name}{source.suffix}"
        write_boundaries(source.frame, path)
        out[name] = (source, source.read(path))
    return out


def with_spike(geometry: shapely.Geometry, vertex: int, angle: float) -> shapely.Geometry:
    """``geometry`` with a zero-width spike (out and back) at one vertex of its first ring.

    The ring then touches itself, so the polygon is invalid, yet it encloses the same area.
    """
    parts = list(shapely.get_parts(geometry))
    ring = list(parts[0].exterior.coords)[:-1]
    x, y = ring[vertex % len(ring)]
    minx, _, maxx, _ = parts[0].bounds
    length = (maxx - minx) * 1e-4
    tip = (x + length * math.cos(angle), y + length * math.sin(angle))
    ring[vertex % len(ring) + 1 : vertex % len(ring) + 1] = [tip, (x, y)]
    parts[0] = shapely.Polygon(ring, [r.coords for r in parts[0].interiors])
    return shapely.MultiPolygon(parts) if geometry.geom_type == "MultiPolygon" else parts[0]


def with_swapped_vertices(geometry: shapely.Geometry, vertex: int) -> shapely.Geometry:
    """``geometry`` with two neighbouring vertices of its first ring swapped (often a bow tie)."""
    parts = list(shapely.get_parts(geometry))
    ring = list(parts[0].exterior.coords)[:-1]
    i = vertex % (len(ring) - 1)
    ring[i], ring[i + 1] = ring[i + 1], ring[i]
    parts[0] = shapely.Polygon(ring, [r.coords for r in parts[0].interiors])
    return shapely.MultiPolygon(parts) if geometry.geom_type == "MultiPolygon" else parts[0]


def boundary_fault(
    source: Boundaries, how: str, draw, folder: Path
) -> tuple[Path, tuple[str, ...], str]:
    """Write ``source`` with one fault; return the path, words the error must name, the code."""
    frame = source.frame.copy()
    row = draw(st.integers(0, len(frame) - 1)) if how in ONE_AREA else 0
    code = str(frame[source.code].iloc[row])
    path = folder / f"{source.year}_fuzz_{how}{source.suffix}"
    names: tuple[str, ...] = ()
    geometry = frame.geometry.name
    if how == "shuffle_rows":
        order = list(range(len(frame)))
        shuffler(draw).shuffle(order)
        frame = frame.iloc[order]
    elif how == "shuffle_columns":
        frame = frame[draw(st.permutations(list(frame.columns)))]
    elif how == "other_format":
        path = path.with_suffix(".gpkg" if source.suffix == ".geojson" else ".geojson")
    elif how == "reprojected":
        frame = frame.to_crs("EPSG:4326" if frame.crs.to_epsg() == 27700 else "EPSG:27700")
    elif how == "spike":
        vertex, angle = draw(st.integers(0, 10_000)), draw(st.floats(0, 2 * math.pi))
        frame.loc[frame.index[row], geometry] = with_spike(frame.geometry.iloc[row], vertex, angle)
        assert not frame.geometry.iloc[row].is_valid
    elif how == "swap_vertices":
        vertex = draw(st.integers(0, 10_000))
        frame.loc[frame.index[row], geometry] = with_swapped_vertices(
            frame.geometry.iloc[row], vertex
        )
    elif how in ("repeat_feature", "same_code_other_name"):
        copy = frame.iloc[[row]].copy()
        if how == "same_code_other_name":
            copy[source.name] = draw(st.sampled_from(list(frame[source.name].drop_duplicates())))
            if copy[source.name].iloc[0] == frame[source.name].iloc[row]:
                copy[source.name] += " (other)"
        frame = pd.concat([frame, copy])
        names = (code,)
    elif how in ("empty_geometry", "null_geometry", "point_geometry"):
        frame.loc[frame.index[row], geometry] = {
            "empty_geometry": shapely.Polygon(),
            "null_geometry": None,
            "point_geometry": frame.geometry.iloc[row].representative_point(),
        }[how]
        names = (code,)
    elif how == "no_crs":
        frame = frame.set_crs(None, allow_override=True)
        path = path.with_suffix(".gpkg")
        names = ("no coordinate reference system",)
    elif how == "wrong_crs":
        other = [c for c in ("EPSG:4326", "EPSG:27700", "EPSG:3857") if c != frame.crs]
        frame = frame.set_crs(draw(st.sampled_from(other)), allow_override=True)
    elif how == "rename_code_column":
        frame = frame.rename(columns={source.code: source.code + "_new"})
        names = (source.code + "_new",)
    elif how == "drop_code_column":
        frame = frame.drop(columns=source.code)
    elif how in ("malformed_code", "wrong_kind_code"):
        bad = source.wrong_code if how == "wrong_kind_code" else draw(malformed_codes(code))
        frame.loc[frame.index[row], source.code] = bad
        names = (source.code, bad)
    elif how == "blank_name":
        frame.loc[frame.index[row], source.name] = draw(st.sampled_from(["", " "]))
        names = (source.name, "blank name")
    elif how == "no_features":
        frame = frame.iloc[:0]
        names = ("no features",)
    if how == "empty_file":
        path.write_bytes(b"")
        names = ("is empty",)
    else:
        write_boundaries(frame, path)
    return path, names, code


def assert_same_areas(got: gpd.GeoDataFrame, expected: gpd.GeoDataFrame) -> None:
    """Same codes and names in any row order, and shapes equal to within 0.1 m2 per area."""
    key = list(expected.columns[:1])
    got, expected = same_rows(got, key), same_rows(expected, key)
    assert got.crs == expected.crs
    assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(expected.drop(columns="geometry"))
    )
    assert (got.geometry.symmetric_difference(expected.geometry).area < 0.1).all()


@pytest.mark.parametrize(
    ("source", "how"), BOUNDARY_CASES, ids=[f"{s}-{h}" for s, h in BOUNDARY_CASES]
)
def test_a_faulty_boundary_file_is_refused_clearly_repaired_or_read_the_same(
    boundaries, tmp_path_factory, source, how
):
    folder = tmp_path_factory.mktemp(source)

    @settings(max_examples=BOUNDARY_EXAMPLES, deadline=None, database=None)
    @given(data=st.data())
    def case(data):
        boundary, before = boundaries[source]
        path, names, code = boundary_fault(boundary, how, data.draw, folder)
        RAN[source] += 1
        if how in BOUNDARY_HARMFUL or (how == "repeat_feature" and not boundary.merges_repeats):
            with pytest.raises(IngestError) as error:
                boundary.read(path)
            message = str(error.value)
            for word in (path.name, *names):
                assert word in message, f"{word!r} not named in: {message}"
            return
        got = boundary.read(path)
        assert got.is_valid.all()
        if how in BOUNDARY_SAME:
            assert_same_areas(got, before)
            if how.startswith("shuffle"):
                assert sorted(got.attrs["repaired"]) == sorted(before.attrs["repaired"])
        elif how == "repeat_feature":
            assert got.attrs["merged"] == [code]
            assert_same_areas(got, before)
        elif how == "spike":
            assert code in got.attrs["repaired"]
            assert_same_areas(got, before)
        else:  # swapped vertices: repaired exactly when the ring became invalid
            written = gpd.read_file(path, engine="pyogrio").to_crs(got.crs)
            invalid = set(written.loc[~written.is_valid, boundary.code])
            assert set(got.attrs["repaired"]) == invalid
            others = got[got.iloc[:, 0] != code]
            assert_same_areas(others, before[before.iloc[:, 0] != code])

    case()


# --- bugs the fuzzing found, pinned down ------------------------------------------------------


def test_iod_file_with_a_header_but_no_rows_is_refused(shared_data, tmp_path):
    csv_path = tmp_path / "iod_file2.csv"
    csv_path.write_bytes(iod_csv_tables(shared_data)[0].to_bytes(body=[]))
    with pytest.raises(IngestError, match=r"iod_file2\.csv has a header but no rows"):
        iod.read_iod(csv_path)
    book = openpyxl.Workbook()
    book.active.title = "IMD2019"
    book.active.append(list(iod_release("IoD2019 File 1").columns))
    book.save(tmp_path / "imd.xlsx")
    with pytest.raises(IngestError, match=r"imd\.xlsx \(sheet 'IMD2019'\) has a header but no"):
        iod.read_iod(tmp_path / "imd.xlsx")


def test_ts007_columns_found_by_name_in_any_order_and_cells_stripped(shared_data, tmp_path):
    table = ts007_tables(shared_data)[0]
    plain = tmp_path / "ts007.csv"
    plain.write_bytes(table.to_bytes())
    order = [4, 2, 0, 3, 1]
    moved = tmp_path / "ts007_moved.csv"
    moved.write_bytes(
        table.to_bytes(
            [table.header[i] for i in order], [[f" {r[i]} " for i in order] for r in table.body]
        )
    )
    got, expected = census.read_census_age(moved), census.read_census_age(plain)
    assert_frame_equal(got, expected)
    assert got["lsoa_code"].iloc[0] == "E01011954"
    assert int(got["residents"].sum()) == sum(int(r[4]) for r in table.body if r[2] == "0")


def test_ts007_without_rows_or_without_its_code_column_is_refused(shared_data, tmp_path):
    table = ts007_tables(shared_data)[0]
    path = tmp_path / "ts007.csv"
    path.write_bytes(table.to_bytes(body=[]))
    with pytest.raises(IngestError, match=r"ts007\.csv has a header but no rows"):
        census.read_census_age(path)
    path.write_bytes(table.to_bytes(table.header[1:], [r[1:] for r in table.body]))
    with pytest.raises(IngestError, match=r"missing column\(s\) \['GEOGRAPHY_CODE'\]"):
        census.read_census_age(path)


@pytest.mark.parametrize("wrong", ["E01006112", "E05000819"])  # an LSOA's, a ward's
def test_mobile_refuses_a_code_that_is_not_a_local_authoritys(shared_data, tmp_path, wrong):
    table = mobile_tables(shared_data)[0]
    body = [list(r) for r in table.body]
    body[3][0] = wrong
    path = tmp_path / "mobile.csv"
    path.write_bytes(table.to_bytes(body=body))
    with pytest.raises(IngestError, match=rf"column 'laua', line 5: found '{wrong}'; expected a"):
        ofcom_mobile.read_mobile_la(path)


def test_every_collected_fuzz_case_ran(request, shared_data):
    """Runs after the fuzz tests (file order): every case collected in this run ran examples.

    Counting what was collected, not every case there is, keeps it true under ``pytest -k``;
    it needs the real files the cases are cut from, so it skips (off CI) where they are absent.
    """
    collected: Counter[str] = Counter()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is sys.modules[__name__] and callspec and "how" in callspec.params:
            collected[callspec.params.get("name") or callspec.params["source"]] += 1
    print("fuzz cases run per reader:", dict(RAN), "total:", sum(RAN.values()))
    for name, cases in collected.items():
        assert RAN[name] >= cases, (name, RAN[name], cases)
