"""A check-in voided at the desk reaches the station as a void: after it was uploaded (the
station voids its record) and before (the station registers it and voids it at once)."""

from __future__ import annotations

from datetime import timedelta

from dbtools import NOW
from sqlalchemy import select
from sqlalchemy.orm import Session
from world import build, card, guests, rid

from registry.context import Context
from registry.db import voiding
from registry.db.engine import make_engine, session_factory
from registry.db.models import Event, Stay
from registry.movements import stays
from registry.sync.push import push

CTX = Context("clerk", "desk-1", NOW)


def _station_stays(engine: object) -> list[tuple[str, str | None]]:
    with Session(engine) as s, voiding.included(s):  # type: ignore[arg-type]
        return [
            (st.room, st.void_reason)
            for st in s.scalars(select(Stay).order_by(Stay.room, Stay.checked_in_at))
        ]


def test_a_voided_stay_reaches_the_station_as_a_void(desk_url, db_url, engine, sf):
    desk = make_engine(desk_url)
    try:
        build(sf, CTX)
        desk_sf = session_factory(desk)
        hotel = build(desk_sf, CTX)
        guests(desk_sf, CTX, hotel, 1)  # rid(0) in a room of the hotel
        report = push(desk_sf, db_url, CTX.at(NOW + timedelta(minutes=1)))
        assert report.rejected == 0
        assert [r for _, r in _station_stays(engine)] == [None]
        later = CTX.at(NOW + timedelta(minutes=10))
        with desk_sf.begin() as s:  # uploaded already: voided, and another one never sent
            stays.cancel_check_in(s, later, hotel, rid(0), reason="登记错了人")
            stays.check_in(s, later, hotel, "102", [card(7, "王七")])
            stays.cancel_check_in(s, later, hotel, rid(7), reason="重复登记")
        report = push(desk_sf, db_url, CTX.at(NOW + timedelta(minutes=11)))
        assert report.rejected == 0
        reasons = sorted(r or "" for _, r in _station_stays(engine))
        assert reasons == ["登记错了人", "重复登记"]
        with Session(engine) as s:
            assert list(s.scalars(select(Stay))) == []  # nobody stays: both voided
            voided = s.scalars(select(Event.action).where(Event.action == "stay.voided")).all()
            assert len(voided) == 2  # the desk's events, not the station's again
    finally:
        desk.dispose()
