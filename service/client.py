"""The desk's side of the station service: an HTTP transport for ``registry.sync.push``.

``HttpStation(base_url, …)`` posts each outbox batch to ``/api/v1/sync/batches`` with HTTP
Basic (login and password) or a device token, and maps the answers onto the push's errors:
a network error, a timeout, 429, 502–504 and a 409 that asks to retry (the same items
being applied by a concurrent upload) become ``StationUnreachable`` (retried with the
outbox back-off, at least the ``Retry-After`` the station sent); 404 for the venue becomes
``UnknownVenue``; a batch over the station's body limit (413) is sent again in halves, in
order (each half applied once, the ledger keeps a resend harmless); 401, 403, a single item
over the limit and other refusals become ``StationRefused`` with the
station's Chinese message. TLS is verified (``ca_file`` for a station's own CA).
"""

from __future__ import annotations

import email.utils
import ssl
from datetime import UTC, datetime
from typing import Any

import httpx

from registry.context import Context
from registry.sync.push import StationRefused, StationUnreachable
from registry.sync.station import Result, UnknownVenue
from service.logs import scrub

PATH = "/api/v1/sync/batches"
RETRYABLE = (429, 502, 503, 504)
LATER = {"upload_in_progress", "conflict"}  # 409 codes that mean: send again later


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date; RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
        text = str(body.get("message") or body)
    except ValueError:
        text = response.text[:200]
    return scrub(f"派出所服务答复 {response.status_code}：{text}")


def _code(response: httpx.Response) -> str | None:
    try:
        return str(response.json().get("code"))
    except (ValueError, AttributeError):
        return None


def _later(response: httpx.Response) -> bool:
    """A 409 the station asks to retry (the same items being applied by another upload)."""
    return response.status_code == 409 and (
        _code(response) in LATER or "Retry-After" in response.headers
    )


class HttpStation:
    """A ``registry.sync.push.Transport`` over HTTP(S) to ``laiqu serve``."""

    def __init__(
        self,
        base_url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        ca_file: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"User-Agent": "laiqu-desk"}
        auth: httpx.Auth | None = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif user and password is not None:
            auth = httpx.BasicAuth(user, password)
        else:
            raise ValueError("an HTTP station needs a token, or a user and a password")
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            auth=auth,
            verify=ssl.create_default_context(cafile=ca_file) if ca_file else True,
            timeout=timeout,
            transport=transport,
        )

    def send(
        self, venue: dict[str, Any], items: list[dict[str, Any]], ctx: Context
    ) -> list[Result]:
        try:
            response = self.client.post(PATH, json={"venue": venue, "items": items})
        except httpx.TransportError as exc:  # connect, read, write, timeouts, protocol
            raise StationUnreachable(f"无法连接派出所服务：{_why(exc)}") from exc
        status = response.status_code
        if status == 413 and len(items) > 1:  # over the station's body limit: halve, in order
            half = len(items) // 2
            return self.send(venue, items[:half], ctx) + self.send(venue, items[half:], ctx)
        if status in RETRYABLE or status >= 500 or _later(response):
            raise StationUnreachable(
                _message(response), retry_after=retry_after(response.headers.get("Retry-After"))
            )
        if status == 404 and _code(response) == "not_found":
            raise UnknownVenue(_message(response))
        if status != 200:
            raise StationRefused(_message(response))
        results: list[Result] = response.json()["results"]
        return results

    def close(self) -> None:
        self.client.close()


def _why(exc: httpx.TransportError) -> str:
    """What went wrong on the way to the station, in the user's words (httpx's exception
    classes: connect refused or failed, timeouts, a broken protocol)."""
    text = str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return "等待应答超时，请检查网络或稍后重试"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in text.lower() or "111" in text:
            return "连接被拒绝（服务未启动或地址、端口不对）"
        if "name" in text.lower() and ("resolve" in text.lower() or "known" in text.lower()):
            return "找不到该主机名，请检查地址"
        if "wrong version number" in text.lower() or "record layer" in text.lower():
            return "对方不是 HTTPS 服务（地址的 https:// 与服务不符，或端口不对），请检查 --to"
        if "certificate" in text.lower() or "ssl" in text.lower():
            return "证书验证失败，请检查 --ca-file 或服务证书"
        return "连接失败，请检查地址和网络"
    return "网络传输中断，请稍后重试"
