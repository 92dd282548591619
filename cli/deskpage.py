"""``laiqu desk``: the front desk as a page in the browser, served on 127.0.0.1.

The web stack (``desk``: FastAPI, uvicorn) is imported when the command runs, never at the
start of ``laiqu``.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import click

from cli.app import App
from cli.errors import Refusal
from cli.station import open_station, station_options

DEFAULT_PORT = 8517
QUICK_POLL = 0.05


@click.command("desk")
@click.option("--venue", metavar="V", help="旅馆编号或名称（默认用上次的设置）。")
@click.option("--reader", "reader_url", metavar="URL",
              help="读卡器地址，如 serial://auto、pcsc://、emulator://（默认用上次的设置）。")
@click.option("--station", envvar="LAIQU_STATION_URL", metavar="URL",
              help="派出所服务地址（https://…，管理员也可给数据库地址）：给出时在后台自动上报。")
@click.option("--port", type=click.IntRange(0, 65535), help=f"本机端口（默认 {DEFAULT_PORT}）。")
@click.option("--push-every", type=click.FloatRange(0.1), default=10.0, show_default=True,
              metavar="SECONDS", help="后台上报的间隔秒数。")
@click.option("--photo-decoder", envvar="LAIQU_PHOTO_DECODER", metavar="MODULE:FUNC",
              help="证件照片解码插件（不给出时只保存原始照片数据）。")
@station_options
@click.pass_obj
def desk(app: App, venue: str | None, reader_url: str | None, station: str | None,
         port: int | None, push_every: float, photo_decoder: str | None,
         station_user: str | None, token_file: Path | None, ca_file: Path | None) -> None:
    """旅馆前台页面：在本机浏览器中刷卡登记入住、退房，查看在住旅客和上报情况。

    打开 http://127.0.0.1:端口/ 即可使用；刷身份证后按回车即完成入住。
    旅馆和读卡器记在本机设置中，下次可省略。Ctrl-C 退出。
    """
    import uvicorn

    from desk import config
    from desk.app import create_app
    from desk.reader import ReaderLoop
    from desk.service import Desk
    from drivers.photo import load_decoder
    from registry.sync.background import BackgroundPush

    path = config.config_path(app.url)
    saved = config.load(path, venue)
    venue = venue or saved.get("venue")
    reader_url = reader_url or saved.get("reader")
    station = station or saved.get("station")
    station_user = station_user or saved.get("station_user")
    token_file = token_file or _path(saved.get("token_file"))
    ca_file = ca_file or _path(saved.get("ca_file"))
    port = port if port is not None else int(saved.get("port") or DEFAULT_PORT)
    if not venue or not reader_url:
        raise click.UsageError("第一次使用请给出 --venue 旅馆 和 --reader 读卡器地址。")
    sessions = app.sessions
    loop = ReaderLoop(quick_polls(reader_url))
    front = Desk(sessions, app.ctx, venue, loop, decoder=load_decoder(photo_decoder))
    # The same transport as ``laiqu frontdesk``: the station service over HTTP(S) (or, for
    # an admin, the station's database).
    target = open_station(app, station, station_user, token_file, ca_file) if station else None
    config.save(path, {"venue": venue, "reader": reader_url, "station": station, "port": port,
                       "station_user": station_user,
                       "token_file": str(token_file) if token_file else None,
                       "ca_file": str(ca_file) if ca_file else None})
    if target is not None:
        front.push = BackgroundPush(sessions, target, app.ctx, front.venue_id, push_every)
    sock = listen(port)  # before anything is announced or started
    port = int(sock.getsockname()[1])
    loop.start()
    if front.push is not None:
        front.push.start()
    click.echo(f"{front.venue_name} 前台页面：http://127.0.0.1:{port}/ （Ctrl-C 退出）", err=True)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    try:
        server: uvicorn.Server | None = None
        page = create_app(front, lambda: server is not None and server.should_exit, port)
        server = uvicorn.Server(uvicorn.Config(
            page, host="127.0.0.1", port=port, log_level="warning", access_log=False,
            timeout_graceful_shutdown=3))
        server.run(sockets=[sock])
    finally:
        sock.close()
        loop.stop()
        if front.push is not None:
            front.push.stop()
        if target is not None and not isinstance(target, str):
            target.close()


def _path(value: object) -> Path | None:
    return Path(str(value)) if value else None


def listen(port: int) -> socket.socket:
    """The page's listening socket on 127.0.0.1, or a Chinese refusal when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As uvicorn does: a restart may reuse the port its last connections still wait on (a
    # listening socket of another program still refuses the bind).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise Refusal(
            f"本机端口 {port} 已被占用（可能另一个前台页面或其他程序正在使用）："
            "请用 --port 换一个端口后重试。") from exc
    sock.set_inheritable(True)
    return sock


def quick_polls(url: str) -> str:
    """A serial reader polled every 50 ms unless the URL says otherwise: the card is on the
    page about as soon as its frames are through (a find costs ~2 ms of wire time)."""
    scheme = url.split(":", 1)[0].lower()
    if "poll=" in url or (scheme not in ("serial", "emulator") and not url.startswith("/")):
        return url
    return url + ("&" if "?" in url else "?") + f"poll={QUICK_POLL}"


COMMANDS = [desk]
