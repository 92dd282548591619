"""Card-reader drivers, chosen by URL (style practice 5, like pyserial's ``serial_for_url``).

- ``serial:///dev/ttyUSB0?baud=115200`` or any pyserial URL (``socket://host:port``,
  ``loop://``, ``rfc2217://``…): GA 467 SAM frames. Without ``baud`` the rate is probed
  (115200 first); ``probe=0`` skips the status check at open; ``fingerprints=1`` reads
  30 10; ``append=1`` also reads the latest append address; ``poll=SECONDS``.
- ``serial://auto``: the first serial port where a GA 467 reader answers (``drivers.discover``:
  pyserial's port list, ``/dev/ttyUSB*``, ``/dev/ttyACM*``, the paths in ``$LAIQU_SERIAL_PORTS``
  and ``ports=A,B``; ``scan=0`` probes only those given).
- ``pcsc://`` (first reader) or ``pcsc://<reader name>``: through pcscd with pyscard.
- ``emulator://`` or ``emulator://default?cards=FILE&swipe=1.0&baud=115200`` (or
  ``emulator:///path/deck.json``): the shipped emulator on a pty in this process, read
  through the real serial driver. It presents the deck's cards in turn (each until read, then
  ``swipe`` seconds); ``swipe=0`` leaves the card movements to ``reader.emulator`` (a
  ``drivers.emulator.SerialEmulator``).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from drivers.errors import ReaderError, ReaderNotFound, UnknownScheme
from registry.identity.cards import CardReader

PYSERIAL_SCHEMES = ("socket", "loop", "rfc2217", "spy", "alt", "hwgrep", "cp2110")
_OURS = ("baud", "probe", "fingerprints", "append", "poll", "id", "ports", "scan")
AUTO = "auto"


def _flag(value: str | None) -> bool:
    return (value or "0").lower() in ("1", "true", "yes", "on")


def _serial_options(query: dict[str, str]) -> dict[str, object]:
    options: dict[str, object] = {
        "fingerprints": _flag(query.get("fingerprints")),
        "append_address": _flag(query.get("append")),
        "probe_baud": _flag(query.get("probe", "1")),
    }
    if "baud" in query:
        options["baud"] = int(query["baud"])
    if "poll" in query:
        options["poll"] = float(query["poll"])
    if "id" in query:
        options["reader_id"] = query["id"]
    return options


def _open_serial(url: str) -> CardReader:
    from drivers.serialreader import SerialReader

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    rest = urlencode({k: v for k, v in query.items() if k not in _OURS})
    if parts.scheme == "serial":
        target = unquote(parts.netloc + parts.path)
    else:
        target = f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{rest}" if rest else "")
    if not target:
        raise ReaderNotFound(f"读卡器地址 {url} 没有给出串口")
    options = _serial_options(query)
    if parts.scheme == "serial" and target.strip("/") == AUTO:
        from drivers.discover import find_reader
        from drivers.frames import BAUDS

        fixed = options.get("baud")
        target, options["baud"] = find_reader(
            [p for p in query.get("ports", "").split(",") if p],
            system=_flag(query.get("scan", "1")),
            bauds=(fixed,) if isinstance(fixed, int) else BAUDS)
    return SerialReader(target, **options)  # type: ignore[arg-type]


def _open_pcsc(url: str) -> CardReader:
    from drivers.pcsc import PcscReader

    parts = urlsplit(url)
    name = unquote(parts.netloc + parts.path).strip("/") or None
    query = dict(parse_qsl(parts.query))
    return PcscReader(name, poll=float(query.get("poll", 0.2)))


def _open_emulator(url: str) -> CardReader:
    from drivers.emulator.reader import EmulatorReader

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    named = unquote(parts.netloc + parts.path)  # emulator://default, emulator:///abs/deck.json
    cards = query.get("cards") or (named if named.strip("/") else None)
    try:
        return EmulatorReader(cards=cards, baud=int(query.get("baud", 115200)),
                              swipe=float(query.get("swipe", 1.0)),
                              **{k: v for k, v in _serial_options(query).items() if k != "baud"})
    except FileNotFoundError as exc:
        raise ReaderError(
            f"找不到模拟读卡器的证件文件 {exc.filename or cards}：请检查 URL 中的路径。"
        ) from exc
    except OSError as exc:
        raise ReaderError(f"无法打开模拟读卡器（{exc.strerror or exc}）：请检查 URL。") from exc


SCHEMES: dict[str, Callable[[str], CardReader]] = {
    "serial": _open_serial,
    **{scheme: _open_serial for scheme in PYSERIAL_SCHEMES},
    "pcsc": _open_pcsc,
    "emulator": _open_emulator,
}


def open_reader(url: str) -> CardReader:
    """Open the reader a URL names; unknown schemes and absent readers are clear errors."""
    if url.startswith("/") or url.upper().startswith("COM"):
        url = "serial://" + url  # a bare device path
    scheme = urlsplit(url).scheme.lower()
    opener = SCHEMES.get(scheme)
    if opener is None:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        raise UnknownScheme(f"不支持的读卡器地址 {url!r}（已知: {known}）")
    return opener(url)


__all__ = ["SCHEMES", "ReaderError", "ReaderNotFound", "UnknownScheme", "open_reader"]
