"""Benchmark: national Ofcom API premises counted to wards, against pyarrow reading them.

Generates ``--rows`` premises (default 30,000,000) in the layout of
:data:`geo.api_coverage.PREMISES_COLUMNS`: ``postcode`` as text in the API's form (no space,
``AB12CD``), about ``--per-postcode`` premises a postcode (default 15, so about 2,000,000
postcodes; each postcode's premises one after another, postcodes in order, as a place's answers
are read), the 12 indoor data, outdoor data and indoor voice ratings of the four networks as
``int8`` 0 to 4, and ``max_down_mbit`` / ``max_up_mbit`` as ``float32`` (-1, none predicted, on
about 1 % of premises). They are written with pyarrow as one Parquet file of
``--row-group`` rows per row group (default 1,000,000), beside a postcode -> ward directory of
every postcode in 8,482 synthetic wards (contiguous runs of postcodes; 0.05 % in no ward).

Then, each in a fresh process so that each peak resident memory is its own:

- **read**: ``pyarrow.parquet.read_table`` of the whole file (the floor);
- **aggregate**: what a build does at national scale: ``ParquetFile.iter_batches`` (one
  batch per row group), :func:`geo.api_coverage.postcode_counts` of each ``batch.to_pandas()``,
  :func:`~geo.api_coverage.combine_counts` of the parts, then
  :func:`~geo.api_coverage.ward_figures` with every postcode checked on both endpoints and the
  wards as ``areas``. The directory, the ward index and the checked postcodes are loaded
  before the clock starts. The file is opened with ``pre_buffer=False`` (``--pre-buffer`` to
  change): pyarrow's read-ahead keeps every row group's compressed chunks until the reader is
  closed, about 14 MiB a row group here, 436 MiB over 30 row groups.

Prints both times, aggregation / read (target **<= 3**), the aggregation's peak resident memory
(target **<= 2 GB**), where the aggregation's time went (reading and converting, counting,
combining, summing to wards), and checks the totals against counts made with numpy while
generating: premises checked, mobile not-spots, below the USO and double not-spots, in wards
plus outside every ward. Run from the project root::

    python bench/api_aggregation.py                       # 30,000,000 rows
    python bench/api_aggregation.py --rows 3000000        # a quick run
    python bench/api_aggregation.py --inputs /tmp/api_agg # keep (or reuse) the inputs

The parent process imports nothing heavy and holds no data: on Linux a child's ``ru_maxrss``
starts from its parent's peak, so a large parent would hide the children's own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREMISES = "premises.parquet"
DIRECTORY = "postcode_ward.parquet"
SUMMARY = "inputs.json"
SEED = 20261123
#: Wards of the UK (December 2022), as in ``ons_wards_dec2022_uk_bsc``.
WARDS = 8_482
#: Share of directory postcodes in no ward.
NO_WARD = 0.0005
#: Share of premises with no predicted speed (-1).
NO_SPEED = 0.01
#: Chance of each mobile rating 0 to 4 (indoor lower than outdoor).
INDOOR = [0.04, 0.06, 0.12, 0.38, 0.40]
OUTDOOR = [0.01, 0.02, 0.07, 0.30, 0.60]
#: The 20 letters ONS uses in the inward code of a postcode.
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def peak_mb() -> float:
    """Peak resident memory of this process so far, MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident memory of this process now (``VmRSS``), MiB; NaN where /proc has none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# --- inputs -----------------------------------------------------------------------------------


