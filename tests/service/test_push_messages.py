"""What a desk reads when a push cannot start or cannot reach the station: a token file
that is empty, an https:// address of a plain-HTTP service (a real server on loopback)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from cli.main import cli
from service.client import _why


@pytest.fixture
def plain_http() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_https_to_a_plain_http_service_says_so(plain_http: int) -> None:
    with pytest.raises(httpx.TransportError) as caught:
        httpx.get(f"https://127.0.0.1:{plain_http}/", timeout=5)
    why = _why(caught.value)
    assert "不是 HTTPS 服务" in why and "--to" in why and "证书" not in why


def test_an_empty_or_unreadable_token_file_is_named(desk_url: str, tmp_path: Path) -> None:
    empty = tmp_path / "token"
    empty.write_text("\n", encoding="utf-8")
    binary = tmp_path / "token.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    runner = CliRunner()
    for path, words in ((empty, "是空的"), (binary, "无法读取")):
        result = runner.invoke(
            cli,
            ["--db", desk_url, "sync", "push", "--to", "https://127.0.0.1:9", "--token-file",
             str(path)],
        )  # fmt: skip
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("错误：") and words in result.stderr
        assert str(path) in result.stderr and "Traceback" not in result.output
