"""Premises-level fixtures in the real layouts, for real postcodes (e.g. Trafford's).

No real "Premises in BDUK plans" file, Ofcom not-spot list or ward to constituency lookup is in
../shared/data, so tests write them here: BDUK's verbatim header
(:data:`ingest.sources.bduk.HEADER_2025`) with its real category names and ``true``/``false``
flags, an Ofcom postcode coverage file with the header of Ofcom's real January 2026 excerpt
(read from ../shared/data at test time), and an ONS ward to constituency lookup in the Open
Geography Portal's layout. Constituency codes and names here are illustrative, not the real
assignment of any ward.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.sources import bduk

#: Status, current_gigabit, future_gigabit, bduk_gis, bduk_vouchers of each kind of premises.
KINDS: dict[str, tuple[str, str, str, str, str]] = {
    "gigabit_now": ("Gigabit Black", "true", "true", "false", "false"),
    "project_gigabit": ("Gigabit White", "false", "true", "true", "false"),
    "voucher_project": ("Gigabit White", "false", "true", "false", "true"),
    "commercial_plan": ("Gigabit Grey", "false", "true", "false", "false"),
    "under_review": ("Gigabit Under Review", "false", "false", "false", "false"),
    "no_gigabit_no_plan": ("Gigabit White", "false", "false", "false", "false"),
}


def premises_rows(
    postcodes: Sequence[str],
    *,
    la_code: str,
    la_name: str,
    seed: int = 1,
    first_uprn: int = 100_000_000_001,
    extra_postcodes: Sequence[str] = (),
) -> list[dict[str, str]]:
    """One BDUK row per premises: 1 to 40 premises per postcode, every kind of plan.

    ``extra_postcodes`` (blank, malformed or of no directory) get one premises each, so that
    not-placed premises are exercised.
    """
    rng = np.random.default_rng(seed)
    kinds = list(KINDS)
    rows = []
    uprn = first_uprn
    counts = rng.integers(1, 41, size=len(postcodes))
    for postcode, n in [*zip(postcodes, counts, strict=True), *((p, 1) for p in extra_postcodes)]:
        weights = rng.dirichlet(np.ones(len(kinds)))
        for _ in range(int(n)):
            kind = kinds[int(rng.choice(len(kinds), p=weights))]
            status, current, future, gis, vouchers = KINDS[kind]
            rows.append(
                {
                    "uprn": str(uprn),
                    "struprn": str(uprn),
                    "bduk_recognised_premises": "false" if rng.random() < 0.02 else "true",
                    "country": "England",
                    "postcode": postcode,
                    "lot_id": "29",
                    "lot_name": "Greater Manchester",
                    "subsidy_control_status": status,
                    "current_gigabit": current,
                    "future_gigabit": future,
                    "local_authority_district_ons_code": la_code,
                    "local_authority_district_ons": la_name,
                    "region_ons_code": "E12000002",
                    "region_ons": "North West",
                    "bduk_gis": gis,
                    "bduk_gis_contract_scope": "In scope" if gis == "true" else "",
                    "bduk_gis_final_coverage_date": "2027-03-31" if gis == "true" else "",
                    "bduk_gis_contract_name": "Lot 29 Greater Manchester" if gis == "true" else "",
                    "bduk_gis_supplier": "Example Fibre Ltd" if gis == "true" else "",
                    "bduk_vouchers": vouchers,
                    "bduk_vouchers_contract_name": "Voucher project" if vouchers == "true" else "",
                    "bduk_vouchers_supplier": "Example Voucher Co" if vouchers == "true" else "",
                    "bduk_superfast": "false",
                    "bduk_superfast_contract_name": "",
                    "bduk_superfast_supplier": "",
                    "bduk_hubs": "false",
                    "bduk_hubs_contract_name": "",
                    "bduk_hubs_supplier": "",
                }
            )
            uprn += 1
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], header: Sequence[str], *, bom: bool = False,
              crlf: bool = False) -> Path:  # fmt: skip
    """Write ``rows`` under ``header`` as a publisher would (optionally BOM, CRLF)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(header), lineterminator="\r\n" if crlf else "\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buffer.getvalue().encode())
    return path


def write_premises(path: Path, rows: list[dict[str, str]], **options: bool) -> Path:
    """Write a BDUK premises file in the verbatim 2025 layout."""
    return write_csv(path, rows, bduk.HEADER_2025, **options)


def write_postcode_coverage(
    path: Path, header_file: Path, postcodes: Sequence[str], below_uso: Sequence[float]
) -> Path:
    """Write an Ofcom postcode coverage file with the real file's header, one row a postcode.

    Every premises is given superfast except those below the USO speed; gigabit is left 0.
    """
    header = next(csv.reader(header_file.read_text(encoding="utf-8-sig").splitlines()))
    rows = []
    for postcode, below in zip(postcodes, below_uso, strict=True):
        compact = postcode.replace(" ", "")
        row = dict.fromkeys(header, "0.0")
        row.update({"postcode": compact, "postcode_space": postcode,
                    "postcode area": compact[: 2 if compact[1].isalpha() else 1]})  # fmt: skip
        row["% of premises with 5<10Mbit/s download speed"] = f"{below:.1f}"
        row["% of premises unable to receive 10Mbit/s"] = f"{below:.1f}"
        row["% of premises unable to receive 30Mbit/s"] = f"{below:.1f}"
        row["% of premises unable to receive decent broadband from fixed or FWA"] = f"{below:.1f}"
        row["% of premises with 30<300Mbit/s download speed"] = f"{100 - below:.1f}"
        row["SFBB availability (% premises)"] = f"{100 - below:.1f}"
        row["% of premises with NGA"] = f"{100 - below:.1f}"
        rows.append(row)
    return write_csv(path, rows, header)


def write_constituency_lookup(path: Path, wards: pd.DataFrame, la_code: str, la_name: str) -> Path:
    """Write an ONS ward (2024) to constituency (2024) lookup: wards dealt round 3 seats."""
    rows = [
        {"WD24CD": code, "WD24NM": name, "PCON24CD": f"E1409999{i % 3 + 1}",
         "PCON24NM": f"Constituency {'ABC'[i % 3]} (test fixture)", "LAD24CD": la_code,
         "LAD24NM": la_name, "ObjectId": str(i + 1)}
        for i, (code, name) in enumerate(zip(wards["ward_code"], wards["ward_name"], strict=True))
    ]  # fmt: skip
    return write_csv(path, rows, list(rows[0]))
