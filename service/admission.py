"""Uploads admitted in bounded numbers: a full queue is answered 503 with ``Retry-After``.

``UploadGate`` is an ASGI middleware in front of ``POST /api/v1/sync/batches``: at most
``slots`` uploads are applied at once (each holds a database connection and a worker thread
for its one transaction), at most ``queue`` more wait for a slot, each no longer than
``wait`` seconds. An upload beyond that, or one that waited too long, is answered at once
503 ``busy`` with ``Retry-After`` before its body is read or its caller looked up: nothing
was written, and the desk's push keeps the items and sends them again after at least that
many seconds (``service.client``, ``registry.sync.push``). Bounded slots and queue keep the
station's memory and latency flat when more desks push than it can apply (RFC 9110 §15.6.4:
503 with Retry-After for a temporary overload). Per process: ``laiqu serve --workers N``
has N gates.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the limits are read by ``laiqu serve --help``: no web stack imported
    from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_SLOTS = 8
DEFAULT_QUEUE = 32
DEFAULT_WAIT = 10.0  # seconds an admitted upload may wait for a slot
BUSY_RETRY_AFTER = 1  # seconds: the queue drains in about a batch's time
FULL = "派出所服务正忙（上报排队已满），本批未做任何更改。前台会在 {wait} 秒后自动重试。"


class UploadGate:
    """Bound the uploads at ``path`` (POST): ``slots`` applied at once, ``queue`` waiting."""

    def __init__(
        self,
        app: ASGIApp,
        path: str,
        slots: int = DEFAULT_SLOTS,
        queue: int = DEFAULT_QUEUE,
        wait: float = DEFAULT_WAIT,
        retry_after: int = BUSY_RETRY_AFTER,
    ) -> None:
        if slots < 1 or queue < 0:
            raise ValueError("an upload gate needs at least one slot and a queue of zero or more")
        self.app, self.path = app, path
        self.slots, self.queue, self.wait, self.retry_after = slots, queue, wait, retry_after
        self.admitted = 0  # applied or waiting, in this process
        self._free: asyncio.Semaphore | None = None  # made in the server's event loop

    async def _busy(self, scope: Scope, receive: Receive, send: Send) -> None:
        from service.errors import problem

        headers = {"Retry-After": str(self.retry_after)}
        message = FULL.format(wait=self.retry_after)
        await problem(503, "busy", message, headers=headers)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        if self._free is None:
            self._free = asyncio.Semaphore(self.slots)
        if self.admitted >= self.slots + self.queue:
            await self._busy(scope, receive, send)
            return
        self.admitted += 1
        try:
            try:
                await asyncio.wait_for(self._free.acquire(), self.wait)
            except TimeoutError:
                await self._busy(scope, receive, send)
                return
            try:
                await self.app(scope, receive, send)
            finally:
                self._free.release()
        finally:
            self.admitted -= 1
