"""Fuzzed Ofcom output-area files: every mutation ends in a clear error or the same totals.

Starts from the demo's Ofcom fixed output-area file (the real 2026 layout) and applies one
random fault a council's copy might have (``fuzz_tables.HARMLESS`` / ``HARMFUL``): reordered
columns or rows, a BOM, Windows line ends or Windows-1252, padded cells, thousands separators;
missing, repeated or renamed headers, an empty file, a non-number, a negative count, a
percentage over 100, a repeated area, a code of no output area. Harmless faults must give the
same premises total (and the same frame); harmful ones an IngestError naming the file and the
column, line or code (never another exception, never a wrong total). The other readers are
fuzzed the same way in ``test_fuzz_readers.py``.
"""

from __future__ import annotations

import pytest
from fuzz_tables import FIXED, HARMFUL, HARMLESS, mutate, read_table, same_rows, with_kinds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from ingest._errors import IngestError
from ingest.sources import ofcom_fixed

RAN: dict[str, int] = dict.fromkeys(HARMLESS + HARMFUL, 0)


@pytest.fixture(scope="module")
def table(demo_sources):
    table = read_table(demo_sources["ofcom_fixed_oa"], wrong_code="E01006112")
    kinds = {h: "percent" if "%" in h else "count" for h in table.header[1:]}
    return with_kinds(table, kinds)


@pytest.fixture(scope="module")
def untouched(table, tmp_path_factory):
    path = tmp_path_factory.mktemp("untouched_oa") / "oa.csv"
    path.write_bytes(table.to_bytes())
    return ofcom_fixed.read_fixed_oa(path)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(how=st.sampled_from(HARMLESS + HARMFUL), data=st.data())
def test_a_faulty_file_is_refused_clearly_or_read_with_the_same_total(
    table, untouched, tmp_path, how, data
):
    expected = sum(int(r[1]) for r in table.body)
    path = tmp_path / f"fuzz_{how}.csv"
    fault = mutate(table, how, data.draw)
    path.write_bytes(fault.data)
    RAN[how] += 1
    if how in HARMLESS:
        got = ofcom_fixed.read_fixed_oa(path)
        assert int(got["premises"].sum()) == expected
        assert_frame_equal(same_rows(got, "oa_code"), same_rows(untouched, "oa_code"))
        return
    with pytest.raises(IngestError, match=path.name) as error:
        ofcom_fixed.read_fixed_oa(path)
    for word in fault.names:
        assert word in str(error.value)


def test_every_kind_of_fault_was_tried():
    """Runs after the fuzz test (file order): each mutation was exercised, drawn ones often."""
    assert sum(RAN.values()) >= 200
    assert min(RAN.values()) >= 1, RAN
    assert min(n for how, n in RAN.items() if how not in FIXED) >= 5, RAN
