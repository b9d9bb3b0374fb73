"""App speed in a real browser: from a user's action to the page being settled (issue 16).

Run from the project root::

    python bench/app_speed.py [--repeat 5] [--shared-data ../shared/data] [--ref <commit>]

Without ``--ref`` the app, the build and the server run from the working tree as it is; with
``--ref`` they run from ``git archive <commit>`` unpacked into a temporary folder (the same
venv), so a commit can be measured while the working tree is being changed.

Cases, each with its own temporary store holding one place and its own server:

- the demo place (``python -m ingest demo``, 28 synthetic wards);
- Trafford (E08000009), built from ``--shared-data`` (``ingest.build.build_place``, about a
  minute) when that folder exists.

Each case runs ``streamlit run app.py --server.headless true`` on 127.0.0.1 with
``DIM_STORE`` set to its store, and drives Debian's Chromium (``/usr/bin/chromium``) with
Playwright, viewport 1400 x 1000. Measured, ``--repeat`` times each (median and max):

- first load, cold: a freshly started server (``/_stcore/health`` answering), a new browser
  context, ``page.goto`` -> settled. Each repeat starts a new server;
- first load, warm: the last cold server kept running, the page already loaded once in
  another context; a new context (empty browser cache) each repeat, ``page.goto`` -> settled;
- weight slider: the slider "Weight of demography" (in the expander "Risk index
  weights") focused, then ArrowRight (ArrowLeft on the next repeat) -> settled;
- indicator: the "Indicator" selectbox opened (not timed), then a click on another option
  (alternately the second and the first) -> settled;
- ward click: a mouse click at a point inside one ward's polygon on the map (a point where
  ``elementFromPoint`` is that polygon), a different ward each repeat -> settled;
- postcode: a demo/real postcode of a ward other than the one selected typed into "Find a
  postcode" (not timed), then Enter -> settled.

"Settled" (checked by one ``page.evaluate`` every ~20 ms) is all of:

1. the app is not running: ``[data-testid="stApp"]`` has ``data-test-script-state`` =
   ``notRunning``, no ``[data-testid="stStatusWidget"]`` is shown and no element is marked
   stale (``[data-stale="true"]``, Streamlit's dimmed output of a run in progress);
2. exactly one map iframe (``iframe[title="streamlit_folium.st_folium"]``) and it holds at
   least as many ``path.leaflet-interactive`` as the place has wards (more when a selected
   ward or not-spot outlines are drawn on top);
3. what the action should change has changed: the URL's ``weights`` parameter differs from
   before the action (weight), a table column header reads the new indicator's label
   (indicator), a heading ends with ``(<ward code>)`` of the ward clicked or of the postcode's
   ward (ward click, postcode), nothing more for a first load;

and it has held for ``--quiet`` seconds (default 0.25) without a break: the time reported is
when that final unbroken spell began, so a map iframe replaced after the run ends (streamlit
-folium mounts a new iframe whenever the map's HTML changes) is waited for. The clock is
``time.perf_counter`` from just before the action's Playwright call. Also printed per action:
the time until the browser saw the script running, until it saw it finish, and in how many
repeats the map iframe was replaced (a mark set in the iframe's window before the action was
gone afterwards).

Server-side script time: the same actions through ``streamlit.testing.v1.AppTest`` in a
subprocess on the same store (``at.run()`` wall time, median of ``--repeat``; the ward click
as the ward selectbox set to the ward, which is what the click's callback does), and cProfile
of one weight-change rerun with no ward selected and one with a ward card open, top 15 by
cumulative time (``--no-profile`` skips the AppTest part).

Targets (issue 16): each action <= 0.3 s; first load <= 3 s warm, <= 5 s cold. PASS means
the median meets the target. "before" is a user's measurement before any work (weight slider
0.7-0.8 s, ward click 1.0 s, postcode 0.7-1.6 s, cold first load 7.7 s; their midpoints are
used), printed as now / before. If a selector matches nothing within ``--timeout`` seconds the
script says which one (keys of ``SELECTORS``) and goes on with the next action. The exit code
is 0 either way (the numbers are copied into BENCHMARKS.md by hand).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 1000}
SHARED_DATA = ROOT.parent / "shared" / "data"
DEMO = "E08999999"
TRAFFORD = "E08000009"
PACKAGES = ("streamlit", "streamlit-folium", "playwright")

#: Every way the script finds something in the page (or the app, for AppTest). Widgets by
#: their label text; update here when the app's labels change.
SELECTORS: dict[str, str] = {
    # Streamlit's own markers (CSS)
    "app": '[data-testid="stApp"]',
    "status_widget": '[data-testid="stStatusWidget"]',
    "stale": '[data-stale="true"]',
    # the map (CSS in the page, then in the map's iframe)
    "map_iframe": 'iframe[title="streamlit_folium.st_folium"]',
    "polygon": "path.leaflet-interactive",
    # widgets, by label (Playwright get_by_role / get_by_text)
    "indicator": "Indicator",  # combobox
    "weights_expander": "Risk index weights (0 leaves a figure out)",  # text of its summary
    "weight_slider": "Weight of demography",  # slider (Trafford has no infrastructure figure)
    "postcode": "Find a postcode",  # textbox
    # what an action changes
    "weights_param": "weights",  # URL query parameter holding the weights
    "column_header": '[role="columnheader"]',  # st.dataframe's accessible table headers
    "heading": "h1, h2, h3, h4, h5, h6",
    # AppTest (server-side times): widget keys
    "apptest_slider_key": "w:default:demography",
    "apptest_indicator_key": "indicator",
    "apptest_ward_key": "ward",
    "apptest_postcode_key": "postcode",
}

WEIGHT, INDICATOR, CLICK, POSTCODE = "weight slider", "indicator", "ward click", "postcode"
COLD, WARM = "first load cold", "first load warm"
ACTIONS = [COLD, WARM, WEIGHT, INDICATOR, CLICK, POSTCODE]
TARGETS = {COLD: 5.0, WARM: 3.0, WEIGHT: 0.3, INDICATOR: 0.3, CLICK: 0.3, POSTCODE: 0.3}
#: A user's measurements before any work (midpoints of the ranges given); None: not measured.
BEFORE: dict[str, float | None] = {
    COLD: 7.7,
    WARM: None,
    WEIGHT: 0.75,
    INDICATOR: None,
    CLICK: 1.0,
    POSTCODE: 1.15,
}

#: One look at the page: whether the app is settled, and what the action should change.
PROBE_JS = """([sel, minPolygons, check]) => {
  const app = document.querySelector(sel.app);
  const state = app ? app.getAttribute('data-test-script-state') : null;
  const status = Array.from(document.querySelectorAll(sel.status_widget))
    .some(e => e.getClientRects().length > 0);
  const stale = document.querySelectorAll(sel.stale).length;
  const frames = document.querySelectorAll(sel.map_iframe);
  let polygons = -1, mark = null;
  if (frames.length === 1) {
    const doc = frames[0].contentDocument;
    polygons = doc ? doc.querySelectorAll(sel.polygon).length : -1;
    mark = frames[0].contentWindow ? (frames[0].contentWindow.__benchMark ?? null) : null;
  }
  let changed = true;
  if (check.kind === 'param') {
    const now = new URLSearchParams(location.search).get(check.param);
    changed = now !== check.before;  // back at the weighting's own values it leaves the link
  } else if (check.kind === 'header') {
    changed = Array.from(document.querySelectorAll(sel.column_header))
      .some(e => e.textContent.trim() === check.text);
  } else if (check.kind === 'heading') {
    changed = Array.from(document.querySelectorAll(sel.heading))
      .some(e => e.textContent.trim().endsWith('(' + check.code + ')'));
  }
  const settled = state === 'notRunning' && !status && stale === 0 && frames.length === 1
    && polygons >= minPolygons && changed;
  return {state, status, stale, frames: frames.length, polygons, mark, changed, settled};
}"""

#: Ward code -> a point (page coordinates) inside that ward's polygon, for every drawn ward.
WARD_POINTS_JS = """(iframe) => {
  const win = iframe.contentWindow, doc = iframe.contentDocument;
  const box = iframe.getBoundingClientRect();
  const out = {};
  if (!win || !win.map) return out;
  for (const layer of Object.values(win.map._layers)) {
    const path = layer._path, code = layer.feature && layer.feature.properties
      && layer.feature.properties.ward_code;
    if (!path || !code) continue;
    const r = path.getBoundingClientRect(), hits = [];
    for (let i = 1; i < 16; i++) for (let j = 1; j < 16; j++) {
      const x = r.left + r.width * i / 16, y = r.top + r.height * j / 16;
      if (x < 0 || y < 0 || x > doc.documentElement.clientWidth
          || y > doc.documentElement.clientHeight) continue;
      if (doc.elementFromPoint(x, y) === path) hits.push([x, y]);
    }
    if (!hits.length) continue;
    const cx = hits.reduce((s, p) => s + p[0], 0) / hits.length;
    const cy = hits.reduce((s, p) => s + p[1], 0) / hits.length;
    hits.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
    out[code] = [box.left + hits[0][0], box.top + hits[0][1]];
  }
  return out;
}"""


class UnmatchedError(Exception):
    """A selector of SELECTORS matched nothing in time."""


class NotSettledError(Exception):
    """The page did not settle in time."""


@dataclass
class Sample:
    """One timed action: seconds to settled, and what the browser saw on the way."""

    settled_s: float
    running_s: float | None  # first poll seeing the script running (or rerun requested)
    finished_s: float | None  # first poll seeing it not running after that
    map_replaced: bool


@dataclass
class Measured:
    """All repeats of one action in one case, or why it could not be measured."""

    samples: list[Sample] = field(default_factory=list)
    error: str | None = None


@dataclass
class Place:
    """A place built into its own store, as the app will see it."""

    name: str
    la_code: str
    store: Path
    wards: list[tuple[str, str]]  # (code, name)
    postcodes: list[tuple[str, str]]  # (postcode, ward code), one or more per ward


@dataclass
class Case:
    place: Place
    results: dict[str, Measured] = field(default_factory=dict)
    server_start_s: list[float] = field(default_factory=list)
    apptest: dict[str, Any] = field(default_factory=dict)
    console: dict[str, int] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)  # 1-minute load average, every 5 s


# ---- the app's folder, the builds, the server -------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def app_folder(ref: str | None, tmp: Path) -> tuple[Path, str]:
    """The folder to run the app from, and a label for it (a short commit)."""
    if ref is None:
        label = git("rev-parse", "--short", "HEAD")
        if git("status", "--porcelain", "--", "app.py", "geo", "ingest", "evidence", ".streamlit"):
            label += " + uncommitted changes of the working tree"
        return ROOT, label
    label = git("rev-parse", "--short", ref)
    folder = tmp / f"app_{label}"
    folder.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, check=True, capture_output=True
    ).stdout
    archive_path = tmp / "app.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(folder, filter="data")
    return folder, f"{label} (git archive)"


def run_python(app_dir: Path, code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``code`` with the venv's Python in ``app_dir`` (its modules first on sys.path)."""
    done = subprocess.run(
        [PYTHON, "-c", code, *args],
        cwd=app_dir,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"python -c failed in {app_dir}:\n{done.stderr[-3000:]}")
    return done.stdout


