"""Rank sensitivity of the ward card: one scaling per indicator against the naive recomputation.

Run from the project root::

    python bench/rank_sensitivity.py [--shared-data ../shared/data] [--repeat 3]

``geo.index.rank_sensitivity`` moves every weight by 2, one at a time, and ranks the wards
again. Measured in one run, median of ``--repeat``, on the demo place (28 wards, generated and
built into a temporary store) and on Trafford (21 wards, built from ``--shared-data`` when the
folder is there), for both weightings of ``geo.index.PRESETS``:

- naive: ``compute_index`` from scratch for each changed weighting (the code before issue 16);
- ours: ``rank_sensitivity``, which scales each indicator once for every weighting and skips
  the changes of a figure with no value (they cannot move a rank).

Both must give the same ranks (checked here, and in tests/test_index.py). Target (issue 16):
a ward click, which shows the ward's rank range, settles in the browser within 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from geo import index
from ingest import build, demo, store


def naive(wards: pd.DataFrame, spec: index.IndexSpec) -> dict[str, pd.Series]:
    """Ranks of every one-weight change, each from ``compute_index`` from scratch."""
    out = {}
    for label, _, changed in index._one_weight_changes(spec, 2):
        try:
            out[label] = index.compute_index(wards, changed)["risk_rank"]
        except index.EmptyIndexError:
            continue
    return out


def timed(call, repeat: int) -> float:
    """Median wall time of ``call()`` over ``repeat`` runs, seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Build the places, time both ways, check they agree, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sensitivity-"))
    places = {"Demoshire": (demo.DEMO_LA_CODE, tmp / "demo")}
    sources = demo.write_demo_sources(tmp / "demo_sources")
    build.build_place(
        demo.DEMO_LA_CODE, sources["wards"].parent, store_dir=tmp / "demo", synthetic=True,
        verbose=False,
    )  # fmt: skip
    if args.shared_data.is_dir():
        build.build_place("E08000009", args.shared_data, store_dir=tmp / "trafford", verbose=False)
        places["Trafford"] = ("E08000009", tmp / "trafford")
    print(f"{'place':10} {'weighting':8} {'changes':>7} {'naive s':>8} {'ours s':>7} {'ratio':>6}")
    for place, (code, folder) in places.items():
        wards = store.read_wards(code, store=folder)
        for key, preset in index.PRESETS.items():
            ours = index.rank_sensitivity(wards, preset.spec)
            slow = naive(wards, preset.spec)
            every = pd.concat(
                [index.compute_index(wards, preset.spec)["risk_rank"], *slow.values()], axis=1
            ).astype(float)
            assert ours["rank_best"].astype(float).equals(every.min(axis=1)), place
            assert ours["rank_worst"].astype(float).equals(every.max(axis=1)), place
            t_naive = timed(lambda s=preset.spec, w=wards: naive(w, s), args.repeat)
            t_ours = timed(lambda s=preset.spec, w=wards: index.rank_sensitivity(w, s), args.repeat)
            print(
                f"{place:10} {key:8} {len(slow):>7} {t_naive:>8.2f} {t_ours:>7.2f} "
                f"{t_naive / t_ours:>5.1f}x"
            )


if __name__ == "__main__":
    main()
