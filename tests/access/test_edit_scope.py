"""Corrections and place edits check permission like every use case: a desk voids only at its
own venue, a coordinator edits and merges only inside its subtree; refusals are audited and
change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.db import voiding
from registry.db.models import Stay, Venue
from registry.movements import residences, stays
from registry.places import jurisdictions, merging, venues
from registry.privacy import access
from registry.privacy.access import OutOfScope
from tests.access.test_scope import as_user, refusals
from tests.registry.city import DISTRICT, STATION, build, rid, typed


def test_edits_are_held_to_the_scope(sf, ctx):
    city = build(sf, ctx)
    a, b = rid(seq="021"), rid(seq="022")
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(a, "张三")])
        stays.check_in(s, ctx, city.hotel2, "1", [typed(b, "李四")])
        residences.move_in(s, ctx, city.house2, typed(rid(seq="023"), "王五"))
    desk = as_user(sf, ctx, "desk1", "desk", venue=city.hotel)
    coord = as_user(sf, ctx, "coord", "coordinator", jurisdiction=STATION)
    with sf.begin() as s:
        stays.cancel_check_in(s, desk, city.hotel, a, reason="登记错了")
    for who, attempt in (
        (desk, lambda s, c: stays.cancel_check_in(s, c, city.hotel2, b, reason="x")),
        (desk, lambda s, c: merging.merge_venues(s, c, city.hotel, city.hotel2)),
        (
            coord,
            lambda s, c: residences.cancel_move_in(s, c, city.house2, rid(seq="023"), reason="x"),
        ),
        (coord, lambda s, c: merging.merge_venues(s, c, city.hotel, city.hotel2)),
        (coord, lambda s, c: venues.update_venue(s, c, city.hotel2, name="某宾馆")),
        (coord, lambda s, c: jurisdictions.rename_jurisdiction(s, c, DISTRICT, "某区")),
        (coord, lambda s, c: merging.remove_house(s, c, city.house2)),
    ):
        with pytest.raises(OutOfScope), sf.begin() as s:
            access.bind(s, who)
            attempt(s, who)
    assert len(refusals(sf)) == 7
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Venue)) == 2
        with voiding.included(s):
            voided = s.scalars(select(Stay.void_reason).where(Stay.voided_at.is_not(None)))
            assert list(voided) == ["登记错了"]