PLACE_INFO = """
import json, sys
from pathlib import Path
from ingest import store
la, folder = sys.argv[1], Path(sys.argv[2])
wards = store.read_wards(la, store=folder)
codes = dict(zip(wards["ward_code"], wards["ward_name"]))
pcs = store.read_table(la, "postcodes", store=folder)
pcs = pcs[pcs["ward_code"].isin(list(codes))]
picked = pcs.groupby("ward_code", sort=True).head(1)
print(json.dumps({"wards": list(codes.items()),
                  "postcodes": list(zip(picked["postcode"], picked["ward_code"]))}))
"""

BUILD_TRAFFORD = """
import sys
from pathlib import Path
from ingest import build
build.build_place(sys.argv[1], Path(sys.argv[2]), store_dir=Path(sys.argv[3]), verbose=False)
"""


def build_place(app_dir: Path, name: str, la_code: str, tmp: Path, shared: Path) -> Place:
    folder = tmp / f"store_{la_code}"
    if la_code == DEMO:
        subprocess.run(
            [PYTHON, "-m", "ingest", "demo", "--store", str(folder), "--quiet",
             "--sources", str(tmp / "demo_sources")],
            cwd=app_dir, check=True, capture_output=True,
        )  # fmt: skip
    else:
        run_python(app_dir, BUILD_TRAFFORD, la_code, str(shared), str(folder))
    info = json.loads(run_python(app_dir, PLACE_INFO, la_code, str(folder)))
    return Place(
        name,
        la_code,
        folder,
        [tuple(w) for w in info["wards"]],
        [tuple(p) for p in info["postcodes"]],
    )


