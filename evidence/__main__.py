r"""Command line: write the evidence pack of one place into a folder.

Examples
--------
The whole authority, mapping the default indicator::

    python -m evidence --la E08000009 --out packs/trafford

Three wards, mapping residents aged 65 and over, from another store::

    python -m evidence --la Trafford --store /data/store --out packs/north \\
        --indicator pct_residents_65_plus --wards E05000819 E05000820 E05000821
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from evidence.figures import EvidenceError
from evidence.pack import build_pack, resolve_place, write_pack
from evidence.view import ViewState
from ingest._errors import IngestError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evidence", description=__doc__.split("\n")[0])
    parser.add_argument("--la", required=True, help="local authority code or name in the store")
    parser.add_argument("--store", type=Path, help="store folder (default data/store, DIM_STORE)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pack into")
    parser.add_argument("--indicator", help="indicator to map, e.g. pct_premises_without_gigabit")
    parser.add_argument("--wards", nargs="+", metavar="CODE", help="ward codes (default: all)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code (2 for a bad request)."""
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    try:
        code = resolve_place(args.la, store_dir=args.store)
        view = ViewState(code, selection=tuple(args.wards or ()))
        if args.indicator:
            view = replace(view, indicator=args.indicator)
        pack = build_pack(code, store_dir=args.store, view=view)
    except (EvidenceError, IngestError) as exc:
        print(f"evidence: {exc}", file=sys.stderr)
        return 2
    paths = write_pack(pack, args.out)
    if not args.quiet:
        for path in paths:
            print(path)
        print(f"evidence pack of {pack.la_name} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
