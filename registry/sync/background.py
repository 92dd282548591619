"""The front desk's uploads in the background: a swipe never waits for the network.

A thread pushes the outbox to the station every few seconds (with the push's own back-off
when the station is unreachable); the desk loop only reads the local queue.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.errors import RegistryError
from registry.sync.push import Transport, push


class BackgroundPush:
    """Push every ``every`` seconds until stopped; the last outcome is kept for display."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        station: str | Transport,
        ctx: Context,
        venue: str,
        every: float,
    ) -> None:
        """``station``: a database URL or a transport (e.g. the HTTP client of
        ``service.client``), kept open across pushes."""
        self.sessions, self.url, self.ctx, self.venue, self.every = (
            sessions,
            station,
            ctx,
            venue,
            every,
        )
        self.last_error: str | None = None
        self.pushed = 0
        self.notices: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="laiqu-push", daemon=True)

    def start(self) -> BackgroundPush:
        self._thread.start()
        return self

    def _run(self) -> None:
        stopping = False
        while not stopping:
            self._push()
            stopping = self._stop.wait(self.every)
        self._push()  # what the last guests left: once more on the way out

    def _push(self) -> None:
        try:
            report = push(self.sessions, self.url, self.ctx, venue_ref=self.venue)
            self.pushed += report.sent
            self.notices += report.notices
            self.last_error = report.errors[-1] if report.errors else None
        except RegistryError as exc:
            self.last_error = str(exc)
        except Exception as exc:  # keep the desk serving guests whatever the upload does
            self.last_error = f"{type(exc).__name__}: {exc}"

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
