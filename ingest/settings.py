"""Settings read at call time: where the store and the download cache live, HTTP limits.

Each setting can be overridden with an environment variable, so a council can point the tool
at a shared drive without editing code.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: Seconds to wait for a server to answer (connect, read) before retrying.
HTTP_TIMEOUT = (10.0, 60.0)
#: Attempts per download before giving up.
HTTP_RETRIES = 4
#: First back-off between attempts, in seconds; doubled each retry.
HTTP_BACKOFF = 1.0


def store_dir() -> Path:
    """Folder of the processed store (``DIM_STORE``, default ``data/store``)."""
    return Path(os.environ.get("DIM_STORE", PROJECT_ROOT / "data" / "store"))


def cache_dir() -> Path:
    """Folder where downloads are cached (``DIM_CACHE``, default ``data/cache``)."""
    return Path(os.environ.get("DIM_CACHE", PROJECT_ROOT / "data" / "cache"))
