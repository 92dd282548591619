"""The matchings run with the registry's view, not the caller's (issue #15): over HTTP a desk is
told PC-TWO-PLACES without seeing the other hotel's stay, and an intermediary's move-in that
opens a house finding works."""

from __future__ import annotations

import uuid

from servicekit import ADMIN, PASSWORD
from sqlalchemy import select
from world import HOTEL, STATION, rid

from registry.accounts import credentials, users
from registry.db.engine import make_engine, session_factory
from registry.db.models import Finding, House
from registry.places import houses, venues

GUEST = {"id_number": rid(31), "name": "周八"}


def test_a_desk_is_told_two_places_without_seeing_the_other_stay(server):
    with server.client() as desk:
        first = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "101", "guests": [GUEST]}
        )
        assert first.status_code == 201, first.text
    with server.client("other") as other:
        second = other.post(
            "/api/v1/checkins",
            json={"venue": server.other_hotel, "room": "1", "guests": [GUEST]},
        )
        assert second.status_code == 201, second.text
        assert "PC-TWO-PLACES" in {f["code"] for f in second.json()["findings"]}
        assert HOTEL not in second.text  # the finding names no other hotel
        own = other.get("/api/v1/persons", params={"number": GUEST["id_number"]})
        assert own.status_code == 200  # its own guest now
        assert HOTEL not in own.text  # the other hotel's stay stays out of sight


def _agent(db_url: str) -> tuple[str, uuid.UUID]:
    """An intermediary managing the world's house (which has no filing and room for four)."""
    sf = session_factory(make_engine(db_url))
    with sf.begin() as s:
        agency = venues.add_venue(s, ADMIN, "安居中介", "intermediary", STATION)
        users.add_user(s, ADMIN, "agent", "intermediary", venue=str(agency.id))
        credentials.set_password(s, ADMIN, "agent", PASSWORD)
        house = s.scalar(select(House).where(House.door_plate == "BH-3-101"))
        assert house is not None
        houses.entrust(s, ADMIN, "BH-3-101", str(agency.id))
        return "BH-3-101", house.id


def test_an_intermediarys_move_in_that_opens_a_house_finding_works(server):
    plate, house_id = _agent(server.db_url)
    opened: set[str] = set()
    with server.client("agent") as agent:
        for i in range(5):  # the fifth tenant is one over the house's capacity of four
            tenant = {"id_number": rid(40 + i), "name": f"租客{i}"}
            moved = agent.post("/api/v1/moveins", json={"house": plate, "guest": tenant})
            assert moved.status_code == 201, moved.text
            opened |= {f["code"] for f in moved.json()["findings"]}
    assert "PH-OVER-CAPACITY" in opened
    sf = session_factory(make_engine(server.db_url))
    with sf() as s:
        codes = set(
            s.scalars(
                select(Finding.code).where(
                    Finding.subject_id == house_id, Finding.resolved_at.is_(None)
                )
            )
        )
        assert {"PH-OVER-CAPACITY", "PH-UNFILED"} <= codes
