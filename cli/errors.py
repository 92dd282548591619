"""The edge where the core's refusals become one Chinese sentence with what to do.

Only errors the core raises on purpose are translated: every ``RegistryError``, the reader
drivers' ``ReaderError``, and a ``ValueError`` whose traceback passes through the core
(``registry``, ``drivers``). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
from types import TracebackType

import click

from registry.errors import (
    Ambiguous,
    InvalidInput,
    InvalidNumber,
    NotFound,
    Refused,
    RegistryError,
)
from registry.messages import phrase, sentence
from registry.privacy.access import OutOfScope

CORE_MODULES = ("registry", "drivers")
BAD_URL = (
    "地址无效：数据库地址应形如 sqlite:///文件路径 或 postgresql+psycopg2://用户@主机/库名，"
    "派出所服务地址应以 https:// 开头。请检查 --db、--to 或 LAIQU_DATABASE_URL。"
)
BUSY = "数据库正忙：本机其他程序一直在写入，等待后仍未轮到。未做任何更改，请稍后重试。"


_OS_REASONS = {
    errno.ENOENT: "目录不存在",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EISDIR: "这是一个目录",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
    errno.ENAMETOOLONG: "文件名太长",
}


def os_reason(exc: OSError) -> str:
    """Why a file could not be opened or written, in Chinese (the OS's English
    ``strerror`` never reaches a user): the errno's wording, else "系统错误 N"."""
    return _OS_REASONS.get(exc.errno or 0, f"系统错误 {exc.errno}")


class Refusal(click.ClickException):
    """Exit 1 with one line on stderr: ``错误：…``."""

    def show(self, file: object = None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


def unwritable(out: object, exc: OSError) -> Refusal:
    """The refusal of an output file (``--out``) that could not be written, with why."""
    return Refusal(f"无法写入 {out}：{os_reason(exc)}。请换一个输出路径。")


LEADS: list[tuple[type[BaseException], str, str]] = [
    (InvalidNumber, "证件号码或代码无效", "请核对后重新输入"),
    (NotFound, "找不到", "请检查编号或名称，或先登记"),
    (Ambiguous, "名称不唯一", "请改用编号"),
    (InvalidInput, "输入有误", "请修改后重试"),
    (OutOfScope, "超出权限", "未做任何更改"),
    (Refused, "登记被拒绝", "未做任何更改"),
]


def _passes_through_core(tb: TracebackType | None) -> bool:
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.split(".")[0] in CORE_MODULES:
            return True
        tb = tb.tb_next
    return False


def _reader_error() -> type[BaseException] | None:
    try:
        from drivers.errors import ReaderError
    except ImportError:  # pragma: no cover - the drivers package always ships
        return None
    return ReaderError


def _sqlite_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked": a writer that waited and never got its turn."""
    from sqlalchemy.exc import OperationalError

    reason = str(getattr(exc, "orig", "")).lower()
    return isinstance(exc, OperationalError) and ("locked" in reason or "busy" in reason)


def _bad_url(exc: BaseException) -> bool:
    """SQLAlchemy cannot parse the URL or knows no such database driver."""
    from sqlalchemy.exc import ArgumentError

    return (isinstance(exc, ArgumentError) and "URL" in str(exc)) or type(exc).__name__ == (
        "NoSuchModuleError"
    )


def translate(exc: BaseException) -> Refusal | None:
    """A ``ClickException`` for a refusal of the core, None for anything else (a bug)."""
    reader_error = _reader_error()
    if reader_error is not None and isinstance(exc, reader_error):
        detail = str(exc).rstrip("。")
        return Refusal(f"读卡器：{detail}。请检查读卡器地址和连接后重试。")
    if isinstance(exc, RegistryError):
        lead, hint = next(
            ((lead, hint) for cls, lead, hint in LEADS if isinstance(exc, cls)),
            ("操作未完成", "未做任何更改"),
        )
        return Refusal(sentence(lead, phrase(str(exc)), hint))
    if _sqlite_busy(exc):
        return Refusal(BUSY)
    if _bad_url(exc):
        return Refusal(BAD_URL)
    if isinstance(exc, ValueError) and _passes_through_core(exc.__traceback__):
        return Refusal(f"输入有误：{phrase(str(exc)).rstrip('。')}。请修改后重试。")
    return None
