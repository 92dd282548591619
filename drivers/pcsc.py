"""PC/SC readers through pcscd (pyscard): chip serial, and SAM-decoded data where exposed.

A plain contactless reader gets only the chip serial of a resident ID card (proprietary
GUID APDU ``00 36 00 00 08``): everything personal needs the SAM. Some readers expose the
SAM-decoded text and photo with the pseudo-APDU ``FF B0 P1 00 00`` in 256-byte pages
(protocol doc §5.1). Status words become typed errors through ``errors.SW_TABLE``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from smartcard.Exceptions import CardConnectionException, NoCardException, SmartcardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.scard import SCARD_W_RESET_CARD
from smartcard.System import readers as list_pcsc_readers

from drivers import frames as f
from drivers.errors import (
    CardMoved,
    NoSamData,
    NotSupported,
    ReaderDisconnected,
    ReaderError,
    ReaderNotFound,
    card_error,
)
from drivers.events import PollingReader, ReaderEvent
from drivers.layouts import decode_text
from registry.identity.cards import CardRead

log = logging.getLogger(__name__)
PCSC_ERRORS = (SmartcardException, BaseSCardException)  # pcscd gone, context lost, …

RESET_CARD = SCARD_W_RESET_CARD & 0xFFFFFFFF  # another connection reset the card
GUID = [0x00, 0x36, 0x00, 0x00, 0x08]
SAM_PAGES = 6  # 4 + 256 + 1024 bytes in 256-byte pages: 252+256+256+256+4 of photo


class CardWasReset(Exception):  # an internal signal: never leaves this module
    """Another application (or connection) reset the card under us: not a removal; PC/SC
    wants a reconnect, which the next poll does."""


def reader_names() -> list[str]:
    """Names pcscd reports; ``ReaderNotFound`` when pcscd itself is not there."""
    try:
        return [str(r) for r in list_pcsc_readers()]
    except PCSC_ERRORS as exc:
        raise ReaderNotFound(f"无法连接 pcscd（PC/SC 服务未运行？）: {exc}") from exc


class PcscReader(PollingReader):
    """A PC/SC reader: ``pcsc://`` (first) or ``pcsc://<name>`` (exact or prefix)."""

    def __init__(self, name: str | None = None, *, poll: float = 0.2,
                 reader_id: str | None = None,
                 on_error: Callable[[ReaderError], None] | None = None,
                 on_event: Callable[[ReaderEvent], None] | None = None) -> None:
        names = reader_names()
        if not names:
            raise ReaderNotFound("pcscd 正在运行，但没有列出任何 PC/SC 读卡器")
        match = [n for n in names if n == name] or [n for n in names if name and
                                                    n.startswith(name)]
        if name is None:
            match = names[:1]
        if not match:
            raise ReaderNotFound(f"没有名为 {name!r} 的 PC/SC 读卡器；现有: {', '.join(names)}")
        self.name = match[0]
        self.reader_id = reader_id or f"pcsc://{self.name}"
        self.poll, self.on_error = poll, on_error or (lambda exc: log.warning("%s", exc))
        self.on_event = on_event
        self._armed, self._closed = True, False

    def _reader(self) -> Any:
        for reader in list_pcsc_readers():
            if str(reader) == self.name:
                return reader
        raise ReaderDisconnected(f"PC/SC 读卡器 {self.name} 已断开")

    @staticmethod
    def transmit(connection: Any, apdu: list[int]) -> bytes:
        """Send one APDU; follow 61xx/6Cxx; raise the typed error of any other non-9000."""
        try:
            data, sw1, sw2 = connection.transmit(apdu)
            if sw1 == 0x6C:
                data, sw1, sw2 = connection.transmit([*apdu[:4], sw2])
            while sw1 == 0x61:
                more, sw1, sw2 = connection.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
                data += more
        except CardConnectionException as exc:
            if getattr(exc, "hresult", -1) & 0xFFFFFFFF == RESET_CARD:
                raise CardWasReset from exc
            raise CardMoved(f"读卡失败：证件被移开 ({exc})") from exc
        if (sw1, sw2) != (0x90, 0x00):
            raise card_error(sw1, sw2)
        return bytes(data)

    def _connect(self) -> Any | None:
        connection = self._reader().createConnection()
        try:
            connection.connect()
        except (NoCardException, CardConnectionException):
            self._release(connection)
            return None
        return connection

    @staticmethod
    def _release(connection: Any) -> None:
        """Disconnect and release the PC/SC context now, not in a destructor at exit."""
        inner = getattr(connection, "component", connection)  # under pyscard's decorator
        for _attempt in range(2):  # a failed disconnect (card gone) aborts the first try
            with contextlib.suppress(*PCSC_ERRORS):
                inner.release()
                return

    def chip_serial(self) -> str | None:
        """Chip serial of the card in the field (hex), None when no card is there."""
        connection = self._connect()
        if connection is None:
            return None
        try:
            return self.transmit(connection, GUID).hex().upper()
        except CardWasReset:
            return None  # there, but being reset: ask again
        finally:
            self._release(connection)

    def _read_connected(self, connection: Any) -> CardRead:
        serial = self.transmit(connection, GUID).hex().upper()
        try:
            blob = b"".join(self.transmit(connection, [0xFF, 0xB0, page, 0x00, 0x00])
                            for page in range(SAM_PAGES))
        except NotSupported as exc:
            raise NoSamData(chip_serial=serial) from exc
        message = f.decode_base(blob)
        return decode_text(message.text, photo=message.photo or None, chip_serial=serial,
                           reader_id=self.reader_id, read_at=datetime.now(UTC))

    def poll_once(self) -> CardRead | None:
        """The card newly presented since the last read, else None (read once per card)."""
        try:
            return self._poll_card()
        except PCSC_ERRORS as exc:  # pcscd gone, reader removed, context lost
            raise ReaderDisconnected(f"PC/SC 读卡器 {self.name} 出错: {exc}") from exc

    def _poll_card(self) -> CardRead | None:
        connection = self._connect()
        if connection is None:
            self._armed = True
            return None
        try:
            if not self._armed:
                return None
            try:
                card = self._read_connected(connection)
            except CardWasReset:
                return None  # read on the next poll, over a fresh connection
            except NoSamData:
                self._armed = False  # reported once per presentation
                raise
            self._armed = False
            return card
        finally:
            self._release(connection)

    def close(self) -> None:
        self._closed = True
