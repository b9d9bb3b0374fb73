"""Argument checks shared by the pure functions of ``geo``: clear errors before any work."""

from __future__ import annotations

import pandas as pd


def require_columns(
    frame: pd.DataFrame, columns: list[str], *, argument: str, hint: str = ""
) -> None:
    """Raise when ``frame`` lacks any of ``columns``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The argument to check.
    columns : list of str
        Columns the function needs.
    argument : str
        The argument's name, for the message.
    hint : str, default ""
        A sentence appended to the message (what to pass instead).

    Raises
    ------
    ValueError
        Naming the missing columns, the columns found and those expected.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{argument} has no column(s) {missing} (found: {list(frame.columns)}); "
            f"expected {columns}.{hint}"
        )
