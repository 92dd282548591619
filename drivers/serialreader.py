"""The GA 467 ``CardReader`` on a serial line: find → select → read once per presentation.

Recovers from unplug/replug without a restart; card-level errors (card moved: SW3 41) reach
the caller and the card is read again on its next presentation. The command layer is
``drivers.samport``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

from drivers import frames as f
from drivers.errors import (
    CardMoved,
    FrameError,
    NoCard,
    ReaderDisconnected,
    ReaderError,
    ReaderNotFound,
    ReadTimeout,
    SamFault,
    SelectFailed,
)
from drivers.layouts import decode_text
from drivers.samport import SamPort, list_readers, open_port, probe, wire_time
from registry.identity.cards import CardRead

log = logging.getLogger(__name__)


class SerialReader:
    """A desk reader on a serial line: one ``CardRead`` per card presentation."""

    def __init__(self, url: str, *, baud: int | None = None, reader_id: str | None = None,
                 fingerprints: bool = False, append_address: bool = False,
                 poll: float = 0.2, probe_baud: bool = True,
                 on_error: Callable[[ReaderError], None] | None = None) -> None:
        self.url, self.fingerprints, self.append_address = url, fingerprints, append_address
        self.reader_id = reader_id or url
        self.poll, self.on_error = poll, on_error or self._log_error
        self.baud = baud
        self.sam_id: str | None = None
        self._armed = True  # a found card will be read (False after a read until the card left)
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
            self._sam.port.close()
            self._sam = None

    def _read_selected(self) -> CardRead:
        sam = self._port()
        message = sam.read_base(self.fingerprints)
        extras = dict[str, str]()
        if self.append_address and (text := sam.read_append_address()):
            extras["append_address"] = text
        card = decode_text(message.text, photo=message.photo or None,
                           fingerprints=message.fingerprints, reader_id=self.reader_id,
                           sam_id=self.sam_id, read_at=datetime.now(UTC))
        if extras:
            card = replace(card, extras=MappingProxyType({**card.extras, **extras}))
        return card

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
            return None
        except SamFault as exc:
            if exc.code == 0x60:
                sam.reset()  # self-test failure: a SAM reset is the host's only lever
            raise
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

    def read(self, timeout: float | None = None) -> CardRead | None:
        """Wait up to ``timeout`` seconds for a newly presented card (None: wait forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        outage: ReaderError | None = None
        while not self._closed:
            try:
                card = self.poll_once()
                outage = None
                if card is not None:
                    return card
            except (ReaderDisconnected, ReaderNotFound) as exc:
                self._drop()
                if outage is None:
                    self.on_error(exc)
                outage = exc
            except ReadTimeout as exc:
                self.on_error(exc)
            if deadline is not None and time.monotonic() >= deadline:
                if outage is not None:
                    raise outage
                return None
            time.sleep(self.poll)
        return None

    def watch(self) -> Iterator[CardRead]:
        """Yield each presented card once; errors go to ``on_error`` and the loop goes on."""
        while not self._closed:
            try:
                card = self.read(timeout=1.0)
            except ReaderError as exc:
                self.on_error(exc)
                continue
            if card is not None:
                yield card

    def close(self) -> None:
        self._closed = True
        self._drop()

    def __enter__(self) -> SerialReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["CardMoved", "SamPort", "SerialReader", "list_readers", "open_port", "probe",
           "wire_time"]
