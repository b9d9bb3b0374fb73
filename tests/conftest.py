"""Fixtures shared by all tests."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest
from http_server import LOCALHOST

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

# Builds read a place's Ofcom API cache under DIM_CACHE: a user's own must never reach a test.
os.environ["DIM_CACHE"] = tempfile.mkdtemp(prefix="dim-test-cache-")
os.environ.pop("OFCOM_API_KEY", None)
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


@pytest.fixture
def app(demo_store, monkeypatch):
    """The app on the demo store, run once and free of exceptions (Streamlit's AppTest)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DIM_STORE", str(demo_store))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="session")
def trafford_store(tmp_path_factory, shared_data) -> Path:
    """A store holding Trafford (E08000009), built once from the real files."""
    from ingest import build

    store = tmp_path_factory.mktemp("trafford_store")
    build.build_place("E08000009", shared_data, store_dir=store, verbose=False)
    return store


@pytest.fixture
def only_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything tries to resolve or reach a host other than 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if host not in (LOCALHOST, LOCALHOST.encode()):
            raise OSError(f"test tried to reach {host!r}; only {LOCALHOST} is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
