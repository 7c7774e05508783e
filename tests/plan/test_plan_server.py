"""The planning server: loopback only, its own page's requests only, refusals change nothing."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading

import pytest
from plan_helpers import assert_same_coverage, node_row, run_with_stations

from coverage import load_config, run_coverage
from coverage.plan import start_session
from coverage.plan.server import PLAN_STATIONS, make_server


@pytest.fixture
def served(plan_case, tmp_path):
    """A running server on a free port; yields (server, token)."""
    server = make_server(
        start_session(plan_case.extra["result"], lang="zh"),
        port=0,
        lang="zh",
        basemap="none",
        write_options={"lang": "zh", "basemap": "none"},
        inputs=[plan_case.config],
        base_dir=tmp_path,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server, server.app.token
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _request(server, method, path, body=None, headers=None):
    port = server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    base = {"Host": f"127.0.0.1:{port}"}
    if method == "POST":
        base.update({"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json"})
    base.update(headers or {})
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=base)
    reply = conn.getresponse()
    payload = reply.read()
    conn.close()
    return reply.status, payload


def _post(server, token, action, body, headers=None):
    status, payload = _request(
        server, "POST", f"/api/{action}", body, {"X-Plan-Token": token, **(headers or {})}
    )
    return status, json.loads(payload)


def _state(server):
    status, payload = _request(server, "GET", "/api/state")
    assert status == 200
    return json.loads(payload)["state"]


def test_listens_on_loopback_only(served):
    server, _ = served
    assert server.server_address[0] == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")


def test_page_assets_and_state(served):
    server, token = served
    status, page = _request(server, "GET", "/")
    assert status == 200
    html = page.decode("utf-8")
    assert token in html and 'lang="zh-CN"' in html and "服务点布局规划" in html
    assert "https://" not in html.split('id="plan-config"')[0]  # no CDN
    assert re.search(r'<script src="/assets/leaflet.js">', html)
    for path in (
        "/assets/leaflet.js",
        "/assets/leaflet.css",
        "/plan.js",
        "/assets/images/layers.png",
    ):
        assert _request(server, "GET", path)[0] == 200, path
    for path in ("/assets/../../errors.py", "/assets/LICENSE-leaflet.txt", "/nope"):
        assert _request(server, "GET", path)[0] == 404, path
    state = _state(server)
    assert state["headline"]["stations"] == 2
    assert state["surface"]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example:80"},  # DNS rebinding
        {"Host": "127.0.0.1"},  # no port
        {"X-Plan-Token": "wrong"},
        {"X-Plan-Token": ""},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": ""},
    ],
)
def test_foreign_requests_are_refused(served, plan_case, headers):
    server, token = served
    lon, lat = (float(v[3, 3]) for v in (plan_case.extra["lon"], plan_case.extra["lat"]))
    body = {"lon": lon, "lat": lat, "tier": "village"}
    status, reply = _post(server, token, "add", body, headers)
    assert status == 403
    assert "forbidden" in reply["message"]
    if "Host" in headers:
        assert _request(server, "GET", "/api/state", headers=headers)[0] == 403
        assert _request(server, "GET", "/", headers=headers)[0] == 403
    assert _state(server)["headline"]["stations"] == 2  # nothing changed


def test_a_missing_token_header_is_refused(served, plan_case):
    server, _ = served
    port = server.server_address[1]
    status, _ = _request(
        server,
        "POST",
        "/api/undo",
        {},
        {"Origin": f"http://127.0.0.1:{port}"},
    )
    assert status == 403


def test_bad_points_get_400_with_a_message_and_change_nothing(served, plan_case):
    server, token = served
    before = _state(server)
    lon, lat = float(plan_case.extra["lon"][3, 3]), float(plan_case.extra["lat"][3, 3])
    refusals = [
        ("add", {"lon": lon + 0.05, "lat": lat, "tier": "village"}, "研究区域之外"),
        ("add", {"lon": "x", "lat": lat, "tier": "village"}, "不是有效的经纬度"),
        ("add", {"lon": lon, "lat": lat, "tier": "village", "id": "S1"}, "服务点 'S1' 已存在"),
        ("add", {"lon": lon, "lat": lat, "tier": "castle"}, "不是有效层级"),
        ("move", {"id": "S7", "lon": lon, "lat": lat}, "没有服务点 'S7'"),
        ("close", {"id": "S7"}, "没有服务点 'S7'"),
        ("undo", {}, "没有可撤销的操作"),
        ("export", {"folder": ""}, "请填写要导出到的文件夹"),
    ]
    for action, body, message in refusals:
        status, reply = _post(server, token, action, body)
        assert status == 400, (action, reply)
        assert message in reply["message"]
        assert reply["en"] and reply["zh"] == reply["message"]
    port = server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "POST",
        "/api/add",
        body=b"{not json",
        headers={
            "Host": f"127.0.0.1:{port}",
            "Origin": f"http://127.0.0.1:{port}",
            "X-Plan-Token": token,
        },
    )
    reply = conn.getresponse()
    assert reply.status == 400 and "无法识别" in json.loads(reply.read())["message"]
    conn.close()
    assert _state(server) == before


def test_edits_over_http_equal_runs_and_export_reproduces_them(served, plan_case, tmp_path):
    server, token = served
    case = plan_case
    lon, lat = case.extra["lon"], case.extra["lat"]
    status, reply = _post(
        server, token, "add", {"lon": lon[5, 1], "lat": lat[5, 1], "tier": "village"}
    )
    assert status == 200
    state = reply["state"]
    assert [c["unit"] for c in state["changed"]] == ["west"]
    status, reply = _post(server, token, "move", {"id": "S2", "lon": lon[1, 5], "lat": lat[1, 5]})
    assert status == 200
    status, reply = _post(server, token, "rename", {"index": -1, "name": "方案甲"})
    assert reply["state"]["scenarios"][-1]["name"] == "方案甲"
    rows = [
        node_row(case, "S1", "Station 1", "township", (1, 1)),
        node_row(case, "P1", "新服务点 P1", "village", (5, 1)),
        node_row(case, "S2", "Station 2", "township", (1, 5)),
    ]
    reference = run_with_stations(case, rows, tmp_path)
    assert reply["state"]["headline"]["share"] == pytest.approx(reference.coverage_share, rel=1e-12)
    assert reply["state"]["levels"][0]["covered"] == reference.units["unit"]["covered"].tolist()

    # export: the complete outputs and a station table that a run turns into the same figures
    status, reply = _post(server, token, "export", {"folder": "exported"})
    assert status == 200, reply
    out = tmp_path / "exported"
    assert "已导出至" in reply["message"] and str(out) in reply["message"]
    for name in ("map.html", "report.html", "units.xlsx", "summary.json", PLAN_STATIONS):
        assert (out / name).is_file(), name
    rerun = run_coverage(load_config(case.config, stations=str(out / PLAN_STATIONS)))
    assert_same_coverage(rerun, reference)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["coverage_share"] == pytest.approx(reference.coverage_share, rel=1e-12)

    # an unsafe folder is refused: one holding other files, or the input folder
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep", encoding="utf-8")
    for folder in (str(foreign), str(case.folder)):
        status, reply = _post(server, token, "export", {"folder": folder})
        assert status == 400, folder
        assert "导出被拒绝" in reply["message"]
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_cli_serves_and_stops_cleanly_on_ctrl_c(plan_case):
    import signal

    command = ["plan", str(plan_case.config), "--port", "0", "--no-browser", "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "coverage.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + (proc.stderr.read() if proc.poll() is not None else "")
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=60)
        conn.request("GET", "/api/state", headers={"Host": f"127.0.0.1:{match.group(1)}"})
        state = json.loads(conn.getresponse().read())["state"]
        conn.close()
        assert state["headline"]["stations"] == 2
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err


def test_cli_refuses_a_bad_port(plan_case, capsys):
    from coverage.cli import main

    assert main(["plan", str(plan_case.config), "--port", "70000", "--no-browser"]) == 2
    assert "error: --port must be between 0 and 65535" in capsys.readouterr().err


def test_the_page_follows_the_configured_language(plan_case):
    from coverage.outputs.basemaps import Basemap, display_shift
    from coverage.plan.page import page_html

    result = plan_case.extra["result"]
    base = Basemap("none")
    pages = {
        lang: page_html(result, token="t0k", basemap=base, shift=display_shift(base), lang=lang)
        for lang in ("en", "zh")
    }
    assert 'lang="en"' in pages["en"] and "Station planning" in pages["en"]
    assert "Share within 5 min" in pages["en"] and "服务点布局规划" not in pages["en"]
    assert 'lang="zh-CN"' in pages["zh"] and "5分钟覆盖率" in pages["zh"]
    # the page's settings are JSON in a script block that never runs, "<" escaped
    assert '<script type="application/json" id="plan-config">' in pages["zh"]
    assert "</script>" not in pages["zh"].split('id="plan-config">')[1].split("</script>")[0]


def test_on_a_gcj02_basemap_the_page_draws_and_sends_shifted_points(plan_case, tmp_path):
    from coverage.inputs.crs import wgs84_to_gcj02

    lon, lat = plan_case.extra["lon"], plan_case.extra["lat"]
    server = make_server(
        start_session(plan_case.extra["result"], lang="zh"),
        port=0,
        lang="zh",
        basemap="amap",  # the grid lies in Zhejiang: AMap draws it 300-600 m away in GCJ-02
        base_dir=tmp_path,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        shown = {s["id"]: (s["lon"], s["lat"]) for s in _state(server)["stations"]}
        gx, gy = wgs84_to_gcj02(lon[1, 1], lat[1, 1])
        assert shown["S1"] == pytest.approx((float(gx[0]), float(gy[0])), abs=1e-7)
        assert abs(shown["S1"][0] - lon[1, 1]) > 1e-3  # really shifted
        # a click at node (5, 1) on the AMap tiles opens the station at the node itself
        gx, gy = wgs84_to_gcj02(lon[5, 1], lat[5, 1])
        status, _ = _post(
            server,
            server.app.token,
            "add",
            {"lon": float(gx[0]), "lat": float(gy[0]), "tier": "village"},
        )
        assert status == 200
        added = server.app.session.current.result.stations.iloc[-1]
        assert (added["lon"], added["lat"]) == pytest.approx((lon[5, 1], lat[5, 1]), abs=1e-8)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_client_that_is_not_on_this_computer_is_refused(served):
    """Bound to 127.0.0.1, no other host can connect; the handler refuses one anyway."""
    from email.message import Message

    from coverage.plan.server import _Handler

    server, token = served
    port = server.server_address[1]
    handler = _Handler.__new__(_Handler)
    handler.server = server
    handler.headers = Message()
    handler.headers["Host"] = f"127.0.0.1:{port}"
    handler.headers["Origin"] = f"http://127.0.0.1:{port}"
    handler.headers["X-Plan-Token"] = token
    for address, allowed in (("127.0.0.1", True), ("::1", True), ("192.168.1.20", False)):
        handler.client_address = (address, 50000)
        assert handler._allowed(post=True) is allowed, address
        assert handler._allowed(post=False) is allowed, address
