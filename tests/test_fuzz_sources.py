"""Fuzzed Ofcom output-area files: every mutation ends in a clear error or the same totals.

Starts from the demo's Ofcom fixed output-area file (the real 2026 layout) and applies one
random fault a council's copy might have: reordered, missing, repeated or renamed headers, a
BOM, Windows line ends or Windows-1252, an empty file, a non-number, a negative count, a
percentage over 100, a repeated area. Harmless faults must give the same premises total;
harmful ones an IngestError naming the file (never another exception, never a wrong total).
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import ofcom_fixed
from ingest._errors import IngestError

#: Mutations that leave the figures as they were: the reader must give the same total.
HARMLESS = ("shuffle_columns", "bom", "crlf", "cp1252")
#: Mutations that make the file wrong: the reader must refuse it, naming the file.
HARMFUL = (
    "drop_column",
    "repeat_header",
    "rename_header",
    "empty",
    "not_a_number",
    "negative_count",
    "percent_over_100",
    "repeat_area",
)
RAN: dict[str, int] = dict.fromkeys(HARMLESS + HARMFUL, 0)


@pytest.fixture(scope="module")
def table(demo_sources) -> list[list[str]]:
    text = demo_sources["ofcom_fixed_oa"].read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def mutate(rows: list[list[str]], how: str, draw) -> bytes:
    """Apply one fault; return the file's bytes."""
    header, body = list(rows[0]), [list(r) for r in rows[1:]]
    column = draw(st.integers(1, len(header) - 1))
    row = draw(st.integers(0, len(body) - 1))
    counts = [i for i, h in enumerate(header) if not h.startswith(("%", "SFBB", "UFBB", "Gig"))]
    percents = [i for i, h in enumerate(header) if "%" in h]
    if how == "shuffle_columns":
        order = [0, *draw(st.permutations(range(1, len(header))))]
        header, body = [header[i] for i in order], [[r[i] for i in order] for r in body]
    elif how == "drop_column":
        header.pop(column)
        body = [r[:column] + r[column + 1 :] for r in body]
    elif how == "repeat_header":
        header[column] = header[column - 1] if column > 1 else header[column + 1]
    elif how == "rename_header":
        header[column] += " (new)"
    elif how == "empty":
        return b""
    elif how == "not_a_number":
        body[row][column] = draw(st.sampled_from(["n/a", "x", "1..2", "--"]))
    elif how == "negative_count":
        body[row][draw(st.sampled_from(counts[1:]))] = "-3"
    elif how == "percent_over_100":
        body[row][draw(st.sampled_from(percents))] = "100.5"
    elif how == "repeat_area":
        body.append(list(body[row]))
    newline = "\r\n" if how == "crlf" else "\n"
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows([header, *body])
    encoded = out.getvalue().encode("cp1252" if how == "cp1252" else "utf-8")
    return (b"\xef\xbb\xbf" if how == "bom" else b"") + encoded


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(how=st.sampled_from(HARMLESS + HARMFUL), data=st.data())
def test_a_faulty_file_is_refused_clearly_or_read_with_the_same_total(table, tmp_path, how, data):
    expected = sum(int(r[1]) for r in table[1:])
    path = tmp_path / f"fuzz_{how}.csv"
    path.write_bytes(mutate(table, how, data.draw))
    RAN[how] += 1
    if how in HARMLESS:
        assert int(ofcom_fixed.read_fixed_oa(path)["premises"].sum()) == expected
        return
    with pytest.raises(IngestError, match=path.name):
        ofcom_fixed.read_fixed_oa(path)


def test_every_kind_of_fault_was_tried():
    """Runs after the fuzz test (file order): each mutation was exercised several times."""
    assert sum(RAN.values()) >= 200
    assert min(RAN.values()) >= 5, RAN
