"""``laiqu serve``: the station service (``service.app``) under uvicorn.

The web stack is imported only when the command runs: ``laiqu --version`` stays fast.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from cli.app import App, NotInitialised, heads
from cli.errors import Refusal
from registry.db.engine import ENV_URL
from service.admission import DEFAULT_QUEUE, DEFAULT_SLOTS

DEFAULT_PORT = 8443


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="监听端口。",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="TLS 证书（PEM）；与 --tls-key 一起给出时以 HTTPS 提供服务。",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="TLS 私钥（PEM）。",
)
@click.option(
    "--max-body",
    type=click.IntRange(1024),
    default=1 << 20,
    show_default=True,
    metavar="BYTES",
    help="请求体大小上限（字节），超过的请求答复 413。",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="工作进程数（每个进程各有上报排队和数据库连接池）。",
)
@click.option(
    "--upload-slots",
    type=click.IntRange(1, 256),
    default=DEFAULT_SLOTS,
    show_default=True,
    help="每个工作进程同时处理的上报批次数。",
)
@click.option(
    "--upload-queue",
    type=click.IntRange(0, 4096),
    default=DEFAULT_QUEUE,
    show_default=True,
    help=(
        "每个工作进程中等待处理的上报批次数上限；"
        "排满后答复 503 并附 Retry-After，前台自动退避重试。"
    ),
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="日志级别（日志中的证件号码一律脱敏）。",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="允许在非本机地址上不加密（HTTP）提供服务；仅限受保护的内网测试，不建议使用。",
)
@click.pass_obj
def serve(
    app: App,
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    max_body: int,
    workers: int,
    upload_slots: int,
    upload_queue: int,
    log_level: str,
    insecure: bool,
) -> None:
    """派出所服务：/api/v1 HTTP 接口（OpenAPI 文档在 /api/v1/openapi.json）。

    前台经此上报：laiqu sync push --to https://主机:端口。

    每个请求都要登录（服务密码或设备令牌），按用户的角色和辖区授权，并记入审计日志。

    请用 --db 指定已初始化的派出所数据库；在本机以外的地址上提供服务必须给出 --tls-cert 和
    --tls-key（或明确给出 --insecure）。数据库登录名须能写入审计日志（laiqu_service 组）。
    """
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert 和 --tls-key 必须同时给出。")
    if tls_cert is None and not insecure and not loopback(host):
        raise Refusal(
            f"拒绝在 {host} 上以不加密的 HTTP 提供服务：密码、令牌和人员信息会以明文传输。"
            "请给出 --tls-cert 和 --tls-key；只在本机测试时请用 --host 127.0.0.1。"
        )
    _check_database(app)
    import uvicorn

    from service import app as service_app
    from service.logs import log_config

    application: Any
    if workers == 1:
        application = service_app.create_app(
            app.url, max_body=max_body, upload_slots=upload_slots, upload_queue=upload_queue
        )
    else:  # each worker process builds the same application from the environment
        os.environ.update(
            {
                ENV_URL: app.url,
                service_app.ENV_MAX_BODY: str(max_body),
                service_app.ENV_UPLOAD_SLOTS: str(upload_slots),
                service_app.ENV_UPLOAD_QUEUE: str(upload_queue),
            }
        )
        application = "service.app:from_environment"
    try:
        uvicorn.run(
            application,
            factory=workers > 1,
            workers=workers,
            host=host,
            port=port,
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
            log_config=log_config(log_level),
            server_header=False,
        )
    except OSError as exc:
        raise Refusal(f"无法在 {host}:{port} 上启动服务：{exc.strerror or exc}。") from exc


def loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_database(app: App) -> None:
    """Refuse an unreachable or uninitialised database before listening. The service acts as
    each caller; whoever starts it need not be a registry user."""
    from sqlalchemy.exc import OperationalError

    try:
        revision = heads(app.engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "连接失败"
        raise Refusal(f"无法连接数据库 {app.shown_url}：{reason}。请检查 --db。") from exc
    if not revision:
        raise NotInitialised(app.shown_url)
    from registry.accounts.users import database_login, writes_audit
    from registry.privacy import audit

    with app.engine.connect() as conn, Session(bind=conn) as session:
        if not writes_audit(session):
            raise Refusal(
                f"数据库登录名 {database_login(session)} 是只读的（不能写入审计日志），"
                "派出所服务无法以它运行：每个请求都要记入审计日志。请改用 laiqu_service 组的"
                "登录名（见 README“派出所服务”）。"
            )
        if not audit.key_fits(conn):
            raise Refusal(
                "审计密钥文件与审计日志不符：用这把密钥写下的审计记录将永远无法核对。请用与管理员"
                "命令行相同的密钥文件（LAIQU_AUDIT_KEY_FILE）启动服务。"
            )


COMMANDS = [serve]
