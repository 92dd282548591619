"""What every benchmark shares: a measure of A (laiqu) against B (the raw engine), ABBA rounds,
raw driver connections and fresh synthetic ID numbers."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from registry.db.models import Person
from registry.identity.ids import ric_check_digit


@dataclass
class Measure:
    name: str
    unit: str
    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)
    note: str = ""

    def summary(self) -> dict[str, Any]:
        def pct(xs: list[float], p: float) -> float:
            if not xs:
                return float("nan")
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(p * len(xs)))]

        out: dict[str, Any] = {"name": self.name, "unit": self.unit, "note": self.note}
        for side, xs in (("a", self.a), ("b", self.b)):
            out[side] = {
                "n": len(xs),
                "p50": statistics.median(xs) if xs else None,
                "p95": pct(xs, 0.95),
                "p99": pct(xs, 0.99),
            }
        if self.a and self.b:
            out["ratio"] = statistics.median(self.a) / statistics.median(self.b)
        return out


def abba(
    rounds: int, a: Callable[[], list[float]], b: Callable[[], list[float]], m: Measure
) -> None:
    for _ in range(rounds):
        m.a += a()
        m.b += b()
        m.b += b()
        m.a += a()


def timed(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t) * 1000)
    return out



def raw_connection(engine: Engine) -> Any:
    """A DB-API connection of the engine's pool (its cursor is the raw driver's).

    laiqu's SQLite engine turns pysqlite's implicit transactions off (SQLAlchemy begins them);
    the raw baseline gets them back, so its commit and rollback mean what they say.
    """
    raw = engine.raw_connection()
    if engine.dialect.name == "sqlite":
        raw.detach()  # never handed back to laiqu's pool with this setting
        raw.dbapi_connection.isolation_level = ""
    return raw



def new_number(rng: random.Random) -> str:
    first17 = f"4303{rng.randint(10, 99)}{rng.randint(1960, 2004)}0{rng.randint(1, 9)}" \
        f"{rng.randint(10, 28)}{rng.randint(0, 999):03d}"
    return first17 + ric_check_digit(first17)


def fresh_numbers(engine: Engine, rng: random.Random, k: int, used: set[str]) -> list[str]:
    """``k`` new valid numbers that neither the generated city nor this run has used."""
    out: list[str] = []
    while len(out) < k:
        batch = {new_number(rng) for _ in range(k - len(out))} - used
        keys = [f"resident:{n}" for n in batch]
        with engine.connect() as conn:
            taken = {
                key.split(":", 1)[1]
                for i in range(0, len(keys), 5000)
                for key in conn.scalars(
                    sa.select(Person.id_key).where(Person.id_key.in_(keys[i : i + 5000]))
                )
            }
        fresh = sorted(batch - taken)
        used.update(fresh)
        out += fresh
    return out
