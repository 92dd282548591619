"""Bench: one card swipe through the serial emulator vs the wire time of its frames.

The emulator runs in its own process on a kernel pty at 115200 baud with no extra latency,
so a swipe (find, select, read 30 01, and the driver's read-once probe) can cost no less
than the wire time of the frames exchanged. Gate: the median swipe is at most 1.25× that
wire time (about 112 ms is the 1295-byte read alone). Prints the ratio and absolute times;
exits 1 when over.

    python bench/bench_swipe.py [--swipes 30] [--baud 115200] [--limit 1.25]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.emulator import start_emulator
from drivers.serialreader import SerialReader, wire_time

# Bytes on the wire per swipe: request + answer of find, select, read, then the probe find
# that answers 80 (the reader enforces read-once).
FRAMES = {"find": 10 + 15, "select": 10 + 19, "read 30 01": 10 + 1295, "probe find": 10 + 11}


def run(swipes: int, baud: int) -> list[float]:
    times: list[float] = []
    with start_emulator(process=True, baud=baud) as emu, \
            SerialReader(emu.port, baud=baud, poll=0.01) as reader:
        deck_size = 10
        for index in range(swipes + 2):
            emu.present(index % deck_size)
            start = time.perf_counter()
            card = reader.read(timeout=10)
            elapsed = time.perf_counter() - start
            if card is None:
                raise SystemExit("no card read: the emulator did not answer")
            emu.remove()
            if index >= 2:  # the first swipes warm caches and the interpreter
                times.append(elapsed)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swipes", type=int, default=30)
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--limit", type=float, default=1.25)
    args = parser.parse_args(argv)
    wire = wire_time(sum(FRAMES.values()), args.baud)
    times = run(args.swipes, args.baud)
    median = statistics.median(times)
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    ratio = median / wire
    print(f"swipes: {len(times)} at {args.baud} baud, frames {sum(FRAMES.values())} bytes "
          f"({', '.join(f'{k} {v}' for k, v in FRAMES.items())})")
    print(f"wire time: {wire * 1000:.1f} ms (read answer alone "
          f"{wire_time(1295, args.baud) * 1000:.1f} ms)")
    print(f"swipe: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
          f"min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    print(f"ratio (median / wire): {ratio:.3f}  limit {args.limit}")
    if ratio > args.limit:
        print("FAIL: a swipe costs more than the limit allows", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
