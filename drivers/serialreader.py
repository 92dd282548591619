"""The GA 467 ``CardReader`` on a serial line: find → select → read once per presentation.

The read cycle follows protocol doc §1.7. Recovers from unplug/replug without a restart;
card-level errors (card moved: SW3 41) reach the caller of ``read`` (``watch`` reports them
as ``ReaderEvent`` and goes on) and the card is read again on its next presentation. The
command layer is ``drivers.samport``, the polling loop ``drivers.events.PollingReader``,
``serial://auto`` discovery ``drivers.discover``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

from drivers import frames as f
from drivers.discover import list_readers
from drivers.errors import (
    CardMoved,
    FrameError,
    NoCard,
    ReaderError,
    ReadTimeout,
    SamFault,
    SelectFailed,
)
from drivers.events import PollingReader, ReaderEvent
from drivers.layouts import decode_text
from drivers.samport import PORT_ERRORS, SamPort, open_port, probe, wire_time
from registry.identity.cards import CardRead

log = logging.getLogger(__name__)


class SerialReader(PollingReader):
    """A desk reader on a serial line: one ``CardRead`` per card presentation."""

    def __init__(self, url: str, *, baud: int | None = None, reader_id: str | None = None,
                 fingerprints: bool = False, append_address: bool = False,
                 poll: float = 0.2, probe_baud: bool = True,
                 on_error: Callable[[ReaderError], None] | None = None,
                 on_event: Callable[[ReaderEvent], None] | None = None) -> None:
        self.url, self.fingerprints, self.append_address = url, fingerprints, append_address
        self.reader_id = reader_id or url
        self.poll, self.on_error = poll, on_error or self._log_error
        self.on_event = on_event
        self.baud = baud
        self.sam_id: str | None = None
        self._armed = True  # a found card will be read (False after a read until the card left)
        self.card_present: bool | None = None  # what the last find said (None: not known yet)
        self._closed = False
        self._sam: SamPort | None = None
        self._connect(probe_baud or baud is None)

    @staticmethod
    def _log_error(error: ReaderError) -> None:
        log.warning("%s", error)

    def _connect(self, check: bool = True) -> None:
        port = open_port(self.url, self.baud or f.BAUDS[0])
        try:
            if self.baud is None:
                self.baud = probe(port, self.url)
            elif check:
                probe(port, self.url, bauds=(self.baud,))
            sam = SamPort(port, self.url)
            if check:
                try:
                    self.sam_id = sam.sam_id()
                except (ReaderError, FrameError) as exc:
                    log.info("SAM id unavailable on %s: %s", self.url, exc)
        except BaseException:
            port.close()
            raise
        self._sam = sam

    def _port(self) -> SamPort:
        if self._sam is None:
            self._connect()
        assert self._sam is not None
        return self._sam

    def _drop(self) -> None:
        if self._sam is not None:
            with contextlib.suppress(*PORT_ERRORS):  # closing a vanished tty may fail too
                self._sam.port.close()
            self._sam = None

    def _read_selected(self) -> CardRead:
        sam = self._port()
        message = sam.read_base(self.fingerprints)
        extras = dict[str, str]()
        if self.append_address and (text := self._append_address(sam)):
            extras["append_address"] = text
        card = decode_text(message.text, photo=message.photo or None,
                           fingerprints=message.fingerprints, reader_id=self.reader_id,
                           sam_id=self.sam_id, read_at=datetime.now(UTC))
        if extras:
            card = replace(card, extras=MappingProxyType({**card.extras, **extras}))
        return card

    def _append_address(self, sam: SamPort) -> str | None:
        """The optional 30 03 after a good base read: its trouble must not cost the card
        (a read-once reader would not give it again), so it is logged and skipped."""
        try:
            return sam.read_append_address()
        except (FrameError, ReadTimeout) as exc:
            log.warning("append address unreadable on %s: %s", self.url, exc)
            return None

    def read_card(self) -> CardRead:
        """One find → select → read cycle on the card in the field (no read-once logic)."""
        sam = self._port()
        sam.find()
        sam.select()
        return self._read_selected()

    def poll_once(self) -> CardRead | None:
        """One poll: the card newly presented since the last read, else None."""
        sam = self._port()
        try:
            sam.find()
        except NoCard:
            self._armed = True
            self.card_present = False
            return None
        except SamFault as exc:
            if exc.code == 0x60:
                sam.reset()  # self-test failure: a SAM reset is the host's only lever
            raise
        self.card_present = True
        if not self._armed:
            return None
        try:
            sam.select()
        except SelectFailed:
            return None  # card still moving into the field: next poll
        card = self._read_selected()  # CardMoved propagates and the reader stays armed
        self._armed = self._enforces_read_once(sam)
        return card

    @staticmethod
    def _enforces_read_once(sam: SamPort) -> bool:
        """Find again at once: a reader that now says "no card" protects against re-reads
        itself, so the next card found is a new presentation (even a fast swap); a reader that
        still finds the card needs us to wait until it has left the field."""
        try:
            sam.find()
        except NoCard:
            return True
        except ReaderError:
            return False
        return False

    def close(self) -> None:
        self._closed = True
        self._drop()

    def __enter__(self) -> SerialReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["CardMoved", "SamPort", "SerialReader", "list_readers", "open_port", "probe",
           "wire_time"]
