"""The rendered page in a real browser: Playwright driving Debian's Chromium (never downloaded)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ingest import demo, store, web_assets

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as answer:
                assert answer.read() == b"ok"
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="module")
def server(demo_store):
    """``streamlit run app.py`` on 127.0.0.1, from the project folder (its .streamlit config)."""
    web_assets.install_leaflet()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=ROOT,
        env={**os.environ, "DIM_STORE": str(demo_store)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_healthy(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_health_endpoint_answers(server):
    with urllib.request.urlopen(f"{server}/_stcore/health") as answer:
        assert answer.read() == b"ok"


def test_map_draws_every_ward_and_a_click_opens_its_card(server, demo_store):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} is missing (.ci/run installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    table = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    wards = len(table)
    names = dict(zip(table["ward_code"], table["ward_name"], strict=True))
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server)
        polygons = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(
            "path.leaflet-interactive"
        )
        polygons.first.wait_for(timeout=60_000)
        assert polygons.count() == wards
        assert page.get_by_text("Synthetic demo data").is_visible()
        # clicking a ward opens its card, named as in the store
        polygons.nth(wards // 2).click()
        card = page.get_by_role("heading", name=re.compile(r"\(E05999\d{3}\)"))
        card.wait_for(timeout=30_000)
        code = re.search(r"E05999\d{3}", card.inner_text()).group(0)
        assert card.inner_text().startswith(names[code])
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "demo_map.png", full_page=True)
        browser.close()


def _settled(page) -> None:
    """Wait until Streamlit has finished the rerun: script not running, no stale output."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=60_000,
    )
    page.wait_for_timeout(300)


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _move(page, label: str, presses: int) -> None:
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    for _ in range(abs(presses)):
        slider.press("ArrowRight" if presses > 0 else "ArrowLeft")
    _settled(page)


def test_the_downloaded_pdf_and_csv_state_the_figures_on_the_screen(server, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} is missing (.ci/run installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")

    import pandas as pd
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(server)
        page.get_by_text("Residents in priority wards").wait_for(timeout=60_000)
        _settled(page)
        start = int(page.get_by_role("slider", name="Priority wards: the highest-risk")
                    .get_attribute("value"))  # fmt: skip
        _move(page, "Priority wards: the highest-risk", 8 - start)
        page.wait_for_url(re.compile(r"top=8"), timeout=30_000)
        page.get_by_text("Risk index weights (0 leaves a figure out)").click()
        page.get_by_role("slider", name="Weight of demography").wait_for(timeout=30_000)
        before = _metric(page, "Residents in priority wards")
        _move(page, "Weight of demography", 4)  # 5 -> 9: custom weights
        page.wait_for_url(re.compile(r"weights=.*top=8"), timeout=30_000)
        _settled(page)
        assert _metric(page, "Residents in priority wards") != before  # the weights moved it
        residents = _metric(page, "Residents in priority wards")
        older = _metric(page, "Residents 65+ in priority wards")
        with page.expect_download(timeout=120_000) as pdf_download:
            page.get_by_role("button", name="Evidence pack (PDF)").click()
        pdf = PdfReader(pdf_download.value.path())
        with page.expect_download(timeout=60_000) as csv_download:
            page.get_by_role("button", name="Ward table (CSV, as in the pack)").click()
        table = pd.read_csv(csv_download.value.path(), encoding="utf-8-sig")
        browser.close()
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Priority wards: the 8 with the highest risk index." in text
    assert "the weights chosen on screen" in text
    assert f"They hold {residents} residents, {older} of them aged 65 or over." in text
    priority = table[table["Priority ward (yes/no)"] == "yes"]
    assert len(priority) == 8
    assert f"{int(priority['Residents (people)'].sum()):,}" == residents
    assert f"{int(priority['Residents aged 65+ (people)'].sum()):,}" == older