def ensure_leaflet(app_dir: Path) -> None:
    """Leaflet in the app folder's static/ (what ``make`` does), if it is not there yet."""
    if not (app_dir / "static" / "leaflet" / "leaflet.js").is_file():
        run_python(app_dir, "from ingest import web_assets; web_assets.install_leaflet()")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(app_dir: Path, store: Path, timeout: float) -> Iterator[tuple[str, float]]:
    """``streamlit run app.py`` on a free port: its address and seconds until healthy."""
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [PYTHON, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=app_dir,
        env={**os.environ, "DIM_STORE": str(store)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = start + 2 * timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("streamlit exited before /_stcore/health") from None
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"streamlit not healthy in {2 * timeout:.0f} s") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", time.perf_counter() - start
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- the page ------------------------------------------------------------------------------


def new_page(browser: Browser, console: dict[str, int]) -> Page:
    """A page in a new context (empty cache), counting console errors into ``console``."""
    page = browser.new_context(viewport=VIEWPORT).new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            text = message.text
            if "ERR_NAME_NOT_RESOLVED" in text or "ERR_INTERNET_DISCONNECTED" in text:
                text = "Failed to load resource (no internet: basemap tiles)"
            console[text[:160]] = console.get(text[:160], 0) + 1

    page.on("console", on_console)

    def on_error(error: Any) -> None:
        text = f"page error: {error}"[:160]
        console[text] = console.get(text, 0) + 1

    page.on("pageerror", on_error)
    return page


def wait_settled(
    page: Page, start: float, min_polygons: int, check: dict[str, Any], timeout: float, quiet: float
) -> Sample:
    """Poll until settled for ``quiet`` s; seconds are counted from ``start``."""
    spell = running = finished = None
    last: dict[str, Any] = {}
    mark = None
    while True:
        now = time.perf_counter()
        try:
            last = page.evaluate(PROBE_JS, [SELECTORS, min_polygons, check])
        except Exception as exc:  # a page navigating or an iframe swapping
            last = {"settled": False, "error": str(exc)[:100]}
        if last.get("state") in ("running", "rerunRequested") and running is None:
            running = now - start
        if running is not None and finished is None and last.get("state") == "notRunning":
            finished = now - start
        if last.get("settled"):
            if spell is None:
                spell, mark = now, last.get("mark")
            if now - spell >= quiet:
                return Sample(spell - start, running, finished, mark is None)
        else:
            spell = None
        if now - start > timeout:
            raise NotSettledError(f"not settled in {timeout:.0f} s; last look: {last}")
        page.wait_for_timeout(20)


def found(page: Page, key: str, locate: Callable[[Page], Any], timeout: float) -> Any:
    """The locator ``locate`` makes, once visible; if none is, an error naming the selector."""
    locator = locate(page)
    try:
        locator.first.wait_for(state="visible", timeout=timeout * 1000)
    except PlaywrightTimeout:
        raise UnmatchedError(f"selector {key!r} ({SELECTORS[key]!r}) matched nothing") from None
    return locator.first


def mark_map(page: Page) -> None:
    """Set a mark in the map iframe's window: gone afterwards if the iframe was replaced."""
    page.evaluate(
        "(sel) => { for (const f of document.querySelectorAll(sel)) "
        "if (f.contentWindow) f.contentWindow.__benchMark = 1; }",
        SELECTORS["map_iframe"],
    )


def param(page: Page, name: str) -> str | None:
    return page.evaluate("(n) => new URLSearchParams(location.search).get(n)", name)


def weight_changes(page: Page, place: Place, repeat: int, timeout: float, quiet: float) -> Measured:
    out = Measured()
    expander = found(
        page, "weights_expander", lambda p: p.get_by_text(SELECTORS["weights_expander"]), timeout
    )
    # not exact: the slider's accessible name repeats its label (aria-labelledby names both
    # the thumb and the slider group, each aria-labelled with the label)
    slider_of = lambda p: p.get_by_role("slider", name=SELECTORS["weight_slider"])  # noqa: E731
    if not slider_of(page).first.is_visible():
        expander.click()
    slider = found(page, "weight_slider", slider_of, timeout)
    for i in range(repeat):
        before = param(page, SELECTORS["weights_param"])
        check = {"kind": "param", "param": SELECTORS["weights_param"], "before": before}
        mark_map(page)
        slider.focus()
        start = time.perf_counter()
        slider.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        out.samples.append(wait_settled(page, start, len(place.wards), check, timeout, quiet))
    return out


def indicator_changes(
    page: Page, place: Place, repeat: int, timeout: float, quiet: float
) -> Measured:
    out = Measured()
    for i in range(repeat):
        box = found(
            page,
            "indicator",
            lambda p: p.get_by_role("combobox", name=SELECTORS["indicator"], exact=True),
            timeout,
        )
        options = page.get_by_role("option")
        for _ in range(3):  # a click can land while the list closes: open it again
            box.click()
            try:
                options.nth(1).wait_for(state="visible", timeout=timeout * 1000 / 3)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
        else:
            raise UnmatchedError("the 'indicator' selectbox opened no list of 2+ options")
        option = options.nth(1 if i % 2 == 0 else 0)
        label = option.inner_text().strip()
        mark_map(page)
        start = time.perf_counter()
        option.click()
        check = {"kind": "header", "text": label}
        out.samples.append(wait_settled(page, start, len(place.wards), check, timeout, quiet))
    return out


def selected_ward(page: Page, place: Place) -> str | None:
    headings = page.locator(SELECTORS["heading"]).all_inner_texts()
    codes = {code for code, _ in place.wards}
    for text in headings:
        m = re.search(r"\(([EWSN]\d{8})\)\s*$", text.strip())
        if m and m.group(1) in codes:
            return m.group(1)
    return None


def ward_clicks(page: Page, place: Place, repeat: int, timeout: float, quiet: float) -> Measured:
    out = Measured()
    iframe = found(page, "map_iframe", lambda p: p.locator(SELECTORS["map_iframe"]), timeout)
    for i in range(repeat):
        iframe = page.locator(SELECTORS["map_iframe"]).first
        iframe.scroll_into_view_if_needed()
        points = iframe.evaluate(WARD_POINTS_JS)
        if not points:
            raise UnmatchedError("no ward polygon could be clicked in the 'map_iframe'")
        current = selected_ward(page, place)
        choices = [code for code, _ in place.wards if code in points and code != current]
        code = choices[(i * 7) % len(choices)]  # spread over the map
        x, y = points[code]
        mark_map(page)
        start = time.perf_counter()
        page.mouse.click(x, y)
        check = {"kind": "heading", "code": code}
        out.samples.append(wait_settled(page, start, len(place.wards), check, timeout, quiet))
    return out


def postcode_searches(
    page: Page, place: Place, repeat: int, timeout: float, quiet: float
) -> Measured:
    out = Measured()
    box = found(
        page,
        "postcode",
        lambda p: p.get_by_role("textbox", name=SELECTORS["postcode"], exact=True),
        timeout,
    )
    for i in range(repeat):
        current = selected_ward(page, place)
        choices = [(pc, ward) for pc, ward in place.postcodes if ward != current]
        postcode, ward = choices[(i * 5) % len(choices)]
        box.fill(postcode)
        mark_map(page)
        start = time.perf_counter()
        box.press("Enter")
        check = {"kind": "heading", "code": ward}
        out.samples.append(wait_settled(page, start, len(place.wards), check, timeout, quiet))
    return out


def attempt(case: Case, action: str, run: Callable[[], Measured]) -> None:
    """Measure one action, keeping the reason if it could not be."""
    try:
        case.results[action] = run()
    except (UnmatchedError, NotSettledError, PlaywrightTimeout) as exc:
        case.results[action] = Measured(error=f"{type(exc).__name__}: {exc}"[:400])
        print(f"  {case.place.name}, {action}: {case.results[action].error}", file=sys.stderr)


def measure_browser(
    pw: Playwright, case: Case, app_dir: Path, repeat: int, timeout: float, quiet: float
) -> None:
    """Cold loads (a new server each), then on the last server warm loads and the actions."""
    place = case.place
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def one_load(url: str, measured: Measured) -> Page | None:
        page = new_page(browser, case.console)
        try:
            start = time.perf_counter()
            page.goto(url, wait_until="commit", timeout=timeout * 2000)
            check = {"kind": "none"}
            measured.samples.append(
                wait_settled(page, start, len(place.wards), check, timeout * 2, quiet)
            )
            return page
        except (NotSettledError, PlaywrightTimeout) as exc:
            measured.error = f"{type(exc).__name__}: {exc}"[:400]
            print(f"  {place.name}, first load: {measured.error}", file=sys.stderr)
            page.context.close()
            return None

    cold, warm = Measured(), Measured()
    case.results[COLD], case.results[WARM] = cold, warm
    try:
        for i in range(repeat):
            with server(app_dir, place.store, timeout) as (url, started):
                case.server_start_s.append(started)
                page = one_load(url, cold)
                if page is not None:
                    page.context.close()
                if i < repeat - 1:
                    continue
                # the page has loaded once on this server, in another context: warm from here
                for _ in range(repeat):
                    page = one_load(url, warm)
                    if page is not None:
                        page.context.close()
                page = one_load(url, Measured())
                if page is None:
                    return
                for action, run in (
                    (WEIGHT, weight_changes),
                    (INDICATOR, indicator_changes),
                    (CLICK, ward_clicks),
                    (POSTCODE, postcode_searches),
                ):
                    measure = lambda run=run, page=page: run(page, place, repeat, timeout, quiet)  # noqa: E731
                    attempt(case, action, measure)
                page.context.close()
    finally:
        browser.close()


# ---- server-side script time (AppTest, in the app's folder) --------------------------------

APPTEST = """
import cProfile, io, json, pstats, statistics, sys, time
from streamlit.testing.v1 import AppTest

keys, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
postcodes, profile = json.loads(sys.argv[3]), sys.argv[4] == "1"
at = AppTest.from_file(sys.argv[5], default_timeout=300)
start = time.perf_counter()
at.run()
out = {"first run": time.perf_counter() - start, "errors": {}}
if at.exception:
    out["errors"]["first run"] = str(at.exception[0].message)[:300]


def widget(kind, key):
    return getattr(at, kind)(key=keys[key])


def timed(name, step):
    times = []
    try:
        for i in range(repeat):
            step(i)
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            if at.exception:
                raise RuntimeError(at.exception[0].message)
        out[name] = [statistics.median(times), max(times)]
    except Exception as exc:
        out["errors"][name] = f"{type(exc).__name__}: {exc}"[:300]


timed("weight slider", lambda i: widget("slider", "apptest_slider_key").set_value(6 - i % 2))


def profile_weight_change(name, value):
    # cProfile of one weight-change rerun; the script runs in AppTest's script thread
    from streamlit.runtime.scriptrunner import script_runner

    run_script, profiles = script_runner.ScriptRunner._run_script, []

    def profiled(self, rerun_data):
        prof = cProfile.Profile()
        prof.enable()
        try:
            return run_script(self, rerun_data)
        finally:
            prof.disable()
            profiles.append(prof)

    try:
        script_runner.ScriptRunner._run_script = profiled
        widget("slider", "apptest_slider_key").set_value(value)
        at.run()
        text = io.StringIO()
        pstats.Stats(*profiles, stream=text).sort_stats("cumulative").print_stats(15)
        out["profiles"][name] = text.getvalue()
    except Exception as exc:
        out["errors"][name] = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        script_runner.ScriptRunner._run_script = run_script


out["profiles"] = {}
if profile:
    profile_weight_change("weight change, no ward selected", 7)
timed("indicator", lambda i: widget("selectbox", "apptest_indicator_key").select_index(1 - i % 2))
wards = json.loads(sys.argv[6])
timed("ward click", lambda i: widget("selectbox", "apptest_ward_key").set_value(
    wards[(i * 7 + 1) % len(wards)]))
timed("postcode", lambda i: widget("text_input", "apptest_postcode_key").input(
    postcodes[(i * 5) % len(postcodes)]))
if profile:
    profile_weight_change("weight change, a ward card open", 8)
print("APPTEST-JSON" + json.dumps(out))
"""


def measure_server(case: Case, app_dir: Path, repeat: int, profile: bool) -> None:
    postcodes = [pc for pc, _ in case.place.postcodes]
    try:
        text = run_python(
            app_dir,
            APPTEST,
            json.dumps(SELECTORS),
            str(repeat),
            json.dumps(postcodes),
            "1" if profile else "0",
            str(app_dir / "app.py"),
            json.dumps([code for code, _ in case.place.wards]),
            env={"DIM_STORE": str(case.place.store)},
        )
        case.apptest = json.loads(text.split("APPTEST-JSON", 1)[1])
    except (RuntimeError, IndexError, json.JSONDecodeError) as exc:
        case.apptest = {"errors": {"AppTest": str(exc)[-500:]}}


# ---- report --------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def seconds(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.2f}" if known else "-"


def report(cases: list[Case], repeat: int) -> None:
    print(
        f"\n{'case':<10} {'action':<16} {'n':>2} {'median s':>8} {'max s':>6} "
        f"{'target':>6} {'before':>6} {'now/bef':>7}  {'verdict':<7} "
        f"{'to run':>6} {'to end':>6} {'map new':>7} {'server s':>8}"
    )
    for case in cases:
        for action in ACTIONS:
            m = case.results.get(action)
            server = case.apptest.get(action)
            server_s = f"{server[0]:.2f}" if server else "-"
            if m is None or not m.samples:
                why = m.error if m and m.error else "not measured"
                print(f"{case.place.name:<10} {action:<16} {'':>2} {'-':>8} {'-':>6} "
                      f"{TARGETS[action]:>6.1f} {'':>6} {'':>7}  {'n/a':<7} {'':>6} {'':>6} "
                      f"{'':>9} {server_s:>8}  {why}")  # fmt: skip
                continue
            times = [s.settled_s for s in m.samples]
            median, most = statistics.median(times), max(times)
            before = BEFORE[action]
            ratio = f"{median / before:.2f}" if before else "n/a"
            replaced = sum(s.map_replaced for s in m.samples)
            print(
                f"{case.place.name:<10} {action:<16} {len(times):>2} {median:>8.2f} {most:>6.2f} "
                f"{TARGETS[action]:>6.1f} {before or 'n/a':>6} {ratio:>7}  "
                f"{verdict(median <= TARGETS[action]):<7} "
                f"{seconds([s.running_s for s in m.samples]):>6} "
                f"{seconds([s.finished_s for s in m.samples]):>6} "
                f"{replaced:>3} of {len(times):<2} {server_s:>8}"
                + (f"  (partly: {m.error})" if m.error else "")
            )
    print(
        "\nmedian and max of the repeats, seconds from the action to settled; before: a user's "
        "measurement before any work; to run / to end: median seconds until the browser saw "
        "the script running / finished; map new: repeats whose map iframe was replaced; "
        f"server s: AppTest at.run() median of {repeat}"
    )
    print("\ntargets")
    for case in cases:
        for action in ACTIONS:
            m = case.results.get(action)
            if m is None or not m.samples:
                print(f"  n/a   {case.place.name}: {action} <= {TARGETS[action]} s (not measured)")
                continue
            median = statistics.median(s.settled_s for s in m.samples)
            print(
                f"  {verdict(median <= TARGETS[action])}  {case.place.name}: {action} <= "
                f"{TARGETS[action]} s ({median:.2f} s median, "
                f"{max(s.settled_s for s in m.samples):.2f} s max)"
            )
    for case in cases:
        print(f"\n{case.place.name}: {len(case.place.wards)} wards")
        if case.load:
            print(
                f"  1-minute load average during the browser runs ({os.cpu_count()} CPUs): "
                f"{min(case.load):.2f} to {max(case.load):.2f}, median "
                f"{statistics.median(case.load):.2f}"
            )
        if case.server_start_s:
            print(
                f"  server start to /_stcore/health: median {seconds(case.server_start_s)} s "
                f"of {len(case.server_start_s)}"
            )
        if "first run" in case.apptest:
            print(
                "  AppTest first run (fresh process, empty caches): "
                f"{case.apptest['first run']:.2f} s"
            )
        for name, error in case.apptest.get("errors", {}).items():
            print(f"  AppTest {name}: {error}")
        for text, count in sorted(case.console.items(), key=lambda kv: -kv[1])[:8]:
            print(f"  browser console error x{count}: {text}")
        for name, profile in case.apptest.get("profiles", {}).items():
            print(f"  cProfile of one rerun (AppTest), {name}: top 15 by cumulative time")
            lines = profile.strip().splitlines()
            start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
            for line in lines[max(0, start - 4) :]:
                print("    " + line[:150])


@contextlib.contextmanager
def sampling_load(into: list[float]) -> Iterator[None]:
    """Append the 1-minute load average to ``into`` every 5 s while inside."""
    stop = threading.Event()

    def sample() -> None:
        while True:
            into.append(os.getloadavg()[0])
            if stop.wait(5):
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repeats of each action")
    parser.add_argument("--shared-data", type=Path, default=SHARED_DATA)
    parser.add_argument("--ref", help="measure this commit (git archive) instead of the tree")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per wait")
    parser.add_argument("--quiet", type=float, default=0.25, help="seconds settled must hold")
    parser.add_argument("--no-profile", action="store_true", help="skip the AppTest times")
    parser.add_argument("--only", choices=["demo", "trafford"], help="one case only")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="app_speed_") as tmp_name:
        tmp = Path(tmp_name)
        app_dir, label = app_folder(args.ref, tmp)
        print(
            f"app: {label} ({app_dir})\n{platform.platform()}  Python {platform.python_version()}"
            f"  {os.cpu_count()} CPUs  " + "  ".join(f"{p} {version(p)}" for p in PACKAGES)
        )
        ensure_leaflet(app_dir)
        places = []
        if args.only != "trafford":
            places.append(("Demoshire", DEMO))
        if args.only != "demo":
            if args.shared_data.is_dir():
                places.append(("Trafford", TRAFFORD))
            else:
                print(f"{args.shared_data} not found: Trafford skipped", file=sys.stderr)
        cases = []
        for name, code in places:
            start = time.perf_counter()
            place = build_place(app_dir, name, code, tmp, args.shared_data)
            print(
                f"{name}: built in {time.perf_counter() - start:.0f} s, {len(place.wards)} "
                f"wards, {len(place.postcodes)} postcodes picked (one per ward)"
            )
            cases.append(Case(place))
        with sync_playwright() as pw:
            probe = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"Chromium {probe.version}")
            probe.close()
            for case in cases:
                with sampling_load(case.load):
                    print(f"{case.place.name}: browser ... (load average {load_average()})")
                    measure_browser(pw, case, app_dir, args.repeat, args.timeout, args.quiet)
                if not args.no_profile:
                    print(f"{case.place.name}: AppTest ... (load average {load_average()})")
                    measure_server(case, app_dir, args.repeat, profile=True)
        print(f"load average at the end {load_average()}")
        report(cases, args.repeat)


if __name__ == "__main__":
    main()
