"""Leaflet served by the app itself, so the ward map draws on networks that block CDNs.

folium points the browser at Leaflet on public CDNs; on a locked-down council network (and on
test machines) those requests fail and the map is blank. At install time (``make`` runs
``python -m ingest assets``) we copy Leaflet 1.9.4 from the ``django-js-lib-leaflet`` wheel,
a plain repackaging of Leaflet's own ``dist`` folder (BSD-2-Clause), into ``static/leaflet``,
which Streamlit serves at ``/app/static/`` (``enableStaticServing`` in
``.streamlit/config.toml``). Nothing is downloaded at run time. Basemap tiles still come from
the internet; without them the ward layer draws on a blank background.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ingest.settings import PROJECT_ROOT

STATIC_LEAFLET = PROJECT_ROOT / "static" / "leaflet"
#: Where Streamlit's static serving exposes ``static/leaflet`` (absolute: the map runs in an
#: iframe under ``/component/...``).
LEAFLET_URL = "/app/static/leaflet"


def install_leaflet(target: Path = STATIC_LEAFLET) -> Path:
    """Copy Leaflet's script, stylesheet and images from the installed wheel into ``target``.

    Parameters
    ----------
    target : Path
        Folder under the app's ``static/`` folder.

    Returns
    -------
    Path
        ``target``.
    """
    source = files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("leaflet.js", "leaflet.css"):
        (target / name).write_bytes((source / name).read_bytes())
    images = target / "images"
    images.mkdir(exist_ok=True)
    for image in (source / "images").iterdir():
        (images / image.name).write_bytes(image.read_bytes())
    return target


def local_leaflet(target: Path = STATIC_LEAFLET) -> tuple[str, str] | None:
    """URLs of the locally served Leaflet (script, stylesheet), or None if not installed."""
    if (target / "leaflet.js").is_file() and (target / "leaflet.css").is_file():
        return f"{LEAFLET_URL}/leaflet.js", f"{LEAFLET_URL}/leaflet.css"
    return None
