"""Request bodies bounded in size: an ASGI middleware counting the bytes as they stream in.

A declared ``Content-Length`` over the limit is answered 413 at once; a chunked or lying
body is read up to the limit and answered 413 as soon as it goes over, without the
application ever seeing it. A body within the limit is replayed to the application whole
(bounded memory: at most the limit per request). Default 1 MiB (``laiqu serve --max-body``).

Every body the API takes is JSON: a request with a body of another ``Content-Type`` is
answered 415 before it is read.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import problem

DEFAULT_MAX_BODY = 1 << 20
NOT_JSON = "请求体必须是 JSON（Content-Type: application/json），未做任何更改。"


def is_json(content_type: bytes | None) -> bool:
    """``application/json`` or a ``+json`` type, any parameters (charset) aside."""
    media = (content_type or b"").split(b";")[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"请求体超过 {self.max_body} 字节的上限，未做任何更改。请分成更小的批次。"
        response = problem(413, "too_large", message, headers={"Connection": "close"})
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        has_body = (declared not in (None, b"0")) or b"transfer-encoding" in headers
        if has_body and not is_json(headers.get(b"content-type")):
            response = problem(415, "unsupported_media_type", NOT_JSON)
            await response(scope, receive, send)
            return
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size > self.max_body:
                await self._too_large(scope, receive, send)
                return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            received += len(body)
            if received > self.max_body:
                await self._too_large(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                whole: dict[str, Any] = {"type": "http.request", "body": b"".join(chunks)}
                return whole
            return await receive()

        await self.app(scope, replay, send)
