"""Finding GA 467 readers on the serial ports of this machine (``serial://auto``).

Candidates: the ports pyserial's ``list_ports`` reports, ``/dev/ttyUSB*`` and ``/dev/ttyACM*``
(USB bridges and CDC-ACM readers, protocol doc §1.9), plus paths given in the environment
variable ``LAIQU_SERIAL_PORTS`` (``os.pathsep``-separated) or the ``ports=`` option (pseudo-
terminals, which ``list_ports`` does not list). Each candidate is probed in parallel with the
GA 467 "read SAM id" command (12 FF, §1.4) at the supported rates, 115200 first (§1.2), as
hev-idcard-reader probes with 11 FF and C-auto brute-forces the rates (§6); the first
candidate, in the order above, that answers a well-formed frame fitting the command wins.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import serial.tools.list_ports

from drivers import answers
from drivers import frames as f
from drivers.errors import ReaderDisconnected, ReaderError, ReaderNotFound
from drivers.samport import open_port, probe

ENV_PORTS = "LAIQU_SERIAL_PORTS"
PROBE = f.SAM_ID
PROBE_BUDGET = 0.5  # seconds per rate, plus wire time (C1 gives a probe 2 s over all)
MAX_WORKERS = 16


def candidate_ports(extra: Iterable[str] = (), system: bool = True) -> list[str]:
    """Ports to probe, in order: the environment, ``extra``, then the system's ports (USB
    bridges and CDC-ACM first: that is where readers are; then what ``list_ports`` adds)."""
    ports = [p for p in os.environ.get(ENV_PORTS, "").split(os.pathsep) if p.strip()]
    ports += [p for p in extra if p.strip()]
    if system:
        ports += sorted(glob.glob("/dev/ttyUSB*")) + sorted(glob.glob("/dev/ttyACM*"))
        ports += [port.device for port in serial.tools.list_ports.comports()]
    unique, seen = [], set()
    for port in ports:
        key = os.path.realpath(port) if port.startswith("/") else port
        if key not in seen:  # a by-id link and its tty are one device: probe it once
            seen.add(key)
            unique.append(port.strip())
    return unique


def probe_port(device: str, bauds: Sequence[int] = f.BAUDS, budget: float = PROBE_BUDGET,
               stop: threading.Event | None = None) -> int | str:
    """The baud at which a reader answers on ``device``, else why not (Chinese, short).
    ``stop`` ends the probe before its next rate (another port already answered)."""
    try:
        port = open_port(device, bauds[0])
    except ReaderNotFound as exc:
        cause = exc.__cause__
        return f"无法打开：{getattr(cause, 'strerror', None) or cause or exc}"
    try:
        for baud in bauds:
            if stop is not None and stop.is_set():
                return "未探测完"
            try:
                return probe(port, device, (baud,), budget=budget, command=PROBE)
            except ReaderDisconnected:
                return "读写出错"
            except ReaderError:
                continue
        return "无应答"
    finally:
        port.close()


def _probe_all(ports: Sequence[str], bauds: Sequence[int],
               budget: float) -> Iterator[tuple[str, int | str]]:
    """(port, result of ``probe_port``) in the order of ``ports``, probed in parallel; when
    the caller stops early, the other probes end after their current rate, before return
    (a probe left running would share a port with whoever opens it next)."""
    if not ports:
        return
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(ports)),
                            thread_name_prefix="laiqu-probe") as pool:
        futures = [pool.submit(probe_port, port, bauds, budget, stop) for port in ports]
        try:
            for port, future in zip(ports, futures, strict=True):
                yield port, future.result()
        finally:
            stop.set()


def find_reader(extra: Iterable[str] = (), *, system: bool = True,
                bauds: Sequence[int] = f.BAUDS,
                budget: float = PROBE_BUDGET) -> tuple[str, int]:
    """(port, baud) of the first candidate where a GA 467 reader answers; else a clear
    ``ReaderNotFound`` naming what was tried and what to do."""
    ports = candidate_ports(extra, system)
    tried: list[str] = []
    probes = _probe_all(ports, bauds, budget)
    try:
        for port, result in probes:
            if isinstance(result, int):
                return port, result
            tried.append(f"{port}（{result}）")
    finally:
        probes.close()  # stop and wait for the probes still running
    rates = "/".join(str(b) for b in bauds)
    where = "pyserial 列出的串口、/dev/ttyUSB*、/dev/ttyACM*" if system else "指定的串口"
    hint = ("请检查：读卡器的 USB 线和电源是否接好、指示灯是否亮；当前用户能否读写串口"
            "（Linux 下通常要加入 dialout 组）；也可以用 serial:///dev/ttyUSB0 直接指定串口，"
            f"或把串口路径写入环境变量 {ENV_PORTS}（多个用 {os.pathsep} 分隔）。")
    if not ports:
        raise ReaderNotFound(f"未找到身份证读卡器：本机没有可探测的串口（已查找{where}和环境变量 "
                             f"{ENV_PORTS}）。{hint}")
    raise ReaderNotFound(
        f"未找到身份证读卡器：在 {len(ports)} 个串口上以波特率 {rates} 发送"
        f"{answers.describe(PROBE)}命令，都没有收到 GA 467 应答。已尝试：{'、'.join(tried)}。"
        f"{hint}")


def list_readers(ports: list[str] | None = None,
                 budget: float = PROBE_BUDGET) -> list[tuple[str, int]]:
    """(port, baud) of every candidate port (or of ``ports``) where a GA 467 reader answers."""
    candidates = candidate_ports() if ports is None else ports
    return [(port, result) for port, result in _probe_all(candidates, f.BAUDS, budget)
            if isinstance(result, int)]
