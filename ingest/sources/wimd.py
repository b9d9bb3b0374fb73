"""Welsh Index of Multiple Deprivation 2019 (WIMD 2019), index and domain scores by LSOA 2011.

Where the data comes from
-------------------------
- Publisher: Welsh Government (gov.wales "Welsh Index of Multiple Deprivation (full Index
  update with ranks): 2019" and StatsWales), published 27 November 2019.
- Licence: Open Government Licence v3.0.
- Geography: the 1,909 Lower-layer Super Output Areas of Wales, **2011** boundaries
  (``W01`` codes), with local authority names (no codes).
- File read: "WIMD 2019 index and domain scores by small area" as CSV
  (``wimd-2019-index-and-domain-scores.csv``, UTF-8 with BOM; the third header is
  ``"Local Authority Name "`` with a trailing space, stripped on reading).

The values are **scores**, 0-100, higher = more deprived, rounded to one decimal place. The
eight domain scores are exponentially transformed domain ranks, so every domain has the same
set of values, only in a different order; the WIMD 2019 score is their weighted sum. The file
publishes no ranks: :func:`read_wimd` derives ``wimd_rank`` and ``wimd_decile`` from the WIMD
score (see its Notes). For the Welsh Government's official ranks use its "index and domain
ranks by small area" workbook.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ingest._errors import IngestError
from ingest._tables import (
    Release,
    raise_bad_cells,
    read_release_csv,
    require_unique,
    to_number,
)

SOURCE = "wimd"
#: Raise for bad cells of a column, naming the file, header, line and value.
_bad = partial(raise_bad_cells, source=SOURCE)
N_LSOAS = 1_909
LSOA_VINTAGE = 2011

RELEASES: tuple[Release, ...] = (
    Release(
        "WIMD 2019 scores",
        {
            "lsoa": "lsoa_code",
            "LSOA Name": "lsoa_name",
            # Published as "Local Authority Name " (trailing space); read_csv_text strips it.
            "Local Authority Name": "la_name",
            "WIMD 2019": "wimd_score",
            "Income": "income_score",
            "Employment": "employment_score",
            "Health": "health_score",
            "Education": "education_score",
            "Access to Services": "access_score",
            "Housing": "housing_score",
            "Community Safety": "community_safety_score",
            "Physical Environment": "physical_environment_score",
        },
        "WIMD 2019 (Welsh Government, November 2019) on 1,909 LSOAs (2011). Scores 0-100, "
        "higher = more deprived, rounded to 0.1; domain scores are exponentially transformed "
        "domain ranks.",
    ),
)

_DERIVED_NOTES = (
    "wimd_rank and wimd_decile are derived here, not published in this file: rank 1 = highest "
    "WIMD 2019 score among the 1,909 LSOAs; equal (rounded) scores share the best rank of their "
    "group (pandas rank method 'min'); decile = ceil(10 x rank / 1,909), 1 = most deprived 10%. "
    "The Welsh Government ranks unrounded scores, so a tied LSOA's official rank can be "
    "numerically larger than ours; taking the file's row order as the official order, by up to "
    "17 places, and 26 LSOAs fall in a different decile at decile boundaries."
)


def read_wimd(path: str | Path) -> pd.DataFrame:
    """Read the WIMD 2019 index and domain scores file and derive ranks and deciles for Wales.

    Parameters
    ----------
    path : str or Path
        ``wimd-2019-index-and-domain-scores.csv`` (all 1,909 Welsh LSOAs; the derived ranks
        need the whole of Wales, so an extract is refused).

    Returns
    -------
    pandas.DataFrame
        One row per Welsh LSOA (2011): ``lsoa_code``, ``lsoa_name``, ``la_name``,
        ``wimd_score``, ``wimd_rank`` (int, 1 = most deprived), ``wimd_decile`` (int,
        1 = most deprived 10%), and domain scores (0-100, higher = more deprived)
        ``income_score``, ``employment_score``, ``health_score``, ``education_score``,
        ``access_score``, ``housing_score``, ``community_safety_score``,
        ``physical_environment_score``. ``attrs``: ``release``, ``source_file``,
        ``lsoa_vintage`` (2011), ``notes``.

    Raises
    ------
    IngestError
        Unknown header set, a code that is not ``W01`` and 6 digits, a code on two rows, a score
        that is not a number from 0 to 100, or not exactly 1,909 LSOAs.

    Notes
    -----
    Ties: scores are published to one decimal place, so 1,777 of the 1,909 LSOAs share their
    score with another. Tied LSOAs get the same (best) rank and therefore the same decile; the
    publisher's row order, which follows the official ranking, is deliberately not used, so the
    result does not depend on how the file is sorted.

    Examples
    --------
    >>> wimd = read_wimd("wimd-2019-index-and-domain-scores.csv")  # doctest: +SKIP
    >>> wimd.nsmallest(1, "wimd_rank")["lsoa_name"]  # doctest: +SKIP
    """
    path = Path(path)
    frame, release, publisher = read_release_csv(path, RELEASES, source=SOURCE)

    out = pd.DataFrame(index=frame.index)
    for column in ("lsoa_code", "lsoa_name", "la_name"):
        out[column] = frame[column].str.strip()
    bad = ~out["lsoa_code"].str.fullmatch(r"W01\d{6}")
    if bad.any():
        _bad(frame, bad, "lsoa_code", publisher, path, "a Welsh LSOA code: 'W01' and 6 digits")
    for column in frame.columns.drop(["lsoa_code", "lsoa_name", "la_name"]):
        values = to_number(
            frame, column, path=path, source=SOURCE, kind="float", header=publisher[column]
        )
        bad = (values < 0) | (values > 100)
        if bad.any():
            _bad(frame, bad, column, publisher, path, "a score from 0 to 100")
        out[column] = values
    require_unique(out, "lsoa_code", path=path, source=SOURCE)
    if len(out) != N_LSOAS:
        raise IngestError(
            f"{SOURCE}: {path.name} has {len(out):,} LSOAs; WIMD 2019 ranks all {N_LSOAS:,} "
            "Welsh LSOAs and the ranks derived here need every one of them. Use the complete "
            "file from the Welsh Government, not an extract."
        )

    rank = out["wimd_score"].rank(method="min", ascending=False).astype("int64")
    out.insert(4, "wimd_rank", rank)
    out.insert(5, "wimd_decile", np.ceil(rank * 10 / N_LSOAS).astype("int64"))
    out.attrs = {
        "release": release.name,
        "source_file": path.name,
        "lsoa_vintage": LSOA_VINTAGE,
        "notes": f"{release.notes} {_DERIVED_NOTES}",
    }
    return out
