"""Bench: the desk page (``laiqu desk``) in a real browser against the emulator on a pty.

1. Swipe to guest card on screen: from the moment the card enters the emulator's field to the
   moment the page has drawn it (the page stamps ``performance.timeOrigin + now()``), against
   the wire time of the swipe's frames at 115200 baud (``bench_swipe.FRAMES``). Goal: at most
   wire time + 150 ms (median).
2. Server time per page action (check-in, check-out, the house, the upload state, the slip
   PDF, "is this guest staying"), as the desk process measures it around each transaction.
   Goal: < 100 ms (median).

    python bench/desk_page.py [--swipes 15]

Needs Debian's chromium (/usr/bin/chromium) and Playwright from pip; prints the figures and
exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_swipe import FRAMES  # noqa: E402
from drivers.emulator import start_emulator  # noqa: E402
from drivers.samport import wire_time  # noqa: E402

BAUD = 115200
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def laiqu(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("laiqu desk exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("laiqu desk did not start")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run(swipes: int, work: Path) -> tuple[list[float], dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "LAIQU_DATABASE_URL": f"sqlite:///{work / 'desk.sqlite'}",
           "PYTHONPATH": str(ROOT), "LAIQU_TERMINAL": "bench-desk"}
    laiqu(env, "init")
    laiqu(env, "jurisdiction", "add", "310100", "上海市", "--level", "city")
    laiqu(env, "jurisdiction", "add", "31010401", "天平路派出所", "--level", "station",
          "--parent", "310100")
    laiqu(env, "venue", "add", "天平宾馆", "--kind", "hotel", "--jurisdiction", "31010401",
          "--rooms", f"1-{swipes + 5}")
    port = free_port()
    latencies: list[float] = []
    with start_emulator(process=True, baud=BAUD) as emu:
        desk = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "desk", "--venue", "天平宾馆", "--reader",
             f"serial://{emu.port}?baud={BAUD}", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(port, desk)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=CHROMIUM_ARGS)
                page = browser.new_page()
                url = f"http://127.0.0.1:{port}"
                page.goto(url)
                page.wait_for_function(
                    "document.getElementById('reader-state').textContent.includes('已连接')",
                    timeout=30000)
                token = page.eval_on_selector('meta[name="desk-token"]', "m => m.content")
                auth = {"X-Desk-Token": token}  # the desk answers its own page only
                for i in range(swipes + 2):
                    seq = page.eval_on_selector("#card", "c => Number(c.dataset.seq || 0)")
                    presented = time.time() * 1000
                    emu.present(i % 10)
                    page.wait_for_function(
                        f"Number(document.getElementById('card').dataset.seq || 0) > {seq}",
                        timeout=15000)
                    shown = float(page.eval_on_selector("#card", "c => c.dataset.shownAt"))
                    if i >= 2:  # the first swipes warm the interpreter and the browser
                        latencies.append(shown - presented)
                    stays = page.locator("#staying")
                    page.wait_for_timeout(150)  # the "staying here?" answer
                    if stays.is_visible():
                        page.click("#staying-out")
                    else:
                        page.keyboard.press("Enter")
                    page.wait_for_function(
                        "!document.getElementById('result').hidden", timeout=15000)
                    href = page.locator("#slip-link")
                    if href.count():
                        page.request.get(url + (href.get_attribute("href") or ""), headers=auth)
                    page.evaluate("document.getElementById('result').hidden = true")
                    emu.remove()
                house = page.request.get(url + "/api/house", headers=auth).json()
                for room in house["rooms"]:
                    if room["occupied"]:
                        page.request.post(
                            url + "/api/checkout", data={"room": room["number"]}, headers=auth
                        )
                timings = page.request.get(url + "/api/timings", headers=auth).json()["actions"]
                browser.close()
        finally:
            desk.terminate()
            desk.wait(20)
    return latencies, timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swipes", type=int, default=15)
    parser.add_argument("--margin", type=float, default=150.0, help="ms over the wire time")
    parser.add_argument("--action-ms", type=float, default=100.0)
    args = parser.parse_args(argv)
    wire = wire_time(sum(FRAMES.values()), BAUD) * 1000
    with tempfile.TemporaryDirectory(prefix="laiqu-bench-desk-") as work:
        latencies, timings = run(args.swipes, Path(work))
    median = statistics.median(latencies)
    ok = median <= wire + args.margin
    print(f"swipe to card on screen: {len(latencies)} swipes at {BAUD} baud, "
          f"median {median:.1f} ms, p95 {pct(latencies, 0.95):.1f} ms, "
          f"min {min(latencies):.1f} ms; wire time of the frames {wire:.1f} ms; "
          f"over the wire {median - wire:+.1f} ms (goal ≤ +{args.margin:.0f} ms) — "
          f"{'met' if ok else 'MISSED'}")
    print("server time per page action (ms): action  n  median  p95  max")
    for name, values in sorted(timings.items()):
        measured = values[2:] if len(values) > 4 else values  # the first ones warm caches
        med = statistics.median(measured)
        met = med < args.action_ms
        ok = ok and met
        print(f"  {name:<9} {len(measured):>3} {med:7.1f} {pct(measured, 0.95):6.1f} "
              f"{max(measured):6.1f}  {'met' if met else 'MISSED'} (< {args.action_ms:.0f})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
