"""A clerk names a venue by name, NAME@JURISDICTION or a short id, never a 36-character UUID
(issue #17)."""

from __future__ import annotations

import pytest

from registry.errors import Ambiguous, NotFound
from registry.messages import phrase
from registry.places import venues
from tests.registry.city import OTHER_STATION, STATION, build


def test_two_venues_of_one_name(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        first = venues.add_venue(s, ctx, "如家", "hotel", STATION, rooms=["1"])
        second = venues.add_venue(s, ctx, "如家", "hotel", OTHER_STATION, rooms=["1"])
    with sf() as s:
        with pytest.raises(Ambiguous) as refused:
            venues.venue_by_ref(s, "如家")
        said = phrase(str(refused.value))
        assert f"如家@{STATION}" in said and f"如家@{OTHER_STATION}" in said
        assert first.id.hex[:8] in said and "名称@辖区代码" in said
        assert venues.venue_by_ref(s, f"如家@{OTHER_STATION}").id == second.id
        assert venues.venue_by_ref(s, first.id.hex[:8]).id == first.id
        assert venues.venue_by_ref(s, str(second.id)[:13]).id == second.id  # with the dash
        with pytest.raises(NotFound):
            venues.venue_by_ref(s, "如家@999999")
