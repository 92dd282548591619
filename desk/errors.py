"""The page's refusals in one Chinese sentence, and the SQLite busy wait said as such.

The same leads as the terminal desk (``cli.errors``), which this package may not import.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from drivers.errors import ReaderError
from registry.errors import Ambiguous, InvalidInput, InvalidNumber, NotFound, Refused, RegistryError
from registry.messages import phrase, sentence
from registry.privacy.access import OutOfScope

log = logging.getLogger(__name__)
T = TypeVar("T")

LEADS: list[tuple[type[BaseException], str, str]] = [
    (InvalidNumber, "证件号码或代码无效", "请核对后重新输入"),
    (NotFound, "找不到", "请检查后重试"),
    (Ambiguous, "名称不唯一", "请改用编号"),
    (InvalidInput, "输入有误", "请修改后重试"),
    (OutOfScope, "超出权限", "未做任何更改"),
    (Refused, "登记被拒绝", "未做任何更改"),
]
BUSY = "数据库正忙（本机其他程序正在写入），已等待后仍未完成：未做任何更改，请稍后重试。"
BUSY_TRIES = 4  # each try waits up to the engine's busy timeout


# The core's English messages the page may meet, said in Chinese here (registry/messages.py is
# not the desk's to edit); then the system's errno texts a driver passes on.
DESK_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"the expected check-out day is before today"), "预计退房日期早于今天"),
    (re.compile(r"the name is longer than (\d+) characters"), "姓名超过 {0} 个字"),
]
OS_ERRORS = {
    2: "设备不存在", 5: "设备输入/输出错误，读卡器可能已拔出", 6: "设备未连接",
    11: "设备暂时不可用", 13: "没有访问该设备的权限", 16: "设备正忙", 19: "设备不存在",
    110: "连接超时", 111: "连接被拒绝",
}
ERRNO = re.compile(
    r"\(\s*(\d+)\s*,\s*'[^']*'\s*\)|(?:\b[A-Za-z]+Error:?\s*)?\[Errno (\d+)\][^:;，。)）]*")


def chinese(text: str) -> str:
    """``text`` with the known English parts in Chinese (core phrases, errno texts)."""
    for pattern, template in DESK_PHRASES:
        found = pattern.search(text)
        if found:
            text = text.replace(found.group(0), template.format(*found.groups()))

    def errno(found: re.Match[str]) -> str:
        number = int(found.group(1) or found.group(2))
        return OS_ERRORS.get(number, f"系统错误 {number}")

    return ERRNO.sub(errno, text)


class DeskRefusal(Exception):
    """A refusal the page shows as it is (``status`` is the HTTP status)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "busy": another process holds the write lock."""
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)


def refusal(exc: BaseException) -> DeskRefusal | None:
    """The Chinese sentence for an error the core or a driver raises on purpose, else None."""
    if isinstance(exc, DeskRefusal):
        return exc
    if isinstance(exc, ReaderError):
        return DeskRefusal(f"读卡器：{chinese(str(exc)).rstrip('。')}。")
    if isinstance(exc, RegistryError):
        lead, hint = next(
            ((lead, hint) for cls, lead, hint in LEADS if isinstance(exc, cls)),
            ("操作未完成", "未做任何更改"),
        )
        status = 403 if isinstance(exc, OutOfScope) else 404 if isinstance(exc, NotFound) else 400
        return DeskRefusal(sentence(lead, chinese(phrase(str(exc))), hint), status)
    if is_busy(exc):
        return DeskRefusal(BUSY, 503)
    return None


def retry_busy(action: Callable[[], T], tries: int = BUSY_TRIES) -> T:
    """Run one short transaction; on a busy SQLite file wait and run it again (the whole
    transaction rolled back, so nothing is done twice)."""
    for attempt in range(1, tries + 1):
        try:
            return action()
        except OperationalError as exc:
            if not is_busy(exc) or attempt == tries:
                raise
            log.warning("数据库正忙，第 %d 次重试", attempt)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
