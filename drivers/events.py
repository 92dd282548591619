"""Typed reader events and the polling loop every driver shares.

A desk's reading loop must outlive the reader's trouble: a card moved mid-read (GA 467 SW3
41, protocol doc §1.5/§1.7), a corrupt or cut frame, a timeout, an unplugged cable. Each is
reported once as a ``ReaderEvent`` (kind, Chinese message for the desk, the typed error)
and the loop goes on; an unplugged reader is reported when it goes away and again
(``REPLUGGED``) when it comes back, never once per poll in between.
"""

from __future__ import annotations

import copy
import enum
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from drivers.errors import (
    CardMoved,
    CommandRejected,
    FrameError,
    NoSamData,
    ReaderDisconnected,
    ReaderError,
    ReaderNotFound,
    ReadTimeout,
    SamFault,
    StatusError,
)
from registry.identity.cards import CardRead

log = logging.getLogger(__name__)

OUTAGE = (ReaderDisconnected, ReaderNotFound)  # the reader is gone: report once, reconnect
TRANSIENT = (ReadTimeout, FrameError)  # line trouble: a ``read`` reports it and waits on


class EventKind(enum.StrEnum):
    CARD_MOVED = "card_moved"  # SW3 41, or the card left during a PC/SC exchange
    BAD_FRAME = "bad_frame"  # bad checksum, cut frame, an answer fitting no command
    TIMEOUT = "timeout"  # no answer before the command's deadline
    UNPLUGGED = "unplugged"  # the reader went away (or is not there at reconnect)
    REPLUGGED = "replugged"  # the reader answers again after an outage
    READER_FAULT = "reader_fault"  # SAM self-test failed / not authorised, frame refused
    CARD_ERROR = "card_error"  # the card refused: authentication, type, select
    NO_SAM_DATA = "no_sam_data"  # a PC/SC reader without SAM: the chip serial only


# Most specific class first: the first match decides.
KINDS: tuple[tuple[type[ReaderError], EventKind], ...] = (
    (CardMoved, EventKind.CARD_MOVED),
    (FrameError, EventKind.BAD_FRAME),
    (ReadTimeout, EventKind.TIMEOUT),
    (ReaderDisconnected, EventKind.UNPLUGGED),
    (ReaderNotFound, EventKind.UNPLUGGED),
    (NoSamData, EventKind.NO_SAM_DATA),
    (SamFault, EventKind.READER_FAULT),
    (CommandRejected, EventKind.READER_FAULT),
    (StatusError, EventKind.CARD_ERROR),
)


@dataclass(frozen=True)
class ReaderEvent:
    """One thing a desk should be told; ``message`` is for staff and never holds an ID number."""

    kind: EventKind
    message: str
    error: ReaderError | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def event_for(error: ReaderError) -> ReaderEvent:
    """The event that reports ``error``."""
    kind = next((k for cls, k in KINDS if isinstance(error, cls)), EventKind.READER_FAULT)
    return ReaderEvent(kind, str(error), error)


class PollingReader:
    """find-style polling with outage and trouble bookkeeping; drivers give ``poll_once``.

    ``read(timeout)`` returns the next new card; card-level trouble (card moved, SAM fault,
    no SAM data) is raised to its caller, line trouble (timeout, bad frame) is reported and
    the wait goes on, an outage is reported once and raised at the deadline if it lasts.
    ``watch()`` never ends on trouble: everything is reported (``on_event``, else
    ``on_error`` for the error events) and the loop goes on, reconnecting after an unplug.
    """

    poll: float
    on_error: Callable[[ReaderError], None]
    on_event: Callable[[ReaderEvent], None] | None = None
    reader_id: str
    _closed: bool = False
    _outage: ReaderError | None = None
    _last_trouble: tuple[type[ReaderError], str] | None = None

    def poll_once(self) -> CardRead | None:  # pragma: no cover - every driver overrides it
        raise NotImplementedError

    def _drop(self) -> None:
        """Forget the connection so the next poll reconnects."""

    def _emit(self, event: ReaderEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)
        elif event.error is not None:
            self.on_error(event.error)
        else:
            log.info("%s", event.message)

    def _trouble(self, error: ReaderError) -> None:
        """Report ``error`` unless it repeats the last trouble since the last clean poll."""
        key = (type(error), str(error))
        if key != self._last_trouble:
            self._last_trouble = key
            self._emit(event_for(error))

    def _back(self) -> None:
        if self._outage is not None:
            self._outage = None
            self._emit(ReaderEvent(EventKind.REPLUGGED, f"读卡器 {self.reader_id} 已重新连接"))

    def _poll(self) -> CardRead | None:
        """One poll with the outage bookkeeping; every error still reaches the caller."""
        try:
            card = self.poll_once()
        except OUTAGE as exc:
            self._drop()
            if self._outage is None and not self._closed:  # closing is no unplug
                self._outage = exc
                self._last_trouble = None
                self._emit(event_for(exc))
            raise
        except ReaderError:
            self._back()
            raise
        self._back()
        self._last_trouble = None
        return card

    def read(self, timeout: float | None = None) -> CardRead | None:
        """Wait up to ``timeout`` seconds for a newly presented card (None: wait forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._closed:
            try:
                card = self._poll()
                if card is not None:
                    return card
            except OUTAGE:
                pass
            except TRANSIENT as exc:
                self._trouble(exc)
            if deadline is not None and time.monotonic() >= deadline:
                if self._outage is not None:
                    raise copy.copy(self._outage).with_traceback(None)
                return None
            time.sleep(self.poll)
        return None

    def watch(self) -> Iterator[CardRead]:
        """Yield each presented card once, until closed; trouble is reported, never raised."""
        while not self._closed:
            card = None
            try:
                card = self._poll()
            except OUTAGE:
                pass
            except ReaderError as exc:
                self._trouble(exc)
            if card is not None:
                yield card
            elif not self._closed:
                time.sleep(self.poll)