def _postcodes(count: int):
    """``count`` distinct postcodes in the API's form (no space), in order, as pyarrow."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    i = np.arange(count)
    areas = pa.array([a + b for a in "ABCDEFGHJKLMNOPRSTUW" for b in "ABDEHLMNRSTWY"])
    parts = [
        areas.take(i // 400_000),
        pa.array([str(d) for d in range(1, 101)]).take((i // 4_000) % 100),
        pa.array([str(s) for s in range(10)]).take((i // 400) % 10),
        pa.array([a + b for a in UNIT_LETTERS for b in UNIT_LETTERS]).take(i % 400),
    ]
    return pc.binary_join_element_wise(*parts, "")


def _totals(ratings: dict, down, up) -> dict[str, int]:
    """Premises with each checked condition, counted with numpy (the check of the totals)."""
    import numpy as np

    from geo.thresholds import MOBILE_COVERED_RATING, USO_DOWNLOAD_MBIT, USO_UPLOAD_MBIT

    indoor = np.max([v for k, v in ratings.items() if k.endswith("_data_indoor")], axis=0)
    not_spot = indoor < MOBILE_COVERED_RATING
    below = (down < USO_DOWNLOAD_MBIT) | (up < USO_UPLOAD_MBIT)
    return {
        "premises_mobile_not_spot_checked": int(not_spot.sum()),
        "premises_below_uso_api_checked": int(below.sum()),
        "premises_double_not_spot_checked": int((not_spot & below).sum()),
    }


def generate(folder: Path, rows: int, per_postcode: float, row_group: int) -> dict:
    """Write the premises file and the postcode directory into ``folder``; return a summary."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from geo.api_coverage import PREMISES_COLUMNS

    start = time.perf_counter()
    rng = np.random.default_rng(SEED)
    # premises per postcode: 1 + Poisson, trimmed so that they add up to ``rows``
    sizes = 1 + rng.poisson(per_postcode - 1, int(rows / per_postcode * 1.05) + 10)
    ends = np.cumsum(sizes)
    n_postcodes = int(np.searchsorted(ends, rows) + 1)
    sizes = sizes[:n_postcodes]
    sizes[-1] -= int(ends[n_postcodes - 1] - rows)
    postcodes = _postcodes(n_postcodes)
    assert pc.count_distinct(postcodes).as_py() == n_postcodes
    postcode_of_row = np.repeat(np.arange(n_postcodes, dtype=np.int32), sizes)

    ward = np.array([f"E05{k:06d}" for k in range(1, WARDS + 1)], dtype=object)
    ward_of = ward[np.arange(n_postcodes) * WARDS // n_postcodes].astype(object)
    ward_of[rng.random(n_postcodes) < NO_WARD] = None
    pd.DataFrame(
        {"postcode": postcodes.to_numpy(zero_copy_only=False), "ward_code": ward_of}
    ).to_parquet(folder / DIRECTORY, index=False)

    columns = PREMISES_COLUMNS[1:-2]  # the 12 ratings
    schema = pa.schema(
        [("postcode", pa.string())]
        + [(c, pa.int8()) for c in columns]
        + [("max_down_mbit", pa.float32()), ("max_up_mbit", pa.float32())]
    )
    assert schema.names == PREMISES_COLUMNS
    totals: dict[str, int] = {}
    with pq.ParquetWriter(folder / PREMISES, schema) as writer:
        for first in range(0, rows, row_group):
            n = min(row_group, rows - first)
            ratings = {
                c: rng.choice(5, n, p=INDOOR if "indoor" in c else OUTDOOR).astype(np.int8)
                for c in columns
            }
            down = rng.lognormal(np.log(80), 1.3, n).astype(np.float32)
            up = (down * rng.uniform(0.05, 0.5, n)).astype(np.float32)
            none = rng.random(n) < NO_SPEED
            down[none], up[none] = -1, -1
            table = pa.table(
                {
                    "postcode": postcodes.take(postcode_of_row[first : first + n]),
                    **ratings,
                    "max_down_mbit": down,
                    "max_up_mbit": up,
                },
                schema=schema,
            )
            writer.write_table(table, row_group_size=row_group)
            for key, value in _totals(ratings, down, up).items():
                totals[key] = totals.get(key, 0) + value
    return {
        "rows": rows,
        "postcodes": n_postcodes,
        "wards": WARDS,
        "row_groups": pq.ParquetFile(folder / PREMISES).num_row_groups,
        "bytes": (folder / PREMISES).stat().st_size,
        "totals": totals,
        "seconds": time.perf_counter() - start,
        "peak_mb": peak_mb(),
    }


# --- the runs, each in its own process --------------------------------------------------------


def read(folder: Path) -> dict:
    """``pyarrow.parquet.read_table`` of the whole premises file: the floor."""
    import pyarrow.parquet as pq

    start = time.perf_counter()
    table = pq.read_table(folder / PREMISES)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": table.num_rows, "peak_mb": peak_mb()}


def aggregate(folder: Path, pre_buffer: bool) -> dict:
    """Row group by row group to postcode counts, combined, then summed to wards.

    ``pre_buffer``: pyarrow's read-ahead of column chunks, which keeps every row group's
    compressed chunks until the reader is closed (about 14 MiB a row group here); off unless
    asked, as a build streaming a national file would read it.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    from geo import api_coverage

    directory = pd.read_parquet(folder / DIRECTORY)
    postcode_ward = pd.Series(
        directory["ward_code"].to_numpy(), index=directory["postcode"].to_numpy()
    )
    every = pd.Index(directory["postcode"])
    checked = {"mobile": every, "fixed": every}
    areas = pd.Index(sorted(postcode_ward.dropna().unique()), name="ward_code")
    del directory
    loaded = peak_mb()
    rss = {"loaded": rss_mb()}

    start = time.perf_counter()
    file = pq.ParquetFile(folder / PREMISES, pre_buffer=pre_buffer)
    parts, rows, read_s, count_s = [], 0, 0.0, 0.0
    tick = time.perf_counter()
    for batch in file.iter_batches(batch_size=file.metadata.row_group(0).num_rows):
        premises = batch.to_pandas()
        tock = time.perf_counter()
        parts.append(api_coverage.postcode_counts(premises))
        rows += len(premises)
        read_s += tock - tick
        tick = time.perf_counter()
        count_s += tick - tock
    del premises
    rss["counted"] = rss_mb()
    counts = api_coverage.combine_counts(parts)
    del parts
    combined = time.perf_counter()
    rss["combined"] = rss_mb()
    figures = api_coverage.ward_figures(counts, postcode_ward, checked, areas=areas)
    end = time.perf_counter()
    rss["wards"] = rss_mb()

    wards, outside = figures.wards, figures.outside
    sums = {
        column: int(wards[column].sum() + outside[column])
        for column in [*api_coverage.CHECKED.values(), *api_coverage.COUNT_COLUMNS]
    }
    return {
        "seconds": end - start,
        "read_s": read_s,
        "count_s": count_s,
        "combine_s": combined - start - read_s - count_s,
        "wards_s": end - combined,
        "batches": file.num_row_groups,
        "rows": rows,
        "postcodes_counted": len(counts),
        "wards": len(wards),
        "outside": {c: int(outside[c]) for c in api_coverage.CHECKED.values()},
        "sums": sums,
        "peak_mb": peak_mb(),
        "loaded_peak_mb": loaded,
        "rss_mb": rss,
        "pre_buffer": pre_buffer,
    }


RUNS = {"read": read, "aggregate": aggregate}
LABELS = {
    "read": "pyarrow.parquet.read_table, whole file (floor)",
    "aggregate": "iter_batches + postcode_counts + combine + ward_figures",
}


# --- the parent -------------------------------------------------------------------------------


def child(run: str, folder: Path, extra: list[str]) -> dict:
    """Run ``run`` in a fresh Python process and return the JSON it prints."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", run, "--inputs", str(folder), *extra],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"{run} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def report(inputs: dict, results: dict[str, list[dict]], repeat: int) -> None:
    """Print the times, the ratio, the peaks and the breakdown, and check the totals."""
    median = {run: statistics.median(r["seconds"] for r in done) for run, done in results.items()}
    print(
        f"inputs: {inputs['rows']:,} premises rows, {inputs['postcodes']:,} postcodes in "
        f"{inputs['wards']:,} wards; one Parquet file of {inputs['row_groups']} row groups "
        f"({inputs['bytes'] / 1e9:.2f} GB); generated in {inputs['seconds']:.0f} s"
    )
    print(f"median of {repeat} run(s) each, interleaved; peak MiB: the process's peak RSS")
    print(f"{'run':56} {'seconds':>8} {'x read':>7} {'peak MiB':>9}   runs")
    for run, done in results.items():
        peak = max(r["peak_mb"] for r in done)
        spread = ", ".join(f"{r['seconds']:.1f}" for r in done)
        print(f"{LABELS[run]:56} {median[run]:8.2f} {median[run] / median['read']:7.2f} "
              f"{peak:9,.0f}   {spread}")  # fmt: skip
    agg = min(results["aggregate"], key=lambda r: r["seconds"])
    print(
        f"aggregation (fastest run): reading + to_pandas {agg['read_s']:.1f} s, postcode_counts "
        f"{agg['count_s']:.1f} s over {agg['batches']} batches, combine_counts "
        f"{agg['combine_s']:.1f} s, ward_figures {agg['wards_s']:.1f} s; directory loaded before "
        f"the clock, peak then {agg['loaded_peak_mb']:,.0f} MiB"
    )
    print(
        "aggregation resident MiB after each step (fastest run): "
        + ", ".join(f"{step} {mb:,.0f}" for step, mb in agg["rss_mb"].items())
        + f"; ParquetFile(pre_buffer={agg['pre_buffer']})"
    )
    ratio = median["aggregate"] / median["read"]
    peak = max(r["peak_mb"] for r in results["aggregate"])
    print(
        f"aggregation / read: {ratio:.2f} (target <= 3: {'met' if ratio <= 3 else 'MISSED'}); "
        f"aggregation peak {peak:,.0f} MiB (target <= 2 GB = 2,048 MiB: "
        f"{'met' if peak <= 2048 else 'MISSED'})"
    )
    rows = inputs["rows"]
    conserved = all(
        r["rows"] == rows
        and r["postcodes_counted"] == inputs["postcodes"]
        and r["wards"] == inputs["wards"]
        and all(r["sums"][c] == rows for c in ("premises_checked_mobile", "premises_checked_fixed"))
        and all(r["sums"][k] == v for k, v in inputs["totals"].items())
        for r in results["aggregate"]
    ) and all(r["rows"] == rows for r in results["read"])
    print(
        f"conserved: {conserved}: {rows:,} rows generated = read = premises checked in wards + "
        f"outside ({agg['outside']['premises_checked_mobile']:,} outside), and mobile "
        "not-spots, below the USO and double not-spots equal numpy's counts at generation "
        f"({', '.join(f'{v:,}' for v in inputs['totals'].values())})"
    )


