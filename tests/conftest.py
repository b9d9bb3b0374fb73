"""Fixtures shared by all tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of real public files (``../shared/data``).

    Skipped with a reason on a user's machine that has no such folder; under CI (``CI`` set)
    its absence is a failure, so the real-format tests can never silently stop running.
    """
    folder = Path(os.environ.get("DIM_SHARED_DATA", SHARED_DATA))
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the real data folder {folder} is missing")
        pytest.skip(f"real public data folder {folder} not present (set DIM_SHARED_DATA)")
    return folder


@pytest.fixture(scope="session")
def demo_sources(tmp_path_factory) -> dict[str, Path]:
    """The demo place's source files, generated once per test session."""
    from ingest import demo

    return demo.write_demo_sources(tmp_path_factory.mktemp("demo_sources"))


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory, demo_sources) -> Path:
    """A store holding the demo place, built through the real parsers and joins."""
    from ingest import build, demo

    store = tmp_path_factory.mktemp("store")
    folder = demo_sources["wards"].parent
    build.build_place(demo.DEMO_LA_CODE, folder, store_dir=store, synthetic=True, verbose=False)
    return store


@pytest.fixture(scope="session")
def trafford_store(tmp_path_factory, shared_data) -> Path:
    """A store holding Trafford (E08000009), built once from the real files."""
    from ingest import build

    store = tmp_path_factory.mktemp("trafford_store")
    build.build_place("E08000009", shared_data, store_dir=store, verbose=False)
    return store
