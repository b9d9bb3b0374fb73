"""Command line: ``python -m ingest demo`` and ``python -m ingest build``.

Examples
--------
Build the synthetic demo place (what ``make run`` does on a fresh clone)::

    python -m ingest demo

Build a real local authority from files already on disk (no network needed)::

    python -m ingest build --la E08000009 --sources ~/Downloads/dim-sources
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest import build, demo, settings, web_assets
from ingest._errors import IngestError


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", type=Path, help="store folder (default data/store)")
    common.add_argument("--quiet", action="store_true", help="no progress output")
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo_cmd = commands.add_parser(
        "demo", parents=[common], help="generate the synthetic demo place and build it"
    )
    demo_cmd.add_argument(
        "--sources",
        type=Path,
        default=settings.PROJECT_ROOT / "data" / "demo_sources",
        help="where to write the generated demo source files",
    )
    demo_cmd.add_argument("--seed", type=int, default=demo.DEMO_SEED)
    build_cmd = commands.add_parser(
        "build", parents=[common], help="build one local authority from local files"
    )
    build_cmd.add_argument("--la", required=True, help="ONS local authority code, e.g. E08000009")
    build_cmd.add_argument("--sources", type=Path, required=True, help="folder of source files")
    commands.add_parser("assets", help="copy Leaflet into static/ so maps draw without a CDN")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "assets":
        print(f"Leaflet installed in {web_assets.install_leaflet()}")
        return 0
    store_dir = args.store or settings.store_dir()
    try:
        if args.command == "demo":
            demo.write_demo_sources(args.sources, seed=args.seed)
            place = build.build_place(
                demo.DEMO_LA_CODE, args.sources, store_dir=store_dir, synthetic=True,
                verbose=not args.quiet,
            )  # fmt: skip
        else:
            place = build.build_place(
                args.la, args.sources, store_dir=store_dir,
                verbose=not args.quiet,
            )  # fmt: skip
    except IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"store ready: {place}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
