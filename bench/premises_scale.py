"""Benchmark: tens of millions of Ookla speed-test tiles summed to UK wards, alone and on dask.

Generates ``--rows`` rows (default 25,000,000) of Ookla "fixed" tiles in the 2023 layout (all 11
columns, the WKT ``tile`` polygon included) as Parquet files in a temporary folder, streamed a
file at a time. Tiles are zoom-16 tiles of the UK wards' bounding box: ``--outside-share`` of
each file (default 5 %) have their centre in no ward (sea, Ireland, the Isle of Man), the rest
in one of the 8,482 wards of ``ons_wards_dec2022_uk_bsc``; a quadkey appears once per file (as
in one quarter of Ookla's data) and again in other files (other quarters). Then it measures, in
one run:

- pyarrow reading the five columns used, file after file (the floor: no checks, no sums);
- the single-machine path: ``ingest.sources.ookla.read_piece`` then ``geo.premises.ward_sums``
  on each row group in turn, in one process, then ``combine_sums`` and ``ward_speeds``;
- the dask path on a ``distributed.LocalCluster`` of 1 and then of 2 worker processes (one
  thread each): ``ingest.sources.ookla.read_tiles_dask`` then ``geo.premises.ward_speeds_dask``;

and prints rows per second, ratios, each process's peak resident memory, and checks that the
three results are equal to the last digit and conserve the generated totals.

Run from the project root: ``python bench/premises_scale.py [--rows N]``. Each measured path
runs in a fresh process, so peak memory is that path's alone.
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from geo import premises
from ingest.sources import ons_geography, ookla

SHARED_DATA = Path("../shared/data")
NATIONAL = Path("ons_wards_dec2022_uk_bsc") / "Wards_December_2022_Boundaries_UK_BSC.gpkg"
#: Ookla's 2023 layout, in its column order.
LAYOUT = [
    "quadkey",
    "tile",
    "tile_x",
    "tile_y",
    "avg_d_kbps",
    "avg_u_kbps",
    "avg_lat_ms",
    "avg_lat_down_ms",
    "avg_lat_up_ms",
    "tests",
    "devices",
]
#: Rows of tiles placed in wards at a time while the tile pools are made.
BAND_TILES = 500_000


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tile_pools(wards_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Keys (``x * 2**16 + y``) of the zoom-16 tiles of the wards' box: in a ward, in none."""
    wards = ons_geography.read_wards(wards_path)
    west, south, east, north = wards.to_crs("EPSG:4326").total_bounds
    (x0, x1), (y1, y0) = premises.lonlat_to_tile([west, east], [south, north])
    xs = np.arange(x0, x1 + 1)
    inside, outside = [], []
    rows_per_band = max(1, BAND_TILES // len(xs))
    for top in range(y0, y1 + 1, rows_per_band):
        ys = np.arange(top, min(top + rows_per_band, y1 + 1))
        x, y = (a.ravel() for a in np.meshgrid(xs, ys))
        quadkeys = premises.tile_to_quadkey(x, y)
        placed = premises.place_in_wards(*premises.tile_centres(quadkeys), wards) >= 0
        keys = x * 2**16 + y
        inside.append(keys[placed])
        outside.append(keys[~placed])
    return np.concatenate(inside), np.concatenate(outside)


def polygon_wkt(west, south, east, north) -> pa.Array:
    """The ``tile`` column: each tile as a WKT polygon, as Ookla writes it."""
    w, s, e, n = (pa.array(v).cast(pa.string()) for v in (west, south, east, north))
    corners = [w, " ", n, ", ", e, " ", n, ", ", e, " ", s, ", ", w, " ", s, ", ", w, " ", n]
    return pc.binary_join_element_wise("POLYGON((", *corners, "))", "")


def tile_table(keys: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """One file's tiles with plausible speeds (about 4 % of tiles below 10 Mbit/s)."""
    n = len(keys)
    x, y = keys // 2**16, keys % 2**16
    west, south, east, north = premises.tile_bounds(x, y)
    tests = rng.geometric(0.2, n).astype(np.int64)
    columns = {
        "quadkey": premises.tile_to_quadkey(x, y),
        "tile": polygon_wkt(west, south, east, north),
        "tile_x": (west + east) / 2,
        "tile_y": (south + north) / 2,
        "avg_d_kbps": rng.lognormal(np.log(60_000), 1.0, n).astype(np.int64),
        "avg_u_kbps": rng.lognormal(np.log(15_000), 1.1, n).astype(np.int64),
        "avg_lat_ms": (5 + rng.gamma(2.0, 8.0, n)).astype(np.int64),
        "avg_lat_down_ms": (20 + rng.gamma(2.0, 40.0, n)).astype(np.int32),
        "avg_lat_up_ms": (20 + rng.gamma(2.0, 60.0, n)).astype(np.int32),
        "tests": tests,
        "devices": 1 + rng.binomial(tests - 1, 0.5),
    }
    return pa.table({name: columns[name] for name in LAYOUT})


def write_dataset(
    folder: Path, wards_path: Path, rows: int, rows_per_file: int, outside_share: float
) -> dict:
    """Write the Parquet files a file at a time; return counts, totals and timings."""
    start = time.perf_counter()
    inside, outside = tile_pools(wards_path)
    pools_s = time.perf_counter() - start
    n_outside = round(rows_per_file * outside_share)
    if rows_per_file - n_outside > len(inside) or n_outside > len(outside):
        raise SystemExit(f"--rows-per-file too large for unique tiles ({len(inside):,} in wards)")
    written, tests, outside_tests, files = 0, 0, 0, 0
    while written < rows:
        rng = np.random.default_rng([7, files])
        n = min(rows_per_file, rows - written)
        n_out = round(n * outside_share)
        keys = np.concatenate(
            [
                rng.choice(inside, n - n_out, replace=False),
                rng.choice(outside, n_out, replace=False),
            ]
        )
        order = rng.permutation(n)  # rows in no particular order; the last n_out keys are outside
        table = tile_table(keys[order], rng)
        pq.write_table(table, folder / f"tiles-{files:03d}.parquet", row_group_size=n)
        file_tests = table["tests"].to_numpy()
        tests += int(file_tests.sum())
        outside_tests += int(file_tests[order >= n - n_out].sum())
        written += n
        files += 1
    return {
        "files": files,
        "bytes": sum(p.stat().st_size for p in folder.glob("*.parquet")),
        "tests": tests,
        "outside_tests": outside_tests,
        "pool_in_wards": len(inside),
        "pools_s": pools_s,
        "seconds": time.perf_counter() - start,
        "peak_mb": peak_rss_mb(),
    }


def pyarrow_floor(folder: Path) -> dict:
    """Read the five used columns of every file with pyarrow, one file at a time."""
    start = time.perf_counter()
    rows = 0
    for path in sorted(folder.glob("*.parquet")):
        rows += pq.read_table(path, columns=["quadkey", *LAYOUT[4:6], *LAYOUT[9:]]).num_rows
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_mb": peak_rss_mb()}


def single_machine(folder: Path, wards_path: Path) -> dict:
    """The single-machine path: each row group read, checked and summed in turn."""
    wards = ons_geography.read_wards(wards_path)
    start = time.perf_counter()
    read_s = sum_s = 0.0
    parts = []
    for piece in ookla.tile_pieces(folder):
        tick = time.perf_counter()
        tiles = ookla.read_piece(piece)
        tock = time.perf_counter()
        parts.append(premises.ward_sums(tiles, wards))
        read_s += tock - tick
        sum_s += time.perf_counter() - tock
    speeds = premises.ward_speeds(premises.combine_sums(parts))
    return {
        "seconds": time.perf_counter() - start,
        "read_s": read_s,
        "sum_s": sum_s,
        "partitions": len(parts),
        "speeds": speeds,
        "peak_mb": peak_rss_mb(),
    }


def on_dask(folder: Path, wards_path: Path, workers: int) -> dict:
    """The dask path on a fresh LocalCluster of ``workers`` processes, one thread each."""
    from distributed import Client, LocalCluster

    wards = ons_geography.read_wards(wards_path)
    tick = time.perf_counter()
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        for module in ("geo.premises", "ingest.sources.ookla"):  # imports are start-up, not work
            client.run(importlib.import_module, module)
        start_s = time.perf_counter() - tick
        start = time.perf_counter()
        speeds = premises.ward_speeds_dask(ookla.read_tiles_dask(folder), wards)
        seconds = time.perf_counter() - start
        worker_peaks = client.run(peak_rss_mb)
    return {
        "seconds": seconds,
        "cluster_start_s": start_s,
        "speeds": speeds,
        "worker_peak_mb": max(worker_peaks.values()),
        "peak_mb": peak_rss_mb(),
    }


def in_child(func, *args) -> dict:
    """Run ``func(*args)`` in a fresh process, so its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(func, *args).result()


def same(a: premises.WardSpeeds, b: premises.WardSpeeds) -> bool:
    """True when two results are equal to the last digit."""
    try:
        pd.testing.assert_frame_equal(a.wards, b.wards, check_exact=True)
        pd.testing.assert_series_equal(a.outside, b.outside, check_exact=True)
    except AssertionError:
        return False
    return True


def main() -> None:
    """Generate the files, run each path ``--repeat`` times in turn, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=25_000_000)
    parser.add_argument("--rows-per-file", type=int, default=1_250_000)
    parser.add_argument("--outside-share", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shared-data", type=Path, default=SHARED_DATA)
    args = parser.parse_args()
    wards_path = args.shared_data / NATIONAL
    load_before = os.getloadavg()
    paths = {  # label -> function and its arguments after the folder
        "pyarrow read, 5 columns (floor)": (pyarrow_floor,),
        "single machine, sequential": (single_machine, wards_path),
        "dask LocalCluster, 1 worker": (on_dask, wards_path, 1),
        "dask LocalCluster, 2 workers": (on_dask, wards_path, 2),
    }
    runs: dict[str, list[dict]] = {label: [] for label in paths}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = in_child(
            write_dataset, folder, wards_path, args.rows, args.rows_per_file, args.outside_share
        )
        for _ in range(args.repeat):  # in turn, so load from other work falls on every path
            for label, (func, *rest) in paths.items():
                runs[label].append(in_child(func, folder, *rest))
    load_after = os.getloadavg()

    floor, single, one, two = (runs[label] for label in paths)
    best = {label: min(r["seconds"] for r in results) for label, results in runs.items()}
    best_floor, best_single, best_one, best_two = best.values()
    rows = floor[0]["rows"]
    print(
        f"{rows:,} rows in {made['files']} Parquet files ({made['bytes'] / 1e9:.2f} GB, one row "
        f"group each), written in {made['seconds']:.0f} s (tile pools {made['pools_s']:.0f} s: "
        f"{made['pool_in_wards']:,} zoom-16 tiles in wards; peak {made['peak_mb']:,.0f} MB)"
    )
    print(
        f"{args.repeat} runs of each path in turn; load average before {load_before[0]:.2f}, "
        f"after {load_after[0]:.2f} (2 vCPUs)"
    )
    print(
        f"{'path':32} {'best s':>7} {'median s':>9} {'rows/s':>10} {'x pyarrow':>10} "
        f"{'x single':>9} {'peak RSS MB':>12}"
    )
    for label, results in runs.items():
        peak = max(r.get("worker_peak_mb", r["peak_mb"]) for r in results)
        seconds = best[label]
        print(
            f"{label:32} {seconds:7.1f} {np.median([r['seconds'] for r in results]):9.1f} "
            f"{rows / seconds:10,.0f} {seconds / best_floor:10.1f} "
            f"{best_single / seconds:9.2f} {peak:12,.0f}"
        )
    fastest = min(single, key=lambda r: r["seconds"])
    print(
        f"single machine (best run): reading and checking {fastest['read_s']:.1f} s, placing and "
        f"summing {fastest['sum_s']:.1f} s over {fastest['partitions']} partitions"
    )
    print(
        "dask, per worker process; cluster start and imports not counted: "
        f"{np.median([r['cluster_start_s'] for r in one]):.1f} s (1 worker), "
        f"{np.median([r['cluster_start_s'] for r in two]):.1f} s (2 workers); client process "
        f"peak {max(r['peak_mb'] for r in one + two):,.0f} MB"
    )
    speed_ups = [a["seconds"] / b["seconds"] for a, b in zip(one, two, strict=True)]
    print(
        f"2 workers vs 1 worker: {best_one / best_two:.2f}x (best runs); run by run "
        + ", ".join(f"{v:.2f}x" for v in speed_ups)
    )
    speeds = single[0]["speeds"]
    equal = all(same(speeds, r["speeds"]) for r in single + one + two)
    print(f"every run's result equal to the last digit: {equal}")
    conserved = (
        int(speeds.wards["tests"].sum() + speeds.outside["tests"]) == made["tests"]
        and int(speeds.outside["tests"]) == made["outside_tests"]
    )
    print(
        f"totals conserved (tests in wards + outside = generated, outside = generated "
        f"outside): {conserved}; outside every ward: {int(speeds.outside['tiles']):,} tiles, "
        f"{int(speeds.outside['tests']):,} tests"
    )


if __name__ == "__main__":
    main()
