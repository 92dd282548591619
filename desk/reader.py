"""The desk's reading loop in its own thread, apart from the page and the database.

The loop opens the reader (retrying while it is absent), follows ``watch()`` and keeps what
the page shows: connected or not, a card in the field, the cards read (by an opaque token:
the page never gets a full ID number) and the reader's events, each reported once. Waiting
for a person never holds a database transaction: the loop touches no database at all.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from desk.errors import chinese
from drivers import open_reader
from drivers.errors import ReaderError
from drivers.events import EventKind, ReaderEvent
from registry.identity.cards import CardRead, CardReader

log = logging.getLogger(__name__)

KEEP_CARDS = 64  # tokens a page may still check in with
KEEP_EVENTS = 30
RETRY_OPEN = 1.0  # seconds between attempts to open an absent reader


@dataclass(frozen=True)
class Swipe:
    """One card read, as the desk holds it: the token the page uses, and timings."""

    token: str
    card: CardRead
    seq: int
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    monotonic: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Notice:
    id: int
    kind: str
    message: str
    at: datetime


class ReaderLoop:
    """Reads cards forever in a daemon thread; ``snapshot``/``wait`` for the page."""

    def __init__(
        self, url: str, opener: Callable[[str], CardReader] = open_reader
    ) -> None:
        self.url = url
        self._opener = opener
        self._reader: CardReader | None = None
        self._cond = threading.Condition()
        self._seq = itertools.count(1)
        self.version = 0  # bumps on every change the page should see
        self.connected = False
        self.cards: OrderedDict[str, Swipe] = OrderedDict()
        self.last: Swipe | None = None
        self.notices: deque[Notice] = deque(maxlen=KEEP_EVENTS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="laiqu-desk-reader", daemon=True)

    # --- the thread --------------------------------------------------------------------------

    def start(self) -> ReaderLoop:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        reader = self._reader
        if reader is not None and hasattr(reader, "close"):
            try:
                reader.close()
            except Exception:  # closing a broken reader must not stop the shutdown
                log.debug("closing the reader failed", exc_info=True)
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        absent_said = False
        while not self._stop.is_set():
            try:
                reader = self._opener(self.url)
            except ReaderError as exc:
                if not absent_said:
                    absent_said = True
                    self._notice(EventKind.UNPLUGGED.value, f"读卡器未连接：{exc}", False)
                self._stop.wait(RETRY_OPEN)
                continue
            except Exception as exc:  # a wrong URL or a driver bug: say it, keep trying
                if not absent_said:
                    absent_said = True
                    self._notice("open_failed", f"无法打开读卡器：{chinese(str(exc))}", False)
                self._stop.wait(RETRY_OPEN)
                continue
            self._reader = reader
            if hasattr(reader, "on_event"):
                reader.on_event = self._on_event  # type: ignore[attr-defined]
            self._notice("connected", "读卡器已连接", True)
            absent_said = False
            try:
                for card in reader.watch():
                    self._on_card(card)
                    if self._stop.is_set():
                        break
            except Exception as exc:  # watch() never ends on reader trouble; a bug might
                log.exception("reader loop failed")
                self._notice("loop_failed", f"读卡出错，正在重新连接：{chinese(str(exc))}", False)
                self._stop.wait(RETRY_OPEN)
            finally:
                if hasattr(reader, "close"):
                    try:
                        reader.close()  # type: ignore[attr-defined]
                    except Exception:
                        log.debug("closing the reader failed", exc_info=True)
                self._reader = None

    def _on_event(self, event: ReaderEvent) -> None:
        connected: bool | None = None
        if event.kind is EventKind.UNPLUGGED:
            connected = False
        elif event.kind is EventKind.REPLUGGED:
            connected = True
        self._notice(event.kind.value, _message(event), connected)

    def _on_card(self, card: CardRead) -> None:
        with self._cond:
            swipe = Swipe(secrets.token_urlsafe(12), card, next(self._seq))
            self.cards[swipe.token] = swipe
            while len(self.cards) > KEEP_CARDS:
                self.cards.popitem(last=False)
            self.last = swipe
            self.connected = True
            self._changed()

    def _notice(self, kind: str, message: str, connected: bool | None) -> None:
        with self._cond:
            self.notices.append(Notice(next(self._seq), kind, message, datetime.now(UTC)))
            if connected is not None:
                self.connected = connected
            self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._cond.notify_all()

    # --- for the page ------------------------------------------------------------------------

    @property
    def card_present(self) -> bool | None:
        if not self.connected:
            return None
        present = getattr(self._reader, "card_present", None)
        return present if isinstance(present, bool) else None

    def wait(self, after: int, timeout: float) -> int:
        """Block until the version passes ``after`` (or ``timeout``); the version now."""
        with self._cond:
            self._cond.wait_for(
                lambda: self.version > after or self._stop.is_set(), timeout=timeout
            )
            return self.version

    def swipe(self, token: str) -> Swipe | None:
        with self._cond:
            return self.cards.get(token)

    def snapshot(self) -> dict[str, Any]:
        with self._cond:
            return {
                "version": self.version,
                "connected": self.connected,
                "last": self.last,
                "notices": list(self.notices),
            }


def _message(event: ReaderEvent) -> str:
    """The event as one Chinese line for the clerk (the drivers' messages are Chinese)."""
    lead = {
        EventKind.CARD_MOVED: "证件移动，请把证件放稳后重新刷卡",
        EventKind.BAD_FRAME: "读卡数据有误，已跳过",
        EventKind.TIMEOUT: "读卡器应答超时",
        EventKind.UNPLUGGED: "读卡器已断开",
        EventKind.REPLUGGED: "读卡器已重新连接",
        EventKind.READER_FAULT: "读卡器故障",
        EventKind.CARD_ERROR: "证件无法读取",
        EventKind.NO_SAM_DATA: "读卡器无安全模块数据，只读到芯片序列号",
    }.get(event.kind, "读卡器提示")
    detail = chinese(event.message.strip()).rstrip("。")
    return f"{lead}（{detail}）" if detail and detail != lead else lead
