"""The station's background chainer: links staged audit entries every second or so.

Writers on PostgreSQL stage their audit entries unchained (``registry.privacy.audit.stage``)
and leave them to a chainer (``audit.staged_committed``). The station service runs one
``Chainer`` thread so that nothing waits longer than ``every`` seconds (plus one chaining);
while it runs, the writers of its process never chain at their commits.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from registry.privacy import audit

log = logging.getLogger(__name__)


class Chainer:
    """A daemon thread calling ``audit.settle(engine, wait=False)`` every ``every`` seconds
    (PostgreSQL only: SQLite writers chain at their commit). ``start``/``stop`` are
    idempotent; ``stop`` waits for the thread up to ``every`` + 5 seconds."""

    def __init__(self, engine: Engine, every: float = 1.0) -> None:
        self.engine = engine
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None or self.engine.dialect.name != "postgresql":
            return
        self._thread = threading.Thread(target=self._run, name="laiqu-audit-chainer", daemon=True)
        self._thread.start()
        audit.background(self.engine, True)  # this process's writers leave their entries to it

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every + 5)
            self._thread = None
            audit.background(self.engine, False)
            audit.settle_owed(self.engine)  # what was committed since its last round

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                audit.settle(self.engine, wait=False)
            except Exception as exc:  # the thread must outlive a bad moment; logged
                log.warning("审计日志后台入链失败，稍后重试：%s", type(exc).__name__)
