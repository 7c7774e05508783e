"""Helpers of the output tests: hostile names, offline Chromium probes, screenshots."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
from fixtures.browser import HEADLESS_FLAGS

from coverage.engine.access import AccessModel

_STATION_DATA = re.compile(r"(\[\[.*?\]\])\.forEach\(function \(p\)")


def station_points(page: str) -> list[list]:
    """The stations drawn on a map page: ``[lat, lon, popup html, tooltip]`` each."""
    return [p for block in _STATION_DATA.findall(page) for p in json.loads(block)]


#: Names that would run script if a page put them into HTML or JS unescaped.
PAYLOAD_SCRIPT = "<script>window.__pwned=1</script>"
PAYLOAD_ATTR = '"onmouseover="window.__pwned=2" x="'
PAYLOAD_TEMPLATE = "`${window.__pwned=3}` C:\\units"
PAYLOAD_TIER = '<img src=x onerror="window.__pwned=4">'
#: A name that would run while the page is written if a rendered text were compiled
#: as a Jinja template (branca does so with every element's output): "42ran".
PAYLOAD_JINJA = "{{ 6*7 }}{% if true %}ran{% endif %}{# gone #}"
PAYLOADS = (PAYLOAD_SCRIPT, PAYLOAD_ATTR, PAYLOAD_TEMPLATE, PAYLOAD_TIER, PAYLOAD_JINJA)

#: Flags of every run: headless, no background traffic, and the network cut (every
#: host resolves to nothing and every request goes to a closed local proxy port).
OFFLINE_FLAGS = (
    *HEADLESS_FLAGS,
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

_PROBE_HEAD = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  if (e.error || e.message) { window.__errors.push(String(e.message)); }
});
var __consoleError = console.error;
console.error = function () {
  window.__errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
  __consoleError.apply(console, arguments);
};
</script>"""
_PROBE_TAIL = """<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var notice = document.getElementById("coverage15-tile-notice");
    var out = document.createElement("pre");
    out.id = "coverage15-probe";
    out.style.display = "none";
    out.textContent = JSON.stringify({
      errors: window.__errors,
      pwned: typeof window.__pwned === "undefined" ? null : String(window.__pwned),
      containers: document.querySelectorAll(".leaflet-container").length,
      stations: document.querySelectorAll(".leaflet-marker-icon.coverage15-station").length,
      layerControls: document.querySelectorAll(".leaflet-control-layers").length,
      layerNames: Array.prototype.map.call(
        document.querySelectorAll(".leaflet-control-layers-overlays label span span"),
        function (s) { return s.textContent.trim(); }),
      shown: Array.prototype.filter.call(
        document.querySelectorAll(".leaflet-control-layers-overlays label"),
        function (l) { return l.querySelector("input").checked; }).map(
        function (l) { return l.textContent.trim(); }),
      title: (document.getElementById("coverage15-title") || {}).textContent || null,
      overlays: document.querySelectorAll(".leaflet-overlay-pane path").length,
      images: document.querySelectorAll(".leaflet-overlay-pane img").length,
      tiles: document.querySelectorAll(".leaflet-tile-pane img").length,
      notice: notice ? notice.style.display : null,
      legend: !!document.getElementById("coverage15-legend"),
      pageImages: document.images.length,
      pageImagesLoaded: Array.prototype.filter.call(document.images,
        function (i) { return i.complete && i.naturalWidth > 0; }).length,
      modeCharts: document.querySelectorAll("svg.modes-chart").length,
      h1: (document.querySelector("h1") || {}).textContent || null
    });
    document.body.appendChild(out);
  }, 1500);
});
</script>"""


def _run(chromium: str, args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium, *OFFLINE_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


def probe_page(chromium: str, page: Path, folder: Path, *, shot: Path | None = None) -> dict:
    """Load a copy of ``page`` offline with a probe script; what the probe saw, as a dict.

    With ``shot``, the same launch also takes a 1200 x 800 screenshot into that file.
    """
    html = page.read_text(encoding="utf-8")
    probed = folder / f"probe-{page.name}"
    probed.write_text(
        html.replace("<head>", "<head>" + _PROBE_HEAD, 1).replace(
            "</html>", _PROBE_TAIL + "</html>"
        ),
        encoding="utf-8",
    )
    args = ["--virtual-time-budget=8000", "--dump-dom"]
    if shot is not None:
        shot.parent.mkdir(parents=True, exist_ok=True)
        shot.unlink(missing_ok=True)
        args += ["--hide-scrollbars", "--window-size=1200,800", f"--screenshot={shot}"]
    done = _run(chromium, [*args, probed.as_uri()], folder / "profile-probe")
    start = done.stdout.find('<pre id="coverage15-probe"')
    assert start >= 0, f"the probe did not report; chromium said: {done.stderr[-2000:]}"
    start = done.stdout.index(">", start) + 1
    end = done.stdout.index("</pre>", start)
    if shot is not None:
        assert shot.is_file(), f"chromium wrote no screenshot {shot}"
    import html as html_lib

    return json.loads(html_lib.unescape(done.stdout[start:end]))


def colour_pixels(png: Path, hex_colour: str, *, tolerance: float = 0.06) -> int:
    """Number of pixels of a screenshot within ``tolerance`` of a colour."""
    from matplotlib import colors
    from matplotlib import image as mpimg

    rgb = np.asarray(mpimg.imread(png))[..., :3]
    target = np.array(colors.to_rgb(hex_colour))
    return int((np.abs(rgb - target).max(axis=-1) <= tolerance).sum())


def point_population_result(
    case, folder: Path, population: dict[tuple[int, int], float], minutes: list[float]
):
    """The result of a grid case whose residents are a table of points (one per node).

    ``population`` maps ``(row, col)`` of the lattice to the residents of that point.
    """
    from fixtures.synthetic import lattice_lonlat

    from coverage import compute_coverage, load_network, read_stations
    from coverage.inputs.population import read_population_points

    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    rows = ["name,lon,lat,population"] + [
        f"v{r}{c},{lon[r, c]:.7f},{lat[r, c]:.7f},{p:g}" for (r, c), p in population.items()
    ]
    table = folder / "villages.csv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return compute_coverage(
        load_network(case.network, speed_kmh=case.speed_kmh),
        read_stations(case.stations),
        read_population_points(table),
        AccessModel(mode="walk", minutes=tuple(minutes)),
    )
