"""Benchmark: read and aggregate a national-size Ofcom output-area file, against pyarrow.

Generates an Ofcom Connected Nations fixed output-area CSV in the real 2026 layout with about
190,000 output areas (the number in the UK), by repeating the demo place's rows under new codes,
then measures in one run:

- ``pyarrow.csv.read_csv`` of the file (the floor: parsing only, no checks);
- ``pandas.read_csv`` (the naive reader);
- ``ingest.ofcom_fixed.read_fixed_oa`` (our reader: header map, strict numbers, checks);
- ``geo.joins.sum_to_wards`` of every count column to about 9,000 wards;

and prints each time, its ratio to pyarrow, and the process's peak resident memory.

Run from the project root: ``python bench/national_ingest.py [--areas N]``. The spatial part of
a national build (placing 190,000 output areas in wards) is not included here.
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.csv

from geo import joins
from ingest import demo, ofcom_fixed

WARDS = 9_000


def national_file(folder: Path, areas: int) -> Path:
    """Write an OA file of ``areas`` rows in the demo's (real) layout; return its path."""
    sources = demo.write_demo_sources(folder / "demo")
    rows = list(csv.reader(io.StringIO(sources["ofcom_fixed_oa"].read_text())))
    header, body = rows[0], rows[1:]
    path = folder / "202601_fixed_oa_coverage_r1.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for i in range(areas):
            row = body[i % len(body)]
            writer.writerow([f"E{i:08d}", *row[1:]])
    return path


def timed(label: str, func, results: list[tuple[str, float]]):
    """Run ``func`` once, record its wall time under ``label``, return its result."""
    start = time.perf_counter()
    out = func()
    results.append((label, time.perf_counter() - start))
    return out


def main() -> None:
    """Generate the file, time each step, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--areas", type=int, default=190_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = national_file(Path(tmp), args.areas)
        size = path.stat().st_size
        results: list[tuple[str, float]] = []
        timed("pyarrow.csv.read_csv", lambda: pyarrow.csv.read_csv(path), results)
        timed("pandas.read_csv (naive)", lambda: pd.read_csv(path), results)
        table = timed("ofcom_fixed.read_fixed_oa", lambda: ofcom_fixed.read_fixed_oa(path), results)
        to_ward = pd.Series(
            [f"W{i % WARDS:05d}" for i in range(len(table))], index=table["oa_code"].to_numpy()
        )
        columns = [c for c in table.columns if c.startswith("premises")]
        summed = timed(
            "joins.sum_to_wards",
            lambda: joins.sum_to_wards(table, to_ward, key="oa_code", columns=columns),
            results,
        )
    assert int(summed["premises"].sum()) == int(table["premises"].sum())  # conserved
    floor = results[0][1]
    ours = results[2][1] + results[3][1]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.areas:,} output areas, {size / 1e6:.1f} MB CSV, {len(summed):,} wards")
    print(f"{'step':32} {'seconds':>8} {'x pyarrow':>10}")
    for label, seconds in results:
        print(f"{label:32} {seconds:8.2f} {seconds / floor:10.1f}")
    print(f"{'ours: read + aggregate':32} {ours:8.2f} {ours / floor:10.1f}  (target <= 2.0)")
    print(f"peak resident memory {peak_mb:,.0f} MB (target <= 1,536 MB)")


if __name__ == "__main__":
    main()
