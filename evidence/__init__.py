"""Evidence packs for lobbying: a PDF report and the ward data of one place, from the store.

One command from the shell::

    python -m evidence --la E08000009 --out packs/trafford

and in the app, :func:`build_pack` then :func:`render_pdf` (PDF bytes) or :func:`zip_bytes`
(the whole pack) for ``st.download_button``; :func:`place_trend` and :func:`trend_chart` give
the change across Ofcom releases as a table and a matplotlib figure; :func:`map_image` one
indicator's ward map at slide size (PNG or SVG) with its attributions. With a BDUK premises
file in the build the pack also holds the lobbying tables of :mod:`evidence.plans`: premises
with no gigabit and no plan by ward and by Westminster constituency, and what changed since
the last BDUK release.
"""

from __future__ import annotations

from evidence.charts import map_image, trend_chart
from evidence.figures import (
    MAPPABLE,
    EvidenceError,
    EvidencePack,
    PlanTables,
    assemble,
    attributions,
    export_table,
    place_trend,
)
from evidence.pack import (
    Place,
    build_pack,
    csv_bytes,
    read_place,
    resolve_place,
    ward_csv,
    write_pack,
    zip_bytes,
)
from evidence.pdf import render_pdf
from evidence.view import ViewState

__all__ = [
    "MAPPABLE",
    "EvidenceError",
    "EvidencePack",
    "Place",
    "PlanTables",
    "ViewState",
    "assemble",
    "attributions",
    "build_pack",
    "csv_bytes",
    "export_table",
    "map_image",
    "place_trend",
    "read_place",
    "render_pdf",
    "resolve_place",
    "trend_chart",
    "ward_csv",
    "write_pack",
    "zip_bytes",
]
