"""The evidence pack of a place with Ofcom API figures: the same words and ranges as the app."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from pypdf import PdfReader

from evidence import build_pack, render_pdf
from evidence.figures import API_SAID, EXPORT_COLUMNS, export_table
from geo import api_coverage
from ingest import demo, store
from ingest.sources import ofcom_api


@pytest.fixture(scope="module")
def pack(demo_store):
    return build_pack(demo.DEMO_LA_CODE, store_dir=demo_store)


def test_pdf_counts_double_not_spots_on_premises_with_the_permission(pack, demo_store) -> None:
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(render_pdf(pack))).pages
    )
    value = wards["premises_in_double_not_spots"].sum()
    low = wards["premises_in_double_not_spots_low"].sum()
    high = wards["premises_in_double_not_spots_high"].sum()
    assert f"{value:,.0f} premises (95 % interval {low:,.0f} to {high:,.0f})" in text
    assert demo.DEMO_API_PERMISSION in text
    assert demo.DEMO_API_DB_NAME in text
    assert "© Ofcom" in text


def test_csv_says_a_sampled_ward_with_few_as_fewer_than(pack, demo_store) -> None:
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store).set_index("ward_name")
    table = export_table(pack).set_index(EXPORT_COLUMNS["ward_name"])
    sampled = wards[
        (wards["postcodes_checked_both"] < wards["postcodes_live"])
        & (wards["premises_double_not_spot_checked"] < api_coverage.RARE_EVENTS)
    ]
    assert not sampled.empty
    for name, row in sampled.iterrows():
        said = table.loc[name, EXPORT_COLUMNS[API_SAID]]
        high = row["premises_in_double_not_spots_high"]
        assert said == f"fewer than {int(-(-high // 1)):,} premises"
    complete = wards[wards["postcodes_checked_both"] == wards["postcodes_live"]].iloc[0]
    assert table.loc[complete.name, EXPORT_COLUMNS[API_SAID]] == (
        f"{complete['premises_double_not_spot_checked']:,} premises"
    )
    low = EXPORT_COLUMNS["pct_premises_mobile_not_spot_low"]
    assert pd.api.types.is_float_dtype(table[low])  # numbers stay numbers
    assert not [c for c in table.columns if "uprn" in c.lower()]
    assert ofcom_api.KEY_HEADER not in " ".join(table.columns)