def main() -> None:
    """Generate (or reuse) the inputs, run the read and the aggregation in children, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=30_000_000, help="premises rows")
    parser.add_argument("--per-postcode", type=float, default=15.0, help="premises a postcode")
    parser.add_argument("--row-group", type=int, default=1_000_000, help="rows per row group")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians shown")
    parser.add_argument("--inputs", type=Path, help="keep (or reuse) the inputs in this folder")
    parser.add_argument(
        "--pre-buffer", action="store_true", help="aggregate with ParquetFile(pre_buffer=True)"
    )
    parser.add_argument("--child", choices=["generate", *RUNS], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "generate":
        result = generate(args.inputs, args.rows, args.per_postcode, args.row_group)
    elif args.child == "aggregate":
        result = aggregate(args.inputs, args.pre_buffer)
    elif args.child:
        result = RUNS[args.child](args.inputs)
    if args.child:
        print(json.dumps(result))
        return
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="api_aggregation_", dir="/tmp") as tmp:
        folder = args.inputs or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        summary = folder / SUMMARY
        wanted = {"rows": args.rows, "per_postcode": args.per_postcode,
                  "row_group": args.row_group}  # fmt: skip
        known = json.loads(summary.read_text()) if summary.is_file() else {}
        if known.get("asked") == wanted:
            inputs = known
        else:
            sizes = ["--rows", str(args.rows), "--per-postcode", str(args.per_postcode),
                     "--row-group", str(args.row_group)]  # fmt: skip
            inputs = child("generate", folder, sizes) | {"asked": wanted}
            summary.write_text(json.dumps(inputs, indent=1))
        results: dict[str, list[dict]] = {run: [] for run in RUNS}
        for _ in range(args.repeat):  # interleaved, so a busy spell slows both alike
            for run in RUNS:
                done = child(run, folder, ["--pre-buffer"] if args.pre_buffer else [])
                results[run].append(done)
                print(f"  {run}: {done['seconds']:.1f} s, peak {done['peak_mb']:,.0f} MiB",
                      flush=True)  # fmt: skip
    report(inputs, results, args.repeat)
    print(f"load average (1 min) {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after "
          f"({os.cpu_count()} CPUs)")  # fmt: skip


if __name__ == "__main__":
    main()
