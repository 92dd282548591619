"""Only the desk's own page may use the desk: Host, Origin, JSON posts and the page token,
against a real ``laiqu desk``; a page served from another local port cannot check out."""

from __future__ import annotations

import http.server
import re
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from desk_helpers import free_port, start_desk, stop_desk
from laiqu_helpers import A

NO_READER = "serial:///dev/laiqu-no-such-reader"


def page_token(url: str) -> str:
    html = httpx.get(url + "/").text
    found = re.search(r'name="desk-token" content="([^"]+)"', html)
    assert found, html
    return found.group(1)


@pytest.fixture
def evil_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain web server on another local port (the "other page" the clerk opens)."""
    root = tmp_path / "evil"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_only_the_desk_page_may_call_the_desk(desk_db, browser, evil_site, tmp_path) -> None:
    desk = start_desk(desk_db, NO_READER, tmp_path)
    try:
        key = page_token(desk.url)
        ok = {"X-Desk-Token": key}
        assert httpx.get(desk.url + "/api/house", headers=ok).status_code == 200
        # DNS rebinding: a foreign Host is refused, token or not.
        foreign = httpx.get(desk.url + "/api/house", headers={**ok, "Host": "evil.example"})
        assert foreign.status_code == 403 and "拒绝访问" in foreign.json()["error"]
        assert httpx.get(desk.url + "/", headers={"Host": "evil.example:80"}).status_code == 403
        host = desk.url.removeprefix("http://").replace("127.0.0.1", "localhost")
        assert httpx.get(desk.url + "/api/house", headers={**ok, "Host": host}).status_code == 200
        # No token, a wrong one, a foreign Origin, a text/plain post: refused.
        assert httpx.get(desk.url + "/api/house").status_code == 403
        assert httpx.get(desk.url + "/api/house", headers={"X-Desk-Token": "x"}).status_code == 403
        assert httpx.get(desk.url + "/api/house",
                         headers={**ok, "Origin": evil_site[0]}).status_code == 403
        plain = httpx.post(desk.url + "/api/checkout", content='{"room": "101"}',
                           headers={**ok, "Content-Type": "text/plain"})
        assert plain.status_code == 415
        body = {"room": "101", "guests": [{"number": A, "name": "张三"}]}
        assert httpx.post(desk.url + "/api/checkin", json=body).status_code == 403
        done = httpx.post(desk.url + "/api/checkin", json=body,
                          headers={**ok, "Origin": desk.url})
        assert done.status_code == 200, done.text

        # Another local page tries to check the guest out, every way a page can post.
        origin, root = evil_site
        (root / "index.html").write_text(f"""<!DOCTYPE html><html><body><script>
        const u = "{desk.url}/api/checkout", b = JSON.stringify({{room: "101"}});
        Promise.allSettled([
          fetch(u, {{method: "POST", mode: "no-cors", body: b,
                     headers: {{"Content-Type": "text/plain"}}}}),
          fetch(u, {{method: "POST", body: b, headers: {{"Content-Type": "application/json",
                     "X-Desk-Token": "guess"}}}}),
        ]).then(() => {{ document.title = "done"; }});
        </script>
        <form id="f" method="POST" action="{desk.url}/api/checkout" enctype="text/plain">
        <input name='{{"room":"101","x":"' value='"}}'></form></body></html>""",
                                         encoding="utf-8")
        page = browser.new_page()
        page.goto(origin + "/index.html")
        page.wait_for_function("document.title === 'done'", timeout=15000)
        page.evaluate("document.getElementById('f').submit()")
        page.wait_for_load_state()
        page.close()
        house = httpx.get(desk.url + "/api/house", headers=ok).json()
        room = next(r for r in house["rooms"] if r["number"] == "101")
        assert room["occupied"] and room["guests"][0]["name"] == "张三"
    finally:
        stop_desk(desk)
    assert "Traceback" not in desk.output()


def test_a_port_in_use_is_said_in_chinese(desk_db, tmp_path) -> None:
    first = start_desk(desk_db, NO_READER, tmp_path)
    try:
        port = first.url.rsplit(":", 1)[1]
        second = start_desk(desk_db, NO_READER, tmp_path, port=int(port), wait=False)
        assert second.process.wait(60) != 0
        out = second.output()
        assert f"本机端口 {port} 已被占用" in out, out
        assert "前台页面：http" not in out and "Traceback" not in out and "Errno" not in out
    finally:
        stop_desk(first)


def test_an_https_station_is_reached_over_http(desk_db, tmp_path) -> None:
    """``--station https://…`` goes through the station client (as ``laiqu frontdesk``),
    never taken for a database address; the page shows the push's real outcome."""
    token = tmp_path / "device.token"
    token.write_text("not-a-real-token\n", encoding="utf-8")
    closed = free_port()
    desk = start_desk(desk_db, NO_READER, tmp_path, "--station", f"https://127.0.0.1:{closed}/",
                      "--token-file", str(token), "--push-every", "0.2")
    try:
        ok = {"X-Desk-Token": page_token(desk.url)}
        deadline = time.monotonic() + 20
        upload: dict[str, object] = {}
        while time.monotonic() < deadline and not upload.get("push_error"):
            upload = httpx.get(desk.url + "/api/upload", headers=ok).json()
            time.sleep(0.2)
        assert upload["station"] is True
        error = str(upload["push_error"])
        assert error and "plugin" not in error and "sqlalchemy" not in error.lower(), error
        assert "无法连接派出所服务" in error and "Errno" not in error, error
    finally:
        stop_desk(desk)
    assert "Traceback" not in desk.output()
