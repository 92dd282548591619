"""The unit of work: a use case checks permission once, hands its journal events and audit
notes over, and they are written at commit in one place (issue #14)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest
from dbtools import statements
from sqlalchemy import func, select

from registry.db.access_models import AuditEntry
from registry.db.models import Event, Person
from registry.errors import InvalidInput
from registry.movements import residences, stays
from registry.privacy import audit, journal, unit
from tests.registry.city import build, rid, typed


@contextmanager
def context_path() -> Iterator[list[str]]:
    """The registry modules the caller's context enters, in order: a call of a function that
    takes ``ctx`` into another module than the one it is called from."""
    entered: list[str] = []
    stack: list[str] = []

    def takes_ctx(frame: FrameType) -> bool:
        code = frame.f_code
        return "ctx" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]

    def profile(frame: FrameType, what: str, _arg: Any) -> None:
        module = frame.f_globals.get("__name__") or ""
        if not module.startswith("registry.") or module == "registry.context":
            return
        if what == "call" and takes_ctx(frame):
            if not stack or stack[-1] != module:
                entered.append(module.removeprefix("registry."))
            stack.append(module)
        elif what == "return" and stack and takes_ctx(frame):
            stack.pop()

    sys.setprofile(profile)
    try:
        yield entered
    finally:
        sys.setprofile(None)


def visits(path: list[str]) -> Counter[str]:
    return Counter(path)


def test_a_check_in_enters_each_module_once(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:  # a guest the registry knows already, and a first-time guest
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="301"), "李四")])
        stays.check_out(s, ctx, city.hotel, room="101")
    for guest in (typed(rid(seq="301"), "李四"), typed(rid(seq="302"), "王五")):
        with sf.begin() as s, context_path() as path:
            stays.check_in(s, ctx, city.hotel, "102", [guest])
        assert path[0] == "movements.stays"
        assert visits(path).most_common(1)[0][1] == 1, path
        assert {"privacy.access", "people.registration", "privacy.journal"} <= set(path)


def test_a_check_out_enters_each_module_once(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="311")), typed(rid(seq="312"))])
    with sf.begin() as s, context_path() as path:
        stays.check_out(s, ctx, city.hotel, room="101")
    assert visits(path).most_common(1)[0][1] == 1, path


def events_written(seen: list[str]) -> list[str]:
    """The statements writing events (on PostgreSQL a few go in the audit entries' INSERT,
    as a CTE)."""
    return [q for q in seen if "INSERT INTO events" in q]


def test_events_and_notes_wait_for_the_commit_and_go_out_together(sf, ctx, engine):
    city = build(sf, ctx)
    with statements(engine) as seen, sf.begin() as s:
        before = s.scalar(select(func.count()).select_from(Event))
        done = stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="321"), "赵六")])
        handed = [e["action"] for e in unit.pending_events(s)]
        assert handed == ["person.registered", "stay.checked_in"]
        assert not events_written(seen)  # nothing written before the commit
    assert len(events_written(seen)) == 1  # one executemany at commit
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == before + 2
        mine = s.scalars(select(Event.action).where(Event.person_id == done.guests[0].person.id))
        assert sorted(mine) == ["person.registered", "stay.checked_in"]


def test_a_rolled_back_savepoint_drops_what_it_handed_over(sf, ctx, engine):
    build(sf, ctx)
    audit.settle(engine)  # PostgreSQL: the writer left its entries to a chainer
    with sf() as s:
        entries_before = s.scalar(select(func.count()).select_from(AuditEntry))
        events_before = s.scalar(select(func.count()).select_from(Event))
    with sf.begin() as s:
        kept = journal.entry("test.kept", "person", None)
        journal.record_all(s, ctx, [kept])
        try:
            with s.begin_nested():
                journal.record_all(s, ctx, [journal.entry("test.dropped", "person", None)])
                raise RuntimeError("refused item")
        except RuntimeError:
            pass
        assert [e["action"] for e in unit.pending_events(s)] == ["test.kept"]
    audit.settle(engine)
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == events_before + 1
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
        assert len(actions) == entries_before + 1 and actions[-1] == "test.kept"
        assert "test.dropped" not in actions


def test_a_refused_check_in_leaves_no_event(sf, ctx):
    city = build(sf, ctx)
    with sf() as s:
        persons = s.scalar(select(func.count()).select_from(Person))
        events = s.scalar(select(func.count()).select_from(Event))
    with pytest.raises(InvalidInput), sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "no-such-room", [typed(rid(seq="331"))])
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == persons
        assert s.scalar(select(func.count()).select_from(Event)) == events


def test_a_move_in_enters_each_module_once(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s, context_path() as path:
        residences.move_in(s, ctx, city.house, typed(rid(seq="341"), "钱七"))
    assert path[0] == "movements.residences"
    assert visits(path).most_common(1)[0][1] == 1, path
