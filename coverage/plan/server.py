"""The local server of the planning page: 127.0.0.1 only, and only its own page's requests.

GET ``/`` (the page), ``/plan.js``, ``/assets/...`` (offline Leaflet) and
``/api/state``; POST ``/api/add``, ``/api/move``, ``/api/close``, ``/api/undo``,
``/api/rename`` and ``/api/export`` (JSON bodies). Every request must come from a
loopback address with a ``Host`` of ``127.0.0.1:<port>`` or ``localhost:<port>`` (no
DNS rebinding); every POST must also carry the session's token (``X-Plan-Token``,
embedded in the page) and a same-origin ``Origin``. Anything else gets 403. A refused
edit gets 400 with its message (English and Chinese) and changes nothing.

The session is immutable (:mod:`coverage.plan.session`); the server holds the current
one and swaps it under a lock after each edit.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EditRefused, InputError, one_line
from ..inputs.crs import gcj02_to_wgs84
from ..outputs.basemaps import Basemap, basemap_from_spec, display_shift
from ..outputs.folder import publish_folder, summary_inputs
from ..outputs.webpage import ASSETS
from ..outputs.write import write_output_files
from ..outputs.writers import write_csv
from .page import PAGE_SCRIPT, page_html, page_text
from .session import (
    Session,
    close_station,
    move_station,
    open_station,
    rename_scenario,
    station_table,
    undo_edit,
)
from .view import SurfaceCanvas, session_view

__all__ = ["PlanApp", "PlanServer", "export_scenario", "make_server", "serve"]

#: Largest request body accepted (bytes).
MAX_BODY = 64 * 1024

#: Name of the station table an export writes beside the run's files.
PLAN_STATIONS = "plan_stations.csv"


@dataclass
class PlanApp:
    """What the request handler needs: the session, how to draw it, where to export.

    Attributes
    ----------
    session : Session
        The current session (replaced after each edit, under ``lock``).
    lang : str
        Language of the page and its messages.
    basemap : Basemap
        The configured basemap.
    token : str
        The per-session secret the page sends with every POST.
    write_options : mapping
        Keyword arguments of :func:`coverage.outputs.write.write_output_files`.
    inputs : sequence of Path
        Input files an export folder must not hold.
    base_dir : Path
        Relative export folders are resolved against it.
    """

    session: Session
    lang: str = "en"
    basemap: Basemap = field(default_factory=Basemap)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    write_options: Mapping[str, Any] = field(default_factory=dict)
    inputs: Sequence[Path] = ()
    base_dir: Path = field(default_factory=Path.cwd)
    tianditu_key: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    canvas: SurfaceCanvas | None = None
    page: str = ""
    timings: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        shift = display_shift(self.basemap)
        self.shift = shift
        first = self.session.scenarios[0].result
        self.canvas = SurfaceCanvas.for_result(first, shift)

    def render_page(self, default_folder: str) -> str:
        """The page (rendered once, on the first request)."""
        if not self.page:
            self.page = page_html(
                self.session.scenarios[0].result,
                token=self.token,
                basemap=self.basemap,
                shift=self.shift,
                lang=self.lang,
                tianditu_key=self.tianditu_key,
                default_folder=default_folder,
            )
        return self.page

    def view(self) -> dict[str, Any]:
        """The JSON of the current session."""
        return session_view(self.session, canvas=self.canvas, shift=self.shift, lang=self.lang)

    def to_wgs84(self, lon: Any, lat: Any) -> tuple[Any, Any]:
        """A point the page sent (on the basemap's datum) in WGS84."""
        if not self.basemap.gcj02:
            return lon, lat
        try:
            x, y = gcj02_to_wgs84(float(lon), float(lat))
        except (TypeError, ValueError):
            return lon, lat
        return float(np.asarray(x)[0]), float(np.asarray(y)[0])

    def edit(self, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Apply one edit; the new view (and a message for exports).

        Raises
        ------
        EditRefused
            The edit was refused; the session is unchanged.
        """
        started = time.perf_counter()
        if action == "export":  # writing takes seconds: the page may still read the state
            with self.lock:
                session = self.session
            folder = export_scenario(
                session,
                body.get("folder"),
                base_dir=self.base_dir,
                inputs=self.inputs,
                write_options=self.write_options,
            )
            with self.lock:
                view = self.view()
            return {"state": view, "message": page_text(self.lang, "exported", folder=folder)}
        with self.lock:
            session = self.session
            if action == "add":
                lon, lat = self.to_wgs84(body.get("lon"), body.get("lat"))
                session = open_station(
                    session,
                    lon,
                    lat,
                    tier=body.get("tier"),
                    name=body.get("name") or None,
                    station_id=body.get("id"),
                )
            elif action == "move":
                lon, lat = self.to_wgs84(body.get("lon"), body.get("lat"))
                session = move_station(session, body.get("id"), lon, lat)
            elif action == "close":
                session = close_station(session, body.get("id"))
            elif action == "undo":
                session = undo_edit(session)
            elif action == "rename":
                session = rename_scenario(session, body.get("index"), body.get("name"))
            self.session = session
            view = self.view()
        self.timings.append(time.perf_counter() - started)
        return {"state": view, "message": ""}


def _resolve(folder: object, base_dir: Path) -> Path:
    text = str(folder or "").strip()
    if not text:
        raise EditRefused(
            "folder: give the folder to export into", "输出文件夹：请填写要导出到的文件夹"
        )
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else base_dir / path


def export_scenario(
    session: Session,
    folder: object,
    *,
    base_dir: Path,
    inputs: Sequence[Path] = (),
    write_options: Mapping[str, Any] | None = None,
) -> Path:
    """Write the current scenario's station table and complete outputs into ``folder``.

    The folder gets every file of ``coverage15 run`` (map, report, workbook, tables),
    written by the same writers, and ``plan_stations.csv``: the scenario's station
    table, which a run reads to reproduce the scenario. It is published whole
    (:func:`coverage.outputs.folder.publish_folder`): a folder holding an input or
    files coverage15 did not write is refused.

    Parameters
    ----------
    session : Session
        Its current scenario is exported.
    folder : str
        The folder the planner named (relative to ``base_dir``).
    base_dir : Path
        Where relative folders are resolved.
    inputs : sequence of Path
        The run's input files (the configuration too).
    write_options : mapping, optional
        Keyword arguments of :func:`coverage.outputs.write.write_output_files`.

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    EditRefused
        If the folder is empty, refused, or cannot be written.
    """
    out = _resolve(folder, base_dir)
    result = session.current.result
    try:
        with publish_folder(
            out, inputs=[*inputs, *summary_inputs(result.summary)], kind="plan"
        ) as stage:
            write_output_files(result, stage, **dict(write_options or {}))
            write_csv(station_table(result), stage / PLAN_STATIONS)
    except EditRefused:
        raise
    except InputError as exc:
        raise EditRefused(str(exc), f"导出被拒绝：{exc}") from None
    return out


class PlanServer(ThreadingHTTPServer):
    """A threading HTTP server bound to 127.0.0.1 that serves one planning session."""

    daemon_threads = True

    def __init__(self, app: PlanApp, port: int = 8765) -> None:
        self.app = app
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://127.0.0.1:{self.server_address[1]}/"


def make_server(
    session: Session,
    *,
    port: int = 8765,
    lang: str = "en",
    basemap: Any = "osm",
    tianditu_key: str | None = None,
    write_options: Mapping[str, Any] | None = None,
    inputs: Sequence[Path] = (),
    base_dir: Path | None = None,
) -> PlanServer:
    """A server for ``session`` on 127.0.0.1:``port`` (0: any free port), not started.

    Parameters
    ----------
    session : Session
        From :func:`~coverage.plan.session.start_session`.
    port : int
        TCP port (0 picks a free one; read it from ``server.url``).
    lang : {"en", "zh"}
        Language of the page.
    basemap : str, mapping or Basemap
        As for :func:`~coverage.outputs.maps.coverage_map`.
    tianditu_key : str, optional
        Key of the Tianditu basemap.
    write_options : mapping, optional
        Keyword arguments of :func:`coverage.outputs.write.write_output_files` for exports.
    inputs : sequence of Path
        Input files an export folder must not hold.
    base_dir : Path, optional
        Where relative export folders go (default: the current folder).

    Returns
    -------
    PlanServer
        Call ``serve_forever()``; ``shutdown()`` from another thread stops it.

    Raises
    ------
    InputError
        If the port is taken or cannot be bound.
    """
    app = PlanApp(
        session=session,
        lang=lang,
        basemap=basemap_from_spec(basemap),
        tianditu_key=tianditu_key,
        write_options=dict(write_options or {}),
        inputs=tuple(inputs),
        base_dir=base_dir or Path.cwd(),
    )
    try:
        return PlanServer(app, port)
    except OSError as exc:
        raise InputError(
            f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            "choose another port with --port"
        ) from None


_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
_ACTIONS = ("add", "move", "close", "undo", "rename", "export")
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https: http:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


class _Handler(BaseHTTPRequestHandler):
    server: PlanServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows only the page's address."""

    # --- checks -----------------------------------------------------------------
    def _hosts(self) -> set[str]:
        port = self.server.server_address[1]
        return {f"127.0.0.1:{port}", f"localhost:{port}"}

    def _allowed(self, post: bool) -> bool:
        try:
            loopback = ipaddress.ip_address(self.client_address[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback or self.headers.get("Host", "") not in self._hosts():
            return False
        if not post:
            return True
        token = self.headers.get("X-Plan-Token", "")
        origin = self.headers.get("Origin", "")
        good_token = secrets.compare_digest(token.encode(), self.server.app.token.encode())
        return good_token and origin in {f"http://{h}" for h in self._hosts()}

    # --- replies ----------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", _CSP)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _refuse(self) -> None:
        self._json(403, {"message": "forbidden: only the planning page on this computer"})

    # --- GET --------------------------------------------------------------------
    def do_GET(self) -> None:
        """The page, its script and assets, and the current state."""
        if not self._allowed(post=False):
            self._refuse()
            return
        app = self.server.app
        path = self.path.split("?", 1)[0]
        if path == "/":
            page = app.render_page(default_folder="")
            self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
        elif path == "/plan.js":
            self._send(200, PAGE_SCRIPT.read_bytes(), "text/javascript; charset=utf-8")
        elif path.startswith("/assets/"):
            self._asset(path[len("/assets/") :])
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path == "/api/state":
            with app.lock:
                view = app.view()
            self._json(200, {"state": view})
        else:
            self._json(404, {"message": "not found"})

    def _asset(self, name: str) -> None:
        allowed = {"leaflet.js", "leaflet.css"} | {
            f"images/{p.name}" for p in (ASSETS / "images").glob("*.png")
        }
        if name not in allowed:
            self._json(404, {"message": "not found"})
            return
        path = ASSETS / name
        self._send(200, path.read_bytes(), _TYPES.get(path.suffix, "application/octet-stream"))

    # --- POST -------------------------------------------------------------------
    def do_POST(self) -> None:
        """An edit: add, move, close, undo, rename or export."""
        if not self._allowed(post=True):
            self._refuse()
            return
        path = self.path.split("?", 1)[0]
        action = path[len("/api/") :] if path.startswith("/api/") else ""
        length = int(self.headers.get("Content-Length") or 0)
        if action not in _ACTIONS or length > MAX_BODY:
            self._json(404 if action not in _ACTIONS else 413, {"message": "not an edit"})
            return
        raw = self.rfile.read(length) if length else b"{}"
        app = self.server.app
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
            if not isinstance(body, dict):
                raise ValueError
        except (UnicodeDecodeError, ValueError):
            self._json(400, {"message": page_text(app.lang, "bad_request")})
            return
        try:
            reply = app.edit(action, body)
        except EditRefused as exc:
            self._json(400, {"message": exc.text(app.lang), "en": exc.en, "zh": exc.zh})
            return
        except Exception as exc:  # the page shows it; the session is unchanged
            text = f"{type(exc).__name__}: {one_line(str(exc))}"
            self._json(500, {"message": page_text(app.lang, "unexpected", error=text)})
            return
        self._json(200, reply)


def serve(server: PlanServer, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C), then close the socket.

    Parameters
    ----------
    server : PlanServer
        From :func:`make_server`.
    on_ready : callable, optional
        Called with the page's address once the server listens (opens the browser).
    """
    if on_ready is not None:
        on_ready(server.url)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
