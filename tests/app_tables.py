"""Reading the app's tables in Streamlit's AppTest as the page shows them."""

from __future__ import annotations

import json

import pandas as pd


def labelled(element) -> pd.DataFrame:
    """A table as the page shows it: its columns under the headings of its column config."""
    config = json.loads(element.proto.columns or "{}")
    frame = element.value
    return frame.rename(
        columns={c: config[c]["label"] for c in frame if "label" in config.get(c, {})}
    )
